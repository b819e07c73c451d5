/* gridgov field screens (grid worker, deputy): what field_raise.js and field_act.js share.
 * Requests carry the session cookie and its CSRF token in X-CSRF-Token; a refusal is the
 * API's JSON body naming the fields, said here with the page's own labels and words
 * (the #field-words element of field/layout.html, from the message catalogue). A request
 * that never reached an answer (offline, dropped) is told apart from a refusal, so a
 * caller can keep what it was sending and send it again. Each photo chosen gets an
 * Idempotency-Key of its own, kept with it (and in a draft), so a photo sent again after
 * an answer was lost is stored once. */
(function () {
  "use strict";
  var words = (document.getElementById("field-words") || { dataset: {} }).dataset;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : m;
    });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* Resolve to {ok, status, json, offline}; never rejects. */
  function send(method, url, csrf, body, headers) {
    var h = { "X-CSRF-Token": csrf, "Accept": "application/json" };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    var payload = body;
    if (body !== undefined && body !== null && !(body instanceof FormData)) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return fetch(url, { method: method, headers: h, body: payload, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (j) {
          return { ok: r.ok, status: r.status, json: j, offline: false };
        });
      }, function () {
        return { ok: false, status: 0, json: null, offline: true };
      });
  }

  var FIELD_WORD = {
    category: "tFieldCategory", description: "tFieldDescription", address: "tFieldAddress",
    lon: "tFieldPlace", lat: "tFieldPlace", "lon/lat": "tFieldPlace", photo: "tFieldPhoto",
    result: "tFieldResult", note: "tFieldNote", reason: "tFieldReason", hours: "tFieldHours"
  };

  /* The words for a refused answer (never for an offline one: the caller says that). */
  function reason(answer) {
    var j = answer.json || {};
    if (answer.status === 401) { return words.tLogin; }
    if (answer.status === 403) {
      if (j.error === "csrf") { return words.tCsrf; }
      if ((j.problems || []).some(function (p) { return p.field === "lon/lat"; })) {
        return words.tNotMine;
      }
      return words.tForbidden;
    }
    if (answer.status === 404) { return words.tNoIssue; }
    /* a photo's key met another photo: the server's own words say what to do */
    if (j.error === "idempotency_key_reused" && j.message) {
      return j.message;
    }
    if (answer.status === 409) { return words.tConflict; }
    if (answer.status === 413) { return words.tTooLarge; }
    if (answer.status === 429 || answer.status >= 500) { return words.tBusy; }
    var labels = (j.problems || []).map(function (p) {
      var name = String(p.field || "").split(".").pop();
      var key = FIELD_WORD[name];
      return key ? words[key] : "";
    }).filter(function (x, i, all) { return x && all.indexOf(x) === i; });
    if (labels.length) { return fill(words.tCheck, { fields: labels.join(words.tSep) }); }
    return fill(words.tFailed, { reason: j.message || ("HTTP " + answer.status) });
  }

  function say(el, message, cls) {
    el.textContent = message;
    el.className = cls || "note";
  }

  /* Photos chosen on a page: each resized on the phone (photo_resize.js) and kept as a
   * data: URL, so a draft can hold it in localStorage; shown with a remove button.
   * onChange() is called whenever the list changes. */
  function PhotoList(input, list, max, texts, onChange) {
    this.items = [];
    this.input = input;
    this.list = list;
    this.max = max;
    this.texts = texts;
    this.onChange = onChange || function () {};
    var self = this;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      self.add(files);
    });
  }
  PhotoList.prototype.add = function (files) {
    var self = this;
    var room = this.max - this.items.length;
    if (files.length > room) {
      this.texts.problem(fill(this.texts.tooMany, { max: this.max }));
      files = files.slice(0, Math.max(0, room));
    }
    return files.reduce(function (chain, file) {
      return chain.then(function () {
        return window.gridgovPhoto.resize(file).then(function (r) {
          return new Promise(function (resolve) {
            var reader = new FileReader();
            reader.addEventListener("load", function () {
              self.items.push({ data: reader.result, preview: r.preview, sent: false,
                               key: newKey() });
              resolve();
            });
            reader.addEventListener("error", function () { resolve(); });
            reader.readAsDataURL(r.blob);
          });
        }, function () { self.texts.problem(self.texts.bad); });
      });
    }, Promise.resolve()).then(function () { self.render(); self.onChange(); });
  };
  PhotoList.prototype.render = function () {
    var self = this;
    this.list.textContent = "";
    this.items.forEach(function (item, i) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = item.preview || item.data;
      img.alt = "";
      li.appendChild(img);
      if (!item.sent) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "secondary remove";
        b.textContent = self.texts.remove;
        b.addEventListener("click", function () {
          self.items.splice(i, 1);
          self.render();
          self.onChange();
        });
        li.appendChild(b);
      }
      self.list.appendChild(li);
    });
  };
  PhotoList.prototype.set = function (items) {
    this.items = (items || []).filter(function (x) { return x && x.data; });
    /* a draft kept before photos had keys: each gets one now, kept from here on */
    this.items.forEach(function (x) { if (!x.key) { x.key = newKey(); } });
    this.render();
  };
  PhotoList.prototype.clear = function () { this.set([]); };

  function blobOf(dataUrl) {
    var parts = dataUrl.split(",");
    var bytes = window.atob(parts[1]);
    var out = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) { out[i] = bytes.charCodeAt(i); }
    return new Blob([out], { type: "image/jpeg" });
  }

  /* Send the photos of `list` not sent yet, one after another, each under its own key;
   * resolves to null when all are sent, else to the failed answer (the sent ones stay
   * marked). A photo whose answer was lost is sent again under the same key: the server
   * answers with the photo it stored, and stores nothing new. */
  function sendPhotos(list, url, csrf, progress) {
    var todo = list.items.filter(function (x) { return !x.sent; });
    var done = 0;
    return todo.reduce(function (chain, item) {
      return chain.then(function (failed) {
        if (failed) { return failed; }
        if (progress) { progress(done, todo.length); }
        var data = new FormData();
        data.append("photo", blobOf(item.data), "photo.jpg");
        if (!item.key) { item.key = newKey(); }
        return send("POST", url, csrf, data, { "Idempotency-Key": item.key }).then(function (answer) {
          if (!answer.ok) { return answer; }
          item.sent = true;
          done += 1;
          list.onChange();
          return null;
        });
      });
    }, Promise.resolve(null));
  }

  window.gridgovField = {
    fill: fill, newKey: newKey, send: send, reason: reason, say: say,
    PhotoList: PhotoList, sendPhotos: sendPhotos, words: words
  };
})();
