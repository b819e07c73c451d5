"""The resident's pages: what a station's or deputy's QR code opens (码上亮身份、码上提建议),
the tracking page of a raised issue, and the rating page (群众评单).

A resident is on a cheap phone, often on a poor connection, so every page here is one
request: the shared stylesheet and the page's script are written into the page (under the
response's CSP nonce) instead of fetched. Everything works without JavaScript (the tracking
page, the rating form, and the issue form posting itself with a key per fill, at the
station's place); the script adds the location, the photo (resized on the phone) and
sending without leaving the page, one Idempotency-Key per fill.

The pages raise, read and rate through :mod:`api.routes.public` and show only what
:func:`api.views.issue_public` and :func:`gridgov.issues.disclosure.mask_personal` let
the public read; nothing personal, no other resident's issue.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError as PydanticValidationError

from api.deps import ServiceDep
from api.routes.public import raise_public, rate_public, tracked_issue
from api.schemas import PublicIssueCreate, RateIn
from api.views import issue_public
from api.web import STATIC, render
from api.web.photos import get_photos, public_photo_url
from gridgov._errors import GridgovError, NotFoundError
from gridgov.issues.disclosure import mask_personal
from gridgov.issues.lifecycle import Event, Issue
from gridgov.issues.service import MAX_DESCRIPTION, IssueService
from gridgov.messages import text
from gridgov.model import CHINA_TIME, Rating

__all__ = ["TimelineEntry", "local_time", "public_timeline", "router"]

router = APIRouter()

#: Event kinds a resident is told about; the rest (duplicate suggestions, the other side
#: of a merge) are the staff's business.
PUBLIC_EVENTS: tuple[str, ...] = (
    "raised",
    "located",
    "assigned",
    "dispatched",
    "acknowledged",
    "started",
    "resolved",
    "rated",
    "reopened",
    "closed",
    "transferred",
    "returned",
    "escalated",
    "overdue",
    "merged",
)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the public timeline: when (Beijing time, text) and what, in words."""

    at: str
    iso: str
    what: str


def local_time(at: datetime) -> str:
    """``at`` as Beijing time (Asia/Shanghai, UTC+8 all year), ``2026-11-23 09:00``."""
    return at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _unit_name(service: IssueService, unit: str) -> str:
    try:
        return str(service.node(unit).get("name") or unit)
    except NotFoundError:
        return unit


def public_timeline(
    service: IssueService, events: Sequence[Event], lang: str
) -> list[TimelineEntry]:
    """What happened to an issue, as the resident may read it.

    Free text (results, reasons) is masked with
    :func:`~gridgov.issues.disclosure.mask_personal`; deputies are counted, not named
    (the 三知 name the one responsible); merged duplicates are not linked.

    Parameters
    ----------
    service : IssueService
    events : sequence of Event
        The issue's log, oldest first.
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    list of TimelineEntry
        Oldest first.
    """
    out: list[TimelineEntry] = []
    for e in events:
        if e.kind not in PUBLIC_EVENTS:
            continue
        data: Mapping[str, Any] = e.data
        values: dict[str, object] = {}
        if e.kind in ("assigned", "transferred", "returned", "escalated"):
            values["unit"] = str(data.get("unit_name") or _unit_name(service, e.unit))
        if e.kind in ("transferred", "returned"):
            values["reason"] = mask_personal(str(data.get("reason", "")))
        if e.kind == "dispatched":
            values["count"] = len(data.get("deputies") or ())
        if e.kind == "acknowledged":
            values["name"] = str(data.get("name") or "")
        if e.kind == "resolved":
            values["result"] = mask_personal(str(data.get("result", "")))
        if e.kind == "rated":
            values["rating"] = text(f"public.rating.{data.get('rating', '')}", lang)
        if e.kind == "reopened":
            values["reason"] = mask_personal(str(data.get("reason", "")))
        what = text(f"public.event.{e.kind}", lang, **values)
        out.append(TimelineEntry(local_time(e.at), e.at.isoformat(), what))
    return out


@functools.cache
def _asset(name: str) -> str:
    """A stylesheet or script of ``static/``, to be written into a page.

    Raises
    ------
    RuntimeError
        If the file holds ``</`` + ``script`` or ``style``, which would end the element
        early (a bug of the file).
    """
    body = (STATIC / name).read_text(encoding="utf-8")
    lowered = body.lower()
    if "</script" in lowered or "</style" in lowered:
        raise RuntimeError(f"{name} cannot be inlined: it closes its own element")
    return body


def _page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    scripts: Sequence[str] = (),
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        template,
        {
            "styles": Markup(_asset("gridgov.css")),  # our own files: trusted markup
            "scripts": [Markup(_asset(s)) for s in scripts],
            **context,
        },
        status_code=status_code,
    )


def not_found(request: Request) -> HTMLResponse:
    """The resident's 404: a wrong link or tracking code, said in plain words."""
    return _page(request, "public/not_found.html", {}, status_code=404)


_FORM_FIELDS = ("category", "description", "reporter_name", "reporter_phone", "anonymous")


def _form_context(
    service: IssueService,
    station_id: str,
    values: Mapping[str, str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    return {
        "station_id": station_id,
        "categories": list(service.settings.issue_categories.items()),
        "max_description": MAX_DESCRIPTION,
        # a form sent without JavaScript: its key makes a second tap the same issue
        "idempotency_key": secrets.token_hex(16),
        "values": {**dict.fromkeys(_FORM_FIELDS, ""), **(values or {})},
        "form_error": error,
    }


@router.get("/stations/{station_id}", response_class=HTMLResponse)
def station_page(
    station_id: str,
    request: Request,
    service: ServiceDep,
    fmt: Annotated[Literal["html", "json"], Query(alias="format")] = "html",
) -> Response:
    """The page a station's QR code opens: a form to raise an issue there, then the
    station's deputies (码上提建议、码上亮身份). ``?format=json``: the station as data."""
    from gridgov.issues.qr import public_station

    info = public_station(service.ws, station_id)
    if fmt == "json":
        import json

        return Response(json.dumps(info, ensure_ascii=False), media_type="application/json")
    return _page(
        request,
        "public/station.html",
        {"station": info, **_form_context(service, station_id)},
        scripts=("photo_resize.js", "public_raise.js"),
    )


@router.get("/deputies/{deputy_id}", response_class=HTMLResponse)
def deputy_page(
    deputy_id: str,
    request: Request,
    service: ServiceDep,
    fmt: Annotated[Literal["html", "json"], Query(alias="format")] = "html",
) -> Response:
    """The page a deputy's QR code opens: their public profile and their station's form."""
    from gridgov.issues.qr import public_deputy

    info = public_deputy(service.ws, deputy_id)
    if fmt == "json":
        import json

        return Response(json.dumps(info, ensure_ascii=False), media_type="application/json")
    station = str(info.get("station_id", "") or "")
    return _page(
        request,
        "public/deputy.html",
        {"deputy": info, **_form_context(service, station)},
        scripts=("photo_resize.js", "public_raise.js") if station else (),
    )


def _track_url(issue_id: str, token: str, **more: str) -> str:
    return f"/public/track/{quote(issue_id)}?{urlencode({'token': token, **more})}"


@router.post("/stations/{station_id}/form", response_class=HTMLResponse, response_model=None)
def raise_form(
    station_id: str,
    request: Request,
    service: ServiceDep,
    category: Annotated[str, Form(max_length=40)] = "",
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
    reporter_name: Annotated[str, Form(max_length=50)] = "",
    reporter_phone: Annotated[str, Form(max_length=32)] = "",
    anonymous: Annotated[str, Form(max_length=10)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The issue form sent without JavaScript (no location, no photo): the issue is
    raised at the station's place as :func:`api.routes.public.raise_public` does for the
    script, then the tracking page opens; a refusal shows the form again, saying why."""
    from gridgov.issues.qr import public_station

    info = public_station(service.ws, station_id)
    values = {
        "category": category,
        "description": description,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "anonymous": "on" if anonymous else "",
    }
    try:
        body = PublicIssueCreate(
            category=category,
            description=description,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            anonymous=bool(anonymous),
        )
        result, token = raise_public(service, request, station_id, body, idempotency_key or None)
    except (GridgovError, PydanticValidationError) as exc:
        from api.web import page_lang

        lang = page_lang(request)
        fields = [
            text(_FIELD_LABELS[f], lang) if f in _FIELD_LABELS else f for f in _refused_fields(exc)
        ]
        error = text(
            "public.form.refused",
            lang,
            fields=text("public.form.separator", lang).join(fields) or "—",
        )
        return _page(
            request,
            "public/station.html",
            {"station": info, **_form_context(service, station_id, values, error)},
            scripts=("photo_resize.js", "public_raise.js"),
            status_code=422,
        )
    return RedirectResponse(_track_url(result.issue.issue_id, token), status_code=303)


#: Form fields named in a refusal -> the label the resident sees.
_FIELD_LABELS = {
    "category": "public.form.category",
    "description": "public.form.description",
    "reporter_name": "public.form.name",
    "reporter_phone": "public.form.phone",
}


def _refused_fields(exc: GridgovError | PydanticValidationError) -> list[str]:
    if isinstance(exc, PydanticValidationError):
        names = [str(e["loc"][-1]) for e in exc.errors() if e.get("loc")]
    else:
        names = [str(p.field) for p in exc.problems if p.field]
    return list(dict.fromkeys(names))


def _tracked_or_none(service: IssueService, issue_id: str, token: str) -> Issue | None:
    try:
        return tracked_issue(service, issue_id, token)
    except NotFoundError:
        return None


def _track_context(
    request: Request, service: IssueService, issue: Issue, token: str
) -> dict[str, Any]:
    from api.web import page_lang

    lang = page_lang(request)
    view = issue_public(service, issue)
    photos = get_photos(request, service).photos(issue.issue_id)
    return {
        "issue": view,
        # the resident's own words, as the public may read them (numbers masked)
        "description": mask_personal(issue.description),
        "status_text": text(f"public.status.{issue.status.value}", lang),
        "created_local": local_time(issue.created_at),
        "timeline": public_timeline(service, service.store.events(issue.issue_id), lang),
        "photos": [
            {"url": public_photo_url(p, token), "at": local_time(p.created_at)} for p in photos
        ],
        "token": token,
        "can_rate": issue.status.value == "resolved",
        "rating_text": text(f"public.rating.{issue.rating}", lang) if issue.rating else "",
    }


@router.get("/track/{issue_id}", response_class=HTMLResponse)
def track_page(
    issue_id: str,
    request: Request,
    service: ServiceDep,
    token: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The tracking page: the status in words, what happened when (Beijing time), 三知
    and the photos, for whoever holds the tracking token."""
    issue = _tracked_or_none(service, issue_id, token)
    if issue is None:
        return not_found(request)
    return _page(
        request,
        "public/track.html",
        _track_context(request, service, issue, token),
        scripts=("public_track.js",),
    )


def _rate_page(
    request: Request,
    service: IssueService,
    issue: Issue,
    token: str,
    *,
    error: str = "",
    rating: str = "",
    note: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "public/rate.html",
        {
            "issue": issue_public(service, issue),
            "token": token,
            "ratings": [r.value for r in Rating],
            "chosen": rating,
            "note": note,
            "error": error,
            "can_rate": issue.status.value == "resolved",
        },
        scripts=("public_rate.js",),
        status_code=status_code,
    )


@router.get("/track/{issue_id}/rate", response_class=HTMLResponse)
def rate_page(
    issue_id: str,
    request: Request,
    service: ServiceDep,
    token: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The rating page (满意 / 基本满意 / 不满意 with a reason), reached from tracking."""
    issue = _tracked_or_none(service, issue_id, token)
    if issue is None:
        return not_found(request)
    return _rate_page(request, service, issue, token)


@router.post("/track/{issue_id}/rate", response_class=HTMLResponse, response_model=None)
def rate_form(
    issue_id: str,
    request: Request,
    service: ServiceDep,
    tracking_token: Annotated[str, Form(max_length=100)] = "",
    rating: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The rating form's answer: back to the tracking page, or the form again saying
    what is missing. The rating itself is :func:`api.routes.public.rate_public`'s."""
    from api.web import page_lang

    issue = _tracked_or_none(service, issue_id, tracking_token)
    if issue is None:
        return not_found(request)
    lang = page_lang(request)
    note = note.strip()
    error = ""
    if rating not in {r.value for r in Rating}:
        error = text("public.rate.choose", lang)
    elif rating == Rating.UNSATISFIED.value and not note:
        error = text("public.rate.reason_needed", lang)
    if not error:
        try:
            body = RateIn(rating=rating, note=note, tracking_token=tracking_token)
            rate_public(service, issue_id, body)
        except GridgovError:
            error = text("public.rate.not_now", lang)
    if error:
        fresh = service.store.get_issue(issue_id)
        return _rate_page(
            request,
            service,
            fresh,
            tracking_token,
            error=error,
            rating=rating,
            note=note,
            status_code=422,
        )
    return RedirectResponse(_track_url(issue_id, tracking_token, rated="1"), status_code=303)
