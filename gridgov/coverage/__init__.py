"""Coverage analysis: who reaches which station at what cost, gaps, and consolidation plans.

Reads the long-form ``(origin_id, destination_id, cost)`` table from :mod:`gridgov.routing`.
Filled by the coverage and consolidation work (issues 3 and 4).
"""
