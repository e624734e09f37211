/* The report screen's outbox (上报发件箱), after the ODK/CommCare model: a report gets its client
   id (crypto.randomUUID()) when it starts and lives in IndexedDB (idb-keyval) from then on, with
   its photos as Blobs, never only in the page's memory. Submitting marks it "pending"; the
   outbox uploads pending reports to POST /api/cases/ on page load, when the network returns,
   every minute while some wait, and on the 同步 button. The server files a client id once, so
   an upload retried after a lost answer gets the first case back, never a second one.

   States: draft (editable, also after the server refused it) → pending → sent.
   Reports are kept per signed-in user: another user on the same phone neither sees nor sends
   them. */
(function () {
  "use strict";

  var F = window.SanhuaField;
  var t = F.t;
  var app = document.getElementById("report-app");
  if (!app || !window.idbKeyval) return;

  var db = window.idbKeyval;
  var store = db.createStore("sanhua-field", "outbox");
  var form = document.getElementById("report-form");
  var USER = app.dataset.user;
  var MAX_PHOTOS = parseInt(app.dataset.maxPhotos, 10) || 9;
  var SENT_KEPT_MS = 7 * 24 * 3600 * 1000;
  var RETRY_MS = 60000;
  var LAST_SYNC_KEY = "sanhua-last-sync-" + USER;
  var dateFormat = { format: F.formatDate };  // "12月5日 14:03" (field.js)

  var el = function (id) { return document.getElementById(id); };
  var fields = {
    title: el("report-title"),
    description: el("report-description"),
    address: el("report-address"),
    grid: el("report-grid"),
    building: el("report-building"),
    household: el("report-household"),
    person: el("report-person"),
  };

  var current = null;     // the report on the form
  var photoUrls = [];     // object URLs of its thumbnails
  var categories = [];    // from /api/categories/
  var syncing = null;     // the running sync, if any
  var saveTimer = null;
  var gridWaits = false;  // the grid is to be found from the location once the network is back
  var PHOTO_NOTE = el("photo-note").textContent;  // the form's own hint, shown again on a new report

  // Storage

  function all() {
    return db.values(store).then(function (rows) {
      // The store also holds community services' visits and requests (static/community/queue.js,
      // with a `kind`): they go to their own API, uploaded by that script.
      return rows.filter(function (row) { return row && row.user === USER && (!row.kind || row.kind === "case"); });
    });
  }

  function put(report) {
    report.updated_at = Date.now();
    return db.set(report.client_id, report, store);
  }

  function hasContent(report) {
    var f = report.fields;
    return Boolean(f.title || f.description || f.category || report.photos.length);
  }

  function newReport() {
    return {
      client_id: crypto.randomUUID(),
      user: USER,
      state: "draft",
      created_at: Date.now(),
      updated_at: Date.now(),
      fields: {
        category: "", category_label: "", title: "", description: "", urgency: "normal",
        address: "", grid: "", building: "", household: "", household_label: "",
        person: "", person_label: "",
      },
      location: null,
      photos: [],
      errors: {},
      message: "",
      "case": null,
    };
  }

  // Saved as the user types, so a reload, a crash or a flat battery loses nothing.
  function persistSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(persistNow, 300);
  }

  function persistNow() {
    clearTimeout(saveTimer);
    collect();
    if (!hasContent(current)) return Promise.resolve();
    return put(current).then(refresh);
  }

  // The form

  function collect() {
    var f = current.fields;
    f.title = fields.title.value.trim();
    f.description = fields.description.value.trim();
    f.address = fields.address.value.trim();
    f.grid = fields.grid.value;
    f.building = fields.building.value;
    f.household = fields.household.value;
    f.household_label = selectedLabel(fields.household);
    f.person = fields.person.value;
    f.person_label = selectedLabel(fields.person);
    var urgency = form.querySelector("input[name=urgency]:checked");
    f.urgency = urgency ? urgency.value : "normal";
  }

  function selectedLabel(select) {
    var option = select.options[select.selectedIndex];
    return option && option.value ? option.textContent : "";
  }

  function show(report) {
    current = report;
    var f = report.fields;
    fields.title.value = f.title;
    fields.description.value = f.description;
    fields.address.value = f.address;
    // A new report keeps the grid the form shows (the user's only grid, or the last one found).
    if (f.grid || hasContent(report)) fields.grid.value = f.grid;
    fields.building.value = f.building;
    setSingleOption(fields.household, f.household, f.household_label);
    setSingleOption(fields.person, f.person, f.person_label);
    var urgency = form.querySelector("input[name=urgency][value='" + f.urgency + "']");
    if (urgency) urgency.checked = true;
    chooseCategory(f.category, f.category_label, true);
    renderPhotos();
    showErrors(report.errors || {}, report.message);
    showLocation();
    clearLeftovers(report);
  }

  // What the last report left on the form that is not part of the report: its category search
  // and the list it narrowed, the note about its photos.
  function clearLeftovers(report) {
    var search = el("category-search");
    if (search.value) { search.value = ""; if (categories.length) renderCategories(); }
    el("category-list").scrollTop = 0;
    if (!report.photos.length) { el("photo-note").textContent = PHOTO_NOTE; return; }
    var bytes = report.photos.reduce(function (sum, p) { return sum + p.blob.size; }, 0);
    el("photo-note").textContent = t("compressed", { n: report.photos.length, size: Math.round(bytes / 1024) });
  }

  function setSingleOption(select, value, label) {
    while (select.options.length > 1) select.remove(1);
    if (value) select.add(new Option(label || value, value, true, true));
    select.value = value || "";
  }

  function showErrors(errors, message) {
    form.querySelectorAll("[data-error-for]").forEach(function (box) {
      var list = errors[box.dataset.errorFor] || [];
      if (box.dataset.errorFor === "non_field_errors") {
        list = list.concat(errors.detail ? [errors.detail] : []).concat(errors.client_id || []);
        if (message && list.length === 0 && Object.keys(errors).length) list = [message];
        box.hidden = list.length === 0;
      }
      box.textContent = [].concat(list).join(" ");
    });
  }

  function flash(text) {
    var box = el("report-flash");
    box.textContent = text;
    box.hidden = !text;
  }

  // Categories: the whole table is small; searching it here works offline too.

  function loadCategories() {
    var list = el("category-list");
    list.innerHTML = '<div class="list-group-item small text-secondary">' + escape(t("loading")) + "</div>";
    return fetch(app.dataset.categories, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (rows) {
        categories = rows.results || rows;
        renderCategories();
        if (current.fields.category) chooseCategory(current.fields.category, labelOf(current.fields.category), true);
      })
      .catch(function () {
        list.innerHTML = '<div class="list-group-item small text-danger">' + escape(t("categories_failed")) + "</div>";
      });
  }

  function labelOf(code) {
    var found = categories.filter(function (c) { return c.code === code; })[0];
    return found ? found.label : current.fields.category_label;
  }

  function renderCategories() {
    var query = el("category-search").value.trim().toLowerCase();
    var mains = {};
    categories.forEach(function (c) { if (c.is_main) mains[c.code] = c; });
    var html = [];
    var group = null;
    categories.filter(function (c) { return !c.is_main && c.is_active !== false; }).forEach(function (c) {
      var main = mains[c.parent_code] || { label: "", name: "", name_en: "" };
      var haystack = [c.code, c.label, c.name, c.name_en, main.label, main.name, main.name_en].join(" ").toLowerCase();
      if (query && haystack.indexOf(query) === -1) return;
      if (group !== c.parent_code) {
        group = c.parent_code;
        html.push('<div class="list-group-item group py-1">' + escape(main.label) + "</div>");
      }
      html.push('<button type="button" class="list-group-item list-group-item-action" role="option" data-code="' +
        escape(c.code) + '" data-label="' + escape(c.label) + '">' + escape(c.label) +
        ' <small class="text-secondary">' + escape(c.code) + "</small></button>");
    });
    el("category-list").innerHTML = html.length ? html.join("") :
      '<div class="list-group-item small text-secondary">' + escape(t("no_category_match")) + "</div>";
  }

  function chooseCategory(code, label, quiet) {
    current.fields.category = code || "";
    current.fields.category_label = code ? label : "";
    el("category-chosen").hidden = !code;
    el("category-picker").hidden = Boolean(code);
    el("category-label").textContent = code ? label : "";
    if (!quiet) persistNow();
  }

  // Photos

  function addPhotos(input) {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    var room = MAX_PHOTOS - current.photos.length;
    if (files.length > room) {
      showErrors({ photos: [t("too_many_photos", { n: MAX_PHOTOS })] });
      files = files.slice(0, Math.max(room, 0));
    }
    if (!files.length) return Promise.resolve();
    el("photo-note").textContent = t("compressing");
    var report = current;
    return files.reduce(function (chain, file) {
      return chain.then(function () {
        return F.compressImage(file).then(function (result) {
          report.photos.push({ blob: result.blob, name: "photo-" + (report.photos.length + 1) + ".jpg" });
        }, function () {
          showErrors({ photos: [t("not_a_photo")] });
        });
      });
    }, Promise.resolve()).then(function () {
      var bytes = report.photos.reduce(function (sum, p) { return sum + p.blob.size; }, 0);
      el("photo-note").textContent = t("compressed", { n: report.photos.length, size: Math.round(bytes / 1024) });
      if (report === current) renderPhotos();
      return put(report).then(refresh);
    });
  }

  function renderPhotos() {
    photoUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    photoUrls = current.photos.map(function (p) { return URL.createObjectURL(p.blob); });
    el("photo-grid").innerHTML = photoUrls.map(function (url, i) {
      return '<figure><img src="' + url + '" alt=""><button type="button" class="btn btn-sm btn-light" data-remove-photo="' +
        i + '" aria-label="' + escape(t("remove_photo")) + '">×</button></figure>';
    }).join("");
  }

  // Location: the browser's GPS; the grid comes from the server's point-in-polygon lookup.

  function locate() {
    var report = current;
    if (!navigator.geolocation) {
      setText("location-status", t("no_geolocation"));
      return;
    }
    setText("location-status", t("locating"));
    navigator.geolocation.getCurrentPosition(function (position) {
      report.location = {
        lng: position.coords.longitude,
        lat: position.coords.latitude,
        accuracy: Math.round(position.coords.accuracy || 0),
        at: Date.now(),
      };
      if (report !== current) return;
      showLocation();
      findGrid(report);
      if (hasContent(report)) put(report).then(refresh);
    }, function (error) {
      if (report === current && !report.location) {
        setText("location-status", F.locationMessage(error));
      }
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function showLocation() {
    var where = current.location;
    // The form's small map (static/maps/sanhua-map.js) follows the position it shows.
    if (where) {
      document.sanhuaLastLocation = where;  // for a map drawn after this moment
      document.dispatchEvent(new CustomEvent("sanhua:location", { detail: where }));
    }
    setText("location-status", where
      ? t("located", { n: where.accuracy }) + " · " + where.lat.toFixed(5) + ", " + where.lng.toFixed(5)
      : t("locating"));
    setText("grid-status", "");
    gridWaits = false;
  }

  function findGrid(report) {
    var where = report.location;
    gridWaits = !navigator.onLine;
    if (gridWaits) { setText("grid-status", t("grid_later")); return; }
    var url = app.dataset.locate + "?lng=" + where.lng.toFixed(6) + "&lat=" + where.lat.toFixed(6);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) { setText("grid-status", t("grid_outside")); return; }
        if (!response.ok) throw new Error(response.status);
        return response.json().then(function (grid) {
          if (report !== current) return;
          var option = fields.grid.querySelector("option[value='" + grid.id + "']");
          if (option) { fields.grid.value = String(grid.id); report.fields.grid = String(grid.id); }
          setText("grid-status", t("grid_found", { name: grid.name }));
          document.dispatchEvent(new CustomEvent("sanhua:grid", { detail: { id: grid.id } }));
        });
      })
      .catch(function () { gridWaits = true; setText("grid-status", t("grid_later")); });
  }

  // Back online: the line that said the grid waits for the network is answered now (or
  // cleared, when there is no location to look up), instead of saying "offline" all along.
  function connectionBack() {
    if (!gridWaits) return;
    gridWaits = false;
    if (current.location) findGrid(current);
    else setText("grid-status", "");
  }

  // Registry links: households and people of the chosen building come from the registry API.

  function loadOptions(select, url, label) {
    var keep = select.value;
    if (!navigator.onLine) { select.title = t("needs_network"); return Promise.resolve(); }
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        while (select.options.length > 1) select.remove(1);
        (data.results || []).forEach(function (row) {
          select.add(new Option(label(row), row.id, false, String(row.id) === keep));
        });
        select.value = keep && select.querySelector("option[value='" + keep + "']") ? keep : "";
      })
      .catch(function () { select.title = t("needs_network"); });
  }

  function loadHouseholds() {
    var building = fields.building.value;
    if (!building) { setSingleOption(fields.household, "", ""); return Promise.resolve(); }
    return loadOptions(fields.household, app.dataset.households + "?building=" + building + "&page_size=200",
      function (h) { return h.number + (h.head && h.head.name ? " · " + h.head.name : ""); });
  }

  function loadPersons() {
    var household = fields.household.value;
    var building = fields.building.value;
    var query = household ? "?household=" + household : building ? "?building=" + building : "";
    if (!query) { setSingleOption(fields.person, "", ""); return Promise.resolve(); }
    return loadOptions(fields.person, app.dataset.persons + query + "&page_size=200",
      function (p) { return p.name + (p.relation_to_head_label ? " · " + p.relation_to_head_label : ""); });
  }

  // Upload

  function sync() {
    if (syncing) return syncing;
    syncing = all().then(function (rows) {
      var pending = rows.filter(function (r) { return r.state === "pending"; })
        .sort(function (a, b) { return (a.submitted_at || 0) - (b.submitted_at || 0); });
      if (!pending.length) return;
      if (!navigator.onLine) { setText("sync-status", t("sync_offline")); return; }
      setText("sync-status", t("sync_running"));
      return pending.reduce(function (chain, report) {
        return chain.then(function (goOn) { return goOn === false ? false : upload(report); });
      }, Promise.resolve(true));
    }).catch(function () {}).then(function () {
      syncing = null;
      return refresh();
    });
    return syncing;
  }

  function formData(report) {
    var f = report.fields;
    var body = new FormData();
    body.append("client_id", report.client_id);
    body.append("category", f.category);
    body.append("title", f.title);
    body.append("description", f.description);
    body.append("urgency", f.urgency);
    body.append("address", f.address);
    if (f.grid) body.append("grid", f.grid);
    if (report.location) {
      body.append("lng", report.location.lng.toFixed(6));
      body.append("lat", report.location.lat.toFixed(6));
    }
    if (f.building) body.append("buildings", f.building);
    if (f.household) body.append("households", f.household);
    if (f.person) body.append("persons", f.person);
    report.photos.forEach(function (photo, i) {
      body.append("photos", photo.blob, photo.name || "photo-" + (i + 1) + ".jpg");
    });
    return body;
  }

  // Resolves true to go on with the next pending report, false to stop (no network, no session).
  function upload(report) {
    var request = fetch(app.dataset.api, {
      method: "POST",
      body: formData(report),
      credentials: "same-origin",
      // Read at send time: a token frozen when the report was queued may be stale by now.
      headers: { "X-CSRFToken": F.csrfToken(), Accept: "application/json" },
    });
    return request.then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return answer(report, response.status, body);
      });
    }, function () {
      setText("sync-status", t("sync_offline"));
      return false;
    });
  }

  /* The API's error body (docs/api.md): {detail, code, errors: {"field": [...], "photos.0": [...]}};
     a nested field's messages go beside its top field, a body with none beside the form. */
  function fieldErrors(body) {
    var errors = {};
    Object.keys(body.errors || {}).forEach(function (path) {
      var field = path.split(".")[0];
      errors[field] = (errors[field] || []).concat(body.errors[path]);
    });
    if (!Object.keys(errors).length) errors.non_field_errors = [body.detail || ""];
    return errors;
  }

  function answer(report, status, body) {
    if (status === 200 || status === 201) {
      report.state = "sent";
      report.sent_at = Date.now();
      report["case"] = { id: body.id, number: body.number };
      report.photos = [];  // on the server now; the phone's storage is small
      report.errors = {};
      report.message = "";
      localStorage.setItem(LAST_SYNC_KEY, String(Date.now()));
      return put(report).then(function () { return true; });
    }
    var csrf = status === 403 && String(body.detail || "").indexOf("CSRF") === 0;
    if (status === 401 || csrf) {
      report.message = t("login_again");
      setText("sync-status", t("login_again"));
      return put(report).then(function () { return false; });
    }
    if (status === 400 || status === 403) {
      // The server refused the report itself: back to a draft, with the reasons beside its fields.
      report.state = "draft";
      report.errors = status === 403 ? { non_field_errors: [body.detail || ""] } : fieldErrors(body);
      report.message = t("fix_errors");
      return put(report).then(function () { return true; });
    }
    report.message = t("server_busy");
    setText("sync-status", t("server_busy"));
    return put(report).then(function () { return false; });
  }

  // Counts and the outbox list

  function refresh() {
    return all().then(function (rows) {
      var counts = { draft: 0, pending: 0, sent: 0 };
      rows.forEach(function (r) { if (r.state !== "draft" || hasContent(r)) counts[r.state] += 1; });
      el("outbox-draft").textContent = counts.draft;
      el("outbox-pending").textContent = counts.pending;
      el("outbox-sent").textContent = counts.sent;
      var last = localStorage.getItem(LAST_SYNC_KEY);
      if (!syncing && last) setText("sync-status", t("sync_done", { name: dateFormat.format(new Date(+last)) }));
      renderList(rows.filter(function (r) { return r.state !== "draft" || hasContent(r); }));
    });
  }

  function renderList(rows) {
    rows.sort(function (a, b) { return b.updated_at - a.updated_at; });
    var badge = { draft: "secondary", pending: "warning", sent: "success" };
    el("outbox-list").innerHTML = rows.length ? rows.map(function (r) {
      var link = r["case"] ? ' · <a href="' + app.dataset.taskUrl.replace("/0/", "/" + r["case"].id + "/") + '">' +
        escape(r["case"].number) + "</a>" : "";
      var editing = current && r.client_id === current.client_id;
      var buttons = r.state === "draft" && !editing ?
        '<button type="button" class="btn btn-sm btn-outline-primary" data-edit="' + r.client_id + '">' + escape(t("edit")) + "</button>" : "";
      if (r.state === "draft") {
        buttons += ' <button type="button" class="btn btn-sm btn-outline-danger" data-delete="' + r.client_id + '">' + escape(t("delete")) + "</button>";
      }
      return '<li class="list-group-item" data-client-id="' + r.client_id + '" data-state="' + r.state + '">' +
        '<div class="d-flex justify-content-between gap-2"><strong>' + escape(r.fields.title || t("untitled")) + "</strong>" +
        '<span class="badge text-bg-' + badge[r.state] + ' align-self-start">' + escape(t("state_" + r.state)) + "</span></div>" +
        '<div class="small text-secondary">' + escape(r.fields.category_label || "") + " · " +
        escape(dateFormat.format(new Date(r.updated_at))) + link + "</div>" +
        (r.message && r.state !== "sent" ? '<div class="small text-danger">' + escape(r.message) + "</div>" : "") +
        (buttons ? '<div class="mt-1 d-flex gap-2">' + buttons + "</div>" : "") + "</li>";
    }).join("") : '<li class="list-group-item small text-secondary">' + escape(t("outbox_empty")) + "</li>";
  }

  function prune() {
    return all().then(function (rows) {
      var old = rows.filter(function (r) { return r.state === "sent" && Date.now() - r.sent_at > SENT_KEPT_MS; });
      return Promise.all(old.map(function (r) { return db.del(r.client_id, store); }));
    });
  }

  // A report opened again keeps the place it was made at; a new one asks the GPS afresh.
  function start(report, fresh) {
    show(report);
    refresh();
    if (fresh || !report.location) locate();
  }

  function validate(report) {
    var errors = {};
    if (!report.fields.category) errors.category = [t("choose_category")];
    if (!report.fields.title) errors.title = [t("give_title")];
    if (!report.location && !report.fields.grid) errors.grid = [t("give_location")];
    return errors;
  }

  // Events

  form.addEventListener("input", function (event) {
    if (event.target.id === "category-search") { renderCategories(); return; }
    persistSoon();
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "photo-camera" || target.id === "photo-album") { addPhotos(target); return; }
    if (target === fields.building) {
      setSingleOption(fields.household, "", "");
      setSingleOption(fields.person, "", "");
      loadHouseholds().then(loadPersons).then(persistNow);
      return;
    }
    if (target === fields.household) {
      setSingleOption(fields.person, "", "");
      loadPersons().then(persistNow);
      return;
    }
    persistSoon();
  });
  form.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.dataset.code) { chooseCategory(target.dataset.code, target.dataset.label); showErrors({}); }
    if (target.id === "category-change") {
      el("category-picker").hidden = false;
      el("category-search").focus();
    }
    if (target.dataset.removePhoto !== undefined) {
      current.photos.splice(parseInt(target.dataset.removePhoto, 10), 1);
      renderPhotos();
      persistNow();
    }
    if (target.id === "locate-again") locate();
    if (target.id === "new-report") {
      persistNow().then(function () { flash(""); start(newReport(), true); });
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    collect();
    var errors = validate(current);
    showErrors(errors);
    if (Object.keys(errors).length) return;
    current.state = "pending";
    current.submitted_at = Date.now();
    current.errors = {};
    current.message = "";
    put(current).then(function () {
      var location = current.location;
      var next = newReport();
      next.location = location;  // until the GPS answers again: most likely the same spot
      start(next, true);
      flash(t("saved_pending"));
      return sync();
    });
  });
  el("outbox-list").addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.dataset.edit) {
      persistNow().then(function () { return db.get(target.dataset.edit, store); }).then(function (report) {
        if (report) { flash(""); start(report); window.scrollTo(0, 0); }
      });
    }
    if (target.dataset["delete"] && window.confirm(t("confirm_delete"))) {
      var id = target.dataset["delete"];
      db.del(id, store).then(function () {
        if (current.client_id === id) start(newReport(), true);
        else refresh();
      });
    }
  });
  el("sync-button").addEventListener("click", sync);
  window.addEventListener("online", function () {
    if (current.location && !current.fields.grid) findGrid(current);
    else connectionBack();
    sync();
  });
  setInterval(function () { if (navigator.onLine) sync(); }, RETRY_MS);

  F.pendingCount = function () {
    return all().then(function (rows) {
      return rows.filter(function (r) { return r.state === "pending"; }).length;
    });
  };

  function setText(id, text) { el(id).textContent = text; }

  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Start: the latest unfinished draft comes back (unless a visit page asked for a new report
  // about a building, household or person), then whatever waits is uploaded.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  prune().then(all).then(function (rows) {
    var drafts = rows.filter(function (r) { return r.state === "draft" && hasContent(r); })
      .sort(function (a, b) { return b.updated_at - a.updated_at; });
    var report = newReport();
    if (app.dataset.preset) {
      collectPreset(report);
    } else if (drafts.length) {
      report = drafts[0];
    }
    start(report, !drafts.length || Boolean(app.dataset.preset));
    loadCategories();
    if (fields.building.value && navigator.onLine) loadHouseholds().then(loadPersons);
    sync();
  });

  function collectPreset(report) {
    report.fields.building = fields.building.value;
    report.fields.household = fields.household.value;
    report.fields.household_label = selectedLabel(fields.household);
    report.fields.person = fields.person.value;
    report.fields.person_label = selectedLabel(fields.person);
    report.fields.grid = fields.grid.value;
  }
})();
