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

A phone on a flaky network sends a photo again when it never saw the answer. An upload
may carry an idempotency key (the client's, scoped by the caller to the uploader): the
row keeps it with a fingerprint of the request, under a unique index on
``(issue_id, idempotency_key)``, so a second upload under the same key stores nothing and
answers the first photo, and two at once still make one row (the index decides, not a
look-up). The same key with other bytes is :class:`~gridgov._errors.IdempotencyError`.
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

from gridgov._errors import (
    ConflictError,
    IdempotencyError,
    NotFoundError,
    ParameterError,
    Problem,
    ValidationError,
)
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
    taken_at TEXT NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT
);
CREATE INDEX IF NOT EXISTS issue_photos_issue ON issue_photos (issue_id, created_at);
"""

#: The columns an upload's idempotency key added (PostGIS migration 0014): a table made
#: before them gets them on opening, then the index that keeps one photo per key.
_SQLITE_KEY_COLUMNS = ("idempotency_key", "request_hash")
_SQLITE_KEY_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS issue_photos_key ON issue_photos (issue_id, idempotency_key)"
)


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
        idempotency_key: str | None = None,
        request_hash: str = "",
    ) -> PhotoRecord:
        """Store a photo unless the issue holds ``max_per_issue`` photos already, or
        ``max_by_role`` of ``record.actor_role`` (ValidationError naming ``photo``).

        With ``idempotency_key``, a photo the issue already holds under that key is
        returned instead and nothing is stored (limits are not counted for it): the
        caller tells a replay by its ``photo_id`` differing from ``record``'s. The same
        key with another ``request_hash`` raises IdempotencyError."""
        ...

    def replay(self, issue_id: str, idempotency_key: str, request_hash: str) -> PhotoRecord | None:
        """The photo stored under ``idempotency_key`` for the issue, or None; the same
        key with another ``request_hash`` raises IdempotencyError."""
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


def _replayed(row: Sequence[Any] | None, issue_id: str, request_hash: str) -> PhotoRecord | None:
    """The photo of a key's row (its columns, then its request_hash), or None for no row."""
    if row is None:
        return None
    record = _record(row[:-1])
    if row[-1] != request_hash:
        raise IdempotencyError(
            f"Idempotency-Key was already used for another photo of issue {issue_id} "
            f"(photo {record.photo_id}); send a new photo under a new key"
        )
    return record


def _check_room(
    record: PhotoRecord, total: int, by_role: int, max_per_issue: int, max_by_role: int | None
) -> None:
    """Refuse the photo just inserted (counted in ``total`` and ``by_role``) when it is one
    too many; the caller's transaction then takes it back."""
    if total > max_per_issue:
        raise _full(record.issue_id, total - 1, max_per_issue)
    if max_by_role is not None and by_role > max_by_role:
        raise _full(record.issue_id, by_role - 1, max_by_role, f" from {record.actor_role}")


def _lost(issue_id: str) -> ConflictError:
    # the index refused the row, yet no row holds the key: its writer rolled back between
    return ConflictError(f"a photo of issue {issue_id} under this Idempotency-Key moved; retry")


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
        with store._write() as con:  # two servers opening an old file add the columns once
            have = {row[1] for row in con.execute("PRAGMA table_info(issue_photos)")}
            for column in _SQLITE_KEY_COLUMNS:
                if column not in have:
                    con.execute(f"ALTER TABLE issue_photos ADD COLUMN {column} TEXT")
            con.execute(_SQLITE_KEY_INDEX)

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
        idempotency_key: str | None = None,
        request_hash: str = "",
    ) -> PhotoRecord:
        """See :meth:`PhotoStore.add`."""
        paths = {v: self._path(record.issue_id, record.photo_id, v) for v in VARIANTS}
        self._write_file(paths["staff"], staff_jpeg)
        self._write_file(paths["public"], public_jpeg)
        values = [getattr(record, c) for c in _COLUMNS]
        values[_COLUMNS.index("created_at")] = record.created_at.isoformat()
        marks = ", ".join("?" * (len(_COLUMNS) + 2))
        try:
            with self.store._write() as con:  # BEGIN IMMEDIATE: the count cannot move
                # the row first: the unique index answers whether the key was used, and a
                # replay is answered even when the issue has filled up since
                inserted = con.execute(
                    f"INSERT INTO issue_photos ({', '.join(_COLUMNS)}, idempotency_key,"
                    f" request_hash) VALUES ({marks})"
                    " ON CONFLICT (issue_id, idempotency_key) DO NOTHING",
                    [*values, idempotency_key, request_hash or None],
                ).rowcount
                first = None
                if inserted:
                    self._room(con, record, max_per_issue, max_by_role)  # or roll it back
                elif idempotency_key is not None:
                    first = self._keyed(con, record.issue_id, idempotency_key, request_hash)
                    if first is None:
                        raise _lost(record.issue_id)
        except BaseException:
            self._unlink(paths.values())
            raise
        if first is not None:
            self._unlink(paths.values())  # a replay: this upload's files are not kept
            return first
        return record

    @staticmethod
    def _room(con: Any, record: PhotoRecord, max_per_issue: int, max_by_role: int | None) -> None:
        total, by_role = con.execute(
            "SELECT count(*), coalesce(sum(actor_role = ?), 0) FROM issue_photos"
            " WHERE issue_id = ?",
            (record.actor_role, record.issue_id),
        ).fetchone()
        _check_room(record, total, by_role, max_per_issue, max_by_role)

    @staticmethod
    def _keyed(con: Any, issue_id: str, key: str, request_hash: str) -> PhotoRecord | None:
        row = con.execute(
            f"SELECT {', '.join(_COLUMNS)}, request_hash FROM issue_photos"
            " WHERE issue_id = ? AND idempotency_key = ?",
            (issue_id, key),
        ).fetchone()
        return _replayed(row, issue_id, request_hash)

    @staticmethod
    def _unlink(paths: Any) -> None:
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def replay(self, issue_id: str, idempotency_key: str, request_hash: str) -> PhotoRecord | None:
        """See :meth:`PhotoStore.replay`."""
        return self._keyed(self.store._con(), issue_id, idempotency_key, request_hash)

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
        idempotency_key: str | None = None,
        request_hash: str = "",
    ) -> PhotoRecord:
        """See :meth:`PhotoStore.add`."""
        values = [getattr(record, c) for c in _COLUMNS]
        with self._conn("storing the photo") as conn, conn.transaction():
            # one uploader of an issue at a time: the count below cannot move
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"photo:{record.issue_id}",)
            )
            marks = ", ".join(["%s"] * (len(_COLUMNS) + 4))
            # the row first: the unique index answers whether the key was used (waiting
            # for an upload under it still in flight), and a replay is answered even when
            # the issue has filled up since
            inserted = conn.execute(
                f"INSERT INTO issue_photos ({', '.join(_COLUMNS)}, staff_jpeg, public_jpeg,"
                f" idempotency_key, request_hash) VALUES ({marks})"
                " ON CONFLICT (issue_id, idempotency_key) DO NOTHING RETURNING photo_id",
                [*values, staff_jpeg, public_jpeg, idempotency_key, request_hash or None],
            ).fetchone()
            if inserted is None and idempotency_key is not None:
                first = self._keyed(conn, record.issue_id, idempotency_key, request_hash)
                if first is None:
                    raise _lost(record.issue_id)
                return first
            total, by_role = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE actor_role = %s) FROM issue_photos"
                " WHERE issue_id = %s",
                (record.actor_role, record.issue_id),
            ).fetchone()
            _check_room(record, total, by_role, max_per_issue, max_by_role)  # or roll it back
        return record

    @staticmethod
    def _keyed(conn: Any, issue_id: str, key: str, request_hash: str) -> PhotoRecord | None:
        row = conn.execute(
            f"SELECT {', '.join(_COLUMNS)}, request_hash FROM issue_photos"
            " WHERE issue_id = %s AND idempotency_key = %s",
            (issue_id, key),
        ).fetchone()
        return _replayed(row, issue_id, request_hash)

    def replay(self, issue_id: str, idempotency_key: str, request_hash: str) -> PhotoRecord | None:
        """See :meth:`PhotoStore.replay`."""
        with self._conn("reading a photo") as conn:
            return self._keyed(conn, issue_id, idempotency_key, request_hash)

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
