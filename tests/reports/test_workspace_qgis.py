"""The workspace as QGIS opens it: GeoPackage 1.2, styles, Chinese names, a shareable copy.

Read back with sqlite3 (the GeoPackage tables QGIS and GDAL read) and pyogrio (GDAL):
every result layer has a default style in ``layer_styles`` classifying what the HTML
map classifies, Chinese field names in ``gpkg_data_columns`` and a Chinese title in
``gpkg_contents``; the copy made with ``--share`` has no phone or contact column left,
not even in the file's free pages.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from gridgov import io
from gridgov.cli import main
from gridgov.testing import tiny_workspace

_RESULTS = ("coverage_villages", "coverage_gap_sites", "coverage_service_areas",
            "plan_stations", "plan_villages", "plan_absorb")  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qgis")
    path = root / "tiny.gpkg"
    io.write_workspace(tiny_workspace(), path)
    assert main(["coverage", str(path), "--standard", "10min:ebike", "--out", str(root / "c"),
                 "--no-map", "--share", str(root / "shared.gpkg"), "--json"]) == 0  # fmt: skip
    assert main(["consolidate", str(path), "--target", "2", "--standard", "10min:ebike",
                 "--keep-tiers", "station", "--curve", "none", "--out", str(root / "p"),
                 "--no-map", "--json"]) == 0  # fmt: skip
    return path


def _rows(path: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_workspace_is_geopackage_1_2_and_gdal_reads_it_quietly(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (version,) = _rows(workspace, "PRAGMA user_version")[0]
    (app,) = _rows(workspace, "PRAGMA application_id")[0]
    assert (version, app) == (10200, 0x47504B47)  # "GPKG", version 1.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = {str(n) for n in pyogrio.list_layers(workspace)[:, 0]}
        for name in _RESULTS:
            pyogrio.read_info(workspace, layer=name)
    assert set(_RESULTS) <= names
    assert "layer_styles" in names  # registered like QGIS registers it
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_every_result_layer_has_a_default_qgis_style(workspace: Path) -> None:
    styles = {
        str(r[0]): r
        for r in _rows(
            workspace,
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
            "FROM layer_styles",
        )
    }
    assert set(_RESULTS) <= set(styles)
    for name in _RESULTS:
        _, geom, style_name, qml, default = styles[name]
        assert geom == "geom" and style_name == "gridgov" and default == 1
        root = ET.fromstring(str(qml).split("'SYSTEM'>", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
    villages = ET.fromstring(str(styles["coverage_villages"][3]).split("'SYSTEM'>", 1)[1])
    renderer = villages.find("renderer-v2")
    assert renderer is not None and renderer.get("attr") == "travel_min"
    labels = [r.get("label") for r in renderer.iter("range")]
    assert labels == ["0–3.33333分钟", "3.33333–6.66667分钟", "6.66667–10分钟", "超出电动车10分钟"]
    # beyond the standard is hatched, as on the map
    assert any(o.get("value") == "b_diagonal" for o in renderer.iter("Option"))
    stations = ET.fromstring(str(styles["plan_stations"][3]).split("'SYSTEM'>", 1)[1])
    cats = {c.get("value"): c.get("label") for c in stations.iter("category")}
    assert cats["closed"] == "撤并" and cats["kept (must)"] == "必须保留"


def test_fields_and_layers_read_in_chinese(workspace: Path) -> None:
    aliases = dict(
        _rows(
            workspace,
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = ?",
            "coverage_villages",
        )
    )
    assert aliases["travel_min"] == "用时（分钟）" and aliases["covered"] == "是否达标"
    titles = dict(_rows(workspace, "SELECT table_name, identifier FROM gpkg_contents"))
    assert titles["plan_stations"].startswith("撤并方案：站点")
    assert titles["coverage_villages"].startswith("覆盖：")
    values = _rows(
        workspace,
        "SELECT value, description FROM gpkg_data_column_constraints WHERE constraint_name = ?",
        "plan_stations_decision",
    )
    assert ("closed", "撤并") in values
    ext = _rows(
        workspace, "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
    )
    assert {"gpkg_data_columns", "gpkg_data_column_constraints"} <= {r[0] for r in ext}
    # minutes beside seconds, Chinese beside codes, in the layer itself
    frame = pyogrio.read_dataframe(workspace, layer="plan_stations", read_geometry=False)
    assert {"decision_zh", "tier_zh", "absorb_min"} <= set(frame.columns)
    assert set(frame["decision_zh"]) <= {"必须保留", "保留", "撤并", "按要求撤并", "新设"}


def test_share_copy_holds_no_personal_data(workspace: Path) -> None:
    shared = workspace.with_name("shared.gpkg")
    assert shared.is_file()
    for path in (workspace, shared):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pyogrio.list_layers(path)
    full = {c for (c,) in _rows(workspace, "SELECT name FROM pragma_table_info('deputies')")}
    assert "phone" in full  # the workspace itself keeps what the office needs
    tables = [t for (t,) in _rows(shared, "SELECT table_name FROM gpkg_contents")]
    for table in tables:
        cols = {c for (c,) in _rows(shared, f"SELECT name FROM pragma_table_info('{table}')")}
        assert not {c for c in cols if "phone" in c or c in ("worker_name", "contact_name")}, table
    phones = [p for (p,) in _rows(workspace, "SELECT phone FROM deputies") if p]
    assert phones and not any(p.encode() in shared.read_bytes() for p in phones)
    # the shared copy still opens as a workspace, results and styles included
    shared_deputies, own_deputies = (
        io.read_workspace(shared).deputies,
        io.read_workspace(workspace).deputies,
    )
    assert shared_deputies is not None and own_deputies is not None
    assert len(shared_deputies) == len(own_deputies)
    assert _rows(shared, "SELECT count(*) FROM layer_styles")[0][0] >= 3


def test_gdals_own_ogrinfo_opens_every_layer_without_a_warning(workspace: Path) -> None:
    # what a planner's QGIS (GDAL underneath) meets: `ogrinfo` on the whole workspace, each
    # layer summarised, nothing on stderr (GDAL prints its warnings there)
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        if os.environ.get("GRIDGOV_REQUIRE_PG"):  # .ci/run installs gdal-bin: never skip there
            pytest.fail("ogrinfo is missing (apt-get install gdal-bin)")
        pytest.skip("ogrinfo (gdal-bin) not installed")
    done = subprocess.run([ogrinfo, "-ro", "-al", "-so", str(workspace)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""
    for name in (*_RESULTS, "villages", "stations"):
        assert f"Layer name: {name}\n" in done.stdout
    assert "Geometry: " in done.stdout and "Feature Count: " in done.stdout
