"""Values: cells coerced to their column's kind, and what does not fit reported.

Codes become digit strings (``430623101001.0`` from Excel and full-width digits are
repaired), enum values their English value (Chinese labels and the synonyms planners write
accepted, the nearest one suggested otherwise), numbers numbers (``"1,234"`` accepted),
yes/no cells booleans. Also the row labels every problem is named by: the source row when
the reader gave one (:mod:`gridgov._validate.source`), else the feature's key when it has a
usable one, else its 0-based position.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from gridgov._arrays import Ints, Objects
from gridgov._errors import Problem
from gridgov._validate.source import SOURCE_COLUMNS, SOURCE_SHEET, Finding, source_rows
from gridgov._validate.vocabulary import (
    accepted_term,
    field_term,
    level_term,
    match_value,
    suggest_value,
)
from gridgov.messages import Term, text
from gridgov.model import LAYERS, Column, LayerSchema

__all__ = [
    "CODE_SEPARATORS",
    "DERIVED_LATER",
    "NAME_REFERENCES",
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

#: Code columns that may hold the parent's name instead of its code (章华镇 for
#: 430623102); :func:`gridgov._validate.derive.resolve_references` matches them against
#: the parent layer, which a single layer does not have, so they are not code errors here.
NAME_REFERENCES: dict[tuple[str, str], str] = {
    ("villages", "township_code"): "townships",
    ("stations", "township_code"): "townships",
    ("stations", "village_code"): "villages",
    ("settlements", "village_code"): "villages",
    ("grids", "village_code"): "villages",
}
#: Required columns that can be derived once the workspace is put together (from a name,
#: a longer code or where the feature lies), so a single layer may lack them.
DERIVED_LATER: frozenset[tuple[str, str]] = frozenset(
    {
        ("villages", "township_code"),
        ("stations", "township_code"),
        ("settlements", "village_code"),
        ("grids", "village_code"),
    }
)


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
    """How one layer's problems name their rows, and the problems themselves.

    A row is named by its source row when the reader gave them (the index named
    ``source_row``: Excel rows), else by the feature's key when that is filled and unique,
    else by its 0-based position. :meth:`problem` makes a :class:`Finding` that also
    carries the source row, the sheet and the header as written in the file.
    """

    def __init__(self, gdf: pd.DataFrame, schema: LayerSchema) -> None:
        self.source: Ints | None = source_rows(gdf)
        labels: Objects
        if self.source is not None:
            labels = self.source.astype(object)
        else:
            labels = np.arange(len(gdf)).astype(object)
            if schema.key in gdf.columns:
                keys = as_text(gdf[schema.key])
                usable = (keys.notna() & ~keys.duplicated(keep=False)).to_numpy()
                labels[usable] = keys.to_numpy(dtype=object)[usable]
        self.labels = labels
        sheet = gdf.attrs.get(SOURCE_SHEET)
        self.sheet = str(sheet) if sheet else None
        self.headers: dict[str, str] = dict(gdf.attrs.get(SOURCE_COLUMNS) or {})

    def __getitem__(self, pos: int | np.integer[Any]) -> int | str:
        label = self.labels[int(pos)]
        return label if isinstance(label, str) else int(label)

    def problem(
        self,
        where: str,
        pos: int | np.integer[Any] | None,
        field: str | None,
        value: Any,
        message: str,
        severity: str = "error",
        *,
        suggestion: str | None = None,
    ) -> Finding:
        """A problem at position ``pos`` (None: the whole layer) of this layer."""
        source = None
        if pos is not None and self.source is not None:
            source = int(self.source[int(pos)])
        return Finding(
            where,
            None if pos is None else self[pos],
            field,
            value,
            message,
            severity,
            source_row=source,
            sheet=self.sheet,
            column=self.headers.get(field) if field else None,
            suggestion=suggestion,
        )


def point_text(x: float, y: float) -> str:
    return f"lon={x:.6f}, lat={y:.6f}"


# --- value coercion --------------------------------------------------------------------------


def coerce_values(
    df: _Frame, layer: str, *, label: str | None = None, deferred: Collection[str] = ()
) -> tuple[_Frame, list[Problem]]:
    """Coerce the schema columns of ``df`` to their kinds and report values that do not fit.

    Codes become digit strings (``430623101001.0`` and full-width digits are repaired), enum
    values become their English value (Chinese labels and synonyms accepted: 镇人大代表 is
    ``township``), numbers become numbers (``"1,234"`` accepted; whole numbers only for
    integer columns), yes/no columns become booleans. Columns that are absent are left
    absent. A reference column of :data:`NAME_REFERENCES` may hold names (章华镇); they are
    left as written, for :func:`~gridgov._validate.derive.resolve_references`.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        One layer, columns already named as in the schema.
    layer : str
        Its name in :data:`gridgov.model.LAYERS`.
    label : str, optional
        Name to report problems under (a file name); defaults to ``layer``.
    deferred : collection of str
        Required columns whose empty cells are not reported here, because they are
        derived later (:data:`DERIVED_LATER`).

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
        values, found = _coerce_column(
            out[col.name],
            col,
            where,
            rows,
            term=field_term(layer, col.name),
            names_ok=(layer, col.name) in NAME_REFERENCES,
            required=col.required and col.name not in deferred,
        )
        out[col.name] = values
        problems.extend(found)
    return out, problems


def _coerce_column(
    series: pd.Series,
    col: Column,
    where: str,
    rows: RowLabels,
    *,
    term: Term,
    names_ok: bool,
    required: bool,
) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    if col.kind == "str":
        text_ = as_text(series)
        if col.code is not None:
            text_ = _normalise_digits(text_)
            problems.extend(_code_problems(series, text_, col, where, rows, term, names_ok))
        elif col.enum is not None:
            text_, found = _parse_enum(series, text_, col, where, rows)
            problems.extend(found)
        result: pd.Series = text_
    elif col.kind in ("int", "float"):
        numbers, bad = _as_number(series)
        for pos in np.flatnonzero(bad.to_numpy()):
            message = text("validate.not_number", column=term)
            problems.append(rows.problem(where, pos, col.name, series.iloc[pos], message))
        if col.kind == "int":
            fractional = numbers.notna() & (numbers % 1 != 0)
            for pos in np.flatnonzero(fractional.to_numpy()):
                message = text("validate.not_whole", column=term)
                problems.append(rows.problem(where, pos, col.name, series.iloc[pos], message))
            numbers = numbers.round()
        if col.minimum is not None:
            low = numbers.notna() & (numbers < col.minimum)
            for pos in np.flatnonzero(low.to_numpy()):
                message = text("validate.below_minimum", column=term, minimum=f"{col.minimum:g}")
                problems.append(rows.problem(where, pos, col.name, series.iloc[pos], message))
        if col.kind == "int":
            result = (
                numbers.astype("Int64") if bool(numbers.isna().any()) else numbers.astype("int64")
            )
        else:
            result = numbers
    elif col.kind == "bool":
        flags, bad = _as_bool(series)
        for pos in np.flatnonzero(bad.to_numpy()):
            message = text("validate.not_yes_no", column=term)
            problems.append(rows.problem(where, pos, col.name, series.iloc[pos], message))
        result = flags if bool(flags.isna().any()) else flags.astype("bool")
    else:  # pragma: no cover - a schema bug, not an input error
        raise TypeError(f"unknown column kind {col.kind!r} for {col.name}")

    if required:
        for pos in np.flatnonzero(result.isna().to_numpy()):
            raw = series.iloc[pos]
            if is_missing(raw) or _text(raw) is None:
                message = text("validate.required_empty", column=term)
                problems.append(rows.problem(where, pos, col.name, None, message))
    return result, problems


def _code_problems(
    raw: pd.Series,
    text_: pd.Series,
    col: Column,
    where: str,
    rows: RowLabels,
    term: Term,
    names_ok: bool,
) -> list[Problem]:
    if col.code is None:
        return []
    length = _CODE_LENGTH[col.code]
    present = text_.notna()
    good = present & text_.str.fullmatch(r"\d+", na=False) & (text_.str.len() == length)
    if names_ok:
        # a name (章华镇) rather than a code: resolved against the parent layer later
        good |= present & ~text_.str.contains(r"\d", regex=True, na=False)
    problems: list[Problem] = []
    level = level_term(col.code)
    for pos in np.flatnonzero((present & ~good).to_numpy()):
        value = text_.iloc[pos]
        key = "validate.scientific" if _SCIENTIFIC.match(str(value)) else "validate.bad_code"
        message = text(key, column=term, length=length, level=level)
        problems.append(rows.problem(where, pos, col.name, raw.iloc[pos], message))
    return problems


def _parse_enum(
    raw: pd.Series, text_: pd.Series, col: Column, where: str, rows: RowLabels
) -> tuple[pd.Series, list[Problem]]:
    if col.enum is None:
        return text_, []
    enum = col.enum
    mapping: dict[str, str | None] = {}
    unknown: dict[str, tuple[str, str | None]] = {}
    what = Term(col.label_zh, enum.__name__)
    for value in text_.dropna().unique():
        member = match_value(enum, value)
        mapping[value] = None if member is None else member.value
        if member is None:
            near = suggest_value(enum, value)
            shown = None
            if near is not None:
                shown = format(Term(near.label_zh, f"{near.value} ({near.label_zh})"))
            message = text(
                "validate.bad_enum", what=what, value=value, accepted=accepted_term(enum)
            )
            unknown[value] = (message, shown)
    parsed = text_.map(mapping).astype("str") if mapping else text_
    problems: list[Problem] = []
    if unknown:
        bad = text_.isin(list(unknown)).to_numpy()
        for pos in np.flatnonzero(bad):
            message, shown = unknown[text_.iloc[pos]]
            problems.append(
                rows.problem(where, pos, col.name, raw.iloc[pos], message, suggestion=shown)
            )
        parsed = parsed.mask(pd.Series(bad, index=text_.index), text_)
    return parsed, problems
