"""Core objects to response bodies, with personal data only for those who may see it."""

from __future__ import annotations

import contextlib

from api.schemas import (
    CandidateOut,
    DeputyRef,
    DispatchOut,
    EventOut,
    ExtensionOut,
    HandoffOut,
    IssueOut,
    IssuePublicOut,
    Reporter,
)
from gridgov._errors import ParameterError
from gridgov.issues.access import Principal, sees_phone, sees_reporter
from gridgov.issues.disclosure import mask_personal
from gridgov.issues.dispatch import Dispatch
from gridgov.issues.lifecycle import Event, Issue, three_knows
from gridgov.issues.service import IssueService
from gridgov.model import DeputyLevel


def deputy_ref(service: IssueService, p: Principal, deputy_id: str) -> DeputyRef:
    row = service.deputies.get(deputy_id)
    if row is None:
        return DeputyRef(deputy_id=deputy_id, name="")
    level = row["level"]
    with contextlib.suppress(ParameterError):  # free text the schema let through: as is
        level = DeputyLevel.parse(level).label_zh
    phone = row["phone"] if row["phone"] and sees_phone(p, row["station_id"], deputy_id) else None
    return DeputyRef(
        deputy_id=deputy_id,
        name=row["name"],
        level=level,
        station_id=row["station_id"],
        phone=phone,
    )


def event_out(e: Event) -> EventOut:
    return EventOut(
        seq=e.seq, at=e.at, kind=e.kind, actor_role=e.actor_role, actor_id=e.actor_id,
        status_from=e.status_from, status_to=e.status_to, unit=e.unit, data=dict(e.data),
    )  # fmt: skip


def issue_out(
    service: IssueService, p: Principal, issue: Issue, events: list[Event] | None = None
) -> IssueOut:
    reporter = None
    if sees_reporter(p, issue) and (issue.reporter_name or issue.reporter_phone):
        reporter = Reporter(name=issue.reporter_name, phone=issue.reporter_phone)
    return IssueOut(
        issue_id=issue.issue_id,
        category=issue.category,
        category_zh=service.settings.issue_categories.get(issue.category, issue.category),
        title=issue.title,
        description=issue.description,
        address=issue.address,
        media_url=issue.media_url,
        lon=issue.lon,
        lat=issue.lat,
        status=issue.status.value,
        status_zh=issue.status.label_zh,
        source=issue.source,
        grid_code=issue.grid_code,
        village_code=issue.village_code,
        township_code=issue.township_code,
        station_id=issue.station_id,
        level=issue.level,
        unit=issue.unit,
        unit_name=issue.unit_name,
        deputies=[deputy_ref(service, p, d) for d in issue.deputies],
        responsible_name=issue.responsible_name,
        result=issue.result,
        rating=issue.rating,
        merged_into=issue.merged_into,
        anonymous=issue.anonymous,
        reporter=reporter,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        acknowledge_due=issue.acknowledge_due,
        resolve_due=issue.resolve_due,
        closed_at=issue.closed_at,
        escalations=issue.escalations,
        reopened=issue.reopened,
        version=issue.version,
        three_knows=three_knows(issue),
        extension=None
        if not issue.extension_pending
        else ExtensionOut(
            hours=issue.extension_hours,
            reason=issue.extension_reason,
            requested_by=issue.extension_by,
            requested_at=issue.extension_at,
        ),
        handoff=None
        if not (issue.handoff_id or issue.handoff_error)
        else HandoffOut(
            request_id=issue.handoff_id,
            status=issue.handoff_status,
            notes=issue.handoff_notes,
            error=issue.handoff_error,
        ),
        events=None if events is None else [event_out(e) for e in events],
    )


def issue_public(service: IssueService, issue: Issue) -> IssuePublicOut:
    """What a tracking token shows: status and 三知, free text masked
    (:func:`~gridgov.issues.disclosure.mask_personal`), nothing personal."""
    knows = {key: mask_personal(value) for key, value in three_knows(issue).items()}
    return IssuePublicOut(
        issue_id=issue.issue_id,
        category_zh=service.settings.issue_categories.get(issue.category, issue.category),
        status=issue.status.value,
        status_zh=issue.status.label_zh,
        unit_name=issue.unit_name,
        three_knows=knows,
        result=mask_personal(issue.result),
        rating=issue.rating,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
    )


def dispatch_out(d: Dispatch | None) -> DispatchOut | None:
    if d is None:
        return None
    return DispatchOut(
        station_id=d.station_id,
        chosen=candidates(d),
        skipped=[{"deputy_id": a, "reason": b} for a, b in d.skipped],
        skipped_more=d.skipped_more,
        elapsed_ms=d.elapsed_ms,
    )


def candidates(d: Dispatch | None) -> list[CandidateOut]:
    if d is None:
        return []
    return [
        CandidateOut(
            deputy_id=c.deputy_id,
            name=c.name,
            level=c.level,
            station_id=c.station_id or "",
            specialty=c.specialty or "",
            pool=c.pool,
            travel_s=round(float(c.travel_s), 1),
            travel_m=round(float(c.travel_m), 1),
            estimated=bool(c.estimated),
            specialty_match=bool(c.specialty_match),
            open_issues=int(c.open_issues),
            reason=c.reason,
        )
        for c in d.chosen
    ]
