"""Grouping deputies into stations: the inputs sorted by id, the two stages, the reasons.

:func:`group_deputies` checks its inputs (:mod:`._checks`), turns them into arrays sorted
by id, places industry deputies and then everyone else by solving one transportation
problem per stage (:mod:`._flow`), and says in Chinese why each deputy is where they are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gridgov._arrays import Bools, Floats, Ints, Objects
from gridgov._errors import InfeasibleError, ValidationError
from gridgov.coverage.grouping._checks import problems as input_problems
from gridgov.coverage.grouping._checks import text
from gridgov.coverage.grouping._flow import Flow, solve_flow, stage_network
from gridgov.messages import text as msg
from gridgov.model import StationKind, StationTier

__all__ = ["GROUPING_COLUMNS", "group_deputies"]

log = logging.getLogger("gridgov.coverage.grouping")

#: Columns of the table :func:`group_deputies` returns, in order.
GROUPING_COLUMNS: tuple[str, ...] = (
    "deputy_id",
    "name",
    "level",
    "specialty",
    "station_before",
    "station_after",
    "travel_s",
    "nearest_station_id",
    "nearest_travel_s",
    "moved",
    "reason",
)


# Equal travel within this many seconds counts as a tie in the reasons.
_TIE_S = 0.05


def _minutes(seconds: float) -> str:
    return msg("report.group.minutes", m=seconds / 60.0)


def _column(frame: pd.DataFrame, name: str) -> Objects:
    if name in frame.columns:
        return text(frame[name]).to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


@dataclass(frozen=True)
class _Stations:
    """Stations sorted by id: positions ``0..n-1``, bounds, and industry codes."""

    key: Objects
    original: Objects
    label: list[str]
    industry: Objects
    is_industry: Bools
    domain: Ints  # code of the station's industry; -1 for regional stations
    industries: list[str]
    lo: Ints
    hi: Ints

    @property
    def n(self) -> int:
        return int(self.key.size)

    @classmethod
    def from_frame(
        cls, stations: pd.DataFrame, min_per_station: int, max_per_station: int
    ) -> _Stations:
        key = _column(stations, "station_id")
        order = np.argsort(key.astype(str), kind="stable")
        kind = text(stations["kind"]).map(lambda v: StationKind.parse(v).value)
        is_industry = (kind == StationKind.INDUSTRY.value).to_numpy(dtype=bool)[order]
        industry = _column(stations, "industry")[order]
        industry[~is_industry] = None
        codes, uniques = pd.factorize(pd.Series(industry, dtype=object))
        names = _column(stations, "name")[order]
        lo = np.full(len(stations), min_per_station, dtype=np.int64)
        if "tier" in stations.columns:
            # A service post (代表服务岗) is one deputy's own post: no reception rota to fill.
            tier = text(stations["tier"]).map(lambda v: v and StationTier.parse(v).value)
            lo[(tier == StationTier.POST.value).to_numpy(dtype=bool)] = 0
        return cls(
            key=key[order],
            original=stations["station_id"].to_numpy(dtype=object)[order],
            label=[str(n if n is not None else k) for n, k in zip(names, key[order], strict=True)],
            industry=industry,
            is_industry=is_industry,
            domain=np.asarray(codes, dtype=np.int64),
            industries=[str(u) for u in uniques],
            lo=lo[order],
            hi=np.full(len(stations), max_per_station, dtype=np.int64),
        )

    def index(self, keys: Objects) -> Ints:
        """Positions of station ids (-1 for None or unknown)."""
        return np.asarray(pd.Index(self.key).get_indexer(pd.Index(keys)), dtype=np.int64)


@dataclass(frozen=True)
class _Deputies:
    """Deputies sorted by id; ``order[i]`` is the caller's row of position ``i``."""

    order: Ints
    key: Objects
    specialty: Objects
    before_key: Objects
    before: Ints  # current station position, -1 if none
    domain: Ints  # code of the industry named by the specialty, -1 if none

    @property
    def n(self) -> int:
        return int(self.key.size)

    @classmethod
    def from_frame(cls, deputies: pd.DataFrame, sta: _Stations) -> _Deputies:
        key = _column(deputies, "deputy_id")
        order = np.argsort(key.astype(str), kind="stable").astype(np.int64)
        specialty = _column(deputies, "specialty")[order]
        before_key = _column(deputies, "station_id")[order]
        domain = pd.Index(sta.industries).get_indexer(pd.Index(specialty))
        return cls(
            order=order,
            key=key[order],
            specialty=specialty,
            before_key=before_key,
            before=sta.index(before_key),
            domain=np.asarray(domain, dtype=np.int64),
        )


@dataclass(frozen=True)
class _Arcs:
    """The listed, finite pairs of the travel table, as deputy and station positions."""

    dep: Ints
    sta: Ints
    cost: Floats
    n_sta: int

    @classmethod
    def from_frame(cls, costs: pd.DataFrame, dep: _Deputies, sta: _Stations) -> _Arcs:
        value = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=float)
        listed = np.isfinite(value)
        origin = pd.Index(_column(costs, "origin_id")[listed])
        destination = _column(costs, "destination_id")[listed]
        return cls(
            dep=np.asarray(pd.Index(dep.key).get_indexer(origin), dtype=np.int64),
            sta=sta.index(destination),
            cost=value[listed],
            n_sta=sta.n,
        )

    def lookup(self, d: Ints, s: Ints) -> Floats:
        """Listed cost of each pair ``(d[i], s[i])``; NaN where not listed."""
        table = pd.Series(self.cost, index=self.dep * self.n_sta + self.sta)
        return np.asarray(table.reindex(d * self.n_sta + s).to_numpy(dtype=float))


def _pick(values: Objects, positions: Ints) -> Objects:
    """``values[positions]``, None where a position is -1."""
    out = np.full(positions.size, None, dtype=object)
    ok = positions >= 0
    out[ok] = values[positions[ok]]
    return out


def _local(members: Ints, size: int) -> Ints:
    """Map from global positions to positions within ``members`` (-1 outside)."""
    out = np.full(size, -1, dtype=np.int64)
    out[members] = np.arange(members.size)
    return out


# --- the two stages ------------------------------------------------------------------------------


def _industry_stage(
    dep: _Deputies, sta: _Stations, arcs: _Arcs, unreachable_cost: float | None
) -> tuple[Ints, Bools, Bools, Bools, Flow]:
    """Stage 1: industry deputies to their industry's stations (see the package docstring)."""
    before_ok = np.clip(dep.before, 0, None)
    pinned = (dep.before >= 0) & sta.is_industry[before_ok] if sta.n else dep.before >= 0
    matched = ~pinned & (dep.domain >= 0)
    ind_sta = np.flatnonzero(sta.is_industry)
    own = matched[arcs.dep] & (sta.domain[arcs.sta] == dep.domain[arcs.dep])
    d, s, c = arcs.dep[own], arcs.sta[own], arcs.cost[own]
    if unreachable_cost is not None:
        # Unlisted pairs with the stations of the deputy's own industry, at the given cost.
        md = np.flatnonzero(matched)
        targets = [ind_sta[sta.domain[ind_sta] == dep.domain[i]] for i in md]
        dd = np.repeat(md, [t.size for t in targets]).astype(np.int64)
        ss = np.concatenate(targets).astype(np.int64) if md.size else dd
        new = ~np.isin(dd * sta.n + ss, d * sta.n + s)
        d, s = np.r_[d, dd[new]], np.r_[s, ss[new]]
        c = np.r_[c, np.full(int(new.sum()), unreachable_cost)]
    members = np.unique(d)
    pinned_load = np.bincount(dep.before[pinned], minlength=sta.n)[ind_sta]
    flow = solve_flow(
        stage_network(
            _local(members, dep.n)[d],
            _local(ind_sta, sta.n)[s],
            c,
            dep.before[d] == s,
            n_dep=members.size,
            n_sta=ind_sta.size,
            lo=np.clip(sta.lo[ind_sta] - pinned_load, 0, None),
            hi=np.clip(sta.hi[ind_sta] - pinned_load, 0, None),
            hub_cost_s=None,
            deputy_slack=True,
            overflow=False,
        )
    )
    after = np.where(pinned, dep.before, -1)
    joined = flow.station >= 0
    after[members[joined]] = ind_sta[flow.station[joined]]
    full = np.zeros(dep.n, dtype=bool)
    full[members[~joined]] = True
    unreachable = matched.copy()
    unreachable[members] = False
    return after, pinned, full, unreachable, flow


def _regional_stage(
    dep: _Deputies,
    sta: _Stations,
    arcs: _Arcs,
    unreachable_cost: float | None,
    after: Ints,
    pinned: Bools,
) -> tuple[Ints, Bools, Flow]:
    """Stage 2: everyone else to regional stations, least travel within the bounds."""
    pool = ~pinned & (after < 0)
    reg_sta = np.flatnonzero(~sta.is_industry)
    hub = sta.n  # global position of the hub
    on = pool[arcs.dep] & ~sta.is_industry[arcs.sta]
    d, s, c = arcs.dep[on], arcs.sta[on], arcs.cost[on]
    if unreachable_cost is not None and reg_sta.size:
        # Staying put at the unreachable cost (so that ties favour it), else via the hub.
        stay = np.flatnonzero(pool & (dep.before >= 0))
        stay = stay[~np.isin(stay * sta.n + dep.before[stay], d * sta.n + s)]
        anyone = np.flatnonzero(pool)
        d = np.r_[d, stay, anyone]
        s = np.r_[s, dep.before[stay], np.full(anyone.size, hub)]
        c = np.r_[c, np.full(stay.size + anyone.size, unreachable_cost)]
    members = np.unique(d)
    after = after.copy()
    kept = pool.copy()
    kept[members] = False
    after[kept] = dep.before[kept]  # nothing reachable: they keep their station
    kept_load = np.bincount(after[kept & (after >= 0)], minlength=sta.n)[reg_sta]
    station_local = np.full(sta.n + 1, -1, dtype=np.int64)
    station_local[reg_sta] = np.arange(reg_sta.size)
    station_local[hub] = reg_sta.size
    flow = solve_flow(
        stage_network(
            _local(members, dep.n)[d],
            station_local[s],
            c,
            dep.before[d] == s,
            n_dep=members.size,
            n_sta=reg_sta.size,
            lo=np.clip(sta.lo[reg_sta] - kept_load, 0, None),
            hi=np.clip(sta.hi[reg_sta] - kept_load, 0, None),
            hub_cost_s=unreachable_cost,
            deputy_slack=False,
            overflow=True,
        )
    )
    direct = (flow.station >= 0) & (flow.station < reg_sta.size)
    after[members[direct]] = reg_sta[flow.station[direct]]
    # Deputies through the hub are interchangeable: pair them in id order with its outflow.
    through = members[flow.station == reg_sta.size]
    if through.size:
        after[through] = np.repeat(reg_sta, flow.hub_inflow)[: through.size]
    via_hub = np.zeros(dep.n, dtype=bool)
    via_hub[through] = True
    return after, via_hub, flow


def _nearest(
    dep: _Deputies, sta: _Stations, arcs: _Arcs, domain: Ints, travel: Floats
) -> tuple[Ints, Floats, Ints]:
    """Nearest station each deputy could be grouped into, its travel, and how many
    such stations are strictly nearer than the one chosen."""
    ok = domain[arcs.dep] == sta.domain[arcs.sta]
    d, s, c = arcs.dep[ok], arcs.sta[ok], arcs.cost[ok]
    order = np.lexsort((s, c, d))
    d, s, c = d[order], s[order], c[order]
    first = np.r_[True, d[1:] != d[:-1]] if d.size else np.zeros(0, dtype=bool)
    nearest = np.full(dep.n, -1, dtype=np.int64)
    nearest_s = np.full(dep.n, np.nan)
    nearest[d[first]] = s[first]
    nearest_s[d[first]] = c[first]
    closer = np.bincount(d[c < travel[d] - _TIE_S], minlength=dep.n).astype(np.int64)
    return nearest, nearest_s, closer


def group_deputies(
    deputies: pd.DataFrame,
    stations: pd.DataFrame,
    costs: pd.DataFrame,
    *,
    min_per_station: int = 3,
    max_per_station: int = 60,
    unreachable_cost: float | None = None,
    on_shortfall: Literal["relax", "raise"] = "relax",
) -> pd.DataFrame:
    """就近编组进站: put every deputy in a station by road travel from home.

    Industry deputies keep to their industry's station; everyone else goes to a regional
    station, least total travel first, keeping every regional station between
    ``min_per_station`` and ``max_per_station`` deputies. The rules, the relaxation when
    the bounds cannot all be met are in the docstring of :mod:`gridgov.coverage.grouping`,
    the algorithm in :mod:`gridgov.coverage.grouping._flow`.

    Parameters
    ----------
    deputies : DataFrame
        One row per deputy: ``deputy_id`` (required), ``name``, ``level``, ``specialty``,
        ``station_id`` (current station; may be absent or null).
    stations : DataFrame
        One row per station: ``station_id`` and ``kind`` (``regional``/``industry``, or
        区域/行业) required; ``name``; ``industry`` (required for industry stations);
        ``tier`` (a service post, 代表服务岗, has no minimum).
    costs : DataFrame
        Long-form travel table from :mod:`gridgov.routing`: ``origin_id`` (deputy id),
        ``destination_id`` (station id), ``cost`` (seconds). May be sparse: a pair that is
        not listed, or whose cost is infinite, is unreachable.
    min_per_station : int, default 3
        Fewest deputies a station needs for its reception rota (接待轮值).
    max_per_station : int, default 60
        Most deputies a station takes.
    unreachable_cost : float, optional
        Seconds charged for a pair not in ``costs``, so that a deputy beyond the table's
        cutoff can still be placed anywhere (their ``travel_s`` stays NaN). At least the
        largest listed cost. Default: unlisted pairs are impossible.
    on_shortfall : {"relax", "raise"}, default "relax"
        When the regional bounds cannot all be met: relax them (fewest deputies over a
        maximum, then fewest seats short of a minimum) and report it, or raise.

    Returns
    -------
    DataFrame
        Aligned to ``deputies.index``, columns :data:`GROUPING_COLUMNS`: ``deputy_id, name,
        level, specialty``, ``station_before``, ``station_after`` (missing only if the
        deputy reaches no station and had none), ``travel_s`` (to ``station_after``; NaN
        without a listed route), ``nearest_station_id`` and ``nearest_travel_s`` (nearest
        station the deputy could be grouped into: regional, or their industry's),
        ``moved`` and ``reason`` (Chinese, e.g. ``"就近编组：距离最近（8.2分钟）"``).
        ``attrs`` holds ``shortfall`` and ``overflow`` (regional station id -> deputies
        short of the minimum / over the maximum), ``industry_shortfall``,
        ``industry_overflow``, and ``solve`` (seconds, LP solves, pairs used).

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, missing or duplicate ids, ids in ``costs``
        or a deputy's ``station_id`` not in the tables, missing or negative costs, pairs
        listed twice, unknown station kinds or tiers, an industry station without
        ``industry``, ``min_per_station > max_per_station`` or another bad option.
    InfeasibleError
        With ``on_shortfall="raise"``, naming every regional station left short of
        ``min_per_station`` or over ``max_per_station``, and by how much.
    """
    problems = input_problems(
        deputies,
        stations,
        costs,
        min_per_station,
        max_per_station,
        unreachable_cost,
        on_shortfall,
    )
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context="group_deputies")
    t0 = time.perf_counter()
    ceiling = None if unreachable_cost is None else float(unreachable_cost)
    sta = _Stations.from_frame(stations, int(min_per_station), int(max_per_station))
    dep = _Deputies.from_frame(deputies, sta)
    arcs = _Arcs.from_frame(costs, dep, sta)

    after, pinned, full, no_route, flow1 = _industry_stage(dep, sta, arcs, ceiling)
    after, via_hub, flow2 = _regional_stage(dep, sta, arcs, ceiling, after, pinned)
    seconds = time.perf_counter() - t0

    has = after >= 0
    station_of = np.clip(after, 0, None)
    travel = np.full(dep.n, np.nan)
    travel[has] = arcs.lookup(np.flatnonzero(has), after[has])
    in_industry = has & sta.is_industry[station_of] if sta.n else has
    domain = np.where(in_industry, sta.domain[station_of] if sta.n else -1, -1)
    nearest, nearest_s, closer = _nearest(dep, sta, arcs, domain, travel)
    load = np.bincount(after[has], minlength=sta.n)
    short = {int(s): int(sta.lo[s] - load[s]) for s in np.flatnonzero(load < sta.lo)}
    over = {int(s): int(load[s] - sta.hi[s]) for s in np.flatnonzero(load > sta.hi)}

    def named(found: dict[int, int], industry: bool) -> dict[str, int]:
        return {str(sta.key[s]): n for s, n in found.items() if sta.is_industry[s] == industry}

    if on_shortfall == "raise" and (named(short, False) or named(over, False)):
        parts = [
            f"{sta.key[s]} {sta.label[s]}: {load[s]} deputies, {n} short of the minimum {sta.lo[s]}"
            for s, n in short.items()
            if not sta.is_industry[s]
        ] + [
            f"{sta.key[s]} {sta.label[s]}: {load[s]} deputies, {n} over the maximum {sta.hi[s]}"
            for s, n in over.items()
            if not sta.is_industry[s]
        ]
        raise InfeasibleError(
            f"cannot keep every regional station between {min_per_station} and "
            f"{max_per_station} deputies with the travel table given: " + "; ".join(parts)
        )

    reasons = _reasons(
        sta=sta,
        dep=dep,
        after=after,
        travel=travel,
        nearest=nearest,
        nearest_s=nearest_s,
        closer=closer,
        load=load,
        pinned=pinned,
        industry_full=full,
        industry_unreachable=no_route,
        via_hub=via_hub,
        unreachable_cost=ceiling,
    )
    back = np.empty(dep.n, dtype=np.int64)
    back[dep.order] = np.arange(dep.n)

    def given(name: str) -> NDArray[Any]:
        if name in deputies.columns:
            return deputies[name].to_numpy(dtype=object)
        return np.full(dep.n, None, dtype=object)

    out = pd.DataFrame(
        {
            "deputy_id": given("deputy_id"),
            "name": given("name"),
            "level": given("level"),
            "specialty": given("specialty"),
            "station_before": dep.before_key[back],
            "station_after": _pick(sta.original, after)[back],
            "travel_s": travel[back],
            "nearest_station_id": _pick(sta.original, nearest)[back],
            "nearest_travel_s": nearest_s[back],
            "moved": (dep.before != after)[back],
            "reason": np.asarray(reasons, dtype=object)[back],
        },
        index=deputies.index,
    )
    out.attrs = {
        "shortfall": named(short, False),
        "overflow": named(over, False),
        "industry_shortfall": named(short, True),
        "industry_overflow": named(over, True),
        "solve": {
            "seconds": round(seconds, 3),
            "lp_solves": flow1.lp_solves + flow2.lp_solves,
            "pairs_used": flow1.arcs_used + flow2.arcs_used,
            "pairs_listed": int(arcs.cost.size),
        },
    }
    log.info(
        "group_deputies: %d deputies, %d moved, %d regional station(s) short of %d, "
        "%d over %d; solved in %.2f s",
        dep.n,
        int(out["moved"].sum()),
        len(out.attrs["shortfall"]),
        min_per_station,
        len(out.attrs["overflow"]),
        max_per_station,
        seconds,
    )
    for key, n in out.attrs["shortfall"].items():
        log.warning("station %s is %d deputies short of the minimum %d", key, n, min_per_station)
    for key, n in out.attrs["overflow"].items():
        log.warning("station %s is %d deputies over the maximum %d", key, n, max_per_station)
    return out


# --- why each deputy is where they are -------------------------------------------------------


def _reasons(
    *,
    sta: _Stations,
    dep: _Deputies,
    after: Ints,
    travel: Floats,
    nearest: Ints,
    nearest_s: Floats,
    closer: Ints,
    load: Ints,
    pinned: Bools,
    industry_full: Bools,
    industry_unreachable: Bools,
    via_hub: Bools,
    unreachable_cost: float | None,
) -> list[str]:
    """One short sentence per deputy (in the current language) saying why they are where
    they are."""
    out: list[str] = []
    for i in range(dep.n):
        a, b, n = int(after[i]), int(dep.before[i]), int(nearest[i])
        if a < 0:
            out.append(msg("report.group.unplaced"))
            continue
        routed = bool(np.isfinite(travel[i]))
        detour = n >= 0 and n != a and routed and closer[i] > 0
        if pinned[i]:
            text = msg("report.group.industry_stays", industry=sta.industry[a])
        elif sta.is_industry[a]:
            if a == b:
                text = msg("report.group.industry_stays", industry=sta.industry[a])
            else:
                here = msg("report.group.here", minutes=_minutes(travel[i])) if routed else ""
                text = msg("report.group.industry_by_specialty", industry=sta.industry[a],
                           here=here)  # fmt: skip
            if detour:
                text += msg("report.reason.sep") + _why(
                    i, a, n, sta, travel, nearest_s, closer, load
                )
        else:
            if not routed:
                text = (
                    msg("report.group.no_road_stays")
                    if a == b
                    else msg("report.group.no_road_placed",
                             minutes=_minutes(unreachable_cost or 0.0), station=sta.label[a])
                )  # fmt: skip
            elif detour:
                text = _why(i, a, n, sta, travel, nearest_s, closer, load)
            else:
                text = msg("report.group.nearest", minutes=_minutes(travel[i]))
            if industry_full[i]:
                cap = sta.hi[sta.domain == dep.domain[i]]
                text = msg("report.group.industry_full", specialty=dep.specialty[i],
                           cap=int(cap.min()), rest=text)  # fmt: skip
            elif industry_unreachable[i]:
                text = msg("report.group.industry_unreachable", specialty=dep.specialty[i],
                           rest=text)  # fmt: skip
        if load[a] < sta.lo[a]:
            text += msg("report.group.under", load=load[a], lo=sta.lo[a])
        elif load[a] > sta.hi[a]:
            text += msg("report.group.over", load=load[a], hi=sta.hi[a])
            if not pinned[i] and not via_hub[i]:
                text += msg("report.group.all_full")
        out.append(text)
    return out


def _why(
    i: int,
    a: int,
    n: int,
    sta: _Stations,
    travel: Floats,
    nearest_s: Floats,
    closer: Ints,
    load: Ints,
) -> str:
    """Why deputy ``i`` is at station ``a`` rather than at its nearest station ``n``."""
    extra = _minutes(travel[i] - nearest_s[i])
    if load[n] >= sta.hi[n]:
        which = (
            msg("report.group.second")
            if closer[i] == 1
            else msg("report.group.nth", k=int(closer[i]) + 1)
        )
        return msg("report.group.nearest_full", station=sta.label[n], hi=sta.hi[n],
                   which=which, extra=extra)  # fmt: skip
    if load[a] <= sta.lo[a]:
        return msg("report.group.for_rota", station=sta.label[a], lo=sta.lo[a], extra=extra)
    return msg("report.group.balance", extra=extra)
