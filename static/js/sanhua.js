/* Small behaviours every page shares, kept out of the HTML so the Content-Security-Policy can
   refuse inline scripts and event handlers: a select that submits its form when changed (the
   language switch), a button that prints the page. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
