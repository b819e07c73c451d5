/* gridgov: the tracking page remembers its link in this phone's localStorage, so the
 * resident finds it again from the station's QR page. */
(function () {
  "use strict";
  var box = document.getElementById("track");
  if (!box) { return; }
  var KEEP = "gridgov.tracked";
  var list;
  try { list = JSON.parse(window.localStorage.getItem(KEEP) || "[]"); } catch (e) { list = []; }
  var id = box.dataset.issue, token = box.dataset.token;
  if (!id || !token) { return; }
  var found = list.filter(function (x) { return x.issue_id === id; })[0];
  if (found && found.token === token) { return; }
  list = list.filter(function (x) { return x.issue_id !== id; });
  list.unshift({ issue_id: id, token: token, at: new Date().toISOString() });
  try { window.localStorage.setItem(KEEP, JSON.stringify(list.slice(0, 20))); } catch (e) {}
})();
