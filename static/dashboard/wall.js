/* The command centre's wall screen: asks the metrics API for fresh figures every
   `refresh_seconds` (live counts, the map, today's tiles, the overdue list) and every
   `slow_refresh_seconds` (the last 30 days and the ranking). A failed request leaves the last
   figures up and says so; the next round tries again. */
(function () {
  "use strict";
  var D = window.SanhuaDashboard;
  var config = D.embedded("wall-config");
  var labels = D.embedded("measure-labels");
  var status = document.querySelector("[data-status]");
  var map = null, trend = null, categories = null;

  // "Today" is the server's (Asia/Shanghai), read from each live answer, so a screen whose
  // own clock is wrong still shows the right day, and a screen left on past midnight moves on.
  var today = null;

  function day(offsetDays) {
    var parts = today.split("-").map(Number);
    var moment = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + (offsetDays || 0)));
    return moment.toISOString().slice(0, 10);
  }

  function url(name, params) {
    var query = new URLSearchParams(Object.assign({ unit: config.unit }, params || {}));
    return config.urls[name] + "?" + query.toString();
  }

  function text(element, value) { element.textContent = value; }

  function row(cells, classes) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell, index) {
      var td = document.createElement("td");
      td.textContent = cell;
      if (classes && classes[index]) { td.className = classes[index]; }
      tr.appendChild(td);
    });
    return tr;
  }

  function shown(tile) {
    if (tile.value === null || tile.value === undefined) { return "–"; }
    if (tile.unit === "percent") { return tile.value.toFixed(1) + "%"; }
    if (tile.unit === "hours") { return tile.value.toFixed(1) + " h"; }
    return String(tile.value);
  }

  function showLive(live) {
    var body = document.querySelector("[data-levels]");
    body.replaceChildren.apply(body, live.levels.map(function (level) {
      return row([level.label, level.open, level.overdue],
                 ["", "text-end wall-big", level.overdue ? "text-end wall-big wall-alert" : "text-end wall-big"]);
    }));
    var list = document.querySelector("[data-overdue-list]");
    var items = live.overdue_cases.map(function (c) {
      var li = document.createElement("li");
      li.textContent = c.number + " " + c.title + " · " + c.category + " · " + c.holder;
      return li;
    });
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "text-secondary";
      none.textContent = config.texts.no_overdue;
      items = [none];
    }
    list.replaceChildren.apply(list, items);
    if (map) { map.update(live); }
  }

  function showToday(summary) {
    var byKey = {};
    summary.rows.forEach(function (r) { byKey[r.key] = r; });
    config.tiles.forEach(function (key) {
      var tile = document.querySelector('[data-tile="' + key + '"]');
      if (!tile || !byKey[key]) { return; }
      text(tile.querySelector(".wall-tile-label"), byKey[key].label);
      text(tile.querySelector(".wall-tile-value"), shown(byKey[key]));
    });
  }

  // A unit with too few cases in the period to grade (the API's `too_few`, the rule of
  // cases/periods.py) is grey and marked so, never red or green.
  function showRanking(table) {
    var body = document.querySelector("[data-ranking]");
    body.replaceChildren.apply(body, table.rows.slice(0, 10).map(function (r) {
      var score = r.score === null ? "–" : r.score.toFixed(1);
      if (r.too_few) {
        var tr = row([r.rank || "–", r.name, score + " · " + config.texts.too_few],
                     ["wall-rank", "", "text-end wall-too-few"]);
        tr.dataset.tooFew = "1";
        tr.title = config.texts.too_few_note.replace("%(n)s", r.received);
        return tr;
      }
      return row([r.rank || "–", r.name, score],
                 ["wall-rank", "", "text-end wall-grade-" + (r.grade || "none")]);
    }));
  }

  function live() {
    return D.getJSON(url("live", { map_level: "grid" })).then(function (answer) {
      today = answer.at.slice(0, 10);
      return answer;
    });
  }

  function fast() {
    return live().then(function (answer) {
      showLive(answer);
      return D.getJSON(url("summary", { start: day(0), end: day(0) })).then(showToday);
    });
  }

  function slow() {
    var last30 = { start: day(-29), end: day(0) };
    return Promise.all([
      D.getJSON(url("trend", Object.assign({ interval: "day" }, last30))).then(function (t) {
        if (!trend) {
          trend = echarts.init(document.getElementById("wall-trend"), "dark");
          window.addEventListener("resize", function () { trend.resize(); });
        }
        trend.setOption(D.trendOption(t, labels));
      }),
      D.getJSON(url("categories", last30)).then(function (t) {
        if (!categories) {
          categories = echarts.init(document.getElementById("wall-categories"), "dark");
          window.addEventListener("resize", function () { categories.resize(); });
        }
        categories.setOption(D.categoryOption(t));
      }),
      D.getJSON(url("ranking", Object.assign({ level: config.ranking_level }, last30)))
        .then(showRanking)
    ]);
  }

  function done() {
    var time = new Date().toLocaleTimeString();
    text(status, config.texts.updated.replace("%(time)s", time));
    status.classList.remove("wall-alert");
  }

  function failed() {
    text(status, config.texts.offline);
    status.classList.add("wall-alert");
  }

  function tick() {
    text(document.querySelector("[data-clock]"), new Date().toLocaleString());
  }

  document.querySelector("[data-fullscreen]").addEventListener("click", function () {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else { document.documentElement.requestFullscreen(); }
  });

  tick();
  setInterval(tick, 1000);
  live().then(function (answer) {
    showLive(answer);
    return D.areaMap(document.getElementById("wall-map"), {
      mode: "wall", geojsonUrl: config.urls.geojson, live: answer, labels: labels,
      // The grids' heat under the names and borders of the unit's streets or communities.
      outlineUrl: answer.unit.level < 3
        ? config.urls.geojson.replace(/level=\d+/, "level=" + (answer.unit.level + 1)) : null
    });
  }).then(function (drawn) {
    map = drawn;
    document.getElementById("wall-map").dataset.ready = "1";
    return Promise.all([fast(), slow()]);
  }).then(done, failed);
  setInterval(function () { fast().then(done, failed); }, config.refresh_seconds * 1000);
  setInterval(function () { slow().then(done, failed); }, config.slow_refresh_seconds * 1000);
})();
