"""Consolidation planner: which stations to keep, where each closed one goes, what it saves.

The question Huarong County answered when it merged 97 stations into 52: keep every
township-centre station (联络站) and the specialised studios, choose the rest so that
travel stays least and nobody who is within reach today falls out of it. The travel costs
come from the same road graph as :func:`gridgov.coverage.analyse`; the choice is an exact
location model from :mod:`gridgov.coverage.location`; the before and after figures are two
runs of :func:`~gridgov.coverage.analyse` (all stations, then the kept ones), so the plan
and the coverage report can never disagree.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridgov._errors import InfeasibleError
from gridgov.coverage.location import MODELS, Instance, Solution, solve
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.reach import _demand, _group, _no_groups, _projected, analyse
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import ReachStandard, parse_standard
from gridgov.crs import CGCS2000
from gridgov.model import Workspace
from gridgov.routing.costs import cost_table, snap_to_graph
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings

__all__ = ["consolidate", "tradeoff_curve"]

log = logging.getLogger(__name__)

NEW_PREFIX = "NEW-"
DEFAULT_KEEP_TIERS: tuple[str, ...] = ("station", "studio")

_MODEL_ZH = {
    "p-median": "总路程最小（p-中位）",
    "p-median-full": "全覆盖下总路程最小（p-中位+全覆盖）",
    "mclp": "覆盖人口最多（最大覆盖）",
    "lscp": "全覆盖所需站点最少（集合覆盖）",
    "p-center": "最远用时最小（p-中心）",
}


@dataclass(frozen=True)
class _Setup:
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

    @property
    def existing(self) -> np.ndarray:
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
            raise ValueError(f"new_sites must be 'villages' or a GeoDataFrame, got {new_sites!r}")
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
            raise ValueError(f"new_sites needs columns station_id and name; missing {missing}")
        sites["station_id"] = NEW_PREFIX + sites["station_id"].astype(str)
        if "township_code" not in sites.columns:
            joined = gpd.sjoin(sites[["geometry"]], ws.townships[["code", "geometry"]], how="left")
            sites["township_code"] = joined["code"].groupby(level=0).first()
    sites["tier"] = "point"
    sites["kind"] = "regional"
    out = sites.reindex(columns=columns)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=ws.stations.crs)


def _setup(
    ws: Workspace,
    *,
    standard: str | ReachStandard | None,
    keep: Sequence[str] | str | None,
    keep_tiers: Sequence[str],
    close: Sequence[str] | str | None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None,
    settings: Settings | None,
    graph: RoadGraph | None,
) -> _Setup:
    settings = settings or Settings()
    std = parse_standard(standard or settings.reach_standard)
    crs = _projected(ws)
    stations = ws.stations.reset_index(drop=True)
    candidates = _new_sites(ws, new_sites, stations.columns)
    sites = pd.concat([stations, candidates], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=ws.stations.crs).to_crs(crs)
    ids = sites["station_id"].astype(str)
    known = set(ids)
    unknown = [s for s in (*_ids(keep), *_ids(close)) if s not in known]
    if unknown:
        raise ValueError(
            f"keep/close name stations that are not in the workspace: {', '.join(unknown[:10])}"
        )
    tiers = sites["tier"].astype(str).to_numpy()
    keep_mask = ids.isin(_ids(keep)).to_numpy() | (
        np.isin(tiers, list(keep_tiers)) & ~ids.str.startswith(NEW_PREFIX).to_numpy()
    )
    close_mask = ids.isin(_ids(close)).to_numpy()
    both = ids[keep_mask & close_mask]
    if len(both):
        raise ValueError(
            f"stations both kept and closed: {', '.join(both[:10])} (a closed station of a"
            " kept tier must be left out of keep_tiers or of close)"
        )
    demand = _demand(ws, crs)
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    network = ws.roads is not None and len(ws.roads) > 0 and std.mode != "straight"
    graph = (graph or build_road_graph(ws.roads, crs=crs)) if network else None
    cost = _cost_matrix(
        graph, (dx, dy), (sx, sy), std=std, settings=settings,
        weight="time" if std.is_time else "distance",
    )  # fmt: skip
    method = "network" if network else "straight-line"
    instance = Instance.from_cost_matrix(
        cost,
        demand["population"].to_numpy(dtype=float),
        demand_ids=demand["demand_id"].astype(str).to_numpy(),
        site_ids=ids.to_numpy(),
    )
    groups = sites["township_code"].astype(str).to_numpy()
    return _Setup(
        std, settings, crs, sites, demand, instance, keep_mask, close_mask, groups,
        graph if network else None, method,
    )  # fmt: skip


def _cost_matrix(
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
            snap_to_graph(graph, ox, oy),
            snap_to_graph(graph, tx, ty),
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


def _bounds(
    setup: _Setup, value: int | Mapping[str, int] | None, name: str
) -> dict[str, int] | None:
    if value is None:
        return None
    codes = set(setup.groups)
    if isinstance(value, Mapping):
        bad = [k for k in value if k not in codes]
        if bad:
            raise ValueError(f"{name} names townships with no station: {', '.join(map(str, bad))}")
        return {str(k): int(v) for k, v in value.items()}
    return dict.fromkeys(codes, int(value))


def _uncoverable(setup: _Setup) -> np.ndarray:
    """Demand points that no candidate site reaches within the standard."""
    c = setup.instance.cost
    allowed = ~setup.close
    ok = (c[:, allowed] <= setup.std.limit).any(axis=1)
    return ~ok & (setup.instance.weight > 0)


def _solve(
    setup: _Setup,
    model: str,
    p: int | None,
    *,
    township_min: int | Mapping[str, int] | None,
    township_max: int | Mapping[str, int] | None,
    time_limit_s: float | None,
    seed: int,
) -> Solution:
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    try:
        return _solve_once(setup, model, p, township_min, township_max, time_limit_s, seed)
    except InfeasibleError as exc:
        raise InfeasibleError(f"{setup.std.label_zh} ({setup.std}): {exc}") from exc


def _solve_once(
    setup: _Setup,
    model: str,
    p: int | None,
    township_min: int | Mapping[str, int] | None,
    township_max: int | Mapping[str, int] | None,
    time_limit_s: float | None,
    seed: int,
) -> Solution:
    return solve(
        setup.instance,
        model=model,  # type: ignore[arg-type]
        p=p,
        standard=setup.std.limit,
        keep=setup.keep,
        close=setup.close,
        groups=setup.groups,
        group_min=_bounds(setup, township_min, "township_min"),
        group_max=_bounds(setup, township_max, "township_max"),
        uncoverable="skip",
        time_limit_s=time_limit_s,
        seed=seed,
    )


def consolidate(
    ws: Workspace,
    *,
    target: int | None = 52,
    model: str = "p-median-full",
    standard: str | ReachStandard | None = None,
    keep: Sequence[str] | str | None = None,
    keep_tiers: Sequence[str] = DEFAULT_KEEP_TIERS,
    close: Sequence[str] | str | None = None,
    township_min: int | Mapping[str, int] | None = None,
    township_max: int | Mapping[str, int] | None = None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None = None,
    deputy_min: int | None = None,
    deputy_max: int | None = None,
    annual_cost_yuan: float | None = None,
    time_limit_s: float | None = 60.0,
    seed: int = 0,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
) -> ConsolidationPlan:
    """Plan which stations to keep (``target`` of them) and where each closed one goes.

    Parameters
    ----------
    ws : Workspace
    target : int, optional
        Stations to keep (kept + new); not used by ``model="lscp"``.
    model : str
        ``"p-median-full"`` (default: least travel with everyone coverable kept within
        the standard), ``"p-median"``, ``"mclp"``, ``"lscp"``, ``"p-center"``.
    standard : str or ReachStandard, optional
        Reach standard (default ``settings.reach_standard``).
    keep, close : list of station ids (or a comma-separated string), optional
        Stations that must stay / must close.
    keep_tiers : sequence of str
        Tiers kept whole (default: every 联络站 ``station`` and 代表工作室 ``studio``).
    township_min, township_max : int or mapping, optional
        Stations per township after the plan (one number for all, or by township code).
    new_sites : GeoDataFrame or "villages", optional
        Candidate new sites beside the existing ones (``"villages"``: one per village at
        its representative point, e.g. the village committee).
    deputy_min, deputy_max : int, optional
        Deputies per kept station after regrouping (default: settings).
    annual_cost_yuan : float, optional
        Running cost per station per year where the station has no ``annual_cost_yuan``
        (default ``settings.station_annual_cost_yuan``).
    time_limit_s : float, optional
        Solver time limit; the proven gap is reported either way.
    seed : int
    settings : Settings, optional
    graph : RoadGraph, optional

    Returns
    -------
    ConsolidationPlan

    Raises
    ------
    ValueError
        Unknown station ids, a bad model or bound.
    InfeasibleError
        No plan meets the rules: the message says which rule (and, for full coverage, how
        many stations covering everyone needs).
    """
    settings = settings or Settings()
    if deputy_min is not None or deputy_max is not None:
        settings = dataclasses.replace(
            settings,
            min_deputies_per_station=(
                settings.min_deputies_per_station if deputy_min is None else int(deputy_min)
            ),
            max_deputies_per_station=(
                settings.max_deputies_per_station if deputy_max is None else int(deputy_max)
            ),
        )
    setup = _setup(
        ws, standard=standard, keep=keep, keep_tiers=keep_tiers, close=close,
        new_sites=new_sites, settings=settings, graph=graph,
    )  # fmt: skip
    _check_deputies(ws, setup, target, model)
    sol = _solve(
        setup, model, target if model != "lscp" else None, township_min=township_min,
        township_max=township_max, time_limit_s=time_limit_s, seed=seed,
    )  # fmt: skip
    return _plan(ws, setup, sol, model, annual_cost_yuan)


def _check_deputies(ws: Workspace, setup: _Setup, target: int | None, model: str) -> None:
    """Enough deputies for the kept stations' rota, and room for all of them."""
    if ws.deputies is None or not len(ws.deputies) or target is None or model == "lscp":
        return
    n = len(ws.deputies)
    lo, hi = setup.settings.min_deputies_per_station, setup.settings.max_deputies_per_station
    if n < lo * target:
        raise InfeasibleError(
            f"{n} deputies cannot give {target} stations at least {lo} each ({lo * target} needed)"
        )
    if n > hi * target:
        raise InfeasibleError(
            f"{n} deputies do not fit {target} stations of at most {hi} each ({hi * target} places)"
        )


def _cost_of(sites: gpd.GeoDataFrame, default: float) -> np.ndarray:
    if "annual_cost_yuan" in sites.columns:
        v = pd.to_numeric(sites["annual_cost_yuan"], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isfinite(v), v, default)
    return np.full(len(sites), default)


def _plan(
    ws: Workspace, setup: _Setup, sol: Solution, model: str, annual_cost_yuan: float | None
) -> ConsolidationPlan:
    settings, std = setup.settings, setup.std
    sites = setup.sites
    existing = setup.existing
    is_open = np.zeros(len(sites), dtype=bool)
    is_open[sol.open] = True

    before = analyse(ws, standard=std, settings=settings, graph=setup.graph,
                     service_areas=False, gap_sites=False, group=False)  # fmt: skip
    kept_rows = sites[is_open].to_crs(CGCS2000)
    ws_after = dataclasses.replace(
        ws, stations=gpd.GeoDataFrame(kept_rows.reset_index(drop=True), crs=CGCS2000)
    )
    after = analyse(ws_after, standard=std, settings=settings, graph=setup.graph,
                    service_areas=False, gap_sites=False, group=False)  # fmt: skip

    villages = _villages(before, after)
    absorb, into, into_s = _absorb(ws, setup, before, after, is_open)
    regrouped = _regroup(ws_after, setup, into)
    cost_default = (
        settings.station_annual_cost_yuan if annual_cost_yuan is None else annual_cost_yuan
    )
    annual = _cost_of(sites, float(cost_default))
    names = dict(zip(sites["station_id"].astype(str), sites["name"].astype(str), strict=True))
    deputies = _deputies(ws, regrouped, into, names)
    stations = _stations(ws, setup, before, after, is_open, into, into_s, deputies)
    townships = _townships(ws, setup, is_open)
    exceptions = _exceptions(ws, setup)
    cost_before = float(annual[existing].sum())
    cost_after = float(annual[is_open].sum())
    before_after = _before_after(before, after, ws, deputies, cost_before, cost_after)
    summary = {
        "model": model,
        "model_zh": _MODEL_ZH[model],
        "standard": str(std),
        "standard_label": std.label_zh,
        "method": setup.method,
        "stations_before": int(existing.sum()),
        "stations_after": int(is_open.sum()),
        "stations_closed": int((existing & ~is_open).sum()),
        "stations_new": int((~existing & is_open).sum()),
        "stations_kept_must": int((setup.keep & is_open).sum()),
        "annual_cost_before_yuan": round(cost_before),
        "annual_cost_after_yuan": round(cost_after),
        "annual_saving_yuan": round(cost_before - cost_after),
        "share_villages_covered_before": before.summary["share_villages_covered"],
        "share_villages_covered_after": after.summary["share_villages_covered"],
        "share_population_covered_before": before.summary["share_population_covered"],
        "share_population_covered_after": after.summary["share_population_covered"],
        "mean_travel_s_before": before.summary["mean_travel_s"],
        "mean_travel_s_after": after.summary["mean_travel_s"],
        "villages_lost": int((villages["change"] == "lost").sum()),
        "villages_gained": int((villages["change"] == "gained").sum()),
        "exceptions": exceptions,
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "proven_optimal": sol.proven,
        "solver_status": sol.status,
        "solver_method": sol.method,
        "solve_s": round(sol.time_s, 3),
    }
    return ConsolidationPlan(
        model=model,
        standard=std,
        target=int(is_open.sum()),
        stations=stations,
        villages=villages,
        absorb=absorb,
        before_after=before_after,
        townships=townships,
        deputies=deputies,
        solution=sol,
        summary=summary,
    )


def _villages(before: CoverageResult, after: CoverageResult) -> gpd.GeoDataFrame:
    b, a = before.villages, after.villages
    covered_b = b["covered"].to_numpy(dtype=bool)
    covered_a = a["covered"].to_numpy(dtype=bool)
    change = np.where(
        covered_b & ~covered_a, "lost", np.where(~covered_b & covered_a, "gained", "same")
    )
    return gpd.GeoDataFrame(
        {
            "code": b["code"].to_numpy(),
            "name": b["name"].to_numpy(),
            "township_code": b["township_code"].to_numpy(),
            "population": b["population"].to_numpy(),
            "station_before": b["nearest_station_id"].to_numpy(),
            "travel_s_before": b["travel_s"].to_numpy(),
            "covered_before": covered_b,
            "station_after": a["nearest_station_id"].to_numpy(),
            "station_after_name": a["nearest_station_name"].to_numpy(),
            "travel_s_after": a["travel_s"].to_numpy(),
            "travel_m_after": a["travel_m"].to_numpy(),
            "covered_after": covered_a,
            "change": change,
        },
        geometry=b.geometry.to_numpy(),
        crs=b.crs,
    )


def _absorb(
    ws: Workspace,
    setup: _Setup,
    before: CoverageResult,
    after: CoverageResult,
    is_open: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, float]]:
    """Each closed station goes into the kept station that takes most of its people.

    A closed station that served nobody goes into the kept station nearest to it by road.
    """
    sites = setup.sites
    ids = sites["station_id"].astype(str).to_numpy()
    names = dict(zip(ids, sites["name"].astype(str), strict=True))
    tiers = dict(zip(ids, sites["tier"].astype(str), strict=True))
    towns = dict(zip(ids, sites["township_code"].astype(str), strict=True))
    closed = ids[setup.existing & ~is_open]
    kept = ids[is_open]
    # Station-to-station travel from the cost basis of the plan.
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    open_pos = np.flatnonzero(is_open)
    # Travel from every station to every kept one, on the plan's own cost basis.
    st = _cost_matrix(
        setup.graph, (sx, sy), (sx[open_pos], sy[open_pos]), std=setup.std,
        settings=setup.settings, weight="time",
    )  # fmt: skip
    pos = {s: i for i, s in enumerate(ids)}
    col = {s: k for k, s in enumerate(ids[open_pos])}
    d_before = pd.DataFrame(before.demand.drop(columns="geometry"))
    d_after = pd.DataFrame(after.demand.drop(columns="geometry"))
    moves = pd.DataFrame(
        {
            "from": d_before["station_id"].astype(str).to_numpy(),
            "to": d_after["station_id"].astype(str).to_numpy(),
            "population": d_before["population"].to_numpy(dtype=float),
            "village_code": d_before["village_code"].to_numpy(),
        }
    )
    flows = moves.groupby(["from", "to"], sort=False)["population"].sum().reset_index()
    v_before = before.villages.set_index("code")["nearest_station_id"].astype(str)
    grids = ws.grids if ws.grids is not None else pd.DataFrame(columns=["village_code"])
    grid_station = grids["village_code"].map(v_before)
    dep_station = (
        ws.deputies["station_id"].astype(str)
        if ws.deputies is not None and "station_id" in ws.deputies.columns
        else pd.Series(dtype=str)
    )
    into: dict[str, str] = {}
    into_s: dict[str, float] = {}
    rows = []
    for s in closed:
        f = flows[flows["from"] == s].sort_values("population", ascending=False, kind="stable")
        row_st = st[pos[s]]
        if len(f) and f["population"].iloc[0] > 0:
            target = str(f["to"].iloc[0])
        else:
            target = str(kept[int(np.argmin(row_st))])
        into[s] = target
        into_s[s] = float(st[pos[s], col[target]])
        vill = v_before[v_before == s].index.tolist()
        rows.append(
            {
                "closed_id": s,
                "closed_name": names[s],
                "closed_tier": tiers[s],
                "township_code": towns[s],
                "into_id": target,
                "into_name": names[target],
                "travel_s": round(into_s[s], 1),
                "n_villages": len(vill),
                "villages": "、".join(
                    before.villages.set_index("code").loc[vill, "name"].astype(str)
                ),
                "n_grids": int((grid_station == s).sum()),
                "n_deputies": int((dep_station == s).sum()),
                "population": round(float(moves.loc[moves["from"] == s, "population"].sum())),
            }
        )
    cols = ["closed_id", "closed_name", "closed_tier", "township_code", "into_id", "into_name",
            "travel_s", "n_villages", "villages", "n_grids", "n_deputies", "population"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols), into, into_s


_REASON = {
    "kept (must)": "必须保留（{why}）",
    "kept": "优化选中保留：服务人口多、路程短",
    "closed": "撤并：其服务村（社区）、网格和代表由并入站点承接",
    "closed (must)": "按要求撤并",
    "new": "新设站点：补足覆盖或缩短路程",
}


def _stations(
    ws: Workspace,
    setup: _Setup,
    before: CoverageResult,
    after: CoverageResult,
    is_open: np.ndarray,
    into: Mapping[str, str],
    into_s: Mapping[str, float],
    deputies: pd.DataFrame,
) -> gpd.GeoDataFrame:
    sites = setup.sites.to_crs(CGCS2000).reset_index(drop=True)
    ids = sites["station_id"].astype(str).to_numpy()
    names = dict(zip(ids, sites["name"].astype(str), strict=True))
    existing = setup.existing
    show = existing | is_open
    tiers = sites["tier"].astype(str).to_numpy()
    decision = np.where(
        ~existing,
        "new",
        np.where(
            is_open,
            np.where(setup.keep, "kept (must)", "kept"),
            np.where(setup.close, "closed (must)", "closed"),
        ),
    )
    why = {"station": "乡镇（街道）联络站", "studio": "专业代表工作室", "post": "服务岗"}
    reason = [
        _REASON[d].format(why=why.get(t, "指定保留")) if d == "kept (must)" else _REASON[d]
        for d, t in zip(decision, tiers, strict=True)
    ]
    bst = before.stations.set_index("station_id")
    ast = after.stations.set_index("station_id")
    dep_after = (
        deputies["station_after"].astype(str).value_counts()
        if len(deputies)
        else pd.Series(dtype=int)
    )
    out = pd.DataFrame(
        {
            "station_id": ids,
            "name": sites["name"].to_numpy(),
            "tier": tiers,
            "kind": sites["kind"].to_numpy(),
            "industry": sites["industry"].to_numpy() if "industry" in sites else None,
            "township_code": sites["township_code"].to_numpy(),
            "kept": is_open,
            "new_site": ~existing,
            "decision": decision,
            "reason": reason,
            "absorbed_by": [into.get(s) for s in ids],
            "absorbed_by_name": [names.get(into.get(s, "")) for s in ids],
            "absorb_travel_s": [round(into_s[s], 1) if s in into_s else np.nan for s in ids],
            "villages_before": bst["n_villages"].reindex(ids).fillna(0).astype(int).to_numpy(),
            "villages_after": ast["n_villages"].reindex(ids).fillna(0).astype(int).to_numpy(),
            "population_before": bst["population_served"].reindex(ids).fillna(0).to_numpy(),
            "population_after": ast["population_served"].reindex(ids).fillna(0).to_numpy(),
            "deputies_before": bst["n_deputies"].reindex(ids).fillna(0).astype(int).to_numpy(),
            "deputies_after": dep_after.reindex(ids).fillna(0).astype(int).to_numpy(),
        }
    )
    gdf = gpd.GeoDataFrame(out, geometry=sites.geometry.to_numpy(), crs=CGCS2000)
    return gdf[show].reset_index(drop=True)


def _townships(ws: Workspace, setup: _Setup, is_open: np.ndarray) -> pd.DataFrame:
    t = ws.townships
    codes = t["code"].astype(str).to_numpy()
    g = setup.groups
    existing = setup.existing

    def count(mask: np.ndarray) -> np.ndarray:
        s = pd.Series(g[mask]).value_counts()
        return s.reindex(codes).fillna(0).astype(int).to_numpy()

    return pd.DataFrame(
        {
            "township_code": codes,
            "township_name": t["name"].to_numpy(),
            "before": count(existing),
            "after": count(is_open),
            "kept_must": count(is_open & setup.keep),
            "closed": count(existing & ~is_open),
            "new": count(~existing & is_open),
        }
    )


def _regroup(ws_after: Workspace, setup: _Setup, into: Mapping[str, str]) -> pd.DataFrame:
    """就近编组进站 over the kept stations; a closed station's deputies start in the
    station that absorbs it."""
    if ws_after.deputies is None or not len(ws_after.deputies):
        return _no_groups()
    deps = ws_after.deputies.copy()
    if "station_id" in deps.columns:
        deps["station_id"] = [
            into.get(str(s), s) if isinstance(s, str) else s for s in deps["station_id"]
        ]
    moved_ws = dataclasses.replace(ws_after, deputies=deps)
    stations = ws_after.stations.to_crs(setup.crs).reset_index(drop=True)
    return _group(moved_ws, stations, setup.graph, setup.std, setup.settings)


def _deputies(
    ws: Workspace, regrouped: pd.DataFrame, into: Mapping[str, str], names: Mapping[str, str]
) -> pd.DataFrame:
    cols = ["deputy_id", "name", "level", "specialty", "station_before", "station_after",
            "moved", "travel_s", "reason"]  # fmt: skip
    if not len(regrouped):
        return pd.DataFrame(columns=cols)
    out = regrouped.reindex(columns=cols).reset_index(drop=True)
    assert ws.deputies is not None
    original = (
        ws.deputies.set_index("deputy_id")["station_id"] if "station_id" in ws.deputies else None
    )
    if original is not None:
        orig = out["deputy_id"].map(original)
        out["station_before"] = orig.to_numpy()
        closed = orig.isin(list(into)).to_numpy()
        out["moved"] = (
            out["station_before"].astype(str) != out["station_after"].astype(str)
        ).to_numpy()
        merged = [
            f"原站点{names.get(str(o), o)}撤并，并入{names.get(into[str(o)])}" for o in orig[closed]
        ]
        out.loc[closed, "reason"] = [
            f"{m}；{r}" if isinstance(r, str) and r else m
            for m, r in zip(merged, out.loc[closed, "reason"], strict=True)
        ]
    return out


def _exceptions(ws: Workspace, setup: _Setup) -> list[dict[str, Any]]:
    """Villages with people that no candidate site reaches within the standard."""
    bad = _uncoverable(setup)
    if not bad.any():
        return []
    codes = pd.unique(setup.demand.loc[bad, "village_code"])
    names = ws.villages.set_index("code")["name"]
    pop = setup.demand.loc[bad].groupby("village_code")["population"].sum()
    return [
        {"code": str(c), "name": str(names.get(c, "")), "population_out_of_reach": int(pop[c])}
        for c in codes
    ]


def _before_after(
    before: CoverageResult,
    after: CoverageResult,
    ws: Workspace,
    deputies: pd.DataFrame,
    cost_before: float,
    cost_after: float,
) -> pd.DataFrame:
    b, a = before.summary, after.summary
    if ws.deputies is not None and len(ws.deputies) and "station_id" in ws.deputies.columns:
        per_b = (
            ws.deputies["station_id"]
            .value_counts()
            .reindex(before.stations["station_id"])
            .fillna(0)
        )
    else:
        per_b = pd.Series([0.0])
    per_a = (
        deputies["station_after"].value_counts().reindex(after.stations["station_id"]).fillna(0)
        if len(deputies)
        else pd.Series([0.0])
    )
    rows: list[tuple[str, str, Any, Any]] = [
        ("stations", "站点数", b["n_stations"], a["n_stations"]),
        ("villages_covered", "达标村（社区）数", b["villages_covered"], a["villages_covered"]),
        ("share_villages_covered", "村（社区）达标率", b["share_villages_covered"], a["share_villages_covered"]),
        ("population_covered", "达标人口", b["population_covered"], a["population_covered"]),
        ("share_population_covered", "人口达标率", b["share_population_covered"], a["share_population_covered"]),
        ("mean_travel_min", "人口加权平均用时（分钟）", round(b["mean_travel_s"] / 60, 1), round(a["mean_travel_s"] / 60, 1)),
        ("p95_travel_min", "95%人口用时不超过（分钟）", round(b["p95_travel_s"] / 60, 1), round(a["p95_travel_s"] / 60, 1)),
        ("worst_village", "用时最长的村（社区）", b["worst_village"]["name"], a["worst_village"]["name"]),
        ("worst_travel_min", "最长用时（分钟）", round(b["worst_village"]["travel_s"] / 60, 1), round(a["worst_village"]["travel_s"] / 60, 1)),
        ("annual_cost_yuan", "年运行经费（元）", round(cost_before), round(cost_after)),
        ("deputies_per_station_min", "每站代表数（最少）", int(per_b.min()), int(per_a.min())),
        ("deputies_per_station_mean", "每站代表数（平均）", round(float(per_b.mean()), 1), round(float(per_a.mean()), 1)),
        ("deputies_per_station_max", "每站代表数（最多）", int(per_b.max()), int(per_a.max())),
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["indicator", "label_zh", "before", "after"])
    change: list[float | None] = []
    for bv, av in zip(out["before"], out["after"], strict=True):
        if isinstance(bv, int | float | np.integer | np.floating) and isinstance(
            av, int | float | np.integer | np.floating
        ):
            change.append(round(float(av) - float(bv), 4))
        else:
            change.append(None)
    out["change"] = change
    return out


def tradeoff_curve(
    ws: Workspace,
    *,
    p_values: Sequence[int] | None = None,
    standard: str | ReachStandard | None = None,
    keep: Sequence[str] | str | None = None,
    keep_tiers: Sequence[str] = DEFAULT_KEEP_TIERS,
    close: Sequence[str] | str | None = None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None = None,
    time_limit_s: float | None = 20.0,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """For each number of stations ``p``: the best coverage and the least travel possible.

    Per ``p``: the most population within the standard (MCLP), the least mean travel
    (p-median), the least mean travel with every coverable person within the standard
    (p-median under full coverage, where ``p`` is enough), each with its proven gap. The
    fewest stations that keep everyone coverable within reach (LSCP) is reported in the
    column ``min_full_coverage`` (same on every row). ``progress(done, total)`` is called
    after each ``p`` (the curve is the slow part of a plan: three solves per point).

    Returns
    -------
    DataFrame
        ``p, share_population_covered, population_covered, villages_covered,
        mean_travel_min, full_coverage_feasible, mean_travel_full_min, max_travel_min,
        gap_mclp, gap_median, gap_full, min_full_coverage``.
    """
    setup = _setup(
        ws, standard=standard, keep=keep, keep_tiers=keep_tiers, close=close,
        new_sites=new_sites, settings=settings, graph=graph,
    )  # fmt: skip
    inst = setup.instance
    w = inst.weight
    total = float(w.sum())
    n_keep = int(setup.keep.sum())
    n_sites = int((~setup.close).sum())
    lscp = _solve(setup, "lscp", None, township_min=None, township_max=None,
                  time_limit_s=time_limit_s, seed=0)  # fmt: skip
    need = int(lscp.objective)
    if p_values is None:
        lo = max(n_keep, 1)
        grid = np.unique(np.linspace(lo, n_sites, 12).round().astype(int))
        p_values = sorted(set(grid.tolist()) | {need})
    village = setup.demand["village_code"].to_numpy()
    rows = []
    todo = [p for p in p_values if max(n_keep, 1) <= p <= n_sites]
    for done, p in enumerate(todo, start=1):
        mclp = _solve(setup, "mclp", p, township_min=None, township_max=None,
                      time_limit_s=time_limit_s, seed=0)  # fmt: skip
        med = _solve(setup, "p-median", p, township_min=None, township_max=None,
                     time_limit_s=time_limit_s, seed=0)  # fmt: skip
        within = mclp.cost <= setup.std.limit
        vill_ok = pd.Series(within | (w == 0)).groupby(village).all()
        full_travel = np.nan
        gap_full = np.nan
        if p >= need:
            full = _solve(setup, "p-median-full", p, township_min=None, township_max=None,
                          time_limit_s=time_limit_s, seed=0)  # fmt: skip
            full_travel = full.travel / total / 60
            gap_full = full.gap
        rows.append(
            {
                "p": int(p),
                "share_population_covered": round(mclp.objective / total, 4),
                "population_covered": round(mclp.objective),
                "villages_covered": int(vill_ok.sum()),
                "mean_travel_min": round(med.travel / total / 60, 2),
                "full_coverage_feasible": bool(p >= need),
                "mean_travel_full_min": round(full_travel, 2) if np.isfinite(full_travel) else None,
                "max_travel_min": round(float(med.cost[w > 0].max()) / 60, 1),
                "gap_mclp": mclp.gap,
                "gap_median": med.gap,
                "gap_full": gap_full,
                "min_full_coverage": need,
            }
        )
        if progress is not None:
            progress(done, len(todo))
    return pd.DataFrame(rows)
