// Account admin: ask before a reset or a disable (each ends the person's sessions), and
// the print button of the initial-password sheet. Without this script the forms still
// post (with their CSRF field) and the browser's own print works.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.confirm[data-confirm]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  var print = document.getElementById("print");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();
