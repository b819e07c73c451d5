"""Issue statistics over a period, per station, township, category, deputy or county.

The figures county reports quote ("4,344 issues collected, 3,589 settled (82.6%)"),
computed from issue snapshots and their event logs, so they agree with what the API
shows. Definitions (period: ``start`` inclusive, ``end`` exclusive):

- received: issues raised in the period;
- settled: issues of the period whose first ``resolved`` event falls in the period
  (each counted once, however often reopened);
- on time: settled without a missed deadline (no ``escalated`` or ``overdue`` event for a
  missed deadline before the first resolution);
- rated / satisfied: issues of the period rated in it, satisfied = 满意 + 基本满意
  (the last rating counts);
- reopened, escalated: issues of the period with such an event;
- open backlog: issues of the period still open at ``end``;
- deputy visits (代表报到): ``acknowledged`` events by deputies in the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from gridgov.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import Workspace

__all__ = ["issue_statistics", "statistics_sheets", "statistics_summary"]

_BY = ("station", "township", "county", "category", "deputy")
_COLUMNS_ZH = {
    "unit": "单位",
    "name": "名称",
    "received": "收集问题",
    "settled": "办结",
    "settle_rate": "办结率",
    "on_time": "按期办结",
    "on_time_rate": "按期办结率",
    "rated": "已评价",
    "satisfied": "满意（含基本满意）",
    "satisfaction_rate": "满意率",
    "unsatisfied": "不满意",
    "reopened": "重新办理",
    "escalated": "逐级上报",
    "open_backlog": "未办结",
    "mean_hours_to_acknowledge": "平均签收时长（小时）",
    "mean_hours_to_resolve": "平均办结时长（小时）",
    "deputy_visits": "代表报到次数",
}


def _check(start: datetime | None, end: datetime | None) -> None:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def _in(t: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    return t is not None and (start is None or t >= start) and (end is None or t < end)


def _per_issue(
    issues: Sequence[Issue], events: Sequence[Event], start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    by_issue: dict[str, list[Event]] = {}
    for e in events:
        by_issue.setdefault(e.issue_id, []).append(e)
    rows = []
    for i in issues:
        if not _in(i.created_at, start, end):
            continue
        log = sorted(by_issue.get(i.issue_id, []), key=lambda e: e.seq)
        first_resolved = next((e.at for e in log if e.kind == "resolved"), None)
        first_ack = next((e.at for e in log if e.kind == "acknowledged"), None)
        missed = any(
            e.kind in ("escalated", "overdue")
            and (first_resolved is None or e.at <= first_resolved)
            for e in log
        )
        ratings = [e for e in log if e.kind == "rated" and _in(e.at, start, end)]
        last_rating = str(ratings[-1].data.get("rating", "")) if ratings else ""
        open_at_end = i.status in OPEN_STATUSES
        if end is not None:
            # the state at `end`: replay the log up to it
            status_at_end = next((e.status_to for e in reversed(log) if e.at < end), i.status.value)
            open_at_end = status_at_end in {s.value for s in OPEN_STATUSES}
        settled = _in(first_resolved, start, end)
        rows.append(
            {
                "issue_id": i.issue_id,
                "station": i.station_id,
                "township": i.township_code,
                "county": "county",
                "category": i.category,
                "received": 1,
                "settled": int(settled),
                "on_time": int(settled and not missed),
                "rated": int(bool(last_rating)),
                "satisfied": int(last_rating in ("satisfied", "basic")),
                "unsatisfied": int(last_rating == "unsatisfied"),
                "reopened": int(any(e.kind == "reopened" for e in log)),
                "escalated": int(any(e.kind == "escalated" for e in log)),
                "open_backlog": int(open_at_end),
                "hours_to_acknowledge": None
                if first_ack is None
                else (first_ack - i.created_at).total_seconds() / 3600,
                "hours_to_resolve": None
                if first_resolved is None
                else (first_resolved - i.created_at).total_seconds() / 3600,
            }
        )
    return pd.DataFrame(rows)


def _rates(table: pd.DataFrame) -> pd.DataFrame:
    def ratio(a: str, b: str) -> pd.Series:
        return (table[a] / table[b].where(table[b] > 0)).round(4)

    table["settle_rate"] = ratio("settled", "received")
    table["on_time_rate"] = ratio("on_time", "settled")
    table["satisfaction_rate"] = ratio("satisfied", "rated")
    return table


def _visits(
    events: Sequence[Event], start: datetime | None, end: datetime | None, ws: Workspace | None
) -> pd.DataFrame:
    rows = [
        {"deputy": e.actor_id, "unit": e.unit}
        for e in events
        if e.kind == "acknowledged" and e.actor_role == "deputy" and _in(e.at, start, end)
    ]
    frame = pd.DataFrame(rows, columns=["deputy", "unit"])
    station = frame["unit"].str.removeprefix("station:")
    frame["station"] = station
    town = {}
    if ws is not None:
        town = dict(
            zip(
                ws.stations["station_id"].astype(str),
                ws.stations["township_code"].astype(str),
                strict=True,
            )
        )
    frame["township"] = [town.get(s, "") for s in station]
    frame["county"] = "county"
    return frame


_SUMS = [
    "received",
    "settled",
    "on_time",
    "rated",
    "satisfied",
    "unsatisfied",
    "reopened",
    "escalated",
    "open_backlog",
]


def issue_statistics(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "station",
) -> pd.DataFrame:
    """Statistics per unit over ``[start, end)``, one row per unit (index ``unit``).

    With ``ws`` every station / township appears (zeros where nothing happened) with its
    Chinese name; ``by="deputy"`` counts each deputy's visits (报到) and the issues
    dispatched to them.

    Raises
    ------
    ValueError
        For an unknown ``by`` or a timezone-naive period bound.
    """
    if by not in _BY:
        raise ValueError(f"by={by!r}: expected one of {', '.join(_BY)}")
    _check(start, end)
    per = _per_issue(issues, events, start, end)
    visits = _visits(events, start, end, ws)
    key = by
    if by == "deputy":
        rows: list[dict[str, str]] = []
        for i in issues:
            if _in(i.created_at, start, end):
                rows.extend({"deputy": d, "issue_id": i.issue_id} for d in i.deputies)
        disp = pd.DataFrame(rows, columns=["deputy", "issue_id"])
        if not per.empty and not disp.empty:
            per = disp.merge(per.drop(columns=["county"]), on="issue_id")
        else:
            per = pd.DataFrame(columns=["deputy", *_SUMS])
    if per.empty:
        per = pd.DataFrame(columns=[key, *_SUMS, "hours_to_acknowledge", "hours_to_resolve"])
    grouped = per.groupby(key)
    table = grouped[_SUMS].sum().astype(int)
    table["mean_hours_to_acknowledge"] = (
        grouped["hours_to_acknowledge"].mean().astype(float).round(2)
    )
    table["mean_hours_to_resolve"] = grouped["hours_to_resolve"].mean().astype(float).round(2)
    if key in visits:
        table = table.join(visits.groupby(key).size().rename("deputy_visits"), how="outer")
    names = _names(ws, by)
    if names:
        table = table.reindex(table.index.union(pd.Index(list(names))))
    table[[*_SUMS, "deputy_visits"]] = (
        table.reindex(columns=[*_SUMS, "deputy_visits"]).fillna(0).astype(int)
    )
    table = _rates(table)
    table.insert(0, "name", [names.get(str(u), str(u)) for u in table.index])
    table.index.name = "unit"
    order = ["name", "received", "settled", "settle_rate", "on_time", "on_time_rate", "rated", "satisfied",
             "satisfaction_rate", "unsatisfied", "reopened", "escalated", "open_backlog",
             "mean_hours_to_acknowledge", "mean_hours_to_resolve", "deputy_visits"]  # fmt: skip
    return table[order]


def _names(ws: Workspace | None, by: str) -> dict[str, str]:
    if ws is None:
        return {}
    if by == "station":
        return dict(
            zip(ws.stations["station_id"].astype(str), ws.stations["name"].astype(str), strict=True)
        )
    if by == "township":
        return dict(
            zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
        )
    if by == "county":
        return {"county": str(ws.county["name"].iloc[0])}
    if by == "deputy" and ws.deputies is not None:
        return {}  # deputies with no issue and no visit are not listed
    return {}


def statistics_summary(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """The county's figures over the period as plain numbers (JSON-friendly)."""
    row = issue_statistics(issues, events, ws=None, start=start, end=end, by="county")
    if row.empty:
        base: dict[str, Any] = {k: 0 for k in [*_SUMS, "deputy_visits"]}
        base.update(settle_rate=None, on_time_rate=None, satisfaction_rate=None)
        base.update(mean_hours_to_acknowledge=None, mean_hours_to_resolve=None)
    else:
        r = row.iloc[0]
        base = {str(k): (None if pd.isna(v) else (int(v) if k in _SUMS or k == "deputy_visits" else float(v)))
                for k, v in r.items() if k != "name"}  # fmt: skip
    base["start"] = None if start is None else start.isoformat()
    base["end"] = None if end is None else end.isoformat()
    return base


def statistics_sheets(
    issues: Sequence[Issue],
    events: Sequence[Event],
    *,
    ws: Workspace | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Sheets for an XLSX report with Chinese headers: 汇总, 按站点, 按乡镇, 按类别, 按代表."""
    summary = statistics_summary(issues, events, ws=ws, start=start, end=end)
    sheets: dict[str, pd.DataFrame] = {
        "汇总": pd.DataFrame(
            [
                {"指标": _COLUMNS_ZH.get(k, k), "数值": v}
                for k, v in summary.items()
                if k in _COLUMNS_ZH
            ]
        )
    }
    for title, by in (
        ("按站点", "station"),
        ("按乡镇", "township"),
        ("按类别", "category"),
        ("按代表", "deputy"),
    ):
        table = issue_statistics(issues, events, ws=ws, start=start, end=end, by=by).reset_index()
        if by == "deputy" and ws is not None and ws.deputies is not None:
            names = dict(
                zip(
                    ws.deputies["deputy_id"].astype(str),
                    ws.deputies["name"].astype(str),
                    strict=True,
                )
            )
            table["name"] = table["unit"].astype(str).map(names).fillna(table["name"])
        sheets[title] = table.rename(columns=_COLUMNS_ZH)
    return sheets
