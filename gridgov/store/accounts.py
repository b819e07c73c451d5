"""Accounts and login sessions beside the issues, in the same database.

:func:`account_store` gives the account tables of an issue store: in the same SQLite file
(tables made here, ``CREATE TABLE IF NOT EXISTS``) or the same PostgreSQL database
(migration ``0010_accounts.sql``). Only password hashes (Argon2, see
:mod:`gridgov.issues.accounts`) and session-id hashes are stored, never a password or a
session id. Kept apart from :class:`~gridgov.store.base.Store` because only the screens
need it; the JSON API's tokens stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from gridgov._errors import ParameterError
from gridgov.issues.accounts import Account, AccountStoreLike, Session

__all__ = ["SQLITE_SCHEMA", "PostGISAccounts", "SQLiteAccounts", "account_store"]

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    phone TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    must_change INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS accounts_phone ON accounts (phone) WHERE phone != '';
CREATE INDEX IF NOT EXISTS accounts_name ON accounts (name);
CREATE TABLE IF NOT EXISTS sessions (
    session_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES accounts (login) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_login ON sessions (login);
"""

_COLUMNS = (
    "login, name, role, subject, phone, password_hash, created_at, disabled, failures, "
    "locked_until, must_change"
)


def _ts(value: datetime | None) -> str | None:
    # one fixed UTC format: text order is time order
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _account(row: Sequence[Any]) -> Account:
    created = _when(row[6])
    if created is None:  # NOT NULL in both schemas
        raise ValueError(f"account {row[0]!r} has no creation time")
    return Account(
        login=row[0],
        name=row[1],
        role=row[2],
        subject=row[3],
        phone=row[4],
        password_hash=row[5],
        created_at=created,
        disabled=bool(row[7]),
        failures=int(row[8]),
        locked_until=_when(row[9]),
        must_change=bool(row[10]),
    )


def _values(a: Account) -> tuple[Any, ...]:
    return (
        a.login, a.name, a.role, a.subject, a.phone, a.password_hash, _ts(a.created_at),
        int(a.disabled), a.failures, _ts(a.locked_until), int(a.must_change),
    )  # fmt: skip


def _pick(exact: list[str], by_phone: list[str], by_name: list[str]) -> list[str]:
    """A login wins over a phone, a phone over a name; a name shared by several accounts
    names them all (the caller refuses an ambiguous one)."""
    return exact or by_phone or by_name


class SQLiteAccounts(AccountStoreLike):
    """The account tables in a :class:`~gridgov.store.sqlite.SQLiteStore`'s file."""

    def __init__(self, store: Any) -> None:
        self.store = store
        store._con().executescript(SQLITE_SCHEMA)  # idempotent; commits by itself

    def add_accounts(self, accounts: Sequence[Account]) -> int:
        with self.store._write() as con:
            before = con.total_changes
            con.executemany(
                f"INSERT OR IGNORE INTO accounts ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_values(a) for a in accounts],
            )
            return int(con.total_changes - before)

    def account(self, login: str) -> Account | None:
        row = (
            self.store._con()
            .execute(f"SELECT {_COLUMNS} FROM accounts WHERE login = ?", (login,))
            .fetchone()
        )
        return None if row is None else _account(row)

    def find_logins(self, who: str) -> list[str]:
        con = self.store._con()

        def logins(sql: str, value: str) -> list[str]:
            return [r[0] for r in con.execute(sql, (value,)).fetchall()]

        return _pick(
            logins("SELECT login FROM accounts WHERE login = ?", who),
            logins("SELECT login FROM accounts WHERE phone != '' AND phone = ?", _digits(who)),
            logins("SELECT login FROM accounts WHERE name = ? LIMIT 2", who),
        )

    def accounts(self) -> list[Account]:
        rows = self.store._con().execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY login")
        return [_account(r) for r in rows.fetchall()]

    def put_account(self, account: Account) -> None:
        with self.store._write() as con:
            con.execute(
                f"INSERT OR REPLACE INTO accounts ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _values(account),
            )

    def add_session(self, session: Session) -> None:
        with self.store._write() as con:
            con.execute(
                "INSERT INTO sessions (session_hash, login, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (session.session_hash, session.login, _ts(session.created_at),
                 _ts(session.expires_at)),
            )  # fmt: skip

    def session(self, session_hash: str) -> Session | None:
        row = (
            self.store._con()
            .execute(
                "SELECT session_hash, login, created_at, expires_at FROM sessions"
                " WHERE session_hash = ?",
                (session_hash,),
            )
            .fetchone()
        )
        return None if row is None else _session(row)

    def delete_sessions(self, *, session_hash: str = "", login: str = "") -> int:
        column, value = _which(session_hash, login)
        with self.store._write() as con:
            return int(con.execute(f"DELETE FROM sessions WHERE {column} = ?", (value,)).rowcount)

    def delete_expired_sessions(self, now: datetime) -> int:
        with self.store._write() as con:
            cur = con.execute("DELETE FROM sessions WHERE expires_at <= ?", (_ts(now),))
            return int(cur.rowcount)


class PostGISAccounts(AccountStoreLike):
    """The account tables of a :class:`~gridgov.store.postgis.PostGISStore` (migration
    0010, applied with the others when the store opens)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _run(self, doing: str, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.store._conn(doing) as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description is not None else []

    def add_accounts(self, accounts: Sequence[Account]) -> int:
        marks = ", ".join(["%s"] * 11)
        added = 0
        with self.store._conn("adding accounts") as conn, conn.transaction():
            for a in accounts:
                cur = conn.execute(
                    f"INSERT INTO accounts ({_COLUMNS}) VALUES ({marks})"
                    " ON CONFLICT (login) DO NOTHING",
                    _pg_values(a),
                )
                added += cur.rowcount
        return added

    def account(self, login: str) -> Account | None:
        rows = self._run(
            "reading the account", f"SELECT {_COLUMNS} FROM accounts WHERE login = %s", (login,)
        )
        return _account(rows[0]) if rows else None

    def find_logins(self, who: str) -> list[str]:
        def logins(sql: str, value: str) -> list[str]:
            return [r[0] for r in self._run("finding the account", sql, (value,))]

        return _pick(
            logins("SELECT login FROM accounts WHERE login = %s", who),
            logins("SELECT login FROM accounts WHERE phone <> '' AND phone = %s", _digits(who)),
            logins("SELECT login FROM accounts WHERE name = %s LIMIT 2", who),
        )

    def accounts(self) -> list[Account]:
        rows = self._run("listing accounts", f"SELECT {_COLUMNS} FROM accounts ORDER BY login")
        return [_account(r) for r in rows]

    def put_account(self, account: Account) -> None:
        marks = ", ".join(["%s"] * 11)
        sets = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _COLUMNS.split(",")[1:])
        self._run(
            "saving the account",
            f"INSERT INTO accounts ({_COLUMNS}) VALUES ({marks})"
            f" ON CONFLICT (login) DO UPDATE SET {sets}",
            _pg_values(account),
        )

    def add_session(self, session: Session) -> None:
        self._run(
            "starting the session",
            "INSERT INTO sessions (session_hash, login, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s)",
            (session.session_hash, session.login, session.created_at, session.expires_at),
        )

    def session(self, session_hash: str) -> Session | None:
        rows = self._run(
            "reading the session",
            "SELECT session_hash, login, created_at, expires_at FROM sessions"
            " WHERE session_hash = %s",
            (session_hash,),
        )
        return _session(rows[0]) if rows else None

    def delete_sessions(self, *, session_hash: str = "", login: str = "") -> int:
        column, value = _which(session_hash, login)
        with self.store._conn("ending sessions") as conn:
            return int(conn.execute(f"DELETE FROM sessions WHERE {column} = %s", (value,)).rowcount)

    def delete_expired_sessions(self, now: datetime) -> int:
        with self.store._conn("sweeping sessions") as conn:
            return int(conn.execute("DELETE FROM sessions WHERE expires_at <= %s", (now,)).rowcount)


def _pg_values(a: Account) -> tuple[Any, ...]:
    return (
        a.login, a.name, a.role, a.subject, a.phone, a.password_hash, a.created_at,
        a.disabled, a.failures, a.locked_until, a.must_change,
    )  # fmt: skip


def _session(row: Sequence[Any]) -> Session:
    created, expires = _when(row[2]), _when(row[3])
    if created is None or expires is None:  # NOT NULL in both schemas
        raise ValueError("a session without its times")
    return Session(row[0], row[1], created, expires)


def _which(session_hash: str, login: str) -> tuple[str, str]:
    if bool(session_hash) == bool(login):
        raise ParameterError("give exactly one of session_hash and login", parameter="login")
    return ("session_hash", session_hash) if session_hash else ("login", login)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def account_store(store: Any) -> AccountStoreLike:
    """The account tables of ``store`` (a SQLite or PostGIS issue store).

    Raises
    ------
    ParameterError
        For a store of another kind.
    """
    from gridgov.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        return SQLiteAccounts(store)
    if type(store).__name__ == "PostGISStore":  # no import: psycopg is an optional extra
        return PostGISAccounts(store)
    raise ParameterError(
        f"store: accounts need a SQLite or PostGIS issue store, got {type(store).__name__}",
        parameter="store",
    )
