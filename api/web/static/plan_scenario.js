// A running scenario: poll its JSON status, move the progress bar, and show the result
// (the page itself, rendered by the server) once it has finished. A dropped connection
// is said on the page and retried with a growing pause, never given up.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !box.dataset.status) { return; }
  var url = box.dataset.status;
  var bar = document.getElementById("bar");
  var stage = document.getElementById("stage");
  var elapsed = document.getElementById("elapsed");
  var connection = document.getElementById("connection");
  var pause = 1000;

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    stage.textContent = status.label;
    elapsed.textContent = box.dataset.elapsed.replace("{s}", String(status.elapsed_s));
    connection.textContent = "";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (status) {
        pause = 1000;
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, pause);
      })
      .catch(function () {
        connection.textContent = box.dataset.offline;
        pause = Math.min(pause * 2, 15000);
        window.setTimeout(poll, pause);
      });
  }
  window.setTimeout(poll, pause);
})();
