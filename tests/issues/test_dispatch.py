"""Dispatch of deputies to an issue: travel times against networkx, pools, skips, fallbacks."""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
from scipy.sparse import csgraph
from shapely.geometry import LineString, Point, box

from gridgov._errors import NotFoundError, ParameterError
from gridgov.crs import CGCS2000
from gridgov.issues.dispatch import Dispatcher
from gridgov.model import Workspace
from gridgov.routing.graph import build_road_graph
from gridgov.settings import Settings
from gridgov.synth import demo_county

GK = "EPSG:4547"
X0, Y0 = 350_000.0, 3_261_000.0
STEP = 1000.0
N = 11  # an 11 x 11 street grid over 10 x 10 km

STATIONS = {  # id: (kind, township, x, y)
    "S1": ("regional", "430623101", 2000, 2000),
    "S2": ("regional", "430623101", 7000, 2000),
    "SI": ("industry", "430623101", 4000, 4000),
    "S3": ("regional", "430623102", 5000, 8000),
}
DEPUTIES = {  # id: (station, specialty, on_duty, x, y); homes off the road vertices
    "A": ("S1", "农业种植", True, 2150, 2300),
    "B": ("S1", "法律", True, 3100, 2950),
    "C": ("S1", "法律", False, 2200, 2100),
    "D": ("S1", "教育", True, 4400, 1300),
    "E": ("S2", "水利", True, 6800, 2300),
    "F": ("S2", "基层治理", True, 7900, 1100),
    "H": ("SI", "芥菜产业", True, 3900, 3800),
    "J": ("S3", "医疗卫生", True, 5200, 8300),
    "K": ("S3", "法律", True, 9600, 9400),
}


def _to_geo(frame: dict[str, list[object]], geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(frame), geometry=geoms, crs=GK).to_crs(CGCS2000)


def _roads() -> gpd.GeoDataFrame:
    """Village streets; the middle row is a county road, one column is capped at 10 km/h."""
    lines, classes, speeds = [], [], []
    for i, j in itertools.product(range(N), range(N - 1)):
        a, b = j * STEP, (j + 1) * STEP
        lines.append(LineString([(X0 + a, Y0 + i * STEP), (X0 + b, Y0 + i * STEP)]))
        classes.append("county" if i == N // 2 else "village")
        speeds.append(np.nan)
        lines.append(LineString([(X0 + i * STEP, Y0 + a), (X0 + i * STEP, Y0 + b)]))
        classes.append("village")
        speeds.append(10.0 if i == 3 else np.nan)
    return _to_geo(
        {
            "road_id": [f"r{k}" for k in range(len(lines))],
            "road_class": classes,
            "speed_kmh": speeds,
        },
        lines,
    )


def _workspace(*, roads: bool = True) -> Workspace:
    county = _to_geo({"code": ["430623"], "name": ["华容县"]}, [box(X0, Y0, X0 + 1e4, Y0 + 1e4)])
    townships = _to_geo(
        {
            "code": ["430623101", "430623102"],
            "name": ["东山镇", "城关街道"],
            "seat_lon": [112.5, 112.5],
            "seat_lat": [29.5, 29.5],
        },
        [box(X0, Y0, X0 + 1e4, Y0 + 5e3), box(X0, Y0 + 5e3, X0 + 1e4, Y0 + 1e4)],
    )
    villages = _to_geo(
        {
            "code": ["430623101001", "430623102001"],
            "name": ["胜峰村", "城关社区"],
            "township_code": ["430623101", "430623102"],
        },
        list(townships.to_crs(GK).geometry),
    )
    stations = _to_geo(
        {
            "station_id": list(STATIONS),
            "name": [f"{s}站" for s in STATIONS],
            "tier": ["station"] * len(STATIONS),
            "kind": [v[0] for v in STATIONS.values()],
            "township_code": [v[1] for v in STATIONS.values()],
        },
        [Point(X0 + v[2], Y0 + v[3]) for v in STATIONS.values()],
    )
    deputies = _to_geo(
        {
            "deputy_id": list(DEPUTIES),
            "name": [f"代表{d}" for d in DEPUTIES],
            "level": ["county"] * len(DEPUTIES),
            "station_id": [v[0] for v in DEPUTIES.values()],
            "specialty": [v[1] for v in DEPUTIES.values()],
            "on_duty": [v[2] for v in DEPUTIES.values()],
        },
        [Point(X0 + v[3], Y0 + v[4]) for v in DEPUTIES.values()],
    )
    return Workspace(
        county=county,
        townships=townships,
        villages=villages,
        stations=stations,
        deputies=deputies,
        roads=_roads() if roads else None,
        meta={"county_code": "430623", "county_name": "华容县", "projected_epsg": "4547"},
    )


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = pyproj.Transformer.from_crs(GK, CGCS2000, always_xy=True).transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return _workspace()


@pytest.fixture(scope="module")
def dispatcher(ws: Workspace) -> Dispatcher:
    return Dispatcher.build(ws)


def test_travel_matches_networkx_inside_the_cutoff_and_is_flagged_beyond(ws: Workspace) -> None:
    # A cutoff short enough that the search ball covers only part of the street grid.
    settings = dataclasses.replace(Settings(), dispatch_cutoff_s=600.0)
    d = Dispatcher.build(ws, settings=settings)
    graph = build_road_graph(ws.roads, crs=GK)
    nxg = graph.to_networkx("ebike", settings)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    nodes = np.column_stack([graph.node_x, graph.node_y])

    def snap(x: float, y: float) -> tuple[int, float]:
        dist = np.hypot(nodes[:, 0] - x, nodes[:, 1] - y)
        return int(np.argmin(dist)), float(dist.min())

    homes = ws.deputies.to_crs(GK).set_index("deputy_id").geometry
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    for _ in range(25):
        x, y = rng.uniform(0, 10_000, 2)
        result = d.dispatch(*_lonlat(x, y), station_id="S1", k=len(DEPUTIES))
        assert len(result.chosen) == len(DEPUTIES) - 1  # all but the one off duty
        assert 0 < result.searched_nodes < graph.n_nodes
        src, src_snap = snap(X0 + x, Y0 + y)
        seconds, paths = nx.single_source_dijkstra(nxg, src, weight="seconds")
        for c in result.chosen:
            node, home_snap = snap(homes[c.deputy_id].x, homes[c.deputy_id].y)
            road = seconds.get(node, np.inf)
            seen[c.estimated] += 1
            if road <= settings.dispatch_cutoff_s:
                assert not c.estimated, c
                assert c.travel_s == pytest.approx(road + (src_snap + home_snap) / walk, abs=1e-6)
                metres = sum(
                    nxg.edges[a, b]["length_m"] for a, b in itertools.pairwise(paths[node])
                )
                assert c.travel_m == pytest.approx(metres + src_snap + home_snap, abs=1e-6)
                assert "by road" in c.reason
            else:
                assert c.estimated, c
                assert c.travel_s >= settings.dispatch_cutoff_s
                assert "beyond 10 min" in c.reason
    assert seen[True] and seen[False]


def test_station_deputies_nearest_first(dispatcher: Dispatcher) -> None:
    result = dispatcher.dispatch(*_lonlat(2200, 2200), station_id="S1")
    assert [c.deputy_id for c in result.chosen] == ["A", "B", "D"]
    assert [c.pool for c in result.chosen] == ["station"] * 3
    times = [c.travel_s for c in result.chosen]
    assert times == sorted(times)
    assert result.skipped == (("C", "off duty 不在岗"),)
    assert result.station_id == "S1"
    assert result.elapsed_ms > 0
    first = result.chosen[0]
    assert (first.name, first.station_id, first.level, first.open_issues) == (
        "代表A",
        "S1",
        "county",
        0,
    )


def test_specialty_match_outranks_a_shorter_ride(dispatcher: Dispatcher) -> None:
    here = _lonlat(2200, 2200)
    plain = dispatcher.dispatch(*here, station_id="S1", k=1)
    assert plain.chosen[0].deputy_id == "A"
    a, b = (
        {c.deputy_id: c for c in dispatcher.dispatch(*here, station_id="S1", k=3).chosen}[i]
        for i in "AB"
    )
    assert 0 < b.travel_s - a.travel_s < Settings().specialty_bonus_s
    legal = dispatcher.dispatch(*here, station_id="S1", k=1, category="dispute")
    assert legal.chosen[0].deputy_id == "B"
    assert legal.chosen[0].specialty_match
    assert "specialty 法律 matches" in legal.chosen[0].reason
    water = dispatcher.dispatch(*here, station_id="S1", k=1, category="water")
    assert water.chosen[0].deputy_id == "A"


def test_off_duty_overloaded_and_excluded_are_skipped_with_reasons(dispatcher: Dispatcher) -> None:
    result = dispatcher.dispatch(
        *_lonlat(2200, 2200),
        station_id="S1",
        k=2,
        open_issues={"A": 5, "D": 4},
        exclude={"B"},
    )
    skipped = dict(result.skipped)
    assert skipped["A"].startswith("overloaded, 5 open")
    assert skipped["B"].startswith("excluded")
    assert skipped["C"].startswith("off duty")
    assert next(c.deputy_id for c in result.chosen) == "D"
    assert result.chosen[0].open_issues == 4
    assert result.chosen[1].pool == "township"


def test_township_pool_then_county_pool_when_the_station_is_short(dispatcher: Dispatcher) -> None:
    result = dispatcher.dispatch(*_lonlat(2200, 2200), station_id="S1", k=6)
    pools = [c.pool for c in result.chosen]
    assert pools == ["station"] * 3 + ["township"] * 2 + ["county"]
    assert {c.deputy_id for c in result.chosen if c.pool == "township"} == {"E", "F"}
    # The industry studio's deputy is not a regional station's: the county pool has him,
    # and he is the county's nearest to this issue.
    assert result.chosen[-1].deputy_id == "H"
    everyone = dispatcher.dispatch(*_lonlat(2200, 2200), station_id="S1", k=50)
    assert len(everyone.chosen) == len(DEPUTIES) - 1


def test_issue_of_another_township_draws_on_its_own_pools(dispatcher: Dispatcher) -> None:
    result = dispatcher.dispatch(*_lonlat(5000, 8000), station_id="S3", k=3)
    assert [c.pool for c in result.chosen] == ["station", "station", "county"]
    assert result.chosen[0].deputy_id == "J"


def test_unknown_station_and_bad_arguments(dispatcher: Dispatcher) -> None:
    here = _lonlat(2200, 2200)
    with pytest.raises(NotFoundError, match="S9"):
        dispatcher.dispatch(*here, station_id="S9")
    with pytest.raises(ParameterError, match="k must be"):
        dispatcher.dispatch(*here, station_id="S1", k=0)
    with pytest.raises(ParameterError, match="nope"):
        dispatcher.dispatch(*here, station_id="S1", category="nope")
    with pytest.raises(ParameterError, match="finite"):
        dispatcher.dispatch(float("nan"), 29.5, station_id="S1")


def test_without_roads_every_time_is_a_straight_line_estimate() -> None:
    ws = _workspace(roads=False)
    settings = Settings()
    d = Dispatcher.build(ws, settings=settings)
    result = d.dispatch(*_lonlat(2200, 2200), station_id="S1", k=3)
    assert result.searched_nodes == 0
    assert [c.deputy_id for c in result.chosen] == ["A", "B", "D"]
    speed = settings.speeds_kmh["ebike"]["village"] / 3.6
    homes = ws.deputies.to_crs(GK).set_index("deputy_id").geometry
    for c in result.chosen:
        assert c.estimated
        straight = Point(X0 + 2200, Y0 + 2200).distance(homes[c.deputy_id])
        assert c.travel_m == pytest.approx(straight * settings.detour_factor, rel=1e-6)
        assert c.travel_s == pytest.approx(c.travel_m / speed, rel=1e-9)
        assert "straight-line estimate" in c.reason


def test_deputy_without_a_home_is_placed_at_the_station(ws: Workspace) -> None:
    deputies = ws.deputies.copy()
    deputies.loc[deputies["deputy_id"] == "D", "geometry"] = None
    d = Dispatcher.build(dataclasses.replace(ws, deputies=deputies))
    far = d.dispatch(*_lonlat(2000, 2000), station_id="S1", k=3)
    at_station = {c.deputy_id: c for c in far.chosen}["D"]
    assert at_station.travel_m == pytest.approx(0.0, abs=1.0)  # the station is a road vertex


def test_bounded_search_equals_full_graph_dijkstra_on_the_demo_county() -> None:
    ws = demo_county(seed=2024)
    settings = Settings()
    d = Dispatcher.build(ws, settings=settings)
    assert d.graph is not None
    matrix = d.graph.matrix(d.edge_s)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    rng = np.random.default_rng(11)
    regional = np.flatnonzero(d.station_regional)
    stations = ws.stations.to_crs(d.crs).geometry
    compared = 0
    for s in rng.choice(regional, 20):
        x = stations.iloc[s].x + rng.uniform(-3000, 3000)
        y = stations.iloc[s].y + rng.uniform(-3000, 3000)
        lon, lat = pyproj.Transformer.from_crs(d.crs, CGCS2000, always_xy=True).transform(x, y)
        result = d.dispatch(lon, lat, station_id=str(d.station_id[s]), category="road")
        assert len(result.chosen) == settings.dispatch_k
        snap, src = d.graph.node_tree.query((x, y))
        full = csgraph.dijkstra(matrix, directed=False, indices=int(src))
        for c in result.chosen:
            j = int(np.flatnonzero(d.deputy_id == c.deputy_id)[0])
            road = full[d.deputy_node[j]]
            if road <= settings.dispatch_cutoff_s:
                assert not c.estimated
                expect = road + (snap + d.deputy_snap_m[j]) / walk
                assert c.travel_s == pytest.approx(expect, abs=1e-6)
                compared += 1
            else:
                assert c.estimated
    assert compared > 20
