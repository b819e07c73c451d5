"""The whole loop of 网格吹哨、代表报到 in a real browser, as the people who run it would go
through it one morning (the system Chromium, network cut off except the service).

One test, one story, each person in their own browser context and window size:

1. a grid worker logs in on a phone, locates the problem with the phone's GPS (mocked by
   Playwright's geolocation), adds a camera photo and double-taps 发送: one issue, with the
   place and the photo;
2. the same worker writes a second issue as the connection drops: the send fails, the
   phone's browser is closed, and when it opens again online the draft (words, place and
   photo) is still there and goes by itself, filed once;
3. the deputy dispatched to the first issue logs in on a phone, finds it under 待报到,
   reports for duty (报到), starts and resolves it with a note;
4. a resident scans the station's QR code, double-taps 提交 (one issue), follows it on the
   tracking page in Beijing time and, once resolved, rates it 满意;
5. the second issue's deadline passes (the service's clock moved, the scheduler's tick
   run): township staff at a desktop find it under 已超期 and in red on the live map.

Screenshots of every step go to ``tests-artifacts/journey-*.png``. The parts each have
their own detailed test (test_field_browser.py, test_public_pages.py, test_staff_browser.py,
test_board_browser.py); this one proves they join up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _web import Served, screenshot
from test_auth import PASSWORD, make_account, staff_accounts
from test_field_browser import camera_jpeg

#: The one console error a phone that lost its connection may show (the failed fetch).
OFFLINE = "ERR_INTERNET_DISCONNECTED"
DRAFT_KEY = "gridgov.field.draft.grid-worker"
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1920, "height": 1080}}


class Watched:
    """Browser contexts whose pages fail the test on a console error, an uncaught script
    error or a request leaving 127.0.0.1; a context may name console errors it expects
    (the failed fetches of a phone that is offline on purpose)."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def context(self, size: str, *, expect: tuple[str, ...] = (), **options: Any) -> Any:
        ctx = self.browser.new_context(viewport=SIZES[size], locale="zh-CN", **options)
        ctx.gridgov_expect = expect
        self.contexts.append(ctx)
        return ctx

    def page(self, ctx: Any) -> Any:
        page = ctx.new_page()
        expect: tuple[str, ...] = ctx.gridgov_expect

        def console(message: Any) -> None:
            if message.type == "error" and not any(e in message.text for e in expect):
                self.errors.append(f"console error: {message.text}")

        def outside(route: Any) -> None:
            self.errors.append(f"request left the service: {route.request.url}")
            route.abort()

        page.on("console", console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

        def dialog(d: Any) -> None:  # a dialog nobody asked for: user text that ran
            self.errors.append(f"dialog: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        page.route(lambda url: not url.startswith("http://127.0.0.1"), outside)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    try:
        yield w
    finally:
        w.close()
    assert not w.errors, "\n".join(w.errors)


def _log_in(page: Any, server: Served, who: str) -> None:
    """From the home page, sent to log in, then to the person's own home."""
    page.goto(server.url("/"))
    assert "/login" in page.url
    page.fill("#who", who)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def _issue_of(page: Any, prefix: str) -> str:
    found = re.search(rf"{re.escape(prefix)}([^/?]+)", page.url)
    assert found, page.url
    return found.group(1)


def _step(n: int, name: str) -> Callable[[Any], Path]:
    return lambda page: screenshot(page, f"journey-{n:02d}-{name}")


@pytest.mark.slow  # over 20 s: a whole morning of the loop in a browser
def test_a_morning_of_the_loop_from_whistle_to_rating(
    server: Served, watched: Watched, tmp_path: Path
) -> None:
    world = server.world
    store = world.service.store
    p = world.places
    staff_accounts(world)
    lon, lat = world.point(p.grid_a)
    photo = camera_jpeg(tmp_path / "camera.jpg")

    # --- 1. the grid worker blows the whistle ------------------------------------------
    worker = watched.context(
        "phone",
        expect=(OFFLINE,),
        geolocation={"longitude": lon, "latitude": lat + 0.0002, "accuracy": 6},
        permissions=["geolocation"],
    )
    page = watched.page(worker)
    _log_in(page, server, "grid-worker")
    assert page.url.endswith("/field/raise")
    page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
    page.click("#locate")
    page.wait_for_selector("#place-status.ok")
    assert "精度约 6 米" in page.inner_text("#place-status")
    page.select_option("#category", "road")
    page.fill("#description", "团华村村道路面塌陷约两米，车辆无法通行")
    page.set_input_files("#photos", str(photo))
    page.wait_for_selector("#previews img")
    _step(1, "worker-raise-phone")(page)
    page.dblclick("#send")  # a double tap on 发送
    page.wait_for_url(re.compile(r"/field/issues/[^/?]+\?done=raised"))
    first = _issue_of(page, "/field/issues/")
    assert store.count() == 1, "a double tap filed more than one issue"
    issue = store.get_issue(first)
    assert issue.grid_code == p.grid_a and issue.category == "road"
    assert abs(issue.lat - (lat + 0.0002)) < 1e-5 and abs(issue.lon - lon) < 1e-5
    assert "已上报" in page.inner_text("#done")
    assert page.eval_on_selector(".photos img", "i => i.complete && i.naturalWidth") == 1600
    _step(2, "worker-raised-phone")(page)

    # --- 2. the second issue, through a dropped connection -----------------------------
    page.goto(server.url("/field/raise"))
    page.click("#locate")
    page.wait_for_selector("#place-status.ok")
    page.select_option("#category", "road")
    page.wait_for_selector(f"#nearby-list a[data-issue='{first}']")  # the first, offered
    page.fill("#description", "桥头护栏断裂，夜间危险")
    page.set_input_files("#photos", str(photo))
    page.wait_for_selector("#previews img")
    worker.set_offline(True)
    page.click("#send")
    page.wait_for_selector("#result.error")
    assert "网络中断" in page.inner_text("#result")
    assert store.count() == 1
    _step(3, "worker-offline-phone")(page)
    draft = page.evaluate(f"() => JSON.parse(localStorage.getItem('{DRAFT_KEY}'))")
    assert draft["attempted"] and draft["description"] == "桥头护栏断裂，夜间危险"
    page.close()  # the phone's browser is closed while still offline ...
    worker.set_offline(False)
    page = watched.page(worker)  # ... and opened again once the signal is back
    page.goto(server.url("/field/raise"))
    page.wait_for_url(re.compile(r"/field/issues/[^/?]+\?done=raised"))  # sent by itself
    second = _issue_of(page, "/field/issues/")
    assert store.count() == 2 and second != first
    kept = store.get_issue(second)
    assert kept.description == "桥头护栏断裂，夜间危险"
    assert abs(kept.lat - (lat + 0.0002)) < 1e-5 and abs(kept.lon - lon) < 1e-5
    assert page.locator(".photos img").count() == 1, "the draft lost its photo"
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None
    _step(4, "worker-draft-sent-phone")(page)
    page.goto(server.url("/field/mine"))
    for issue_id in (first, second):
        assert page.locator(f"a[data-issue='{issue_id}']").count() == 1
    _step(5, "worker-mine-phone")(page)

    # --- 3. the dispatched deputy reports for duty and resolves the first ---------------
    deputy_id = store.get_issue(first).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy_id)
    deputy = watched.context(
        "phone",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 20},
        permissions=["geolocation"],
    )
    page = watched.page(deputy)
    _log_in(page, server, "deputy-on-duty")
    assert page.url.endswith("/field/duty")
    waiting = page.locator(f"#waiting a[data-issue='{first}']")
    assert waiting.count() == 1
    _step(6, "deputy-duty-phone")(page)
    waiting.click()
    page.wait_for_load_state()
    page.click("#do-acknowledge")
    page.wait_for_url(re.compile(r"\?done=acknowledge$"))
    assert "已报到" in page.inner_text("#done")
    page.fill("#start-note", "已到现场，设置警示标志")
    page.click("#do-start")
    page.wait_for_url(re.compile(r"\?done=start$"))
    page.fill("#resolve-result", "已协调镇交通办回填路面，恢复通行")
    _step(7, "deputy-resolve-phone")(page)
    page.click("#do-resolve")
    page.wait_for_url(re.compile(r"\?done=resolve$"))
    assert "已办结" in page.inner_text("#state")
    assert "已协调镇交通办回填路面" in page.inner_text("#timeline")
    done = store.get_issue(first)
    assert done.status.value == "resolved" and done.responsible == deputy_id
    _step(8, "deputy-resolved-phone")(page)
    page.goto(server.url("/field/duty"))
    assert page.locator(f"a[data-issue='{first}']").count() == 0  # off the list

    # --- 4. a resident raises from the QR page, tracks and rates ------------------------
    resident = watched.context(
        "phone",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 15},
        permissions=["geolocation"],
    )
    page = watched.page(resident)
    page.goto(server.url(f"/public/stations/{p.station_a}"))
    page.select_option("#f-category", "sanitation")
    page.fill("#f-description", "垃圾点三天无人清运")
    page.click("#f-locate")
    page.wait_for_selector("#f-locate-status.ok")
    page.set_input_files("#f-photo", str(photo))
    page.wait_for_selector("#f-preview:not([hidden])")
    _step(9, "resident-qr-phone")(page)
    page.dblclick("#f-submit")
    page.wait_for_url(re.compile(r"/public/track/[^/?]+\?token="))
    assert store.count() == 3, "a double tap filed more than one issue"
    third = _issue_of(page, "/public/track/")
    assert store.get_issue(third).source == "qr"
    body = page.inner_text("body")
    assert "2026-11-23 09:00" in body and "北京时间" in body  # 01:00 UTC, shown in China
    _step(10, "resident-track-phone")(page)
    # its deputy answers (through the JSON API, like the phone pages)
    answerer = store.get_issue(third).deputies[0]
    auth = {"Authorization": f"Bearer {world.token('deputy', answerer)}"}
    world.advance(1)
    for action, data in (("acknowledge", {}), ("resolve", {"result": "已清运并消杀"})):
        r = world.call("POST", f"/issues/{third}/{action}", headers=auth, json=data)
        assert r.status_code == 200, r.text
    page.reload()
    assert "已办结，请您评价" in page.inner_text(".status")
    assert "2026-11-23 10:00" in page.inner_text(".timeline")
    page.click("#rate-link")
    page.wait_for_selector("#rate-form")
    page.check("#rating-satisfied")
    _step(11, "resident-rate-phone")(page)
    page.click("#rate-submit")
    page.wait_for_url(re.compile(r"rated=1"))
    assert "感谢您的评价" in page.inner_text("body")
    assert store.get_issue(third).status.value == "closed"
    _step(12, "resident-rated-phone")(page)

    # --- 5. the second issue's deadline passes; township staff find it -------------------
    world.advance(4)  # five hours since it was raised: a road issue has four at the station
    report = world.service.tick()
    assert set(report.escalated) == {second}
    desk = watched.context("desktop")
    page = watched.page(desk)
    _log_in(page, server, "township-staff")
    assert page.url.endswith("/work")
    page.click("#tab-overdue")
    page.wait_for_load_state()
    assert page.inner_text("#tab-overdue .count") == "1"
    listed = page.locator("a[href^='/work/issues/']")
    assert [listed.nth(i).get_attribute("href") for i in range(listed.count())] == [
        f"/work/issues/{second}"
    ]
    _step(13, "staff-overdue-desktop")(page)
    page.goto(server.url("/work/map"))
    page.wait_for_selector("#board-map[data-loads='1']")
    assert "已超期 1 件" in page.inner_text("#board-status")
    pin = page.locator(".board-pin.overdue")
    assert pin.count() == 1
    assert pin.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"
    assert page.locator(".leaflet-tile").count() == 0  # no basemap from the internet
    pin.click()
    popup = page.locator(".board-popup")
    popup.wait_for()
    assert "已超期" in popup.inner_text() and "桥头护栏断裂" in popup.inner_text()
    assert popup.locator(f"a[href='/work/issues/{second}']").count() == 1
    # the screenshot after Leaflet's fade-in, as the person reads it
    page.wait_for_function(  # a function, not a string: the page's CSP forbids eval
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    _step(14, "staff-map-desktop")(page)
    popup.locator(f"a[href='/work/issues/{second}']").click()
    page.wait_for_url(f"**/work/issues/{second}")
    assert "超时逐级上报" in page.inner_text("#timeline")
    _step(15, "staff-issue-desktop")(page)
