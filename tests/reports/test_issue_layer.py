"""The issues layer in the workspace: dates QGIS reads as dates, in Beijing time, quietly.

Dates were written as text ("2026-11-16T09:30:00+08:00"): QGIS could not filter or sort
them as dates. Written as GeoPackage DATETIME fields they are; with a "+08:00" offset GDAL
would warn "non-conformant content" on every read, and in UTC a 09:30 whistle would read
01:30, so they hold Beijing wall-clock time and their field names say so. Run through the
demo's own week on a small county, read back by GDAL (``ogrinfo`` when installed, else
pyogrio, the same library) and sqlite3.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from gridgov import io, synth
from gridgov.cli.demo import _run_issue_week
from gridgov.issues.layers import LAYER_DATES
from gridgov.issues.service import IssueService
from gridgov.model import CHINA_TIME
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("issue-layer")
    workspace = root / "county.gpkg"
    io.write_workspace(synth.synth_county(seed=5, n_villages=24), workspace)
    _run_issue_week(workspace, root, settings=Settings(), seed=5)
    service = IssueService.open(workspace, workspace.with_suffix(".issues.sqlite"))
    issues, _ = service.store.list_issues(IssueQuery(limit=1_000_000))
    service.store.close()
    return {"workspace": workspace, "issues": {i.issue_id: i for i in issues}}


def _rows(path: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_dates_are_datetime_fields_read_without_a_gdal_warning(
    week: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    path = week["workspace"]
    declared = dict(_rows(path, "SELECT name, type FROM pragma_table_info('issues')"))
    assert {declared[name] for name in LAYER_DATES} == {"DATETIME"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's "non-conformant content" is a RuntimeWarning
        info = pyogrio.read_info(path, layer="issues")
        frame = pyogrio.read_dataframe(path, layer="issues", read_geometry=False)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert all(str(types[name]).startswith("datetime64") for name in LAYER_DATES), types
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert frame["created_at"].notna().all() and frame["closed_at"].notna().any()


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (gdal-bin) not installed")
def test_ogrinfo_lists_the_dates_as_datetime(week: dict[str, Any]) -> None:
    done = subprocess.run(
        ["ogrinfo", "-so", str(week["workspace"]), "issues"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in LAYER_DATES:
        assert f"{name}: DateTime" in done.stdout
    assert "Warning" not in done.stderr and "non-conformant" not in done.stderr.lower()


def test_dates_hold_beijing_wall_clock_time(week: dict[str, Any]) -> None:
    path = week["workspace"]
    stored = dict(_rows(path, "SELECT issue_id, created_at FROM issues"))
    assert stored
    for issue_id, text in stored.items():
        created = week["issues"][issue_id].created_at.astimezone(CHINA_TIME)
        assert datetime.fromisoformat(text) == created.replace(tzinfo=None, microsecond=0)
        assert not text.endswith("Z") and "+" not in text


def test_qgis_names_the_dates_as_beijing_time_and_states_in_chinese(
    week: dict[str, Any],
) -> None:
    path = week["workspace"]
    aliases = dict(
        _rows(
            path,
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'issues'",
        )
    )
    assert aliases["created_at"] == "提出时间（北京时间）"
    assert aliases["closed_at"] == "办结时间（北京时间）"
    (style,) = _rows(path, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'issues'")[0]
    assert 'attr="status"' in style and 'label="已吹哨"' in style
