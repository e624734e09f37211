/* Stock phrases (常用语, cases/phrases.py): a step's reason may start from a phrase the admins
   wrote. The picker above the reason is hidden until this script runs (without it the form is
   the plain textarea); picking a phrase puts it into the textarea, where it stays editable, and
   the picker goes back to its prompt so the same phrase can be picked again. The picker has no
   name, so only the textarea's text is posted. */
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("select[data-phrases-for]").forEach(function (picker) {
      picker.hidden = false;
    });
  }

  document.addEventListener("change", function (event) {
    var picker = event.target.closest && event.target.closest("select[data-phrases-for]");
    if (!picker || !picker.value) return;
    var reason = document.getElementById(picker.getAttribute("data-phrases-for"));
    if (!reason) return;
    reason.value = picker.value;
    reason.dispatchEvent(new Event("input", { bubbles: true }));
    picker.value = "";
    reason.focus();
    reason.setSelectionRange(reason.value.length, reason.value.length);
  });

  reveal(document);
  // Forms that arrive later (htmx swaps) bring their own pickers.
  document.addEventListener("htmx:afterSwap", function (event) {
    reveal(event.target);
  });
})();
