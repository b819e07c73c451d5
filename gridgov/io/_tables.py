"""Tables for people: CSV that Excel on Chinese Windows opens right, and XLSX workbooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridgov._errors import ParameterError

__all__ = ["write_table", "write_xlsx"]


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
        table.to_csv(target, index=False, encoding="utf-8-sig")
    else:
        write_xlsx({sheet: table}, target)
    return target


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``{sheet name: table}`` to one XLSX file with frozen headers; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for column in ws.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                ws.column_dimensions[column[0].column_letter].width = min(40, 4 + width * 1.6)
    return target
