// The browser shell: fold the navigation behind the 菜单 button on narrow screens.
// Loaded (not deferred) in the head so the .js class is set before the header is painted: no flash of an
// open menu on phones. No inline scripts anywhere (Content Security Policy).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function setUpNavigationToggle() {
    var toggle = document.querySelector(".nav-toggle");
    if (!toggle) {
      return;
    }
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "收起" : "菜单";
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        nav.classList.remove("is-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.textContent = "菜单";
        toggle.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpNavigationToggle);
  } else {
    setUpNavigationToggle();
  }
})();
