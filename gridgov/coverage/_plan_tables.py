"""The tables of a consolidation plan, built from a solved location model.

Coverage before and after are two runs of :func:`~gridgov.coverage.analyse` (every
station, then the kept ones) on the same road graph and demand points, so the plan and
the coverage report can never disagree (a caller that has just analysed the county, as a
region run doing coverage and consolidation in one task has, passes its result as
"before"); from them come the station decisions with their reasons, where each
closed station goes, the villages that gain or lose coverage, stations per township, the
regrouped deputies and the before/after indicators of :class:`ConsolidationPlan`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov.coverage._sites import Setup, cost_matrix, uncoverable
from gridgov.coverage._workspace import empty_grouping, group_on_roads
from gridgov.coverage.location import Solution
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.reach import analyse, ungrouped
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import parse_standard
from gridgov.crs import CGCS2000
from gridgov.messages import text
from gridgov.model import Workspace

__all__ = ["build_plan"]


def _cost_of(sites: gpd.GeoDataFrame, default: float) -> np.ndarray:
    if "annual_cost_yuan" in sites.columns:
        v = pd.to_numeric(sites["annual_cost_yuan"], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isfinite(v), v, default)
    return np.full(len(sites), default)


def build_plan(
    ws: Workspace,
    setup: Setup,
    sol: Solution,
    *,
    model: str,
    model_zh: str,
    annual_cost_yuan: float | None,
    before: CoverageResult | None = None,
) -> ConsolidationPlan:
    """The frozen plan of solution ``sol``: coverage before and after, every table.

    Parameters
    ----------
    ws : Workspace
        The county as it is today.
    setup : Setup
        The sites and costs ``sol`` was solved on.
    sol : Solution
        The location model's answer (its open sites are the kept and new stations).
    model, model_zh : str
        The model's name and its Chinese label, for the summary.
    annual_cost_yuan : float, optional
        Running cost per station per year where a station has none of its own (default
        ``settings.station_annual_cost_yuan``).
    before : CoverageResult, optional
        :func:`~gridgov.coverage.analyse` of ``ws`` at the plan's standard, settings and
        road graph, already computed by the caller (grouped or not); analysed here when
        absent.

    Returns
    -------
    ConsolidationPlan
    """
    settings, std = setup.settings, setup.std
    sites = setup.sites
    existing = setup.existing
    is_open = np.zeros(len(sites), dtype=bool)
    is_open[sol.open] = True

    if before is None:
        before = analyse(ws, standard=std, settings=settings, graph=setup.graph,
                         service_areas=False, gap_sites=False, group=False,
                         demand=setup.demand)  # fmt: skip
    else:
        # the plan's stations table counts today's deputies where they are today
        before = ungrouped(before, ws)
    kept_rows = sites[is_open].to_crs(CGCS2000)
    ws_after = dataclasses.replace(
        ws, stations=gpd.GeoDataFrame(kept_rows.reset_index(drop=True), crs=CGCS2000)
    )
    after = analyse(ws_after, standard=std, settings=settings, graph=setup.graph,
                    service_areas=False, gap_sites=False, group=False,
                    demand=setup.demand)  # fmt: skip

    villages = _villages(before, after)
    county_check = _county_check(ws, ws_after, setup, before, after)
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
        "model_zh": model_zh,
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
        "county_standard": county_check,
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


def _county_check(
    ws: Workspace,
    ws_after: Workspace,
    setup: Setup,
    before: CoverageResult,
    after: CoverageResult,
) -> dict[str, Any]:
    """The plan judged by the county's own reach standard (``settings.reach_standard``).

    A plan made at a relaxed standard (the demo plans 97 -> 52 at 25 minutes) can keep
    every village "covered" there while villages fall out of the county's 出门即可达 reach;
    the report says so first. At the same standard this repeats the plan's own figures.
    """
    county_std = parse_standard(setup.settings.reach_standard)
    same = str(county_std) == str(setup.std)
    if same:
        b, a = before, after
    else:
        b, a = (
            analyse(
                w,
                standard=county_std,
                settings=setup.settings,
                graph=setup.graph,
                service_areas=False,
                gap_sites=False,
                group=False,
                demand=setup.demand,  # the same people at any standard
            )
            for w in (ws, ws_after)
        )
    covered_b = b.villages["covered"].to_numpy(dtype=bool)
    covered_a = a.villages["covered"].to_numpy(dtype=bool)
    lost = b.villages[covered_b & ~covered_a]
    lost_after = a.villages.set_index("code").reindex(lost["code"])
    return {
        "standard": str(county_std),
        "standard_label": county_std.label_zh,
        "same_as_plan": same,
        "villages_covered_before": b.summary["villages_covered"],
        "villages_covered_after": a.summary["villages_covered"],
        "share_villages_covered_before": b.summary["share_villages_covered"],
        "share_villages_covered_after": a.summary["share_villages_covered"],
        "share_population_covered_before": b.summary["share_population_covered"],
        "share_population_covered_after": a.summary["share_population_covered"],
        "villages_lost": len(lost),
        "villages_gained": int((~covered_b & covered_a).sum()),
        "lost": [
            {
                "code": str(code),
                "name": str(name),
                "population": int(pop),
                # a village is covered when all its settlements are: its mean travel
                # can be within the standard while some of its people are not
                "population_beyond_after": int(pop - covered),
                "mean_travel_min_after": _minutes(t),
                "station_after": None if pd.isna(sid) else str(sid),
            }
            for code, name, pop, covered, t, sid in zip(
                lost["code"],
                lost["name"],
                lost["population"].fillna(0),
                lost_after["population_covered"].fillna(0),
                lost_after["travel_s"],
                lost_after["nearest_station_name"],
                strict=True,
            )
        ],
    }


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
    setup: Setup,
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
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    open_pos = np.flatnonzero(is_open)
    # Travel from every station to every kept one, on the plan's own cost basis (from the
    # sites' costs when they are times: the same searches).
    if setup.between_s is not None:
        st = setup.between_s[:, open_pos]
    else:
        st = cost_matrix(
            setup.graph, (sx, sy), (sx[open_pos], sy[open_pos]), std=setup.std,
            settings=setup.settings, weight="time",
        )  # fmt: skip
    pos = {s: i for i, s in enumerate(ids)}
    col = {s: k for k, s in enumerate(ids[open_pos])}
    # the columns read, not the frames without geometry (a copy of every column)
    d_before, d_after = before.demand, after.demand
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
    # Per closed station, from tables grouped once: filtering every table per station was
    # a third of a province county's consolidation (profiled in bench/bench_region.py).
    top = flows.sort_values("population", ascending=False, kind="stable").drop_duplicates("from")
    top_to = dict(zip(top["from"], top["to"].astype(str), strict=True))
    top_people = dict(zip(top["from"], top["population"].astype(float), strict=True))
    # a dict, not ``.loc`` per closed station (a third of this function at province scale)
    village_names = dict(
        zip(before.villages["code"], before.villages["name"].astype(str), strict=True)
    )
    villages_of: dict[str, list[str]] = {}
    for code, station in zip(v_before.index, v_before.to_numpy(), strict=True):
        villages_of.setdefault(station, []).append(code)
    n_grids = grid_station.value_counts()
    n_deputies = dep_station.value_counts()
    people = moves.groupby("from", sort=False)["population"].sum()
    into: dict[str, str] = {}
    into_s: dict[str, float] = {}
    rows = []
    for s in closed:
        # most of its people, or (it served nobody) the kept station nearest by road
        nearest = str(kept[int(np.argmin(st[pos[s]]))])
        target = top_to[s] if top_people.get(s, 0.0) > 0 else nearest
        into[s] = target
        into_s[s] = float(st[pos[s], col[target]])
        vill = villages_of.get(s, [])
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
                "villages": "、".join(village_names[v] for v in vill),
                "n_grids": int(n_grids.get(s, 0)),
                "n_deputies": int(n_deputies.get(s, 0)),
                "population": round(float(people.get(s, 0.0))),
            }
        )
    cols = ["closed_id", "closed_name", "closed_tier", "township_code", "into_id", "into_name",
            "travel_s", "n_villages", "villages", "n_grids", "n_deputies", "population"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols), into, into_s


#: The catalogue key of the reason each decision gives (理由 column).
_REASON = {
    "kept (must)": "report.reason.kept_must",
    "kept": "report.reason.kept",
    "closed": "report.reason.closed",
    "closed (must)": "report.reason.closed_must",
    "new": "report.reason.new",
}


def _stations(
    ws: Workspace,
    setup: Setup,
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
    why = {t: text(f"report.reason.why.{t}") for t in ("station", "studio", "post", "other")}
    words = {d: text(key, why="{why}") for d, key in _REASON.items()}
    reason = [
        words[d].format(why=why.get(t, why["other"])) if d == "kept (must)" else words[d]
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


def _townships(ws: Workspace, setup: Setup, is_open: np.ndarray) -> pd.DataFrame:
    t = ws.townships
    codes = t["code"].astype(str).to_numpy()
    g = setup.groups
    existing = setup.existing
    # each site's township found once, then counted per mask (value_counts per mask was
    # most of this table's time)
    uniq, back = np.unique(codes, return_inverse=True)
    at = np.searchsorted(uniq, g).clip(0, max(uniq.size - 1, 0))
    known = (uniq[at] == g) if uniq.size else np.zeros(g.size, dtype=bool)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(at[mask & known], minlength=uniq.size)[back].astype(int)

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


def _regroup(ws_after: Workspace, setup: Setup, into: Mapping[str, str]) -> pd.DataFrame:
    """就近编组进站 over the kept stations; a closed station's deputies start in the
    station that absorbs it."""
    if ws_after.deputies is None or not len(ws_after.deputies):
        return empty_grouping()
    deps = ws_after.deputies.copy()
    if "station_id" in deps.columns:
        deps["station_id"] = [
            into.get(str(s), s) if isinstance(s, str) else s for s in deps["station_id"]
        ]
    moved_ws = dataclasses.replace(ws_after, deputies=deps)
    stations = ws_after.stations.to_crs(setup.crs).reset_index(drop=True)
    return group_on_roads(moved_ws, stations, setup.graph, setup.std, setup.settings)


def _deputies(
    ws: Workspace, regrouped: pd.DataFrame, into: Mapping[str, str], names: Mapping[str, str]
) -> pd.DataFrame:
    cols = ["deputy_id", "name", "level", "specialty", "station_before", "station_after",
            "moved", "travel_s", "reason"]  # fmt: skip
    if not len(regrouped):
        return pd.DataFrame(columns=cols)
    out = regrouped.reindex(columns=cols).reset_index(drop=True)
    if ws.deputies is None:  # a bug: the regrouping has rows only when there are deputies
        raise RuntimeError("deputies were regrouped from a workspace without deputies")
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
            text("report.reason.merged", closed=names.get(str(o), o),
                 into=names.get(into[str(o)]))
            for o in orig[closed]
        ]  # fmt: skip
        sep = text("report.reason.sep")
        out.loc[closed, "reason"] = [
            f"{m}{sep}{r}" if isinstance(r, str) and r else m
            for m, r in zip(merged, out.loc[closed, "reason"], strict=True)
        ]
    return out


def _exceptions(ws: Workspace, setup: Setup) -> list[dict[str, Any]]:
    """Villages with people that no candidate site reaches within the standard."""
    bad = uncoverable(setup)
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
        ("mean_travel_min", "人口加权平均用时（分钟）", _minutes(b["mean_travel_s"]), _minutes(a["mean_travel_s"])),
        ("p95_travel_min", "95%人口用时不超过（分钟）", _minutes(b["p95_travel_s"]), _minutes(a["p95_travel_s"])),
        ("worst_village", "用时最长的村（社区）", b["worst_village"]["name"], a["worst_village"]["name"]),
        ("worst_travel_min", "该村（社区）平均用时（分钟）", _minutes(b["worst_village"]["travel_s"]), _minutes(a["worst_village"]["travel_s"])),
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


def _minutes(seconds: float | None) -> float | None:
    """Seconds as minutes to 0.1; None where there is no figure (no station reached)."""
    if seconds is None or not np.isfinite(seconds):
        return None
    return round(float(seconds) / 60, 1)
