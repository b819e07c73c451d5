"""Connecting to PostgreSQL for the PostGIS store and its migrations: one place that turns
driver errors into gridgov's (a bad connection string is the user's ParameterError, a server
that cannot be reached a StoreUnavailableError) and names the server without its password."""

from __future__ import annotations

from typing import Any

from gridgov._errors import ExtraMissingError, ParameterError, StoreUnavailableError

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ExtraMissingError("postgis", "the PostGIS issue store (psycopg 3)") from exc

__all__ = ["connect", "reason", "where_is"]


def where_is(dsn: str) -> str:
    """``host:port/db`` of a connection string, for messages (never the password)."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable connection string)"
    host = str(info.get("host") or info.get("hostaddr") or "localhost")
    port = str(info.get("port") or "5432")
    db = str(info.get("dbname") or info.get("user") or "")
    return f"PostgreSQL at {host}:{port}/{db}"


def reason(exc: BaseException) -> str:
    """The first line of a driver error, for messages."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def connect(dsn: str, *, connect_timeout_s: float = 10.0) -> psycopg.Connection[Any]:
    """An autocommit connection, or ParameterError (not a connection string) or
    StoreUnavailableError (the server cannot be reached), naming where."""
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout_s)))
    except psycopg.ProgrammingError as exc:
        raise ParameterError(
            f"dsn: not a PostgreSQL connection string ({reason(exc)})",
            parameter="dsn",
            value=where_is(dsn),
        ) from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(f"cannot connect to {where_is(dsn)}: {reason(exc)}") from exc
