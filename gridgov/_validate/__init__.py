"""Collect every problem in a layer or a whole workspace, then raise once with all of them.

A county planner fixes a spreadsheet in one sitting only if the report lists *everything*
wrong with it: every bad code, every duplicate, every point in the wrong township. The
checks here never stop at the first problem. The naming says what a function does with
what it finds:

- ``clean_*`` (:func:`clean_layer`, :func:`clean_workspace`) and :func:`coerce_values`
  return ``(cleaned, problems)``: ``cleaned`` has schema values coerced to their kinds
  (codes as digit strings, enum values in English, numbers as numbers) and, with
  ``fix=True``, invalid geometries repaired;
- ``*_problems`` (:func:`relation_problems`) return the list of problems only;
- ``validate_*`` (:func:`validate_workspace`) raise one
  :class:`~gridgov._errors.ValidationError` listing every problem when any is an error.

A :class:`~gridgov._errors.Problem` names the layer, the row, the field and the offending
value. The row is the **source row** when the reader says which row of the planner's file
each feature came from, else the feature's key when it has a usable one, else its 0-based
position. Readers say so by these conventions (:mod:`gridgov._validate.source`):

- the frame's index named ``"source_row"`` (:data:`SOURCE_ROW`) holds 1-based rows of the
  file as the planner sees them: Excel rows counting title and header rows, CSV lines;
- ``frame.attrs["source_sheet"]`` (:data:`SOURCE_SHEET`) names the workbook sheet;
- ``frame.attrs["source_columns"]`` (:data:`SOURCE_COLUMNS`) maps schema columns to the
  headers as written (set by :func:`gridgov.io._columns.rename_columns`).

Problems made here are :class:`Finding` (a ``Problem`` that also carries the source row,
sheet, header as written, a suggestion, and the replaced layer a problem follows from);
problems of severity :data:`NOTE` are notes: what was derived (a station's township from
its name or where it lies), said so the planner can check it. Every message comes from the
catalogue :mod:`gridgov.messages`, in the current language. :mod:`~gridgov._validate.report`
groups identical problems for people and lays them out for ``problems.xlsx``. The geometry
checks are vectorised with shapely 2 so that a 20,000-village, 100,000-deputy workspace
validates in seconds.

By concern: ``values`` (cells coerced to their kinds), ``vocabulary`` (values by meaning,
suggestions), ``layer`` (one layer against its schema), ``derive`` (what can be derived),
``references`` (codes between layers), ``spatial`` (where features lie), ``workspace``
(all of it together), ``source`` (where in the file), ``report`` (for people).
"""

from __future__ import annotations

from gridgov._validate.derive import resolve_references
from gridgov._validate.layer import clean_layer
from gridgov._validate.report import (
    group_problems,
    mark_cascades,
    notes,
    problem_line,
    problem_table,
    report_lines,
)
from gridgov._validate.source import (
    IGNORED_COLUMNS,
    MATCHED_BY_VALUES,
    NOTE,
    SOURCE_COLUMNS,
    SOURCE_ROW,
    SOURCE_SHEET,
    Finding,
    source_rows,
)
from gridgov._validate.values import CODE_SEPARATORS, RowLabels, coerce_values, split_codes
from gridgov._validate.workspace import clean_workspace, relation_problems, validate_workspace

__all__ = [
    "CODE_SEPARATORS",
    "IGNORED_COLUMNS",
    "MATCHED_BY_VALUES",
    "NOTE",
    "SOURCE_COLUMNS",
    "SOURCE_ROW",
    "SOURCE_SHEET",
    "Finding",
    "RowLabels",
    "clean_layer",
    "clean_workspace",
    "coerce_values",
    "group_problems",
    "mark_cascades",
    "notes",
    "problem_line",
    "problem_table",
    "relation_problems",
    "report_lines",
    "resolve_references",
    "source_rows",
    "split_codes",
    "validate_workspace",
]
