"""Open311 GeoReport v2 over the issue service, for 12345 platforms and FixMyStreet-style
apps: ``services``, a service definition, ``requests`` (GET and POST), one request and
``tokens``, each as ``.xml`` or ``.json`` (http://wiki.open311.org/GeoReport_v2/).

Every error under these paths is the spec's ``errors`` list, in the format the path asks
for, with the real status: 404 for an unknown service code, request, token or
``jurisdiction_id``; 403 for a bad ``api_key``; 400 naming every missing or bad field;
413 (body too large) and 429 (rate limited) from the app's limits
(:func:`api.errors.limit_response`).

Decisions the spec leaves to a server:

- ``jurisdiction_id`` is optional (one county per server); given, it must be the
  county's 6-digit code or its name, else 404.
- ``api_key`` is a gridgov API token. Reading needs none: everyone sees every request's
  public fields; a key adds what its role may see (:mod:`api.open311`). Posting needs
  none either, following the QR form's rule that residents raise issues without an
  account (the public raises anywhere; a key raises as its role, within its scope); an
  unknown or revoked key is 403, never silently the public.
- Location: ``lat``/``long`` (WGS84, which CGCS2000 matches to centimetres); else
  ``address_id`` or ``attribute[grid_code]``: a grid code (the grid's inner point); else
  an ``address_string`` holding a grid code, grid name or village name. An address this
  county cannot place is a 400 asking for lat/long: there is no street geocoder.
- ``description`` is optional, as the spec has it, and may be up to 4,000 characters
  (the spec's limit, which the issue service shares). Without one, the issue is stored
  with ``attribute[title]`` as its description, else the service's name (道路交通, ...):
  grid workers and deputies need words to act on, and the service's name is all the
  client said. The stored text is what ``description`` answers afterwards.
- Reporter identity: ``last_name`` + ``first_name`` (Chinese order) and ``phone`` are
  stored as the reporter, unless ``attribute[anonymous]=true``; ``email``,
  ``device_id`` and ``account_id`` are not stored (the store keeps no such fields) and
  ``account_id`` is answered empty. Fields the spec does not name are ignored, as other
  clients' extensions may be.
- Requests are committed before the answer (``type`` realtime), so POST returns the
  ``service_request_id``. It also issues the resident a token in the
  ``X-Open311-Token`` header (the body may not carry both): ``<service_request_id>.<tracking
  token>``, where the tracking token is the one the QR flow issues
  (``/public/issues/{id}?token=`` and its rating). ``tokens/{token}`` maps it back to the
  request id. An ``Idempotency-Key`` header makes a retry return the same request and
  token (200 instead of 201).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import ServiceDep, get_secret, principal_from
from api.errors import open311_response
from api.open311 import (
    ANONYMOUS_VALUES,
    ATTRIBUTES,
    CreatedOut,
    ErrorOut,
    Gazetteer,
    Open311Error,
    RequestOut,
    ServiceDefinitionOut,
    ServiceOut,
    TokenOut,
    open311_statuses,
    parse_w3,
    render,
    request_doc,
    service_definition,
    service_notice,
    services,
)
from gridgov._errors import LocationError, NotFoundError, ParameterError, ValidationError
from gridgov.issues.access import (
    Principal,
    hash_token,
    may_raise_at,
    tracking_token,
    tracks,
)
from gridgov.issues.lifecycle import Issue
from gridgov.issues.service import (
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_MEDIA_URL,
    MAX_TITLE,
    IssueService,
    NewIssue,
    point_problems,
)
from gridgov.store.base import IssueQuery

__all__ = ["Open311Route", "places_of", "router"]

#: Roles that may raise issues with an api_key (the public may without one).
_RAISERS = ("grid_worker", "deputy", "station_admin", "township_staff", "county_staff")
#: The spec's default window and cap for GET requests.
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
#: Requests per page of GET Service Requests when the client names no ``page_size``.
PAGE_SIZE = 100
TOKEN_HEADER = "X-Open311-Token"


class Open311Route(APIRoute):
    """A route whose errors are answered in the Open311 shape (scoped to this router)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every error of these paths gets the Open311 shape
                return open311_response(request, exc)

        return route


router = APIRouter(route_class=Open311Route)

_CONTENT = {"text/xml": {"schema": {"type": "string"}}}


def _docs(model: Any, *errors: int, ok: int = 200) -> dict[int | str, dict[str, Any]]:
    what = {
        400: "missing or bad fields, each named",
        403: "bad api_key, or a role that may not do this",
        404: "unknown service code, request, token, format or jurisdiction_id",
        409: "the request changed meanwhile",
    }
    out: dict[int | str, dict[str, Any]] = {
        ok: {"model": model, "content": _CONTENT, "description": "JSON or XML by extension"}
    }
    for code in errors:
        out[code] = {"model": list[ErrorOut], "content": _CONTENT, "description": what[code]}
    return out


Fmt = Annotated[Literal["json", "xml"], Path(description="response format: json or xml")]
Jurisdiction = Annotated[
    str | None,
    Query(
        max_length=100,
        description="optional: this server serves one county (its 6-digit code or name)",
    ),
]
ApiKey = Annotated[
    str | None,
    Query(
        max_length=200,
        description="a gridgov API token: shows what its role may see (personal data only "
        "to roles allowed it)",
    ),
]


def places_of(request: Request, service: IssueService) -> Gazetteer:
    """The county's gazetteer (grids and villages by name), built once per app from the
    workspace, which does not change while it runs; the 12345 intake places orders with it."""
    places: Gazetteer | None = getattr(request.app.state, "open311_places", None)
    if places is None:
        places = Gazetteer(service.ws)
        request.app.state.open311_places = places
    return places


def _jurisdiction(places: Gazetteer, value: str | None) -> None:
    if value is not None and value.strip() and not places.jurisdiction_ok(value):
        raise Open311Error(
            404,
            f"jurisdiction_id {value[:100]!r} not found: this server serves "
            f"{places.county_code} ({places.county_name})",
        )


def _viewer(request: Request, service: IssueService, api_key: str | None) -> Principal:
    """The principal an ``api_key`` stands for; the public without one; 403 if bad."""
    if api_key is None or not api_key.strip():
        return Principal.public()
    try:
        return principal_from(request, service, f"Bearer {api_key.strip()}")
    except StarletteHTTPException as exc:
        raise Open311Error(403, f"invalid api_key: {exc.detail}") from exc
    except ValidationError as exc:  # the token names a unit the workspace no longer has
        reasons = "; ".join(p.message for p in exc.problems) or str(exc)
        raise Open311Error(403, f"api_key no longer valid: {reasons}") from exc


def _same_site(request: Request) -> None:
    """403 for a form another site's page posts in a visitor's browser (no token: a
    browser sends such a form without asking), told by its ``Origin`` or ``Referer``.
    Clients that are not browsers send neither and pass."""
    host = request.headers.get("host", "").lower()
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is None:
            continue
        if value.strip().lower() == "null" or urlsplit(value.strip()).netloc.lower() != host:
            raise Open311Error(
                403, f"{header.title()}: {value[:80]!r} is another site; post from this service"
            )
        return  # Origin, when present, decides


def _check_service(service: IssueService, code: str) -> None:
    cats = service.settings.issue_categories
    if code not in cats:
        known = ", ".join(cats)
        raise Open311Error(404, f"service_code {code[:40]!r} not found; expected one of {known}")


def _docs_for(
    service: IssueService, places: Gazetteer, viewer: Principal, issues: list[Issue]
) -> list[dict[str, Any]]:
    events = service.store.events_of([i.issue_id for i in issues])  # one read per page
    return [
        request_doc(
            i,
            events[i.issue_id],
            settings=service.settings,
            places=places,
            viewer=viewer,
            deputies=service.deputies,
        )
        for i in issues
    ]


@router.get("/services.{fmt}", responses=_docs(list[ServiceOut], 400, 404))
def get_services(
    fmt: Fmt, request: Request, service: ServiceDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    """GET Service List: one service per issue category."""
    _jurisdiction(places_of(request, service), jurisdiction_id)
    return render(fmt, "services", services(service.settings))


@router.get("/services/{service_code}.{fmt}", responses=_docs(ServiceDefinitionOut, 400, 404))
def get_service_definition(
    service_code: Annotated[str, Path(max_length=40)],
    fmt: Fmt,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET Service Definition: the attributes a request of this service may carry."""
    _jurisdiction(places_of(request, service), jurisdiction_id)
    _check_service(service, service_code)
    return render(fmt, "service_definition", service_definition(service.settings, service_code))


# what the spec accepts, as OpenAPI says it (an empty value is the same as none)
_W3_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "maxLength": 0},
        {"type": "null"},
    ]
}
_STATUS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "maxItems": 4,
            "items": {"enum": ["open", "closed", "open,closed", "closed,open", ""]},
        },
        {"type": "null"},
    ]
}


def _split(value: list[str] | None) -> list[str]:
    out: list[str] = []
    for text in value or []:
        out.extend(v.strip() for v in text.split(",") if v.strip())
    return list(dict.fromkeys(out))


@router.get("/requests.{fmt}", responses=_docs(list[RequestOut], 400, 403, 404))
def get_requests(
    fmt: Fmt,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: Jurisdiction = None,
    api_key: ApiKey = None,
    service_request_id: Annotated[
        list[str] | None,
        Query(max_length=50, description="comma-separated ids; overrides every other filter"),
    ] = None,
    service_code: Annotated[
        list[str] | None, Query(max_length=20, description="comma-separated service codes")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(
            max_length=4,
            description="open, closed, or both (comma)",
            json_schema_extra=_STATUS_SCHEMA,
        ),
    ] = None,
    start_date: Annotated[
        str | None,
        Query(
            max_length=40,
            description="w3 datetime, e.g. 2026-11-01T00:00:00+08:00 (a date: its midnight, "
            "China time)",
            json_schema_extra=_W3_SCHEMA,
        ),
    ] = None,
    end_date: Annotated[
        str | None,
        Query(max_length=40, description="w3 datetime", json_schema_extra=_W3_SCHEMA),
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="1 is the newest")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=1000, description=f"requests per page (default {PAGE_SIZE})")
    ] = PAGE_SIZE,
) -> Response:
    """GET Service Requests: newest first, within 90 days (the last 90 unless
    ``start_date``/``end_date`` say otherwise), a page of ``page_size`` (default 100, at
    most 1000, the spec's suggested cap) at a time: ``page=2`` for the next;
    ``service_request_id`` overrides every other filter."""
    places = places_of(request, service)
    _jurisdiction(places, jurisdiction_id)
    viewer = _viewer(request, service, api_key)
    problems: list[str] = []
    ids = _split(service_request_id)
    if ids:
        long_ids = [i for i in ids if len(i) > 40]
        if long_ids:
            raise Open311Error(400, f"service_request_id: {long_ids[0][:60]!r}… is not an id")
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(400, f"service_request_id: at most {MAX_REQUESTS} ids at once")
        found, _ = service.store.list_issues(IssueQuery(issue_ids=tuple(ids), limit=MAX_REQUESTS))
        order = {i: n for n, i in enumerate(ids)}
        found.sort(key=lambda i: order.get(i.issue_id, 0))
        return render(fmt, "service_requests", _docs_for(service, places, viewer, found))

    codes = _split(service_code)
    for code in codes:
        _check_service(service, code)
    wanted = [s.lower() for s in _split(status)]
    bad_status = [s for s in wanted if s not in ("open", "closed")]
    if bad_status:
        problems.append(f"status: {bad_status[0][:20]!r} is not open or closed")
    start = end = None
    for name, text in (("start_date", start_date), ("end_date", end_date)):
        if text is None or not text.strip():
            continue
        try:
            when = parse_w3(name, text)
        except ParameterError as exc:
            problems.append(str(exc))
            continue
        if name == "start_date":
            start = when
        else:
            end = when
    if start is not None and end is not None:
        if end < start:
            problems.append(f"end_date: {end_date} is before start_date {start_date}")
        elif end - start > WINDOW:
            problems.append(
                f"start_date/end_date: {start_date} to {end_date} spans more than 90 days"
            )
    if problems:
        raise Open311Error(400, *problems)
    if start is None and end is None:
        end = service.clock()
    if start is None and end is not None:
        start = end - WINDOW
    if end is None and start is not None:
        end = start + WINDOW
    statuses: tuple[str, ...] | None = None
    if wanted and set(wanted) != {"open", "closed"}:
        statuses = open311_statuses(wanted[0])
    size = min(page_size, MAX_REQUESTS)
    skip = (page - 1) * size
    base = IssueQuery(
        status=statuses,
        created_from=start,
        created_to=None if end is None else end + timedelta(microseconds=1),
        limit=size,
        offset=skip,
    )
    issues: list[Issue] = []
    if not codes or set(codes) >= set(service.settings.issue_categories):
        issues, _ = service.store.list_issues(base)  # every service: one paged query
    else:
        # the page of the merged lists lies within the first skip + size of each
        for category in codes:
            found, _ = service.store.list_issues(
                replace(base, category=category, limit=skip + size, offset=0)
            )
            issues.extend(found)
        issues.sort(key=lambda i: i.issue_id)  # the store's order: newest, then id
        issues.sort(key=lambda i: i.created_at, reverse=True)
        issues = issues[skip : skip + size]
    return render(fmt, "service_requests", _docs_for(service, places, viewer, issues))


@router.get(
    "/requests/{service_request_id}.{fmt}", responses=_docs(list[RequestOut], 400, 403, 404)
)
def get_request(
    service_request_id: Annotated[str, Path(max_length=40)],
    fmt: Fmt,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: Jurisdiction = None,
    api_key: ApiKey = None,
) -> Response:
    """GET Service Request: one request, as a list of one."""
    places = places_of(request, service)
    _jurisdiction(places, jurisdiction_id)
    viewer = _viewer(request, service, api_key)
    try:
        issue = service.store.get_issue(service_request_id)
    except NotFoundError as exc:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found") from exc
    return render(fmt, "service_requests", _docs_for(service, places, viewer, [issue]))


@router.get("/tokens/{token}.{fmt}", responses=_docs(list[TokenOut], 400, 404))
def get_token(
    token: Annotated[str, Path(max_length=120)],
    fmt: Fmt,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET service_request_id from a token (the ``X-Open311-Token`` a POST answered)."""
    _jurisdiction(places_of(request, service), jurisdiction_id)
    issue_id, _, tracking = token.rpartition(".")
    issue = None
    if issue_id and tracking:
        try:
            issue = service.store.get_issue(issue_id)
        except NotFoundError:
            issue = None
    if issue is None or not tracks(tracking, issue.tracking_hash):
        raise Open311Error(404, "token not found")
    doc = TokenOut(service_request_id=issue.issue_id, token=token).model_dump()
    return render(fmt, "service_requests", [doc])


# --- POST --------------------------------------------------------------------------------

_FORM_FIELDS: dict[str, dict[str, Any]] = {
    "service_code": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"\S"},
    "lat": {"type": "number", "description": "latitude, WGS84/CGCS2000 degrees"},
    "long": {"type": "number", "description": "longitude, WGS84/CGCS2000 degrees"},
    "address_string": {
        "type": "string",
        "pattern": r"\S",
        "maxLength": MAX_ADDRESS,
        "description": "a grid code, grid name or village name (no street geocoder)",
    },
    "address_id": {"type": "string", "pattern": r"\S", "description": "a 15-digit grid code"},
    "description": {
        "type": "string",
        "maxLength": MAX_DESCRIPTION,
        "description": "optional; without one the service's name is stored (module docstring)",
    },
    "media_url": {"type": "string", "description": "an http(s) link to a photo"},
    "email": {"type": "string", "description": "not stored"},
    "device_id": {"type": "string", "description": "not stored"},
    "account_id": {"type": "string", "description": "not stored"},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "phone": {"type": "string", "maxLength": 32},
    "api_key": {"type": "string", "description": "optional: a gridgov API token"},
    "jurisdiction_id": {"type": "string"},
    "attribute[anonymous]": {"type": "string", "enum": list(ANONYMOUS_VALUES)},
    "attribute[title]": {"type": "string", "maxLength": MAX_TITLE},
    "attribute[grid_code]": {"type": "string", "pattern": r"\S"},
}
_FORM_SCHEMA = {
    "type": "object",
    "properties": _FORM_FIELDS,
    "required": ["service_code"],
    # a location: lat and long, or a grid code, or an address string
    "anyOf": [
        {"required": ["lat", "long"]},
        {"required": ["address_id"]},
        {"required": ["attribute[grid_code]"]},
        {"required": ["address_string"]},
    ],
    "additionalProperties": {"type": "string"},
}
_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
            "multipart/form-data": {"schema": _FORM_SCHEMA},
        },
    }
}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]*)\](\[\])?")


FormItems = list[tuple[str, str | UploadFile]]


async def _form(request: Request) -> FormItems:
    """The posted form's items in order (``[]`` for an empty body)."""
    ctype = request.headers.get("content-type", "")
    main = ctype.split(";", 1)[0].strip().lower()
    if main not in _FORM_TYPES:
        if not await request.body():
            return []
        raise Open311Error(
            400,
            "POST a form: Content-Type application/x-www-form-urlencoded (or "
            f"multipart/form-data), not {ctype[:60]!r}",
        )
    form = await request.form()
    return list(form.multi_items())


@router.post(
    "/requests.{fmt}",
    status_code=201,
    responses={
        **_docs(list[CreatedOut], 400, 403, 404, ok=201),
        200: {"model": list[CreatedOut], "content": _CONTENT, "description": "a retry"},
    },
    openapi_extra=_FORM_BODY,
)
def post_request(
    fmt: Fmt,
    request: Request,
    service: ServiceDep,
    items: Annotated[FormItems, Depends(_form)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="a retry with the same key returns the same request (and token)",
        ),
    ] = None,
) -> Response:
    """POST Service Request: raise an issue; committed before the answer (realtime)."""
    fields: dict[str, list[str]] = {}
    attributes: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, value in items:
        if isinstance(value, UploadFile):
            problems.append(f"{name[:40]}: a file upload; send media as media_url (a link)")
            continue
        m = _ATTRIBUTE.fullmatch(name)
        target = attributes.setdefault(m.group(1), []) if m else fields.setdefault(name, [])
        if value.strip():
            target.append(value.strip())

    def one(name: str, query: bool = False) -> str:
        values = fields.get(name, [])
        if not values and query:
            got = request.query_params.get(name, "").strip()
            values = [got] if got else []
        if len(values) > 1:
            problems.append(f"{name}: given {len(values)} times; give it once")
        return values[0] if values else ""

    places = places_of(request, service)
    _jurisdiction(places, one("jurisdiction_id", query=True))
    viewer = _viewer(request, service, one("api_key", query=True))
    if viewer.role != "public" and viewer.role not in _RAISERS:
        raise Open311Error(403, f"role {viewer.role} may not raise issues")
    if viewer.role == "public":
        _same_site(request)
    code = one("service_code")
    if not code:
        problems.append("service_code: required (GET services.xml lists them)")
    else:
        _check_service(service, code)

    description = one("description")
    media_url = one("media_url")
    if media_url and (
        not re.fullmatch(r"https?://\S+", media_url) or len(media_url) > MAX_MEDIA_URL
    ):
        problems.append(
            f"media_url: {media_url[:80]!r} is not an http(s) link of at most {MAX_MEDIA_URL} "
            "characters"
        )
    address_string = one("address_string")
    if len(address_string) > MAX_ADDRESS:
        problems.append(f"address_string: longer than {MAX_ADDRESS} characters")

    anonymous, title, grid_attr = _attributes(attributes, places, problems)
    lon_lat = _location(
        one("lat"), one("long"), one("address_id"), grid_attr, address_string, places, problems
    )
    name = (one("last_name") + one("first_name")).strip()
    if len(name) > 50:
        problems.append(f"first_name/last_name: {name[:60]!r} longer than 50 characters")
    phone = one("phone")
    if len(phone) > 32:
        problems.append(f"phone: {phone[:40]!r} is not a phone number")
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description: {len(description)} characters; at most {MAX_DESCRIPTION}")
    if problems or lon_lat is None:
        raise Open311Error(400, *(dict.fromkeys(problems) or ["a location is required"]))
    if not description:  # optional in the spec; the issue service needs words to act on
        description = title or service.settings.issue_categories[code]

    if idempotency_key is not None:
        prefix = (
            "open311:public"
            if viewer.role == "public"
            else f"open311:{viewer.role}:{viewer.subject}"
        )
        key: str | None = f"{prefix}:{idempotency_key}"
    else:
        key = None
    tracking = tracking_token(get_secret(request, service) if key else "", key)
    data = NewIssue(
        category=code,
        description=description,
        address=address_string,
        media_url=media_url,
        lon=lon_lat[0],
        lat=lon_lat[1],
        title=title,
        reporter_name=name,
        reporter_phone=phone,
        anonymous=anonymous,
        source="open311",
        tracking_hash=hash_token(tracking),
    )
    may_raise = None
    if viewer.role != "public":

        def may_raise(grid: str, town: str) -> bool:
            return may_raise_at(viewer, grid, town)

    result = service.raise_issue(data, viewer.actor, idempotency_key=key, may_raise=may_raise)
    issue = result.issue
    notice = service_notice(issue)
    doc = CreatedOut(
        service_request_id=issue.issue_id,
        service_notice=f"已受理。{notice}" if notice else "已受理。",
        account_id=None,
    ).model_dump()
    response = render(fmt, "service_requests", [doc], status=201 if result.created else 200)
    response.headers[TOKEN_HEADER] = f"{issue.issue_id}.{tracking}"
    return response


def _attributes(
    attributes: dict[str, list[str]], places: Gazetteer, problems: list[str]
) -> tuple[bool, str, str]:
    """``(anonymous, title, grid_code)`` from ``attribute[...]``, problems collected."""
    out: dict[str, str] = {}
    for code, values in attributes.items():
        if code not in ATTRIBUTES:
            problems.append(
                f"attribute[{code[:40]}]: no such attribute; expected one of "
                f"{', '.join(ATTRIBUTES)} (GET services/<code>.xml)"
            )
            continue
        if len(values) > 1:
            problems.append(
                f"attribute[{code}]: {len(values)} values for a {ATTRIBUTES[code]}; give one"
            )
            continue
        if values:
            out[code] = values[0]
    anonymous = out.get("anonymous", "false").lower()
    if anonymous not in ANONYMOUS_VALUES:
        problems.append(
            f"attribute[anonymous]: {anonymous[:20]!r} is not one of {', '.join(ANONYMOUS_VALUES)}"
        )
    title = out.get("title", "")
    if len(title) > MAX_TITLE:
        problems.append(f"attribute[title]: longer than {MAX_TITLE} characters")
    grid = out.get("grid_code", "")
    if grid and places.grid_point(grid) is None:
        problems.append(f"attribute[grid_code]: {grid[:40]!r} is no grid of {places.county_name}")
    return anonymous == "true", title, grid


def _number(name: str, text: str, problems: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{name}: {text[:40]!r} is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"{name}: {text[:40]!r} is not a finite number")
        return None
    return value


def _location(
    lat_text: str,
    long_text: str,
    address_id: str,
    grid_attr: str,
    address_string: str,
    places: Gazetteer,
    problems: list[str],
) -> tuple[float, float] | None:
    """``(lon, lat)`` of the request, from lat/long, a grid code or an address string."""
    if address_id and grid_attr and address_id != grid_attr:
        problems.append(
            f"address_id {address_id[:40]!r} and attribute[grid_code] {grid_attr!r} name "
            "different grids"
        )
    grid = address_id or grid_attr
    if lat_text or long_text:
        if not (lat_text and long_text):
            missing = "long" if lat_text else "lat"
            problems.append(f"{missing}: required with {'lat' if lat_text else 'long'}")
            return None
        lat = _number("lat", lat_text, problems)
        lon = _number("long", long_text, problems)
        if lat is None or lon is None:
            return None
        bad = point_problems(lon, lat)
        for p in bad:
            problems.append(f"lat/long: {p.message} (value: lat={lat_text}, long={long_text})")
        return None if bad else (lon, lat)
    if grid:
        point = places.grid_point(grid)
        if point is None:
            if address_id:
                problems.append(
                    f"address_id: {address_id[:40]!r} is no grid code of {places.county_name}"
                )
            return None
        return point
    if address_string:
        try:
            return places.resolve(address_string)
        except LocationError as exc:
            problems.extend(f"{p.field}: {p.message}" for p in exc.problems)
            return None
    problems.append(
        "location: required: lat and long, address_id (a grid code) or an address_string "
        "naming a grid or village"
    )
    return None
