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

A :class:`~gridgov._errors.Problem` names the layer, the row (the feature's key when it has
a usable one, else its 0-based position), the field and the offending value. The geometry
checks are vectorised with shapely 2 so that a 20,000-village, 100,000-deputy workspace
validates in seconds.

By concern: ``values`` (cells coerced to their kinds), ``layer`` (one layer against its
schema), ``references`` (codes between layers), ``spatial`` (where features lie), and
``workspace`` (all of it together).
"""

from __future__ import annotations

from gridgov._validate.layer import clean_layer
from gridgov._validate.values import CODE_SEPARATORS, RowLabels, coerce_values, split_codes
from gridgov._validate.workspace import clean_workspace, relation_problems, validate_workspace

__all__ = [
    "CODE_SEPARATORS",
    "RowLabels",
    "clean_layer",
    "clean_workspace",
    "coerce_values",
    "relation_problems",
    "split_codes",
    "validate_workspace",
]
