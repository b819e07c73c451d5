"""The escalation ladder: who a grid's issue goes to, checked by hand and with networkx."""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from gridgov._errors import NotFoundError, ParameterError, ValidationError
from gridgov.crs import CGCS2000
from gridgov.issues.escalation import (
    LEVELS,
    chain,
    escalation_edges,
    escalation_graph,
    escalation_problems,
    next_unit,
    unit_for_grid,
    validate_escalation,
    write_escalation,
)
from gridgov.model import Workspace
from gridgov.routing.costs import snap_to_graph
from gridgov.routing.graph import build_road_graph
from gridgov.settings import Settings
from gridgov.synth import demo_county

GK = "EPSG:4547"
X0, Y0 = 350_000.0, 3_261_000.0  # south-west corner of the hand-made county, in GK metres

# Roads (local metres). G1's centre (1250, 1250) is a vertex. Station SA is the nearest in a
# straight line (2750 m) but 9850 m away by road (east, north, back west); SB is 3250 m
# straight east. An isolated stub under G5 reaches no station.
ROADS = {
    "R1": [(0, 1250), (1250, 1250), (4500, 1250), (4800, 1250)],
    "R2": [(4800, 1250), (4800, 4000)],
    "R3": [(4800, 4000), (1250, 4000)],
    "R4": [(6250, 1250), (6250, 2000)],
}
STATIONS = {  # id: (name, kind, township, x, y)
    "SA": ("东山镇人大代表联络站", "regional", "430623101", 1250, 4000),
    "SB": ("胜峰村代表联络点", "regional", "430623101", 4500, 1250),
    "SC": ("城关街道代表联络站", "regional", "430623102", 8000, 8000),
    "SI": ("芥菜产业代表工作室", "industry", "430623101", 3000, 3000),
}
GRIDS = {  # code: (village, x0, y0, x1, y1)
    "G1": ("430623101001", 0, 0, 2500, 2500),
    "G2": ("430623101001", 2500, 0, 5000, 2500),
    "G3": ("430623102001", 5000, 7500, 7500, 10_000),
    "G4": ("430623102001", 7500, 7500, 10_000, 10_000),
    "G5": ("430623102001", 5000, 0, 7500, 2500),
}
DEPUTIES = [  # id, station, grid_codes
    ("D1", "SC", "G3"),
    ("D2", "SC", "G4"),
    ("D3", "SC", "G4"),
    ("D4", "SB", "G4"),  # outvoted by SC for G4
    ("D5", "SA", "G2"),
    ("D6", "SB", "G2"),  # a tie for G2: SB is nearer
    ("D7", "SI", "G1"),  # an industry station: does not count, G1 goes by road
]


def _geo(frame: dict[str, list[object]], geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(frame), geometry=geoms, crs=GK).to_crs(CGCS2000)


def _p(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def _box(x0: float, y0: float, x1: float, y1: float) -> object:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _workspace(with_roads: bool = True) -> Workspace:
    county = _geo({"code": ["430623"], "name": ["华容县"]}, [_box(0, 0, 10_000, 10_000)])
    seats = gpd.GeoSeries([_p(1000, 5000), _p(9000, 5000)], crs=GK).to_crs(CGCS2000)
    townships = _geo(
        {
            "code": ["430623101", "430623102"],
            "name": ["东山镇", "城关街道"],
            "seat_lon": seats.x.tolist(),
            "seat_lat": seats.y.tolist(),
        },
        [_box(0, 0, 5000, 10_000), _box(5000, 0, 10_000, 10_000)],
    )
    villages = _geo(
        {
            "code": ["430623101001", "430623102001"],
            "name": ["胜峰村", "城关社区"],
            "township_code": ["430623101", "430623102"],
        },
        [_box(0, 0, 5000, 10_000), _box(5000, 0, 10_000, 10_000)],
    )
    stations = _geo(
        {
            "station_id": list(STATIONS),
            "name": [v[0] for v in STATIONS.values()],
            "tier": ["station", "point", "station", "studio"],
            "kind": [v[1] for v in STATIONS.values()],
            "township_code": [v[2] for v in STATIONS.values()],
        },
        [_p(v[3], v[4]) for v in STATIONS.values()],
    )
    grids = _geo(
        {
            "code": list(GRIDS),
            "name": [f"第{i}网格" for i in range(1, len(GRIDS) + 1)],
            "village_code": [v[0] for v in GRIDS.values()],
        },
        [_box(*v[1:]) for v in GRIDS.values()],
    )
    deputies = _geo(
        {
            "deputy_id": [d[0] for d in DEPUTIES],
            "name": [f"代表{d[0]}" for d in DEPUTIES],
            "level": ["township"] * len(DEPUTIES),
            "station_id": [d[1] for d in DEPUTIES],
            "grid_codes": [d[2] for d in DEPUTIES],
        },
        [_p(500 + 100 * i, 500) for i in range(len(DEPUTIES))],
    )
    roads = _geo(
        {"road_id": list(ROADS), "road_class": ["village"] * len(ROADS)},
        [LineString([(X0 + x, Y0 + y) for x, y in pts]) for pts in ROADS.values()],
    )
    return Workspace(
        county=county,
        townships=townships,
        villages=villages,
        stations=stations,
        grids=grids,
        deputies=deputies,
        roads=roads if with_roads else None,
        meta={"county_code": "430623", "county_name": "华容县", "projected_epsg": "4547"},
    )


@pytest.fixture(scope="module")
def small() -> nx.DiGraph:
    return escalation_graph(_workspace())


def test_demo_county_ladder_is_valid_and_every_grid_reaches_the_county() -> None:
    ws = demo_county(seed=2024)
    g = escalation_graph(ws)
    assert escalation_problems(g, Settings()) == []
    validate_escalation(g, Settings())
    county = f"county:{ws.meta['county_code']}"
    assert g.graph["county_code"] == ws.meta["county_code"]
    grids = [n for n, lv in g.nodes(data="level") if lv == "grid"]
    assert len(grids) == len(ws.grids)
    for node in grids:
        ladder = chain(g, node)
        assert [g.nodes[n]["level"] for n in ladder] == list(LEVELS)
        assert county in ladder
    assert len([n for n, lv in g.nodes(data="level") if lv == "station"]) == len(ws.stations)


def test_assignment_by_deputies_majority_and_tie_goes_to_the_nearest(small: nx.DiGraph) -> None:
    assert unit_for_grid(small, "G3") == "station:SC"
    assert unit_for_grid(small, "G4") == "station:SC"  # 2 SC deputies against 1 SB
    assert unit_for_grid(small, "G2") == "station:SB"  # tied 1-1; SB is 750 m away, SA 3.7 km
    for grid in ("G2", "G3", "G4"):
        assert small.edges[f"grid:{grid}", unit_for_grid(small, grid)]["how"] == "assignment"


def test_unassigned_grid_goes_to_nearest_station_by_road_not_straight_line(
    small: nx.DiGraph,
) -> None:
    ws = _workspace()
    settings = Settings()
    edge = small.edges["grid:G1", "station:SB"]
    assert edge["how"] == "road"

    # Independent check: networkx Dijkstra on the same graph, snap walks included.
    graph = build_road_graph(ws.roads, crs=GK)
    nxg = graph.to_networkx("ebike", settings)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    rep = ws.grids.to_crs(GK).set_index("code").geometry.representative_point()
    origin = snap_to_graph(graph, [rep["G1"].x], [rep["G1"].y])
    st = ws.stations.to_crs(GK).set_index("station_id").geometry
    times = {}
    for sid in ("SA", "SB"):
        snap = snap_to_graph(graph, [st[sid].x], [st[sid].y])
        road = nx.dijkstra_path_length(
            nxg, int(origin.node[0]), int(snap.node[0]), weight="seconds"
        )
        times[sid] = road + (origin.snap_m[0] + snap.snap_m[0]) / walk
    # SA is nearer as the crow flies, SB by road.
    assert rep["G1"].distance(st["SA"]) < rep["G1"].distance(st["SB"])
    assert times["SB"] < times["SA"]
    # costs.py floors a zero facility snap at 1e-6 s
    assert edge["travel_s"] == pytest.approx(times["SB"], abs=1e-5)
    assert edge["travel_m"] == pytest.approx(3250.0, abs=1.0)


def test_grid_cut_off_from_every_station_falls_back_to_straight_line(small: nx.DiGraph) -> None:
    edge = small.edges["grid:G5", unit_for_grid(small, "G5")]
    assert unit_for_grid(small, "G5") == "station:SB"
    assert edge["how"] == "straight_line"
    assert edge["distance_m"] == pytest.approx(1750.0, abs=1.0)


def test_without_roads_unassigned_grids_go_by_straight_line() -> None:
    g = escalation_graph(_workspace(with_roads=False))
    assert unit_for_grid(g, "G1") == "station:SA"  # the crow's choice, now that there are no roads
    assert g.edges["grid:G1", "station:SA"]["how"] == "straight_line"
    assert escalation_problems(g) == []


def test_nodes_carry_chinese_names_handlers_and_coordinates(small: nx.DiGraph) -> None:
    nodes = small.nodes
    assert nodes["township:430623101"]["name"] == "东山镇人大主席团"
    assert nodes["township:430623102"]["name"] == "城关街道人大工委"
    assert nodes["county:430623"]["name"] == "华容县人大常委会代表工委"
    assert nodes["external:12345"]["handler"] == "external"
    assert nodes["station:SA"]["handler"] == "deputy"
    assert nodes["grid:G1"]["handler"] == "grid_worker"
    assert nodes["station:SI"]["kind"] == "industry"
    assert next_unit(small, "station:SI") == "township:430623101"  # industry stations too
    lon, lat = nodes["grid:G1"]["x"], nodes["grid:G1"]["y"]
    assert 112 < lon < 113 and 29 < lat < 30
    assert escalation_problems(small) == []


def test_chain_next_unit_and_unknown_nodes(small: nx.DiGraph) -> None:
    assert chain(small, "grid:G3") == [
        "grid:G3",
        "station:SC",
        "township:430623102",
        "county:430623",
        "external:12345",
    ]
    assert next_unit(small, "external:12345") is None
    with pytest.raises(NotFoundError, match="G9"):
        unit_for_grid(small, "G9")
    with pytest.raises(NotFoundError, match="station:NOPE"):
        chain(small, "station:NOPE")


def test_no_external_platform_means_the_county_is_the_top() -> None:
    settings = dataclasses.replace(Settings(), external_platform="")
    g = escalation_graph(_workspace(), settings=settings)
    assert not [n for n, lv in g.nodes(data="level") if lv == "external"]
    assert chain(g, "grid:G1")[-1] == "county:430623"
    assert escalation_problems(g, settings) == []


def test_cycle_is_reported_naming_its_nodes(small: nx.DiGraph) -> None:
    g = small.copy()
    g.remove_edge("township:430623102", "county:430623")
    g.add_edge("township:430623102", "station:SC", how="admin")
    problems = escalation_problems(g)
    cycles = [p for p in problems if "cycle" in p.message]
    assert len(cycles) == 1
    assert cycles[0].row in {"station:SC", "township:430623102"}
    assert "station:SC" in cycles[0].message and "township:430623102" in cycles[0].message
    # The grids above the loop no longer reach the county, and say so.
    cut = {p.row for p in problems if "does not reach the county" in p.message}
    assert cut == {"grid:G3", "grid:G4"}
    with pytest.raises(ValidationError) as err:
        validate_escalation(g)
    assert len(err.value.problems) == len(problems)
    with pytest.raises(ValidationError, match="cycle"):
        chain(g, "grid:G3")


def test_missing_handler_is_refused_by_the_settings_naming_the_level() -> None:
    """A ladder with no handler at a level cannot even be configured: the settings refuse
    it when they are made, naming the level, before any graph is built."""
    handlers = {k: v for k, v in Settings().handlers.items() if k != "township"}
    with pytest.raises(ValidationError, match=r"handlers\.township") as err:
        dataclasses.replace(Settings(), handlers=handlers)
    assert [p.field for p in err.value.problems] == ["handlers.township"]


def test_missing_township_is_reported_naming_the_station(small: nx.DiGraph) -> None:
    g = small.copy()
    g.remove_node("township:430623102")
    problems = escalation_problems(g)
    rows = {p.row: p for p in problems}
    assert "station:SC" in rows
    assert "township:430623102" in rows["station:SC"].message
    assert rows["station:SC"].field == "township_code"
    assert {"grid:G3", "grid:G4"} <= set(rows)  # cut off above their station
    with pytest.raises(ValidationError, match="station:SC"):
        validate_escalation(g)


def test_two_successors_are_reported(small: nx.DiGraph) -> None:
    g = small.copy()
    g.add_edge("grid:G1", "station:SA", how="road")
    problems = escalation_problems(g)
    assert [p.row for p in problems] == ["grid:G1"]
    assert "2 successors" in problems[0].message
    with pytest.raises(ValidationError):
        next_unit(g, "grid:G1")


def test_edges_export_in_every_format(small: nx.DiGraph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    edges = escalation_edges(small)
    assert len(edges) == small.number_of_edges()
    assert edges.crs == CGCS2000
    assert {"from", "to", "level", "how", "from_name", "to_name"} <= set(edges.columns)
    assert edges["level"].iloc[0] == "grid"  # lowest level first
    row = edges.set_index("from").loc["grid:G1"]
    assert (row["to"], row["how"], row["to_name"]) == ("station:SB", "road", "胜峰村代表联络点")
    assert np.isfinite(row["travel_s"])
    assert edges.geometry.geom_type.eq("LineString").all()

    back = nx.read_graphml(write_escalation(small, tmp_path / "ladder.graphml"))
    assert set(back.nodes) == set(small.nodes)
    assert back.nodes["grid:G1"]["name"] == "第1网格"
    assert back.graph["county_code"] == "430623"
    for suffix in ("geojson", "gpkg"):
        lines = gpd.read_file(write_escalation(small, tmp_path / f"ladder.{suffix}"))
        assert len(lines) == small.number_of_edges()
    csv = write_escalation(small, tmp_path / "ladder.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert {"下级单位", "上级单位", "确定方式", "层级"} <= set(table.columns)
    assert "道路最近站点" in set(table["确定方式"])
    with pytest.raises(ParameterError, match=r"ladder\.txt"):
        write_escalation(small, tmp_path / "ladder.txt")


def test_every_grid_reaches_the_county_by_the_same_route_networkx_finds(
    small: nx.DiGraph,
) -> None:
    for grid in (n for n, lv in small.nodes(data="level") if lv == "grid"):
        path = nx.shortest_path(small, grid, "county:430623")
        assert path == chain(small, grid)[: len(path)]
        assert all(
            len(list(small.successors(n))) == 1 for n in itertools.islice(path, len(path) - 1)
        )
