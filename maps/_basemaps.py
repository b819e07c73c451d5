"""Basemaps a county can put under its overlays: none, OpenStreetMap, 天地图, 高德.

Tiles are optional decoration: every overlay is drawn from inlined data, so with no
basemap reachable (an intranet) the map still shows all its layers on a plain ground.
天地图 (the national platform, CGCS2000 ≈ WGS84) needs a key; 高德 tiles are drawn in
GCJ-02, so a 高德 map shifts every overlay coordinate into GCJ-02 to line up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

import folium

from gridgov._errors import ParameterError
from gridgov.settings import Settings

__all__ = ["BASEMAPS", "Basemap", "Tiles", "resolve_basemap", "tianditu_key"]

#: Accepted basemap names (and their Chinese aliases in :data:`_ALIASES`).
BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
#: Environment variables read, in order, for the 天地图 key.
TIANDITU_ENV: tuple[str, ...] = ("GRIDGOV_TIANDITU_KEY", "TIANDITU_KEY")

_ALIASES = {
    "none": "none",
    "": "none",
    "无": "none",
    "无底图": "none",
    "osm": "osm",
    "openstreetmap": "osm",
    "tianditu": "tianditu",
    "tdt": "tianditu",
    "天地图": "tianditu",
    "amap": "amap",
    "gaode": "amap",
    "autonavi": "amap",
    "高德": "amap",
    "高德地图": "amap",
}
_TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


@dataclass(frozen=True)
class Tiles:
    """One tile layer: a Leaflet URL template and how the layer control lists it."""

    url: str
    name: str
    attribution: str
    subdomains: str = "abc"
    overlay: bool = False
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """A resolved basemap: its tile layers and whether overlays must be shifted to GCJ-02."""

    key: str
    label_zh: str
    gcj02: bool
    tiles: tuple[Tiles, ...]

    def add_to(self, m: folium.Map) -> None:
        """Add the tile layers to ``m`` (nothing for ``none``)."""
        for t in self.tiles:
            folium.TileLayer(
                tiles=t.url,
                attr=t.attribution,
                name=t.name,
                subdomains=t.subdomains,
                max_zoom=t.max_zoom,
                overlay=t.overlay,
                control=True,
            ).add_to(m)


def tianditu_key(explicit: str | None = None, *, settings: Settings | None = None) -> str:
    """The 天地图 key: ``explicit``, else an environment variable, else the setting.

    Parameters
    ----------
    explicit : str, optional
        A key passed by the caller; wins when non-empty.
    settings : Settings, optional
        Where ``tianditu_key`` is read last (default: :class:`~gridgov.settings.Settings`).

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        If no key is found anywhere, saying how to set one.
    """
    for candidate in (explicit, *(os.environ.get(name) for name in TIANDITU_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    configured = (settings or Settings()).tianditu_key
    if configured and configured.strip():
        return configured.strip()
    raise ParameterError(
        "the 天地图 (tianditu) basemap needs a key and none was found: pass "
        "tianditu_key=..., or set the environment variable GRIDGOV_TIANDITU_KEY "
        "(or TIANDITU_KEY), or set tianditu_key in the settings file; a browser key "
        "is free from the 天地图 developer console (console.tianditu.gov.cn). "
        "Or use basemap='none', which needs no key and no internet.",
        parameter="tianditu_key",
    )


def resolve_basemap(
    basemap: str, tianditu_key_value: str | None = None, *, settings: Settings | None = None
) -> Basemap:
    """Resolve a basemap name (``none``, ``osm``, ``tianditu``/``天地图``, ``amap``/``高德``).

    Raises
    ------
    ParameterError
        If the name is unknown (listing the accepted ones), or 天地图 has no key.
    """
    key = _ALIASES.get(str(basemap).strip().lower())
    if key is None:
        raise ParameterError(
            f"basemap={basemap!r} is not known; expected one of {', '.join(BASEMAPS)} "
            "(or 天地图 / 高德)",
            parameter="basemap",
            value=basemap,
        )
    if key == "none":
        return Basemap("none", "无底图", False, ())
    if key == "osm":
        osm = Tiles(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "OpenStreetMap",
            "&copy; OpenStreetMap contributors",
            subdomains="abc",
            max_zoom=19,
        )
        return Basemap("osm", "OpenStreetMap", False, (osm,))
    if key == "amap":
        amap = Tiles(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            "高德地图",
            "&copy; 高德地图 AutoNavi（GCJ-02）",
            subdomains="1234",
        )
        return Basemap("amap", "高德地图", True, (amap,))
    tk = quote(tianditu_key(tianditu_key_value, settings=settings), safe="")
    attribution = "&copy; 天地图 国家地理信息公共服务平台"
    vec = Tiles(_TIANDITU.format(layer="vec", key=tk), "天地图 矢量", attribution, "01234567")
    cva = Tiles(
        _TIANDITU.format(layer="cva", key=tk), "天地图 注记", attribution, "01234567", overlay=True
    )
    return Basemap("tianditu", "天地图", False, (vec, cva))
