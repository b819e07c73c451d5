"""A seeded week of issues on a county, run through the real loop (no server needed).

``simulate(service, days=7, seed=...)`` plays grid workers, deputies, township and county
staff and residents against an :class:`~gridgov.issues.service.IssueService` whose clock it
controls: issues are raised where people live (grids weighted by population), the
dispatched deputies acknowledge and resolve after realistic delays (a share of them too
late, so deadlines escalate issues to the township), residents rate the results (some
不满意, which reopens), a few reports repeat a nearby open one and are merged, and the
scheduler ticks every simulated hour. Every step goes through the service, so the
statistics and events it leaves are exactly what the real service would record.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely

from gridgov._errors import ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    Merge,
    Rate,
    Resolve,
    Start,
    TransitionError,
)
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import Rating

__all__ = ["SimulationReport", "simulate"]

_DESCRIPTIONS = {
    "road": ["村道路面塌陷，电动车通行困难", "桥头护栏缺失", "路灯损坏，夜间无照明"],
    "water": ["渠道淤堵，稻田灌溉受影响", "自来水停水两天", "排涝泵站无人值守"],
    "sanitation": ["垃圾收集点满溢未清运", "河道漂浮物较多", "公厕无人保洁"],
    "safety": ["危房墙体开裂", "电线私拉乱接", "池塘边无警示标志"],
    "livelihood": ["低保申请进度咨询", "老年食堂就餐难", "医保缴费咨询"],
    "dispute": ["宅基地边界纠纷", "邻里噪音纠纷", "土地流转租金拖欠"],
    "industry": ["芥菜收购价格偏低", "冷链仓储不足", "产业补贴申报咨询"],
    "other": ["建议增设公交站点", "文化广场设施老化"],
}
_CATEGORY_P = {
    "road": 0.22,
    "water": 0.14,
    "sanitation": 0.17,
    "safety": 0.08,
    "livelihood": 0.16,
    "dispute": 0.09,
    "industry": 0.08,
    "other": 0.06,
}


@dataclass(frozen=True)
class SimulationReport:
    """What the simulated period produced."""

    start: datetime
    end: datetime
    raised: int
    merged: int
    escalated: int
    reopened: int
    issue_ids: tuple[str, ...]


def simulate(
    service: IssueService,
    *,
    start: datetime,
    days: int = 7,
    issues_per_day: float = 40.0,
    seed: int = 2024,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationReport:
    """Run ``days`` of issues through ``service`` from ``start`` (timezone-aware).

    The service's clock is ignored: every call passes the simulated time.

    Raises
    ------
    ParameterError
        If ``start`` is timezone-naive.
    """
    if start.tzinfo is None:
        raise ParameterError(
            f"start must be timezone-aware, got naive {start.isoformat()}",
            parameter="start",
            value=start.isoformat(),
        )
    rng = np.random.default_rng(seed)
    ws = service.ws
    grids = ws.grids
    if grids is None or grids.empty:
        # an invariant, not a user's error: IssueService refuses a workspace without grids
        raise RuntimeError("the workspace has no grids to raise issues in")
    pop = grids["population"].fillna(0).to_numpy(float) if "population" in grids else None
    weights = pop if pop is not None and pop.sum() > 0 else np.ones(len(grids))
    weights = weights / weights.sum()
    cats = [c for c in _CATEGORY_P if c in service.settings.issue_categories]
    cat_p = np.array([_CATEGORY_P[c] for c in cats])
    cat_p = cat_p / cat_p.sum()
    end = start + timedelta(days=days)

    counter = itertools.count()
    queue: list[tuple[datetime, int, str, tuple[object, ...]]] = []

    def push(at: datetime, kind: str, *args: object) -> None:
        heapq.heappush(queue, (at, next(counter), kind, args))

    # arrivals: a Poisson process, busier in the daytime
    t = start
    while True:
        t += timedelta(hours=float(rng.exponential(24.0 / issues_per_day)))
        if t >= end:
            break
        hour = (t.hour + 8) % 24  # China time
        if (hour < 7 or hour > 21) and rng.random() < 0.7:
            continue
        push(t, "raise")
    for h in range(days * 24 + 1):
        push(start + timedelta(hours=h), "tick")

    raised: list[str] = []
    merged = reopened = 0
    last_by_grid: dict[str, tuple[str, float, float, str]] = {}
    total = len(queue)
    done = 0
    while queue:
        at, _, kind, args = heapq.heappop(queue)
        done += 1
        if progress is not None and done % 50 == 0:
            progress(done, total)
        if at > end + timedelta(days=3):
            break
        try:
            if kind == "tick":
                service.tick(at)
            elif kind == "raise":
                gi = int(rng.choice(len(grids), p=weights))
                row = grids.iloc[gi]
                code = str(row["code"])
                cat = str(rng.choice(cats, p=cat_p))
                prev = last_by_grid.get(code)
                repeat = prev is not None and prev[3] == cat and rng.random() < 0.5
                if repeat and prev is not None:
                    lon, lat = prev[1] + rng.normal(0, 0.0004), prev[2] + rng.normal(0, 0.0004)
                else:
                    p = _random_point(row.geometry, rng)
                    lon, lat = p
                worker = Actor("grid_worker", code, str(row.get("worker_name", "") or "网格员"))
                data = NewIssue(
                    category=cat,
                    description=str(rng.choice(_DESCRIPTIONS.get(cat, ["其他问题"]))),
                    lon=float(lon),
                    lat=float(lat),
                    reporter_name="村民",
                    source="grid_worker",
                )
                res = service.raise_issue(data, worker, now=at)
                issue = res.issue
                raised.append(issue.issue_id)
                last_by_grid[code] = (issue.issue_id, float(lon), float(lat), cat)
                if res.duplicates and rng.random() < 0.8:
                    push(at + _hours(rng, 0.5, 3), "merge", issue.issue_id, res.duplicates[0][0])
                    continue
                late_ack = rng.random() < 0.08
                ack_h = _hours(rng, 3, 8) if late_ack else _hours(rng, 0.2, 3.5)
                push(at + ack_h, "acknowledge", issue.issue_id)
            elif kind == "merge":
                service.act(str(args[0]), Merge(str(args[1]), "重复反映"), _county(service), now=at)
                merged += 1
            elif kind == "acknowledge":
                issue = service.store.get_issue(str(args[0]))
                actor = _handler(service, issue)
                service.act(issue.issue_id, Acknowledge(actor.name), actor, now=at)
                service.act(issue.issue_id, Start(), actor, now=at + timedelta(minutes=30))
                late = rng.random() < 0.12
                hours = (
                    service.settings.deadline_h(issue.level or "station", issue.category, "resolve")
                    or 72.0
                )
                wait = timedelta(
                    hours=hours * float(rng.uniform(1.05, 1.4) if late else rng.uniform(0.1, 0.9))
                )
                push(at + wait, "resolve", issue.issue_id)
            elif kind == "resolve":
                issue = service.store.get_issue(str(args[0]))
                actor = _handler(service, issue)
                result = (
                    "已现场核实并协调解决"
                    if issue.level == "station"
                    else "乡镇人大主席团交办相关部门处理完毕"
                )
                service.act(issue.issue_id, Resolve(result), actor, now=at)
                push(at + _hours(rng, 2, 48), "rate", issue.issue_id)
            elif kind == "rate":
                issue = service.store.get_issue(str(args[0]))
                u = rng.random()
                rating = (
                    Rating.SATISFIED
                    if u < 0.78
                    else Rating.BASIC
                    if u < 0.92
                    else Rating.UNSATISFIED
                )
                worker = Actor("grid_worker", issue.grid_code, "网格员")
                after = service.act(issue.issue_id, Rate(rating, "群众评价"), worker, now=at)
                if after.reopened > issue.reopened:
                    reopened += 1
                    push(at + _hours(rng, 4, 30), "resolve", issue.issue_id)
        except TransitionError:
            continue  # the scheduler or a merge moved it on meanwhile: nothing to do
    escalated = sum(1 for i in raised if service.store.get_issue(i).escalations > 0)
    return SimulationReport(start, end, len(raised), merged, escalated, reopened, tuple(raised))


def _hours(rng: np.random.Generator, lo: float, hi: float) -> timedelta:
    return timedelta(hours=float(rng.uniform(lo, hi)))


def _random_point(geom: shapely.Geometry, rng: np.random.Generator) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(50):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            return float(x), float(y)
    p = geom.representative_point()
    return float(p.x), float(p.y)


def _county(service: IssueService) -> Actor:
    return Actor("county_staff", str(service.ws.county["code"].iloc[0]), "县人大代表工委")


def _handler(service: IssueService, issue: object) -> Actor:
    """Who acts at the issue's current level: a dispatched deputy, or the staff above."""
    level = getattr(issue, "level", "station")
    deputies = getattr(issue, "deputies", ())
    if level == "station" and deputies:
        d = str(deputies[0])
        return Actor("deputy", d, service.deputies.get(d, {}).get("name", ""))
    if level in ("station", "township"):
        return Actor("township_staff", str(getattr(issue, "township_code", "")), "乡镇人大主席团")
    return _county(service)
