"""Reading layer files of every format into a workspace, and writing it safely."""

from __future__ import annotations

import csv
import hashlib
import json
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, Polygon

from gridgov import crs, io
from gridgov._errors import NotFoundError, ParameterError, Problem, ValidationError
from gridgov.messages import use_lang
from gridgov.model import Workspace
from gridgov.testing import (
    TINY_PROJECTED_CRS,
    assert_layer_schema,
    assert_valid_workspace,
    assert_workspace_equal,
    tiny_workspace,
)

TIERS_ZH = ["联络站", "联络点", "代表工作室"]
KINDS_ZH = ["区域", "区域", "行业"]


@pytest.fixture
def ws() -> Workspace:
    return tiny_workspace()


@pytest.fixture(autouse=True, scope="module")
def _english() -> Iterator[None]:
    """These tests read the English messages (the Chinese ones: tests/test_messages.py)."""
    with use_lang("en"):
        yield


def _find(
    problems: Iterable[Problem],
    *,
    layer: str | None = None,
    row: int | str | None = None,
    field: str | None = None,
    text: str | None = None,
) -> list[Problem]:
    return [
        p
        for p in problems
        if (layer is None or p.layer == layer)
        and (row is None or p.row == row)
        and (field is None or p.field == field)
        and (text is None or text in p.message)
    ]


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _at(ws: Workspace, dx_m: float, dy_m: float) -> Point:
    x0, y0, _, _ = ws.county.to_crs(TINY_PROJECTED_CRS).total_bounds
    moved = gpd.GeoSeries([Point(x0 + dx_m, y0 + dy_m)], crs=TINY_PROJECTED_CRS)
    return moved.to_crs(crs.CGCS2000).iloc[0]


def _stations_table(stations: gpd.GeoDataFrame, *, source: str = "wgs84") -> pd.DataFrame:
    """Stations as a planner's spreadsheet: Chinese headers and labels, lon/lat columns."""
    lon, lat = crs.from_cgcs2000(stations.geometry.x, stations.geometry.y, source)
    return pd.DataFrame(
        {
            "站点编号": stations["station_id"].to_numpy(),
            "名称": stations["name"].to_numpy(),
            "层级": TIERS_ZH,
            "类别": KINDS_ZH,
            "行业": stations["industry"].to_numpy(),
            "所属乡镇代码": stations["township_code"].to_numpy(),
            "所在村代码": stations["village_code"].to_numpy(),
            "上级站点": stations["parent_station_id"].to_numpy(),
            "经度": np.round(lon, 9),
            "纬度": np.round(lat, 9),
        }
    )


def _deputies_table(deputies: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "代表编号": deputies["deputy_id"].to_numpy(),
            "姓名": deputies["name"].to_numpy(),
            "代表层级": ["全国", "省", "市", "县", "乡镇", "镇"],
            "所属站点": deputies["station_id"].to_numpy(),
            "联系网格": deputies["grid_codes"].to_numpy(),
            "手机": deputies["phone"].to_numpy(),
            "lng": deputies.geometry.x.to_numpy(),
            "lat": deputies.geometry.y.to_numpy(),
        }
    )


def _write_shp(gdf: gpd.GeoDataFrame, path: Path, **kwargs: Any) -> None:
    """Write a Shapefile, silencing GDAL's notes on names cut to 10 characters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, **kwargs)


def _offset_m(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> np.ndarray:
    return crs.haversine_m(got.geometry.x, got.geometry.y, want.geometry.x, want.geometry.y)


# --- formats ----------------------------------------------------------------------------------


def test_geopackage_layer_is_picked_renamed_and_reprojected(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "bureau.gpkg"
    villages = ws.villages.rename(columns={"name": "名称", "code": "区划代码"})
    villages.to_crs(TINY_PROJECTED_CRS).to_file(path, layer="村界")
    ws.townships.to_file(path, layer="乡镇界")

    with pytest.raises(ValidationError, match=r"村界, 乡镇界|乡镇界, 村界"):
        io.read_layer(path, layer="villages")  # two layers, neither named villages
    got = io.read_layer(path, layer="villages", source_layer="村界")
    assert got.crs.to_epsg() == 4490
    assert got["code"].tolist() == ws.villages["code"].tolist()
    assert got["name"].tolist() == ["城关社区", "胜峰村", "万庾社区", "团洲村"]
    assert shapely.equals_exact(got.geometry.array, ws.villages.geometry.array, 1e-7).all()
    assert_layer_schema(got, "villages")


def test_geojson_with_chinese_headers_and_labels(tmp_path: Path, ws: Workspace) -> None:
    table = _stations_table(ws.stations)
    gdf = gpd.GeoDataFrame(
        table.drop(columns=["经度", "纬度"]),
        geometry=ws.stations.geometry.to_crs(crs.WGS84).to_numpy(),
        crs=crs.WGS84,
    )
    path = tmp_path / "stations.geojson"
    gdf.to_file(path, driver="GeoJSON")
    got = io.read_layer(path, layer="stations")
    assert got["tier"].tolist() == ["station", "point", "studio"]
    assert got["kind"].tolist() == ["regional", "regional", "industry"]
    assert got["station_id"].tolist() == ["S01", "S02", "S03"]
    assert _offset_m(got, ws.stations).max() < 0.01


def test_shapefile_with_truncated_field_names(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "villages.shp"
    _write_shp(ws.villages, path)  # township_code -> township_c
    got = io.read_layer(path, layer="villages")
    assert got["township_code"].tolist() == ws.villages["township_code"].tolist()
    assert got["urban_rural_code"].tolist() == ["121", "220", "121", "220"]
    assert_layer_schema(got, "villages")


def test_gbk_shapefile_without_cpg_reads_as_gbk_and_says_so(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "townships.shp"
    pyogrio.write_dataframe(ws.townships.rename(columns={"name": "名称"}), path, encoding="GBK")
    path.with_suffix(".cpg").unlink()

    read = io.read_file(path, "townships")
    assert read.frame is not None
    assert read.frame["name"].tolist() == ["章华镇", "万庾镇"]
    assert read.frame["seat_name"].tolist() == ["城关社区", "万庾社区"]
    assert any("GBK" in str(n) for n in read.notes), read.notes  # the guess is stated

    # an encoding the user names is obeyed, and garbled text is refused with the right reading
    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="townships", encoding="UTF-8")
    assert "townships.shp@gbk" in str(caught.value)  # says how to read it right


def test_zipped_shapefile(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _write_shp(ws.settlements, folder / "settlements.shp")
    archive = tmp_path / "settlements.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, f"data/{part.name}")
    got = io.read_layer(archive, layer="settlements")
    assert got["village_code"].tolist() == ws.settlements["village_code"].tolist()


def test_shapefile_without_prj_needs_a_source_crs(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "stations.shp"
    table = _stations_table(ws.stations).drop(columns=["经度", "纬度"])
    gdf = gpd.GeoDataFrame(table, geometry=ws.stations.geometry.to_numpy(), crs=crs.CGCS2000)
    _write_shp(gdf, path, encoding="UTF-8")  # 所属乡镇代码 is cut to 所属乡 + half a character
    path.with_suffix(".prj").unlink()

    with pytest.raises(ValidationError, match="missing CRS"):
        io.read_layer(path, layer="stations")
    got = io.read_layer(path, layer="stations", source_crs="cgcs2000")
    assert got.crs.to_epsg() == 4490 and _offset_m(got, ws.stations).max() < 0.01
    assert got["township_code"].tolist() == ["430623101", "430623102", "430623101"]
    assert got["name"].tolist() == ws.stations["name"].tolist()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_or_gb18030_with_chinese_headers(
    tmp_path: Path, ws: Workspace, encoding: str
) -> None:
    path = tmp_path / "stations.csv"
    _stations_table(ws.stations).to_csv(path, index=False, encoding=encoding)
    got = io.read_layer(path, layer="stations")
    assert got["name"].tolist() == ws.stations["name"].tolist()
    assert got["township_code"].tolist() == ["430623101", "430623102", "430623101"]
    assert got["industry"].iloc[2] == "芥菜"
    assert "经度" not in got.columns  # the geometry holds the position
    assert _offset_m(got, ws.stations).max() < 0.01
    assert_layer_schema(got, "stations")


@pytest.mark.parametrize("source", ["gcj02", "amap", "bd09", "baidu"])
def test_gcj02_and_bd09_csv_come_back_within_half_a_metre(
    tmp_path: Path, ws: Workspace, source: str
) -> None:
    system = crs.normalise_source(source)
    path = tmp_path / f"stations-{source}.csv"
    _stations_table(ws.stations, source=system).to_csv(path, index=False, encoding="utf-8-sig")

    got = io.read_layer(path, layer="stations", source_crs=source)
    assert _offset_m(got, ws.stations).max() < 0.5
    # Forgetting --source-crs leaves the stations hundreds of metres off.
    naive = io.read_layer(path, layer="stations")
    assert _offset_m(naive, ws.stations).min() > 100


def test_xlsx_codes_typed_as_numbers_stay_strings(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "roster.xlsx"
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["本表由县人大常委会办公室填报"])
    sheet = book.create_sheet("代表联络站点")  # the layer's Chinese name
    table = _stations_table(ws.stations)
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        values: list[Any] = [None if pd.isna(v) else v for v in row]
        values[5] = int(values[5])  # 所属乡镇代码 typed in as a number
        values[6] = float(values[6])  # 所在村代码 as a float: 430623101001.0
        sheet.append(values)
    book.save(path)

    got = io.read_layer(path, layer="stations")
    assert got["township_code"].tolist() == ["430623101", "430623102", "430623101"]
    assert got["village_code"].tolist() == ws.stations["village_code"].tolist()
    assert got["tier"].tolist() == ["station", "point", "studio"]


def test_kml_points(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "stations.kml"
    stations = ws.stations.to_crs(crs.WGS84).rename(columns={"name": "Name"})
    pyogrio.write_dataframe(
        stations[["Name", "station_id", "tier", "kind", "industry", "township_code", "geometry"]],
        path,
        driver="KML",
    )
    got = io.read_layer(path, layer="stations")
    assert got["name"].tolist() == ws.stations["name"].tolist()
    assert got["station_id"].tolist() == ["S01", "S02", "S03"]
    assert _offset_m(got, ws.stations).max() < 0.01
    assert "altitudeMode" not in got.columns


def test_csv_rows_with_bad_coordinates_name_the_row_and_value(
    tmp_path: Path, ws: Workspace
) -> None:
    table = _stations_table(ws.stations).astype({"经度": object, "纬度": object})
    table.loc[0, "经度"] = "东经一百一十二"
    table.loc[1, "纬度"] = None
    table.loc[2, ["经度", "纬度"]] = [table.loc[2, "纬度"], table.loc[2, "经度"]]  # swapped
    path = tmp_path / "stations.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")

    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="stations")
    problems = caught.value.problems
    assert caught.value.context == "stations.csv"
    # rows are named as in the spreadsheet: the header is row 1, S01 row 2
    bad = _find(problems, row=2, field="经度", text="not a number")
    assert bad and bad[0].value == "东经一百一十二"
    assert _find(problems, row=3, field="纬度", text="missing")
    swapped = _find(problems, row=4, text="swapped")
    assert swapped and "lat=112." in str(swapped[0].value)
    assert len(caught.value.errors) == 3  # one per row, no echo of a "missing geometry"


def test_degrees_minutes_seconds_are_accepted(tmp_path: Path, ws: Workspace) -> None:
    table = _stations_table(ws.stations).astype({"经度": object, "纬度": object})
    lon, lat = float(table.loc[0, "经度"]), float(table.loc[0, "纬度"])

    def dms(value: float) -> str:
        d, rest = divmod(value * 3600, 3600)
        m, s = divmod(rest, 60)
        return f"{int(d)}°{int(m)}′{s:.3f}″"

    table.loc[0, ["经度", "纬度"]] = [dms(lon), dms(lat)]
    path = tmp_path / "stations.csv"
    table.to_csv(path, index=False)
    got = io.read_layer(path, layer="stations")
    assert _offset_m(got, ws.stations)[0] < 0.1


# --- loading into a workspace -----------------------------------------------------------------


def test_a_broken_input_set_gives_one_report_and_leaves_the_workspace_alone(
    tmp_path: Path, ws: Workspace
) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    before = _fingerprint(target)

    villages = ws.villages.copy()
    villages["code"] = villages["code"].astype(object)
    villages.loc[1, "code"] = "430623101001"  # duplicate of row 0
    villages.loc[2, "code"] = "430623101777"  # but its township_code is 430623102
    villages.loc[3, "geometry"] = Polygon(
        [
            (_at(ws, x, y).x, _at(ws, x, y).y)
            for x, y in ((6000, 1000), (9000, 4000), (9000, 1000), (6000, 4000))
        ]
    )
    villages.to_file(tmp_path / "villages.geojson", driver="GeoJSON")

    stations = ws.stations.copy()
    stations.loc[0, "geometry"] = _at(ws, -200, 5000)  # in the county's margin, in no township
    table = _stations_table(stations)
    table.loc[1, ["经度", "纬度"]] = [table.loc[1, "纬度"], table.loc[1, "经度"]]
    table.to_csv(tmp_path / "stations.csv", index=False, encoding="utf-8-sig")

    deputies = _deputies_table(ws.deputies)
    deputies.loc[0, "所属站点"] = "S99"
    deputies.to_csv(tmp_path / "deputies.csv", index=False, encoding="gb18030")

    roads = tmp_path / "roads.shp"
    _write_shp(ws.roads, roads)
    roads.with_suffix(".prj").unlink()

    sources = {
        "villages": tmp_path / "villages.geojson",
        "stations": tmp_path / "stations.csv",
        "deputies": tmp_path / "deputies.csv",
        "roads": roads,
    }
    with pytest.raises(ValidationError) as caught:
        io.load_into_workspace(target, sources)
    problems = caught.value.problems
    assert _find(problems, layer="villages.geojson", row=1, field="code", text="duplicate")
    assert _find(
        problems, layer="villages.geojson", row="430623101777", text="township_code 430623102"
    )
    invalid = _find(
        problems, layer="villages.geojson", row="430623102202", text="Self-intersection"
    )
    assert invalid and "--fix" in invalid[0].message
    # a table's rows are its spreadsheet rows (S01 on row 2, under the header)
    assert _find(problems, layer="stations.csv", row=3, text="swapped")
    assert _find(problems, layer="stations.csv", row=2, text="not inside any township")
    unknown = _find(problems, layer="deputies.csv", row=2, field="station_id")
    assert unknown and unknown[0].value == "S99"
    assert _find(problems, layer="roads.shp", text="missing CRS")
    assert _fingerprint(target) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_fix_repairs_a_bowtie_polygon_and_writes(tmp_path: Path, ws: Workspace) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    before = _fingerprint(target)
    villages = ws.villages.copy()
    corners = ((6000, 1000), (9000, 4000), (9000, 1000), (6000, 4000))
    villages.loc[3, "geometry"] = Polygon([(_at(ws, *c).x, _at(ws, *c).y) for c in corners])
    source = tmp_path / "villages.gpkg"
    villages.to_file(source, layer="villages")

    with pytest.raises(ValidationError, match="Self-intersection"):
        io.load_into_workspace(target, {"villages": source})
    assert _fingerprint(target) == before

    _, warnings = io.load_into_workspace(target, {"villages": source}, fix=True)
    assert _find(warnings, row="430623102202", text="repaired")
    back = io.read_workspace(target)
    assert back.villages.geometry.is_valid.all()
    assert back.meta["source_villages"] == "villages.gpkg"
    assert_valid_workspace(back)


def test_loading_one_layer_keeps_the_others(tmp_path: Path, ws: Workspace) -> None:
    target = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, target)
    path = tmp_path / "deputies.csv"
    table = _deputies_table(ws.deputies).iloc[:4]
    table.to_csv(path, index=False, encoding="utf-8-sig")

    _, warnings = io.load_into_workspace(target, {"deputies": path}, meta={"note": "2024"})
    assert [p for p in warnings if p.severity != "note"] == []
    back = io.read_workspace(target)
    assert back.counts() == {**ws.counts(), "deputies": 4}
    assert back.deputies["level"].tolist() == ["national", "provincial", "municipal", "county"]
    assert back.deputies["phone"].tolist() == ws.deputies["phone"].iloc[:4].tolist()
    assert back.meta["note"] == "2024" and back.meta["county_code"] == "430623"
    assert_workspace_equal(replace(back, deputies=None), replace(ws, deputies=None))


def test_a_new_workspace_needs_the_required_layers(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "stations.csv"
    _stations_table(ws.stations).to_csv(path, index=False)
    target = tmp_path / "new.gpkg"
    with pytest.raises(ValidationError) as caught:
        io.load_into_workspace(target, {"stations": path})
    missing = {p.layer for p in caught.value.problems if "no " in p.message}
    assert missing == {"county", "townships", "villages"}
    assert not target.exists()


def test_preview_checks_everything_and_writes_nothing(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("county", "townships", "villages", "stations"):
        getattr(ws, name).to_file(folder / f"{name}.gpkg", layer=name)
    sources = {
        name: folder / f"{name}.gpkg" for name in ("county", "townships", "villages", "stations")
    }
    preview, _ = io.preview_workspace(None, sources)
    assert preview.counts() == {"county": 1, "townships": 2, "villages": 4, "stations": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    with pytest.raises(NotFoundError, match=r"nowhere\.csv"):
        io.preview_workspace(None, {**sources, "deputies": tmp_path / "nowhere.csv"})


# --- workspaces -------------------------------------------------------------------------------


def test_round_trip_keeps_codes_crs_counts_and_meta(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "huarong.gpkg"
    assert io.write_workspace(ws, path) == []
    back = io.read_workspace(path)
    assert_workspace_equal(ws, back)
    for name, gdf in back.layers().items():
        assert_layer_schema(gdf, name)
    assert back.villages["code"].tolist() == ws.villages["code"].tolist()
    assert back.meta["county_code"] == "430623" and back.meta["projected_crs"] == "EPSG:4547"
    assert back.meta["crs"] == "EPSG:4490"
    # What QGIS and plain geopandas see.
    plain = gpd.read_file(path, layer="villages")
    assert plain.crs.to_epsg() == 4490 and plain["code"].iloc[0] == "430623101001"
    assert set(pyogrio.list_layers(path)[:, 0]) == {*ws.layers(), "gridgov_meta", "gridgov_layers"}


def test_a_failed_write_leaves_the_old_file_and_no_debris(
    tmp_path: Path, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, path)
    before = _fingerprint(path)
    real = pyogrio.write_dataframe

    def disk_full(df: Any, target: Any, *, layer: str, **kwargs: Any) -> None:
        if layer == "deputies":
            raise OSError("No space left on device")
        real(df, target, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", disk_full)
    with pytest.raises(OSError, match="No space"):
        io.write_workspace(ws, path)
    assert _fingerprint(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["huarong.gpkg"]


def test_write_refuses_errors_and_projects_other_crs(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "huarong.gpkg"
    broken = ws.villages.copy()
    broken["township_code"] = "430623109"
    with pytest.raises(ValidationError, match="430623109 is not in the townships layer"):
        io.write_workspace(replace(ws, villages=broken), path)
    assert not path.exists()
    io.write_workspace(replace(ws, grids=ws.grids.to_crs(TINY_PROJECTED_CRS)), path)
    assert io.read_workspace(path).grids.crs.to_epsg() == 4490


def test_read_workspace_errors(tmp_path: Path, ws: Workspace) -> None:
    with pytest.raises(NotFoundError, match=r"missing\.gpkg"):
        io.read_workspace(tmp_path / "missing.gpkg")
    partial = tmp_path / "partial.gpkg"
    ws.county.to_file(partial, layer="county")
    with pytest.raises(ValidationError) as caught:
        io.read_workspace(partial)
    assert {p.layer for p in caught.value.problems} == {"townships", "villages", "stations"}


def test_workspace_info_numbers(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, path)
    info = io.workspace_info(path)
    assert json.loads(json.dumps(info)) == info
    assert info["county_code"] == "430623" and info["county_name"] == "华容县"
    assert info["crs"] == "EPSG:4490" and info["projected_crs"] == "EPSG:4547"
    assert info["counts"] == ws.counts()
    assert info["county_area_km2"] == pytest.approx(100.0, abs=0.01)
    assert info["villages_by_kind"] == {"village": 2, "community": 2}
    assert info["population_total"] == 13_000 and info["households_total"] == 4_440
    assert info["stations_by_tier"] == {"station": 1, "point": 1, "studio": 1, "post": 0}
    assert info["stations_by_kind"] == {"regional": 2, "industry": 1}
    assert info["deputies_by_level"] == {
        "national": 1,
        "provincial": 1,
        "municipal": 1,
        "county": 1,
        "township": 2,
    }
    assert info["grids"] == 8 and info["deputies_without_station"] == 0
    assert info["road_km_by_class"] == {
        "trunk": 9.8,
        "county": 9.8,
        "township": 0.0,
        "village": 2.9,
    }
    assert info["road_km_total"] == pytest.approx(22.5)
    assert info["file_size_bytes"] == path.stat().st_size


def test_write_table_csv_opens_in_excel_with_chinese(tmp_path: Path, ws: Workspace) -> None:
    path = io.write_table(ws.villages, tmp_path / "out" / "villages.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert back["name"].tolist() == ws.villages["name"].tolist()
    assert "geometry" not in back.columns
    with pytest.raises(ParameterError, match=r"villages\.dbf") as caught:
        io.write_table(ws.villages, tmp_path / "nothing" / "villages.dbf")
    assert caught.value.parameter == "path" and not (tmp_path / "nothing").exists()


def test_headers_are_matched_through_the_schema_labels() -> None:
    assert io.canonical_column("villages", "所属乡镇代码") == "township_code"
    assert io.canonical_column("villages", "所属乡镇编码") == "township_code"
    assert io.canonical_column("villages", "人口（人）") == "population"
    assert io.canonical_column("villages", "户数") == "households"
    assert io.canonical_column("villages", "ADCODE") == "code"
    assert io.canonical_column("villages", "township_c") == "township_code"  # DBF cut
    assert io.canonical_column("stations", "层级") == "tier"
    assert io.canonical_column("deputies", "层级") == "level"
    assert io.canonical_column("deputies", "手机") == "phone"
    assert io.canonical_column("roads", "道路等级") == "road_class"
    assert io.canonical_column("stations", "年运行经费") == "annual_cost_yuan"
    assert io.canonical_column("villages", "备注") is None


def _gcj_geometries(geoms: gpd.GeoSeries) -> np.ndarray:
    def forward(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(crs.wgs84_to_gcj02(coords[:, 0], coords[:, 1]))

    return shapely.transform(np.asarray(geoms.array, dtype=object), forward)


def test_township_polygons_from_wkt_in_gcj02_with_seats(tmp_path: Path, ws: Workspace) -> None:
    towns = ws.townships
    seat_lon, seat_lat = crs.wgs84_to_gcj02(towns["seat_lon"], towns["seat_lat"])
    table = pd.DataFrame(
        {
            "乡镇代码": towns["code"],
            "乡镇名称": towns["name"],
            "驻地经度": [f"{seat_lon[0]:.9f}", None],  # the second seat was never recorded
            "驻地纬度": [f"{seat_lat[0]:.9f}", None],
            "WKT": shapely.to_wkt(_gcj_geometries(towns.geometry), rounding_precision=-1),
        }
    )
    path = tmp_path / "townships.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    got = io.read_layer(path, layer="townships", source_crs="gcj02")

    assert got["code"].tolist() == ["430623101", "430623102"]
    moved = shapely.hausdorff_distance(got.geometry.array, towns.geometry.array)
    assert moved.max() < 1e-7  # degrees: about a centimetre
    seat_error = crs.haversine_m(
        got["seat_lon"].iloc[0],
        got["seat_lat"].iloc[0],
        towns["seat_lon"].iloc[0],
        towns["seat_lat"].iloc[0],
    )
    assert seat_error < 0.5
    filled = Point(got["seat_lon"].iloc[1], got["seat_lat"].iloc[1])
    assert got.geometry.iloc[1].contains(filled)

    table.loc[0, "驻地纬度"] = "北纬二十九度"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="townships", source_crs="gcj02")
    bad = _find(caught.value.errors, row=2, field="seat_lat")  # spreadsheet row 2
    assert bad and bad[0].value == "北纬二十九度"


def test_one_source_crs_for_a_whole_load_spares_files_that_declare_theirs(
    tmp_path: Path, ws: Workspace
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("county", "townships", "villages"):
        getattr(ws, name).to_file(folder / f"{name}.gpkg", layer=name)  # declared EPSG:4490
    table = _stations_table(ws.stations, source="gcj02")  # picked in AMap
    table.to_csv(folder / "stations.csv", index=False, encoding="utf-8-sig")
    sources = {name: folder / f"{name}.gpkg" for name in ("county", "townships", "villages")}
    sources["stations"] = folder / "stations.csv"

    loaded, warnings = io.load_into_workspace(tmp_path / "ws.gpkg", sources, source_crs="amap")
    assert _offset_m(loaded.stations, ws.stations).max() < 0.5
    required = replace(ws, settlements=None, grids=None, deputies=None, roads=None)
    assert_workspace_equal(replace(loaded, stations=ws.stations), required)  # not shifted
    spared = _find(warnings, text="--source-crs gcj02 was not applied")
    assert {p.layer for p in spared} == {"county.gpkg", "townships.gpkg", "villages.gpkg"}


def test_unsupported_files_and_layers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "villages.dwg"
    path.write_bytes(b"AC1032")
    with pytest.raises(ValidationError, match="unsupported file type"):
        io.read_layer(path, layer="villages")
    with pytest.raises(ValidationError, match="not a workspace layer"):
        io.read_layer(path, layer="hamlets")
    with pytest.raises(NotFoundError):
        io.read_layer(tmp_path / "absent.csv", layer="stations")


def test_result_layers_may_not_take_a_workspace_layer_name(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, path)
    before = _fingerprint(path)
    with pytest.raises(ParameterError, match="villages") as caught:
        io.write_result_layers(path, {"villages": ws.villages})
    assert caught.value.parameter == "layers" and caught.value.value == ["villages"]
    assert _fingerprint(path) == before
    with pytest.raises(NotFoundError, match=r"absent\.gpkg"):
        io.write_result_layers(tmp_path / "absent.gpkg", {"coverage": ws.villages})


def test_workspace_info_is_strict_json(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "huarong.gpkg"
    io.write_workspace(ws, path)
    info = io.workspace_info(path)
    text = json.dumps(info, allow_nan=False)  # raises on NaN or a NumPy number
    assert json.loads(text) == info


_FORMULAS = ['=HYPERLINK("http://x","y")', "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def test_xlsx_writes_text_that_looks_like_a_formula_as_text(tmp_path: Path) -> None:
    # a station named "=1+1" was stored as a formula: Excel ran it (formula injection)
    table = pd.DataFrame({"name": _FORMULAS, "n": range(len(_FORMULAS))})
    path = io.write_xlsx({"stations": table}, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(path)["stations"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * len(_FORMULAS)
    # (an XML reader turns the carriage return into a line feed: openpyxl's, not ours)
    assert [c.value for c in cells] == [f.replace("\r", "\n") for f in _FORMULAS]
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == list(range(len(_FORMULAS)))
    same = openpyxl.load_workbook(io.write_table(table, tmp_path / "t.xlsx"))["Sheet1"]
    assert [row[0].data_type for row in same.iter_rows(min_row=2)] == ["s"] * len(_FORMULAS)


def test_csv_quotes_text_that_looks_like_a_formula(tmp_path: Path) -> None:
    # OWASP: a leading ' keeps Excel from reading the field as a formula
    table = pd.DataFrame({"name": [*_FORMULAS, "华容站"], "n": [*range(len(_FORMULAS)), -3]})
    path = io.write_table(table, tmp_path / "out.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[0] for r in rows] == [*("'" + f for f in _FORMULAS), "华容站"]
    assert [r[1] for r in rows] == [*map(str, range(len(_FORMULAS))), "-3"]  # numbers stay
