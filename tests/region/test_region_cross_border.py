"""``--cross-border``: a village may use the neighbouring county's station, over roads that
join at the border; reported apart from the county's own coverage.

Two counties built in code, side by side (the tiny county and a copy of it 10 km east,
codes 430623 and 430624), each with one station at its west edge and a county road along
its south half that meets the neighbour's at the border. 团洲村 of the west county lies
7 km from its own station but 3 km from the east county's, across the border: under
"10min:ebike" only the neighbour's station reaches it. The oracle is networkx on the union
of the two counties' roads.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.affinity import translate
from shapely.geometry import LineString, Point

from gridgov import io
from gridgov.cli import main
from gridgov.crs import CGCS2000
from gridgov.model import Workspace
from gridgov.settings import Settings
from gridgov.testing import TINY_PROJECTED_CRS, tiny_workspace

GK = TINY_PROJECTED_CRS
STANDARD = "10min:ebike"
WEST, EAST = "430623", "430624"
# in each county's own metres from its south-west corner: a county road west-east along
# y = 2.5 km, edge to edge (the west county's ends where the east county's begins), through
# the station and two villages' centres, and a village road north from each of them
ROADS = {
    "R1": ("county", [(0, 2500), (500, 2500), (2500, 2500), (7500, 2500), (10_000, 2500)]),
    "R2": ("village", [(2500, 2500), (2500, 7500)]),
    "R3": ("village", [(7500, 2500), (7500, 7500)]),
}
STATION_AT = (500, 2500)


def _corner(ws: Workspace) -> tuple[float, float]:
    x0, y0, _, _ = ws.county.to_crs(GK).total_bounds
    return float(x0), float(y0)


def _county(code: str, dx_m: float) -> Workspace:
    """The tiny county moved ``dx_m`` east and renumbered ``code``, with one station and
    the roads above (no settlements: people are at the villages' centres)."""
    base = tiny_workspace()
    x0, y0 = _corner(base)

    def moved(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = gdf.to_crs(GK).copy()
        out.geometry = out.geometry.map(lambda g: translate(g, xoff=dx_m))
        for col in out.columns:
            if col != out.geometry.name and pd.api.types.is_string_dtype(out[col]):
                out[col] = out[col].map(
                    lambda v: v.replace("430623", code) if isinstance(v, str) else v
                )
        return out.to_crs(CGCS2000)

    station = base.stations.iloc[[0]].copy()
    station["parent_station_id"] = None
    station = gpd.GeoDataFrame(
        station, geometry=[Point(x0 + STATION_AT[0], y0 + STATION_AT[1])], crs=GK
    ).to_crs(CGCS2000)
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"{code}{r}" for r in ROADS],
            "name": [f"{code}-{r}" for r in ROADS],
            "road_class": [c for c, _ in ROADS.values()],
            "speed_kmh": [float("nan")] * len(ROADS),
        },
        geometry=[LineString([(x0 + x, y0 + y) for x, y in p]) for _, p in ROADS.values()],
        crs=GK,
    ).to_crs(CGCS2000)
    ws = dataclasses.replace(
        base, settlements=None, deputies=None, stations=station, roads=roads,
        meta={"county_code": code, "county_name": f"县{code}"},
    )  # fmt: skip
    layers = {name: moved(gdf) for name, gdf in ws.layers().items()}
    return dataclasses.replace(ws, **layers)


def _networkx_s(settings: Settings, village: Point, station: Point) -> float:
    """E-bike seconds from ``village`` to ``station`` over both counties' roads (metres)."""
    speed = {c: settings.speeds_kmh["ebike"][c] / 3.6 for c in ("county", "village")}
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    x0, y0 = _corner(tiny_workspace())
    g = nx.Graph()
    for dx in (0.0, 10_000.0):  # the west county's roads, then the east one's
        for cls, pts in ROADS.values():
            for a, b in itertools.pairwise(pts):
                u, v = (x0 + a[0] + dx, y0 + a[1]), (x0 + b[0] + dx, y0 + b[1])
                g.add_edge(u, v, s=Point(u).distance(Point(v)) / speed[cls])

    def node(p: Point) -> tuple[tuple[float, float], float]:
        best: tuple[float, float] = min(g.nodes, key=lambda n: p.distance(Point(n)))
        return best, p.distance(Point(best))

    (start, d_start), (end, d_end) = node(village), node(station)
    return float(nx.shortest_path_length(g, start, end, weight="s")) + (d_start + d_end) / walk


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cross") / "city"
    folder.mkdir()
    for code, dx in ((WEST, 0.0), (EAST, 10_000.0)):
        io.write_workspace(_county(code, dx), folder / f"{code}.gpkg")
    return folder


def test_a_village_out_of_its_own_reach_is_reached_across_the_border(
    two_counties: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["coverage", str(two_counties), "--cross-border", "--standard", STANDARD,
         "--workers", "0", "--out", str(out), "--no-map", "--json", "--lang", "en"]
    )  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    rows = {r["code"]: r for r in payload["summary"]["by_county"]}
    west = rows[WEST]
    # its own coverage does not count 团洲村; across the border it is reached
    own = gpd.read_parquet(out / "counties" / WEST / "coverage-villages.parquet")
    tuanzhou = f"{WEST}102202"
    assert not own.set_index("code").at[tuanzhou, "covered"]
    assert west["villages_gained_cross"] == 1
    assert west["villages_covered_cross"] == west["villages_covered"] + 1
    assert west["neighbour_stations"] == 1 and west["villages_served_across"] >= 1
    assert _summary(out, WEST)["villages_covered"] == west["villages_covered"]

    cross = gpd.read_parquet(out / "counties" / WEST / "coverage-cross-border.parquet")
    t = cross.set_index("code").loc[tuanzhou]
    assert bool(t["covered"]) and not bool(t["covered_own"]) and bool(t["station_across"])
    assert t["nearest_station_id"] == f"{EAST}:S01"  # both counties number theirs S01
    villages = cross.to_crs(GK).set_index("code")
    east = _county(EAST, 10_000.0)
    station = east.stations.to_crs(GK).geometry.iloc[0]
    village = villages.geometry.loc[tuanzhou]
    expected = _networkx_s(Settings(), village, station)
    assert t["travel_s"] == pytest.approx(expected, abs=0.5)
    assert 3000 / (22 / 3.6) <= expected <= 600  # 3 km of county road, within 10 minutes

    # the region workbook's 跨县 columns show it beside the county's own figures
    sheet = pd.read_excel(
        out / "region-coverage.xlsx", sheet_name="各县", dtype={"区划代码": str}, engine="openpyxl"
    )
    line = sheet.set_index("区划代码").loc[WEST]
    assert line["跨县新增可达村（社区）"] == 1
    assert line["跨县可达村（社区）"] == line["可达村（社区）"] + 1


def _summary(out: Path, code: str) -> dict[str, object]:
    path = out / "counties" / code / "coverage-summary.json"
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_without_cross_border_the_neighbour_station_is_not_used(
    two_counties: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["coverage", str(two_counties), "--standard", STANDARD, "--workers", "0",
         "--out", str(out), "--no-map", "--json"]
    )  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    west = {r["code"]: r for r in payload["summary"]["by_county"]}[WEST]
    assert "villages_gained_cross" not in west
    assert not (out / "counties" / WEST / "coverage-cross-border.parquet").exists()
