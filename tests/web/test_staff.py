"""The staff desktop over plain HTTP: the work queue's tabs, filters and scope; the issue
page's 三知, timeline and actions, each posted with CSRF and refused in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_auth import PASSWORD, csrf_of, login, staff_accounts

from gridgov.model import IssueStatus


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world with an account per role, used over its test client."""
    staff_accounts(server.world)
    return server.world


def overdue_issue(world: Any, **fields: Any) -> str:
    """An issue of grid A that missed its station's deadline: the scheduler escalated it
    to the township."""
    issue_id = str(
        world.raise_issue("grid_worker", world.places.grid_a, **fields)["issue"]["issue_id"]
    )
    world.advance(5)  # a road issue: 4 h to take at the station
    report = world.service.tick()
    assert issue_id in report.escalated
    return issue_id


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'href="/work/issues/([^"?]+)"', html))


def count_of(html: str, tab: str) -> int:
    found = re.search(rf'id="tab-{tab}"[^>]*>[^<]*<span class="count">(\d+)</span>', html)
    assert found, f"no tab {tab}"
    return int(found.group(1))


def test_an_overdue_issue_is_under_overdue_and_escalated_for_its_township(world: Any) -> None:
    issue_id = overdue_issue(world)
    fresh = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    login(world.client, "township-staff")
    page = world.client.get("/work?tab=overdue")
    assert page.status_code == 200
    assert ids_in(page.text) == {issue_id}
    assert count_of(page.text, "overdue") == 1 and count_of(page.text, "escalated") == 1
    assert count_of(page.text, "pending") == 2  # neither taken yet
    assert fresh in ids_in(world.client.get("/work?tab=pending").text)
    assert fresh not in ids_in(world.client.get("/work?tab=escalated").text)


def test_a_station_sees_what_it_reported_up(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "station-admin")
    assert issue_id in ids_in(world.client.get("/work?tab=escalated").text)


def test_due_soon_in_the_last_quarter_before_the_deadline(world: Any) -> None:
    issue_id = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    login(world.client, "county-staff")
    assert issue_id not in ids_in(world.client.get("/work?tab=due_soon").text)
    world.advance(3.5)  # 4 h to take it at the station: the last hour warns
    assert issue_id in ids_in(world.client.get("/work?tab=due_soon").text)
    world.advance(1)  # passed, before the scheduler ran: overdue already
    page = world.client.get("/work?tab=overdue").text
    assert issue_id in ids_in(page) and count_of(page, "due_soon") == 0


def test_handling_and_to_rate_follow_the_issue(world: Any) -> None:
    issue_id = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    issue = world.service.store.get_issue(issue_id)
    deputy = issue.deputies[0]
    token = world.token("deputy", deputy)
    auth = {"Authorization": f"Bearer {token}"}
    world.call("POST", f"/issues/{issue_id}/acknowledge", headers=auth, json={})
    login(world.client, "station-admin")
    assert issue_id in ids_in(world.client.get("/work?tab=handling").text)
    world.call("POST", f"/issues/{issue_id}/resolve", headers=auth, json={"result": "已修复"})
    page = world.client.get("/work?tab=to_rate").text
    assert issue_id in ids_in(page) and count_of(page, "handling") == 0


def test_filters_and_search(world: Any) -> None:
    road = str(
        world.raise_issue("grid_worker", world.places.grid_a, description="桥头路灯不亮")["issue"][
            "issue_id"
        ]
    )
    water = str(
        world.raise_issue(
            "grid_worker", world.places.grid_a, category="water", description="渠道堵塞"
        )["issue"]["issue_id"]
    )
    login(world.client, "county-staff")
    get = world.client.get
    assert ids_in(get("/work?category=water").text) == {water}
    assert ids_in(get("/work?q=路灯").text) == {road}
    assert ids_in(get(f"/work?q={water[-6:]}").text) == {water}
    assert ids_in(get(f"/work?grid={world.places.grid_a}").text) == {road, water}
    assert ids_in(get(f"/work?grid={world.places.grid_b}").text) == set()
    assert ids_in(get(f"/work?station={world.places.station_b}").text) == set()
    assert ids_in(get(f"/work?township={world.places.township_a}").text) == {road, water}
    assert ids_in(get("/work?from=2026-11-23&to=2026-11-23").text) == {road, water}
    assert ids_in(get("/work?from=2026-11-24").text) == set()
    bad = get("/work?from=yesterday")
    assert bad.status_code == 200 and "已忽略" in bad.text


def test_pages_of_thirty(world: Any) -> None:
    for _ in range(31):
        world.raise_issue("grid_worker", world.places.grid_a)
    login(world.client, "county-staff")
    first = world.client.get("/work").text
    assert len(ids_in(first)) == 30 and "第 1 / 2 页" in first
    second = world.client.get("/work?page=2").text
    assert len(ids_in(second)) == 1 and not ids_in(first) & ids_in(second)


@pytest.mark.parametrize(
    ("who", "status"),
    [("grid-worker", 403), ("deputy", 403), ("planner", 403), (None, 303)],
)
def test_only_staff_use_the_queue(world: Any, who: str | None, status: int) -> None:
    issue_id = overdue_issue(world)
    if who is not None:
        login(world.client, who)
    for path in ("/work", f"/work/issues/{issue_id}"):
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code == status, path
        if status == 303:
            assert r.headers["location"].startswith("/login")
        else:
            assert "您的角色不能使用此页面" in r.text


def test_another_township_cannot_see_or_act_on_the_issue(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff-other")
    assert issue_id not in ids_in(world.client.get("/work?tab=overdue").text)
    r = world.client.get(f"/work/issues/{issue_id}")
    assert r.status_code == 404 and "不在您的管辖范围内" in r.text
    csrf = csrf_of(world.client.get("/work").text)
    r = world.client.post(f"/work/issues/{issue_id}/close", data={"csrf": csrf, "reason": "x"})
    assert r.status_code == 404
    assert world.service.store.get_issue(issue_id).is_open


def test_the_issue_page_shows_three_knows_and_the_timeline_in_china_time(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    page = world.client.get(f"/work/issues/{issue_id}").text
    assert "三知" in page and "承办单位" in page and "尚未签收" in page
    assert "流转记录" in page and "超时逐级上报" in page and "吹哨（受理）" in page
    # raised at 01:00 UTC, shown at 09:00 Beijing time; escalated five hours later
    assert "2026-11-23 09:00" in page and "2026-11-23 14:00" in page
    for form in ("acknowledge", "escalate", "transfer", "close"):
        assert f'id="form-{form}"' in page
    assert "上报至：" in page


def test_escalate_by_hand_with_a_reason(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    page = world.client.get(f"/work/issues/{issue_id}").text
    form = {"csrf": csrf_of(page), "reason": "涉及县交通局职责，请县级协调"}
    r = world.client.post(f"/work/issues/{issue_id}/escalate", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    issue = world.service.store.get_issue(issue_id)
    assert issue.level == "county"
    events = world.service.store.events(issue_id)
    assert events[-1].actor_role == "township_staff" and events[-1].data["reason"] == form["reason"]
    shown = world.client.get(r.headers["location"]).text
    assert "已上报上级" in shown and form["reason"] in shown


def test_transfer_to_another_station(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    csrf = csrf_of(world.client.get(f"/work/issues/{issue_id}").text)
    target = f"station:{world.places.station_c}"
    form = {"csrf": csrf, "to": target, "reason": "属丙站辖区"}
    r = world.client.post(f"/work/issues/{issue_id}/transfer", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    issue = world.service.store.get_issue(issue_id)
    assert issue.unit == target and issue.status is IssueStatus.DISPATCHED


def test_refusals_are_shown_in_chinese_on_the_page(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    page = world.client.get(f"/work/issues/{issue_id}").text
    csrf = csrf_of(page)
    post = world.client.post
    r = post(f"/work/issues/{issue_id}/escalate", data={"csrf": csrf, "reason": ""})
    assert r.status_code == 400 and "请填写理由" in r.text and "<html" in r.text
    r = post(f"/work/issues/{issue_id}/transfer", data={"csrf": csrf, "to": "", "reason": "x"})
    assert r.status_code == 400 and "请选择接收单位" in r.text
    r = post(f"/work/issues/{issue_id}/start", data={"csrf": csrf})
    assert r.status_code == 409 and "状态不允许" in r.text
    stale = {"csrf": csrf, "reason": "重复", "version": "1"}
    r = post(f"/work/issues/{issue_id}/close", data=stale)
    assert r.status_code == 409 and "他人处理" in r.text
    r = post(f"/work/issues/{issue_id}/merge", data={"csrf": csrf, "into": "nope"})
    assert r.status_code == 400 and "合并目标无效" in r.text
    assert world.service.store.get_issue(issue_id).level == "township"


def test_a_station_admin_may_not_close(world: Any) -> None:
    issue_id = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    login(world.client, "station-admin")
    page = world.client.get(f"/work/issues/{issue_id}").text
    assert 'id="form-close"' not in page and 'id="form-transfer"' in page
    r = world.client.post(
        f"/work/issues/{issue_id}/close", data={"csrf": csrf_of(page), "reason": "x"}
    )
    assert r.status_code == 403 and "不能进行此操作" in r.text


def test_every_action_needs_the_csrf_token(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    for data in ({"reason": "x"}, {"reason": "x", "csrf": "forged"}):
        r = world.client.post(f"/work/issues/{issue_id}/escalate", data=data)
        assert r.status_code == 403 and "表单已失效" in r.text
    # another person's token does not do either
    other = world.client.__class__(world.client.app)
    login(other, "county-staff")
    theirs = csrf_of(other.get("/work").text)
    r = world.client.post(f"/work/issues/{issue_id}/escalate", data={"reason": "x", "csrf": theirs})
    assert r.status_code == 403
    assert world.service.store.get_issue(issue_id).level == "township"


def test_user_text_is_escaped(world: Any) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    issue_id = str(
        world.raise_issue(
            "grid_worker", world.places.grid_a, description=evil, title="<b>标题</b>"
        )["issue"]["issue_id"]
    )
    login(world.client, "county-staff")
    for path in ("/work", f"/work/issues/{issue_id}"):
        html = world.client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>标题" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
        in world.client.get(f"/work/issues/{issue_id}").text
    )


def test_pages_carry_the_security_headers(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "county-staff")
    for path in ("/work", f"/work/issues/{issue_id}", "/account", "/work/issues/none"):
        r = world.client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "unsafe-inline" not in csp


def test_the_password_is_never_in_a_page(world: Any) -> None:
    login(world.client, "county-staff")
    for path in ("/work", "/account"):
        assert PASSWORD not in world.client.get(path).text


def test_counts_read_by_the_store_equal_those_of_a_search_matching_all(world: Any) -> None:
    """The queue counts its tabs two ways (the store's counts and the few issues that can
    be late, or every issue read and matched); a search for "2026" matches every id, so
    both must agree, tab by tab, and list the same issues."""
    overdue_issue(world)  # escalated: overdue, escalated, pending
    late = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    world.advance(3.5)  # due soon
    world.raise_issue("county_staff", world.places.grid_a2)
    done = str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])
    deputy = world.service.store.get_issue(done).deputies[0]
    auth = {"Authorization": f"Bearer {world.token('deputy', deputy)}"}
    world.call("POST", f"/issues/{done}/acknowledge", headers=auth, json={})
    world.call("POST", f"/issues/{done}/resolve", headers=auth, json={"result": "已修"})
    world.advance(1)  # `late` passed its deadline, not yet ticked
    login(world.client, "county-staff")
    seen: dict[str, int] = {}
    for tab in ("pending", "handling", "due_soon", "overdue", "escalated", "to_rate"):
        counted = world.client.get(f"/work?tab={tab}").text
        searched = world.client.get(f"/work?tab={tab}&q=2026").text
        assert count_of(counted, tab) == count_of(searched, tab), tab
        assert ids_in(counted) == ids_in(searched), tab
        seen[tab] = count_of(counted, tab)
    assert late in ids_in(world.client.get("/work?tab=overdue").text)
    assert seen["overdue"] == 2 and seen["to_rate"] == 1 and seen["escalated"] == 1


def test_the_staff_pages_in_english(world: Any) -> None:
    issue_id = overdue_issue(world)
    login(world.client, "township-staff")
    queue = world.client.get("/work?lang=en&tab=overdue").text
    assert "Work queue" in queue and "Overdue" in queue and "工单工作台" not in queue
    page = world.client.get(f"/work/issues/{issue_id}").text  # the cookie keeps English
    assert "Timeline" in page and "Escalated (deadline missed)" in page and "流转记录" not in page
