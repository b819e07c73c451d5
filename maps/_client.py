"""The small browser-side script and style every gridgov map inlines.

Kept here rather than in folium templates so each layer costs one line of script plus
its data: ``gridgov.layer`` draws a GeoJSON collection whose features carry only a style
index ``s``, an optional tooltip ``t`` and popup ``p`` (HTML escaped in Python) and, for
symbols and labels, their HTML ``h``; polygon rings arrive as compact text
(``maps._layers.encode_coords``) decoded here. Nothing here fetches anything or names a URL.
"""

from __future__ import annotations

__all__ = ["CLIENT_CSS", "CLIENT_JS", "HATCH_ID"]

#: Id of the SVG pattern that hatches villages beyond the standard.
HATCH_ID = "gg-hatch"

CLIENT_JS = r"""
var gridgov = (function () {
  "use strict";
  function setup(map, defs) {
    if (map.attributionControl) { map.attributionControl.setPrefix("Leaflet"); }
    L.control.scale({imperial: false}).addTo(map);
    if (defs && !document.getElementById("gg-defs")) {
      // Fill patterns live in one hidden SVG; url(#id) fills resolve across the page.
      var holder = document.createElement("div");
      holder.innerHTML = '<svg id="gg-defs" width="0" height="0" aria-hidden="true" ' +
        'style="position:absolute;left:0;top:0"><defs>' + defs + "</defs></svg>";
      document.body.appendChild(holder.firstChild);
    }
  }
  function pane(map, name, z) {
    if (!map.getPane(name)) { map.createPane(name).style.zIndex = String(z); }
    return name;
  }
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", VALUE = {};
  for (var d = 0; d < 64; d++) { VALUE[DIGITS.charAt(d)] = d; }
  function decode(s) {
    // Inverse of maps._layers.encode_coords: varint deltas of lon, lat at 5 decimals.
    var vals = [], out = [], i = 0, n = s.length, b, r, shift, k, x = 0, y = 0;
    while (i < n) {
      r = 0; shift = 0;
      do { b = VALUE[s.charAt(i++)]; r |= (b & 31) << shift; shift += 5; } while (b >= 32);
      vals.push(r & 1 ? ~(r >> 1) : r >> 1);
    }
    for (k = 0; k + 1 < vals.length; k += 2) {
      x += vals[k]; y += vals[k + 1];
      out.push([x / 1e5, y / 1e5]);
    }
    return out;
  }
  function expand(e) { return typeof e === "string" ? decode(e) : e.map(expand); }
  function card(a, labels) {
    // A tooltip or popup: trusted HTML, or [title, value per label..., note] (escaped in Python).
    if (typeof a === "string") { return a; }
    var h = "<h3>" + a[0] + "</h3><table>", i;
    for (i = 0; i < labels.length; i++) {
      if (a[i + 1] !== "" && a[i + 1] != null) {
        h += "<tr><th>" + labels[i] + "</th><td>" + a[i + 1] + "</td></tr>";
      }
    }
    h += "</table>";
    return a.length > labels.length + 1 ? h + a[labels.length + 1] : h;
  }
  function layer(map, data, o) {
    var live = o.interactive !== false;
    data.features.forEach(function (f) {
      var g = f.geometry;
      if (g && g.enc) { f.geometry = {type: g.type, coordinates: expand(g.enc)}; }
    });
    var where = o.pane ? pane(map, o.pane, o.z) : "overlayPane";
    return L.geoJSON(data, {
      pane: where,
      interactive: live,
      style: function (f) { return o.styles[f.properties.s]; },
      pointToLayer: function (f, ll) {
        var s = o.styles[f.properties.s];
        if (s.icon) {
          var size = s.size || null;
          return L.marker(ll, {
            pane: o.pane ? where : "markerPane", interactive: live, keyboard: false, riseOnHover: live, zIndexOffset: s.zi || 0,
            icon: L.divIcon({
              className: s.icon, html: f.properties.h || s.html || "", iconSize: size,
              iconAnchor: size ? [size[0] / 2, size[1] / 2] : null
            })
          });
        }
        var opts = L.extend({}, s, {pane: where, interactive: live});
        return L.circleMarker(ll, opts);
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        if (p.t) {
          l.bindTooltip(card(p.t, o.tipRows || []), {sticky: !!o.sticky, direction: "top", className: "gg-tip"});
        }
        if (p.p) { l.bindPopup(card(p.p, o.popRows || []), {maxWidth: 360, className: "gg-popup"}); }
      }
    });
  }
  function panel(map, position, cls, html) {
    var c = L.control({position: position});
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "gg-panel " + cls);
      d.innerHTML = html;
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    c.addTo(map);
    return c;
  }
  return {setup: setup, layer: layer, panel: panel};
})();
"""

CLIENT_CSS = """
.leaflet-container{background:#eef0ec;font-family:"Noto Sans CJK SC","Source Han Sans SC",
"Microsoft YaHei","PingFang SC","WenQuanYi Zen Hei","Hiragino Sans GB",sans-serif}
.gg-panel{background:rgba(255,255,255,.94);padding:8px 11px;border-radius:6px;
box-shadow:0 1px 6px rgba(0,0,0,.3);font-size:13px;line-height:1.55;color:#222;max-width:300px}
.gg-panel.gg-title{max-width:640px;padding:10px 14px}
.gg-title h1{font-size:24px;margin:0 0 4px;font-weight:700;line-height:1.3}
.gg-title .gg-head{font-size:22px;font-weight:700;line-height:1.35;color:#08306b;margin-top:4px}
.gg-title .gg-loss{color:#b2182b}
.gg-title .gg-std{margin-top:6px;padding-top:4px;border-top:1px solid #ddd}
.gg-title .gg-sub{color:#555;font-size:13px;margin-top:4px}
.gg-title .gg-figs{margin-top:3px;font-size:17px}
.gg-title .gg-figs b{color:#08306b}
.gg-title .gg-gap{color:#b2182b}
.gg-legend h2{font-size:13px;margin:6px 0 2px;font-weight:700}
.gg-legend h2:first-child{margin-top:0}
.gg-row{display:flex;align-items:center;gap:7px;white-space:nowrap}
.gg-row .gg-n{color:#777;margin-left:auto;padding-left:10px}
.gg-key{width:22px;height:14px;flex:none;display:flex;align-items:center;justify-content:center}
.gg-sw{width:20px;height:12px;box-sizing:border-box;border:1px solid rgba(0,0,0,.25)}
.gg-line{width:22px;height:0;border-top:3px solid #222}
.gg-sym,.gg-label{background:none;border:none}
.gg-sym svg{display:block;overflow:visible;filter:drop-shadow(0 1px 1px rgba(0,0,0,.35))}
.gg-label span{position:absolute;transform:translate(-50%,6px);white-space:nowrap;
font-size:12px;font-weight:700;color:#3b3b3b;pointer-events:none;
text-shadow:0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}
.gg-popup table{border-collapse:collapse;font-size:12.5px}
.gg-popup th{text-align:left;color:#666;font-weight:400;padding:1px 10px 1px 0;white-space:nowrap;
vertical-align:top}
.gg-popup td{padding:1px 0}
.gg-popup h3,.gg-tip h3{margin:0 0 4px;font-size:14px}
.gg-tip{font-size:12.5px;line-height:1.5}
.gg-tip .gg-bad{color:#b2182b;font-weight:700}
.leaflet-control-layers{font-size:13px}
"""
