"""就近编组进站: assign every deputy to a liaison station by road travel from home.

:func:`group_deputies` reads the deputies, the stations and the long-form
``(origin_id, destination_id, cost)`` travel table that :mod:`gridgov.routing` produces, and
returns for every deputy the station they belong to, how far it is, and why they are there
(in Chinese, for the county's roster). It works in two stages.

1. **Industry** (行业站点). A deputy already in an industry station stays there. A deputy whose
   ``specialty`` equals an industry station's ``industry`` goes to the nearest station of
   that industry. Industry stations' bounds apply where they can: members beyond a
   station's maximum fall back (farthest first) to the regional grouping, and a minimum is
   met only from the industry's own deputies; nobody is drafted into an industry they do
   not work in, and nobody already in an industry station is moved out.
2. **Regional** (区域站点). Everyone else is grouped so that total travel is least while every
   regional station keeps between ``min_per_station`` (the reception rota, 接待轮值) and
   ``max_per_station`` deputies (a service post, 代表服务岗, has no minimum). When that
   cannot be done (too few deputies within reach of a station, or deputies whose
   reachable stations are all full) the default is to **relax** the bounds
   lexicographically: first the fewest deputies over a maximum, then the fewest seats
   short of a minimum, then the least travel. Every relaxation shows in the affected
   deputies' ``reason``, in the result's ``attrs`` and in the log;
   ``on_shortfall="raise"`` raises :class:`~gridgov._errors.InfeasibleError` instead,
   naming the stations. A deputy who can reach no station keeps their current one.

The algorithm (an exact min-cost flow per stage, by column generation on HiGHS) and its
measured speed are described in :mod:`gridgov.coverage.grouping._flow`; the input checks
are in :mod:`~gridgov.coverage.grouping._checks`.
"""

from gridgov.coverage.grouping._group import GROUPING_COLUMNS, group_deputies

__all__ = ["GROUPING_COLUMNS", "group_deputies"]
