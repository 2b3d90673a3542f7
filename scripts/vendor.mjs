// Copy the browser builds of our npm packages into static/vendor, where Django serves them.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [
  ["node_modules/echarts/dist/echarts.min.js", "static/vendor/echarts.min.js"],
  ["node_modules/@picocss/pico/css/pico.min.css", "static/vendor/pico.min.css"],
  ["node_modules/swagger-ui-dist/swagger-ui.css", "static/vendor/swagger-ui/swagger-ui.css"],
  ["node_modules/swagger-ui-dist/swagger-ui-bundle.js", "static/vendor/swagger-ui/swagger-ui-bundle.js"],
  ["node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js", "static/vendor/swagger-ui/swagger-ui-standalone-preset.js"],
  ["node_modules/swagger-ui-dist/favicon-32x32.png", "static/vendor/swagger-ui/favicon-32x32.png"],
];
for (const [from, to] of files) {
  mkdirSync(dirname(join(root, to)), { recursive: true });
  copyFileSync(join(root, from), join(root, to));
  console.log(`vendored ${to}`);
}
