/* The field app's shared script: registers the service worker, shows whether the phone is
   online, keeps the unread badge current, compresses photos in forms before they are sent,
   forgets the cached pages on logout, writes dates the Chinese way, names a failed location in
   words, and marks an offline copy of 我的任务. Exposes window.SanhuaField for outbox.js. */
(function () {
  "use strict";

  var body = document.body;
  var strings = JSON.parse(document.getElementById("field-strings").textContent);
  var MAX_SIDE = 1600;
  var QUALITY = 0.8;

  function t(key, values) {
    var text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function csrfToken() {
    var name = body.dataset.csrfCookie || "csrftoken";
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].trim();
      if (pair.indexOf(name + "=") === 0) return decodeURIComponent(pair.slice(name.length + 1));
    }
    return "";
  }

  // Photos: decoded, turned upright (EXIF orientation), scaled to at most 1600 px on the long
  // side and re-encoded as JPEG at quality 0.8 by a canvas. Re-encoding also drops the EXIF
  // block, and with it the phone's own GPS tag and serial numbers.
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImage(file);
      });
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error(t("not_a_photo"))); };
      image.src = url;
    });
  }

  function compressImage(file) {
    return decode(file).then(function (source) {
      var width = source.width, height = source.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // transparent PNGs become white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      if (source.close) source.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve({ blob: blob, width: canvas.width, height: canvas.height });
          else reject(new Error(t("not_a_photo")));
        }, "image/jpeg", QUALITY);
      });
    });
  }

  // Forms of the task pages: a chosen photo is replaced by its compressed copy before the form
  // can be sent; the submit buttons wait until that is done.
  function compressInput(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var form = input.form;
    var note = input.parentNode.querySelector(".js-compress-note");
    if (!files.length || !window.DataTransfer) return;
    setBusy(form, true);
    if (note) note.textContent = t("compressing");
    Promise.all(files.map(function (file) {
      return compressImage(file).then(function (result) {
        var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
        return new File([result.blob], name, { type: "image/jpeg" });
      }, function () { return file; });  // the server says why it refuses what is not a photo
    })).then(function (compressed) {
      var transfer = new DataTransfer();
      var bytes = 0;
      compressed.forEach(function (file) { transfer.items.add(file); bytes += file.size; });
      input.files = transfer.files;
      if (note) note.textContent = t("compressed", { n: compressed.length, size: Math.round(bytes / 1024) });
    }).finally(function () { setBusy(form, false); });
  }

  function setBusy(form, busy) {
    if (!form) return;
    form.dataset.busy = busy ? "1" : "";
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = busy;
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-compress]") && !input.closest("[data-outbox]")) {
      compressInput(input);
    }
  });

  // A form is sent once: a second tap on a slow network does not post the step again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.busy === "1") { event.preventDefault(); return; }
    if (form.hasAttribute("data-logout")) { event.preventDefault(); logout(form); return; }
    if (form.method && form.method.toLowerCase() === "post" && !form.hasAttribute("data-outbox")) {
      setTimeout(function () { setBusy(form, true); }, 0);
    }
  });

  // Online / offline
  var connection = document.getElementById("connection");
  function showConnection() {
    if (!connection) return;
    var online = navigator.onLine;
    connection.dataset.state = online ? "online" : "offline";
    connection.textContent = online ? t("online") : t("offline");
  }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  showConnection();

  // Unread badge
  function refreshUnread() {
    var url = body.dataset.unreadUrl;
    if (!url || !navigator.onLine || document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.querySelectorAll(".js-unread").forEach(function (badge) {
          badge.textContent = data.unread;
          badge.hidden = !data.unread;
        });
      })
      .catch(function () {});
  }
  window.addEventListener("online", refreshUnread);
  document.addEventListener("visibilitychange", refreshUnread);
  setInterval(refreshUnread, 60000);

  // Logout: the pages this user's session showed leave the offline cache with them.
  function forgetPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("sanhua-field-") === 0; })
        .map(function (name) {
          return caches.open(name).then(function (cache) {
            return cache.keys().then(function (requests) {
              return Promise.all(requests.filter(function (request) {
                var path = new URL(request.url).pathname;
                return path.indexOf("/field/") === 0 || path.indexOf("/api/") === 0;
              }).map(function (request) { return cache.delete(request); }));
            });
          });
        }));
    });
  }

  function logout(form) {
    var check = window.SanhuaField.pendingCount ? window.SanhuaField.pendingCount() : Promise.resolve(0);
    check.then(function (pending) {
      if (pending && !window.confirm(t("logout_pending", { n: pending }))) return;
      forgetPages().catch(function () {}).then(function () { form.submit(); });
    });
  }

  // Dates as a Chinese reader writes them, "12月5日 14:03", in Beijing time whatever the
  // phone's own zone or language: the parts are put together here rather than left to the
  // locale's pattern, which differs between browsers ("12/5", "12月5日").
  var dateParts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function formatDate(moment) {
    var parts = {};
    dateParts.formatToParts(new Date(moment)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.month + "月" + parts.day + "日 " + parts.hour + ":" + parts.minute;
  }

  // Why the phone gave no location, in the user's words rather than the browser's English
  // ("User denied Geolocation"), by GeolocationPositionError's code.
  function locationMessage(error) {
    var code = error && error.code;
    if (code === 1) return t("location_denied");
    if (code === 2) return t("location_unavailable");
    if (code === 3) return t("location_timeout");
    return t("location_failed_plain");
  }

  // 我的任务 opened from the service worker's copy (sw.js marks it data-served="cache"): say
  // how old the copy is, and list what this phone filed since, from the outbox (queued
  // reports 待发送, and those uploaded after the copy was made), which the copy cannot show.
  function offlineCopy() {
    var box = document.getElementById("tasks-copy");
    if (!box || box.dataset.served !== "cache") return;
    var madeAt = parseInt(box.dataset.renderedAt, 10) * 1000;
    box.textContent = box.dataset.label.replace("{time}", formatDate(madeAt));
    box.hidden = false;
    if (!window.idbKeyval) return;
    var store = window.idbKeyval.createStore("sanhua-field", "outbox");
    window.idbKeyval.values(store).then(function (rows) {
      var mine = rows.filter(function (row) {
        if (!row || row.user !== box.dataset.user || (row.kind && row.kind !== "case")) return false;
        return row.state === "pending" || (row.state === "sent" && row.sent_at > madeAt);
      }).sort(function (a, b) { return (b.submitted_at || 0) - (a.submitted_at || 0); });
      showFiled(mine, box);
    }).catch(function () {});
  }

  function showFiled(rows, box) {
    var section = document.getElementById("tasks-outbox");
    if (!section || !rows.length) return;
    var list = section.querySelector(".list-group");
    list.textContent = "";
    rows.forEach(function (row) {
      var item = document.createElement(row["case"] ? "a" : "div");
      item.className = "list-group-item";
      item.dataset.clientId = row.client_id;
      item.dataset.state = row.state;
      if (row["case"]) item.href = box.dataset.taskUrl.replace("/0/", "/" + row["case"].id + "/");
      var head = document.createElement("div");
      head.className = "d-flex justify-content-between gap-2";
      var title = document.createElement("strong");
      title.textContent = row.fields.title || t("untitled");
      var badge = document.createElement("span");
      badge.className = "badge align-self-start text-bg-" + (row.state === "pending" ? "warning" : "success");
      badge.textContent = row.state === "pending" ? section.dataset.pending : section.dataset.sent;
      head.appendChild(title);
      head.appendChild(badge);
      var line = document.createElement("div");
      line.className = "small text-secondary";
      line.textContent = [row["case"] ? row["case"].number : "", row.fields.category_label || "",
        formatDate(row.submitted_at || row.updated_at)].filter(Boolean).join(" · ");
      item.appendChild(head);
      item.appendChild(line);
      list.appendChild(item);
    });
    section.hidden = false;
  }
  window.addEventListener("DOMContentLoaded", offlineCopy);

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw).catch(function () {});
  }

  window.SanhuaField = {
    t: t,
    csrfToken: csrfToken,
    compressImage: compressImage,
    refreshUnread: refreshUnread,
    formatDate: formatDate,
    locationMessage: locationMessage,
    pendingCount: null,
  };
})();
