"""Where the photos of issues are kept: beside the issue store, never inside the issue.

A photo is two JPEGs (:class:`~gridgov.issues.photos.PreparedPhoto`: the staff copy with
the camera's EXIF, the public copy without) and a row of metadata. With the embedded
SQLite store the JPEGs are files in a folder beside the database (``issues.sqlite`` ->
``issues.sqlite.photos/<issue_id>/``, mode 0600 like the database: they may show people)
and the metadata is a table of the same database; with the PostGIS store both live in the
database (``issue_photos``, migration ``0011_photos.sql``), so every server of a county
sees every photo without a shared disk.

:func:`photo_store` picks the implementation for a store. A photo is written completely
(files synced and renamed into place) before its row is committed, and the row is
committed under the store's write lock together with the per-issue count check, so two
uploads at once never exceed the limit and a crash leaves no row without its files.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from gridgov._errors import NotFoundError, ParameterError, Problem, ValidationError
from gridgov.store.base import Store

__all__ = [
    "FolderPhotoStore",
    "PhotoRecord",
    "PhotoStore",
    "PostGISPhotoStore",
    "new_photo_id",
    "photo_store",
]

#: The two copies of a photo.
VARIANTS: tuple[str, ...] = ("staff", "public")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

_SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS issue_photos (
    photo_id TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    source_format TEXT NOT NULL,
    staff_bytes INTEGER NOT NULL,
    public_bytes INTEGER NOT NULL,
    lon REAL,
    lat REAL,
    taken_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_photos_issue ON issue_photos (issue_id, created_at);
"""


@dataclass(frozen=True)
class PhotoRecord:
    """What is known of a stored photo besides its bytes.

    ``lon`` / ``lat`` are the camera's EXIF place: staff only, like the staff copy.
    """

    photo_id: str
    issue_id: str
    created_at: datetime
    actor_role: str
    actor_id: str
    width: int
    height: int
    source_format: str
    staff_bytes: int
    public_bytes: int
    lon: float | None = None
    lat: float | None = None
    taken_at: str = ""


_COLUMNS = tuple(f.name for f in fields(PhotoRecord))


def new_photo_id() -> str:
    """A fresh photo id (64 random bits, hex)."""
    return secrets.token_hex(8)


def _checked_id(value: str, name: str) -> str:
    # ids name files: nothing that could climb out of the folder
    if not _ID.fullmatch(value):
        raise NotFoundError(f"no {name} {value[:70]!r}")
    return value


class PhotoStore(Protocol):
    """Photos of issues: add one, list an issue's, read a copy."""

    def add(
        self,
        record: PhotoRecord,
        staff_jpeg: bytes,
        public_jpeg: bytes,
        *,
        max_per_issue: int,
        max_by_role: int | None = None,
    ) -> PhotoRecord:
        """Store a photo unless the issue holds ``max_per_issue`` photos already, or
        ``max_by_role`` of ``record.actor_role`` (ValidationError naming ``photo``)."""
        ...

    def photos(self, issue_id: str) -> list[PhotoRecord]:
        """An issue's photos, oldest first."""
        ...

    def photos_of(self, issue_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """Photos of several issues at once (issue id -> oldest first)."""
        ...

    def get(self, issue_id: str, photo_id: str) -> PhotoRecord:
        """One photo of an issue (NotFoundError otherwise)."""
        ...

    def read(self, record: PhotoRecord, variant: str) -> bytes:
        """The JPEG of one copy: ``"staff"`` or ``"public"``."""
        ...


def _full(issue_id: str, count: int, limit: int, who: str = "") -> ValidationError:
    message = f"issue {issue_id} already has {count} photos{who}; at most {limit} are kept"
    return ValidationError([Problem("photo", None, "photo", count, message)], context="photo")


def _variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ParameterError(
            f"variant: expected one of {', '.join(VARIANTS)}, got {variant!r}",
            parameter="variant",
            value=variant,
        )
    return variant


def _record(row: Sequence[Any]) -> PhotoRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    at = values["created_at"]
    values["created_at"] = datetime.fromisoformat(at) if isinstance(at, str) else at
    return PhotoRecord(**values)


class FolderPhotoStore:
    """Photos as files in a folder, their metadata in a table of the SQLite store.

    Parameters
    ----------
    store : SQLiteStore
        The issue store; its database holds the ``issue_photos`` table.
    folder : str or Path, optional
        Where the JPEGs go (default: ``<database file>.photos`` beside it).
    """

    def __init__(self, store: Any, folder: str | Path | None = None) -> None:
        self.store = store
        self.folder = Path(folder) if folder is not None else Path(f"{store.path}.photos")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        store._con().executescript(_SQLITE_TABLE)  # idempotent; commits by itself

    def __repr__(self) -> str:
        return f"FolderPhotoStore({str(self.folder)!r})"

    def _path(self, issue_id: str, photo_id: str, variant: str) -> Path:
        issue = _checked_id(issue_id, "issue")
        photo = _checked_id(photo_id, "photo")
        return self.folder / issue / f"{photo}-{_variant(variant)}.jpg"

    def _write_file(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, aside = tempfile.mkstemp(dir=path.parent, prefix=".upload-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            Path(aside).replace(path)
        except BaseException:
            Path(aside).unlink(missing_ok=True)
            raise

    def add(
        self,
        record: PhotoRecord,
        staff_jpeg: bytes,
        public_jpeg: bytes,
        *,
        max_per_issue: int,
        max_by_role: int | None = None,
    ) -> PhotoRecord:
        """See :meth:`PhotoStore.add`."""
        paths = {v: self._path(record.issue_id, record.photo_id, v) for v in VARIANTS}
        self._write_file(paths["staff"], staff_jpeg)
        self._write_file(paths["public"], public_jpeg)
        values = [getattr(record, c) for c in _COLUMNS]
        values[_COLUMNS.index("created_at")] = record.created_at.isoformat()
        try:
            with self.store._write() as con:  # BEGIN IMMEDIATE: the count cannot move
                total, by_role = con.execute(
                    "SELECT count(*), coalesce(sum(actor_role = ?), 0) FROM issue_photos"
                    " WHERE issue_id = ?",
                    (record.actor_role, record.issue_id),
                ).fetchone()
                if total >= max_per_issue:
                    raise _full(record.issue_id, total, max_per_issue)
                if max_by_role is not None and by_role >= max_by_role:
                    raise _full(record.issue_id, by_role, max_by_role, f" from {record.actor_role}")
                marks = ", ".join("?" * len(_COLUMNS))
                con.execute(
                    f"INSERT INTO issue_photos ({', '.join(_COLUMNS)}) VALUES ({marks})", values
                )
        except BaseException:
            for path in paths.values():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            raise
        return record

    def photos(self, issue_id: str) -> list[PhotoRecord]:
        """See :meth:`PhotoStore.photos`."""
        return self.photos_of([issue_id]).get(issue_id, [])

    def photos_of(self, issue_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """See :meth:`PhotoStore.photos_of`."""
        out: dict[str, list[PhotoRecord]] = {}
        ids = list(dict.fromkeys(issue_ids))
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows = (
                self.store._con()
                .execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM issue_photos WHERE issue_id IN"
                    f" ({', '.join('?' * len(chunk))}) ORDER BY created_at, photo_id",
                    chunk,
                )
                .fetchall()
            )
            for row in rows:
                rec = _record(row)
                out.setdefault(rec.issue_id, []).append(rec)
        return out

    def get(self, issue_id: str, photo_id: str) -> PhotoRecord:
        """See :meth:`PhotoStore.get`."""
        row = (
            self.store._con()
            .execute(
                f"SELECT {', '.join(_COLUMNS)} FROM issue_photos"
                " WHERE photo_id = ? AND issue_id = ?",
                (photo_id, issue_id),
            )
            .fetchone()
        )
        if row is None:
            raise NotFoundError(f"no photo {photo_id[:70]!r} of issue {issue_id[:70]!r}")
        return _record(row)

    def read(self, record: PhotoRecord, variant: str) -> bytes:
        """See :meth:`PhotoStore.read`."""
        path = self._path(record.issue_id, record.photo_id, variant)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"photo {record.photo_id} has no {variant} file") from exc


class PostGISPhotoStore:
    """Photos in the PostGIS store's database (table ``issue_photos``, migration 0011).

    Parameters
    ----------
    store : PostGISStore
    """

    def __init__(self, store: Any) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"PostGISPhotoStore({self.store.where!r})"

    @contextlib.contextmanager
    def _conn(self, doing: str) -> Iterator[Any]:
        with self.store._conn(doing) as conn:
            yield conn

    def add(
        self,
        record: PhotoRecord,
        staff_jpeg: bytes,
        public_jpeg: bytes,
        *,
        max_per_issue: int,
        max_by_role: int | None = None,
    ) -> PhotoRecord:
        """See :meth:`PhotoStore.add`."""
        values = [getattr(record, c) for c in _COLUMNS]
        with self._conn("storing the photo") as conn, conn.transaction():
            # one uploader of an issue at a time: the count below cannot move
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"photo:{record.issue_id}",)
            )
            total, by_role = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE actor_role = %s) FROM issue_photos"
                " WHERE issue_id = %s",
                (record.actor_role, record.issue_id),
            ).fetchone()
            if total >= max_per_issue:
                raise _full(record.issue_id, total, max_per_issue)
            if max_by_role is not None and by_role >= max_by_role:
                raise _full(record.issue_id, by_role, max_by_role, f" from {record.actor_role}")
            marks = ", ".join(["%s"] * (len(_COLUMNS) + 2))
            conn.execute(
                f"INSERT INTO issue_photos ({', '.join(_COLUMNS)}, staff_jpeg, public_jpeg)"
                f" VALUES ({marks})",
                [*values, staff_jpeg, public_jpeg],
            )
        return record

    def photos(self, issue_id: str) -> list[PhotoRecord]:
        """See :meth:`PhotoStore.photos`."""
        return self.photos_of([issue_id]).get(issue_id, [])

    def photos_of(self, issue_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """See :meth:`PhotoStore.photos_of`."""
        out: dict[str, list[PhotoRecord]] = {}
        with self._conn("reading photos") as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM issue_photos WHERE issue_id = ANY(%s)"
                " ORDER BY created_at, photo_id",
                (list(issue_ids),),
            ).fetchall()
        for row in rows:
            rec = _record(row)
            out.setdefault(rec.issue_id, []).append(rec)
        return out

    def get(self, issue_id: str, photo_id: str) -> PhotoRecord:
        """See :meth:`PhotoStore.get`."""
        with self._conn("reading a photo") as conn:
            row = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM issue_photos"
                " WHERE photo_id = %s AND issue_id = %s",
                (photo_id, issue_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no photo {photo_id[:70]!r} of issue {issue_id[:70]!r}")
        return _record(row)

    def read(self, record: PhotoRecord, variant: str) -> bytes:
        """See :meth:`PhotoStore.read`."""
        column = f"{_variant(variant)}_jpeg"
        with self._conn("reading a photo") as conn:
            row = conn.execute(
                f"SELECT {column} FROM issue_photos WHERE photo_id = %s", (record.photo_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no photo {record.photo_id!r}")
        return bytes(row[0])


def photo_store(store: Store, *, folder: str | Path | None = None) -> PhotoStore:
    """The photo store that goes with an issue store.

    Parameters
    ----------
    store : Store
        A :class:`~gridgov.store.sqlite.SQLiteStore` or
        :class:`~gridgov.store.postgis.PostGISStore`.
    folder : str or Path, optional
        For SQLite: where the files go (default ``<database>.photos`` beside it). With
        PostGIS the photos are in the database and ``folder`` must not be given.

    Raises
    ------
    ParameterError
        For a store of another kind, or a folder given with PostGIS.
    """
    from gridgov.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        return FolderPhotoStore(store, folder)
    if type(store).__name__ == "PostGISStore":  # psycopg is imported only with PostGIS
        if folder is not None:
            raise ParameterError(
                "folder: the PostGIS store keeps photos in its database",
                parameter="folder",
                value=str(folder),
            )
        return PostGISPhotoStore(store)
    raise ParameterError(
        f"store: photos are kept beside a SQLite or PostGIS store, not {type(store).__name__}",
        parameter="store",
        value=type(store).__name__,
    )
