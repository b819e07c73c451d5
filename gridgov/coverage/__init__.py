"""Coverage analysis: who reaches which station at what cost, gaps, and consolidation plans.

Reads the long-form ``(origin_id, destination_id, cost)`` table from :mod:`gridgov.routing`.
"""

from gridgov.coverage.reach import analyse
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import ReachStandard, parse_standard

__all__ = ["CoverageResult", "ReachStandard", "analyse", "parse_standard"]
