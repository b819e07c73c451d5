"""Fixtures for the map tests: the demo county, a coverage result, the rendered pages.

``demo_analysed`` is the real :func:`gridgov.coverage.analyse` of the demo county; the
rendering tests draw it. ``fixture_result`` is a TEST FIXTURE, not an analysis: travel is the straight-line
distance from each village's centre to the nearest station times a detour factor, at
e-bike speed, and service areas are station buffers. It fills every column that
:class:`~gridgov.coverage.result.CoverageResult` documents with plausible values, so the
content tests check the map against values they know, independently of the analysis.
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


_LAYER_CALL = re.compile(r"var (\w+) = gridgov\.layer\(\w+,\s*")
_CONTROL_ENTRY = re.compile(r'("(?:[^"\\]|\\.)*")\s*:\s*(\w+),')


def drawn_layers(html: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The overlays in a saved page, by their layer-control name: (GeoJSON, options)."""
    decoder = json.JSONDecoder()
    by_var: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for match in _LAYER_CALL.finditer(html):
        data, end = decoder.raw_decode(html, match.end())
        rest = re.compile(r",\s*").match(html, end)
        assert rest is not None
        options, _ = decoder.raw_decode(html, rest.end())
        by_var[match.group(1)] = (data, options)
    return {
        json.loads(name): by_var[var] for name, var in _CONTROL_ENTRY.findall(html) if var in by_var
    }


@pytest.fixture(scope="session")
def layers_of() -> Callable[[str], dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    return drawn_layers


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
