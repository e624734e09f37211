/* The supervisor dashboard's charts and map (templates/cases/dashboard/supervisor.html), drawn
   by dashboard.js from the data the page embeds; the map's settings are data attributes of
   #area-map. A file, not an inline script: the Content-Security-Policy allows only our own. */
(function () {
  "use strict";
  var D = window.SanhuaDashboard, labels = D.embedded("measure-labels");
  var map = document.getElementById("area-map");
  D.trendChart(document.getElementById("trend-chart"), D.embedded("trend-data"), labels);
  D.categoryChart(document.getElementById("category-chart"), D.embedded("category-data"));
  D.areaMap(map, {
    geojsonUrl: map.dataset.geojsonUrl,
    live: D.embedded("live-data"),
    labels: labels,
    onPick: function (id) {
      var params = new URLSearchParams(window.location.search);
      params.set("unit", id);
      window.location.search = params.toString();
    }
  }).then(function () { map.dataset.ready = "1"; });
})();
