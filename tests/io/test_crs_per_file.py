"""Coordinate systems per file: what a file declares wins, ``--source-crs`` is for the
coordinates nobody declared, ``FILE@gcj02`` speaks for one file; outside China is refused
in words; and ``gridgov load`` says what it decided."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from planner_files import (
    TOWNSHIPS_CRS,
    PlannerFiles,
    assert_same_layer,
    planner_workspace,
    write_planner_files,
)

from gridgov import crs, io, synth
from gridgov._errors import ParameterError, ValidationError
from gridgov.cli import main
from gridgov.io import SourceFile
from gridgov.model import Workspace, require_layer


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return planner_workspace(synth.demo_county(seed=2024))


@pytest.fixture(scope="module")
def files(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> PlannerFiles:
    return write_planner_files(ws, tmp_path_factory.mktemp("planner"))


def _notes(path: object, layer: str, **options: object) -> list[str]:
    return [str(n) for n in io.read_file(path, layer, **options).notes]  # type: ignore[arg-type]


def _to_gcj02(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(crs.from_cgcs2000(xy[:, 0], xy[:, 1], "gcj02"))

    return gpd.GeoSeries(
        shapely.transform(geoms.to_numpy(), shift), index=geoms.index, crs=geoms.crs
    )


def _max_offset_m(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> float:
    metric = crs.projected_crs_for(want)
    return float(
        np.max(
            shapely.hausdorff_distance(
                got.geometry.to_crs(metric).to_numpy(), want.geometry.to_crs(metric).to_numpy()
            )
        )
    )


def test_a_global_gcj02_leaves_a_wgs84_kml_where_it_is(files: PlannerFiles, ws: Workspace) -> None:
    read = io.read_file(files.grids, "grids", source_crs="gcj02")
    assert read.frame is not None
    assert_same_layer(read.frame, ws.grids, key="code")  # not moved ~600 m
    assert "grids.kml: 坐标系 WGS84（KML 规定）" in [str(n) for n in read.notes]
    spared = [p for p in read.problems if "未对它应用 --source-crs gcj02" in p.message]
    assert spared and spared[0].severity == "warning" and "grids.kml@gcj02" in spared[0].message


def test_a_kml_named_gcj02_for_itself_is_converted(tmp_path: Path, ws: Workspace) -> None:
    grids = require_layer(ws, "grids").iloc[:40]
    amap = grids.set_geometry(_to_gcj02(grids.geometry)).rename(columns={"name": "Name"})
    path = tmp_path / "grids.kml"
    pyogrio.write_dataframe(amap.to_crs(crs.WGS84), path, driver="KML")
    naive = io.read_layer(path, layer="grids")
    assert _max_offset_m(naive, grids) > 100
    got = io.read_layer(SourceFile.parse(f"{path}@gcj02"), layer="grids")
    assert_same_layer(got, grids, key="code")
    assert _notes(SourceFile(path, crs="gcj02"), "grids")[-1] == (
        "grids.kml: 坐标系 GCJ-02（高德/腾讯）（按 grids.kml@gcj02；文件标为 WGS84）"
    )


def test_projected_townships_with_prj(files: PlannerFiles, ws: Workspace) -> None:
    got = io.read_layer(files.townships, layer="townships", source_crs="gcj02")
    assert_same_layer(got, ws.townships, key="code")
    seat_error = crs.haversine_m(
        got["seat_lon"], got["seat_lat"], ws.townships["seat_lon"], ws.townships["seat_lat"]
    )
    assert float(np.max(seat_error)) < 0.01  # the seats are not shifted either
    assert f"townships.shp: 坐标系 {TOWNSHIPS_CRS}（文件声明）" in _notes(
        files.townships, "townships"
    )


def test_a_file_declaring_wgs84_is_spared_a_global_gcj02_but_not_its_own(
    tmp_path: Path, ws: Workspace
) -> None:
    stations = ws.stations
    amap = stations.set_geometry(_to_gcj02(stations.geometry)).to_crs(crs.WGS84)
    path = tmp_path / "stations.gpkg"
    pyogrio.write_dataframe(amap, path, layer="stations")
    spared = io.read_file(path, "stations", source_crs="gcj02")
    assert spared.frame is not None and _max_offset_m(spared.frame, stations) > 100
    assert any("文件已声明坐标系" in p.message for p in spared.problems)
    got = io.read_layer(SourceFile(path, crs="gcj02"), layer="stations", source_crs="bd09")
    assert_same_layer(got, stations, key="station_id")


def test_a_shapefile_without_prj_in_metres_needs_its_epsg(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "townships.shp"
    pyogrio.write_dataframe(ws.townships.to_crs(TOWNSHIPS_CRS), path, encoding="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="townships", source_crs="gcj02")
    assert "townships.shp@epsg:4547" in str(caught.value)
    got = io.read_layer(SourceFile.parse(f"{path}@epsg:4547"), layer="townships")
    assert_same_layer(got, ws.townships, key="code")
    assert "townships.shp: 坐标系 EPSG:4547（按 townships.shp@EPSG:4547）" in _notes(
        SourceFile(path, crs="EPSG:4547"), "townships"
    )


def test_table_coordinates_take_the_global_or_their_own_system(
    files: PlannerFiles, ws: Workspace
) -> None:
    own = io.read_layer(
        SourceFile.parse(f"{files.stations}@gcj02"), layer="stations", source_crs="bd09"
    )
    assert_same_layer(own, ws.stations, key="station_id")
    unnamed = _notes(files.deputies, "deputies")
    assert (
        "deputies.csv: 坐标系 CGCS2000/WGS84（文件未声明、也未指定，按默认；高德/腾讯坐标请写 "
        "deputies.csv@gcj02，百度坐标写 deputies.csv@bd09）"
    ) in unnamed


def _stations_csv(ws: Workspace, path: Path, *, paris: bool) -> Path:
    s = ws.stations
    table = pd.DataFrame(
        {
            "站点编号": s["station_id"],
            "名称": s["name"],
            "层级": "联络站",
            "类别": "区域",
            "所属乡镇代码": s["township_code"],
            "经度": s.geometry.x,
            "纬度": s.geometry.y,
        }
    )
    if paris:
        table.loc[table.index[1], ["经度", "纬度"]] = [2.35, 48.85]
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_outside_china_is_refused_by_file_row_field_and_value(
    tmp_path: Path, ws: Workspace
) -> None:
    path = _stations_csv(ws, tmp_path / "stations.csv", paris=True)
    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="stations")
    assert caught.value.context == "stations.csv"
    outside = [p for p in caught.value.errors if p.field == "geometry"]
    assert len(outside) == 1
    assert (outside[0].layer, outside[0].row) == ("stations.csv", 3)  # the second station
    assert outside[0].value == "lon=2.350000, lat=48.850000"
    report = str(caught.value) + json.dumps([p.as_dict() for p in caught.value.problems])
    assert "np.float64" not in report

    got = io.read_layer(path, layer="stations", allow_outside_china=True)
    assert len(got) == len(ws.stations)
    allowed = [
        p
        for p in io.read_file(path, "stations", allow_outside_china=True).problems
        if p.field == "geometry"
    ]
    assert [p.severity for p in allowed] == ["warning"]


def test_a_county_outside_china_is_refused_in_words(tmp_path: Path, ws: Workspace) -> None:
    county = ws.county.copy()
    county["geometry"] = county.geometry.translate(-110.0, 19.0)  # to France
    path = tmp_path / "county.gpkg"
    pyogrio.write_dataframe(county, path, layer="county")
    sources = {"county": path}
    for name in ("townships", "villages", "stations"):
        sources[name] = tmp_path / f"{name}.gpkg"
        pyogrio.write_dataframe(getattr(ws, name), sources[name], layer=name)
    with pytest.raises(ValidationError) as caught:
        io.preview_workspace(None, sources)
    outside = [p for p in caught.value.errors if p.layer == "county.gpkg"]
    assert outside and outside[0].field == "geometry"
    assert "np.float64" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("a.xlsx@gcj02@header=3", {"crs": "gcj02", "header_row": 3}),
        ("a.shp@gbk", {"encoding": "gbk"}),
        ("a.shp@EPSG:4547,gb18030", {"crs": "EPSG:4547", "encoding": "gb18030"}),
        ("a.csv@encoding=utf-8@crs=baidu", {"encoding": "utf-8", "crs": "bd09"}),
        ("a.xlsx@sheet=站点@amap", {"sheet": "站点", "crs": "gcj02"}),
    ],
)
def test_per_file_options(text: str, options: dict[str, Any]) -> None:
    assert SourceFile.parse(text) == replace(SourceFile(Path(text.split("@")[0])), **options)


def test_per_file_options_that_mean_nothing_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="“gcj2”既不是坐标系"):
        SourceFile.parse("a.xlsx@gcj2")
    with pytest.raises(ParameterError, match="header=0"):
        SourceFile.parse("a.xlsx@header=0")
    odd = tmp_path / "站点@2024.csv"  # a file whose own name holds @
    odd.write_text("x")
    assert SourceFile.parse(str(odd)) == SourceFile(odd)
    assert SourceFile.parse(f"{odd}@gbk") == SourceFile(odd, encoding="gbk")


def test_gridgov_load_says_what_it_detected(
    files: PlannerFiles, ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "county.gpkg"
    argv = ["load", str(workspace), "--source-crs", "gcj02"]
    for name, path in files.sources().items():
        # the deputies' positions came from a GPS, not AMap: that file says so for itself
        argv += [f"--{name}", f"{path}@wgs84" if name == "deputies" else str(path)]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for line in (
        "villages.shp: 编码 GBK（自动识别：无 .cpg 文件；不对请写 villages.shp@utf-8）",
        f"townships.shp: 坐标系 {TOWNSHIPS_CRS}（文件声明）",
        "stations.xlsx: 表头在第 2 行（自动识别；不对请写 stations.xlsx@header=N）",
        "stations.xlsx: 坐标系 GCJ-02（高德/腾讯）（按 --source-crs）",
        "grids.kml: 坐标系 WGS84（KML 规定）",
        "deputies.csv: 坐标系 WGS84（按 deputies.csv@wgs84）",
    ):
        assert line in out
    loaded = io.read_workspace(workspace)
    assert_same_layer(loaded.grids, ws.grids, key="code")  # not shifted by --source-crs
    assert_same_layer(loaded.stations, ws.stations, key="station_id")
    assert_same_layer(loaded.deputies, ws.deputies, key="deputy_id")

    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    topics = {(n["layer"], n["field"]) for n in payload["notes"]}
    assert ("deputies.csv", "encoding") in topics and ("stations.xlsx", "rows") in topics
    assert all(w["severity"] == "warning" for w in payload["warnings"])
