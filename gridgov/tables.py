"""Tabular views of workspace layers for people: Chinese headers, labels, no personal data.

County planners read results in Excel. These helpers turn a layer into a plain table with
the schema's Chinese column labels, enum values shown as their Chinese labels, geometry
replaced by lon/lat (points) or dropped, and personal columns (phones, grid workers)
removed unless the caller explicitly asks for them.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from gridgov.model import LAYERS, Workspace

__all__ = ["layer_table", "roster_sheets"]


def layer_table(
    gdf: gpd.GeoDataFrame, layer: str, *, include_personal: bool = False
) -> pd.DataFrame:
    """Return ``gdf`` as a people-readable table with Chinese headers.

    Parameters
    ----------
    gdf : GeoDataFrame
        A workspace layer (EPSG:4490).
    layer : str
        Its name in :data:`gridgov.model.LAYERS`.
    include_personal : bool, default False
        Keep personal columns (phones, grid workers). Off for anything that may be shared.

    Returns
    -------
    DataFrame
        Same index as ``gdf``; schema columns first (Chinese labels), then other columns.
    """
    schema = LAYERS[layer]
    out = pd.DataFrame(index=gdf.index)
    for col in schema.columns:
        if col.name not in gdf.columns or (col.personal and not include_personal):
            continue
        values = gdf[col.name]
        if col.enum is not None:
            enum = col.enum
            values = values.map(lambda v, e=enum: e(v).label_zh if pd.notna(v) else v)
        out[col.label_zh] = values
    if schema.geometry == ("Point",) and len(gdf):
        out["经度"] = gdf.geometry.x.round(6)
        out["纬度"] = gdf.geometry.y.round(6)
    personal = set(schema.personal)
    extra = [
        c
        for c in gdf.columns
        if c not in schema.names and c != gdf.geometry.name and c not in personal
    ]
    for name in extra:
        out[name] = gdf[name]
    return out


def roster_sheets(ws: Workspace) -> dict[str, pd.DataFrame]:
    """The public roster of a workspace: one sheet per layer a planner looks up."""
    sheets: dict[str, pd.DataFrame] = {}
    for name in ("townships", "villages", "stations", "deputies", "grids"):
        gdf = getattr(ws, name)
        if gdf is not None:
            sheets[LAYERS[name].label_zh] = layer_table(gdf, name)
    return sheets
