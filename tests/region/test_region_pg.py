"""A region in PostgreSQL + PostGIS: one county per schema, loaded with ``gridgov db``.

The counties are imported the way a province office would (``gridgov db init`` and
``gridgov db import COUNTY.gpkg DSN`` per county, each DSN putting the county's schema first
on its search_path); the region DSN names those schemas. Each Dask worker reads its own
county from the database. The oracle is the same region given as the counties'
GeoPackages: every county's files must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from gridgov.cli import main

from .conftest import Cluster

# three counties through a real cluster, twice over (database and folder): > 20 s
pytestmark = pytest.mark.slow

_TABLES = ("coverage-villages.csv", "coverage-stations.csv", "coverage-gaps.csv")


def _with_path(dsn: str, schemas: list[str]) -> str:
    """``dsn`` (a URL) with ``options=-c search_path=...``."""
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", "-c search_path=" + ",".join(schemas)))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _schema_of(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json", "--lang", "en"])
    return code, json.loads(capsys.readouterr().out)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pg_region(
    county_workspaces: Path, pg_schema: Callable[..., str], pg_base_dsn: str
) -> tuple[str, list[str]]:
    """Three counties, each imported with ``gridgov db import`` into a schema of its own;
    the region DSN (those schemas first on its search_path) and the county codes."""
    if not pg_base_dsn.startswith("postgresql://"):
        pytest.skip("GRIDGOV_PG_DSN is not a postgresql:// URL")
    files = sorted(county_workspaces.glob("*.gpkg"))[:3]
    schemas = []
    for ws in files:
        dsn = pg_schema()  # migrated: what `gridgov db init` leaves
        assert main(["db", "import", str(ws), dsn]) == 0
        schemas.append(_schema_of(dsn))
    with psycopg.connect(pg_base_dsn) as conn:
        row = conn.execute("SHOW search_path").fetchone()
    behind = [s.strip() for s in str(row[0] if row else "public").split(",")]
    return _with_path(pg_base_dsn, [*schemas, *behind]), [ws.stem for ws in files]


def test_region_info_on_a_database_lists_each_schema_county(
    pg_region: tuple[str, list[str]],
    county_workspaces: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn, codes = pg_region
    code, info = _run(capsys, "region", "info", dsn)
    assert code == 0
    assert [r["code"] for r in info["by_county"]] == codes
    code, folder = _run(capsys, "region", "info", str(county_workspaces))
    assert code == 0
    by_code = {r["code"]: r for r in folder["by_county"]}
    for row in info["by_county"]:
        for key in ("name", "townships", "villages", "stations", "population"):
            assert row[key] == by_code[row["code"]][key], key
        assert "schema=" in row["source"]


def test_coverage_and_consolidation_of_a_database_region_equal_the_folder_runs(
    pg_region: tuple[str, list[str]],
    county_workspaces: Path,
    cluster: Cluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn, codes = pg_region
    only = ",".join(codes)
    db_out, folder_out = tmp_path / "db", tmp_path / "folder"
    code, db = _run(
        capsys, "coverage", dsn, "--scheduler", cluster.address, "--out", str(db_out)
    )  # fmt: skip
    assert code == 0, db
    code, folder = _run(
        capsys, "coverage", str(county_workspaces), "--counties", only, "--workers", "0",
        "--out", str(folder_out), "--no-map",
    )  # fmt: skip
    assert code == 0, folder
    assert db["summary"]["engine"] == cluster.address and db["summary"]["done"] == 3
    assert db["summary"]["by_county"] == folder["summary"]["by_county"]
    assert db["summary"]["totals"] == folder["summary"]["totals"]
    for c in codes:
        mine, theirs = db_out / "counties" / c, folder_out / "counties" / c
        assert _json(mine / "coverage-summary.json") == _json(theirs / "coverage-summary.json")
        for name in _TABLES:
            assert (mine / name).read_bytes() == (theirs / name).read_bytes(), name
    # the region map, its outlines read from the database, links each county's own map
    page = (db_out / "region-map.html").read_text(encoding="utf-8")
    assert all(f"counties/{c}/coverage-map.html" in page for c in codes)

    plan_db, plan_folder = tmp_path / "plan-db", tmp_path / "plan-folder"
    rule = ("--keep-share", "0.8", "--model", "p-median", "--no-map")
    code, db = _run(
        capsys, "consolidate", dsn, "--scheduler", cluster.address, "--out", str(plan_db), *rule
    )  # fmt: skip
    assert code == 0, db
    code, folder = _run(
        capsys, "consolidate", str(county_workspaces), "--counties", only, "--workers", "0",
        "--out", str(plan_folder), *rule,
    )  # fmt: skip
    assert code == 0, folder
    for c in codes:
        mine = _json(plan_db / "counties" / c / "consolidation.json")
        theirs = _json(plan_folder / "counties" / c / "consolidation.json")
        for plan in (mine, theirs):
            plan["summary"].pop("solve_s")
        assert mine == theirs
    assert sum(r["stations_closed"] for r in db["summary"]["by_county"]) > 0


def test_an_unreachable_database_or_one_without_counties_exits_2_in_chinese(
    pg_schema: Callable[..., str],
    pg_base_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gridgov.testing import free_port

    nowhere = f"postgresql://gridgov@127.0.0.1:{free_port()}/province"
    assert main(["region", "info", nowhere]) == 2
    err = capsys.readouterr().err
    assert "无法连接区域数据库" in err and f":{nowhere.rsplit(':', 1)[1]}" in err
    # initialised for a county, nothing imported yet: no county in it
    empty = _with_path(pg_base_dsn, [_schema_of(pg_schema())])
    out = tmp_path / "out"
    assert main(["coverage", empty, "--workers", "0", "--out", str(out)]) == 2
    assert "没有县级工作区" in capsys.readouterr().err
    assert not out.exists()
