"""The issue-week workbook as a document, and one set of figures for one stated window.

The demo console once said "215 raised, 30 escalated, 15 reopened" while the workbook
said 214, 29, 9: the console counted the simulation's own tallies (merged duplicates
included, and a few follow-up days past the week), the workbook the issues raised in the
week as of its end, and neither said which. Now both print the workbook's figures and
name the window. Run here on a small county through the demo's own week and through
``gridgov stats``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from gridgov import io, synth
from gridgov.cli import main
from gridgov.cli.demo import _issues_line, _run_issue_week
from gridgov.io._workbook import COUNT, DATETIME, PERCENT
from gridgov.settings import Settings


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("week")
    workspace = root / "county.gpkg"
    io.write_workspace(synth.synth_county(seed=5, n_villages=24), workspace)
    files, summary = _run_issue_week(workspace, root, settings=Settings(), seed=5)
    return {"workspace": workspace, "files": files, "summary": summary, "root": root}


def _summary_sheet(path: Path) -> tuple[Any, dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    sheet = book["汇总"]
    rows = {}
    for label, value in sheet.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(label, str):
            rows[label] = value
    return sheet, rows


def test_console_and_workbook_say_the_same_figures_for_the_same_window(
    week: dict[str, Any],
) -> None:
    s = week["summary"]
    sheet, rows = _summary_sheet(week["files"]["issue_stats"])
    line = _issues_line(s)
    found = re.findall(r"(\d+) (received|settled|escalated|reopened after 不满意|merged)", line)
    numbers = {k: int(v) for v, k in found}
    assert numbers == {
        "received": rows["收集问题（件）"],
        "settled": rows["办结（件）"],
        "escalated": rows["逐级上报（件）"],
        "reopened after 不满意": rows["重新办理（件）"],
        "merged": rows["合并重复（件）"],
    }
    # both name the window, in China time: the console's line and the workbook's title
    start = datetime.fromisoformat(s["start"]).strftime("%Y-%m-%d %H:%M")
    end = datetime.fromisoformat(s["end"]).strftime("%Y-%m-%d %H:%M")
    assert f"{start} 至 {end}" in line
    assert f"{start} 至 {end}" in str(sheet["A1"].value)
    assert rows["统计起始（含）"] == datetime.fromisoformat(s["start"]).replace(tzinfo=None)
    # the simulation's own tallies (follow-up days included) are kept apart, not printed
    # the simulation's own tallies (follow-up days included) are kept apart in the JSON
    assert s["simulation"]["raised"] >= s["received"]


def test_workbook_is_a_document(week: dict[str, Any]) -> None:
    path = week["files"]["issue_stats"]
    sheet, rows = _summary_sheet(path)
    # title, window, what is counted, the source, then the figures as numbers
    labels = [sheet.cell(row=r, column=1).value for r in range(1, 8)]
    assert "统计时段" in labels and "统计口径" in labels and "数据来源" in labels
    formats = {
        sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).number_format
        for r in range(1, sheet.max_row + 1)
    }
    assert formats["办结率"] == PERCENT and formats["收集问题（件）"] == COUNT
    assert formats["统计截止（不含）"] == DATETIME
    assert isinstance(rows["办结率"], float) and 0 <= rows["办结率"] <= 1
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        for row in ws.iter_rows(values_only=True):
            for value in row:  # no rate written as text ("75.1%") anywhere
                assert not (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?%", value))
    stations = book["按站点"]
    assert stations.print_title_rows == "$1:$1" and stations.auto_filter.ref
    header = [c.value for c in stations[1]]
    rate = header.index("办结率") + 1
    assert stations.cell(row=2, column=rate).number_format == PERCENT


def test_stats_command_states_its_window(
    week: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    out = week["root"] / "stats.xlsx"
    s = week["summary"]
    db = week["files"]["issue_store"]
    args = [
        "stats",
        str(week["workspace"]),
        "--db",
        str(db),
        "--from",
        s["start"],
        "--to",
        s["end"],
    ]
    assert main([*args, "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["received"] == s["received"]
    _, rows = _summary_sheet(out)
    assert rows["收集问题（件）"] == payload["summary"]["received"]
    assert main(args) == 0
    assert "至" in capsys.readouterr().out.splitlines()[0]


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def test_english_stats_workbook_has_the_chinese_figures_in_english(
    week: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """``gridgov --lang en stats``: sheet names, headers and labels in English, every
    figure and its format as in the Chinese workbook (category names, the county's own
    settings, and its places' names excepted)."""
    s = week["summary"]
    args = ["stats", str(week["workspace"]), "--db", str(week["files"]["issue_store"]),
            "--from", s["start"], "--to", s["end"]]  # fmt: skip
    books = {}
    for lang in ("zh", "en"):
        out = week["root"] / f"stats-{lang}.xlsx"
        assert main(["--lang", lang, *args, "--out", str(out)]) == 0
        books[lang] = openpyxl.load_workbook(out)
    capsys.readouterr()
    zh, en = books["zh"], books["en"]
    assert en.sheetnames == ["Summary", "By station", "By township", "By category", "By deputy"]
    names = set(Settings().issue_categories.values())
    ws = io.read_workspace(week["workspace"])
    for layer in (ws.county, ws.townships, ws.stations, ws.deputies):
        if layer is not None:
            names |= {str(v) for v in layer["name"]}
    for a, b in zip(zh.worksheets, en.worksheets, strict=True):
        header = 1 if b.title != "Summary" else next(
            r for r in range(1, b.max_row + 1) if b.cell(row=r, column=1).value == "Figure"
        )  # fmt: skip
        assert not [c.value for c in b[header] if _CJK.search(str(c.value))]
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                if isinstance(x.value, int | float | datetime) and not isinstance(x.value, bool):
                    assert (y.value, y.number_format) == (x.value, x.number_format), y.coordinate
                elif y.row > header and isinstance(y.value, str) and _CJK.search(y.value):
                    assert y.value in names, f"{b.title}!{y.coordinate}: {y.value!r}"
    summary = {r[0]: r[1] for r in en["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Issues received"] == s["received"]
    assert summary["Settle rate"] == _zh_settle_rate(zh)


def _zh_settle_rate(book: Any) -> Any:
    return next(r[1] for r in book["汇总"].iter_rows(values_only=True) if r[0] == "办结率")
