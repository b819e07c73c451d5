"""The life of an issue from whistle to closure, as a pure state machine.

An :class:`Issue` is an immutable snapshot; every change is an :class:`Event` appended to
its log (who, when, what), and :func:`apply` is the only way to move an issue on: it takes
the issue, an action, the actor and the clock, and returns the new snapshot with the
events that record the change. Nothing here reads a clock, a file or a database, so tests
(and ``gridgov tick``) control time, and the SQLite and PostGIS stores persist the same
objects.

States (:class:`~gridgov.model.IssueStatus`)::

    raised -> located -> assigned -> dispatched -> acknowledged -> in_progress
           -> resolved -> rated -> closed            (不满意 reopens: resolved -> in_progress)

Transfer, return and escalation move an issue to another unit and put it back to
``assigned`` with fresh deadlines; a merged duplicate is closed with ``merged_into`` set.
The "三知" of an issue (handling unit, responsible person, result) is
:func:`three_knows`.

Supervision changes no state: a reminder (催办, :class:`Remind`) is an event for the
handler; a request for more time (延期申请, :class:`RequestExtension`) waits on the issue
until the level above approves it (:class:`ApproveExtension`, which moves ``resolve_due``
and records the old and new deadline, so the scheduler, the queue and the statistics all
follow it) or refuses it (:class:`RefuseExtension`). At the external level the hand-off to
the platform above is recorded the same way (:class:`HandOff`, :class:`PlatformUpdate`,
:class:`HandOffFailed`); the platform's result comes back as :class:`Resolve`, its
refusal as :class:`Return` (:mod:`gridgov.issues.handoff`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gridgov._errors import ConflictError, ParameterError, TransitionError
from gridgov.model import CHINA_TIME, IssueStatus, Rating
from gridgov.settings import Settings

__all__ = [
    "OPEN_STATUSES",
    "Acknowledge",
    "Action",
    "Actor",
    "ApproveExtension",
    "Assign",
    "Close",
    "DispatchDeputies",
    "Escalate",
    "Event",
    "HandOff",
    "HandOffFailed",
    "Issue",
    "Locate",
    "Merge",
    "MergedIn",
    "Overdue",
    "PlatformUpdate",
    "Rate",
    "RefuseExtension",
    "Remind",
    "RequestExtension",
    "Resolve",
    "Return",
    "Start",
    "SuggestDuplicates",
    "Transfer",
    "TransitionError",
    "apply",
    "due_action",
    "new_issue",
    "new_issue_id",
    "three_knows",
]

S = IssueStatus

#: States in which an issue still needs someone to act.
OPEN_STATUSES: frozenset[IssueStatus] = frozenset(
    {S.RAISED, S.LOCATED, S.ASSIGNED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS}
)


@dataclass(frozen=True)
class Actor:
    """Who does something: an API role, the subject the token names, and a display name."""

    role: str
    subject: str = ""
    name: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The scheduler (deadlines, automatic closing)."""
        return cls("system", "scheduler", "系统")


@dataclass(frozen=True)
class Event:
    """One append-only entry of an issue's log."""

    issue_id: str
    seq: int
    at: datetime
    kind: str
    actor_role: str
    actor_id: str
    status_from: str
    status_to: str
    unit: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        out["data"] = dict(self.data)
        return out


@dataclass(frozen=True)
class Issue:
    """Snapshot of one issue. Coordinates are CGCS2000 longitude/latitude.

    ``unit`` is the escalation-graph node now responsible (``"station:S01"``) and
    ``level`` its level; ``deputies`` are the deputies dispatched there; ``responsible``
    the person who acknowledged it (三知: who is responsible); ``result`` the last
    resolution note. ``version`` rises by one with every stored change (optimistic
    concurrency in the stores). Personal fields (``reporter_name``, ``reporter_phone``)
    are never stored for an anonymous report.
    """

    issue_id: str
    category: str
    description: str
    lon: float
    lat: float
    created_at: datetime
    updated_at: datetime
    status: IssueStatus = S.RAISED
    title: str = ""
    address: str = ""  # the reporter's words for the place (an Open311 address_string)
    media_url: str = ""  # a link to a photo (http/https); never fetched by gridgov
    source: str = "grid"
    reporter_role: str = ""
    reporter_id: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    tracking_hash: str = ""
    grid_code: str = ""
    village_code: str = ""
    township_code: str = ""
    station_id: str = ""
    level: str = ""
    unit: str = ""
    unit_name: str = ""
    deputies: tuple[str, ...] = ()
    responsible: str = ""
    responsible_name: str = ""
    result: str = ""
    rating: str = ""
    rating_note: str = ""
    merged_into: str = ""
    acknowledge_due: datetime | None = None
    resolve_due: datetime | None = None
    escalations: int = 0
    reopened: int = 0
    closed_at: datetime | None = None
    # 延期申请 waiting for the level above: hours asked, why, by whom, when (0: none)
    extension_hours: float = 0.0
    extension_reason: str = ""
    extension_by: str = ""
    extension_at: datetime | None = None
    reminders: int = 0
    reminded_at: datetime | None = None
    # the hand-off to the platform above: its request id now (empty: not handed off at
    # this level yet), how many hand-offs so far, and what the platform last said
    handoff_id: str = ""
    handoffs: int = 0
    handoff_status: str = ""
    handoff_notes: str = ""
    handoff_error: str = ""
    events: int = 0
    version: int = 0

    @property
    def extension_pending(self) -> bool:
        """Whether a request for more time waits for the level above."""
        return self.extension_hours > 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_json(self) -> str:
        """Serialise for a store (datetimes as ISO 8601 with offset)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return json.dumps(out, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> Issue:
        raw = json.loads(text) if isinstance(text, str) else dict(text)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            if f.name in (
                "created_at",
                "updated_at",
                "acknowledge_due",
                "resolve_due",
                "closed_at",
                "extension_at",
                "reminded_at",
            ):
                value = None if value in (None, "") else datetime.fromisoformat(value)
            elif f.name == "status":
                value = IssueStatus(value)
            elif f.name == "deputies":
                value = tuple(value)
            kwargs[f.name] = value
        return cls(**kwargs)


def new_issue_id(now: datetime) -> str:
    """A readable unique id: the UTC+8 date and 48 random bits (``20261123-5f0c2a9e41d7``)."""
    local = now.astimezone(CHINA_TIME)
    return f"{local:%Y%m%d}-{secrets.token_hex(6)}"


def new_issue(
    *,
    issue_id: str,
    category: str,
    description: str,
    lon: float,
    lat: float,
    actor: Actor,
    now: datetime,
    title: str = "",
    address: str = "",
    media_url: str = "",
    source: str = "grid",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    tracking_hash: str = "",
) -> tuple[Issue, tuple[Event, ...]]:
    """A freshly raised issue (网格吹哨) and its first event."""
    _aware(now)
    issue = Issue(
        issue_id=issue_id,
        category=category,
        description=description,
        title=title,
        address=address,
        media_url=media_url,
        lon=float(lon),
        lat=float(lat),
        created_at=now,
        updated_at=now,
        source=source,
        reporter_role=actor.role,
        reporter_id=actor.subject,
        reporter_name="" if anonymous else reporter_name,
        reporter_phone="" if anonymous else reporter_phone,
        anonymous=anonymous,
        tracking_hash=tracking_hash,
    )
    event = _event(issue, 1, now, "raised", actor, S.RAISED, S.RAISED, {"category": category})
    return replace(issue, events=1), (event,)


# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locate:
    """The point lies in (or was snapped to) a grid."""

    grid_code: str
    village_code: str
    township_code: str
    snapped_m: float = 0.0


@dataclass(frozen=True)
class Assign:
    """Hand the issue to a unit of the escalation graph (the grid's station, first)."""

    unit: str
    level: str
    unit_name: str
    station_id: str = ""
    township_code: str = ""


@dataclass(frozen=True)
class DispatchDeputies:
    """Deputies report for duty (代表报到): who, and why each was chosen."""

    deputies: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    pool: str = "station"


@dataclass(frozen=True)
class Acknowledge:
    """报到/签收: a handler takes the issue; they become the responsible person. A deputy
    reporting from a phone records where they are (``lon``, ``lat``) and how far that is
    from the issue (``distance_m``, measured by the caller in the workspace's CRS)."""

    name: str = ""
    lon: float | None = None
    lat: float | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class Start:
    """Work has started (办理中)."""

    note: str = ""


@dataclass(frozen=True)
class Resolve:
    """办结 with a result note (the third of 三知)."""

    result: str


@dataclass(frozen=True)
class Rate:
    """The resident's rating; 不满意 reopens the issue at the same unit."""

    rating: Rating
    note: str = ""


@dataclass(frozen=True)
class Close:
    """Close without a rating (rating window over, or withdrawn by the reporter)."""

    reason: str


@dataclass(frozen=True)
class _HandOver:
    """Hand the issue to another unit of the escalation graph, with a reason."""

    unit: str
    level: str
    unit_name: str
    reason: str
    station_id: str = ""
    township_code: str = ""


@dataclass(frozen=True)
class Transfer(_HandOver):
    """Move to another unit (at any level) with a reason (转办)."""


@dataclass(frozen=True)
class Return(_HandOver):
    """Send back to the unit it came from with a reason (退回)."""


@dataclass(frozen=True)
class Escalate:
    """A deadline passed: move up one level, recording who was notified."""

    unit: str
    level: str
    unit_name: str
    missed: str
    notified: tuple[str, ...] = ()
    township_code: str = ""
    station_id: str = ""


@dataclass(frozen=True)
class Overdue:
    """A deadline passed at the top level: recorded once, nothing above to escalate to."""

    missed: str
    notified: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuggestDuplicates:
    """Open issues of the same category nearby, suggested for merging (no state change)."""

    issue_ids: tuple[str, ...]
    distances_m: tuple[float, ...] = ()


@dataclass(frozen=True)
class Merge:
    """This issue duplicates ``into`` (same category, open, nearby): close it there."""

    into: str
    reason: str = ""


@dataclass(frozen=True)
class MergedIn:
    """The other side of a :class:`Merge`: ``issue_id`` was closed as a duplicate of this
    issue (recorded in its log; written in the same transaction as the merge)."""

    issue_id: str
    reason: str = ""


@dataclass(frozen=True)
class Remind:
    """催办: staff press the current handler to act (an event; the state is unchanged)."""

    note: str = ""


@dataclass(frozen=True)
class RequestExtension:
    """延期申请: the handler asks for ``hours`` more to resolve the issue, with a reason."""

    hours: float
    reason: str


@dataclass(frozen=True)
class ApproveExtension:
    """The level above grants the pending request: ``resolve_due`` moves by its hours."""

    note: str = ""


@dataclass(frozen=True)
class RefuseExtension:
    """The level above refuses the pending request, with a reason; the deadline stands."""

    reason: str


@dataclass(frozen=True)
class HandOff:
    """The issue was submitted to the platform above, which calls it ``request_id``."""

    platform: str
    request_id: str
    service_code: str = ""


@dataclass(frozen=True)
class PlatformUpdate:
    """The platform above reports a new state of its request (open, with notes and the
    agency now handling it); its result and its refusal come back as Resolve / Return."""

    status: str
    notes: str = ""
    agency: str = ""


@dataclass(frozen=True)
class HandOffFailed:
    """The platform above refused to take the request (a 4xx answer), recorded once per
    distinct error so staff see why the hand-off waits."""

    error: str


Action = (
    Locate
    | Assign
    | DispatchDeputies
    | Acknowledge
    | Start
    | Resolve
    | Rate
    | Close
    | Transfer
    | Return
    | Escalate
    | Overdue
    | SuggestDuplicates
    | Merge
    | MergedIn
    | Remind
    | RequestExtension
    | ApproveExtension
    | RefuseExtension
    | HandOff
    | PlatformUpdate
    | HandOffFailed
)

_HANDLING = frozenset({S.ASSIGNED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS})

#: Statuses each action may start from.
ALLOWED: dict[type, frozenset[IssueStatus]] = {
    Locate: frozenset({S.RAISED}),
    Assign: frozenset({S.LOCATED}),
    DispatchDeputies: frozenset({S.ASSIGNED, S.DISPATCHED}),
    Acknowledge: frozenset({S.ASSIGNED, S.DISPATCHED}),
    Start: frozenset({S.ACKNOWLEDGED}),
    Resolve: _HANDLING,
    Rate: frozenset({S.RESOLVED}),
    Close: frozenset({S.RESOLVED, S.RATED, *OPEN_STATUSES}),
    Transfer: _HANDLING,
    Return: _HANDLING,
    Escalate: _HANDLING,
    Overdue: _HANDLING,
    SuggestDuplicates: frozenset(OPEN_STATUSES),
    Merge: frozenset(OPEN_STATUSES),
    MergedIn: frozenset(OPEN_STATUSES),
    Remind: _HANDLING,
    RequestExtension: _HANDLING,
    ApproveExtension: _HANDLING,
    RefuseExtension: _HANDLING,
    HandOff: _HANDLING,
    PlatformUpdate: _HANDLING,
    HandOffFailed: _HANDLING,
}

_NAMES: dict[type, str] = {
    Locate: "locate",
    Assign: "assign",
    DispatchDeputies: "dispatch",
    Acknowledge: "acknowledge",
    Start: "start",
    Resolve: "resolve",
    Rate: "rate",
    Close: "close",
    Transfer: "transfer",
    Return: "return",
    Escalate: "escalate",
    Overdue: "overdue",
    SuggestDuplicates: "suggest_duplicates",
    Merge: "merge",
    MergedIn: "merged_in",
    Remind: "remind",
    RequestExtension: "request_extension",
    ApproveExtension: "approve_extension",
    RefuseExtension: "refuse_extension",
    HandOff: "hand_off",
    PlatformUpdate: "platform_update",
    HandOffFailed: "hand_off_failed",
}


def action_name(action: Action) -> str:
    return _NAMES[type(action)]


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ParameterError(
            f"the clock must be timezone-aware, got naive {now.isoformat()}",
            parameter="now",
            value=now.isoformat(),
        )


def _event(
    issue: Issue,
    seq: int,
    now: datetime,
    kind: str,
    actor: Actor,
    before: IssueStatus,
    after: IssueStatus,
    data: Mapping[str, Any],
) -> Event:
    return Event(
        issue_id=issue.issue_id,
        seq=seq,
        at=now,
        kind=kind,
        actor_role=actor.role,
        actor_id=actor.subject,
        status_from=before.value,
        status_to=after.value,
        unit=issue.unit,
        data=dict(data),
    )


def _due(
    now: datetime, settings: Settings, level: str, category: str, phase: str
) -> datetime | None:
    hours = settings.deadline_h(level, category, phase)
    return None if hours is None else now + timedelta(hours=hours)


def _at_unit(
    issue: Issue,
    now: datetime,
    settings: Settings,
    unit: str,
    level: str,
    name: str,
    *,
    station_id: str,
    township_code: str,
) -> Issue:
    """The issue handed to a unit: handlers and deadlines start again there.

    The station and township follow the unit (a grid's are those it answers to), so the
    station now responsible sees the issue and the one it left no longer acts on it; above
    station (or township) level there is none to follow, and the issue stays in the lists
    of the station (township) it came up from.
    """
    return replace(
        issue,
        status=S.ASSIGNED,
        unit=unit,
        level=level,
        unit_name=name,
        deputies=(),
        responsible="",
        responsible_name="",
        acknowledge_due=_due(now, settings, level, issue.category, "acknowledge"),
        resolve_due=_due(now, settings, level, issue.category, "resolve"),
        station_id=station_id or issue.station_id,
        township_code=township_code or issue.township_code,
        # a request for more time was made to the unit left behind, and a hand-off
        # belongs to the external level: both start again at the new unit
        **_NO_EXTENSION,
        **_NO_HANDOFF,
    )


_NO_EXTENSION: dict[str, Any] = {
    "extension_hours": 0.0,
    "extension_reason": "",
    "extension_by": "",
    "extension_at": None,
}
_NO_HANDOFF: dict[str, Any] = {
    "handoff_id": "",
    "handoff_status": "",
    "handoff_notes": "",
    "handoff_error": "",
}


def apply(
    issue: Issue,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings | None = None,
) -> tuple[Issue, tuple[Event, ...]]:
    """Apply ``action`` to ``issue`` at time ``now``.

    Parameters
    ----------
    issue : Issue
    action : Action
    actor : Actor
        Who acts (recorded in the events; permission checks happen before, in the caller).
    now : datetime
        The clock, timezone-aware.
    settings : Settings, optional
        Deadlines per level and category.

    Returns
    -------
    (Issue, tuple of Event)
        The new snapshot (``version`` unchanged: the store raises it) and its events.

    Raises
    ------
    TransitionError
        If the issue's status does not allow the action.
    ParameterError
        For a naive clock, an empty required note, an unknown rating, a merge of an
        issue into itself, or an extension of no hours or more than
        ``settings.extension_max_h``.
    ConflictError
        For supervision the state does not allow: a second reminder within
        ``settings.remind_interval_h``, an extension asked for or decided with none
        pending (or one already pending), without a resolve deadline or after it passed,
        and hand-off records at a level other than external.
    """
    _aware(now)
    settings = settings or Settings()
    allowed = ALLOWED[type(action)]
    if issue.status not in allowed:
        raise TransitionError(issue, action_name(action), allowed)
    before = issue.status
    out: list[tuple[Issue, str, dict[str, Any]]] = []  # (state after, kind, data)

    match action:
        case Locate():
            new = replace(
                issue,
                status=S.LOCATED,
                grid_code=action.grid_code,
                village_code=action.village_code,
                township_code=action.township_code,
            )
            out.append(
                (
                    new,
                    "located",
                    {"grid_code": action.grid_code, "snapped_m": round(action.snapped_m, 1)},
                )
            )
        case Assign():
            new = _at_unit(
                issue, now, settings, action.unit, action.level, action.unit_name,
                station_id=action.station_id, township_code=action.township_code,
            )  # fmt: skip
            out.append((new, "assigned", {"unit_name": action.unit_name, "level": action.level}))
        case DispatchDeputies():
            new = replace(issue, status=S.DISPATCHED, deputies=tuple(action.deputies))
            data: dict[str, Any] = {
                "deputies": list(action.deputies),
                "reasons": list(action.reasons),
                "pool": action.pool,
            }
            out.append((new, "dispatched", data))
        case Acknowledge():
            new = replace(
                issue,
                status=S.ACKNOWLEDGED,
                responsible=actor.subject,
                responsible_name=action.name or actor.name,
                acknowledge_due=None,
            )
            reported: dict[str, Any] = {"name": new.responsible_name}
            if action.lon is not None and action.lat is not None:
                reported["where"] = [action.lon, action.lat]
                if action.distance_m is not None:
                    reported["distance_m"] = round(action.distance_m)
            out.append((new, "acknowledged", reported))
        case Start():
            new = replace(issue, status=S.IN_PROGRESS)
            out.append((new, "started", {"note": action.note}))
        case Resolve():
            _required(action.result, "result")
            resp = issue.responsible or actor.subject
            name = issue.responsible_name or actor.name
            new = replace(
                issue,
                status=S.RESOLVED,
                result=action.result,
                responsible=resp,
                responsible_name=name,
                acknowledge_due=None,
                resolve_due=None,
            )
            out.append((new, "resolved", {"result": action.result}))
        case Rate():
            rating = _rating(action.rating)
            rated = replace(issue, status=S.RATED, rating=rating.value, rating_note=action.note)
            out.append((rated, "rated", {"rating": rating.value, "note": action.note}))
            if rating is Rating.UNSATISFIED:
                reopened = replace(
                    rated,
                    status=S.IN_PROGRESS,
                    reopened=issue.reopened + 1,
                    resolve_due=_due(now, settings, issue.level, issue.category, "resolve"),
                )
                if issue.level == "external":
                    # the platform's request is closed: 不满意 goes back to it as a new one
                    reopened = replace(reopened, **_NO_HANDOFF)
                out.append((reopened, "reopened", {"reason": action.note or "不满意"}))
            else:
                out.append(
                    (replace(rated, status=S.CLOSED, closed_at=now), "closed", {"reason": "rated"})
                )
        case Close():
            _required(action.reason, "reason")
            new = replace(
                issue, status=S.CLOSED, closed_at=now, acknowledge_due=None, resolve_due=None
            )
            out.append((new, "closed", {"reason": action.reason}))
        case Transfer() | Return():
            _required(action.reason, "reason")
            if action.unit == issue.unit:
                # a hand-over restarts the deadlines and drops the dispatched deputies:
                # to the same unit it would only dodge the escalation that is due
                raise ParameterError(
                    f"to: issue {issue.issue_id} is already at {action.unit}"
                    f" ({action.unit_name or issue.unit_name}); name another unit",
                    parameter="to",
                    value=action.unit,
                )
            kind = "transferred" if isinstance(action, Transfer) else "returned"
            new = _at_unit(
                issue, now, settings, action.unit, action.level, action.unit_name,
                station_id=action.station_id, township_code=action.township_code,
            )  # fmt: skip
            data = {"from": issue.unit, "to": action.unit, "reason": action.reason}
            out.append((new, kind, data))
        case Escalate():
            new = _at_unit(
                issue, now, settings, action.unit, action.level, action.unit_name,
                station_id=action.station_id, township_code=action.township_code,
            )  # fmt: skip
            new = replace(new, escalations=issue.escalations + 1)
            data = {
                "from": issue.unit,
                "to": action.unit,
                "missed": action.missed,
                "notified": list(action.notified),
            }
            out.append((new, "escalated", data))
        case Overdue():
            if action.missed == "acknowledge":
                new = replace(issue, acknowledge_due=None)
            else:
                new = replace(issue, resolve_due=None)
            data = {"missed": action.missed, "notified": list(action.notified)}
            out.append((new, "overdue", data))
        case SuggestDuplicates():
            data = {
                "issue_ids": list(action.issue_ids),
                "distances_m": [round(d, 1) for d in action.distances_m],
            }
            out.append((issue, "duplicates_suggested", data))
        case Merge():
            if action.into == issue.issue_id:
                raise ParameterError(
                    f"issue {issue.issue_id} cannot be merged into itself",
                    parameter="into",
                    value=action.into,
                )
            new = replace(
                issue, status=S.CLOSED, merged_into=action.into, closed_at=now,
                acknowledge_due=None, resolve_due=None,
            )  # fmt: skip
            out.append((new, "merged", {"into": action.into, "reason": action.reason}))
        case MergedIn():
            data = {"issue_id": action.issue_id, "reason": action.reason}
            out.append((issue, "duplicate_merged", data))
        case Remind():
            out.append(_remind(issue, action, now, settings))
        case RequestExtension() | ApproveExtension() | RefuseExtension():
            out.append(_extension(issue, action, actor, now, settings))
        case HandOff() | PlatformUpdate() | HandOffFailed():
            out.append(_handoff(issue, action))

    events: list[Event] = []
    state, prev = issue, before
    for state, kind, data in out:
        seq = issue.events + len(events) + 1
        # an event names the unit that acted or received: the new unit for hand-overs
        events.append(_event(state, seq, now, kind, actor, prev, state.status, data))
        prev = state.status
    final = replace(state, updated_at=now, events=issue.events + len(events))
    if final.extension_pending and final.status not in _HANDLING:
        final = replace(final, **_NO_EXTENSION)  # resolved or closed: nothing left to extend
    return final, tuple(events)


def _handler_of(issue: Issue) -> list[str]:
    """Who a reminder is for: the responsible person, else the dispatched deputies, else
    the unit (whoever answers for it)."""
    if issue.responsible:
        return [issue.responsible]
    if issue.deputies:
        return list(issue.deputies)
    return [issue.unit]


def _remind(
    issue: Issue, action: Remind, now: datetime, settings: Settings
) -> tuple[Issue, str, dict[str, Any]]:
    # each reminder reaches the handler's phone: a double click must not send two
    gap = timedelta(hours=settings.remind_interval_h)
    if issue.reminded_at is not None and now < issue.reminded_at + gap:
        raise ConflictError(
            f"issue {issue.issue_id} was reminded at "
            f"{issue.reminded_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}; the next reminder "
            f"is possible {settings.remind_interval_h:g} h after it"
        )
    new = replace(issue, reminders=issue.reminders + 1, reminded_at=now)
    data: dict[str, Any] = {"handlers": _handler_of(issue), "note": action.note}
    if issue.resolve_due is not None:
        data["resolve_due"] = issue.resolve_due.isoformat()
    return new, "reminded", data


def _extension(
    issue: Issue,
    action: RequestExtension | ApproveExtension | RefuseExtension,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> tuple[Issue, str, dict[str, Any]]:
    due = issue.resolve_due
    if due is None:
        raise ConflictError(
            f"issue {issue.issue_id} has no resolve deadline at "
            f"{issue.unit_name or issue.unit}: there is nothing to extend"
        )
    if now >= due:
        # the scheduler escalates a passed deadline; moving it afterwards would make the
        # queue, the statistics and the escalation disagree about whether it was missed
        raise ConflictError(
            f"issue {issue.issue_id}: the resolve deadline passed at "
            f"{due.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}; an extension must be asked for "
            "and decided before it"
        )
    if isinstance(action, RequestExtension):
        if issue.extension_pending:
            raise ConflictError(
                f"issue {issue.issue_id} already has a request for "
                f"{issue.extension_hours:g} h more waiting for a decision"
            )
        _required(action.reason, "reason")
        hours = action.hours
        limit = settings.extension_max_h
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not (0 < hours <= limit)
        ):
            raise ParameterError(
                f"hours: an extension is more than 0 and at most {limit:g} hours, got {hours!r}",
                parameter="hours",
                value=hours,
            )
        new = replace(
            issue,
            extension_hours=float(hours),
            extension_reason=action.reason,
            extension_by=actor.subject,
            extension_at=now,
        )
        data = {"hours": float(hours), "reason": action.reason, "resolve_due": due.isoformat()}
        return new, "extension_requested", data
    if not issue.extension_pending:
        raise ConflictError(f"issue {issue.issue_id} has no request for more time to decide")
    asked = {
        "hours": issue.extension_hours,
        "requested_by": issue.extension_by,
        "request_reason": issue.extension_reason,
    }
    if isinstance(action, RefuseExtension):
        _required(action.reason, "reason")
        new = replace(issue, **_NO_EXTENSION)
        return new, "extension_refused", {**asked, "reason": action.reason}
    moved = due + timedelta(hours=issue.extension_hours)
    new = replace(issue, resolve_due=moved, **_NO_EXTENSION)
    data = {**asked, "note": action.note, "due_from": due.isoformat(), "due": moved.isoformat()}
    return new, "extension_approved", data


def _handoff(
    issue: Issue, action: HandOff | PlatformUpdate | HandOffFailed
) -> tuple[Issue, str, dict[str, Any]]:
    if issue.level != "external":
        raise ConflictError(
            f"issue {issue.issue_id} is at {issue.unit_name or issue.unit} ({issue.level}), "
            "not at the external platform: there is no hand-off to record"
        )
    if isinstance(action, HandOff):
        if issue.handoff_id:
            raise ConflictError(
                f"issue {issue.issue_id} is already with the platform as {issue.handoff_id}"
            )
        _required(action.request_id, "request_id")
        new = replace(
            issue,
            handoff_id=action.request_id,
            handoffs=issue.handoffs + 1,
            handoff_status="open",
            handoff_notes="",
            handoff_error="",
        )
        data = {
            "platform": action.platform,
            "request_id": action.request_id,
            "service_code": action.service_code,
        }
        return new, "handed_off", data
    if isinstance(action, HandOffFailed):
        _required(action.error, "error")
        return replace(issue, handoff_error=action.error), "handoff_failed", {"error": action.error}
    if not issue.handoff_id:
        raise ConflictError(f"issue {issue.issue_id} has not been handed off yet")
    new = replace(
        issue,
        handoff_status=action.status,
        handoff_notes=action.notes,
        # 三知 after the hand-off: the agency the platform assigned answers for it
        responsible_name=action.agency or issue.responsible_name,
    )
    data = {
        "request_id": issue.handoff_id,
        "status": action.status,
        "notes": action.notes,
        "agency": action.agency,
    }
    return new, "platform_updated", data


def _rating(value: str) -> Rating:
    try:
        return Rating.parse(value)
    except ParameterError as exc:  # the enum's refusal names the ratings, not the argument
        raise ParameterError(str(exc), parameter="rating", value=value) from exc


def _required(text: str, name: str) -> None:
    if not text or not text.strip():
        raise ParameterError(f"{name} must not be empty", parameter=name, value=text)


class Deadlined(Protocol):
    """What :func:`due_action` reads of an issue: an :class:`Issue`, or a lighter row of
    the same fields (the work queue's :class:`gridgov.store.base.QueueRow`)."""

    @property
    def status(self) -> IssueStatus: ...

    @property
    def acknowledge_due(self) -> datetime | None: ...

    @property
    def resolve_due(self) -> datetime | None: ...

    @property
    def updated_at(self) -> datetime: ...


def due_action(issue: Deadlined, now: datetime, settings: Settings | None = None) -> str | None:
    """Which deadline has passed, if any: ``"acknowledge"``, ``"resolve"`` or ``"rating"``.

    A resolved issue left unrated for ``settings.rating_window_h`` is due for closing.
    """
    settings = settings or Settings()
    if (
        issue.status in (S.ASSIGNED, S.DISPATCHED)
        and issue.acknowledge_due
        and now >= issue.acknowledge_due
    ):
        return "acknowledge"
    if issue.status in _HANDLING and issue.resolve_due and now >= issue.resolve_due:
        return "resolve"
    window = timedelta(hours=settings.rating_window_h)
    if issue.status is S.RESOLVED and now >= issue.updated_at + window:
        return "rating"
    return None


def three_knows(issue: Issue) -> dict[str, str]:
    """三知: the handling unit, the responsible person, and the result (so far)."""
    return {
        "handling_unit": issue.unit_name or issue.unit,
        "responsible": issue.responsible_name or issue.responsible,
        "result": issue.result or issue.status.label_zh,
    }


def utcnow() -> datetime:
    """The real clock (the service's default; tests pass their own)."""
    return datetime.now(UTC)
