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

import logging
import re
import secrets
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from gridgov._errors import (
    DatabaseError,
    ExtraMissingError,
    GridgovError,
    NotFoundError,
    ParameterError,
)
from gridgov._json import strict_json

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ExtraMissingError("postgis", "the PostGIS issue store (psycopg 3, psycopg_pool)") from exc

from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import IssueStatus
from gridgov.store.base import (
    ConflictError,
    IdempotencyError,
    IssueQuery,
    StoreUnavailableError,
    TokenRecord,
)

__all__ = ["Migration", "PostGISStore", "available_migrations", "migrate", "schema_version"]

log = logging.getLogger(__name__)

#: The SRID of every stored location: CGCS2000 longitude/latitude.
SRID = 4490

# pg_advisory_xact_lock key serialising migrations in one database ("gridgov" in ASCII).
_MIGRATION_LOCK = 0x67726964676F76

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


# --- migrations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    """One schema step: ``migrations/0001_issues.sql`` is version 1, name ``issues``."""

    version: int
    name: str
    sql: str = field(repr=False)

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def available_migrations() -> list[Migration]:
    """Every migration shipped in ``gridgov/store/migrations``, in version order.

    Raises
    ------
    GridgovError
        If two files share a version or a ``.sql`` file is not named ``NNNN_name.sql``.
    """
    found: dict[int, Migration] = {}
    folder = resources.files("gridgov.store").joinpath("migrations")
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise GridgovError(
                f"migration file {entry.name!r} is not named NNNN_name.sql (e.g. 0001_issues.sql)"
            )
        version = int(match.group(1))
        if version in found:
            raise GridgovError(
                f"migrations {found[version].filename!r} and {entry.name!r} share version {version}"
            )
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def schema_version(conn: psycopg.Connection[Any]) -> list[int]:
    """The versions recorded in ``schema_migrations`` (empty for a fresh database)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    return [int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


def migrate(
    dsn_or_conn: str | psycopg.Connection[Any], *, target: int | None = None
) -> list[Migration]:
    """Apply the pending migrations in version order, each in its own transaction.

    Every step takes ``pg_advisory_xact_lock`` first and re-reads ``schema_migrations``
    under it, so servers starting together apply each file exactly once.

    Parameters
    ----------
    dsn_or_conn : str or psycopg.Connection
        A libpq connection string / URL, or an open connection with no transaction in
        progress (it is left open).
    target : int, optional
        Stop after this version (None: the newest shipped).

    Returns
    -------
    list of Migration
        The steps applied now, in order; empty when the database was up to date.

    Raises
    ------
    ParameterError
        If ``target`` is not a shipped version, or the connection is inside a transaction.
    DatabaseError
        If a migration fails (it is rolled back; the ones before it stay applied).
    StoreUnavailableError
        If the database cannot be reached.
    """
    steps = available_migrations()
    if target is not None and target not in {m.version for m in steps}:
        known = ", ".join(str(m.version) for m in steps)
        raise ParameterError(
            f"target: no migration version {target!r} (shipped: {known})",
            parameter="target",
            value=target,
        )
    wanted = [m for m in steps if target is None or m.version <= target]
    if isinstance(dsn_or_conn, str):
        with _connect(dsn_or_conn) as conn:
            return _migrate(conn, wanted, _where_is(dsn_or_conn))
    conn = dsn_or_conn
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise ParameterError(
            "dsn_or_conn: commit or roll back the open transaction before migrating",
            parameter="dsn_or_conn",
        )
    return _migrate(conn, wanted, _where_is(conn.info.dsn))


def _migrate(conn: psycopg.Connection[Any], wanted: list[Migration], where: str) -> list[Migration]:
    applied: list[Migration] = []
    try:
        while True:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
                pending = [m for m in wanted if m.version not in done]
                if not pending:
                    break
                step = pending[0]
                log.info("applying migration %s on %s", step.filename, where)
                try:
                    conn.execute(step.sql)  # several statements: allowed without parameters
                except psycopg.OperationalError:
                    raise
                except psycopg.Error as exc:
                    raise DatabaseError(
                        f"migration {step.filename} failed on {where}: {_reason(exc)}"
                    ) from exc
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (step.version, step.name),
                )
            applied.append(step)
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(f"migrating {where} failed: {_reason(exc)}") from exc
    return applied


# --- connections ---------------------------------------------------------------------------


def _where_is(dsn: str) -> str:
    """``host:port/db`` of a connection string, for messages (never the password)."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable connection string)"
    host = str(info.get("host") or info.get("hostaddr") or "localhost")
    port = str(info.get("port") or "5432")
    db = str(info.get("dbname") or info.get("user") or "")
    return f"PostgreSQL at {host}:{port}/{db}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _connect(dsn: str, *, connect_timeout_s: float = 10.0) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout_s)))
    except psycopg.ProgrammingError as exc:
        raise ParameterError(
            f"dsn: not a PostgreSQL connection string ({_reason(exc)})",
            parameter="dsn",
            value=_where_is(dsn),
        ) from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(f"cannot connect to {_where_is(dsn)}: {_reason(exc)}") from exc


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
        self.where = _where_is(dsn)
        self._secret: str | None = None
        self._sizes = (min_size, max_size)
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._down = False  # set when a failure found the server unreachable
        self._probe_lock = threading.Lock()
        self._probed = (-_PROBE_EVERY_S, True)  # (monotonic time, answer) of the last probe
        with _connect(dsn, connect_timeout_s=connect_timeout_s) as conn:
            if migrate:
                _migrate(conn, available_migrations(), self.where)
            else:
                have = set(schema_version(conn))
                missing = [m.filename for m in available_migrations() if m.version not in have]
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
                f"cannot open connections to {self.where}: {_reason(exc)}"
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
                f"({_reason(exc)}); retry once the database is back"
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
    ) -> tuple[Issue, bool]:
        """Commit a new issue with its events and idempotency key in one transaction.

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
                    f"issue {issue.issue_id} already exists ({_reason(exc)})"
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
                    f"issue {issue.issue_id}: events already stored ({_reason(exc)})"
                ) from exc
        return stored

    def list_issues(self, query: IssueQuery) -> tuple[list[Issue], int]:
        where, params = _where(query)
        with self._conn("listing issues") as conn:
            counted, paged = conn.cursor(), conn.cursor()
            with conn.pipeline():  # both queries in one round trip
                counted.execute(f"SELECT count(*) FROM issues{where}", params)
                paged.execute(
                    f"SELECT doc, version FROM issues{where} ORDER BY created_at DESC, issue_id"
                    " LIMIT %s OFFSET %s",
                    # as SQLite reads them: a negative limit is none, a negative offset 0
                    [*params, None if query.limit < 0 else int(query.limit), max(0, query.offset)],
                )
            total = counted.fetchone()
            rows = paged.fetchall()
        return [_issue(r[0], r[1]) for r in rows], int(total[0] if total else 0)

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
        if deputy_ids is not None:
            ids = list(deputy_ids)
            if not ids:
                return {}
            sql += " AND deputy_id = ANY(%s::text[])"
            params = [ids]
        with self._conn("reading open issues per deputy") as conn:
            rows = conn.execute(sql, params).fetchall()
        return {str(d): int(n) for d, n in rows}

    def count(self) -> int:
        """Number of issues stored."""
        with self._conn("counting issues") as conn:
            row = conn.execute("SELECT count(*) FROM issues").fetchone()
        return int(row[0]) if row else 0

    # --- tokens and secret ---------------------------------------------------------------

    def secret(self) -> str:
        if self._secret is None:
            with self._conn("reading the store secret") as conn:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('secret', %s) ON CONFLICT DO NOTHING",
                    (secrets.token_hex(32),),
                )
                row = conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row is None:  # pragma: no cover - the row was just written
                raise StoreUnavailableError(f"{self.where}: the store secret vanished")
            self._secret = str(row[0])  # never changes once written
        return self._secret

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
    return replace(Issue.from_json(doc), version=int(version))


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
        # && on the GiST index: bounding boxes, inclusive, which for points is the box test
        clauses.append(f"geom && ST_MakeEnvelope(%s, %s, %s, %s, {SRID})")
        params.extend(float(v) for v in q.bbox)
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
