/* The field app's service worker. Served as /sw.js by cases.field_views.ServiceWorkerView,
   which puts `const SANHUA = {version, assets, pages, offline, fieldPrefix, staticPrefix,
   cachedApi}` in front of this file.

   It keeps the app shell (the field pages and their static files) so the app opens with no
   network, and answers only for what is its own: field pages (network first, the last copy as
   fallback), static files (cache first) and the category list (network first). Every other
   request (the API's writes above all) goes to the network untouched: reports wait in the
   page's IndexedDB outbox, never in here. */
"use strict";

/* global SANHUA */
var CACHE = "sanhua-field-" + SANHUA.version;
// On a weak signal a field page that has a cached copy waits this long for the network.
var NETWORK_TIMEOUT_MS = 8000;
var MATCH = { ignoreVary: true };

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // The static files must all be there, or the worker is not installed.
      return cache.addAll(SANHUA.assets).then(function () {
        return Promise.all(SANHUA.pages.map(function (url) { return keepPage(cache, url); }));
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

// A page is kept only as the signed-in user sees it: a redirect to the login form is not kept.
function keepPage(cache, url) {
  return fetch(url, { credentials: "same-origin" }).then(function (response) {
    if (response.ok && !response.redirected) return cache.put(url, response);
  }).catch(function () {});
}

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("sanhua-field-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf(SANHUA.fieldPrefix) === 0) {
    event.respondWith(page(request, event));
  } else if (SANHUA.cachedApi.indexOf(url.pathname) !== -1) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf(SANHUA.staticPrefix) === 0) {
    event.respondWith(cacheFirst(request));
  }
});

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, MATCH).then(function (hit) {
      return hit || cache.match(request, { ignoreVary: true, ignoreSearch: true });
    });
  });
}

function store(request, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function page(request, event) {
  var network = fetch(request).then(function (response) { return store(request, response); });
  event.waitUntil(network.catch(function () {}));
  return fromCache(request).then(function (cached) {
    if (!cached) {
      return network.catch(function () { return offlinePage(); });
    }
    var timeout = new Promise(function (resolve) {
      setTimeout(function () { resolve(asCopy(cached)); }, NETWORK_TIMEOUT_MS);
    });
    // A server error (a proxy's 502 on a bad line) is no better than the last good copy.
    var answer = network.then(function (response) {
      return response.status >= 500 ? asCopy(cached) : response;
    }, function () { return asCopy(cached); });
    return Promise.race([answer, timeout]);
  });
}

// The kept copy, marked as one: a page that says when it was made (data-rendered-at) shows the
// user it is not the news (field.js reads data-served="cache").
function asCopy(cached) {
  return cached.clone().text().then(function (html) {
    return new Response(html.replace('data-served="network"', 'data-served="cache"'), {
      status: cached.status, statusText: cached.statusText, headers: cached.headers,
    });
  });
}

function offlinePage() {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(SANHUA.offline, MATCH);
  }).then(function (hit) {
    return hit || new Response("Offline · 离线", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    return store(request, response);
  }).catch(function () {
    return fromCache(request).then(function (cached) {
      return cached || Response.error();
    });
  });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, MATCH);
  }).then(function (cached) {
    return cached || fetch(request).then(function (response) { return store(request, response); });
  });
}
