/* The case's grid drawn from our own GeoJSON with ECharts' geo component (no online tiles),
   and a pin where the case was reported (or the grid's centre when it has no GPS point). */
(function () {
  "use strict";

  function draw() {
    var element = document.getElementById("case-map");
    var source = document.getElementById("case-map-data");
    if (!element || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var lang = (document.documentElement.lang || "zh").toLowerCase().indexOf("en") === 0 ? "EN" : "ZH";
    echarts.registerMap("case-grid", data.geojson);
    var chart = echarts.init(element, null, { locale: lang, renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      geo: {
        map: "case-grid",
        roam: true,
        aspectScale: Math.cos((data.point ? data.point[1] : 23) * Math.PI / 180),
        label: { show: false },
        itemStyle: { areaColor: "#f8f9fa", borderColor: "#adb5bd", borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: "#e9ecef" }, label: { show: true, color: "#495057" } },
        select: { disabled: true },
        regions: [{
          name: data.grid,
          label: { show: true, color: "#084298", fontSize: 11 },
          itemStyle: { areaColor: "#cfe2ff", borderColor: "#0d6efd", borderWidth: 2 }
        }]
      },
      series: data.point ? [{
        type: "scatter",
        coordinateSystem: "geo",
        symbol: "pin",
        symbolSize: 34,
        itemStyle: { color: data.exact ? "#dc3545" : "#6c757d" },
        label: { show: false },
        data: [{ name: data.label, value: data.point }]
      }] : []
    });
    element.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
