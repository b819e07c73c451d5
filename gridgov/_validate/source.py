"""Where in a planner's own file a problem is, and what to do about it.

A planner fixes a spreadsheet by its row numbers and headers, not by a frame's 0-based
positions and schema names. The readers in :mod:`gridgov.io` pass what they know about the
file on the frame itself, by these conventions, and every check here uses them when they
are present (and behaves as before when they are not):

- **source rows**: the frame's index is named :data:`SOURCE_ROW` (``"source_row"``) and
  holds, for each feature, the 1-based row of the file it came from as the planner sees it:
  the Excel row number counting title and header rows, or a CSV's line number. An index
  survives the rows a reader drops (blank lines, a 合计 total row) and every copy, so the
  numbers stay right. With it, a problem's ``row`` is that number and
  :attr:`Finding.source_row` says so; without it, ``row`` is the feature's key or 0-based
  position, as always.
- **sheet**: ``frame.attrs[SOURCE_SHEET]`` (``"source_sheet"``), the workbook sheet read.
- **headers**: ``frame.attrs[SOURCE_COLUMNS]`` (``"source_columns"``), schema column -> the
  header as written in the file; :func:`gridgov.io._columns.rename_columns` sets it.
- **column notes**: ``frame.attrs[MATCHED_BY_VALUES]`` (header -> schema column, for a
  header such as 类型 whose meaning was read from its values) and
  ``frame.attrs[IGNORED_COLUMNS]`` (headers dropped as row numbers, 序号); also set by
  ``rename_columns`` and turned into notes by :func:`~gridgov._validate.clean_layer`.

A :class:`Finding` is a :class:`~gridgov._errors.Problem` that also carries those places,
a suggestion (``乡镇人大代表`` for ``镇代表``) and, for a problem that only follows from a
layer being replaced, that layer (:attr:`Finding.cause`). Problems of severity
:data:`NOTE` are not problems but notes: what the loader derived, said so it can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridgov._arrays import Ints
from gridgov._errors import Problem
from gridgov.messages import text

__all__ = [
    "IGNORED_COLUMNS",
    "MATCHED_BY_VALUES",
    "NOTE",
    "SOURCE_COLUMNS",
    "SOURCE_ROW",
    "SOURCE_SHEET",
    "Finding",
    "source_rows",
]

#: Name of the index holding 1-based source rows (Excel rows, CSV lines).
SOURCE_ROW = "source_row"
#: ``attrs`` key: the sheet of a workbook the frame was read from.
SOURCE_SHEET = "source_sheet"
#: ``attrs`` key: schema column -> header as written in the file.
SOURCE_COLUMNS = "source_columns"
#: ``attrs`` key: header -> schema column, for headers recognised by their values.
MATCHED_BY_VALUES = "matched_by_values"
#: ``attrs`` key: headers ignored as row numbers (序号).
IGNORED_COLUMNS = "ignored_columns"
#: Severity of a note: something derived or matched, reported so it can be checked.
NOTE = "note"


def source_rows(df: pd.DataFrame) -> Ints | None:
    """The 1-based source rows of ``df`` (its index named ``source_row``), or None."""
    index = df.index
    if index.name != SOURCE_ROW or not pd.api.types.is_integer_dtype(index.dtype):
        return None
    rows: Ints = np.asarray(index, dtype=np.int64)
    return rows


@dataclass(frozen=True)
class Finding(Problem):
    """A :class:`~gridgov._errors.Problem` with where it is in the file and what to do.

    Attributes
    ----------
    source_row : int or None
        1-based row of the source file (Excel row, counting title and header rows).
    sheet : str or None
        Workbook sheet.
    column : str or None
        The header as written in the file (``代表级别`` for field ``level``).
    suggestion : str or None
        What the value probably should be (``乡镇人大代表``).
    cause : str or None
        The layer whose replacement caused this problem (a deputy pointing at a station
        of the stations layer just replaced); None for a problem of the input itself.
    """

    source_row: int | None = None
    sheet: str | None = None
    column: str | None = None
    suggestion: str | None = None
    cause: str | None = None

    def __str__(self) -> str:
        base = super().__str__()
        if self.suggestion:
            base += text("report.suggest", suggestion=self.suggestion)
        return base

    def as_dict(self) -> dict[str, Any]:
        """As :meth:`Problem.as_dict`, plus the places and suggestion that are known."""
        out = super().as_dict()
        for key in ("source_row", "sheet", "column", "suggestion", "cause"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out
