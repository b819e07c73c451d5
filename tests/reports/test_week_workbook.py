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
