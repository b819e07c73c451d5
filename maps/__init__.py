"""Folium rendering of gridgov results (coverage and consolidation maps).

Only turns core results into ``folium.Map`` objects; the core never imports this package.
Every map is self-contained: Leaflet and gridgov's scripts are inlined, so a saved page
opens on an intranet with no internet (:func:`save_html`).
"""

from __future__ import annotations

try:
    import folium  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("gridgov's maps need folium: pip install 'gridgov[maps]'") from exc

from maps._basemaps import BASEMAPS, tianditu_key
from maps._offline import external_references, make_offline, render_html, save_html
from maps.consolidation import consolidation_map
from maps.coverage import coverage_map, travel_classes
from maps.region import region_map

__all__ = [
    "BASEMAPS",
    "consolidation_map",
    "coverage_map",
    "external_references",
    "make_offline",
    "region_map",
    "render_html",
    "save_html",
    "tianditu_key",
    "travel_classes",
]
