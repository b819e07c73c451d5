"""The PostGIS store's schema: the numbered SQL files in this folder, applied in order.

:func:`migrate` applies the pending files, each in its own transaction under an advisory
lock, so two servers starting at once apply each file once; ``schema_migrations`` records
what was applied. The files are package data (they ship in the wheel).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from gridgov._errors import DatabaseError, GridgovError, ParameterError, StoreUnavailableError
from gridgov.store._pg import connect, reason, where_is

try:
    import psycopg
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    from gridgov._errors import ExtraMissingError

    raise ExtraMissingError("postgis", "migrating the PostGIS issue store") from exc

__all__ = ["Migration", "apply_migrations", "available_migrations", "migrate", "schema_version"]

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising migrations in one database ("gridgov" in ASCII).
_MIGRATION_LOCK = 0x67726964676F76


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
        with connect(dsn_or_conn) as conn:
            return apply_migrations(conn, wanted, where_is(dsn_or_conn))
    conn = dsn_or_conn
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise ParameterError(
            "dsn_or_conn: commit or roll back the open transaction before migrating",
            parameter="dsn_or_conn",
        )
    return apply_migrations(conn, wanted, where_is(conn.info.dsn))


def apply_migrations(
    conn: psycopg.Connection[Any], wanted: list[Migration], where: str
) -> list[Migration]:
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
                        f"migration {step.filename} failed on {where}: {reason(exc)}"
                    ) from exc
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (step.version, step.name),
                )
            applied.append(step)
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(f"migrating {where} failed: {reason(exc)}") from exc
    return applied
