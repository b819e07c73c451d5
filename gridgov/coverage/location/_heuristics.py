"""The first plan of every location model: greedy opening, then fast vertex substitution.

Neither proves anything; they give the exact methods a good incumbent to start from (and
the levels of the radius MIP their first truncation). Both keep the site rules: kept sites
open, closed sites shut, group minimums met first and group maximums never passed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from gridgov.coverage.location._common import Bools, Floats, Ints, Sites

__all__ = ["greedy", "interchange", "nearest_two"]


def nearest_two(c: Floats, is_open: Bools) -> tuple[Ints, Floats, Floats]:
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


def greedy(c: Floats, w: Floats, sites: Sites, p: int) -> Bools:
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


def interchange(
    c: Floats, w: Floats, sites: Sites, is_open: Bools, max_rounds: int = 100_000
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
        near, d1, d2 = nearest_two(c, is_open)
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
