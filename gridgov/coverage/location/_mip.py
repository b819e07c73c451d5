"""The radius formulation of the p-median and the covering MIPs, built for HiGHS.

Travel enters through the *radius formulation* (Elloumi 2010; Garcia, Labbe and Marin
2011): for demand point ``i`` with distinct site costs ``v1 < v2 < ...``, a continuous
``z[i,k]`` is 1 when no open site costs less than ``v[k]``, and the objective adds
``w[i] * (v[k] - v[k-1]) * z[i,k]``. Its LP relaxation is as tight as the classical
assignment model's, but it needs no ``n x m`` assignment variables, equal costs share one
level, and the chained rows ``z[i,k] >= z[i,k-1] - sum(y at v[k-1])`` hold each site once
per demand point. Levels are *truncated* at the cost a good plan already gives each point
(a valid relaxation: the truncated optimum is a lower bound) and deepened by the models
where the MIP's answer travels further. Coverage rows, an uncovered-weight budget, the
number of sites and the group counts are added as the model needs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from gridgov.coverage.location._common import Bools, Floats, Ints, Sites

__all__ = [
    "Levels",
    "Mip",
    "Run",
    "build_mip",
    "deepen",
    "lp_values",
    "run_mip",
    "start_columns",
]


def _highs() -> Any:
    """A silent HiGHS instance (the bare core class: the public one prints a banner)."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a core dependency
        raise ImportError("gridgov's location models need HiGHS: pip install highspy") from exc
    core = getattr(getattr(highspy, "_core", None), "_Highs", None)
    h = core() if core is not None else highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class Levels:
    """Each row's sorted site costs, the level of each sorted position, and level values."""

    order: Ints  # (n, m) site positions sorted by cost
    level: Ints  # (n, m) level (0-based) of each sorted position; equal costs share a level
    value: Floats  # (n, m) cost at each sorted position
    n_levels: Ints  # levels per row among allowed, finite costs within the row's cap
    key: Ints  # (n * m,) row * (m + 1) + level: sorted, since levels rise along each row

    @classmethod
    def build(
        cls, c: Floats, allowed: Bools, cap: float | Floats, keep: Bools | None = None
    ) -> Levels:
        """Levels of each row up to ``cap`` (one for all rows, or one per row), and never
        past its nearest kept site.

        A kept site is always open, so no row travels further than it: levels beyond are
        never modelled (an exact reduction, not a truncation). Nor does a row that must be
        covered within ``cap`` travel further; a row that need not be covered gets an
        infinite cap.
        """
        cc = np.where(allowed[None, :], c, np.inf)
        row_cap = np.broadcast_to(np.asarray(cap, dtype=np.float64), (c.shape[0],)).copy()
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


def ranges(counts: Ints, start: int) -> Ints:
    """``start, start+1, ..., start+counts[i]-1`` for every ``i``, concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - first + start


@dataclass
class Mip:
    """A radius-formulation MIP over the truncated levels, built for one solve."""

    lp: Any
    n_y: int
    z_start: Ints  # first z column of each row (-1: none)
    n_z: Ints  # z columns of each row (levels 2..L)
    u_col: Ints  # uncovered indicator column per row (-1: none)
    offset: float


def build_mip(
    c: Floats,
    w: Floats,
    lv: Levels | None,
    depth: Ints,
    sites: Sites,
    *,
    p: int | None,
    cover: Bools | None,
    reach: Bools | None,
    travel: bool,
    site_cost: float,
    uncovered_cost: float,
    uncovered_budget: float | None,
) -> Mip:
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
        if lv is None:  # a caller's bug: every travel model builds its levels first
            raise RuntimeError("travel needs the levels of each row")
        first = lv.value[:, 0]
        offset = float((w[w > 0] * first[w > 0]).sum())
        # z column (i, k) for k = 2..depth costs w * (v_k - v_{k-1}).
        zr = np.repeat(np.arange(n), n_z)
        zk = ranges(n_z, 1)
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
        zk = ranges(n_z, 1)  # level index k-1 (0-based k)
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
    return Mip(lp, m, z_start, n_z, u_col, offset)


@dataclass
class Run:
    """One MIP run: the open sites found (or None), HiGHS's bound, and whether it finished."""

    is_open: Bools | None
    bound: float
    finished: bool
    nodes: int


def run_mip(
    mip: Mip,
    *,
    deadline: float | None,
    mip_gap: float,
    seed: int,
    start_cols: Floats | None,
    integral: bool = False,
) -> Run:
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
        return Run(None, np.inf, True, int(info.mip_node_count))
    values = np.asarray(h.getSolution().col_value, dtype=float)
    has = values.size == mip.lp.num_col_ and info.primal_solution_status >= 2
    is_open = values[: mip.n_y] > 0.5 if has else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else -np.inf
    return Run(is_open, bound, finished, int(info.mip_node_count))


def lp_values(mip: Mip, deadline: float | None) -> Floats | None:
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


def deepen(mip: Mip, x: Floats, depth: Ints, n_levels: Ints) -> Ints:
    """Rows whose last modelled level is still (fractionally) unserved get more levels."""
    has = mip.n_z > 0
    last = np.zeros(depth.size)
    last[has] = x[mip.z_start[has] + mip.n_z[has] - 1]
    grow = has & (last > 1e-7) & (depth < n_levels)
    return np.where(grow, np.minimum(n_levels, depth + np.maximum(2, depth // 2)), depth)


def start_columns(
    mip: Mip, lv: Levels | None, c: Floats, is_open: Bools, reach: Bools | None
) -> Floats:
    """Column values of a given plan in ``mip`` (a MIP start)."""
    n_col = mip.lp.num_col_
    x = np.zeros(n_col)
    x[: mip.n_y] = is_open.astype(float)
    n_zc = int(mip.n_z.sum())
    if n_zc:
        if lv is None:  # a caller's bug: z columns exist only where levels were built
            raise RuntimeError("a start with travel columns needs the levels of each row")
        d = np.where(is_open[None, :], c, np.inf).min(axis=1)
        # z columns run row by row; z at level k is 1 while no open site costs <= v[k-1].
        zr = np.repeat(np.arange(mip.n_z.size), mip.n_z)
        vals = lv.level_value(zr, ranges(mip.n_z, 0))
        x[mip.n_y : mip.n_y + n_zc] = (d[zr] > vals).astype(float)
    if reach is not None:
        covered: Bools = np.asarray((reach & is_open[None, :]).any(axis=1), dtype=bool)
        has = mip.u_col >= 0
        x[mip.u_col[has]] = (~covered[has]).astype(float)
    return x
