"""The staff desktop in a real browser (the system Chromium, network cut off): township staff
log in at desktop size, find an overdue issue under 已超期 and escalate it; county staff on
a phone transfer it on; user text never runs; screenshots of every staff page."""

from __future__ import annotations

from typing import Any

from _web import Served, screenshot
from test_auth import PASSWORD, staff_accounts
from test_staff import overdue_issue


def _log_in(page: Any, server: Served, who: str, start: str = "/work") -> None:
    page.goto(server.url(start))
    assert "/login" in page.url  # sent to log in first, then back
    page.fill("#who", who)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def test_township_staff_find_an_overdue_issue_and_escalate_it(server: Served, page_at: Any) -> None:
    world = server.world
    staff_accounts(world)
    issue_id = overdue_issue(world)
    page = page_at("desktop")
    page.goto(server.url("/login"))
    screenshot(page, "staff-login-desktop")
    _log_in(page, server, "township-staff")
    assert page.url.endswith("/work")
    assert "工单工作台" in page.inner_text("h1")
    page.click("#tab-overdue")
    assert page.inner_text("#tab-overdue .count") == "1"
    link = page.locator(f"a[href='/work/issues/{issue_id}']")
    assert link.count() == 1
    screenshot(page, "staff-queue-overdue-desktop")
    link.click()
    page.wait_for_load_state()
    body = page.inner_text("body")
    assert "三知" in body and "流转记录" in body and "超时逐级上报" in body
    assert "2026-11-23 09:00" in page.inner_text("#timeline")  # Beijing time
    screenshot(page, "staff-issue-desktop")
    page.fill("#form-escalate input[name=reason]", "需县交通局协调")
    page.click("#form-escalate button[type=submit]")
    page.wait_for_load_state()
    assert "已上报上级" in page.inner_text("#done")
    assert "需县交通局协调" in page.inner_text("#timeline")
    assert world.service.store.get_issue(issue_id).level == "county"
    screenshot(page, "staff-issue-escalated-desktop")


def test_county_staff_on_a_phone_transfer_an_issue(server: Served, page_at: Any) -> None:
    world = server.world
    staff_accounts(world)
    issue_id = overdue_issue(world)
    page = page_at("phone")
    _log_in(page, server, "county-staff", start=f"/work/issues/{issue_id}")
    assert page.url.endswith(f"/work/issues/{issue_id}")
    screenshot(page, "staff-issue-phone")
    target = f"station:{world.places.station_c}"
    page.select_option("#form-transfer select[name=to]", target)
    page.fill("#form-transfer input[name=reason]", "属本站辖区")
    page.click("#form-transfer button[type=submit]")
    page.wait_for_load_state()
    assert "已转办" in page.inner_text("#done")
    assert world.service.store.get_issue(issue_id).unit == target
    page.goto(server.url("/work?tab=pending"))
    assert page.locator(f"a[href='/work/issues/{issue_id}']").count() == 1
    # the page fits the phone: nothing wider than the screen but the scrolling table
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1
    screenshot(page, "staff-queue-phone")
    page.goto(server.url("/login"))  # logged in: sent home
    assert page.url.endswith("/work")


def test_a_script_in_a_description_is_shown_and_never_runs(server: Served, page_at: Any) -> None:
    world = server.world
    staff_accounts(world)
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    issue_id = world.raise_issue("grid_worker", world.places.grid_a, description=evil)["issue"][
        "issue_id"
    ]
    page = page_at("desktop")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _log_in(page, server, "county-staff", start=f"/work/issues/{issue_id}")
    assert page.inner_text("#description") == evil
    page.goto(server.url(f"/work?q={issue_id}"))
    assert page.evaluate("window.__pwned === undefined")
    assert not dialogs


def test_account_page_and_change_password_form(server: Served, page_at: Any) -> None:
    staff_accounts(server.world)
    for size in ("phone", "desktop"):
        page = page_at(size)
        _log_in(page, server, "grid-worker", start="/account")
        assert page.url.endswith("/account")
        body = page.inner_text("body")
        assert "我的账号" in body and "网格员" in body and "修改密码" in body
        screenshot(page, f"staff-account-{size}")
    page = page_at("phone")
    page.goto(server.url("/login"))
    screenshot(page, "staff-login-phone")
