"""Open311 GeoReport v2 documents: gridgov's categories and issues as services and
service requests, rendered as the spec's XML or JSON, and its error lists.

This module maps; it decides nothing. Routes (:mod:`api.routes.open311`) parse a request,
call :class:`~gridgov.issues.service.IssueService` and hand the result here to be written out.

Status mapping (gridgov's lifecycle to the spec's two states)
=============================================================

=================================== ======== ==============================================
gridgov status                      Open311  why
=================================== ======== ==============================================
raised, located, assigned,          open     someone still has to act
dispatched, acknowledged,
in_progress
resolved (办结, awaiting rating)     closed   the spec defines closed as "it has been
                                             resolved"; ``status_notes`` says 待群众评价, and
                                             a 不满意 rating reopens it (open again, with a
                                             new ``updated_datetime``)
rated                               closed   transient: a rating closes or reopens at once
closed (rated, withdrawn, rating    closed
window over), merged (合并)
=================================== ======== ==============================================

Other fields: ``status_notes`` is the current state in words from the issue and its
latest events (已转办至…, 逾期未签收，已上报至…, 已办结：<result>, …) with the latest result
note; ``agency_responsible`` the unit now handling it (a station, a township's 人大主席团,
the county 代表工委); ``expected_datetime`` the current resolve deadline (else the
acknowledge deadline); ``address`` the grid, village, township and county names, most
specific first; ``address_id`` the grid code; ``zipcode`` is always empty. Datetimes
are w3 format in China time (``+08:00``). A posted ``address_string`` is kept as the
issue's ``address`` and leads the answered ``address``; ``media_url`` is kept as given
(a link; gridgov never fetches it).

Personal data: the reporter's name and phone and the dispatched deputies (with phones)
are added, as the extension fields ``reporter_name``, ``reporter_phone``,
``responsible`` and ``deputies``, only for an ``api_key`` whose role may see them
(:func:`gridgov.issues.access.sees_reporter`, :func:`~gridgov.issues.access.sees_phone`); hand-over
and closing reasons only for an ``api_key`` that may see the issue. The public gets the
spec's fields and nothing else.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import Response
from pydantic import BaseModel

from api.params import instant
from gridgov._errors import LocationError, ParameterError, Problem
from gridgov.issues.access import Principal, can_see, sees_phone, sees_reporter
from gridgov.issues.disclosure import mask_personal, public_point, shows_exact
from gridgov.issues.escalation import LEVELS_ZH
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.issues.service import MAX_TITLE
from gridgov.model import CHINA_TIME, IssueStatus, Rating, Workspace
from gridgov.settings import Settings

__all__ = [
    "ANONYMOUS_VALUES",
    "ATTRIBUTES",
    "CLOSED_STATUSES",
    "PREFIX",
    "AttributeOut",
    "CreatedOut",
    "ErrorOut",
    "Gazetteer",
    "Open311Error",
    "RequestOut",
    "ServiceDefinitionOut",
    "ServiceOut",
    "TokenOut",
    "error_response",
    "format_of",
    "is_open311",
    "open311_statuses",
    "parse_w3",
    "render",
    "request_doc",
    "service_definition",
    "service_notice",
    "services",
    "status_notes",
    "status_of",
]

#: Where the Open311 endpoints live.
PREFIX = "/open311/v2"

#: gridgov statuses shown as Open311 ``closed`` (every other status is ``open``).
CLOSED_STATUSES: frozenset[IssueStatus] = frozenset(
    {IssueStatus.RESOLVED, IssueStatus.RATED, IssueStatus.CLOSED}
)

_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all (C0 controls but tab, newline, return; lone
# surrogates; U+FFFE/U+FFFF): replaced so that no stored text can break a document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# plural element -> the element of each item (the spec's XML; JSON is plain arrays)
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}

Format = Literal["json", "xml"]


# --- response bodies (also the OpenAPI documentation of the JSON form) -------------------


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class RequestOut(BaseModel):
    """One service request; the last four fields only for an ``api_key`` allowed them."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float
    long: float
    media_url: str | None
    responsible: str | None = None
    deputies: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None


class CreatedOut(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class TokenOut(BaseModel):
    service_request_id: str
    token: str


class ErrorOut(BaseModel):
    code: int
    description: str


_EXTENSIONS = ("responsible", "deputies", "reporter_name", "reporter_phone")


# --- errors -------------------------------------------------------------------------------


class Open311Error(Exception):
    """An answer in the spec's error form: an HTTP status and ``(code, description)`` items."""

    def __init__(
        self, status: int, *descriptions: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.descriptions = descriptions or ("error",)
        self.headers = dict(headers or {})
        super().__init__("; ".join(self.descriptions))


def is_open311(path: str) -> bool:
    """Whether a request path belongs to the Open311 endpoints."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def format_of(path: str, fmt: object = None) -> Format:
    """The format an answer (errors included) is written in: the path's extension,
    XML (the spec's required format) unless it says ``json``."""
    if fmt == "json":
        return "json"
    if fmt is None and path.rsplit("/", 1)[-1].lower().endswith(".json"):
        return "json"
    return "xml"


def error_response(
    fmt: Format,
    status: int,
    descriptions: Sequence[str],
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The spec's error list (``code`` is the HTTP status) in ``fmt``."""
    items = [ErrorOut(code=status, description=d).model_dump() for d in descriptions or ("error",)]
    response = render(fmt, "errors", items, status=status)
    if headers:
        response.headers.update(headers)
    return response


# --- rendering ----------------------------------------------------------------------------


def render(fmt: Format, root: str, document: Any, *, status: int = 200) -> Response:
    """``document`` (a list of items under plural ``root``, or a mapping) as UTF-8 JSON
    (Chinese kept as is) or as XML with the spec's element names."""
    if fmt == "json":
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        body = text.encode("utf-8", "replace")
        return Response(body, status_code=status, media_type="application/json; charset=utf-8")
    element = _element(root, document)
    text = _XML_DECLARATION + ET.tostring(element, encoding="unicode")
    return Response(
        text.encode("utf-8", "replace"), status_code=status, media_type="text/xml; charset=utf-8"
    )


def _element(name: str, value: Any) -> ET.Element:
    el = ET.Element(name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            el.append(_element(str(key), item))
    elif isinstance(value, list | tuple):
        child = _ITEM.get(name, "item")
        for item in value:
            el.append(_element(child, item))
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = _NOT_XML.sub("\ufffd", str(value))
    return el


def w3(value: datetime | None) -> str | None:
    """A datetime in the spec's w3 format, China time, whole seconds."""
    if value is None:
        return None
    return value.astimezone(CHINA_TIME).replace(microsecond=0).isoformat()


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_w3(name: str, text: str) -> datetime:
    """A w3 datetime (``2026-11-23T09:00:00+08:00``, ``...Z``) or date (midnight China time).

    A ``+`` that a client forgot to percent-encode arrives as a space; it is read back.

    Raises
    ------
    ParameterError
        Naming ``name`` and echoing ``text`` when it is no such datetime or has no timezone.
    """
    raw = text.strip()
    fixed = _SPACE_OFFSET.sub(r"\1+\2", raw)
    hint = (
        "use the w3 format with a timezone, e.g. 2026-11-23T00:00:00+08:00 or 2026-11-23T00:00:00Z"
    )

    def bad(what: str) -> ParameterError:
        return ParameterError(f"{name}: {text!r} {what}; {hint}", parameter=name, value=text)

    if _DATE_ONLY.match(fixed):
        try:
            day = datetime.fromisoformat(fixed).replace(tzinfo=CHINA_TIME)
        except ValueError as exc:  # datetime's own parse error (a day that does not exist)
            raise bad("is not a date") from exc
        instant(name, day)
        return day
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError as exc:
        raise bad("is not a datetime") from exc
    if "T" not in fixed.upper() or value.tzinfo is None:
        raise bad("has no timezone")
    instant(name, value)
    return value


# --- services -----------------------------------------------------------------------------


_HANDLING_LEVELS = ("station", "township", "county")


def _hours(h: float) -> str:
    return f"{h:g}小时"


def deadline_text(settings: Settings, category: str) -> str:
    """The category's deadlines at each level, in words (from the settings)."""
    parts = []
    for level in _HANDLING_LEVELS:
        ack = settings.deadline_h(level, category, "acknowledge")
        res = settings.deadline_h(level, category, "resolve")
        if ack is None and res is None:
            continue
        steps = []
        if ack is not None:
            steps.append(f"{_hours(ack)}内签收")
        if res is not None:
            steps.append(f"{_hours(res)}内办结")
        parts.append(f"{LEVELS_ZH.get(level, level)}{'、'.join(steps)}")
    return "；".join(parts)


def _urgent(settings: Settings, category: str) -> bool:
    return bool(settings.category_deadlines_h.get(category))


def services(settings: Settings) -> list[dict[str, Any]]:
    """One Open311 service per issue category."""
    out = []
    for code, name in settings.issue_categories.items():
        keywords = [name, code, *settings.category_specialties.get(code, [])]
        out.append(
            ServiceOut(
                service_code=code,
                service_name=name,
                description=(
                    f"{name}类问题，交网格所属代表联络站办理，逾期逐级上报。"
                    f"时限：{deadline_text(settings, code)}。"
                ),
                metadata=True,
                type="realtime",
                keywords=", ".join(dict.fromkeys(keywords)),
                group="限时加急" if _urgent(settings, code) else "常规办理",
            ).model_dump()
        )
    return out


#: Attribute codes accepted on POST (``attribute[code]``), with their datatype.
ATTRIBUTES: dict[str, str] = {
    "anonymous": "singlevaluelist",
    "title": "string",
    "grid_code": "string",
}
ANONYMOUS_VALUES: dict[str, str] = {"false": "实名（姓名、电话仅办理人员可见）", "true": "匿名"}


def service_definition(settings: Settings, code: str) -> dict[str, Any]:
    """The attributes of one service: what the issue store can keep beside the spec's
    fields, and the category's deadlines as an informational (non-variable) attribute."""
    attrs = [
        AttributeOut(
            variable=True,
            code="anonymous",
            datatype="singlevaluelist",
            required=False,
            datatype_description=None,
            order=1,
            description="是否匿名：匿名时不保存姓名和电话",
            values=[AttributeValueOut(key=k, name=v) for k, v in ANONYMOUS_VALUES.items()],
        ),
        AttributeOut(
            variable=True,
            code="title",
            datatype="string",
            required=False,
            datatype_description=f"不超过{MAX_TITLE}字",
            order=2,
            description="标题（可不填）",
            values=[],
        ),
        AttributeOut(
            variable=True,
            code="grid_code",
            datatype="string",
            required=False,
            datatype_description="15位网格编码，如 430623101001001（与 address_id 同义）",
            order=3,
            description="网格编码：没有坐标时按网格定位；有坐标时以坐标为准",
            values=[],
        ),
        AttributeOut(
            variable=False,
            code="deadlines",
            datatype="text",
            required=False,
            datatype_description=None,
            order=4,
            description=f"办理时限：{deadline_text(settings, code)}",
            values=[],
        ),
    ]
    return ServiceDefinitionOut(service_code=code, attributes=attrs).model_dump()


# --- places -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    lon: float
    lat: float
    township: str


class Gazetteer:
    """Grid and village names of the county: addresses for issues, and the place a
    grid code or a village or grid name in an Open311 ``address_string`` stands for."""

    def __init__(self, ws: Workspace) -> None:
        self.county_code = str(ws.county["code"].iloc[0])
        self.county_name = str(ws.meta.get("county_name") or ws.county["name"].iloc[0])
        self.townships = dict(
            zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
        )
        vil = ws.villages
        vpts = vil.geometry.representative_point()
        self.villages = {
            c: _Place(c, n, float(p.x), float(p.y), t)
            for c, n, p, t in zip(
                vil["code"].astype(str),
                vil["name"].astype(str),
                vpts,
                vil["township_code"].astype(str),
                strict=True,
            )
        }
        grids = ws.grids
        if grids is None:
            # an invariant, not a user's error: the issue service refuses such a workspace
            raise RuntimeError("the workspace has no grids layer")
        gpts = grids.geometry.representative_point()
        names = grids["name"].astype(str) if "name" in grids.columns else grids["code"].astype(str)
        self.grids: dict[str, _Place] = {}
        self.grid_village: dict[str, str] = {}
        for c, n, p, v in zip(
            grids["code"].astype(str), names, gpts, grids["village_code"].astype(str), strict=True
        ):
            town = self.villages[v].township if v in self.villages else ""
            self.grids[c] = _Place(c, n, float(p.x), float(p.y), town)
            self.grid_village[c] = v

    def jurisdiction_ok(self, value: str) -> bool:
        """Whether ``value`` names this county (its 6-digit code or its name)."""
        return value.strip() in (self.county_code, self.county_name)

    def address(self, issue: Issue) -> str:
        """Grid, village, township, county: most specific first, as the spec asks."""
        parts = []
        grid = self.grids.get(issue.grid_code)
        village = self.villages.get(issue.village_code)
        if grid is not None:
            parts.append(grid.name)
        if village is not None and not (grid is not None and grid.name.startswith(village.name)):
            parts.append(village.name)
        town = self.townships.get(issue.township_code)
        if town:
            parts.append(town)
        parts.append(self.county_name)
        return "，".join(parts)

    def resolve(self, text: str) -> tuple[float, float]:
        """The point an ``address_string`` names: a grid code in it, else a grid name,
        else a village name (the longest names that occur; a township name in the text
        settles a name two townships share).

        Raises
        ------
        LocationError
            When it names no place of the county, or several (the problem's field is
            ``address_string``).
        """

        def unplaced(message: str) -> LocationError:
            problem = Problem("request", None, "address_string", text[:100], message)
            return LocationError([problem], context="address_string")

        codes = {c for c in re.findall(r"\d{15}", text) if c in self.grids}
        if len(codes) == 1:
            g = self.grids[codes.pop()]
            return g.lon, g.lat
        if len(codes) > 1:
            raise unplaced(
                f"names several grids ({', '.join(sorted(codes))}); give one, or lat/long"
            )
        for kind, table in (("grid", self.grids), ("village", self.villages)):
            hits = [p for p in table.values() if len(p.name) >= 2 and p.name in text]
            if not hits:
                continue
            longest = max(len(p.name) for p in hits)
            hits = [p for p in hits if not any(p.name in q.name and p.name != q.name for q in hits)]
            hits = [p for p in hits if len(p.name) == longest] or hits
            towns = {c for c, n in self.townships.items() if n in text}
            if len(hits) > 1 and towns:
                hits = [p for p in hits if p.township in towns] or hits
            if len(hits) == 1:
                return hits[0].lon, hits[0].lat
            shown = ", ".join(
                f"{p.name} ({self.townships.get(p.township, p.township)}, {p.code})"
                for p in hits[:5]
            )
            raise unplaced(
                f"{kind} name {hits[0].name!r} is not unique here ({shown}); "
                "add the township name, give the code as address_id, or send lat/long"
            )
        raise unplaced(
            f"{text[:100]!r} names no grid code, grid or village of "
            f"{self.county_name}; this county needs lat/long (WGS84/CGCS2000 degrees) or a "
            "15-digit grid code (address_id): it has no street geocoder"
        )

    def grid_point(self, code: str) -> tuple[float, float] | None:
        g = self.grids.get(code)
        return None if g is None else (g.lon, g.lat)


# --- service requests ---------------------------------------------------------------------


def status_of(issue: Issue) -> Literal["open", "closed"]:
    """The Open311 status of an issue (module docstring: the mapping table)."""
    return "closed" if issue.status in CLOSED_STATUSES else "open"


def open311_statuses(value: str) -> tuple[str, ...]:
    """gridgov statuses an Open311 ``status`` (``open`` or ``closed``) stands for."""
    if value == "open":
        return tuple(sorted(s.value for s in OPEN_STATUSES))
    return tuple(sorted(s.value for s in CLOSED_STATUSES))


def _last(events: Sequence[Event], kinds: set[str]) -> Event | None:
    for e in reversed(events):
        if e.kind in kinds:
            return e
    return None


def _label(enum: type[Rating], value: str) -> str:
    try:
        return enum.parse(value).label_zh
    except ParameterError:
        return value


def status_notes(issue: Issue, events: Sequence[Event], *, scoped: bool) -> str:
    """The current state in words, from the latest events; reasons only when ``scoped``."""
    unit = issue.unit_name or issue.unit or "办理单位"
    s = issue.status
    result_told = False
    if s is IssueStatus.CLOSED and issue.merged_into:
        note = f"与 {issue.merged_into} 为同一问题，已合并办理"
    elif s in (IssueStatus.CLOSED, IssueStatus.RATED):
        closing = _last(events, {"closed"})
        reason = str(closing.data.get("reason", "")) if closing else ""
        note = f"已办结：{issue.result}" if issue.result else "已关闭"
        result_told = bool(issue.result)
        if issue.rating:
            note += f"（群众评价：{_label(Rating, issue.rating)}）"
        if scoped and reason and reason != "rated":
            note += f"；关闭原因：{reason}"
    elif s is IssueStatus.RESOLVED:
        note = f"{unit}已办结，待群众评价：{issue.result}"
        result_told = True
    else:
        last = _last(events, {"escalated", "transferred", "returned", "reopened", "overdue"})
        kind = last.kind if last is not None else ""
        reason = str(last.data.get("reason", "")) if last is not None else ""
        if kind == "reopened":
            note = f"群众评价不满意，{unit}重新办理"
        elif s is IssueStatus.IN_PROGRESS:
            note = f"{unit}办理中"
        elif s is IssueStatus.ACKNOWLEDGED:
            note = f"{unit}已签收"
        elif kind == "escalated" and last is not None:
            missed = "签收" if last.data.get("missed") == "acknowledge" else "办结"
            note = f"逾期未{missed}，已上报至{unit}"
        elif kind == "transferred":
            note = f"已转办至{unit}" + (f"：{reason}" if scoped and reason else "")
        elif kind == "returned":
            note = f"已退回{unit}" + (f"：{reason}" if scoped and reason else "")
        else:
            note = f"已受理，交{unit}办理"
            if issue.deputies:
                note += f"，已派{len(issue.deputies)}名代表报到"
        if kind == "overdue":
            note += "；已逾期"
    if issue.result and not result_told:
        note += f"；最近办理结果：{issue.result}"
    return note


def service_notice(issue: Issue) -> str | None:
    """What happens next and by when (the current deadlines), for an open issue."""
    if issue.status not in OPEN_STATUSES:
        return None
    unit = issue.unit_name or issue.unit
    steps = []
    if issue.acknowledge_due is not None and issue.status in (
        IssueStatus.ASSIGNED,
        IssueStatus.DISPATCHED,
    ):
        steps.append(f"{_local(issue.acknowledge_due)}前签收")
    if issue.resolve_due is not None:
        steps.append(f"{_local(issue.resolve_due)}前办结")
    if not steps:
        return f"由{unit}办理"
    return f"由{unit}办理，{'、'.join(steps)}（北京时间）"


def _local(value: datetime) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def expected(issue: Issue) -> datetime | None:
    """The current deadline: to resolve, else to acknowledge (None once it is closed)."""
    if issue.status not in OPEN_STATUSES:
        return None
    return issue.resolve_due or issue.acknowledge_due


def _finite(value: float) -> float:
    return round(value, 7) if math.isfinite(value) else 0.0


def request_doc(
    issue: Issue,
    events: Sequence[Event],
    *,
    settings: Settings,
    places: Gazetteer,
    viewer: Principal,
    deputies: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """One issue as an Open311 service request, as ``viewer`` may see it."""
    scoped = can_see(viewer, issue)
    # the public reads personal numbers masked and a point ~100 m off (disclosure)
    exact = shows_exact(viewer, issue)
    text = (lambda t: t) if exact else mask_personal
    lon, lat = issue.lon, issue.lat
    if not exact:
        lon, lat = public_point(lon, lat, step_deg=settings.public_point_step_deg)
    address = places.address(issue)
    if issue.address:
        address = f"{text(issue.address)}，{address}"
    out = RequestOut(
        service_request_id=issue.issue_id,
        status=status_of(issue),
        status_notes=text(status_notes(issue, events, scoped=scoped)),
        service_name=settings.issue_categories.get(issue.category, issue.category),
        service_code=issue.category,
        description=text(issue.description) or None,
        agency_responsible=issue.unit_name or None,
        service_notice=service_notice(issue),
        requested_datetime=w3(issue.created_at) or "",
        updated_datetime=w3(issue.updated_at) or "",
        expected_datetime=w3(expected(issue)),
        address=address,
        address_id=issue.grid_code or None,
        zipcode=None,
        lat=_finite(lat),
        long=_finite(lon),
        media_url=issue.media_url or None,
    )
    if scoped:
        out.responsible = issue.responsible_name or None
        shown = []
        for d in issue.deputies:
            row = deputies.get(d, {})
            name = row.get("name") or d
            phone = row.get("phone", "")
            if phone and sees_phone(viewer, row.get("station_id", ""), d):
                name = f"{name}（{phone}）"
            shown.append(name)
        out.deputies = "、".join(shown) or None
    if sees_reporter(viewer, issue):
        out.reporter_name = issue.reporter_name or None
        out.reporter_phone = issue.reporter_phone or None
    doc = out.model_dump()
    for key in _EXTENSIONS:
        if doc[key] is None:
            del doc[key]
    return doc
