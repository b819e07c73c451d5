"""``gridgov db init|migrate|import|status`` and the issue service over PostgreSQL:
``gridgov serve postgresql://...``, ``token`` and ``tick`` with a DSN, ``--db postgresql://``.

Needs ``GRIDGOV_PG_DSN`` (tests/conftest.py); every test gets a fresh schema, and the
PostGIS-less database is a database of its own, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from gridgov import io, synth
from gridgov.cli import main
from gridgov.testing import free_port, wait_for_health

psycopg = pytest.importorskip("psycopg")

from gridgov.store.pg_workspace import read_workspace_pg  # noqa: E402
from gridgov.store.postgis import available_migrations  # noqa: E402

#: Every shipped migration file, and the newest version.
MIGRATIONS = [m.filename for m in available_migrations()]
HEAD = available_migrations()[-1].version


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Exit code, stdout (parsed when --json), stderr of one ``gridgov`` call."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    if "--json" in argv and out.strip():
        return code, json.loads(out), err
    return code, out, err


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clidb") / "county.gpkg"
    io.write_workspace(synth.demo_county(seed=2024), path)
    return path


@pytest.fixture
def fresh(pg_schema: Callable[..., str]) -> str:
    """An empty schema: no tables yet (PostGIS visible behind it on the search_path)."""
    return pg_schema(migrated=False)


@pytest.fixture
def loaded(pg_schema: Callable[..., str], gpkg: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A schema after ``db init`` and ``db import`` of the demo county."""
    dsn = pg_schema(migrated=False)
    assert run(capsys, "db", "init", dsn)[0] == 0
    assert run(capsys, "db", "import", gpkg, dsn)[0] == 0
    return dsn


@pytest.fixture
def no_postgis(pg_base_dsn: str) -> Iterator[str]:
    """A database of its own, made from template0: no PostGIS."""
    name = f"gg_nopostgis_{secrets.token_hex(4)}"
    with psycopg.connect(pg_base_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    info = psycopg.conninfo.conninfo_to_dict(pg_base_dsn)
    user = info.get("user") or "postgres"
    host, port = info.get("host") or "127.0.0.1", info.get("port") or "5432"
    yield f"postgresql://{user}@{host}:{port}/{name}"
    with psycopg.connect(pg_base_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_init_import_status(fresh: str, gpkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "init", fresh, "--json")
    assert code == 0
    assert out["applied"] == MIGRATIONS and out["schema_version"] == HEAD and out["postgis"]
    code, out, _ = run(capsys, "db", "init", fresh, "--json")  # again: nothing to do
    assert code == 0 and out["applied"] == []

    code, out, _ = run(capsys, "db", "status", fresh)
    assert code == 0 and f"schema version {HEAD}" in out and "none imported" in out

    code, out, _ = run(capsys, "db", "import", gpkg, fresh, "--json")
    ws = io.read_workspace(gpkg)
    assert code == 0 and out["counts"] == ws.counts()

    code, out, _ = run(capsys, "db", "status", fresh, "--json")
    assert code == 0
    assert out["schema_version"] == HEAD
    assert out["applied"] == [m.version for m in available_migrations()]
    assert out["pending"] == []
    assert out["workspace"] == ws.counts()
    assert (out["county_code"], out["county_name"]) == ("430623", "华容县")
    back = read_workspace_pg(fresh)
    assert back.counts() == ws.counts() and back.meta == ws.meta

    code, out, _ = run(capsys, "db", "status", fresh)
    assert "华容县 (430623)" in out and "grids 645" in out


def test_migrate_to_a_version_then_the_rest(fresh: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "migrate", fresh, "--to", "1", "--json")
    assert code == 0 and out["applied"] == [1] and out["schema_version"] == 1
    code, out, _ = run(capsys, "db", "status", fresh, "--json")
    assert out["pending"] == MIGRATIONS[1:] and out["workspace"] == {}
    code, out, _ = run(capsys, "db", "migrate", fresh)
    assert code == 0 and f"applied {', '.join(MIGRATIONS[1:])}; schema version {HEAD}" in out
    code, out, _ = run(capsys, "db", "migrate", fresh)
    assert code == 0 and "nothing to apply" in out
    code, _, err = run(capsys, "db", "migrate", fresh, "--to", "99")
    assert code == 2 and "no migration version 99" in err


@pytest.mark.parametrize("action", ["init", "migrate", "status", "import"])
def test_unreachable_or_malformed_dsn_is_named(
    action: str, gpkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"postgresql://gg:s3cret@127.0.0.1:{free_port()}/nowhere"
    for dsn, named in ((closed, "postgresql://gg:***@127.0.0.1"), ("not-a-dsn", "'not-a-dsn'")):
        argv = ["db", action, *([gpkg] if action == "import" else []), dsn]
        code, out, err = run(capsys, *argv)
        assert code == 2, err
        assert named in err and "s3cret" not in err + out
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err


def test_a_path_that_is_not_a_workspace_writes_nothing(
    pg_schema: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = pg_schema()
    text = tmp_path / "notes.gpkg"
    text.write_text("not a geopackage", encoding="utf-8")
    partial = tmp_path / "partial.gpkg"
    ws = synth.demo_county(seed=2024)
    pyogrio.write_dataframe(ws.county, partial, layer="county", driver="GPKG")
    for path, named in (
        (tmp_path / "missing.gpkg", "missing.gpkg"),
        (text, "notes.gpkg"),
        (partial, "no townships layer"),
    ):
        code, _, err = run(capsys, "--lang", "en", "db", "import", path, dsn)
        assert code == 2 and named in err, err
        assert "Traceback" not in err
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM ws_layers").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ws_county").fetchone() == (0,)


def test_import_before_init_names_the_command_to_run(
    fresh: str, gpkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "db", "import", gpkg, fresh)
    assert code == 2 and "gridgov db init" in err


def test_database_without_postgis(
    no_postgis: str, gpkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("db", "migrate", no_postgis),
        ("db", "status", no_postgis),
        ("db", "import", gpkg, no_postgis),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert f"database '{no_postgis}' has no PostGIS extension" in err
        assert f"gridgov db init {no_postgis}" in err
    with psycopg.connect(no_postgis) as conn:
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)
    # init installs it where the role may (the test cluster's superuser may)
    code, out, _ = run(capsys, "db", "init", no_postgis, "--json")
    assert code == 0 and out["applied"] == MIGRATIONS


def test_token_and_tick_with_a_dsn(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    ws = read_workspace_pg(loaded)
    grid = str(ws.grids["code"].iloc[0])
    code, out, err = run(
        capsys, "token", "create", loaded, "--role", "grid_worker", "--subject", grid, "--json"
    )
    assert code == 0, err
    assert out["subject"] == grid and len(out["token"]) > 20
    code, out, _ = run(capsys, "token", "list", loaded, "--json")
    assert code == 0 and [t["subject"] for t in out["tokens"]] == [grid]
    with psycopg.connect(loaded) as conn:
        assert conn.execute("SELECT subject FROM tokens").fetchall() == [(grid,)]
    code, out, err = run(capsys, "tick", loaded, "--json")
    assert code == 0, err
    assert out["checked"] == 0


def test_file_workspace_with_a_postgis_store(
    pg_schema: Callable[..., str], gpkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = pg_schema()
    grid = str(io.read_workspace(gpkg).grids["code"].iloc[0])
    code, _, err = run(
        capsys, "token", "create", gpkg, "--db", dsn, "--role", "grid_worker", "--subject", grid
    )
    assert code == 0, err
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT subject FROM tokens").fetchall() == [(grid,)]
    assert not gpkg.with_suffix(".issues.sqlite").exists()
    code, _, err = run(capsys, "tick", gpkg, "--db", dsn)
    assert code == 0, err


def test_sqlite_store_beside_a_geopackage_still_works(
    gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a DSN nothing changes: the store is WORKSPACE.issues.sqlite beside it."""
    local = tmp_path / "county.gpkg"
    local.write_bytes(gpkg.read_bytes())
    grid = str(io.read_workspace(local).grids["code"].iloc[0])
    code, _, err = run(capsys, "token", "create", local, "--role", "grid_worker", "--subject", grid)
    assert code == 0, err
    assert local.with_suffix(".issues.sqlite").exists()
    code, out, _ = run(capsys, "token", "list", local, "--json")
    assert [t["subject"] for t in out["tokens"]] == [grid]
    assert run(capsys, "tick", local)[0] == 0
    code, out, err = run(capsys, "stats", local, "--json")
    assert code == 0, err
    missing = tmp_path / "none.gpkg"
    code, _, err = run(capsys, "token", "create", missing, "--role", "planner", "--subject", "x")
    assert code == 2 and "none.gpkg" in err
    assert not missing.with_suffix(".issues.sqlite").exists()  # nothing written


def test_issue_service_opens_from_a_dsn(loaded: str) -> None:
    from gridgov.issues.service import IssueService
    from gridgov.store.postgis import PostGISStore

    service = IssueService.open(loaded)  # workspace and store from the same database
    try:
        assert isinstance(service.store, PostGISStore)
        assert service.ws.counts() == read_workspace_pg(loaded).counts()
    finally:
        service.store.close()
    with pytest.raises(ValueError, match="store: give the issue store"):
        IssueService.open(service.ws)


def test_serve_a_workspace_that_has_not_been_imported(
    pg_schema: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = pg_schema()
    code, _, err = run(capsys, "--lang", "en", "tick", dsn)
    assert code == 2 and "no county layer" in err and "gridgov db import" in err


def test_serve_postgresql_over_http(
    loaded: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    ws = read_workspace_pg(loaded)
    grid = str(ws.grids["code"].iloc[0])
    point = ws.grids.geometry.iloc[0].representative_point()
    code, out, err = run(
        capsys, "token", "create", loaded, "--role", "grid_worker", "--subject", grid, "--json"
    )
    assert code == 0, err
    headers = {"Authorization": f"Bearer {out['token']}"}

    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "gridgov", "serve", loaded, "--port", str(port),
             "--tick", "0"],
            stdout=sink, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process=server, log=log.read_text)
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/health").json()["county"] == "430623"
            whistle = {
                "category": "road",
                "description": "村道路面塌陷，电动车通行困难",
                "lon": point.x,
                "lat": point.y,
            }
            r = http.post("/issues", json=whistle, headers={**headers, "Idempotency-Key": "pg-1"})
            assert r.status_code == 201, r.text
            issue = r.json()["issue"]
            assert issue["grid_code"] == grid
            r = http.get(f"/issues/{issue['issue_id']}", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["description"] == whistle["description"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    served = log.read_text()
    assert f"gridgov serving {loaded}" in served or "gridgov serving postgresql://" in served
    with psycopg.connect(loaded) as conn:
        row = conn.execute(
            "SELECT grid_code, ST_SRID(geom) FROM issues WHERE issue_id = %s", (issue["issue_id"],)
        ).fetchone()
    assert row == (grid, 4490)
