"""The workbooks a planner hands upward, read back as Excel would show and print them.

Run on the demo county (97 stations, 225 villages) through the CLI, as a planner would:
the coverage and consolidation workbooks must print one page wide with their header on
every page, hold numbers as numbers in the formats people read (``0.0%``, ``#,##0``,
minutes to one decimal), and say the same figures as the JSON and the console. The
97 -> 52 demo plan is made at 25 minutes; judged by the county's own 15-minute standard
it loses 28 villages (170 -> 142 within reach, population 87.0 % -> 79.3 %), and the
reports must say so first.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from gridgov import io, synth
from gridgov.cli import main
from gridgov.io._workbook import COUNT, MINUTES, PERCENT, ReportInfo, column_format

# A cell of text that Excel would flag as "number stored as text": 75.1%, 0.92, 1,234.
_TEXT_NUMBER = re.compile(
    r"^[-+]?(\d{1,3}(,\d{3})+|\d+)?\.\d+%?$|^[-+]?\d+(\.\d+)?%$|^\d{1,3}(,\d{3})+$"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo workspace, its coverage and its 97 -> 52 plan, through the CLI."""
    root = tmp_path_factory.mktemp("reports")
    workspace = root / "huarong.gpkg"
    io.write_workspace(synth.demo_county(), workspace)
    out: dict[str, Any] = {"workspace": workspace}
    for name, argv in (
        ("coverage", ["coverage", str(workspace), "--out", str(root / "cov"), "--no-map"]),
        (
            "plan",
            [
                "consolidate",
                str(workspace),
                "--target",
                "52",
                "--standard",
                "25min:ebike",
                "--curve",
                "40,52",
                "--out",
                str(root / "plan"),
                "--no-map",
            ],
        ),
    ):
        for mode in ("json", "text"):
            # the console's text and its JSON come from the same run's summary
            if mode == "text" and name == "coverage":
                continue
            import contextlib
            import io as _io

            buffer = _io.StringIO()
            with contextlib.redirect_stdout(buffer):
                assert main([*argv, *(["--json"] if mode == "json" else [])]) == 0
            out[f"{name}_{mode}"] = buffer.getvalue()
    out["coverage"] = json.loads(out["coverage_json"])
    out["plan"] = json.loads(out["plan_json"])
    return out


def _keyed(ws: Worksheet) -> dict[str, Any]:
    """指标 -> (value, number format) of a summary sheet below its title block."""
    rows = list(ws.iter_rows())
    start = next(k for k, r in enumerate(rows) if r[0].value == "指标")
    return {
        str(r[0].value): (r[1].value, r[1].number_format)
        for r in rows[start + 1 :]
        if r[0].value is not None
    }


def _facts(ws: Worksheet) -> dict[str, Any]:
    out = {}
    for row in ws.iter_rows(min_row=2, max_row=12):
        if row[0].value == "指标":
            break
        if row[0].value is not None:
            out[str(row[0].value)] = row[1].value
    return out


def _check_printable(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets:
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title  # one page wide
        assert setup.paperSize == 9, ws.title  # A4
        assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text, ws.title
        if ws is book.worksheets[0]:
            continue
        assert ws.print_title_rows == "$1:$1", ws.title  # header on every printed page
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws["A1"].font.bold, ws.title
        if ws.max_column > 6:
            assert setup.orientation == "landscape", ws.title


def _no_text_numbers(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not _TEXT_NUMBER.match(cell.value), (
                        ws.title,
                        cell.coordinate,
                        cell.value,
                    )
                    assert cell.value not in ("True", "False", "TRUE", "FALSE"), (
                        ws.title,
                        cell.coordinate,
                    )


def _column(ws: Worksheet, header: str) -> list[openpyxl.cell.Cell]:
    heads = [c.value for c in ws[1]]
    j = heads.index(header) + 1
    return [ws.cell(row=r, column=j) for r in range(2, ws.max_row + 1)]


def test_coverage_workbook_is_a_printable_document(demo: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(demo["coverage"]["files"]["report"])
    assert book.sheetnames == ["概况", "村（社区）", "站点", "缺口", "代表编组", "方法说明"]
    first = book["概况"]
    assert first["A1"].value.startswith("华容县") and first["A1"].font.size >= 14
    facts = _facts(first)
    assert facts["可达标准"] == "电动车15分钟"
    assert "1,220 个自然村" in facts["需求口径"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", facts["数据日期"])
    assert "170" in facts["结论"] and "225" in facts["结论"] and "75.6%" in facts["结论"]
    _check_printable(book)
    _no_text_numbers(book)
    villages = book["村（社区）"]
    rates = _column(villages, "达标人口比例")
    assert all(c.number_format == PERCENT and isinstance(c.value, float | int) for c in rates)
    minutes = [c for c in _column(villages, "用时（分钟）") if c.value is not None]
    assert minutes and all(c.number_format == MINUTES for c in minutes)
    assert {c.value for c in _column(villages, "是否达标")} == {"是", "否"}
    assert all(c.number_format == COUNT for c in _column(villages, "人口"))
    gaps = book["缺口"]
    lon = [c for c in _column(gaps, "建议新设点经度") if c.value is not None]
    assert lon and all(c.number_format == "0.000000" for c in lon)
    # the method lives on its own sheet, not among the headline figures
    assert "人口加权" in str(_keyed(book["方法说明"]))


def test_coverage_headline_figures_equal_the_json(demo: dict[str, Any]) -> None:
    s = demo["coverage"]["summary"]
    saved = json.loads(Path(demo["coverage"]["files"]["summary_json"]).read_text("utf-8"))
    assert saved["villages_covered"] == s["villages_covered"]
    rows = _keyed(openpyxl.load_workbook(demo["coverage"]["files"]["report"])["概况"])
    assert rows["村（社区）数"] == (s["n_villages"], COUNT)
    assert rows["达标村（社区）数"] == (s["villages_covered"], COUNT)
    assert rows["村（社区）达标率"] == (s["share_villages_covered"], PERCENT)
    assert rows["人口达标率"] == (s["share_population_covered"], PERCENT)
    assert rows["总人口"][0] == s["population"]
    assert rows["人口加权平均用时（分钟）"][0] == round(s["mean_travel_s"] / 60, 1)
    assert rows["缺口村（社区）数"][0] == s["n_gaps"] == 55


def test_consolidation_is_judged_by_the_county_standard_first(demo: dict[str, Any]) -> None:
    s = demo["plan"]["summary"]
    c = s["county_standard"]
    assert (s["standard"], c["standard"]) == ("25min:ebike", "15min:ebike")
    assert s["villages_lost"] == 0  # at the standard it was planned at
    assert (c["villages_covered_before"], c["villages_covered_after"]) == (170, 142)
    assert c["villages_lost"] == len(c["lost"]) == 28
    assert round(c["share_population_covered_before"], 3) == 0.870
    assert round(c["share_population_covered_after"], 3) == 0.793
    saved = json.loads(Path(demo["plan"]["files"]["json"]).read_text("utf-8"))
    assert saved["summary"]["county_standard"] == c

    book = openpyxl.load_workbook(demo["plan"]["files"]["report"])
    assert book.sheetnames[:2] == ["概况", "县定标准下失去覆盖"]
    assert book.sheetnames[-1] == "方法说明"
    first = book["概况"]
    assert "电动车15分钟" in first["A1"].value and "电动车25分钟" in first["A1"].value
    facts = _facts(first)
    assert facts["县定标准"] == "电动车15分钟" and facts["规划标准"] == "电动车25分钟"
    assert "失去覆盖 28 个" in facts["结论"]
    rows = _keyed(first)
    county = "按县定标准（电动车15分钟）"
    assert rows[f"{county}达标村（社区）数：调整前"] == (170, COUNT)
    assert rows[f"{county}达标村（社区）数：调整后"] == (142, COUNT)
    assert rows[f"{county}失去覆盖的村（社区）数"][0] == 28
    assert rows[f"{county}人口达标率：调整后"] == (c["share_population_covered_after"], PERCENT)
    assert rows["年运行经费节约（元）"] == (s["annual_saving_yuan"], COUNT)
    assert rows["调整后站点数"][0] == s["stations_after"] == 52
    lost = pd.read_excel(
        demo["plan"]["files"]["report"], sheet_name="县定标准下失去覆盖", engine="openpyxl"
    )
    assert sorted(lost["村（社区）"]) == sorted(v["name"] for v in c["lost"])
    assert (lost["调整后超出标准的人口"] > 0).all()
    _check_printable(book)
    _no_text_numbers(book)
    # the console leads with the county standard's loss, naming villages
    console = demo["plan_text"].splitlines()[0]
    assert "县定标准 电动车15分钟：28 个村（社区）失去覆盖" in console
    assert c["lost"][0]["name"] in console


def test_solver_result_reads_the_same_everywhere(demo: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(demo["plan"]["files"]["report"])
    words = _keyed(book["概况"])["方案质量"][0]
    method = _keyed(book["方法说明"])
    assert method["方案质量"][0] == words
    assert method["是否证明最优"][0] == (
        "是" if demo["plan"]["summary"]["proven_optimal"] else "否"
    )
    assert words in demo["plan_text"]
    # the solver's jargon is on the method sheet only
    assert not any("HiGHS" in str(v) or "目标值" in k for k, v in _keyed(book["概况"]).items())
    assert "HiGHS" in str(method["求解方法"][0])


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "站点名称": ["=1+1", "+86 站", "-减站", "@SUM(A1)", '=HYPERLINK("http://x")'],
            "受理时间": [datetime(2026, 11, 16, 1, 30, tzinfo=UTC)] * 5,
            "在岗": [True, False, True, True, False],
            "人口达标比例": [0.5, 0.25, 1.0, 0.0, 0.125],
        }
    )
    path = io.write_report(
        {"概况": table.iloc[:0], "名单": table}, tmp_path / "t.xlsx", info=ReportInfo("测试")
    )
    ws = openpyxl.load_workbook(path)["名单"]
    names = _column(ws, "站点名称")
    assert [c.value for c in names] == table["站点名称"].tolist()
    assert all(c.data_type == "s" for c in names)
    when = _column(ws, "受理时间")[0]
    # 01:30 UTC is 09:30 in China, stored as a date Excel can sort and filter
    assert when.value == datetime(2026, 11, 16, 9, 30) and when.number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in _column(ws, "在岗")] == ["是", "否", "是", "是", "否"]
    assert all(c.number_format == PERCENT for c in _column(ws, "人口达标比例"))


def test_formats_come_from_what_a_column_holds() -> None:
    assert column_format("村（社区）达标率", pd.Series([0.5, 0.7])) == PERCENT
    assert column_format("调整后用时（分钟）", pd.Series([3.25, None])) == MINUTES
    assert column_format("服务人口", pd.Series([1200, 3400])) == COUNT
    assert column_format("年运行经费（元）", pd.Series([20000.0])) == COUNT
    # codes are text: no number format, never turned into numbers
    assert column_format("区划代码", pd.Series(["430623101001"])) is None
