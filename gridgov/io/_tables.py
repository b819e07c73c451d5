"""Tables for people: CSV that Excel on Chinese Windows opens right, and XLSX workbooks.

Names come from the county's files and from residents (a station called ``=1+1``, an
issue titled ``=HYPERLINK(...)``): a spreadsheet program must show them, never run them.
XLSX cells holding text are stored as text, whatever they start with; in CSV, which has
no types, text starting with a character Excel reads as a formula gets a leading ``'``
(OWASP's advice against CSV injection).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridgov._errors import ParameterError

__all__ = ["write_table", "write_xlsx"]

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
