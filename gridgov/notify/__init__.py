"""Nobody waits unknowingly: notices of an issue's events to the people who must act.

Every event of an issue's log reaches a transactional outbox in the event's own
transaction (:mod:`gridgov.store.outbox`); the rule table (:mod:`~gridgov.notify.rules`)
says who hears what; the planner (:mod:`~gridgov.notify.planner`) resolves people and
group channels from the county's contacts; the worker (:mod:`~gridgov.notify.worker`)
sends through the channels (:mod:`~gridgov.notify.channels`: SMS gateway, 企业微信 and
钉钉 robots, e-mail, signed webhooks) with retries, backoff and a dead-letter list. The
settings' ``[notify]`` table (:mod:`~gridgov.notify.config`) configures it all.

To queue a notice of an occasion that is not an event, use :func:`queue_notice`; to have
a new event kind heard, give it rules in :data:`gridgov.notify.rules.RULES`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridgov.notify.model import OutboxItem

__all__ = ["queue_notice"]


def queue_notice(
    store: Any,
    issue_id: str,
    kind: str,
    key: str,
    *,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> bool:
    """Queue an occasion to tell people about ``issue_id`` that no event records.

    Events need nothing of this: the outbox trigger queues every one with the event. The
    occasion is planned like an event of ``kind`` (its rules in
    :data:`gridgov.notify.rules.RULES`; ``data`` plays the event's data: ``from``,
    ``missed``, ``deputies``...).

    Parameters
    ----------
    store : Store
        The SQLite or PostGIS issue store.
    issue_id, kind : str
    key : str
        What makes the occasion unique (queued once per key, e.g. the deadline it is about).
    at : datetime
        When it happened (timezone-aware).
    data : dict, optional

    Returns
    -------
    bool
        False when an occasion with this kind and key was queued before.
    """
    from gridgov.store.outbox import outbox_store

    item = OutboxItem(f"{kind}/{issue_id}/{key}", issue_id, None, kind, at, dict(data or {}))
    return outbox_store(store).queue([item]) == 1
