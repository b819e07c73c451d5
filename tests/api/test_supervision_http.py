"""催办 and 延期 over the JSON API: who may (404 / 403), the state rules (409), bad bodies
(422), and the moved deadline as the issue, the queue and the scheduler see it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.web.queue import tabs_of


def _issue(world: Any) -> dict[str, Any]:
    return world.raise_issue("grid_worker", world.places.grid_a)["issue"]


def test_remind_is_for_staff_over_issues_they_act_on(world: Any) -> None:
    issue = _issue(world)
    url = f"/issues/{issue['issue_id']}/remind"
    assert world.call("POST", url, "township_staff_other", json={}).status_code == 404
    assert world.call("POST", url, "deputy", json={}).status_code == 403
    assert world.call("POST", url, "planner", json={}).status_code == 403
    r = world.call("POST", url, "township_staff", json={"note": "今天务必到场"})
    assert r.status_code == 200, r.text
    events = world.call("GET", f"/issues/{issue['issue_id']}/events", "county_staff").json()
    last = events[-1]
    assert last["kind"] == "reminded" and last["actor_role"] == "township_staff"
    assert last["data"]["note"] == "今天务必到场"
    assert last["data"]["handlers"] == [d["deputy_id"] for d in issue["deputies"]]
    # a second press within the hour is refused, whoever presses
    again = world.call("POST", url, "station_admin", json={})
    assert again.status_code == 409 and "next reminder" in again.text
    world.advance(1)
    assert world.call("POST", url, "station_admin").status_code == 200  # body optional


def test_extension_asked_by_the_handler_and_approved_above(world: Any) -> None:
    issue = _issue(world)
    iid = issue["issue_id"]
    due = datetime.fromisoformat(issue["resolve_due"])
    deputy = world.token("deputy", issue["deputies"][0]["deputy_id"])
    as_deputy = {"Authorization": f"Bearer {deputy}"}
    taken = world.call("POST", f"/issues/{iid}/acknowledge", None, headers=as_deputy).json()
    r = world.call(
        "POST", f"/issues/{iid}/extension", None, headers=as_deputy,
        json={"hours": 48, "reason": "等待交通局派工", "version": taken["version"]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["extension"]["hours"] == 48 and body["extension"]["reason"] == "等待交通局派工"
    assert datetime.fromisoformat(body["resolve_due"]) == due  # not moved until approved
    # a second request while one waits: 409
    dup = world.call(
        "POST", f"/issues/{iid}/extension", None, headers=as_deputy,
        json={"hours": 12, "reason": "再加"},
    )  # fmt: skip
    assert dup.status_code == 409 and "already has a request" in dup.text
    # the station does not decide its own request; another township does not see it
    approve = f"/issues/{iid}/extension/approve"
    assert world.call("POST", approve, "station_admin").status_code == 403
    assert world.call("POST", approve, "township_staff_other").status_code == 404
    stale = world.call("POST", approve, "township_staff", headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    r = world.call("POST", approve, "township_staff", json={"note": "同意"})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["extension"] is None
    assert datetime.fromisoformat(after["resolve_due"]) == due + timedelta(hours=48)
    # nothing left to decide
    assert world.call("POST", approve, "township_staff").status_code == 409
    # the queue and the scheduler read the moved deadline
    world.clock[0] = due + timedelta(hours=1)
    stored = world.service.store.get_issue(iid)
    assert "overdue" not in tabs_of(stored, world.clock[0], world.service.settings)
    assert iid not in world.service.tick().escalated
    world.clock[0] = due + timedelta(hours=48)
    assert "overdue" in tabs_of(stored, world.clock[0], world.service.settings)
    assert iid in world.service.tick().escalated


def test_refusal_keeps_the_deadline(world: Any) -> None:
    issue = _issue(world)
    iid = issue["issue_id"]
    r = world.call(
        "POST", f"/issues/{iid}/extension", "station_admin", json={"hours": 24, "reason": "雨天"}
    )
    assert r.status_code == 200, r.text
    refuse = f"/issues/{iid}/extension/refuse"
    assert world.call("POST", refuse, "county_staff", json={}).status_code == 422  # no reason
    r = world.call("POST", refuse, "county_staff", json={"reason": "可先行处置"})
    assert r.status_code == 200, r.text
    assert r.json()["resolve_due"] == issue["resolve_due"] and r.json()["extension"] is None
    last = world.call("GET", f"/issues/{iid}/events", "county_staff").json()[-1]
    assert last["kind"] == "extension_refused" and last["data"]["reason"] == "可先行处置"


def test_bad_extension_bodies_name_the_field(world: Any) -> None:
    iid = _issue(world)["issue_id"]
    url = f"/issues/{iid}/extension"
    for body in ({"hours": 0, "reason": "零"}, {"hours": -5, "reason": "负"}, {"reason": "无"}):
        r = world.call("POST", url, "station_admin", json=body)
        assert r.status_code == 422 and "hours" in r.text, (body, r.text)
    r = world.call("POST", url, "station_admin", json={"hours": 800, "reason": "太久"})
    assert r.status_code == 422 and "at most 720 hours" in r.text
    assert (
        world.call("POST", url, "grid_worker", json={"hours": 5, "reason": "x"}).status_code == 403
    )
