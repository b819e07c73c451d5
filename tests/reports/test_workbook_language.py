"""Reports in English: the workbooks and maps of ``--lang en`` say everything in English.

The workbook writer picks each column's number format from its header (``…比例`` → 0.0%,
``…（分钟）`` → minutes) and wrote booleans as 是/否 whatever the language, so a
``--lang en`` report had Chinese in its cells and rates shown as 0.92. The same table in
either language must read the same. Then, on the demo county through the CLI: no Chinese
in the English workbooks and maps but the county's own names, and the same figures in the
same formats as the Chinese run.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from gridgov import io, synth
from gridgov.cli import main
from gridgov.io._workbook import COORD, COUNT, MINUTES, PERCENT, ReportInfo, write_report
from gridgov.issues.escalation import LEVELS_ZH, escalation_graph
from gridgov.messages import text, use_lang
from gridgov.model import DeputyLevel, StationKind, StationTier, VillageKind

_CJK = re.compile(r"[\u3400-\u9fff]")

_TABLES = {
    "zh": pd.DataFrame(
        {
            "村（社区）": ["Dongshan", "Xishan"],
            "人口": [1200, 3400],
            "用时（分钟）": [4.25, 17.5],
            "人口达标率": [0.92, 0.4],
            "经度": [112.5412345, 112.6],
            "是否达标": [True, False],
        }
    ),
    "en": pd.DataFrame(
        {
            "Village": ["Dongshan", "Xishan"],
            "Population": [1200, 3400],
            "Travel (min)": [4.25, 17.5],
            "Share of population within reach": [0.92, 0.4],
            "Longitude": [112.5412345, 112.6],
            "Within reach": [True, False],
        }
    ),
}


def _written(lang: str, tmp_path: Path) -> list[list[openpyxl.cell.Cell]]:
    with use_lang(lang):
        path = write_report(
            {"Sheet": _TABLES[lang]},
            tmp_path / f"{lang}.xlsx",
            info=ReportInfo(title="Huarong", facts=[("County", "Huarong")]),
        )
    sheet = openpyxl.load_workbook(path)["Sheet"]
    rows = [list(r) for r in sheet.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0].value == _TABLES[lang].columns[0])
    return rows[header + 1 : header + 3]


def test_english_and_chinese_columns_get_the_same_formats(tmp_path: Path) -> None:
    zh, en = _written("zh", tmp_path), _written("en", tmp_path)
    formats = [c.number_format for c in zh[0]]
    assert formats[1:5] == [COUNT, MINUTES, PERCENT, COORD]
    assert [c.number_format for c in en[0]] == formats


def test_english_booleans_are_yes_no_with_no_chinese(tmp_path: Path) -> None:
    zh, en = _written("zh", tmp_path), _written("en", tmp_path)
    assert [r[-1].value for r in zh] == ["是", "否"]
    assert [r[-1].value for r in en] == ["yes", "no"]
    assert not [c.value for r in en for c in r if _CJK.search(str(c.value))]


# --- the demo county's reports, through the CLI, in both languages ---------------------------
#
# ``gridgov --lang en coverage`` and ``consolidate`` once wrote workbooks whose sheet names,
# headers, summary labels, tiers and decisions were Chinese whatever the language, and maps
# whose legend and layer control were too. The English run must say everything in English
# except the county's own names, with the same figures in the same formats as the Chinese.

_CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo county's coverage and 97 -> 52 plan in Chinese (no maps) and in English."""
    root = tmp_path_factory.mktemp("language")
    workspace = root / "huarong.gpkg"
    county = synth.demo_county()
    io.write_workspace(county, workspace)
    runs: dict[str, Any] = {"workspace": workspace}
    for lang in ("zh", "en"):
        no_map = ["--no-map"] if lang == "zh" else []
        cov, plan = root / f"cov-{lang}", root / f"plan-{lang}"
        argv = ["--lang", lang, "coverage", str(workspace), "--out", str(cov), *no_map]
        assert main(argv) == 0
        argv = ["--lang", lang, "consolidate", str(workspace), "--target", "52",
                "--standard", "25min:ebike", "--curve", "40,52", "--out", str(plan), *no_map]  # fmt: skip
        assert main(argv) == 0
        runs[lang] = {
            "coverage": cov / "coverage.xlsx",
            "plan": plan / "consolidation.xlsx",
            "coverage_map": cov / "coverage-map.html",
            "plan_map": plan / "consolidation-map.html",
        }
    return runs


def _names(workspace: Path) -> set[str]:
    """Every text of the county's own files (names, industries, reception days, ...) and
    the names of the bodies issues escalate to (乡镇人大主席团 ...)."""
    ws = io.read_workspace(workspace)
    names: set[str] = set()
    for layer in (ws.county, ws.townships, ws.villages, ws.stations, ws.deputies,
                  ws.settlements, ws.grids):  # fmt: skip
        if layer is None:
            continue
        for column in layer.columns.drop("geometry", errors="ignore"):
            names |= {v for v in layer[column] if isinstance(v, str) and _CJK_RUN.search(v)}
    graph = escalation_graph(ws)
    names |= {str(d["name"]) for _, d in graph.nodes(data=True) if d.get("name")}
    return names


def _is_names(value: str, names: set[str]) -> bool:
    """Whether ``value`` is a name, or names joined (``紫南村、松树村``, ``团华村 (4306…)``)."""
    rest = value
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, "")
    return not _CJK_RUN.search(rest.replace("、", ""))


def _header_row(sheet: Worksheet) -> int:
    """The table's header: row 1, or the first row after the summary sheet's title block."""
    for row in range(1, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == "Figure":
            return row
    return 1


@pytest.mark.parametrize("report", ["coverage", "plan"])
def test_english_workbook_has_no_chinese_but_the_countys_names(
    demo: dict[str, Any], report: str
) -> None:
    names = _names(demo["workspace"])
    county = str(synth.demo_county().county["name"].iloc[0])
    book = openpyxl.load_workbook(demo["en"][report])
    assert not [s for s in book.sheetnames if _CJK_RUN.search(s)]
    for sheet in book.worksheets:
        top = _header_row(sheet)
        header = [c.value for c in sheet[top]]
        assert not [h for h in header if _CJK_RUN.search(str(h))], sheet.title
        if top > 1:  # the title block: county named in the title, labels and values English
            assert not _CJK_RUN.search(str(sheet["A1"].value).replace(county, ""))
            block = [c.value for r in sheet.iter_rows(min_row=2, max_row=top - 1) for c in r]
            assert not [v for v in block if isinstance(v, str) and not _is_names(v, names)]
        labelled = header[0] == "Figure"  # 指标 / 数值 sheets: the label column is ours
        for row in sheet.iter_rows(min_row=top + 1):
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or not _CJK_RUN.search(value):
                    continue
                if labelled and cell.column == 1:
                    pytest.fail(f"{sheet.title}!{cell.coordinate} label {value!r} is Chinese")
                assert _is_names(value, names), f"{sheet.title}!{cell.coordinate}: {value!r}"
    if report == "plan":  # tiers, decisions and coverage changes are words, in English
        stations = book["Station changes"]
        header = [c.value for c in stations[1]]
        tiers = {r[header.index("Tier")] for r in stations.iter_rows(min_row=2, values_only=True)}
        assert tiers == {"station", "point", "deputy studio"}
        decisions = {r[header.index("Decision")] for r in stations.iter_rows(min_row=2,
                                                                            values_only=True)}  # fmt: skip
        assert decisions == {"kept (must stay)", "kept", "closed"}


@pytest.mark.parametrize("report", ["coverage", "plan"])
def test_english_workbook_says_the_chinese_figures_in_the_same_formats(
    demo: dict[str, Any], report: str
) -> None:
    zh = openpyxl.load_workbook(demo["zh"][report])
    en = openpyxl.load_workbook(demo["en"][report])
    assert len(zh.worksheets) == len(en.worksheets)
    numbers = 0
    solver_time = text("report.plan.m_time", "zh")
    for a, b in zip(zh.worksheets, en.worksheets, strict=True):
        assert (a.max_row, a.max_column) == (b.max_row, b.max_column), (a.title, b.title)
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                if isinstance(x.value, bool) or not isinstance(x.value, int | float | datetime):
                    continue
                if a.cell(row=x.row, column=1).value == solver_time:  # a clock, not a figure
                    continue
                assert y.value == x.value, f"{b.title}!{y.coordinate}: {y.value} != {x.value}"
                assert y.number_format == x.number_format, f"{b.title}!{y.coordinate}"
                numbers += 1
        assert a.print_title_rows == b.print_title_rows
        assert a.page_setup.orientation == b.page_setup.orientation
    assert numbers > 1000
    # the headline a leader reads: the summary's figures, label by label
    summary_zh = {r[0]: r[1] for r in zh.worksheets[0].iter_rows(values_only=True) if r[0]}
    summary_en = {r[0]: r[1] for r in en.worksheets[0].iter_rows(values_only=True) if r[0]}
    if report == "coverage":
        assert summary_en["Number of villages within reach"] == summary_zh["达标村（社区）数"]
        assert summary_en["Share of population within reach"] == summary_zh["人口达标率"]
    else:
        lost = "Villages losing coverage at the county standard (15 min e-bike)"
        assert (
            summary_en[lost] == summary_zh["按县定标准（电动车15分钟）失去覆盖的村（社区）数"] == 28
        )
        assert summary_en["Stations after"] == summary_zh["调整后站点数"] == 52


@pytest.mark.parametrize("which", ["coverage_map", "plan_map"])
def test_english_map_has_no_chinese_but_the_countys_names(demo: dict[str, Any], which: str) -> None:
    names = _names(demo["workspace"])
    page = demo["en"][which].read_text(encoding="utf-8")
    page = _ESCAPED.sub(lambda m: chr(int(m[1], 16)), page)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "(" in title[1]
    for name in sorted(names, key=len, reverse=True):
        page = page.replace(name, "")
    left = sorted(set(_CJK_RUN.findall(page)))
    assert not left, left[:20]
    if which == "coverage_map":  # legend, layer control and tooltip rows in English
        for words in ("Villages: travel time", "Deputy liaison stations", "County boundary",
                      "beyond the standard", "Nearest station"):  # fmt: skip
            assert words in page
    else:
        for words in ("After", "Before", "before → after", "Merged into",
                      "Coverage change", "Lose coverage", "Where closed stations go"):  # fmt: skip
            assert words in page


def test_chinese_words_of_the_catalogue_are_the_models() -> None:
    """The Chinese names the reports say are the ones the domain model and the planner
    use (the enums' ``label_zh``, the escalation levels): one vocabulary, two places."""
    for enum in (StationTier, StationKind, DeputyLevel, VillageKind):
        for member in enum:
            assert text(f"report.enum.{enum.__name__}.{member.value}", "zh") == member.label_zh
            assert not _CJK_RUN.search(text(f"report.enum.{enum.__name__}.{member.value}", "en"))
    for level, zh in LEVELS_ZH.items():
        assert text(f"report.map.esc.{level}", "zh") == zh
