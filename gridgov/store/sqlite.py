"""The embedded issue store: one SQLite file in WAL mode beside the workspace.

Durability first: ``synchronous=FULL`` means a commit is on disk before
:meth:`SQLiteStore.create_issue` returns, so an issue the API acknowledged survives a
``kill -9`` or a power cut. WAL lets readers (lists, statistics) run while one writer
commits. Each thread gets its own connection (uvicorn runs synchronous endpoints in a
thread pool); writers take the database lock up front (``BEGIN IMMEDIATE``) so a
read-then-write transaction never dead-ends on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gridgov._errors import DatabaseError, NotFoundError, ParameterError
from gridgov._json import strict_json
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import IssueStatus
from gridgov.store._facts import (
    BEFORE_COLUMNS,
    FACT_COLUMNS,
    VISITS,
    before_values,
    fact_values,
    fact_where,
    late_sql,
    month_split,
    reading,
    sums_sql,
    visits_by_unit,
)
from gridgov.store.base import (
    LOAD_SCAN_ABOVE,
    POINT_DESCRIPTION,
    ConflictError,
    FactReading,
    IdempotencyError,
    IssueFacts,
    IssuePoint,
    IssueQuery,
    QueueRow,
    TokenRecord,
)
from gridgov.store.inbound import SQLITE_SCHEMA as INBOUND_SCHEMA
from gridgov.store.outbox import SQLITE_SCHEMA as OUTBOX_SCHEMA

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 8

# the deputies with open issues, and how many each (the load table's live rows)
_LOAD_SQL = "SELECT deputy_id, open FROM deputy_load WHERE open > 0"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issues (
    issue_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    level TEXT NOT NULL,
    unit TEXT NOT NULL,
    station_id TEXT NOT NULL,
    township_code TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    deputies TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    acknowledge_due TEXT,
    resolve_due TEXT,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issues_created ON issues (created_at);
-- version 4: each list filter with the list's order (newest first), so a page of a
-- station's, township's, status's or category's issues reads 50 index entries, not all
CREATE INDEX IF NOT EXISTS issues_status_created ON issues (status, created_at DESC, issue_id);
CREATE INDEX IF NOT EXISTS issues_station_created
    ON issues (station_id, created_at DESC, issue_id);
CREATE INDEX IF NOT EXISTS issues_township_created
    ON issues (township_code, created_at DESC, issue_id);
CREATE INDEX IF NOT EXISTS issues_category_created
    ON issues (category, created_at DESC, issue_id);
CREATE INDEX IF NOT EXISTS issues_grid ON issues (grid_code);
-- a box's page, newest first, from this index alone (a township's 4,131 of 100,000 issues:
-- 36 ms sorting them from the table, 15 ms from here)
CREATE INDEX IF NOT EXISTS issues_lonlat_created ON issues (lon, lat, created_at, issue_id);
-- duplicate suggestions on every creation: same category, open, in a small box
CREATE INDEX IF NOT EXISTS issues_category_lonlat ON issues (category, lon, lat);
CREATE TABLE IF NOT EXISTS events (
    issue_id TEXT NOT NULL REFERENCES issues (issue_id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    status_from TEXT NOT NULL,
    status_to TEXT NOT NULL,
    unit TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (issue_id, seq)
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
-- Open issues per dispatched deputy, kept in step with the issues table inside each
-- write (version 2): dispatch reads it on every creation, so it must not scan them.
CREATE TABLE IF NOT EXISTS deputy_load (
    deputy_id TEXT PRIMARY KEY,
    open INTEGER NOT NULL
);
-- A count moved on by every change of deputy_load (the triggers, whoever writes): a
-- process keeps the table read once and reads it again only when this count has moved.
-- A preview once deputies are at the cap reads the county's ~1,000 rows; it spent 1.6 of
-- its 3.2 ms CPU reading them (cProfile, 1,081 of 1,112 deputies at the cap).
CREATE TABLE IF NOT EXISTS deputy_load_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT OR IGNORE INTO deputy_load_generation (id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS deputy_load_inserted AFTER INSERT ON deputy_load
BEGIN UPDATE deputy_load_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS deputy_load_updated AFTER UPDATE ON deputy_load
BEGIN UPDATE deputy_load_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS deputy_load_deleted AFTER DELETE ON deputy_load
BEGIN UPDATE deputy_load_generation SET n = n + 1 WHERE id = 1; END;
-- version 5: what each issue contributes to the statistics (gridgov.store.base.IssueFacts),
-- deleted by every write of the issue (the trigger); clustered by creation time, so a period's figures
-- read one range of this small table, never the issues' documents
CREATE TABLE IF NOT EXISTS issue_facts (
    issue_id TEXT NOT NULL,
    issue_version INTEGER NOT NULL,
    basis TEXT NOT NULL,
    created_at TEXT NOT NULL,
    station_id TEXT NOT NULL,
    township_code TEXT NOT NULL,
    category TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    flags INTEGER NOT NULL,  -- the yes/no facts as bits (gridgov.store._facts)
    hours_to_acknowledge REAL,
    hours_to_resolve REAL,
    fact_deputies TEXT NOT NULL,
    PRIMARY KEY (created_at, issue_id)
) WITHOUT ROWID;
-- one row per issue (its creation time never changes); visits look their issue up here
CREATE UNIQUE INDEX IF NOT EXISTS issue_facts_issue
    ON issue_facts (issue_id, basis, station_id, township_code, category);
-- version 6: the same with the figures each issue gave before its last event, one row per
-- change (gridgov.store.base.IssueFacts.earlier): a period that ends while an issue was
-- still moving reads the row in force at its end instead of replaying the issue's log.
-- Keyed by the end of each row's interval, so a period's end reads only the rows still in
-- force then (none for a period ending now).
CREATE TABLE IF NOT EXISTS issue_facts_before (
    valid_until TEXT NOT NULL,
    created_at TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    basis TEXT NOT NULL,
    station_id TEXT NOT NULL,
    township_code TEXT NOT NULL,
    category TEXT NOT NULL,
    flags INTEGER NOT NULL,
    hours_to_acknowledge REAL,
    hours_to_resolve REAL,
    fact_deputies TEXT NOT NULL,
    PRIMARY KEY (valid_until, created_at, issue_id, last_event_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issue_facts_before_issue ON issue_facts_before (issue_id);
-- a period's sums, counts and late issues read this index alone (half the table's width)
CREATE INDEX IF NOT EXISTS issue_facts_period ON issue_facts (created_at, basis,
    last_event_at, station_id, township_code, category, flags, hours_to_acknowledge,
    hours_to_resolve);
-- version 7: deputies' visits per UTC calendar month, deputy and unit, kept by the trigger
-- (events are only ever added): a period's whole months are read here, its edges from the
-- events (gridgov.store._facts.month_split)
CREATE TABLE IF NOT EXISTS visit_months (
    month TEXT NOT NULL,  -- YYYY-MM of the event's UTC time
    actor_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    visits INTEGER NOT NULL,
    PRIMARY KEY (month, actor_id, unit)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS events_visit_months AFTER INSERT ON events
WHEN NEW.kind = 'acknowledged' AND NEW.actor_role = 'deputy'
BEGIN
    INSERT INTO visit_months (month, actor_id, unit, visits)
    VALUES (substr(NEW.at, 1, 7), NEW.actor_id, NEW.unit, 1)
    ON CONFLICT (month, actor_id, unit) DO UPDATE SET visits = visits + 1;
END;
-- the visits away from a station (joined to their issue's facts), without reading the rest
CREATE INDEX IF NOT EXISTS events_deputy_visits_elsewhere
    ON events (at, issue_id, actor_id, unit, kind, actor_role)
    WHERE kind = 'acknowledged' AND actor_role = 'deputy' AND unit NOT LIKE 'station:%';
-- a long period's sums in the index's order, without sorting every row of it (a year of
-- 100,000 issues: 72-115 ms grouped through a temporary b-tree, 33-55 ms this way)
CREATE INDEX IF NOT EXISTS issue_facts_units ON issue_facts (station_id, township_code,
    category, flags, created_at, basis, last_event_at, hours_to_acknowledge, hours_to_resolve);
-- the issues still moving at a period's end (none for a period ending now)
CREATE INDEX IF NOT EXISTS issue_facts_last ON issue_facts (last_event_at, created_at, basis);
CREATE TRIGGER IF NOT EXISTS issues_facts_stale_6 AFTER UPDATE ON issues
BEGIN
    DELETE FROM issue_facts WHERE issue_id = NEW.issue_id;
    DELETE FROM issue_facts_before WHERE issue_id = NEW.issue_id;
END;
-- version 8: the issues whose facts are missing (new, or changed since their facts were
-- written), so a statistics request reads this short list instead of counting every issue
-- and every fact twice (100,000 issues: 40 ms of a year's 200); rows are removed by
-- put_facts. fact_bases counts the facts of each basis (the deadlines they were computed
-- under): when another basis has facts, the list does not say what is missing and the
-- counts are used (gridgov.store.postgis does the same with 0012's facts_pending).
-- Read as "facts_pending CROSS JOIN issues": SQLite's order, the short list first (a plain
-- JOIN walked a year of issues by creation time: 230 ms instead of 0.05).
CREATE TABLE IF NOT EXISTS facts_pending (issue_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS issues_facts_pending_new AFTER INSERT ON issues
BEGIN
    INSERT OR IGNORE INTO facts_pending (issue_id) VALUES (NEW.issue_id);
END;
CREATE TRIGGER IF NOT EXISTS issues_facts_pending_changed AFTER UPDATE ON issues
BEGIN
    INSERT OR IGNORE INTO facts_pending (issue_id) VALUES (NEW.issue_id);
END;
CREATE TABLE IF NOT EXISTS fact_bases (basis TEXT PRIMARY KEY, n INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS issue_facts_basis_added AFTER INSERT ON issue_facts
BEGIN
    INSERT INTO fact_bases (basis, n) VALUES (NEW.basis, 1)
    ON CONFLICT (basis) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS issue_facts_basis_removed AFTER DELETE ON issue_facts
BEGIN
    UPDATE fact_bases SET n = n - 1 WHERE basis = OLD.basis;
END;
CREATE TRIGGER IF NOT EXISTS issue_facts_basis_changed AFTER UPDATE OF basis ON issue_facts
WHEN OLD.basis IS NOT NEW.basis
BEGIN
    UPDATE fact_bases SET n = n - 1 WHERE basis = OLD.basis;
    INSERT INTO fact_bases (basis, n) VALUES (NEW.basis, 1)
    ON CONFLICT (basis) DO UPDATE SET n = n + 1;
END;
-- deputies' visits in a period, for the statistics (the predicate is written literally
-- in fact_totals, so SQLite can use this partial index)
CREATE INDEX IF NOT EXISTS events_deputy_visits
    ON events (at, issue_id, actor_id, unit, kind, actor_role)
    WHERE kind = 'acknowledged' AND actor_role = 'deputy';
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""

_OPEN = tuple(s.value for s in OPEN_STATUSES)


def _ts(value: datetime | None) -> str | None:
    # One fixed UTC format, so text order is time order in SQL comparisons.
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class SQLiteStore:
    """Issues, events, idempotency keys and tokens in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file (created with its schema if missing); ``":memory:"`` is not
        supported because every thread opens its own connection.
    timeout_s : float
        How long a writer waits for the lock before giving up.

    Raises
    ------
    ParameterError
        If ``path`` is ``":memory:"``.
    DatabaseError
        If the file holds an issue store of a newer gridgov.
    """

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            raise ParameterError(
                "SQLiteStore needs a file path; ':memory:' is per-connection",
                parameter="path",
                value=str(path),
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private_files(self.path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        # thread ident -> (thread, its connection): closed when the thread has ended
        self._all: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._lock = threading.Lock()
        # (generation, table) of deputy_load as last read outside a write (_load)
        self._load_cache: tuple[int, Mapping[str, int]] | None = None
        con = self._con()
        con.executescript(_SCHEMA)  # idempotent (IF NOT EXISTS); commits by itself
        con.executescript(OUTBOX_SCHEMA)  # the notices' outbox (gridgov.store.outbox)
        con.executescript(INBOUND_SCHEMA)  # the platforms' messages (gridgov.store.inbound)
        with self._write() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise DatabaseError(
                    f"{self.path}: issue store schema version {row[0]} is newer than this "
                    f"gridgov ({SCHEMA_VERSION}); upgrade gridgov"
                )
            if row is not None and int(row[0]) < 2:
                _rebuild_deputy_load(con)  # version 1 -> 2: the load table is new
            if row is not None and int(row[0]) < 3:
                # version 2 -> 3: older records hashed the reporter's name and phone in
                # the clear (a SHA-256 anyone can recompute); they cannot be kept
                con.execute("DELETE FROM idempotency")
                # the tracking-token secret no longer lives beside the data it protects
                con.execute("DELETE FROM meta WHERE key = 'secret'")
            if row is not None and int(row[0]) < 4:
                # version 3 -> 4: the one-column indexes became (column, created_at DESC,
                # issue_id), made above; the old ones only slow every write down
                for old in ("issues_status", "issues_station", "issues_township"):
                    con.execute(f"DROP INDEX IF EXISTS {old}")
            if row is not None and int(row[0]) < 6:
                # version 5 -> 6: the trigger also drops an issue's earlier facts
                con.execute("DROP TRIGGER IF EXISTS issues_facts_stale")
            if row is not None and int(row[0]) < 7:
                con.execute("DROP INDEX IF EXISTS issues_lonlat")  # made wider above
                # version 6 -> 7: the monthly visits, counted once from the events (under
                # the write lock: the trigger counts every event written after this)
                con.execute("DELETE FROM visit_months")
                con.execute(
                    "INSERT INTO visit_months (month, actor_id, unit, visits)"
                    " SELECT substr(at, 1, 7), actor_id, unit, count(*) FROM events"
                    " WHERE kind = 'acknowledged' AND actor_role = 'deputy' GROUP BY 1, 2, 3"
                )
            if row is not None and int(row[0]) < 8:
                # version 7 -> 8: the pending list and the facts per basis, from the tables
                # (under the write lock: the triggers keep both from here on)
                con.execute("DELETE FROM facts_pending")
                con.execute(
                    "INSERT INTO facts_pending (issue_id) SELECT issue_id FROM issues WHERE NOT"
                    " EXISTS (SELECT 1 FROM issue_facts f WHERE f.issue_id = issues.issue_id)"
                )
                con.execute("DELETE FROM fact_bases")
                con.execute(
                    "INSERT INTO fact_bases (basis, n) SELECT basis, count(*) FROM issue_facts"
                    " GROUP BY basis"
                )
            con.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # --- connections ------------------------------------------------------------------

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            # check_same_thread=False only so that a dead thread's connection can be closed
            # from another; each connection is used by its own thread alone
            con = sqlite3.connect(
                self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
            )
            con.execute("PRAGMA journal_mode=WAL")
            _private_files(self.path)  # the -wal and -shm files exist from here on
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
            self._local.con = con
            with self._lock:
                # A server's worker threads come and go (anyio ends one idle for 10 s): the
                # connections of ended threads are closed here, or each new thread's would
                # be kept (2 MB a request through a fresh thread each, without end).
                for ident, (thread, old) in list(self._all.items()):
                    if not thread.is_alive():
                        del self._all[ident]
                        old.close()
                self._all[threading.get_ident()] = (threading.current_thread(), con)
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for _, con in self._all.values():
                con.close()
            self._all.clear()
        self._local = threading.local()

    # --- issues ------------------------------------------------------------------------

    @staticmethod
    def _row(issue: Issue) -> dict[str, Any]:
        return {
            "issue_id": issue.issue_id,
            "version": issue.version,
            "status": issue.status.value,
            "category": issue.category,
            "level": issue.level,
            "unit": issue.unit,
            "station_id": issue.station_id,
            "township_code": issue.township_code,
            "grid_code": issue.grid_code,
            "reporter_id": issue.reporter_id,
            "deputies": "," + ",".join(issue.deputies) + "," if issue.deputies else "",
            "created_at": _ts(issue.created_at),
            "updated_at": _ts(issue.updated_at),
            "acknowledge_due": _ts(issue.acknowledge_due),
            "resolve_due": _ts(issue.resolve_due),
            "lon": issue.lon,
            "lat": issue.lat,
            "doc": issue.to_json(),
        }

    @staticmethod
    def _insert_events(con: sqlite3.Connection, events: Sequence[Event]) -> None:
        con.executemany(
            "INSERT INTO events (issue_id, seq, at, kind, actor_role, actor_id, status_from,"
            " status_to, unit, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.issue_id,
                    e.seq,
                    _ts(e.at),
                    e.kind,
                    e.actor_role,
                    e.actor_id,
                    e.status_from,
                    e.status_to,
                    e.unit,
                    strict_json(dict(e.data)),
                )
                for e in events
            ],
        )

    def create_issue(
        self,
        issue: Issue,
        events: Sequence[Event],
        *,
        idempotency_key: str | None = None,
        request_hash: str = "",
        keys_expire_before: datetime | None = None,
    ) -> tuple[Issue, bool]:
        """Commit a new issue with its events and idempotency key in one transaction;
        idempotency records made before ``keys_expire_before`` are deleted first.

        Returns
        -------
        (Issue, bool)
            The stored issue and whether it was created now (False: the key was seen).

        Raises
        ------
        IdempotencyError
            If the key was used before for a different request.
        """
        stored = _with_version(issue, 1)
        with self._write() as con:
            if keys_expire_before is not None:
                con.execute(
                    "DELETE FROM idempotency WHERE created_at < ?", (_ts(keys_expire_before),)
                )
            if idempotency_key is not None:
                row = con.execute(
                    "SELECT request_hash, issue_id FROM idempotency WHERE key = ?",
                    (idempotency_key,),
                ).fetchone()
                if row is not None:
                    if row[0] != request_hash:
                        raise IdempotencyError(
                            f"Idempotency-Key {idempotency_key!r} was already used for a "
                            f"different request (issue {row[1]})"
                        )
                    found = con.execute(
                        "SELECT doc, version FROM issues WHERE issue_id = ?", (row[1],)
                    ).fetchone()
                    return _issue(found), False
            row_values = self._row(stored)
            cols = ", ".join(row_values)
            marks = ", ".join(f":{k}" for k in row_values)
            con.execute(f"INSERT INTO issues ({cols}) VALUES ({marks})", row_values)
            self._insert_events(con, events)
            _add_load(con, (), stored.deputies if stored.is_open else ())
            if idempotency_key is not None:
                con.execute(
                    "INSERT INTO idempotency (key, request_hash, issue_id, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (idempotency_key, request_hash, issue.issue_id, _ts(issue.created_at)),
                )
        return stored, True

    def get_issue(self, issue_id: str) -> Issue:
        row = (
            self._con()
            .execute("SELECT doc, version FROM issues WHERE issue_id = ?", (issue_id,))
            .fetchone()
        )
        if row is None:
            raise NotFoundError(f"no issue {issue_id!r}")
        return _issue(row)

    def update_issue(
        self, issue: Issue, events: Sequence[Event], *, expected_version: int
    ) -> Issue:
        """Write ``issue`` and append ``events`` if the stored version is ``expected_version``.

        Raises
        ------
        ConflictError
            If someone else changed the issue first.
        NotFoundError
            If there is no such issue.
        """
        stored = _with_version(issue, expected_version + 1)
        values = self._row(stored)
        sets = ", ".join(f"{k} = :{k}" for k in values if k != "issue_id")
        with self._write() as con:
            row = con.execute(
                "SELECT version, status, deputies FROM issues WHERE issue_id = ?",
                (issue.issue_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no issue {issue.issue_id!r}")
            if int(row[0]) != expected_version:
                raise ConflictError(
                    f"issue {issue.issue_id} changed (version {row[0]}, expected {expected_version})"
                )
            con.execute(f"UPDATE issues SET {sets} WHERE issue_id = :issue_id", values)
            self._insert_events(con, events)
            was = _deputy_list(row[2]) if row[1] in _OPEN else ()
            _add_load(con, was, stored.deputies if stored.is_open else ())
        return stored

    def modify(
        self,
        issue_ids: Sequence[str],
        change: Callable[[Mapping[str, Issue]], Sequence[tuple[Issue, Sequence[Event]]]],
    ) -> list[Issue]:
        """Read ``issue_ids`` inside one write transaction, let ``change`` decide on that
        fresh state, and store what it returns (each a new snapshot with its events).

        ``BEGIN IMMEDIATE`` takes the database's write lock before the read, so no other
        writer can move any of these issues between the read and the write.

        Raises
        ------
        NotFoundError
            If an issue does not exist.
        ParameterError
            If ``change`` returns an issue it was not given.
        Whatever ``change`` raises (nothing is written then).
        """
        ids = sorted(set(issue_ids))
        out: list[Issue] = []
        with self._write() as con:
            fresh: dict[str, Issue] = {}
            rows: dict[str, tuple[str, str]] = {}
            for issue_id in ids:
                row = con.execute(
                    "SELECT doc, version, status, deputies FROM issues WHERE issue_id = ?",
                    (issue_id,),
                ).fetchone()
                if row is None:
                    raise NotFoundError(f"no issue {issue_id!r}")
                fresh[issue_id] = _issue(row)
                rows[issue_id] = (row[2], row[3])
            for new, events in change(fresh):
                if new.issue_id not in fresh:
                    raise ParameterError(
                        f"change: issue {new.issue_id} was not read in this transaction",
                        parameter="change",
                    )
                stored = _with_version(new, fresh[new.issue_id].version + 1)
                values = self._row(stored)
                sets = ", ".join(f"{k} = :{k}" for k in values if k != "issue_id")
                con.execute(f"UPDATE issues SET {sets} WHERE issue_id = :issue_id", values)
                self._insert_events(con, events)
                status, deputies = rows[new.issue_id]
                was = _deputy_list(deputies) if status in _OPEN else ()
                _add_load(con, was, stored.deputies if stored.is_open else ())
                fresh[new.issue_id] = stored
                rows[new.issue_id] = (stored.status.value, values["deputies"])
                out.append(stored)
        return out

    def list_issues(self, query: IssueQuery) -> tuple[list[Issue], int]:
        where, params = _where(query)
        con = self._con()
        total = con.execute(f"SELECT count(*) FROM issues{where}", params).fetchone()[0]
        # the page's rowids first, from the index, then only their documents: sorting whole
        # documents cost 160 ms for a page of 5,000 (50 ms this way)
        rows = con.execute(
            "SELECT doc, version FROM issues WHERE rowid IN (SELECT rowid FROM issues"
            f"{where} ORDER BY created_at DESC, issue_id LIMIT ? OFFSET ?)"
            " ORDER BY created_at DESC, issue_id",
            [*params, int(query.limit), int(query.offset)],
        ).fetchall()
        return [_issue(r) for r in rows], int(total)

    def issue_points(self, query: IssueQuery) -> tuple[list[IssuePoint], int]:
        where, params = _where(query)
        con = self._con()
        total = con.execute(f"SELECT count(*) FROM issues{where}", params).fetchone()[0]
        # the layer's fields from the columns and one json_extract, never a whole document:
        # a township's page of 1,000 at 100,000 issues took 31 ms read and decoded as
        # documents (list_issues), 16.5 ms this way (quiet machine)
        rows = con.execute(
            f"SELECT {_POINT_COLUMNS} FROM issues WHERE rowid IN (SELECT rowid FROM issues"
            f"{where} ORDER BY created_at DESC, issue_id LIMIT ? OFFSET ?)"
            " ORDER BY created_at DESC, issue_id",
            [*params, int(query.limit), int(query.offset)],
        ).fetchall()
        return [_point(r) for r in rows], int(total)

    def queue_rows(
        self, query: IssueQuery, *, grids: Sequence[str] = (), text: str = "",
        text_grids: Sequence[str] = (),
    ) -> list[QueueRow]:  # fmt: skip
        where, params = _where(replace(query, limit=-1, offset=0))
        clauses = [where[len(" WHERE ") :]] if where else []
        if grids:
            clauses.append("grid_code IN (SELECT value FROM json_each(?))")
            params.append(strict_json(list(grids)))
        if text:
            # one parse of the document for the five fields (a county's 60,000 issues)
            clauses.append(
                "(instr(lower(issue_id || ' ' || json_extract(doc, '$.title', '$.description',"
                " '$.address', '$.unit_name')), lower(?)) > 0"
                " OR grid_code IN (SELECT value FROM json_each(?)))"
            )
            params += [text, strict_json(list(text_grids))]
        sql = (
            f"SELECT {_QUEUE_COLUMNS} FROM issues"
            + (" WHERE " + " AND ".join(clauses) if clauses else "")
            + " ORDER BY created_at DESC, issue_id"
        )
        return [_queue_row(r) for r in self._con().execute(sql, params)]

    def events(self, issue_id: str) -> list[Event]:
        con = self._con()
        if con.execute("SELECT 1 FROM issues WHERE issue_id = ?", (issue_id,)).fetchone() is None:
            raise NotFoundError(f"no issue {issue_id!r}")
        rows = con.execute(
            "SELECT * FROM events WHERE issue_id = ? ORDER BY seq", (issue_id,)
        ).fetchall()
        return [_event(r) for r in rows]

    def events_of(self, issue_ids: Sequence[str]) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {i: [] for i in issue_ids}
        if not out:
            return out
        rows = self._con().execute(
            "SELECT * FROM events WHERE issue_id IN (SELECT value FROM json_each(?))"
            " ORDER BY issue_id, seq",
            (strict_json(list(out)),),
        )
        for row in rows:
            out[row[0]].append(_event(row))
        return out

    def all_events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Event]:
        sql, params = "SELECT * FROM events WHERE 1=1", []
        if since is not None:
            sql += " AND at >= ?"
            params.append(_ts(since))
        if until is not None:
            sql += " AND at < ?"
            params.append(_ts(until))
        rows = self._con().execute(sql + " ORDER BY at, issue_id, seq", params).fetchall()
        return [_event(r) for r in rows]

    def due(self, now: datetime, *, resolved_before: datetime) -> list[Issue]:
        marks = ", ".join("?" for _ in _OPEN)
        rows = (
            self._con()
            .execute(
                f"SELECT doc, version FROM issues WHERE (status IN ({marks}) AND"
                " ((acknowledge_due IS NOT NULL AND acknowledge_due <= ?)"
                " OR (resolve_due IS NOT NULL AND resolve_due <= ?)))"
                " OR (status = ? AND updated_at <= ?) ORDER BY created_at",
                [*_OPEN, _ts(now), _ts(now), IssueStatus.RESOLVED.value, _ts(resolved_before)],
            )
            .fetchall()
        )
        return [_issue(r) for r in rows]

    def open_load(self, deputy_ids: Collection[str] | None = None) -> dict[str, int]:
        """Open issues per dispatched deputy (kept up to date by every write); only the
        deputies in ``deputy_ids`` when given."""
        if deputy_ids is None:
            return dict(self._load())
        ids = list(deputy_ids)
        if not ids:
            return {}
        if len(ids) > LOAD_SCAN_ABOVE:
            load = self._load()
            return {d: load[d] for d in ids if d in load}
        # A station's or township's dozen deputies: from the table kept in this process
        # when it is current, else only their rows. Refreshing the whole table here cost
        # every creation in a burst (each one moves the generation) a read of ~1,000 rows:
        # creation CPU 4.4 -> 6.2 ms at 2 clients (bench_store, --create 1000).
        con = self._con()
        cached = self._load_cache
        if cached is not None and cached[0] == self._generation(con):
            return {d: cached[1][d] for d in ids if d in cached[1]}
        # a JSON array: a pool can exceed SQLite's bound-parameter limit (json.dumps, not
        # strict_json's walk over each of these plain strings)
        return dict(
            con.execute(
                _LOAD_SQL + " AND deputy_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
        )

    @staticmethod
    def _generation(con: sqlite3.Connection) -> int:
        return int(con.execute("SELECT n FROM deputy_load_generation").fetchone()[0])

    def _load(self) -> Mapping[str, int]:
        """The whole load table, read again only when its generation has moved.

        The generation and the rows are read in one snapshot, and a table read inside a
        write transaction is not kept (it may hold changes that are rolled back, under a
        generation a later commit reuses); committed generations only grow.
        """
        con = self._con()
        own = not con.in_transaction
        if own:
            con.execute("BEGIN")
        try:
            generation = self._generation(con)
            cached = self._load_cache
            if cached is not None and cached[0] == generation:
                return cached[1]
            load = MappingProxyType(dict(con.execute(_LOAD_SQL)))
        finally:
            if own:
                con.execute("COMMIT")
        if own:
            self._load_cache = (generation, load)
        return load

    def count(self) -> int:
        """Number of issues stored."""
        return int(self._con().execute("SELECT count(*) FROM issues").fetchone()[0])

    # --- statistics --------------------------------------------------------------------

    def put_facts(self, facts: Sequence[IssueFacts]) -> int:
        if not facts:
            return 0
        stored = 0
        with self._write() as con:  # the write lock: no issue moves while this runs
            for f in facts:
                row = fact_values(f, _ts, strict_json(list(f.deputies)))
                cur = con.execute(_PUT_FACTS, [*row, f.issue_id, f.version])
                if cur.rowcount:
                    con.execute("DELETE FROM facts_pending WHERE issue_id = ?", (f.issue_id,))
                    con.execute("DELETE FROM issue_facts_before WHERE issue_id = ?", (f.issue_id,))
                    con.executemany(
                        _PUT_BEFORE, before_values(f, _ts, lambda e: strict_json(list(e.deputies)))
                    )
                stored += cur.rowcount
        return stored

    def stale_facts(self, *, basis: str) -> list[str]:
        con = self._con()
        if not _other_basis(con, basis):  # the pending list says which (version 8)
            return [r[0] for r in con.execute(
                "SELECT issue_id FROM facts_pending CROSS JOIN issues USING (issue_id)"
                " ORDER BY created_at"
            )]  # fmt: skip
        issues, facts = con.execute(
            "SELECT (SELECT count(*) FROM issues),"
            " (SELECT count(*) FROM issue_facts WHERE basis = ?)",
            (basis,),
        ).fetchone()
        if issues == facts:  # facts are only ever of stored issues, one each
            return []
        rows = con.execute(
            "SELECT issue_id FROM issues WHERE NOT EXISTS (SELECT 1 FROM issue_facts f"
            " WHERE f.issue_id = issues.issue_id AND f.basis = ?) ORDER BY created_at",
            (basis,),
        )
        return [r[0] for r in rows]

    def fact_totals(
        self,
        query: IssueQuery,
        *,
        by: str,
        start: datetime | None,
        end: datetime | None,
        basis: str,
    ) -> FactReading:
        def among(column: str, values: Sequence[str], params: list[Any]) -> str:
            params.append(strict_json(list(values)))
            return f"{column} IN (SELECT value FROM json_each(?))"

        cohort, cparams = fact_where(query, start, end, mark="?", among=among, when=_ts)
        scope, sparams = fact_where(query, None, None, mark="?", among=among, when=_ts,
                                    alias="f.")  # fmt: skip
        issues_where, iparams = _where(replace(query, created_from=start, created_to=end))
        until = _ts(end) if end is not None else "9999"
        key, join = _FACT_KEYS[by]
        by_unit = visits_by_unit(by, bool(scope))
        where = " AND ".join(["basis = ?", *cohort])
        con = self._con()
        con.execute("BEGIN")  # one snapshot for every read (WAL)
        try:
            final, before = sums_sql(key, join, where, "?", **_sum_plan(by, start, end))
            sums = con.execute(final, [basis, *cparams, until]).fetchall()
            sums += con.execute(before, [basis, *cparams, until, until]).fetchall()
            late = [r[0] for r in con.execute(
                late_sql(where, "?", hint=" INDEXED BY issue_facts_last"),
                [basis, *cparams, until, until, until],
            )]  # fmt: skip
            if not _other_basis(con, basis):  # replay the issues whose facts are missing
                late += [r[0] for r in con.execute(
                    f"SELECT issue_id FROM facts_pending CROSS JOIN issues USING (issue_id)"
                    f"{issues_where}",
                    iparams,
                )]  # fmt: skip
            elif _counted(con, f"SELECT count(*) FROM issues{issues_where}", iparams) != _counted(
                con, f"SELECT count(*) FROM issue_facts WHERE {where}", [basis, *cparams]
            ):  # facts of other deadlines are in the table: count which are missing
                late += [r[0] for r in con.execute(
                    f"SELECT issue_id FROM issues{issues_where}"
                    f"{' AND' if issues_where else ' WHERE'} NOT EXISTS (SELECT 1 FROM"
                    " issue_facts f WHERE f.issue_id = issues.issue_id AND f.basis = ?)",
                    [*iparams, basis],
                )]  # fmt: skip
            window = VISITS.format(mark="?")
            visits: list[Any] = []
            only = ""
            if by_unit:  # at a station: the event's unit says which
                months, edges = month_split(start, end)
                if months is not None:
                    lo, hi = months
                    visits += con.execute(
                        "SELECT actor_id, unit, '', '', '', '', sum(visits) FROM visit_months"
                        " WHERE month >= ? AND month < ? AND unit LIKE 'station:%' GROUP BY 1, 2",
                        [
                            "" if lo is None else f"{lo:%Y-%m}",
                            "9999" if hi is None else f"{hi:%Y-%m}",
                        ],
                    ).fetchall()
                for a, b in edges:
                    visits += con.execute(
                        f"SELECT actor_id, unit, '', '', '', '', count(*) FROM events"
                        f" WHERE {window} AND unit LIKE 'station:%' GROUP BY 1, 2",
                        ["" if a is None else _ts(a), "9999" if b is None else _ts(b)],
                    ).fetchall()
                only = " AND unit NOT LIKE 'station:%'"
            visits += con.execute(
                "SELECT v.actor_id, v.e_unit, f.station_id, f.township_code, f.category,"
                " CASE WHEN f.issue_id IS NULL THEN v.issue_id ELSE '' END, count(*) FROM"
                f" (SELECT issue_id, actor_id, unit AS e_unit FROM events WHERE {window}{only})"
                " AS v LEFT JOIN issue_facts f ON f.issue_id = v.issue_id AND f.basis = ?"
                + (f" WHERE f.issue_id IS NULL OR ({' AND '.join(scope)})" if scope else "")
                + " GROUP BY 1, 2, 3, 4, 5, 6",
                [_ts(start) if start is not None else "", until, basis, *sparams],
            ).fetchall()
        finally:
            con.execute("COMMIT")
        return reading(sums, late, visits)

    # --- tokens ------------------------------------------------------------------------

    def add_token(self, record: TokenRecord) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO tokens (token_hash, role, subject, name, created_at, revoked)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.token_hash,
                    record.role,
                    record.subject,
                    record.name,
                    _ts(record.created_at),
                    int(record.revoked),
                ),
            )

    def token(self, token_hash: str) -> TokenRecord | None:
        row = (
            self._con()
            .execute("SELECT * FROM tokens WHERE token_hash = ?", (token_hash,))
            .fetchone()
        )
        return None if row is None else _token(row)

    def tokens(self) -> list[TokenRecord]:
        rows = self._con().execute("SELECT * FROM tokens ORDER BY created_at").fetchall()
        return [_token(r) for r in rows]

    def revoke_token(self, token_hash: str) -> bool:
        with self._write() as con:
            cur = con.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))
        return cur.rowcount == 1


# Stored only while the issue is still at the facts' version (inside the write lock).
_PUT_FACTS = (
    f"INSERT INTO issue_facts ({', '.join(FACT_COLUMNS)})"
    f" SELECT {', '.join('?' for _ in FACT_COLUMNS)}"
    " WHERE EXISTS (SELECT 1 FROM issues WHERE issue_id = ? AND version = ?)"
    " ON CONFLICT (created_at, issue_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS if c not in ("issue_id", "created_at"))
)
#: Periods longer than this are summed in the order of ``issue_facts_units`` (every fact
#: read once, no sort); shorter ones from their range of ``issue_facts_period``, sorted.
#: Measured at 100,000 issues over a year: a month 5 ms by range, 16 ms by units; a year
#: 72-115 ms by range, 33-55 ms by units.
LONG_PERIOD = timedelta(days=60)


def _sum_plan(by: str, start: datetime | None, end: datetime | None) -> dict[str, str]:
    if by == "deputy" or (start is not None and end is not None and end - start <= LONG_PERIOD):
        return {}
    return {
        "hint": " INDEXED BY issue_facts_units",
        "group": "station_id, township_code, category, flags",
    }


_PUT_BEFORE = (
    f"INSERT OR REPLACE INTO issue_facts_before ({', '.join(BEFORE_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in BEFORE_COLUMNS)})"
)
# The unit of each grouping, and the join it needs (a deputy row per dispatched deputy).
_FACT_KEYS: dict[str, tuple[str, str]] = {
    "station": ("station_id", ""),
    "township": ("township_code", ""),
    "category": ("category", ""),
    "county": ("''", ""),
    "deputy": ("d.value", ", json_each(issue_facts.fact_deputies) AS d"),
}


def _counted(con: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    return int(con.execute(sql, params).fetchone()[0])


def _other_basis(con: sqlite3.Connection, basis: str) -> bool:
    """Whether ``issue_facts`` holds facts computed under other deadlines than ``basis``:
    then ``facts_pending`` does not say which issues lack facts under ``basis``."""
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM fact_bases WHERE basis <> ? AND n > 0)", (basis,)
    ).fetchone()
    return bool(row[0])


def _private_files(path: Path) -> None:
    """Create the database file readable by its owner only (0600), and narrow it, its
    -wal and its -shm if they exist: the store holds reporters' names and phones. SQLite
    gives the -wal and -shm files the mode of the database file."""
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)


def _deputy_list(text: str) -> tuple[str, ...]:
    # the ``deputies`` column is ",D1,D2," (so LIKE '%,D1,%' finds one deputy)
    return tuple(d for d in text.strip(",").split(",") if d)


def _add_load(con: sqlite3.Connection, was: Sequence[str], now: Sequence[str]) -> None:
    """Move one issue's share of the open load from deputies ``was`` to ``now``."""
    change: dict[str, int] = {}
    for deputy in was:
        change[deputy] = change.get(deputy, 0) - 1
    for deputy in now:
        change[deputy] = change.get(deputy, 0) + 1
    rows = [(d, n) for d, n in change.items() if n]
    if rows:
        con.executemany(
            "INSERT INTO deputy_load (deputy_id, open) VALUES (?, ?)"
            " ON CONFLICT (deputy_id) DO UPDATE SET open = open + excluded.open",
            rows,
        )


def _rebuild_deputy_load(con: sqlite3.Connection) -> None:
    """Recount the open load from the issues (upgrading a version-1 store)."""
    con.execute("DELETE FROM deputy_load")
    marks = ", ".join("?" for _ in _OPEN)
    load: dict[str, int] = {}
    for (text,) in con.execute(
        f"SELECT deputies FROM issues WHERE status IN ({marks}) AND deputies != ''", _OPEN
    ):
        for deputy in _deputy_list(text):
            load[deputy] = load.get(deputy, 0) + 1
    con.executemany("INSERT INTO deputy_load (deputy_id, open) VALUES (?, ?)", load.items())


def _with_version(issue: Issue, version: int) -> Issue:
    return replace(issue, version=version)


def _issue(row: Sequence[Any]) -> Issue:
    # the version into the decoded document, not replace() after: a page of 4,000 issues
    # spent ~120 ms in dataclasses.replace
    doc = json.loads(row[0])
    doc["version"] = int(row[1])
    return Issue.from_json(doc)


# The document's fields in one json_extract (one parse of the document; a call per field
# parsed it seven times and cost more than decoding it whole in Python)
_POINT_COLUMNS = (
    "issue_id, category, status, level, station_id, township_code, grid_code, deputies,"
    " reporter_id, lon, lat, json_extract(doc, '$.unit_name', '$.reporter_role',"
    " '$.escalations', '$.reopened', '$.rating', '$.created_at', '$.description')"
)


# escalations only above the station: a document parsed per escalated issue, not per issue
_QUEUE_COLUMNS = (
    "issue_id, status, level, category, created_at, updated_at, acknowledge_due, resolve_due,"
    " CASE WHEN level IN ('township', 'county', 'external')"
    " THEN json_extract(doc, '$.escalations') ELSE 0 END"
)


_STATUS = {s.value: s for s in IssueStatus}


def _queue_row(row: Sequence[Any]) -> QueueRow:
    when = datetime.fromisoformat
    return QueueRow(
        row[0], _STATUS[row[1]], row[2] or "", row[3], when(row[4]), when(row[5]),
        None if row[6] is None else when(row[6]), None if row[7] is None else when(row[7]),
        int(row[8] or 0),
    )  # fmt: skip


def _point(row: Sequence[Any]) -> IssuePoint:
    unit_name, reporter_role, escalations, reopened, rating, created_at, description = json.loads(
        row[11]
    )
    return IssuePoint(
        issue_id=row[0],
        category=row[1],
        status=IssueStatus(row[2]),
        level=row[3] or "",
        unit_name=unit_name or "",
        station_id=row[4] or "",
        township_code=row[5] or "",
        grid_code=row[6] or "",
        deputies=tuple(d for d in (row[7] or "").split(",") if d),
        reporter_role=reporter_role or "",
        reporter_id=row[8] or "",
        escalations=int(escalations or 0),
        reopened=int(reopened or 0),
        rating=rating or "",
        created_at=datetime.fromisoformat(created_at),
        description=(description or "")[:POINT_DESCRIPTION],
        lon=float(row[9]),
        lat=float(row[10]),
    )


def _event(row: Sequence[Any]) -> Event:
    return Event(
        issue_id=row[0],
        seq=int(row[1]),
        at=datetime.fromisoformat(row[2]),
        kind=row[3],
        actor_role=row[4],
        actor_id=row[5],
        status_from=row[6],
        status_to=row[7],
        unit=row[8],
        data=json.loads(row[9]),
    )


def _token(row: Sequence[Any]) -> TokenRecord:
    return TokenRecord(
        token_hash=row[0],
        role=row[1],
        subject=row[2],
        name=row[3],
        created_at=datetime.fromisoformat(row[4]),
        revoked=bool(row[5]),
    )


def _where(q: IssueQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def among(column: str, values: Sequence[str]) -> str:
        params.extend(values)
        return f"{column} IN ({', '.join('?' for _ in values) or 'NULL'})"

    if q.status:
        clauses.append(among("status", q.status))
    if q.open_only:
        clauses.append(among("status", _OPEN))
    if q.category:
        clauses.append("category = ?")
        params.append(q.category)
    if q.level:
        clauses.append("level = ?")
        params.append(q.level)
    if q.created_from is not None:
        clauses.append("created_at >= ?")
        params.append(_ts(q.created_from))
    if q.created_to is not None:
        clauses.append("created_at < ?")
        params.append(_ts(q.created_to))
    if q.issue_ids is not None:
        clauses.append(among("issue_id", q.issue_ids))
    if q.bbox is not None:
        clauses.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        params.extend([q.bbox[0], q.bbox[2], q.bbox[1], q.bbox[3]])
    if q.station_id is not None:
        clauses.append("station_id = ?")
        params.append(q.station_id)
    if q.township_code is not None:
        clauses.append("township_code = ?")
        params.append(q.township_code)
    scope: list[str] = []
    if q.station_ids is not None:
        scope.append(among("station_id", q.station_ids))
    if q.township_codes is not None:
        scope.append(among("township_code", q.township_codes))
    if q.grid_codes is not None:
        scope.append(among("grid_code", q.grid_codes))
    if q.deputy_id is not None:
        scope.append("deputies LIKE ? ESCAPE '\\'")
        params.append(f"%,{_like_escape(q.deputy_id)},%")
    if q.reporter_id is not None:
        scope.append("reporter_id = ?")
        params.append(q.reporter_id)
    if scope:
        clauses.append("(" + " OR ".join(scope) + ")")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _like_escape(text: str) -> str:
    # ids come from tokens and the workspace; LIKE wildcards in them must match literally
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
