"""The notification outbox and the notices, beside the issues in the same database.

Nobody may wait unknowingly, so the promise to tell someone is written in the same
transaction as what they must hear about: a trigger on ``events`` adds a row to
``notify_outbox`` for every event (SQLite: a row trigger; PostgreSQL: a statement trigger
over the transition table, so a ``COPY`` of events is covered too), and the reminders the
scheduler decides (即将超期) are queued by it in its own transaction. No code path that
records an event can forget to notify, and an event rolled back takes its notice with it.

The planner (:mod:`gridgov.notify.planner`) turns outbox rows into ``notify_notices``, one
per recipient and channel, and deletes the rows, in one transaction: one planner at a time
(SQLite's write lock; PostgreSQL: a transaction-scoped advisory lock that the others skip).
Delivery workers then *claim* notices: a claim moves ``not_before`` forward by the lease
and stamps a fresh ``lease_token`` (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two workers
never take one row; SQLite: one ``UPDATE ... RETURNING`` under the write lock). A worker
killed mid-batch leaves its notices to be claimed again once the lease is over; a
worker's late answer about a notice someone else has claimed since is refused by the
token. Tables: SQLite here (``CREATE ... IF NOT EXISTS``, applied when the store opens);
PostGIS migration ``0013_outbox.sql``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from gridgov._errors import ParameterError
from gridgov._json import strict_json
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.notify.model import NewNotice, Notice, OutboxItem
from gridgov.store.base import store_kind

__all__ = [
    "SQLITE_SCHEMA",
    "OutboxStore",
    "Planner",
    "PostGISOutbox",
    "SQLiteOutbox",
    "outbox_store",
]

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS notify_outbox (
    source TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL,
    seq INTEGER,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    planned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notify_outbox_issue ON notify_outbox (issue_id, at, seq);
CREATE INDEX IF NOT EXISTS notify_outbox_todo ON notify_outbox (at) WHERE planned = 0;
CREATE TRIGGER IF NOT EXISTS events_notify_outbox AFTER INSERT ON events
BEGIN
    INSERT OR IGNORE INTO notify_outbox (source, issue_id, seq, kind, at)
    VALUES (NEW.issue_id || '/' || NEW.seq, NEW.issue_id, NEW.seq, NEW.kind, NEW.at);
END;
CREATE TABLE IF NOT EXISTS notify_notices (
    notice_id INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    body TEXT NOT NULL,
    event_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    not_before TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at TEXT,
    lease_token TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS notify_notices_ready ON notify_notices (not_before)
    WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS notify_notices_issue ON notify_notices (issue_id);
CREATE INDEX IF NOT EXISTS notify_notices_state ON notify_notices (state, notice_id);
"""

_COLUMNS = (
    "idem_key, source, issue_id, kind, audience, recipient, channel, address, template, params,"
    " body, event_at, not_before, notice_id, created_at, state, attempts, last_error, sent_at,"
    " lease_token"
)
_INSERT = (
    "idem_key, source, issue_id, kind, audience, recipient, channel, address, template, params,"
    " body, event_at, not_before, created_at"
)
#: Planner: the occasions of some issues and the issues as they are now -> their notices.
Planner = Callable[[Sequence[OutboxItem], dict[str, Issue]], list[NewNotice]]
_OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
# pg_try_advisory_xact_lock key: one planner at a time ("notify" in ASCII)
_PLAN_LOCK = 0x6E6F74696679


class OutboxStore(Protocol):
    """What the notification worker needs of a store; both implementations below."""

    def plan(self, planner: Planner, *, now: datetime, limit: int) -> tuple[int, int]: ...
    def queue(self, items: Sequence[OutboxItem]) -> int: ...
    def due_between(self, start: datetime, end: datetime) -> list[Issue]: ...
    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Notice]: ...
    def sent(self, notice_ids: Sequence[int], token: str, now: datetime) -> int: ...
    def failed(
        self, notice_id: int, token: str, error: str, *, retry_at: datetime | None
    ) -> bool: ...
    def release(self, notice_ids: Sequence[int], token: str, now: datetime) -> int: ...
    def notices(
        self, *, state: str | None = None, issue_id: str | None = None, limit: int = 100
    ) -> list[Notice]: ...
    def retry(self, notice_id: int, now: datetime) -> bool: ...
    def counts(self) -> dict[str, int]: ...
    def prune(self, sent_before: datetime) -> int: ...


def _ts(value: datetime) -> str:
    # one fixed UTC format, as the issue store: text order is time order
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _when(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC)


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return dict(value) if isinstance(value, dict) else dict(json.loads(value))


def _notice(row: Sequence[Any]) -> Notice:
    return Notice(
        idem_key=row[0],
        source=row[1],
        issue_id=row[2],
        kind=row[3],
        audience=row[4],
        recipient=row[5],
        channel=row[6],
        address=row[7],
        template=row[8],
        params={str(k): str(v) for k, v in _json(row[9]).items()},
        body=row[10],
        event_at=_when(row[11]),
        not_before=_when(row[12]),
        notice_id=int(row[13]),
        created_at=_when(row[14]),
        state=row[15],
        attempts=int(row[16]),
        last_error=row[17] or "",
        sent_at=None if row[18] is None else _when(row[18]),
        lease_token=row[19] or "",
    )


def _item(row: Sequence[Any]) -> OutboxItem:
    """An outbox row joined to its event (columns: source, issue_id, seq, kind, at, data,
    then the event's actor_role, actor_id, status_from, status_to, unit, data or NULLs)."""
    at = _when(row[4])
    event = None
    if row[6] is not None:
        event = Event(
            issue_id=row[1],
            seq=int(row[2]),
            at=at,
            kind=row[3],
            actor_role=row[6],
            actor_id=row[7],
            status_from=row[8],
            status_to=row[9],
            unit=row[10],
            data=_json(row[11]),
        )
    seq = None if row[2] is None else int(row[2])
    return OutboxItem(row[0], row[1], seq, row[3], at, _json(row[5]), event)


def _issue(doc: Any, version: Any) -> Issue:
    raw = _json(doc)
    raw["version"] = int(version)
    return Issue.from_json(raw)


def _check_state(state: str | None) -> None:
    if state is not None and state not in ("pending", "sent", "dead"):
        raise ParameterError(
            f"state: expected pending, sent or dead, got {state!r}", parameter="state", value=state
        )


class SQLiteOutbox:
    """The outbox tables in a :class:`~gridgov.store.sqlite.SQLiteStore`'s file (made by
    :data:`SQLITE_SCHEMA` when the store opens)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def plan(self, planner: Planner, *, now: datetime, limit: int) -> tuple[int, int]:
        """Turn up to ``limit`` outbox rows (all of each issue they belong to) into
        notices; returns (rows planned, notices added). One transaction."""
        with self.store._write() as con:
            first = con.execute(
                "SELECT DISTINCT issue_id FROM (SELECT issue_id FROM notify_outbox"
                " WHERE planned = 0 ORDER BY at LIMIT ?)",
                (limit,),
            ).fetchall()
            ids = [r[0] for r in first]
            if not ids:
                return 0, 0
            marks = ", ".join("?" for _ in ids)
            rows = con.execute(
                "SELECT o.source, o.issue_id, o.seq, o.kind, o.at, o.data, e.actor_role,"
                " e.actor_id, e.status_from, e.status_to, e.unit, e.data FROM notify_outbox o"
                " LEFT JOIN events e ON e.issue_id = o.issue_id AND e.seq = o.seq"
                f" WHERE o.planned = 0 AND o.issue_id IN ({marks})"
                " ORDER BY o.issue_id, o.at, o.seq, o.source",
                ids,
            ).fetchall()
            docs = con.execute(
                f"SELECT doc, version FROM issues WHERE issue_id IN ({marks})", ids
            ).fetchall()
            issues = {i.issue_id: i for i in (_issue(d, v) for d, v in docs)}
            items = [_item(r) for r in rows]
            notices = planner(items, issues)
            before = con.total_changes
            con.executemany(
                f"INSERT OR IGNORE INTO notify_notices ({_INSERT}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_values(n, now) for n in notices],
            )
            added = con.total_changes - before
            # an event's row goes; a reminder's stays, marked, so it is queued only once
            con.executemany(
                "DELETE FROM notify_outbox WHERE source = ?",
                [(i.source,) for i in items if i.seq is not None],
            )
            con.executemany(
                "UPDATE notify_outbox SET planned = 1 WHERE source = ?",
                [(i.source,) for i in items if i.seq is None],
            )
            return len(items), int(added)

    def queue(self, items: Sequence[OutboxItem]) -> int:
        """Queue occasions that are not events (reminders); a source queued before is
        left as it is. Returns how many were new."""
        with self.store._write() as con:
            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO notify_outbox (source, issue_id, seq, kind, at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (i.source, i.issue_id, i.seq, i.kind, _ts(i.at), strict_json(dict(i.data)))
                    for i in items
                ],
            )
            return int(con.total_changes - before)

    def due_between(self, start: datetime, end: datetime) -> list[Issue]:
        """Open issues with a deadline in ``(start, end]``."""
        marks = ", ".join("?" for _ in _OPEN)
        rows = (
            self.store._con()
            .execute(
                f"SELECT doc, version FROM issues WHERE status IN ({marks}) AND"
                " ((acknowledge_due > ? AND acknowledge_due <= ?)"
                " OR (resolve_due > ? AND resolve_due <= ?))",
                (*_OPEN, _ts(start), _ts(end), _ts(start), _ts(end)),
            )
            .fetchall()
        )
        return [_issue(d, v) for d, v in rows]

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Notice]:
        token = uuid.uuid4().hex
        with self.store._write() as con:
            rows = con.execute(
                "UPDATE notify_notices SET not_before = ?, lease_token = ?,"
                " attempts = attempts + 1 WHERE notice_id IN (SELECT notice_id FROM"
                " notify_notices WHERE state = 'pending' AND not_before <= ?"
                f" ORDER BY not_before LIMIT ?) RETURNING {_COLUMNS}",
                (_ts(lease_until), token, _ts(now), limit),
            ).fetchall()
        return sorted((_notice(r) for r in rows), key=lambda n: n.notice_id)

    def sent(self, notice_ids: Sequence[int], token: str, now: datetime) -> int:
        with self.store._write() as con:
            before = con.total_changes
            con.executemany(
                "UPDATE notify_notices SET state = 'sent', sent_at = ?, last_error = ''"
                " WHERE notice_id = ? AND lease_token = ? AND state = 'pending'",
                [(_ts(now), i, token) for i in notice_ids],
            )
            return int(con.total_changes - before)

    def failed(self, notice_id: int, token: str, error: str, *, retry_at: datetime | None) -> bool:
        state, when = ("dead", None) if retry_at is None else ("pending", _ts(retry_at))
        with self.store._write() as con:
            cur = con.execute(
                "UPDATE notify_notices SET state = ?, not_before = coalesce(?, not_before),"
                " last_error = ? WHERE notice_id = ? AND lease_token = ? AND state = 'pending'",
                (state, when, error[:500], notice_id, token),
            )
            return cur.rowcount == 1

    def release(self, notice_ids: Sequence[int], token: str, now: datetime) -> int:
        """Hand claimed notices back unsent (the attempt is not counted)."""
        with self.store._write() as con:
            before = con.total_changes
            con.executemany(
                "UPDATE notify_notices SET not_before = ?, attempts = attempts - 1,"
                " lease_token = '' WHERE notice_id = ? AND lease_token = ? AND state = 'pending'",
                [(_ts(now), i, token) for i in notice_ids],
            )
            return int(con.total_changes - before)

    def notices(
        self, *, state: str | None = None, issue_id: str | None = None, limit: int = 100
    ) -> list[Notice]:
        _check_state(state)
        where, params = ["1 = 1"], []
        if state is not None:
            where.append("state = ?")
            params.append(state)
        if issue_id is not None:
            where.append("issue_id = ?")
            params.append(issue_id)
        rows = (
            self.store._con()
            .execute(
                f"SELECT {_COLUMNS} FROM notify_notices WHERE {' AND '.join(where)}"
                " ORDER BY notice_id LIMIT ?",
                (*params, limit),
            )
            .fetchall()
        )
        return [_notice(r) for r in rows]

    def retry(self, notice_id: int, now: datetime) -> bool:
        """Queue a dead letter again with its attempts reset; False if it is not one."""
        with self.store._write() as con:
            cur = con.execute(
                "UPDATE notify_notices SET state = 'pending', attempts = 0, not_before = ?,"
                " lease_token = '' WHERE notice_id = ? AND state = 'dead'",
                (_ts(now), notice_id),
            )
            return cur.rowcount == 1

    def counts(self) -> dict[str, int]:
        con = self.store._con()
        out = {s: 0 for s in ("pending", "sent", "dead")}
        for state, n in con.execute("SELECT state, count(*) FROM notify_notices GROUP BY state"):
            out[state] = int(n)
        row = con.execute("SELECT count(*) FROM notify_outbox WHERE planned = 0").fetchone()
        out["backlog"] = int(row[0])
        return out

    def prune(self, sent_before: datetime) -> int:
        """Delete notices sent before ``sent_before`` (they hold phone numbers), and the
        records of reminders queued before then."""
        with self.store._write() as con:
            con.execute(
                "DELETE FROM notify_outbox WHERE planned = 1 AND at < ?", (_ts(sent_before),)
            )
            cur = con.execute(
                "DELETE FROM notify_notices WHERE state = 'sent' AND sent_at < ?",
                (_ts(sent_before),),
            )
            return int(cur.rowcount)


def _values(n: NewNotice, now: datetime) -> tuple[Any, ...]:
    return (
        n.idem_key, n.source, n.issue_id, n.kind, n.audience, n.recipient, n.channel,
        n.address, n.template, strict_json(dict(n.params)), n.body, _ts(n.event_at),
        _ts(n.not_before), _ts(now),
    )  # fmt: skip


def _pg_values(n: NewNotice, now: datetime) -> tuple[Any, ...]:
    return (
        n.idem_key, n.source, n.issue_id, n.kind, n.audience, n.recipient, n.channel,
        n.address, n.template, strict_json(dict(n.params)), n.body, n.event_at,
        n.not_before, now,
    )  # fmt: skip


class PostGISOutbox:
    """The outbox tables of a :class:`~gridgov.store.postgis.PostGISStore` (migration
    0013, applied with the others when the store opens)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def plan(self, planner: Planner, *, now: datetime, limit: int) -> tuple[int, int]:
        with self.store._conn("planning notices") as conn, conn.transaction():
            locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_PLAN_LOCK,))
            row = locked.fetchone()
            if not row or not row[0]:
                return 0, 0  # another worker is planning: deliver instead
            first = conn.execute(
                "SELECT DISTINCT issue_id FROM (SELECT issue_id FROM notify_outbox"
                " WHERE NOT planned ORDER BY at LIMIT %s) o",
                (limit,),
            ).fetchall()
            ids = [r[0] for r in first]
            if not ids:
                return 0, 0
            rows = conn.execute(
                "SELECT o.source, o.issue_id, o.seq, o.kind, o.at, o.data, e.actor_role,"
                " e.actor_id, e.status_from, e.status_to, e.unit, e.data FROM notify_outbox o"
                " LEFT JOIN events e ON e.issue_id = o.issue_id AND e.seq = o.seq"
                " WHERE NOT o.planned AND o.issue_id = ANY(%s::text[])"
                " ORDER BY o.issue_id, o.at, o.seq, o.source",
                (ids,),
            ).fetchall()
            docs = conn.execute(
                "SELECT doc, version FROM issues WHERE issue_id = ANY(%s::text[])", (ids,)
            ).fetchall()
            issues = {i.issue_id: i for i in (_issue(d, v) for d, v in docs)}
            items = [_item(r) for r in rows]
            notices = planner(items, issues)
            added = 0
            if notices:
                cur = conn.cursor()
                cur.executemany(
                    f"INSERT INTO notify_notices ({_INSERT}) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                    " %s, %s, %s::jsonb, %s, %s, %s, %s) ON CONFLICT (idem_key) DO NOTHING",
                    [_pg_values(n, now) for n in notices],
                )
                added = max(0, cur.rowcount)
            conn.execute(
                "DELETE FROM notify_outbox WHERE source = ANY(%s::text[])",
                ([i.source for i in items if i.seq is not None],),
            )
            conn.execute(
                "UPDATE notify_outbox SET planned = true WHERE source = ANY(%s::text[])",
                ([i.source for i in items if i.seq is None],),
            )
            return len(items), added

    def queue(self, items: Sequence[OutboxItem]) -> int:
        if not items:
            return 0
        with self.store._conn("queueing reminders") as conn, conn.transaction():
            cur = conn.cursor()
            cur.executemany(
                "INSERT INTO notify_outbox (source, issue_id, seq, kind, at, data)"
                " VALUES (%s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (source) DO NOTHING",
                [
                    (i.source, i.issue_id, i.seq, i.kind, i.at, strict_json(dict(i.data)))
                    for i in items
                ],
            )
            return max(0, cur.rowcount)

    def due_between(self, start: datetime, end: datetime) -> list[Issue]:
        with self.store._conn("listing deadlines") as conn:
            rows = conn.execute(
                "SELECT doc, version FROM issues WHERE status = ANY(%(open)s::text[]) AND"
                " ((acknowledge_due > %(a)s AND acknowledge_due <= %(b)s)"
                " OR (resolve_due > %(a)s AND resolve_due <= %(b)s))",
                {"a": start, "b": end, "open": list(_OPEN)},
            ).fetchall()
        return [_issue(d, v) for d, v in rows]

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Notice]:
        token = uuid.uuid4().hex
        with self.store._conn("claiming notices") as conn:
            rows = conn.execute(
                "UPDATE notify_notices n SET not_before = %s, lease_token = %s,"
                " attempts = n.attempts + 1 FROM (SELECT notice_id FROM notify_notices"
                " WHERE state = 'pending' AND not_before <= %s ORDER BY not_before LIMIT %s"
                " FOR UPDATE SKIP LOCKED) c WHERE n.notice_id = c.notice_id"
                f" RETURNING {', '.join('n.' + c.strip() for c in _COLUMNS.split(','))}",
                (lease_until, token, now, limit),
            ).fetchall()
        return sorted((_notice(r) for r in rows), key=lambda n: n.notice_id)

    def sent(self, notice_ids: Sequence[int], token: str, now: datetime) -> int:
        with self.store._conn("recording sent notices") as conn:
            cur = conn.execute(
                "UPDATE notify_notices SET state = 'sent', sent_at = %s, last_error = ''"
                " WHERE notice_id = ANY(%s::bigint[]) AND lease_token = %s AND state = 'pending'",
                (now, list(notice_ids), token),
            )
            return int(cur.rowcount)

    def failed(self, notice_id: int, token: str, error: str, *, retry_at: datetime | None) -> bool:
        state = "dead" if retry_at is None else "pending"
        with self.store._conn("recording a failed notice") as conn:
            cur = conn.execute(
                "UPDATE notify_notices SET state = %s, not_before = coalesce(%s, not_before),"
                " last_error = %s WHERE notice_id = %s AND lease_token = %s AND state = 'pending'",
                (state, retry_at, error[:500], notice_id, token),
            )
            return cur.rowcount == 1

    def release(self, notice_ids: Sequence[int], token: str, now: datetime) -> int:
        with self.store._conn("releasing notices") as conn:
            cur = conn.execute(
                "UPDATE notify_notices SET not_before = %s, attempts = attempts - 1,"
                " lease_token = '' WHERE notice_id = ANY(%s::bigint[]) AND lease_token = %s"
                " AND state = 'pending'",
                (now, list(notice_ids), token),
            )
            return int(cur.rowcount)

    def notices(
        self, *, state: str | None = None, issue_id: str | None = None, limit: int = 100
    ) -> list[Notice]:
        _check_state(state)
        where, params = ["true"], []
        if state is not None:
            where.append("state = %s")
            params.append(state)
        if issue_id is not None:
            where.append("issue_id = %s")
            params.append(issue_id)
        with self.store._conn("listing notices") as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM notify_notices WHERE {' AND '.join(where)}"
                " ORDER BY notice_id LIMIT %s",
                (*params, limit),
            ).fetchall()
        return [_notice(r) for r in rows]

    def retry(self, notice_id: int, now: datetime) -> bool:
        with self.store._conn("retrying a notice") as conn:
            cur = conn.execute(
                "UPDATE notify_notices SET state = 'pending', attempts = 0, not_before = %s,"
                " lease_token = '' WHERE notice_id = %s AND state = 'dead'",
                (now, notice_id),
            )
            return cur.rowcount == 1

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("pending", "sent", "dead")}
        with self.store._conn("counting notices") as conn:
            for state, n in conn.execute(
                "SELECT state, count(*) FROM notify_notices GROUP BY state"
            ).fetchall():
                out[state] = int(n)
            row = conn.execute("SELECT count(*) FROM notify_outbox WHERE NOT planned").fetchone()
        out["backlog"] = int(row[0]) if row else 0
        return out

    def prune(self, sent_before: datetime) -> int:
        with self.store._conn("pruning sent notices") as conn:
            conn.execute("DELETE FROM notify_outbox WHERE planned AND at < %s", (sent_before,))
            cur = conn.execute(
                "DELETE FROM notify_notices WHERE state = 'sent' AND sent_at < %s",
                (sent_before,),
            )
            return int(cur.rowcount)


def outbox_store(store: Any) -> OutboxStore:
    """The outbox tables of ``store`` (a SQLite or PostGIS issue store).

    Raises
    ------
    ParameterError
        For a store of another kind.
    """
    kind = store_kind(store, "notices")
    return SQLiteOutbox(store) if kind == "sqlite" else PostGISOutbox(store)
