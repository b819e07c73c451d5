"""Coverage (出门即可达) agrees with an independent computation on a hand-made county."""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from gridgov.coverage import analyse, parse_standard
from gridgov.coverage.report import coverage_sheets, write_coverage
from gridgov.crs import CGCS2000
from gridgov.settings import Settings
from gridgov.testing import tiny_workspace

GK = "EPSG:4547"
# A connected road network over the tiny county (projected metres): a trunk west-east with
# junction vertices, a county road north-south, and a village road to 团洲.
ROADS = {
    "R1": ("trunk", [(350100, 3266000), (352500, 3266000), (357000, 3266000), (359900, 3266000)]),
    "R2": ("county", [(352500, 3261100), (352500, 3266000), (352500, 3270900)]),
    "R3": ("village", [(357000, 3263000), (357000, 3266000)]),
}


def _workspace(with_roads: bool = True):  # type: ignore[no-untyped-def]
    ws = tiny_workspace()
    if not with_roads:
        return dataclasses.replace(ws, roads=None)
    roads = gpd.GeoDataFrame(
        {"road_id": list(ROADS), "road_class": [c for c, _ in ROADS.values()]},
        geometry=[LineString(p) for _, p in ROADS.values()],
        crs=GK,
    ).to_crs(CGCS2000)
    return dataclasses.replace(ws, roads=roads)


def _independent_travel_s(ws, settings: Settings) -> dict[str, tuple[str, float]]:  # type: ignore[no-untyped-def]
    """Nearest station and e-bike seconds per settlement by networkx on a hand-built graph."""
    speed = {c: settings.speeds_kmh["ebike"][c] / 3.6 for c in ("trunk", "county", "village")}
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    g = nx.Graph()
    for cls, pts in ROADS.values():
        for a, b in itertools.pairwise(pts):
            g.add_edge(a, b, s=Point(a).distance(Point(b)) / speed[cls])
    nodes = list(g.nodes)

    def nearest_node(p: Point) -> tuple[tuple[float, float], float]:
        best = min(nodes, key=lambda n: p.distance(Point(n)))
        return best, p.distance(Point(best))

    stations = ws.stations.to_crs(GK)
    for sid, geom in zip(stations["station_id"], stations.geometry, strict=True):
        node, d = nearest_node(geom)
        g.add_edge(("S", sid), node, s=d / walk)
    dist, paths = nx.multi_source_dijkstra(
        g, [("S", s) for s in stations["station_id"]], weight="s"
    )
    out = {}
    for sid, geom in zip(
        ws.settlements["settlement_id"], ws.settlements.to_crs(GK).geometry, strict=True
    ):
        node, d = nearest_node(geom)
        out[sid] = (paths[node][0][1], dist[node] + d / walk)
    return out


def test_travel_and_nearest_station_match_networkx() -> None:
    ws = _workspace()
    settings = Settings()
    result = analyse(ws, standard="10min:ebike", settings=settings, group=False)
    assert result.method == "network"
    expected = _independent_travel_s(ws, settings)
    demand = result.demand.set_index("demand_id")
    for sid, (station, seconds) in expected.items():
        assert demand.loc[sid, "station_id"] == station
        assert demand.loc[sid, "travel_s"] == pytest.approx(seconds, rel=1e-6)
        assert bool(demand.loc[sid, "covered"]) == (seconds <= 600)


def test_villages_inside_a_service_area_are_covered() -> None:
    result = analyse(_workspace(), standard="10min:ebike", group=False)
    areas = result.service_areas.set_index("station_id")
    demand = result.demand
    for row in demand[demand["covered"]].itertuples():
        assert areas.loc[row.station_id, "geometry"].buffer(1e-6).contains(row.geometry)
    # and covered villages are exactly those whose every settlement is covered
    by_village = demand.groupby("village_code")["covered"].all()
    got = result.villages.set_index("code")["covered"]
    assert got.to_dict() == by_village.reindex(got.index).to_dict()


def test_tighter_standard_covers_fewer_and_gap_list_ranks_uncovered_people() -> None:
    ws = _workspace()
    loose = analyse(ws, standard="30min:ebike", group=False)
    tight = analyse(ws, standard="3min:ebike", group=False)
    assert loose.summary["population_covered"] > tight.summary["population_covered"]
    gaps = tight.gaps
    assert set(gaps["code"]) == set(tight.villages.loc[~tight.villages["covered"], "code"])
    assert gaps["population_uncovered"].is_monotonic_decreasing
    assert gaps["rank"].tolist() == list(range(1, len(gaps) + 1))
    villages = tight.villages.set_index("code")
    for row in gaps.itertuples():  # the suggested new point lies in the gap village
        assert (
            villages.loc[row.code, "geometry"]
            .buffer(1e-6)
            .contains(Point(row.new_site_lon, row.new_site_lat))
        )
        assert row.new_site_population_covered > 0


def test_without_roads_the_straight_line_fallback_is_explicit() -> None:
    settings = Settings()
    result = analyse(
        _workspace(with_roads=False), standard="3km:road", settings=settings, group=False
    )
    assert result.method == "straight-line"
    assert result.summary["method"] == "straight-line"
    demand = result.demand.to_crs(GK)
    stations = result.stations.to_crs(GK).set_index("station_id")
    for row in demand.itertuples():
        straight = row.geometry.distance(stations.loc[row.station_id, "geometry"])
        assert row.travel_m == pytest.approx(straight * settings.detour_factor)
    sheets = coverage_sheets(result)
    assert "直线" in sheets["概况"].set_index("指标").loc["计算方法", "数值"]


def test_summary_figures_are_consistent_on_the_demo_county() -> None:
    from gridgov.synth import demo_county

    result = analyse(demo_county(), standard="15min:ebike", group=False)
    s = result.summary
    v = result.villages
    assert s["n_villages"] == 225
    assert s["villages_covered"] + s["n_gaps"] == 225
    assert s["population"] == int(v["population"].sum())
    assert 0 < s["share_population_covered"] <= 1
    assert (v.loc[v["covered"], "travel_s"] <= 900 + 1e-6).all()
    assert s["mean_travel_s"] <= s["p95_travel_s"]
    assert s["worst_village"]["travel_s"] == pytest.approx(v["travel_s"].max())
    stations = result.stations
    assert stations["population_served"].sum() == pytest.approx(
        result.demand["population"].sum(), abs=len(stations)
    )
    assert len(result.service_areas) == 97


def test_report_sheets_and_workspace_layers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gridgov import io

    ws = _workspace()
    path = tmp_path / "tiny.gpkg"
    io.write_workspace(ws, path)
    result = analyse(io.read_workspace(path), standard="10min:ebike", group=False)
    files = write_coverage(result, tmp_path / "out", workspace=path)
    book = pd.read_excel(files["report"], sheet_name=None)
    assert list(book) == ["概况", "村（社区）", "站点", "缺口", "代表编组", "方法说明"]
    assert {"区划代码", "最近站点", "用时（分钟）", "是否达标"} <= set(book["村（社区）"].columns)
    layers = set(gpd.list_layers(path)["name"])
    assert {"coverage_villages", "coverage_gap_sites", "coverage_service_areas"} <= layers
    assert len(io.read_workspace(path).villages) == 4  # the workspace itself is untouched
    assert files["villages_csv"].read_bytes().startswith(b"\xef\xbb\xbf")


def test_standard_parsing_names_the_bad_value() -> None:
    assert parse_standard("20分钟:步行").limit == 1200
    assert parse_standard("3km").mode == "road"
    with pytest.raises(ValueError, match="15min:ebike"):
        parse_standard("soon")
    with pytest.raises(ValueError, match="needs a mode with a speed"):
        parse_standard("10min:road")
    assert np.isclose(parse_standard("1.5h:car").limit, 5400)
