/* An import job's page (templates/grid/imports/detail.html): while the job runs, ask for its
   progress every 2 seconds; reload for the report when it ends. A file, not an inline script:
   the Content-Security-Policy allows only our own. */
(function () {
  var box = document.getElementById("registry-import-progress");
  if (!box || box.dataset.finished === "true") return;
  var bar = box.querySelector(".progress-bar");
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.finished) { window.location.reload(); return; }
        if (state) {
          var percent = state.total ? Math.floor(100 * state.processed / state.total) : 0;
          bar.style.width = percent + "%";
          bar.parentElement.setAttribute("aria-valuenow", percent);
          box.querySelector("[data-count]").textContent = state.processed + " / " + state.total;
          box.querySelector("[data-status]").textContent = state.status_display;
        }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 2000); });  // a moment without signal: try again
  }
  setTimeout(poll, 2000);
})();
