"""Spreadsheets as offices write them: a title above the header, totals and remarks below,
old .xls workbooks; problems name the row the user sees in Excel."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from planner_files import (
    TITLE_ROWS,
    PlannerFiles,
    assert_same_layer,
    planner_workspace,
    write_planner_files,
)

from gridgov import io, synth
from gridgov._errors import ValidationError
from gridgov.io._tables import lay_out_table
from gridgov.model import Workspace, require_layer

HEADER_ROW = TITLE_ROWS + 1


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return planner_workspace(synth.demo_county(seed=2024))


@pytest.fixture(scope="module")
def files(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> PlannerFiles:
    return write_planner_files(ws, tmp_path_factory.mktemp("planner"))


def _notes(path: object, layer: str, **options: object) -> list[str]:
    return [str(n) for n in io.read_file(path, layer, **options).notes]  # type: ignore[arg-type]


def test_station_sheet_under_a_title_with_totals_loads_as_the_source(
    files: PlannerFiles, ws: Workspace
) -> None:
    got = io.read_layer(files.stations, layer="stations", source_crs="gcj02")
    assert_same_layer(got, ws.stations, key="station_id")
    assert len(got) == len(ws.stations)  # the 合计 and 备注 rows are gone
    n = len(ws.stations)
    notes = _notes(files.stations, "stations", source_crs="gcj02")
    assert "stations.xlsx: 表头在第 2 行（自动识别；不对请写 stations.xlsx@header=N）" in notes
    dropped = HEADER_ROW + n + 1
    assert (
        f"stations.xlsx: 略去 2 行非数据行：合计/小计 1 行（第 {dropped} 行），"
        f"备注/说明 1 行（第 {dropped + 1} 行）（自动识别）"
    ) in notes


def test_a_problem_names_the_row_the_user_sees_in_excel(
    files: PlannerFiles, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(files.stations)
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[HEADER_ROW]]
    bad_row = HEADER_ROW + 5  # the fifth station
    sheet.cell(bad_row, headers.index("层级") + 1).value = "联络所"
    sheet.insert_rows(HEADER_ROW + 3)  # a blank row between groups moves every row below
    path = tmp_path / "stations.xlsx"
    book.save(path)

    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="stations", source_crs="gcj02")
    bad = [p for p in caught.value.errors if p.field == "tier"]
    assert len(bad) == 1 and bad[0].value == "联络所"
    assert bad[0].row == bad_row + 1


def test_the_header_row_can_be_given(files: PlannerFiles, ws: Workspace) -> None:
    given = io.SourceFile(files.stations, header_row=HEADER_ROW, crs="gcj02")
    got = io.read_layer(given, layer="stations")
    assert_same_layer(got, ws.stations, key="station_id")
    assert "stations.xlsx: 表头在第 2 行（按命令行指定）" in _notes(given, "stations")
    with pytest.raises(ValidationError, match="没有找到经度/纬度列"):
        io.read_layer(files.stations, layer="stations", header_row=1)  # the title


def test_a_csv_with_a_title_line_and_a_total(tmp_path: Path, ws: Workspace) -> None:
    d = require_layer(ws, "deputies").iloc[1:21]
    table = pd.DataFrame(
        {
            "序号": range(1, len(d) + 1),
            "代表编号": d["deputy_id"],
            "姓名": d["name"],
            "代表层级": ["乡镇"] * len(d),
            "经度": d.geometry.x,
            "纬度": d.geometry.y,
        }
    )
    text = "华容县人大代表名册,,,,,\n" + table.to_csv(index=False) + "合计,20 人,,,,\n,,,,,\n"
    path = tmp_path / "deputies.csv"
    path.write_text(text, encoding="utf-8-sig")
    got = io.read_layer(path, layer="deputies")
    assert got["deputy_id"].tolist() == d["deputy_id"].tolist()
    assert list(got.index[:2]) == [3, 4]  # CSV lines: the title, the header, then data
    notes = _notes(path, "deputies")
    assert "deputies.csv: 表头在第 2 行（自动识别；不对请写 deputies.csv@header=N）" in notes
    assert any("合计/小计 1 行（第 23 行）" in n for n in notes)


def test_old_xls_workbooks_are_read(tmp_path: Path, ws: Workspace) -> None:
    xlwt = pytest.importorskip("xlwt")
    s = ws.stations.iloc[:10]
    book = xlwt.Workbook()
    sheet = book.add_sheet("站点")
    sheet.write_merge(0, 0, 0, 5, "华容县人大代表联络站点一览表")
    header = ["站点编号", "名称", "层级", "类别", "所属乡镇代码", "经度", "纬度"]
    for k, h in enumerate(header):
        sheet.write(1, k, h)
    for r, (_, row) in enumerate(s.iterrows(), start=2):
        values = [
            row["station_id"],
            row["name"],
            "联络站",
            "区域",
            int(row["township_code"]),  # typed in as a number
            row.geometry.x,
            row.geometry.y,
        ]
        for k, v in enumerate(values):
            sheet.write(r, k, v)
    sheet.write(len(s) + 2, 0, "合计")
    path = tmp_path / "stations.xls"
    book.save(str(path))

    got = io.read_layer(path, layer="stations")
    assert got["station_id"].tolist() == s["station_id"].tolist()
    assert got["township_code"].tolist() == s["township_code"].tolist()
    assert got.index.tolist() == list(range(3, 3 + len(s)))


def _grid(rows: list[list[object]]) -> list[list[str | None]]:
    return [[None if v is None else str(v) for v in row] for row in rows]


def test_rows_that_are_not_data_are_dropped_and_counted() -> None:
    grid = _grid(
        [
            ["华容县村（社区）一览表", None, None, None],
            [None, None, None, None],
            ["序号", "区划代码", "名称", "人口"],
            [1, "430623101001", "城关社区", 3000],
            [None, None, None, None],
            ["小 计", None, None, 3000],
            ["序号", "区划代码", "名称", "人口"],  # the header again, on the next printed page
            [2, "430623101002", "合计村", 900],  # a village may be called that
            ["全镇合计", None, None, 3900],
            ["填表人：张三", None, "审核人：李四", None],
            [None, None, None, None],
        ]
    )
    laid = lay_out_table(grid, layer="villages", label="v.xlsx")
    assert laid.frame is not None
    assert laid.frame["名称"].tolist() == ["城关社区", "合计村"]
    assert laid.frame.index.tolist() == [4, 8]
    assert [str(n) for n in laid.notes] == [
        "v.xlsx: 表头在第 3 行（自动识别；不对请写 v.xlsx@header=N）",
        "v.xlsx: 略去 5 行非数据行：合计/小计 2 行（第 6、9 行），备注/说明 1 行（第 10 行），"
        "重复表头 1 行（第 7 行），空行 1 行（自动识别）",
    ]


def test_a_header_in_the_first_row_is_not_remarked_on() -> None:
    grid = _grid([["站点编号", "名称", "经度", "纬度"], ["S1", "甲", "112.5", "29.4"]])
    laid = lay_out_table(grid, layer="stations", label="s.csv")
    assert laid.frame is not None and laid.frame.index.tolist() == [2]
    assert laid.notes == []
