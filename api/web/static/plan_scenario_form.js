// The scenario form: pick a station from the list and add its id to "must stay" or
// "must close" (typing ids or names by hand works without this script), and one start
// per click (the server also refuses a second scenario while one runs).
(function () {
  "use strict";
  var form = document.getElementById("scenario-form");
  if (!form) { return; }
  var picker = document.getElementById("picker");
  var pick = document.getElementById("station-pick");
  function add(id) {
    var box = document.getElementById(id);
    var value = pick.value.trim();
    if (!value) { pick.focus(); return; }
    var parts = box.value.split(/[,，、;；\s]+/).filter(function (p) { return p; });
    if (parts.indexOf(value) < 0) { parts.push(value); }
    box.value = parts.join(", ");
    pick.value = "";
    pick.focus();
  }
  if (picker && pick) {
    picker.hidden = false;
    document.getElementById("add-keep").addEventListener("click", function () { add("keep"); });
    document.getElementById("add-close").addEventListener("click", function () { add("close"); });
  }
  form.addEventListener("submit", function () {
    var button = document.getElementById("start");
    // disabled after this tick, so the click still submits the form
    window.setTimeout(function () { button.disabled = true; }, 0);
  });
})();
