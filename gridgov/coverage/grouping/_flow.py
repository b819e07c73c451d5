"""The transportation problem of one grouping stage, solved exactly on HiGHS.

Each stage is a transportation problem (a min-cost flow), so its linear programme is
totally unimodular and its basic solutions are integral. It is solved with
the HiGHS simplex (``highspy``) by column generation: the LP starts with each deputy's two
nearest stations and prices every other listed pair against the duals, adding those that
would lower the objective and re-solving from the last basis, until none would; that
proves optimality over the whole table. The lexicographic relaxation is exact: phase A
minimises only the weighted violations; by complementary slackness its duals fix every
column and row bound that all phase-A optima share; phase B then minimises travel within
them. Travel enters as integers (tenths of a second, scaled to leave room for the ties),
so every dual and reduced cost is an integer and the pricing tests (``< -0.5``) cannot be
fooled by rounding. Ties in travel go to the deputy's current station, then to the lower
station id (exactly while the integers allow: up to about 1,300 stations per stage with
travel up to three hours; beyond that, to the current station only). Inputs are sorted by
id first, so the result does not depend on row order.

Measured on one core of an AMD EPYC server, synthetic deputies clustered round stations,
15 km/h with a 1.3 detour, min 3, max 60 unless stated. "Solve" is the LP work of this
module, "call" the whole :func:`~gridgov.coverage.grouping.group_deputies` (validation, reasons, output included):

================================  =========  ====================================  ==========
instance                          pairs      method                                time
================================  =========  ====================================  ==========
county: 1,100 x 97, dense table   106,700    networkx.network_simplex              3.9 s
                                             scipy linprog (HiGHS), all pairs      0.4 s
                                             this module: solve / call             0.02/0.16 s
county, tight: min 5, max 12      106,700    this module: solve / call             0.5/0.6 s
province: 90,000 x 6,700,         1,800,000  networkx.network_simplex              421 s
20 nearest stations each                     scipy linprog (HiGHS), all pairs      24 s
                                             scipy milp (HiGHS), all pairs         14 s
                                             linprog + column generation           3 s
                                             this module: solve / call             1.1/5.0 s
province, tight: min 5, max 12    1,800,000  linprog + column generation, each     335 s
(9,600 must go over a maximum,               round re-solved from scratch
so phase A has work to do)                   this module: solve / call             21/25 s
================================  =========  ====================================  ==========

``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` on seat copies was not
pursued: 60 seats per station make the province table 108 million edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gridgov._arrays import Bools, Floats, Ints

__all__ = ["Flow", "Network", "solve_flow", "stage_network"]


# Nearest stations each deputy starts with in the column generation; more are priced in.
_START_ARCS = 2
# Travel enters the LP in tenths of a second (coarser if the costs are huge).
_UNIT_S = 0.1
# Integer LP data stay below this, so the simplex's double arithmetic on them is exact.
_EXACT = float(2**50)


def _highs() -> tuple[Any, Any]:
    """A silent HiGHS instance, and the model status that means optimal."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a core dependency
        raise ImportError(
            "group_deputies needs the HiGHS solver: pip install highspy (or reinstall gridgov)"
        ) from exc
    # The public highspy.Highs prints a banner on stdout (from C++, once per process) when
    # it installs its Python callbacks; the bare core class does not, and is all we use.
    core = getattr(getattr(highspy, "_core", None), "_Highs", None)
    h = core() if core is not None else highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h, highspy.HighsModelStatus.kOptimal


@dataclass(frozen=True)
class Network:
    """One stage as a transportation problem (a min-cost flow).

    Deputies are ``0..n_dep-1`` and each takes exactly one unit; stations are
    ``0..n_sta-1`` and receive between ``lo`` and ``hi`` units. Arcs are sorted by deputy,
    then cost; ``arc_sta == n_sta`` marks an arc into the *hub*, a node from which station
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
class Flow:
    """A solved :class:`Network`: station per deputy (-1: unassigned; n_sta: via the hub)."""

    station: Ints
    hub_inflow: Ints
    lp_solves: int
    arcs_used: int


class _ColumnGeneration:
    """Solve a :class:`Network` lexicographically, pricing arcs into a warm HiGHS model.

    Rows: one per deputy (= 1), the hub (= 0) if any, one per station (lo..hi). Columns:
    deputy slack u | hub->station h | short y | over z, then the arcs as they are priced in.
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self.hub = net.hub_cost is not None
        self.n_u = net.n_dep if net.deputy_slack else 0
        self.n_h = net.n_sta if self.hub else 0
        self.n_z = net.n_sta if net.overflow else 0
        self.n_fixed = self.n_u + self.n_h + net.n_sta + self.n_z
        self.row0 = net.n_dep + int(self.hub)  # first station row
        self.column = np.full(net.arc_dep.size, -1, dtype=np.int64)  # arc -> LP column
        self.n_cols = 0
        self.solves = 0
        self.h, self.optimal = _highs()
        n, s = net.n_dep, net.n_sta
        self.row_lo = np.r_[np.ones(n), np.zeros(int(self.hub)), net.lo.astype(float)]
        self.row_hi = np.r_[np.ones(n), np.zeros(int(self.hub)), net.hi.astype(float)]
        none = np.zeros(0, dtype=np.int32)
        self.h.addRows(self.row_lo.size, self.row_lo, self.row_hi, 0, none, none, np.zeros(0))
        stations = self.row0 + np.arange(s)
        if self.n_u:
            self._columns(np.ones(n), [np.arange(n)], [np.ones(n)])
        if self.n_h:
            self._columns(np.full(s, np.inf), [np.full(s, n), stations], [-np.ones(s), np.ones(s)])
        self._columns(net.lo.astype(float), [stations], [np.ones(s)])
        if self.n_z:
            self._columns(np.full(s, np.inf), [stations], [-np.ones(s)])
        self.upper = np.r_[
            np.ones(self.n_u),
            np.full(self.n_h, np.inf),
            net.lo.astype(float),
            np.full(self.n_z, np.inf),
        ]

    def _columns(self, upper: Floats, rows: list[Ints], values: list[Floats]) -> None:
        """Add ``upper.size`` columns at cost 0 with one or two entries each."""
        k = upper.size
        per = len(rows)
        index = np.empty(per * k, dtype=np.int32)
        value = np.empty(per * k)
        for j in range(per):
            index[j::per] = rows[j]
            value[j::per] = values[j]
        starts = np.arange(0, per * k, per, dtype=np.int32)
        self.h.addCols(k, np.zeros(k), np.zeros(k), upper, per * k, starts, index, value)
        self.n_cols += k

    def _add_arcs(self, arcs: Ints, cost: Floats, lower: Floats) -> None:
        net = self.net
        head = np.where(net.arc_sta[arcs] == net.n_sta, net.n_dep, self.row0 + net.arc_sta[arcs])
        first = self.n_cols
        self._columns(np.ones(arcs.size), [net.arc_dep[arcs], head], [np.ones(arcs.size)] * 2)
        self.column[arcs] = first + np.arange(arcs.size)
        cols = self.column[arcs].astype(np.int32)
        self.h.changeColsCost(arcs.size, cols, cost[arcs])
        self.h.changeColsBounds(arcs.size, cols, lower[arcs], np.ones(arcs.size))

    def _price(self, cost: Floats, row_dual: Floats) -> Floats:
        """Reduced cost of every arc, in the LP or not (HiGHS: rc = c - A'y)."""
        net = self.net
        hub = net.arc_sta == net.n_sta
        head = np.where(hub, net.n_dep, self.row0 + np.where(hub, 0, net.arc_sta))
        return np.asarray(cost - row_dual[net.arc_dep] - row_dual[head], dtype=float)

    def _generate(self, eligible: Bools, cost: Floats, lower: Floats) -> Any:
        """Solve, price, add the arcs that would help, repeat; optimal over all arcs."""
        while True:
            self.h.run()
            self.solves += 1
            status = self.h.getModelStatus()
            if status != self.optimal:
                # A warm-started simplex can stop "unknown" on a degenerate tiny flow LP
                # (found by the brute-force property test); a cold solve settles it.
                self.h.clearSolver()
                self.h.run()
                status = self.h.getModelStatus()
            if status != self.optimal:  # pragma: no cover - the slacks keep it feasible
                # A bug, not the user's: every row has a slack, so the LP always has a plan.
                raise RuntimeError(f"grouping LP ended with status {status}")
            solution = self.h.getSolution()
            rc = self._price(cost, np.asarray(solution.row_dual, dtype=float))
            # Integer costs and unimodular bases make every dual an integer: 0.5 is safe.
            enter = eligible & (self.column < 0) & (rc < -0.5)
            if not enter.any():
                return solution, rc
            self._add_arcs(np.flatnonzero(enter), cost, lower)

    def _set_costs(self, fixed: Floats, arcs: Floats) -> None:
        cols = np.arange(self.n_fixed, dtype=np.int32)
        self.h.changeColsCost(self.n_fixed, cols, fixed)
        used = np.flatnonzero(self.column >= 0)
        if used.size:
            self.h.changeColsCost(used.size, self.column[used].astype(np.int32), arcs[used])

    def solve(self) -> Flow:
        net = self.net
        n_arcs = net.arc_dep.size
        # Phase A: only violations cost. One deputy left over (or over a maximum) outweighs
        # all seats short of a minimum together, so the weighted optimum is lexicographic.
        heavy = float(net.lo.sum() + 1)
        zero = np.zeros(n_arcs)
        self._set_costs(
            np.r_[
                np.full(self.n_u, heavy),
                np.zeros(self.n_h),
                np.ones(net.n_sta),
                np.full(self.n_z, heavy),
            ],
            zero,
        )
        self._add_arcs(np.flatnonzero(_first_arcs(net, _START_ARCS)), zero, zero)
        solution, rc = self._generate(np.ones(n_arcs, dtype=bool), zero, zero)
        # Complementary slackness with the phase-A duals: a column with a positive reduced
        # cost is at its lower bound in every phase-A optimum (negative: at its upper), and
        # a row with a nonzero dual is at that bound (HiGHS: positive dual, lower bound).
        col_dual = np.asarray(solution.col_dual, dtype=float)
        row_dual = np.asarray(solution.row_dual, dtype=float)
        eligible = rc < 0.5
        forced = np.where(rc < -0.5, 1.0, 0.0)
        upper = np.r_[self.upper, np.ones(self.n_cols - self.n_fixed)]
        lower = np.zeros(self.n_cols)
        cols = np.arange(self.n_cols, dtype=np.int32)
        self.h.changeColsBounds(
            self.n_cols,
            cols,
            np.where(col_dual < -0.5, upper, lower),
            np.where(col_dual > 0.5, lower, upper),
        )
        rows = np.arange(self.row_lo.size, dtype=np.int32)
        self.h.changeRowsBounds(
            rows.size,
            rows,
            np.where(row_dual < -0.5, self.row_hi, self.row_lo),
            np.where(row_dual > 0.5, self.row_lo, self.row_hi),
        )
        # Phase B: least travel among the phase-A optima, from phase A's basis.
        hub_cost = net.hub_cost if net.hub_cost is not None else np.zeros(0)
        self._set_costs(
            np.r_[np.zeros(self.n_u), hub_cost, np.zeros(net.n_sta + self.n_z)], net.arc_cost
        )
        solution, _ = self._generate(eligible, net.arc_cost, forced)
        x = np.asarray(solution.col_value, dtype=float)
        used = np.flatnonzero(self.column >= 0)
        chosen = used[x[self.column[used]] > 0.5]
        station = np.full(net.n_dep, -1, dtype=np.int64)
        station[net.arc_dep[chosen]] = net.arc_sta[chosen]
        hub_inflow = np.rint(x[self.n_u : self.n_u + self.n_h]).astype(np.int64)
        return Flow(station, hub_inflow, self.solves, int(used.size))


def _first_arcs(net: Network, k: int) -> Bools:
    """The ``k`` cheapest arcs of each deputy (arcs come sorted by cost) and every hub arc."""
    m = net.arc_dep.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, net.arc_dep[1:] != net.arc_dep[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, m]))
    return ((np.arange(m) - first) < k) | (net.arc_sta == net.n_sta)


def solve_flow(net: Network) -> Flow:
    """Solve one stage (lexicographically: violations first, then travel)."""
    if net.n_dep == 0:
        return Flow(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0)
    return _ColumnGeneration(net).solve()


# --- costs as integers, with ties broken by id ------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """How travel seconds become integer LP costs: ``round(s / unit) * k + tie``.

    ``tie`` is 0 for the deputy's current station and ``1 + rank`` (rank of the station id
    in the stage) otherwise when ``by_rank``; 0/1 when only staying is preferred; none
    when ``k == 1``. A simple cycle of the flow passes at most ``n_sta + 1`` deputies, so
    ``k`` above the largest change of the ties over such a cycle keeps travel optimal.
    """

    unit: float
    k: float
    by_rank: bool
    stay: bool

    @classmethod
    def choose(cls, max_cost_s: float, n_sta: int) -> _Scale:
        unit = max(_UNIT_S, max_cost_s / 1e7)
        nodes = n_sta + 2
        # Duals are sums of costs along paths of the basis tree: bound them by nodes * arc.
        arc = max(max_cost_s / unit, 1.0) * nodes * 4
        if arc * (nodes * nodes + 1) < _EXACT:
            return cls(unit, float(nodes * nodes + 1), by_rank=True, stay=True)
        if arc * (nodes + 1) < _EXACT:
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


def stage_network(
    d: Ints,
    s: Ints,
    cost_s: Floats,
    stays: Bools,
    *,
    n_dep: int,
    n_sta: int,
    lo: Ints,
    hi: Ints,
    hub_cost_s: float | None,
    deputy_slack: bool,
    overflow: bool,
) -> Network:
    """A stage's network from local arcs (``s == n_sta``: into the hub)."""
    order = np.lexsort((s, cost_s, d))
    d, s, cost_s, stays = d[order], s[order], cost_s[order], stays[order]
    most = max([float(cost_s.max()) if cost_s.size else 0.0, hub_cost_s or 0.0])
    scale = _Scale.choose(most, n_sta)
    cost = scale.arc(cost_s, stays, s)
    hub_cost = None
    if hub_cost_s is not None:
        into_hub, hub_cost = scale.hub(hub_cost_s, n_sta)
        cost = np.where(s == n_sta, into_hub, cost)
    return Network(n_dep, n_sta, d, s, cost, lo, hi, hub_cost, deputy_slack, overflow)
