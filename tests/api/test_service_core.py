"""The service core under the API: two tickers acting on one passed deadline (a second
worker's scheduler, cron's ``gridgov tick``) escalate it once, not twice; text no store
can hold is refused before any store sees it."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov._errors import ValidationError
from gridgov.issues.lifecycle import Actor
from gridgov.issues.service import NewIssue


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


def test_nul_in_any_text_field_is_refused_by_the_core(world: Any) -> None:
    lon, lat = world.point(world.places.grid_a)
    data = NewIssue(
        category="road", description="路面\x00塌陷", title="桥\x00", address="村口\x00",
        lon=lon, lat=lat,
    )  # fmt: skip
    with pytest.raises(ValidationError) as err:
        world.service.raise_issue(data, Actor("county_staff", "x"))
    fields = {p.field for p in err.value.problems}
    assert fields == {"description", "title", "address"}
    assert world.service.store.count() == 0
