// The export page: while a job is queued or running, poll its progress from the API (/api/v1/exports/<id>/) and
// update its progress bar; once it is done, show the download link. No inline scripts (Content Security Policy).
(function () {
  "use strict";

  var RUNNING = { queued: true, running: true };
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 5000;

  function setText(element, text) {
    if (element) {
      element.textContent = text;
    }
  }

  function showFile(row, job) {
    var cell = row.querySelector("[data-role=file]");
    if (!cell) {
      return;
    }
    cell.textContent = "";
    if (job.status === "done") {
      var link = document.createElement("a");
      link.href = row.getAttribute("data-download");
      link.setAttribute("download", "");
      link.textContent = "下载";
      cell.appendChild(link);
    } else if (job.status === "failed") {
      var error = document.createElement("span");
      error.className = "field-error";
      error.textContent = job.error || "导出失败";
      cell.appendChild(error);
    } else {
      var waiting = document.createElement("span");
      waiting.className = "muted";
      waiting.textContent = "生成后可下载";
      cell.appendChild(waiting);
    }
  }

  function update(row, job) {
    var bar = row.querySelector("progress");
    if (bar) {
      bar.value = job.progress;
      bar.textContent = job.progress + "%";
    }
    var label = job.status_display + (RUNNING[job.status] ? " " + job.progress + "%" : "");
    setText(row.querySelector("[data-role=status]"), label);
    row.setAttribute("data-status", job.status);
    if (!RUNNING[job.status]) {
      showFile(row, job);
    }
  }

  function poll(row, delay) {
    var url = row.getAttribute("data-url");
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (job) {
          update(row, job);
          if (RUNNING[job.status]) {
            poll(row, Math.min(delay * 1.5, MAX_DELAY));
          }
        })
        .catch(function () {
          // A network hiccup: try again later, more slowly.
          poll(row, MAX_DELAY);
        });
    }, delay);
  }

  function start() {
    var rows = document.querySelectorAll("[data-export-jobs] tr[data-job]");
    Array.prototype.forEach.call(rows, function (row) {
      if (RUNNING[row.getAttribute("data-status")]) {
        poll(row, FIRST_DELAY);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
