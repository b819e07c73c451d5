"""Fixtures of the store tests: one migrated schema for the PostGIS contract runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gridgov.store.base import Store
from gridgov.store.sqlite import SQLiteStore

#: Every table the issue store writes (migrations 0001, 0003, 0006, 0009, 0010, 0011),
#: emptied before each test.
ISSUE_TABLES = (
    "meta", "issues", "events", "idempotency", "tokens", "deputy_load", "issue_facts",
    "issue_facts_before", "visit_months", "accounts", "sessions", "issue_photos",
    "facts_pending", "fact_months", "fact_month_changes", "visit_months_placed",
)  # fmt: skip


@pytest.fixture(scope="session")
def pg_store_schema(pg_schema: Callable[..., str]) -> str:
    """A DSN to a migrated schema kept for the session; see :func:`pg_clean_dsn`."""
    return pg_schema()


@pytest.fixture
def pg_clean_dsn(pg_store_schema: str) -> str:
    """The session's store schema with the issue tables emptied (TRUNCATE: ~40 ms, where a
    freshly migrated schema costs ~300 ms per test)."""
    import psycopg

    with psycopg.connect(pg_store_schema, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(ISSUE_TABLES)}")
    return pg_store_schema


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind (the contract tests run on both)."""
    s: Store
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        s = PostGISStore(request.getfixturevalue("pg_clean_dsn"), max_size=8)
    yield s
    s.close()
