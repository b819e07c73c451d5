"""How each location model is solved to a proof, sharing the instance, rules and clock.

:class:`Solver` holds one instance, its site rules and the deadline, and has one method per
model. The p-median starts from vertex substitution, tries the Lagrangian bound, fixing
and tree search (plain p-median), and closes what is left with the radius MIP, deepening
its truncated levels until the MIP's plan travels no further than they reach. The coverage
models are set-cover MIPs (MCLP: then least travel among the plans covering as much; LSCP:
the fewest sites, then least travel; p-center: bisection on the radius, then least travel).
:meth:`Solver.solution` turns an answer into the frozen :class:`Solution`, with one rule
for when a plan is proven, shared with every stopping test on the way.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridgov._errors import InfeasibleError
from gridgov.coverage.location._common import (
    Bools,
    Floats,
    Sites,
    assign,
    covers,
    gap,
    penalised,
    travel,
    whole,
    whole_all,
)
from gridgov.coverage.location._heuristics import greedy, interchange
from gridgov.coverage.location._instance import Instance, Solution
from gridgov.coverage.location._lagrange import TREE_MAX_P, fix, lagrangian, lagrangian_tree
from gridgov.coverage.location._mip import (
    Levels,
    build_mip,
    deepen,
    lp_values,
    run_mip,
    start_columns,
)

__all__ = ["Answer", "Solver"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What a model's method found: the plan, its objective, the proven bound, the status
    (``"optimal"`` or ``"time limit"``) and how, in words."""

    is_open: Bools
    objective: float
    bound: float
    status: str
    method: str


class Solver:
    """The models, sharing the instance, the site rules and the clock.

    Parameters
    ----------
    instance : Instance
    sites : Sites
        The site rules, already checked against each other.
    deadline : float or None
        ``time.perf_counter()`` value at which to stop.
    mip_gap : float
        Relative gap that proves a plan.
    seed : int
        HiGHS's random seed.
    """

    def __init__(
        self,
        instance: Instance,
        sites: Sites,
        *,
        deadline: float | None,
        mip_gap: float,
        seed: int,
    ) -> None:
        self.inst = instance
        self.c = instance.cost
        self.w = instance.weight
        self.sites = sites
        self.deadline = deadline
        self.mip_gap = mip_gap
        self.seed = seed
        self.cp, self.penalty = penalised(self.c)
        finite = self.c[np.isfinite(self.c)]
        self.integral = bool(
            np.array_equal(finite, np.round(finite)) and np.array_equal(self.w, np.round(self.w))
        )

    # the proof rule ------------------------------------------------------------------------

    def proves(self, value: float, bound: float, *, maximise: bool = False) -> bool:
        """Whether ``bound`` proves a plan of objective ``value`` within the requested gap.

        Integer data give an integer objective, so a lower bound proves its ceiling: with
        ``mip_gap=0`` the rounded bound must reach the objective exactly. Otherwise the
        relative gap must be within ``mip_gap`` (at least 1e-9, for rounding).
        """
        if not np.isfinite(bound):
            return False
        if maximise:
            value, bound = -value, -bound
        if self.integral:
            return whole(bound) >= value - self.mip_gap * abs(value)
        return bound >= value - max(self.mip_gap, 1e-9) * abs(value)

    def _bound(self, bound: float) -> float:
        """A lower bound as reported: its ceiling when the objective is an integer."""
        return whole(bound) if self.integral else bound

    def _prune(self, bound: Any, incumbent: float) -> Any:
        """Whether a node with this Lagrangian bound cannot hold a plan better than the
        incumbent by more than the gap (integer objectives: by at least 1)."""
        if self.integral:
            return whole_all(bound) >= incumbent
        return np.asarray(bound) >= incumbent - self.mip_gap * abs(incumbent)

    def _left(self) -> bool:
        return self.deadline is None or time.perf_counter() < self.deadline

    def solution(self, model: str, answer: Answer, t0: float) -> Solution:
        """The frozen solution of ``answer``: proven exactly when the status is optimal.

        A method that finished its search without a proving bound (it should not happen:
        every method stops on :meth:`proves`) is reported ``"feasible"``, not optimal.
        """
        assigned, d = assign(self.c, answer.is_open)
        w = self.w
        status = answer.status
        proven = status == "optimal" and self.proves(
            answer.objective, answer.bound, maximise=model == "mclp"
        )
        if status == "optimal" and not proven:
            log.warning(
                "%s: the search ended with objective %r and bound %r, not proven; reported"
                " as feasible",
                model,
                answer.objective,
                answer.bound,
            )
            status = "feasible"
        return Solution(
            model=model,
            p=int(answer.is_open.sum()),
            open=np.flatnonzero(answer.is_open).astype(np.int64),
            assigned=assigned,
            cost=d,
            objective=float(answer.objective),
            bound=float(answer.bound),
            gap=float(gap(answer.objective, answer.bound)),
            proven=bool(proven),
            status=status,
            method=answer.method,
            time_s=time.perf_counter() - t0,
            site_ids=self.inst.site_ids,
            travel=float((w[w > 0] * d[w > 0]).sum()),
        )

    # shared pieces ---------------------------------------------------------------------------

    def _reach(self, radius: float, uncoverable: str) -> tuple[Bools, Bools]:
        """Reach matrix within ``radius`` over allowed sites, and the rows to cover."""
        reach = (self.c <= radius) & self.sites.allowed[None, :]
        # Only people count: a demand point of weight 0 need not be covered.
        people = self.w > 0
        coverable: Bools = np.asarray(reach.any(axis=1), dtype=bool) & people
        if not coverable[people].all() and uncoverable == "raise":
            bad = np.flatnonzero(people & ~coverable)
            names = ", ".join(str(x) for x in self.inst.demand_ids[bad[:20]])
            more = f" and {bad.size - 20} more" if bad.size > 20 else ""
            raise InfeasibleError(
                f"{bad.size} demand points have no site within the radius ({radius:g}),"
                f" whichever sites open: {names}{more}"
            )
        return reach, coverable

    def _min_cover(self, reach: Bools, cover: Bools) -> int | None:
        """The fewest sites covering every coverable row under the site rules (None: unknown)."""
        mip = build_mip(
            self.cp, self.w, None, np.zeros(self.c.shape[0], np.int64), self.sites, p=None,
            cover=cover, reach=reach, travel=False, site_cost=1.0, uncovered_cost=0.0,
            uncovered_budget=None,
        )  # fmt: skip
        run = run_mip(mip, deadline=self.deadline, mip_gap=0.0, seed=self.seed, start_cols=None)
        if run.is_open is None and run.finished:
            raise InfeasibleError(
                "no set of sites satisfies the site rules and covers every demand point"
            )
        if not run.finished or run.is_open is None:
            return None
        return int(run.is_open.sum())

    # p-median, with or without full coverage -------------------------------------------------

    def median(
        self,
        p: int,
        radius: float | None,
        *,
        uncoverable: str = "raise",
        start: Bools | None = None,
    ) -> Answer:
        """Least weighted travel with ``p`` sites (every coverable row within ``radius``)."""
        w, sites = self.w, self.sites
        reach: Bools | None = None
        cover: Bools | None = None
        cap: float | Floats = np.inf
        hc = self.cp
        if radius is not None:
            reach, cover = self._reach(radius, uncoverable)
            # A row that must be covered never travels past the radius; one that need not
            # (no site reaches it) may travel anywhere, so its levels are not cut there.
            cap = np.where(cover, radius, np.inf)
            # Heuristic incumbent on penalised costs (uncovered points cost a penalty).
            hc = np.where(reach | ~cover[:, None], self.cp, self.cp + self.penalty * 10)
        if start is None or not sites.feasible(start, p):
            start = interchange(hc, w, sites, greedy(hc, w, sites, p))
        best = start
        best_val = travel(self.cp, w, best)
        best_ok = covers(reach, cover, best)
        fix_bound = np.inf
        lag_bound = -np.inf
        lag_note = ""
        if reach is None:
            # Lagrangian bound; sites it proves open or closed leave the MIP.
            wc = w[:, None] * self.cp
            _, d0 = assign(self.cp, best)
            lg = lagrangian(wc, sites, p, best_val, w * d0, self.deadline)
            lag_note = f"Lagrangian bound after {lg.iterations} steps, "
            lag_bound = lg.bound
            if self.proves(best_val, lg.bound):
                method = f"{lag_note}vertex substitution incumbent"
                bound = min(self._bound(lg.bound), best_val)
                return Answer(best, best_val, bound, "optimal", method)
            f_open, f_closed, fix_bound = fix(lg, sites, p, best_val, self.integral)
            sites = sites.narrowed(shut=f_closed, forced=f_open)
            lag_note += f"{int(f_open.sum())} sites fixed open, {int(f_closed.sum())} closed; "
            if sites.n_groups == 0 and p <= TREE_MAX_P:
                tree = lagrangian_tree(wc, sites, p, best, lg, prune=self._prune)
                if tree.value < best_val:
                    best, best_val = tree.is_open, tree.value
                if tree.bound is not None:
                    bound = self._bound(max(min(tree.bound, fix_bound), lag_bound))
                    method = f"{lag_note}Lagrangian branch-and-bound, {tree.nodes} nodes"
                    return Answer(best, best_val, min(bound, best_val), "optimal", method)
                lag_note += f"Lagrangian branch-and-bound stopped at {tree.nodes} nodes; "
        lv = Levels.build(self.cp, sites.allowed, cap, sites.keep)
        # Truncate each row at the level of its travel in the incumbent (at least two
        # levels, so the LP can say when a row wants more), then deepen by LP rounds.
        _, d0 = assign(self.cp, best)
        depth = np.minimum(np.maximum(lv.level_of(d0) + 1, 2), lv.n_levels)
        for _ in range(50):
            mip = build_mip(
                self.cp, w, lv, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=None,
            )  # fmt: skip
            x = lp_values(mip, self.deadline)
            if x is None:
                break
            deeper = deepen(mip, x, depth, lv.n_levels)
            if np.array_equal(deeper, depth):
                break
            depth = deeper
        bound = -np.inf
        rounds = 0
        nodes = 0
        status = "optimal"
        while True:
            rounds += 1
            mip = build_mip(
                self.cp, w, lv, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=None,
            )  # fmt: skip
            start_cols = start_columns(mip, lv, self.cp, best, None) if best_ok else None
            run = run_mip(
                mip, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
                start_cols=start_cols, integral=self.integral,
            )  # fmt: skip
            nodes += run.nodes
            # Without a coverage rule an empty MIP means the Lagrangian fixings left no
            # plan better than the incumbent (its bound is then infinite): that proves it.
            if run.is_open is None and run.finished and reach is not None and cover is not None:
                need = self._min_cover(reach, cover)
                raise InfeasibleError(
                    f"covering every demand point within the radius ({radius or 0:g}) needs at"
                    f" least {need} sites under these rules; p = {p} is too few"
                )
            bound = max(bound, run.bound)
            if run.is_open is not None and sites.feasible(run.is_open, p):
                ok = covers(reach, cover, run.is_open)
                val = travel(self.cp, w, run.is_open)
                if ok and (not best_ok or val < best_val):
                    best, best_val, best_ok = run.is_open, val, True
            if not run.finished:
                status = "time limit"
                break
            # The truncated model is a relaxation (a row beyond its last modelled level is
            # charged that level's cost), so its bound is valid for the whole problem:
            # once it proves the plan, deeper rows cannot change the answer. (pmed35: the
            # second round, 60 % of the time, only re-proved the first round's plan.)
            proven = self._bound(max(min(bound, fix_bound), lag_bound))
            if best_ok and self.proves(best_val, proven):
                break
            # Rows whose travel in the MIP's plan lies beyond their last modelled level.
            if run.is_open is None:
                break
            _, d = assign(self.cp, run.is_open)
            lev = lv.level_of(d)
            beyond: Bools = (lev + 1 > depth) & (depth < lv.n_levels) & (w > 0)
            if not beyond.any():
                break
            depth = np.where(beyond, np.minimum(lev + 1, lv.n_levels), depth)
            if not self._left():
                status = "time limit"
                break
        if not best_ok:
            raise InfeasibleError(
                "no plan found that covers every demand point in the time allowed"
            )
        bound = self._bound(max(min(bound, fix_bound), lag_bound))
        if self.proves(best_val, bound):
            bound = min(bound, best_val)
        method = (
            f"{lag_note}radius MIP (HiGHS), {rounds} round{'s' if rounds > 1 else ''},"
            f" {nodes} nodes"
        )
        return Answer(best, best_val, bound, status, method)

    # coverage models -------------------------------------------------------------------------

    def lscp(self, radius: float, *, uncoverable: str = "raise") -> Answer:
        """The fewest sites covering every coverable row, then least travel among them."""
        reach, cover = self._reach(radius, uncoverable)
        need = self._min_cover(reach, cover)
        if need is None:
            raise InfeasibleError("the set-cover model did not finish in the time allowed")
        if need == 0:
            keep = self.sites.keep.copy()
            return Answer(keep, 0.0, 0.0, "optimal", "set cover: no one to cover")
        plan = self.median(need, radius, uncoverable=uncoverable)
        method = f"set cover, then {plan.method}"
        return Answer(plan.is_open, float(need), float(need), plan.status, method)

    def mclp(self, p: int, radius: float) -> Answer:
        """The most weight within ``radius``, then least travel among plans covering as much."""
        c, w, sites = self.c, self.w, self.sites
        reach = (c <= radius) & sites.allowed[None, :]
        cover: Bools = np.asarray(reach.any(axis=1), dtype=bool)
        zero = np.zeros(c.shape[0], np.int64)
        # Stage 1: the most weight within reach (u = uncovered, costing its weight).
        mip = build_mip(
            self.cp, w, None, zero, sites, p=p, cover=cover, reach=reach, travel=False,
            site_cost=0.0, uncovered_cost=1.0, uncovered_budget=None,
        )  # fmt: skip
        hc = np.where(reach, 0.0, 1.0)
        start = interchange(hc, w, sites, greedy(hc, w, sites, p))
        run = run_mip(
            mip, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
            start_cols=start_columns(mip, None, self.cp, start, reach),
        )  # fmt: skip
        total = float(w[cover].sum())
        plan = run.is_open if run.is_open is not None else start
        covered = float(w[(reach & plan[None, :]).any(axis=1)].sum())
        if not run.finished:
            bound = total - max(run.bound, 0.0)
            return Answer(plan, covered, bound, "time limit", "max covering MIP (HiGHS), stopped")
        # Stage 2: least travel among plans covering as much.
        lv2 = Levels.build(self.cp, sites.allowed, np.inf, sites.keep)
        _, d0 = assign(self.cp, plan)
        depth = np.minimum(lv2.level_of(d0) + 1, lv2.n_levels)
        slack = total - covered + 1e-7 * max(total, 1.0)
        best, best_val, rounds = plan, travel(self.cp, w, plan), 0
        while self._left():
            rounds += 1
            mip2 = build_mip(
                self.cp, w, lv2, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=slack,
            )  # fmt: skip
            run2 = run_mip(
                mip2, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
                start_cols=start_columns(mip2, lv2, self.cp, best, reach),
            )  # fmt: skip
            if run2.is_open is None:
                break
            val = travel(self.cp, w, run2.is_open)
            cov2 = float(w[(reach & run2.is_open[None, :]).any(axis=1)].sum())
            if cov2 >= covered - 1e-9 * max(total, 1.0) and val < best_val:
                best, best_val = run2.is_open, val
            if not run2.finished:
                break
            _, d = assign(self.cp, run2.is_open)
            lev = lv2.level_of(d)
            deeper = (lev + 1 > depth) & (depth < lv2.n_levels) & (w > 0)
            if not deeper.any():
                break
            depth = np.where(deeper, np.minimum(lev + 1, lv2.n_levels), depth)
        method = f"max covering MIP, then radius MIP for travel ({rounds} rounds) (HiGHS)"
        return Answer(best, covered, covered, "optimal", method)

    def center(self, p: int) -> Answer:
        """The least largest travel with ``p`` sites, then least travel within it."""
        c, w, sites = self.c, self.w, self.sites
        rows = w > 0
        cc = np.where(sites.allowed[None, :], self.cp, np.inf)[rows]
        # Every radius below the farthest row's nearest allowed site is impossible.
        low = float(cc.min(axis=1).max())
        start = interchange(self.cp, w, sites, greedy(self.cp, w, sites, p))
        _, d0 = assign(self.cp, start)
        high = float(d0[rows].max())
        radii = np.unique(cc[np.isfinite(cc)])
        radii = radii[(radii >= low) & (radii <= high)]
        lo, hi = 0, radii.size - 1  # radii[hi] is feasible (the heuristic plan)
        proven = True
        while lo < hi and self._left():
            mid = (lo + hi) // 2
            r = float(radii[mid])
            reach = (c <= r) & sites.allowed[None, :]
            mip = build_mip(
                self.cp, w, None, np.zeros(c.shape[0], np.int64), sites, p=p, cover=rows,
                reach=reach, travel=False, site_cost=0.0, uncovered_cost=0.0,
                uncovered_budget=None,
            )  # fmt: skip
            run = run_mip(mip, deadline=self.deadline, mip_gap=0.0, seed=self.seed, start_cols=None)
            if run.is_open is not None and sites.feasible(run.is_open, p):
                hi = mid
            elif run.finished:
                lo = mid + 1
            else:
                proven = False
                break
        if lo < hi:
            proven = False
        best_r = float(radii[hi]) if radii.size else high
        bound = float(radii[lo]) if proven else low
        # Least travel among plans within the best radius (every row with people is
        # coverable there, so none is skipped).
        plan = self.median(p, best_r, uncoverable="skip")
        _, d = assign(self.cp, plan.is_open)
        worst = float(d[rows].max())
        status = plan.status if proven else "time limit"
        method = f"radius bisection (set-cover MIPs), then {plan.method}"
        return Answer(plan.is_open, worst, bound, status, method)
