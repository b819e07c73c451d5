"""The region map: one shape per county, coloured by coverage, each linking to its own map.

What a city or provincial office opens first after ``gridgov coverage REGION``: which of
its counties keep villages within the standard and which lag, at a glance, and one click
to the county's own coverage (or consolidation) map in its folder. A county that failed
is grey and says why. Like every gridgov map the page opens offline (:func:`save_html`).
"""

from __future__ import annotations

import html
import math
from typing import Any

import folium
import geopandas as gpd
import pyproj

from gridgov.messages import text
from maps._basemaps import resolve_basemap
from maps._layers import Display

__all__ = ["FAILED_COLOUR", "SHARE_CLASSES", "region_map"]

#: Share of villages within the standard -> fill colour, highest class first.
SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.95, "#1a9850", "≥95%"),
    (0.85, "#91cf60", "85%–95%"),
    (0.70, "#fee08b", "70%–85%"),
    (0.50, "#fc8d59", "50%–70%"),
    (0.0, "#d73027", "<50%"),
)
#: Fill of a county that failed.
FAILED_COLOUR = "#9e9e9e"


def _colour(share: float) -> str:
    return next(colour for lo, colour, _ in SHARE_CLASSES if share >= lo)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def region_map(
    counties: gpd.GeoDataFrame,
    *,
    title: str,
    basemap: str = "none",
    tianditu_key: str | None = None,
    simplify_m: float = 300.0,
) -> folium.Map:
    """Map of a region's counties, ready to save as an offline HTML page.

    Parameters
    ----------
    counties : GeoDataFrame
        One row per county: ``code, name, share`` (share of villages within the standard,
        0-1; None for a county that failed), ``reason`` (why it failed) and ``link`` (the
        county's own map, relative to the page; None when there is none), with its outline.
    title : str
        Shown at the top with the legend.
    basemap : {"none", "osm", "tianditu", "amap"}, default "none"
        ``none`` needs no internet at all; on ``amap`` (GCJ-02 tiles) the outlines are
        shifted to match.
    tianditu_key : str, optional
        The 天地图 key, for ``basemap="tianditu"``.
    simplify_m : float, default 300
        Outlines are simplified to this many metres (a province's counties stay light).

    Returns
    -------
    folium.Map
    """
    base = resolve_basemap(basemap, tianditu_key)
    # simplified in metres (Web Mercator is plenty for drawing a province), never in degrees
    display = Display(pyproj.CRS.from_epsg(3857), gcj02=base.gcj02)
    shapes = gpd.GeoSeries(display.polygons(counties, simplify_m=simplify_m), crs=counties.crs)
    features = []
    for row, geom in zip(counties.itertuples(index=False), shapes, strict=True):
        if geom is None or geom.is_empty:
            continue
        name, code = html.escape(str(row.name)), html.escape(str(row.code))
        if _missing(row.share):
            colour = FAILED_COLOUR
            popup = text("region.map_failed", name=name, code=code, reason=html.escape(row.reason))
            tip = f"{name} ✕"
        else:
            share = float(row.share)
            colour = _colour(share)
            popup = text("region.map_popup", name=name, code=code, share=f"{share:.1%}")
            if not _missing(row.link):
                link = html.escape(str(row.link))
                popup += f'<br><a href="{link}" target="_blank">{text("region.map_link")}</a>'
            tip = f"{name} {share:.1%}"
        features.append(
            {
                "type": "Feature",
                "geometry": geom.__geo_interface__,
                "properties": {"code": row.code, "colour": colour, "popup": popup, "tip": tip},
            }
        )
    x0, y0, x1, y1 = (float(v) for v in shapes.total_bounds) if len(shapes) else (0.0,) * 4
    fmap = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=7)
    base.add_to(fmap)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=text("region.map_layer"),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#444444",
            "weight": 0.8,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)
    swatch = '<span style="display:inline-block;width:14px;height:10px;background:{}"></span>'
    legend = "".join(
        f"<div>{swatch.format(colour)} {label}</div>" for _, colour, label in SHARE_CLASSES
    )
    legend += f"<div>{swatch.format(FAILED_COLOUR)} {text('region.map_failed_legend')}</div>"
    root: Any = fmap.get_root()  # a branca Figure: the title box joins its html
    root.html.add_child(
        folium.Element(
            '<div style="position:fixed;top:10px;left:50px;z-index:1000;background:white;'
            'padding:6px 10px;border:1px solid #888;font:14px sans-serif">'
            f"<b>{html.escape(title)}</b>"
            f'<div style="font-size:12px;margin-top:4px">{legend}</div></div>'
        )
    )
    if len(features):
        fmap.fit_bounds([[y0, x0], [y1, x1]])
    return fmap
