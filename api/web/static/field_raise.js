/* gridgov: the grid worker's 吹哨 page (field/raise.html).
 * The place is a draggable pin on a map of the worker's own grids (offline Leaflet, no
 * basemap): put there by "locate me", by a tap on the map or by dragging. Open issues of
 * the same category near the pin are listed before sending, each a link to open it
 * instead of filing it again.
 * Everything typed is a draft in this phone's localStorage (per account) with ONE
 * Idempotency-Key: once a send was tried, the draft is locked, and sending again (a tap,
 * the connection coming back, the page opened again) repeats the same request with the
 * same key, so the server files one issue however often it is sent. Photos are resized on
 * the phone and sent after the issue exists, each once. */
(function () {
  "use strict";
  var form = document.getElementById("raise-form");
  if (!form || !window.L || !window.gridgovField) { return; }
  var F = window.gridgovField, d = form.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var send = $("send"), discard = $("discard"), result = $("result");
  var placeStatus = $("place-status"), pinGrid = $("pin-grid"), draftStatus = $("draft-status");
  var fields = ["category", "description", "address"];
  var geo = JSON.parse($("field-geo").textContent);
  var draft = null, busy = false;

  /* --- the map: my grids, their stations, the pin ---------------------------------------- */
  /* no animations: a cheap phone draws the map once per change, and the pin never lags */
  var map = L.map("map", { attributionControl: false, zoomAnimation: false,
                           fadeAnimation: false, markerZoomAnimation: false });
  function tip(text) {  /* tooltips as text nodes: a grid's name never becomes markup */
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  L.geoJSON(geo.grids, {
    style: function () { return { color: "#b71c1c", weight: 3, fillOpacity: 0.1 }; },
    onEachFeature: function (f, layer) { layer.bindTooltip(tip(f.properties.name)); }
  }).addTo(map);
  L.geoJSON(geo.stations, {
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { radius: 7, color: "#1565c0", fillOpacity: 0.9 })
        .bindTooltip(tip(F.fill(d.tStation, { name: f.properties.name })));
    }
  }).addTo(map);
  var b = geo.bounds;
  if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [12, 12] }); }
  else { map.setView([29.5, 112.5], 9); }

  /* which of my grids a point is in (ray casting on the GeoJSON rings) */
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    if (!inRing(x, y, rings[0])) { return false; }
    for (var k = 1; k < rings.length; k += 1) { if (inRing(x, y, rings[k])) { return false; } }
    return true;
  }
  function gridAt(lon, lat) {
    var hit = null;
    geo.grids.features.forEach(function (f) {
      var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      if (polys.some(function (rings) { return inPolygon(lon, lat, rings); })) {
        hit = f.properties.name;
      }
    });
    return hit;
  }

  /* the head is turned inside the icon: Leaflet places the icon itself by a transform */
  var pinIcon = L.divIcon({ className: "field-pin", iconSize: [28, 34], iconAnchor: [14, 31],
                            html: '<span class="field-pin-head"></span>' });
  var pin = null;
  function placePin(lat, lon, recenter) {
    if (recenter) { map.setView([lat, lon], Math.max(map.getZoom(), 15), { animate: false }); }
    if (!pin) {
      pin = L.marker([lat, lon], { draggable: true, icon: pinIcon, autoPan: true }).addTo(map);
      pin.on("dragend", function () {
        var p = pin.getLatLng();
        setPlace(p.lat, p.lng);
        F.say(placeStatus, d.tPinMoved);
        edited();
      });
    } else {
      pin.setLatLng([lat, lon]);
    }
    setPlace(lat, lon);
  }
  function setPlace(lat, lon) {
    $("lat").value = lat.toFixed(6);
    $("lon").value = lon.toFixed(6);
    var grid = gridAt(lon, lat);
    F.say(pinGrid, grid ? F.fill(d.tInGrid, { grid: grid }) : d.tOutside, grid ? "note ok" : "note error");
    checkNearby();
  }
  map.on("click", function (ev) {
    if (locked()) { return; }
    placePin(ev.latlng.lat, ev.latlng.lng, false);
    F.say(placeStatus, d.tPinMoved);
    edited();
  });

  $("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { F.say(placeStatus, d.tNoGeolocation, "note error"); return; }
    F.say(placeStatus, d.tLocating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (locked()) { return; }
      placePin(pos.coords.latitude, pos.coords.longitude, true);
      F.say(placeStatus, F.fill(d.tLocated, { accuracy: Math.round(pos.coords.accuracy) }), "note ok");
      edited();
    }, function (err) {
      F.say(placeStatus, F.fill(d.tLocateFailed, { reason: err.message || err.code }), "note error");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });

  /* --- nearby open issues of the same category ------------------------------------------- */
  var nearbyTimer = null, nearbyAsked = 0;
  function checkNearby() {
    window.clearTimeout(nearbyTimer);
    nearbyTimer = window.setTimeout(function () {
      var lon = $("lon").value, lat = $("lat").value, box = $("nearby"), list = $("nearby-list");
      if (!lon || !lat) { box.hidden = true; return; }
      var asked = ++nearbyAsked;
      var url = d.nearby + "?" + new URLSearchParams({ lon: lon, lat: lat, category: $("category").value });
      F.send("GET", url, d.csrf).then(function (answer) {
        if (asked !== nearbyAsked) { return; }  /* the pin moved on meanwhile */
        var found = answer.ok && answer.json ? answer.json.issues : [];
        list.textContent = "";
        found.forEach(function (x) {
          var li = document.createElement("li"), a = document.createElement("a");
          var meta = document.createElement("span");
          a.href = x.url;
          a.textContent = x.summary;
          a.className = "nearby-issue";
          a.dataset.issue = x.issue_id;
          meta.className = "note";
          meta.textContent = " " + F.fill(d.tNearbyItem, { distance: x.distance_m, status: x.status_text });
          var open = document.createElement("a");
          open.href = x.url;
          open.className = "button secondary";
          open.textContent = d.tNearbyOpen;
          li.appendChild(a); li.appendChild(meta); li.appendChild(open);
          list.appendChild(li);
        });
        box.hidden = found.length === 0;
      });
    }, 300);
  }
  $("category").addEventListener("change", checkNearby);

  /* --- photos ------------------------------------------------------------------------------ */
  var photos = new F.PhotoList($("photos"), $("previews"), parseInt(d.maxPhotos, 10) || 6, {
    tooMany: d.tPhotoTooMany, bad: d.tPhotoBad, remove: d.tPhotoRemove,
    problem: function (m) { F.say(result, m, "error"); }
  }, function () { edited(true); });

  /* --- the draft ------------------------------------------------------------------------- */
  function locked() { return !!(draft && draft.attempted); }
  function lock(on) {
    fields.forEach(function (id) { $(id).disabled = on; });
    $("locate").disabled = on;
    if (pin) { if (on) { pin.dragging.disable(); } else { pin.dragging.enable(); } }
  }
  function at(iso) {
    var t = new Date(iso);
    return ("0" + t.getHours()).slice(-2) + ":" + ("0" + t.getMinutes()).slice(-2);
  }
  function save() {
    draft.saved_at = new Date().toISOString();
    draft.photos = photos.items;
    try {
      window.localStorage.setItem(d.draft, JSON.stringify(draft));
      F.say(draftStatus, F.fill(d.tDraftSaved, { at: at(draft.saved_at) }));
    } catch (e) {  /* storage full: keep the words and the place, the photos only here */
      var lite = {};
      Object.keys(draft).forEach(function (k) { lite[k] = draft[k]; });
      lite.photos = [];
      try { window.localStorage.setItem(d.draft, JSON.stringify(lite)); } catch (e2) { /* none */ }
      F.say(draftStatus, d.tPhotoNotKept, "note error");
    }
    discard.hidden = false;
  }
  /* what was typed or chosen becomes the draft (not once it is locked: see above) */
  function edited(photosOnly) {
    if (busy && !photosOnly) { return; }
    if (!draft) { draft = { key: F.newKey(), attempted: false, issue_id: null }; }
    if (!locked()) {
      fields.forEach(function (id) { draft[id] = $(id).value; });
      draft.lon = $("lon").value; draft.lat = $("lat").value;
    }
    save();
  }
  fields.forEach(function (id) { $(id).addEventListener("input", function () { edited(); }); });

  function restore() {
    var kept = null;
    try { kept = JSON.parse(window.localStorage.getItem(d.draft) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.key) { return; }
    draft = kept;
    fields.forEach(function (id) { if (draft[id] !== undefined) { $(id).value = draft[id]; } });
    if (draft.lon && draft.lat) { placePin(parseFloat(draft.lat), parseFloat(draft.lon), true); }
    photos.set(draft.photos);
    discard.hidden = false;
    F.say(draftStatus, F.fill(d.tDraftRestored, { at: at(draft.saved_at || new Date().toISOString()) }));
    if (locked()) {
      lock(true);
      F.say(result, d.tDraftPending);
    }
  }
  function forget() {
    try { window.localStorage.removeItem(d.draft); } catch (e) { /* none */ }
    draft = null;
  }
  discard.addEventListener("click", function () {
    if (busy || !window.confirm(d.tDiscardConfirm)) { return; }
    forget();
    form.reset();
    photos.clear();
    lock(false);
    discard.hidden = true;
    F.say(draftStatus, "");
    F.say(result, "");
  });

  /* --- sending ----------------------------------------------------------------------------- */
  function stop(message, cls) {
    busy = false;
    send.disabled = false;
    F.say(result, message, cls || "error");
  }
  function sendPhotos() {
    var url = d.photos + encodeURIComponent(draft.issue_id) + "/photos";
    return F.sendPhotos(photos, url, d.csrf, function (done, total) {
      F.say(result, F.fill(d.tPhotosSending, { done: done, total: total }));
    });
  }
  function finish() {
    var id = draft.issue_id;
    forget();
    F.say(result, d.tSent, "ok");
    window.location.assign("/field/issues/" + encodeURIComponent(id) + "?done=raised");
  }
  function afterIssue() {
    return sendPhotos().then(function (failed) {
      if (!failed) { finish(); return; }
      if (failed.offline) { stop(d.tOffline); return; }
      /* refused (too large, not an image): that photo is dropped, the others kept */
      var first = photos.items.filter(function (x) { return !x.sent; })[0];
      photos.items.splice(photos.items.indexOf(first), 1);
      photos.render();
      save();
      stop(F.fill(d.tPhotoFailed, { reason: F.reason(failed) }));
    });
  }
  function go() {
    if (busy || !draft) { return; }
    busy = true;
    send.disabled = true;
    if (draft.issue_id) { afterIssue(); return; }  /* filed already: only photos are left */
    if (!draft.attempted) {
      draft.attempted = true;  /* from now on this is the request, sent as it is */
      lock(true);
    }
    save();
    F.say(result, d.tSending);
    var body = { category: draft.category, description: draft.description,
                 lon: parseFloat(draft.lon), lat: parseFloat(draft.lat) };
    if (draft.address) { body.address = draft.address; }
    F.send("POST", d.api, d.csrf, body, { "Idempotency-Key": draft.key }).then(function (answer) {
      if (answer.offline) { stop(d.tOffline); return; }
      if (!answer.ok || !answer.json || !answer.json.issue_id) {
        /* refused for what was sent (a field, the place): the server filed nothing, so
         * the draft opens again to be corrected, under a new key; refused for the session
         * or a busy server: the same request goes again later */
        var j = answer.json || {};
        var again = answer.status === 401 || answer.status === 429 || answer.status >= 500 ||
                    (answer.status === 403 && j.error === "csrf");
        if (!again) {
          draft.attempted = false;
          draft.key = F.newKey();
          lock(false);
          save();
        }
        stop(F.reason(answer));
        return;
      }
      draft.issue_id = answer.json.issue_id;
      save();
      return afterIssue();
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) { return; }
    if (!locked()) {
      if (!$("lon").value || !$("lat").value) { F.say(result, d.tNeedPlace, "error"); return; }
      if (!$("description").value.trim()) {
        F.say(result, d.tNeedDescription, "error");
        $("description").focus();
        return;
      }
      edited();
    }
    go();
  });
  /* the connection is back: a draft that was being sent goes again, with its key */
  window.addEventListener("online", function () {
    if (locked() || (draft && draft.issue_id)) { F.say(result, d.tResending); go(); }
  });

  restore();
  if (locked() && navigator.onLine) { go(); }
})();
