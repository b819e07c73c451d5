"""Photos of issues over HTTP: upload one, list them, fetch a copy, with access checks.

Staff, grid workers and deputies upload with their bearer token
(``POST /issues/{id}/photos``); the resident uploads right after raising the issue with
its tracking token (``POST /public/issues/{id}/photos``). The file is the multipart field
``photo``; what it must be and who may attach it are :mod:`gridgov.issues.photos`'s rules,
where it is kept is :mod:`gridgov.store.photos`'s. Those who read the issue as written get
the staff copy (EXIF place kept) and the place in the metadata; the resident gets the
public copy (no metadata) of their own issue's photos and nothing else. An issue the
caller may not see is 404, as everywhere in the API.

An upload may carry an ``Idempotency-Key`` (one per photo the person chose; the page
scripts send one, and the same one again on a retry): a second upload under it answers
the first photo (200, as a replayed issue creation does) and stores nothing, and the
same key with another photo is refused with 422 ``idempotency_key_reused`` (as a reused
key of an issue creation is, after the IETF Idempotency-Key draft), in the person's
language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from api.deps import PrincipalDep, ServiceDep, require
from api.errors import error_json
from api.routes.public import tracked_issue
from api.schemas import PhotoOut
from api.web import page_lang
from gridgov._errors import (
    ForbiddenError,
    IdempotencyError,
    NotFoundError,
    Problem,
    ValidationError,
)
from gridgov.issues.access import Principal, can_see
from gridgov.issues.lifecycle import Issue
from gridgov.issues.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_ISSUE,
    PUBLIC_PHOTOS_PER_ISSUE,
    PUBLIC_UPLOAD_WINDOW,
    PhotoTooLargeError,
    may_attach,
    prepare_photo,
    upload_hash,
    upload_key,
    view_of,
)
from gridgov.issues.service import IssueService
from gridgov.messages import text
from gridgov.store.photos import PhotoRecord, PhotoStore, new_photo_id, photo_store

__all__ = [
    "UPLOAD_LIMITS",
    "IdempotencyKey",
    "Upload",
    "get_photos",
    "key_refused",
    "photo_out",
    "public_photo_url",
    "router",
    "store_upload",
]

router = APIRouter()

#: Request bodies the upload routes accept: the photo, its multipart envelope and a token.
UPLOAD_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"/issues/[^/]+/photos"), MAX_PHOTO_BYTES + 64 * 1024),
    (re.compile(r"/public/issues/[^/]+/photos"), MAX_PHOTO_BYTES + 64 * 1024),
)

_LOCK = threading.Lock()


def get_photos(request: Request, service: ServiceDep) -> PhotoStore:
    """The photo store beside the service's issue store, made on first need."""
    found: PhotoStore | None = getattr(request.app.state, "photos", None)
    if found is None:
        with _LOCK:
            found = getattr(request.app.state, "photos", None)
            if found is None:
                found = photo_store(service.store)
                request.app.state.photos = found
    return found


PhotosDep = Annotated[PhotoStore, Depends(get_photos)]
#: The client's key for one photo: its retries carry the same one.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def public_photo_url(rec: PhotoRecord, token: str) -> str:
    """Where the resident's page fetches the public copy (the token rides in the query:
    an ``<img>`` sends no header)."""
    return f"/public/issues/{rec.issue_id}/photos/{rec.photo_id}.jpg?token={token}"


def photo_out(rec: PhotoRecord, copy: str, *, token: str = "") -> PhotoOut:
    """A photo as the caller may see it: the staff view names the place and uploader."""
    if copy == "staff":
        return PhotoOut(
            photo_id=rec.photo_id,
            issue_id=rec.issue_id,
            created_at=rec.created_at,
            width=rec.width,
            height=rec.height,
            url=f"/issues/{rec.issue_id}/photos/{rec.photo_id}.jpg",
            copy="staff",
            uploaded_by=f"{rec.actor_role}:{rec.actor_id}".rstrip(":"),
            lon=rec.lon,
            lat=rec.lat,
            taken_at=rec.taken_at,
        )
    scale = min(1.0, 1600 / max(rec.width, rec.height, 1))
    return PhotoOut(
        photo_id=rec.photo_id,
        issue_id=rec.issue_id,
        created_at=rec.created_at,
        width=round(rec.width * scale),
        height=round(rec.height * scale),
        url=public_photo_url(rec, token),
        copy="public",
    )


def _read_upload(photo: UploadFile) -> bytes:
    # one byte past the limit is enough to know it is too big
    return photo.file.read(MAX_PHOTO_BYTES + 1)


def _too_large(exc: PhotoTooLargeError) -> JSONResponse:
    """413 in the app's error body, naming the field (gridgov's table answers 422)."""
    problems = [
        {"field": p.field, "value": str(p.value), "message": p.message, "row": None}
        for p in exc.problems
    ]
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return error_json(413, "too_large", message, problems)


class Upload(NamedTuple):
    """A stored photo, and whether this upload stored it (False: a replay of its key)."""

    record: PhotoRecord
    created: bool


def key_refused(request: Request, error: str, message_key: str) -> JSONResponse:
    """A 422 refusal of the Idempotency-Key header (``error``: ``invalid`` for a blank key,
    ``idempotency_key_reused`` for a key sent with another photo), in the person's
    language, naming it."""
    message = text(message_key, page_lang(request))
    problems = [{"field": "Idempotency-Key", "value": None, "message": message, "row": None}]
    return error_json(422, error, message, problems)


def store_upload(
    request: Request,
    service: IssueService,
    photos: PhotoStore,
    issue: Issue,
    p: Principal,
    photo: UploadFile,
    idempotency_key: str | None,
    *,
    allowed: Callable[[], None],
) -> Upload | JSONResponse:
    """Store an upload once per key: the first photo under ``idempotency_key`` when there
    is one (nothing stored, nothing re-encoded), else the new photo; a 422 for the key
    reused with another photo or a blank key, 413 for a file too large.

    ``allowed()`` raises when ``p`` may not attach a photo now. It is asked after the
    look-up: the retry of a photo taken before the issue moved on (resolved, the
    resident's hour past) is answered with that photo, not refused."""
    key = None
    if idempotency_key is not None:
        if not idempotency_key.strip():
            return key_refused(request, "invalid", "field.error.key")
        key = upload_key(p, idempotency_key.strip())
    data = _read_upload(photo)
    fingerprint = "" if key is None else upload_hash(p, data)
    try:
        if key is not None:
            first = photos.replay(issue.issue_id, key, fingerprint)
            if first is not None:
                return Upload(first, False)
        allowed()
        return _store(service, photos, issue, p, data, key, fingerprint)
    except IdempotencyError:
        return key_refused(request, "idempotency_key_reused", "field.error.photo_key_reused")
    except PhotoTooLargeError as exc:
        return _too_large(exc)


def _store(
    service: IssueService,
    photos: PhotoStore,
    issue: Issue,
    p: Principal,
    data: bytes,
    key: str | None,
    fingerprint: str,
) -> Upload:
    prepared = prepare_photo(data, field="photo")
    record = PhotoRecord(
        photo_id=new_photo_id(),
        issue_id=issue.issue_id,
        created_at=service.clock(),
        actor_role=p.role,
        actor_id=p.subject,
        width=prepared.width,
        height=prepared.height,
        source_format=prepared.source_format,
        staff_bytes=len(prepared.staff_jpeg),
        public_bytes=len(prepared.public_jpeg),
        lon=prepared.lon,
        lat=prepared.lat,
        taken_at=prepared.taken_at,
    )
    stored = photos.add(
        record,
        prepared.staff_jpeg,
        prepared.public_jpeg,
        max_per_issue=MAX_PHOTOS_PER_ISSUE,
        max_by_role=PUBLIC_PHOTOS_PER_ISSUE if p.role == "public" else None,
        idempotency_key=key,
        request_hash=fingerprint,
    )
    # another upload under the key was stored between the look-up and this one
    return Upload(stored, stored.photo_id == record.photo_id)


def _visible(service: IssueService, p: Principal, issue_id: str) -> Issue:
    """The issue if ``p`` may see it, else 404 (existence does not leak)."""
    issue = service.store.get_issue(issue_id)
    if not can_see(p, issue):
        raise NotFoundError(f"no issue {issue_id!r}")
    return issue


def _jpeg(data: bytes) -> Response:
    # private: a shared cache must never hand one person's photo to another
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"}
    )


#: The other success of an upload route, in the OpenAPI document.
_REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"model": PhotoOut, "description": "a retry under its Idempotency-Key: the first photo"}
}


@router.post("/issues/{issue_id}/photos", status_code=201, response_model=PhotoOut,
             responses=_REPLAY)  # fmt: skip
def upload(
    request: Request,
    response: Response,
    issue_id: str,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or HEIC, at most 10 MB")],
    service: ServiceDep,
    principal: PrincipalDep,
    photos: PhotosDep,
    idempotency_key: IdempotencyKey = None,
) -> PhotoOut | JSONResponse:
    """Attach a photo to an issue (its handlers, and the grid worker who raised it or
    whose grid it lies in). The staff copy keeps the camera's EXIF place; the public copy
    has no metadata. Sent again under the same Idempotency-Key: 200 and the first photo."""
    require(principal, "grid_worker", "deputy", "station_admin", "township_staff", "county_staff")
    issue = _visible(service, principal, issue_id)

    def allowed() -> None:
        if not may_attach(principal, issue, now=service.clock()):
            raise ForbiddenError(f"role {principal.role} may not attach photos to issue {issue_id}")

    out = store_upload(
        request, service, photos, issue, principal, photo, idempotency_key, allowed=allowed
    )
    if isinstance(out, JSONResponse):
        return out
    if not out.created:
        response.status_code = 200
    return photo_out(out.record, "staff")


@router.get("/issues/{issue_id}/photos", response_model=list[PhotoOut])
def list_photos(
    issue_id: str, service: ServiceDep, principal: PrincipalDep, photos: PhotosDep
) -> list[PhotoOut]:
    """The photos of an issue the caller may see, oldest first, with their places."""
    require(principal, "grid_worker", "deputy", "station_admin", "township_staff", "county_staff")
    issue = _visible(service, principal, issue_id)
    copy = view_of(principal, issue) or "public"
    return [photo_out(rec, copy) for rec in photos.photos(issue_id)]


@router.get("/issues/{issue_id}/photos/{photo_id}.jpg", response_class=Response)
def staff_photo(
    issue_id: str,
    photo_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    photos: PhotosDep,
) -> Response:
    """The staff copy of a photo (EXIF kept), for those who read the issue as written."""
    require(principal, "grid_worker", "deputy", "station_admin", "township_staff", "county_staff")
    issue = _visible(service, principal, issue_id)
    copy = view_of(principal, issue) or "public"
    rec = photos.get(issue_id, photo_id)
    return _jpeg(photos.read(rec, copy))


@router.post("/public/issues/{issue_id}/photos", status_code=201, response_model=PhotoOut,
             responses=_REPLAY)  # fmt: skip
def upload_public(
    request: Request,
    response: Response,
    issue_id: str,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or HEIC, at most 10 MB")],
    tracking_token: Annotated[str, Form(min_length=1, max_length=100)],
    service: ServiceDep,
    photos: PhotosDep,
    idempotency_key: IdempotencyKey = None,
) -> PhotoOut | JSONResponse:
    """The resident attaches a photo to the issue they just raised, with its tracking
    token (within an hour of raising it, at most three). Sent again under the same
    Idempotency-Key: 200 and the first photo, even once the hour or the three are past."""
    issue = tracked_issue(service, issue_id, tracking_token)
    public = Principal.public()

    def allowed() -> None:
        if not may_attach(public, issue, now=service.clock(), tracking_ok=True):
            window_h = PUBLIC_UPLOAD_WINDOW.total_seconds() / 3600
            message = (
                f"photos are attached within {window_h:g} h of raising an open issue; "
                "this one is past that"
            )
            problem = Problem("photo", None, "photo", issue_id, message)
            raise ValidationError([problem], context="photo")

    out = store_upload(
        request, service, photos, issue, public, photo, idempotency_key, allowed=allowed
    )
    if isinstance(out, JSONResponse):
        return out
    if not out.created:
        response.status_code = 200
    return photo_out(out.record, "public", token=tracking_token)


@router.get("/public/issues/{issue_id}/photos/{photo_id}.jpg", response_class=Response)
def public_photo(
    issue_id: str,
    photo_id: str,
    token: Annotated[str, Query(min_length=1, max_length=100)],
    service: ServiceDep,
    photos: PhotosDep,
) -> Response:
    """The public copy of a photo (no metadata), with the issue's tracking token."""
    tracked_issue(service, issue_id, token)
    rec = photos.get(issue_id, photo_id)
    return _jpeg(photos.read(rec, "public"))
