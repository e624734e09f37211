/* Registry statistics (人口统计): the unit's persons by age band, sex, population type and care
   tag, and its units one level down by population type, drawn with ECharts
   (static/vendor/echarts-6.1.0) from the counts the page embeds. Every visible word comes from
   the page. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("population-data").textContent);
  var charts = [];

  function group(name) {
    return data.columns.filter(function (c) { return c.group === name; });
  }

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element);
    chart.setOption(option);
    element.dataset.ready = "1";
    charts.push(chart);
  }

  /* A ring of shares, inside the slices (labels outside get clipped in a narrow card), with the
     counts in the legend; slices too thin to label stay unlabelled (the tooltip and the legend
     still name them). */
  function pie(columns) {
    var counts = {};
    columns.forEach(function (c) { counts[c.label] = data.total[c.key]; });
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, formatter: function (name) { return name + " " + counts[name]; } },
      series: [{
        type: "pie",
        radius: ["30%", "72%"],
        center: ["50%", "44%"],
        minShowLabelAngle: 20,
        label: { position: "inside", formatter: "{d}%", color: "#fff", fontWeight: 600 },
        data: columns
          .map(function (c) { return { name: c.label, value: data.total[c.key] }; })
          .filter(function (d) { return d.value > 0; })
      }]
    };
  }

  var ages = group("age");
  draw("age-chart", {
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 16, top: 24, bottom: 48 },
    xAxis: { type: "category", data: ages.map(function (c) { return c.label; }),
             axisLabel: { interval: 0, rotate: ages.length > 5 ? 20 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", barMaxWidth: 48, label: { show: true, position: "top" },
               data: ages.map(function (c) { return data.total[c.key]; }) }]
  });

  draw("sex-chart", pie(group("sex")));
  draw("population-chart", pie(group("population")));

  var care = group("care").slice().sort(function (a, b) {
    return data.total[a.key] - data.total[b.key];
  });
  draw("care-chart", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: care.map(function (c) { return c.label; }) },
    series: [{ type: "bar", barMaxWidth: 22, label: { show: true, position: "right" },
               data: care.map(function (c) { return data.total[c.key]; }) }]
  });

  if (data.children.length) {
    var names = data.children.map(function (a) { return a.name; });
    // A narrow card wraps the legend onto a second line.
    var narrow = document.getElementById("children-chart").clientWidth < 480;
    draw("children-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: narrow ? 60 : 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: names,
               axisLabel: { interval: 0, rotate: names.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: group("population").map(function (c) {
        return { name: c.label, type: "bar", stack: "persons", barMaxWidth: 48,
                 data: data.children.map(function (a) { return a.counts[c.key]; }) };
      })
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
