/* Sanhua's maps: Leaflet (static/vendor/leaflet-1.9.4) over a basemap, with case markers
   clustered by leaflet.markercluster (static/vendor/leaflet.markercluster-1.5.3).

   The basemap comes from the page's json_script "sanhua-basemap" (templates/maps/_assets.html,
   from settings: SANHUA_TILE_URL and friends, docs/operations.md "Maps and basemaps"):
   - tiles configured: an XYZ/WMTS tile layer (天地图, the district's intranet tile server);
     when the tiles are GCJ-02 (crs "gcj02": AutoNavi, Tencent) every shape and point of ours,
     stored as WGS-84, is shifted onto them by wgs84ToGcj02 below;
   - none: the offline basemap, drawn from the district's own data: the grids' boundaries with
     their names, the registry's buildings as points (from zoom 15) and the roads, if given.

   Any element with the attribute data-sanhua-map becomes a map when the page loads:
     data-mode="case|overview|wall|field|mini"  the look (default case); wall: big labels
     data-source="<json_script id>"   {areas: FeatureCollection, highlight: area id,
                                       point: [lng, lat], exact: bool, label: text}
     data-areas-url="<url>"           a FeatureCollection of areas to draw (/api/areas/geojson/…)
     data-buildings-area="<area id>"  draw the buildings of that area's subtree
     data-lng="…" data-lat="…"        one point (a case's location), pinned
     data-area="<area id>"            that area's boundary is drawn (and its buildings)
   A small location map is
     <div data-sanhua-map data-mode="mini" data-lng="113.45" data-lat="23.10" data-area="17"></div>
   or, where the viewer may not read areas (a department's task card), data-source naming a
   json_script that carries the grid's boundary and the pin (cases/console/dispatches.py).
   (include templates/maps/_assets.html once on the page). When drawn, the element gets
   data-ready="1" and element.sanhuaMap, the controller below. Areas out of the viewer's
   jurisdiction are not drawn (the API answers 404): the point alone is still shown.

   window.SanhuaMap.create(element, options) returns that controller for the dashboards:
   {map, areas(geojson), heat(rows, labels), cases(points), pin(lng, lat, exact, label),
   position(lng, lat, accuracy), highlight(id), fit()}. No inline code anywhere (the CSP). */
(function () {
  "use strict";

  /* WGS-84 → GCJ-02 (the "Mars" datum Chinese web maps are drawn in). The published formula of
     the open-source ports, e.g. wandergis/coordtransform (MIT) and googollee/eviltransform:
     Krasovsky 1940 ellipsoid (a = 6378245 m, e² = 0.00669342162296594323); points outside
     China's bounding box are returned unchanged. */
  var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;

  function outOfChina(lng, lat) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function shiftLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function shiftLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }

  function wgs84ToGcj02(lng, lat) {
    if (outOfChina(lng, lat)) return [lng, lat];
    var dLat = shiftLat(lng - 105.0, lat - 35.0);
    var dLng = shiftLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lng + dLng, lat + dLat];
  }

  var config = null;
  function basemap() {
    if (!config) {
      var source = document.getElementById("sanhua-basemap");
      config = source ? JSON.parse(source.textContent) : { tiles: null, crs: "wgs84", urls: {} };
    }
    return config;
  }

  // Our WGS-84 [lng, lat] as a Leaflet LatLng in the datum of the tiles under it.
  function latLng(lng, lat) {
    var conf = basemap();
    if (conf.tiles && conf.crs === "gcj02") {
      var shifted = wgs84ToGcj02(lng, lat);
      return L.latLng(shifted[1], shifted[0]);
    }
    return L.latLng(lat, lng);
  }

  function coordsToLatLng(coords) { return latLng(coords[0], coords[1]); }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(url + " → " + response.status);
        return response.json();
      });
  }

  // Open cases per area: pale green (none) through amber to red (the most), 5 steps.
  var HEAT = ["#d8efd9", "#f3e39b", "#f6b556", "#e8743b", "#c9302c"];
  function heatColour(value, max) {
    if (!value) return HEAT[0];
    return HEAT[Math.min(HEAT.length - 1, 1 + Math.floor((value / Math.max(1, max)) * (HEAT.length - 1) - 1e-9))];
  }

  function text(value) { return String(value === null || value === undefined ? "" : value); }

  // Leaflet puts a string into a tooltip as HTML; our names go in as text.
  function span(value) {
    var node = document.createElement("span");
    node.textContent = text(value);
    return node;
  }

  /* Neighbours share their parent's name ("黄埔花园社区第1网格", "…第2网格"): on the map each is
     labelled by what tells it apart ("第1网格"), the shared name cut where an area's name ends
     (社区, 街道, 村, 镇, 区); the full name stays in the data. */
  var PARENT_ENDS = ["社区", "街道", "村", "镇", "区"];
  function shortNames(features) {
    var names = features.map(function (f) { return text((f.properties || {}).name); });
    if (names.length < 2) return;
    var common = names.reduce(function (prefix, name) {
      var i = 0;
      while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
      return prefix.slice(0, i);
    });
    var cut = 0;
    PARENT_ENDS.forEach(function (end) {
      var at = common.lastIndexOf(end);
      if (at >= 0) cut = Math.max(cut, at + end.length);
    });
    if (!cut) return;
    features.forEach(function (f, i) {
      if (names[i].length > cut) f.properties.label = names[i].slice(cut);
    });
  }

  function create(element, options) {
    options = options || {};
    var mode = options.mode || element.dataset.mode || "case";
    var conf = basemap();
    var wall = mode === "wall";
    element.classList.add("sanhua-map", "sanhua-map--" + mode, conf.tiles ? "sanhua-map--tiles" : "sanhua-map--offline");
    var map = L.map(element, {
      preferCanvas: true,
      zoomControl: mode !== "mini",
      attributionControl: !!conf.tiles,
      scrollWheelZoom: mode !== "mini" && mode !== "field",
      maxZoom: conf.tiles ? conf.tiles.max_zoom || 18 : 19,
      zoomSnap: 0.25
    });
    map.setView([23.1, 113.45], 13);  // replaced by fit() as soon as there is something to show
    // The case's pin and the worker's position lie above the area names (tooltips: 650).
    map.createPane("sanhuaMarks").style.zIndex = 660;
    var marksRenderer = L.svg({ pane: "sanhuaMarks" });

    if (conf.tiles) {
      var tileOptions = {
        subdomains: conf.tiles.subdomains, attribution: text(conf.tiles.attribution),
        maxZoom: conf.tiles.max_zoom || 18
      };
      L.tileLayer(conf.tiles.url, tileOptions).addTo(map);
      if (conf.tiles.labels_url) L.tileLayer(conf.tiles.labels_url, tileOptions).addTo(map);
    }

    var roadsLayer = L.layerGroup().addTo(map);
    var areasLayer = L.geoJSON(null, { coordsToLatLng: coordsToLatLng, style: areaStyle,
                                       onEachFeature: labelArea }).addTo(map);
    var buildingsLayer = L.layerGroup();
    var casesLayer = window.L.markerClusterGroup
      ? L.markerClusterGroup({ maxClusterRadius: wall ? 60 : 40, showCoverageOnHover: false })
      : L.layerGroup();
    casesLayer.addTo(map);
    var markLayer = L.layerGroup().addTo(map);
    var heatValues = null, heatMax = 1, highlighted = null, legend = null;
    var buildingAreas = {}, buildingsShown = false;

    function areaStyle(feature) {
      var id = feature.id !== undefined ? feature.id : (feature.properties || {}).id;
      var chosen = highlighted !== null && String(id) === String(highlighted);
      var style = {
        color: chosen ? "#0d6efd" : wall ? "#cfd8e3" : "#495057",
        weight: chosen ? 3 : wall ? 2 : 1.5,
        opacity: 0.9,
        fillOpacity: conf.tiles ? 0.25 : 0.6,
        fillColor: wall ? "#2b3440" : "#f1f3ef"
      };
      if (heatValues) {
        style.fillColor = heatColour((heatValues[id] || {}).open || 0, heatMax);
        style.fillOpacity = conf.tiles ? 0.45 : 0.8;
      } else if (chosen) {
        style.fillColor = "#cfe2ff";
      }
      return style;
    }

    // Permanent name labels: white text with a dark halo (sanhua-map.css), readable on any fill.
    function labelArea(feature, layer) {
      var props = feature.properties || {};
      layer.bindTooltip(span(props.label || props.name), {
        permanent: true, direction: "center", className: "sanhua-map-label", interactive: false
      });
      layer.on("click", function () {
        if (options.onPick) options.onPick(feature.id !== undefined ? feature.id : props.id);
      });
    }

    /* A label must stay inside its area's shape on screen: a name too wide for a narrow
       shape is wrapped to its width (Chinese reads well in a column), and one that still does
       not fit is hidden rather than written over the neighbours. */
    function fitLabels() {
      areasLayer.eachLayer(function (layer) {
        var tooltip = layer.getTooltip && layer.getTooltip();
        var node = tooltip && tooltip.getElement && tooltip.getElement();
        var label = node && node.firstChild;
        if (!label || !label.style) return;
        var bounds = layer.getBounds();
        var ne = map.latLngToContainerPoint(bounds.getNorthEast());
        var sw = map.latLngToContainerPoint(bounds.getSouthWest());
        var width = ne.x - sw.x, height = sw.y - ne.y;
        label.classList.remove("sanhua-map-label-wrapped");
        label.style.width = "";
        if (label.offsetWidth > width * 0.9) {
          label.classList.add("sanhua-map-label-wrapped");
          label.style.width = Math.max(1, Math.floor(width * 0.8)) + "px";
        }
        var fits = label.offsetWidth <= width * 0.95 && label.offsetHeight <= height * 0.9;
        node.classList.toggle("sanhua-map-label--hidden", !fits);
        tooltip.update();
      });
    }

    /* Larger areas over the heat (the streets of a district on the wall screen): a thick
       border and a big name each, so the map reads from across the room even where the
       grids are too small on screen for their own names. */
    var outlineLayer = L.geoJSON(null, {
      coordsToLatLng: coordsToLatLng, interactive: false,
      style: function () { return { color: wall ? "#ffffff" : "#212529", weight: wall ? 4 : 3, opacity: 0.95, fill: false }; },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(span((feature.properties || {}).name), {
          permanent: true, direction: "center", className: "sanhua-map-label sanhua-map-label--major"
        });
      }
    });

    function outlines(geojson) {
      outlineLayer.clearLayers();
      outlineLayer.addData(geojson).addTo(map);
      // The grids' own names give way where the larger names sit.
      areasLayer.eachLayer(function (layer) { if (layer.getTooltip()) layer.unbindTooltip(); });
      return controller;
    }

    function areas(geojson) {
      shortNames(geojson.features || []);
      areasLayer.clearLayers();
      areasLayer.addData(geojson);
      fitLabels();
      return controller;
    }

    function heat(rows, labels) {
      heatValues = {};
      heatMax = 1;
      (rows || []).forEach(function (row) {
        heatValues[row.id] = row;
        heatMax = Math.max(heatMax, row.open || 0);
      });
      areasLayer.setStyle(areaStyle);
      areasLayer.eachLayer(function (layer) {
        var id = layer.feature.id, row = heatValues[id];
        if (!row || !labels) return;
        // Built as nodes, not HTML: an area's name is shown as text whatever it contains.
        var box = document.createElement("div");
        [text(row.name), text(labels.open) + ": " + row.open,
         text(labels.overdue_open) + ": " + row.overdue].forEach(function (line) {
          var div = document.createElement("div");
          div.textContent = line;
          box.appendChild(div);
        });
        layer.bindPopup(box);
      });
      showLegend(labels || {});
      return controller;
    }

    function showLegend(labels) {
      // One box, refilled on each refresh (the wall's every minute): replacing it would leave
      // whoever reads the legend at that moment holding a detached element.
      if (!legend) {
        legend = L.control({ position: "topright" });
        legend.onAdd = function () { return L.DomUtil.create("div", "sanhua-map-legend"); };
        legend.addTo(map);
      }
      fillLegend(legend.getContainer(), labels);
    }

    function fillLegend(box, labels) {
      box.textContent = "";
      var title = L.DomUtil.create("div", "sanhua-map-legend-title", box);
      title.textContent = text(labels.open);
      var steps = HEAT.length - 1;
      HEAT.forEach(function (colour, index) {
        var row = L.DomUtil.create("div", "sanhua-map-legend-row", box);
        var swatch = L.DomUtil.create("span", "sanhua-map-legend-swatch", row);
        swatch.style.background = colour;
        var label = L.DomUtil.create("span", "", row);
        if (index === 0) { label.textContent = "0"; return; }
        // The whole numbers heatColour gives this colour: above (index − 1)/steps of the
        // maximum, up to index/steps of it; none when the maximum is small.
        var low = Math.floor((index - 1) * heatMax / steps) + 1;
        var high = Math.floor(index * heatMax / steps);
        label.textContent = high < low ? "–" : low === high ? String(low) : low + "–" + high;
      });
    }

    // Open cases as markers, [lng, lat, overdue] (the metrics API's points), clustered.
    function cases(points) {
      casesLayer.clearLayers();
      var markers = (points || []).map(function (p) {
        return L.marker(latLng(p[0], p[1]), {
          icon: L.divIcon({ className: "sanhua-case" + (p[2] ? " sanhua-case--overdue" : ""),
                            iconSize: wall ? [18, 18] : [12, 12] }),
          keyboard: false
        });
      });
      if (casesLayer.addLayers) casesLayer.addLayers(markers);
      else markers.forEach(function (m) { casesLayer.addLayer(m); });
      return controller;
    }

    function pin(lng, lat, exact, label) {
      var marker = L.marker(latLng(lng, lat), {
        icon: L.divIcon({ className: "sanhua-pin" + (exact === false ? " sanhua-pin--approx" : ""),
                          iconSize: [26, 26], iconAnchor: [13, 26] }),
        title: text(label), alt: text(label), pane: "sanhuaMarks"
      }).addTo(markLayer);
      if (label) marker.bindTooltip(span(label), { direction: "top", offset: [0, -24] });
      return controller;
    }

    var positionMarker = null, accuracyCircle = null;
    function position(lng, lat, accuracy) {
      var at = latLng(lng, lat);
      if (!positionMarker) {
        accuracyCircle = L.circle(at, { radius: accuracy || 0, color: "#0d6efd", weight: 1, fillOpacity: 0.12,
                                        pane: "sanhuaMarks", renderer: marksRenderer }).addTo(markLayer);
        positionMarker = L.circleMarker(at, { radius: 8, color: "#fff", weight: 3, fillColor: "#0d6efd", fillOpacity: 1,
                                              pane: "sanhuaMarks", renderer: marksRenderer,
                                              className: "sanhua-position" }).addTo(markLayer);
      } else {
        positionMarker.setLatLng(at);
        accuracyCircle.setLatLng(at).setRadius(accuracy || 0);
      }
      element.dataset.position = lng.toFixed(5) + "," + lat.toFixed(5);
      fit();
      return controller;
    }

    function highlight(id) {
      highlighted = id === "" || id === undefined ? null : id;
      areasLayer.setStyle(areaStyle);
      if (highlighted !== null) areasLayer.eachLayer(function (layer) {
        if (String(layer.feature.id) === String(highlighted)) layer.bringToFront();
      });
      return controller;
    }

    // The view: the highlighted area (or all areas) with the marks; at least a street's width.
    function fit() {
      var bounds = L.latLngBounds([]);
      areasLayer.eachLayer(function (layer) {
        if (highlighted === null || String(layer.feature.id) === String(highlighted)) bounds.extend(layer.getBounds());
      });
      markLayer.eachLayer(function (layer) { if (layer.getLatLng) bounds.extend(layer.getLatLng()); });
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: mode === "mini" ? [6, 6] : [16, 16], maxZoom: 17, animate: false });
      }
      fitLabels();
      return controller;
    }

    // Buildings (the offline basemap's houses), loaded once per area when first shown.
    function buildings(areaId) {
      if (conf.tiles || !conf.urls || !conf.urls.buildings || areaId === undefined || areaId === null) return controller;
      buildingAreas[areaId] = buildingAreas[areaId] || null;
      showBuildings();
      return controller;
    }

    // Buildings the page embedded (the field form, for offline use): drawn without a request.
    function buildingPoints(geojson) {
      if (conf.tiles) return controller;
      buildingAreas.embedded = Promise.resolve();
      drawBuildings(geojson);
      showBuildings();
      return controller;
    }

    function drawBuildings(data) {
      L.geoJSON(data, {
        coordsToLatLng: coordsToLatLng,
        pointToLayer: function (feature, at) {
          return L.circleMarker(at, { radius: wall ? 4 : 3.5, weight: 1, color: "#6c757d",
                                      fillColor: "#adb5bd", fillOpacity: 0.9, className: "sanhua-building" });
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          layer.bindTooltip(span(p.name || p.number));
        }
      }).addTo(buildingsLayer);
      element.dataset.buildings = String((element.dataset.buildings | 0) + data.features.length);
    }

    function showBuildings() {
      // A case's, a task's or the worker's map shows a grid or two: its buildings always. An
      // overview shows them once zoomed in to streets (zoom 15), not as a district's dust.
      var wanted = mode === "case" || mode === "field" || mode === "mini" || map.getZoom() >= 15;
      if (wanted && !buildingsShown) { buildingsLayer.addTo(map); buildingsShown = true; }
      if (!wanted && buildingsShown) { buildingsLayer.remove(); buildingsShown = false; }
      if (!wanted) return;
      Object.keys(buildingAreas).forEach(function (areaId) {
        if (buildingAreas[areaId]) return;
        buildingAreas[areaId] = getJSON(conf.urls.buildings.replace("/0/", "/" + areaId + "/")).then(drawBuildings)
          .catch(function () {});
      });
    }

    function roads() {
      if (conf.tiles || !conf.roads || !conf.urls || !conf.urls.roads) return;
      getJSON(conf.urls.roads).then(function (data) {
        var casing = { color: wall ? "#11161c" : "#9aa0a6", weight: 6, opacity: 0.9 };
        var line = { color: wall ? "#56606b" : "#ffffff", weight: 4, opacity: 1 };
        L.geoJSON(data, { coordsToLatLng: coordsToLatLng, style: casing, interactive: false }).addTo(roadsLayer);
        L.geoJSON(data, { coordsToLatLng: coordsToLatLng, style: line, interactive: false }).addTo(roadsLayer);
      }).catch(function () {});
    }

    map.on("zoomend", function () { fitLabels(); showBuildings(); });
    map.on("resize", fitLabels);
    roads();
    var controller = {
      map: map, element: element, areas: areas, outlines: outlines, heat: heat, cases: cases, pin: pin,
      position: position, highlight: highlight, fit: fit, buildings: buildings,
      buildingPoints: buildingPoints,
      layers: { areas: areasLayer, cases: casesLayer, buildings: buildingsLayer, roads: roadsLayer }
    };
    element.sanhuaMap = controller;
    return controller;
  }

  /* The data attributes (see the header) → a drawn map. */
  function fromAttributes(element) {
    var data = element.dataset, conf = basemap();
    var source = data.source ? document.getElementById(data.source) : null;
    var embedded = source ? JSON.parse(source.textContent) : {};
    var controller = create(element);
    var area = data.area || embedded.highlight;
    if (area !== undefined && area !== null && area !== "") controller.highlight(area);
    var point = embedded.point || (data.lng && data.lat ? [parseFloat(data.lng), parseFloat(data.lat)] : null);
    if (point) controller.pin(point[0], point[1], embedded.exact !== false, embedded.label || data.label);
    var areasUrl = data.areasUrl || (data.area && conf.urls && conf.urls.areas
      ? conf.urls.areas + "?within=" + encodeURIComponent(data.area) : null);
    var loaded = embedded.areas ? Promise.resolve(embedded.areas)
      : areasUrl ? getJSON(areasUrl).catch(function () { return null; }) : Promise.resolve(null);
    return loaded.then(function (geojson) {
      if (geojson) controller.areas(geojson);
      if (embedded.buildings) controller.buildingPoints(embedded.buildings);
      controller.fit();
      // A task card's small map shows the grid and the pin only: buildings would be clutter at
      // that size, and a department may not read them (the API answers 404).
      var buildingsArea = data.buildingsArea ||
        (data.mode !== "mini" && geojson && geojson.features.length ? area : null);
      if (buildingsArea) controller.buildings(buildingsArea);
      if (data.mode === "field") followTheForm(controller);
      element.dataset.ready = "1";
      return controller;
    });
  }

  /* The field report form: the worker's position as the form reads it (outbox.js announces it
     with a "sanhua:location" event), the grid the server found it in ("sanhua:grid") and the
     grid chosen in its select. */
  function followTheForm(controller) {
    document.addEventListener("sanhua:location", function (event) {
      var where = event.detail || {};
      if (typeof where.lng === "number") controller.position(where.lng, where.lat, where.accuracy);
    });
    // The grid the server found the position in (outbox.js sets the select without an event).
    document.addEventListener("sanhua:grid", function (event) {
      controller.highlight((event.detail || {}).id).fit();
    });
    // What the form announced before the map was drawn (a position kept from the last visit is
    // announced as the form starts, before this script has even run).
    var last = document.sanhuaLastLocation;
    if (last && typeof last.lng === "number") controller.position(last.lng, last.lat, last.accuracy);
    var select = document.getElementById("report-grid");
    if (select) {
      var show = function () { controller.highlight(select.value || null).fit(); };
      select.addEventListener("change", show);
      if (select.value) show();
    }
  }

  function drawAll() {
    if (!window.L) return;
    document.querySelectorAll("[data-sanhua-map]").forEach(function (element) {
      if (!element.sanhuaMap) fromAttributes(element);
    });
  }

  window.SanhuaMap = { create: create, draw: fromAttributes, drawAll: drawAll,
                       wgs84ToGcj02: wgs84ToGcj02, heatColour: heatColour };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
