"""The tabs of the staff work queue, as a 12345 work-order console has them.

=========== ========== =====================================================================
tab         label      an issue is in it when
=========== ========== =====================================================================
pending     待签收     open and nobody has taken it at its unit yet (assigned, dispatched)
handling    办理中     acknowledged or in progress
due_soon    即将超期   open, no deadline missed, and its next deadline falls in the last
                       quarter of the time allowed for it (at most :data:`DUE_SOON_H` hours)
overdue     已超期     open and a deadline was missed: one has passed now (the scheduler has
                       not acted yet), or, above the station, the issue came there by an
                       escalation for a missed deadline or was recorded overdue there (the
                       events the statistics count against 按期办结); an issue handed back
                       down to a station starts there afresh
escalated   已上报     open and handled above the station (township, county, external)
to_rate     待评价     resolved, waiting for the resident's rating
=========== ========== =====================================================================

A tab is a view of the issue's state under the lifecycle's own deadlines
(:func:`gridgov.issues.lifecycle.due_action`) and the settings' deadline hours; an issue may
be in several tabs (an escalated issue may also be overdue).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from gridgov.issues.lifecycle import OPEN_STATUSES, Deadlined, Event, due_action
from gridgov.model import IssueStatus
from gridgov.settings import Settings

__all__ = [
    "ABOVE_STATION",
    "DUE_SOON_H",
    "HANDLING_STATUSES",
    "PENDING_STATUSES",
    "QUEUE_STATUSES",
    "TABS",
    "Queued",
    "next_deadline",
    "tabs_of",
]

#: The tabs in the order the console shows them.
TABS: tuple[str, ...] = ("pending", "handling", "due_soon", "overdue", "escalated", "to_rate")
#: The longest warning before a deadline (a fifteen-day county deadline warns a day ahead).
DUE_SOON_H = 24.0

S = IssueStatus
#: Statuses of 待签收 (nobody has taken the issue at its unit yet).
PENDING_STATUSES = frozenset({S.RAISED, S.LOCATED, S.ASSIGNED, S.DISPATCHED})
#: Statuses of 办理中.
HANDLING_STATUSES = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS})
#: Levels of 已上报: above the station.
ABOVE_STATION = frozenset({"township", "county", "external"})
#: Events that record a missed deadline (the statistics count the same against 按期办结).
MISSED_KINDS = frozenset({"escalated", "overdue"})


class Queued(Deadlined, Protocol):
    """What the tabs read of an issue: an :class:`~gridgov.issues.lifecycle.Issue`, or
    the store's :class:`~gridgov.store.base.QueueRow` (a county's open issues classified
    without decoding their documents)."""

    @property
    def issue_id(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def escalations(self) -> int: ...

    @property
    def is_open(self) -> bool: ...


def next_deadline(issue: Queued) -> tuple[str, datetime] | None:
    """The deadline the issue is working against now: ``("acknowledge", due)`` until
    someone takes it, then ``("resolve", due)``; None when it has none (closed, or at a
    level without one)."""
    if not issue.is_open:
        return None
    if issue.status in PENDING_STATUSES and issue.acknowledge_due is not None:
        return "acknowledge", issue.acknowledge_due
    if issue.resolve_due is not None:
        return "resolve", issue.resolve_due
    return None


def _due_soon(issue: Queued, now: datetime, settings: Settings) -> bool:
    found = next_deadline(issue)
    if found is None:
        return False
    phase, due = found
    allowed_h = settings.deadline_h(issue.level, issue.category, phase) or DUE_SOON_H
    warn = timedelta(hours=min(DUE_SOON_H, allowed_h / 4))
    return now < due <= now + warn


def tabs_of(
    issue: Queued,
    now: datetime,
    settings: Settings,
    events: Sequence[Event] | None = None,
) -> frozenset[str]:
    """The tabs ``issue`` shows under at ``now``.

    Parameters
    ----------
    issue : Issue
    now : datetime
    settings : Settings
        The deadlines (hours allowed per level, category and phase).
    events : sequence of Event, optional
        The issue's log; needed only to see an ``overdue`` record of an issue that was
        never escalated (one at the top level). Without it, only passed deadlines and
        escalations count.
    """
    tabs: set[str] = set()
    if issue.status is S.RESOLVED:
        tabs.add("to_rate")
    if not issue.is_open:
        return frozenset(tabs)
    if issue.status in PENDING_STATUSES:
        tabs.add("pending")
    elif issue.status in HANDLING_STATUSES:
        tabs.add("handling")
    if issue.level in ABOVE_STATION:
        tabs.add("escalated")
    missed = due_action(issue, now, settings) in ("acknowledge", "resolve") or (
        issue.level in ABOVE_STATION
        and (issue.escalations > 0 or any(e.kind in MISSED_KINDS for e in events or ()))
    )
    if missed:
        tabs.add("overdue")
    elif _due_soon(issue, now, settings):
        tabs.add("due_soon")
    return frozenset(tabs)


#: Statuses the queue reads (open ones and those waiting for a rating).
QUEUE_STATUSES: tuple[str, ...] = tuple(
    sorted({s.value for s in OPEN_STATUSES} | {S.RESOLVED.value})
)
