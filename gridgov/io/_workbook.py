"""Workbooks a county leader can be handed: the report read on screen and on paper.

A planner forwards ``coverage.xlsx`` upward as it is, and a standing committee member
prints it. :func:`write_report` writes the same tidy tables :func:`write_xlsx` does, dressed
as a document: the first sheet opens with a title block (county, subject, standard, demand
basis, data date, generated at) above a plain-language summary; every data sheet has a
styled header with an autofilter, frozen under the header, numbers formatted by what they
are (``0.0%`` for rates, ``#,##0`` for counts and yuan, one decimal for minutes, six for
coordinates), dates as Excel dates in China time and yes/no as 是/否; and prints landscape,
one page wide, with the header row repeated on every page and page numbers below.

Formats come from the header (``…比例``, ``…率`` → percent; ``…（分钟）`` → minutes; ``…经度``
→ coordinates), so every report gets them without listing its columns, and a table can
say otherwise in ``DataFrame.attrs["formats"]`` (header → Excel format). A key/value sheet
(指标 / 数值) gives one format per row in ``attrs["row_formats"]``.

Text stays text: a station called ``=1+1`` or an issue titled ``=HYPERLINK(...)`` shows as
written and is never run.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gridgov.messages import text
from gridgov.model import CHINA_TIME

__all__ = [
    "COORD",
    "COUNT",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "MINUTES",
    "PERCENT",
    "TEXT",
    "ReportInfo",
    "column_format",
    "write_report",
]

#: Excel number formats by what a figure is.
PERCENT = "0.0%"
COUNT = "#,##0"
MINUTES = "0.0"
COORD = "0.000000"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
TEXT = "@"
DECIMAL = "#,##0.0"

_HEADER_FILL = PatternFill("solid", start_color="1F4E79", end_color="1F4E79")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TITLE_FONT = Font(bold=True, size=16)
_LABEL_FONT = Font(bold=True, color="404040")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
# A4, as county offices print; openpyxl's paperSize code for it.
_A4 = 9
# The widest a column is made (characters); longer text wraps.
_MAX_WIDTH = 48


@dataclass(frozen=True)
class ReportInfo:
    """What the title block of a report says.

    Parameters
    ----------
    title : str
        The document's title, county and subject (``华容县 代表联络站覆盖情况``).
    facts : sequence of (label, value)
        Lines under the title: standard and mode, demand basis, data date, …
    generated_at : datetime, optional
        When the report was made (default now); shown in China time.
    """

    title: str
    facts: Sequence[tuple[str, str]] = ()
    generated_at: datetime = field(default_factory=lambda: datetime.now(CHINA_TIME))

    @property
    def generated_local(self) -> str:
        at = self.generated_at
        if at.tzinfo is not None:
            at = at.astimezone(CHINA_TIME)
        return at.strftime("%Y-%m-%d %H:%M")


# Chinese headers first, then the English ones of a ``--lang en`` report: the same
# columns must get the same formats in either language.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(经度|纬度)"), COORD),
    (re.compile(r"(比例|率|占比|份额)(（[^）]*）)?$"), PERCENT),
    (re.compile(r"（分钟）|（小时）|用时|时长"), MINUTES),
    (re.compile(r"（(元|米|人|个|次)）"), COUNT),
    (re.compile(r"(人口|人数|户数|代表数|站点数|村（社区）数|网格数|个数|件数|次数|数$)"), COUNT),
    (re.compile(r"\b(longitude|latitude)\b", re.IGNORECASE), COORD),
    (re.compile(r"\b(share|rate|proportion)\b|\(%\)", re.IGNORECASE), PERCENT),
    (re.compile(r"\((min|minutes|h|hours)\)|\btravel\b", re.IGNORECASE), MINUTES),
    (re.compile(r"\((yuan|m|people|count)\)|\b(population|people|number of)\b", re.I), COUNT),
)


def column_format(header: str, values: pd.Series) -> str | None:
    """The Excel number format of a column, from its header and its values (None: leave
    as is, e.g. text)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return DATETIME
    present = values.dropna()
    if not len(present):
        return None
    kinds = {type(v) for v in present}
    if kinds <= {datetime, pd.Timestamp}:
        return DATETIME
    if kinds <= {date}:
        return DATE
    numeric = all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
        for v in present
    )
    if not numeric:
        return None
    for pattern, fmt in _RULES:
        if pattern.search(header):
            return fmt
    whole = all(float(v).is_integer() for v in present if math.isfinite(float(v)))
    return COUNT if whole else DECIMAL


def _cell_value(value: Any) -> Any:
    """A value as openpyxl should store it: None for blanks, dates in China time without a
    zone (Excel has none), 是/否 (yes/no in English) for booleans, numpy scalars as Python
    ones."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return text("report.book.yes") if value else text("report.book.no")
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TIME).replace(tzinfo=None)
        return value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, list | tuple | set | dict):
        return "、".join(str(v) for v in value) if not isinstance(value, dict) else str(value)
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col, value=_cell_value(value))
    # openpyxl stores any text starting with "=" as a formula: text it is
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def _width(value: Any) -> int:
    """Display width of a cell's text: a Chinese character is two columns wide."""
    if value is None:
        return 0
    if isinstance(value, float):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _print_setup(
    ws: Worksheet, info: ReportInfo, *, landscape: bool, title_rows: str | None
) -> None:
    ws.page_setup.paperSize = _A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    # one page wide, as many pages tall as it takes
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    # "&" starts a header code in Excel (&P page, &N pages); a county's "&" is doubled
    ws.oddHeader.center.text = f"{info.title} — {ws.title}".replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.left.text = text("report.book.generated_at", at=info.generated_local)
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = text("report.book.page")
    ws.oddFooter.right.size = 8


def _formats(table: pd.DataFrame) -> dict[str, str | None]:
    given: Mapping[str, str] = table.attrs.get("formats", {})
    out: dict[str, str | None] = {}
    for column in table.columns:
        name = str(column)
        out[name] = given[name] if name in given else column_format(name, table[column])
    return out


def _write_table(ws: Worksheet, table: pd.DataFrame, top: int) -> int:
    """``table`` with its header at row ``top``; returns the last row written."""
    formats = _formats(table)
    row_formats: Sequence[str | None] | None = table.attrs.get("row_formats")
    widths = [_width(c) for c in table.columns]
    for j, column in enumerate(table.columns, start=1):
        cell = _put(ws, top, j, str(column))
        cell.font, cell.fill, cell.alignment, cell.border = (
            _HEADER_FONT,
            _HEADER_FILL,
            Alignment(wrap_text=True, vertical="center", horizontal="center"),
            _BORDER,
        )
    columns = list(table.columns)
    values = table.to_numpy(dtype=object)
    for i, record in enumerate(values):
        r = top + 1 + i
        for j, value in enumerate(record, start=1):
            cell = _put(ws, r, j, value)
            fmt = formats[str(columns[j - 1])]
            if row_formats is not None and j == len(columns) and i < len(row_formats):
                fmt = row_formats[i] or fmt
            if fmt and not isinstance(cell.value, str):
                cell.number_format = fmt
            cell.border = _BORDER
            if i < 500:
                widths[j - 1] = max(widths[j - 1], _width(cell.value))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, max(8, w + 2))
    last = top + len(values)
    if columns:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{max(last, top + 1)}"
    ws.row_dimensions[top].height = 30
    return last


def _title_block(ws: Worksheet, info: ReportInfo, span: int) -> int:
    """Title and facts at the top of the summary sheet; returns the next free row."""
    ws.cell(row=1, column=1, value=info.title).font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(2, span))
    ws.row_dimensions[1].height = 28
    facts = [*info.facts, (text("report.book.generated"), info.generated_local)]
    for k, (label, value) in enumerate(facts, start=2):
        _put(ws, k, 1, label).font = _LABEL_FONT
        cell = _put(ws, k, 2, value)
        cell.alignment = _WRAP
        if span > 2:
            ws.merge_cells(start_row=k, start_column=2, end_row=k, end_column=span)
    return len(facts) + 3


def write_report(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    info: ReportInfo,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write ``{sheet name: table}`` as a report workbook; returns the path.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        In order; the first is the summary a leader reads first and gets the title block.
        Formats come from the headers (see the module) or ``attrs["formats"]`` /
        ``attrs["row_formats"]``.
    path : str or Path
        The ``.xlsx`` file; its folder is created.
    info : ReportInfo
        Title and facts of the title block, and the generation time on every page.
    notes : mapping of str to sequence of str, optional
        Lines written under a sheet's table (what a figure means, why a count differs).

    Returns
    -------
    Path
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    notes = notes or {}
    for k, (name, table) in enumerate(sheets.items()):
        ws = book.create_sheet(title=name[:31])
        if k == 0:
            top = _title_block(ws, info, len(table.columns))
            last = _write_table(ws, table, top)
            ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 22)
            _print_setup(ws, info, landscape=False, title_rows=None)
        else:
            top = 1
            last = _write_table(ws, table, top)
            ws.freeze_panes = "A2"
            _print_setup(ws, info, landscape=len(table.columns) > 6, title_rows="1:1")
        for n, line in enumerate(notes.get(name, ()), start=last + 2):
            _put(ws, n, 1, line).alignment = Alignment(wrap_text=False, vertical="top")
    book.save(target)
    return target
