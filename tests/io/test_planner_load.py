"""A county office's files, as delivered, load with one ``gridgov load`` and no edits.

The set (:mod:`planner_files`, everyday spellings): villages as a GBK shapefile without
.cpg, townships in EPSG:4547, a stations XLSX under a merged title with a 合计 row, AMap
(GCJ-02) positions, 站点名称 and township *names*, its tier in a 类型 column and no kind;
deputies as a GB18030 CSV with everyday levels (镇人大代表 …) and their station by *name*;
grids as a WGS84 KML. The result equals the source workspace. A broken copy of the same
set is refused with grouped Chinese problems naming Excel rows, the file's own problems
first, problems.xlsx beside the workspace, exit 2 and the workspace untouched.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from planner_files import PlannerFiles, assert_same_layer, planner_workspace, write_planner_files

from gridgov import io, synth
from gridgov.cli import main
from gridgov.model import Workspace


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return planner_workspace(synth.demo_county(seed=2024))


def _as_offices_write(files: PlannerFiles, ws: Workspace) -> None:
    """The everyday set, further as offices write it: the stations' tier under 类型 with no
    kind column, the deputies' station by its name (by id where two share it)."""
    book = openpyxl.load_workbook(files.stations)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    tier, kind = header.index("层级") + 1, header.index("类别") + 1
    sheet.cell(2, tier).value = "类型"
    sheet.delete_cols(kind)
    book.save(files.stations)

    # by name where the name is the county's only one (two 北街社区…联络点 exist: by id)
    counted = ws.stations["name"].value_counts()
    names = {i: n if counted[n] == 1 else i
             for i, n in zip(ws.stations["station_id"], ws.stations["name"], strict=True)}  # fmt: skip
    deputies = pd.read_csv(files.deputies, encoding="gb18030", dtype=str)
    deputies["所属站点"] = deputies["所属站点"].map(names)
    deputies = deputies.rename(columns={"所属站点": "所属联络站"})
    deputies.to_csv(files.deputies, index=False, encoding="gb18030", lineterminator="\r\n")


def _argv(workspace: Path, files: PlannerFiles) -> list[str]:
    argv = ["load", str(workspace), "--source-crs", "gcj02"]
    for name, path in files.sources().items():
        # the deputies' positions came from a GPS, not AMap: that file says so for itself
        argv += [f"--{name}", f"{path}@wgs84" if name == "deputies" else str(path)]
    return argv


def test_the_offices_files_load_first_time_as_the_source(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_planner_files(ws, tmp_path / "in", everyday=True)
    _as_offices_write(files, ws)
    workspace = tmp_path / "county.gpkg"

    assert main(_argv(workspace, files)) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "villages.shp: 编码 GBK" in out and "stations.xlsx: 表头在第 2 行" in out

    loaded = io.read_workspace(workspace)
    assert_same_layer(loaded.county, ws.county, key="code")
    assert_same_layer(loaded.townships, ws.townships, key="code")
    assert_same_layer(loaded.villages, ws.villages, key="code")
    assert_same_layer(loaded.stations, ws.stations, key="station_id")
    assert (
        loaded.stations.set_index("station_id")
        .sort_index()[["tier", "kind"]]
        .equals(ws.stations.set_index("station_id").sort_index()[["tier", "kind"]])
    )
    assert loaded.deputies is not None and ws.deputies is not None
    assert_same_layer(loaded.deputies, ws.deputies, key="deputy_id")
    got = loaded.deputies.set_index("deputy_id").sort_index()
    want = ws.deputies.set_index("deputy_id").sort_index()
    assert got["level"].tolist() == want["level"].tolist()
    assert loaded.grids is not None and ws.grids is not None
    assert_same_layer(loaded.grids, ws.grids, key="code")


def test_a_broken_set_is_refused_in_chinese_by_excel_row_and_writes_nothing(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_planner_files(ws, tmp_path / "in", everyday=True)
    _as_offices_write(files, ws)
    workspace = tmp_path / "county.gpkg"
    assert main(_argv(workspace, files)) == 0
    capsys.readouterr()
    before = workspace.read_bytes()

    # the stations' sheet: an unknown tier on Excel row 3, row 5 a copy of row 4's id
    book = openpyxl.load_workbook(files.stations)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    sheet.cell(3, header.index("类型") + 1).value = "联络中心"
    sheet.cell(5, header.index("站点编号") + 1).value = sheet.cell(
        4, header.index("站点编号") + 1
    ).value
    book.save(files.stations)
    # the roster: 12 deputies at a level nobody spells that way
    deputies = pd.read_csv(files.deputies, encoding="gb18030", dtype=str)
    deputies.loc[:11, "代表层级"] = "镇代表"
    deputies.to_csv(files.deputies, index=False, encoding="gb18030", lineterminator="\r\n")

    assert main(_argv(workspace, files)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "联络中心" in err and "第 3 行" in err  # the row the user sees in Excel
    assert "12 行" in err and "镇代表" in err  # one line for the 12 alike, with a suggestion
    problems = tmp_path / "county.problems.xlsx"
    assert problems.exists() and str(problems.name) in err
    sheet_back = pd.read_excel(problems, engine="openpyxl")
    assert {"文件", "行（Excel）", "列", "值", "问题"} <= set(sheet_back.columns)
    rows = set(
        sheet_back.loc[sheet_back["文件"].astype(str).str.contains("stations"), "行（Excel）"]
    )
    assert 3 in rows and 5 in rows
    assert workspace.read_bytes() == before  # untouched
