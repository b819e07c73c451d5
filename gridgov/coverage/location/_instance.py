"""What a location model reads and what it answers: :class:`Instance` and :class:`Solution`.

An instance is a dense demand x site cost matrix with demand weights and labels, checked
once when it is built (from a matrix or from the long-form ``(origin_id, destination_id,
cost)`` table the routing package writes). A solution is frozen and complete when it is
made: the open sites, who goes where at what cost, the objective and its proven bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.coverage.location._common import Floats, Ints

__all__ = ["Instance", "Solution"]


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

        Returns
        -------
        Instance

        Raises
        ------
        ParameterError
            A cost that is not a matrix, or weights or labels of the wrong length.
        ValidationError
            Negative costs, negative or non-finite weights, or duplicate labels (every
            such entry named).
        """
        c = np.array(cost, dtype=np.float64)
        if c.ndim != 2:
            raise ParameterError(
                f"cost must be a 2-D matrix (demand x sites), got shape {c.shape}",
                parameter="cost",
                value=c.shape,
            )
        c[np.isnan(c)] = np.inf
        n, m = c.shape
        w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        if w.shape != (n,):
            raise ParameterError(
                f"weight has {w.size} values for {n} demand rows", parameter="weight", value=w.size
            )
        rows = pd.Index(np.arange(n) if demand_ids is None else np.asarray(demand_ids))
        cols = pd.Index(np.arange(m) if site_ids is None else np.asarray(site_ids))
        for name, index, size in (("demand_ids", rows, n), ("site_ids", cols, m)):
            if len(index) != size:
                raise ParameterError(
                    f"{name} has {len(index)} labels for {size} entries",
                    parameter=name,
                    value=len(index),
                )
        problems: list[Problem] = []
        for i, j in np.argwhere(c < 0)[:20]:
            problems.append(
                Problem("cost", int(i), str(cols[j]), c[i, j], "cost must be non-negative")
            )
        for i in np.flatnonzero(~np.isfinite(w) | (w < 0))[:20]:
            problems.append(
                Problem("weight", int(i), None, w[i], "weight must be finite and non-negative")
            )
        for name, index in (("demand_ids", rows), ("site_ids", cols)):
            for dup in pd.unique(index[index.duplicated()])[:20]:
                problems.append(
                    Problem(name, None, None, dup, f"{name} must be unique: appears more than once")
                )
        if problems:
            raise ValidationError(problems, context="location instance")
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

        Pairs missing from the table are unreachable (``inf``).

        Parameters
        ----------
        table : DataFrame
            One row per reachable (origin, destination) pair.
        weight : Series, optional
            Demand weight indexed by origin id, with a value for every origin.
        origin, destination, cost : str
            Column names in ``table``.

        Returns
        -------
        Instance

        Raises
        ------
        ValidationError
            A missing column, an origin without a weight, or the problems
            :meth:`from_cost_matrix` finds.
        """
        missing = [col for col in (origin, destination, cost) if col not in table.columns]
        if missing:
            raise ValidationError(
                [Problem("cost table", None, col, None, "column missing") for col in missing],
                context="cost table",
            )
        rows = pd.Index(pd.unique(table[origin]))
        cols = pd.Index(pd.unique(table[destination]))
        mat = np.full((len(rows), len(cols)), np.inf)
        mat[
            rows.get_indexer(pd.Index(table[origin])),
            cols.get_indexer(pd.Index(table[destination])),
        ] = table[cost].to_numpy(dtype=float)
        w = None
        if weight is not None:
            absent = rows[~rows.isin(weight.index)]
            if len(absent):
                raise ValidationError(
                    [
                        Problem("weight", None, None, o, "no weight for this origin")
                        for o in absent[:20]
                    ],
                    context="cost table weights",
                )
            w = weight.reindex(rows).to_numpy(dtype=float)
        return cls.from_cost_matrix(mat, w, demand_ids=rows, site_ids=cols)


@dataclass(frozen=True)
class Solution:
    """The answer of a location model (:func:`~gridgov.coverage.location.p_median` etc.).

    Attributes
    ----------
    model : str
        ``"p-median"``, ``"p-median-full"`` (with a coverage radius), ``"mclp"``,
        ``"lscp"`` or ``"p-center"``.
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
        Best proven bound on the objective (lower for minimisation, upper for MCLP); with
        integer costs and weights, a whole number.
    gap : float
        ``|objective - bound| / max(|objective|, 1e-9)``; 0 when proven optimal.
    proven : bool
        True when the bound proves the plan within the requested gap (with integer data and
        ``mip_gap=0``: the bound equals the objective). Always ``status == "optimal"``.
    status : str
        ``"optimal"`` (proven), ``"time limit"`` (stopped by the clock; the gap is
        stated) or ``"feasible"`` (the search ended without closing the gap).
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
