"""Shared fixtures: a PostgreSQL + PostGIS database for the tests that need one.

The database comes from ``GRIDGOV_PG_DSN`` (``eval "$(bash .ci/postgis.sh start)"`` sets
it). Without it those tests skip, unless ``GRIDGOV_REQUIRE_PG=1`` (set by ``.ci/run``),
in which case they fail: CI must never pass by skipping the PostGIS store. Every test
database here is a fresh schema in that database, first on the ``search_path`` given in
the DSN's ``options``, so tests never see each other's tables and cleaning up is one
``DROP SCHEMA``.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, NoReturn
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from gridgov.testing import free_port

PG_DSN_ENV = "GRIDGOV_PG_DSN"
PG_REQUIRE_ENV = "GRIDGOV_REQUIRE_PG"
PG_DIR_ENV = "GRIDGOV_PG_DIR"


@pytest.fixture(autouse=True, scope="session")
def _server_secret() -> Iterator[None]:
    """Every test, and every server a test starts, keys tracking tokens and idempotency
    records with this secret instead of creating the tester's ~/.config/gridgov/secret."""
    before = os.environ.get("GRIDGOV_SECRET")
    os.environ["GRIDGOV_SECRET"] = "gridgov-test-secret-" + "0123456789abcdef" * 2
    yield
    if before is None:
        os.environ.pop("GRIDGOV_SECRET", None)
    else:
        os.environ["GRIDGOV_SECRET"] = before


def pg_unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when ``GRIDGOV_REQUIRE_PG=1``."""
    if os.environ.get(PG_REQUIRE_ENV) == "1":
        pytest.fail(f"{PG_REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def with_search_path(dsn: str, search_path: str) -> str:
    """``dsn`` with ``options=-c search_path=...`` (URLs stay URLs, for ``open_store``)."""
    # libpq splits options at spaces: the schema list must have none
    option = "-c search_path=" + ",".join(p.strip() for p in search_path.split(","))
    if dsn.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(dsn)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
        query.append(("options", option))
        return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    from psycopg.conninfo import make_conninfo

    return make_conninfo(dsn, options=option)


@pytest.fixture(scope="session")
def pg_base_dsn() -> str:
    """``GRIDGOV_PG_DSN`` once checked reachable and holding PostGIS (skip/fail otherwise)."""
    dsn = os.environ.get(PG_DSN_ENV, "")
    if not dsn:
        pg_unavailable(f'{PG_DSN_ENV} is not set (eval "$(bash .ci/postgis.sh start)")')
    try:
        import psycopg
    except ImportError:
        pg_unavailable("psycopg is not installed (pip install 'gridgov[postgis]')")
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except psycopg.Error as exc:
        pg_unavailable(f"cannot connect to {PG_DSN_ENV}: {str(exc).strip()}")
    if row is None:
        pg_unavailable("the PostgreSQL server has no postgis extension")
    return dsn


@pytest.fixture(scope="session")
def pg_schema(pg_base_dsn: str) -> Iterator[Callable[..., str]]:
    """Factory ``make(*, migrated=True) -> dsn`` of fresh, empty schemas in the test database.

    Each call creates a schema ``gg_test_<random>`` and returns a DSN whose search_path
    puts it first (the PostGIS extension stays visible behind it); ``migrated=True``
    applies every shipped migration. All of them are dropped at the end of the session.
    """
    import psycopg

    from gridgov.store.postgis import migrate

    made: list[str] = []
    with psycopg.connect(pg_base_dsn, autocommit=True) as conn:
        row = conn.execute("SHOW search_path").fetchone()
    behind = row[0] if row else "public"

    def make(*, migrated: bool = True) -> str:
        name = f"gg_test_{secrets.token_hex(4)}"
        with psycopg.connect(pg_base_dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        made.append(name)
        dsn = with_search_path(pg_base_dsn, f"{name}, {behind}")
        if migrated:
            migrate(dsn)
        return dsn

    yield make
    if made:
        with psycopg.connect(pg_base_dsn, autocommit=True) as conn:
            for name in made:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(scope="session")
def pg_dsn(pg_schema: Callable[..., str]) -> str:
    """A DSN (``postgresql://`` URL when ``GRIDGOV_PG_DSN`` is one) to an empty database
    migrated to the newest shipped schema, shared by the whole session.

    Skips when ``GRIDGOV_PG_DSN`` is unset or unreachable, fails instead when
    ``GRIDGOV_REQUIRE_PG=1``. "Database" is a schema of its own inside ``GRIDGOV_PG_DSN``'s
    database, first on the DSN's search_path: open it with psycopg, ``PostGISStore`` or
    ``open_store`` and unqualified names land there. Tests sharing it must not rely on it
    staying empty; ask ``pg_schema()`` for a fresh one instead.
    """
    return pg_schema()


@pytest.fixture(scope="session")
def pg_cluster(pg_base_dsn: str) -> Callable[[str], None]:
    """``control(action)`` runs ``bash .ci/postgis.sh <action>`` (restart, down, up) on the
    test cluster, for tests of what a database restart does; needs ``GRIDGOV_PG_DIR``
    (skip/fail by the same rule as ``pg_dsn``)."""
    import subprocess
    from pathlib import Path

    if not os.environ.get(PG_DIR_ENV):
        pg_unavailable(f"{PG_DIR_ENV} is not set: restarts need the cluster of .ci/postgis.sh")
    script = Path(__file__).resolve().parents[1] / ".ci" / "postgis.sh"

    def control(action: str) -> None:
        done = subprocess.run(
            ["bash", str(script), action], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"postgis.sh {action} failed: {done.stderr.strip()}")

    return control


@pytest.fixture(scope="session")
def serve_in_thread() -> Callable[[Any], AbstractContextManager[str]]:
    """``with serve_in_thread(app) as url``: the ASGI app under uvicorn in a thread on
    127.0.0.1 (a real HTTP server in the test's process, so tests can move its clock)."""

    @contextmanager
    def run(app: Any) -> Iterator[str]:
        import uvicorn

        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    return run
