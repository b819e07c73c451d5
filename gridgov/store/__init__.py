"""Issue stores: the ``Store`` protocol with SQLite (embedded) and PostGIS implementations.

:func:`open_store` picks one from a single setting: a ``postgresql://`` URL opens the
shared PostGIS store (psycopg is imported only then, so the core runs without it), any
other value names a SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from gridgov.store.base import Store

__all__ = ["open_store"]

_PG_SCHEMES = ("postgresql://", "postgres://")


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
    ImportError
        If a URL is given and psycopg is not installed (``pip install 'gridgov[postgis]'``).
    StoreUnavailableError
        If the database cannot be reached.
    """
    text = str(target)
    if isinstance(target, str) and text.lower().startswith(_PG_SCHEMES):
        try:
            from gridgov.store.postgis import PostGISStore
        except ImportError as exc:
            raise ImportError(
                f"opening {text.split('://', 1)[0]}:// stores needs psycopg 3: "
                "pip install 'gridgov[postgis]'"
            ) from exc
        return PostGISStore(text)
    from gridgov.store.sqlite import SQLiteStore

    return SQLiteStore(target)
