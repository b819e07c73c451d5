"""The Lagrangian side of the plain p-median: a bound, variable fixing and a tree search.

Relaxing the assignment rows of the p-median (Beasley 1993) leaves a problem solved by
sorting: each site's value is the sum of its negative reduced costs, and the ``p`` best
sites under the rules are chosen. Subgradient steps on the multipliers give a lower bound
that often meets the incumbent outright; when it does not, sites whose flip would cost more
than the gap are fixed, and a depth-first branch-and-bound on the same bound (for few open
sites and no group counts) usually closes the rest faster than a MIP would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridgov._errors import InfeasibleError
from gridgov.coverage.location._common import Bools, Floats, Sites, check_sites, whole_all

__all__ = [
    "TREE_MAX_P",
    "TREE_NODES",
    "Lagrange",
    "Tree",
    "fix",
    "lagrangian",
    "lagrangian_tree",
    "select",
]

#: Nodes the Lagrangian tree search may take before the radius MIP takes over (the
#: OR-Library instances with p <= 20 it proves in 1-875 nodes; pmed36, which HiGHS proves
#: faster, would need several thousand).
TREE_NODES = 1000
#: The tree search branches on which sites open, so its work grows with p while the radius
#: MIP's LP gets tighter (fewer levels per row): measured on OR-Library, it wins 5-15x at
#: p = 5-10 and loses badly from p = 80 on (pmed20, p = 133: 1.2 s -> 95 s). Above this
#: p the MIP goes first.
TREE_MAX_P = 20


def select(rho: Floats, sites: Sites, p: int) -> Bools:
    """The ``p`` allowed sites of least ``rho`` under the keep and group rules.

    Kept sites first, then each group's cheapest up to its minimum, then the cheapest of
    the rest within the group maximums: optimal for these (laminar) rules.
    """
    m = rho.size
    chosen = sites.keep.copy()
    key = np.where(sites.allowed & ~chosen, rho, np.inf)
    if sites.n_groups:
        cnt = sites.counts(chosen)
        for g in range(sites.n_groups):
            short = int(sites.lo[g] - cnt[g])
            if short > 0:
                members = np.flatnonzero((sites.group == g) & np.isfinite(key))
                pick = members[np.argsort(key[members], kind="stable")[:short]]
                chosen[pick] = True
                key[pick] = np.inf
        order = np.argsort(key, kind="stable")
        cnt = sites.counts(chosen)
        left = p - int(chosen.sum())
        for j in order:
            if left <= 0 or not np.isfinite(key[j]):
                break
            g = sites.group[j]
            if g >= 0 and cnt[g] >= sites.hi[g]:
                continue
            chosen[j] = True
            left -= 1
            if g >= 0:
                cnt[g] += 1
        return chosen
    left = p - int(chosen.sum())
    if left > 0:
        pick = np.argpartition(key, left - 1)[:left] if left < m else np.arange(m)
        chosen[pick[np.isfinite(key[pick])]] = True
    return chosen


@dataclass
class Lagrange:
    """Best Lagrangian bound found, its multipliers' site values and chosen sites."""

    bound: float
    rho: Floats
    chosen: Bools
    base: float  # sum of multipliers
    iterations: int
    lam: Floats  # the multipliers that gave ``bound``


def lagrangian(
    wc: Floats, sites: Sites, p: int, ub: float, lam: Floats, deadline: float | None
) -> Lagrange:
    """Subgradient optimisation of the Lagrangian dual of the p-median (assignment rows
    relaxed; Beasley 1993). Each pass is one vectorised sweep of the weighted cost matrix.
    """
    lam = lam.copy()
    best = Lagrange(-np.inf, np.zeros(wc.shape[1]), sites.keep.copy(), 0.0, 0, lam.copy())
    f, stall = 2.0, 0
    for it in range(1, 5001):
        red = np.minimum(wc - lam[:, None], 0.0)
        rho = red.sum(axis=0)
        chosen = select(rho, sites, p)
        value = float(lam.sum() + rho[chosen].sum())
        if value > best.bound + 1e-12 * max(abs(value), 1.0):
            best = Lagrange(value, rho, chosen, float(lam.sum()), it, lam.copy())
            stall = 0
        else:
            stall += 1
            if stall >= 25:
                f, stall = f / 2.0, 0
        if best.bound >= ub - 1e-9 * max(abs(ub), 1.0) or f < 1e-4:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        g = 1.0 - (wc[:, chosen] < lam[:, None]).sum(axis=1)
        norm = float(g @ g)
        if norm == 0:  # the relaxed assignment is feasible: the bound is the optimum
            break
        lam += f * (ub - value) / norm * g
    best.iterations = it
    return best


def fix(
    lg: Lagrange, sites: Sites, p: int, ub: float, integral: bool
) -> tuple[Bools, Bools, float]:
    """Sites that must be open / closed in every plan cheaper than ``ub``.

    Flipping site ``j`` against the Lagrangian choice costs at least the bound recomputed
    with ``j`` forced: when that exceeds ``ub`` the flip cannot lead to a better plan.
    Returns (open, closed, bound): ``bound`` is a lower bound on every plan that breaks
    a fixing, so the final proven bound is the smaller of it and the residual MIP's.
    """
    m = lg.rho.size
    rho = lg.rho
    chosen = lg.chosen
    flip_bound = np.full(m, -np.inf)
    free = sites.allowed & ~sites.keep
    if sites.n_groups == 0:
        sel = np.flatnonzero(chosen & ~sites.keep)
        out = np.flatnonzero(free & ~chosen)
        if sel.size:
            flip_bound[out] = lg.bound + rho[out] - rho[sel].max()
        if out.size:
            flip_bound[sel] = lg.bound - rho[sel] + rho[out].min()
    else:
        for j in np.flatnonzero(free):
            one = np.zeros(m, dtype=bool)
            one[j] = True
            trial = sites.narrowed(shut=one) if chosen[j] else sites.narrowed(forced=one)
            try:
                check_sites(trial, p)
            except InfeasibleError:
                flip_bound[j] = np.inf
                continue
            pick = select(rho, trial, p)
            flip_bound[j] = lg.base + float(rho[pick].sum())
    if integral:
        flip_bound = whole_all(flip_bound)
    fixed = (
        free & (flip_bound > ub + 1e-9 * max(abs(ub), 1.0))
        if not integral
        else free & (flip_bound >= ub)
    )
    fixed_open = fixed & chosen
    fixed_closed = fixed & ~chosen
    bound = float(flip_bound[fixed].min()) if fixed.any() else np.inf
    return fixed_open, fixed_closed, bound


@dataclass
class Tree:
    """Outcome of the Lagrangian tree search: best plan, its value, the bound it proved
    (None: stopped at its node budget) and the nodes it took."""

    is_open: Bools
    value: float
    bound: float | None
    nodes: int


def _node_bound(
    w_free: Floats,
    forced: Bools,
    closed: Bools,
    p: int,
    ub: float,
    lam: Floats,
    steps: int,
    prune: Callable[[Any, float], Any],
) -> tuple[float, Floats, Bools, Floats]:
    """Subgradient steps on one node (sites ``forced`` open, ``closed`` shut), warm-started
    from the parent's multipliers; returns the best (bound, rho, chosen, multipliers).

    The steps run on the columns of the sites not shut (copied once per node; deep nodes
    have shut most of them), in one scratch array. ``rho`` of a shut site is 0.
    """
    m = forced.size
    left = p - int(forced.sum())
    free = ~(forced | closed)
    if left < 0 or left > int(free.sum()):
        return np.inf, np.zeros(m), forced, lam  # no plan in this node
    active = np.flatnonzero(~closed)
    w = w_free if active.size == m else w_free[:, active]
    forced_a, free_a = forced[active], free[active]
    best_val, best_rho, best_ch, best_lam = -np.inf, np.zeros(active.size), forced_a, lam
    f, stall = 0.5, 0
    buf = np.empty_like(w)
    for _ in range(steps):
        np.subtract(w, lam[:, None], out=buf)
        np.minimum(buf, 0.0, out=buf)
        rho = buf.sum(axis=0)
        chosen = forced_a.copy()
        if left:
            key = np.where(free_a, rho, np.inf)
            chosen[np.argpartition(key, left - 1)[:left]] = True
        value = float(lam.sum() + rho[chosen].sum())
        if value > best_val + 1e-9:
            best_val, best_rho, best_ch, best_lam = value, rho, chosen, lam
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                f, stall = f / 2.0, 0
        if prune(best_val, ub) or f < 1e-3:
            break
        g = 1.0 - (w[:, chosen] < lam[:, None]).sum(axis=1)
        norm = float(g @ g)
        if norm == 0:
            break
        lam = lam + f * (ub - value) / norm * g
    rho_all = np.zeros(m)
    rho_all[active] = best_rho
    chosen_all = np.zeros(m, dtype=bool)
    chosen_all[active] = best_ch
    return best_val, rho_all, chosen_all, best_lam


def lagrangian_tree(
    wc: Floats,
    sites: Sites,
    p: int,
    start: Bools,
    lg: Lagrange,
    *,
    prune: Callable[[Any, float], Any],
    max_nodes: int | None = None,
) -> Tree:
    """Depth-first branch-and-bound on the Lagrangian bound (Beasley 1993's tree search).

    Written here rather than handed to a MIP solver because it is measured faster where
    the LP gap is closed by branching on few sites: on OR-Library pmed35/38/39 (p = 5-10,
    n = 800-900) each node is a few dozen vectorised subgradient steps on the free sites'
    columns (milliseconds) where a node of HiGHS's branch-and-bound on the radius MIP is a
    fraction of a second, and the whole proof takes 2-12 s against 20-60 s. Each node
    fixes sites by the same flip test as :func:`fix`, branches on its most attractive
    free chosen site (open first) and tries its Lagrangian choice as a plan. Only for
    plain site rules (allowed / kept, no group counts); ``prune(bound, incumbent)`` says
    when a node cannot hold a better plan. Stops unproven after ``max_nodes`` (default
    :data:`TREE_NODES`, read at call time).
    """
    budget = TREE_NODES if max_nodes is None else max_nodes
    cols = np.flatnonzero(sites.allowed)
    w_free = wc[:, cols]
    best = start.copy()
    ub = float(wc[:, best].min(axis=1).sum())
    stack = [(sites.keep[cols].copy(), np.zeros(cols.size, bool), lg.lam, 0)]
    nodes = 0
    proved = np.inf  # least bound of the nodes cut off
    done = 0.0  # share of the binary tree settled: a node settled at depth d is 2**-d of it
    while stack:
        if nodes >= budget or (nodes >= 300 and nodes / max(done, 1e-12) > 1.25 * budget):
            # Out of nodes, or on course for more (Knuth's estimate: nodes so far over the
            # share of the tree settled). pmed39's estimate stays near 800-1,000 and it
            # proves at 875 nodes; pmed36's climbs past 1,250 by node 800 and its proof
            # would take thousands, where the MIP needs about a minute.
            return Tree(best, ub, None, nodes)
        forced, closed, lam, depth = stack.pop()
        nodes += 1
        val, rho, chosen, lam = _node_bound(w_free, forced, closed, p, ub, lam, 60, prune)
        if prune(val, ub):
            proved = min(proved, val)
            done += 0.5**depth
            continue
        value = float(w_free[:, chosen].min(axis=1).sum())
        if value < ub:
            best = np.zeros_like(best)
            best[cols[chosen]] = True
            ub = value
            if prune(val, ub):
                proved = min(proved, val)
                done += 0.5**depth
                continue
        free = ~(forced | closed)
        sel, out = chosen & free, free & ~chosen
        closed2, forced2 = closed.copy(), forced.copy()
        if sel.any() and out.any():
            closed2 |= out & prune(val + rho - rho[sel].max(), ub)
            rest = out & ~closed2
            if rest.any():
                forced2 |= sel & prune(val - rho + rho[rest].min(), ub)
        branch = np.flatnonzero(chosen & ~(forced2 | closed2))
        if branch.size == 0 or int(forced2.sum()) > p:
            # every chosen site is forced: the node's only plan was tried above
            proved = min(proved, value if int(forced2.sum()) <= p else np.inf)
            done += 0.5**depth
            continue
        j = branch[np.argmin(rho[branch])]
        shut, keep = closed2.copy(), forced2.copy()
        shut[j], keep[j] = True, True
        stack.append((forced2, shut, lam, depth + 1))
        stack.append((keep, closed2, lam, depth + 1))
    return Tree(best, ub, min(proved, ub), nodes)
