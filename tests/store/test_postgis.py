"""What only the PostGIS store has: the GiST box search, the append-only trigger, versioned
migrations, one pool shared by threads, and coming back after the database restarts.

The contract the SQLite store shares is in test_store.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("psycopg")

import psycopg

from gridgov._errors import DatabaseError, GridgovError, ParameterError
from gridgov.store import migrations, open_store, postgis
from gridgov.store.base import IssueQuery, StoreUnavailableError, TokenRecord
from gridgov.store.postgis import Migration, PostGISStore, migrate
from gridgov.store.sqlite import SQLiteStore

from .test_store import T0, _issue


@pytest.fixture
def fresh_dsn(pg_schema: Callable[..., str]) -> str:
    """An empty schema with no migration applied."""
    return pg_schema(migrated=False)


@pytest.fixture
def pg_store(pg_schema: Callable[..., str]) -> Iterator[PostGISStore]:
    s = PostGISStore(pg_schema(), max_size=6)
    yield s
    s.close()


def _recorded(dsn: str) -> list[tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        return [
            (int(v), str(n))
            for v, n in conn.execute("SELECT version, name FROM schema_migrations ORDER BY 1")
        ]


# --- geometry and indexes -------------------------------------------------------------------


def test_location_is_a_cgcs2000_point_and_bbox_uses_the_gist_index(pg_store: PostGISStore) -> None:
    for n in range(1, 30):
        issue, events = _issue(n)
        pg_store.create_issue(issue, events)
    with psycopg.connect(pg_store.dsn) as conn:
        row = conn.execute(
            "SELECT ST_SRID(geom), GeometryType(geom), ST_X(geom), ST_Y(geom),"
            " format_type(a.atttypid, a.atttypmod) FROM issues,"
            " pg_attribute a WHERE a.attrelid = 'issues'::regclass AND a.attname = 'geom'"
            " AND issue_id = %s",
            (_issue(3)[0].issue_id,),
        ).fetchone()
        assert row is not None
        assert row[:2] == (4490, "POINT") and row[4] == "geometry(Point,4490)"
        assert (row[2], row[3]) == pytest.approx((112.5003, 29.5))
        where, params = postgis._where(IssueQuery(bbox=(112.5005, 29.4, 112.5010, 29.6)))
        assert "ST_X(geom) BETWEEN" in where
        conn.execute("SET enable_seqscan = off")  # 29 rows: make the planner show its index
        plan = "\n".join(
            r[0] for r in conn.execute(f"EXPLAIN SELECT doc FROM issues{where}", params)
        )
        assert "issues_xy" in plan
        where, params = postgis._where(IssueQuery(deputy_id="D1"))
        plan = "\n".join(
            r[0] for r in conn.execute(f"EXPLAIN SELECT doc FROM issues{where}", params)
        )
        assert "issues_deputies" in plan or "issues_open_deputies" in plan
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT d, count(*) FROM issues CROSS JOIN LATERAL unnest(deputies) d"
                f" WHERE {postgis._OPEN_SQL} AND deputies && %s::text[] GROUP BY d",
                (["D1"],),
            )
        )
        assert "issues_open_deputies" in plan  # its predicate is the store's open list
    assert pg_store.list_issues(IssueQuery(bbox=(112.5005, 29.4, 112.5010, 29.6)))[1] == 6


def test_events_trigger_refuses_update_and_delete_even_for_the_owner(
    pg_store: PostGISStore,
) -> None:
    issue, events = _issue(1)
    pg_store.create_issue(issue, events)
    with psycopg.connect(pg_store.dsn) as conn:
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only: UPDATE"):
            conn.execute("UPDATE events SET data = '{}'::jsonb WHERE seq = 1")
        conn.rollback()
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only: DELETE"):
            conn.execute("DELETE FROM events")
        conn.rollback()
        # and an issue with events cannot be deleted from under them
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("DELETE FROM issues")
        conn.rollback()
    assert len(pg_store.events(issue.issue_id)) == len(events)


def test_store_errors_are_gridgov_errors(pg_store: PostGISStore) -> None:
    issue, events = _issue(1)
    pg_store.create_issue(issue, events)
    with pytest.raises(GridgovError, match="already exists"):
        pg_store.create_issue(issue, events)  # same id, no key: not a raw UniqueViolation
    rec = TokenRecord("t1", "deputy", "D1", "李", T0)
    pg_store.add_token(rec)
    with pytest.raises(GridgovError, match="exists already"):
        pg_store.add_token(rec)
    assert pg_store.count() == 1


# --- migrations -----------------------------------------------------------------------------


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    steps = postgis.available_migrations()
    assert [m.version for m in steps] == list(range(1, len(steps) + 1))
    assert steps[0].filename == "0001_issues.sql"
    assert all(m.sql.strip() for m in steps)


def test_migrate_to_1_then_to_head_keeps_the_data(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = postgis.available_migrations()
    assert [m.version for m in migrate(fresh_dsn, target=1)] == [1]
    assert _recorded(fresh_dsn) == [(1, "issues")]
    if len(shipped) > 1:  # the newest gridgov refuses a database left at version 1
        with pytest.raises(StoreUnavailableError, match=r"behind .*0002_"):
            PostGISStore(fresh_dsn, migrate=False)

    # an older gridgov (shipping only 0001) writes issues, events, a key and a token
    monkeypatch.setattr(migrations, "available_migrations", lambda: shipped[:1])
    old = PostGISStore(fresh_dsn, migrate=False)
    stored = []
    for n in range(5):
        issue, events = _issue(n, deputies=(f"D{n % 2}",))
        stored.append(old.create_issue(issue, events, idempotency_key=f"k{n}")[0])
    old.add_token(TokenRecord("abc", "deputy", "D1", "李", T0))
    old.close()
    with psycopg.connect(fresh_dsn) as conn:  # what gridgov kept there before 0004
        conn.execute("INSERT INTO meta (key, value) VALUES ('secret', 'kept beside the data')")

    # a later gridgov also ships a step after the real ones: migrate() picks up every file
    probe = Migration(
        len(shipped) + 1, "probe", "CREATE TABLE probe (id integer PRIMARY KEY); ALTER TABLE"
        " issues ADD COLUMN probe_note text NOT NULL DEFAULT '';",
    )  # fmt: skip
    monkeypatch.setattr(migrations, "available_migrations", lambda: [*shipped, probe])
    applied = migrate(fresh_dsn)
    assert [m.version for m in applied] == [m.version for m in shipped[1:]] + [probe.version]
    assert _recorded(fresh_dsn) == [(m.version, m.name) for m in [*shipped, probe]]
    assert migrate(fresh_dsn) == []  # a second run is a no-op
    with psycopg.connect(fresh_dsn) as conn:
        times = conn.execute("SELECT count(*) FROM schema_migrations WHERE applied_at <= now()")
        assert times.fetchone() == (len(shipped) + 1,)

    new = PostGISStore(fresh_dsn, migrate=False)  # nothing missing now
    try:
        for before in stored:
            assert new.get_issue(before.issue_id) == before
            assert [e.seq for e in new.events(before.issue_id)] == [1, 2, 3, 4]
        assert new.count() == 5 and new.open_load() == {"D0": 3, "D1": 2}
        # 0004 drops the idempotency records of older gridgovs (their hashes covered the
        # reporter's name and phone): the key is free again
        with psycopg.connect(fresh_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM idempotency").fetchone() == (0,)
        again, created = new.create_issue(*_issue(99), idempotency_key="k0")
        assert created and again.issue_id != stored[0].issue_id
        assert new.token("abc") is not None
        with psycopg.connect(fresh_dsn) as conn:  # the tracking-token secret is gone too
            assert conn.execute("SELECT count(*) FROM meta WHERE key = 'secret'").fetchone() == (0,)
    finally:
        new.close()


def test_migrate_refuses_an_unknown_target_and_an_open_transaction(fresh_dsn: str) -> None:
    with pytest.raises(ParameterError, match="target: no migration version 999") as caught:
        migrate(fresh_dsn, target=999)
    assert caught.value.parameter == "target" and caught.value.value == 999
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute("SELECT 1")  # not autocommit: a transaction is now open
        with pytest.raises(ParameterError, match="commit or roll back"):
            migrate(conn)
        conn.rollback()
        assert [m.version for m in migrate(conn, target=1)] == [1]
    assert _recorded(fresh_dsn) == [(1, "issues")]


def test_a_failing_migration_rolls_back_and_names_its_file(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = postgis.available_migrations()
    broken = Migration(
        len(shipped) + 1, "broken", "CREATE TABLE half_done (id int); SELECT no_such_column;"
    )
    monkeypatch.setattr(migrations, "available_migrations", lambda: [*shipped, broken])
    with pytest.raises(DatabaseError, match=rf"{broken.filename} failed .*no_such_column"):
        migrate(fresh_dsn)
    assert _recorded(fresh_dsn) == [(m.version, m.name) for m in shipped]  # earlier ones kept
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)


def test_servers_starting_together_apply_each_migration_once(fresh_dsn: str) -> None:
    barrier = threading.Barrier(4)
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            applied.append([m.version for m in migrate(fresh_dsn)])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    shipped = [m.version for m in postgis.available_migrations()]
    assert sorted(v for run in applied for v in run) == shipped
    assert [v for v, _ in _recorded(fresh_dsn)] == shipped


# --- opening ---------------------------------------------------------------------------------


def test_unreachable_database_is_named_without_a_traceback_or_password() -> None:
    with pytest.raises(StoreUnavailableError) as info:
        PostGISStore("postgresql://gridgov:s3cret@127.0.0.1:1/nowhere", connect_timeout_s=2)
    message = str(info.value)
    assert "127.0.0.1:1/nowhere" in message and "s3cret" not in message
    assert "refused" in message.lower() or "failed" in message.lower()
    with pytest.raises(ValueError, match="dsn: not a PostgreSQL connection string"):
        PostGISStore("host=localhost bogus_option=1")
    with pytest.raises(ValueError, match="max_size"):
        PostGISStore("postgresql://127.0.0.1:1/x", min_size=4, max_size=2)


def test_open_store_picks_the_implementation(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lite = open_store(tmp_path / "issues.sqlite")
    assert isinstance(lite, SQLiteStore)
    lite.close()
    assert pg_dsn.startswith(("postgresql://", "postgres://"))
    shared = open_store(pg_dsn)
    assert isinstance(shared, PostGISStore)
    shared.close()
    # without psycopg installed, a URL says which extra to install
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)
    monkeypatch.delitem(__import__("sys").modules, "gridgov.store.postgis")
    with pytest.raises(ImportError, match=r"pip install 'gridgov\[postgis\]'"):
        open_store("postgresql://127.0.0.1:1/x")


def test_refuses_to_open_a_database_behind_without_migrating(fresh_dsn: str) -> None:
    with pytest.raises(StoreUnavailableError, match=r"behind \(missing 0001_issues.sql"):
        PostGISStore(fresh_dsn, migrate=False)
    s = PostGISStore(fresh_dsn)  # migrate=True, the default
    s.close()
    assert [v for v, _ in _recorded(fresh_dsn)] == [
        m.version for m in postgis.available_migrations()
    ]


def test_search_path_keeps_schemas_apart(pg_schema: Callable[..., str]) -> None:
    a, b = PostGISStore(pg_schema()), PostGISStore(pg_schema())
    try:
        a.create_issue(*_issue(1))
        assert a.count() == 1 and b.count() == 0
    finally:
        a.close()
        b.close()


# --- restarts ---------------------------------------------------------------------------------


def test_store_fails_clearly_while_the_database_is_down_and_recovers(
    pg_schema: Callable[..., str], pg_cluster: Callable[[str], None]
) -> None:
    store = PostGISStore(pg_schema(), min_size=2, max_size=4, timeout_s=5)
    try:
        first, _ = store.create_issue(*_issue(1))
        pg_cluster("down")
        try:
            for _ in range(2):
                t0 = time.monotonic()
                with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1"):
                    store.get_issue(first.issue_id)
                assert time.monotonic() - t0 < 6  # a clear error, not a hang
            with pytest.raises(StoreUnavailableError):
                store.create_issue(*_issue(2))
            time.sleep(2)  # long enough for the pool's own reconnection to back off
        finally:
            pg_cluster("up")
        # the very next call after the database is back succeeds
        assert store.get_issue(first.issue_id) == first
        store.create_issue(*_issue(3))
        assert store.count() == 2
    finally:
        store.close()


def test_restart_under_load_loses_nothing_and_the_store_carries_on(
    pg_schema: Callable[..., str], pg_cluster: Callable[[str], None]
) -> None:
    store = PostGISStore(pg_schema(), min_size=2, max_size=6, timeout_s=10)
    stop = threading.Event()
    done: list[str] = []
    unexpected: list[BaseException] = []
    unavailable = [0]
    lock = threading.Lock()

    def writer(w: int) -> None:
        n = 0
        while not stop.is_set():
            issue, events = _issue(1000 * (w + 1) + n)
            key = f"w{w}-{n}"
            while True:  # a client retrying with its Idempotency-Key until it is stored
                try:
                    stored, _ = store.create_issue(
                        issue, events, idempotency_key=key, request_hash=key
                    )
                    got = store.get_issue(stored.issue_id)
                    if got.result != "ok":  # a retry may find its update already stored
                        store.update_issue(
                            replace(got, result="ok"), [], expected_version=got.version
                        )
                    break
                except StoreUnavailableError:
                    with lock:
                        unavailable[0] += 1
                    time.sleep(0.05)
                except BaseException as exc:  # surfaced below
                    unexpected.append(exc)
                    return
            with lock:
                done.append(issue.issue_id)
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        before = len(done)
        pg_cluster("restart")
        deadline = time.monotonic() + 20
        while len(done) < before + 40 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert not unexpected, unexpected[:3]
        assert before > 0 and len(done) >= before + 40, (before, len(done))
        # every acknowledged issue is stored exactly once, retries included
        assert store.count() == len(done)
        items, total = store.list_issues(IssueQuery(limit=1000))
        assert total == len(done) and {i.issue_id for i in items} == set(done)
        assert all(i.result == "ok" and i.version == 2 for i in items)
        assert store.all_events(since=T0 - timedelta(days=1))
    finally:
        store.close()


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"min_size": -1}, "min_size"),
        ({"max_size": 0}, "max_size"),
        ({"timeout_s": 0}, "timeout_s"),
    ],
)
def test_pool_settings_that_make_no_sense_are_refused_before_connecting(
    kwargs: dict[str, float], parameter: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        PostGISStore("postgresql://127.0.0.1:1/nowhere", **kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
