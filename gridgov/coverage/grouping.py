"""就近编组进站: assign every deputy to a liaison station by road travel from home.

:func:`group_deputies` reads the deputies, the stations and the long-form
``(origin_id, destination_id, cost)`` travel table that :mod:`gridgov.routing` produces and
returns, for every deputy, the station they belong to and why. It works in two stages.

1. **Industry** (行业站点). A deputy already in an industry station stays there. A deputy whose
   ``specialty`` equals an industry station's ``industry`` goes to the nearest station of
   that industry. Industry stations' minimum and maximum apply *where they can*: members
   who would push a station past its maximum fall back, farthest first, to the regional
   grouping; a minimum is met only from the industry's own deputies (nobody is drafted into
   an industry they do not work in).
2. **Regional** (区域站点). Everyone else is grouped so that total travel is least while every
   regional station keeps between ``min_per_station`` (the reception rota, 接待轮值) and
   ``max_per_station`` deputies. Where that cannot be done (too few deputies within reach of
   a station, or too many deputies whose reachable stations are all full) the bounds are
   relaxed lexicographically: first the fewest deputies over a maximum, then the fewest
   seats short of a minimum, then the least travel; every relaxation is reported in the
   affected deputies' ``reason``, in ``attrs`` and in the log. ``on_shortfall="raise"``
   raises :class:`~gridgov._errors.InfeasibleError` instead, naming the stations.

Algorithm: each stage is a transportation problem (a min-cost flow, so its linear
programme is totally unimodular and every vertex is integral) solved with HiGHS dual
simplex through :func:`scipy.optimize.linprog`, by column generation: the LP starts with
each deputy's two nearest stations and prices every other listed pair against the duals
until none would lower the objective, which proves optimality over the whole table. The
lexicographic relaxation is exact: a first LP (phase A) minimises only the weighted
violations; its duals, by complementary slackness, fix every variable and bound that
every phase-A optimum must share; a second LP (phase B) minimises travel over what is
left. Costs enter both phases as integers (tenths of a second, scaled to leave room for
tie-breaking), so reduced costs are integers and the optimality tests cannot be fooled by
rounding. Ties in travel are broken towards the deputy's current station, then the lower
station id (exactly where the integer range allows, i.e. up to a few hundred stations
per stage; beyond that, towards the current station only). The result depends only on
the data, not on row order.

Measured on one core (synthetic instances in ``bench/``-style: deputies clustered round
stations, travel at 15 km/h, min 3, max 60), wall time of the solve:

================================  =========  ========================  =============
instance                          pairs      solver                    time
================================  =========  ========================  =============
county: 1,100 x 97, dense table   106,700    networkx.network_simplex  3.9 s
                                             linprog (HiGHS), all arcs 0.4 s
                                             this module's solve       0.04 s
province: 90,000 x 6,700, 20 NN   1,800,000  networkx.network_simplex  421 s
                                             linprog (HiGHS), all arcs 24 s (milp 14 s)
                                             this module's solve       3 s
================================  =========  ========================  =============

``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` on seat copies was not used:
60 seats per station make the province table 108 million edges.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

from gridgov._errors import InfeasibleError, Problem, ValidationError
from gridgov.model import StationKind, StationTier

__all__ = ["GROUPING_COLUMNS", "group_deputies"]

log = logging.getLogger(__name__)

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

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

# Nearest stations each deputy starts with in the column generation; more are priced in.
_START_ARCS = 2
# Travel enters the LP in tenths of a second; costs and ties stay integers below 2**51 in
# total so the simplex's floating point arithmetic on them is exact.
_UNIT_S = 0.1
_EXACT = float(2**51)
# Equal travel within this many seconds counts as a tie in the reasons.
_TIE_S = 0.05


# --- the assignment problem of one stage ------------------------------------------------------


@dataclass(frozen=True)
class _Network:
    """One stage as a transportation problem (a min-cost flow).

    Deputies are ``0..n_dep-1`` and each takes exactly one unit; stations are
    ``0..n_sta-1`` and receive between ``lo`` and ``hi`` units. Arcs are sorted by deputy,
    then cost. ``arc_sta == n_sta`` marks an arc into the *hub*, a node from which station
    ``s`` is reached at ``hub_cost[s]``: how ``unreachable_cost`` reaches every station
    without a dense table. Costs are integer-valued. ``deputy_slack`` lets a deputy stay
    unassigned (industry stage: fall back to regional); ``overflow`` lets a station take
    more than ``hi``. Both are penalised in phase A, as is every unit short of ``lo``.
    """

    n_dep: int
    n_sta: int
    arc_dep: Ints
    arc_sta: Ints
    arc_cost: Floats
    lo: Ints
    hi: Ints
    hub_cost: Floats | None
    deputy_slack: bool
    overflow: bool


@dataclass(frozen=True)
class _Flow:
    """A solved :class:`_Network`: station per deputy (-1: unassigned; n_sta: the hub)."""

    station: Ints
    hub_inflow: Ints
    lp_solves: int
    arcs_used: int


@dataclass(frozen=True)
class _Extras:
    """Costs and bounds of the non-arc columns: deputy slack | hub->station | short | over."""

    cost: Floats
    lower: Floats
    upper: Floats


class _ColumnGeneration:
    """Solve a :class:`_Network` lexicographically by column generation over its arcs."""

    def __init__(self, net: _Network) -> None:
        self.net = net
        self.hub = net.hub_cost is not None
        self.n_u = net.n_dep if net.deputy_slack else 0
        self.n_h = net.n_sta if self.hub else 0
        self.n_z = net.n_sta if net.overflow else 0
        self.n_extra = self.n_u + self.n_h + net.n_sta + self.n_z
        self.solves = 0

    def _matrices(self, active: Ints) -> tuple[sp.csr_array, sp.csr_array]:
        """Equality rows (deputies, hub) and the station load rows, as ``load`` and ``-load``."""
        net = self.net
        na = active.size
        a_dep, a_sta = net.arc_dep[active], net.arc_sta[active]
        to_hub = a_sta == net.n_sta
        n_hub_arcs = int(to_hub.sum())
        cols = np.arange(na)
        u0, h0 = na, na + self.n_u
        y0 = h0 + self.n_h
        z0 = y0 + net.n_sta
        n_cols = na + self.n_extra
        eq_rows = [a_dep, np.full(n_hub_arcs, net.n_dep)]
        eq_cols = [cols, cols[to_hub]]
        eq_vals = [np.ones(na), np.ones(n_hub_arcs)]
        if self.n_u:
            eq_rows.append(np.arange(net.n_dep))
            eq_cols.append(u0 + np.arange(self.n_u))
            eq_vals.append(np.ones(self.n_u))
        if self.n_h:
            eq_rows.append(np.full(self.n_h, net.n_dep))
            eq_cols.append(h0 + np.arange(self.n_h))
            eq_vals.append(-np.ones(self.n_h))
        a_eq = sp.csr_array(
            (np.concatenate(eq_vals), (np.concatenate(eq_rows), np.concatenate(eq_cols))),
            shape=(net.n_dep + int(self.hub), n_cols),
        )
        stations = np.arange(net.n_sta)
        ld_rows = [a_sta[~to_hub], stations]
        ld_cols = [cols[~to_hub], y0 + stations]
        ld_vals = [np.ones(na - n_hub_arcs), np.ones(net.n_sta)]
        if self.n_h:
            ld_rows.append(stations)
            ld_cols.append(h0 + stations)
            ld_vals.append(np.ones(net.n_sta))
        if self.n_z:
            ld_rows.append(stations)
            ld_cols.append(z0 + stations)
            ld_vals.append(-np.ones(net.n_sta))
        load = sp.csr_array(
            (np.concatenate(ld_vals), (np.concatenate(ld_rows), np.concatenate(ld_cols))),
            shape=(net.n_sta, n_cols),
        )
        return a_eq, sp.vstack([load, -load]).tocsr()

    def _lp(
        self,
        active: Ints,
        arc_cost: Floats,
        arc_lower: Floats,
        extras: _Extras,
        b_lo: Floats,
        b_hi: Floats,
    ) -> tuple[Floats, Floats, Floats, Floats]:
        """Solve over ``active`` arcs: primal x, equality duals, load-row duals, column rcs."""
        net = self.net
        a_eq, a_ub = self._matrices(active)
        cost = np.concatenate([arc_cost[active], extras.cost])
        bounds = np.column_stack(
            [
                np.concatenate([arc_lower[active], extras.lower]),
                np.concatenate([np.ones(active.size), extras.upper]),
            ]
        )
        res = linprog(
            cost,
            A_ub=a_ub,
            b_ub=np.concatenate([b_hi, -b_lo]),
            A_eq=a_eq,
            b_eq=np.r_[np.ones(net.n_dep), np.zeros(int(self.hub))],
            bounds=bounds,
            method="highs-ds",
        )
        self.solves += 1
        if res.status != 0:  # pragma: no cover - slacks keep every LP built here feasible
            raise InfeasibleError(f"grouping LP failed: {res.message}")
        m_eq = np.asarray(res.eqlin.marginals, dtype=float)
        m_ub = np.asarray(res.ineqlin.marginals, dtype=float)
        rc = cost - a_eq.T @ m_eq - a_ub.T @ m_ub
        return np.asarray(res.x, dtype=float), m_eq, m_ub, np.asarray(rc, dtype=float)

    def _price(self, arc_cost: Floats, m_eq: Floats, m_ub: Floats) -> Floats:
        """Reduced cost of every arc, in the LP or not."""
        net = self.net
        load_dual = m_ub[: net.n_sta] - m_ub[net.n_sta :]
        hub = net.arc_sta == net.n_sta
        head = np.where(
            hub, m_eq[-1] if self.hub else 0.0, load_dual[np.where(hub, 0, net.arc_sta)]
        )
        return np.asarray(arc_cost - m_eq[net.arc_dep] - head, dtype=float)

    def _generate(
        self,
        active: Bools,
        eligible: Bools,
        arc_cost: Floats,
        arc_lower: Floats,
        extras: _Extras,
        b_lo: Floats,
        b_hi: Floats,
    ) -> tuple[Bools, Floats, Floats, Floats, Floats]:
        """Add arcs with negative reduced cost until there are none: optimal on all arcs."""
        active = active & eligible
        while True:
            active_at = np.flatnonzero(active)
            x, m_eq, m_ub, rc = self._lp(active_at, arc_cost, arc_lower, extras, b_lo, b_hi)
            # Integer costs and a unimodular basis make every dual an integer: 0.5 is safe.
            enter = eligible & ~active & (self._price(arc_cost, m_eq, m_ub) < -0.5)
            if not enter.any():
                return active, x, m_eq, m_ub, rc
            active = active | enter

    def solve(self) -> _Flow:
        net = self.net
        n_arcs = net.arc_dep.size
        lo, hi = net.lo.astype(float), net.hi.astype(float)
        # Phase A: only violations cost. One deputy left over (or over a maximum) outweighs
        # all seats short of a minimum together, so the weighted optimum is lexicographic.
        heavy = float(net.lo.sum() + 1)
        upper = np.r_[np.ones(self.n_u), np.full(self.n_h, np.inf), lo, np.full(self.n_z, np.inf)]
        lower = np.zeros(self.n_extra)
        phase_a = _Extras(
            np.r_[
                np.full(self.n_u, heavy),
                np.zeros(self.n_h),
                np.ones(net.n_sta),
                np.full(self.n_z, heavy),
            ],
            lower,
            upper,
        )
        start = _first_arcs(net, _START_ARCS)
        everything = np.ones(n_arcs, dtype=bool)
        zero = np.zeros(n_arcs)
        active, _, m_eq, m_ub, rc = self._generate(start, everything, zero, zero, phase_a, lo, hi)
        # Complementary slackness with the phase-A duals: a column with a positive reduced
        # cost is at its lower bound in every phase-A optimum (negative: at its upper), and a
        # load row with a nonzero dual is at that bound. Phase B keeps to these.
        rc_arcs = self._price(zero, m_eq, m_ub)
        eligible = rc_arcs < 0.5
        forced = np.where(rc_arcs < -0.5, 1.0, 0.0)
        rc_extra = rc[int(active.sum()) :]
        b_lo, b_hi = lo.copy(), hi.copy()
        at_hi = m_ub[: net.n_sta] < -0.5
        at_lo = m_ub[net.n_sta :] < -0.5
        b_lo[at_hi] = hi[at_hi]
        b_hi[at_lo] = lo[at_lo]
        hub_cost = net.hub_cost if net.hub_cost is not None else np.zeros(0)
        phase_b = _Extras(
            np.r_[np.zeros(self.n_u), hub_cost, np.zeros(net.n_sta + self.n_z)],
            np.where(rc_extra < -0.5, upper, lower),
            np.where(rc_extra > 0.5, lower, upper),
        )
        active, x, *_ = self._generate(active, eligible, net.arc_cost, forced, phase_b, b_lo, b_hi)
        used = np.flatnonzero(active)
        chosen = used[x[: used.size] > 0.5]
        station = np.full(net.n_dep, -1, dtype=np.int64)
        station[net.arc_dep[chosen]] = net.arc_sta[chosen]
        h0 = used.size + self.n_u
        hub_inflow = np.rint(x[h0 : h0 + self.n_h]).astype(np.int64)
        return _Flow(station, hub_inflow, self.solves, int(used.size))


def _first_arcs(net: _Network, k: int) -> Bools:
    """The ``k`` cheapest arcs of each deputy (arcs come sorted by cost) and every hub arc."""
    m = net.arc_dep.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, net.arc_dep[1:] != net.arc_dep[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, m]))
    return ((np.arange(m) - first) < k) | (net.arc_sta == net.n_sta)


def _solve(net: _Network) -> _Flow:
    if net.n_dep == 0:
        return _Flow(np.zeros(0, dtype=np.int64), np.zeros(net.n_sta, dtype=np.int64), 0, 0)
    return _ColumnGeneration(net).solve()


# --- costs as integers, with ties broken by id ------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """How travel seconds become integer LP costs: ``round(s / unit) * k + tie``.

    ``tie`` is 0 for the deputy's current station and ``1 + rank`` (rank of the station
    id) otherwise when ``by_rank``; 0/1 when only staying is preferred; 0 with ``k == 1``.
    A simple cycle of the flow passes at most ``n_sta + 1`` deputies, so ``k`` above the
    largest tie change over such a cycle keeps the travel optimum exact.
    """

    unit: float
    k: float
    by_rank: bool
    stay: bool

    @classmethod
    def choose(cls, max_cost_s: float, n_dep: int, n_sta: int) -> _Scale:
        unit = max(_UNIT_S, max_cost_s / 1e7)
        base = max(max_cost_s / unit, 1.0) * max(n_dep, 1)
        nodes = n_sta + 2
        if base * (nodes * nodes + 1) < _EXACT:
            return cls(unit, float(nodes * nodes + 1), by_rank=True, stay=True)
        if base * (nodes + 1) < _EXACT:
            return cls(unit, float(nodes + 1), by_rank=False, stay=True)
        return cls(unit, 1.0, by_rank=False, stay=False)

    def arc(self, cost_s: Floats, stays: Bools, rank: Ints) -> Floats:
        base = np.rint(cost_s / self.unit) * self.k
        if self.by_rank:
            return np.asarray(base + np.where(stays, 0, 1 + rank), dtype=float)
        if self.stay:
            return np.asarray(base + np.where(stays, 0, 1), dtype=float)
        return np.asarray(base, dtype=float)

    def hub(self, cost_s: float, n_sta: int) -> tuple[float, Floats]:
        """Cost of a deputy's arc into the hub, and of the hub's arcs to each station."""
        base = float(np.rint(cost_s / self.unit) * self.k)
        if self.by_rank:
            return base + 1.0, np.arange(n_sta, dtype=float)
        return base + (1.0 if self.stay else 0.0), np.zeros(n_sta)


def _network(
    arcs: pd.DataFrame,
    n_dep: int,
    n_sta: int,
    lo: Ints,
    hi: Ints,
    *,
    scale: _Scale,
    hub_cost_s: float | None,
    deputy_slack: bool,
    overflow: bool,
) -> _Network:
    """A stage's network from local arcs ``d, s, cost, stays`` (``s == n_sta``: the hub)."""
    arcs = arcs.sort_values(["d", "cost", "s"], kind="stable")
    d = arcs["d"].to_numpy(dtype=np.int64)
    s = arcs["s"].to_numpy(dtype=np.int64)
    cost_s = arcs["cost"].to_numpy(dtype=float)
    stays = arcs["stays"].to_numpy(dtype=bool)
    cost = scale.arc(cost_s, stays, s)
    hub_cost = None
    if hub_cost_s is not None:
        into_hub, hub_cost = scale.hub(hub_cost_s, n_sta)
        cost = np.where(s == n_sta, into_hub, cost)
    return _Network(n_dep, n_sta, d, s, cost, lo, hi, hub_cost, deputy_slack, overflow)


# --- validation ---------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    """Ids and labels as stripped strings, missing or blank as None (same index)."""

    def one(v: object) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        text = str(v).strip()
        return text or None

    return values.astype(object).map(one)


def _missing_columns(frame: pd.DataFrame, layer: str, columns: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(layer, None, col, None, f"required column {col} is missing")
        for col in columns
        if col not in frame.columns
    ]


def _id_problems(ids: pd.Series, layer: str, field: str) -> list[Problem]:
    problems = []
    pos = np.arange(len(ids))
    for p in pos[ids.isna().to_numpy()]:
        problems.append(Problem(layer, int(p), field, None, f"{field} is missing"))
    first: dict[str, int] = {}
    for p, key in zip(pos, ids.tolist(), strict=True):
        if key is None:
            continue
        if key in first:
            problems.append(
                Problem(layer, int(p), field, key, f"duplicate {field} (also in row {first[key]})")
            )
        else:
            first[key] = int(p)
    return problems


def _unknown_ids(values: pd.Series, known: set[str], field: str, what: str) -> list[Problem]:
    unknown = values.notna() & ~values.isin(known)
    if not unknown.any():
        return []
    frame = pd.DataFrame({"v": values[unknown].to_numpy(), "pos": np.flatnonzero(unknown)})
    out = []
    for value, grp in frame.groupby("v", sort=True):
        n = len(grp)
        out.append(
            Problem(
                "costs",
                int(grp["pos"].iloc[0]),
                field,
                value,
                f"{what} {value} is not in the {what} table" + (f" ({n} rows)" if n > 1 else ""),
            )
        )
    return out


def _parameter_problems(
    min_per_station: object,
    max_per_station: object,
    unreachable_cost: object,
    on_shortfall: object,
) -> list[Problem]:
    problems = []

    def whole(value: object) -> bool:
        return isinstance(value, int | np.integer) and not isinstance(value, bool)

    if not whole(min_per_station) or int(min_per_station) < 0:  # type: ignore[call-overload]
        problems.append(
            Problem(
                "parameters",
                None,
                "min_per_station",
                min_per_station,
                "min_per_station must be a whole number >= 0",
            )
        )
    if not whole(max_per_station) or int(max_per_station) < 1:  # type: ignore[call-overload]
        problems.append(
            Problem(
                "parameters",
                None,
                "max_per_station",
                max_per_station,
                "max_per_station must be a whole number >= 1",
            )
        )
    if (
        whole(min_per_station)
        and whole(max_per_station)
        and int(min_per_station) > int(max_per_station)  # type: ignore[call-overload]
    ):
        problems.append(
            Problem(
                "parameters",
                None,
                "min_per_station",
                min_per_station,
                f"min_per_station {min_per_station} is above max_per_station {max_per_station}",
            )
        )
    if unreachable_cost is not None:
        ok = isinstance(unreachable_cost, int | float | np.number) and not isinstance(
            unreachable_cost, bool
        )
        if not ok or not math.isfinite(float(unreachable_cost)) or float(unreachable_cost) < 0:  # type: ignore[arg-type]
            problems.append(
                Problem(
                    "parameters",
                    None,
                    "unreachable_cost",
                    unreachable_cost,
                    "unreachable_cost must be a finite number of seconds >= 0",
                )
            )
    if on_shortfall not in ("relax", "raise"):
        problems.append(
            Problem(
                "parameters",
                None,
                "on_shortfall",
                on_shortfall,
                "on_shortfall must be 'relax' or 'raise'",
            )
        )
    return problems


def _problems(
    deputies: pd.DataFrame,
    stations: pd.DataFrame,
    costs: pd.DataFrame,
    min_per_station: object,
    max_per_station: object,
    unreachable_cost: object,
    on_shortfall: object,
) -> list[Problem]:
    """Every problem with the inputs (collected, not raised)."""
    problems = _parameter_problems(min_per_station, max_per_station, unreachable_cost, on_shortfall)
    dep_cols = _missing_columns(deputies, "deputies", ("deputy_id",))
    sta_cols = _missing_columns(stations, "stations", ("station_id", "kind"))
    cost_cols = _missing_columns(costs, "costs", ("origin_id", "destination_id", "cost"))
    problems += dep_cols + sta_cols + cost_cols

    station_ids: set[str] | None = None
    if not sta_cols:
        sid = _text(stations["station_id"])
        problems += _id_problems(sid, "stations", "station_id")
        station_ids = set(sid.dropna())
        kinds = _text(stations["kind"])
        industry = (
            _text(stations["industry"])
            if "industry" in stations.columns
            else pd.Series(None, index=stations.index, dtype=object)
        )
        for p, (kind, ind) in enumerate(zip(kinds.tolist(), industry.tolist(), strict=True)):
            try:
                parsed = StationKind.parse(kind)
            except ValueError as exc:
                problems.append(Problem("stations", sid.iloc[p] or p, "kind", kind, str(exc)))
                continue
            if parsed is StationKind.INDUSTRY and ind is None:
                problems.append(
                    Problem(
                        "stations",
                        sid.iloc[p] or p,
                        "industry",
                        None,
                        "an industry station (行业站) must name its industry",
                    )
                )
        if "tier" in stations.columns:
            for p, tier in enumerate(_text(stations["tier"]).tolist()):
                if tier is None:
                    continue
                try:
                    StationTier.parse(tier)
                except ValueError as exc:
                    problems.append(Problem("stations", sid.iloc[p] or p, "tier", tier, str(exc)))

    deputy_ids: set[str] | None = None
    if not dep_cols:
        did = _text(deputies["deputy_id"])
        problems += _id_problems(did, "deputies", "deputy_id")
        deputy_ids = set(did.dropna())
        if station_ids is not None and "station_id" in deputies.columns:
            current = _text(deputies["station_id"])
            for p in np.flatnonzero(
                (current.notna() & ~current.isin(station_ids)).to_numpy()
            ).tolist():
                problems.append(
                    Problem(
                        "deputies",
                        did.iloc[p] or int(p),
                        "station_id",
                        current.iloc[p],
                        f"station {current.iloc[p]} is not in the stations table",
                    )
                )

    if not cost_cols:
        origin = _text(costs["origin_id"])
        destination = _text(costs["destination_id"])
        pos = np.arange(len(costs))
        for field, values in (("origin_id", origin), ("destination_id", destination)):
            for p in pos[values.isna().to_numpy()]:
                problems.append(Problem("costs", int(p), field, None, f"{field} is missing"))
        if deputy_ids is not None:
            problems += _unknown_ids(origin, deputy_ids, "origin_id", "deputies")
        if station_ids is not None:
            problems += _unknown_ids(destination, station_ids, "destination_id", "stations")
        value = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=float)
        for p in pos[np.isnan(value)]:
            problems.append(
                Problem("costs", int(p), "cost", costs["cost"].iloc[p], "cost is not a number")
            )
        for p in pos[value < 0]:
            problems.append(Problem("costs", int(p), "cost", float(value[p]), "cost is negative"))
        pair = pd.DataFrame({"o": origin.to_numpy(), "d": destination.to_numpy()})
        for p in pos[pair.duplicated().to_numpy()]:
            problems.append(
                Problem(
                    "costs",
                    int(p),
                    "destination_id",
                    destination.iloc[p],
                    f"pair {origin.iloc[p]} -> {destination.iloc[p]} is listed more than once",
                )
            )
        finite = value[np.isfinite(value)]
        if (
            unreachable_cost is not None
            and isinstance(unreachable_cost, int | float | np.number)
            and finite.size
            and float(unreachable_cost) < float(finite.max())
        ):
            problems.append(
                Problem(
                    "parameters",
                    None,
                    "unreachable_cost",
                    unreachable_cost,
                    f"unreachable_cost is below the largest listed cost {finite.max():.1f}: "
                    "an unreachable pair would be cheaper than a reachable one",
                )
            )
    return problems


# --- the two stages -------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.1f}分钟"


@dataclass(frozen=True)
class _Stations:
    """Stations sorted by id, with their bounds; positions are ``0..n-1``."""

    key: NDArray[np.object_]
    original: NDArray[np.object_]
    label: list[str]
    industry: NDArray[np.object_]
    is_industry: Bools
    lo: Ints
    hi: Ints

    @property
    def n(self) -> int:
        return int(self.key.size)


def _station_table(stations: pd.DataFrame, min_per_station: int, max_per_station: int) -> _Stations:
    key = _text(stations["station_id"]).to_numpy(dtype=object)
    order = np.argsort(key.astype(str), kind="stable")
    kind = _text(stations["kind"]).map(lambda v: StationKind.parse(v).value).to_numpy(dtype=object)
    industry = (
        _text(stations["industry"]).to_numpy(dtype=object)
        if "industry" in stations.columns
        else np.full(len(stations), None, dtype=object)
    )
    is_industry = kind == StationKind.INDUSTRY.value
    industry = np.where(is_industry, industry, np.array(None, dtype=object))
    names = (
        _text(stations["name"]).to_numpy(dtype=object)
        if "name" in stations.columns
        else np.full(len(stations), None, dtype=object)
    )
    label = [str(n) if n is not None else str(k) for n, k in zip(names, key, strict=True)]
    lo = np.full(len(stations), min_per_station, dtype=np.int64)
    if "tier" in stations.columns:
        # A service post (代表服务岗) is one deputy's own post: no reception rota to fill.
        tier = _text(stations["tier"]).map(lambda v: None if v is None else StationTier.parse(v))
        lo[(tier == StationTier.POST).to_numpy(dtype=bool)] = 0
    hi = np.full(len(stations), max_per_station, dtype=np.int64)
    return _Stations(
        key[order],
        stations["station_id"].to_numpy(dtype=object)[order],
        [label[i] for i in order],
        industry[order],
        is_industry[order],
        lo[order],
        hi[order],
    )


def _local_arcs(
    d: Ints, s: Ints, cost: Floats, dep_local: Ints, sta_local: Ints, stays: Bools
) -> pd.DataFrame:
    return pd.DataFrame(
        {"d": dep_local[d], "s": sta_local[s], "cost": cost, "stays": stays},
    )


def _disaggregate_hub(members: Ints, flow: _Flow, sta_global: Ints) -> tuple[Ints, Ints]:
    """Deputies routed through the hub, paired in id order with the stations it feeds."""
    if flow.hub_inflow.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    through = members[flow.station == flow.hub_inflow.size]
    targets = np.repeat(sta_global, flow.hub_inflow)
    return through, targets[: through.size]


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

    Industry deputies keep to their industry station; everyone else goes to a regional
    station, least total travel first, keeping every regional station between
    ``min_per_station`` and ``max_per_station`` deputies (see the module docstring for the
    rules and the algorithm).

    Parameters
    ----------
    deputies : DataFrame
        One row per deputy: ``deputy_id`` (required), ``name``, ``level``, ``specialty``,
        ``station_id`` (current station; may be missing or null).
    stations : DataFrame
        One row per station: ``station_id`` and ``kind`` (``regional``/``industry`` or 区域/
        行业) required; ``name``, ``industry`` (required for industry stations), ``tier``
        (a service post, 代表服务岗, has no minimum).
    costs : DataFrame
        Long-form travel table from :mod:`gridgov.routing`: ``origin_id`` (a deputy id),
        ``destination_id`` (a station id), ``cost`` (seconds). May be sparse: a pair that is
        not listed, or has an infinite cost, is unreachable.
    min_per_station : int, default 3
        Fewest deputies a station needs for its reception rota (接待轮值).
    max_per_station : int, default 60
        Most deputies a station can take.
    unreachable_cost : float, optional
        Seconds to charge for a pair not in ``costs``, so that a deputy beyond the table's
        cutoff can still be placed anywhere (their ``travel_s`` stays NaN). Must be at least
        the largest listed cost. Default: unlisted pairs are impossible.
    on_shortfall : {"relax", "raise"}, default "relax"
        What to do when the bounds of the regional stations cannot all be met: relax them
        (fewest deputies over a maximum, then fewest seats short of a minimum) and report
        it, or raise :class:`~gridgov._errors.InfeasibleError`.

    Returns
    -------
    DataFrame
        Aligned to ``deputies.index``, columns :data:`GROUPING_COLUMNS`: ``deputy_id, name,
        level, specialty, station_before, station_after`` (None if the deputy can reach no
        station and had none), ``travel_s`` (to ``station_after``; NaN without a listed
        route), ``nearest_station_id, nearest_travel_s`` (nearest station the deputy could
        be grouped into: regional, or their industry's), ``moved`` and ``reason`` (Chinese,
        e.g. ``"就近编组：距离最近（8.2分钟）"``). ``attrs`` holds ``shortfall`` and
        ``overflow`` (regional station id -> deputies short of the minimum / over the
        maximum), ``industry_shortfall``, ``industry_overflow`` and ``solve`` (seconds,
        LP solves, pairs used).

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, missing or duplicate ids, ids in ``costs``
        or a deputy's ``station_id`` not in the tables, missing or negative costs, pairs
        listed twice, unknown station kinds, an industry station without ``industry``,
        ``min_per_station > max_per_station`` or other bad options.
    InfeasibleError
        With ``on_shortfall="raise"``, naming every regional station left short of
        ``min_per_station`` or over ``max_per_station`` and by how much.
    """
    problems = _problems(
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
    sta = _station_table(stations, int(min_per_station), int(max_per_station))
    dep_key = _text(deputies["deputy_id"]).to_numpy(dtype=object)
    order = np.argsort(dep_key.astype(str), kind="stable")  # position i -> deputies row
    n_dep = len(order)
    key_sorted = dep_key[order]
    specialty = (
        _text(deputies["specialty"]).to_numpy(dtype=object)[order]
        if "specialty" in deputies.columns
        else np.full(n_dep, None, dtype=object)
    )
    before_key = (
        _text(deputies["station_id"]).to_numpy(dtype=object)[order]
        if "station_id" in deputies.columns
        else np.full(n_dep, None, dtype=object)
    )
    sta_index = pd.Index(sta.key)
    before = np.asarray(sta_index.get_indexer(pd.Index(before_key)), dtype=np.int64)
    before[pd.isna(before_key)] = -1

    value = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=float)
    listed = np.isfinite(value)
    a_dep = np.asarray(
        pd.Index(key_sorted).get_indexer(_text(costs["origin_id"]).to_numpy(dtype=object)[listed]),
        dtype=np.int64,
    )
    a_sta = np.asarray(
        sta_index.get_indexer(_text(costs["destination_id"]).to_numpy(dtype=object)[listed]),
        dtype=np.int64,
    )
    a_cost = value[listed]
    pair_cost = pd.Series(a_cost, index=a_dep * max(sta.n, 1) + a_sta)

    # --- stage 1: industry stations --------------------------------------------------------
    ind_codes, ind_names = pd.factorize(pd.Series(sta.industry, dtype=object), use_na_sentinel=True)
    sta_domain = np.where(sta.is_industry, ind_codes, -1).astype(np.int64)
    spec_code = np.asarray(pd.Index(ind_names).get_indexer(specialty), dtype=np.int64)
    spec_code[pd.isna(specialty)] = -1
    safe_before = np.clip(before, 0, None)
    pinned_ind = (before >= 0) & sta.is_industry[safe_before] if sta.n else before >= 0
    matched = ~pinned_ind & (spec_code >= 0)
    ind_sta = np.flatnonzero(sta.is_industry)
    sta_local = np.full(sta.n + 1, -1, dtype=np.int64)
    sta_local[ind_sta] = np.arange(ind_sta.size)
    on_arc = matched[a_dep] & sta.is_industry[a_sta] & (sta_domain[a_sta] == spec_code[a_dep])
    d1, s1, c1 = a_dep[on_arc], a_sta[on_arc], a_cost[on_arc]
    if unreachable_cost is not None:
        # Unlisted pairs with the stations of the deputy's own industry, at the given cost.
        by_industry = [ind_sta[sta_domain[ind_sta] == c] for c in range(len(ind_names))]
        md = np.flatnonzero(matched)
        targets_of = [by_industry[spec_code[i]] for i in md]
        dd = np.repeat(md, [t.size for t in targets_of]).astype(np.int64)
        ss = np.concatenate(targets_of).astype(np.int64) if md.size else dd
        new = ~np.isin(dd * sta.n + ss, d1 * sta.n + s1)
        d1 = np.r_[d1, dd[new]]
        s1 = np.r_[s1, ss[new]]
        c1 = np.r_[c1, np.full(int(new.sum()), float(unreachable_cost))]
    reach_ind = np.zeros(n_dep, dtype=bool)
    reach_ind[d1] = True
    members1 = np.flatnonzero(reach_ind)
    dep_local = np.full(n_dep, -1, dtype=np.int64)
    dep_local[members1] = np.arange(members1.size)
    pinned_load = np.bincount(before[pinned_ind], minlength=sta.n).astype(np.int64)
    max_cost = max(float(a_cost.max()) if a_cost.size else 0.0, float(unreachable_cost or 0.0))
    net1 = _network(
        _local_arcs(d1, s1, c1, dep_local, sta_local, before[d1] == s1),
        members1.size,
        ind_sta.size,
        np.clip(sta.lo[ind_sta] - pinned_load[ind_sta], 0, None),
        np.clip(sta.hi[ind_sta] - pinned_load[ind_sta], 0, None),
        scale=_Scale.choose(max_cost, members1.size, ind_sta.size),
        hub_cost_s=None,
        deputy_slack=True,
        overflow=False,
    )
    flow1 = _solve(net1)
    after = np.full(n_dep, -1, dtype=np.int64)
    after[pinned_ind] = before[pinned_ind]
    joined = flow1.station >= 0
    after[members1[joined]] = ind_sta[flow1.station[joined]]
    industry_full = np.zeros(n_dep, dtype=bool)
    industry_full[members1[~joined]] = True
    industry_unreachable = matched & ~reach_ind

    # --- stage 2: regional stations ---------------------------------------------------------
    pool = ~pinned_ind & (after < 0)
    reg_sta = np.flatnonzero(~sta.is_industry)
    n_reg = reg_sta.size
    sta_local = np.full(sta.n + 1, -1, dtype=np.int64)
    sta_local[reg_sta] = np.arange(n_reg)
    sta_local[sta.n] = n_reg  # the hub
    on_arc = pool[a_dep] & ~sta.is_industry[a_sta]
    d2, s2, c2 = a_dep[on_arc], a_sta[on_arc], a_cost[on_arc]
    if unreachable_cost is not None and n_reg:
        # Staying put at the unreachable cost (so ties favour it), else anywhere via the hub.
        stay_d = np.flatnonzero(pool & (before >= 0))
        unlisted = ~np.isin(stay_d * sta.n + before[stay_d], d2 * sta.n + s2)
        stay_d = stay_d[unlisted]
        hub_d = np.flatnonzero(pool)
        d2 = np.r_[d2, stay_d, hub_d]
        s2 = np.r_[s2, before[stay_d], np.full(hub_d.size, sta.n)]
        c2 = np.r_[c2, np.full(stay_d.size + hub_d.size, float(unreachable_cost))]
    reach_reg = np.zeros(n_dep, dtype=bool)
    reach_reg[d2] = True
    unreachable = pool & ~reach_reg
    after[unreachable] = before[unreachable]
    kept = unreachable & (before >= 0)
    kept_load = np.bincount(before[kept], minlength=sta.n).astype(np.int64)
    members2 = np.flatnonzero(reach_reg)
    dep_local = np.full(n_dep, -1, dtype=np.int64)
    dep_local[members2] = np.arange(members2.size)
    net2 = _network(
        _local_arcs(d2, s2, c2, dep_local, sta_local, before[d2] == s2),
        members2.size,
        n_reg,
        np.clip(sta.lo[reg_sta] - kept_load[reg_sta], 0, None),
        np.clip(sta.hi[reg_sta] - kept_load[reg_sta], 0, None),
        scale=_Scale.choose(max_cost, members2.size, n_reg),
        hub_cost_s=None if unreachable_cost is None else float(unreachable_cost),
        deputy_slack=False,
        overflow=True,
    )
    flow2 = _solve(net2)
    direct = (flow2.station >= 0) & (flow2.station < n_reg)
    after[members2[direct]] = reg_sta[flow2.station[direct]]
    via_hub, targets = _disaggregate_hub(members2, flow2, reg_sta)
    after[via_hub] = targets
    seconds = time.perf_counter() - t0

    # --- what each deputy sees -----------------------------------------------------------------
    has_after = after >= 0
    travel = np.full(n_dep, np.nan)
    look = pair_cost.reindex(np.flatnonzero(has_after) * max(sta.n, 1) + after[has_after])
    travel[has_after] = look.to_numpy(dtype=float)
    domain = np.full(n_dep, -1, dtype=np.int64)  # -1: regional; else the industry's code
    domain[pinned_ind] = sta_domain[before[pinned_ind]]
    in_industry = has_after & ~pinned_ind & sta.is_industry[np.clip(after, 0, None)]
    domain[in_industry] = spec_code[in_industry]
    eligible = domain[a_dep] == sta_domain[a_sta]
    e_dep, e_sta, e_cost = a_dep[eligible], a_sta[eligible], a_cost[eligible]
    by_near = np.lexsort((e_sta, e_cost, e_dep))
    e_dep, e_sta, e_cost = e_dep[by_near], e_sta[by_near], e_cost[by_near]
    first = np.r_[True, e_dep[1:] != e_dep[:-1]] if e_dep.size else np.zeros(0, dtype=bool)
    nearest = np.full(n_dep, -1, dtype=np.int64)
    nearest_s = np.full(n_dep, np.nan)
    nearest[e_dep[first]] = e_sta[first]
    nearest_s[e_dep[first]] = e_cost[first]
    closer = np.bincount(
        e_dep[e_cost < travel[e_dep] - _TIE_S], minlength=n_dep
    )  # stations strictly nearer than the one chosen
    load = np.bincount(after[has_after], minlength=sta.n)

    short = {str(sta.key[s]): int(sta.lo[s] - load[s]) for s in range(sta.n) if load[s] < sta.lo[s]}
    over = {str(sta.key[s]): int(load[s] - sta.hi[s]) for s in range(sta.n) if load[s] > sta.hi[s]}
    regional_short = {k: v for k, v in short.items() if not sta.is_industry[sta_index.get_loc(k)]}
    regional_over = {k: v for k, v in over.items() if not sta.is_industry[sta_index.get_loc(k)]}
    if on_shortfall == "raise" and (regional_short or regional_over):
        parts = [
            f"{k} {sta.label[sta_index.get_loc(k)]}: {load[sta_index.get_loc(k)]} of "
            f"min {min_per_station} (short {v})"
            for k, v in regional_short.items()
        ] + [
            f"{k} {sta.label[sta_index.get_loc(k)]}: {load[sta_index.get_loc(k)]} over "
            f"max {max_per_station} (by {v})"
            for k, v in regional_over.items()
        ]
        raise InfeasibleError(
            f"cannot keep every regional station between {min_per_station} and "
            f"{max_per_station} deputies with the travel table given: " + "; ".join(parts)
        )

    reasons = _reasons(
        sta=sta,
        before=before,
        after=after,
        travel=travel,
        nearest=nearest,
        nearest_s=nearest_s,
        closer=closer,
        load=load,
        pinned_ind=pinned_ind,
        industry_full=industry_full,
        industry_unreachable=industry_unreachable,
        specialty=specialty,
        unreachable_cost=unreachable_cost,
    )

    # --- back to the caller's row order ------------------------------------------------------
    back = np.empty(n_dep, dtype=np.int64)
    back[order] = np.arange(n_dep)

    def column(name: str) -> NDArray[Any]:
        if name in deputies.columns:
            return deputies[name].to_numpy(dtype=object)
        return np.full(n_dep, None, dtype=object)

    station_after = np.where(
        has_after, sta.original[np.clip(after, 0, None)], np.array(None, dtype=object)
    )
    nearest_id = np.where(
        nearest >= 0, sta.original[np.clip(nearest, 0, None)], np.array(None, dtype=object)
    )
    out = pd.DataFrame(
        {
            "deputy_id": deputies["deputy_id"].to_numpy(dtype=object),
            "name": column("name"),
            "level": column("level"),
            "specialty": column("specialty"),
            "station_before": np.where(
                pd.isna(before_key), np.array(None, dtype=object), before_key
            )[back],
            "station_after": station_after[back],
            "travel_s": travel[back],
            "nearest_station_id": nearest_id[back],
            "nearest_travel_s": nearest_s[back],
            "moved": (before != after)[back],
            "reason": np.asarray(reasons, dtype=object)[back],
        },
        index=deputies.index,
    )
    out.attrs = {
        "shortfall": regional_short,
        "overflow": regional_over,
        "industry_shortfall": {k: v for k, v in short.items() if k not in regional_short},
        "industry_overflow": {k: v for k, v in over.items() if k not in regional_over},
        "solve": {
            "seconds": round(seconds, 3),
            "lp_solves": flow1.lp_solves + flow2.lp_solves,
            "pairs_used": flow1.arcs_used + flow2.arcs_used,
            "pairs_listed": int(a_cost.size),
        },
    }
    log.info(
        "group_deputies: %d deputies, %d moved, %d regional station(s) short, %d over, %.2f s",
        n_dep,
        int(out["moved"].sum()),
        len(regional_short),
        len(regional_over),
        seconds,
    )
    for k, v in regional_short.items():
        log.warning("station %s has %d deputies fewer than the minimum %d", k, v, min_per_station)
    return out


def _reasons(
    *,
    sta: _Stations,
    before: Ints,
    after: Ints,
    travel: Floats,
    nearest: Ints,
    nearest_s: Floats,
    closer: Ints,
    load: Ints,
    pinned_ind: Bools,
    industry_full: Bools,
    industry_unreachable: Bools,
    specialty: NDArray[np.object_],
    unreachable_cost: float | None,
) -> list[str]:
    """One short Chinese sentence per deputy saying why they are where they are."""
    out: list[str] = []
    for i in range(after.size):
        a, b, n = int(after[i]), int(before[i]), int(nearest[i])
        if a < 0:
            out.append("无路网可达站点，未能编组")
            continue
        if pinned_ind[i]:
            text = f"保留在行业站点：{sta.industry[a]}"
        elif sta.is_industry[a]:
            here = f"（{_minutes(travel[i])}）" if np.isfinite(travel[i]) else ""
            text = (
                f"保留在行业站点：{sta.industry[a]}"
                if a == b
                else f"按专业编入行业站点：{sta.industry[a]}{here}"
            )
            if n >= 0 and n != a and np.isfinite(travel[i]) and closer[i] > 0:
                text += "；" + _why(i, a, n, sta, travel, nearest_s, closer, load)
        else:
            prefix = ""
            if industry_full[i]:
                hi = sta.hi[sta.is_industry & (sta.industry == specialty[i])]
                cap = f"（上限{int(hi.min())}名）" if hi.size else ""
                prefix = f"{specialty[i]}行业站点已满{cap}，"
            elif industry_unreachable[i]:
                prefix = f"{specialty[i]}行业站点无路网可达，"
            if not np.isfinite(travel[i]):
                if unreachable_cost is None or a == b:
                    text = "无路网可达站点，保留原站点"
                else:
                    text = (
                        f"无路网可达站点，按不可达代价（{_minutes(unreachable_cost)}）"
                        f"编入{sta.label[a]}"
                    )
            elif n < 0 or n == a or closer[i] == 0:
                text = f"就近编组：距离最近（{_minutes(travel[i])}）"
            else:
                text = _why(i, a, n, sta, travel, nearest_s, closer, load)
            text = prefix + text
        if load[a] < sta.lo[a]:
            text += f"；本站仅{load[a]}名代表，不足最少{sta.lo[a]}名"
        elif load[a] > sta.hi[a]:
            text += f"；本站{load[a]}名代表，超出上限{sta.hi[a]}名（可达站点均已满）"
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
    """Why deputy ``i`` is at ``a`` rather than at its nearest station ``n``."""
    extra = _minutes(travel[i] - nearest_s[i])
    if load[n] >= sta.hi[n]:
        which = "次近站点" if closer[i] == 1 else f"第{int(closer[i]) + 1}近站点"
        return f"最近站点{sta.label[n]}已满（上限{sta.hi[n]}名），改入{which}（多{extra}）"
    if load[a] <= sta.lo[a]:
        return f"为满足{sta.label[a]}最少{sta.lo[a]}名代表的接待轮值而调入（比最近站点多{extra}）"
    return f"为平衡各站人数而调整（比最近站点多{extra}）"
