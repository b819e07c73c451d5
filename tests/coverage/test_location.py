"""Location models against brute-force enumeration, and the rules every plan must keep."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov._errors import InfeasibleError, ParameterError, ValidationError
from gridgov.coverage.location import (
    Instance,
    LSCPRules,
    MCLPRules,
    PCenterRules,
    PMedianRules,
    lscp,
    mclp,
    p_center,
    p_median,
)


def _travel(c: np.ndarray, w: np.ndarray, cols: tuple[int, ...]) -> float:
    return float((w * c[:, list(cols)].min(axis=1)).sum())


def _plans(m: int, p: int, keep: set[int], close: set[int], groups, lo, hi):
    for cols in itertools.combinations(range(m), p):
        s = set(cols)
        if not keep <= s or s & close:
            continue
        if groups is not None:
            counts = {g: sum(groups[j] == g for j in cols) for g in set(groups)}
            if any(counts.get(g, 0) < v for g, v in lo.items()):
                continue
            if any(counts.get(g, 0) > v for g, v in hi.items()):
                continue
        yield cols


@st.composite
def instances(draw):
    n = draw(st.integers(2, 9))
    m = draw(st.integers(2, 7))
    c = np.array(draw(st.lists(st.integers(0, 30), min_size=n * m, max_size=n * m)), float)
    c = c.reshape(n, m)
    w = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), float)
    p = draw(st.integers(1, m))
    keep = set(draw(st.lists(st.integers(0, m - 1), max_size=2)))
    close = set(draw(st.lists(st.integers(0, m - 1), max_size=2))) - keep
    groups = draw(st.lists(st.sampled_from("AB"), min_size=m, max_size=m))
    lo = {"A": draw(st.integers(0, 2))} if "A" in groups else {}
    hi = {"B": draw(st.integers(0, 3))} if "B" in groups else {}
    return c, w, p, keep, close, groups, lo, hi


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_p_median_equals_brute_force_and_keeps_every_rule(case) -> None:
    c, w, p, keep, close, groups, lo, hi = case
    plans = list(_plans(c.shape[1], p, keep, close, groups, lo, hi))
    inst = Instance.from_cost_matrix(c, w)
    kwargs = dict(p=p, keep=sorted(keep), close=sorted(close), groups=groups,
                  group_min=lo, group_max=hi)  # fmt: skip
    if not plans:
        with pytest.raises(InfeasibleError):
            p_median(inst, PMedianRules(**kwargs))
        return
    sol = p_median(inst, PMedianRules(**kwargs))
    best = min(_travel(c, w, cols) for cols in plans)
    assert sol.proven and sol.status == "optimal"
    assert sol.objective == pytest.approx(best)
    assert sol.bound <= sol.objective + 1e-6
    opened = set(sol.open.tolist())
    assert len(opened) == p and keep <= opened and not opened & close
    for g, v in lo.items():
        assert sum(groups[j] == g for j in opened) >= v
    for g, v in hi.items():
        assert sum(groups[j] == g for j in opened) <= v
    # Everyone is served by the cheapest open site.
    assert np.allclose(sol.cost, c[:, sol.open].min(axis=1))


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(3, 25))
def test_coverage_models_equal_brute_force(case, limit) -> None:
    c, w, p, _, _, _, _, _ = case
    m = c.shape[1]
    inst = Instance.from_cost_matrix(c, w)
    people = w > 0
    combos = list(itertools.combinations(range(m), p))
    covered = max(float(w[(c[:, list(s)] <= limit).any(axis=1)].sum()) for s in combos)
    assert mclp(inst, MCLPRules(p=p, radius=limit)).objective == pytest.approx(covered)
    if people.any():
        worst = min(float(c[people][:, list(s)].min(axis=1).max()) for s in combos)
        centre = p_center(inst, PCenterRules(p=p))
        assert centre.proven and centre.objective == pytest.approx(worst)
    full = [
        _travel(c, w, s) for s in combos if ((c[:, list(s)] <= limit).any(axis=1) | ~people).all()
    ]
    coverable = ((c <= limit).any(axis=1) | ~people).all()
    if full:
        sol = p_median(inst, PMedianRules(p=p, radius=limit))
        assert sol.objective == pytest.approx(min(full))
        assert (sol.cost[people] <= limit).all()
    else:
        with pytest.raises(InfeasibleError):
            p_median(inst, PMedianRules(p=p, radius=limit))
    if coverable:
        fewest = next(
            q
            for q in range(0, m + 1)
            if any(
                ((c[:, list(s)] <= limit).any(axis=1) | ~people).all()
                for s in itertools.combinations(range(m), q)
            )
        )
        assert lscp(inst, LSCPRules(radius=limit)).objective == fewest


def test_uncoverable_demand_is_named() -> None:
    c = np.array([[1.0, 2.0], [50.0, 60.0], [3.0, 1.0]])
    inst = Instance.from_cost_matrix(c, [1, 5, 1], demand_ids=["甲村", "乙村", "丙村"])
    with pytest.raises(InfeasibleError, match="乙村"):
        p_median(inst, PMedianRules(p=1, radius=10))
    sol = p_median(inst, PMedianRules(p=1, radius=10, uncoverable="skip"))
    assert sol.p == 1


def test_too_few_sites_for_full_coverage_says_how_many() -> None:
    c = np.array([[1.0, 9, 9], [9, 1.0, 9], [9, 9, 1.0]])
    with pytest.raises(InfeasibleError, match="at least 3"):
        p_median(Instance.from_cost_matrix(c), PMedianRules(p=2, radius=2))


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValidationError, match="cost must be non-negative") as bad_cost:
        Instance.from_cost_matrix([[1.0, -2.0]])
    assert [(e.row, e.value) for e in bad_cost.value.errors] == [(0, -2.0)]
    with pytest.raises(ParameterError, match="weight") as bad_weight:
        Instance.from_cost_matrix([[1.0, 2.0]], [1, 2])
    assert bad_weight.value.parameter == "weight"
    with pytest.raises(ParameterError, match="p must be") as bad_p:
        PMedianRules(p=0)
    assert (bad_p.value.parameter, bad_p.value.value) == ("p", 0)
    with pytest.raises(ParameterError, match="radius") as bad_radius:
        LSCPRules(radius=-1.0)
    assert bad_radius.value.value == -1.0
    with pytest.raises(ParameterError, match="mip_gap"):
        PMedianRules(p=1, mip_gap=float("nan"))
    with pytest.raises(ParameterError, match="uncoverable"):
        PMedianRules(p=1, uncoverable="drop")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="group_min"):
        PMedianRules(p=1, groups=["A"], group_min={"A": -1})
    inst = Instance.from_cost_matrix([[1.0, 2.0]])
    with pytest.raises(ParameterError, match="keep mask has 3 entries"):
        p_median(inst, PMedianRules(p=1, keep=[True, False, False]))
    with pytest.raises(ParameterError, match="group_max names group 'C'"):
        p_median(inst, PMedianRules(p=1, groups=["A", "B"], group_max={"C": 1}))
    with pytest.raises(InfeasibleError, match="more than p"):
        p_median(inst, PMedianRules(p=1, keep=[0, 1]))


def test_rules_are_frozen_copies() -> None:
    keep = np.array([True, False])
    bounds = {"A": 1}
    rules = PMedianRules(p=1, keep=keep, groups=["A", "B"], group_min=bounds)
    keep[1], bounds["A"] = True, 2  # changing the inputs afterwards changes nothing
    assert rules.keep == (True, False) and rules.group_min == {"A": 1}
    assert rules == PMedianRules(p=1, keep=[True, False], groups=("A", "B"), group_min={"A": 1})
    sol = p_median(Instance.from_cost_matrix([[1.0, 2.0], [3.0, 1.0]]), rules)
    assert sol.open_ids == [0]


def test_time_limit_still_states_a_gap() -> None:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 1000, size=(300, 2))
    c = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    sol = p_median(Instance.from_cost_matrix(c), PMedianRules(p=15, time_limit_s=0.5, seed=1))
    assert sol.p == 15
    assert np.isfinite(sol.bound) and sol.bound <= sol.objective + 1e-6
    assert sol.gap >= 0
    again = p_median(Instance.from_cost_matrix(c), PMedianRules(p=15, time_limit_s=60, seed=1))
    assert again.proven and again.objective <= sol.objective + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_integer_costs_prove_the_optimum_with_a_whole_bound(seed) -> None:
    # Integer costs and weights give an integer objective: the proven bound is whole
    # and equals the optimum found by enumeration.
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(40, 2))
    c = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :24, :]).transpose(2, 0, 1)))
    w = rng.integers(1, 5, size=40).astype(float)
    best = min(_travel(c, w, cols) for cols in itertools.combinations(range(24), 3))
    sol = p_median(Instance.from_cost_matrix(c, w), PMedianRules(p=3))
    assert sol.proven and sol.objective == best
    assert sol.bound == best


def _brute_median(c: np.ndarray, w: np.ndarray, p: int, keep: set[int], close: set[int]) -> float:
    free = [j for j in range(c.shape[1]) if j not in keep and j not in close]
    combos = np.array(list(itertools.combinations(free, p - len(keep))), dtype=np.int64)
    combos = np.hstack([np.full((len(combos), len(keep)), sorted(keep), np.int64), combos])
    best = np.inf
    for chunk in np.array_split(combos, max(1, len(combos) // 4000)):
        travel = c[:, chunk].min(axis=2)  # n x plans
        best = min(best, float((w @ travel).min()))
    return best


def test_lagrangian_tree_search_equals_brute_force() -> None:
    # Unstructured costs leave a gap after the root Lagrangian bound, so the tree search
    # runs and branches; integer and fractional data, with kept and closed sites.
    searched = 0
    for seed in range(16):
        rng = np.random.default_rng(seed)
        n, m, p = 40, 20, 4 + seed % 3
        c = rng.random((n, m)) * 100
        if seed % 2 == 0:
            c = np.round(c)
        w = rng.integers(1, 9, n).astype(float) if seed % 3 else rng.random(n) * 5
        keep = {0} if seed % 4 == 1 else set()
        close = {1, 2} if seed % 4 == 2 else set()
        rules = PMedianRules(
            p=p, mip_gap=0.0, keep=[j in keep for j in range(m)],
            close=[j in close for j in range(m)],
        )  # fmt: skip
        sol = p_median(Instance.from_cost_matrix(c, w), rules)
        best = _brute_median(c, w, p, keep, close)
        assert sol.objective == pytest.approx(best, rel=1e-9), seed
        assert sol.proven and sol.bound <= best * (1 + 1e-9), seed
        assert keep <= set(sol.open.tolist()) and not close & set(sol.open.tolist())
        searched += "Lagrangian branch-and-bound," in sol.method
    assert searched >= 8  # the tree search itself was put to the test


def test_tree_search_hands_over_to_the_mip_at_its_node_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gridgov.coverage.location._lagrange.TREE_NODES", 2)
    for seed in (3, 7, 23):  # instances whose tree search takes dozens of nodes
        rng = np.random.default_rng(seed)
        p = 4 + seed % 3
        c = np.round(rng.random((40, 20)) * 100)
        w = rng.integers(1, 9, 40).astype(float)
        sol = p_median(Instance.from_cost_matrix(c, w), PMedianRules(p=p, mip_gap=0.0))
        assert "branch-and-bound stopped at 2 nodes" in sol.method and "radius MIP" in sol.method
        assert sol.proven and sol.objective == pytest.approx(_brute_median(c, w, p, set(), set()))
