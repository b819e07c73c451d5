/* gridgov: the deputy's actions on an issue's page (field/issue.html): 报到 (with where the
 * deputy is, when the phone allows it; without, when it does not), 开始办理, 办结 with a note
 * and photos. Each action posts the issue version the page was drawn from, so a second
 * tap, or an action someone else took meanwhile, is refused (409) rather than done twice;
 * the button is disabled while sending. The photos of a resolution are resized on the
 * phone and sent first (only a handler may attach them), each once; then the result.
 * 延期申请: the days and a reason, to the level above (offered by the page only while the
 * deadline runs and no request waits). */
(function () {
  "use strict";
  var box = document.getElementById("actions");
  if (!box || !window.gridgovField) { return; }
  var F = window.gridgovField, d = box.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var out = $("act-result"), busy = false;
  var buttons = Array.prototype.slice.call(box.querySelectorAll("button[data-action]"));

  var photos = null;
  if ($("resolve-photos")) {
    photos = new F.PhotoList($("resolve-photos"), $("resolve-previews"),
                             parseInt(d.maxPhotos, 10) || 6, {
      tooMany: d.tPhotoTooMany, bad: d.tPhotoBad, remove: d.tPhotoRemove,
      problem: function (m) { F.say(out, m, "error"); }
    });
  }

  function hold(on) {
    busy = on;
    buttons.forEach(function (b) { b.disabled = on; });
  }
  function refused(answer) {
    hold(false);
    F.say(out, answer.offline ? d.tOffline : F.reason(answer), "error");
  }
  function post(action, body) {
    body.version = parseInt(d.version, 10);
    F.say(out, d.tSending);
    return F.send("POST", d.api + action, d.csrf, body).then(function (answer) {
      if (!answer.ok) { refused(answer); return; }
      window.location.assign(d.page + "?done=" + action);
    });
  }
  /* where the deputy is: a fix within 10 s, else none (报到 never waits on the GPS) */
  function whereAmI() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      F.say(out, d.tLocating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({ lon: pos.coords.longitude, lat: pos.coords.latitude });
      }, function () { resolve(null); },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      if (busy) { return; }
      var action = button.dataset.action;
      if (action === "resolve" && !$("resolve-result").value.trim()) {
        F.say(out, d.tNeedResult, "error");
        $("resolve-result").focus();
        return;
      }
      if (action === "extension" && !$("extension-reason").value.trim()) {
        F.say(out, d.tNeedReason, "error");
        $("extension-reason").focus();
        return;
      }
      hold(true);
      if (action === "acknowledge") {
        whereAmI().then(function (where) {
          var body = where ? { lon: where.lon, lat: where.lat } : {};
          return post("acknowledge", body);
        });
      } else if (action === "extension") {
        post("extension", { hours: parseFloat($("extension-hours").value),
                            reason: $("extension-reason").value });
      } else if (action === "start") {
        post("start", { note: $("start-note").value });
      } else if (action === "resolve") {
        F.sendPhotos(photos, d.photos, d.csrf, function (done, total) {
          F.say(out, F.fill(d.tPhotosSending, { done: done, total: total }));
        }).then(function (failed) {
          if (failed) { refused(failed); return; }
          return post("resolve", { result: $("resolve-result").value });
        });
      }
    });
  });
})();
