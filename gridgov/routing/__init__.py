"""Roads only: the road graph, snapping places to it, long-form cost tables, network pieces.

Produces the ``(origin_id, destination_id, cost)`` table that :mod:`gridgov.coverage` and
:mod:`gridgov.issues` read; never imports either of them.
"""
