"""Synthetic counties: the Huarong demo is real where it says so and sound everywhere else."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridgov import synth
from gridgov._errors import ParameterError
from gridgov._validate import clean_workspace
from gridgov.model import LAYERS, DeputyLevel, Workspace

GK = 4547  # the Gauss-Kruger zone of Huarong and of synth_county's default centre


@pytest.fixture(scope="module")
def demo() -> Workspace:
    return synth.demo_county()


def _divisions() -> list[dict[str, str]]:
    text = resources.files("gridgov._data").joinpath("huarong_divisions.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _components(roads: gpd.GeoDataFrame) -> int:
    graph = nx.Graph()
    for line in roads.geometry:
        xy = shapely.get_coordinates(line)
        graph.add_edge(tuple(xy[0]), tuple(xy[-1]))
    return nx.number_connected_components(graph)


def _assert_sound(ws: Workspace) -> None:
    """Every layer in EPSG:4490 with its schema's columns, valid, inside the outline."""
    outline = ws.county.to_crs(GK).geometry.iloc[0]
    for name, gdf in ws.layers().items():
        assert gdf.crs.to_epsg() == 4490, name
        assert list(gdf.columns[:-1]) == [c for c in LAYERS[name].names if c in gdf.columns]
        assert set(gdf.geom_type) <= set(LAYERS[name].geometry), name
        assert gdf.is_valid.all(), name
        # zones and points lie inside the county; roads may bend up to 200 m out
        slack = 200.0 if name == "roads" else 1.0
        assert gdf.to_crs(GK).covered_by(outline.buffer(slack)).all(), name
    assert _components(ws.roads) == 1


def test_demo_codes_and_names_are_the_real_divisions(demo: Workspace) -> None:
    rows = _divisions()
    towns = [r for r in rows if r["level"] == "township"]
    villages = [r for r in rows if r["level"] == "village"]
    assert len(towns) == 14 and len(villages) == 225
    assert demo.townships[["code", "name"]].values.tolist() == [
        [r["code"], r["name"]] for r in towns
    ]
    got = demo.villages[["code", "name", "township_code", "kind"]].values.tolist()
    assert got == [[r["code"], r["name"], r["township_code"], r["kind"]] for r in villages]
    assert demo.villages["kind"].value_counts().to_dict() == {"village": 171, "community": 54}
    assert demo.county["code"].tolist() == ["430623"] and demo.county["name"].iloc[0] == "华容县"
    assert demo.meta["projected_epsg"] == "4547" and demo.meta["county_code"] == "430623"


def test_demo_geometry_is_valid_nested_and_connected(demo: Workspace) -> None:
    _assert_sound(demo)
    # villages tile their township: areas add up and each lies inside its own township
    towns = demo.townships.set_index("code").to_crs(GK).geometry
    villages = demo.villages.to_crs(GK)
    for code, group in villages.groupby("township_code"):
        assert group.covered_by(towns[code].buffer(1.0)).all()
        assert group.area.sum() == pytest.approx(towns[code].area, rel=1e-6)
    county_seat = demo.townships.set_index("name").loc["章华镇"]
    assert (county_seat.seat_lon, county_seat.seat_lat) == pytest.approx((112.54, 29.53))


def test_demo_people_households_and_grids(demo: Workspace) -> None:
    v = demo.villages
    assert 300_000 < v["population"].sum() < 900_000
    assert v.loc[v["kind"] == "village", "population"].between(1000, 3000).all()
    assert v.loc[v["kind"] == "community", "population"].between(3000, 10_000).all()
    assert demo.settlements.groupby("village_code").size().between(3, 8).all()
    by_village = demo.settlements.groupby("village_code")["population"].sum()
    assert by_village.equals(v.set_index("code")["population"].rename_axis("village_code"))
    g = demo.grids
    assert 250 <= g["households"].mean() <= 350
    assert g.groupby("village_code")["households"].sum().sum() == v["households"].sum()
    assert all(
        len(c) == 15 and c.startswith(vc)
        for c, vc in zip(g["code"], g["village_code"], strict=True)
    )
    assert g["worker_phone"].str.fullmatch(r"100-\d{4}-\d{4}").all()


def test_demo_has_the_97_stations_of_huarong(demo: Workspace) -> None:
    st = demo.stations
    assert len(st) == 97
    tiers = st["tier"].value_counts().to_dict()
    assert tiers == {"station": 14, "point": 79, "studio": 4}
    township_stations = st[st["tier"] == "station"]
    assert sorted(township_stations["township_code"]) == sorted(demo.townships["code"])
    industry = st[st["kind"] == "industry"]
    assert len(industry) == 4 and set(industry["tier"]) == {"studio"}
    assert set(industry["industry"]) == {"芥菜产业", "医卫健康", "中药材", "水产养殖"}
    # points and studios hang under their own township's station
    parent = township_stations.set_index("station_id")["township_code"]
    children = st[st["tier"] != "station"]
    assert (children["parent_station_id"].map(parent) == children["township_code"]).all()
    assert st["annual_cost_yuan"].between(20_000, 50_000).all()
    assert st["reception_day"].str.fullmatch(r"每周[一二三四五六]|每月\d{1,2}日").all()
    # each station stands in its township
    towns = demo.townships.set_index("code").to_crs(GK).geometry
    pts = st.to_crs(GK)
    assert all(
        towns[c].contains(p) for c, p in zip(pts["township_code"], pts.geometry, strict=True)
    )


def test_demo_deputies_of_five_levels_grouped_into_stations(demo: Workspace) -> None:
    d = demo.deputies
    assert set(d["level"]) == {lv.value for lv in DeputyLevel}
    counts = d["level"].value_counts()
    assert counts["national"] < counts["provincial"] < counts["municipal"] < counts["county"]
    assert counts["county"] < counts["township"]
    assert 800 < len(d) < 2000
    assert d["station_id"].isin(demo.stations["station_id"]).all()
    assert d["phone"].str.fullmatch(r"100-\d{4}-\d{4}").all()
    # industry stations gather deputies of their industry
    industry = demo.stations[demo.stations["kind"] == "industry"].set_index("station_id")
    members = d[d["station_id"].isin(industry.index)]
    assert len(members) >= 4
    assert (members["specialty"] == members["station_id"].map(industry["industry"])).all()
    # county and township deputies look after 1-3 existing grids; others after none
    local = d["level"].isin(["county", "township"])
    codes = d.loc[local, "grid_codes"].str.split(",")
    assert codes.map(len).between(1, 3).all()
    assert set(codes.explode()) <= set(demo.grids["code"])
    assert d.loc[~local, "grid_codes"].isna().all()


def test_demo_passes_workspace_validation(demo: Workspace) -> None:
    _, problems = clean_workspace(demo)
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_synth_county_is_deterministic_and_seed_dependent() -> None:
    a = synth.synth_county(seed=7, n_villages=30)
    b = synth.synth_county(seed=7, n_villages=30)
    for name in LAYERS:
        assert_geodataframe_equal(getattr(a, name), getattr(b, name))
    c = synth.synth_county(seed=8, n_villages=30)
    assert not a.villages.geometry.geom_equals(c.villages.geometry).all()
    assert a.deputies["name"].tolist() != c.deputies["name"].tolist()


@pytest.mark.parametrize("n_villages", [1, 12, 400])
def test_synth_county_sizes_are_sound(n_villages: int) -> None:
    ws = synth.synth_county(seed=n_villages, n_villages=n_villages, county_code="999902")
    _assert_sound(ws)
    assert len(ws.villages) == n_villages
    assert ws.villages["code"].str.fullmatch(r"999902\d{6}").all()
    assert all(
        c.startswith(t) for c, t in zip(ws.villages.code, ws.villages.township_code, strict=True)
    )
    assert set(ws.deputies["level"]) == {lv.value for lv in DeputyLevel}
    _, problems = clean_workspace(ws)
    assert [str(p) for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"seed": 1, "n_villages": 0}, "n_villages"),
        ({"seed": -1}, "seed"),
        ({"seed": 1, "county_code": "4306"}, "county_code"),
        ({"seed": 1, "n_villages": 30, "n_townships": 31}, "n_townships"),
        ({"seed": 1, "n_villages": 2000, "n_townships": 1}, "n_townships"),  # 3-digit codes
    ],
)
def test_synth_county_rejects_bad_input(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ParameterError, match=parameter) as caught:
        synth.synth_county(**kwargs)
    assert caught.value.parameter == parameter


def test_synth_region_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        synth.synth_region(tmp_path, n_villages=10, seed=1, format="csv")
    assert caught.value.parameter == "format" and caught.value.value == "csv"
    with pytest.raises(ParameterError) as caught:
        synth.synth_region(tmp_path, n_villages=10, seed=1, workers=0)
    assert caught.value.parameter == "workers"
    assert list(tmp_path.iterdir()) == []  # nothing written


def _not_json(token: str) -> None:
    raise AssertionError(f"{token} is not JSON")


def _read_parts(files: list[str], layer: str) -> gpd.GeoDataFrame:
    import pandas as pd

    return gpd.GeoDataFrame(
        pd.concat([pyogrio.read_dataframe(f, layer=layer) for f in files], ignore_index=True)
    )


def test_synth_region_writes_parts_whose_counts_add_up(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    summary = synth.synth_region(
        tmp_path / "a",
        n_villages=600,
        seed=3,
        villages_per_county=100,
        counties_per_part=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert summary["counties"] == 6 and summary["parts"] == 3 and len(summary["files"]) == 3
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert summary["counts"]["villages"] == 600
    for layer in LAYERS:
        total = sum(pyogrio.read_info(f, layer=layer)["features"] for f in summary["files"])
        assert total == summary["counts"][layer], layer
    region = (tmp_path / "a" / "region.json").read_text("utf-8")
    assert json.loads(region, parse_constant=_not_json) == summary
    assert summary["road_edges"] == summary["counts"]["roads"] > summary["counts"]["villages"]
    # codes are unique across the region; the output does not depend on how it is split
    villages = _read_parts(summary["files"], "villages")
    assert villages["code"].is_unique
    other = synth.synth_region(
        tmp_path / "b", n_villages=600, seed=3, villages_per_county=100, counties_per_part=6
    )
    assert other["parts"] == 1
    again = _read_parts(other["files"], "villages")
    assert villages["code"].tolist() == again["code"].tolist()
    assert villages.geometry.geom_equals_exact(again.geometry, tolerance=0).all()
