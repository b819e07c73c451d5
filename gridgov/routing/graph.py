"""A routable road graph built from a workspace's roads layer.

Roads (lines with a class and an optional speed) become an undirected graph whose nodes are
the distinct road vertices (snapped together within ``node_tolerance_m``) and whose edges are
the segments between consecutive vertices. Lines connect only where they share a vertex, as
in osmnx: a bridge over a road without a junction stays unconnected.

The graph is held as flat numpy arrays, because the hot path (many-source shortest paths over
millions of nodes) runs in ``scipy.sparse.csgraph``; :meth:`RoadGraph.to_networkx` gives the
same graph as a networkx object for inspection and small jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.crs import projected_crs_for, require_crs, workspace_crs
from gridgov.model import RoadClass
from gridgov.settings import Settings

__all__ = ["MODES", "RoadGraph", "build_road_graph"]

log = logging.getLogger(__name__)

#: Travel modes with speeds in :attr:`gridgov.settings.Settings.speeds_kmh`.
MODES: tuple[str, ...] = ("walk", "ebike", "car")
_CLASSES: tuple[RoadClass, ...] = tuple(RoadClass)
# Shortest segment kept: zero-length edges would vanish from a sparse matrix.
_MIN_EDGE_M = 0.01


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph in a projected CRS, as arrays.

    Attributes
    ----------
    crs : pyproj.CRS
        Projected CRS of the node coordinates (metres).
    node_x, node_y : ndarray
        Node coordinates.
    edge_u, edge_v : ndarray of int
        Edge end nodes (each undirected edge once, ``u < v``).
    edge_length_m : ndarray of float
        Segment length in metres.
    edge_class : ndarray of int8
        Index into ``tuple(RoadClass)``.
    edge_speed_kmh : ndarray of float
        The road's own speed (``speed_kmh`` column); NaN where the layer gives none.
    edge_road : ndarray of int
        Row position, in the roads layer, of the road each edge came from.
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
        the same everywhere).

        Raises
        ------
        ParameterError
            If ``mode`` is not a known travel mode, or the settings lack a road class.
        """
        speeds = _mode_speeds(mode, settings or Settings())
        speed = speeds[self.edge_class]
        if mode != "walk":
            limit = self.edge_speed_kmh
            speed = np.where(np.isfinite(limit) & (limit > 0), np.minimum(speed, limit), speed)
        return self.edge_length_m / (speed / 3.6)

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

    def matrix(
        self,
        weights: NDArray[np.float64],
        *,
        extra_targets: NDArray[np.int64] | None = None,
        extra_weights: NDArray[np.float64] | None = None,
    ) -> sparse.csr_array:
        """The upper-triangular sparse adjacency matrix of ``weights`` (use undirected).

        Edges are stored sorted by ``(u, v)``, so the CSR arrays are assembled directly
        without a sort. ``extra_targets`` appends one row per extra (virtual) node, each
        with a single edge to the given graph node costing ``extra_weights``.
        """
        n = self.n_nodes
        counts = np.bincount(self.edge_u, minlength=n)
        indices = self.edge_v
        data = weights
        if extra_targets is not None and extra_weights is not None:
            counts = np.concatenate([counts, np.ones(extra_targets.size, dtype=counts.dtype)])
            indices = np.concatenate([indices, extra_targets])
            data = np.concatenate([data, extra_weights])
        total = counts.size
        indptr = np.zeros(total + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return sparse.csr_array((data, indices, indptr), shape=(total, total))

    @cached_property
    def node_tree(self) -> cKDTree:
        """KD-tree of the nodes, built once per graph (snapping is a hot path)."""
        return cKDTree(np.column_stack([self.node_x, self.node_y]), balanced_tree=False)

    @cached_property
    def edge_keys(self) -> NDArray[np.int64]:
        """``u * n_nodes + v`` per edge, ascending (edges are stored in that order)."""
        return self.edge_u * self.n_nodes + self.edge_v

    def components(self) -> NDArray[np.int32]:
        """Connected-component label of every node."""
        ones = np.ones(self.n_edges)
        _, labels = sparse.csgraph.connected_components(self.matrix(ones), directed=False)
        return labels.astype(np.int32)

    def to_networkx(self, mode: str = "walk", settings: Settings | None = None) -> nx.Graph:
        """The same graph as a networkx Graph, for inspection and small jobs.

        Nodes carry ``x``, ``y``; edges carry ``length_m``, ``seconds`` (by ``mode``) and
        ``road_class``. Not for large graphs: networkx holds Python objects per edge.
        """
        seconds = self.edge_seconds(mode, settings)
        graph = nx.Graph(crs=self.crs.to_string(), mode=mode)
        graph.add_nodes_from(
            (i, {"x": float(x), "y": float(y)})
            for i, (x, y) in enumerate(zip(self.node_x, self.node_y, strict=True))
        )
        graph.add_edges_from(
            (
                int(u),
                int(v),
                {"length_m": float(d), "seconds": float(s), "road_class": _CLASSES[c].value},
            )
            for u, v, d, s, c in zip(
                self.edge_u, self.edge_v, self.edge_length_m, seconds, self.edge_class, strict=True
            )
        )
        return graph


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
        Lines with ``road_class`` (value or Chinese label) and optionally ``speed_kmh``.
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
        If the layer is empty, has no CRS, or holds unknown road classes.
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
    if problems:
        raise ValidationError(problems, context="roads")
    if "speed_kmh" in roads.columns:
        speed = np.asarray(roads["speed_kmh"], dtype=np.float64)
    else:
        speed = np.full(len(roads), np.nan)

    parts, part_row = shapely.get_parts(np.asarray(projected.geometry.values), return_index=True)
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    if coords.size == 0:
        raise ValidationError([Problem("roads", None, None, None, "the roads have no vertices")])

    # Snap vertices to a grid of node_tolerance_m and number the distinct cells: one int64
    # key per vertex makes np.unique fast at millions of vertices.
    q = np.round(coords / node_tolerance_m).astype(np.int64)
    q -= q.min(axis=0)
    key = q[:, 0] * (int(q[:, 1].max()) + 1) + q[:, 1]
    uniq, first, node_of = np.unique(key, return_index=True, return_inverse=True)
    node_xy = coords[first]

    same_part = vertex_part[1:] == vertex_part[:-1]
    a = node_of[:-1][same_part]
    b = node_of[1:][same_part]
    seg_len = np.hypot(*(coords[1:][same_part] - coords[:-1][same_part]).T)
    seg_row = part_row[vertex_part[:-1][same_part]]
    keep = a != b
    a, b, seg_len, seg_row = a[keep], b[keep], seg_len[keep], seg_row[keep]

    # One edge per node pair: a duplicate in a sparse matrix would be summed, not min'd.
    u = np.minimum(a, b)
    v = np.maximum(a, b)
    pair = u * uniq.size + v
    order = np.lexsort((seg_len, pair))
    pair_sorted = pair[order]
    first_of_pair = np.ones(order.size, dtype=bool)
    first_of_pair[1:] = pair_sorted[1:] != pair_sorted[:-1]
    chosen = order[first_of_pair]

    graph = RoadGraph(
        crs=target,
        node_x=node_xy[:, 0].copy(),
        node_y=node_xy[:, 1].copy(),
        edge_u=u[chosen].astype(np.int64),
        edge_v=v[chosen].astype(np.int64),
        edge_length_m=np.maximum(seg_len[chosen], _MIN_EDGE_M),
        edge_class=class_codes[seg_row[chosen]],
        edge_speed_kmh=speed[seg_row[chosen]],
        edge_road=seg_row[chosen].astype(np.int64),
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
