"""The records of the notification machinery: what waits in the outbox, what is sent.

An :class:`OutboxItem` is the durable promise that someone will be told: one per event of
an issue's log (written by a trigger in the event's own transaction) or per reminder the
scheduler queued. The planner turns each occasion into :class:`NewNotice` rows, one per
recipient and channel, each with an idempotency key derived from what it is about, so a
receiver that sees a key twice knows it is the same notice again. A :class:`Notice` is
such a row as stored, with its delivery state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gridgov.issues.lifecycle import Event

__all__ = ["STATES", "NewNotice", "Notice", "OutboxItem", "idempotency_key"]

#: A notice is ``pending`` (waiting, or claimed by a worker under a lease), ``sent``, or
#: ``dead`` (failed ``max_attempts`` times or refused for good: staff retry it).
STATES: tuple[str, ...] = ("pending", "sent", "dead")


@dataclass(frozen=True)
class OutboxItem:
    """One occasion to tell someone: ``source`` is ``"<issue_id>/<seq>"`` for an event (then
    ``event`` is it) or a reminder's own key (``"due_soon/<issue_id>/<phase>/<due>"``)."""

    source: str
    issue_id: str
    seq: int | None
    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    event: Event | None = None


@dataclass(frozen=True)
class NewNotice:
    """A notice the planner decided on, before it is stored.

    ``recipient`` says who, as staff read it (``deputy:430623D00001``,
    ``station:430623S0001``, ``resident``); ``address`` how to reach them through
    ``channel`` (a phone number for SMS, empty for a group channel, which knows its own
    destination); ``params`` the template's values (an SMS gateway fills its own
    approved template with them) and ``body`` the text as rendered.
    """

    idem_key: str
    source: str
    issue_id: str
    kind: str
    audience: str
    recipient: str
    channel: str
    address: str
    template: str
    params: Mapping[str, str]
    body: str
    event_at: datetime
    not_before: datetime


@dataclass(frozen=True)
class Notice(NewNotice):
    """A stored notice with its delivery state (see :data:`STATES`)."""

    notice_id: int = 0
    created_at: datetime | None = None
    state: str = "pending"
    attempts: int = 0
    last_error: str = ""
    sent_at: datetime | None = None
    lease_token: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for ``gridgov notify list --json``."""
        return {
            "notice_id": self.notice_id,
            "idempotency_key": self.idem_key,
            "issue_id": self.issue_id,
            "kind": self.kind,
            "audience": self.audience,
            "recipient": self.recipient,
            "channel": self.channel,
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "body": self.body,
            "event_at": self.event_at.isoformat(),
            "not_before": self.not_before.isoformat(),
            "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
        }


def idempotency_key(source: str, recipient: str, channel: str, address: str) -> str:
    """The key of a notice: the same occasion, recipient and channel give the same key
    (a replanned occasion can never make a second notice), and it says nothing about whom
    it concerns (a hash, not the phone number)."""
    digest = hashlib.sha256(f"{source}\x1f{recipient}\x1f{channel}\x1f{address}".encode())
    return "gg-" + digest.hexdigest()[:40]
