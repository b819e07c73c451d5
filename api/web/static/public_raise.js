/* gridgov: the resident's issue form on a station's QR page.
 * One Idempotency-Key per form fill: a double tap, or a retry after a dropped connection,
 * files ONE issue. The submit button is disabled while sending. The point is the phone's
 * location when the resident asks for it, else the station's place (the server's
 * default). A photo is shrunk on the phone (photo_resize.js), then attached with the
 * tracking token once the issue exists, under an Idempotency-Key of its own (one per
 * photo chosen): when the connection drops while it is sent, sending again files the same
 * issue and stores the photo once. The token is kept in this phone's localStorage so
 * the resident can come back from the QR page. */
(function () {
  "use strict";
  var form = document.getElementById("raise-form");
  if (!form) { return; }
  var KEEP = "gridgov.tracked";
  var $ = function (id) { return document.getElementById(id); };
  var submit = $("f-submit"), result = $("f-result"), photoInput = $("f-photo");
  var preview = $("f-preview"), status = $("f-locate-status");
  var key = null, busy = false, resized = null, photoKey = null;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : m;
    });
  }
  function say(text, cls) {
    result.textContent = text;
    result.className = cls || "note";
  }
  function remembered() {
    try { return JSON.parse(window.localStorage.getItem(KEEP) || "[]"); } catch (e) { return []; }
  }
  function remember(issueId, token) {
    var list = remembered().filter(function (x) { return x.issue_id !== issueId; });
    list.unshift({ issue_id: issueId, token: token, at: new Date().toISOString(),
                   station: form.dataset.station });
    try { window.localStorage.setItem(KEEP, JSON.stringify(list.slice(0, 20))); } catch (e) {}
  }
  function trackUrl(issueId, token) {
    return form.dataset.track + encodeURIComponent(issueId) + "?token=" + encodeURIComponent(token);
  }
  function showMine() {
    var list = remembered();
    var box = $("mine"), ul = $("mine-list");
    if (!box || !list.length) { return; }
    ul.textContent = "";
    list.forEach(function (x) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = trackUrl(x.issue_id, x.token);
      a.textContent = x.issue_id;
      li.appendChild(a);
      ul.appendChild(li);
    });
    box.hidden = false;
  }

  /* a new fill starts when the page is shown afresh (also back from the cache after a send) */
  function reset() { key = null; busy = false; submit.disabled = false; }
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) { form.reset(); reset(); } });
  form.addEventListener("input", function () { if (!busy && key === null) { key = newKey(); } });

  $("f-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = form.dataset.tNoGeolocation; return; }
    status.textContent = form.dataset.tLocating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      $("f-lon").value = pos.coords.longitude.toFixed(6);
      $("f-lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = fill(form.dataset.tLocated,
                                { accuracy: Math.round(pos.coords.accuracy) });
      status.className = "note ok";
    }, function (err) {
      $("f-lon").value = ""; $("f-lat").value = "";
      status.textContent = fill(form.dataset.tLocateFailed, { reason: err.message || err.code });
      status.className = "note error";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });

  photoInput.addEventListener("change", function () {
    resized = null;
    photoKey = newKey();  /* another photo chosen: another upload */
    preview.hidden = true;
    var file = photoInput.files && photoInput.files[0];
    if (!file) { return; }
    resized = window.gridgovPhoto.resize(file).then(function (r) {
      preview.src = r.preview;
      preview.hidden = false;
      return r;
    }, function () {
      say(form.dataset.tPhotoBad, "error");
      photoInput.value = "";
      return null;
    });
  });

  function body() {
    var f = new FormData(form), out = {};
    ["category", "description", "reporter_name", "reporter_phone"].forEach(function (k) {
      out[k] = String(f.get(k) || "");
    });
    out.anonymous = $("f-anonymous").checked;
    if ($("f-lon").value && $("f-lat").value) {
      out.lon = parseFloat($("f-lon").value);
      out.lat = parseFloat($("f-lat").value);
    }
    return out;
  }
  /* the server names the fields it refuses; say them with the form's own labels */
  var FIELD_INPUT = { category: "f-category", description: "f-description",
                      reporter_name: "f-name", reporter_phone: "f-phone",
                      lon: "f-locate", lat: "f-locate", "lon/lat": "f-locate" };
  function labelOf(field) {
    var id = FIELD_INPUT[field];
    if (id === "f-locate") { return form.querySelector(".locate legend").textContent; }
    var label = id && form.querySelector("label[for=" + id + "]");
    return label ? label.textContent : "";
  }
  function reasonOf(response, json) {
    if (response.status === 429 || response.status >= 500) { return form.dataset.tBusy; }
    var labels = ((json && json.problems) || []).map(function (p) {
      return labelOf(String(p.field || "").split(".").pop());
    }).filter(function (x, i, all) { return x && all.indexOf(x) === i; });
    if (labels.length) { return fill(form.dataset.tCheck, { fields: labels.join(form.dataset.tSep) }); }
    return (json && (json.message || json.error)) || ("HTTP " + response.status);
  }
  /* null when stored (or stored before under its key), the reason when refused, and
   * OFFLINE when no answer came: then the same photo goes again under the same key */
  var OFFLINE = "\u0000offline";
  function upload(issueId, token, photo) {
    var data = new FormData();
    data.append("photo", photo.blob, "photo.jpg");
    data.append("tracking_token", token);
    if (photoKey === null) { photoKey = newKey(); }
    return fetch(form.dataset.photos + encodeURIComponent(issueId) + "/photos",
                 { method: "POST", body: data, headers: { "Idempotency-Key": photoKey } })
      .then(function (r) {
        if (r.ok) { return null; }
        return r.json().catch(function () { return null; })
          .then(function (j) { return reasonOf(r, j); });
      }, function () { return OFFLINE; });
  }
  function finished(issueId, token, photoProblem) {
    remember(issueId, token);
    var url = trackUrl(issueId, token);
    if (photoProblem) {
      say(fill(form.dataset.tPhotoFailed, { reason: photoProblem }), "error");
      var a = document.createElement("a");
      a.href = url; a.textContent = form.dataset.tTrackLink; a.className = "button";
      result.appendChild(document.createElement("br"));
      result.appendChild(a);
      return;
    }
    say(form.dataset.tSent, "ok");
    window.location.assign(url);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) { return; }
    if (!$("f-description").value.trim()) {
      say(form.dataset.tDescriptionNeeded, "error");
      $("f-description").focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    if (key === null) { key = newKey(); }
    say(form.dataset.tSending);
    var payload = body();
    Promise.resolve(resized).then(function (photo) {
      return fetch(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
        body: JSON.stringify(payload)
      }).then(function (r) {
        return r.json().catch(function () { return null; }).then(function (j) {
          if (!r.ok || !j || !j.issue) { throw new Error(reasonOf(r, j)); }
          var issueId = j.issue.issue_id, token = j.tracking_token;
          if (!photo) { finished(issueId, token, null); return; }
          return upload(issueId, token, photo).then(function (problem) {
            /* the issue is filed; sending again replays it (same key), then the photo */
            if (problem === OFFLINE) { throw new Error(OFFLINE); }
            finished(issueId, token, problem);
          });
        });
      }, function () {
        /* offline: keep the key, so sending again files the same issue */
        throw new Error(OFFLINE);
      });
    }).catch(function (e) {
      var msg = String(e.message || e);
      say(msg === OFFLINE ? form.dataset.tOffline
                                   : fill(form.dataset.tFailed, { reason: msg }), "error");
      busy = false;
      submit.disabled = false;
    });
  });

  showMine();
})();
