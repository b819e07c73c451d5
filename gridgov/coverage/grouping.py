"""就近编组进站: assign every deputy to a liaison station by road travel from home.

:func:`group_deputies` reads the deputies, the stations and the long-form
``(origin_id, destination_id, cost)`` travel table that :mod:`gridgov.routing` produces, and
returns for every deputy the station they belong to, how far it is, and why they are there
(in Chinese, for the county's roster). It works in two stages.

1. **Industry** (行业站点). A deputy already in an industry station stays there. A deputy whose
   ``specialty`` equals an industry station's ``industry`` goes to the nearest station of
   that industry. Industry stations' bounds apply where they can: members beyond a
   station's maximum fall back (farthest first) to the regional grouping, and a minimum is
   met only from the industry's own deputies; nobody is drafted into an industry they do
   not work in, and nobody already in an industry station is moved out.
2. **Regional** (区域站点). Everyone else is grouped so that total travel is least while every
   regional station keeps between ``min_per_station`` (the reception rota, 接待轮值) and
   ``max_per_station`` deputies (a service post, 代表服务岗, has no minimum). When that
   cannot be done (too few deputies within reach of a station, or deputies whose
   reachable stations are all full) the default is to **relax** the bounds
   lexicographically: first the fewest deputies over a maximum, then the fewest seats
   short of a minimum, then the least travel. Every relaxation shows in the affected
   deputies' ``reason``, in the result's ``attrs`` and in the log;
   ``on_shortfall="raise"`` raises :class:`~gridgov._errors.InfeasibleError` instead,
   naming the stations. A deputy who can reach no station keeps their current one.

Algorithm. Each stage is a transportation problem (a min-cost flow), so its linear
programme is totally unimodular and its basic solutions are integral. It is solved with
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
module, "call" the whole :func:`group_deputies` (validation, reasons, output included):

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

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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
Objects = NDArray[np.object_]

# Nearest stations each deputy starts with in the column generation; more are priced in.
_START_ARCS = 2
# Travel enters the LP in tenths of a second (coarser if the costs are huge).
_UNIT_S = 0.1
# Integer LP data stay below this, so the simplex's double arithmetic on them is exact.
_EXACT = float(2**50)
# Equal travel within this many seconds counts as a tie in the reasons.
_TIE_S = 0.05


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


# --- the assignment problem of one stage ------------------------------------------------------


@dataclass(frozen=True)
class _Network:
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
class _Flow:
    """A solved :class:`_Network`: station per deputy (-1: unassigned; n_sta: via the hub)."""

    station: Ints
    hub_inflow: Ints
    lp_solves: int
    arcs_used: int


class _ColumnGeneration:
    """Solve a :class:`_Network` lexicographically, pricing arcs into a warm HiGHS model.

    Rows: one per deputy (= 1), the hub (= 0) if any, one per station (lo..hi). Columns:
    deputy slack u | hub->station h | short y | over z, then the arcs as they are priced in.
    """

    def __init__(self, net: _Network) -> None:
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
                raise InfeasibleError(f"grouping LP ended with status {status}")
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

    def solve(self) -> _Flow:
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
        return _Flow(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0)
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


def _network(
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
) -> _Network:
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
    return _Network(n_dep, n_sta, d, s, cost, lo, hi, hub_cost, deputy_slack, overflow)


# --- validation ---------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    """Ids and labels as stripped strings, missing or blank as None (same index)."""

    def one(v: object) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        text = str(v).strip()
        return text or None

    # Each distinct value once: a province's travel table repeats every id ~20 times.
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    clean = np.array([*(one(u) for u in uniques), None], dtype=object)
    return pd.Series(clean[codes], index=values.index, dtype=object)


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
    # One problem per unknown id (a whole county missing would otherwise be 10^5 lines).
    for value, grp in frame.groupby("v", sort=True):
        n = len(grp)
        out.append(
            Problem(
                "costs",
                int(grp["pos"].iloc[0]),
                field,
                value,
                f"{what.removesuffix('s')} {value} is not in the {what} table"
                + (f" ({n} rows)" if n > 1 else ""),
            )
        )
    return out


def _whole(value: object) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def _seconds(value: object) -> float | None:
    """``value`` as a float if it is a finite number >= 0 (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _parameter_problems(
    min_per_station: object,
    max_per_station: object,
    unreachable_cost: object,
    on_shortfall: object,
) -> list[Problem]:
    problems = []

    def bad(field: str, value: object, message: str) -> None:
        problems.append(Problem("parameters", None, field, value, message))

    low, high = _whole(min_per_station), _whole(max_per_station)
    if low is None or low < 0:
        bad("min_per_station", min_per_station, "min_per_station must be a whole number >= 0")
    if high is None or high < 1:
        bad("max_per_station", max_per_station, "max_per_station must be a whole number >= 1")
    if low is not None and high is not None and low > high:
        bad(
            "min_per_station",
            min_per_station,
            f"min_per_station {low} is above max_per_station {high}",
        )
    if unreachable_cost is not None and _seconds(unreachable_cost) is None:
        bad(
            "unreachable_cost",
            unreachable_cost,
            "unreachable_cost must be a finite number of seconds >= 0",
        )
    if on_shortfall not in ("relax", "raise"):
        bad("on_shortfall", on_shortfall, "on_shortfall must be 'relax' or 'raise'")
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
        ceiling = _seconds(unreachable_cost)
        if ceiling is not None and finite.size and ceiling < float(finite.max()):
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


# --- the inputs, sorted by id -------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.1f}分钟"


def _column(frame: pd.DataFrame, name: str) -> Objects:
    if name in frame.columns:
        return _text(frame[name]).to_numpy(dtype=object)
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
        kind = _text(stations["kind"]).map(lambda v: StationKind.parse(v).value)
        is_industry = (kind == StationKind.INDUSTRY.value).to_numpy(dtype=bool)[order]
        industry = _column(stations, "industry")[order]
        industry[~is_industry] = None
        codes, uniques = pd.factorize(pd.Series(industry, dtype=object))
        names = _column(stations, "name")[order]
        lo = np.full(len(stations), min_per_station, dtype=np.int64)
        if "tier" in stations.columns:
            # A service post (代表服务岗) is one deputy's own post: no reception rota to fill.
            tier = _text(stations["tier"]).map(lambda v: v and StationTier.parse(v).value)
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
) -> tuple[Ints, Bools, Bools, Bools, _Flow]:
    """Stage 1: industry deputies to their industry's stations (see the module docstring)."""
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
    flow = _solve(
        _network(
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
) -> tuple[Ints, Bools, _Flow]:
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
    flow = _solve(
        _network(
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
    the bounds cannot all be met, and the algorithm are in the module docstring.

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
    """One short Chinese sentence per deputy saying why they are where they are."""
    out: list[str] = []
    for i in range(dep.n):
        a, b, n = int(after[i]), int(dep.before[i]), int(nearest[i])
        if a < 0:
            out.append("无路网可达站点，未能编组")
            continue
        routed = bool(np.isfinite(travel[i]))
        detour = n >= 0 and n != a and routed and closer[i] > 0
        if pinned[i]:
            text = f"保留在行业站点：{sta.industry[a]}"
        elif sta.is_industry[a]:
            if a == b:
                text = f"保留在行业站点：{sta.industry[a]}"
            else:
                here = f"（{_minutes(travel[i])}）" if routed else ""
                text = f"按专业编入行业站点：{sta.industry[a]}{here}"
            if detour:
                text += "；" + _why(i, a, n, sta, travel, nearest_s, closer, load)
        else:
            if not routed:
                text = (
                    "无路网可达站点，保留原站点"
                    if a == b
                    else f"无路网可达站点，按不可达代价（{_minutes(unreachable_cost or 0.0)}）"
                    f"编入{sta.label[a]}"
                )
            elif detour:
                text = _why(i, a, n, sta, travel, nearest_s, closer, load)
            else:
                text = f"就近编组：距离最近（{_minutes(travel[i])}）"
            if industry_full[i]:
                cap = sta.hi[sta.domain == dep.domain[i]]
                text = f"{dep.specialty[i]}行业站点已满（上限{int(cap.min())}名），{text}"
            elif industry_unreachable[i]:
                text = f"{dep.specialty[i]}行业站点无路网可达，{text}"
        if load[a] < sta.lo[a]:
            text += f"；本站仅{load[a]}名代表，不足最少{sta.lo[a]}名"
        elif load[a] > sta.hi[a]:
            text += f"；本站{load[a]}名代表，超出上限{sta.hi[a]}名"
            if not pinned[i] and not via_hub[i]:
                text += "（可达站点均已满）"
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
        which = "次近站点" if closer[i] == 1 else f"第{int(closer[i]) + 1}近站点"
        return f"最近站点{sta.label[n]}已满（上限{sta.hi[n]}名），改入{which}（多{extra}）"
    if load[a] <= sta.lo[a]:
        return f"为满足{sta.label[a]}最少{sta.lo[a]}名代表的接待轮值而调入（比最近站点多{extra}）"
    return f"为平衡各站人数而调整（比最近站点多{extra}）"
