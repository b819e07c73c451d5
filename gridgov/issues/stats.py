"""Issue statistics over a period, per station, township, category, deputy or county.

The figures county reports quote ("Lüliang, first half of 2023: 7,164 deputy visits,
4,344 issues collected, 3,589 settled (82.6%)"), computed from issue snapshots and their
append-only event logs, so they agree with what the API shows and can be recomputed for
any past period. The period is ``[start, end)``; every figure is the state *as of*
``end`` (events at or after ``end`` are ignored, whatever the caller passes in).

Definitions. The issues counted are those raised in the period (a cohort); only the
deputy visits are a flow (everything in the period, whenever the issue was raised).

- **received** (收集问题): issues raised in the period, less duplicates merged into
  another issue before ``end`` (those are counted once, in the issue they joined, and
  shown apart as **merged**);
- **settled** (办结): received issues with a ``resolved`` event before ``end``, each
  counted once however often it was resolved (a ``closed`` after a rating always follows
  a resolution); a reopened issue still being handled at ``end`` counts as settled *and*
  in the backlog, and as reopened;
- **on_time** (按期办结): settled issues that never missed a deadline up to their last
  resolution: no ``escalated`` or ``overdue`` event, and every acknowledgement and
  resolution came before the deadline in force at that moment (recomputed from the
  log and ``settings``: each hand-over to a unit starts that level's deadlines, a
  reopening starts a new resolve deadline, an approved extension moves it), so the
  figure does not depend on whether the deadline tick happened to run; a deadline is met strictly before it passes,
  as :func:`gridgov.issues.lifecycle.due_action` has it;
- **rated**, **satisfied** (满意 + 基本满意), **unsatisfied** (不满意): received issues
  by their last rating before ``end`` (satisfied + unsatisfied = rated);
- **reopened**, **escalated**: received issues with such an event before ``end``;
- **open_backlog** (未办结): received issues still open at ``end``;
- **mean_hours_to_acknowledge**: raised to first acknowledgement; **mean_hours_to_resolve**:
  raised to last resolution, over settled issues;
- **deputy_visits** (代表报到): ``acknowledged`` events by a deputy in the period.

Rates are fractions rounded to 4 places (settled / received, on time / settled,
satisfied / rated), empty (NaN, ``None`` in the summary) when the denominator is 0.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from gridgov._errors import ParameterError
from gridgov._json import strict_json
from gridgov.coverage.report import labelled_table
from gridgov.io._workbook import COUNT, DATETIME, MINUTES, PERCENT, ReportInfo
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.messages import text
from gridgov.model import CHINA_TIME, Rating, Workspace
from gridgov.settings import Settings
from gridgov.store.base import FactTotals, IssueFacts, IssueQuery, Store

__all__ = [
    "BY",
    "facts_basis",
    "issue_facts",
    "issue_statistics",
    "period_text",
    "refresh_facts",
    "statistics_info",
    "statistics_sheets",
    "statistics_summary",
    "store_figures",
    "store_sheets",
    "store_statistics",
    "store_summary",
    "summary_of",
]

#: The groupings :func:`issue_statistics` accepts.
BY: tuple[str, ...] = ("station", "township", "county", "category", "deputy")

COUNTS: tuple[str, ...] = (
    "received",
    "settled",
    "on_time",
    "rated",
    "satisfied",
    "unsatisfied",
    "reopened",
    "escalated",
    "open_backlog",
    "merged",
    "deputy_visits",
)
COLUMNS: tuple[str, ...] = (
    "name",
    "received",
    "settled",
    "settle_rate",
    "on_time",
    "on_time_rate",
    "rated",
    "satisfied",
    "satisfaction_rate",
    "unsatisfied",
    "reopened",
    "escalated",
    "open_backlog",
    "merged",
    "mean_hours_to_acknowledge",
    "mean_hours_to_resolve",
    "deputy_visits",
)
_VISITS = COUNTS.index("deputy_visits")
# bumped when issue_facts changes what it computes, so stored facts are recomputed
# (2: facts carry their earlier values, kept_facts)
_FACTS_FORMAT = 2
_RATES = {
    "settle_rate": ("settled", "received"),
    "on_time_rate": ("on_time", "settled"),
    "satisfaction_rate": ("satisfied", "rated"),
}
# Figure -> message key of its label (``report.stat.*``), in the order the sheets show them.
_FIGURES: dict[str, str] = {key: f"report.stat.{key}" for key in COLUMNS[1:]}
_SHEETS = (("by_station", "station"), ("by_township", "township"), ("by_category", "category"),
           ("by_deputy", "deputy"))  # fmt: skip
_UNPLACED = "（未定位）"
_SATISFIED = frozenset({Rating.SATISFIED.value, Rating.BASIC.value})
_OPEN = frozenset(s.value for s in OPEN_STATUSES)
_HANDOVER = frozenset({"assigned", "transferred", "returned", "escalated"})


def _check_period(start: datetime | None, end: datetime | None) -> None:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ParameterError(
                f"{name} must be timezone-aware, got naive {value.isoformat()}",
                parameter=name,
                value=value.isoformat(),
            )
    if start is not None and end is not None and start > end:
        raise ParameterError(
            f"start {start.isoformat()} is after end {end.isoformat()}",
            parameter="end",
            value=end.isoformat(),
        )


def _in(t: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or t >= start) and (end is None or t < end)


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def _met_deadlines(issue: Issue, log: Sequence[Event], settings: Settings) -> bool:
    """Whether every deadline in force was met up to the last resolution in ``log``."""
    last = max((k for k, e in enumerate(log) if e.kind == "resolved"), default=-1)
    level = ""
    ack_due: datetime | None = None
    resolve_due: datetime | None = None

    def due(at: datetime, phase: str) -> datetime | None:
        hours = settings.deadline_h(level, issue.category, phase)
        return None if hours is None else at + timedelta(hours=hours)

    for e in log[: last + 1]:
        if e.kind in ("escalated", "overdue"):
            return False
        if (ack_due is not None and e.at >= ack_due) or (
            resolve_due is not None and e.at >= resolve_due
        ):
            return False
        if e.kind in _HANDOVER:
            level = str(e.data.get("level") or e.unit.partition(":")[0])
            ack_due, resolve_due = due(e.at, "acknowledge"), due(e.at, "resolve")
        elif e.kind == "acknowledged":
            ack_due = None
        elif e.kind == "resolved":
            ack_due = resolve_due = None
        elif e.kind == "reopened":
            resolve_due = due(e.at, "resolve")
        elif e.kind == "extension_approved" and e.data.get("due"):
            # 延期 granted before the deadline: the new one is the deadline in force
            resolve_due = datetime.fromisoformat(str(e.data["due"]))
    return True


def facts_basis(settings: Settings) -> str:
    """A fingerprint of what :func:`issue_facts` depends on besides the log: the deadlines.
    Stored facts computed under another fingerprint are recomputed."""
    text = strict_json([_FACTS_FORMAT, settings.deadlines_h, settings.category_deadlines_h])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def issue_facts(
    issue: Issue, log: Sequence[Event], settings: Settings, *, basis: str | None = None
) -> IssueFacts:
    """What ``issue`` contributes to the figures as of the end of ``log`` (its events
    before the period's end, in order; all of them for the facts a store keeps).
    ``basis``: :func:`facts_basis` of ``settings`` when the caller has it already."""
    resolved = [e.at for e in log if e.kind == "resolved"]
    acknowledged = [e.at for e in log if e.kind == "acknowledged"]
    ratings = [str(e.data.get("rating", "")) for e in log if e.kind == "rated"]
    rating = ratings[-1] if ratings else ""
    status = log[-1].status_to if log else issue.status.value
    deputies: dict[str, None] = {}
    for e in log:
        if e.kind == "dispatched":
            deputies.update(dict.fromkeys(str(d) for d in e.data.get("deputies", ())))
        elif e.kind == "acknowledged" and e.actor_role == "deputy" and e.actor_id:
            deputies[e.actor_id] = None
    if not log:  # no events given: trust the snapshot
        deputies = dict.fromkeys(issue.deputies)
    settled = bool(resolved)
    return IssueFacts(
        issue_id=issue.issue_id,
        version=issue.version,
        basis=basis if basis is not None else facts_basis(settings),
        created_at=issue.created_at,
        station_id=issue.station_id,
        township_code=issue.township_code,
        category=issue.category,
        last_event_at=max((e.at for e in log), default=issue.updated_at),
        merged=any(e.kind == "merged" for e in log),
        settled=settled,
        on_time=settled and _met_deadlines(issue, log, settings),
        rated=bool(rating),
        satisfied=rating in _SATISFIED,
        unsatisfied=rating == Rating.UNSATISFIED.value,
        reopened=any(e.kind == "reopened" for e in log),
        escalated=any(e.kind == "escalated" for e in log),
        open_at_end=status in _OPEN,
        hours_to_acknowledge=_hours(issue.created_at, acknowledged[0]) if acknowledged else None,
        hours_to_resolve=_hours(issue.created_at, resolved[-1]) if resolved else None,
        deputies=tuple(deputies),
    )


def _county_key(ws: Workspace | None) -> tuple[str, str]:
    if ws is None:
        return "county", "全县"
    row = ws.county.iloc[0]
    return str(row["code"]), str(row["name"])


def _units(by: str, ws: Workspace | None, settings: Settings) -> dict[str, str]:
    """Every unit of ``by`` (id -> Chinese name), in the workspace's order."""
    if by == "category":
        return dict(settings.issue_categories)
    if by == "county":
        code, name = _county_key(ws)
        return {code: name}
    if ws is None:
        return {}
    layer = {"station": ws.stations, "township": ws.townships, "deputy": ws.deputies}[by]
    if layer is None:
        return {}
    key = {"station": "station_id", "township": "code", "deputy": "deputy_id"}[by]
    return dict(zip(layer[key].astype(str), layer["name"].astype(str), strict=True))


class _Totals:
    """Figures per unit, summed from facts (Python or the store's SQL) and visits."""

    def __init__(self, by: str, ws: Workspace | None) -> None:
        self.by = by
        self.county = _county_key(ws)[0]
        self.town_of: dict[str, str] = {}
        if ws is not None:
            stations = ws.stations
            self.town_of = dict(
                zip(stations["station_id"].astype(str), stations["township_code"].astype(str),
                    strict=True)
            )  # fmt: skip
        # unit -> counts (COUNTS order), then sum/number of hours to acknowledge, to resolve
        self.units: dict[str, list[float]] = {}

    def _row(self, unit: str) -> list[float]:
        row = self.units.get(unit)
        if row is None:
            row = self.units[unit] = [0.0] * (len(COUNTS) + 4)
        return row

    def add_facts(self, issue: Issue, f: IssueFacts) -> None:
        if self.by == "deputy":
            keys: tuple[str, ...] = f.deputies
        else:
            keys = ({"station": issue.station_id, "township": issue.township_code,
                     "category": issue.category, "county": self.county}[self.by],)  # fmt: skip
        counted = not f.merged
        flags = (counted, counted and f.settled, counted and f.on_time, counted and f.rated,
                 counted and f.satisfied, counted and f.unsatisfied, counted and f.reopened,
                 counted and f.escalated, counted and f.open_at_end, f.merged)  # fmt: skip
        n = len(COUNTS)
        for key in keys:
            row = self._row(key)
            for k, flag in enumerate(flags):
                row[k] += flag
            if counted and f.hours_to_acknowledge is not None:
                row[n] += f.hours_to_acknowledge
                row[n + 1] += 1
            if counted and f.settled and f.hours_to_resolve is not None:
                row[n + 2] += f.hours_to_resolve
                row[n + 3] += 1

    def add_sums(self, t: FactTotals) -> None:
        row = self._row(self.county if self.by == "county" else t.unit)
        n = len(COUNTS)
        for k, count in enumerate(t.counts):
            row[k] += count
        row[n] += t.sum_hours_to_acknowledge
        row[n + 1] += t.n_acknowledged
        row[n + 2] += t.sum_hours_to_resolve
        row[n + 3] += t.n_resolved

    def add_visits(
        self, deputy: str, unit: str, station_id: str, township_code: str, category: str, n: int
    ) -> None:
        """``n`` deputy visits logged at ``unit`` to an issue now at ``station_id`` ..."""
        level, _, unit_id = unit.partition(":")
        station = unit_id if level == "station" else station_id
        key = {
            "deputy": deputy,
            "station": station,
            "township": self.town_of.get(station) or township_code,
            "category": category,
            "county": self.county,
        }[self.by]
        self._row(key)[_VISITS] += n

    def summed(self) -> _Totals:
        """The county's one row: every unit's added up (for groupings where each issue and
        visit falls in one unit; not ``deputy``)."""
        out = _Totals("county", None)
        out.county = self.county
        row = out._row(self.county)
        for values in self.units.values():
            for k, v in enumerate(values):
                row[k] += v
        return out

    def table(self, ws: Workspace | None, settings: Settings) -> pd.DataFrame:
        n = len(COUNTS)
        names = _units(self.by, ws, settings)
        order = list(names) + sorted(u for u in self.units if u not in names)
        zero = [0.0] * (n + 4)
        rows = [self.units.get(u, zero) for u in order]

        def mean(total: float, count: float) -> float:
            return round(total / count, 2) if count else math.nan

        # The columns built first and the frame made once: adding them one by one to a
        # frame cost 20-25 ms a table (a county's stations; two tables a request).
        columns: dict[str, Any] = {
            c: np.array([int(r[k]) for r in rows], dtype=np.int64) for k, c in enumerate(COUNTS)
        }
        columns["mean_hours_to_acknowledge"] = [mean(r[n], r[n + 1]) for r in rows]
        columns["mean_hours_to_resolve"] = [mean(r[n + 2], r[n + 3]) for r in rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            for rate, (num, den) in _RATES.items():
                d = columns[den]
                columns[rate] = np.round(np.where(d > 0, columns[num] / np.where(d > 0, d, 1),
                                                  np.nan), 4)  # fmt: skip
        columns["name"] = [names.get(u) or (_UNPLACED if u == "" else u) for u in order]
        return pd.DataFrame(
            {c: columns[c] for c in COLUMNS}, index=pd.Index(order, name="unit", dtype=object)
        )


def issue_statistics(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "station",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Issue figures over ``[start, end)``, one row per unit (see the module docstring).

    Parameters
    ----------
    issues : sequence of Issue
        Snapshots; those raised outside the period are ignored.
    events : sequence of Event
        Their event logs (any order; events at or after ``end`` are ignored).
    ws : Workspace, optional
        Gives the units their Chinese names and lists every station, township and
        deputy, with zeros where nothing happened.
    start, end : datetime, optional
        The period, timezone-aware: ``start`` inclusive, ``end`` exclusive; open-ended
        when left out.
    by : {"station", "township", "county", "category", "deputy"}
        The grouping. ``"deputy"`` counts an issue for every deputy dispatched to it (or
        acknowledging it), so deputy rows do not add up to the county's. Issues not yet
        located fall under the unit ``""`` (named 未定位). Every category of
        ``settings.issue_categories`` is always listed.
    settings : Settings, optional
        The deadlines the on-time figures are judged by.

    Returns
    -------
    pandas.DataFrame
        Index ``unit`` (the unit's id); columns :data:`COLUMNS`: ``name``, the counts
        (int), the rates (fractions, NaN when nothing to divide) and mean hours.

    Raises
    ------
    ParameterError
        For an unknown ``by``, a timezone-naive ``start`` or ``end``, or ``start`` after
        ``end``.

    See Also
    --------
    store_statistics : the same figures from a store, summed by the database.
    """
    _check(by, start, end)
    settings = settings or Settings()
    basis = facts_basis(settings)
    logs: dict[str, list[Event]] = {}
    for e in events:
        if end is None or e.at < end:
            logs.setdefault(e.issue_id, []).append(e)
    totals = _Totals(by, ws)
    for i in issues:
        if _in(i.created_at, start, end):
            log = sorted(logs.get(i.issue_id, []), key=lambda e: e.seq)
            totals.add_facts(i, issue_facts(i, log, settings, basis=basis))
    # visits are a flow: an issue raised before the period may get one in it
    by_id = {i.issue_id: i for i in issues}
    for e in events:
        if e.kind != "acknowledged" or e.actor_role != "deputy" or not _in(e.at, start, end):
            continue
        issue = by_id.get(e.issue_id)
        totals.add_visits(
            e.actor_id,
            e.unit,
            issue.station_id if issue else "",
            issue.township_code if issue else "",
            issue.category if issue else "",
            1,
        )
    return totals.table(ws, settings)


#: Issues read at once while refreshing facts or replaying logs (bounds the memory).
PAGE = 500
# one refresh at a time in a process: a second caller finds the facts already fresh
_REFRESHING = threading.Lock()


def _figures(f: IssueFacts) -> tuple[Any, ...]:
    # what a period's figures read of ``f`` (not when it was computed or from which event)
    return (f.merged, f.settled, f.on_time, f.rated, f.satisfied, f.unsatisfied, f.reopened,
            f.escalated, f.open_at_end, f.hours_to_acknowledge, f.hours_to_resolve,
            f.deputies)  # fmt: skip


def kept_facts(issue: Issue, log: Sequence[Event], settings: Settings, *, basis: str) -> IssueFacts:
    """The facts a store keeps for ``issue``: :func:`issue_facts` over its whole ``log``,
    with ``earlier`` holding what it contributed as of each earlier moment of its log at
    which the figures changed (so that a period ending then is summed, not replayed).

    Each entry is exactly what :func:`issue_facts` gives over the events before a period end
    in its interval (from its ``last_event_at``, exclusive, to the next entry's, inclusive),
    the rule :func:`store_statistics` uses for an issue still moving at the period's end.
    """
    final = issue_facts(issue, log, settings, basis=basis)
    times = sorted({e.at for e in log})
    earlier: list[IssueFacts] = []
    for t in times[:-1]:
        f = issue_facts(issue, [e for e in log if e.at <= t], settings, basis=basis)
        if not earlier or _figures(f) != _figures(earlier[-1]):
            earlier.append(f)
    return replace(final, earlier=tuple(earlier))


def refresh_facts(store: Store, settings: Settings) -> int:
    """Compute and store the facts of every issue that has none under ``settings``' deadlines
    (new or changed since, or never computed), :data:`PAGE` issues at a time; returns how
    many were stored. When nothing changed this is two counts."""
    basis = facts_basis(settings)
    written = 0
    with _REFRESHING:
        stale = store.stale_facts(basis=basis)
        for k in range(0, len(stale), PAGE):
            page = stale[k : k + PAGE]
            found, _ = store.list_issues(IssueQuery(issue_ids=tuple(page), limit=-1))
            logs = store.events_of([i.issue_id for i in found])
            written += store.put_facts([kept_facts(i, logs[i.issue_id], settings, basis=basis)
                                        for i in found])  # fmt: skip
    return written


def store_statistics(
    store: Store,
    *,
    scope: IssueQuery | None = None,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "station",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """:func:`issue_statistics` over the issues of ``store``, summed by the database.

    Each issue's contribution is kept in the store (:class:`IssueFacts`, refreshed here for
    the issues written since the last call), so a year of a county is a few aggregate
    queries over small rows, not a replay of every log: only the issues of the period with
    events at or after ``end`` (and any written between the refresh and the sums) are
    replayed from their logs, as of ``end``. The figures are those :func:`issue_statistics`
    gives on the same issues and events (visits only to issues in ``scope``).

    Parameters
    ----------
    store : Store
    scope : IssueQuery, optional
        Which issues count: a role's scope, ``station_ids`` and ``township_codes`` (OR-ed),
        narrowed by ``station_id``, ``township_code`` or ``category``; paging ignored. All
        issues when left out.
    ws, start, end, by, settings
        As for :func:`issue_statistics`.

    Raises
    ------
    ParameterError
        As :func:`issue_statistics`; and for a ``scope`` with other filters.
    """
    _check(by, start, end)
    settings = settings or Settings()
    return _store_totals(store, scope, ws, start, end, by, settings).table(ws, settings)


def store_figures(
    store: Store,
    *,
    scope: IssueQuery | None = None,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "station",
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`store_statistics` and the county's :func:`summary_of` over the same issues,
    in one pass over the store (two for ``by="deputy"``, whose rows overlap)."""
    _check(by, start, end)
    settings = settings or Settings()
    totals = _store_totals(store, scope, ws, start, end, by, settings)
    if by == "deputy":
        county = _store_totals(store, scope, ws, start, end, "county", settings)
    else:  # every issue and visit falls in exactly one unit: the county is their sum
        county = totals.summed()
    return totals.table(ws, settings), summary_of(county.table(ws, settings), start, end)


def _store_totals(
    store: Store,
    scope: IssueQuery | None,
    ws: Workspace | None,
    start: datetime | None,
    end: datetime | None,
    by: str,
    settings: Settings,
) -> _Totals:
    basis = facts_basis(settings)
    scope = scope or IssueQuery(limit=-1)
    refresh_facts(store, settings)
    reading = store.fact_totals(scope, by=by, start=start, end=end, basis=basis)
    totals = _Totals(by, ws)
    for t in reading.totals:
        totals.add_sums(t)
    for visit in reading.visits:
        totals.add_visits(*visit)
    late = set(reading.late)
    unplaced = {issue_id for _, _, issue_id, _ in reading.visits_unplaced}
    ids = sorted(late | unplaced)
    inside = replace(scope, limit=-1, offset=0)
    seen: dict[str, Issue] = {}
    for k in range(0, len(ids), PAGE):  # read again: their facts are not final by ``end``
        found, _ = store.list_issues(replace(inside, issue_ids=tuple(ids[k : k + PAGE])))
        seen.update((i.issue_id, i) for i in found)
        logs = store.events_of([i.issue_id for i in found if i.issue_id in late])
        for issue_id, log in logs.items():
            issue = seen[issue_id]
            kept = [e for e in log if end is None or e.at < end]
            totals.add_facts(issue, issue_facts(issue, kept, settings, basis=basis))
    for deputy, unit, issue_id, n in reading.visits_unplaced:
        if issue_id in seen:  # in the scope
            i = seen[issue_id]
            totals.add_visits(deputy, unit, i.station_id, i.township_code, i.category, n)
    return totals


def _check(by: str, start: datetime | None, end: datetime | None) -> None:
    if by not in BY:
        raise ParameterError(
            f"by={by!r}: expected one of {', '.join(BY)}", parameter="by", value=by
        )
    _check_period(start, end)


def summary_of(table: pd.DataFrame, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The one row of a ``by="county"`` table as plain JSON values (rates and means
    ``None`` when undefined), with ``start`` and ``end`` as ISO 8601 (or ``None``)."""
    row = table.iloc[0]
    out: dict[str, Any] = {}
    for col in COLUMNS[1:]:
        value = row[col]
        if col in COUNTS:
            out[col] = int(value)
        else:
            out[col] = None if value is None or math.isnan(float(value)) else float(value)
    out["start"] = None if start is None else start.isoformat()
    out["end"] = None if end is None else end.isoformat()
    return out


def statistics_summary(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The county's figures over ``[start, end)`` as plain JSON values.

    Same definitions and parameters as :func:`issue_statistics`; returns
    ``{"received": 4344, "settled": 3589, "settle_rate": 0.8264, ...}`` with rates and
    means ``None`` when undefined, plus ``start`` and ``end`` as ISO 8601 (or ``None``).
    """
    table = issue_statistics(
        issues, events, ws=ws, start=start, end=end, by="county", settings=settings
    )
    return summary_of(table, start, end)


def store_summary(
    store: Store,
    *,
    scope: IssueQuery | None = None,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """:func:`statistics_summary` of a store's issues (see :func:`store_statistics`)."""
    table = store_statistics(
        store, scope=scope, ws=ws, start=start, end=end, by="county", settings=settings
    )
    return summary_of(table, start, end)


def statistics_sheets(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """Sheets for an XLSX report: 汇总, 按站点, 按乡镇, 按类别, 按代表 (Summary, By station,
    ... in English: every sheet name, header and label in the current language).

    汇总 holds 指标 / 数值 rows, the period first (China-time datetimes without a zone), then every figure
    as a number (rates as fractions; ``attrs["row_formats"]`` says ``0.0%``, ``#,##0``
    or hours to one decimal, for :func:`gridgov.io.write_report`); the others one row per
    unit, rates as fractions under headers ending in 率. 按站点 adds each station's tier and township,
    按代表 each deputy's level and station (never a phone or other personal column).
    Parameters as for :func:`issue_statistics`.
    """

    def table(by: str) -> pd.DataFrame:
        return issue_statistics(
            issues, events, ws=ws, start=start, end=end, by=by, settings=settings
        )

    return _sheets(table, ws=ws, start=start, end=end, settings=settings)


def store_sheets(
    store: Store,
    *,
    scope: IssueQuery | None = None,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`statistics_sheets` of a store's issues (see :func:`store_statistics`)."""

    def table(by: str) -> pd.DataFrame:
        return store_statistics(
            store, scope=scope, ws=ws, start=start, end=end, by=by, settings=settings
        )

    return _sheets(table, ws=ws, start=start, end=end, settings=settings)


def _sheets(
    table_of: Callable[[str], pd.DataFrame],
    *,
    ws: Workspace | None,
    start: datetime | None,
    end: datetime | None,
    settings: Settings | None,
) -> dict[str, pd.DataFrame]:
    summary = summary_of(table_of("county"), start, end)
    unbounded = text("report.week.unbounded")
    rows: list[tuple[str, Any, str | None]] = [
        (text("report.stat.start"), _local(start) or unbounded, DATETIME),
        (text("report.stat.end"), _local(end) or unbounded, DATETIME),
    ]
    for key, label in _FIGURES.items():
        fmt = PERCENT if key in _RATES else MINUTES if key.startswith("mean_") else COUNT
        rows.append((text(label), summary[key], fmt))
    head = pd.DataFrame(
        [(label, value) for label, value, _ in rows],
        columns=[text("report.book.item"), text("report.book.value")],
    )
    head.attrs["row_formats"] = [fmt for _, _, fmt in rows]
    sheets = {text("report.tab.stat_summary"): head}

    towns = _units("township", ws, settings or Settings())
    stations = _units("station", ws, settings or Settings())
    for title, by in _SHEETS:
        table = table_of(by).reset_index()
        # issues not yet located: the table names them in Chinese, the sheet in its language
        table.loc[table["name"] == _UNPLACED, "name"] = text("report.stat.unplaced")
        columns = {"unit": f"report.stat.unit_{by}", "name": f"report.stat.name_{by}"}
        if ws is not None and by == "station":
            extra = ws.stations[["station_id", "tier", "township_code"]].astype(str)
            extra = extra.rename(columns={"station_id": "unit"})
            extra["township_name"] = extra["township_code"].map(towns)
            table = table.merge(extra[["unit", "tier", "township_name"]], on="unit", how="left")
            columns |= {"tier": "report.stat.tier", "township_name": "report.stat.station_township"}
        if ws is not None and by == "deputy" and ws.deputies is not None:
            # explicit public columns only: the deputies layer also holds phones
            extra = ws.deputies[["deputy_id", "level", "station_id"]].astype(str)
            extra = extra.rename(columns={"deputy_id": "unit"})
            extra["station_name"] = extra["station_id"].map(stations)
            table = table.merge(extra[["unit", "level", "station_name"]], on="unit", how="left")
            columns |= {"level": "report.stat.level", "station_name": "report.stat.deputy_station"}
        columns |= _FIGURES
        sheets[text(f"report.tab.{title}")] = labelled_table(table, columns)
    return sheets


def _local(at: datetime | None) -> datetime | None:
    """China time without a zone: Excel has none, and a county reads its own clock."""
    return None if at is None else at.astimezone(CHINA_TIME).replace(tzinfo=None)


def period_text(start: datetime | None, end: datetime | None, lang: str | None = None) -> str:
    """The window every figure of a statistics report is for, in China time:
    ``2026-11-16 00:00 至 2026-11-23 00:00（不含）``; the console, the workbook's title and
    its 汇总 sheet all say it, so figures read side by side are for the same window."""

    def at(value: datetime | None) -> str:
        if value is None:
            return text("report.week.unbounded", lang)
        return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")

    return text("report.week.period", lang, start=at(start), end=at(end))


def statistics_info(
    summary: dict[str, Any],
    *,
    county: str = "",
    source: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> ReportInfo:
    """The title block of the statistics workbook: county and window in the title, then
    what is counted (issues raised in the window, their state as of its end), the
    headline figures and where they come from."""
    period = period_text(start, end)
    rate = summary.get("settle_rate")
    facts = [
        (text("report.week.window"), period),
        (text("report.week.counted"), text("report.week.counted_is")),
        (
            text("report.book.conclusion"),
            text(
                "report.week.headline",
                received=summary["received"],
                settled=summary["settled"],
                rate="—" if rate is None else f"{rate:.1%}",
                escalated=summary["escalated"],
                reopened=summary["reopened"],
                merged=summary["merged"],
            ),
        ),
    ]
    if source:
        facts.append((text("report.book.source"), source))
    return ReportInfo(
        title=text("report.week.title", county=county, period=period).strip(), facts=facts
    )
