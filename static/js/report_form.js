// The monthly report form: nothing typed is lost, even when the session expired before 保存 reached the server.
//  - Every change is copied to localStorage under "zhucun-report-<report id>-v<version the page came with>".
//  - The page says (data-saved) when the server has just saved the input: the copies of this report are dropped.
//  - Otherwise, when a copy differs from what the server sent (a save that never arrived: the login page came in
//    between, the phone lost its connection, the tab was closed), the page offers to put it back.
//  - A value that needs an explanation shows its note field once a note is restored.
// The review queue loads it too, for its 全选 box (data-select-all names the checkboxes it ticks).
// No inline scripts anywhere (Content Security Policy).
(function () {
  "use strict";

  var PREFIX = "zhucun-report-";

  function storage() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null; // private mode or storage disabled: the server still keeps every save
    }
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return (
        element.name &&
        element.type !== "hidden" &&
        element.type !== "submit" &&
        element.type !== "button" &&
        (element.tagName === "INPUT" || element.tagName === "TEXTAREA")
      );
    });
  }

  function snapshot(form) {
    var values = {};
    fields(form).forEach(function (element) {
      values[element.name] = element.value;
    });
    return values;
  }

  function backups(store, reportKey) {
    var found = [];
    var prefix = PREFIX + reportKey + "-v";
    for (var index = 0; index < store.length; index += 1) {
      var key = store.key(index);
      if (key && key.indexOf(prefix) === 0) {
        try {
          found.push({ key: key, data: JSON.parse(store.getItem(key)) });
        } catch (error) {
          found.push({ key: key, data: null });
        }
      }
    }
    return found;
  }

  function differs(saved, current) {
    return Object.keys(saved).some(function (name) {
      return Object.prototype.hasOwnProperty.call(current, name) && String(saved[name]) !== String(current[name]);
    });
  }

  function showNote(element) {
    var wrapper = element.closest(".row-note");
    if (wrapper && element.value.trim() !== "") {
      wrapper.hidden = false;
    }
  }

  function restore(form, values) {
    fields(form).forEach(function (element) {
      if (Object.prototype.hasOwnProperty.call(values, element.name)) {
        element.value = values[element.name];
        showNote(element);
      }
    });
  }

  function formatTime(timestamp) {
    var date = new Date(timestamp);
    var pad = function (number) {
      return (number < 10 ? "0" : "") + number;
    };
    return (
      date.getMonth() + 1 + "月" + date.getDate() + "日 " + pad(date.getHours()) + ":" + pad(date.getMinutes())
    );
  }

  function setUp() {
    var form = document.getElementById("report-form");
    var store = storage();
    if (!form || !store) {
      return;
    }
    var reportKey = form.getAttribute("data-report-key");
    var version = form.getAttribute("data-version");
    var key = PREFIX + reportKey + "-v" + version;
    var found = backups(store, reportKey);

    if (form.getAttribute("data-saved") === "true") {
      found.forEach(function (backup) {
        store.removeItem(backup.key);
      });
      found = [];
    }

    var current = snapshot(form);
    var newest = null;
    found.forEach(function (backup) {
      if (!backup.data || !backup.data.fields || !differs(backup.data.fields, current)) {
        return; // the page already shows it
      }
      if (!newest || backup.data.savedAt > newest.data.savedAt) {
        newest = backup;
      }
    });

    var banner = document.getElementById("report-restore");
    if (newest && banner) {
      var time = banner.querySelector("[data-restore-time]");
      if (time) {
        time.textContent = "输入于 " + formatTime(newest.data.savedAt);
      }
      banner.hidden = false;
      banner.querySelector("[data-restore]").addEventListener("click", function () {
        restore(form, newest.data.fields);
        banner.hidden = true;
        save();
        form.querySelector("[name^='value-'], textarea").focus();
      });
      banner.querySelector("[data-discard]").addEventListener("click", function () {
        found.forEach(function (backup) {
          store.removeItem(backup.key);
        });
        banner.hidden = true;
      });
    }

    function save() {
      try {
        store.setItem(key, JSON.stringify({ savedAt: Date.now(), version: version, fields: snapshot(form) }));
      } catch (error) {
        // Storage full: the server copy still holds every save.
      }
    }

    form.addEventListener("input", save);
    form.addEventListener("change", save);
    // The copy stays until the next page says the server has it (data-saved): a save that ends on the login
    // page, or in a network error, loses nothing.
    form.addEventListener("submit", save);
  }

  function setUpSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (master) {
      var name = master.getAttribute("data-select-all");
      var boxes = master.form.querySelectorAll("input[type=checkbox][name='" + name + "']");
      master.addEventListener("change", function () {
        boxes.forEach(function (box) {
          box.checked = master.checked;
        });
      });
    });
  }

  function start() {
    setUp();
    setUpSelectAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
