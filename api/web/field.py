"""The field screens: the grid worker's and the deputy's phone pages (网格吹哨、代表报到).

A grid worker (网格员) blows the whistle from ``/field/raise``: a pin on a map of their own
grids (drawn with the offline Leaflet of the ``xstatic-leaflet`` package, no basemap),
placed by the phone's location and dragged where the problem is, a category, a description
and photos resized on the phone. Before sending, the open issues of the same category
nearby are shown, each a link to join it rather than file it twice. The page keeps a draft
in the phone's localStorage with its Idempotency-Key, so a dropped connection loses nothing
and a retry files one issue. ``/field/mine`` lists what they raised.

A deputy (人大代表) sees at ``/field/duty`` the issues they are dispatched to and have not
reported for (待报到), and those they handle; on an issue's page they report for duty
(报到, with where they are when the phone allows), start and resolve it with a note and
photos, and ask the level above for more time (延期申请) while the deadline runs;
``/field/history`` is their record.

The pages are views: the script posts JSON to the ``/field/api/...`` routes here, with the
session cookie and its CSRF token in the ``X-CSRF-Token`` header, and those routes call the
JSON API's own handlers (:mod:`api.routes.issues`, :mod:`api.web.photos`) with the
person's principal, so a rule is decided in one place and a refusal is the API's 4xx body
naming the field. Each photo chosen on a page is sent with an Idempotency-Key of its own,
kept with it in the draft, so a photo sent again after a dropped answer is stored once.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

import pyproj
from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import get_service
from api.errors import error_json
from api.routes import issues as issues_api
from api.routes.issues import ExtensionIn
from api.schemas import AcknowledgeIn, IssueCreate, ResolveIn, StartIn
from api.web import STATIC_URL, page_lang, render
from api.web import photos as photos_api
from api.web.auth import PageUser, error_page, page_for, page_user
from api.web.queue import next_deadline
from api.web.staff import local, offered_actions
from gridgov._errors import ForbiddenError, NotFoundError, ParameterError, ValidationError
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.issues.access import Principal, can, can_see, scope_query
from gridgov.issues.lifecycle import ALLOWED, Acknowledge, Event, Issue, Resolve, Start
from gridgov.issues.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ISSUE
from gridgov.issues.service import MAX_DESCRIPTION, IssueService, point_problems
from gridgov.messages import CATALOGUE, text
from gridgov.model import IssueStatus
from gridgov.store.base import IssueQuery

__all__ = [
    "CSRF_HEADER",
    "EXTENSION_CHOICES_H",
    "HOMES",
    "LEAFLET_URL",
    "MAX_PHOTOS_PER_SEND",
    "NEARBY_LIMIT",
    "UPLOAD_LIMITS",
    "router",
]

router = APIRouter(include_in_schema=False)

#: Where each field role lands after logging in (``api.web.auth.home_of`` says the same).
HOMES: Mapping[str, str] = {"grid_worker": "/field/raise", "deputy": "/field/duty"}
#: The header a page's script sends the session's CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: Where the offline Leaflet is served from (mounted by :func:`api.web.install`).
LEAFLET_URL = f"{STATIC_URL}/vendor/leaflet"
#: Issues per page of the lists.
LIST_SIZE = 30
#: Most nearby issues shown before sending.
NEARBY_LIMIT = 8
#: Photos one whistle or one resolution sends (each resized on the phone first).
MAX_PHOTOS_PER_SEND = 6
#: What the phone offers for 延期申请 (hours; those over ``settings.extension_max_h`` are
#: left out): a deputy on a phone picks days, not a number of hours.
EXTENSION_CHOICES_H: tuple[int, ...] = (24, 48, 72, 168, 336, 720)
#: Request bodies the photo route takes (a resized photo is 0.2-1 MB; the app's default
#: limit is 64 kB). The app's ``BodyLimit`` must be given these as it is the photo
#: routes' ``api.web.photos.UPLOAD_LIMITS``.
UPLOAD_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"/field/api/issues/[^/]+/photos"), MAX_PHOTO_BYTES + 64 * 1024),
)

_GRID_WORKER = "grid_worker"
_DEPUTY = "deputy"
_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")


# --- who is asking ---------------------------------------------------------------------------


def _refusal(request: Request, status: int, error: str, key: str, field: str = "") -> JSONResponse:
    """A JSON refusal in the API's body, its message in the person's language."""
    message = text(key, page_lang(request))
    problems = [{"field": field, "value": None, "message": message, "row": None}] if field else []
    return error_json(status, error, message, problems)


def _caller(request: Request, *roles: str, write: bool = True) -> PageUser | JSONResponse:
    """The person behind a script's request: logged in (401), of one of ``roles`` (403),
    and for a write, carrying the session's CSRF token in :data:`CSRF_HEADER` (403)."""
    user = page_user(request)
    if user is None:
        return _refusal(request, 401, "unauthorized", "field.error.login")
    if user.principal.role not in roles:
        return _refusal(request, 403, "forbidden", "web.error.forbidden_page")
    if write:
        from gridgov.issues.accounts import csrf_ok

        token = request.headers.get(CSRF_HEADER, "")
        if not token or not csrf_ok(user.session_id, token):
            return _refusal(request, 403, "csrf", "field.error.csrf", CSRF_HEADER)
    return user


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Places:
    """The workspace's names and a projection to measure in (built once per app)."""

    grids: dict[str, str]
    stations: dict[str, str]
    to_xy: pyproj.Transformer

    def distance_m(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        """Metres between two lon/lat points, measured in the workspace's projected CRS."""
        xs, ys = self.to_xy.transform([a[0], b[0]], [a[1], b[1]])
        return float(math.hypot(xs[1] - xs[0], ys[1] - ys[0]))


_PLACES_LOCK = threading.Lock()


def _places(request: Request) -> _Places:
    found: _Places | None = getattr(request.app.state, "field_places", None)
    if found is None:
        with _PLACES_LOCK:
            found = getattr(request.app.state, "field_places", None)
            if found is None:
                ws = get_service(request).ws
                grids = {} if ws.grids is None else dict(
                    zip(ws.grids["code"].astype(str), ws.grids["name"].astype(str), strict=True)
                )  # fmt: skip
                st = ws.stations
                stations = dict(
                    zip(st["station_id"].astype(str), st["name"].astype(str), strict=True)
                )
                to_xy = pyproj.Transformer.from_crs(CGCS2000, workspace_crs(ws), always_xy=True)
                found = _Places(grids, stations, to_xy)
                request.app.state.field_places = found
    return found


def _label(request: Request) -> Callable[[str, str], str]:
    """``label(prefix, value)``: the catalogue's word, or the value for one it lacks."""
    lang = page_lang(request)

    def label(prefix: str, value: str) -> str:
        key = f"{prefix}.{value}"
        return text(key, lang) if key in CATALOGUE else value

    return label


def _status_text(request: Request, issue: Issue) -> str:
    """Where the issue stands, in the words of the person who raised it."""
    lang = page_lang(request)
    if issue.merged_into:
        return text("field.status.merged", lang, into=issue.merged_into)
    return text(f"field.status.{issue.status.value}", lang)


def _card(request: Request, service: IssueService, issue: Issue) -> dict[str, Any]:
    """One issue of a list: what, where, where it stands, and its deadline."""
    places = _places(request)
    found = next_deadline(issue)
    now = service.clock()
    return {
        "id": issue.issue_id,
        "category": service.settings.issue_categories.get(issue.category, issue.category),
        "summary": issue.title or issue.description[:80],
        "grid": places.grids.get(issue.grid_code, issue.grid_code),
        "status": issue.status.value,
        "status_text": _status_text(request, issue),
        "created": local(issue.created_at),
        "due": "" if found is None else local(found[1]),
        "due_phase": "" if found is None else found[0],
        "overdue": found is not None and found[1] <= now,
        "unit": issue.unit_name or issue.unit,
    }


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _listed(
    request: Request, service: IssueService, query: IssueQuery, keep: Callable[[Issue], bool]
) -> tuple[list[dict[str, Any]], int, int]:
    """One page of ``query`` (newest first), the page number and the number of pages."""
    page = _page_number(request)
    items, total = service.store.list_issues(
        replace(query, limit=LIST_SIZE, offset=(page - 1) * LIST_SIZE)
    )
    pages = max(1, math.ceil(total / LIST_SIZE))
    return [_card(request, service, i) for i in items if keep(i)], min(page, pages), pages


# --- the grid worker ------------------------------------------------------------------------


def _geo(service: IssueService, p: Principal) -> dict[str, Any]:
    """The person's grids (polygons) and their stations (points) as GeoJSON in degrees
    (CGCS2000, which the phone's WGS84 fix matches to well within a metre)."""
    ws = service.ws
    grids: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    stations: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if ws.grids is None or not p.grids:
        return {"grids": grids, "stations": stations, "bounds": None}
    mine = ws.grids[ws.grids["code"].astype(str).isin(p.grids)].to_crs(CGCS2000)
    for row in mine.itertuples(index=False):
        grids["features"].append(
            {
                "type": "Feature",
                "properties": {"code": str(row.code), "name": str(row.name)},
                "geometry": row.geometry.__geo_interface__,
            }
        )
    ids = {service.grid_station.get(str(g)) for g in p.grids} - {None}
    st = ws.stations[ws.stations["station_id"].astype(str).isin(ids)].to_crs(CGCS2000)
    for row in st.itertuples(index=False):
        stations["features"].append(
            {
                "type": "Feature",
                "properties": {"station_id": str(row.station_id), "name": str(row.name)},
                "geometry": {"type": "Point", "coordinates": [row.geometry.x, row.geometry.y]},
            }
        )
    bounds = None if mine.empty else [float(v) for v in mine.total_bounds]
    return {"grids": grids, "stations": stations, "bounds": bounds}


@router.get("/field")
def field_home(request: Request) -> Response:
    """The field person's home by role."""
    user = page_for(request, (*HOMES,))
    if not isinstance(user, PageUser):
        return user
    return RedirectResponse(HOMES[user.principal.role], status_code=303)


@router.get("/field/raise")
def raise_page(request: Request) -> Response:
    """吹哨: the pin on a map of my grids, category, description, photos, then send."""
    user = page_for(request, (_GRID_WORKER,))
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    return render(
        request,
        "field/raise.html",
        {
            "user": user,
            "section": "raise",
            "categories": list(service.settings.issue_categories.items()),
            "max_description": MAX_DESCRIPTION,
            "max_photos": min(MAX_PHOTOS_PER_SEND, MAX_PHOTOS_PER_ISSUE),
            "geo": _geo(service, user.principal),
            "leaflet": LEAFLET_URL,
            "radius_m": round(service.settings.duplicate_radius_m),
        },
    )


@router.get("/field/mine")
def mine_page(request: Request) -> Response:
    """我的上报: the issues I raised, newest first, with where each stands."""
    user = page_for(request, (_GRID_WORKER,))
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    p = user.principal
    cards, page, pages = _listed(
        request,
        service,
        IssueQuery(reporter_id=p.subject),
        # the reporter id is a grid code list: only what this role raised is mine
        lambda i: i.reporter_role == _GRID_WORKER and can_see(p, i),
    )
    return render(
        request,
        "field/list.html",
        {"user": user, "section": "mine", "items": cards, "page": page, "pages": pages},
    )


# --- the deputy -----------------------------------------------------------------------------


def _is_waiting_for(p: Principal, issue: Issue) -> bool:
    """Dispatched to this deputy and not yet taken by anyone (待报到)."""
    return issue.status in ALLOWED[Acknowledge] and can(p, "acknowledge", issue)


def _is_handled_by(p: Principal, issue: Issue) -> bool:
    """Taken by this deputy and not yet resolved (办理中)."""
    return issue.responsible == p.subject and issue.status in (
        IssueStatus.ACKNOWLEDGED,
        IssueStatus.IN_PROGRESS,
    )


#: Most open issues of one deputy the duty page reads (a deputy has a handful).
_DUTY_READ = 500


@router.get("/field/duty")
def duty_page(request: Request) -> Response:
    """待报到 and 办理中: what the deputy is dispatched to and what they handle."""
    user = page_for(request, (_DEPUTY,))
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    p = user.principal
    items, _ = service.store.list_issues(
        IssueQuery(deputy_id=p.subject, open_only=True, limit=_DUTY_READ)
    )
    waiting = [_card(request, service, i) for i in items if _is_waiting_for(p, i)]
    handling = [_card(request, service, i) for i in items if _is_handled_by(p, i)]
    return render(
        request,
        "field/duty.html",
        {"user": user, "section": "duty", "waiting": waiting, "handling": handling},
    )


@router.get("/field/history")
def history_page(request: Request) -> Response:
    """我的记录: every issue the deputy was dispatched to, newest first."""
    user = page_for(request, (_DEPUTY,))
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    p = user.principal
    cards, page, pages = _listed(
        request, service, IssueQuery(deputy_id=p.subject), lambda i: can_see(p, i)
    )
    return render(
        request,
        "field/list.html",
        {"user": user, "section": "history", "items": cards, "page": page, "pages": pages},
    )


# --- one issue ------------------------------------------------------------------------------


def _seen(service: IssueService, p: Principal, issue_id: str) -> Issue | None:
    """The issue if ``p`` may see it (None otherwise: existence does not leak)."""
    if not _ID.fullmatch(issue_id):
        return None
    try:
        issue = service.store.get_issue(issue_id)
    except NotFoundError:
        return None
    return issue if can_see(p, issue) else None


#: What a field page offers, with the lifecycle action whose statuses it needs.
_ACTIONS: dict[str, type] = {"acknowledge": Acknowledge, "start": Start, "resolve": Resolve}


def _offered(service: IssueService, p: Principal, issue: Issue) -> list[str]:
    """The deputy's actions the service would take now (the role check of the API).

    While the issue waits for someone to report for duty only 报到 is offered, though the
    service would take a resolution too: 报到 first names who is responsible (三知).
    延期申请 is offered on the staff page's terms (:func:`api.web.staff.offered_actions`: the
    handler of the issue's level, none pending, the deadline not passed), so the phone
    and the desk never disagree about when it may be asked."""
    if p.role != _DEPUTY:
        return []
    allowed = [
        name for name, action in _ACTIONS.items()
        if issue.status in ALLOWED[action] and can(p, name, issue)
    ]  # fmt: skip
    if "acknowledge" in allowed:
        return ["acknowledge"]
    if "request_extension" in offered_actions(service, p, issue):
        allowed.append("extension")
    return allowed


def _timeline(request: Request, service: IssueService, events: list[Event]) -> list[dict[str, Any]]:
    """The log as the field pages show it: China time, the step, who, and what was said."""
    label = _label(request)
    lang = page_lang(request)
    rows = []
    for e in events:
        if e.kind == "duplicates_suggested" and not e.data.get("issue_ids"):
            continue  # suggestions this person may not see were taken out: nothing left
        who = ""
        if e.actor_role == "deputy":
            who = service.deputies.get(e.actor_id, {}).get("name", "") or e.actor_id
        details: list[str] = []
        data = dict(e.data)
        if e.kind == "dispatched":
            names = [service.deputies.get(d, {}).get("name", d) for d in data.get("deputies", [])]
            details.append("、".join(names))
        if e.kind in ("assigned", "transferred", "returned", "escalated") and e.unit:
            details.append(str(data.get("unit_name") or _unit_name(service, e.unit)))
        if e.kind == "duplicates_suggested":
            details.append("、".join(str(i) for i in data.get("issue_ids", [])))
        for key in ("result", "note", "reason"):
            if data.get(key):
                details.append(str(data[key]))
        if e.kind == "acknowledged" and data.get("name") and data["name"] != who:
            details.append(str(data["name"]))  # taken under another name than the actor's
        if data.get("rating"):
            details.append(label("web.rating", str(data["rating"])))
        if e.kind == "extension_requested" and data.get("hours"):
            details.append(text("field.extension.hours", lang, hours=f"{data['hours']:g}"))
        if e.kind == "extension_approved" and data.get("due"):
            moved = local(datetime.fromisoformat(str(data["due"])))
            details.append(text("field.extension.moved", lang, at=moved))
        rows.append(
            {
                "at": local(e.at),
                "what": _event_word(label, e.kind),
                "role": label("web.role", e.actor_role),
                "who": who,
                "details": [d for d in details if d],
            }
        )
    return rows


def _event_word(label: Callable[[str, str], str], kind: str) -> str:
    """The word for an event kind: the pages' own, else supervision's (催办, 延期) and
    hand-off's, as the staff page says them."""
    for prefix in ("web.event", "remind.event", "handoff.event"):
        if f"{prefix}.{kind}" in CATALOGUE:
            return label(prefix, kind)
    return kind


def _unit_name(service: IssueService, unit: str) -> str:
    try:
        return str(service.node(unit).get("name") or unit)
    except NotFoundError:
        return unit


@router.get("/field/issues/{issue_id}")
def issue_page(request: Request, issue_id: str) -> Response:
    """One issue for the grid worker or deputy: where it stands, its deadline, 三知, the
    photos, what happened (China time), and for a deputy the actions they may take."""
    user = page_for(request, (*HOMES,))
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    p = user.principal
    issue = _seen(service, p, issue_id)
    if issue is None:
        return error_page(request, 404, "web.error.no_issue", user)
    places = _places(request)
    store = photos_api.get_photos(request, service)
    photos = [
        {
            "url": f"/field/issues/{issue.issue_id}/photos/{r.photo_id}.jpg",
            "at": local(r.created_at),
        }
        for r in store.photos(issue.issue_id)
    ]
    deputies = [service.deputies.get(d, {}).get("name", d) for d in issue.deputies]
    found = next_deadline(issue)
    done = request.query_params.get("done", "")
    limit_h = service.settings.extension_max_h
    return render(
        request,
        "field/issue.html",
        {
            "user": user,
            "section": "issue",
            "issue": issue,
            "card": _card(request, service, issue),
            "station": places.stations.get(issue.station_id, issue.station_id),
            "deputies": deputies,
            "due_phase": "" if found is None else found[0],
            "timeline": _timeline(request, service, issues_api._events(service, p, issue_id)),
            "photos": photos,
            "offered": _offered(service, p, issue),
            "max_photos": min(MAX_PHOTOS_PER_SEND, MAX_PHOTOS_PER_ISSUE),
            "extension_choices": [h for h in EXTENSION_CHOICES_H if h <= limit_h] or [limit_h],
            "extension_moved": _extension_moved(issue, issues_api._events(service, p, issue_id)),
            "done": done if done in ("raised", "extension", *_ACTIONS) else "",
        },
    )


def _extension_moved(issue: Issue, events: list[Event]) -> str:
    """The resolve deadline in China time when the last decision on 延期 moved it to the
    deadline the issue has now (a transfer since sets a new one: then nothing)."""
    for e in reversed(events):
        if e.kind == "extension_approved":
            due = e.data.get("due")
            if due and issue.resolve_due == datetime.fromisoformat(str(due)):
                return local(issue.resolve_due)
            return ""
    return ""


@router.get("/field/issues/{issue_id}/photos/{photo_id}.jpg", response_class=Response)
def photo(request: Request, issue_id: str, photo_id: str) -> Response:
    """A photo of an issue the person may see (the copy their role may read)."""
    user = page_user(request)
    if user is None or user.principal.role not in HOMES:
        return Response(status_code=404)  # an image: no page to send anyone to
    service = get_service(request)
    if _seen(service, user.principal, issue_id) is None:
        return Response(status_code=404)
    store = photos_api.get_photos(request, service)
    return photos_api.staff_photo(issue_id, photo_id, service, user.principal, store)


# --- the script's JSON routes ---------------------------------------------------------------


@router.get("/field/api/nearby")
def nearby(
    request: Request,
    lon: float,
    lat: float,
    category: Annotated[str, Query(max_length=40)],
) -> Response:
    """Open issues of ``category`` within the duplicate radius of the pin that the grid
    worker may see, nearest first: the page offers to open one instead of filing it
    again (the service suggests the same ones on raising)."""
    user = _caller(request, _GRID_WORKER, write=False)
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    problems = point_problems(lon, lat)
    if problems:
        raise ValidationError(problems, context="location")
    if category not in service.settings.issue_categories:
        raise ParameterError(
            f"category: unknown category {category!r}", parameter="category", value=category
        )
    radius = service.settings.duplicate_radius_m
    # a box a little larger than the radius in degrees; the distance is then measured
    dlat = radius / 111_000 * 1.5
    dlon = dlat / max(math.cos(math.radians(lat)), 0.1)
    query = scope_query(
        user.principal,
        IssueQuery(
            open_only=True,
            category=category,
            bbox=(lon - dlon, lat - dlat, lon + dlon, lat + dlat),
            limit=200,
        ),
    )
    if query is None:  # grid workers always list; kept for the type checker
        return _refusal(request, 403, "forbidden", "web.error.forbidden_page")
    items, _ = service.store.list_issues(query)
    places = _places(request)
    near = sorted(
        ((places.distance_m((lon, lat), (i.lon, i.lat)), i) for i in items),
        key=lambda t: t[0],
    )
    out = [
        {
            "issue_id": i.issue_id,
            "distance_m": round(d),
            "summary": i.title or i.description[:60],
            "status_text": _status_text(request, i),
            "created": local(i.created_at),
            "url": f"/field/issues/{i.issue_id}",
        }
        for d, i in near
        if d <= radius
    ]
    return JSONResponse({"radius_m": round(radius), "issues": out[:NEARBY_LIMIT]})


IdempotencyKey = photos_api.IdempotencyKey


@router.post("/field/api/issues", status_code=201, response_model=None)
def raise_issue(
    request: Request,
    body: IssueCreate,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Response | dict[str, Any]:
    """Raise the grid worker's issue through the API's own handler (POST /issues): the
    same checks, and the same idempotency, so the page's retry after a dropped
    connection, with the draft's key, files one issue (201 first, 200 on a retry)."""
    user = _caller(request, _GRID_WORKER)
    if not isinstance(user, PageUser):
        return user
    if not idempotency_key or not idempotency_key.strip():
        # the page always sends its draft's key; without one a retry would file twice
        return _refusal(request, 422, "invalid", "field.error.key", "Idempotency-Key")
    service = get_service(request)
    try:
        created = issues_api.create_issue(
            body, service, user.principal, response, idempotency_key.strip()
        )
    except ForbiddenError:  # the role is checked above: the place is outside my grids
        return _refusal(request, 403, "forbidden", "field.error.not_my_grid", "lon/lat")
    issue_id = created.issue.issue_id
    return {
        "issue_id": issue_id,
        "created": created.created,
        "version": created.issue.version,
        "status_text": _status_text(request, service.store.get_issue(issue_id)),
        "url": f"/field/issues/{issue_id}",
        "duplicates": [d.model_dump() for d in created.duplicates],
    }


@router.post("/field/api/issues/{issue_id}/photos", status_code=201, response_model=None)
def upload_photo(
    request: Request,
    response: Response,
    issue_id: str,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or HEIC, at most 10 MB")],
    idempotency_key: IdempotencyKey = None,
) -> Response | dict[str, Any]:
    """Attach a photo (resized on the phone) through the API's photo route: the grid
    worker to what they raised, the deputy to what they handle. The page sends each
    photo under a key of its own: sent again, the first photo answers (200), none is
    stored twice."""
    user = _caller(request, *HOMES)
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    store = photos_api.get_photos(request, service)
    out = photos_api.upload(
        request, response, issue_id, photo, service, user.principal, store, idempotency_key
    )
    if isinstance(out, Response):  # too large, or the key reused: the API's 4xx body
        return out
    return {
        "photo_id": out.photo_id,
        "url": f"/field/issues/{issue_id}/photos/{out.photo_id}.jpg",
        "width": out.width,
        "height": out.height,
    }


class ReportIn(BaseModel):
    """报到: the issue version the deputy read and, when the phone allows, where they are."""

    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(default=None, ge=1)
    lon: float | None = None
    lat: float | None = None


def _act_answer(issue: Any, **more: Any) -> dict[str, Any]:
    return {
        "issue_id": issue.issue_id,
        "status": issue.status,
        "version": issue.version,
        "url": f"/field/issues/{issue.issue_id}",
        **more,
    }


@router.post("/field/api/issues/{issue_id}/acknowledge", response_model=None)
def acknowledge(request: Request, issue_id: str, body: ReportIn) -> Response | dict[str, Any]:
    """报到 through the API's handler; the deputy's place, when given, is checked and
    answered as the distance to the issue."""
    user = _caller(request, _DEPUTY)
    if not isinstance(user, PageUser):
        return user
    if (body.lon is None) != (body.lat is None):
        missing = "lat" if body.lat is None else "lon"
        raise ParameterError(f"{missing}: give both lon and lat, or neither", parameter=missing)
    if body.lon is not None and body.lat is not None:
        problems = point_problems(body.lon, body.lat)
        if problems:
            raise ValidationError(problems, context="location")
    service = get_service(request)
    if body.lon is None or body.lat is None:
        out = issues_api.acknowledge(
            issue_id, service, user.principal, AcknowledgeIn(version=body.version)
        )
        return _act_answer(out, distance_m=None)
    # where the deputy reported from is kept in the log (三知: who came, and from where)
    try:
        at = service.store.get_issue(issue_id)
    except NotFoundError:
        at = None
    distance = (
        None if at is None else _places(request).distance_m((body.lon, body.lat), (at.lon, at.lat))
    )
    action = Acknowledge(user.principal.name, lon=body.lon, lat=body.lat, distance_m=distance)
    out = issues_api.act_checked(service, user.principal, issue_id, "acknowledge", action,
                                 body.version)  # fmt: skip
    return _act_answer(out, distance_m=None if distance is None else round(distance))


@router.post("/field/api/issues/{issue_id}/start", response_model=None)
def start(request: Request, issue_id: str, body: StartIn) -> Response | dict[str, Any]:
    """开始办理 through the API's handler."""
    user = _caller(request, _DEPUTY)
    if not isinstance(user, PageUser):
        return user
    out = issues_api.start(issue_id, get_service(request), user.principal, body)
    return _act_answer(out)


@router.post("/field/api/issues/{issue_id}/resolve", response_model=None)
def resolve(request: Request, issue_id: str, body: ResolveIn) -> Response | dict[str, Any]:
    """办结 with the result through the API's handler (the photos are sent before)."""
    user = _caller(request, _DEPUTY)
    if not isinstance(user, PageUser):
        return user
    out = issues_api.resolve(issue_id, body, get_service(request), user.principal)
    return _act_answer(out)


@router.post("/field/api/issues/{issue_id}/extension", response_model=None)
def request_extension(
    request: Request, issue_id: str, body: ExtensionIn
) -> Response | dict[str, Any]:
    """延期申请 through the API's handler: the issue's handler asks the level above for
    ``hours`` more, with a reason, while the resolve deadline runs (one request waits at a
    time). A grid worker is let through to hear the service's own answer: they are never
    a handler (:func:`gridgov.issues.access.can`)."""
    user = _caller(request, *HOMES)
    if not isinstance(user, PageUser):
        return user
    out = issues_api.request_extension(issue_id, body, get_service(request), user.principal)
    return _act_answer(out, extension_pending=out.extension is not None)


# --- the offline Leaflet ---------------------------------------------------------------------
