"""Every JSON file the coverage and consolidation reports write is strict JSON.

A village that reaches no station has no travel time; the files and the CLI's ``--json``
summary must say null there, never ``NaN`` or ``Infinity`` (which ``JSON.parse``, ``jq``
and PostgreSQL reject).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from gridgov import io
from gridgov.cli import main
from gridgov.coverage import analyse
from gridgov.coverage.consolidate import consolidate
from gridgov.coverage.plan_report import write_consolidation
from gridgov.coverage.report import write_coverage
from gridgov.crs import CGCS2000
from gridgov.model import Workspace
from gridgov.testing import tiny_workspace

GK = "EPSG:4547"
# The tiny county's roads, plus a short lane beside 万庾社区's only settlement (ST04) that
# joins nothing: ST04 snaps to it, so the village reaches no station at all.
ROADS = {
    "R1": ("trunk", [(350100, 3266000), (352500, 3266000), (357000, 3266000), (359900, 3266000)]),
    "R2": ("county", [(352500, 3261100), (352500, 3266000), (352500, 3270900)]),
    "R3": ("village", [(357000, 3263000), (357000, 3266000)]),
    "LANE": ("village", [(357600, 3268500), (357700, 3268700)]),
}
CUT_OFF = "430623102001"  # 万庾社区


def _strict(text: str) -> object:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


@pytest.fixture(scope="module")
def island() -> Workspace:
    roads = gpd.GeoDataFrame(
        {"road_id": list(ROADS), "road_class": [c for c, _ in ROADS.values()]},
        geometry=[LineString(p) for _, p in ROADS.values()],
        crs=GK,
    ).to_crs(CGCS2000)
    return dataclasses.replace(tiny_workspace(), roads=roads)


def test_coverage_summary_json_says_null_for_a_village_no_station_reaches(
    island: Workspace, tmp_path: Path
) -> None:
    result = analyse(island, standard="10min:ebike", group=False)
    assert pd.isna(result.villages.set_index("code").loc[CUT_OFF, "travel_s"])
    files = write_coverage(result, tmp_path)
    summary = _strict(files["summary_json"].read_text(encoding="utf-8"))
    assert isinstance(summary, dict)
    assert summary["worst_village"]["code"] == CUT_OFF
    assert summary["worst_village"]["travel_s"] is None
    assert summary["worst_village"]["nearest_station_id"] is None


def test_consolidation_json_is_strict_with_a_village_no_station_reaches(
    island: Workspace, tmp_path: Path
) -> None:
    plan = consolidate(island, target=2, standard="10min:ebike", model="p-median")
    assert plan.summary["stations_after"] == 2
    worst = plan.before_after.set_index("indicator").loc["worst_travel_min"]
    assert worst["before"] is None and worst["after"] is None
    files = write_consolidation(plan, tmp_path)
    payload = _strict(files["json"].read_text(encoding="utf-8"))
    assert isinstance(payload, dict)
    rows = {r["indicator"]: r for r in payload["before_after"]}
    assert rows["worst_travel_min"]["before"] is None
    assert payload["summary"]["proven_optimal"] is True


def test_cli_coverage_json_and_its_file_are_strict(
    island: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "island.gpkg"
    io.write_workspace(island, path)
    out = tmp_path / "coverage"
    code = main(["coverage", str(path), "--standard", "10min:ebike", "--out", str(out),
                 "--no-map", "--json"])  # fmt: skip
    assert code == 0
    payload = _strict(capsys.readouterr().out)
    assert isinstance(payload, dict)
    assert payload["summary"]["worst_village"]["code"] == CUT_OFF
    assert payload["summary"]["worst_village"]["travel_s"] is None
    written = _strict(Path(payload["files"]["summary_json"]).read_text(encoding="utf-8"))
    assert written == payload["summary"]
