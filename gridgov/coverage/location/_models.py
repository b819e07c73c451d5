"""The public location models, one function each: rules in, a proven :class:`Solution` out.

Each function reads its rules against the instance (site masks, group bounds), checks that
they do not contradict each other, solves with :class:`~._solver.Solver` and returns a
frozen :class:`Solution` whose ``proven`` flag and ``status`` always agree.
"""

from __future__ import annotations

import time

from gridgov._errors import ParameterError
from gridgov.coverage.location._common import Sites, check_sites, site_rules
from gridgov.coverage.location._instance import Instance, Solution
from gridgov.coverage.location._rules import (
    LSCPRules,
    MCLPRules,
    PCenterRules,
    PMedianRules,
    Rules,
)
from gridgov.coverage.location._solver import Solver

__all__ = ["lscp", "mclp", "p_center", "p_median"]


def _start(instance: Instance, rules: Rules, p: int | None) -> tuple[Solver, float]:
    """The solver for ``instance`` under ``rules``, and the time the solve started."""
    t0 = time.perf_counter()
    n, m = instance.n_demand, instance.n_sites
    if n == 0 or m == 0:
        raise ParameterError(
            f"the cost matrix is empty ({n} demand x {m} sites)",
            parameter="instance",
            value=(n, m),
        )
    sites: Sites = site_rules(
        m, rules.keep, rules.close, rules.groups, rules.group_min, rules.group_max
    )
    check_sites(sites, p)
    deadline = None if rules.time_limit_s is None else t0 + rules.time_limit_s
    solver = Solver(instance, sites, deadline=deadline, mip_gap=rules.mip_gap, seed=rules.seed)
    return solver, t0


def p_median(instance: Instance, rules: PMedianRules) -> Solution:
    """Open ``rules.p`` sites with the least weighted travel; with ``rules.radius``, only
    plans that put every demand point within it (the p-median under full coverage).

    Parameters
    ----------
    instance : Instance
    rules : PMedianRules
        ``p``, the optional ``radius`` and ``uncoverable``, the site rules and limits.

    Returns
    -------
    Solution
        ``model`` is ``"p-median"``, or ``"p-median-full"`` with a radius; the objective is
        the weighted travel, the bound a proven lower bound.

    Raises
    ------
    ParameterError
        A site mask or group labels that do not fit the instance.
    InfeasibleError
        No plan keeps the site rules, or (with a radius) no ``p`` sites cover everyone: the
        message names the uncoverable demand points or how many sites covering needs.
    """
    solver, t0 = _start(instance, rules, rules.p)
    answer = solver.median(rules.p, rules.radius, uncoverable=rules.uncoverable)
    model = "p-median" if rules.radius is None else "p-median-full"
    return solver.solution(model, answer, t0)


def mclp(instance: Instance, rules: MCLPRules) -> Solution:
    """Open ``rules.p`` sites covering the most weight within ``rules.radius``; among plans
    covering as much, the least weighted travel (maximal covering location problem).

    Parameters
    ----------
    instance : Instance
    rules : MCLPRules
        ``p``, ``radius``, the site rules and limits.

    Returns
    -------
    Solution
        ``model`` is ``"mclp"``; the objective is the covered weight, the bound a proven
        upper bound on it.

    Raises
    ------
    ParameterError
        A site mask or group labels that do not fit the instance.
    InfeasibleError
        No plan keeps the site rules.
    """
    solver, t0 = _start(instance, rules, rules.p)
    return solver.solution("mclp", solver.mclp(rules.p, rules.radius), t0)


def lscp(instance: Instance, rules: LSCPRules) -> Solution:
    """The fewest sites that put every demand point within ``rules.radius``; among those,
    the least weighted travel (location set covering problem).

    Parameters
    ----------
    instance : Instance
    rules : LSCPRules
        ``radius``, ``uncoverable``, the site rules and limits.

    Returns
    -------
    Solution
        ``model`` is ``"lscp"``; the objective is the number of sites.

    Raises
    ------
    ParameterError
        A site mask or group labels that do not fit the instance.
    InfeasibleError
        Demand points no site reaches (with ``uncoverable="raise"``), no cover under the
        site rules, or a time limit too short to find the fewest sites.
    """
    solver, t0 = _start(instance, rules, None)
    answer = solver.lscp(rules.radius, uncoverable=rules.uncoverable)
    return solver.solution("lscp", answer, t0)


def p_center(instance: Instance, rules: PCenterRules) -> Solution:
    """Open ``rules.p`` sites with the least largest travel of any demand point with
    weight; among those plans, the least weighted travel.

    Parameters
    ----------
    instance : Instance
    rules : PCenterRules
        ``p``, the site rules and limits.

    Returns
    -------
    Solution
        ``model`` is ``"p-center"``; the objective is the largest travel, the bound a
        proven lower bound on it.

    Raises
    ------
    ParameterError
        A site mask or group labels that do not fit the instance.
    InfeasibleError
        No plan keeps the site rules.
    """
    solver, t0 = _start(instance, rules, rules.p)
    return solver.solution("p-center", solver.center(rules.p), t0)
