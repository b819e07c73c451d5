"""Disconnected pieces of the road network, and which places and facilities lie on each.

A real road layer is rarely one piece: an island reached only by a ferry left out of the
extract, a new estate whose link road is not mapped, a footway-only lane where no car can
go. A village on a piece without any station cannot reach one by road whatever the
distance, which a coverage table only shows as a missing time. :func:`road_pieces` counts
the pieces (for one travel mode, through the roads it may use in either direction) and
places every place and facility on one; :func:`pieces_layer` draws them for a map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gridgov.routing.costs import snap_to_graph
from gridgov.routing.graph import RoadGraph

__all__ = ["RoadPieces", "pieces_layer", "road_pieces"]


@dataclass(frozen=True)
class RoadPieces:
    """The pieces of a road graph and what lies on each.

    Attributes
    ----------
    mode : str or None
        The travel mode whose usable roads join the pieces (None: every road).
    node_piece : ndarray of int
        Piece of every graph node; pieces are numbered by road length, 0 the longest. A
        node on no road the mode may use is on no piece (-1).
    table : DataFrame
        One row per piece: ``piece``, ``n_nodes``, ``n_edges``, ``length_km``,
        ``n_places``, ``n_facilities``.
    place_piece, facility_piece : Series of int
        Piece of each place and facility, aligned to the frames given.
    """

    mode: str | None
    node_piece: NDArray[np.int64]
    table: pd.DataFrame
    place_piece: pd.Series
    facility_piece: pd.Series

    @property
    def n_pieces(self) -> int:
        return len(self.table)

    @property
    def places_without_facility(self) -> pd.Series:
        """Boolean per place: its piece holds no facility (no road reaches one)."""
        served = set(self.facility_piece.to_numpy().tolist())
        return ~self.place_piece.isin(served)

    @property
    def facilities_without_places(self) -> pd.Series:
        """Boolean per facility: its piece holds no place (no one reaches it by road)."""
        used = set(self.place_piece.to_numpy().tolist())
        return ~self.facility_piece.isin(used)

    def summary(self) -> dict[str, Any]:
        """JSON-able counts for a report: pieces, and places/facilities cut off."""
        lonely = self.places_without_facility
        idle = self.facilities_without_places
        with_places = int((self.table["n_places"] > 0).sum())
        return {
            "mode": self.mode,
            "n_pieces": self.n_pieces,
            "pieces_with_places": with_places,
            "largest_share_km": round(
                float(self.table["length_km"].iloc[0] / self.table["length_km"].sum()), 4
            )
            if self.n_pieces
            else None,
            "places_without_facility": int(lonely.sum()),
            "pieces_without_facility": int(
                ((self.table["n_places"] > 0) & (self.table["n_facilities"] == 0)).sum()
            ),
            "facilities_without_places": int(idle.sum()),
        }


def _points(gdf: gpd.GeoDataFrame, graph: RoadGraph) -> tuple[NDArray[Any], NDArray[Any]]:
    geoms = gdf.to_crs(graph.crs).geometry
    points = shapely.point_on_surface(np.asarray(geoms.values))
    xy = shapely.get_coordinates(points)
    return xy[:, 0], xy[:, 1]


def road_pieces(
    graph: RoadGraph,
    places: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str | None = None,
) -> RoadPieces:
    """Pieces of the road network and the places and facilities on each.

    Parameters
    ----------
    graph : RoadGraph
    places : GeoDataFrame
        Demand (villages, settlements): points, or polygons placed at a point inside.
    facilities : GeoDataFrame
        Stations: points (or any geometry, placed at a point inside).
    mode : str, optional
        Join pieces only through roads this mode may use (in either direction), and snap
        to nodes it can use; by default every road.

    Returns
    -------
    RoadPieces
    """
    labels = graph.components(mode).astype(np.int64)
    edge_ok = np.ones(graph.n_edges, dtype=bool)
    if mode is not None:
        fwd, bwd = graph.permitted(mode)
        edge_ok = fwd | bwd
    on_road = np.zeros(graph.n_nodes, dtype=bool)
    on_road[graph.edge_u[edge_ok]] = True
    on_road[graph.edge_v[edge_ok]] = True
    n_labels = int(labels.max()) + 1 if labels.size else 0
    km = np.bincount(
        labels[graph.edge_u[edge_ok]],
        weights=graph.edge_length_m[edge_ok] / 1000.0,
        minlength=n_labels,
    )
    edges = np.bincount(labels[graph.edge_u[edge_ok]], minlength=n_labels)
    real = np.zeros(n_labels, dtype=bool)
    real[labels[on_road]] = True
    # Number the pieces by length, longest first, so piece 0 is "the network".
    order = np.flatnonzero(real)[np.lexsort((np.flatnonzero(real), -km[real]))]
    renumber = np.full(n_labels, -1, dtype=np.int64)
    renumber[order] = np.arange(order.size)
    node_piece = np.where(on_road, renumber[labels], -1)

    snap_mode = mode
    px, py = _points(places, graph)
    fx, fy = _points(facilities, graph)
    place_node = snap_to_graph(graph, px, py, mode=snap_mode).node
    facility_node = snap_to_graph(graph, fx, fy, mode=snap_mode).node
    place_piece = node_piece[place_node] if place_node.size else np.zeros(0, dtype=np.int64)
    facility_piece = (
        node_piece[facility_node] if facility_node.size else np.zeros(0, dtype=np.int64)
    )
    k = order.size
    table = pd.DataFrame(
        {
            "piece": np.arange(k),
            "n_nodes": np.bincount(node_piece[on_road], minlength=k)[:k],
            "n_edges": edges[order],
            "length_km": np.round(km[order], 3),
            "n_places": np.bincount(place_piece[place_piece >= 0], minlength=k)[:k],
            "n_facilities": np.bincount(facility_piece[facility_piece >= 0], minlength=k)[:k],
        }
    )
    return RoadPieces(
        mode=mode,
        node_piece=node_piece,
        table=table,
        place_piece=pd.Series(place_piece, index=places.index, name="piece"),
        facility_piece=pd.Series(facility_piece, index=facilities.index, name="piece"),
    )


def pieces_layer(graph: RoadGraph, pieces: RoadPieces) -> gpd.GeoDataFrame:
    """One multi-line per piece, with the piece's counts, for a map (in ``graph.crs``).

    Columns are those of ``pieces.table`` plus ``has_facility`` (False marks a piece
    whose places no road links to a facility); the edges are drawn straight between
    their nodes.
    """
    fwd, bwd = (
        graph.permitted(pieces.mode)
        if pieces.mode is not None
        else (np.ones(graph.n_edges, dtype=bool),) * 2
    )
    ok = np.flatnonzero(fwd | bwd)
    piece = pieces.node_piece[graph.edge_u[ok]]
    order = np.argsort(piece, kind="stable")
    ok, piece = ok[order], piece[order]
    u, v = graph.edge_u[ok], graph.edge_v[ok]
    segments = shapely.linestrings(
        np.stack(
            [
                np.column_stack([graph.node_x[u], graph.node_y[u]]),
                np.column_stack([graph.node_x[v], graph.node_y[v]]),
            ],
            axis=1,
        )
    )
    k = pieces.n_pieces
    bounds = np.searchsorted(piece, np.arange(k + 1))
    geoms = [shapely.multilinestrings(segments[bounds[i] : bounds[i + 1]]) for i in range(k)]
    table = pieces.table.copy()
    table["has_facility"] = table["n_facilities"] > 0
    return gpd.GeoDataFrame(table, geometry=geoms, crs=graph.crs)
