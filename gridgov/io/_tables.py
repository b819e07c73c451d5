"""Tables as offices write them and as people open them.

Reading: a county office's sheet has a title row (often merged across the columns) above
the header, a 合计 row and a 备注 line below the data, blank rows between groups, and the
header repeated on every printed page. :func:`lay_out_table` finds the header among the
first rows by how many cells are headers gridgov knows (:func:`column_aliases`), drops the
rows that are not data, and keeps each data row's number as Excel shows it, so a problem
can say "row 7" and the user finds row 7.

Writing: CSV that Excel on Chinese Windows opens right, and XLSX workbooks. Names come
from the county's files and from residents (a station called ``=1+1``, an issue titled ``=HYPERLINK(...)``): a spreadsheet program must show them, never run them.
XLSX cells holding text are stored as text, whatever they start with; in CSV, which has
no types, text starting with a character Excel reads as a formula gets a leading ``'``
(OWASP's advice against CSV injection).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridgov._errors import ParameterError, Problem
from gridgov._validate.source import SOURCE_ROW
from gridgov.io._columns import LAT_ALIASES, LON_ALIASES, WKT_ALIASES, column_aliases, norm_header
from gridgov.io._notes import Note, Said
from gridgov.messages import Items, Term, text
from gridgov.model import LAYERS

__all__ = ["Grid", "TableLayout", "lay_out_table", "write_table", "write_xlsx"]

#: A sheet as read: rows of cells, text or None, row 0 being the sheet's first row.
Grid = Sequence[Sequence[str | None]]
#: How many rows from the top may hold the header.
HEADER_SEARCH_ROWS = 10
# Headers of office tables that name no schema column but show that a row is the header.
_OFFICE_HEADERS = ("序号", "备注", "说明", "编号", "no", "xh")
# A row whose first cells say it sums the rows above: 合计, 小计, 总计, 全镇合计: 12 ...
_TOTAL = re.compile(r"^(?:\w{0,8}(?:合计|小计|总计|共计)|总数|累计)(?:[:：(（].*)?$")
# A line under the table: remarks, who filled it in, where the data came from.
_NOTE_START = (
    "备注",
    "注:",
    "说明",
    "附注",
    "填表",
    "填报",
    "制表",
    "审核",
    "负责人",
    "联系人",
    "数据来源",
    "资料来源",
)

#: First characters that make a spreadsheet program read a CSV field as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defused(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell that would start a formula prefixed with ``'``."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
            if risky.any():
                out[column] = values.mask(risky.astype(bool), "'" + values.astype(str))
    return out


def write_table(df: pd.DataFrame, path: str | Path, *, sheet: str = "Sheet1") -> Path:
    """Write a table people open in Excel: CSV as UTF-8 with BOM, or XLSX.

    Parameters
    ----------
    df : DataFrame
        The table; a GeoDataFrame is written without its geometry column.
    path : str or Path
        ``.csv`` or ``.xlsx``; the folder is created if needed.
    sheet : str, default "Sheet1"
        Sheet name for XLSX (cut to Excel's 31 characters).

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        If the extension is neither ``.csv`` nor ``.xlsx`` (nothing is written).
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ParameterError(
            f"{target.name}: write_table writes .csv or .xlsx files",
            parameter="path",
            value=str(path),
        )
    table = pd.DataFrame(df)
    if isinstance(df, gpd.GeoDataFrame):
        table = table.drop(columns=[df.geometry.name])
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        # Excel on Chinese Windows reads BOM-less CSV as GBK; the BOM makes it pick UTF-8.
        # CRLF rows (RFC 4180) also make the writer quote a field holding a lone "\r",
        # which would otherwise end the row in the middle of a name.
        _defused(table).to_csv(target, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    else:
        write_xlsx({sheet: table}, target)
    return target


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``{sheet name: table}`` to one XLSX file with frozen headers; returns the path.

    Text is stored as text: a name such as ``=1+1`` shows as written and is never run.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for row in ws.iter_rows():
                for cell in row:
                    # openpyxl stores any text starting with "=" as a formula; text it is
                    if cell.data_type == "f" and isinstance(cell.value, str):
                        cell.data_type = "s"
            for column in ws.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                ws.column_dimensions[column[0].column_letter].width = min(40, 4 + width * 1.6)
    return target


# --- reading --------------------------------------------------------------------------------


@dataclass
class TableLayout:
    """A grid laid out as a table: the frame of data rows (text cells, None for blanks)
    indexed by each row's sheet row number (1-based, as Excel shows it; the index is
    named ``source_row``, which the checks in :mod:`gridgov._validate` name rows by),
    notes and problems."""

    frame: pd.DataFrame | None
    notes: list[Note] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@functools.cache
def _header_vocabulary(layer: str) -> frozenset[str]:
    known = set(column_aliases(layer))
    known.update(
        norm_header(a) for a in (*LON_ALIASES, *LAT_ALIASES, *WKT_ALIASES, *_OFFICE_HEADERS)
    )
    return frozenset(known)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def header_score(row: Sequence[str | None], layer: str) -> int:
    """How many cells of ``row`` are headers gridgov knows for ``layer``."""
    vocabulary = _header_vocabulary(layer)
    score = 0
    for cell in row:
        if cell is None:
            continue
        key = norm_header(cell)
        if key in vocabulary or "经度" in key or "纬度" in key:
            score += 1
    return score


def _find_header(grid: Grid, layer: str) -> int | None:
    """0-based index of the header row: the best-scoring of the first rows, else the
    first row that is not blank (None if all are blank)."""
    best, best_score = None, 0
    first = None
    for k, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if not any(cell is not None for cell in row):
            continue
        if first is None:
            first = k
        score = header_score(row, layer)
        if score > best_score:
            best, best_score = k, score
    if best is not None:
        return best
    if first is not None:
        return first
    return next((k for k, row in enumerate(grid) if any(c is not None for c in row)), None)


def _column_names(header: Sequence[str | None], width: int) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for k in range(width):
        cell = header[k] if k < len(header) else None
        name = str(cell).lstrip("\ufeff").strip() if cell is not None else f"Unnamed: {k}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _row_kind(cells: list[str | None], key_at: int | None, header: list[str]) -> str:
    """``data``, ``blank``, ``total``, ``note`` or ``header`` (the header repeated)."""
    filled = [c for c in cells if c is not None]
    if not filled:
        return "blank"
    if [norm_header(c) if c else "" for c in cells] == [norm_header(h) for h in header]:
        return "header"
    key = cells[key_at] if key_at is not None and key_at < len(cells) else None
    leading = [_squeeze(c) for c in filled[:3]]
    keyless = key is None or _squeeze(key) in leading
    if keyless and any(_TOTAL.match(c) for c in leading):
        return "total"
    if keyless and leading[0].startswith(_NOTE_START) and len(filled) <= max(2, len(cells) // 2):
        return "note"
    return "data"


_ROW_KINDS = {
    "total": Term("合计/小计", "total row(s)"),
    "note": Term("备注/说明", "remark row(s)"),
    "header": Term("重复表头", "repeated header(s)"),
    "blank": Term("空行", "blank row(s)"),
}
_ROWS_LISTED = 5


def _rows_note(label: str, dropped: dict[str, list[int]]) -> Note | None:
    parts = []
    for kind, term in _ROW_KINDS.items():
        rows = dropped.get(kind, [])
        if not rows:
            continue
        listed = Items(rows[:_ROWS_LISTED], limit=_ROWS_LISTED)
        if kind == "blank":
            parts.append(Said.of("note.rows_kind_blank", kind=term, count=len(rows)))
        elif len(rows) > _ROWS_LISTED:
            parts.append(Said.of("note.rows_kind_more", kind=term, count=len(rows), rows=listed))
        else:
            parts.append(Said.of("note.rows_kind", kind=term, count=len(rows), rows=listed))
    if not parts:
        return None
    total = sum(len(v) for v in dropped.values())
    what = Said.of("note.rows_dropped", count=total, parts=tuple(parts))
    return Note(label, "rows", str(total), "detected", what, Said.of("note.detected"))


def lay_out_table(
    grid: Grid, *, layer: str, label: str, header_row: int | None = None
) -> TableLayout:
    """Find the header of ``grid``, drop the rows that are not data, keep sheet row numbers.

    Parameters
    ----------
    grid : sequence of rows
        The sheet's cells as text (None for blank), row 0 being sheet row 1.
    layer : str
        The workspace layer the table is for: its headers are the ones looked for.
    label : str
        The file's name, for notes and problems.
    header_row : int, optional
        The header's sheet row number (1-based), when the user knows better.

    Returns
    -------
    TableLayout
        With a note for a header found below row 1 (or given), and one for the rows
        dropped: totals (合计/小计/总计), remarks (备注/说明/填表人...), repeated headers
        and blank rows. A total or remark row is one whose key cell is blank or is the
        total itself, so a village called 合计村 stays.
    """
    notes: list[Note] = []
    if header_row is not None:
        if not 1 <= header_row <= len(grid) or not any(c is not None for c in grid[header_row - 1]):
            return TableLayout(
                None,
                problems=[
                    Problem(
                        label,
                        header_row,
                        "header",
                        header_row,
                        text(
                            "load.header_blank"
                            if header_row <= len(grid)
                            else "load.header_past_end",
                            row=header_row,
                        ),
                    )
                ],
            )
        at = header_row - 1
        notes.append(
            Note(
                label,
                "header",
                str(header_row),
                "given",
                Said.of("note.header_row", row=header_row),
                Said.of("note.by_command_line"),
            )
        )
    else:
        found = _find_header(grid, layer)
        if found is None:
            return TableLayout(
                None, problems=[Problem(label, None, None, None, text("load.file_empty"))]
            )
        at = found
        if at > 0:
            notes.append(
                Note(
                    label,
                    "header",
                    str(at + 1),
                    "detected",
                    Said.of("note.header_row", row=at + 1),
                    Said.of("note.detected_or", option=f"{label}@header=N"),
                )
            )
    width = max((len(r) for r in grid[at:]), default=0)
    header = _column_names(grid[at], width)
    aliases = column_aliases(layer)
    key = LAYERS[layer].key
    key_at = next((k for k, h in enumerate(header) if aliases.get(norm_header(h)) == key), None)
    kept: list[list[str | None]] = []
    sheet_rows: list[int] = []
    dropped: dict[str, list[int]] = {}
    for k in range(at + 1, len(grid)):
        cells = list(grid[k]) + [None] * (width - len(grid[k]))
        kind = _row_kind(cells, key_at, header)
        if kind == "data":
            kept.append(cells)
            sheet_rows.append(k + 1)
        else:
            dropped.setdefault(kind, []).append(k + 1)
    # blank rows after the last data row are the sheet's empty tail, not worth a note
    last = sheet_rows[-1] if sheet_rows else at + 1
    dropped["blank"] = [r for r in dropped.get("blank", []) if r < last]
    note = _rows_note(label, dropped)
    if note is not None:
        notes.append(note)
    index = pd.Index(sheet_rows, dtype="int64", name=SOURCE_ROW)
    frame = pd.DataFrame(kept, columns=header, index=index, dtype=object)
    unnamed = [c for c in header if c.startswith("Unnamed:") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed)
    return TableLayout(frame, notes)
