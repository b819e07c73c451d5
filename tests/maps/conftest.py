"""Fixtures for the map tests: the demo county, a coverage result, the rendered pages.

``demo_analysed`` is the real :func:`gridgov.coverage.analyse` of the demo county; the
rendering tests draw it. ``fixture_result`` is a TEST FIXTURE, not an analysis: travel is the straight-line
distance from each village's centre to the nearest station times a detour factor, at
e-bike speed, and service areas are station buffers. It fills every column that
:class:`~gridgov.coverage.result.CoverageResult` documents with plausible values, so the
content tests check the map against values they know, independently of the analysis.

``fake_plan`` is a TEST FIXTURE too, not an optimisation: a
:class:`~gridgov.coverage.plan.ConsolidationPlan` of the demo county fabricated from its
real analysis (keep every 联络站 and 代表工作室 and every other 联络点, close the rest
into the nearest kept station, open one new site in the largest gap village), with every
documented column filled, so the consolidation map can be drawn before
:func:`gridgov.coverage.consolidate` exists and checked against values the test knows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from gridgov.coverage.grouping import GROUPING_COLUMNS
from gridgov.coverage.location import Solution
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import parse_standard
from gridgov.crs import CGCS2000
from gridgov.model import Workspace
from gridgov.synth import demo_county

pytest.importorskip("folium", reason="the maps need the 'maps' extra: pip install 'gridgov[maps]'")

_DETOUR = 1.3
_EBIKE_MS = 15.0 / 3.6
_SHORT = {
    "national": "全国",
    "provincial": "省",
    "municipal": "市",
    "county": "县",
    "township": "乡镇",
}


def fixture_result(ws: Workspace, standard: str = "15min:ebike") -> CoverageResult:
    """A plausible CoverageResult for ``ws`` built by straight-line distance (test fixture)."""
    std = parse_standard(standard)
    crs = f"EPSG:{ws.meta.get('projected_epsg', '4547')}"
    villages = ws.villages.to_crs(crs)
    stations = ws.stations.to_crs(crs).reset_index(drop=True)
    centres = villages.geometry.representative_point()
    tree = cKDTree(np.column_stack([stations.geometry.x, stations.geometry.y]))
    dist, idx = tree.query(np.column_stack([centres.x, centres.y]))
    travel_m = np.round(dist * _DETOUR, 1)
    travel_s = np.round(travel_m / _EBIKE_MS, 1)
    cost = travel_s if std.is_time else travel_m
    covered = cost <= std.limit
    sid = stations["station_id"].to_numpy()[idx]
    pop = ws.villages["population"].to_numpy(dtype=float)
    inside = gpd.sjoin(ws.stations[["geometry"]], ws.villages[["code", "geometry"]])
    has_station = ws.villages["code"].isin(set(inside["code"])).to_numpy()

    v = ws.villages[["code", "name", "township_code", "kind", "population", "geometry"]].copy()
    v["nearest_station_id"] = sid
    v["nearest_station_name"] = stations["name"].to_numpy()[idx]
    v["nearest_station_tier"] = stations["tier"].to_numpy()[idx]
    v["travel_m"] = travel_m
    v["travel_s"] = travel_s
    v["covered"] = covered
    v["share_covered"] = covered.astype(float)
    v["population_covered"] = np.where(covered, pop, 0).astype(np.int64)
    v["has_station"] = has_station
    v["meets_rule"] = has_station | covered

    demand = gpd.GeoDataFrame(
        {
            "demand_id": v["code"].to_numpy(),
            "village_code": v["code"].to_numpy(),
            "population": pop,
            "source": "village_centroid",
            "station_id": sid,
            "travel_m": travel_m,
            "travel_s": travel_s,
            "snap_m": 0.0,
            "covered": covered,
        },
        geometry=centres.to_crs(CGCS2000).to_numpy(),
        crs=CGCS2000,
    )

    st = ws.stations.copy()
    served = pd.Series(pop).groupby(sid).sum()
    n_vill = pd.Series(1, index=range(len(sid))).groupby(sid).sum()
    st["n_villages"] = st["station_id"].map(n_vill).fillna(0).astype(np.int64)
    st["population_served"] = st["station_id"].map(served).fillna(0).round().astype(np.int64)
    deps = ws.deputies if ws.deputies is not None else pd.DataFrame(columns=["station_id", "level"])
    counts = deps.groupby(["station_id", "level"]).size().unstack(fill_value=0)
    st["n_deputies"] = st["station_id"].map(deps.groupby("station_id").size()).fillna(0).astype(int)
    st["deputies_by_level"] = [
        " ".join(
            f"{_SHORT[lv]}{int(counts.loc[s, lv])}"
            for lv in _SHORT
            if s in counts.index and lv in counts.columns and counts.loc[s, lv] > 0
        )
        for s in st["station_id"]
    ]
    st["population_per_deputy"] = (
        st["population_served"] / st["n_deputies"].replace(0, np.nan)
    ).round(0)
    st = st.drop(columns=["village_code", "parent_station_id", "annual_cost_yuan"], errors="ignore")

    gap = v[~v["covered"]].sort_values("population", ascending=False)
    gap_centres = gap.geometry.representative_point()
    gaps = pd.DataFrame(
        {
            "rank": np.arange(1, len(gap) + 1),
            "code": gap["code"].to_numpy(),
            "name": gap["name"].to_numpy(),
            "township_code": gap["township_code"].to_numpy(),
            "population_uncovered": gap["population"].astype(np.int64).to_numpy(),
            "nearest_station_id": gap["nearest_station_id"].to_numpy(),
            "nearest_station_name": gap["nearest_station_name"].to_numpy(),
            "travel_s": gap["travel_s"].to_numpy(),
            "travel_m": gap["travel_m"].to_numpy(),
            "new_site_lon": np.round(gap_centres.x.to_numpy(), 6),
            "new_site_lat": np.round(gap_centres.y.to_numpy(), 6),
            "new_site_source": gap["code"].to_numpy(),
            "new_site_population_covered": gap["population"].astype(np.int64).to_numpy(),
        }
    )
    radius_m = (std.limit * _EBIKE_MS if std.is_time else std.limit) / _DETOUR
    areas = gpd.GeoDataFrame(
        {"station_id": stations["station_id"].to_numpy()},
        geometry=stations.geometry.buffer(radius_m, quad_segs=16).to_numpy(),
        crs=crs,
    ).to_crs(CGCS2000)

    total = float(pop.sum())
    pop_cov = float(v["population_covered"].sum())
    summary: dict[str, Any] = {
        "standard": str(std),
        "standard_label": std.label_zh,
        "method": "straight-line",
        "n_villages": len(v),
        "villages_covered": int(covered.sum()),
        "share_villages_covered": round(float(covered.mean()), 4),
        "population": int(total),
        "population_covered": int(pop_cov),
        "share_population_covered": round(pop_cov / total, 4),
        "mean_travel_s": round(float(np.average(travel_s, weights=pop)), 1),
        "n_stations": len(st),
        "n_gaps": int((~covered).sum()),
    }
    return CoverageResult(
        standard=std,
        method="straight-line",
        villages=v,
        demand=demand,
        stations=st,
        gaps=gaps,
        service_areas=areas,
        deputies=pd.DataFrame(columns=list(GROUPING_COLUMNS)),
        summary=summary,
    )


@pytest.fixture(scope="session")
def demo_ws() -> Workspace:
    return demo_county()


@pytest.fixture(scope="session")
def demo_result(demo_ws: Workspace) -> CoverageResult:
    result = fixture_result(demo_ws)
    assert result.summary["n_gaps"] > 0, "the fixture should have gaps to draw"
    return result


@pytest.fixture(scope="session")
def demo_analysed(demo_ws: Workspace) -> CoverageResult:
    """The real analysis of the demo county (roads, 15 minutes by e-bike)."""
    from gridgov.coverage import analyse

    return analyse(demo_ws, standard="15min:ebike")


def fixture_plan(ws: Workspace, cov: CoverageResult) -> ConsolidationPlan:
    """A plausible ConsolidationPlan for ``ws`` from its analysis ``cov`` (test fixture).

    Kept: every 联络站 and 代表工作室, and every other 联络点 (by id); one new site at the
    centre of the largest gap village. A village whose station stays keeps its travel; the others go
    to the nearest open site at the straight-line estimate (distance x detour, e-bike).
    """
    std = cov.standard
    crs = f"EPSG:{ws.meta.get('projected_epsg', '4547')}"
    st = cov.stations.reset_index(drop=True)
    points = st.index[st["tier"] == "point"]
    kept = st["tier"].isin(["station", "studio"]).to_numpy().copy()
    kept[points[::2]] = True

    gap = cov.gaps.iloc[0]
    new = gpd.GeoDataFrame(
        {
            "station_id": ["430623N0001"],
            "name": [f"{gap['name']}人大代表联络点（新设）"],
            "tier": ["point"],
            "kind": ["regional"],
            "industry": [None],
            "township_code": [gap["township_code"]],
        },
        geometry=cov.villages.loc[cov.villages["code"] == gap["code"]]
        .geometry.representative_point()
        .to_numpy(),
        crs=CGCS2000,
    )
    base = st[["station_id", "name", "tier", "kind", "industry", "township_code", "geometry"]]
    stations = gpd.GeoDataFrame(pd.concat([base, new], ignore_index=True), crs=CGCS2000)
    stations["kept"] = np.append(kept, True)
    stations["new_site"] = np.append(np.zeros(len(st), bool), True)
    open_ = stations[stations["kept"]]
    xy = stations.to_crs(crs).geometry
    tree = cKDTree(np.column_stack([xy.x, xy.y])[stations["kept"].to_numpy()])

    def est_s(dist_m: np.ndarray) -> np.ndarray:
        return np.round(dist_m * _DETOUR / _EBIKE_MS, 1)

    # Closed stations go to the nearest kept (existing) station.
    old_kept = np.flatnonzero(kept)
    old_tree = cKDTree(np.column_stack([xy.x, xy.y])[old_kept])
    d_into, i_into = old_tree.query(np.column_stack([xy.x, xy.y]))
    into = np.where(stations["kept"], None, stations["station_id"].to_numpy()[old_kept][i_into])
    names = dict(zip(stations["station_id"], stations["name"], strict=True))

    v = cov.villages
    centres = v.to_crs(crs).geometry.representative_point()
    d_open, i_open = tree.query(np.column_stack([centres.x, centres.y]))
    before = v["nearest_station_id"].to_numpy()
    stays = np.isin(before, open_["station_id"])
    open_ids = open_["station_id"].to_numpy()
    after = np.where(stays, before, open_ids[i_open])
    travel_after = np.where(stays, v["travel_s"], est_s(d_open))
    # The new site draws the villages it reaches faster than their station after the plan.
    new_xy = np.array([[xy.x.iloc[-1], xy.y.iloc[-1]]])
    d_new = np.hypot(centres.x - new_xy[0, 0], centres.y - new_xy[0, 1]).to_numpy()
    closer = est_s(d_new) < travel_after
    after = np.where(closer, new["station_id"].iloc[0], after)
    travel_after = np.where(closer, est_s(d_new), travel_after)
    covered_after = travel_after <= std.limit
    covered_before = v["covered"].to_numpy()
    villages = gpd.GeoDataFrame(
        {
            "code": v["code"],
            "name": v["name"],
            "township_code": v["township_code"],
            "population": v["population"],
            "station_before": before,
            "travel_s_before": v["travel_s"],
            "covered_before": covered_before,
            "station_after": after,
            "station_after_name": [names[s] for s in after],
            "travel_s_after": travel_after,
            "travel_m_after": np.round(travel_after * _EBIKE_MS, 1),
            "covered_after": covered_after,
            "change": np.select(
                [covered_before & ~covered_after, ~covered_before & covered_after],
                ["lost", "gained"],
                "same",
            ),
        },
        geometry=v.geometry,
        crs=CGCS2000,
    )

    pop = villages["population"]
    n_before = villages.groupby("station_before").size()
    n_after = villages.groupby("station_after").size()
    p_before = pop.groupby(villages["station_before"]).sum()
    p_after = pop.groupby(villages["station_after"]).sum()
    deps = ws.deputies.groupby("station_id").size()
    ids = stations["station_id"]
    dep_before = ids.map(deps).fillna(0).astype(int)
    absorbed = dep_before.groupby(pd.Series(into, index=ids.index)).sum()
    dep_after = np.where(stations["kept"], dep_before + ids.map(absorbed).fillna(0), 0)
    decision = np.select(
        [stations["new_site"], stations["tier"] == "station", stations["kept"]],
        ["new", "kept (must)", "kept"],
        "closed",
    )
    reason = np.select(
        [decision == "new", decision == "kept (must)", decision == "kept"],
        ["填补覆盖空白", "乡镇中心站，必须保留", "服务人口多，保留"],
        "邻近站点可承接，撤并后仍就近可达",
    )
    absorb_s = np.where(stations["kept"], np.nan, est_s(d_into))
    stations = stations.assign(
        decision=decision,
        reason=reason,
        absorbed_by=into,
        absorbed_by_name=[names.get(i) if i else None for i in into],
        absorb_travel_s=absorb_s,
        villages_before=ids.map(n_before).fillna(0).astype(int),
        villages_after=ids.map(n_after).fillna(0).astype(int),
        population_before=ids.map(p_before).fillna(0).astype(int),
        population_after=ids.map(p_after).fillna(0).astype(int),
        deputies_before=dep_before,
        deputies_after=dep_after.astype(int),
    )

    closed = stations[~stations["kept"]]
    grids = ws.grids.groupby("village_code").size()
    moved = [
        villages.loc[villages["station_before"] == c, "code"].tolist() for c in closed["station_id"]
    ]
    absorb = pd.DataFrame(
        {
            "closed_id": closed["station_id"].to_numpy(),
            "closed_name": closed["name"].to_numpy(),
            "closed_tier": closed["tier"].to_numpy(),
            "township_code": closed["township_code"].to_numpy(),
            "into_id": closed["absorbed_by"].to_numpy(),
            "into_name": closed["absorbed_by_name"].to_numpy(),
            "travel_s": closed["absorb_travel_s"].to_numpy(),
            "n_villages": [len(m) for m in moved],
            "villages": moved,
            "n_grids": [int(grids.reindex(m).fillna(0).sum()) for m in moved],
            "n_deputies": closed["deputies_before"].to_numpy(),
            "population": closed["population_before"].to_numpy(),
        }
    )

    cost = ws.stations.set_index("station_id")["annual_cost_yuan"]
    saving = int(cost.reindex(closed["station_id"]).fillna(0).sum()) - 20_000
    share_before = round(float(covered_before.mean()), 4)
    share_after = round(float(covered_after.mean()), 4)
    n_before, n_after_ = int((~stations["new_site"]).sum()), int(stations["kept"].sum())
    before_after = pd.DataFrame(
        {
            "indicator": ["stations", "share_villages_covered", "annual_cost_yuan"],
            "label_zh": ["站点数", "村（社区）覆盖率", "年运行经费（元）"],
            "before": [n_before, share_before, float(cost.sum())],
            "after": [n_after_, share_after, float(cost.sum() - saving)],
        }
    )
    before_after["change"] = before_after["after"] - before_after["before"]
    flags = stations.assign(
        existing=~stations["new_site"],
        must=stations["decision"] == "kept (must)",
        shut=~stations["kept"],
    )
    townships = (
        flags.groupby("township_code")
        .agg(before=("existing", "sum"), after=("kept", "sum"), kept_must=("must", "sum"))
        .join(flags.groupby("township_code")["shut"].sum().rename("closed"))
        .reset_index()
    )
    townships.insert(
        1,
        "township_name",
        townships["township_code"].map(
            dict(zip(ws.townships["code"], ws.townships["name"], strict=True))
        ),
    )
    station_after = dict(zip(ids, np.where(stations["kept"], ids, into), strict=True))
    d = ws.deputies
    deputies = pd.DataFrame(
        {
            "deputy_id": d["deputy_id"],
            "name": d["name"],
            "level": d["level"],
            "specialty": d["specialty"],
            "station_before": d["station_id"],
            "station_after": d["station_id"].map(station_after),
            "moved": d["station_id"].map(station_after) != d["station_id"],
            "travel_s": np.nan,
            "reason": "",
        }
    )
    site_ids = pd.Index(stations["station_id"])
    open_pos = np.flatnonzero(stations["kept"].to_numpy())
    pos = {s: i for i, s in enumerate(site_ids)}
    solution = Solution(
        model="p-median",
        p=len(open_pos),
        open=open_pos.astype(np.int64),
        assigned=np.array([pos[s] for s in after], dtype=np.int64),
        cost=travel_after.astype(float),
        objective=float((travel_after * pop).sum()),
        bound=float((travel_after * pop).sum()),
        gap=0.0,
        proven=True,
        status="optimal",
        method="test fixture (nearest kept station)",
        time_s=0.0,
        site_ids=site_ids,
        travel=float((travel_after * pop).sum()),
    )
    summary: dict[str, Any] = {
        "stations_before": n_before,
        "stations_after": n_after_,
        "closed": len(closed),
        "new": 1,
        "annual_saving_yuan": saving,
        "share_villages_covered_before": share_before,
        "share_villages_covered_after": share_after,
    }
    return ConsolidationPlan(
        model="p-median",
        standard=std,
        target=n_after_,
        stations=stations,
        villages=villages,
        absorb=absorb,
        before_after=before_after,
        townships=townships,
        deputies=deputies,
        solution=solution,
        summary=summary,
    )


@pytest.fixture(scope="session")
def fake_plan(demo_ws: Workspace, demo_analysed: CoverageResult) -> ConsolidationPlan:
    """A fabricated plan of the demo county, with closures, lost, gained and a new site."""
    plan = fixture_plan(demo_ws, demo_analysed)
    change = plan.villages["change"].value_counts()
    assert change.get("lost", 0) > 0 and change.get("gained", 0) > 0, change
    return plan


_LAYER_CALL = re.compile(r"var (\w+) = gridgov\.layer\(\w+,\s*")
_CONTROL_ENTRY = re.compile(r'("(?:[^"\\]|\\.)*")\s*:\s*(\w+),')


def _layer_calls(html: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every ``gridgov.layer`` call in a saved page, by variable: (GeoJSON, options)."""
    decoder = json.JSONDecoder()
    by_var: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for match in _LAYER_CALL.finditer(html):
        data, end = decoder.raw_decode(html, match.end())
        rest = re.compile(r",\s*").match(html, end)
        assert rest is not None
        options, _ = decoder.raw_decode(html, rest.end())
        by_var[match.group(1)] = (data, options)
    return by_var


def drawn_layers(html: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The overlays in a saved page, by their layer-control name: (GeoJSON, options)."""
    by_var = _layer_calls(html)
    return {
        json.loads(name): by_var[var] for name, var in _CONTROL_ENTRY.findall(html) if var in by_var
    }


_GROUP = re.compile(r"var (\w+) = L\.layerGroup\(\[([\w\s,]*)\]\);")


def drawn_views(html: str) -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The layer-control groups of a saved page (调整前, 调整后): their overlays, in order."""
    by_var = _layer_calls(html)
    groups = {g: [m.strip() for m in ms.split(",") if m.strip()] for g, ms in _GROUP.findall(html)}
    return {
        json.loads(name): [by_var[m] for m in groups[var]]
        for name, var in _CONTROL_ENTRY.findall(html)
        if var in groups
    }


@pytest.fixture(scope="session")
def layers_of() -> Callable[[str], dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    return drawn_layers


@pytest.fixture(scope="session")
def views_of() -> Callable[[str], dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]]:
    return drawn_views


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium binary; a missing one skips locally and fails in CI."""
    path = _find_chromium()
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return path


def run_chromium(chromium: str, page: Path, profile: Path, *args: str) -> str:
    """Open ``page`` in headless Chromium with the network cut off; return stdout."""
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        # No network at all: every proxied request fails, every name fails to resolve.
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1400,950",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
        *args,
        page.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def browse(chromium: str) -> Callable[..., str]:
    """``browse(page, profile, *flags)``: headless Chromium offline, returning stdout."""

    def run(page: Path, profile: Path, *args: str) -> str:
        return run_chromium(chromium, page, profile, *args)

    return run
