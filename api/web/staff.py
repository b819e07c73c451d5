"""The staff desktop: the work queue (``/work``) and the issue page (``/work/issues/{id}``).

For station admins, township staff and county staff. The queue lists what the person's
unit may see (:func:`gridgov.issues.access.scope_query`, as the JSON API lists), under
the tabs of :mod:`api.web.queue`, with filters, a search box and pages. The issue page shows
the details, 三知 and the timeline (流转记录) in China time, and the forms of the actions the
role may take now; each form posts with the session's CSRF token to a route that calls the
JSON API's own handler for that action (:mod:`api.routes.issues`), so a page never decides
a rule the API would decide differently. A refused action is shown on the page in the
person's language, never as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import pydantic
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.routes import issues as issues_api
from api.routes.issues import ExtensionApproveIn, ExtensionIn, ExtensionRefuseIn, RemindIn
from api.schemas import AcknowledgeIn, CloseIn, HandOverIn, MergeIn, ResolveIn, StartIn
from api.web import page_lang, render
from api.web.auth import PageUser, check_csrf, error_page, staff_only
from api.web.photos import get_photos
from api.web.queue import (
    ABOVE_STATION,
    QUEUE_STATUSES,
    TABS,
    Queued,
    next_deadline,
    tabs_of,
)
from gridgov._errors import (
    ConflictError,
    ForbiddenError,
    GridgovError,
    NotFoundError,
    ParameterError,
    TransitionError,
    ValidationError,
)
from gridgov.issues.access import Principal, can, can_see, scope_query, sees_phone, sees_reporter
from gridgov.issues.escalation import next_unit
from gridgov.issues.lifecycle import (
    ALLOWED,
    Acknowledge,
    ApproveExtension,
    Close,
    Event,
    Issue,
    Merge,
    RefuseExtension,
    Remind,
    RequestExtension,
    Resolve,
    Start,
    Transfer,
    three_knows,
)
from gridgov.issues.photos import view_of
from gridgov.issues.service import IssueService
from gridgov.messages import CATALOGUE, text
from gridgov.model import CHINA_TIME, IssueStatus
from gridgov.store.base import IssueQuery

__all__ = ["ACTIONS", "PAGE_SIZE", "Filters", "classify", "offered_actions", "queue_view", "router"]

#: Issues per page of the queue.
PAGE_SIZE = 30

#: The actions the issue page offers, each with the lifecycle action whose statuses it
#: needs and the permission verb of :func:`gridgov.issues.access.can`.
ACTIONS: dict[str, tuple[type, str]] = {
    "acknowledge": (Acknowledge, "acknowledge"),
    "start": (Start, "start"),
    "resolve": (Resolve, "resolve"),
    "escalate": (Transfer, "transfer"),  # 上报 by hand: a transfer to the unit above
    "transfer": (Transfer, "transfer"),
    "return": (Transfer, "return"),
    "merge": (Merge, "merge"),
    "close": (Close, "close"),
    # supervision (催办, 延期): their words live under remind.* in the catalogue
    "remind": (Remind, "remind"),
    "request_extension": (RequestExtension, "request_extension"),
    "approve_extension": (ApproveExtension, "decide_extension"),
    "refuse_extension": (RefuseExtension, "decide_extension"),
}
#: The actions of :data:`ACTIONS` whose labels are ``remind.action.*`` / ``remind.done.*``.
SUPERVISION = frozenset({"remind", "request_extension", "approve_extension", "refuse_extension"})

router = APIRouter(include_in_schema=False)


def labeller(request: Request) -> Callable[[str, str], str]:
    """``label(prefix, value)``: the catalogue's word for ``value`` (``web.event.raised``)
    in the page's language, or ``value`` itself for one the catalogue does not know (an
    event kind of a newer gridgov)."""
    lang = page_lang(request)

    def label(prefix: str, value: str) -> str:
        key = f"{prefix}.{value}"
        return text(key, lang) if key in CATALOGUE else value

    return label


def local(value: datetime | None) -> str:
    """A time as people in the county read it (Asia/Shanghai, to the minute)."""
    return "" if value is None else value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The queue's filters as the query string gives them (every one optional)."""

    tab: str = "pending"
    category: str = ""
    grid: str = ""
    station: str = ""
    township: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> tuple[Filters, list[str]]:
        """The filters of a query string, and the names of those that were unreadable
        (ignored, and said so on the page)."""
        bad: list[str] = []

        def day(name: str) -> date | None:
            text = params.get(name, "").strip()
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                bad.append(name)
                return None

        tab = params.get("tab", "pending")
        if tab not in TABS:
            bad.append("tab")
            tab = "pending"
        page_text = params.get("page", "1")
        page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
        clean = {k: params.get(k, "").strip()[:100] for k in ("category", "grid", "station",
                                                               "township", "q")}  # fmt: skip
        return (
            cls(tab=tab, date_from=day("from"), date_to=day("to"), page=page, **clean),
            bad,
        )

    def query(self, **changes: Any) -> str:
        """This filter set as a query string, with ``changes``."""
        f = replace(self, **changes)
        pairs = {
            "tab": f.tab,
            "category": f.category,
            "grid": f.grid,
            "station": f.station,
            "township": f.township,
            "from": "" if f.date_from is None else f.date_from.isoformat(),
            "to": "" if f.date_to is None else f.date_to.isoformat(),
            "q": f.q,
            "page": "" if f.page == 1 else str(f.page),
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=CHINA_TIME)


def _matches(issue: Issue, needle: str, names: Mapping[str, str]) -> bool:
    hay = " ".join(
        (issue.issue_id, issue.title, issue.description, issue.address, issue.unit_name,
         names.get(issue.grid_code, ""))
    )  # fmt: skip
    return needle.casefold() in hay.casefold()


@dataclass(frozen=True)
class Names:
    """Unit names of the workspace for the pages."""

    grids: dict[str, str]
    stations: dict[str, str]
    townships: dict[str, str]
    station_township: dict[str, str]

    @classmethod
    def of(cls, service: IssueService) -> Names:
        ws = service.ws
        grids = {} if ws.grids is None else dict(
            zip(ws.grids["code"].astype(str), ws.grids["name"].astype(str), strict=True)
        )  # fmt: skip
        st = ws.stations
        return cls(
            grids,
            dict(zip(st["station_id"].astype(str), st["name"].astype(str), strict=True)),
            dict(
                zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
            ),
            dict(zip(st["station_id"].astype(str), st["township_code"].astype(str), strict=True)),
        )


def _names(request: Request, service: IssueService) -> Names:
    names: Names | None = getattr(request.app.state, "unit_names", None)
    if names is None:
        names = Names.of(service)
        request.app.state.unit_names = names
    return names


def _choices(p: Principal, service: IssueService, names: Names) -> dict[str, list[tuple[str, str]]]:
    """The townships, stations and grids a person may filter on (those of their scope)."""
    if p.county:
        stations = sorted(names.stations)
        townships = sorted(names.townships)
    else:
        stations = sorted(
            s for s in names.stations
            if s in p.stations or names.station_township.get(s) in p.townships
        )  # fmt: skip
        townships = sorted(
            t for t in names.townships
            if t in p.townships or any(names.station_township.get(s) == t for s in p.stations)
        )  # fmt: skip
    visible = set(stations)
    grids = sorted(g for g, s in service.grid_station.items() if s in visible)
    return {
        "townships": [(t, names.townships[t]) for t in townships],
        "stations": [(s, names.stations[s]) for s in stations],
        "grids": [(g, names.grids.get(g, g)) for g in grids],
    }


def _top(service: IssueService) -> Callable[[str], bool]:
    """Whether a unit has nothing above it (where a missed deadline is recorded, not
    escalated)."""
    seen: dict[str, bool] = {}

    def top(unit: str) -> bool:
        if unit not in seen:
            seen[unit] = unit in service.escalation and next_unit(service.escalation, unit) is None
        return seen[unit]

    return top


@dataclass(frozen=True)
class _View:
    """One tab of the queue: the counts of every tab and the ids of the tab's issues,
    newest first."""

    counts: dict[str, int]
    ids: list[str]


Q = TypeVar("Q", bound=Queued)


def classify(
    service: IssueService, items: Sequence[Q], now: datetime
) -> list[tuple[Q, frozenset[str]]]:
    """Each issue (or queue row) with its tabs; the log is read only where a tab needs it
    (an overdue record at a unit above the station of an issue never escalated there)."""
    need = [i.issue_id for i in items if i.is_open and i.escalations == 0
            and i.level in ABOVE_STATION]  # fmt: skip
    logs = service.store.events_of(need) if need else {}
    return [(i, tabs_of(i, now, service.settings, logs.get(i.issue_id))) for i in items]


def queue_view(
    service: IssueService, p: Principal, base: IssueQuery, f: Filters, names: Names, now: datetime
) -> _View:
    """The tabs counted and the chosen tab's issues listed from the store's queue rows of
    every issue of the person's queue (open, or waiting for a rating) that passes the
    filters, the grid and the search: a county's 15,000 open issues are classified from
    their columns and only a page's documents are decoded (reading and decoding them all
    took 1.1-1.4 s a page)."""
    query = scope_query(p, replace(base, status=QUEUE_STATUSES))
    if query is None:  # checked by the caller
        raise ForbiddenError(f"role {p.role} lists no issues")
    grids: list[str] = []
    if f.grid:  # a grid's code or name
        grids = [code for code, name in names.grids.items() if f.grid in (code, name)] or [f.grid]
    needle = f.q.strip()
    text_grids = [code for code, name in names.grids.items()
                  if needle and needle.casefold() in name.casefold()]  # fmt: skip
    rows = service.store.queue_rows(query, grids=grids, text=needle, text_grids=text_grids)
    counts = dict.fromkeys(TABS, 0)
    ids: list[str] = []
    for row, tabs in classify(service, rows, now):
        for tab in tabs:
            counts[tab] += 1
        if f.tab in tabs:
            ids.append(row.issue_id)
    return _View(counts, ids)


def _page(
    service: IssueService, view: _View, page: int, now: datetime
) -> list[tuple[Issue, frozenset[str]]]:
    """The issues of one page of the tab, newest first."""
    ids = view.ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if not ids:
        return []
    found, _ = service.store.list_issues(IssueQuery(issue_ids=tuple(ids), limit=-1))
    by_id = {i.issue_id: i for i in found}
    return classify(service, [by_id[i] for i in ids if i in by_id], now)


@router.get("/work")
def work(request: Request) -> Response:
    """The work queue: tabs with counts, filters, search, one page of issues."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    service = request.app.state.service
    names = _names(request, service)
    f, bad = Filters.of(request.query_params)
    p = user.principal
    base = IssueQuery(
        category=f.category or None,
        station_id=f.station or None,
        township_code=f.township or None,
        created_from=None if f.date_from is None else _day_start(f.date_from),
        created_to=None if f.date_to is None else _day_start(f.date_to + timedelta(days=1)),
    )
    if scope_query(p, base) is None:  # staff always list; others never get here
        return error_page(request, 403, "web.error.forbidden_page", user)
    now = service.clock()
    view = queue_view(service, p, base, f, names, now)
    pages = max(1, math.ceil(len(view.ids) / PAGE_SIZE))
    page = min(f.page, pages)
    rows = [_row(i, now, names, service, tabs) for i, tabs in _page(service, view, page, now)]
    return render(
        request,
        "staff_queue.html",
        {
            "user": user,
            "f": f,
            "bad": bad,
            "tabs": TABS,
            "counts": view.counts,
            "rows": rows,
            "page": page,
            "pages": pages,
            "found": len(view.ids),
            "categories": service.settings.issue_categories,
            "choices": _choices(p, service, names),
        },
    )


def _row(
    issue: Issue, now: datetime, names: Names, service: IssueService, tabs: frozenset[str]
) -> dict[str, Any]:
    found = next_deadline(issue)
    return {
        "id": issue.issue_id,
        "category": service.settings.issue_categories.get(issue.category, issue.category),
        "summary": issue.title or issue.description[:60],
        "grid": names.grids.get(issue.grid_code, issue.grid_code),
        "unit": issue.unit_name or issue.unit,
        "status": issue.status,
        "created": local(issue.created_at),
        "due": "" if found is None else local(found[1]),
        "overdue": "overdue" in tabs,
        "due_soon": "due_soon" in tabs,
    }


# --- the issue page --------------------------------------------------------------------------


def _seen_issue(service: IssueService, p: Principal, issue_id: str) -> Issue | None:
    """The issue if ``p`` may see it (None otherwise: the page answers 404 either way)."""
    if len(issue_id) > 40:
        return None
    try:
        issue = service.store.get_issue(issue_id)
    except NotFoundError:
        return None
    return issue if can_see(p, issue) else None


def _unit_label(service: IssueService, unit: str) -> str:
    try:
        return str(service.node(unit).get("name") or unit)
    except NotFoundError:
        return unit


def _targets(service: IssueService, names: Names, current: str) -> list[tuple[str, list]]:
    """The units a transfer may go to, grouped: the county, townships, stations by township."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for node, data in service.escalation.nodes(data=True):
        level = str(data.get("level", ""))
        if node == current or level not in ("station", "township", "county"):
            continue
        if level == "station":
            town = names.station_township.get(str(data.get("unit_id", "")), "")
            group = names.townships.get(town, town)
        else:
            group = level
        groups.setdefault(group, []).append((str(node), str(data.get("name") or node)))
    order = ["county", "township", *sorted(g for g in groups if g not in ("county", "township"))]
    return [(g, sorted(groups[g], key=lambda t: t[1])) for g in order if g in groups]


def offered_actions(service: IssueService, p: Principal, issue: Issue) -> dict[str, Any]:
    """What the page offers: each action the role may take in the issue's state, and for
    上报 the unit above, for 退回 the unit it came from."""
    offered: dict[str, Any] = {}
    for name, (action, verb) in ACTIONS.items():
        if issue.status in ALLOWED[action] and can(p, verb, issue):
            offered[name] = True
    if "escalate" in offered:
        up = next_unit(service.escalation, issue.unit) if issue.unit in service.escalation else None
        if up is None:
            del offered["escalate"]
        else:
            offered["escalate"] = (up, _unit_label(service, up))
    if "return" in offered:
        back = service.previous_unit(issue.issue_id)
        if back is None or back == issue.unit:
            del offered["return"]
        else:
            offered["return"] = (back, _unit_label(service, back))
    # 延期: asked for while a resolve deadline runs and none waits; decided while one waits
    now = service.clock()
    if issue.extension_pending or issue.resolve_due is None or now >= issue.resolve_due:
        offered.pop("request_extension", None)
    if not issue.extension_pending:
        offered.pop("approve_extension", None)
        offered.pop("refuse_extension", None)
    return offered


def _timeline(
    service: IssueService, events: list[Event], names: Names, label: Callable[[str, str], str]
) -> list[dict[str, Any]]:
    """The log as rows of the 流转记录 table: time in China time, who, and the details
    (unit names for unit ids, deputies' names, the words for missed deadlines and ratings)."""
    rows = []
    for e in events:
        data = dict(e.data)
        who = e.actor_id
        if e.actor_role == "deputy":
            who = service.deputies.get(e.actor_id, {}).get("name", "") or who
        elif e.actor_role == "system":
            who = ""
        details: list[tuple[str, str]] = []
        for key in ("from", "to"):
            if data.get(key):
                details.append((key, _unit_label(service, str(data[key]))))
        if e.kind == "dispatched":
            people = [service.deputies.get(d, {}).get("name", d) for d in data.get("deputies", [])]
            details.append(("deputies", "、".join(people)))
        if e.kind == "located" and data.get("grid_code"):
            code = str(data["grid_code"])
            details.append(("grid", names.grids.get(code, code)))
        if e.kind == "acknowledged" and data.get("distance_m") is not None:
            metres = label("web.unit", "metres")
            details.append(("reported_from", f"{int(data['distance_m']):,} {metres}"))
        if e.kind == "duplicates_suggested" and data.get("issue_ids"):
            details.append(("duplicates", "、".join(str(i) for i in data["issue_ids"])))
        details.extend(_supervision_details(service, data))
        for key in ("reason", "result", "note", "missed", "rating", "into", "issue_id",
                    "unit_name"):  # fmt: skip
            if data.get(key):
                value = str(data[key])
                if key in ("missed", "rating"):
                    value = label(f"web.{key}", value)
                details.append((key, value))
        rows.append(
            {
                "at": local(e.at),
                "kind": e.kind,
                "kind_label": _kind_label(e.kind, label),
                "role": e.actor_role,
                "who": who,
                "unit": _unit_label(service, e.unit) if e.unit else "",
                "details": details,
            }
        )
    return rows


def _kind_label(kind: str, label: Callable[[str, str], str]) -> str:
    """The word for an event kind: the page's own, else supervision's and hand-off's."""
    for prefix in ("web.event", "remind.event", "handoff.event"):
        if f"{prefix}.{kind}" in CATALOGUE:
            return label(prefix, kind)
    return kind


def _supervision_details(service: IssueService, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Details of 催办, 延期 and hand-off events, keyed by their full catalogue keys."""
    out: list[tuple[str, str]] = []
    if data.get("handlers"):
        names = [
            service.deputies.get(str(h), {}).get("name") or _unit_label(service, str(h))
            for h in data["handlers"]
        ]
        out.append(("remind.detail.handlers", "、".join(names)))
    if data.get("hours"):
        out.append(("remind.detail.hours", f"{float(data['hours']):g}"))
    for key in ("due_from", "due"):
        if data.get(key):
            out.append((f"remind.detail.{key}", local(datetime.fromisoformat(str(data[key])))))
    if data.get("request_reason"):
        out.append(("remind.detail.request_reason", str(data["request_reason"])))
    for key in ("platform", "request_id", "agency", "notes", "error"):
        if data.get(key):
            out.append((f"handoff.detail.{key}", str(data[key])))
    return out


def _photos(
    request: Request, service: IssueService, p: Principal, issue: Issue
) -> list[dict[str, Any]]:
    """The issue's photos as the page shows them (the staff copy, read through
    :func:`issue_photo`): when, by whom, and where the camera was when it says so."""
    if view_of(p, issue) != "staff":
        return []
    label = labeller(request)
    return [
        {
            "url": f"/work/issues/{issue.issue_id}/photos/{r.photo_id}.jpg",
            "at": local(r.created_at),
            "by": label("web.role", r.actor_role),
            "place": "" if r.lon is None or r.lat is None else f"{r.lon:.5f}, {r.lat:.5f}",
            "width": r.width,
            "height": r.height,
        }
        for r in get_photos(request, service).photos(issue.issue_id)
    ]


def _issue_page(
    request: Request,
    user: PageUser,
    issue: Issue,
    *,
    error: tuple[str, str] | None = None,
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    service: IssueService = request.app.state.service
    names = _names(request, service)
    p = user.principal
    events = issues_api._events(service, p, issue.issue_id)
    deputies = []
    for d in issue.deputies:
        row = service.deputies.get(d, {})
        phone = row.get("phone", "") if sees_phone(p, row.get("station_id", ""), d) else ""
        deputies.append({"name": row.get("name", d), "phone": phone})
    offered = offered_actions(service, p, issue)
    now = service.clock()
    logs = {issue.issue_id: events}
    tabs = tabs_of(issue, now, service.settings, logs[issue.issue_id])
    return render(
        request,
        "issue_staff.html",
        {
            "user": user,
            "issue": issue,
            "category": service.settings.issue_categories.get(issue.category, issue.category),
            "grid": names.grids.get(issue.grid_code, issue.grid_code),
            "station": names.stations.get(issue.station_id, issue.station_id),
            "township": names.townships.get(issue.township_code, issue.township_code),
            "knows": three_knows(issue),
            "reporter": sees_reporter(p, issue) and (issue.reporter_name or issue.reporter_phone),
            "deputies": deputies,
            "timeline": _timeline(service, events, names, labeller(request)),
            "offered": offered,
            "targets": _targets(service, names, issue.unit) if "transfer" in offered else [],
            "error": error,
            "done": done if done in ACTIONS else "",
            "supervision": SUPERVISION,
            "remind_interval_h": service.settings.remind_interval_h,
            "local": local,
            "label": labeller(request),
            "tabs": tabs,
            "statuses": IssueStatus,
            "photos": _photos(request, service, p, issue),
        },
        status_code=status_code,
    )


@router.get("/work/issues/{issue_id}")
def issue_page(request: Request, issue_id: str, done: str = "") -> Response:
    """One issue: details, 三知, timeline and the actions the role may take."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    issue = _seen_issue(request.app.state.service, user.principal, issue_id)
    if issue is None:
        return error_page(request, 404, "web.error.no_issue", user)
    return _issue_page(request, user, issue, done=done)


@router.get("/work/issues/{issue_id}/photos/{photo_id}.jpg")
def issue_photo(request: Request, issue_id: str, photo_id: str) -> Response:
    """The staff copy of one photo of an issue the person may see (404 otherwise, as for
    the issue)."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    service: IssueService = request.app.state.service
    issue = _seen_issue(service, user.principal, issue_id)
    if issue is None or view_of(user.principal, issue) != "staff" or len(photo_id) > 64:
        return error_page(request, 404, "web.error.no_issue", user)
    photos = get_photos(request, service)
    try:
        data = photos.read(photos.get(issue_id, photo_id), "staff")
    except NotFoundError:
        return error_page(request, 404, "board.photos.missing", user)
    # private: a shared cache must never hand one person's photo to another
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=600"})  # fmt: skip


def _refusal(exc: Exception) -> tuple[int, str, str]:
    """HTTP status, message key and detail of a refused action."""
    if isinstance(exc, pydantic.ValidationError):
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
        return 400, _param_key(field), ""
    if isinstance(exc, HTTPException):
        return exc.status_code, "web.error.forbidden_action", ""
    if isinstance(exc, ForbiddenError):
        return 403, "web.error.forbidden_action", str(exc)
    if isinstance(exc, TransitionError):
        return 409, "web.error.transition", str(exc)
    if isinstance(exc, ConflictError):
        return 409, "web.error.conflict", str(exc)
    if isinstance(exc, ParameterError):
        return 400, _param_key(exc.parameter or ""), str(exc)
    if isinstance(exc, NotFoundError):
        return 400, "web.error.param.into", str(exc)
    if isinstance(exc, ValidationError):
        return 400, "web.error.param.to", str(exc)
    return 400, "web.error.invalid", str(exc)


_PARAM_KEYS = frozenset({"reason", "result", "to", "into", "version"})


def _param_key(field: str) -> str:
    return f"web.error.param.{field}" if field in _PARAM_KEYS else "web.error.invalid"


@router.post("/work/issues/{issue_id}/{action}")
def act(
    request: Request,
    issue_id: str,
    action: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    version: Annotated[int | None, Form()] = None,
    reason: Annotated[str, Form(max_length=2000)] = "",
    result: Annotated[str, Form(max_length=4000)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
    into: Annotated[str, Form(max_length=100)] = "",
    hours: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Take one action through the JSON API's handler; back to the issue page with what
    happened, or with the refusal on it."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    service: IssueService = request.app.state.service
    p = user.principal
    issue = _seen_issue(service, p, issue_id)
    if issue is None:
        return error_page(request, 404, "web.error.no_issue", user)
    if action not in ACTIONS:
        return error_page(request, 404, "web.error.no_page", user)
    try:
        _call(service, p, issue_id, action, version, reason, result, note, to, into, hours)
    except (GridgovError, HTTPException, pydantic.ValidationError) as exc:
        status, key, detail = _refusal(exc)
        fresh = _seen_issue(service, p, issue_id) or issue
        return _issue_page(request, user, fresh, error=(key, detail), status_code=status)
    if _seen_issue(service, p, issue_id) is None:  # handed out of this person's scope
        return RedirectResponse(f"/work?{urlencode({'done': action})}", status_code=303)
    return RedirectResponse(
        f"/work/issues/{issue_id}?{urlencode({'done': action})}", status_code=303
    )


def _call(
    service: IssueService,
    p: Principal,
    issue_id: str,
    action: str,
    version: int | None,
    reason: str,
    result: str,
    note: str,
    to: str,
    into: str,
    hours: str = "",
) -> None:
    """The JSON API's handler of ``action`` with the form's fields."""
    api = issues_api
    if action == "acknowledge":
        api.acknowledge(issue_id, service, p, AcknowledgeIn(version=version))
    elif action == "start":
        api.start(issue_id, service, p, StartIn(note=note, version=version))
    elif action == "resolve":
        api.resolve(issue_id, ResolveIn(result=result, version=version), service, p)
    elif action == "escalate":
        issue = service.store.get_issue(issue_id)
        up = next_unit(service.escalation, issue.unit) if issue.unit in service.escalation else None
        if up is None:
            raise ParameterError("to: nothing above this unit", parameter="to", value=issue.unit)
        api.transfer(issue_id, HandOverIn(to=up, reason=reason, version=version), service, p)
    elif action == "transfer":
        api.transfer(issue_id, HandOverIn(to=to, reason=reason, version=version), service, p)
    elif action == "return":
        api.return_issue(issue_id, HandOverIn(reason=reason, version=version), service, p)
    elif action == "merge":
        api.merge(issue_id, MergeIn(into=into, reason=reason, version=version), service, p)
    elif action == "close":
        api.close(issue_id, CloseIn(reason=reason, version=version), service, p)
    elif action == "remind":
        api.remind(issue_id, service, p, RemindIn(note=note, version=version))
    elif action == "request_extension":
        body = ExtensionIn.model_validate({"hours": hours, "reason": reason, "version": version})
        api.request_extension(issue_id, body, service, p)
    elif action == "approve_extension":
        api.approve_extension(issue_id, service, p, ExtensionApproveIn(note=note, version=version))
    elif action == "refuse_extension":
        api.refuse_extension(
            issue_id, ExtensionRefuseIn(reason=reason, version=version), service, p
        )
