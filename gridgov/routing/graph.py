"""A routable road graph built from a workspace's roads layer.

Roads (lines with a class and an optional speed) become a graph whose nodes are the distinct
road vertices (snapped together within ``node_tolerance_m``) and whose edges are the segments
between consecutive vertices. Lines connect only where they share a vertex, as in osmnx: a
bridge over a road without a junction stays unconnected.

Each edge is stored once (``u < v``) with the travel it permits per mode and direction, so one
graph serves every mode: a one-way street is one-way for cars and e-bikes and two-way on
foot, a footway is closed to cars. The roads layer says so in optional columns (all missing
means every road is open both ways to everyone, exactly as before these columns existed):

``oneway`` (int, 单行)
    ``1``: vehicles (car, e-bike) only in the line's drawing direction; ``-1``: only against
    it; ``0`` or empty: both ways. Text is read as OpenStreetMap writes it (``yes``, ``-1``,
    ``no``) and as Geofabrik's shapefiles do (``F`` forward, ``T`` backward, ``B`` both).
``walk``, ``ebike``, ``car`` (bool, 步行/电动车/汽车可通行)
    Whether that mode may use the road at all; empty means yes.
``ferry`` (bool, 渡口)
    A ferry crossing: one edge from the line's first to its last vertex, travelled at
    ``Settings.ferry_kmh`` by every mode plus ``Settings.ferry_wait_min`` once per crossing.
``speed_kmh`` (float, 限速)
    The posted limit (OSM ``maxspeed``), capping the class speed of cars and e-bikes.

A mode added in the settings beyond walk, e-bike and car is bound by none of these.

The graph is held as flat numpy arrays, because the hot path (many-source shortest paths over
millions of nodes) runs in ``scipy.sparse.csgraph``: :meth:`RoadGraph.search_matrix` gives the
matrix for one mode, undirected (the upper triangle, as before) when the mode meets no
one-way or closed edge, directed otherwise. :meth:`RoadGraph.to_networkx` gives the same graph
as a networkx object for inspection and small jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.crs import projected_crs_for, require_crs, workspace_crs
from gridgov.model import RoadClass
from gridgov.settings import Settings

__all__ = [
    "MODES",
    "ONEWAY_MODES",
    "RoadGraph",
    "SearchMatrix",
    "Travel",
    "build_road_graph",
    "road_permissions",
]

log = logging.getLogger(__name__)

#: Travel modes with speeds in :attr:`gridgov.settings.Settings.speeds_kmh`; the roads
#: layer's ``walk``/``ebike``/``car`` columns say which of them may use a road.
MODES: tuple[str, ...] = ("walk", "ebike", "car")
#: Modes a one-way road binds (the law binds vehicles; walking is two-way everywhere).
ONEWAY_MODES: tuple[str, ...] = ("ebike", "car")
_CLASSES: tuple[RoadClass, ...] = tuple(RoadClass)
# Shortest segment kept: zero-length edges would vanish from a sparse matrix.
_MIN_EDGE_M = 0.01
# edge_access bits: mode i may go u -> v with bit 2i, v -> u with bit 2i + 1.
_ALL_ACCESS = (1 << (2 * len(MODES))) - 1
_FORWARD_BITS = sum(1 << (2 * i) for i in range(len(MODES)))
_BACKWARD_BITS = _FORWARD_BITS << 1

#: Which way a search runs: ``"to"`` gives the cost of travel *to* the search's start
#: nodes (a resident going to a station), ``"from"`` of travel *out of* them.
Travel = Literal["to", "from"]


def _mode_bits(mode: str) -> tuple[int, int] | None:
    """(u -> v bit, v -> u bit) of ``mode``, or None for a mode no column binds."""
    if mode not in MODES:
        return None
    i = MODES.index(mode)
    return 1 << (2 * i), 1 << (2 * i + 1)


def _swap_directions(access: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return (((access & _FORWARD_BITS) << 1) | ((access & _BACKWARD_BITS) >> 1)).astype(np.uint8)


@dataclass(frozen=True)
class SearchMatrix:
    """A sparse matrix for ``scipy.sparse.csgraph`` searches by one mode.

    Run ``csgraph.dijkstra(sm.matrix, directed=sm.directed, ...)``. Undirected (``directed``
    False) it is the upper triangle of the graph, one entry per edge in edge order; directed
    it holds one entry per permitted arc, the cheaper where two edges join the same nodes,
    and ``entry_edge`` names the edge of each entry of the graph's rows.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        ``n_nodes`` rows, then one per extra (virtual) node.
    directed : bool
    entry_edge : ndarray of int or None
        Edge of each stored entry in the graph's rows; None when entry ``k`` is edge ``k``.
    """

    matrix: sparse.csr_array
    directed: bool
    entry_edge: NDArray[np.int64] | None


@dataclass(frozen=True)
class _Arcs:
    """Permitted arcs of one mode, grouped by (tail, head) in CSR order (weight-free)."""

    indptr: NDArray[np.int64]
    head: NDArray[np.int32]
    arc_edge: NDArray[np.int64]
    group_start: NDArray[np.int64] | None  # None: one arc per (tail, head)
    group_of_arc: NDArray[np.int64] | None


@dataclass(frozen=True)
class RoadGraph:
    """A road graph in a projected CRS, as arrays.

    Attributes
    ----------
    crs : pyproj.CRS
        Projected CRS of the node coordinates (metres).
    node_x, node_y : ndarray
        Node coordinates.
    edge_u, edge_v : ndarray of int
        Edge end nodes (``u < v``), sorted by ``(u, v)``. A pair appears once, unless
        segments between the same two nodes permit different travel (a footway beside a
        one-way street): then once per kind of permission.
    edge_length_m : ndarray of float
        Segment length in metres (a ferry: the whole crossing).
    edge_class : ndarray of int8
        Index into ``tuple(RoadClass)``.
    edge_speed_kmh : ndarray of float
        The road's own speed (``speed_kmh`` column); NaN where the layer gives none.
    edge_road : ndarray of int
        Row position, in the roads layer, of the road each edge came from.
    edge_access : ndarray of uint8
        Travel permitted on the edge: bit ``2i`` lets ``MODES[i]`` go ``u -> v``, bit
        ``2i + 1`` lets it go ``v -> u``; all six bits set on an ordinary two-way road.
    edge_ferry : ndarray of bool
        The edge is a ferry crossing.
    """

    crs: pyproj.CRS
    node_x: NDArray[np.float64]
    node_y: NDArray[np.float64]
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_length_m: NDArray[np.float64]
    edge_class: NDArray[np.int8]
    edge_speed_kmh: NDArray[np.float64]
    edge_road: NDArray[np.int64]
    edge_access: NDArray[np.uint8]
    edge_ferry: NDArray[np.bool_]
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_x.size)

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.size)

    def edge_seconds(self, mode: str, settings: Settings | None = None) -> NDArray[np.float64]:
        """Travel time of every edge by ``mode``.

        The speed is the mode's speed for the road class, capped by the road's own
        ``speed_kmh`` where given (a posted limit binds cars and e-bikes alike; walking is
        the same everywhere). A ferry takes ``settings.ferry_kmh`` whatever the mode, plus
        ``settings.ferry_wait_min``. Edges the mode may not use get a time all the same:
        :meth:`search_matrix` leaves them out.

        Raises
        ------
        ParameterError
            If ``mode`` is not a known travel mode, or the settings lack a road class.
        """
        settings = settings or Settings()
        speeds = _mode_speeds(mode, settings)
        speed = speeds[self.edge_class]
        if mode != "walk":
            limit = self.edge_speed_kmh
            speed = np.where(np.isfinite(limit) & (limit > 0), np.minimum(speed, limit), speed)
        seconds = self.edge_length_m / (speed / 3.6)
        if self.has_ferries:
            crossing = (
                self.edge_length_m / (settings.ferry_kmh / 3.6) + settings.ferry_wait_min * 60.0
            )
            seconds = np.where(self.edge_ferry, crossing, seconds)
        return seconds

    def edge_weights(
        self, weight: Literal["time", "distance"], mode: str, settings: Settings | None = None
    ) -> NDArray[np.float64]:
        """Edge costs: seconds by ``mode`` for ``"time"``, metres for ``"distance"``.

        Raises
        ------
        ParameterError
            If ``weight`` is neither, or ``mode`` is not a known travel mode.
        """
        if weight == "distance":
            return self.edge_length_m
        if weight == "time":
            return self.edge_seconds(mode, settings)
        raise ParameterError(
            f"weight must be 'time' or 'distance', got {weight!r}", parameter="weight", value=weight
        )

    # --- permissions --------------------------------------------------------------------

    @cached_property
    def has_ferries(self) -> bool:
        return bool(self.edge_ferry.any())

    @cached_property
    def is_simple(self) -> bool:
        """One edge per node pair (always so for a layer without permission columns)."""
        keys = self.edge_keys
        return bool(keys.size < 2 or (keys[1:] > keys[:-1]).all())

    def permitted(self, mode: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Whether ``mode`` may travel each edge ``u -> v`` and ``v -> u``."""
        bits = _mode_bits(mode)
        if bits is None:
            everywhere = np.ones(self.n_edges, dtype=bool)
            return everywhere, everywhere
        return (self.edge_access & bits[0]) != 0, (self.edge_access & bits[1]) != 0

    def has_restrictions(self, mode: str) -> bool:
        """True if some edge is one-way or closed for ``mode``."""
        key = ("restricted", mode)
        if key not in self._cache:
            bits = _mode_bits(mode)
            if bits is None:
                found = False
            else:
                both = bits[0] | bits[1]
                found = bool(((self.edge_access & both) != both).any())
            self._cache[key] = found
        return bool(self._cache[key])

    def usable_nodes(self, mode: str) -> NDArray[np.int64]:
        """Nodes on at least one edge ``mode`` may travel (in either direction), ascending."""
        fwd, bwd = self.permitted(mode)
        ok = fwd | bwd
        touched = np.zeros(self.n_nodes, dtype=bool)
        touched[self.edge_u[ok]] = True
        touched[self.edge_v[ok]] = True
        return np.flatnonzero(touched).astype(np.int64)

    # --- matrices -----------------------------------------------------------------------

    def matrix(
        self,
        weights: NDArray[np.float64],
        *,
        extra_targets: NDArray[np.int64] | None = None,
        extra_weights: NDArray[np.float64] | None = None,
    ) -> sparse.csr_array:
        """The upper-triangular sparse adjacency matrix of ``weights`` (use undirected).

        Every edge, whatever it permits: for a search by one mode use
        :meth:`search_matrix`, which returns this very matrix when the mode meets no
        one-way or closed edge. Edges are stored sorted by ``(u, v)``, so the CSR arrays are
        assembled directly without a sort. ``extra_targets`` appends one row per extra
        (virtual) node, each with a single edge to the given graph node costing
        ``extra_weights``.
        """
        n = self.n_nodes
        counts = np.bincount(self.edge_u, minlength=n)
        return _with_extra_rows(counts, self.edge_v, weights, extra_targets, extra_weights)

    def search_matrix(
        self,
        weights: NDArray[np.float64],
        mode: str,
        *,
        travel: Travel = "to",
        extra_targets: NDArray[np.int64] | None = None,
        extra_weights: NDArray[np.float64] | None = None,
    ) -> SearchMatrix:
        """The matrix to search by ``mode`` with edge costs ``weights``.

        Parameters
        ----------
        weights : ndarray
            One cost per edge (:meth:`edge_weights`).
        mode : str
            The travel mode whose one-way and closed edges apply.
        travel : {"to", "from"}, default "to"
            ``"to"``: a search started at some nodes gives every node's cost of reaching
            them (residents travelling to a station); ``"from"``: the cost of travelling
            out of them. The same when the mode meets no one-way edge.
        extra_targets, extra_weights : ndarray, optional
            One extra (virtual) node per entry, joined to the given graph node at the
            given cost (both ways).

        Returns
        -------
        SearchMatrix
            Undirected (the upper triangle, :meth:`matrix`) when the mode meets no one-way
            or closed edge and no two edges join the same nodes; directed otherwise.

        Raises
        ------
        ParameterError
            If ``travel`` is neither ``"to"`` nor ``"from"``.
        """
        if travel not in ("to", "from"):
            raise ParameterError(
                f"travel must be 'to' or 'from', got {travel!r}", parameter="travel", value=travel
            )
        if self.is_simple and not self.has_restrictions(mode):
            return SearchMatrix(
                self.matrix(weights, extra_targets=extra_targets, extra_weights=extra_weights),
                directed=False,
                entry_edge=None,
            )
        arcs = self._arcs(mode, reverse=travel == "to")
        data = weights[arcs.arc_edge]
        entry_edge = arcs.arc_edge
        head = arcs.head
        if arcs.group_start is not None and arcs.group_of_arc is not None:
            # Two edges join the same nodes: keep the cheaper by these weights.
            order = np.lexsort((data, arcs.group_of_arc))
            chosen = order[arcs.group_start]
            data, entry_edge = data[chosen], entry_edge[chosen]
            head = head[arcs.group_start]
        counts = np.diff(arcs.indptr)
        matrix = _with_extra_rows(counts, head, data, extra_targets, extra_weights)
        return SearchMatrix(matrix, directed=True, entry_edge=entry_edge)

    def _arcs(self, mode: str, *, reverse: bool) -> _Arcs:
        """Arcs ``mode`` may travel, as CSR rows (tails) of heads; reversed for ``"to"``."""
        key = ("arcs", mode, reverse)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        fwd, bwd = self.permitted(mode)
        edges = np.arange(self.n_edges, dtype=np.int64)
        tail = np.concatenate([self.edge_u[fwd], self.edge_v[bwd]])
        head = np.concatenate([self.edge_v[fwd], self.edge_u[bwd]])
        arc_edge = np.concatenate([edges[fwd], edges[bwd]])
        if reverse:
            tail, head = head, tail
        n = self.n_nodes
        order = np.lexsort((head, tail))
        tail, head, arc_edge = tail[order], head[order], arc_edge[order]
        new_group = np.ones(tail.size, dtype=bool)
        new_group[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        group_start: NDArray[np.int64] | None = None
        group_of_arc: NDArray[np.int64] | None = None
        if not new_group.all():
            group_start = np.flatnonzero(new_group).astype(np.int64)
            group_of_arc = np.cumsum(new_group).astype(np.int64) - 1
            tail = tail[group_start]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        arcs = _Arcs(indptr, head.astype(np.int32), arc_edge, group_start, group_of_arc)
        self._cache[key] = arcs
        return arcs

    @cached_property
    def node_tree(self) -> cKDTree:
        """KD-tree of the nodes, built once per graph (snapping is a hot path)."""
        return cKDTree(np.column_stack([self.node_x, self.node_y]), balanced_tree=False)

    def mode_tree(self, mode: str) -> tuple[cKDTree, NDArray[np.int64] | None]:
        """KD-tree of the nodes ``mode`` can use and their node numbers (None: all nodes).

        Snapping a place for a mode that meets closed edges picks the nearest node it can
        travel from, not a footway's end where no car can start.
        """
        if not self.has_restrictions(mode):
            return self.node_tree, None
        key = ("tree", mode)
        if key not in self._cache:
            nodes = self.usable_nodes(mode)
            if nodes.size == 0:  # the mode can go nowhere: every search finds nothing
                self._cache[key] = (self.node_tree, None)
            else:
                xy = np.column_stack([self.node_x[nodes], self.node_y[nodes]])
                self._cache[key] = (cKDTree(xy, balanced_tree=False), nodes)
        return self._cache[key]

    @cached_property
    def edge_keys(self) -> NDArray[np.int64]:
        """``u * n_nodes + v`` per edge, ascending (edges are stored in that order)."""
        return self.edge_u * self.n_nodes + self.edge_v

    def components(self, mode: str | None = None) -> NDArray[np.int32]:
        """Connected-component label of every node.

        With ``mode``, only the edges that mode may travel (in either direction) join
        nodes: weakly connected pieces, as a map shows them.
        """
        if mode is None:
            ones = np.ones(self.n_edges)
            _, labels = sparse.csgraph.connected_components(self.matrix(ones), directed=False)
            return labels.astype(np.int32)
        fwd, bwd = self.permitted(mode)
        ok = fwd | bwd
        n = self.n_nodes
        adjacency = sparse.coo_array(
            (np.ones(int(ok.sum())), (self.edge_u[ok], self.edge_v[ok])), shape=(n, n)
        ).tocsr()
        _, labels = sparse.csgraph.connected_components(adjacency, directed=False)
        return labels.astype(np.int32)

    def to_networkx(
        self, mode: str = "walk", settings: Settings | None = None, *, directed: bool | None = None
    ) -> nx.Graph:
        """The same graph as a networkx Graph (or DiGraph), for inspection and small jobs.

        Nodes carry ``x``, ``y``; edges carry ``length_m``, ``seconds`` (by ``mode``),
        ``road_class`` and ``ferry``. ``directed=None`` gives a DiGraph holding the arcs
        ``mode`` may travel when it meets a one-way or closed edge, else an undirected Graph
        of every edge. Where two edges join the same nodes the shorter in time is kept. Not
        for large graphs: networkx holds Python objects per edge.
        """
        seconds = self.edge_seconds(mode, settings)
        if directed is None:
            directed = self.has_restrictions(mode)
        graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
        graph.graph.update(crs=self.crs.to_string(), mode=mode)
        graph.add_nodes_from(
            (i, {"x": float(x), "y": float(y)})
            for i, (x, y) in enumerate(zip(self.node_x, self.node_y, strict=True))
        )
        if directed:
            fwd, bwd = self.permitted(mode)
        else:
            fwd = bwd = np.ones(self.n_edges, dtype=bool)
        for e in range(self.n_edges):
            attrs = {
                "length_m": float(self.edge_length_m[e]),
                "seconds": float(seconds[e]),
                "road_class": _CLASSES[self.edge_class[e]].value,
                "ferry": bool(self.edge_ferry[e]),
            }
            u, v = int(self.edge_u[e]), int(self.edge_v[e])
            for tail, head, ok in ((u, v, fwd[e]), (v, u, directed and bwd[e])):
                if ok and not (
                    graph.has_edge(tail, head) and graph[tail][head]["seconds"] <= seconds[e]
                ):
                    graph.add_edge(tail, head, **attrs)
        return graph


def _with_extra_rows(
    counts: NDArray[np.int64],
    indices: NDArray[np.integer[Any]],
    data: NDArray[np.float64],
    extra_targets: NDArray[np.int64] | None,
    extra_weights: NDArray[np.float64] | None,
) -> sparse.csr_array:
    if extra_targets is not None and extra_weights is not None:
        counts = np.concatenate([counts, np.ones(extra_targets.size, dtype=counts.dtype)])
        indices = np.concatenate([indices, extra_targets])
        data = np.concatenate([data, extra_weights])
    total = counts.size
    indptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return sparse.csr_array((data, indices, indptr), shape=(total, total))


def _mode_speeds(mode: str, settings: Settings) -> NDArray[np.float64]:
    table = settings.speeds_kmh.get(mode)
    if table is None:
        raise ParameterError(
            f"unknown travel mode {mode!r}; expected one of {', '.join(settings.speeds_kmh)}",
            parameter="mode",
            value=mode,
        )
    missing = [c.value for c in _CLASSES if c.value not in table]
    if missing:
        raise ParameterError(
            f"settings.speeds_kmh[{mode!r}] lacks road classes {', '.join(missing)}",
            parameter="speeds_kmh",
            value=dict(table),
        )
    return np.array([float(table[c.value]) for c in _CLASSES])


def workspace_road_graph(ws: Any) -> RoadGraph | None:
    """The road graph of a workspace in its metric CRS, or None when it has no roads."""
    if ws.roads is None or ws.roads.empty:
        return None
    return build_road_graph(ws.roads, crs=workspace_crs(ws))


def build_road_graph(
    roads: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | str | None = None,
    node_tolerance_m: float = 0.5,
) -> RoadGraph:
    """Build a :class:`RoadGraph` from a roads layer.

    Parameters
    ----------
    roads : GeoDataFrame
        Lines with ``road_class`` (value or Chinese label), optionally ``speed_kmh``, and
        optionally the permission columns ``oneway``, ``walk``, ``ebike``, ``car`` and
        ``ferry`` (module docstring); a road no mode may use is left out.
    crs : CRS, optional
        Projected CRS to work in; by default the roads' own CRS if projected, else the
        Gauss-Kruger zone of their centroid.
    node_tolerance_m : float, default 0.5
        Vertices closer than this (on a grid of this size) become one node.

    Returns
    -------
    RoadGraph

    Raises
    ------
    ValidationError
        If the layer is empty, has no CRS, or holds unknown road classes or permission
        values it cannot read.
    """
    require_crs(roads, what="roads layer")
    if len(roads) == 0:
        raise ValidationError([Problem("roads", None, None, None, "the roads layer is empty")])
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
    elif roads.crs.is_projected:
        target = pyproj.CRS.from_user_input(roads.crs)
    else:
        target = projected_crs_for(roads)
    projected = roads.to_crs(target) if roads.crs != target else roads

    class_codes, problems = _class_codes(roads)
    road_access, road_ferry, found = road_permissions(roads)
    problems.extend(found)
    if problems:
        raise ValidationError(problems, context="roads")
    if "speed_kmh" in roads.columns:
        speed = np.asarray(roads["speed_kmh"], dtype=np.float64)
    else:
        speed = np.full(len(roads), np.nan)

    geoms = np.asarray(projected.geometry.values)
    parts, part_row = shapely.get_parts(geoms, return_index=True)
    part_length: NDArray[np.float64] | None = None
    if road_ferry.any():
        # A crossing is one edge from pier to pier: no one boards mid-river, and the wait
        # is paid once. Its length stays the length of the line.
        ferry_part = road_ferry[part_row]
        part_length = np.where(ferry_part, shapely.length(parts), np.nan)
        piers = [shapely.get_point(parts[ferry_part], i) for i in (0, -1)]
        parts = parts.copy()
        parts[ferry_part] = shapely.linestrings(
            np.stack([shapely.get_coordinates(p) for p in piers], axis=1)
        )
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    if coords.size == 0:
        raise ValidationError([Problem("roads", None, None, None, "the roads have no vertices")])

    # Snap vertices to a grid of node_tolerance_m and number the distinct cells: one int64
    # key per vertex makes np.unique fast at millions of vertices.
    q = np.round(coords / node_tolerance_m).astype(np.int64)
    q -= q.min(axis=0)
    key = q[:, 0] * (int(q[:, 1].max()) + 1) + q[:, 1]
    uniq, first_vertex, node_of = np.unique(key, return_index=True, return_inverse=True)
    node_xy = coords[first_vertex]

    same_part = vertex_part[1:] == vertex_part[:-1]
    a = node_of[:-1][same_part]
    b = node_of[1:][same_part]
    seg_len = np.hypot(*(coords[1:][same_part] - coords[:-1][same_part]).T)
    seg_part = vertex_part[:-1][same_part]
    seg_row = part_row[seg_part]
    if part_length is not None:
        seg_len = np.where(np.isfinite(part_length[seg_part]), part_length[seg_part], seg_len)
    seg_access = road_access[seg_row]
    keep = (a != b) & (seg_access != 0)
    a, b, seg_len, seg_row, seg_access = (
        a[keep],
        b[keep],
        seg_len[keep],
        seg_row[keep],
        seg_access[keep],
    )
    # Stored u < v: a segment drawn from the larger node permits the other way round.
    seg_access = np.where(a > b, _swap_directions(seg_access), seg_access)

    # One edge per node pair and kind of permission: a duplicate in a sparse matrix would be
    # summed, not min'd. Without permission columns every segment has the same kind, and
    # this is the plain one-edge-per-pair choice of the shortest segment.
    u = np.minimum(a, b)
    v = np.maximum(a, b)
    pair = u * uniq.size + v
    kind = seg_access.astype(np.int64) | (road_ferry[seg_row].astype(np.int64) << 8)
    plain = kind.size == 0 or bool((kind == kind[0]).all())
    order = np.lexsort((seg_len, pair)) if plain else np.lexsort((seg_len, kind, pair))
    pair_sorted = pair[order]
    first_of_pair = np.ones(order.size, dtype=bool)
    first_of_pair[1:] = pair_sorted[1:] != pair_sorted[:-1]
    if not plain:
        kind_sorted = kind[order]
        first_of_pair[1:] |= kind_sorted[1:] != kind_sorted[:-1]
    chosen = order[first_of_pair]

    graph = RoadGraph(
        crs=target,
        node_x=node_xy[:, 0].copy(),
        node_y=node_xy[:, 1].copy(),
        edge_u=u[chosen].astype(np.int64),
        edge_v=v[chosen].astype(np.int64),
        edge_length_m=np.maximum(seg_len[chosen], _MIN_EDGE_M),
        edge_class=class_codes[seg_row[chosen]],
        edge_speed_kmh=np.where(road_ferry[seg_row[chosen]], np.nan, speed[seg_row[chosen]]),
        edge_road=seg_row[chosen].astype(np.int64),
        edge_access=seg_access[chosen].astype(np.uint8),
        edge_ferry=road_ferry[seg_row[chosen]].copy(),
    )
    log.info(
        "road graph: %d nodes, %d edges from %d roads", graph.n_nodes, graph.n_edges, len(roads)
    )
    return graph


def _class_codes(roads: gpd.GeoDataFrame) -> tuple[NDArray[np.int8], list[Problem]]:
    if "road_class" not in roads.columns:
        return np.full(len(roads), _CLASSES.index(RoadClass.VILLAGE), dtype=np.int8), [
            Problem("roads", None, "road_class", None, "missing column; every road needs a class")
        ]
    problems: list[Problem] = []
    lookup: dict[object, int] = {}
    codes = np.empty(len(roads), dtype=np.int8)
    for pos, value in enumerate(roads["road_class"].to_numpy()):
        code = lookup.get(value)
        if code is None:
            try:
                code = _CLASSES.index(RoadClass.parse(value))
            except ParameterError as exc:
                problems.append(Problem("roads", roads.index[pos], "road_class", value, str(exc)))
                code = -1
            lookup[value] = code
        codes[pos] = code
    return codes, problems


# Text a roads layer may hold in the permission columns. Geofabrik's shapefiles write
# oneway as F (forward), T (backward), B (both); OSM as yes / -1 / no.
_ONEWAY_TEXT: dict[str, int] = {
    **dict.fromkeys(("1", "yes", "true", "y", "f", "forward", "是"), 1),
    **dict.fromkeys(("-1", "reverse", "t", "backward", "反向"), -1),
    **dict.fromkeys(("0", "no", "false", "n", "b", "both", "", "否"), 0),
}
_YES_NO_TEXT: dict[str, bool] = {
    **dict.fromkeys(("1", "yes", "true", "y", "t", "是"), True),
    **dict.fromkeys(("0", "no", "false", "n", "f", "否"), False),
}


def _parse_column(
    roads: pd.DataFrame,
    column: str,
    table: dict[str, Any],
    numbers: dict[float, Any],
    default: Any,
    expected: str,
) -> tuple[NDArray[Any], list[Problem]]:
    """Values of ``column`` read through ``table`` (text) or ``numbers``; empty -> default."""
    # Each distinct value is read once: a national layer has millions of rows, a handful
    # of distinct values.
    codes, uniques = pd.factorize(roads[column], use_na_sentinel=True)
    parsed: list[Any] = []
    bad: set[int] = set()
    for k, raw in enumerate(uniques):
        if isinstance(raw, bool | np.bool_ | int | float | np.integer | np.floating):
            got = numbers.get(float(raw))
        else:
            got = table.get(str(raw).strip().lower())
        if got is None:
            bad.add(k)
            got = default
        parsed.append(got)
    values = np.asarray([*parsed, default])[codes]  # code -1 (empty) takes the default
    problems = (
        [
            Problem("roads", label, column, uniques[int(code)], f"expected {expected}")
            for label, code in zip(roads.index, codes, strict=True)
            if code in bad
        ]
        if bad
        else []
    )
    return values, problems


def road_permissions(
    roads: pd.DataFrame,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], list[Problem]]:
    """Per road: the travel it permits (``edge_access`` bits, as drawn) and the ferry flag.

    Reads the optional ``oneway``, ``walk``, ``ebike``, ``car`` and ``ferry`` columns (module
    docstring); a missing column or empty cell permits everything and is no ferry.

    Parameters
    ----------
    roads : DataFrame
        The roads layer.

    Returns
    -------
    (ndarray of uint8, ndarray of bool, list of Problem)
        Access bits per road (bit ``2i``: ``MODES[i]`` along the drawing direction, bit
        ``2i + 1``: against it), ferry flags, and one problem per value not understood.
    """
    n = len(roads)
    problems: list[Problem] = []
    oneway = np.zeros(n, dtype=np.int8)
    if "oneway" in roads.columns:
        values, found = _parse_column(
            roads, "oneway", _ONEWAY_TEXT, {1.0: 1, -1.0: -1, 0.0: 0}, 0, "1, -1 or 0 (yes/-1/no)"
        )
        oneway = np.asarray(values, dtype=np.int8)
        problems.extend(found)
    allowed: dict[str, NDArray[np.bool_]] = {}
    for mode in (*MODES, "ferry"):
        default = mode != "ferry"
        if mode in roads.columns:
            values, found = _parse_column(
                roads, mode, _YES_NO_TEXT, {1.0: True, 0.0: False}, default, "yes or no"
            )
            allowed[mode] = np.asarray(values, dtype=bool)
            problems.extend(found)
        else:
            allowed[mode] = np.full(n, default)
    ahead = oneway >= 0
    back = oneway <= 0
    access = np.zeros(n, dtype=np.uint8)
    for i, mode in enumerate(MODES):
        bound = mode in ONEWAY_MODES
        fwd = allowed[mode] & (ahead if bound else True)
        bwd = allowed[mode] & (back if bound else True)
        access |= (fwd.astype(np.uint8) << (2 * i)) | (bwd.astype(np.uint8) << (2 * i + 1))
    return access, allowed["ferry"], problems
