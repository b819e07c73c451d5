/* gridgov: the rating form asks for a reason when the resident is not satisfied, and is
 * sent once (the button is disabled while sending). The server checks both again. */
(function () {
  "use strict";
  var form = document.getElementById("rate-form");
  if (!form) { return; }
  var note = document.getElementById("rate-note");
  var button = document.getElementById("rate-submit");
  function chosen() {
    var r = form.querySelector("input[name=rating]:checked");
    return r ? r.value : "";
  }
  function sync() { note.required = chosen() === "unsatisfied"; }
  form.addEventListener("change", sync);
  form.addEventListener("submit", function (ev) {
    if (button.disabled) { ev.preventDefault(); return; }
    button.disabled = true;
  });
  window.addEventListener("pageshow", function () { button.disabled = false; });
  sync();
})();
