/* Community services in the field app's outbox: a visit or a service request gets its client id
   (crypto.randomUUID()) when it is submitted and lives in the same IndexedDB store as the case
   reports (sanhua-field / outbox, idb-keyval) with `kind` "visit" or "service_request", its
   photos compressed to Blobs. Pending items are uploaded to their API (the form's data-api) on
   page load, when the network returns, every minute while some wait, and right after submit.
   The server records a client id once, so a retry after a lost answer never makes a second.

   States: pending → sent, or refused (the server's reasons are kept and shown; the worker
   records it again). Items are kept per signed-in user, like the case reports. */
(function () {
  "use strict";

  var F = window.SanhuaField;
  if (!F || !window.idbKeyval) return;
  var t = function (key, values) {
    var strings = {};
    var node = document.getElementById("queue-strings");
    if (node) strings = JSON.parse(node.textContent);
    var text = strings[key] || F.t(key, values);
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text;
  };
  var db = window.idbKeyval;
  var store = db.createStore("sanhua-field", "outbox");
  var KINDS = ["visit", "service_request"];
  var RETRY_MS = 60000;
  var SENT_KEPT_MS = 7 * 24 * 3600 * 1000;
  var app = document.querySelector("[data-outbox-user]");
  if (!app) return;
  var USER = app.dataset.outboxUser;
  var syncing = null;

  function mine() {
    return db.values(store).then(function (rows) {
      return rows.filter(function (row) { return row && row.user === USER && KINDS.indexOf(row.kind) !== -1; });
    });
  }

  function put(item) {
    item.updated_at = Date.now();
    return db.set(item.client_id, item, store);
  }

  function compressAll(input) {
    var files = Array.prototype.slice.call((input && input.files) || []);
    return Promise.all(files.map(function (file) {
      return F.compressImage(file).then(function (result) { return result.blob; }, function () { return file; });
    }));
  }

  function capture(form) {
    var data = new FormData(form);
    var fields = {};
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "photos" || typeof value !== "string") return;
      if (value !== "") fields[name] = value;
    });
    var kind = form.dataset.outboxKind;
    // A visit happened when it was recorded on the phone, not when the network came back.
    if (kind === "visit") fields.visited_at = new Date().toISOString();
    return compressAll(form.querySelector("input[type=file]")).then(function (blobs) {
      return {
        client_id: crypto.randomUUID(),
        user: USER,
        kind: kind,
        api: form.dataset.api,
        done_url: form.dataset.doneUrl || "",
        label: form.dataset.label || "",
        state: "pending",
        created_at: Date.now(),
        fields: fields,
        photos: blobs,
        errors: {},
        result: null,
      };
    });
  }

  function body(item) {
    var data = new FormData();
    data.append("client_id", item.client_id);
    Object.keys(item.fields).forEach(function (name) {
      var value = item.fields[name];
      // A datetime-local input has no zone: the phone's own is the resident's (Asia/Shanghai).
      if (name === "appointment_at" || name === "visited_at") value = new Date(value).toISOString();
      data.append(name, value);
    });
    item.photos.forEach(function (blob, i) { data.append("photos", blob, "photo-" + (i + 1) + ".jpg"); });
    return data;
  }

  function upload(item) {
    return fetch(item.api, {
      method: "POST",
      body: body(item),
      credentials: "same-origin",
      headers: { "X-CSRFToken": F.csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return settle(item, response.status, answer);
      });
    }, function () { return false; });
  }

  // Resolves true to go on with the next item, false to stop (no network, no session).
  function settle(item, status, answer) {
    if (status === 200 || status === 201) {
      item.state = "sent";
      item.sent_at = Date.now();
      item.result = { id: answer.id, number: answer.number || "" };
      item.photos = [];
      item.errors = {};
      return put(item).then(function () { return true; });
    }
    var csrf = status === 403 && String(answer.detail || "").indexOf("CSRF") === 0;
    if (status === 401 || csrf) {
      item.message = t("login_again");
      return put(item).then(function () { return false; });
    }
    if (status === 400 || status === 403 || status === 404 || status === 409) {
      item.state = "refused";
      item.errors = answer;
      item.message = status === 409 ? t("conflict") : t("fix_errors");
      return put(item).then(function () { return true; });
    }
    return put(item).then(function () { return false; });
  }

  function sync() {
    if (syncing) return syncing;
    syncing = mine().then(function (rows) {
      var pending = rows.filter(function (r) { return r.state === "pending"; })
        .sort(function (a, b) { return a.created_at - b.created_at; });
      if (!pending.length || !navigator.onLine) return;
      return pending.reduce(function (chain, item) {
        return chain.then(function (goOn) { return goOn === false ? false : upload(item); });
      }, Promise.resolve(true));
    }).catch(function () {}).then(function () {
      syncing = null;
      return render();
    });
    return syncing;
  }

  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function messages(errors) {
    return Object.keys(errors || {}).map(function (name) {
      return [].concat(errors[name]).join(" ");
    }).join(" ");
  }

  function render() {
    var list = document.getElementById("queue-list");
    var count = document.getElementById("queue-count");
    return mine().then(function (rows) {
      var waiting = rows.filter(function (r) { return r.state === "pending"; }).length;
      if (count) { count.textContent = waiting ? t("waiting", { n: waiting }) : ""; count.hidden = !waiting; }
      if (!list) return;
      var shown = rows.filter(function (r) { return r.state !== "sent" || Date.now() - r.sent_at < 3600 * 1000; })
        .sort(function (a, b) { return b.updated_at - a.updated_at; });
      var badge = { pending: "warning", sent: "success", refused: "danger" };
      list.hidden = !shown.length;
      list.innerHTML = shown.map(function (r) {
        return '<li class="list-group-item small" data-client-id="' + r.client_id + '" data-state="' + r.state + '">' +
          '<span class="badge text-bg-' + badge[r.state] + ' me-1">' + escape(t(r.state === "refused" ? "fix_errors" : r.state === "sent" ? "sent" : "saved_pending")) + "</span>" +
          escape(r.label) + (r.result && r.result.number ? " · " + escape(r.result.number) : "") +
          (r.state === "refused" ? '<div class="text-danger">' + escape(r.message + " " + messages(r.errors)) + "</div>" : "") +
          "</li>";
      }).join("");
    });
  }

  function prune() {
    return mine().then(function (rows) {
      return Promise.all(rows.filter(function (r) {
        return (r.state === "sent" && Date.now() - r.sent_at > SENT_KEPT_MS);
      }).map(function (r) { return db.del(r.client_id, store); }));
    });
  }

  function showErrors(form, errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (box) {
      var list = [].concat(errors[box.dataset.errorFor] || []);
      if (box.dataset.errorFor === "non_field_errors" && errors.detail) list.push(errors.detail);
      box.textContent = list.join(" ");
      box.hidden = !list.length;
    });
  }

  document.querySelectorAll("form[data-outbox-kind]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy === "1") return;
      var findings = form.querySelector("[name=findings]");
      if (findings && !findings.value.trim()) {
        showErrors(form, { findings: [form.dataset.findingsRequired || ""] });
        return;
      }
      form.dataset.busy = "1";
      capture(form).then(function (item) {
        return put(item).then(function () { return sync(); }).then(function () {
          return db.get(item.client_id, store);
        });
      }).then(function (item) {
        form.dataset.busy = "";
        var flash = document.getElementById("queue-flash");
        if (item && item.state === "sent" && item.done_url) {
          window.location.href = item.done_url.replace("/0/", "/" + item.result.id + "/");
          return;
        }
        if (item && item.state === "refused") {
          // Nothing was recorded: the form keeps what was typed, the reasons beside it.
          showErrors(form, item.errors);
          db.del(item.client_id, store).then(render);
          return;
        }
        form.reset();
        if (flash) { flash.textContent = t("saved_pending"); flash.hidden = false; }
      });
    });
  });

  // The check-in point of a visit: the phone's GPS, sent with the visit.
  var lng = document.querySelector("form[data-outbox-kind=visit] [name=lng]");
  if (lng && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (position) {
      lng.value = position.coords.longitude.toFixed(6);
      document.querySelector("form[data-outbox-kind=visit] [name=lat]").value = position.coords.latitude.toFixed(6);
      var status = document.getElementById("visit-location");
      if (status) status.textContent = status.dataset.found;
    }, function () {}, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  var casesPending = F.pendingCount;
  F.pendingCount = function () {
    var theirs = casesPending ? casesPending() : Promise.resolve(0);
    return Promise.all([theirs, mine()]).then(function (results) {
      return results[0] + results[1].filter(function (r) { return r.state === "pending"; }).length;
    });
  };

  window.addEventListener("online", sync);
  setInterval(function () { if (navigator.onLine) sync(); }, RETRY_MS);
  prune().then(sync);
})();
