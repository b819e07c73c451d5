"""Two tickers acting on one passed deadline (a second worker's scheduler, cron's
``gridgov tick``) escalate it once, not twice."""

from __future__ import annotations

from typing import Any

import pytest


def test_a_stale_due_list_does_not_escalate_twice(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = world.raise_issue("grid_worker", world.places.grid_a)
    issue_id = created["issue"]["issue_id"]
    now = world.advance(24 * 30)  # every deadline of the station level has passed
    service = world.service
    window = now  # resolved issues are not in play here
    stale = service.store.due(now, resolved_before=window)
    assert [i.issue_id for i in stale] == [issue_id]
    first = service.tick(now)
    assert first.escalated == (issue_id,)
    level_after_one = service.store.get_issue(issue_id).level
    # the second ticker read the due list before the first one acted
    monkeypatch.setattr(service.store, "due", lambda *a, **k: stale)
    second = service.tick(now)
    assert second.escalated == () and second.checked == 1
    events = service.store.events(issue_id)
    assert [e.kind for e in events].count("escalated") == 1
    assert service.store.get_issue(issue_id).level == level_after_one
