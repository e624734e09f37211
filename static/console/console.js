/* The office console's small behaviours: tick every acceptable case, open a photo large,
   fill a duplicate's number into the reject form, narrow the dispatch form's departments as one
   types. Everything works without it too. (Plain script, not Alpine: Alpine evaluates its
   attributes as code, which the Content-Security-Policy refuses.) */
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

  // The queue refreshes itself every 15 s (htmx), except while cases are ticked for bulk
  // accept: a refresh would untick them. (Not an htmx trigger filter: htmx evaluates those as
  // code, which the Content-Security-Policy refuses.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var rows = event.target.closest && event.target.closest("[data-hold-while-ticked]");
    if (rows && document.querySelector("#bulk-form input[name=cases]:checked")) {
      event.preventDefault();
    }
  });

  document.addEventListener("input", function (event) {
    var search = event.target.closest("[data-department-search]");
    if (!search) return;
    var words = search.value.trim().toLowerCase();
    var picker = search.closest("[data-department-picker]");
    picker.querySelectorAll("[data-name]").forEach(function (item) {
      item.hidden = words !== "" && item.dataset.name.toLowerCase().indexOf(words) === -1;
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
