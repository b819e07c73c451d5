"""Errors people can act on: identical problems grouped with their Excel rows, the input's
own problems first, what only follows from a replaced layer in one line, every problem in
problems.xlsx beside the workspace; and results computed from replaced inputs said stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gridgov import cli, io
from gridgov._errors import ValidationError
from gridgov._validate import (
    SOURCE_ROW,
    SOURCE_SHEET,
    Finding,
    clean_layer,
    problem_table,
    report_lines,
)
from gridgov.io._workspace import stale_results
from gridgov.messages import ENV_VAR, use_lang
from gridgov.model import Workspace
from gridgov.testing import tiny_workspace


@pytest.fixture
def ws() -> Workspace:
    return tiny_workspace()


@pytest.fixture(autouse=True)
def _no_language_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _roster(ws: Workspace, n: int) -> gpd.GeoDataFrame:
    """``n`` deputies as read from a sheet with a title row: Excel rows 3, 4, ..."""
    point = ws.deputies.geometry.iloc[0]
    frame = gpd.GeoDataFrame(
        {
            "deputy_id": [f"D{i:04d}" for i in range(n)],
            "name": [f"代表{i}" for i in range(n)],
            "level": ["镇代表"] * n,
        },
        geometry=[point] * n,
        crs=ws.deputies.crs,
        index=pd.Index(range(3, 3 + n), name=SOURCE_ROW),
    )
    frame.attrs[SOURCE_SHEET] = "代表名册"
    return frame


def test_identical_problems_are_one_line_with_their_first_excel_rows(ws: Workspace) -> None:
    with use_lang("zh"):
        _, problems = clean_layer(_roster(ws, 857), "deputies", label="代表.xlsx")
        lines = report_lines(problems, context="huarong.gpkg")
    assert len(problems) == 857
    first = problems[0]
    assert isinstance(first, Finding)
    assert (first.row, first.source_row, first.sheet) == (3, 3, "代表名册")
    assert lines == [
        "huarong.gpkg：857 个错误",
        "代表.xlsx（工作表 代表名册）：",
        "  - 857 行：代表层级“镇代表”无法识别；可填：全国人大代表、省人大代表、市人大代表、"
        "县人大代表、乡镇人大代表 — 是否应为 乡镇人大代表？（Excel 第 3、4、5、6、7 行等）",
    ]
    with use_lang("en"):
        _, problems = clean_layer(_roster(ws, 2), "deputies", label="deputies.xlsx")
        lines = report_lines(problems, context="huarong.gpkg")
    assert lines[2] == (
        "  - 2 rows: [level] '镇代表' is not a DeputyLevel; expected one of national/全国人大代表, "
        "provincial/省人大代表, municipal/市人大代表, county/县人大代表, township/乡镇人大代表 "
        "— did you mean township (乡镇人大代表)? (Excel rows 3, 4)"
    )


def test_without_source_rows_problems_name_keys_as_before(ws: Workspace) -> None:
    roster = _roster(ws, 2).reset_index(drop=True)
    _, problems = clean_layer(roster, "deputies")
    assert [p.row for p in problems] == ["D0000", "D0001"]
    assert all(p.source_row is None for p in problems if isinstance(p, Finding))


def test_problem_table_has_the_planners_columns(ws: Workspace) -> None:
    with use_lang("zh"):
        _, problems = clean_layer(_roster(ws, 2), "deputies", label="代表.xlsx")
        table = problem_table(problems)
    assert list(table.columns) == ["文件", "工作表", "行（Excel）", "列", "值", "问题", "建议"]
    assert table.iloc[1].tolist()[:5] == ["代表.xlsx", "代表名册", 4, "代表层级", "镇代表"]
    assert table.iloc[1]["建议"] == "乡镇人大代表"


def _stations_csv(ws: Workspace, path: Path, ids: list[str], tiers: list[str]) -> Path:
    stations = ws.stations
    pd.DataFrame(
        {
            "序号": range(1, len(ids) + 1),
            "编号": ids,
            "站名": stations["name"],
            "类型": tiers,
            "行业": stations["industry"],
            "所属乡镇": ["章华镇", "万庾镇", "章华"],
            "经度": stations.geometry.x,
            "纬度": stations.geometry.y,
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_problems_that_follow_from_a_replaced_layer_come_last_in_one_line(
    tmp_path: Path, ws: Workspace
) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    before = _digest(target)
    source = _stations_csv(
        ws, tmp_path / "站点.csv", ["T1", "T2", "T3"], ["联络站", "联络站点x", "工作室"]
    )
    with use_lang("zh"), pytest.raises(ValidationError) as caught:
        io.load_into_workspace(target, {"stations": source})
    problems = [p for p in caught.value.problems if p.severity != "note"]
    assert problems[0].layer == "站点.csv" and problems[0].row == 3  # the file's own first
    cascades = [p for p in problems if getattr(p, "cause", None) == "stations"]
    assert {p.layer for p in cascades} == {"deputies", "stations"} - {"stations"}
    assert problems[-len(cascades) :] == cascades
    with use_lang("zh"):
        lines = report_lines(caught.value.problems, context=target.name)
    assert lines[1:3] == [
        "站点.csv：",
        "  - 第 3 行：层级“联络站点x”无法识别；可填：联络站、联络点、代表工作室、代表服务岗"
        " — 是否应为 联络站？",
    ]
    assert lines[3].startswith(f"另有 {len(cascades)} 个问题是替换代表联络站点图层带来的")
    assert lines[3].endswith("请用 --deputies 一并重新导入人大代表")
    assert len(lines) == 4
    assert _digest(target) == before  # nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huarong.gpkg", "站点.csv"]


def test_a_failed_load_lists_every_problem_beside_the_workspace(
    tmp_path: Path, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    before = _digest(target)
    bad = _stations_csv(ws, tmp_path / "stations.csv", ["S01", "S02", "S03"], ["站", "镇站x", "点"])
    assert cli.main(["load", str(target), "--stations", str(bad)]) == 2
    err = capsys.readouterr().err
    report = tmp_path / "huarong.problems.xlsx"
    assert err.startswith(f"gridgov load：{target}：1 个错误\nstations.csv：\n  - 第 3 行：层级")
    assert "说明：" in err and "stations.csv：忽略了序号列 序号" in err
    assert f"未写入任何内容。\n全部问题已写入 {report}\n" in err
    assert _digest(target) == before
    listed = pd.read_excel(report, sheet_name="问题", engine="openpyxl")
    assert list(listed.columns) == ["文件", "工作表", "行（Excel）", "列", "值", "问题", "建议"]
    assert listed.iloc[0][["文件", "行（Excel）", "列", "值", "建议"]].tolist() == [
        "stations.csv",
        3,
        "类型",
        "镇站x",
        "联络站",
    ]

    good = _stations_csv(
        ws, tmp_path / "stations.csv", ["S01", "S02", "S03"], ["站", "点", "工作室"]
    )
    assert cli.main(["load", str(target), "--stations", str(good)]) == 0
    assert not report.exists()  # the list of a failed load does not outlive it
    back = io.read_workspace(target)
    assert back.stations["township_code"].tolist() == ws.stations["township_code"].tolist()
    assert back.stations["kind"].tolist() == ["regional", "regional", "industry"]


def test_results_computed_from_replaced_inputs_are_said_stale(
    tmp_path: Path, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    io.write_result_layers(target, {"coverage_villages": ws.villages})
    assert stale_results(target) == {}
    with use_lang("zh"):
        fresh = io.workspace_info(target)
    assert fresh["results"]["coverage_villages"].startswith("最新（")
    assert fresh["stale_results"] == []

    source = _stations_csv(
        ws, tmp_path / "stations.csv", ["S01", "S02", "S03"], ["站", "点", "工作室"]
    )
    with use_lang("zh"):
        _, found = io.load_into_workspace(target, {"stations": source})
    assert stale_results(target) == {"coverage_villages": ["stations"]}
    stale = [p.message for p in found if "结果已过期" in p.message]
    assert stale == [
        "结果已过期：coverage_villages 是用重新导入前的代表联络站点算出的；请重新运行 gridgov coverage"
    ]
    assert io.read_workspace(target).counts() == ws.counts()  # the other layers stay
    assert "coverage_villages" in set(pyogrio.list_layers(target)[:, 0])  # and the result

    assert cli.main(["info", str(target)]) == 0
    assert "coverage_villages 结果已过期：计算后重新导入了代表联络站点" in capsys.readouterr().out
    io.write_result_layers(target, {"coverage_villages": ws.villages})
    assert stale_results(target) == {}


def test_results_from_before_versions_were_kept_go_stale_on_the_next_load(
    tmp_path: Path, ws: Workspace
) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    pyogrio.write_dataframe(ws.villages, target, layer="plan_villages", driver="GPKG")
    source = _stations_csv(
        ws, tmp_path / "stations.csv", ["S01", "S02", "S03"], ["站", "点", "工作室"]
    )
    io.load_into_workspace(target, {"stations": source})
    assert stale_results(target) == {"plan_villages": ["stations"]}
