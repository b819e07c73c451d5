"""Road graph and cost tables agree with networkx on small hand-made networks."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from gridgov._errors import ValidationError
from gridgov.routing.costs import cost_table, nearest_facility, snap_to_graph
from gridgov.routing.graph import build_road_graph
from gridgov.settings import Settings

CRS = "EPSG:4547"


def _grid_roads(n: int = 6, step: float = 1000.0) -> gpd.GeoDataFrame:
    """An n x n street grid; the middle row is a county road, others village roads."""
    lines, classes = [], []
    for i in range(n):
        for j in range(n - 1):
            lines.append(LineString([(j * step, i * step), ((j + 1) * step, i * step)]))
            classes.append("county" if i == n // 2 else "village")
            lines.append(LineString([(i * step, j * step), (i * step, (j + 1) * step)]))
            classes.append("village")
    roads = gpd.GeoDataFrame(
        {"road_id": [f"r{k}" for k in range(len(lines))], "road_class": classes},
        geometry=lines,
        crs=CRS,
    )
    return roads


def test_graph_merges_shared_vertices_and_keeps_one_edge_per_pair() -> None:
    roads = _grid_roads(4)
    dup = roads.iloc[[0]].assign(road_id="dup")
    graph = build_road_graph(gpd.GeoDataFrame(pd.concat([roads, dup], ignore_index=True), crs=CRS))
    assert graph.n_nodes == 16
    assert graph.n_edges == 24
    assert np.unique(graph.components()).size == 1


def test_unknown_road_class_is_reported() -> None:
    roads = _grid_roads(3)
    roads.loc[2, "road_class"] = "highway-ish"
    with pytest.raises(ValidationError, match="highway-ish"):
        build_road_graph(roads)


def _nx_reference(graph, mode: str, settings: Settings) -> nx.Graph:  # type: ignore[no-untyped-def]
    return graph.to_networkx(mode, settings)


def test_nearest_facility_matches_networkx_multi_source_dijkstra() -> None:
    settings = Settings()
    graph = build_road_graph(_grid_roads(6))
    rng = np.random.default_rng(3)
    ox, oy = rng.uniform(0, 5000, 40), rng.uniform(0, 5000, 40)
    fx, fy = np.array([500.0, 4200.0, 2500.0]), np.array([300.0, 4800.0, 2600.0])
    origins = snap_to_graph(graph, ox, oy)
    facilities = snap_to_graph(graph, fx, fy)
    got = nearest_facility(graph, origins, facilities, weight="time", mode="ebike")

    g = _nx_reference(graph, "ebike", settings)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    for j, (node, snap) in enumerate(zip(facilities.node, facilities.snap_m, strict=True)):
        g.add_edge(("fac", j), int(node), seconds=snap / walk)
    dist, paths = nx.multi_source_dijkstra(g, [("fac", j) for j in range(3)], weight="seconds")
    for i, node in enumerate(origins.node):
        expect = dist[int(node)] + origins.snap_m[i] / walk
        assert got.travel_s[i] == pytest.approx(expect, rel=1e-9)
        assert got.facility[i] == paths[int(node)][0][1]
        # metres along that same path, snap walks included
        path = paths[int(node)][1:]
        metres = sum(g.edges[a, b]["length_m"] for a, b in itertools.pairwise(path))
        metres += facilities.snap_m[got.facility[i]] + origins.snap_m[i]
        assert got.travel_m[i] == pytest.approx(metres, rel=1e-9)


def test_limit_leaves_far_origins_unreached() -> None:
    graph = build_road_graph(_grid_roads(6))
    origins = snap_to_graph(graph, [0.0, 5000.0], [0.0, 5000.0])
    facilities = snap_to_graph(graph, [0.0], [0.0])
    got = nearest_facility(graph, origins, facilities, weight="distance", limit=3000.0)
    assert got.facility.tolist() == [0, -1]
    assert np.isnan(got.travel_m[1])


def test_cost_table_matches_networkx_within_cutoff() -> None:
    settings = Settings()
    graph = build_road_graph(_grid_roads(5))
    origins = snap_to_graph(graph, [0.0, 1000.0, 4000.0], [0.0, 2000.0, 4000.0])
    dests = snap_to_graph(graph, [0.0, 3000.0], [1000.0, 3000.0])
    table = cost_table(
        graph,
        origins,
        dests,
        origin_ids=["a", "b", "c"],
        destination_ids=["S1", "S2"],
        weight="distance",
        cutoff=4500.0,
    )
    g = _nx_reference(graph, "walk", settings)
    expected = {}
    for d, dn in zip(["S1", "S2"], dests.node, strict=True):
        lengths = nx.single_source_dijkstra_path_length(g, int(dn), weight="length_m")
        for o, on in zip(["a", "b", "c"], origins.node, strict=True):
            if lengths.get(int(on), np.inf) <= 4500.0:
                expected[(o, d)] = lengths[int(on)]
    got = {(r.origin_id, r.destination_id): r.cost for r in table.itertuples()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)


def _winding_roads(seed: int = 7) -> gpd.GeoDataFrame:
    """Long winding roads of mixed class (deep shortest-path trees), plus an island."""
    rng = np.random.default_rng(seed)
    lines, classes = [], []
    for r in range(6):
        steps = rng.uniform(5.0, 60.0, size=(400, 2)) * np.array([1.0, 0.3])
        xy = np.cumsum(steps, axis=0) + np.array([0.0, r * 900.0])
        lines.append(LineString(xy))
        classes.append(["village", "township", "county"][r % 3])
    for i in range(0, 400, 37):  # cross links between neighbouring roads
        for r in range(5):
            lines.append(LineString([lines[r].coords[i], lines[r + 1].coords[i]]))
            classes.append("village")
    lines.append(LineString([(-5000.0, -5000.0), (-4000.0, -5000.0), (-4000.0, -4200.0)]))
    classes.append("village")
    return gpd.GeoDataFrame({"road_class": classes}, geometry=lines, crs=CRS)


@pytest.mark.parametrize("weight", ["time", "distance"])
@pytest.mark.parametrize("limit", [np.inf, 2500.0])
def test_second_metric_along_deep_trees_matches_networkx(weight: str, limit: float) -> None:
    settings = Settings()
    graph = build_road_graph(_winding_roads())
    rng = np.random.default_rng(11)
    ox = np.append(rng.uniform(0, 12000, 300), -4500.0)  # the last one is on the island
    oy = np.append(rng.uniform(0, 5000, 300), -5000.0)
    # Two facilities on one node, and one far along a road.
    fx, fy = np.array([100.0, 100.0, 9000.0]), np.array([50.0, 60.0, 3000.0])
    origins = snap_to_graph(graph, ox, oy)
    facilities = snap_to_graph(graph, fx, fy)
    got = nearest_facility(graph, origins, facilities, weight=weight, limit=limit)  # type: ignore[arg-type]

    g = _nx_reference(graph, "ebike", settings)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    key = "seconds" if weight == "time" else "length_m"
    for j, (node, snap) in enumerate(zip(facilities.node, facilities.snap_m, strict=True)):
        g.add_edge(("fac", j), int(node), seconds=snap / walk, length_m=snap)
    dist, paths = nx.multi_source_dijkstra(g, [("fac", j) for j in range(3)], weight=key)
    assert got.facility[-1] == -1 and np.isnan(got.travel_m[-1])
    deep = 0
    for i, node in enumerate(origins.node):
        snap = origins.snap_m[i] if weight == "distance" else origins.snap_m[i] / walk
        cost = dist.get(int(node), np.inf) + snap
        if not (np.isfinite(cost) and cost <= limit):
            assert got.facility[i] == -1
            continue
        path = paths[int(node)]
        deep = max(deep, len(path))
        assert got.facility[i] == path[0][1]
        edges = list(itertools.pairwise(path[1:]))
        metres = sum(g.edges[a, b]["length_m"] for a, b in edges)
        seconds = sum(g.edges[a, b]["seconds"] for a, b in edges)
        fac_snap = facilities.snap_m[got.facility[i]]
        metres += fac_snap + origins.snap_m[i]
        seconds += (fac_snap + origins.snap_m[i]) / walk
        assert got.travel_m[i] == pytest.approx(metres, rel=1e-9)
        assert got.travel_s[i] == pytest.approx(seconds, rel=1e-9)
    assert deep > 32  # paths long enough for several pointer-jumping passes
