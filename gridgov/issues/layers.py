"""Issues as a GIS layer: the ``issues`` point layer written into the workspace GeoPackage
(for QGIS) and served to staff maps; category, state and place, no personal data.

:func:`issues_layer` gives a GeoDataFrame (the GeoPackage, maps); :func:`issues_geojson`
writes the same features straight to GeoJSON text for the API, without building a frame:
a page of 5,000 issues through ``GeoDataFrame.to_json`` cost more than reading it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import shapely

from gridgov.crs import CGCS2000
from gridgov.issues.lifecycle import Issue
from gridgov.store.base import POINT_DESCRIPTION, IssuePoint

__all__ = ["COORDINATE_DECIMALS", "issue_properties", "issues_geojson", "issues_layer"]

#: Decimals of the degrees :func:`issues_geojson` writes: 1e-7 degree is about 1 cm, well
#: inside any phone's fix, and drops the float noise of the last digits.
COORDINATE_DECIMALS = 7

# the name GeoPandas writes for a frame in EPSG:4490, kept so clients see one layer shape
_CRS_MEMBER = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}


def issue_properties(issue: Issue | IssuePoint) -> dict[str, Any]:
    """The layer's columns for one issue: category, state and place, no personal data."""
    return {
        "issue_id": issue.issue_id,
        "category": issue.category,
        "status": issue.status.value,
        "status_zh": issue.status.label_zh,
        "level": issue.level,
        "unit_name": issue.unit_name,
        "station_id": issue.station_id,
        "grid_code": issue.grid_code,
        "escalations": issue.escalations,
        "reopened": issue.reopened,
        "rating": issue.rating,
        "created_at": issue.created_at.isoformat(),
        "description": issue.description[:POINT_DESCRIPTION],
    }


def issues_layer(issues: list[Issue]) -> gpd.GeoDataFrame:
    """Issues as a point layer (EPSG:4490) for the workspace and maps; no personal data."""
    rows = [issue_properties(i) for i in issues]
    geom = shapely.points([i.lon for i in issues], [i.lat for i in issues]) if issues else []
    return gpd.GeoDataFrame(rows, geometry=list(geom), crs=CGCS2000)


def issues_geojson(
    issues: Sequence[Issue | IssuePoint], *, decimals: int = COORDINATE_DECIMALS
) -> str:
    """Issues as a GeoJSON FeatureCollection (EPSG:4490 degrees), the features and
    properties of :func:`issues_layer` in the same order, coordinates rounded to
    ``decimals``.

    Parameters
    ----------
    issues : sequence of Issue or IssuePoint
        The issues, or their points as the store reads them for a layer
        (:meth:`~gridgov.store.base.Store.issue_points`).
    decimals : int, default :data:`COORDINATE_DECIMALS`
        Decimals of the degrees written.

    Returns
    -------
    str
        The FeatureCollection's text (UTF-8 characters, not ``\\u`` escapes).
    """
    features = [
        {
            "type": "Feature",
            "properties": issue_properties(i),
            "geometry": {
                "type": "Point",
                "coordinates": [round(i.lon, decimals), round(i.lat, decimals)],
            },
        }
        for i in issues
    ]
    collection = {"type": "FeatureCollection", "features": features, "crs": _CRS_MEMBER}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False)
