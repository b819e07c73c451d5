"""Issues as a GIS layer: the ``issues`` point layer written into the workspace GeoPackage
(for QGIS) and served to staff maps; category, state and place, no personal data.

:func:`issues_layer` gives a GeoDataFrame (the GeoPackage, maps); :func:`issues_geojson`
writes the same features straight to GeoJSON text for the API, without building a frame:
a page of 5,000 issues through ``GeoDataFrame.to_json`` cost more than reading it.

In the GeoPackage the dates are DATETIME fields (QGIS filters and sorts them as dates,
not text) holding Beijing wall-clock time, the time the county office lives by, and the
field names say so (:func:`issues_style`). A GeoPackage DATETIME is UTC ("...Z") or a
bare local time; GDAL flags a "+08:00" offset as non-conformant on every read, and UTC
would show a 9:30 whistle as 01:30 in QGIS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gridgov.crs import CGCS2000
from gridgov.io._qgis import Category, LayerStyle
from gridgov.issues.lifecycle import Issue
from gridgov.messages import text
from gridgov.model import CHINA_TIME, IssueStatus
from gridgov.store.base import POINT_DESCRIPTION, IssuePoint

__all__ = [
    "COORDINATE_DECIMALS",
    "LAYER_DATES",
    "issue_properties",
    "issues_geojson",
    "issues_layer",
    "issues_style",
]

#: The date fields of the workspace layer, in Beijing wall-clock time.
LAYER_DATES = ("created_at", "updated_at", "closed_at", "resolve_due")
# A state's colour in QGIS: open whistles warm, settled ones green, closed grey.
_STATUS_COLOURS = {
    IssueStatus.RAISED: "#d7301f",
    IssueStatus.LOCATED: "#ef6548",
    IssueStatus.ASSIGNED: "#fc8d59",
    IssueStatus.DISPATCHED: "#fdbb84",
    IssueStatus.ACKNOWLEDGED: "#fee08b",
    IssueStatus.IN_PROGRESS: "#e6f598",
    IssueStatus.RESOLVED: "#66bd63",
    IssueStatus.RATED: "#1a9850",
    IssueStatus.CLOSED: "#969696",
}

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


def _wall_clock(at: datetime | None) -> datetime | None:
    """Beijing wall-clock time to the second, without an offset (what the layer holds)."""
    if at is None:
        return None
    local = at.astimezone(CHINA_TIME) if at.tzinfo is not None else at
    # whole seconds: nobody reads an issue's time to the millisecond
    return local.replace(tzinfo=None, microsecond=0)


def issues_layer(issues: list[Issue]) -> gpd.GeoDataFrame:
    """Issues as a point layer (EPSG:4490) for the workspace and maps; no personal data.

    The columns of :func:`issue_properties`, with the dates of :data:`LAYER_DATES` as
    datetimes in Beijing wall-clock time (written as GeoPackage DATETIME fields).
    """
    rows = [issue_properties(i) for i in issues]
    for row, issue in zip(rows, issues, strict=True):
        for name in LAYER_DATES:
            row[name] = _wall_clock(getattr(issue, name, None))
    geom = shapely.points([i.lon for i in issues], [i.lat for i in issues]) if issues else []
    frame = gpd.GeoDataFrame(rows, geometry=list(geom), crs=CGCS2000)
    for name in LAYER_DATES:
        # a column of only None (no issue closed yet) would be written as text
        values = [row[name] for row in rows]
        frame[name] = pd.Series(values, index=frame.index, dtype="datetime64[ms]")
    return frame


def issues_style() -> LayerStyle:
    """QGIS style of :func:`issues_layer`: points by state, field names in the current
    language, the dates said to be Beijing time."""
    return LayerStyle(
        title=text("report.qgis.issues"),
        aliases={
            "issue_id": text("report.qgis.issue_id"),
            "category": text("report.qgis.issue_category"),
            "status": text("report.qgis.issue_status"),
            "status_zh": text("report.qgis.issue_status_zh"),
            "level": text("report.qgis.issue_level"),
            "unit_name": text("report.qgis.issue_unit"),
            "station_id": text("report.qgis.issue_station"),
            "grid_code": text("report.qgis.issue_grid"),
            "escalations": text("report.qgis.issue_escalations"),
            "reopened": text("report.qgis.issue_reopened"),
            "rating": text("report.qgis.issue_rating"),
            "description": text("report.qgis.issue_description"),
            **{name: text(f"report.qgis.issue_{name}") for name in LAYER_DATES},
        },
        classify="status",
        categories=[
            Category(s.value, s.label_zh, _STATUS_COLOURS[s], size=3.2) for s in IssueStatus
        ],
        values={"status": {s.value: s.label_zh for s in IssueStatus}},
    )


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
