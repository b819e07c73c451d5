"""What every part of the location solver shares: the site rules, plan arithmetic, proof rules.

The site rules (which sites may open, must open, and how many per group) are read once into
a :class:`Sites` and checked for contradictions before any solving; the small functions on a
plan (assignment, travel, coverage) and the rule that says when a bound proves a plan are
used by the heuristics, the Lagrangian search, the MIP and the models alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gridgov._arrays import Bools, Floats, Ints
from gridgov._errors import InfeasibleError, ParameterError

__all__ = [
    "DEFAULT_MIP_GAP",
    "INTEGER_TOL",
    "Bools",
    "Floats",
    "Ints",
    "Sites",
    "assign",
    "check_sites",
    "covers",
    "gap",
    "penalised",
    "site_rules",
    "travel",
    "whole",
    "whole_all",
]


#: Relative gap below which a MIP counts as proven optimal by default.
DEFAULT_MIP_GAP = 1e-7
#: With integer costs and weights the objective is an integer, so a lower bound ``b``
#: proves ``ceil(b)``. Rounding noise can put a bound that is really a whole number a hair
#: above it; this much is forgiven before the ceiling: an absolute amount, widened to a
#: few units in the last place of ``b`` where those are coarser (above about 1e8) and
#: never to half a unit, so the ceiling is exact at any size (a relative 1e-9 x |b| took
#: whole units off every bound of 1e9 and more).
INTEGER_TOL = 1e-7
_ULPS = 16


@dataclass(frozen=True)
class Sites:
    """Which sites may open, must open, and how many per group.

    Attributes
    ----------
    allowed, keep : ndarray of bool, shape (n_sites,)
        Sites that may open / must open.
    group : ndarray of int, shape (n_sites,)
        Group number of each site, -1 for none.
    lo, hi : ndarray of int, shape (n_groups,)
        Fewest and most open sites per group.
    labels : list
        The label of each group.
    """

    allowed: Bools
    keep: Bools
    group: Ints
    lo: Ints
    hi: Ints
    labels: list[Any]

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def counts(self, is_open: Bools) -> Ints:
        """Open sites per group."""
        g = self.group[is_open]
        return np.bincount(g[g >= 0], minlength=self.n_groups).astype(np.int64)

    def feasible(self, is_open: Bools, p: int | None) -> bool:
        """Whether a plan keeps every rule (and opens ``p`` sites, when given)."""
        if (is_open & ~self.allowed).any() or (self.keep & ~is_open).any():
            return False
        if p is not None and int(is_open.sum()) != p:
            return False
        c = self.counts(is_open)
        return bool(((c >= self.lo) & (c <= self.hi)).all())

    def narrowed(self, *, shut: Bools | None = None, forced: Bools | None = None) -> Sites:
        """The same rules with more sites shut and more forced open."""
        allowed = self.allowed if shut is None else self.allowed & ~shut
        keep = self.keep if forced is None else self.keep | forced
        return Sites(allowed.copy(), keep.copy(), self.group, self.lo, self.hi, self.labels)


def _mask(value: ArrayLike | None, m: int, name: str) -> Bools:
    if value is None:
        return np.zeros(m, dtype=bool)
    arr = np.asarray(value)
    if arr.dtype == bool:
        if arr.shape != (m,):
            raise ParameterError(
                f"{name} mask has {arr.size} entries for {m} sites", parameter=name, value=arr.size
            )
        return arr.copy()
    pos = arr.astype(np.int64).ravel()
    if pos.size and (pos.min() < 0 or pos.max() >= m):
        bad = int(pos[(pos < 0) | (pos >= m)][0])
        raise ParameterError(
            f"{name} names site position {bad}, outside 0..{m - 1}", parameter=name, value=bad
        )
    out = np.zeros(m, dtype=bool)
    out[pos] = True
    return out


def site_rules(
    m: int,
    keep: ArrayLike | None,
    close: ArrayLike | None,
    groups: ArrayLike | None,
    group_min: Mapping[Any, int] | None,
    group_max: Mapping[Any, int] | None,
) -> Sites:
    """Read the site rules of a model for ``m`` sites.

    Raises
    ------
    ParameterError
        A mask of the wrong length, a position out of range, bounds without groups, or a
        bound naming a group no site has.
    InfeasibleError
        A site both kept and closed.
    """
    k = _mask(keep, m, "keep")
    c = _mask(close, m, "close")
    both = np.flatnonzero(k & c)
    if both.size:
        raise InfeasibleError(
            f"site position {int(both[0])} is both kept and closed ({both.size} such sites)"
        )
    if groups is None:
        if group_min or group_max:
            raise ParameterError(
                "group_min / group_max need groups (a label per site)",
                parameter="groups",
                value=None,
            )
        none = np.zeros(0, np.int64)
        return Sites(~c, k, np.full(m, -1, dtype=np.int64), none, none.copy(), [])
    labels_arr = np.asarray(groups, dtype=object)
    if labels_arr.shape != (m,):
        raise ParameterError(
            f"groups has {labels_arr.size} labels for {m} sites",
            parameter="groups",
            value=labels_arr.size,
        )
    labels = list(pd.unique(pd.Series(labels_arr)))
    index = {lab: g for g, lab in enumerate(labels)}
    group = np.array([index[v] for v in labels_arr], dtype=np.int64)
    lo = np.zeros(len(labels), dtype=np.int64)
    hi = np.full(len(labels), m, dtype=np.int64)
    for name, bounds, target in (("group_min", group_min, lo), ("group_max", group_max, hi)):
        for lab, v in (bounds or {}).items():
            if lab not in index:
                raise ParameterError(
                    f"{name} names group {lab!r}, which no site has", parameter=name, value=lab
                )
            target[index[lab]] = int(v)
    return Sites(~c, k, group, lo, hi, labels)


def check_sites(sites: Sites, p: int | None) -> None:
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


def assign(c: Floats, is_open: Bools) -> tuple[Ints, Floats]:
    """The cheapest open site of every row (-1 where none is reachable) and its cost."""
    cols = np.flatnonzero(is_open)
    if cols.size == 0:
        return np.full(c.shape[0], -1, dtype=np.int64), np.full(c.shape[0], np.inf)
    sub = c[:, cols]
    k = np.argmin(sub, axis=1)
    d = sub[np.arange(c.shape[0]), k]
    return np.where(np.isfinite(d), cols[k], -1).astype(np.int64), d


def covers(reach: Bools | None, cover: Bools | None, is_open: Bools) -> bool:
    """Whether a plan puts every row that must be covered within reach."""
    if reach is None or cover is None:
        return True
    return bool(np.asarray((reach & is_open[None, :]).any(axis=1))[cover].all())


def travel(c: Floats, w: Floats, is_open: Bools) -> float:
    """Weighted travel of a plan (rows of weight 0 left out, so ``inf`` there is harmless)."""
    _, d = assign(c, is_open)
    pos = w > 0
    return float((w[pos] * d[pos]).sum())


def penalised(c: Floats) -> tuple[Floats, float]:
    """Replace ``inf`` by a penalty larger than any finite route, for the heuristics."""
    finite = np.isfinite(c)
    top = float(c[finite].max()) if finite.any() else 1.0
    pen = 4.0 * top + 1.0
    return np.where(finite, c, pen), pen


def gap(objective: float, bound: float) -> float:
    """``|objective - bound| / max(|objective|, 1e-9)``; ``inf`` without a finite bound."""
    if not np.isfinite(bound):
        return np.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def whole_all(bounds: ArrayLike) -> Floats:
    """The least whole number each lower bound on an integer objective proves.

    ``ceil(b - tol)`` with ``tol`` :data:`INTEGER_TOL` or 16 units in the last place of
    ``b``, whichever is more, and never half a unit or more: not a share of ``b``, so no
    bound loses a whole unit at any size. Infinite bounds stay as they are.
    """
    b = np.asarray(bounds, dtype=np.float64)
    finite = np.isfinite(b)
    ulps = _ULPS * np.spacing(np.abs(np.where(finite, b, 0.0)))
    # Under half a unit, so a bound that is a whole number is always its own ceiling.
    tol = np.minimum(np.maximum(INTEGER_TOL, ulps), 0.5)
    return np.where(finite, np.ceil(b - tol), b)


def whole(bound: float) -> float:
    """:func:`whole_all` of one bound."""
    return float(whole_all(bound))
