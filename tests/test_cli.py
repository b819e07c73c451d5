"""The ``gridgov`` command as a planner uses it: demo, info, load, validate, synth."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon

from gridgov import cli, crs, synth


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo", "--out", str(out), "--json"]) == 0
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_builds_huarong_with_real_codes(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = demo_dir / "huarong.gpkg"
    code, out, _ = run(capsys, "info", str(workspace), "--json")
    assert code == 0
    info = json.loads(out)
    counts = info["counts"]
    assert counts["townships"] == 14
    assert counts["villages"] == 225
    assert counts["stations"] == 97
    assert counts["grids"] > 225 and counts["deputies"] > 500 and counts["roads"] > 100
    assert info["county_code"] == "430623"

    villages = gpd.read_file(workspace, layer="villages")
    assert villages.crs.to_epsg() == 4490
    assert {"430623101001", "430623207001"} <= set(villages["code"])  # 三封寺社区, 团洲乡居委会
    assert villages.set_index("code").loc["430623101001", "name"] == "三封寺社区"
    assert villages["kind"].value_counts().to_dict() == {"village": 171, "community": 54}

    deputies = gpd.read_file(workspace, layer="deputies")
    assert set(deputies["level"]) == {"national", "provincial", "municipal", "county", "township"}
    stations = gpd.read_file(workspace, layer="stations")
    assert (stations["tier"] == "station").sum() == 14
    assert (stations["kind"] == "industry").sum() == 4

    roster = pd.read_excel(demo_dir / "huarong-roster.xlsx", sheet_name=None)
    assert "代表联络站点" in roster and "人大代表" in roster
    assert "电话" not in roster["人大代表"].columns  # personal data stays out of shared files


def test_info_text_and_missing_file(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", str(demo_dir / "huarong.gpkg"))
    assert code == 0 and "华容县" in out
    code, _, err = run(capsys, "info", str(demo_dir / "nope.gpkg"))
    assert code == 2 and "nope.gpkg" in err


def test_broken_input_set_reports_every_problem_and_writes_nothing(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "county.gpkg"
    shutil.copy(demo_dir / "huarong.gpkg", workspace)
    before = _digest(workspace)
    mtime = workspace.stat().st_mtime_ns

    villages = gpd.read_file(workspace, layer="villages")
    villages.loc[1, "code"] = villages.loc[0, "code"]  # duplicate code
    villages.loc[2, "code"] = "430623999" + villages.loc[2, "code"][9:]  # does not nest
    bowtie = Polygon([(112.5, 29.5), (112.52, 29.52), (112.52, 29.5), (112.5, 29.52)])
    villages.loc[3, "geometry"] = bowtie  # invalid geometry
    villages_file = tmp_path / "villages.geojson"
    villages.to_file(villages_file, driver="GeoJSON")

    stations = gpd.read_file(workspace, layer="stations")
    table = pd.DataFrame(stations.drop(columns="geometry"))
    table["经度"] = stations.geometry.x
    table["纬度"] = stations.geometry.y
    table.loc[0, ["经度", "纬度"]] = [stations.geometry.y[0], stations.geometry.x[0]]  # swapped
    table.loc[1, ["经度", "纬度"]] = [113.9, 29.5]  # far outside the county
    stations_file = tmp_path / "stations.csv"
    table.to_csv(stations_file, index=False, encoding="utf-8-sig")

    deputies = gpd.read_file(workspace, layer="deputies")
    deputies.loc[0, "station_id"] = "NO-SUCH-STATION"
    deputies_file = tmp_path / "deputies.gpkg"
    deputies.to_file(deputies_file, layer="deputies", driver="GPKG")

    code, out, err = run(
        capsys,
        "--lang",
        "en",
        "load",
        str(workspace),
        "--villages",
        str(villages_file),
        "--stations",
        str(stations_file),
        "--deputies",
        str(deputies_file),
        "--json",
    )
    assert code == 2
    report = json.loads(out)
    messages = " | ".join(
        f"{p['layer']}:{p['row']}:{p['field']}:{p['value']}:{p['message']}"
        for p in report["problems"]
    )
    assert villages.loc[0, "code"] in messages  # the duplicate
    assert "430623999" in messages  # the code that does not nest
    assert "NO-SUCH-STATION" in messages
    assert "swap" in messages.lower()
    assert "invalid" in messages.lower() or "self-intersection" in messages.lower()
    assert "outside" in messages.lower()
    assert "nothing was written" in err
    assert _digest(workspace) == before and workspace.stat().st_mtime_ns == mtime
    # every problem is also listed beside the workspace, which stays as it was
    listed = pd.read_excel(tmp_path / "county.problems.xlsx", engine="openpyxl")
    assert len(listed) == len([p for p in report["problems"] if p["severity"] != "note"])
    assert report["problems_xlsx"] == str(tmp_path / "county.problems.xlsx")


def test_load_gcj02_csv_lands_on_true_position(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "county.gpkg"
    shutil.copy(demo_dir / "huarong.gpkg", workspace)
    stations = gpd.read_file(workspace, layer="stations")
    glon, glat = crs.wgs84_to_gcj02(stations.geometry.x, stations.geometry.y)
    table = pd.DataFrame(stations.drop(columns="geometry"))
    table["lng"], table["lat"] = glon, glat  # what an AMap export looks like
    path = tmp_path / "stations_amap.csv"
    table.to_csv(path, index=False, encoding="gb18030")
    code, _, err = run(
        capsys, "load", str(workspace), "--stations", str(path), "--source-crs", "gcj02"
    )
    assert code == 0, err
    loaded = gpd.read_file(workspace, layer="stations").set_index("station_id")
    truth = stations.set_index("station_id").loc[loaded.index]
    err_m = crs.haversine_m(
        loaded.geometry.x, loaded.geometry.y, truth.geometry.x, truth.geometry.y
    )
    assert np.max(err_m) < 0.5


def test_gbk_shapefile_without_cpg(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "county.gpkg"
    shutil.copy(demo_dir / "huarong.gpkg", workspace)
    villages = gpd.read_file(workspace, layer="villages")
    shp = tmp_path / "villages.shp"
    villages.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)

    # read as GBK on the first try, and the guess is printed so the user can override it
    code, out, err = run(capsys, "load", str(workspace), "--villages", str(shp))
    assert code == 0, err
    assert "villages.shp" in out + err and "GBK" in out + err
    assert "三封寺社区" in set(gpd.read_file(workspace, layer="villages")["name"])


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_load_projected_townships_without_seats_derives_them(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bureau's township file in a Gauss-Kruger CRS with no 驻地 columns loads."""
    ws = synth.synth_county(seed=1, n_villages=30)
    workspace = tmp_path / "workspace.gpkg"
    argv = ["load", str(workspace), "--json"]
    for name in ("county", "townships", "villages", "stations"):
        layer = ws.layers()[name].to_crs("EPSG:4547")
        if name == "townships":
            layer = layer.drop(columns=["seat_lon", "seat_lat"])
        path = tmp_path / f"{name}.{suffix}"
        layer.to_file(path)
        argv += [f"--{name}", str(path)]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    warned = [w for w in json.loads(out)["warnings"] if w["field"] == "seat_lon"]
    assert warned and warned[0]["value"] == str(len(ws.townships))  # every seat was derived
    townships = gpd.read_file(workspace, layer="townships")
    seats = gpd.points_from_xy(townships["seat_lon"], townships["seat_lat"], crs=townships.crs)
    assert len(townships) == len(ws.townships)
    assert bool(townships.geometry.contains(gpd.GeoSeries(seats, index=townships.index)).all())


def test_validate_reports_and_never_writes(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "validate", str(demo_dir / "huarong.gpkg"), "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, _, err = run(capsys, "validate")
    assert code == 2 and "WORKSPACE" in err


def test_synth_county_and_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "synth", str(tmp_path / "c.gpkg"), "--villages", "40", "--json")
    assert code == 0, err
    assert json.loads(out)["counts"]["villages"] == 40
    code, out, err = run(
        capsys,
        "synth",
        str(tmp_path / "region"),
        "--villages",
        "300",
        "--villages-per-county",
        "100",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"]["villages"] == 300 and summary["parts"] >= 1


def test_unexpected_error_is_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli.data, "cmd_info", boom)  # build_parser binds it at call time
    code, _, err = run(capsys, "info", "x.gpkg")
    assert code == 1 and "缺陷" in err and "RuntimeError" in err  # 缺陷: a bug


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("gridgov")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("gridgov ")


def test_coverage_command_writes_report_and_layers(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "county.gpkg"
    shutil.copy(demo_dir / "huarong.gpkg", workspace)
    out = tmp_path / "cov"
    code, stdout, err = run(
        capsys,
        "coverage",
        str(workspace),
        "--standard",
        "20min:ebike",
        "--out",
        str(out),
        "--no-map",
        "--json",
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["summary"]["standard"] == "20min:ebike"
    assert payload["summary"]["n_villages"] == 225
    assert (out / "coverage.xlsx").exists() and (out / "coverage-gaps.csv").exists()
    layers = set(gpd.list_layers(workspace)["name"])
    assert "coverage_service_areas" in layers
    code, _, err = run(capsys, "coverage", str(workspace), "--standard", "fast", "--no-map")
    assert code == 2 and "fast" in err


def test_demo_writes_coverage(demo_dir: Path) -> None:
    summary = json.loads((demo_dir / "coverage" / "coverage-summary.json").read_text("utf-8"))
    assert summary["n_villages"] == 225 and summary["method"] == "network"
    book = pd.read_excel(demo_dir / "coverage" / "coverage.xlsx", sheet_name=None)
    assert set(book) == {"概况", "村（社区）", "站点", "缺口", "代表编组", "方法说明"}
    assert len(book["代表编组"]) > 500


def test_load_keeps_every_layer_it_does_not_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a successful load used to rewrite the file with the workspace layers only: results,
    # the issues layer, the planner's own layers and QGIS styles were gone, exit 0
    import sqlite3

    import pyogrio

    from gridgov import io
    from gridgov.testing import tiny_workspace

    workspace = tmp_path / "county.gpkg"
    io.write_workspace(tiny_workspace(), workspace)
    villages = gpd.read_file(workspace, layer="villages")
    result = villages[["code", "geometry"]].assign(covered=True)
    io.write_result_layers(workspace, {"coverage_villages": result})
    notes = gpd.GeoDataFrame(
        {"note": ["桥坏了", "=1+1"]},
        geometry=villages.geometry.representative_point()[:2],
        crs=villages.crs,
    )
    pyogrio.write_dataframe(notes, workspace, layer="my_notes", driver="GPKG")
    styles = pd.DataFrame({"f_table_name": ["my_notes"], "styleQML": ["<qgis/>"]})
    pyogrio.write_dataframe(styles, workspace, layer="layer_styles", driver="GPKG")
    with sqlite3.connect(workspace) as db:  # a table GDAL does not list as a layer
        db.execute("CREATE TABLE plain_notes (x TEXT)")
        db.execute("INSERT INTO plain_notes VALUES ('kept')")
    db.close()
    others = ["coverage_villages", "my_notes", "layer_styles"]
    before = {name: gpd.read_file(workspace, layer=name) for name in others}

    stations = gpd.read_file(workspace, layer="stations")
    stations.loc[0, "name"] = "新站名"
    new = tmp_path / "new.geojson"
    stations.to_file(new, driver="GeoJSON")
    code, _, err = run(capsys, "load", str(workspace), "--stations", str(new))
    assert code == 0, err

    assert "新站名" in set(gpd.read_file(workspace, layer="stations")["name"])
    layers = {name for name, _ in pyogrio.list_layers(workspace)}
    assert set(others) <= layers
    for name in others:
        pd.testing.assert_frame_equal(
            pd.DataFrame(gpd.read_file(workspace, layer=name)), pd.DataFrame(before[name])
        )
    with sqlite3.connect(workspace) as db:
        assert db.execute("SELECT x FROM plain_notes").fetchall() == [("kept",)]
    db.close()
