"""出门即可达: who reaches which station, how fast, and where the gaps are.

:func:`analyse` takes a workspace and a reach standard and returns a frozen
:class:`~gridgov.coverage.result.CoverageResult`. Demand is people: settlements weighted by
population where the workspace has them, else village centroids. Travel is on the road
network (``gridgov.routing``); a county without roads falls back, explicitly, to
straight-line distance times ``Settings.detour_factor``, and every report says which.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from gridgov.coverage._workspace import demand_points, empty_grouping, group_on_roads
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import ReachStandard, parse_standard
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.model import DeputyLevel, Workspace
from gridgov.routing.costs import cost_table, nearest_facility, snap_to_graph
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings

__all__ = ["analyse", "ungrouped", "weighted_percentile"]

log = logging.getLogger(__name__)

#: Service areas are the reachable roads widened by this much (access from the roadside).
SERVICE_AREA_BUFFER_M = 150.0
_LEVEL_SHORT = {
    "national": "全国",
    "provincial": "省",
    "municipal": "市",
    "county": "县",
    "township": "乡镇",
}


def weighted_percentile(
    values: NDArray[np.float64], weights: NDArray[np.float64], q: float
) -> float:
    """The ``q``-th percentile (0-100) of ``values`` weighted by ``weights`` (NaNs dropped)."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    v, w = values[ok], weights[ok]
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, q / 100.0 * cum[-1])])


def analyse(
    ws: Workspace,
    *,
    standard: str | ReachStandard | None = None,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
    service_areas: bool = True,
    gap_sites: bool = True,
    group: bool = True,
    demand: gpd.GeoDataFrame | None = None,
) -> CoverageResult:
    """Coverage of a county's villages by its stations under a reach standard.

    Parameters
    ----------
    ws : Workspace
        County, villages, stations; settlements, roads and deputies where present.
    standard : str or ReachStandard, optional
        E.g. ``"15min:ebike"``; default ``settings.reach_standard``.
    settings : Settings, optional
    graph : RoadGraph, optional
        A road graph already built from ``ws.roads`` (saves rebuilding it).
    service_areas, gap_sites, group : bool
        Compute service-area polygons, best new sites for gaps, and the grouping of
        deputies into stations (each can be skipped for speed at national scale).
    demand : GeoDataFrame, optional
        ``demand_points(ws, workspace_crs(ws))`` when the caller has it (a consolidation
        analyses the same villages before and after; a county's villages are the costly
        part of a plan's coverage to project).

    Returns
    -------
    CoverageResult
    """
    settings = settings or Settings()
    std = parse_standard(standard or settings.reach_standard)
    crs = workspace_crs(ws)
    demand = demand_points(ws, crs) if demand is None else demand
    stations = ws.stations.to_crs(crs).reset_index(drop=True)
    sx, sy = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    weight: Literal["time", "distance"] = "time" if std.is_time else "distance"

    network = ws.roads is not None and len(ws.roads) > 0 and std.mode != "straight"
    if network:
        graph = graph or build_road_graph(ws.roads, crs=crs)
        d_snap = snap_to_graph(graph, dx, dy, mode=std.travel_mode)
        s_snap = snap_to_graph(graph, sx, sy, mode=std.travel_mode)
        near = nearest_facility(
            graph, d_snap, s_snap, weight=weight, mode=std.travel_mode, settings=settings
        )
        fac, travel_s, travel_m, snap_m = (
            near.facility,
            near.travel_s,
            near.travel_m,
            near.origin_snap_m,
        )
        method = "network"
    else:
        factor = 1.0 if std.mode == "straight" else settings.detour_factor
        dist, fac = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([dx, dy]))
        travel_m = dist * factor
        travel_s = travel_m / (settings.speeds_kmh[std.travel_mode]["village"] / 3.6)
        snap_m = np.zeros(len(demand))
        fac = fac.astype(np.int64)
        method = "straight-line"
    cost = travel_s if std.is_time else travel_m
    covered = np.isfinite(cost) & (cost <= std.limit)
    ids = stations["station_id"].to_numpy()
    demand = demand.assign(
        station_id=np.where(fac >= 0, ids[np.clip(fac, 0, None)], None),
        travel_m=travel_m,
        travel_s=travel_s,
        snap_m=snap_m,
        covered=covered,
    )

    villages_out = _villages(ws, demand, stations, std)
    deputies = (
        group_on_roads(ws, stations, graph if network else None, std, settings)
        if group
        else empty_grouping()
    )
    stations_out = _stations(ws, demand, villages_out, deputies)
    gaps = _gaps(villages_out, demand, graph if network else None, std, settings, method, gap_sites)
    areas = (
        _service_areas(stations, graph if network else None, std, settings)
        if service_areas
        else None
    )
    if areas is None:
        areas = gpd.GeoDataFrame({"station_id": pd.Series(dtype=str)}, geometry=[], crs=CGCS2000)

    long_snaps = demand[demand["snap_m"] > settings.snap_warn_m]
    summary = _summary(villages_out, demand, stations_out, std, method)
    summary["long_snaps"] = len(long_snaps)
    summary["long_snap_examples"] = [
        {"demand_id": r.demand_id, "village_code": r.village_code, "snap_m": round(float(r.snap_m))}
        for r in long_snaps.nlargest(5, "snap_m").itertuples()
    ]
    if len(long_snaps):
        log.warning(
            "%d demand points are more than %.0f m from the road network (snap distance added as walking)",
            len(long_snaps),
            settings.snap_warn_m,
        )
    return CoverageResult(
        standard=std,
        method=method,
        villages=villages_out,
        demand=demand.to_crs(CGCS2000),
        stations=stations_out,
        gaps=gaps,
        service_areas=areas,
        deputies=deputies,
        summary=summary,
    )


def ungrouped(result: CoverageResult, ws: Workspace) -> CoverageResult:
    """``result`` as :func:`analyse` gives it with ``group=False``: no grouping, and the
    stations' deputies counted where the workspace puts them today.

    Everything else of a coverage (villages, demand, summary) never depends on the
    grouping, so a caller holding a grouped result need not analyse again for the
    ungrouped one (a consolidation's "before" when the coverage report was also asked).

    Parameters
    ----------
    result : CoverageResult
        From :func:`analyse` on ``ws``.
    ws : Workspace
        The workspace ``result`` was computed on.

    Returns
    -------
    CoverageResult
    """
    if result.deputies.empty:  # not grouped, or no deputies: the same either way
        return result
    stations = _stations(ws, result.demand, result.villages, empty_grouping())
    return dataclasses.replace(result, stations=stations, deputies=empty_grouping())


def _villages(
    ws: Workspace, demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, std: ReachStandard
) -> gpd.GeoDataFrame:
    d = pd.DataFrame(demand.drop(columns="geometry"))
    pop = d["population"].to_numpy()
    d["w"] = np.where(np.isfinite(d["travel_s"]), pop, 0.0)
    d["ws"] = np.nan_to_num(d["travel_s"].to_numpy()) * d["w"]
    d["wm"] = np.nan_to_num(d["travel_m"].to_numpy()) * d["w"]
    d["pop_cov"] = np.where(d["covered"], pop, 0.0)
    g = d.groupby("village_code", sort=False)
    agg = pd.DataFrame(
        {
            "demand_pop": g["population"].sum(),
            "w": g["w"].sum(),
            "ws": g["ws"].sum(),
            "wm": g["wm"].sum(),
            "pop_cov": g["pop_cov"].sum(),
            "all_covered": g["covered"].all(),
            "n_points": g.size(),
        }
    )
    # The village's main place (most populous demand point) names its nearest station
    # and decides the one-point-per-village rule.
    main = d.sort_values(["village_code", "population"], ascending=[True, False]).drop_duplicates(
        "village_code"
    )
    main = main.set_index("village_code")

    v = ws.villages.copy()
    code = v["code"]
    a = agg.reindex(code)
    m = main.reindex(code)
    weight = a["w"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        travel_s = np.where(weight > 0, a["ws"].to_numpy() / weight, m["travel_s"].to_numpy())
        travel_m = np.where(weight > 0, a["wm"].to_numpy() / weight, m["travel_m"].to_numpy())
        share = np.where(a["demand_pop"].to_numpy() > 0, a["pop_cov"] / a["demand_pop"], np.nan)
    share = np.where(np.isnan(share), a["all_covered"].astype(float).to_numpy(), share)
    name_of = dict(zip(stations["station_id"], stations["name"], strict=True))
    tier_of = dict(zip(stations["station_id"], stations["tier"], strict=True))
    nearest = m["station_id"].to_numpy()

    inside = gpd.sjoin(
        stations[["station_id", "geometry"]].to_crs(CGCS2000),
        v[["code", "geometry"]],
        predicate="within",
    )
    with_station = set(inside["code"])
    has_station = code.isin(with_station).to_numpy()
    main_ok = m["covered"].fillna(False).astype(bool).to_numpy()
    population = v["population"].fillna(0).to_numpy(dtype=float)

    v["nearest_station_id"] = nearest
    v["nearest_station_name"] = [name_of.get(s) for s in nearest]
    v["nearest_station_tier"] = [tier_of.get(s) for s in nearest]
    v["travel_m"] = np.round(travel_m, 1)
    v["travel_s"] = np.round(travel_s, 1)
    v["covered"] = a["all_covered"].fillna(False).astype(bool).to_numpy()
    v["share_covered"] = np.round(share, 4)
    v["population_covered"] = np.round(population * share).astype(np.int64)
    v["has_station"] = has_station
    v["meets_rule"] = has_station | main_ok
    return v


def _stations(
    ws: Workspace,
    demand: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    deputies: pd.DataFrame,
) -> gpd.GeoDataFrame:
    out = ws.stations.copy()
    sid = out["station_id"]
    served = demand.groupby("station_id")["population"].sum()
    n_vill = villages.groupby("nearest_station_id").size()
    out["n_villages"] = sid.map(n_vill).fillna(0).astype(np.int64).to_numpy()
    out["population_served"] = sid.map(served).fillna(0).round().astype(np.int64).to_numpy()
    if len(deputies):
        members = deputies.rename(columns={"station_after": "sid"})
    elif ws.deputies is not None:
        members = pd.DataFrame({"sid": ws.deputies["station_id"], "level": ws.deputies["level"]})
    else:
        members = pd.DataFrame({"sid": pd.Series(dtype=str), "level": pd.Series(dtype=str)})
    counts = members.groupby(["sid", "level"]).size().unstack(fill_value=0)
    n_dep = members.groupby("sid").size()
    out["n_deputies"] = sid.map(n_dep).fillna(0).astype(np.int64).to_numpy()

    by_station: dict[Any, dict[str, int]] = {
        k: {str(lv): int(n) for lv, n in row.items()} for k, row in counts.to_dict("index").items()
    }

    def levels(station: str) -> str:
        row = by_station.get(station, {})
        return " ".join(
            f"{_LEVEL_SHORT[lv.value]}{row[lv.value]}"
            for lv in DeputyLevel
            if row.get(lv.value, 0) > 0
        )

    out["deputies_by_level"] = [levels(s) for s in sid]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = out["population_served"] / out["n_deputies"].replace(0, np.nan)
    out["population_per_deputy"] = per.round(0)
    return out


def _summary(
    villages: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    std: ReachStandard,
    method: str,
) -> dict[str, Any]:
    pop = demand["population"].to_numpy(dtype=float)
    t = demand["travel_s"].to_numpy(dtype=float)
    ok = np.isfinite(t)
    total_pop = float(villages["population"].sum())
    covered_pop = float(villages["population_covered"].sum())
    worst = villages.sort_values("travel_s", ascending=False, na_position="first").iloc[0]
    n = len(villages)
    return {
        "standard": str(std),
        "standard_label": std.label_zh,
        "method": method,
        "n_villages": n,
        "villages_covered": int(villages["covered"].sum()),
        "share_villages_covered": round(float(villages["covered"].mean()), 4) if n else 0.0,
        "villages_meeting_rule": int(villages["meets_rule"].sum()),
        "population": int(total_pop),
        "population_covered": int(covered_pop),
        "share_population_covered": round(covered_pop / total_pop, 4) if total_pop else 0.0,
        "mean_travel_s": round(float(np.average(t[ok], weights=pop[ok])), 1)
        if ok.any() and pop[ok].sum() > 0
        else None,
        "p95_travel_s": round(weighted_percentile(t, pop, 95.0), 1),
        "worst_village": {
            "code": worst["code"],
            "name": worst["name"],
            "travel_s": None if pd.isna(worst["travel_s"]) else float(worst["travel_s"]),
            "nearest_station_id": None
            if pd.isna(worst["nearest_station_id"])
            else worst["nearest_station_id"],
        },
        "n_stations": len(stations),
        "n_gaps": int((~villages["covered"]).sum()),
    }


def _gaps(
    villages: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    graph: RoadGraph | None,
    std: ReachStandard,
    settings: Settings,
    method: str,
    find_sites: bool,
) -> pd.DataFrame:
    """Uncovered villages ranked by uncovered population, with the best new point for each.

    The best new point is the village's own settlement (or centre) that would bring the
    most currently-uncovered people in the county within the standard.
    """
    gap = villages[~villages["covered"]].copy()
    gap["population_uncovered"] = (gap["population"].fillna(0) - gap["population_covered"]).clip(
        lower=0
    )
    gap = gap.sort_values(["population_uncovered", "code"], ascending=[False, True])
    cols = {
        "code": gap["code"].to_numpy(),
        "name": gap["name"].to_numpy(),
        "township_code": gap["township_code"].to_numpy(),
        "population_uncovered": gap["population_uncovered"].astype(np.int64).to_numpy(),
        "nearest_station_id": gap["nearest_station_id"].to_numpy(),
        "nearest_station_name": gap["nearest_station_name"].to_numpy(),
        "travel_s": gap["travel_s"].to_numpy(),
        "travel_m": gap["travel_m"].to_numpy(),
    }
    table = pd.DataFrame(cols)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["new_site_lon"] = np.nan
    table["new_site_lat"] = np.nan
    table["new_site_source"] = None
    table["new_site_population_covered"] = 0
    if not find_sites or table.empty:
        return table

    uncovered = demand[~demand["covered"].to_numpy()].reset_index(drop=True)
    candidates = demand[demand["village_code"].isin(set(table["code"]))].reset_index(drop=True)
    ux, uy = uncovered.geometry.x.to_numpy(), uncovered.geometry.y.to_numpy()
    cx, cy = candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()
    upop = uncovered["population"].to_numpy(dtype=float)
    if graph is not None:
        pairs = cost_table(
            graph,
            snap_to_graph(graph, ux, uy, mode=std.travel_mode),
            snap_to_graph(graph, cx, cy, mode=std.travel_mode),
            origin_ids=np.arange(len(uncovered)),
            destination_ids=np.arange(len(candidates)),
            weight="time" if std.is_time else "distance",
            mode=std.travel_mode,
            settings=settings,
            cutoff=std.limit,
        )
        # A point placed at a settlement serves that settlement with no walk at all.
        own = pd.DataFrame(
            {
                "origin_id": np.arange(len(uncovered)),
                "destination_id": pd.Index(candidates["demand_id"]).get_indexer(
                    uncovered["demand_id"]
                ),
            }
        )
        own = own[own["destination_id"] >= 0]
        pairs = pd.concat([pairs[["origin_id", "destination_id"]], own], ignore_index=True)
        pairs = pairs.drop_duplicates()
        gain = np.bincount(
            pairs["destination_id"].to_numpy(dtype=np.int64),
            weights=upop[pairs["origin_id"].to_numpy(dtype=np.int64)],
            minlength=len(candidates),
        )
    else:
        factor = 1.0 if std.mode == "straight" else settings.detour_factor
        radius = (
            std.limit
            if not std.is_time
            else std.limit * settings.speeds_kmh[std.travel_mode]["village"] / 3.6
        )
        tree = cKDTree(np.column_stack([ux, uy]))
        hits = tree.query_ball_point(np.column_stack([cx, cy]), r=radius / factor)
        gain = np.array([upop[h].sum() for h in hits])
    best = (
        pd.DataFrame(
            {
                "village_code": candidates["village_code"],
                "gain": gain,
                "i": np.arange(len(candidates)),
            }
        )
        .sort_values(["village_code", "gain", "i"], ascending=[True, False, True])
        .drop_duplicates("village_code")
        .set_index("village_code")
    )
    chosen = best.reindex(table["code"])
    idx = chosen["i"].to_numpy(dtype=np.int64)
    geo = gpd.GeoSeries(candidates.geometry.iloc[idx].to_numpy(), crs=candidates.crs).to_crs(
        CGCS2000
    )
    table["new_site_lon"] = np.round(geo.x.to_numpy(), 6)
    table["new_site_lat"] = np.round(geo.y.to_numpy(), 6)
    table["new_site_source"] = candidates["demand_id"].to_numpy()[idx]
    table["new_site_population_covered"] = np.round(chosen["gain"].to_numpy()).astype(np.int64)
    return table


def _service_areas(
    stations: gpd.GeoDataFrame, graph: RoadGraph | None, std: ReachStandard, settings: Settings
) -> gpd.GeoDataFrame:
    """Per station, the roads reachable within the standard, widened into a polygon."""
    ids = stations["station_id"].to_numpy()
    if graph is None:
        factor = 1.0 if std.mode == "straight" else settings.detour_factor
        radius = (
            std.limit
            if not std.is_time
            else std.limit * settings.speeds_kmh[std.travel_mode]["village"] / 3.6
        )
        geoms = stations.geometry.buffer(radius / factor, quad_segs=16)
        return gpd.GeoDataFrame(
            {"station_id": ids}, geometry=geoms.to_numpy(), crs=stations.crs
        ).to_crs(CGCS2000)
    from scipy.sparse import csgraph

    mode = std.travel_mode
    weights = graph.edge_weights("time" if std.is_time else "distance", mode, settings)
    # Searches from the stations over the reversed arcs: the area is where one can travel
    # *to* the station from within the standard (one-way streets and closed roads honoured).
    sm = graph.search_matrix(weights, mode, travel="to")
    permitted = graph.permitted(mode) if graph.has_restrictions(mode) else None
    snap = snap_to_graph(
        graph, stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy(), mode=mode
    )
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    start_cost = snap.snap_m / walk if std.is_time else snap.snap_m
    polys: list[Any] = []
    for begin in range(0, len(ids), 64):
        idx = np.arange(begin, min(begin + 64, len(ids)))
        dist = csgraph.dijkstra(
            sm.matrix, directed=sm.directed, indices=snap.node[idx], limit=std.limit
        )
        dist = dist + start_cost[idx][:, None]
        for row, j in enumerate(idx):
            polys.append(
                _reach_polygon(
                    graph,
                    dist[row],
                    weights,
                    std.limit,
                    walk if std.is_time else 1.0,
                    stations.geometry.iloc[j],
                    permitted,
                )
            )
    return gpd.GeoDataFrame({"station_id": ids}, geometry=polys, crs=stations.crs).to_crs(CGCS2000)


def _reach_polygon(
    graph: RoadGraph,
    dist: NDArray[np.float64],
    w: NDArray[np.float64],
    limit: float,
    walk_m_per_cost: float,
    origin: Any,
    permitted: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None = None,
) -> Any:
    """Reachable roads (whole and partial edges) widened by SERVICE_AREA_BUFFER_M, plus
    around every reached node the distance still walkable within the budget, so a place
    counted as covered (road travel + walk from its snap node) lies inside the polygon.

    ``permitted`` (``u -> v``, ``v -> u`` per edge, for a mode that meets one-way or closed
    roads) leaves out the roads the mode may not use, and the part of a one-way road from
    which the reached end cannot be driven to."""
    u, v = graph.edge_u, graph.edge_v
    du, dv = dist[u], dist[v]
    full = (du <= limit) & (dv <= limit)
    part = (du <= limit) ^ (dv <= limit)
    if permitted is not None:
        fwd, bwd = permitted
        full &= fwd | bwd
        # Partly reached from u: the stretch next to u must lead to u (v -> u), and so on.
        part &= np.where(du <= limit, bwd, fwd)
    x0, y0, x1, y1 = graph.node_x[u], graph.node_y[u], graph.node_x[v], graph.node_y[v]
    # Partly reachable edges: keep the reachable fraction from the reached end.
    from_u = part & (du <= limit)
    with np.errstate(invalid="ignore"):
        frac = np.where(from_u, (limit - du) / w, (limit - dv) / w).clip(0, 1)
    sx = np.where(from_u, x0, x1)
    sy = np.where(from_u, y0, y1)
    ex = np.where(from_u, x0 + (x1 - x0) * frac, x1 + (x0 - x1) * frac)
    ey = np.where(from_u, y0 + (y1 - y0) * frac, y1 + (y0 - y1) * frac)
    f, p = np.flatnonzero(full), np.flatnonzero(part)
    starts = np.concatenate([np.column_stack([x0[f], y0[f]]), np.column_stack([sx[p], sy[p]])])
    ends = np.concatenate([np.column_stack([x1[f], y1[f]]), np.column_stack([ex[p], ey[p]])])
    pieces = [shapely.buffer(origin, SERVICE_AREA_BUFFER_M)]
    if len(starts):
        lines = shapely.linestrings(np.stack([starts, ends], axis=1))
        pieces.append(shapely.union_all(shapely.buffer(lines, SERVICE_AREA_BUFFER_M, quad_segs=4)))
    reached = np.flatnonzero(dist <= limit)
    radius = (limit - dist[reached]) * walk_m_per_cost
    big = radius > SERVICE_AREA_BUFFER_M
    if big.any():
        pts = shapely.points(graph.node_x[reached[big]], graph.node_y[reached[big]])
        pieces.append(shapely.union_all(shapely.buffer(pts, radius[big], quad_segs=8)))
    return shapely.simplify(shapely.union_all(pieces), 10.0)
