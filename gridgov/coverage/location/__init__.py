"""Facility location on a demand x site cost matrix, solved exactly with a proven bound.

One function per model, each taking an :class:`Instance` and a frozen rules object and
returning a frozen :class:`Solution` (plan, objective, proven bound and gap):
:func:`p_median` (least weighted travel with ``p`` sites, optionally with everyone within a
radius), :func:`mclp` (most weight within a radius), :func:`lscp` (fewest sites covering
everyone) and :func:`p_center` (least largest travel); the coverage models and the p-center
break ties by least weighted travel. Plans come from vertex substitution, a Lagrangian bound
with tree search, and a truncated radius-formulation MIP on HiGHS; when a time limit stops
the search, the best plan and its proven gap are returned.

Examples
--------
>>> from gridgov.coverage.location import Instance, PMedianRules, p_median
>>> inst = Instance.from_cost_matrix([[1.0, 5.0], [4.0, 1.0], [3.0, 2.0]], [10, 20, 5])
>>> sol = p_median(inst, PMedianRules(p=1))
>>> sol.open_ids, sol.objective, sol.proven
([1], 80.0, True)
"""

from gridgov.coverage.location._common import DEFAULT_MIP_GAP
from gridgov.coverage.location._instance import Instance, Solution
from gridgov.coverage.location._models import lscp, mclp, p_center, p_median
from gridgov.coverage.location._rules import (
    LSCPRules,
    MCLPRules,
    PCenterRules,
    PMedianRules,
    Rules,
)

__all__ = [
    "DEFAULT_MIP_GAP",
    "Instance",
    "LSCPRules",
    "MCLPRules",
    "PCenterRules",
    "PMedianRules",
    "Rules",
    "Solution",
    "lscp",
    "mclp",
    "p_center",
    "p_median",
]
