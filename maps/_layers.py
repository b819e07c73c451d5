"""Light overlays: geometry simplified in metres, coordinates rounded, data inlined once.

A county map must open instantly on an office PC, so polygons are simplified in the
county's Gauss-Krüger zone (never on degrees), shared borders of villages and townships
are simplified together (no slivers between neighbours), coordinates are rounded to
about a metre, and each feature carries only a style index and its pre-escaped tooltip or
popup. On a 高德 basemap every coordinate is shifted into GCJ-02 before rounding.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pyproj
import shapely
from folium.template import Template
from numpy.typing import NDArray

from gridgov.crs import CGCS2000, projected_crs_for, wgs84_to_gcj02
from gridgov.model import Workspace

__all__ = [
    "Display",
    "Exclusive",
    "GeoJsonOverlay",
    "OverlayGroup",
    "Panel",
    "Setup",
    "decode_coords",
    "encode_coords",
    "features",
    "geometry_json",
    "js_json",
    "metric_crs",
]

log = logging.getLogger(__name__)


def js_json(value: object) -> str:
    """Compact JSON that is safe inside an HTML ``<script>`` element and a folium template.

    Only ``</`` (which would close the script) and ``<!--`` need escaping in a script;
    leaving the rest of the markup in tooltips readable keeps the page small. Folium
    re-reads every rendered script as a Jinja template, so a ``{`` opening ``{{``, ``{%``
    or ``{#`` (possible only inside a string: compact JSON never writes them) is escaped.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _JINJA_OPEN.sub(r"\\u007b", text)
    return (
        text.replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")

#: Polygon and line coordinates are sent encoded at this many decimals (about 1 m).
ENCODE_DECIMALS = 5
#: 64 characters that need no escaping in JSON, HTML or a Jinja template (base64url).
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def encode_coords(coords: NDArray[np.float64], decimals: int = ENCODE_DECIMALS) -> str:
    """Encode ``(lon, lat)`` rows as text: rounded, delta, zigzag, 5-bit varint digits.

    The scheme of Google's polyline algorithm (lon first here) with a base64url alphabet.
    Consecutive vertices of a simplified boundary are tens to hundreds of metres apart,
    so a vertex takes 4-6 characters instead of the ~20 of a JSON pair.
    """
    scaled = np.round(np.asarray(coords, dtype=np.float64)[:, :2] * 10**decimals).astype(np.int64)
    deltas = np.diff(scaled, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    chars: list[str] = []
    for value in (deltas << 1) ^ (deltas >> 63):  # zigzag: small negatives stay small
        v = int(value)
        while v >= 0x20:
            chars.append(_ALPHABET[0x20 | (v & 0x1F)])
            v >>= 5
        chars.append(_ALPHABET[v])
    return "".join(chars)


def decode_coords(text: str, decimals: int = ENCODE_DECIMALS) -> NDArray[np.float64]:
    """Inverse of :func:`encode_coords`: an ``(n, 2)`` array of lon, lat."""
    values: list[int] = []
    shift = result = 0
    for ch in text:
        digit = _INDEX[ch]
        result |= (digit & 0x1F) << shift
        shift += 5
        if digit < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    pairs = np.array(values, dtype=np.int64).reshape(-1, 2)
    return np.cumsum(pairs, axis=0) / 10**decimals


def geometry_json(geom: Any) -> dict[str, Any]:
    """GeoJSON geometry; polygon and line rings as :func:`encode_coords` text under ``"enc"``."""
    kind = geom.geom_type
    if kind in ("Point", "MultiPoint"):
        return dict(shapely.geometry.mapping(geom))

    def rings(poly: Any) -> list[str]:
        return [encode_coords(np.asarray(r.coords)) for r in (poly.exterior, *poly.interiors)]

    if kind == "Polygon":
        enc: Any = rings(geom)
    elif kind == "MultiPolygon":
        enc = [rings(p) for p in geom.geoms]
    elif kind == "LineString":
        enc = encode_coords(np.asarray(geom.coords))
    elif kind == "MultiLineString":
        enc = [encode_coords(np.asarray(line.coords)) for line in geom.geoms]
    else:
        raise ValueError(f"cannot draw a {kind}")
    return {"type": kind, "enc": enc}


def metric_crs(ws: Workspace) -> pyproj.CRS:
    """The workspace's projected CRS for metres (meta ``projected_epsg``, else its zone)."""
    epsg = str(ws.meta.get("projected_epsg", "")).removeprefix("EPSG:")
    if epsg.isdigit():
        return pyproj.CRS.from_epsg(int(epsg))
    return projected_crs_for(ws.county)


@dataclass(frozen=True)
class Display:
    """How geometries become drawn coordinates: metric CRS, GCJ-02 shift, rounding.

    ``decimals=5`` is about 1 m on the ground, finer than any station sign.
    """

    metric: pyproj.CRS
    gcj02: bool = False
    decimals: int = 5

    def lonlat(self, geoms: NDArray[Any], *, decimals: int | None = None) -> NDArray[Any]:
        """CGCS2000 geometries to drawn lon/lat: shifted when on GCJ-02 tiles, rounded."""
        out = geoms
        if self.gcj02:

            def shift(coords: NDArray[np.float64]) -> NDArray[np.float64]:
                x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
                return np.column_stack([x, y])

            out = shapely.transform(out, shift)
        places = self.decimals if decimals is None else decimals
        return shapely.transform(out, lambda c: np.round(c, places))

    def polygons(
        self, gdf: gpd.GeoDataFrame, *, simplify_m: float, coverage: bool = False
    ) -> NDArray[Any]:
        """Polygons simplified by ``simplify_m`` metres, as drawn lon/lat.

        ``coverage=True`` simplifies a partition (villages, townships) as a whole so
        neighbours keep one shared border; if the layer is not a clean partition the
        polygons are simplified one by one instead.
        """
        geoms = gdf.to_crs(self.metric).geometry.to_numpy()
        if simplify_m > 0 and len(geoms):
            geoms = _simplify(geoms, simplify_m, coverage=coverage)
        back = gpd.GeoSeries(geoms, crs=self.metric).to_crs(CGCS2000).to_numpy()
        return self.lonlat(back)

    def points(self, gdf: gpd.GeoDataFrame, *, decimals: int | None = None) -> NDArray[Any]:
        """Point geometries as drawn lon/lat."""
        return self.lonlat(gdf.to_crs(CGCS2000).geometry.to_numpy(), decimals=decimals)


def _simplify(geoms: NDArray[Any], tolerance_m: float, *, coverage: bool) -> NDArray[Any]:
    valid = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = geoms.copy()
    if coverage and valid.all():
        try:
            if bool(shapely.coverage_is_valid(geoms)):
                return np.asarray(shapely.coverage_simplify(geoms, tolerance_m))
        except shapely.errors.GEOSException as exc:  # pragma: no cover - GEOS corner cases
            log.debug("coverage simplification failed (%s); simplifying one by one", exc)
    out[valid] = shapely.simplify(geoms[valid], tolerance_m, preserve_topology=True)
    return out


def features(
    geoms: NDArray[Any], props: Sequence[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """GeoJSON features for drawn geometries (empty ones skipped) and their properties."""
    out = []
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": geometry_json(geom),
                "properties": dict(props[i]) if props is not None else {},
            }
        )
    return out


class GeoJsonOverlay(folium.map.Layer):
    """A GeoJSON overlay drawn by the inlined ``gridgov.layer`` script.

    Each feature's ``properties`` hold ``s`` (index into ``styles``), and optionally
    ``t`` (tooltip) and ``p`` (popup), each either HTML or a list ``[title, value...,
    note]`` laid out as a table against ``tooltip_rows`` / ``popup_rows`` (all text
    escaped by the caller), and ``h`` (a marker's HTML). A style with
    ``icon`` (a CSS class) draws points as HTML markers (symbols, labels); other points
    are circle markers.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gridgov.layer({{ this._parent.get_name() }},
            {{ this.data_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        feats: list[dict[str, Any]],
        *,
        name: str,
        styles: Sequence[dict[str, Any]],
        pane: str | None = None,
        z_index: int = 400,
        interactive: bool = True,
        sticky: bool = False,
        show: bool = True,
        control: bool = True,
        tooltip_rows: Sequence[str] = (),
        popup_rows: Sequence[str] = (),
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "GeoJsonOverlay"
        self.n_features = len(feats)
        self.data_js = js_json({"type": "FeatureCollection", "features": feats})
        options: dict[str, Any] = {"styles": list(styles), "interactive": interactive}
        if pane:
            options |= {"pane": pane, "z": z_index}
        if sticky:
            options["sticky"] = True
        if tooltip_rows:
            options["tipRows"] = list(tooltip_rows)
        if popup_rows:
            options["popRows"] = list(popup_rows)
        self.options_js = js_json(options)


class Setup(folium.MacroElement):
    """Runs once after the map is created: attribution prefix, SVG fill patterns."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gridgov.setup({{ this._parent.get_name() }}, {{ this.defs_js }});
        {% endmacro %}
        """
    )

    def __init__(self, defs_svg: str = "") -> None:
        super().__init__()
        self._name = "GridgovSetup"
        self.defs_js = js_json(defs_svg)


class Panel(folium.MacroElement):
    """A fixed panel (title, legend) as a Leaflet control holding trusted HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gridgov.panel({{ this._parent.get_name() }}, {{ this.position_js }},
            {{ this.css_class_js }}, {{ this.html_js }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, css_class: str, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "GridgovPanel"
        self.html = html
        self.position_js = js_json(position)
        self.css_class_js = js_json(css_class)
        self.html_js = js_json(html)


class OverlayGroup(folium.map.Layer):
    """Several overlays under one entry of the layer control (a view: 调整前, 调整后).

    The members must be added to the map before the group, with ``control=False`` and
    ``show=False``: the group shows and hides them together and keeps their panes.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup([{{ this.members_js }}]);
        {% endmacro %}
        """
    )

    def __init__(
        self, members: Sequence[folium.map.Layer], *, name: str, show: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "OverlayGroup"
        self.members_js = ", ".join(m.get_name() for m in members)


class Exclusive(folium.MacroElement):
    """Overlays shown one at a time: ticking one in the layer control unticks the others.

    Add it after the overlays. The others are removed once the layer control has
    finished handling the click, so that it redraws its check boxes to match.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, group) {
          map.on("overlayadd", function (e) {
            if (group.indexOf(e.layer) < 0) { return; }
            setTimeout(function () {
              group.forEach(function (l) {
                if (l !== e.layer && map.hasLayer(l)) { map.removeLayer(l); }
              });
            }, 0);
          });
        })({{ this._parent.get_name() }}, [{{ this.layers_js }}]);
        {% endmacro %}
        """
    )

    def __init__(self, layers: Sequence[folium.map.Layer]) -> None:
        super().__init__()
        self._name = "GridgovExclusive"
        self.layers_js = ", ".join(layer.get_name() for layer in layers)
