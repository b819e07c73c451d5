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

import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from planner_files import PlannerFiles, assert_same_layer, planner_workspace, write_planner_files

from gridgov import io, synth
from gridgov.cli import main
from gridgov.messages import ENV_VAR
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


# CJK ideographs and full-width punctuation; what the user wrote may hold them, so quoted
# values ('类型', “三封寺镇”) are taken out before looking.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_QUOTED = re.compile(r"'[^']*'|“[^”]*”")


def _roads_extract(path: Path, ws: Workspace) -> Path:
    """A small OpenStreetMap extract inside the county: a one-way road, a footway and a
    ferry, and a way whose nodes lie outside the extract (left out, with a warning)."""
    osmium = pytest.importorskip("osmium", reason="the osm extra (pyosmium) reads PBF")
    x, y = ws.county.geometry.iloc[0].representative_point().coords[0]
    nodes = {1: (x, y), 2: (x + 0.01, y), 3: (x + 0.01, y + 0.01), 4: (x, y + 0.01)}
    ways = [
        (10, [1, 2], {"highway": "tertiary", "oneway": "yes", "name": "乡道Y001"}),
        (11, [2, 3], {"highway": "footway"}),
        (12, [3, 4], {"route": "ferry", "name": "渡口"}),
        (13, [98, 99], {"highway": "track"}),
    ]
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, location in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=location, version=1))
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    return path


def test_every_line_of_a_load_is_said_in_the_chosen_language(
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    files = write_planner_files(ws, tmp_path / "in", everyday=True)
    _as_offices_write(files, ws)
    roads = _roads_extract(tmp_path / "in" / "roads.osm.pbf", ws)
    said = {}
    for run in ("en", "zh", "env"):
        workspace = tmp_path / f"county-{run}.gpkg"
        argv = [*_argv(workspace, files), "--roads", str(roads)]
        if run == "env":
            monkeypatch.setenv(ENV_VAR, "en")
        assert main([*argv, "--lang", "en"] if run == "en" else argv) == 0
        out, err = capsys.readouterr()
        assert err == ""  # the warnings are said once, in the report, not logged again
        said[run] = out.replace(str(workspace), "WS").splitlines()

    en, zh = said["en"], said["zh"]
    assert said["env"] == en  # GRIDGOV_LANG=en says the same as --lang en
    assert len(en) == len(zh)  # one code path: the same lines, each in its language
    assert [line for line in en if _CJK.search(_QUOTED.sub("", line))] == []
    for line in (
        "loaded county, townships, villages, grids, stations, deputies, roads into ",
        "  county 1, townships 14, villages 225, grids 645, stations 97, deputies 1,092, roads 3",
        "  villages.shp: encoding GBK (detected: no .cpg file; if wrong, write villages.shp@utf-8)",
        "  stations.xlsx: header on row 2 (detected; if wrong, write stations.xlsx@header=N)",
        "  stations.xlsx: CRS GCJ-02 (AMap/Tencent) (as --source-crs says)",
        "  roads.osm.pbf: 3 OpenStreetMap roads (1 one-way, 1 closed to cars, 1 ferry route(s))",
        "  5 warning(s):",
        "  - WARNING roads.osm.pbf: 1 way(s) cut off by the extract's edge with fewer than two "
        "nodes inside; left out",
    ):
        assert any(got.startswith(line) for got in en), line
    for line in (
        "已将 县域、乡镇（街道）、村（社区）、网格、代表联络站点、人大代表、道路 导入 ",
        "  县域 1，乡镇（街道） 14，村（社区） 225，网格 645，代表联络站点 97，人大代表 1,092，道路 3",
        "  villages.shp: 编码 GBK（自动识别：无 .cpg 文件；不对请写 villages.shp@utf-8）",
        "  stations.xlsx: 表头在第 2 行（自动识别；不对请写 stations.xlsx@header=N）",
        "  stations.xlsx: 坐标系 GCJ-02（高德/腾讯）（按 --source-crs）",
        "  roads.osm.pbf: OpenStreetMap 道路 3 条（单行 1 条，禁止汽车 1 条，渡口 1 条）",
        "  5 个警告：",
        "  - 警告 roads.osm.pbf：1 条道路被数据范围截断、范围内不足两个节点，已略去",
    ):
        assert any(got.startswith(line) for got in zh), line


def test_an_ambiguous_name_is_one_problem_naming_the_candidates(
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    # two townships of one name (a county's 新建乡 beside a 新建镇 renamed alike)
    towns = ws.townships.copy()
    first, second = towns["code"].iloc[0], towns["code"].iloc[1]
    same = str(towns["name"].iloc[0])
    towns.loc[towns.index[1], "name"] = same
    twins = replace(ws, townships=towns)
    files = write_planner_files(twins, tmp_path / "in", everyday=True)
    _as_offices_write(files, twins)
    # and three deputies naming a station whose name two stations share
    counted = ws.stations["name"].value_counts()
    shared = str(counted[counted > 1].index[0])
    ids = sorted(ws.stations.loc[ws.stations["name"] == shared, "station_id"])
    deputies = pd.read_csv(files.deputies, encoding="gb18030", dtype=str)
    deputies.loc[:2, "所属联络站"] = shared
    deputies.to_csv(files.deputies, index=False, encoding="gb18030", lineterminator="\r\n")

    assert main(_argv(tmp_path / "county.gpkg", files)) == 2
    err = capsys.readouterr().err
    in_towns = ws.stations["township_code"].isin([first, second]).sum()
    station_line = f"3 行：所属站点“{shared}”对应多个代表联络站点：" + "、".join(
        f"{shared}（{i}）" for i in ids
    )
    town_line = f"{in_towns} 行：所属乡镇代码“{same}”对应多个乡镇（街道）：{same}（{first}）、{same}（{second}）"
    assert station_line in err and town_line in err, err
    assert "不在" not in err, err  # not also "not in the layer" for the same cells
