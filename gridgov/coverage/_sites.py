"""The sites a consolidation chooses among, and their travel costs, built once per plan.

Today's stations and any new candidate sites become the columns, the county's demand
points the rows, of one :class:`~gridgov.coverage.location.Instance`, on the same road
graph and speeds as :func:`~gridgov.coverage.analyse`; which sites must stay or close and
each site's township come with it. The plan, the trade-off curve and the plan's tables all
read this one :class:`Setup`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.coverage._workspace import demand_points
from gridgov.coverage.location import Instance
from gridgov.coverage.standard import ReachStandard, parse_standard
from gridgov.crs import workspace_crs
from gridgov.model import Workspace
from gridgov.routing.costs import cost_table, snap_to_graph
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings

__all__ = ["NEW_PREFIX", "Setup", "build_setup", "cost_matrix", "uncoverable"]

#: Prefix of the ids of new candidate sites (beside the existing stations' own ids).
NEW_PREFIX = "NEW-"


@dataclass(frozen=True)
class Setup:
    """Everything a plan or a curve needs, built once: sites, demand, costs, rules."""

    std: ReachStandard
    settings: Settings
    crs: pyproj.CRS
    sites: gpd.GeoDataFrame  # existing stations then new candidate sites, projected
    demand: gpd.GeoDataFrame
    instance: Instance
    keep: np.ndarray
    close: np.ndarray
    groups: np.ndarray
    graph: RoadGraph | None
    method: str
    #: Travel seconds from site to site (row from, column to), where the plan's cost is
    #: time: where a closed station goes is read from it. None at a distance standard.
    between_s: np.ndarray | None = None

    @property
    def existing(self) -> np.ndarray:
        """Which sites are stations today (not new candidates)."""
        return ~self.sites["station_id"].astype(str).str.startswith(NEW_PREFIX).to_numpy()


def _ids(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [v.strip() for v in values.split(",") if v.strip()]
    return [str(v) for v in values]


def _new_sites(
    ws: Workspace, new_sites: gpd.GeoDataFrame | Literal["villages"] | None, columns: pd.Index
) -> gpd.GeoDataFrame:
    """Candidate sites as station rows (tier 'point', regional) with ``NEW-`` ids."""
    if new_sites is None:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=ws.stations.crs)
    if isinstance(new_sites, str):
        if new_sites != "villages":
            raise ParameterError(
                f"new_sites must be 'villages' or a GeoDataFrame, got {new_sites!r}",
                parameter="new_sites",
                value=new_sites,
            )
        v = ws.villages
        sites = gpd.GeoDataFrame(
            {
                "station_id": NEW_PREFIX + v["code"].astype(str),
                "name": v["name"].astype(str) + "（新设联络点）",
                "township_code": v["township_code"].to_numpy(),
                "village_code": v["code"].to_numpy(),
            },
            geometry=v.geometry.representative_point().to_numpy(),
            crs=v.crs,
        )
    else:
        sites = new_sites.to_crs(ws.stations.crs).copy()
        missing = [c for c in ("station_id", "name") if c not in sites.columns]
        if missing:
            raise ValidationError(
                [Problem("new_sites", None, col, None, "column missing") for col in missing],
                context="new_sites",
            )
        sites["station_id"] = NEW_PREFIX + sites["station_id"].astype(str)
        if "township_code" not in sites.columns:
            joined = gpd.sjoin(sites[["geometry"]], ws.townships[["code", "geometry"]], how="left")
            sites["township_code"] = joined["code"].groupby(level=0).first()
    sites["tier"] = "point"
    sites["kind"] = "regional"
    out = sites.reindex(columns=columns)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=ws.stations.crs)


def build_setup(
    ws: Workspace,
    *,
    standard: str | ReachStandard | None,
    keep: Sequence[str] | str | None,
    keep_tiers: Sequence[str],
    close: Sequence[str] | str | None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None,
    settings: Settings | None,
    graph: RoadGraph | None,
    demand: gpd.GeoDataFrame | None = None,
) -> Setup:
    """The sites, demand, cost matrix and site rules of a consolidation of ``ws``.

    The arguments are :func:`~gridgov.coverage.consolidate.consolidate`'s (``demand``:
    :func:`~gridgov.coverage._workspace.demand_points` of ``ws`` in its projected CRS,
    when the caller has it). Tiers in
    ``keep_tiers`` keep every existing station of theirs; new sites are never kept.

    Raises
    ------
    ParameterError
        ``keep`` or ``close`` naming unknown stations, a station both kept and closed, or
        ``new_sites`` neither ``"villages"`` nor a GeoDataFrame.
    ValidationError
        New sites without ``station_id`` or ``name``, or a reach standard that cannot be read.
    """
    settings = settings or Settings()
    std = parse_standard(standard or settings.reach_standard)
    crs = workspace_crs(ws)
    stations = ws.stations.reset_index(drop=True)
    candidates = _new_sites(ws, new_sites, stations.columns)
    sites = pd.concat([stations, candidates], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=ws.stations.crs).to_crs(crs)
    ids = sites["station_id"].astype(str)
    known = set(ids)
    for name, given in (("keep", keep), ("close", close)):
        unknown = [s for s in _ids(given) if s not in known]
        if unknown:
            raise ParameterError(
                f"{name} names stations that are not in the workspace: {', '.join(unknown[:10])}",
                parameter=name,
                value=unknown,
            )
    tiers = sites["tier"].astype(str).to_numpy()
    keep_mask = ids.isin(_ids(keep)).to_numpy() | (
        np.isin(tiers, list(keep_tiers)) & ~ids.str.startswith(NEW_PREFIX).to_numpy()
    )
    close_mask = ids.isin(_ids(close)).to_numpy()
    both = ids[keep_mask & close_mask]
    if len(both):
        raise ParameterError(
            f"stations both kept and closed: {', '.join(both[:10])} (a closed station of a"
            " kept tier must be left out of keep_tiers or of close)",
            parameter="close",
            value=list(both),
        )
    demand = demand_points(ws, crs) if demand is None else demand
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    network = ws.roads is not None and len(ws.roads) > 0 and std.mode != "straight"
    graph = (graph or build_road_graph(ws.roads, crs=crs)) if network else None
    # The searches run from the sites, so the travel from the sites to each other is one
    # more row per site, not another search per kept station (as the plan's tables need)
    full = cost_matrix(
        graph, (np.r_[dx, sx], np.r_[dy, sy]), (sx, sy), std=std, settings=settings,
        weight="time" if std.is_time else "distance",
    )  # fmt: skip
    cost, between = full[: dx.size], full[dx.size :]
    method = "network" if network else "straight-line"
    instance = Instance.from_cost_matrix(
        cost,
        demand["population"].to_numpy(dtype=float),
        demand_ids=demand["demand_id"].astype(str).to_numpy(),
        site_ids=ids.to_numpy(),
    )
    groups = sites["township_code"].astype(str).to_numpy()
    return Setup(
        std, settings, crs, sites, demand, instance, keep_mask, close_mask, groups,
        graph if network else None, method, between if std.is_time else None,
    )  # fmt: skip


def cost_matrix(
    graph: RoadGraph | None,
    origins: tuple[np.ndarray, np.ndarray],
    destinations: tuple[np.ndarray, np.ndarray],
    *,
    std: ReachStandard,
    settings: Settings,
    weight: Literal["time", "distance"],
) -> np.ndarray:
    """Dense origin x destination travel (seconds or metres) by road, or by straight line
    times the detour factor when there is no road graph (``inf``: unreachable)."""
    (ox, oy), (tx, ty) = origins, destinations
    if graph is not None:
        table = cost_table(
            graph,
            snap_to_graph(graph, ox, oy, mode=std.travel_mode),
            snap_to_graph(graph, tx, ty, mode=std.travel_mode),
            origin_ids=np.arange(ox.size),
            destination_ids=np.arange(tx.size),
            weight=weight,
            mode=std.travel_mode,
            settings=settings,
        )
        cost = np.full((ox.size, tx.size), np.inf)
        cost[table["origin_id"].to_numpy(), table["destination_id"].to_numpy()] = table["cost"]
        return cost
    factor = 1.0 if std.mode == "straight" else settings.detour_factor
    metres = np.hypot(ox[:, None] - tx[None, :], oy[:, None] - ty[None, :]) * factor
    speed = settings.speeds_kmh[std.travel_mode]["village"] / 3.6
    return metres / speed if weight == "time" else metres


def uncoverable(setup: Setup) -> np.ndarray:
    """Demand points that no candidate site reaches within the standard."""
    c = setup.instance.cost
    allowed = ~setup.close
    ok = (c[:, allowed] <= setup.std.limit).any(axis=1)
    return ~ok & (setup.instance.weight > 0)
