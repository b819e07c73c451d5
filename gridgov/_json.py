"""Strict JSON for every file and summary gridgov writes.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no JSON parser outside
Python accepts (a browser's ``JSON.parse``, ``jq``, PostgreSQL's ``jsonb``). A figure that
is not a number (the travel time of a village no station reaches) is written as ``null``
here, NumPy scalars as plain numbers, and times, dates and paths as text; then the text is
produced with ``allow_nan=False`` so a value that slipped through is a bug, not a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["strict", "strict_json"]


def strict(value: Any) -> Any:
    """``value`` made of JSON types only: NaN and infinities become None.

    Parameters
    ----------
    value : Any
        Dicts, lists, tuples, sets, numbers (NumPy's too), strings, times, dates, paths;
        anything else is written as its ``str``.

    Returns
    -------
    Any
        The same structure with only ``dict``, ``list``, ``str``, ``int``, ``float``
        (finite), ``bool`` and ``None``.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [strict(v) for v in items]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def strict_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text (UTF-8 characters kept, no NaN or Infinity)."""
    return json.dumps(strict(value), ensure_ascii=False, indent=indent, allow_nan=False)
