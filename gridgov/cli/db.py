"""``gridgov db``: set up the shared PostgreSQL + PostGIS database and load a county into it.

``init`` installs PostGIS (where the role may) and applies every migration; ``migrate``
applies pending migrations (up to ``--to N``); ``import`` checks a workspace GeoPackage with
the ordinary reader and replaces the database's workspace with it in one transaction;
``status`` reports the schema version, pending migrations and the workspace's layer counts.
Then ``gridgov serve postgresql://...`` runs the service over that database. Like the rest
of the CLI these parse, call the core and print; a bad DSN, a path that is not a workspace
or a database without PostGIS is one message naming the value, exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gridgov._errors import GridgovError, ParameterError
from gridgov.cli._common import emit, settings_of
from gridgov.store import is_dsn

__all__ = ["register"]


def _dsn(value: str) -> str:
    """``value`` if it is a PostgreSQL URL or ``key=value`` connection string, else
    ParameterError."""
    from gridgov.store.pg_workspace import redact_dsn

    text = str(value).strip()
    if is_dsn(text) or ("=" in text and "://" not in text):
        return text
    raise ParameterError(
        f"DSN {redact_dsn(text)!r} is not a PostgreSQL connection string "
        "(expected postgresql://USER@HOST:PORT/DATABASE)"
    )


def _postgis_version(conn: Any) -> str | None:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    return str(row[0]) if row else None


def _require_postgis(conn: Any, shown: str) -> str:
    version = _postgis_version(conn)
    if version is None:
        raise GridgovError(
            f"database {shown!r} has no PostGIS extension; run gridgov db init {shown} "
            "(or CREATE EXTENSION postgis as a superuser)"
        )
    return version


def cmd_init(args: argparse.Namespace) -> int:
    """Install PostGIS if the role may, then apply every migration."""
    from gridgov.store.pg_workspace import connect, redact_dsn
    from gridgov.store.postgis import migrate, schema_version

    dsn = _dsn(args.dsn)
    shown = redact_dsn(dsn)
    import psycopg

    with connect(dsn) as conn:
        if _postgis_version(conn) is None:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except psycopg.Error as exc:
                reason = str(exc).strip().splitlines()[0]
                raise GridgovError(
                    f"database {shown!r}: cannot install PostGIS ({reason}); ask an "
                    "administrator to run CREATE EXTENSION postgis in it"
                ) from exc
        postgis = _require_postgis(conn, shown)
        applied = migrate(conn)
        version = max(schema_version(conn), default=0)
    names = [m.filename for m in applied]
    payload = {"dsn": shown, "postgis": postgis, "applied": names, "schema_version": version}
    text = (
        f"gridgov db init {shown}: PostGIS {postgis}; "
        + (f"applied {', '.join(names)}" if names else "schema already up to date")
        + f"; schema version {version}"
    )
    emit(args, payload, text)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations in order (up to ``--to``)."""
    from gridgov.store.pg_workspace import connect, redact_dsn
    from gridgov.store.postgis import migrate, schema_version

    dsn = _dsn(args.dsn)
    shown = redact_dsn(dsn)
    with connect(dsn) as conn:
        _require_postgis(conn, shown)
        applied = migrate(conn, target=args.to)
        version = max(schema_version(conn), default=0)
    names = [m.filename for m in applied]
    payload = {
        "dsn": shown,
        "applied": [m.version for m in applied],
        "files": names,
        "schema_version": version,
    }
    text = (
        f"gridgov db migrate {shown}: "
        + (f"applied {', '.join(names)}" if names else "nothing to apply")
        + f"; schema version {version}"
    )
    emit(args, payload, text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Read a workspace GeoPackage and replace the database's workspace with it."""
    from gridgov.io import read_workspace
    from gridgov.store.pg_workspace import connect, import_workspace, redact_dsn

    dsn = _dsn(args.dsn)
    shown = redact_dsn(dsn)
    path = Path(args.workspace)
    if not path.is_file():
        raise FileNotFoundError(f"WORKSPACE {str(path)!r} is not a file (a workspace .gpkg)")
    ws = read_workspace(path)  # checks it is a workspace before touching the database
    with connect(dsn) as conn:
        _require_postgis(conn, shown)
        counts = import_workspace(ws, conn, settings=settings_of(args))
    payload = {"workspace": str(path), "dsn": shown, "counts": counts}
    text = f"imported {path} into {shown}\n  " + ", ".join(f"{k} {v}" for k, v in counts.items())
    emit(args, payload, text)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Schema version, pending migrations and workspace counts."""
    from gridgov.store.pg_workspace import connect, redact_dsn, workspace_counts
    from gridgov.store.postgis import available_migrations, schema_version

    dsn = _dsn(args.dsn)
    shown = redact_dsn(dsn)
    with connect(dsn) as conn:
        postgis = _require_postgis(conn, shown)
        applied = schema_version(conn)
        pending = [m for m in available_migrations() if m.version not in set(applied)]
        has_ws = conn.execute("SELECT to_regclass('ws_layers') IS NOT NULL").fetchone()
        counts = workspace_counts(conn) if has_ws and has_ws[0] else {}
        meta: dict[str, str] = {}
        if counts:
            meta = {
                str(k): str(v)
                for k, v in conn.execute(
                    "SELECT key, value FROM ws_meta WHERE key IN ('county_code', 'county_name')"
                )
            }
    pending_names = [m.filename for m in pending]
    payload: dict[str, Any] = {
        "dsn": shown,
        "postgis": postgis,
        "schema_version": max(applied, default=0),
        "applied": applied,
        "pending": pending_names,
        "workspace": counts,
        "county_code": meta.get("county_code", ""),
        "county_name": meta.get("county_name", ""),
    }
    lines = [
        f"{shown}: PostGIS {postgis}, schema version {payload['schema_version']}",
        "  pending: " + (", ".join(pending_names) or "none"),
    ]
    if counts:
        county = f"{payload['county_name']} ({payload['county_code']})"
        lines.append(f"  workspace {county}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    else:
        lines.append("  workspace: none imported (gridgov db import WORKSPACE DSN)")
    emit(args, payload, "\n".join(lines))
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``gridgov db`` and its actions to the CLI's subparsers."""
    p = sub.add_parser("db", help="the shared PostgreSQL + PostGIS database: init, migrate, import")
    actions = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dsn_help = "postgresql://USER@HOST:PORT/DATABASE"

    a = actions.add_parser(
        "init", parents=[common], help="install PostGIS (if allowed) and migrate to the newest"
    )
    a.add_argument("dsn", metavar="DSN", help=dsn_help)
    a.set_defaults(func=cmd_init)

    a = actions.add_parser("migrate", parents=[common], help="apply pending schema migrations")
    a.add_argument("dsn", metavar="DSN", help=dsn_help)
    a.add_argument("--to", type=int, metavar="N", help="stop after migration N (default: all)")
    a.set_defaults(func=cmd_migrate)

    a = actions.add_parser(
        "import", parents=[common], help="replace the database's workspace with a GeoPackage"
    )
    a.add_argument("workspace", metavar="WORKSPACE", help="workspace GeoPackage")
    a.add_argument("dsn", metavar="DSN", help=dsn_help)
    a.set_defaults(func=cmd_import)

    a = actions.add_parser(
        "status", parents=[common], help="schema version, pending migrations, workspace counts"
    )
    a.add_argument("dsn", metavar="DSN", help=dsn_help)
    a.set_defaults(func=cmd_status)
