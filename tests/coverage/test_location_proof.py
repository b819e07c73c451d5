"""A solution says it is proven exactly when its bound proves it, at any size of objective."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gridgov._errors import InfeasibleError
from gridgov.coverage.location import (
    Instance,
    LSCPRules,
    MCLPRules,
    PCenterRules,
    PMedianRules,
    Solution,
    lscp,
    mclp,
    p_center,
    p_median,
)


def _best_median(c: np.ndarray, w: np.ndarray, p: int) -> float:
    return min(
        float((w * c[:, list(s)].min(axis=1)).sum())
        for s in itertools.combinations(range(c.shape[1]), p)
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mip_gap", [0.0, 1e-7])
def test_integer_objective_above_1e9_gets_an_exact_bound(seed: int, mip_gap: float) -> None:
    # Integer travel (whole metres) and populations in the millions: the objective is an
    # integer above 1e9, so the proven bound must be that same integer, not a unit below.
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(40, 2))
    c = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :24, :]).transpose(2, 0, 1)))
    w = rng.integers(1, 5, size=40).astype(float) * 1_000_000
    best = _best_median(c, w, 3)
    assert best > 1e9
    sol = p_median(Instance.from_cost_matrix(c, w), PMedianRules(p=3, mip_gap=mip_gap))
    assert sol.objective == best
    assert sol.bound == sol.objective and sol.gap == 0.0
    assert sol.proven and sol.status == "optimal"


def test_full_coverage_with_a_village_out_of_reach_is_proven_optimal() -> None:
    # Row 2 is out of reach of every site (radius 10) and is skipped by the coverage rule;
    # its travel still counts: 80 from site 0, 50 from site 2. The optimum opens 0 and 1
    # (10 + 1 + 80 = 91). Its bound used to charge row 2 only its nearest site (50), so
    # the plan came back "optimal" with a 33 % gap and proven=False.
    c = np.array([[1.0, 99.0, 9.0], [99.0, 1.0, 99.0], [80.0, 100.0, 50.0]])
    w = np.array([10.0, 1.0, 1.0])
    rules = PMedianRules(p=2, radius=10.0, uncoverable="skip", mip_gap=0.0)
    sol = p_median(Instance.from_cost_matrix(c, w), rules)
    assert sol.open.tolist() == [0, 1] and sol.objective == 91.0
    assert sol.bound == 91.0 and sol.proven and sol.status == "optimal"


def _case(seed: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 60)), int(rng.integers(3, 25))
    if seed % 4 == 0:
        c, w = np.round(rng.random((n, m)) * 100), rng.integers(1, 9, n).astype(float)
    elif seed % 4 == 1:
        c, w = rng.random((n, m)) * 100, rng.random(n) * 5
    elif seed % 4 == 2:
        xy = rng.uniform(0, 1000, (n, 2))
        c = np.hypot(*(xy[:, None] - xy[None, :m]).transpose(2, 0, 1))
        w = rng.integers(1, 500, n).astype(float)
    else:
        c, w = np.round(rng.random((n, m)) * 1000), rng.integers(1, 2000, n).astype(float)
    return c, w, int(rng.integers(1, m)), float(np.quantile(c, 0.3))


# Seeds 25, 60, 65 and 124 failed (full coverage with villages out of reach), 95, 99 and
# 159 too (integer objectives of millions: the bound came out one unit low).
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 25, 60, 65, 95, 99, 124, 159])
def test_with_mip_gap_zero_optimal_means_proven(seed: int) -> None:
    c, w, p, radius = _case(seed)
    inst = Instance.from_cost_matrix(c, w)
    solves = [
        lambda: p_median(inst, PMedianRules(p=p, mip_gap=0.0)),
        lambda: p_median(inst, PMedianRules(p=p, radius=radius, uncoverable="skip", mip_gap=0.0)),
        lambda: mclp(inst, MCLPRules(p=p, radius=radius, mip_gap=0.0)),
        lambda: lscp(inst, LSCPRules(radius=radius, uncoverable="skip", mip_gap=0.0)),
        lambda: p_center(inst, PCenterRules(p=p, mip_gap=0.0)),
    ]
    for run in solves:
        try:
            sol: Solution = run()
        except InfeasibleError:
            continue
        assert sol.status == "optimal", (sol.model, sol.method)
        assert sol.proven, (sol.model, sol.objective, sol.bound, sol.method)
        assert sol.gap <= 1e-9, sol.model
