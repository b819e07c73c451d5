"""The shared issue store: PostgreSQL with PostGIS, for several servers over one database.

Same promises as :class:`gridgov.store.sqlite.SQLiteStore` (see
:mod:`gridgov.store.base`): a snapshot per issue as JSONB with copies of the filter
columns beside it, the location as ``geometry(Point, 4490)`` (CGCS2000) under a GiST
index, events that a trigger keeps append-only, optimistic row versions, idempotency keys
under a unique constraint. Connections come from a ``psycopg_pool.ConnectionPool`` that
checks each one before lending it, so after a database restart the next call reconnects;
a call that meets the database down raises :class:`StoreUnavailableError` instead of a
driver error. The schema is the versioned SQL files in ``gridgov/store/migrations``,
applied in order by :func:`migrate` under an advisory lock (two servers starting at once
apply each file once).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gridgov._errors import (
    ExtraMissingError,
    NotFoundError,
    ParameterError,
)
from gridgov._json import strict_json

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ExtraMissingError("postgis", "the PostGIS issue store (psycopg 3, psycopg_pool)") from exc

from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import CHINA_TIME, IssueStatus
from gridgov.store import migrations
from gridgov.store._facts import (
    BEFORE_COLUMNS,
    FACT_COLUMNS,
    FACT_SUMS,
    VISITS,
    before_values,
    fact_values,
    fact_where,
    late_sql,
    month_split,
    month_start,
    reading,
    sums_sql,
    visits_by_unit,
)
from gridgov.store._pg import connect, reason, where_is
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
    StoreUnavailableError,
    TokenRecord,
)
from gridgov.store.migrations import (
    Migration,
    apply_migrations,
    available_migrations,
    migrate,
    schema_version,
)

__all__ = ["Migration", "PostGISStore", "available_migrations", "migrate", "schema_version"]

log = logging.getLogger(__name__)

#: The SRID of every stored location: CGCS2000 longitude/latitude.
SRID = 4490


# How long a call waits for a pooled connection before checking the server is up at all,
# and how often a store probes the server while that question is open.
_FIRST_WAIT_S = 1.0
_PROBE_EVERY_S = 0.5

_OPEN = sorted(s.value for s in OPEN_STATUSES)
# written into the SQL (constants, not input) so that the partial index issues_open_deputies,
# whose predicate is this same list, serves open_load also under generic plans
_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in _OPEN) + ")"

_ISSUE_COLUMNS = (
    "issue_id, version, status, category, level, unit, station_id, township_code, grid_code,"
    " reporter_id, deputies, created_at, updated_at, acknowledge_due, resolve_due, geom, doc"
)
_ISSUE_VALUES = (
    "%(issue_id)s, %(version)s, %(status)s, %(category)s, %(level)s, %(unit)s, %(station_id)s,"
    " %(township_code)s, %(grid_code)s, %(reporter_id)s, %(deputies)s, %(created_at)s,"
    " %(updated_at)s, %(acknowledge_due)s, %(resolve_due)s,"
    f" ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {SRID}), %(doc)s::jsonb"
)
_INSERT_ISSUE = f"INSERT INTO issues ({_ISSUE_COLUMNS}) VALUES ({_ISSUE_VALUES})"
_UPDATE_ISSUE = (
    f"UPDATE issues SET ({_ISSUE_COLUMNS}) = ({_ISSUE_VALUES})"
    " WHERE issue_id = %(issue_id)s AND version = %(expected)s"
)
_INSERT_EVENT = (
    "INSERT INTO events (issue_id, seq, at, kind, actor_role, actor_id, status_from, status_to,"
    " unit, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)"
)
_EVENT_COLUMNS = "issue_id, seq, at, kind, actor_role, actor_id, status_from, status_to, unit, data"
_TOKEN_COLUMNS = "token_hash, role, subject, name, created_at, revoked"


# --- connections ---------------------------------------------------------------------------


# --- the store -----------------------------------------------------------------------------


class PostGISStore:
    """Issues, events, idempotency keys and tokens in PostgreSQL + PostGIS.

    Parameters
    ----------
    dsn : str
        libpq connection string or ``postgresql://`` URL (a ``search_path`` given in
        ``options`` is honoured: every table lives in the first schema on it).
    min_size, max_size : int
        Connections the pool keeps open / may open.
    timeout_s : float
        How long a call waits for a connection before :class:`StoreUnavailableError`.
    connect_timeout_s : float
        How long opening one connection may take.
    migrate : bool
        Apply pending migrations on open (default). With False, opening a database whose
        schema lacks a shipped migration raises :class:`StoreUnavailableError` saying so.

    Raises
    ------
    StoreUnavailableError
        If the database cannot be reached, or its schema is behind and ``migrate=False``.
    ParameterError
        If ``dsn`` cannot be parsed or the pool sizes make no sense.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
        migrate: bool = True,
    ) -> None:
        if min_size < 0:
            raise ParameterError(
                f"min_size: must be >= 0, got {min_size!r}", parameter="min_size", value=min_size
            )
        if max_size < max(1, min_size):
            raise ParameterError(
                f"max_size: must be >= max(1, min_size={min_size}), got {max_size!r}",
                parameter="max_size",
                value=max_size,
            )
        if timeout_s <= 0:
            raise ParameterError(
                f"timeout_s: must be > 0, got {timeout_s!r}", parameter="timeout_s", value=timeout_s
            )
        self.dsn = dsn
        self.where = where_is(dsn)
        self._secret: str | None = None
        self._sizes = (min_size, max_size)
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._down = False  # set when a failure found the server unreachable
        self._probe_lock = threading.Lock()
        self._probed = (-_PROBE_EVERY_S, True)  # (monotonic time, answer) of the last probe
        with connect(dsn, connect_timeout_s=connect_timeout_s) as conn:
            if migrate:
                apply_migrations(conn, migrations.available_migrations(), self.where)
            else:
                have = set(schema_version(conn))
                missing = [
                    m.filename for m in migrations.available_migrations() if m.version not in have
                ]
                if missing:
                    raise StoreUnavailableError(
                        f"{self.where}: the issue schema is behind (missing "
                        f"{', '.join(missing)}); run gridgov.store.postgis.migrate(dsn) "
                        "or open the store with migrate=True"
                    )
        self._pool = self._open_pool()

    def __repr__(self) -> str:
        return f"PostGISStore({self.where!r})"

    # --- connections ---------------------------------------------------------------------
    #
    # The pool checks every connection before lending it (check_connection), so one killed
    # connection or a quick restart costs nothing but the call that was using it. A longer
    # outage is different: the pool retries in the background with exponential backoff, and
    # once the server is back its next attempt may still be a minute away. So when a call
    # fails, or has waited _FIRST_WAIT_S for a connection, the store tries one direct
    # connection of its own. Refused: the store is marked down and the call raises
    # StoreUnavailableError at once. While down, every call first makes that same probe:
    # refused -> StoreUnavailableError at once (no wait for the pool timeout), accepted -> a
    # fresh pool replaces the old one and the call goes ahead.

    def _open_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        min_size, max_size = self._sizes
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self.dsn,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(self._connect_timeout_s))},
            check=ConnectionPool.check_connection,
            timeout=self._timeout_s,
            name="gridgov-issues",
            open=False,
        )
        try:
            pool.open(wait=True, timeout=self._timeout_s)
        except psycopg.OperationalError as exc:
            pool.close(timeout=0)
            raise StoreUnavailableError(
                f"cannot open connections to {self.where}: {reason(exc)}"
            ) from exc
        return pool

    def _reachable(self) -> bool:
        """Whether the server accepts a connection now (one probe per _PROBE_EVERY_S)."""
        with self._probe_lock:
            at, answer = self._probed
            if time.monotonic() - at < _PROBE_EVERY_S:
                return answer
            try:
                with psycopg.connect(
                    self.dsn, connect_timeout=max(1, int(self._connect_timeout_s))
                ) as probe:
                    probe.execute("SELECT 1")
                answer = True
            except psycopg.Error:
                answer = False
            self._probed = (time.monotonic(), answer)
            return answer

    def _recover(self, doing: str) -> None:
        """While marked down: renew the pool if the server answers again, else fail fast."""
        with self._lock:
            if not self._down:
                return  # another thread renewed it
            if not self._reachable():
                raise StoreUnavailableError(
                    f"{self.where} is unreachable; {doing} did not start; retry once the "
                    "database is back"
                )
            old, self._pool = self._pool, self._open_pool()
            self._down = False
        log.warning("%s is back: connection pool renewed", self.where)
        # its workers may be asleep in a reconnection backoff: let them wind down aside
        threading.Thread(target=old.close, kwargs={"timeout": 10.0}, daemon=True).start()

    def _getconn(
        self, doing: str
    ) -> tuple[ConnectionPool[psycopg.Connection[Any]], psycopg.Connection[Any]]:
        """A connection and the pool it must go back to."""
        pool = self._pool
        deadline = time.monotonic() + pool.timeout
        wait = min(_FIRST_WAIT_S, pool.timeout)
        while True:
            try:
                return pool, pool.getconn(timeout=wait)
            except PoolClosed as exc:
                if self._pool is pool:
                    raise StoreUnavailableError(f"the store of {self.where} is closed") from exc
                pool = self._pool  # renewed by another thread while we waited
                wait = max(0.1, deadline - time.monotonic())
            except PoolTimeout as exc:
                if not self._reachable():
                    self._down = True
                    raise StoreUnavailableError(
                        f"{self.where} is unreachable; {doing} did not start; retry once "
                        "the database is back"
                    ) from exc
                wait = deadline - time.monotonic()
                if wait <= 0:  # the server is up: every connection is in use
                    raise StoreUnavailableError(
                        f"no free connection to {self.where} within {pool.timeout:g} s (all "
                        f"{pool.max_size} are busy); {doing} did not start"
                    ) from exc

    @contextmanager
    def _conn(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection (autocommit); driver errors become StoreUnavailableError."""
        if self._down:
            self._recover(doing)
        pool, conn = self._getconn(doing)
        try:
            with conn:  # as pool.connection() does: the pool's connection is not closed here
                yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # the pool drops the broken connection; is the server itself gone?
            self._down = not self._reachable()
            raise StoreUnavailableError(
                f"{self.where} is unavailable; {doing} may not have completed "
                f"({reason(exc)}); retry once the database is back"
            ) from exc
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        """Close the pool and every connection in it."""
        self._pool.close()

    # --- issues --------------------------------------------------------------------------

    @staticmethod
    def _params(issue: Issue) -> dict[str, Any]:
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
            "deputies": list(issue.deputies),
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "acknowledge_due": issue.acknowledge_due,
            "resolve_due": issue.resolve_due,
            "lon": float(issue.lon),
            "lat": float(issue.lat),
            "doc": issue.to_json(),
        }

    @staticmethod
    def _insert_events(conn: psycopg.Connection[Any], events: Sequence[Event]) -> None:
        if not events:
            return
        conn.cursor().executemany(
            _INSERT_EVENT,
            [
                (
                    e.issue_id,
                    e.seq,
                    e.at,
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

        The key is claimed first (``INSERT ... ON CONFLICT DO NOTHING``): a concurrent
        creation with the same key waits for the first to commit, then finds the key
        taken and returns the stored issue.

        Returns
        -------
        (Issue, bool)
            The stored issue and whether it was created now (False: the key was seen).

        Raises
        ------
        IdempotencyError
            If the key was used before for a different request.
        ConflictError
            If an issue with this id exists already.
        StoreUnavailableError
            If the database cannot be reached.
        """
        stored = replace(issue, version=1)
        with self._conn("creating the issue") as conn:
            try:
                with conn.transaction():
                    if keys_expire_before is not None:
                        conn.execute(
                            "DELETE FROM idempotency WHERE created_at < %s", (keys_expire_before,)
                        )
                    if idempotency_key is not None:
                        claimed = conn.execute(
                            "INSERT INTO idempotency (key, request_hash, issue_id, created_at)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
                            (idempotency_key, request_hash, issue.issue_id, issue.created_at),
                        ).rowcount
                        if claimed != 1:
                            return self._replay(conn, idempotency_key, request_hash), False
                    conn.execute(_INSERT_ISSUE, self._params(stored))
                    self._insert_events(conn, events)
            except pg_errors.UniqueViolation as exc:
                raise ConflictError(
                    f"issue {issue.issue_id} already exists ({reason(exc)})"
                ) from exc
        return stored, True

    @staticmethod
    def _replay(conn: psycopg.Connection[Any], key: str, request_hash: str) -> Issue:
        row = conn.execute(
            "SELECT k.request_hash, k.issue_id, i.doc, i.version FROM idempotency k"
            " JOIN issues i USING (issue_id) WHERE k.key = %s",
            (key,),
        ).fetchone()
        if row is None:  # the key's holder was rolled back between our two statements
            raise ConflictError(f"Idempotency-Key {key!r} is being used right now; retry")
        if row[0] != request_hash:
            raise IdempotencyError(
                f"Idempotency-Key {key!r} was already used for a different request (issue {row[1]})"
            )
        return _issue(row[2], row[3])

    def get_issue(self, issue_id: str) -> Issue:
        with self._conn("reading the issue") as conn:
            row = conn.execute(
                "SELECT doc, version FROM issues WHERE issue_id = %s", (issue_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no issue {issue_id!r}")
        return _issue(row[0], row[1])

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
        StoreUnavailableError
            If the database cannot be reached.
        """
        stored = replace(issue, version=expected_version + 1)
        with self._conn("updating the issue") as conn:
            try:
                with conn.transaction():
                    cur = conn.execute(
                        _UPDATE_ISSUE, {**self._params(stored), "expected": expected_version}
                    )
                    if cur.rowcount != 1:
                        row = conn.execute(
                            "SELECT version FROM issues WHERE issue_id = %s", (issue.issue_id,)
                        ).fetchone()
                        if row is None:
                            raise NotFoundError(f"no issue {issue.issue_id!r}")
                        raise ConflictError(
                            f"issue {issue.issue_id} changed (version {row[0]}, "
                            f"expected {expected_version})"
                        )
                    self._insert_events(conn, events)
            except pg_errors.UniqueViolation as exc:
                raise ConflictError(
                    f"issue {issue.issue_id}: events already stored ({reason(exc)})"
                ) from exc
        return stored

    def modify(
        self,
        issue_ids: Sequence[str],
        change: Callable[[Mapping[str, Issue]], Sequence[tuple[Issue, Sequence[Event]]]],
    ) -> list[Issue]:
        """Read ``issue_ids`` inside one transaction, let ``change`` decide on that fresh
        state, and store what it returns (each a new snapshot with its events).

        The rows are locked with ``SELECT ... FOR UPDATE`` in issue-id order, so two
        changes over the same issues (a merge of A into B and of B into A) wait for each
        other instead of deadlocking, and the second sees what the first committed.

        Raises
        ------
        NotFoundError
            If an issue does not exist.
        ParameterError
            If ``change`` returns an issue it was not given.
        StoreUnavailableError
            If the database cannot be reached.
        Whatever ``change`` raises (nothing is written then).
        """
        ids = sorted(set(issue_ids))
        out: list[Issue] = []
        with self._conn("changing the issue") as conn, conn.transaction():
            rows = conn.execute(
                "SELECT issue_id, doc, version FROM issues WHERE issue_id = ANY(%s::text[])"
                ' ORDER BY issue_id COLLATE "C" FOR UPDATE',
                (ids,),
            ).fetchall()
            fresh = {str(r[0]): _issue(r[1], r[2]) for r in rows}
            for issue_id in ids:
                if issue_id not in fresh:
                    raise NotFoundError(f"no issue {issue_id!r}")
            for new, events in change(fresh):
                if new.issue_id not in fresh:
                    raise ParameterError(
                        f"change: issue {new.issue_id} was not read in this transaction",
                        parameter="change",
                    )
                expected = fresh[new.issue_id].version
                stored = replace(new, version=expected + 1)
                conn.execute(_UPDATE_ISSUE, {**self._params(stored), "expected": expected})
                self._insert_events(conn, events)
                fresh[new.issue_id] = stored
                out.append(stored)
        return out

    def list_issues(self, query: IssueQuery) -> tuple[list[Issue], int]:
        where, params = _where(query)
        with self._conn("listing issues") as conn:
            counted, paged = conn.cursor(), conn.cursor()
            # never prepared: a generic plan cannot tell a township's box from a small one
            # (at 1,000,000 issues the page of 50 went from 2 ms to 260 ms once psycopg
            # prepared it, on the 6th call on a connection)
            with conn.pipeline():  # both queries in one round trip
                counted.execute(*_count(query, where, params), prepare=False)
                paged.execute(
                    f"SELECT doc, version FROM issues{where} ORDER BY created_at DESC, issue_id"
                    " LIMIT %s OFFSET %s",
                    # as SQLite reads them: a negative limit is none, a negative offset 0
                    [*params, None if query.limit < 0 else int(query.limit), max(0, query.offset)],
                    prepare=False,
                )
            total = counted.fetchone()
            rows = paged.fetchall()
        return [_issue(r[0], r[1]) for r in rows], int(total[0] if total else 0)

    def queue_rows(
        self, query: IssueQuery, *, grids: Sequence[str] = (), text: str = "",
        text_grids: Sequence[str] = (),
    ) -> list[QueueRow]:  # fmt: skip
        where, params = _where(replace(query, limit=-1, offset=0))
        clauses = [where[len(" WHERE ") :]] if where else []
        if grids:
            clauses.append("grid_code = ANY(%s::text[])")
            params.append(list(grids))
        if text:
            clauses.append(
                "(position(lower(%s) in lower(concat_ws(' ', issue_id, doc->>'title',"
                " doc->>'description', doc->>'address', doc->>'unit_name'))) > 0"
                " OR grid_code = ANY(%s::text[]))"
            )
            params += [text, list(text_grids)]
        sql = (
            "SELECT issue_id, status, level, category, created_at, updated_at,"
            " acknowledge_due, resolve_due, CASE WHEN level IN ('township', 'county', 'external')"
            " THEN (doc->>'escalations')::int ELSE 0 END FROM issues"
            + (" WHERE " + " AND ".join(clauses) if clauses else "")
            + " ORDER BY created_at DESC, issue_id"
        )
        with self._conn("reading the work queue") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            QueueRow(
                issue_id=r[0], status=IssueStatus(r[1]), level=r[2] or "", category=r[3],
                created_at=r[4], updated_at=r[5], acknowledge_due=r[6], resolve_due=r[7],
                escalations=int(r[8] or 0),
            )
            for r in rows
        ]  # fmt: skip

    def issue_points(self, query: IssueQuery) -> tuple[list[IssuePoint], int]:
        where, params = _where(query)
        with self._conn("listing issue points") as conn:
            counted, paged = conn.cursor(), conn.cursor()
            with conn.pipeline():  # as list_issues, the layer's fields instead of documents
                counted.execute(*_count(query, where, params), prepare=False)
                paged.execute(
                    f"SELECT {_POINT_COLUMNS} FROM issues{where}"
                    " ORDER BY created_at DESC, issue_id LIMIT %s OFFSET %s",
                    [*params, None if query.limit < 0 else int(query.limit), max(0, query.offset)],
                    prepare=False,
                )
            total = counted.fetchone()
            rows = paged.fetchall()
        return [_point(r) for r in rows], int(total[0] if total else 0)

    def events(self, issue_id: str) -> list[Event]:
        with self._conn("reading events") as conn:
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE issue_id = %s ORDER BY seq",
                (issue_id,),
            ).fetchall()
            # every stored issue has events; only an empty answer needs the second look
            if not rows:
                found = conn.execute("SELECT 1 FROM issues WHERE issue_id = %s", (issue_id,))
                if found.fetchone() is None:
                    raise NotFoundError(f"no issue {issue_id!r}")
        return [_event(r) for r in rows]

    def events_of(self, issue_ids: Sequence[str]) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {i: [] for i in issue_ids}
        if not out:
            return out
        with self._conn("reading events") as conn:
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE issue_id = ANY(%s::text[])"
                " ORDER BY issue_id, seq",
                (list(out),),
            ).fetchall()
        for row in rows:
            out[row[0]].append(_event(row))
        return out

    def all_events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Event]:
        sql, params = f"SELECT {_EVENT_COLUMNS} FROM events WHERE true", []
        if since is not None:
            sql += " AND at >= %s"
            params.append(since)
        if until is not None:
            sql += " AND at < %s"
            params.append(until)
        with self._conn("reading events") as conn:
            rows = conn.execute(sql + " ORDER BY at, issue_id, seq", params).fetchall()
        return [_event(r) for r in rows]

    def due(self, now: datetime, *, resolved_before: datetime) -> list[Issue]:
        with self._conn("listing due issues") as conn:
            rows = conn.execute(
                f"SELECT doc, version FROM issues WHERE ({_OPEN_SQL} AND"
                " (acknowledge_due <= %(now)s OR resolve_due <= %(now)s))"
                " OR (status = %(resolved)s AND updated_at <= %(before)s)"
                " ORDER BY created_at",
                {
                    "now": now,
                    "resolved": IssueStatus.RESOLVED.value,
                    "before": resolved_before,
                },
            ).fetchall()
        return [_issue(r[0], r[1]) for r in rows]

    def open_load(self, deputy_ids: Collection[str] | None = None) -> dict[str, int]:
        """Open issues per dispatched deputy, from the ``deputy_load`` table a trigger keeps
        in step with every write (migration 0003); only the deputies in ``deputy_ids``
        when given."""
        sql = "SELECT deputy_id, open FROM deputy_load WHERE open > 0"
        params: list[Any] = []
        wanted: set[str] | None = None
        if deputy_ids is not None:
            ids = list(deputy_ids)
            if not ids:
                return {}
            if len(ids) > LOAD_SCAN_ABOVE:
                # a county pool: read the table (one row per deputy ever dispatched) and
                # keep the wanted ids here rather than send a thousand ids each way
                wanted = set(ids)
            else:
                sql += " AND deputy_id = ANY(%s::text[])"
                params = [ids]
        with self._conn("reading open issues per deputy") as conn:
            rows = conn.execute(sql, params).fetchall()
        return {str(d): int(n) for d, n in rows if wanted is None or d in wanted}

    def count(self) -> int:
        """Number of issues stored."""
        with self._conn("counting issues") as conn:
            row = conn.execute("SELECT count(*) FROM issues").fetchone()
        return int(row[0]) if row else 0

    # --- statistics ----------------------------------------------------------------------

    def put_facts(self, facts: Sequence[IssueFacts]) -> int:
        if not facts:
            return 0
        with self._conn("storing issue facts") as conn, conn.transaction():
            # FOR SHARE waits for a write in flight on these issues and keeps the next one
            # out until the facts are in (that write then deletes them)
            current = dict(
                conn.execute(
                    "SELECT issue_id, version FROM issues WHERE issue_id = ANY(%s::text[])"
                    " ORDER BY issue_id FOR SHARE",
                    ([f.issue_id for f in facts],),
                ).fetchall()
            )
            fresh = [f for f in facts if current.get(f.issue_id) == f.version]
            rows = [fact_values(f, _same, list(f.deputies)) for f in fresh]
            if rows:
                cur = conn.cursor()
                cur.executemany(_PUT_FACTS, rows)
                cur.execute(
                    "DELETE FROM issue_facts_before WHERE issue_id = ANY(%s::text[])",
                    ([f.issue_id for f in fresh],),
                )
                before = [
                    r for f in fresh for r in before_values(f, _same, lambda e: list(e.deputies))
                ]
                if before:
                    cur.executemany(_PUT_BEFORE, before)
                cur.execute(
                    "DELETE FROM facts_pending WHERE issue_id = ANY(%s::text[])",
                    ([f.issue_id for f in fresh],),
                )
        return len(rows)

    def stale_facts(self, *, basis: str) -> list[str]:
        with self._conn("finding stale issue facts") as conn:
            if not _other_basis(conn, basis):  # the pending list says which (0012)
                return [r[0] for r in conn.execute(
                    "SELECT issue_id FROM facts_pending JOIN issues USING (issue_id)"
                    " ORDER BY created_at"
                ).fetchall()]  # fmt: skip
            counted = conn.execute(
                "SELECT (SELECT count(*) FROM issues),"
                " (SELECT count(*) FROM issue_facts WHERE basis = %s)",
                (basis,),
            ).fetchone()
            if counted is None or counted[0] == counted[1]:
                return []
            rows = conn.execute(
                "SELECT issue_id FROM issues WHERE NOT EXISTS (SELECT 1 FROM issue_facts f"
                " WHERE f.issue_id = issues.issue_id AND f.basis = %s) ORDER BY created_at",
                (basis,),
            ).fetchall()
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
        cohort, cparams = fact_where(query, start, end, mark="%s", among=_among, when=_same)
        scope, sparams = fact_where(query, None, None, mark="%s", among=_among, when=_same,
                                    alias="f.")  # fmt: skip
        issues_where, iparams = _where(replace(query, created_from=start, created_to=end))
        until: Any = end if end is not None else "infinity"
        key, join = _FACT_KEYS[by]
        by_unit = visits_by_unit(by, bool(scope))
        where = " AND ".join(["basis = %s", *cohort])
        # the whole months of the period come from fact_months (not per deputy: a fact names
        # several), its edges from the facts themselves
        months, edges = (None, []) if join else month_split(start, end, CHINA_TIME)
        self._fold_fact_months()
        with self._conn("summing issue facts") as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot
            # A plan for the period at hand: psycopg prepares a statement run five times, and
            # the generic plan made for a month's dates read a year through the index of
            # creation times (year at 1,000,000 issues: 1,080 ms after months, 280 alone).
            conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            final, before = sums_sql(key, join, where, "%s::timestamptz")
            if months is None:
                sums = conn.execute(final, [basis, *cparams, until]).fetchall()
            else:
                sums = _month_sums(conn, query, key, basis, end, months, edges)
            sums += conn.execute(before, [basis, *cparams, until, until]).fetchall()
            late = [r[0] for r in conn.execute(
                late_sql(where, "%s::timestamptz"), [basis, *cparams, until, until, until]
            ).fetchall()]  # fmt: skip
            other = _other_basis(conn, basis)
            if not other:  # replay the issues whose facts are missing
                late += [r[0] for r in conn.execute(
                    f"SELECT issue_id FROM facts_pending JOIN issues USING (issue_id)"
                    f"{issues_where}",
                    iparams,
                ).fetchall()]  # fmt: skip
            else:  # facts of other deadlines are in the table: count which are missing
                counted = conn.execute(
                    f"SELECT (SELECT count(*) FROM issues{issues_where}),"
                    f" (SELECT count(*) FROM issue_facts WHERE {where})",
                    [*iparams, basis, *cparams],
                ).fetchone()
                if counted is not None and counted[0] != counted[1]:
                    late += [r[0] for r in conn.execute(
                        f"SELECT issue_id FROM issues{issues_where}"
                        f"{' AND' if issues_where else ' WHERE'} NOT EXISTS (SELECT 1 FROM"
                        " issue_facts f WHERE f.issue_id = issues.issue_id AND f.basis = %s)",
                        [*iparams, basis],
                    ).fetchall()]  # fmt: skip
            window = VISITS.format(mark="%s::timestamptz")
            visits: list[Any] = []
            only = ""
            windows: Sequence[tuple[datetime | None, datetime | None]] = [(start, end)]
            if by_unit:  # at a station: the event's unit says which
                vmonths, vedges = month_split(start, end)
                if vmonths is not None:
                    lo, hi = vmonths
                    visits += conn.execute(
                        "SELECT actor_id, unit, '', '', '', '', sum(visits) FROM visit_months"
                        " WHERE month >= %s::date AND month < %s::date"
                        " AND unit LIKE 'station:%%' GROUP BY 1, 2",
                        ["-infinity" if lo is None else lo.date(),
                         "infinity" if hi is None else hi.date()],
                    ).fetchall()  # fmt: skip
                for a, b in vedges:
                    visits += conn.execute(
                        f"SELECT actor_id, unit, '', '', '', '', count(*) FROM events"
                        f" WHERE {window} AND unit LIKE 'station:%%' GROUP BY 1, 2",
                        ["-infinity" if a is None else a, "infinity" if b is None else b],
                    ).fetchall()
                only = " AND unit NOT LIKE 'station:%%'"
            # the visits to be placed by their issue (away from a station; every one for a
            # scope, a township or a category): whole local months from visit_months_placed
            pmonths, pedges = month_split(start, end, CHINA_TIME)
            if pmonths is not None:
                lo, hi = pmonths
                placed, pparams = fact_where(query, None, None, mark="%s", among=_among,
                                             when=_same)  # fmt: skip
                if by_unit:
                    placed.append("unit NOT LIKE 'station:%%'")
                visits += conn.execute(
                    "SELECT actor_id, unit, station_id, township_code, category, '',"
                    " sum(visits) FROM visit_months_placed WHERE "
                    + " AND ".join(["month >= %s::date", "month < %s::date", *placed])
                    + " GROUP BY 1, 2, 3, 4, 5 HAVING sum(visits) <> 0",
                    ["-infinity" if lo is None else lo.date(),
                     "infinity" if hi is None else hi.date(), *pparams],
                ).fetchall()  # fmt: skip
                windows = pedges
            if by_unit:
                # The visits away from a station are a few per cent of a period's issues:
                # looked up one by one in the facts' key. The planner would hash every fact
                # instead (a year of 1,000,000 issues: 440 ms against 155 ms). Not for all
                # of a period's visits (a scope, a township, a category): 860,000 lookups.
                conn.execute("SET LOCAL enable_hashjoin = off")
                conn.execute("SET LOCAL enable_mergejoin = off")
            for a, b in windows:
                bounds = ["-infinity" if a is None else a, "infinity" if b is None else b]
                edge = f"SELECT issue_id, actor_id, unit AS e_unit FROM events WHERE {window}{only}"
                if scope and not other:
                    # the facts of the scope only (a township's tenth of the county), and the
                    # visits whose issue has none from the pending list: an edge of 23 days of
                    # a township's visits at 1,000,000 issues took 730 ms joined to every fact
                    visits += conn.execute(
                        "SELECT v.actor_id, v.e_unit, f.station_id, f.township_code,"
                        f" f.category, '', count(*) FROM ({edge}) AS v JOIN issue_facts f"
                        " ON f.issue_id = v.issue_id AND f.basis = %s"
                        f" WHERE {' AND '.join(scope)} GROUP BY 1, 2, 3, 4, 5"
                        " UNION ALL SELECT v.actor_id, v.e_unit, '', '', '', v.issue_id,"
                        f" count(*) FROM ({edge}) AS v"
                        " WHERE v.issue_id IN (SELECT issue_id FROM facts_pending)"
                        " GROUP BY 1, 2, 6",
                        [*bounds, basis, *sparams, *bounds],
                    ).fetchall()
                    continue
                visits += conn.execute(
                    "SELECT v.actor_id, v.e_unit, f.station_id, f.township_code, f.category,"
                    " CASE WHEN f.issue_id IS NULL THEN v.issue_id ELSE '' END, count(*) FROM"
                    f" ({edge}) AS v"
                    " LEFT JOIN issue_facts f ON f.issue_id = v.issue_id AND f.basis = %s"
                    + (f" WHERE f.issue_id IS NULL OR ({' AND '.join(scope)})" if scope else "")
                    + " GROUP BY 1, 2, 3, 4, 5, 6",
                    [*bounds, basis, *sparams],
                ).fetchall()  # fmt: skip
        return reading(sums, late, visits)

    def _fold_fact_months(self) -> None:
        """Fold the changes appended to ``fact_month_changes`` into ``fact_months`` once
        :data:`_FOLD_AT` have gathered (one reader at a time; the others read both)."""
        with self._conn("folding the monthly facts") as conn, conn.transaction():
            row = conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM fact_month_changes LIMIT %s) AS c",
                (_FOLD_AT,),
            ).fetchone()
            if row is None or row[0] < _FOLD_AT:
                return
            locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_FOLD_LOCK,)).fetchone()
            if locked is None or not locked[0]:
                return
            conn.execute(_FOLD)
            conn.execute("DELETE FROM fact_months WHERE issues = 0")

    # --- tokens and secret ---------------------------------------------------------------

    def add_token(self, record: TokenRecord) -> None:
        with self._conn("adding the token") as conn:
            try:
                conn.execute(
                    f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        record.token_hash,
                        record.role,
                        record.subject,
                        record.name,
                        record.created_at,
                        record.revoked,
                    ),
                )
            except pg_errors.UniqueViolation as exc:
                raise ConflictError(f"token {record.token_hash[:8]}... exists already") from exc

    def token(self, token_hash: str) -> TokenRecord | None:
        with self._conn("reading the token") as conn:
            row = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE token_hash = %s", (token_hash,)
            ).fetchone()
        return None if row is None else _token(row)

    def tokens(self) -> list[TokenRecord]:
        with self._conn("listing tokens") as conn:
            rows = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens ORDER BY created_at, token_hash"
            ).fetchall()
        return [_token(r) for r in rows]

    def revoke_token(self, token_hash: str) -> bool:
        with self._conn("revoking the token") as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked = true WHERE token_hash = %s", (token_hash,)
            )
        return cur.rowcount == 1


# --- rows ----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    # timestamptz comes back in the session's time zone; the SQLite store gives UTC
    return value.astimezone(UTC)


def _issue(doc: Any, version: Any) -> Issue:
    raw = dict(doc) if isinstance(doc, dict) else json.loads(doc)
    raw["version"] = int(version)  # into the document: replace() after costs a copy
    return Issue.from_json(raw)


_POINT_COLUMNS = (
    "issue_id, category, status, level, doc->>'unit_name', station_id, township_code,"
    " grid_code, deputies, doc->>'reporter_role', reporter_id, (doc->>'escalations')::int,"
    " (doc->>'reopened')::int, doc->>'rating', doc->>'created_at',"
    f" left(doc->>'description', {POINT_DESCRIPTION}), (doc->>'lon')::float8,"
    " (doc->>'lat')::float8"
)


def _point(row: Sequence[Any]) -> IssuePoint:
    return IssuePoint(
        issue_id=row[0],
        category=row[1],
        status=IssueStatus(row[2]),
        level=row[3] or "",
        unit_name=row[4] or "",
        station_id=row[5] or "",
        township_code=row[6] or "",
        grid_code=row[7] or "",
        deputies=tuple(row[8] or ()),
        reporter_role=row[9] or "",
        reporter_id=row[10] or "",
        escalations=int(row[11] or 0),
        reopened=int(row[12] or 0),
        rating=row[13] or "",
        created_at=datetime.fromisoformat(row[14]),
        description=row[15] or "",
        lon=float(row[16]),
        lat=float(row[17]),
    )


def _event(row: Sequence[Any]) -> Event:
    return Event(
        issue_id=row[0],
        seq=int(row[1]),
        at=_utc(row[2]),
        kind=row[3],
        actor_role=row[4],
        actor_id=row[5],
        status_from=row[6],
        status_to=row[7],
        unit=row[8],
        data=dict(row[9]),
    )


def _token(row: Sequence[Any]) -> TokenRecord:
    return TokenRecord(
        token_hash=row[0],
        role=row[1],
        subject=row[2],
        name=row[3],
        created_at=_utc(row[4]),
        revoked=bool(row[5]),
    )


_PUT_FACTS = (
    f"INSERT INTO issue_facts ({', '.join(FACT_COLUMNS)})"
    f" VALUES ({', '.join('%s' for _ in FACT_COLUMNS)})"
    " ON CONFLICT (issue_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS if c != "issue_id")
)
_PUT_BEFORE = (
    f"INSERT INTO issue_facts_before ({', '.join(BEFORE_COLUMNS)})"
    f" VALUES ({', '.join('%s' for _ in BEFORE_COLUMNS)})"
    " ON CONFLICT (issue_id, last_event_at) DO NOTHING"
)
# The unit of each grouping, and the join it needs (a deputy row per dispatched deputy).
#: Changes gathered before a reader folds them into ``fact_months`` (each is read by every
#: statistics request until then).
_FOLD_AT = 10_000
_FOLD_LOCK = 0x67726964_666F6C64  # "gridfold": one folder at a time
_MONTH_KEY = "basis, month, station_id, township_code, category, flags, last_month"
_FOLD = (
    f"WITH gone AS (DELETE FROM fact_month_changes RETURNING *)"
    f" INSERT INTO fact_months SELECT {_MONTH_KEY}, sum(issues), sum(sum_hours_to_acknowledge),"
    f" sum(sum_hours_to_resolve) FROM gone GROUP BY {_MONTH_KEY} ORDER BY {_MONTH_KEY}"
    f" ON CONFLICT ({_MONTH_KEY}) DO UPDATE SET issues = fact_months.issues + excluded.issues,"
    " sum_hours_to_acknowledge = fact_months.sum_hours_to_acknowledge"
    " + excluded.sum_hours_to_acknowledge,"
    " sum_hours_to_resolve = fact_months.sum_hours_to_resolve + excluded.sum_hours_to_resolve"
)


def _among(column: str, values: Sequence[str], params: list[Any]) -> str:
    params.append(list(values))
    return f"{column} = ANY(%s::text[])"


def _other_basis(conn: Any, basis: str) -> bool:
    """Whether ``issue_facts`` holds facts computed under other deadlines (the two ends of
    its ``(basis, created_at)`` index): then ``facts_pending`` does not say what is missing."""
    # min and max are read from either end of the index whatever the plan; "EXISTS (...
    # basis < %s)" was prepared by psycopg after five calls as a generic plan scanning the
    # whole table (1,000,000 facts: 340 ms)
    row = conn.execute("SELECT min(basis), max(basis) FROM issue_facts").fetchone()
    return row is not None and row[0] is not None and (row[0] != basis or row[1] != basis)


def _month_sums(
    conn: Any,
    query: IssueQuery,
    key: str,
    basis: str,
    end: datetime | None,
    months: tuple[datetime | None, datetime | None],
    edges: Sequence[tuple[datetime | None, datetime | None]],
) -> list[Any]:
    """``sums_sql``'s final sums of a period, per unit and flags, with its whole local months
    ``[lo, hi)`` read from ``fact_months`` (and the changes not folded yet): those whose
    last event came before the month of ``end``; from ``issue_facts``, the issues of those
    months whose last event came in the month of ``end`` before it, and the ``edges``.
    A year of 1,000,000 issues: 98,000 rows summed instead of 1,000,000 (243 ms)."""
    lo, hi = months
    filters, fparams = fact_where(query, None, None, mark="%s", among=_among, when=_same)
    cond, params = ["basis = %s", *filters], [basis, *fparams]
    if lo is not None:
        cond.append("month >= %s")
        params.append(lo.date())
    if hi is not None:
        cond.append("month < %s")
        params.append(hi.date())
    end_month = None if end is None else month_start(end, CHINA_TIME)
    if end_month is not None:
        cond.append("last_month < %s")
        params.append(end_month.date())
    w = " AND ".join(cond)
    rows: list[Any] = conn.execute(
        f"SELECT {key}, flags, sum(issues), sum(sum_hours_to_acknowledge),"
        f" sum(sum_hours_to_resolve) FROM (SELECT * FROM fact_months WHERE {w}"
        f" UNION ALL SELECT * FROM fact_month_changes WHERE {w}) AS m"
        " GROUP BY 1, 2 HAVING sum(issues) <> 0",
        params + params,
    ).fetchall()
    if end is not None and end_month is not None and end_month < end:
        moved, mparams = fact_where(query, lo, hi, mark="%s", among=_among, when=_same)
        rows += conn.execute(
            f"SELECT {key}, {FACT_SUMS} FROM issue_facts"
            f" WHERE {' AND '.join(['basis = %s', *moved])}"
            " AND last_event_at >= %s AND last_event_at < %s GROUP BY 1, 2",
            [basis, *mparams, end_month, end],
        ).fetchall()
    until: Any = end if end is not None else "infinity"
    for a, b in edges:
        edge, eparams = fact_where(query, a, b, mark="%s", among=_among, when=_same)
        rows += conn.execute(
            f"SELECT {key}, {FACT_SUMS} FROM issue_facts"
            f" WHERE {' AND '.join(['basis = %s', *edge])}"
            " AND last_event_at < %s::timestamptz GROUP BY 1, 2",
            [basis, *eparams, until],
        ).fetchall()
    return rows


_FACT_KEYS: dict[str, tuple[str, str]] = {
    "station": ("station_id", ""),
    "township": ("township_code", ""),
    "category": ("category", ""),
    "county": ("''", ""),
    "deputy": ("d.deputy_id", " CROSS JOIN LATERAL unnest(fact_deputies) AS d (deputy_id)"),
}


def _same(value: Any) -> Any:
    return value


#: The fields of an IssueQuery that make up a role's scope (OR-ed together by ``_where``).
_SCOPE_FIELDS = ("station_ids", "township_codes", "grid_codes", "deputy_id", "reporter_id")


def _count(q: IssueQuery, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """The count of ``q``'s issues (``where``, ``params``: its ``_where``). A scope alone
    (a township's stations OR the township: the list its staff open first) is counted as a
    UNION of one index-only scan per part: the OR of the two made a bitmap heap scan that
    read every matching issue's page (1,000,000 issues, one township's 38,139: 180-390 ms
    against 30-40 ms). With other filters the OR stays: the parts would each read the heap
    for the filtered columns, twice the pages (200 ms against 410-520 ms)."""
    cleared = replace(q, station_ids=None, township_codes=None, grid_codes=None,
                      deputy_id=None, reporter_id=None)  # fmt: skip
    scope: dict[str, Any] = {f: getattr(q, f) for f in _SCOPE_FIELDS}
    parts = [replace(cleared, **{f: v}) for f, v in scope.items() if v is not None]
    if len(parts) < 2 or _where(cleared)[0]:
        return f"SELECT count(*) FROM issues{where}", params
    union: list[str] = []
    args: list[Any] = []
    for part in parts:
        w, p = _where(part)
        union.append(f"SELECT issue_id FROM issues{w}")
        args += p
    return f"SELECT count(*) FROM ({' UNION '.join(union)}) AS scoped", args


def _where(q: IssueQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``q`` (empty when it filters nothing) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if q.status:
        clauses.append("status = ANY(%s)")
        params.append(list(q.status))
    if q.open_only:
        clauses.append(_OPEN_SQL)
    if q.category:
        clauses.append("category = %s")
        params.append(q.category)
    if q.level:
        clauses.append("level = %s")
        params.append(q.level)
    if q.created_from is not None:
        clauses.append("created_at >= %s")
        params.append(q.created_from)
    if q.created_to is not None:
        clauses.append("created_at < %s")
        params.append(q.created_to)
    if q.issue_ids is not None:
        clauses.append("issue_id = ANY(%s)")
        params.append(list(q.issue_ids))
    if q.bbox is not None:
        # inclusive ranges on the exact coordinates, as the SQLite store's lon/lat BETWEEN;
        # issues_xy (migration 0007) answers them alone, so a count reads no heap page
        clauses.append("ST_X(geom) BETWEEN %s AND %s AND ST_Y(geom) BETWEEN %s AND %s")
        params.extend(float(q.bbox[k]) for k in (0, 2, 1, 3))
    if q.station_id is not None:
        clauses.append("station_id = %s")
        params.append(q.station_id)
    if q.township_code is not None:
        clauses.append("township_code = %s")
        params.append(q.township_code)
    scope: list[str] = []
    if q.station_ids is not None:
        scope.append("station_id = ANY(%s)")
        params.append(list(q.station_ids))
    if q.township_codes is not None:
        scope.append("township_code = ANY(%s)")
        params.append(list(q.township_codes))
    if q.grid_codes is not None:
        scope.append("grid_code = ANY(%s)")
        params.append(list(q.grid_codes))
    if q.deputy_id is not None:
        scope.append("deputies @> ARRAY[%s]::text[]")  # the GIN index
        params.append(q.deputy_id)
    if q.reporter_id is not None:
        scope.append("reporter_id = %s")
        params.append(q.reporter_id)
    if scope:
        clauses.append("(" + " OR ".join(scope) + ")")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
