// List and form pages (teams, cadres, villages, leave). No inline scripts anywhere (Content Security Policy).
//  - A list's filter selects submit their GET form on change (back to page 1: the form has no page); empty
//    filters are left out of the URL.
//  - A form field marked data-refresh (a county select, a "find cadre" box) re-renders the form with what was
//    typed, narrowing the lists below it: the form is posted with _refresh=1, which the server neither
//    validates nor saves. Posting (not a GET) keeps typed personal data such as ID numbers out of URLs.
(function () {
  "use strict";

  function refresh(form) {
    var marker = document.createElement("input");
    marker.type = "hidden";
    marker.name = "_refresh";
    marker.value = "1";
    form.appendChild(marker);
    // submit(), not requestSubmit(): the half-filled form must not be stopped by required-field checks.
    form.submit();
  }

  function setUp() {
    document.querySelectorAll("form[data-autosubmit-form]").forEach(function (form) {
      // Empty filters stay out of the URL: /teams/?area=540103, not /teams/?q=&area=540103&batch=&unit=.
      form.addEventListener("submit", function () {
        Array.prototype.forEach.call(form.elements, function (element) {
          if (element.name && element.value === "") {
            element.disabled = true;
          }
        });
      });
      form.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
        select.addEventListener("change", function () {
          if (form.requestSubmit) {
            form.requestSubmit();
          } else {
            form.submit();
          }
        });
      });
    });
    document.querySelectorAll("form [data-refresh]").forEach(function (field) {
      if (field.tagName === "SELECT") {
        field.addEventListener("change", function () {
          refresh(field.form);
        });
      } else {
        field.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            refresh(field.form);
          }
        });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
