/* Sanhua dashboards: charts and the area map drawn with ECharts (static/vendor/echarts-6.1.0),
   from data the page embeds (json_script) or the metrics API returns. No online tiles: the map
   is our own GeoJSON (/api/areas/geojson/). Every visible word comes from the page (translated
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

  /* The areas' polygons coloured by open cases, the newest open cases as points (overdue ones
     red); a click on an area calls onPick(id). Resolves to an object whose update(live)
     recolours the map from a fresh /api/metrics/live/ answer. */
  function areaMap(element, options) {
    var chart = resizeWithWindow(echarts.init(element, options.theme));
    var mapName = "sanhua-" + options.key;
    var byCode = {};

    function seriesData(live) {
      byCode = {};
      live.areas.forEach(function (a) { byCode[a.code] = a; });
      return live.areas.map(function (a) { return { name: a.code, value: a.open }; });
    }

    function maximum(live) {
      return Math.max(1, Math.max.apply(null, live.areas.map(function (a) { return a.open; })));
    }

    function points(live) {
      return (live.points || []).map(function (p) {
        return { value: [p[0], p[1]], itemStyle: { color: p[2] ? "#dc3545" : "#ffc107" } };
      });
    }

    return getJSON(options.geojsonUrl).then(function (geojson) {
      echarts.registerMap(mapName, geojson);
      var live = options.live;
      chart.setOption({
        backgroundColor: "transparent",
        tooltip: {
          trigger: "item",
          formatter: function (params) {
            var area = byCode[params.name];
            if (!area) { return ""; }
            return area.name + "<br>" + options.labels.open + ": " + area.open +
              "<br>" + options.labels.overdue_open + ": " + area.overdue;
          }
        },
        visualMap: {
          min: 0, max: maximum(live), seriesIndex: 0, calculable: true,
          left: 8, bottom: 8, inRange: { color: ["#e8f4ea", "#f6c344", "#d9534f"] },
          text: [options.labels.open, "0"]
        },
        geo: { map: mapName, nameProperty: "code", roam: true,
               itemStyle: { borderColor: "#6c757d" },
               label: { show: !!options.showLabels, fontSize: 10,
                        formatter: function (p) { return (byCode[p.name] || {}).name || ""; } } },
        series: [
          { type: "map", geoIndex: 0, data: seriesData(live) },
          { type: "scatter", coordinateSystem: "geo", symbolSize: 5, data: points(live) }
        ]
      });
      if (options.onPick) {
        chart.on("click", function (params) {
          var area = byCode[params.name];
          if (area) { options.onPick(area.id); }
        });
      }
      return {
        chart: chart,
        update: function (fresh) {
          chart.setOption({
            visualMap: { max: maximum(fresh) },
            series: [{ data: seriesData(fresh) }, { data: points(fresh) }]
          });
        }
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
