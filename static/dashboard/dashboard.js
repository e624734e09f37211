/* Sanhua dashboards: charts drawn with ECharts (static/vendor/echarts-6.1.0) and the area map
   with Leaflet over the configured basemap (static/maps/sanhua-map.js), from data the page
   embeds (json_script) or the metrics API returns; the areas are our own GeoJSON
   (/api/areas/geojson/). Every visible word comes from the page (translated
   on the server); nothing here is language-specific. */
(function () {
  "use strict";

  function embedded(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(url + " → " + response.status); }
        return response.json();
      });
  }

  function resizeWithWindow(chart) {
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  /* Received and closed per day (bars) with the closure and on-time rates (lines, right axis). */
  function trendOption(table, labels) {
    var rows = table.rows;
    function column(key) { return rows.map(function (r) { return r[key]; }); }
    return {
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "plain" },
      /* containLabel: the axes' labels are inside the chart, whatever their length; the top
         leaves room for a legend wrapped on two lines on a phone. */
      grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: column("period"), axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
      ],
      series: [
        { name: labels.received, type: "bar", data: column("received") },
        { name: labels.closed, type: "bar", data: column("closed") },
        { name: labels.closure_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: column("closure_rate") },
        { name: labels.on_time_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: column("on_time_rate") }
      ]
    };
  }

  function trendChart(element, table, labels, theme) {
    var chart = resizeWithWindow(echarts.init(element, theme));
    chart.setOption(trendOption(table, labels));
    return chart;
  }

  /* The category mix: received cases per main class. Every slice is named: the labels sit
     outside, aligned to the chart's edges and wrapped (never truncated) in the room between
     the donut and the edge; overlapping labels are moved apart, none is hidden. */
  function categoryOption(table) {
    return {
      backgroundColor: "transparent",
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        type: "pie",
        radius: ["30%", "55%"],
        center: ["50%", "50%"],
        avoidLabelOverlap: true,
        minShowLabelAngle: 0,
        label: {
          show: true,
          formatter: "{b}\n{c}",
          alignTo: "edge",
          edgeDistance: 8,
          overflow: "break",
          lineHeight: 14,
          fontSize: 11
        },
        labelLine: { show: true, length: 8, length2: 0, maxSurfaceAngle: 80 },
        labelLayout: { hideOverlap: false, moveOverlap: "shiftY" },
        data: table.rows.map(function (r) { return { name: r.name, value: r.received }; })
      }]
    };
  }

  function categoryChart(element, table, theme) {
    var chart = resizeWithWindow(echarts.init(element, theme));
    chart.setOption(categoryOption(table));
    return chart;
  }

  /* The areas on a Leaflet map over the basemap (static/maps/sanhua-map.js), coloured by open
     cases (heat by area, with its legend), the newest open cases as clustered markers (overdue
     ones red); a click on an area calls onPick(id). Resolves to an object whose update(live)
     recolours the map from a fresh /api/metrics/live/ answer. */
  function areaMap(element, options) {
    var map = null;
    return getJSON(options.geojsonUrl).then(function (geojson) {
      map = window.SanhuaMap.create(element, { mode: options.mode || "overview", onPick: options.onPick });
      map.areas(geojson).heat(options.live.areas, options.labels).cases(options.live.points).fit();
      return options.outlineUrl ? getJSON(options.outlineUrl).then(function (outer) { map.outlines(outer); }) : null;
    }).then(function () {
      if (options.live.unit) { map.buildings(options.live.unit.id); }
      return {
        map: map,
        update: function (fresh) { map.heat(fresh.areas, options.labels).cases(fresh.points); }
      };
    });
  }

  window.SanhuaDashboard = {
    embedded: embedded,
    getJSON: getJSON,
    trendChart: trendChart,
    trendOption: trendOption,
    categoryChart: categoryChart,
    categoryOption: categoryOption,
    areaMap: areaMap
  };
})();
