"""Values: cells coerced to their column's kind, and what does not fit reported.

Codes become digit strings (``430623101001.0`` from Excel and full-width digits are
repaired), enum values their English value (Chinese labels accepted), numbers numbers
(``"1,234"`` accepted), yes/no cells booleans. Also the row labels every problem is named
by (the feature's key when it has a usable one, else its 0-based position).
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from gridgov._arrays import Objects
from gridgov._errors import ParameterError, Problem
from gridgov.model import LAYERS, Column, LayerSchema

__all__ = [
    "CODE_SEPARATORS",
    "RowLabels",
    "as_text",
    "coerce_values",
    "is_missing",
    "point_text",
    "split_codes",
]


#: Separators accepted between grid codes in ``deputies.grid_codes``.
CODE_SEPARATORS = re.compile(r"[,，、;；\s|]+")
_CODE_LENGTH = {"county": 6, "township": 9, "village": 12}
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_TRUE = {"true", "t", "yes", "y", "1", "是", "在岗", "√", "✓", "有"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不在岗", "离岗", "×", "✗", "无"}
_Frame = TypeVar("_Frame", bound=pd.DataFrame)


# --- small helpers ---------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def split_codes(value: object) -> list[str]:
    """Split a ``grid_codes`` cell (``"G1,G2"``, ``"G1、G2"``, ``"G1; G2"``) into codes."""
    if is_missing(value):
        return []
    return [part for part in CODE_SEPARATORS.split(str(value).strip()) if part]


def _text(value: object) -> str | None:
    """One cell as text: numbers without a spurious ``.0``, blanks as None."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    text = str(value).strip()
    return text or None


def as_text(series: pd.Series) -> pd.Series:
    """``series`` as the pandas string dtype, stripped, blanks missing, index kept."""
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        out = series.str.strip()
        return out.mask(out == "")
    return pd.Series([_text(v) for v in series.to_numpy()], index=series.index, dtype="str")


def _normalise_digits(series: pd.Series) -> pd.Series:
    """Full-width digits (１２３) to ASCII and ``430623101001.0`` to ``430623101001``."""
    has_wide = series.str.contains(r"[^\x00-\x7f]", regex=True, na=False)
    if bool(has_wide.any()):
        series = series.mask(has_wide, series.str.normalize("NFKC"))
    return series.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def _as_number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers (``"1,234"`` and full-width digits allowed); returns (floats, unparseable)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
        return numbers, pd.Series(False, index=series.index)
    text = as_text(series)
    cleaned = text.str.normalize("NFKC").str.replace(r"[,\s]", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    return numbers, text.notna() & numbers.isna()


def _as_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no values (是/否, true/false, 1/0, 在岗/离岗); returns (booleans, unparseable)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    text = as_text(series).str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out, text.notna() & out.isna()


class RowLabels:
    """Row labels of one layer: the key value when usable, else the 0-based position."""

    def __init__(self, gdf: pd.DataFrame, schema: LayerSchema) -> None:
        labels: Objects = np.arange(len(gdf)).astype(object)
        if schema.key in gdf.columns:
            keys = as_text(gdf[schema.key])
            usable = (keys.notna() & ~keys.duplicated(keep=False)).to_numpy()
            labels[usable] = keys.to_numpy(dtype=object)[usable]
        self.labels = labels

    def __getitem__(self, pos: int | np.integer[Any]) -> int | str:
        label = self.labels[int(pos)]
        return label if isinstance(label, str) else int(label)


def point_text(x: float, y: float) -> str:
    return f"lon={x:.6f}, lat={y:.6f}"


# --- value coercion --------------------------------------------------------------------------


def coerce_values(
    df: _Frame, layer: str, *, label: str | None = None
) -> tuple[_Frame, list[Problem]]:
    """Coerce the schema columns of ``df`` to their kinds and report values that do not fit.

    Codes become digit strings (``430623101001.0`` and full-width digits are repaired), enum
    values become their English value (Chinese labels accepted), numbers become numbers
    (``"1,234"`` accepted; whole numbers only for integer columns), yes/no columns become
    booleans. Columns that are absent are left absent.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        One layer, columns already named as in the schema.
    layer : str
        Its name in :data:`gridgov.model.LAYERS`.
    label : str, optional
        Name to report problems under (a file name); defaults to ``layer``.

    Returns
    -------
    (DataFrame, list of Problem)
        A copy with coerced columns (same index, same class), and the problems found.
    """
    schema = LAYERS[layer]
    where = label or layer
    rows = RowLabels(df, schema)
    out = df.copy()
    problems: list[Problem] = []
    for col in schema.columns:
        if col.name not in out.columns:
            continue
        values, found = _coerce_column(out[col.name], col, where, rows)
        out[col.name] = values
        problems.extend(found)
    return out, problems


def _coerce_column(
    series: pd.Series, col: Column, where: str, rows: RowLabels
) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    if col.kind == "str":
        text = as_text(series)
        if col.code is not None:
            text = _normalise_digits(text)
            problems.extend(_code_problems(series, text, col, where, rows))
        elif col.enum is not None:
            text, found = _parse_enum(series, text, col, where, rows)
            problems.extend(found)
        result: pd.Series = text
    elif col.kind in ("int", "float"):
        numbers, bad = _as_number(series)
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(where, rows[pos], col.name, series.iloc[pos], f"{col.name} is not a number")
            )
        if col.kind == "int":
            fractional = numbers.notna() & (numbers % 1 != 0)
            for pos in np.flatnonzero(fractional.to_numpy()):
                problems.append(
                    Problem(
                        where,
                        rows[pos],
                        col.name,
                        series.iloc[pos],
                        f"{col.name} must be a whole number",
                    )
                )
            numbers = numbers.round()
        if col.minimum is not None:
            low = numbers.notna() & (numbers < col.minimum)
            for pos in np.flatnonzero(low.to_numpy()):
                problems.append(
                    Problem(
                        where,
                        rows[pos],
                        col.name,
                        series.iloc[pos],
                        f"{col.name} must be at least {col.minimum:g}",
                    )
                )
        if col.kind == "int":
            result = (
                numbers.astype("Int64") if bool(numbers.isna().any()) else numbers.astype("int64")
            )
        else:
            result = numbers
    elif col.kind == "bool":
        flags, bad = _as_bool(series)
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(
                    where,
                    rows[pos],
                    col.name,
                    series.iloc[pos],
                    f"{col.name} must be yes/no (是/否, true/false, 1/0)",
                )
            )
        result = flags if bool(flags.isna().any()) else flags.astype("bool")
    else:  # pragma: no cover - a schema bug, not an input error
        raise TypeError(f"unknown column kind {col.kind!r} for {col.name}")

    if col.required:
        for pos in np.flatnonzero(result.isna().to_numpy()):
            raw = series.iloc[pos]
            if is_missing(raw) or _text(raw) is None:
                problems.append(
                    Problem(
                        where,
                        rows[pos],
                        col.name,
                        None,
                        f"{col.name} ({col.label_zh}) is required but empty",
                    )
                )
    return result, problems


def _code_problems(
    raw: pd.Series, text: pd.Series, col: Column, where: str, rows: RowLabels
) -> list[Problem]:
    if col.code is None:
        return []
    length = _CODE_LENGTH[col.code]
    present = text.notna()
    good = present & text.str.fullmatch(r"\d+", na=False) & (text.str.len() == length)
    problems = []
    for pos in np.flatnonzero((present & ~good).to_numpy()):
        value = text.iloc[pos]
        if _SCIENTIFIC.match(str(value)):
            message = (
                f"{col.name} looks like Excel scientific notation, which loses digits; "
                f"format the column as text and re-enter the {length}-digit {col.code} code"
            )
        else:
            message = f"{col.name} must be a {length}-digit {col.code} division code"
        problems.append(Problem(where, rows[pos], col.name, raw.iloc[pos], message))
    return problems


def _parse_enum(
    raw: pd.Series, text: pd.Series, col: Column, where: str, rows: RowLabels
) -> tuple[pd.Series, list[Problem]]:
    if col.enum is None:
        return text, []
    mapping: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for value in text.dropna().unique():
        try:
            mapping[value] = col.enum.parse(value).value
        except ParameterError as exc:
            mapping[value] = None
            errors[value] = str(exc)
    parsed = text.map(mapping).astype("str") if mapping else text
    problems = []
    if errors:
        bad = text.isin(list(errors)).to_numpy()
        for pos in np.flatnonzero(bad):
            problems.append(
                Problem(where, rows[pos], col.name, raw.iloc[pos], errors[text.iloc[pos]])
            )
        parsed = parsed.mask(pd.Series(bad, index=text.index), text)
    return parsed, problems
