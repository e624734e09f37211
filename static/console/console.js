/* The office console's small behaviours: tick every acceptable case, open a photo large,
   fill a duplicate's number into the reject form. Everything works without it too. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var form = all.closest("form");
    form.querySelectorAll("input[name=cases]").forEach(function (box) {
      box.checked = all.checked;
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-photo]");
    var modalElement = document.getElementById("photo-modal");
    if (link && modalElement && window.bootstrap) {
      event.preventDefault();
      modalElement.querySelector("[data-photo-full]").src = link.dataset.photo;
      window.bootstrap.Modal.getOrCreateInstance(modalElement).show();
      return;
    }
    var fill = event.target.closest("[data-fill-duplicate]");
    if (fill) {
      var input = fill.closest("form").querySelector("input[name=duplicate_of]");
      if (input) input.value = fill.dataset.fillDuplicate;
    }
  });
})();
