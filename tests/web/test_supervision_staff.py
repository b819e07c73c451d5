"""催办 and 延期 on the staff issue page: the forms each role may use, posted with CSRF,
and what the page then shows (the words, the pending request, the moved deadline)."""

from __future__ import annotations

from typing import Any

import pytest
from test_auth import csrf_of, login, staff_accounts


@pytest.fixture
def world(server: Any) -> Any:
    staff_accounts(server.world)
    return server.world


def _issue(world: Any) -> str:
    return str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])


def test_the_township_reminds_the_station_deputies(world: Any) -> None:
    issue_id = _issue(world)
    login(world.client, "township-staff")
    page = world.client.get(f"/work/issues/{issue_id}").text
    assert 'id="form-remind"' in page and "1 小时内只催办一次" in page
    # nothing to decide yet, and time is asked for by the station, not its township
    assert 'id="form-approve_extension"' not in page
    assert 'id="form-request_extension"' not in page
    form = {"csrf": csrf_of(page), "note": "请今天到现场"}
    r = world.client.post(f"/work/issues/{issue_id}/remind", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = world.client.get(r.headers["location"]).text
    assert "已催办。" in shown
    names = [
        world.service.deputies[d]["name"] for d in world.service.store.get_issue(issue_id).deputies
    ]
    timeline = shown.split('id="timeline"')[1]
    assert "催办" in timeline and "请今天到现场" in timeline and names[0] in timeline
    # pressed again at once: refused on the page, in Chinese, nothing recorded
    again = world.client.post(f"/work/issues/{issue_id}/remind", data={"csrf": form["csrf"]})
    assert again.status_code == 409 and 'id="error"' in again.text
    kinds = [e.kind for e in world.service.store.events(issue_id)]
    assert kinds.count("reminded") == 1


def test_the_station_asks_for_time_and_the_township_approves(world: Any) -> None:
    issue_id = _issue(world)
    before = world.service.store.get_issue(issue_id).resolve_due
    login(world.client, "station-admin")
    page = world.client.get(f"/work/issues/{issue_id}").text
    assert 'id="form-request_extension"' in page and "申请延期" in page
    data = {"csrf": csrf_of(page), "hours": "48", "reason": "等交通局派工"}
    r = world.client.post(f"/work/issues/{issue_id}/request_extension", data=data)
    assert r.status_code == 200 and "已提交延期申请" in r.text  # followed the redirect
    assert "待审批的延期申请：延长 48 小时，理由：等交通局派工" in r.text
    assert 'id="form-request_extension"' not in r.text  # one request at a time
    assert 'id="form-approve_extension"' not in r.text  # not decided by the station itself

    township = world.client.__class__(world.client.app)  # a second person, own session
    login(township, "township-staff")
    page = township.get(f"/work/issues/{issue_id}").text
    assert 'id="form-approve_extension"' in page and 'id="form-refuse_extension"' in page
    r = township.post(
        f"/work/issues/{issue_id}/approve_extension", data={"csrf": csrf_of(page), "note": "同意"}
    )
    assert r.status_code == 200 and "已批准延期，办结时限已顺延。" in r.text
    after = world.service.store.get_issue(issue_id).resolve_due
    assert (after - before).total_seconds() == 48 * 3600
    # old and new deadline in the timeline, in China time
    from gridgov.model import CHINA_TIME

    timeline = r.text.split('id="timeline"')[1]
    assert "批准延期" in timeline and "新办结时限" in timeline
    assert after.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") in timeline
    assert before.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") in timeline


def test_a_bad_number_of_hours_is_refused_on_the_page(world: Any) -> None:
    issue_id = _issue(world)
    login(world.client, "station-admin")
    csrf = csrf_of(world.client.get(f"/work/issues/{issue_id}").text)
    for hours in ("", "abc", "-3"):
        r = world.client.post(
            f"/work/issues/{issue_id}/request_extension",
            data={"csrf": csrf, "hours": hours, "reason": "x"},
        )
        assert r.status_code == 400 and 'id="error"' in r.text, hours
    assert not world.service.store.get_issue(issue_id).extension_pending
