"""Workspace inputs that the coverage analysis and the consolidation planner both read.

Demand points (who lives where) and the grouping of deputies into stations by road
travel from home are computed the same way for today's stations (:func:`~gridgov.coverage.analyse`)
and for a plan's kept ones (:func:`~gridgov.coverage.consolidate.consolidate`), so they
live here once rather than in either.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridgov.coverage.grouping import GROUPING_COLUMNS, group_deputies
from gridgov.coverage.standard import ReachStandard
from gridgov.model import Workspace
from gridgov.routing.costs import cost_table, snap_to_graph
from gridgov.routing.graph import RoadGraph
from gridgov.settings import Settings

__all__ = ["demand_points", "empty_grouping", "group_on_roads"]


def demand_points(ws: Workspace, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Where the people are: settlements with population, plus the representative point
    of every village that has none (with the village's population), in ``crs``.

    Returns
    -------
    GeoDataFrame
        ``demand_id, village_code, population, source`` (``"settlement"`` or
        ``"village_centroid"``), point geometry.
    """
    villages = ws.villages.to_crs(crs)
    frames = []
    have: set[str] = set()
    if ws.settlements is not None and len(ws.settlements):
        s = ws.settlements.to_crs(crs)
        s = s[s["population"].fillna(0) > 0]
        have = set(s["village_code"])
        frames.append(
            gpd.GeoDataFrame(
                {
                    "demand_id": s["settlement_id"].astype(str).to_numpy(),
                    "village_code": s["village_code"].to_numpy(),
                    "population": s["population"].to_numpy(dtype=float),
                    "source": "settlement",
                },
                geometry=s.geometry.to_numpy(),
                crs=crs,
            )
        )
    rest = villages[~villages["code"].isin(have)]
    if len(rest):
        frames.append(
            gpd.GeoDataFrame(
                {
                    "demand_id": rest["code"].to_numpy(),
                    "village_code": rest["code"].to_numpy(),
                    "population": rest["population"].fillna(0).to_numpy(dtype=float),
                    "source": "village_centroid",
                },
                geometry=rest.geometry.representative_point().to_numpy(),
                crs=crs,
            )
        )
    demand = pd.concat(frames, ignore_index=True) if frames else gpd.GeoDataFrame()
    return gpd.GeoDataFrame(demand, geometry="geometry", crs=crs)


def empty_grouping() -> pd.DataFrame:
    """The grouping table of a workspace without deputies (its columns, no rows)."""
    return pd.DataFrame(columns=list(GROUPING_COLUMNS))


def group_on_roads(
    ws: Workspace,
    stations: gpd.GeoDataFrame,
    graph: RoadGraph | None,
    std: ReachStandard,
    settings: Settings,
) -> pd.DataFrame:
    """就近编组进站: the workspace's deputies to ``stations`` by travel from home.

    Travel is by road on ``graph`` (or straight line times the detour factor without
    one), by the standard's mode; the grouping itself is :func:`group_deputies`.
    ``stations`` are projected, like the graph.
    """
    if ws.deputies is None or len(ws.deputies) == 0:
        return empty_grouping()
    deps = ws.deputies.to_crs(stations.crs).reset_index(drop=True)
    hx, hy = deps.geometry.x.to_numpy(), deps.geometry.y.to_numpy()
    sx, sy = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    # Deputies travel to their station's reception day by e-bike or car; search far enough
    # that every deputy sees a few stations (county scale: the whole county).
    cutoff = max(3 * 3600.0, 4 * std.limit if std.is_time else 0.0)
    if graph is not None:
        costs = cost_table(
            graph,
            snap_to_graph(graph, hx, hy, mode=std.travel_mode),
            snap_to_graph(graph, sx, sy, mode=std.travel_mode),
            origin_ids=deps["deputy_id"].to_numpy(),
            destination_ids=stations["station_id"].to_numpy(),
            weight="time",
            mode=std.travel_mode,
            settings=settings,
            cutoff=cutoff,
        )
    else:
        speed = settings.speeds_kmh[std.travel_mode]["village"] / 3.6
        d = (
            np.hypot(hx[:, None] - sx[None, :], hy[:, None] - sy[None, :])
            * settings.detour_factor
            / speed
        )
        oi, di = np.nonzero(d <= cutoff)
        costs = pd.DataFrame(
            {
                "origin_id": deps["deputy_id"].to_numpy()[oi],
                "destination_id": stations["station_id"].to_numpy()[di],
                "cost": d[oi, di],
            }
        )
    table = group_deputies(
        pd.DataFrame(deps.drop(columns="geometry")),
        pd.DataFrame(stations.drop(columns="geometry")),
        costs,
        min_per_station=settings.min_deputies_per_station,
        max_per_station=settings.max_deputies_per_station,
    )
    return table
