"""Issues as a GIS layer: the ``issues`` point layer written into the workspace GeoPackage
(for QGIS) and served to staff maps; category, state and place, no personal data."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridgov.crs import CGCS2000
from gridgov.issues.lifecycle import Issue

__all__ = ["issues_layer"]


def issues_layer(issues: list[Issue]) -> gpd.GeoDataFrame:
    """Issues as a point layer (EPSG:4490) for the workspace and maps; no personal data."""
    rows = [
        {
            "issue_id": i.issue_id,
            "category": i.category,
            "status": i.status.value,
            "status_zh": i.status.label_zh,
            "level": i.level,
            "unit_name": i.unit_name,
            "station_id": i.station_id,
            "grid_code": i.grid_code,
            "escalations": i.escalations,
            "reopened": i.reopened,
            "rating": i.rating,
            "created_at": i.created_at.isoformat(),
            "description": i.description[:200],
        }
        for i in issues
    ]
    geom = shapely.points([i.lon for i in issues], [i.lat for i in issues]) if issues else []
    return gpd.GeoDataFrame(rows, geometry=list(geom), crs=CGCS2000)
