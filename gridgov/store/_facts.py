"""SQL shared by the stores' statistics: the facts' filters and sums (see ``fact_totals``).

Both stores keep one ``issue_facts`` row per issue (:class:`gridgov.store.base.IssueFacts`)
with copies of the columns the statistics filter and group on, so a period's figures are
one aggregate over these rows, without reading the issues' documents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gridgov._errors import ParameterError
from gridgov.store.base import FACT_FILTERS, FactReading, FactTotals, IssueFacts, IssueQuery

__all__ = [
    "BEFORE_COLUMNS", "FACT_COLUMNS", "FACT_SUMS", "VISITS", "before_values", "fact_values",
    "fact_where", "flags_of", "late_sql", "month_split", "month_start", "reading", "sums_sql",
    "totals", "visits_by_unit",
]  # fmt: skip

#: The columns of ``issue_facts`` in the order :func:`fact_values` gives them.
FACT_COLUMNS = (
    "issue_id", "issue_version", "basis", "created_at", "station_id", "township_code",
    "category", "last_event_at", "flags", "hours_to_acknowledge", "hours_to_resolve",
    "fact_deputies",
)  # fmt: skip

# The yes/no facts as bits of one ``flags`` column: the database counts the issues of each
# unit per combination of bits (a few dozen per unit) and Python adds them up. Measured on
# a year of 100,000 issues (SQLite, 2 cores under load): 14 sum() aggregates over CASE
# expressions 1,207 ms, 14 plain sums 708 ms, count(*) per (unit, flags) 514 ms.
_BITS = ("merged", "settled", "on_time", "rated", "satisfied", "unsatisfied", "reopened",
         "escalated", "open_at_end")  # fmt: skip
_ACKNOWLEDGED = 1 << len(_BITS)  # hours_to_acknowledge is known

#: Per unit (column 1) and combination of flags: issues, hours to acknowledge and to resolve.
FACT_SUMS = "flags, count(*), sum(hours_to_acknowledge), sum(hours_to_resolve)"


#: The columns of ``issue_facts_before`` (an issue's earlier facts, see
#: :attr:`IssueFacts.earlier`) in the order :func:`before_values` gives them: each row holds
#: for a period ending after its ``last_event_at`` and at or before its ``valid_until``.
BEFORE_COLUMNS = (
    "valid_until", "created_at", "issue_id", "last_event_at", "basis", "station_id",
    "township_code", "category", "flags", "hours_to_acknowledge", "hours_to_resolve",
    "fact_deputies",
)  # fmt: skip


def sums_sql(
    key: str, join: str, where: str, mark: str, *, hint: str = "", group: str = "1, 2"
) -> tuple[str, str]:
    """The two statements summing the facts in force at a period's end, per unit (``key``)
    and flags: the final facts of the issues whose last event came before the end
    (parameters: ``where``'s, the end), and the earlier facts whose interval holds the end
    (``where``'s, the end twice). ``where`` filters either table (their columns share names);
    ``join`` may name the table as ``issue_facts``. Two statements, not a UNION: SQLite
    answers the first from the ``issue_facts_period`` index alone (100,000 issues: 80 ms
    against 137 ms as one UNION ALL on a loaded machine). ``hint`` follows the table's name
    in the first (SQLite's ``INDEXED BY``), ``group`` is its GROUP BY (finer groups with the
    same unit and flags are added up by :func:`totals`)."""
    final = (
        f"SELECT {key}, {FACT_SUMS} FROM issue_facts{hint}{join}"
        f" WHERE {where} AND last_event_at < {mark} GROUP BY {group}"
    )
    before = (
        f"SELECT {key}, {FACT_SUMS} FROM issue_facts_before AS issue_facts{join}"
        f" WHERE {where} AND valid_until >= {mark} AND last_event_at < {mark} GROUP BY 1, 2"
    )
    return final, before


def late_sql(where: str, mark: str, *, hint: str = "") -> str:
    """The issues of a period whose last event came at or after its end and that have no
    earlier facts in force then (written before ``issue_facts_before`` existed, or a bug):
    these are replayed from their logs. Parameters: ``where``'s, then the end three times;
    ``hint`` follows the table's name (SQLite's ``INDEXED BY``)."""
    return (
        f"SELECT issue_id FROM issue_facts AS f{hint} WHERE {where} AND last_event_at >= {mark}"
        " AND NOT EXISTS (SELECT 1 FROM issue_facts_before AS b WHERE b.issue_id = f.issue_id"
        f" AND b.basis = f.basis AND b.valid_until >= {mark} AND b.last_event_at < {mark})"
    )


def before_values(
    f: IssueFacts, when: Callable[[Any], Any], deputies: Callable[[IssueFacts], Any]
) -> list[tuple[Any, ...]]:
    """The rows of :data:`BEFORE_COLUMNS` for ``f.earlier``: each holds until the next
    one's (the last until ``f``'s) ``last_event_at``."""
    rows: list[tuple[Any, ...]] = []
    ends = [e.last_event_at for e in f.earlier[1:]] + [f.last_event_at] if f.earlier else []
    for e, until in zip(f.earlier, ends, strict=True):
        rows.append((
            when(until), when(e.created_at), e.issue_id, when(e.last_event_at), e.basis,
            e.station_id, e.township_code, e.category, flags_of(e), e.hours_to_acknowledge,
            e.hours_to_resolve, deputies(e),
        ))  # fmt: skip
    return rows


def flags_of(f: IssueFacts) -> int:
    """The ``flags`` column of ``f``."""
    value = sum(1 << k for k, name in enumerate(_BITS) if getattr(f, name))
    return value | (_ACKNOWLEDGED if f.hours_to_acknowledge is not None else 0)


def fact_values(f: IssueFacts, when: Callable[[Any], Any], deputies: Any) -> tuple[Any, ...]:
    """``f`` as a row of :data:`FACT_COLUMNS` (``when`` converts the two times, ``deputies``
    is the stored form of the deputy list)."""
    return (
        f.issue_id, f.version, f.basis, when(f.created_at), f.station_id, f.township_code,
        f.category, when(f.last_event_at), flags_of(f), f.hours_to_acknowledge,
        f.hours_to_resolve, deputies,
    )  # fmt: skip


def visits_by_unit(by: str, scoped: bool) -> bool:
    """Whether the visits logged at a station can be counted from the events alone (their
    station is in the event's unit): not for a scope, a township (the station may be
    unknown to the workspace) or a category, which need each visit's issue. At 1,000,000
    issues joining every visit to its issue's facts took 1.8-2.5 s, counting them 0.26 s."""
    return not scoped and by not in ("township", "category")


#: The deputies' visits in a period (the predicate of the partial index events_deputy_visits,
#: written literally so that SQLite uses it too), with two placeholders: from, until.
VISITS = "kind = 'acknowledged' AND actor_role = 'deputy' AND at >= {mark} AND at < {mark}"


def month_start(t: datetime, tz: tzinfo = UTC) -> datetime:
    """The start of the calendar month of ``t`` in ``tz``."""
    u = t.astimezone(tz)
    return datetime(u.year, u.month, 1, tzinfo=tz)


def month_split(
    start: datetime | None, end: datetime | None, tz: tzinfo = UTC
) -> tuple[
    tuple[datetime | None, datetime | None] | None, list[tuple[datetime | None, datetime | None]]
]:
    """``[start, end)`` (either open) as the whole calendar months of ``tz`` inside it, read
    from a monthly rollup (``visit_months`` in UTC, PostGIS's ``fact_months`` in China's
    time), and the edges before and after them, read from the rows:
    ``((first month, end of the last month) or None, [(from, to), ...])``; None bounds are
    open. A year of 100,000 issues holds 86,000 visits: counted from the events, 76 ms;
    from 12 rows per deputy and station, under a millisecond plus the edges."""

    def next_month(t: datetime) -> datetime:
        return datetime(t.year + t.month // 12, t.month % 12 + 1, 1, tzinfo=tz)

    lo = None
    if start is not None:
        lo = month_start(start, tz)
        if lo < start:
            lo = next_month(lo)
    hi = None if end is None else month_start(end, tz)
    if lo is not None and hi is not None and lo >= hi:
        return None, [(start, end)]
    edges: list[tuple[datetime | None, datetime | None]] = []
    if start is not None and lo is not None and lo > start:
        edges.append((start, lo))
    if end is not None and hi is not None and hi < end:
        edges.append((hi, end))
    return (lo, hi), edges


def fact_where(
    q: IssueQuery,
    start: datetime | None,
    end: datetime | None,
    *,
    mark: str,
    among: Callable[[str, Sequence[str], list[Any]], str],
    when: Callable[[Any], Any],
    alias: str = "",
) -> tuple[list[str], list[Any]]:
    """The clauses (AND-ed) and parameters of the issues raised in ``[start, end)`` (either
    open) matching ``q``, over facts columns prefixed ``alias``.

    Raises
    ------
    ParameterError
        If ``q`` filters on a field outside :data:`FACT_FILTERS`.
    """
    unknown = sorted(
        f.name
        for f in fields(q)
        if f.name not in FACT_FILTERS and getattr(q, f.name) not in (None, False, ())
    )
    if unknown:
        raise ParameterError(
            f"statistics can filter on {', '.join(sorted(FACT_FILTERS))}, not {', '.join(unknown)}",
            parameter=unknown[0],
        )
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append(f"{alias}created_at >= {mark}")
        params.append(when(start))
    if end is not None:
        clauses.append(f"{alias}created_at < {mark}")
        params.append(when(end))
    for column, value in (("station_id", q.station_id), ("township_code", q.township_code),
                          ("category", q.category)):  # fmt: skip
        if value:
            clauses.append(f"{alias}{column} = {mark}")
            params.append(value)
    scope: list[str] = []
    if q.station_ids is not None:
        scope.append(among(f"{alias}station_id", q.station_ids, params))
    if q.township_codes is not None:
        scope.append(among(f"{alias}township_code", q.township_codes, params))
    if scope:
        clauses.append("(" + " OR ".join(scope) + ")")
    return clauses, params


def totals(rows: Sequence[Sequence[Any]]) -> list[FactTotals]:
    """Rows of ``SELECT unit, FACT_SUMS ... GROUP BY 1, 2`` as :class:`FactTotals` per unit,
    counted as :func:`gridgov.issues.stats.issue_statistics` counts: received, then bits 1
    to 8 (settled ... open at the end), then merged; a merged issue counts only as merged,
    resolve hours only of settled issues. Units come in the order first seen."""
    if not rows:
        return []
    # Summed with numpy over the columns: a year by station is ~8,000 rows (unit, township,
    # category, flags), 35 ms a request row by row in Python, ~3 ms this way. bincount adds
    # in row order, so the sums are the loop's to the last bit.
    units = pd.Index([str(r[0]) for r in rows], dtype=object)
    which, keys = pd.factorize(units, sort=False)
    n_units = len(keys)
    flags = np.fromiter((int(r[1]) for r in rows), dtype=np.int64, count=len(rows))
    count = np.fromiter((int(r[2]) for r in rows), dtype=np.float64, count=len(rows))
    ack = np.fromiter((float(r[3] or 0.0) for r in rows), dtype=np.float64, count=len(rows))
    res = np.fromiter((float(r[4] or 0.0) for r in rows), dtype=np.float64, count=len(rows))
    merged = (flags & 1) != 0
    counted = np.where(merged, 0.0, count)

    def add(weights: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.bincount(which, weights=weights, minlength=n_units), dtype=np.float64)

    sums = [add(counted)]
    sums += [add(np.where(flags & (1 << k), counted, 0.0)) for k in range(1, len(_BITS))]
    sums.append(add(np.where(merged, count, 0.0)))
    acked = ~merged & ((flags & _ACKNOWLEDGED) != 0)
    settled = ~merged & ((flags & 2) != 0)
    hours = (add(np.where(acked, ack, 0.0)), add(np.where(acked, count, 0.0)),
             add(np.where(settled, res, 0.0)), add(np.where(settled, count, 0.0)))  # fmt: skip
    table = np.column_stack(sums).astype(np.int64)
    return [
        FactTotals(
            unit=str(key),
            counts=tuple(int(v) for v in table[u]),
            sum_hours_to_acknowledge=float(hours[0][u]),
            n_acknowledged=int(hours[1][u]),
            sum_hours_to_resolve=float(hours[2][u]),
            n_resolved=int(hours[3][u]),
        )
        for u, key in enumerate(keys)
    ]


def reading(sums: Sequence[Any], late: list[str], visits: Sequence[Any]) -> FactReading:
    """The rows of ``fact_totals``' queries as a :class:`FactReading`: the sums per unit and
    flags, the late ids, and the visits ``(deputy, unit, station, township, category,
    issue id or "", number)`` split into those placed by the facts and those whose issue
    has none (its id given)."""
    placed = [(str(a), str(u), str(s or ""), str(t or ""), str(c or ""), int(n))
              for a, u, s, t, c, i, n in visits if not i]  # fmt: skip
    unplaced = [(str(a), str(u), str(i), int(n)) for a, u, s, t, c, i, n in visits if i]
    return FactReading(totals=totals(sums), late=late, visits=placed, visits_unplaced=unplaced)
