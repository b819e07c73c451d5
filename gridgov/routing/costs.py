"""Snapping places to the road graph, nearest-facility search and long-form cost tables.

Origins (settlements, village centres, deputies' homes) and destinations (stations) are
snapped to the nearest graph node (for a mode that meets closed roads, the nearest node it
can use); the snap distance is added as walking cost, and snaps longer than
``Settings.snap_warn_m`` are reported by the caller.

Direction: costs are of travel from each origin to each destination (a resident going from
the village to the station). Where a mode meets one-way streets the searches start at the
destinations and run over the reversed arcs (:meth:`RoadGraph.search_matrix` with
``travel="to"``), so one search per station still gives every village's trip *to* it.

Speed: the many-source shortest-path runs are ``scipy.sparse.csgraph.dijkstra`` (compiled)
with ``min_only`` / ``limit``. Each facility gets a virtual node joined to its snap node by an
edge costing its snap walk, so one ``min_only`` run over all facilities gives every node its
nearest facility with the facility-side snap included exactly. The second metric along the
chosen path (metres when ranking by time, seconds when ranking by metres) is summed over the
origins' branches of the shortest-path tree by pointer jumping: a handful of numpy passes
instead of a Python loop over millions of nodes.

Output of :func:`cost_table` is the long-form ``(origin_id, destination_id, cost)`` table
that :mod:`gridgov.coverage` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csgraph

from gridgov.routing.graph import RoadGraph, SearchMatrix
from gridgov.settings import Settings

__all__ = ["Nearest", "Snapped", "cost_table", "nearest_facility", "snap_to_graph"]

Weight = Literal["time", "distance"]


@dataclass(frozen=True)
class Snapped:
    """Graph node and straight snap distance (metres) of each input point."""

    node: NDArray[np.int64]
    snap_m: NDArray[np.float64]


@dataclass(frozen=True)
class Nearest:
    """Nearest facility of each origin (``facility == -1`` where none is within the limit).

    ``travel_s`` and ``travel_m`` include both snap walks; ``cost`` is whichever of them the
    search ranked by.
    """

    facility: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    travel_m: NDArray[np.float64]
    origin_snap_m: NDArray[np.float64]
    facility_snap_m: NDArray[np.float64]


def snap_to_graph(
    graph: RoadGraph, x: ArrayLike, y: ArrayLike, *, mode: str | None = None
) -> Snapped:
    """Snap projected points (in ``graph.crs``) to their nearest graph node.

    Parameters
    ----------
    graph : RoadGraph
    x, y : array-like
        Coordinates in ``graph.crs``.
    mode : str, optional
        Snap to the nearest node this mode can travel from (a car does not start at the
        end of a footway); the same as no mode when the mode meets no closed road.

    Returns
    -------
    Snapped
    """
    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if len(pts) == 0:
        return Snapped(np.empty(0, dtype=np.int64), np.empty(0))
    if mode is None:
        dist, node = graph.node_tree.query(pts, workers=-1)
        return Snapped(node.astype(np.int64), dist.astype(np.float64))
    tree, nodes = graph.mode_tree(mode)
    dist, pos = tree.query(pts, workers=-1)
    node = pos if nodes is None else nodes[pos]
    return Snapped(np.asarray(node, dtype=np.int64), dist.astype(np.float64))


def _walk_s(metres: NDArray[np.float64], settings: Settings) -> NDArray[np.float64]:
    walk = settings.speeds_kmh["walk"]["village"]
    return metres / (walk / 3.6)


def nearest_facility(
    graph: RoadGraph,
    origins: Snapped,
    facilities: Snapped,
    *,
    weight: Weight = "time",
    mode: str = "ebike",
    settings: Settings | None = None,
    limit: float = np.inf,
) -> Nearest:
    """Nearest facility of every origin by road, one compiled multi-source run.

    The cost is of travel from the origin to the facility: with one-way streets the search
    runs from the facilities over the reversed arcs.

    Parameters
    ----------
    graph : RoadGraph
    origins, facilities : Snapped
        Snapped demand points and facilities.
    weight : {"time", "distance"}
        Rank by travel seconds (by ``mode``) or by road metres.
    mode : str
        Travel mode for seconds (walk, ebike, car).
    settings : Settings, optional
    limit : float
        Search no further than this cost (seconds or metres); beyond it ``facility`` is -1.

    Returns
    -------
    Nearest
    """
    settings = settings or Settings()
    n = graph.n_nodes
    k = facilities.node.size
    sec = graph.edge_seconds(mode, settings)
    metres = graph.edge_length_m
    primary = sec if weight == "time" else metres
    secondary = metres if weight == "time" else sec

    # Virtual node n + j for facility j, linked to its snap node by its snap walk.
    fac_snap_s = _walk_s(facilities.snap_m, settings)
    fac_primary = fac_snap_s if weight == "time" else facilities.snap_m
    fac_secondary = facilities.snap_m if weight == "time" else fac_snap_s
    # A tiny floor keeps a zero snap from vanishing as an explicit zero in the matrix.
    fac_primary = np.maximum(fac_primary, 1e-6)
    total = n + k
    sm = graph.search_matrix(
        primary, mode, travel="to", extra_targets=facilities.node, extra_weights=fac_primary
    )
    matrix = sm.matrix

    if k == 0:
        dist = np.full(total, np.inf)
        pred = np.full(total, -9999, dtype=np.int32)
        source = np.full(total, -9999, dtype=np.int32)
    else:
        dist, pred, source = csgraph.dijkstra(
            matrix,
            directed=sm.directed,
            indices=np.arange(n, n + k),
            min_only=True,
            return_predecessors=True,
            limit=limit,
        )

    o = origins.node
    second = _along_tree(pred, sm, n, o, secondary, fac_secondary)
    origin_snap_s = _walk_s(origins.snap_m, settings)
    o_primary_snap = origin_snap_s if weight == "time" else origins.snap_m
    o_secondary_snap = origins.snap_m if weight == "time" else origin_snap_s
    cost = dist[o] + o_primary_snap
    other = second + o_secondary_snap
    reached = np.isfinite(dist[o]) & (cost <= limit)
    fac = np.where(reached, source[o] - n, -1).astype(np.int64)
    travel_s = np.where(reached, cost if weight == "time" else other, np.nan)
    travel_m = np.where(reached, other if weight == "time" else cost, np.nan)
    fsnap = np.where(reached, facilities.snap_m[np.clip(fac, 0, None)] if k else np.nan, np.nan)
    return Nearest(fac, travel_s, travel_m, origins.snap_m.copy(), fsnap)


def _along_tree(
    pred: NDArray[np.int32],
    sm: SearchMatrix,
    n: int,
    targets: NDArray[np.int64],
    edge_values: NDArray[np.float64],
    facility_values: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Sum ``edge_values`` along each target's shortest-path-tree path to its root.

    ``pred`` is the predecessor array of the run over ``sm.matrix`` (``n`` graph nodes, then
    one virtual root per facility, whose tree edge is worth ``facility_values``); the
    result is 0 where a target is unreached.

    Pointer jumping: ``acc[v] += acc[p[v]]; p[v] = p[p[v]]`` doubles the covered path
    length each pass, so ``log2(depth)`` vectorised passes replace a walk over the tree.
    Only the targets' ancestors take part, renumbered ``0 .. m-1`` so the passes gather
    from small arrays: at national scale (8M nodes, 600k targets) that is 1.6M nodes, and
    this function fell from 2.1 s (every node, ``searchsorted`` edge lookup) to about
    0.3 s. The additions happen in the same order as over the whole tree, so the sums are
    bit-for-bit those of the plain pointer jumping.
    """
    total = pred.size
    # Mark the ancestors: climb from the targets, stopping where a path joins one already
    # marked, so each tree node is visited about once (roots, with pred < 0, stay out).
    mark = np.zeros(total, dtype=bool)
    front: NDArray[np.integer[Any]] = targets[pred[targets] >= 0]
    while front.size:
        front = front[~mark[front]]
        mark[front] = True
        front = pred[front]
        front = front[pred[front] >= 0]
    nodes = np.flatnonzero(mark)
    if nodes.size == 0:  # no target reached
        return np.zeros(targets.size)
    local = np.full(total, -1, dtype=np.int32)
    local[nodes] = np.arange(nodes.size, dtype=np.int32)
    up = pred[nodes]
    parent = local[up]  # -1 where the parent is a root: that sum is already complete

    # Value of each tree edge (up, node): a facility's virtual edge, or a graph edge found
    # by scanning a matrix row: undirected, the upper-triangular row of its smaller end;
    # directed, the row of ``up`` (the search ran from it to ``node``). Road rows hold 1-3
    # entries, so a few vectorised steps; ``searchsorted`` in the edge keys took twice as
    # long.
    matrix = sm.matrix
    acc = np.empty(nodes.size)
    virtual = up >= n
    acc[virtual] = facility_values[up[virtual] - n]
    real = np.flatnonzero(~virtual)
    if sm.directed:
        a, b = up[real], nodes[real]
    else:
        a = np.minimum(nodes[real], up[real])
        b = np.maximum(nodes[real], up[real])
    slot = matrix.indptr[a]
    todo = np.arange(real.size)
    while todo.size:
        hit = matrix.indices[slot[todo]] == b[todo]
        todo = todo[~hit]
        slot[todo] += 1
    acc[real] = edge_values[slot] if sm.entry_edge is None else edge_values[sm.entry_edge[slot]]

    active = np.flatnonzero(parent >= 0)
    while active.size:
        p = parent[active]
        acc[active] += acc[p]
        pp = parent[p]
        parent[active] = pp
        active = active[pp >= 0]
    at = local[targets]
    return np.where(at >= 0, acc[at], 0.0)


def cost_table(
    graph: RoadGraph,
    origins: Snapped,
    destinations: Snapped,
    *,
    origin_ids: ArrayLike,
    destination_ids: ArrayLike,
    weight: Weight = "time",
    mode: str = "ebike",
    settings: Settings | None = None,
    cutoff: float = np.inf,
    batch: int = 64,
) -> pd.DataFrame:
    """Long-form ``(origin_id, destination_id, cost)`` for every pair within ``cutoff``.

    One bounded compiled run per destination, in batches so memory stays at
    ``batch x n_nodes`` floats. ``cost`` is seconds (``weight="time"``) or metres of travel
    from the origin to the destination, and includes both snap walks; with one-way
    streets the runs follow the reversed arcs from each destination.

    Returns
    -------
    DataFrame
        Columns ``origin_id, destination_id, cost``, sorted by origin then cost.
    """
    settings = settings or Settings()
    oid = np.asarray(origin_ids)
    did = np.asarray(destination_ids)
    weights = graph.edge_weights(weight, mode, settings)
    sm = graph.search_matrix(weights, mode, travel="to")
    snap = _walk_s if weight == "time" else (lambda m, s: m)
    o_snap = snap(origins.snap_m, settings)
    d_snap = snap(destinations.snap_m, settings)
    pieces: list[pd.DataFrame] = []
    for start in range(0, destinations.node.size, batch):
        idx = np.arange(start, min(start + batch, destinations.node.size))
        dist = csgraph.dijkstra(
            sm.matrix, directed=sm.directed, indices=destinations.node[idx], limit=cutoff
        )
        block = dist[:, origins.node] + o_snap[None, :] + d_snap[idx][:, None]
        # Unreached pairs (inf) stay out even with no cutoff: "within" means reachable.
        di, oi = np.nonzero(np.isfinite(block) & (block <= cutoff))
        pieces.append(
            pd.DataFrame(
                {"origin_id": oid[oi], "destination_id": did[idx[di]], "cost": block[di, oi]}
            )
        )
    if not pieces:
        return pd.DataFrame({"origin_id": oid[:0], "destination_id": did[:0], "cost": []})
    table = pd.concat(pieces, ignore_index=True)
    return table.sort_values(["origin_id", "cost"], kind="stable", ignore_index=True)
