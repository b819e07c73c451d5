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
  reopening starts a new resolve deadline), so the figure does not depend on whether
  the deadline tick happened to run; a deadline is met strictly before it passes,
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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from gridgov._errors import ParameterError
from gridgov.coverage.report import chinese_table
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import Rating, Workspace
from gridgov.settings import Settings

__all__ = ["BY", "issue_statistics", "statistics_sheets", "statistics_summary"]

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
_RATES = {
    "settle_rate": ("settled", "received"),
    "on_time_rate": ("on_time", "settled"),
    "satisfaction_rate": ("satisfied", "rated"),
}
_FIGURES_ZH: dict[str, str] = {
    "received": "收集问题（件）",
    "settled": "办结（件）",
    "settle_rate": "办结率（%）",
    "on_time": "按期办结（件）",
    "on_time_rate": "按期办结率（%）",
    "rated": "已评价（件）",
    "satisfied": "满意（含基本满意）（件）",
    "satisfaction_rate": "满意率（%）",
    "unsatisfied": "不满意（件）",
    "reopened": "重新办理（件）",
    "escalated": "逐级上报（件）",
    "open_backlog": "未办结（件）",
    "merged": "合并重复（件）",
    "mean_hours_to_acknowledge": "平均签收时长（小时）",
    "mean_hours_to_resolve": "平均办结时长（小时）",
    "deputy_visits": "代表报到（人次）",
}
_UNIT_ZH = {
    "station": "站点编号",
    "township": "乡镇代码",
    "county": "区划代码",
    "category": "类别代码",
    "deputy": "代表编号",
}
_NAME_ZH = {
    "station": "站点名称",
    "township": "乡镇（街道）",
    "county": "县（市、区）",
    "category": "问题类别",
    "deputy": "姓名",
}
_SHEETS = (("按站点", "station"), ("按乡镇", "township"), ("按类别", "category"),
           ("按代表", "deputy"))  # fmt: skip
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


@dataclass(frozen=True)
class _Facts:
    """What one issue contributes, as of ``end``."""

    issue: Issue
    merged: bool
    settled: bool
    on_time: bool
    rating: str
    reopened: bool
    escalated: bool
    open_at_end: bool
    hours_to_acknowledge: float | None
    hours_to_resolve: float | None
    deputies: tuple[str, ...]


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
    return True


def _facts(issue: Issue, log: Sequence[Event], settings: Settings) -> _Facts:
    """``log``: the issue's events before ``end``, in order."""
    resolved = [e.at for e in log if e.kind == "resolved"]
    acknowledged = [e.at for e in log if e.kind == "acknowledged"]
    ratings = [str(e.data.get("rating", "")) for e in log if e.kind == "rated"]
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
    return _Facts(
        issue=issue,
        merged=any(e.kind == "merged" for e in log),
        settled=settled,
        on_time=settled and _met_deadlines(issue, log, settings),
        rating=ratings[-1] if ratings else "",
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


def _rows(
    facts: Sequence[_Facts],
    issues: Sequence[Issue],
    events: Sequence[Event],
    by: str,
    ws: Workspace | None,
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    """One row per (unit, issue) and one per (unit, deputy visit)."""
    county, _ = _county_key(ws)
    rows: list[dict[str, Any]] = []
    for f in facts:
        i = f.issue
        if by == "deputy":
            keys: tuple[str, ...] = f.deputies
        else:
            keys = ({"station": i.station_id, "township": i.township_code,
                     "category": i.category, "county": county}[by],)  # fmt: skip
        counted = not f.merged
        for key in keys:
            rows.append(
                {
                    "unit": key,
                    "received": int(counted),
                    "settled": int(counted and f.settled),
                    "on_time": int(counted and f.on_time),
                    "rated": int(counted and bool(f.rating)),
                    "satisfied": int(counted and f.rating in _SATISFIED),
                    "unsatisfied": int(counted and f.rating == Rating.UNSATISFIED.value),
                    "reopened": int(counted and f.reopened),
                    "escalated": int(counted and f.escalated),
                    "open_backlog": int(counted and f.open_at_end),
                    "merged": int(f.merged),
                    "deputy_visits": 0,
                    "hours_to_acknowledge": f.hours_to_acknowledge if counted else None,
                    "hours_to_resolve": f.hours_to_resolve if counted and f.settled else None,
                }
            )
    # visits are a flow: an issue raised before the period may get one in it
    by_id = {i.issue_id: i for i in issues}
    town_of: dict[str, str] = {}
    if ws is not None:
        town_of = dict(
            zip(
                ws.stations["station_id"].astype(str),
                ws.stations["township_code"].astype(str),
                strict=True,
            )
        )
    for e in events:
        if e.kind != "acknowledged" or e.actor_role != "deputy" or not _in(e.at, start, end):
            continue
        issue = by_id.get(e.issue_id)
        level, _, unit_id = e.unit.partition(":")
        station = unit_id if level == "station" else (issue.station_id if issue else "")
        if by == "deputy":
            key = e.actor_id
        elif by == "station":
            key = station
        elif by == "township":
            key = town_of.get(station) or (issue.township_code if issue else "")
        elif by == "category":
            key = issue.category if issue else ""
        else:
            key = county
        rows.append({"unit": key, "deputy_visits": 1})
    return rows


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
    """
    if by not in BY:
        raise ParameterError(
            f"by={by!r}: expected one of {', '.join(BY)}", parameter="by", value=by
        )
    _check_period(start, end)
    settings = settings or Settings()
    logs: dict[str, list[Event]] = {}
    for e in events:
        if end is None or e.at < end:
            logs.setdefault(e.issue_id, []).append(e)
    facts = [
        _facts(i, sorted(logs.get(i.issue_id, []), key=lambda e: e.seq), settings)
        for i in issues
        if _in(i.created_at, start, end)
    ]
    frame = pd.DataFrame(
        _rows(facts, issues, events, by, ws, start, end),
        columns=["unit", *COUNTS, "hours_to_acknowledge", "hours_to_resolve"],
    )
    frame[list(COUNTS)] = frame[list(COUNTS)].fillna(0).astype(int)
    hours = frame[["hours_to_acknowledge", "hours_to_resolve"]].astype(float)
    frame[["hours_to_acknowledge", "hours_to_resolve"]] = hours
    grouped = frame.groupby("unit", sort=True)
    table = grouped[list(COUNTS)].sum()
    table["mean_hours_to_acknowledge"] = grouped["hours_to_acknowledge"].mean().round(2)
    table["mean_hours_to_resolve"] = grouped["hours_to_resolve"].mean().round(2)

    names = _units(by, ws, settings)
    order = list(names) + [u for u in table.index if u not in names]
    table = table.reindex(pd.Index(order, name="unit"))
    table[list(COUNTS)] = table[list(COUNTS)].fillna(0).astype(int)
    for rate, (num, den) in _RATES.items():
        table[rate] = (table[num] / table[den].where(table[den] > 0)).astype(float).round(4)
    table["name"] = [names.get(u) or (_UNPLACED if u == "" else u) for u in table.index]
    return table[list(COLUMNS)]


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


def _percent(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for rate in _RATES:
        out[rate] = (out[rate] * 100).round(1)
    return out


def statistics_sheets(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """Sheets for an XLSX report, Chinese headers: 汇总, 按站点, 按乡镇, 按类别, 按代表.

    汇总 holds 指标 / 数值 rows (rates as percentages, the period first); the others one
    row per unit with rates in percent. 按站点 adds each station's tier and township,
    按代表 each deputy's level and station (never a phone or other personal column).
    Parameters as for :func:`issue_statistics`.
    """
    summary = statistics_summary(issues, events, ws=ws, start=start, end=end, settings=settings)
    rows: list[tuple[str, str]] = [
        ("统计起始（含）", summary["start"] or "不限"),
        ("统计截止（不含）", summary["end"] or "不限"),
    ]
    for key, label in _FIGURES_ZH.items():
        value = summary[key]
        if value is None:
            text = ""
        elif key in _RATES:
            text = f"{value:.1%}"
        else:
            text = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((label.replace("（%）", ""), text))
    sheets = {"汇总": pd.DataFrame(rows, columns=["指标", "数值"])}

    towns = _units("township", ws, settings or Settings())
    stations = _units("station", ws, settings or Settings())
    for title, by in _SHEETS:
        table = _percent(
            issue_statistics(issues, events, ws=ws, start=start, end=end, by=by, settings=settings)
        ).reset_index()
        columns = {"unit": _UNIT_ZH[by], "name": _NAME_ZH[by]}
        if ws is not None and by == "station":
            extra = ws.stations[["station_id", "tier", "township_code"]].astype(str)
            extra = extra.rename(columns={"station_id": "unit"})
            extra["township_name"] = extra["township_code"].map(towns)
            table = table.merge(extra[["unit", "tier", "township_name"]], on="unit", how="left")
            columns |= {"tier": "层级", "township_name": "所属乡镇（街道）"}
        if ws is not None and by == "deputy" and ws.deputies is not None:
            # explicit public columns only: the deputies layer also holds phones
            extra = ws.deputies[["deputy_id", "level", "station_id"]].astype(str)
            extra = extra.rename(columns={"deputy_id": "unit"})
            extra["station_name"] = extra["station_id"].map(stations)
            table = table.merge(extra[["unit", "level", "station_name"]], on="unit", how="left")
            columns |= {"level": "代表层级", "station_name": "所属站点"}
        columns |= _FIGURES_ZH
        sheets[title] = chinese_table(table, columns)
    return sheets
