"""Issues: raise, list, read with events, and every action of the lifecycle.

Supervision has its own routes beside the actions: 催办 (``/remind``, staff over issues
they may act on), 延期申请 (``/extension``, whoever may resolve the issue where it is) and
its decision by the level above (``/extension/approve``, ``/extension/refuse``), under the
same rules as every action: 404 outside the caller's scope, 403 for a role that may not,
409 for a state that does not allow it or an issue that moved since ``If-Match``.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PrincipalDep, ServiceDep, require
from api.params import BBOX_HELP, choice, instant, parse_bbox
from api.schemas import (
    AcknowledgeIn,
    CloseIn,
    Duplicate,
    EventOut,
    HandOverIn,
    IssueCreate,
    IssueCreated,
    IssueOut,
    IssuePage,
    MergeIn,
    RateIn,
    ResolveIn,
    StartIn,
)
from api.views import candidates, event_out, issue_out
from gridgov._errors import ForbiddenError, NotFoundError, ParameterError, Problem, ValidationError
from gridgov.issues.access import (
    Principal,
    can,
    can_see,
    may_raise_at,
    scope_query,
    tracks,
)
from gridgov.issues.lifecycle import (
    Acknowledge,
    Action,
    ApproveExtension,
    Close,
    Event,
    Issue,
    Rate,
    RefuseExtension,
    Remind,
    RequestExtension,
    Resolve,
    Return,
    Start,
    Transfer,
    action_name,
)
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import IssueStatus, Rating
from gridgov.store.base import IssueQuery

router = APIRouter()

_RAISERS = ("grid_worker", "deputy", "station_admin", "township_staff", "county_staff")
_READERS = ("grid_worker", "deputy", "station_admin", "township_staff", "county_staff")

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description='the issue version you read, as its ETag ("3"): 409 if it moved since',
    ),
]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="a client-chosen key: a retry with the same key never creates a second issue",
    ),
]


def _expected(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client read: the If-Match header and/or the body's ``version``."""
    header: int | None = None
    if if_match is not None and if_match.strip() != "*":
        text = if_match.strip().removeprefix("W/").strip('"')
        if not text.isdigit():
            raise ParameterError(
                f'If-Match: expected the issue version as an ETag such as "3", got {if_match!r}',
                parameter="If-Match",
                value=if_match,
            )
        header = int(text)
    if header is not None and body_version is not None and header != body_version:
        raise ParameterError(
            f"version: the body says {body_version} and If-Match says {header}",
            parameter="version",
            value=body_version,
        )
    return header if header is not None else body_version


def _visible(service: IssueService, p: Principal, issue_id: str) -> Issue:
    """The issue if the caller may see it; 404 otherwise (existence does not leak)."""
    require(p, *_READERS)
    issue = service.store.get_issue(issue_id)
    if not can_see(p, issue):
        raise NotFoundError(f"no issue {issue_id!r}")
    return issue


@router.post(
    "",
    status_code=201,
    response_model=IssueCreated,
    responses={
        200: {"model": IssueCreated, "description": "an idempotent retry: the stored issue"}
    },
)
def create_issue(
    body: IssueCreate,
    service: ServiceDep,
    p: PrincipalDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IssueCreated:
    """Raise an issue at a place (网格吹哨): located in its grid, assigned to the grid's
    station, the nearest deputies dispatched; 201 only once it is committed."""
    require(p, *_RAISERS)
    data = NewIssue(
        category=body.category,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        title=body.title,
        address=body.address,
        media_url=body.media_url,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        anonymous=body.anonymous,
        source=p.role,
    )
    result = service.raise_issue(
        data,
        p.actor,
        idempotency_key=None
        if idempotency_key is None
        else f"{p.role}:{p.subject}:{idempotency_key}",
        may_raise=lambda grid, town: may_raise_at(p, grid, town),
    )
    if not result.created:
        response.status_code = 200
    return IssueCreated(
        issue=issue_out(service, p, result.issue),
        created=result.created,
        dispatched=candidates(result.dispatch),
        duplicates=[
            Duplicate(issue_id=i, distance_m=round(d, 1))
            for i, d in result.duplicates
            if _sees_id(service, p, i)
        ],
    )


@router.get("", response_model=IssuePage)
def list_issues(
    service: ServiceDep,
    p: PrincipalDep,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    level: Literal["grid", "station", "township", "county", "external"] | None = None,
    open_only: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    station_id: Annotated[str | None, Query(max_length=40)] = None,
    township_code: Annotated[str | None, Query(max_length=12)] = None,
    bbox: Annotated[str | None, Query(max_length=100, description=BBOX_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IssuePage:
    """Issues the caller may see, newest first, filtered and paged."""
    require(p, *_READERS)
    statuses = None
    if status:
        statuses = tuple(choice(IssueStatus, s, "status").value for s in status)
    instant("created_from", created_from)
    instant("created_to", created_to)
    base = IssueQuery(
        status=statuses,
        category=category,
        level=level,
        open_only=open_only,
        created_from=created_from,
        created_to=created_to,
        station_id=station_id,
        township_code=township_code,
        bbox=None if bbox is None else parse_bbox(bbox),
        limit=limit,
        offset=offset,
    )
    query = scope_query(p, base)
    if query is None:
        raise ForbiddenError(f"role {p.role} does not list issues")
    items, total = service.store.list_issues(query)
    return IssuePage(
        total=total, limit=limit, offset=offset, items=[issue_out(service, p, i) for i in items]
    )


def _sees_id(service: IssueService, p: Principal, issue_id: str) -> bool:
    try:
        return can_see(p, service.store.get_issue(issue_id))
    except NotFoundError:
        return False


def _events(service: IssueService, p: Principal, issue_id: str) -> list[Event]:
    """The log as ``p`` may read it: suggested duplicates it cannot see are left out."""
    out = []
    for e in service.store.events(issue_id):
        if e.kind == "duplicates_suggested":
            ids = [i for i in e.data.get("issue_ids", []) if _sees_id(service, p, str(i))]
            dist = dict(
                zip(e.data.get("issue_ids", []), e.data.get("distances_m", []), strict=False)
            )
            e = dc_replace(e, data={"issue_ids": ids, "distances_m": [dist.get(i) for i in ids]})
        out.append(e)
    return out


@router.get("/{issue_id}", response_model=IssueOut)
def get_issue(issue_id: str, service: ServiceDep, p: PrincipalDep, response: Response) -> IssueOut:
    """One issue with its events (三知: handling unit, responsible person, result); its
    ``ETag`` is the version, for an action's ``If-Match``."""
    issue = _visible(service, p, issue_id)
    response.headers["ETag"] = f'"{issue.version}"'
    return issue_out(service, p, issue, _events(service, p, issue_id))


@router.get("/{issue_id}/events", response_model=list[EventOut])
def get_events(issue_id: str, service: ServiceDep, p: PrincipalDep) -> list[EventOut]:
    """The append-only log of one issue."""
    _visible(service, p, issue_id)
    return [event_out(e) for e in _events(service, p, issue_id)]


def _authorised(service: IssueService, p: Principal, issue_id: str, verb: str) -> Issue:
    """The issue, if the caller may see it (else 404) and ``verb`` it (else 403)."""
    issue = _visible(service, p, issue_id)
    if not can(p, verb, issue):
        raise ForbiddenError(f"role {p.role} may not {verb} issue {issue_id}")
    return issue


def _target(service: IssueService, unit: str) -> dict[str, str]:
    try:
        return service.unit_action_target(unit)
    except NotFoundError as exc:
        raise ValidationError(
            [
                Problem(
                    "request",
                    None,
                    "to",
                    unit,
                    "no such unit in the escalation graph "
                    "(e.g. station:<station_id>, township:<code>, county:<code>)",
                )
            ],
            context="hand-over",
        ) from exc


def act_checked(
    service: IssueService,
    p: Principal,
    issue_id: str,
    verb: str,
    action: Action,
    expected: int | None = None,
) -> IssueOut:
    """``action`` on the issue by ``p``, if ``p`` may see it (404) and may ``verb`` it
    (403) on the state it is in when written; ``expected``: the version read (409)."""
    _visible(service, p, issue_id)

    def check(issue: Issue) -> None:
        if not can(p, verb, issue):
            raise ForbiddenError(
                f"role {p.role} may not {verb} issue {issue_id} while it is at "
                f"{issue.unit_name or issue.unit} ({issue.level})"
            )

    issue = service.act(issue_id, action, p.actor, check=check, expected_version=expected)
    return issue_out(service, p, issue)


@router.post("/{issue_id}/acknowledge", response_model=IssueOut)
def acknowledge(
    issue_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    body: AcknowledgeIn | None = None,
    if_match: IfMatch = None,
) -> IssueOut:
    """报到/签收: the caller takes the issue and becomes its responsible person."""
    expected = _expected(if_match, body.version if body else None)
    action = Acknowledge((body.name if body else "") or p.name)
    return act_checked(service, p, issue_id, "acknowledge", action, expected)


@router.post("/{issue_id}/start", response_model=IssueOut)
def start(
    issue_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    body: StartIn | None = None,
    if_match: IfMatch = None,
) -> IssueOut:
    """Work has started (办理中)."""
    expected = _expected(if_match, body.version if body else None)
    return act_checked(service, p, issue_id, "start", Start(body.note if body else ""), expected)


@router.post("/{issue_id}/resolve", response_model=IssueOut)
def resolve(
    issue_id: str, body: ResolveIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """办结, with the result."""
    expected = _expected(if_match, body.version)
    return act_checked(service, p, issue_id, "resolve", Resolve(body.result), expected)


@router.post("/{issue_id}/rate", response_model=IssueOut)
def rate(
    issue_id: str, body: RateIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """The resident's rating (满意 / 基本满意 / 不满意; 不满意 reopens). Grid workers rate on
    a resident's behalf; residents use /public/issues/{id}/rate with their tracking token."""
    rating = choice(Rating, body.rating, "rating")
    issue = _visible(service, p, issue_id)
    ok = tracks(body.tracking_token or "", issue.tracking_hash)
    if not can(p, "rate", issue, tracking_ok=ok):
        raise ForbiddenError(f"role {p.role} may not rate issue {issue_id}")
    expected = _expected(if_match, body.version)
    issue = service.act(issue_id, Rate(rating, body.note), p.actor, expected_version=expected)
    return issue_out(service, p, issue)


@router.post("/{issue_id}/transfer", response_model=IssueOut)
def transfer(
    issue_id: str, body: HandOverIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """转办: hand the issue to another unit of the escalation graph, with a reason."""
    _authorised(service, p, issue_id, "transfer")
    if not body.to:
        raise ParameterError(
            "to: name the unit to transfer to, e.g. station:S02 or township:430623101",
            parameter="to",
            value=body.to,
        )
    expected = _expected(if_match, body.version)
    target = _target(service, body.to)
    return act_checked(
        service, p, issue_id, "transfer", Transfer(reason=body.reason, **target), expected
    )


@router.post("/{issue_id}/return", response_model=IssueOut)
def return_issue(
    issue_id: str, body: HandOverIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """退回: send the issue back to the unit it came from (or ``to``), with a reason."""
    _authorised(service, p, issue_id, "return")
    unit = body.to or service.previous_unit(issue_id)
    if not unit:
        raise ParameterError(
            f"issue {issue_id} has no earlier unit to return to; name one in 'to'",
            parameter="to",
            value=body.to,
        )
    expected = _expected(if_match, body.version)
    target = _target(service, unit)
    return act_checked(
        service, p, issue_id, "return", Return(reason=body.reason, **target), expected
    )


@router.post("/{issue_id}/merge", response_model=IssueOut)
def merge(
    issue_id: str, body: MergeIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """Close this issue as a duplicate of ``into`` (visible, open, same category, within
    the duplicate radius); both are checked and written in one transaction."""
    expected = _expected(if_match, body.version)
    _visible(service, p, issue_id)
    _visible(service, p, body.into)

    def check(issue: Issue, into: Issue) -> None:
        if not can(p, "merge", issue):
            raise ForbiddenError(
                f"role {p.role} may not merge issue {issue_id} while it is at "
                f"{issue.unit_name or issue.unit} ({issue.level})"
            )
        if not can_see(p, into):
            raise NotFoundError(f"no issue {body.into!r}")

    issue = service.merge(
        issue_id, body.into, p.actor, reason=body.reason, check=check, expected_version=expected
    )
    return issue_out(service, p, issue)


@router.post("/{issue_id}/close", response_model=IssueOut)
def close(
    issue_id: str, body: CloseIn, service: ServiceDep, p: PrincipalDep, if_match: IfMatch = None
) -> IssueOut:
    """Close without a rating (withdrawn, or settled elsewhere), with a reason."""
    expected = _expected(if_match, body.version)
    return act_checked(service, p, issue_id, "close", Close(body.reason), expected)


# --- 催办 and 延期 --------------------------------------------------------------------------

# Bodies of the supervision routes (kept beside them: only these routes read them).
_IN = ConfigDict(extra="forbid", str_strip_whitespace=True)
_VERSION = Field(
    default=None, ge=1, description="the version you read: 409 if the issue moved since"
)


class RemindIn(BaseModel):
    model_config = _IN
    note: str = Field(default="", max_length=500, description="what the handler is pressed for")
    version: int | None = _VERSION


class ExtensionIn(BaseModel):
    """延期申请: hours more to resolve, and why."""

    model_config = _IN
    hours: float = Field(gt=0, le=24 * 366, description="hours added to the resolve deadline")
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = _VERSION


class ExtensionApproveIn(BaseModel):
    model_config = _IN
    note: str = Field(default="", max_length=500)
    version: int | None = _VERSION


class ExtensionRefuseIn(BaseModel):
    model_config = _IN
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = _VERSION


@router.post("/{issue_id}/remind", response_model=IssueOut)
def remind(
    issue_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    body: RemindIn | None = None,
    if_match: IfMatch = None,
) -> IssueOut:
    """催办: press the current handler (recorded in the log; at most one reminder per
    ``remind_interval_h``, 409 otherwise). Staff over issues they may act on."""
    expected = _expected(if_match, body.version if body else None)
    return act_checked(service, p, issue_id, "remind", Remind(body.note if body else ""), expected)


@router.post("/{issue_id}/extension", response_model=IssueOut)
def request_extension(
    issue_id: str,
    body: ExtensionIn,
    service: ServiceDep,
    p: PrincipalDep,
    if_match: IfMatch = None,
) -> IssueOut:
    """延期申请: the handler asks for ``hours`` more to resolve, before the deadline passes;
    it waits (one at a time) for the level above."""
    expected = _expected(if_match, body.version)
    action = RequestExtension(body.hours, body.reason)
    return act_checked(service, p, issue_id, "request_extension", action, expected)


@router.post("/{issue_id}/extension/approve", response_model=IssueOut)
def approve_extension(
    issue_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    body: ExtensionApproveIn | None = None,
    if_match: IfMatch = None,
) -> IssueOut:
    """The level above approves the pending request: the resolve deadline moves by its
    hours (the queue, the scheduler and the statistics follow)."""
    expected = _expected(if_match, body.version if body else None)
    action = ApproveExtension(body.note if body else "")
    return act_checked(service, p, issue_id, "decide_extension", action, expected)


@router.post("/{issue_id}/extension/refuse", response_model=IssueOut)
def refuse_extension(
    issue_id: str,
    body: ExtensionRefuseIn,
    service: ServiceDep,
    p: PrincipalDep,
    if_match: IfMatch = None,
) -> IssueOut:
    """The level above refuses the pending request, with a reason; the deadline stands."""
    expected = _expected(if_match, body.version)
    return act_checked(
        service, p, issue_id, "decide_extension", RefuseExtension(body.reason), expected
    )


__all__ = [
    "ExtensionApproveIn",
    "ExtensionIn",
    "ExtensionRefuseIn",
    "RemindIn",
    "action_name",
    "router",
]
