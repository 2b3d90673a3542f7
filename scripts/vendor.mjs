// Copy the browser builds of our npm packages into static/vendor, where Django serves them.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [["node_modules/echarts/dist/echarts.min.js", "static/vendor/echarts.min.js"]];
mkdirSync(join(root, "static/vendor"), { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(root, from), join(root, to));
  console.log(`vendored ${to}`);
}
