"""What the platforms above sent gridgov, remembered beside the issues.

Two kinds of record share one table, ``inbound_messages`` (SQLite: :data:`SQLITE_SCHEMA`,
made when the store opens; PostGIS migration ``0015_inbound.sql``), each a key with the issue it concerns:

- ``callback:<signature>``: a hand-off callback already taken. A signed request captured
  and sent again inside the replay window carries the same signature, so remembering the
  signatures for that window is what refuses a replay (:mod:`gridgov.issues.handoff`).
- ``intake:<platform>:<external id>``: a 12345 work order pushed into gridgov and the issue
  it became (:mod:`gridgov.issues.intake`). The service's idempotency keys expire after
  ``idempotency_hours``; this record does not, so a platform re-pushing an old order a week
  later still gets the same issue back instead of a second one.

:meth:`InboundStore.remember` inserts a key only if it is new (``INSERT ... ON CONFLICT DO
NOTHING`` under the store's write lock or PostgreSQL's unique index), so of two requests
racing with one key exactly one is first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from gridgov.store.base import store_kind

__all__ = ["SQLITE_SCHEMA", "InboundStore", "inbound_store"]

#: The table in a SQLite store (made by :class:`~gridgov.store.sqlite.SQLiteStore` on opening).
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_messages (
    key TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_received ON inbound_messages (received_at);
"""


class InboundStore(Protocol):
    """The ``inbound_messages`` table of an issue store."""

    def remember(self, key: str, issue_id: str, at: datetime) -> bool:
        """Record ``key``; False (and nothing changed) when it was recorded before."""
        ...

    def issue_for(self, key: str) -> str | None:
        """The issue recorded with ``key``, or None when the key is unknown."""
        ...

    def forget_before(self, prefix: str, before: datetime) -> int:
        """Delete the records of ``prefix`` received before ``before``; how many."""
        ...


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class SQLiteInbound:
    """``inbound_messages`` in a :class:`~gridgov.store.sqlite.SQLiteStore`'s file."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def remember(self, key: str, issue_id: str, at: datetime) -> bool:
        with self.store._write() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO inbound_messages (key, issue_id, received_at)"
                " VALUES (?, ?, ?)",
                (key, issue_id, _ts(at)),
            )
            return cur.rowcount == 1

    def issue_for(self, key: str) -> str | None:
        row = (
            self.store._con()
            .execute("SELECT issue_id FROM inbound_messages WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def forget_before(self, prefix: str, before: datetime) -> int:
        with self.store._write() as con:
            cur = con.execute(
                "DELETE FROM inbound_messages WHERE key >= ? AND key < ? AND received_at < ?",
                (prefix, prefix + "\uffff", _ts(before)),
            )
            return int(cur.rowcount)


class PostGISInbound:
    """``inbound_messages`` of a :class:`~gridgov.store.postgis.PostGISStore` (migration
    0015, applied with the others when the store opens)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def remember(self, key: str, issue_id: str, at: datetime) -> bool:
        with self.store._conn("recording a platform's message") as conn:
            cur = conn.execute(
                "INSERT INTO inbound_messages (key, issue_id, received_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (key) DO NOTHING",
                (key, issue_id, at),
            )
            return cur.rowcount == 1

    def issue_for(self, key: str) -> str | None:
        with self.store._conn("reading a platform's message") as conn:
            row = conn.execute(
                "SELECT issue_id FROM inbound_messages WHERE key = %s", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def forget_before(self, prefix: str, before: datetime) -> int:
        with self.store._conn("pruning a platform's messages") as conn:
            cur = conn.execute(
                "DELETE FROM inbound_messages WHERE starts_with(key, %s) AND received_at < %s",
                (prefix, before),
            )
            return int(cur.rowcount)


def inbound_store(store: Any) -> InboundStore:
    """The ``inbound_messages`` table of ``store`` (a SQLite or PostGIS issue store).

    Raises
    ------
    ParameterError
        For a store of another kind.
    """
    kind = store_kind(store, "platform messages")
    return SQLiteInbound(store) if kind == "sqlite" else PostGISInbound(store)
