/* The staff's live map (/work/map): the county's own layers (township outlines, grids,
   stations; no internet basemap) and the open issues of the map's extent, clustered when
   dense, overdue and due-soon ones coloured, read again every minute without reloading.
   Issue text is put into the page as text nodes, never as markup. */
(function () {
  "use strict";
  var holder = document.getElementById("board-map");
  if (!holder || !window.L) { return; }
  var words = JSON.parse(document.getElementById("board-words").textContent);
  var statusLine = document.getElementById("board-status");
  var filters = document.getElementById("board-filters");
  var refreshMs = 1000 * (parseInt(holder.dataset.refreshS, 10) || 60);

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function show(message, isError) {
    statusLine.textContent = message;
    statusLine.className = isError ? "error" : "note";
  }

  var map = L.map(holder, { maxZoom: 18, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  var townships = L.geoJSON(null, {
    interactive: false,
    style: { color: "#555", weight: 2, dashArray: "6 4", fill: false },
  }).addTo(map);
  var grids = L.geoJSON(null, {
    style: { color: "#1565c0", weight: 1, opacity: 0.5, fillColor: "#e3f2fd", fillOpacity: 0.25 },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); },
  }).addTo(map);
  var stations = L.geoJSON(null, {
    pointToLayer: function (f, at) {
      return L.marker(at, {
        icon: L.divIcon({ className: "board-station", iconSize: [12, 12] }),
        keyboard: false, zIndexOffset: -1000,
      });
    },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); },
  }).addTo(map);
  L.control.layers(null, (function () {
    var o = {};
    o[words.townships] = townships; o[words.grids] = grids; o[words.stations] = stations;
    return o;
  })(), { collapsed: false }).addTo(map);

  var issues = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    iconCreateFunction: function (cluster) {
      var children = cluster.getAllChildMarkers();
      var overdue = 0, soon = 0;
      for (var k = 0; k < children.length; k++) {
        if (children[k].options.state === "overdue") { overdue++; }
        else if (children[k].options.state === "due_soon") { soon++; }
      }
      var n = children.length;
      var size = n < 10 ? 34 : n < 100 ? 40 : 48;
      var kind = overdue ? " has-overdue" : soon ? " has-due-soon" : "";
      return L.divIcon({
        html: "<span>" + n + "</span>",
        className: "board-cluster" + kind,
        iconSize: L.point(size, size),
      });
    },
  }).addTo(map);

  function popup(p) {
    var box = document.createElement("div");
    box.className = "board-popup";
    var head = document.createElement("strong");
    head.textContent = p.category + " · " + p.id;
    box.appendChild(head);
    if (p.state !== "open") {
      var flag = document.createElement("span");
      flag.className = "flag" + (p.state === "due_soon" ? " soon" : "");
      flag.textContent = words[p.state];
      box.appendChild(document.createTextNode(" "));
      box.appendChild(flag);
    }
    var summary = document.createElement("p");
    summary.textContent = p.summary;
    box.appendChild(summary);
    var facts = document.createElement("dl");
    [["status", p.status], ["grid", p.grid], ["unit", p.unit], ["created", p.created]]
      .forEach(function (pair) {
        if (!pair[1]) { return; }
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = words[pair[0]];
        dd.textContent = pair[1];
        facts.appendChild(dt);
        facts.appendChild(dd);
      });
    box.appendChild(facts);
    var link = document.createElement("a");
    link.href = "/work/issues/" + encodeURIComponent(p.id);
    link.textContent = words.open_issue;
    box.appendChild(link);
    return box;
  }

  function marker(feature) {
    var c = feature.geometry.coordinates;
    var p = feature.properties;
    var m = L.marker([c[1], c[0]], {
      icon: L.divIcon({ className: "board-pin " + p.state, iconSize: [16, 16] }),
      state: p.state,
      title: p.category + " " + p.id,
      zIndexOffset: p.state === "overdue" ? 1000 : p.state === "due_soon" ? 500 : 0,
    });
    m.bindPopup(function () { return popup(p); }, { maxWidth: 320 });
    return m;
  }

  function filterParams() {
    var params = new URLSearchParams();
    if (!filters) { return params; }
    Array.prototype.forEach.call(filters.querySelectorAll("select"), function (s) {
      if (s.value) { params.set(s.name, s.value); }
    });
    return params;
  }

  function extent() {
    var b = map.getBounds().pad(0.1);
    function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
            clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (v) { return v.toFixed(6); }).join(",");
  }

  var asked = 0, loads = 0;
  function load() {
    var mine = ++asked;
    var params = filterParams();
    params.set("bbox", extent());
    params.set("lang", holder.dataset.lang);
    fetch(holder.dataset.issues + "?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/geo+json" },
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (mine !== asked) { return; }  // a newer read is on its way
        if (r.status === 401) { show(words.expired, true); return; }
        if (!r.ok) { show(say(words.failed, { reason: body.error || r.status }), true); return; }
        issues.clearLayers();
        issues.addLayers(body.features.map(marker));
        var line = say(words.count, {
          shown: body.shown, overdue: body.overdue, due_soon: body.due_soon, time: body.updated,
        });
        if (body.total > body.shown) {
          line += " " + say(words.truncated, { total: body.total, shown: body.shown });
        }
        show(line, false);
        holder.dataset.loads = String(++loads);
      });
    }).catch(function (e) {
      if (mine === asked) { show(say(words.failed, { reason: e.message || e }), true); }
    });
  }

  var moved = null;
  map.on("moveend", function () {
    clearTimeout(moved);
    moved = setTimeout(load, 300);
  });
  var reading = false;
  map.on("popupopen", function () { reading = true; });
  map.on("popupclose", function () { reading = false; });
  setInterval(function () {
    // a popup being read is not pulled from under the reader: the next minute will do
    if (!reading) { load(); }
  }, refreshMs);

  if (filters) {
    filters.addEventListener("change", function () {
      var params = filterParams();
      var query = params.toString();
      history.replaceState(null, "", "/work/map" + (query ? "?" + query : ""));
      load();
    });
    filters.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  }

  fetch(holder.dataset.base, { credentials: "same-origin" })
    .then(function (r) {
      if (r.status === 401) { throw new Error(words.expired); }
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    })
    .then(function (base) {
      townships.addData(base.townships);
      grids.addData(base.grids);
      stations.addData(base.stations);
      map.fitBounds(base.bounds, { padding: [10, 10] });  // its moveend loads the issues
    })
    .catch(function (e) {
      show(say(words.failed, { reason: e.message || e }), true);
      map.setView([30, 112], 7);
    });
})();
