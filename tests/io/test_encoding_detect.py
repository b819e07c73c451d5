"""Text encodings decided per file, said in a note, and applied only where the format lets
them: a GBK Shapefile without .cpg and a GB18030 CSV read right on the first try."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from planner_files import (
    RARE_NAME,
    PlannerFiles,
    assert_same_layer,
    planner_workspace,
    write_planner_files,
)

from gridgov import io, synth
from gridgov._errors import ValidationError
from gridgov.io import _files
from gridgov.io._files import detect_encoding
from gridgov.model import Workspace, require_layer


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return planner_workspace(synth.demo_county(seed=2024))


@pytest.fixture(scope="module")
def files(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> PlannerFiles:
    return write_planner_files(ws, tmp_path_factory.mktemp("planner"))


def _notes(path: object, layer: str, **options: object) -> list[str]:
    return [str(n) for n in io.read_file(path, layer, **options).notes]  # type: ignore[arg-type]


def _write_shp(gdf: gpd.GeoDataFrame, path: Path, **kwargs: object) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, **kwargs)
    return path


@pytest.mark.parametrize(
    ("text", "encoding", "shown"),
    [
        ("华容县章华镇城关社区", "utf-8", "UTF-8"),
        ("华容县章华镇城关社区", "utf-8-sig", "UTF-8 BOM"),
        ("华容县章华镇城关社区\n三封寺镇", "gbk", "GBK"),
        (f"代表{RARE_NAME}\n章华镇", "gb18030", "GB18030"),
        ("name,code\nHuarong,430623", "ascii", "UTF-8"),
        ("名称,代码\n华容,430623", "utf-16", "UTF-16"),
    ],
)
def test_encodings_are_told_apart(text: str, encoding: str, shown: str) -> None:
    found = detect_encoding(text.encode(encoding))
    assert found is not None and found[1] == shown
    assert text.encode(encoding).decode(found[0]).lstrip("\ufeff") == text


def test_gbk_shapefile_without_cpg_reads_right_and_says_so(
    files: PlannerFiles, ws: Workspace
) -> None:
    assert not files.villages.with_suffix(".cpg").exists()
    got = io.read_layer(files.villages, layer="villages")
    assert_same_layer(got, ws.villages, key="code")
    assert "三封寺社区" in set(got["name"])
    assert (
        "villages.shp: 编码 GBK（自动识别：无 .cpg 文件；不对请写 villages.shp@utf-8）"
        in _notes(files.villages, "villages")
    )


def test_gb18030_csv_reads_right_and_says_so(files: PlannerFiles, ws: Workspace) -> None:
    got = io.read_layer(files.deputies, layer="deputies")
    assert_same_layer(got, ws.deputies, key="deputy_id")
    assert RARE_NAME in set(got["name"])  # outside GBK: the file is GB18030
    assert any(
        n.startswith("deputies.csv: 编码 GB18030（自动识别")
        for n in _notes(files.deputies, "deputies")
    )


def test_a_cpg_wins_over_the_encoding_given_for_every_file(tmp_path: Path, ws: Workspace) -> None:
    path = _write_shp(
        ws.townships.rename(columns={"name": "名称"}), tmp_path / "t.shp", encoding="UTF-8"
    )
    got = io.read_layer(path, layer="townships", encoding="GBK")
    assert got["name"].tolist() == ws.townships["name"].tolist()
    assert "t.shp: 编码 UTF-8（.cpg 声明；未用 --encoding GBK）" in _notes(
        path, "townships", encoding="GBK"
    )


def test_a_wrong_cpg_is_found_out(tmp_path: Path, ws: Workspace) -> None:
    path = _write_shp(
        ws.townships.rename(columns={"name": "名称"}), tmp_path / "t.shp", encoding="GBK"
    )
    path.with_suffix(".cpg").write_text("UTF-8")
    got = io.read_layer(path, layer="townships")
    assert got["name"].tolist() == ws.townships["name"].tolist()
    notes = _notes(path, "townships")
    assert any("编码 GBK（自动识别：.cpg 声明 UTF-8，但文字不是 UTF-8" in n for n in notes)


def test_an_encoding_for_one_file_beats_its_cpg(tmp_path: Path, ws: Workspace) -> None:
    path = _write_shp(
        ws.townships.rename(columns={"name": "名称"}), tmp_path / "t.shp", encoding="GBK"
    )
    path.with_suffix(".cpg").write_text("UTF-8")
    got = io.read_layer(io.SourceFile.parse(f"{path}@gbk"), layer="townships")
    assert got["name"].tolist() == ws.townships["name"].tolist()
    assert _notes(io.SourceFile(path, encoding="gbk"), "townships")[0] == (
        "t.shp: 编码 GBK（按 t.shp@gbk；.cpg 声明 UTF-8）"
    )


def test_a_wrong_encoding_named_by_the_user_is_refused_not_guessed_over(
    tmp_path: Path, ws: Workspace
) -> None:
    path = _write_shp(
        ws.townships.rename(columns={"name": "名称"}), tmp_path / "t.shp", encoding="GBK"
    )
    path.with_suffix(".cpg").unlink()
    with pytest.raises(ValidationError) as caught:
        io.read_layer(path, layer="townships", encoding="latin-1")
    message = str(caught.value)
    assert "读出的文字是乱码" in message and "t.shp@gbk" in message
    assert any(name in message for name in ws.townships["name"])  # as it would read in GBK


def test_mojibake_left_by_the_sniffing_is_read_as_gbk_and_said(
    tmp_path: Path, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_shp(
        ws.townships.rename(columns={"name": "名称"}), tmp_path / "t.shp", encoding="GBK"
    )
    path.with_suffix(".cpg").unlink()
    monkeypatch.setattr(_files, "detect_encoding", lambda data: None)  # GDAL reads Latin-1
    got = io.read_layer(path, layer="townships")
    assert got["name"].tolist() == ws.townships["name"].tolist()
    assert "t.shp: 编码 GBK（自动识别：按 ISO-8859-1 读出是乱码；不对请写 t.shp@utf-8）" in _notes(
        path, "townships"
    )


@pytest.mark.parametrize("suffix", ["geojson", "gpkg", "kml"])
def test_formats_that_fix_utf8_ignore_an_encoding(
    tmp_path: Path, ws: Workspace, suffix: str
) -> None:
    path = tmp_path / f"grids.{suffix}"
    grids = require_layer(ws, "grids").iloc[:20]
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML"}[suffix]
    pyogrio.write_dataframe(grids.rename(columns={"name": "Name"}), path, driver=driver)
    got = io.read_layer(path, layer="grids", encoding="GBK")
    assert got["name"].tolist() == grids["name"].tolist()
    spec = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "kml": "KML"}[suffix]
    assert f"grids.{suffix}: 编码 UTF-8（{spec} 规定；未用 --encoding GBK）" in _notes(
        path, "grids", encoding="GBK"
    )


@pytest.mark.parametrize(
    ("encoding", "shown"), [("utf-8-sig", "UTF-8 BOM"), ("gbk", "GBK"), ("utf-8", "UTF-8")]
)
def test_csv_encodings_are_detected(
    tmp_path: Path, ws: Workspace, encoding: str, shown: str
) -> None:
    d = require_layer(ws, "deputies").iloc[1:31]  # the first has a name GBK cannot write
    table = pd.DataFrame(
        {
            "代表编号": d["deputy_id"],
            "姓名": d["name"],
            "代表层级": ["乡镇"] * len(d),
            "经度": d.geometry.x,
            "纬度": d.geometry.y,
        }
    )
    path = tmp_path / "deputies.csv"
    table.to_csv(path, index=False, encoding=encoding)
    got = io.read_layer(path, layer="deputies")
    assert got["name"].tolist() == d["name"].tolist()
    assert _notes(path, "deputies")[0].startswith(f"deputies.csv: 编码 {shown}（自动识别")
    # the encoding given for every file is used for a CSV, and said
    given = _notes(path, "deputies", encoding=encoding)
    assert given[0].endswith("（按 --encoding）")
