"""One-way streets, closed roads and ferries change travel exactly as a networkx oracle says.

The oracle is built from the roads layer itself (one arc per permitted direction of every
segment, keyed by coordinates), not from the RoadGraph, so it checks the graph build too.
"""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from gridgov._errors import ValidationError
from gridgov.routing.costs import cost_table, nearest_facility, snap_to_graph
from gridgov.routing.graph import build_road_graph, road_permissions
from gridgov.routing.pieces import pieces_layer, road_pieces
from gridgov.settings import Settings, load_settings

CRS = "EPSG:4547"
STEP = 400.0


def _random_grid(n: int = 7, seed: int = 5) -> gpd.GeoDataFrame:
    """An n x n street grid with random classes, limits, one-way streets and closures."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
                if rng.random() < 0.5:  # drawn either way round: the direction must follow
                    a, b = b, a
                rows.append(
                    {
                        "road_class": rng.choice(["trunk", "county", "township", "village"]),
                        "speed_kmh": rng.choice([np.nan, 20.0, 40.0]),
                        "oneway": int(rng.choice([0, 0, 1, -1])),
                        "car": bool(rng.random() > 0.15),
                        "ebike": bool(rng.random() > 0.05),
                        "walk": True,
                        "geometry": LineString(
                            [(a[0] * STEP, a[1] * STEP), (b[0] * STEP, b[1] * STEP)]
                        ),
                    }
                )
    frame = pd.DataFrame(rows)
    frame.insert(0, "road_id", [f"r{k}" for k in range(len(frame))])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def _grid_roads(n: int, step: float = 1000.0) -> gpd.GeoDataFrame:
    """An undirected n x n grid of village roads, the middle row a county road."""
    lines, classes = [], []
    for i in range(n):
        for j in range(n - 1):
            lines.append(LineString([(j * step, i * step), ((j + 1) * step, i * step)]))
            classes.append("county" if i == n // 2 else "village")
            lines.append(LineString([(i * step, j * step), (i * step, (j + 1) * step)]))
            classes.append("village")
    ids = [f"r{k}" for k in range(len(lines))]
    return gpd.GeoDataFrame({"road_id": ids, "road_class": classes}, geometry=lines, crs=CRS)


def _reference(roads: gpd.GeoDataFrame, mode: str, settings: Settings) -> nx.DiGraph:
    """Arcs the rules permit, weighted in seconds, nodes keyed by rounded coordinates."""
    g = nx.DiGraph()
    speeds = settings.speeds_kmh[mode]
    for row in roads.itertuples():
        if not getattr(row, mode, True):
            continue
        coords = list(row.geometry.coords)
        ferry = bool(getattr(row, "ferry", False))
        if ferry:
            coords = [coords[0], coords[-1]]
        speed = speeds[row.road_class]
        limit = getattr(row, "speed_kmh", np.nan)
        if mode != "walk" and np.isfinite(limit) and limit > 0:
            speed = min(speed, limit)
        oneway = int(getattr(row, "oneway", 0)) if mode != "walk" else 0
        for (x0, y0), (x1, y1) in itertools.pairwise(coords):
            a, b = (round(x0, 3), round(y0, 3)), (round(x1, 3), round(y1, 3))
            metres = float(np.hypot(x1 - x0, y1 - y0))
            if ferry:
                metres = row.geometry.length
                seconds = metres / (settings.ferry_kmh / 3.6) + settings.ferry_wait_min * 60
            else:
                seconds = metres / (speed / 3.6)
            for tail, head, ok in ((a, b, oneway >= 0), (b, a, oneway <= 0)):
                if ok and not (g.has_edge(tail, head) and g[tail][head]["seconds"] <= seconds):
                    g.add_edge(tail, head, seconds=seconds, length_m=metres)
    return g


def _node_xy(graph, node: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return (round(float(graph.node_x[node]), 3), round(float(graph.node_y[node]), 3))


@pytest.mark.parametrize("mode", ["car", "ebike", "walk"])
def test_cost_table_follows_one_way_and_access_rules_like_a_networkx_digraph(mode: str) -> None:
    settings = Settings()
    roads = _random_grid()
    graph = build_road_graph(roads)
    assert graph.has_restrictions(mode) == (mode != "walk")
    rng = np.random.default_rng(1)
    ox, oy = rng.uniform(0, 6 * STEP, 25), rng.uniform(0, 6 * STEP, 25)
    dx, dy = np.array([100.0, 2000.0, 1300.0]), np.array([50.0, 2300.0, 900.0])
    origins = snap_to_graph(graph, ox, oy, mode=mode)
    dests = snap_to_graph(graph, dx, dy, mode=mode)
    table = cost_table(
        graph,
        origins,
        dests,
        origin_ids=np.arange(25),
        destination_ids=np.array(["S0", "S1", "S2"]),
        mode=mode,
        settings=settings,
    )
    got = {(r.origin_id, r.destination_id): r.cost for r in table.itertuples()}

    ref = _reference(roads, mode, settings)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    expected = {}
    for j, dn in enumerate(dests.node):
        # Travel from every village *to* the station: a search over the reversed arcs.
        to_station = nx.single_source_dijkstra_path_length(
            ref.reverse(copy=False), _node_xy(graph, int(dn)), weight="seconds"
        )
        for i, on in enumerate(origins.node):
            seconds = to_station.get(_node_xy(graph, int(on)))
            if seconds is not None:
                expected[(i, f"S{j}")] = seconds + (origins.snap_m[i] + dests.snap_m[j]) / walk
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9)

    near = nearest_facility(graph, origins, dests, mode=mode, settings=settings)
    for i in range(25):
        options = [expected[(i, s)] for s in ("S0", "S1", "S2") if (i, s) in expected]
        if not options:
            assert near.facility[i] == -1
            continue
        assert near.travel_s[i] == pytest.approx(min(options), rel=1e-9)
        assert expected[(i, f"S{near.facility[i]}")] == pytest.approx(min(options), rel=1e-9)


def test_travel_metres_follow_the_directed_path() -> None:
    settings = Settings()
    roads = _random_grid(seed=9)
    graph = build_road_graph(roads)
    rng = np.random.default_rng(4)
    origins = snap_to_graph(graph, rng.uniform(0, 2400, 30), rng.uniform(0, 2400, 30), mode="car")
    dests = snap_to_graph(graph, [300.0, 2100.0], [2200.0, 200.0], mode="car")
    near = nearest_facility(graph, origins, dests, mode="car", settings=settings)
    ref = _reference(roads, "car", settings)
    for i, on in enumerate(origins.node):
        if near.facility[i] < 0:
            continue
        target = _node_xy(graph, int(dests.node[near.facility[i]]))
        path = nx.dijkstra_path(ref, _node_xy(graph, int(on)), target, weight="seconds")
        metres = sum(ref[a][b]["length_m"] for a, b in itertools.pairwise(path))
        metres += origins.snap_m[i] + dests.snap_m[near.facility[i]]
        assert near.travel_m[i] == pytest.approx(metres, rel=1e-9)


def test_a_one_way_street_is_travelled_only_its_way_by_car_but_both_ways_on_foot() -> None:
    # village at x=0, station at x=1000; the only street runs one way, village -> station
    street = LineString([(0.0, 0.0), (500.0, 0.0), (1000.0, 0.0)])
    for oneway, car_reaches in ((1, True), (-1, False), (0, True)):
        roads = gpd.GeoDataFrame(
            {"road_id": ["a"], "road_class": ["village"], "oneway": [oneway]},
            geometry=[street],
            crs=CRS,
        )
        graph = build_road_graph(roads)
        village = snap_to_graph(graph, [0.0], [0.0])
        station = snap_to_graph(graph, [1000.0], [0.0])
        for mode, reaches in (("car", car_reaches), ("ebike", car_reaches), ("walk", True)):
            near = nearest_facility(graph, village, station, mode=mode)
            assert (near.facility[0] == 0) == reaches, (oneway, mode)
            if reaches:
                speed = Settings().speeds_kmh[mode]["village"] / 3.6
                assert near.travel_s[0] == pytest.approx(1000.0 / speed)


def test_cars_snap_past_a_footway_to_the_road() -> None:
    roads = gpd.GeoDataFrame(
        {"road_id": ["road", "foot"], "road_class": ["village", "village"], "car": [True, False]},
        geometry=[
            LineString([(0.0, 0.0), (1000.0, 0.0)]),
            LineString([(0.0, 300.0), (1000.0, 300.0)]),
        ],
        crs=CRS,
    )
    graph = build_road_graph(roads)
    by_car = snap_to_graph(graph, [10.0], [290.0], mode="car")
    on_foot = snap_to_graph(graph, [10.0], [290.0], mode="walk")
    assert graph.node_y[by_car.node[0]] == 0.0
    assert graph.node_y[on_foot.node[0]] == 300.0
    assert by_car.snap_m[0] == pytest.approx(np.hypot(10.0, 290.0))


def _river(wait_min: float, ferry_km: float = 0.6) -> tuple[float, float]:
    """Village and station on opposite banks: 6 km round by the bridge or a ferry."""
    roads = gpd.GeoDataFrame(
        {
            "road_id": ["west", "bridge", "east", "ferry"],
            "road_class": ["village"] * 4,
            "ferry": [False, False, False, True],
        },
        geometry=[
            LineString([(0.0, 0.0), (0.0, 3000.0)]),
            LineString([(0.0, 3000.0), (600.0, 3000.0)]),
            LineString([(600.0, 3000.0), (600.0, 0.0)]),
            # a bent crossing: its length counts, its bend makes no node mid-river
            LineString([(0.0, 0.0), (300.0, ferry_km * 500.0 - 300.0), (600.0, 0.0)]),
        ],
        crs=CRS,
    )
    settings = dataclasses.replace(Settings(), ferry_wait_min=wait_min)
    graph = build_road_graph(roads)
    assert graph.n_nodes == 4 and int(graph.edge_ferry.sum()) == 1
    near = nearest_facility(
        graph,
        snap_to_graph(graph, [0.0], [0.0]),
        snap_to_graph(graph, [600.0], [0.0]),
        mode="ebike",
        settings=settings,
    )
    return float(near.travel_s[0]), float(roads.geometry.iloc[3].length)


def test_a_ferry_is_taken_when_faster_and_not_when_the_wait_makes_it_slower() -> None:
    settings = Settings()
    road_s = 6600.0 / (settings.speeds_kmh["ebike"]["village"] / 3.6)
    quick, ferry_m = _river(wait_min=5.0)
    assert quick == pytest.approx(ferry_m / (settings.ferry_kmh / 3.6) + 5 * 60)
    assert quick < road_s
    slow, _ = _river(wait_min=60.0)
    assert slow == pytest.approx(road_s)


def test_ferry_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="ferry_kmh"):
        load_settings(ferry_kmh=0.0)
    with pytest.raises(ValidationError, match="ferry_wait_min"):
        load_settings(ferry_wait_min=-1.0)
    with pytest.raises(ValidationError, match="ferry_kmh"):
        Settings(ferry_kmh=float("nan"))
    assert load_settings(ferry_wait_min=0.0).ferry_wait_min == 0.0


def test_permissive_columns_give_exactly_the_undirected_results() -> None:
    """A layer with oneway 0 and every mode allowed is the plain undirected graph."""
    plain = _grid_roads(6)
    marked = plain.assign(oneway=0, car=True, ebike="yes", walk=1, ferry=False)
    a, b = build_road_graph(plain), build_road_graph(marked)
    assert not b.has_restrictions("car") and b.is_simple
    assert not b.search_matrix(b.edge_seconds("car"), "car").directed
    rng = np.random.default_rng(2)
    ox, oy = rng.uniform(0, 5000, 40), rng.uniform(0, 5000, 40)
    for mode in ("walk", "ebike", "car"):
        tables = [
            cost_table(
                g,
                snap_to_graph(g, ox, oy, mode=mode),
                snap_to_graph(g, [500.0, 4200.0], [300.0, 4800.0], mode=mode),
                origin_ids=np.arange(40),
                destination_ids=np.array(["S1", "S2"]),
                mode=mode,
            )
            for g in (a, b)
        ]
        pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def test_permission_values_are_read_and_bad_ones_reported() -> None:
    roads = pd.DataFrame(
        {
            "oneway": ["F", "T", "B", "yes", "-1", None, 1, "sideways"],
            "car": ["是", "否", None, True, "no", 1, 0, "maybe"],
        }
    )
    access, ferry, problems = road_permissions(roads)
    car_ahead = (access >> 4) & 1
    car_back = (access >> 5) & 1
    assert car_ahead.tolist() == [1, 0, 1, 1, 0, 1, 0, 1]
    assert car_back.tolist() == [0, 0, 1, 0, 0, 1, 0, 1]
    walk_both = access & 3
    assert walk_both.tolist() == [3] * 8  # walking ignores oneway
    assert not ferry.any()
    assert [(p.row, p.field) for p in problems] == [(7, "oneway"), (7, "car")]
    roads["geometry"] = [LineString([(0, k), (1, k)]) for k in range(8)]
    with pytest.raises(ValidationError, match="sideways"):
        build_road_graph(gpd.GeoDataFrame(roads, crs=CRS))


def test_directed_networkx_view_matches_the_search() -> None:
    roads = _random_grid(5, seed=3)
    graph = build_road_graph(roads)
    g = graph.to_networkx("car")
    assert isinstance(g, nx.DiGraph)
    assert isinstance(graph.to_networkx("walk"), nx.Graph)
    assert not isinstance(graph.to_networkx("walk"), nx.DiGraph)
    ref = _reference(roads, "car", Settings())
    assert g.number_of_edges() == ref.number_of_edges()


def test_pieces_count_cut_off_villages_and_idle_stations() -> None:
    main = _grid_roads(4)
    island = main.assign(
        road_id=main["road_id"] + "i", geometry=main.geometry.translate(10_000.0, 0.0)
    )
    # a footpath joins a third, small piece to the main grid: one piece on foot, two by car
    spur = gpd.GeoDataFrame(
        {
            "road_id": ["path", "lane"],
            "road_class": ["village", "village"],
            "car": [False, True],
        },
        geometry=[
            LineString([(3000.0, 0.0), (3500.0, 0.0)]),
            LineString([(3500.0, 0.0), (4000.0, 0.0)]),
        ],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(pd.concat([main, island, spur], ignore_index=True), crs=CRS)
    graph = build_road_graph(roads)
    villages = gpd.GeoDataFrame(
        {"code": ["a", "b", "c", "d"]},
        geometry=[Point(100, 100), Point(2900, 2900), Point(10_500, 500), Point(3990, 10)],
        crs=CRS,
    ).set_index("code")
    stations = gpd.GeoDataFrame(
        {"station_id": ["S1", "S2"]}, geometry=[Point(0, 0), Point(13_000, 3000)], crs=CRS
    )
    stations.loc[1, "geometry"] = Point(13_000.0 + 5_000.0, 3000.0)  # on no road: snaps east
    on_foot = road_pieces(graph, villages, stations)
    assert on_foot.n_pieces == 2
    assert on_foot.table["n_places"].tolist() == [3, 1]
    assert on_foot.summary()["places_without_facility"] == 0
    by_car = road_pieces(graph, villages, stations, mode="car")
    assert by_car.n_pieces == 3
    assert by_car.place_piece.to_dict() == {"a": 0, "b": 0, "c": 1, "d": 2}
    assert by_car.places_without_facility.to_dict() == {
        "a": False,
        "b": False,
        "c": False,
        "d": True,
    }
    summary = by_car.summary()
    assert summary["pieces_without_facility"] == 1
    assert summary["facilities_without_places"] == 0
    layer = pieces_layer(graph, by_car)
    assert len(layer) == 3 and layer.crs == graph.crs
    assert layer["has_facility"].tolist() == [True, True, False]
    assert layer.length.round(3).tolist() == pytest.approx(
        (by_car.table["length_km"] * 1000).tolist()
    )


def test_two_roads_between_the_same_nodes_each_count_for_what_they_permit() -> None:
    # A short one-way street and a longer two-way lane join the same two junctions.
    roads = gpd.GeoDataFrame(
        {
            "road_id": ["street", "lane", "footway"],
            "road_class": ["village"] * 3,
            "oneway": [1, 0, 0],
            "car": [True, True, False],
        },
        geometry=[
            LineString([(0.0, 0.0), (1000.0, 0.0)]),
            LineString([(0.0, 0.0), (500.0, 400.0), (1000.0, 0.0)]),
            LineString([(1000.0, 0.0), (0.0, 0.0)]),  # the footway drawn the other way
        ],
        crs=CRS,
    )
    graph = build_road_graph(roads)
    assert not graph.is_simple
    a = snap_to_graph(graph, [0.0], [0.0], mode="car")
    b = snap_to_graph(graph, [1000.0], [0.0], mode="car")
    speed = Settings().speeds_kmh["car"]["village"] / 3.6
    there = nearest_facility(graph, a, b, mode="car")
    back = nearest_facility(graph, b, a, mode="car")
    assert there.travel_s[0] == pytest.approx(1000.0 / speed)
    assert back.travel_s[0] == pytest.approx(2 * np.hypot(500.0, 400.0) / speed)
    assert back.travel_m[0] == pytest.approx(2 * np.hypot(500.0, 400.0))
    walk = nearest_facility(graph, b, a, mode="walk")
    assert walk.travel_m[0] == pytest.approx(1000.0)


def test_a_search_can_run_out_of_its_start_nodes_too() -> None:
    from scipy.sparse import csgraph

    roads = gpd.GeoDataFrame(
        {"road_id": ["a"], "road_class": ["village"], "oneway": [1]},
        geometry=[LineString([(0.0, 0.0), (1000.0, 0.0)])],
        crs=CRS,
    )
    graph = build_road_graph(roads)
    start = int(snap_to_graph(graph, [0.0], [0.0]).node[0])
    end = 1 - start
    seconds = graph.edge_seconds("car")
    out = graph.search_matrix(seconds, "car", travel="from")
    into = graph.search_matrix(seconds, "car", travel="to")
    assert out.directed and into.directed
    leaving = csgraph.dijkstra(out.matrix, directed=True, indices=start)
    arriving = csgraph.dijkstra(into.matrix, directed=True, indices=start)
    assert np.isfinite(leaving[end]) and np.isinf(arriving[end])
    with pytest.raises(ValueError, match="travel"):
        graph.search_matrix(seconds, "car", travel="both")  # type: ignore[arg-type]
