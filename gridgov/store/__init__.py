"""Issue stores: the ``Store`` protocol with SQLite (embedded) and PostGIS implementations.

:func:`open_store` picks one from a single setting: a ``postgresql://`` URL opens the
shared PostGIS store (psycopg is imported only then, so the core runs without it), any
other value names a SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from gridgov._errors import ExtraMissingError, NotFoundError
from gridgov.model import Workspace
from gridgov.store.base import Store

__all__ = ["is_dsn", "open_store", "open_workspace"]

_PG_SCHEMES = ("postgresql://", "postgres://")


def is_dsn(value: object) -> bool:
    """True if ``value`` is a ``postgresql://`` or ``postgres://`` URL."""
    return str(value).lower().startswith(_PG_SCHEMES)


def _require_psycopg(url: str, what: str) -> None:
    """Raise ExtraMissingError naming the postgis extra when psycopg 3 is missing."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ExtraMissingError("postgis", f"{what} {url.split('://', 1)[0]}://") from exc


def open_workspace(target: str | Path) -> Workspace:
    """Read the workspace ``target`` names: a database or a GeoPackage.

    Parameters
    ----------
    target : str or Path
        A ``postgresql://`` URL (the workspace ``gridgov db import`` stored there) or the
        path of a workspace GeoPackage.

    Returns
    -------
    Workspace

    Raises
    ------
    NotFoundError
        If the GeoPackage does not exist.
    ExtraMissingError
        If a URL is given and psycopg is not installed.
    """
    if isinstance(target, str) and is_dsn(target):
        _require_psycopg(target, "reading a workspace from")
        from gridgov.store.pg_workspace import read_workspace_pg

        return read_workspace_pg(target)
    from gridgov.io import read_workspace

    if not Path(target).exists():
        raise NotFoundError(f"no workspace {target}")
    return read_workspace(target)


def open_store(target: str | Path) -> Store:
    """Open the issue store that ``target`` names.

    Parameters
    ----------
    target : str or Path
        A ``postgresql://`` or ``postgres://`` URL (PostGIS store, migrated on open) or the
        path of a SQLite file (created if missing).

    Returns
    -------
    Store
        A :class:`~gridgov.store.postgis.PostGISStore` or
        :class:`~gridgov.store.sqlite.SQLiteStore`.

    Raises
    ------
    ExtraMissingError
        If a URL is given and psycopg is not installed (``pip install 'gridgov[postgis]'``).
    StoreUnavailableError
        If the database cannot be reached.
    """
    text = str(target)
    if isinstance(target, str) and is_dsn(text):
        _require_psycopg(text, "opening a store at")
        from gridgov.store.postgis import PostGISStore

        return PostGISStore(text)
    from gridgov.store.sqlite import SQLiteStore

    return SQLiteStore(target)
