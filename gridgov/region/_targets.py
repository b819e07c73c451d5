"""Consolidation targets per county from a CSV a city office types: ``county_code,target``.

Offices keep such lists in Excel and save them as CSV, in UTF-8 or in GBK; headers may be
the English names or the Chinese ones (``区划代码``, ``目标站点数``). Every row is checked
before any county is run, and every problem is reported at once, naming the file, the row
as Excel numbers it, the field and the bad value: a code that is not six digits or not a
county of the region, a target that is not a whole number of at least one station, a
county listed twice.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from gridgov._errors import NotFoundError, Problem, ValidationError
from gridgov.messages import text

__all__ = ["read_targets"]

_HEADERS = {
    "county_code": ("county_code", "code", "区划代码", "县区划代码", "县代码"),
    "target": ("target", "目标站点数", "目标", "保留站点数"),
}


def _read(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        [Problem(path.name, None, None, None, text("region.targets_encoding"))],
        context=str(path),
    )


def read_targets(path: str | Path, counties: Collection[str]) -> dict[str, int]:
    """``{county_code: target}`` from a CSV, every row checked against ``counties``.

    Parameters
    ----------
    path : str or Path
        CSV with a county-code column and a target column (English or Chinese headers).
    counties : collection of str
        The region's county codes.

    Returns
    -------
    dict

    Raises
    ------
    NotFoundError
        If the file does not exist.
    ValidationError
        Every problem of the file: a missing column, a bad or unknown code, a bad target,
        a county listed twice (each naming the row, field and value).
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(text("region.targets_missing", path=path))
    table = _read(path)
    columns = {str(c).strip(): c for c in table.columns}
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for field, names in _HEADERS.items():
        hit = next((columns[n] for n in names if n in columns), None)
        if hit is None:
            problems.append(
                Problem(
                    path.name, None, field, None, text("region.targets_no_column", column=field)
                )
            )
        else:
            found[field] = hit
    if problems:
        raise ValidationError(problems, context=str(path))
    known = set(counties)
    targets: dict[str, int] = {}
    first_row: dict[str, int] = {}
    for i, (code_raw, target_raw) in enumerate(
        zip(table[found["county_code"]], table[found["target"]], strict=True)
    ):
        row = i + 2  # Excel's row number: the header is row 1
        code = str(code_raw).strip()
        value = str(target_raw).strip()
        if not code and not value:
            continue  # a blank line Excel left at the end
        if not (len(code) == 6 and code.isdigit()):
            problems.append(
                Problem(
                    path.name, row, "county_code", code_raw, text("region.bad_code", value=code)
                )
            )
            continue
        if code not in known:
            problems.append(
                Problem(
                    path.name, row, "county_code", code, text("region.targets_unknown", code=code)
                )
            )
            continue
        if code in first_row:
            problems.append(
                Problem(
                    path.name,
                    row,
                    "county_code",
                    code,
                    text("region.targets_twice", code=code, row=first_row[code]),
                )
            )
            continue
        first_row[code] = row
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (number == number and number.is_integer() and number >= 1):
            problems.append(
                Problem(
                    path.name, row, "target", target_raw, text("region.targets_bad", value=value)
                )
            )
            continue
        targets[code] = int(number)
    if problems:
        raise ValidationError(problems, context=str(path))
    return targets
