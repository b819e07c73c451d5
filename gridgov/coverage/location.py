"""Location models on a demand x site cost matrix, solved exactly with a proven bound.

Models
------
``p-median``       minimise weighted travel with ``p`` open sites;
``p-median-full``  the same, with every demand point within ``standard`` of an open site;
``mclp``           maximise the weight within ``standard`` with ``p`` sites (ties broken by
                   least weighted travel);
``lscp``           the fewest sites that put every demand point within ``standard`` (ties
                   broken by least weighted travel);
``p-center``       minimise the largest travel with ``p`` sites (ties broken by least
                   weighted travel).

How it is solved
----------------
Travel enters through the *radius formulation* of the p-median (Elloumi 2010; Garcia,
Labbe and Marin 2011): for demand point ``i`` with distinct site costs
``v1 < v2 < ...``, a continuous ``z[i,k]`` is 1 when no open site costs less than ``v[k]``,
and the objective adds ``w[i] * (v[k] - v[k-1]) * z[i,k]``. Its LP relaxation is as tight as
the classical assignment model's, but it needs no ``n x m`` assignment variables, equal
costs share one level, and the chained rows ``z[i,k] >= z[i,k-1] - sum(y at v[k-1])`` hold
each site once per demand point. Levels are *truncated* at the cost a good solution already
gives each point (a valid relaxation: the truncated optimum is a lower bound) and extended
where the MIP's answer travels further; when no point travels past its last level the MIP's
optimum is the true optimum. A greedy start plus fast vertex substitution (Whitaker's
interchange, vectorised) gives the first incumbent. Mixed-integer programs go to HiGHS
(``highspy``). When a time limit stops it, the best plan found and HiGHS's proven bound are
returned, so the gap is always stated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from gridgov._errors import InfeasibleError

__all__ = ["MODELS", "Instance", "Solution", "solve"]

log = logging.getLogger(__name__)

Model = Literal["p-median", "p-median-full", "mclp", "lscp", "p-center"]
MODELS: tuple[str, ...] = ("p-median", "p-median-full", "mclp", "lscp", "p-center")

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

# Relative gap below which a MIP counts as proven optimal by default.
DEFAULT_MIP_GAP = 1e-7


@dataclass(frozen=True)
class Instance:
    """A demand x site cost matrix with demand weights, built once.

    Attributes
    ----------
    cost : ndarray, shape (n_demand, n_sites)
        Travel cost (seconds or metres); ``inf`` where a site cannot be reached.
    weight : ndarray, shape (n_demand,)
        Demand weight (population); non-negative.
    demand_ids, site_ids : Index
        Labels of the rows and columns.
    """

    cost: Floats
    weight: Floats
    demand_ids: pd.Index
    site_ids: pd.Index

    @property
    def n_demand(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.cost.shape[1])

    @classmethod
    def from_cost_matrix(
        cls,
        cost: ArrayLike,
        weight: ArrayLike | None = None,
        *,
        demand_ids: ArrayLike | None = None,
        site_ids: ArrayLike | None = None,
    ) -> Instance:
        """Build an instance from a dense cost matrix.

        Parameters
        ----------
        cost : array-like, shape (n_demand, n_sites)
            Non-negative travel costs; ``inf`` (or NaN) for a site that cannot be reached.
        weight : array-like, optional
            Demand weights (default 1 each).
        demand_ids, site_ids : array-like, optional
            Row and column labels (default 0..n-1).

        Raises
        ------
        ValueError
            A shape mismatch, a negative cost or weight, or duplicate labels.
        """
        c = np.array(cost, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"cost must be a 2-D matrix (demand x sites), got shape {c.shape}")
        c[np.isnan(c)] = np.inf
        if (c < 0).any():
            i, j = np.argwhere(c < 0)[0]
            raise ValueError(f"cost must be non-negative: cost[{i}, {j}] = {c[i, j]}")
        n, m = c.shape
        w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        if w.shape != (n,):
            raise ValueError(f"weight has {w.size} values for {n} demand rows")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"weight must be finite and non-negative: weight[{i}] = {w[i]}")
        rows = pd.Index(np.arange(n) if demand_ids is None else np.asarray(demand_ids))
        cols = pd.Index(np.arange(m) if site_ids is None else np.asarray(site_ids))
        for name, index, size in (("demand_ids", rows, n), ("site_ids", cols, m)):
            if len(index) != size:
                raise ValueError(f"{name} has {len(index)} labels for {size} entries")
            if index.has_duplicates:
                dup = index[index.duplicated()][0]
                raise ValueError(f"{name} must be unique: {dup!r} appears more than once")
        return cls(c, w, rows, cols)

    @classmethod
    def from_cost_table(
        cls,
        table: pd.DataFrame,
        weight: pd.Series | None = None,
        *,
        origin: str = "origin_id",
        destination: str = "destination_id",
        cost: str = "cost",
    ) -> Instance:
        """Build an instance from the long-form ``(origin_id, destination_id, cost)`` table.

        Pairs missing from the table are unreachable (``inf``). ``weight`` is indexed by
        origin id and must have a value for every origin.
        """
        for col in (origin, destination, cost):
            if col not in table.columns:
                raise ValueError(f"cost table has no column {col!r}")
        rows = pd.Index(pd.unique(table[origin]))
        cols = pd.Index(pd.unique(table[destination]))
        mat = np.full((len(rows), len(cols)), np.inf)
        mat[
            rows.get_indexer(pd.Index(table[origin])),
            cols.get_indexer(pd.Index(table[destination])),
        ] = table[cost].to_numpy(dtype=float)
        w = None
        if weight is not None:
            missing = rows[~rows.isin(weight.index)]
            if len(missing):
                raise ValueError(f"weight has no value for origin {missing[0]!r}")
            w = weight.reindex(rows).to_numpy(dtype=float)
        return cls.from_cost_matrix(mat, w, demand_ids=rows, site_ids=cols)


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve`.

    Attributes
    ----------
    model : str
    p : int
        Number of open sites.
    open : ndarray of int
        Positions (columns of the cost matrix) of the open sites, ascending.
    assigned : ndarray of int, shape (n_demand,)
        Position of the open site serving each demand point (its cheapest open site);
        -1 where no open site is reachable.
    cost : ndarray, shape (n_demand,)
        Cost from each demand point to its assigned site (``inf`` where none).
    objective : float
        p-median(-full): sum of weight x cost; MCLP: covered weight; LSCP: number of
        sites; p-center: the largest cost.
    bound : float
        Best proven bound on the objective (lower for minimisation, upper for MCLP).
    gap : float
        ``|objective - bound| / max(|objective|, 1e-9)``; 0 when proven optimal.
    proven : bool
        True when the gap is within the requested tolerance.
    status : str
        ``"optimal"``, ``"time limit"`` or ``"heuristic"``.
    method : str
        How it was solved, in words.
    time_s : float
        Wall time of the solve.
    site_ids : Index
        Labels of all sites (columns), so ``open_ids`` can name the open ones.
    travel : float
        Weighted travel of the plan (sum of weight x cost), whatever the model.
    """

    model: str
    p: int
    open: Ints
    assigned: Ints
    cost: Floats
    objective: float
    bound: float
    gap: float
    proven: bool
    status: str
    method: str
    time_s: float
    site_ids: pd.Index
    travel: float

    @property
    def open_ids(self) -> list[Any]:
        """Labels of the open sites."""
        return list(self.site_ids[self.open])


# --- constraints on the sites -----------------------------------------------------------------


@dataclass(frozen=True)
class _Sites:
    """Which sites may open, must open, and how many per group."""

    allowed: Bools
    keep: Bools
    group: Ints  # group number per site, -1 for none
    lo: Ints  # per group
    hi: Ints  # per group
    labels: list[Any]

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def counts(self, is_open: Bools) -> Ints:
        g = self.group[is_open]
        return np.bincount(g[g >= 0], minlength=self.n_groups).astype(np.int64)

    def feasible(self, is_open: Bools, p: int | None) -> bool:
        if (is_open & ~self.allowed).any() or (self.keep & ~is_open).any():
            return False
        if p is not None and int(is_open.sum()) != p:
            return False
        c = self.counts(is_open)
        return bool(((c >= self.lo) & (c <= self.hi)).all())


def _mask(value: ArrayLike | None, m: int, name: str) -> Bools:
    if value is None:
        return np.zeros(m, dtype=bool)
    arr = np.asarray(value)
    if arr.dtype == bool:
        if arr.shape != (m,):
            raise ValueError(f"{name} mask has {arr.size} entries for {m} sites")
        return arr.copy()
    pos = arr.astype(np.int64).ravel()
    if pos.size and (pos.min() < 0 or pos.max() >= m):
        bad = pos[(pos < 0) | (pos >= m)][0]
        raise ValueError(f"{name} names site position {bad}, outside 0..{m - 1}")
    out = np.zeros(m, dtype=bool)
    out[pos] = True
    return out


def _sites(
    m: int,
    keep: ArrayLike | None,
    close: ArrayLike | None,
    groups: ArrayLike | None,
    group_min: Mapping[Any, int] | None,
    group_max: Mapping[Any, int] | None,
) -> _Sites:
    k = _mask(keep, m, "keep")
    c = _mask(close, m, "close")
    both = np.flatnonzero(k & c)
    if both.size:
        raise InfeasibleError(
            f"site position {int(both[0])} is both kept and closed ({both.size} such sites)"
        )
    if groups is None:
        if group_min or group_max:
            raise ValueError("group_min / group_max need groups (a label per site)")
        return _Sites(
            ~c, k, np.full(m, -1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), []
        )
    labels_arr = np.asarray(groups, dtype=object)
    if labels_arr.shape != (m,):
        raise ValueError(f"groups has {labels_arr.size} labels for {m} sites")
    labels = list(pd.unique(pd.Series(labels_arr)))
    index = {lab: g for g, lab in enumerate(labels)}
    group = np.array([index[v] for v in labels_arr], dtype=np.int64)
    lo = np.zeros(len(labels), dtype=np.int64)
    hi = np.full(len(labels), m, dtype=np.int64)
    for name, bounds, target in (("group_min", group_min, lo), ("group_max", group_max, hi)):
        for lab, v in (bounds or {}).items():
            if lab not in index:
                raise ValueError(f"{name} names group {lab!r}, which no site has")
            if int(v) < 0:
                raise ValueError(f"{name}[{lab!r}] must be >= 0, got {v}")
            target[index[lab]] = int(v)
    return _Sites(~c, k, group, lo, hi, labels)


def _check_sites(sites: _Sites, p: int | None) -> None:
    """Raise a named InfeasibleError when the site rules contradict each other or ``p``."""
    problems: list[str] = []
    n_keep = int(sites.keep.sum())
    n_allowed = int(sites.allowed.sum())
    keep_per = np.bincount(sites.group[sites.keep & (sites.group >= 0)], minlength=sites.n_groups)
    allowed_per = np.bincount(
        sites.group[sites.allowed & (sites.group >= 0)], minlength=sites.n_groups
    )
    for g, lab in enumerate(sites.labels):
        if sites.lo[g] > sites.hi[g]:
            problems.append(f"group {lab}: minimum {sites.lo[g]} > maximum {sites.hi[g]}")
        if keep_per[g] > sites.hi[g]:
            problems.append(f"group {lab}: {keep_per[g]} sites must stay, maximum is {sites.hi[g]}")
        if allowed_per[g] < sites.lo[g]:
            problems.append(
                f"group {lab}: minimum {sites.lo[g]} but only {allowed_per[g]} sites may open"
            )
    if p is not None:
        if p < 1:
            problems.append(f"p must be at least 1, got {p}")
        if n_keep > p:
            problems.append(f"{n_keep} sites must stay open, more than p = {p}")
        if n_allowed < p:
            problems.append(f"only {n_allowed} sites may open, fewer than p = {p}")
        need = int(np.maximum(sites.lo, keep_per).sum()) + int(
            (sites.keep & (sites.group < 0)).sum()
        )
        if need > p:
            problems.append(
                f"the group minimums and kept sites need {need} sites, more than p = {p}"
            )
        room = int(np.minimum(sites.hi, allowed_per).sum()) + int(
            (sites.allowed & (sites.group < 0)).sum()
        )
        if room < p:
            problems.append(f"the group maximums allow at most {room} sites, fewer than p = {p}")
    if problems:
        raise InfeasibleError("; ".join(problems))


# --- heuristic: greedy + fast vertex substitution ---------------------------------------------


def _nearest_two(c: Floats, is_open: Bools) -> tuple[Ints, Floats, Floats]:
    """Nearest open site of every row, its cost, and the second-nearest open cost."""
    cols = np.flatnonzero(is_open)
    sub = c[:, cols]
    if cols.size == 1:
        return np.full(c.shape[0], cols[0]), sub[:, 0].copy(), np.full(c.shape[0], np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(c.shape[0])
    a, b = sub[rows, part[:, 0]], sub[rows, part[:, 1]]
    first = np.where(a <= b, part[:, 0], part[:, 1])
    d1 = np.minimum(a, b)
    d2 = np.maximum(a, b)
    return cols[first], d1, d2


def _greedy(c: Floats, w: Floats, sites: _Sites, p: int) -> Bools:
    """Add the site that cuts weighted cost most, group minimums first, until ``p``."""
    m = c.shape[1]
    is_open = sites.keep.copy()
    best = c[:, is_open].min(axis=1) if is_open.any() else np.full(c.shape[0], np.inf)
    big = np.where(np.isfinite(best), best, np.nanmax(np.where(np.isfinite(c), c, 0)) * 4 + 1)

    def add(candidates: Bools) -> None:
        nonlocal big
        cols = np.flatnonzero(candidates)
        gain = (w[:, None] * np.maximum(big[:, None] - c[:, cols], 0)).sum(axis=0)
        j = int(cols[int(np.argmax(gain))])
        is_open[j] = True
        big = np.minimum(big, c[:, j])

    for g in range(sites.n_groups):
        while sites.counts(is_open)[g] < sites.lo[g]:
            add(sites.allowed & ~is_open & (sites.group == g))
    while int(is_open.sum()) < p:
        cnt = sites.counts(is_open)
        full = np.zeros(m, dtype=bool)
        has = sites.group >= 0
        full[has] = cnt[sites.group[has]] >= sites.hi[sites.group[has]]
        add(sites.allowed & ~is_open & ~full)
    return is_open


def _interchange(
    c: Floats, w: Floats, sites: _Sites, is_open: Bools, max_rounds: int = 100_000
) -> Bools:
    """Best-improvement vertex substitution (Teitz-Bart, Whitaker's fast interchange).

    The profit of swapping every closed site in for every open site out is computed at
    once: ``gain[in] - loss[out] + extra[in, out]`` (Resende and Werneck 2007), with
    ``extra`` a sparse product, so one round costs O(n x m).
    """
    is_open = is_open.copy()
    n, m = c.shape
    rows = np.arange(n)
    top = 2.0 * float(c.max()) + 1.0
    for _ in range(max_rounds):
        near, d1, d2 = _nearest_two(c, is_open)
        cand = np.flatnonzero(sites.allowed & ~is_open)
        outs = np.flatnonzero(is_open & ~sites.keep)
        if cand.size == 0 or outs.size == 0:
            break
        # With one open site there is no second: a large finite stand-in keeps the
        # algebra exact (it cancels between loss and extra).
        d2 = np.where(np.isfinite(d2), d2, top)
        sub = c[:, cand]
        gain = (w[:, None] * np.maximum(d1[:, None] - sub, 0)).sum(axis=0)
        loss = np.bincount(near, weights=w * (d2 - d1), minlength=m)[outs]
        extra_vals = w[:, None] * np.maximum(d2[:, None] - np.maximum(sub, d1[:, None]), 0)
        extra_vals = np.where(np.isfinite(extra_vals), extra_vals, 0)
        onehot = sparse.csr_matrix((np.ones(n), (rows, near)), shape=(n, m))[:, outs]
        extra = np.asarray((onehot.T @ extra_vals).T)  # (cand, outs)
        profit = gain[:, None] - loss[None, :] + extra
        if sites.n_groups:
            cnt = sites.counts(is_open)
            gi, go = sites.group[cand], sites.group[outs]
            ok_in = (gi < 0) | (cnt[np.maximum(gi, 0)] + 1 <= sites.hi[np.maximum(gi, 0)])
            ok_out = (go < 0) | (cnt[np.maximum(go, 0)] - 1 >= sites.lo[np.maximum(go, 0)])
            same = (gi[:, None] == go[None, :]) & (gi[:, None] >= 0)
            profit = np.where(same | (ok_in[:, None] & ok_out[None, :]), profit, -np.inf)
        k = int(np.argmax(profit))
        a, b = divmod(k, outs.size)
        total = float((w * d1).sum())
        if not np.isfinite(profit[a, b]) or profit[a, b] <= 1e-10 * max(total, 1.0):
            break
        is_open[cand[a]] = True
        is_open[outs[b]] = False
    return is_open


# --- Lagrangian bound and variable fixing (plain p-median) -------------------------------------


def _select(rho: Floats, sites: _Sites, p: int) -> Bools:
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
class _Lagrange:
    """Best Lagrangian bound found, its multipliers' site values and chosen sites."""

    bound: float
    rho: Floats
    chosen: Bools
    base: float  # sum of multipliers
    iterations: int
    lam: Floats  # the multipliers that gave ``bound``


def _lagrangian(
    wc: Floats, sites: _Sites, p: int, ub: float, lam: Floats, deadline: float | None
) -> _Lagrange:
    """Subgradient optimisation of the Lagrangian dual of the p-median (assignment rows
    relaxed; Beasley 1993). Each pass is one vectorised sweep of the weighted cost matrix.
    """
    lam = lam.copy()
    best = _Lagrange(-np.inf, np.zeros(wc.shape[1]), sites.keep.copy(), 0.0, 0, lam.copy())
    f, stall = 2.0, 0
    for it in range(1, 5001):
        red = np.minimum(wc - lam[:, None], 0.0)
        rho = red.sum(axis=0)
        chosen = _select(rho, sites, p)
        value = float(lam.sum() + rho[chosen].sum())
        if value > best.bound + 1e-12 * max(abs(value), 1.0):
            best = _Lagrange(value, rho, chosen, float(lam.sum()), it, lam.copy())
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


def _fix(
    lg: _Lagrange, sites: _Sites, p: int, ub: float, integral: bool
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
            trial = _Sites(
                sites.allowed.copy(),
                sites.keep.copy(),
                sites.group,
                sites.lo,
                sites.hi,
                sites.labels,
            )
            if chosen[j]:
                trial.allowed[j] = False
            else:
                trial.keep[j] = True
            try:
                _check_sites(trial, p)
            except InfeasibleError:
                flip_bound[j] = np.inf
                continue
            pick = _select(rho, trial, p)
            flip_bound[j] = lg.base + float(rho[pick].sum())
    if integral:
        flip_bound = np.ceil(flip_bound - 1e-7)
    fixed = (
        free & (flip_bound > ub + 1e-9 * max(abs(ub), 1.0))
        if not integral
        else free & (flip_bound >= ub)
    )
    fixed_open = fixed & chosen
    fixed_closed = fixed & ~chosen
    bound = float(flip_bound[fixed].min()) if fixed.any() else np.inf
    return fixed_open, fixed_closed, bound


#: Nodes the Lagrangian tree search may take before the radius MIP takes over (the
#: OR-Library instances with p <= 20 it proves in 1-875 nodes; pmed36, which HiGHS proves
#: faster, would need several thousand).
TREE_NODES = 1000
#: The tree search branches on which sites open, so its work grows with p while the radius
#: MIP's LP gets tighter (fewer levels per row): measured on OR-Library, it wins 5-15x at
#: p = 5-10 and loses badly from p = 80 on (pmed20, p = 133: 1.2 s -> 95 s). Above this
#: p the MIP goes first.
TREE_MAX_P = 20


@dataclass
class _Tree:
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


def _lagrangian_tree(
    wc: Floats,
    sites: _Sites,
    p: int,
    start: Bools,
    lg: _Lagrange,
    *,
    prune: Callable[[Any, float], Any],
    max_nodes: int,
) -> _Tree:
    """Depth-first branch-and-bound on the Lagrangian bound (Beasley 1993's tree search).

    Written here rather than handed to a MIP solver because it is measured faster where
    the LP gap is closed by branching on few sites: on OR-Library pmed35/38/39 (p = 5-10,
    n = 800-900) each node is a few dozen vectorised subgradient steps on the free sites'
    columns (milliseconds) where a node of HiGHS's branch-and-bound on the radius MIP is a
    fraction of a second, and the whole proof takes 2-12 s against 20-60 s. Each node
    fixes sites by the same flip test as :func:`_fix`, branches on its most attractive
    free chosen site (open first) and tries its Lagrangian choice as a plan. Only for
    plain site rules (allowed / kept, no group counts); ``prune(bound, incumbent)`` says
    when a node cannot hold a better plan. Stops unproven after ``max_nodes``.
    """
    cols = np.flatnonzero(sites.allowed)
    w_free = wc[:, cols]
    best = start.copy()
    ub = float(wc[:, best].min(axis=1).sum())
    stack = [(sites.keep[cols].copy(), np.zeros(cols.size, bool), lg.lam, 0)]
    nodes = 0
    proved = np.inf  # least bound of the nodes cut off
    done = 0.0  # share of the binary tree settled: a node settled at depth d is 2**-d of it
    while stack:
        if nodes >= max_nodes or (nodes >= 300 and nodes / max(done, 1e-12) > 1.25 * max_nodes):
            # Out of nodes, or on course for more (Knuth's estimate: nodes so far over the
            # share of the tree settled). pmed39's estimate stays near 800-1,000 and it
            # proves at 875 nodes; pmed36's climbs past 1,250 by node 800 and its proof
            # would take thousands, where the MIP needs about a minute.
            return _Tree(best, ub, None, nodes)
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
    return _Tree(best, ub, min(proved, ub), nodes)


# --- the radius formulation ---------------------------------------------------------------------


def _highs() -> Any:
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a core dependency
        raise ImportError("gridgov's location models need HiGHS: pip install highspy") from exc
    core = getattr(getattr(highspy, "_core", None), "_Highs", None)
    h = core() if core is not None else highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class _Levels:
    """Each row's sorted site costs, the level of each sorted position, and level values."""

    order: Ints  # (n, m) site positions sorted by cost
    level: Ints  # (n, m) level (0-based) of each sorted position; equal costs share a level
    value: Floats  # (n, m) cost at each sorted position
    n_levels: Ints  # levels per row among allowed, finite costs (and <= standard)
    key: Ints  # (n * m,) row * (m + 1) + level: sorted, since levels rise along each row

    @classmethod
    def build(cls, c: Floats, allowed: Bools, cap: float, keep: Bools | None = None) -> _Levels:
        """Levels of each row up to ``cap``, and never past its nearest kept site.

        A kept site is always open, so no row travels further than it: levels beyond are
        never modelled (an exact reduction, not a truncation).
        """
        cc = np.where(allowed[None, :], c, np.inf)
        row_cap = np.full(c.shape[0], float(cap))
        if keep is not None and keep.any():
            row_cap = np.minimum(row_cap, cc[:, keep].min(axis=1))
        order = np.argsort(cc, axis=1, kind="stable")
        value = np.take_along_axis(cc, order, axis=1)
        with np.errstate(invalid="ignore"):
            step = np.diff(value, axis=1) > 0
        level = np.concatenate(
            [np.zeros((c.shape[0], 1), np.int64), np.cumsum(step, axis=1)], axis=1
        )
        usable = np.isfinite(value) & (value <= row_cap[:, None])
        n_levels = np.where(usable.any(axis=1), np.where(usable, level, -1).max(axis=1) + 1, 0)
        key = (np.arange(c.shape[0])[:, None] * (c.shape[1] + 1) + level).ravel()
        return cls(order, level, value, n_levels.astype(np.int64), key)

    def level_of(self, cost: Floats) -> Ints:
        """Level (0-based) of each row's given cost (the first position with that value)."""
        pos = (self.value < cost[:, None]).sum(axis=1)
        pos = np.minimum(pos, self.value.shape[1] - 1)
        return self.level[np.arange(cost.size), pos]

    def level_value(self, rows: Ints, lev: Ints) -> Floats:
        """Cost of level ``lev`` in each of ``rows``."""
        m = self.level.shape[1]
        pos = np.searchsorted(self.key, rows * (m + 1) + lev)
        return self.value.ravel()[pos]


def _ranges(counts: Ints, start: int) -> Ints:
    """``start, start+1, ..., start+counts[i]-1`` for every ``i``, concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - first + start


@dataclass
class _Mip:
    """A radius-formulation MIP over the truncated levels, built for one solve."""

    lp: Any
    n_y: int
    z_start: Ints  # first z column of each row (-1: none)
    n_z: Ints  # z columns of each row (levels 2..L)
    u_col: Ints  # uncovered indicator column per row (-1: none)
    offset: float


def _build_mip(
    c: Floats,
    w: Floats,
    lv: _Levels | None,
    depth: Ints,
    sites: _Sites,
    *,
    p: int | None,
    cover: Bools | None,
    reach: Bools | None,
    travel: bool,
    site_cost: float,
    uncovered_cost: float,
    uncovered_budget: float | None,
) -> _Mip:
    """Assemble the MIP.

    ``depth[i]`` is how many levels of row ``i`` are modelled (z columns for levels
    2..depth). ``cover`` rows must have an open site where ``reach`` is True; ``u`` columns
    (uncovered indicators with cost ``uncovered_cost``, or a budget on their weight) are
    added for rows that should be covered but may not be.
    """
    import highspy

    n, m = c.shape
    n_z = np.where(travel & (w > 0), np.maximum(depth - 1, 0), 0).astype(np.int64)
    z_start = np.full(n, -1, dtype=np.int64)
    has_z = n_z > 0
    z_start[has_z] = m + np.concatenate([[0], np.cumsum(n_z[has_z])[:-1]])
    n_zc = int(n_z.sum())
    want_u = uncovered_cost > 0 or uncovered_budget is not None
    u_rows = (
        np.flatnonzero(reach.any(axis=1))
        if (want_u and reach is not None)
        else np.zeros(0, np.int64)
    )
    u_col = np.full(n, -1, dtype=np.int64)
    u_col[u_rows] = m + n_zc + np.arange(u_rows.size)
    n_col = m + n_zc + u_rows.size

    # Columns: costs and bounds.
    cost = np.zeros(n_col)
    cost[:m] = site_cost
    lower = np.zeros(n_col)
    upper = np.ones(n_col)
    upper[:m] = sites.allowed.astype(float)
    lower[:m] = sites.keep.astype(float)
    offset = 0.0
    if travel:
        if lv is None:
            raise ValueError("travel needs the levels of each row")
        first = lv.value[:, 0]
        offset = float((w[w > 0] * first[w > 0]).sum())
        # z column (i, k) for k = 2..depth costs w * (v_k - v_{k-1}).
        zr = np.repeat(np.arange(n), n_z)
        zk = _ranges(n_z, 1)
        vk = lv.level_value(zr, zk)
        vk1 = lv.level_value(zr, zk - 1)
        cost[m : m + n_zc] = w[zr] * (vk - vk1)
    cost[m + n_zc :] = uncovered_cost * w[u_rows] if uncovered_cost > 0 else 0.0

    none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
    r_idx: list[Ints] = [none_i]
    c_idx: list[Ints] = [none_i]
    vals: list[Floats] = [none_f]
    r_lo: list[Floats] = [none_f]
    r_hi: list[Floats] = [none_f]
    n_rows = 0

    def rows(count: int, lo: Floats, hi: Floats) -> int:
        nonlocal n_rows
        first_row = n_rows
        n_rows += count
        r_lo.append(lo)
        r_hi.append(hi)
        return first_row

    if travel and n_zc and lv is not None:
        # Row (i, k): z_k - z_{k-1} + sum(y at level k-1) >= [k == 2].
        row0 = rows(n_zc, np.zeros(n_zc), np.full(n_zc, np.inf))
        zr = np.repeat(np.arange(n), n_z)
        zk = _ranges(n_z, 1)  # level index k-1 (0-based k)
        zcol = np.arange(m, m + n_zc)
        rid = row0 + np.arange(n_zc)
        r_lo[-1][zk == 1] = 1.0
        r_idx += [rid, rid[zk > 1]]
        c_idx += [zcol, zcol[zk > 1] - 1]
        vals += [np.ones(n_zc), -np.ones(int((zk > 1).sum()))]
        # y entries: sorted positions whose level < depth - 1 belong to row level+1.
        take = lv.level < (np.maximum(depth, 1) - 1)[:, None]
        take &= has_z[:, None]
        ii, pos = np.nonzero(take)
        site = lv.order[ii, pos]
        ok = sites.allowed[site]
        ii, pos, site = ii[ok], pos[ok], site[ok]
        row_base = np.full(n, -1, dtype=np.int64)
        row_base[has_z] = row0 + (z_start[has_z] - m)
        r_idx.append(row_base[ii] + lv.level[ii, pos])
        c_idx.append(site)
        vals.append(np.ones(site.size))
    if cover is not None and reach is not None:
        ci = np.flatnonzero(cover)
        if ci.size:
            row0 = rows(ci.size, np.ones(ci.size), np.full(ci.size, np.inf))
            ii, jj = np.nonzero(reach[ci] & sites.allowed[None, :])
            r_idx.append(row0 + ii)
            c_idx.append(jj)
            vals.append(np.ones(ii.size))
            has_u = u_col[ci] >= 0
            r_idx.append(row0 + np.flatnonzero(has_u))
            c_idx.append(u_col[ci][has_u])
            vals.append(np.ones(int(has_u.sum())))
    if uncovered_budget is not None and u_rows.size:
        row0 = rows(1, np.array([-np.inf]), np.array([uncovered_budget]))
        r_idx.append(np.full(u_rows.size, row0))
        c_idx.append(u_col[u_rows])
        vals.append(w[u_rows])
    if p is not None:
        row0 = rows(1, np.array([float(p)]), np.array([float(p)]))
        r_idx.append(np.full(m, row0))
        c_idx.append(np.arange(m))
        vals.append(np.ones(m))
    for g in range(sites.n_groups):
        members = np.flatnonzero(sites.group == g)
        row0 = rows(1, np.array([float(sites.lo[g])]), np.array([float(sites.hi[g])]))
        r_idx.append(np.full(members.size, row0))
        c_idx.append(members)
        vals.append(np.ones(members.size))

    a = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(n_rows, n_col),
    )
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_rows
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate(r_lo)
    lp.row_upper_ = np.concatenate(r_hi)
    lp.offset_ = offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_rows
    integrality = np.zeros(n_col, dtype=np.uint8)
    integrality[:m] = 1
    integrality[m + n_zc :] = 1
    lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
    return _Mip(lp, m, z_start, n_z, u_col, offset)


@dataclass
class _Run:
    """One MIP run: the open sites found (or None), HiGHS's bound, and whether it finished."""

    is_open: Bools | None
    bound: float
    finished: bool
    nodes: int


def _run_mip(
    mip: _Mip,
    *,
    deadline: float | None,
    mip_gap: float,
    seed: int,
    start_cols: Floats | None,
    integral: bool = False,
) -> _Run:
    """Solve ``mip`` with HiGHS from an optional start.

    With ``integral`` (integer costs and weights, so an integer objective) a plan is
    proven once the bound is within 1 of it.
    """
    import highspy

    h = _highs()
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1.0 - 1e-6 if integral else 1e-9)
    h.setOptionValue("random_seed", int(seed))
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    h.passModel(mip.lp)
    if start_cols is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start_cols)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    finished = status == highspy.HighsModelStatus.kOptimal
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Run(None, np.inf, True, int(info.mip_node_count))
    values = np.asarray(h.getSolution().col_value, dtype=float)
    has = values.size == mip.lp.num_col_ and info.primal_solution_status >= 2
    is_open = values[: mip.n_y] > 0.5 if has else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else -np.inf
    return _Run(is_open, bound, finished, int(info.mip_node_count))


def _lp_values(mip: _Mip, deadline: float | None) -> Floats | None:
    """Column values of the LP relaxation of ``mip`` (None if it did not solve)."""
    import highspy

    h = _highs()
    h.setOptionValue("solve_relaxation", True)
    h.setOptionValue("solver", "ipm")
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    h.passModel(mip.lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)


def _deepen(mip: _Mip, x: Floats, depth: Ints, n_levels: Ints) -> Ints:
    """Rows whose last modelled level is still (fractionally) unserved get more levels."""
    has = mip.n_z > 0
    last = np.zeros(depth.size)
    last[has] = x[mip.z_start[has] + mip.n_z[has] - 1]
    grow = has & (last > 1e-7) & (depth < n_levels)
    return np.where(grow, np.minimum(n_levels, depth + np.maximum(2, depth // 2)), depth)


def _start_columns(
    mip: _Mip, lv: _Levels | None, c: Floats, is_open: Bools, reach: Bools | None
) -> Floats:
    """Column values of a given plan in ``mip`` (a MIP start)."""
    n_col = mip.lp.num_col_
    x = np.zeros(n_col)
    x[: mip.n_y] = is_open.astype(float)
    n_zc = int(mip.n_z.sum())
    if n_zc:
        assert lv is not None
        d = np.where(is_open[None, :], c, np.inf).min(axis=1)
        # z columns run row by row; z at level k is 1 while no open site costs <= v[k-1].
        zr = np.repeat(np.arange(mip.n_z.size), mip.n_z)
        vals = lv.level_value(zr, _ranges(mip.n_z, 0))
        x[mip.n_y : mip.n_y + n_zc] = (d[zr] > vals).astype(float)
    if reach is not None:
        covered: Bools = np.asarray((reach & is_open[None, :]).any(axis=1), dtype=bool)
        has = mip.u_col >= 0
        x[mip.u_col[has]] = (~covered[has]).astype(float)
    return x


# --- the public solve ---------------------------------------------------------------------------


def _assign(c: Floats, is_open: Bools) -> tuple[Ints, Floats]:
    cols = np.flatnonzero(is_open)
    if cols.size == 0:
        return np.full(c.shape[0], -1, dtype=np.int64), np.full(c.shape[0], np.inf)
    sub = c[:, cols]
    k = np.argmin(sub, axis=1)
    d = sub[np.arange(c.shape[0]), k]
    return np.where(np.isfinite(d), cols[k], -1).astype(np.int64), d


def _covers(reach: Bools | None, cover: Bools | None, is_open: Bools) -> bool:
    """Whether a plan puts every row that must be covered within reach."""
    if reach is None or cover is None:
        return True
    return bool(np.asarray((reach & is_open[None, :]).any(axis=1))[cover].all())


def _travel(c: Floats, w: Floats, is_open: Bools) -> float:
    _, d = _assign(c, is_open)
    pos = w > 0
    return float((w[pos] * d[pos]).sum())


def _penalised(c: Floats) -> tuple[Floats, float]:
    """Replace ``inf`` by a penalty larger than any finite route, for the heuristics."""
    finite = np.isfinite(c)
    top = float(c[finite].max()) if finite.any() else 1.0
    pen = 4.0 * top + 1.0
    return np.where(finite, c, pen), pen


def _gap(objective: float, bound: float) -> float:
    if not np.isfinite(bound):
        return np.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(
    instance: Instance,
    *,
    model: Model = "p-median",
    p: int | None = None,
    standard: float | None = None,
    keep: ArrayLike | None = None,
    close: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    group_min: Mapping[Any, int] | None = None,
    group_max: Mapping[Any, int] | None = None,
    uncoverable: Literal["raise", "skip"] = "raise",
    time_limit_s: float | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
    seed: int = 0,
) -> Solution:
    """Solve a location model exactly, or report the proven gap when time runs out.

    Parameters
    ----------
    instance : Instance
    model : {"p-median", "p-median-full", "mclp", "lscp", "p-center"}
    p : int
        Number of open sites (not for ``lscp``).
    standard : float
        Reach limit in cost units (``p-median-full``, ``mclp``, ``lscp``).
    keep, close : array-like of bool or int, optional
        Sites that must stay open / must close (masks or positions).
    groups : array-like, optional
        A label per site (e.g. its township code).
    group_min, group_max : mapping, optional
        Bounds on open sites per label.
    uncoverable : {"raise", "skip"}
        Demand points that no allowed site reaches within ``standard``: raise
        :class:`InfeasibleError` naming them, or leave them out of the coverage rule
        (they still count in travel).
    time_limit_s : float, optional
        Stop after this long with the best plan and its proven gap.
    mip_gap : float
        Relative gap at which a plan counts as proven optimal.
    seed : int
        Seed of HiGHS's random choices (results are deterministic for a given seed).

    Returns
    -------
    Solution

    Raises
    ------
    ValueError
        An unknown model or a missing or bad parameter.
    InfeasibleError
        No plan satisfies the rules; the message names the demand points or rules at fault.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit_s is None else t0 + float(time_limit_s)
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    needs_p = model != "lscp"
    if needs_p and p is None:
        raise ValueError(f"model {model!r} needs p, the number of sites to open")
    if model in ("p-median-full", "mclp", "lscp") and standard is None:
        raise ValueError(f"model {model!r} needs standard, the reach limit")
    if standard is not None and not (float(standard) >= 0):
        raise ValueError(f"standard must be a non-negative cost, got {standard}")
    if mip_gap < 0:
        raise ValueError(f"mip_gap must be >= 0, got {mip_gap}")
    c = instance.cost
    w = instance.weight
    n, m = c.shape
    if n == 0 or m == 0:
        raise ValueError(f"the cost matrix is empty ({n} demand x {m} sites)")
    sites = _sites(m, keep, close, groups, group_min, group_max)
    _check_sites(sites, p if needs_p else None)
    solver = _Solver(instance, sites, deadline, mip_gap, seed, uncoverable)
    if model == "p-median":
        assert p is not None
        sol = solver.median(int(p), standard=None)
    elif model == "p-median-full":
        assert p is not None and standard is not None
        sol = solver.median(int(p), standard=float(standard))
    elif model == "mclp":
        assert p is not None and standard is not None
        sol = solver.mclp(int(p), float(standard))
    elif model == "lscp":
        assert standard is not None
        sol = solver.lscp(float(standard))
    else:
        assert p is not None
        sol = solver.center(int(p))
    is_open, objective, bound, status, method = sol
    assigned, d = _assign(c, is_open)
    travel = float((w[w > 0] * d[w > 0]).sum())
    gap = _gap(objective, bound)
    if model == "lscp":
        proven = status == "optimal"
    else:
        proven = gap <= max(mip_gap, 1e-9) * 1.000001 and status == "optimal"
    return Solution(
        model=model,
        p=int(is_open.sum()),
        open=np.flatnonzero(is_open).astype(np.int64),
        assigned=assigned,
        cost=d,
        objective=float(objective),
        bound=float(bound),
        gap=float(gap),
        proven=bool(proven),
        status=status,
        method=method,
        time_s=time.perf_counter() - t0,
        site_ids=instance.site_ids,
        travel=travel,
    )


_Answer = tuple[Bools, float, float, str, str]


class _Solver:
    """The models, sharing the instance, the site rules and the clock."""

    def __init__(
        self,
        instance: Instance,
        sites: _Sites,
        deadline: float | None,
        mip_gap: float,
        seed: int,
        uncoverable: str,
    ) -> None:
        self.inst = instance
        self.c = instance.cost
        self.w = instance.weight
        self.sites = sites
        self.deadline = deadline
        self.mip_gap = mip_gap
        self.seed = seed
        self.uncoverable = uncoverable
        self.cp, self.penalty = _penalised(self.c)
        finite = self.c[np.isfinite(self.c)]
        self.integral = bool(
            np.array_equal(finite, np.round(finite)) and np.array_equal(self.w, np.round(self.w))
        )

    def _left(self) -> bool:
        return self.deadline is None or time.perf_counter() < self.deadline

    def _prune(self, bound: Any, incumbent: float) -> Any:
        """Whether a node with this Lagrangian bound cannot hold a plan better than the
        incumbent by more than the gap (integer objectives: by at least 1)."""
        if self.integral:
            return np.ceil(np.asarray(bound) - 1e-7) >= incumbent
        return np.asarray(bound) >= incumbent - self.mip_gap * abs(incumbent)

    def _whole(self, bound: float) -> float:
        """With an integer objective no plan lies strictly between a bound and its ceiling."""
        if not (self.integral and np.isfinite(bound)):
            return bound
        return float(np.ceil(bound - 1e-9 * max(abs(bound), 1.0)))

    def _reach(self, standard: float) -> tuple[Bools, Bools]:
        """Reach matrix within ``standard`` over allowed sites, and rows to cover."""
        reach = (self.c <= standard) & self.sites.allowed[None, :]
        # Only people count: a demand point of weight 0 need not be covered.
        people = self.w > 0
        coverable: Bools = np.asarray(reach.any(axis=1), dtype=bool) & people
        if not coverable[people].all() and self.uncoverable == "raise":
            bad = np.flatnonzero(people & ~coverable)
            names = ", ".join(str(x) for x in self.inst.demand_ids[bad[:20]])
            more = f" and {bad.size - 20} more" if bad.size > 20 else ""
            raise InfeasibleError(
                f"{bad.size} demand points have no site within the standard ({standard:g}),"
                f" whichever sites open: {names}{more}"
            )
        return reach, coverable

    # p-median, with or without full coverage -------------------------------------------------

    def median(self, p: int, standard: float | None, start: Bools | None = None) -> _Answer:
        w, sites = self.w, self.sites
        reach: Bools | None = None
        cover: Bools | None = None
        cap = np.inf
        if standard is not None:
            reach, cover = self._reach(standard)
            cap = standard
        # Heuristic incumbent on penalised costs (uncovered points cost a penalty).
        hc = self.cp
        if reach is not None:
            assert cover is not None
            hc = np.where(reach | ~cover[:, None], self.cp, self.cp + self.penalty * 10)
        if start is None or not sites.feasible(start, p):
            start = _interchange(hc, w, sites, _greedy(hc, w, sites, p))
        best = start
        best_val = _travel(self.cp, w, best)
        best_ok = _covers(reach, cover, best)
        fix_bound = np.inf
        lag_bound = -np.inf
        lag_note = ""
        if reach is None:
            # Lagrangian bound; sites it proves open or closed leave the MIP.
            wc = w[:, None] * self.cp
            _, d0 = _assign(self.cp, best)
            lg = _lagrangian(wc, sites, p, best_val, w * d0, self.deadline)
            lag_note = f"Lagrangian bound after {lg.iterations} steps, "
            lag_bound = lg.bound
            if lg.bound >= best_val - max(self.mip_gap, 1e-9) * abs(best_val):
                method = f"{lag_note}vertex substitution incumbent"
                return best, best_val, min(self._whole(lg.bound), best_val), "optimal", method
            f_open, f_closed, fix_bound = _fix(lg, sites, p, best_val, self.integral)
            sites = _Sites(
                sites.allowed & ~f_closed, sites.keep | f_open, sites.group, sites.lo,
                sites.hi, sites.labels,
            )  # fmt: skip
            lag_note += f"{int(f_open.sum())} sites fixed open, {int(f_closed.sum())} closed; "
            if sites.n_groups == 0 and p <= TREE_MAX_P:
                tree = _lagrangian_tree(
                    wc, sites, p, best, lg, prune=self._prune, max_nodes=TREE_NODES
                )
                if tree.value < best_val:
                    best, best_val = tree.is_open, tree.value
                if tree.bound is not None:
                    bound = self._whole(max(min(tree.bound, fix_bound), lag_bound))
                    method = f"{lag_note}Lagrangian branch-and-bound, {tree.nodes} nodes"
                    return best, best_val, min(bound, best_val), "optimal", method
                lag_note += f"Lagrangian branch-and-bound stopped at {tree.nodes} nodes; "
        lv = _Levels.build(self.cp, sites.allowed, cap, sites.keep)
        # Truncate each row at the level of its travel in the incumbent (at least two
        # levels, so the LP can say when a row wants more), then deepen by LP rounds.
        _, d0 = _assign(self.cp, best)
        depth = np.minimum(np.maximum(lv.level_of(d0) + 1, 2), lv.n_levels)
        for _ in range(50):
            mip = _build_mip(
                self.cp, w, lv, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=None,
            )  # fmt: skip
            x = _lp_values(mip, self.deadline)
            if x is None:
                break
            deeper = _deepen(mip, x, depth, lv.n_levels)
            if np.array_equal(deeper, depth):
                break
            depth = deeper
        bound = -np.inf
        rounds = 0
        nodes = 0
        status = "optimal"
        while True:
            rounds += 1
            mip = _build_mip(
                self.cp, w, lv, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=None,
            )  # fmt: skip
            start_cols = _start_columns(mip, lv, self.cp, best, None) if best_ok else None
            run = _run_mip(
                mip, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
                start_cols=start_cols, integral=self.integral,
            )  # fmt: skip
            nodes += run.nodes
            if run.is_open is None and run.finished:
                assert reach is not None and cover is not None and standard is not None
                need = self._min_cover(reach, cover)
                raise InfeasibleError(
                    f"covering every demand point within the standard ({standard:g}) needs at"
                    f" least {need} sites under these rules; p = {p} is too few"
                )
            bound = max(bound, run.bound)
            if run.is_open is not None and sites.feasible(run.is_open, p):
                ok = _covers(reach, cover, run.is_open)
                val = _travel(self.cp, w, run.is_open)
                if ok and (not best_ok or val < best_val):
                    best, best_val, best_ok = run.is_open, val, True
            if not run.finished:
                status = "time limit"
                break
            # The truncated model is a relaxation (a row beyond its last modelled level is
            # charged that level's cost), so its bound is valid for the whole problem:
            # once it proves the plan, deeper rows cannot change the answer. (pmed35: the
            # second round, 60 % of the time, only re-proved the first round's plan.)
            proven = self._whole(max(min(bound, fix_bound), lag_bound))
            if best_ok and _gap(best_val, proven) <= max(self.mip_gap, 1e-9):
                break
            # Rows whose travel in the MIP's plan lies beyond their last modelled level.
            if run.is_open is None:
                break
            _, d = _assign(self.cp, run.is_open)
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
        bound = max(min(bound, fix_bound), lag_bound)
        bound = self._whole(bound)
        if _gap(best_val, bound) <= max(self.mip_gap, 1e-9):
            bound = min(bound, best_val)
        method = (
            f"{lag_note}radius MIP (HiGHS), {rounds} round{'s' if rounds > 1 else ''},"
            f" {nodes} nodes"
        )
        return best, best_val, bound, status, method

    def _min_cover(self, reach: Bools, cover: Bools) -> int | None:
        """The fewest sites covering every coverable row under the site rules (None: unknown)."""
        mip = _build_mip(
            self.cp, self.w, None, np.zeros(self.c.shape[0], np.int64), self.sites, p=None,
            cover=cover, reach=reach, travel=False, site_cost=1.0, uncovered_cost=0.0,
            uncovered_budget=None,
        )  # fmt: skip
        run = _run_mip(mip, deadline=self.deadline, mip_gap=0.0, seed=self.seed, start_cols=None)
        if run.is_open is None and run.finished:
            raise InfeasibleError(
                "no set of sites satisfies the site rules and covers every demand point"
            )
        if not run.finished:
            return None
        assert run.is_open is not None
        return int(run.is_open.sum())

    # coverage models -------------------------------------------------------------------------

    def lscp(self, standard: float) -> _Answer:
        reach, cover = self._reach(standard)
        need = self._min_cover(reach, cover)
        if need is None:
            raise InfeasibleError("the set-cover model did not finish in the time allowed")
        if need == 0:
            return self.sites.keep.copy(), 0.0, 0.0, "optimal", "set cover: no one to cover"
        best, _, _, status, method = self.median(need, standard)
        return best, float(need), float(need), status, f"set cover, then {method}"

    def mclp(self, p: int, standard: float) -> _Answer:
        c, w, sites = self.c, self.w, self.sites
        reach = (c <= standard) & sites.allowed[None, :]
        cover: Bools = np.asarray(reach.any(axis=1), dtype=bool)
        zero = np.zeros(c.shape[0], np.int64)
        # Stage 1: the most weight within reach (u = uncovered, costing its weight).
        mip = _build_mip(
            self.cp, w, None, zero, sites, p=p, cover=cover, reach=reach, travel=False,
            site_cost=0.0, uncovered_cost=1.0, uncovered_budget=None,
        )  # fmt: skip
        hc = np.where(reach, 0.0, 1.0)
        start = _interchange(hc, w, sites, _greedy(hc, w, sites, p))
        run = _run_mip(
            mip, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
            start_cols=_start_columns(mip, None, self.cp, start, reach),
        )  # fmt: skip
        total = float(w[cover].sum())
        plan = run.is_open if run.is_open is not None else start
        covered = float(w[(reach & plan[None, :]).any(axis=1)].sum())
        if not run.finished:
            bound = total - max(run.bound, 0.0)
            return plan, covered, bound, "time limit", "max covering MIP (HiGHS), stopped"
        # Stage 2: least travel among plans covering as much.
        lv2 = _Levels.build(self.cp, sites.allowed, np.inf, sites.keep)
        _, d0 = _assign(self.cp, plan)
        depth = np.minimum(lv2.level_of(d0) + 1, lv2.n_levels)
        slack = total - covered + 1e-7 * max(total, 1.0)
        best, best_val, rounds = plan, _travel(self.cp, w, plan), 0
        while self._left():
            rounds += 1
            mip2 = _build_mip(
                self.cp, w, lv2, depth, sites, p=p, cover=cover, reach=reach, travel=True,
                site_cost=0.0, uncovered_cost=0.0, uncovered_budget=slack,
            )  # fmt: skip
            run2 = _run_mip(
                mip2, deadline=self.deadline, mip_gap=self.mip_gap, seed=self.seed,
                start_cols=_start_columns(mip2, lv2, self.cp, best, reach),
            )  # fmt: skip
            if run2.is_open is None:
                break
            val = _travel(self.cp, w, run2.is_open)
            cov2 = float(w[(reach & run2.is_open[None, :]).any(axis=1)].sum())
            if cov2 >= covered - 1e-9 * max(total, 1.0) and val < best_val:
                best, best_val = run2.is_open, val
            if not run2.finished:
                break
            _, d = _assign(self.cp, run2.is_open)
            lev = lv2.level_of(d)
            deeper = (lev + 1 > depth) & (depth < lv2.n_levels) & (w > 0)
            if not deeper.any():
                break
            depth = np.where(deeper, np.minimum(lev + 1, lv2.n_levels), depth)
        method = f"max covering MIP, then radius MIP for travel ({rounds} rounds) (HiGHS)"
        return best, covered, covered, "optimal", method

    def center(self, p: int) -> _Answer:
        c, w, sites = self.c, self.w, self.sites
        rows = w > 0
        cc = np.where(sites.allowed[None, :], self.cp, np.inf)[rows]
        # Every radius below the farthest row's nearest allowed site is impossible.
        low = float(cc.min(axis=1).max())
        start = _interchange(self.cp, w, sites, _greedy(self.cp, w, sites, p))
        _, d0 = _assign(self.cp, start)
        high = float(d0[rows].max())
        radii = np.unique(cc[np.isfinite(cc)])
        radii = radii[(radii >= low) & (radii <= high)]
        lo, hi = 0, radii.size - 1  # radii[hi] is feasible (the heuristic plan)
        proven = True
        best_r = high
        while lo < hi and self._left():
            mid = (lo + hi) // 2
            r = float(radii[mid])
            reach = (c <= r) & sites.allowed[None, :]
            mip = _build_mip(
                self.cp, w, None, np.zeros(c.shape[0], np.int64), sites, p=p, cover=rows,
                reach=reach, travel=False, site_cost=0.0, uncovered_cost=0.0,
                uncovered_budget=None,
            )  # fmt: skip
            run = _run_mip(
                mip, deadline=self.deadline, mip_gap=0.0, seed=self.seed, start_cols=None
            )
            if run.is_open is not None and sites.feasible(run.is_open, p):
                hi = mid
                best_r = r
            elif run.finished:
                lo = mid + 1
            else:
                proven = False
                break
        if lo < hi:
            proven = False
        best_r = float(radii[hi]) if radii.size else high
        bound = float(radii[lo]) if proven else low
        # Least travel among plans within the best radius.
        saved = self.uncoverable
        self.uncoverable = "skip"
        try:
            plan, _, _, status, method = self.median(p, best_r)
        finally:
            self.uncoverable = saved
        _, d = _assign(self.cp, plan)
        worst = float(d[rows].max())
        status = status if proven else "time limit"
        return plan, worst, bound, status, f"radius bisection (set-cover MIPs), then {method}"
