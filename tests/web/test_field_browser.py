"""The field screens in a real browser at phone size (the system Chromium, network cut off):
a grid worker raises an issue with a located pin and a photo while the connection drops
and the answer to a send is lost, and exactly one issue is filed; a deputy reports for
duty, starts and resolves an issue with a photo. Screenshots of every field page."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from _web import Served, screenshot
from PIL import Image
from test_auth import PASSWORD, make_account, staff_accounts

from gridgov.model import CHINA_TIME

PHONE = {"width": 360, "height": 740}


def camera_jpeg(path: Path) -> Path:
    """A 3000×2000 photo as a phone camera takes it (larger than the page sends)."""
    image = Image.new("RGB", (3000, 2000), "#6a8")
    for x in range(0, 3000, 200):
        image.paste((200, 60, 40), (x, 0, x + 100, 2000))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return path


def log_in(page: Any, server: Served, who: str) -> None:
    page.goto(server.url("/"))
    assert "/login" in page.url
    page.fill("#who", who)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def test_a_grid_worker_raises_with_a_pin_and_a_photo_through_a_dropped_connection(
    server: Served, browser: Any, tmp_path: Path
) -> None:
    """Its own context: the failed sends are the console errors this test expects."""
    world = server.world
    staff_accounts(world)
    lon, lat = world.point(world.places.grid_a)
    earlier = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    ctx = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"longitude": lon, "latitude": lat + 0.0003, "accuracy": 8},
        permissions=["geolocation"],
    )
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.route(
            lambda url: not url.startswith("http://127.0.0.1"),
            lambda route: (errors.append(f"outside: {route.request.url}"), route.abort()),
        )
        log_in(page, server, "grid-worker")
        assert page.url.endswith("/field/raise")
        # the map: my grid and its station, drawn offline, no basemap tiles
        page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
        assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 2
        assert page.locator(".leaflet-tile").count() == 0
        page.click("#locate")
        page.wait_for_selector("#place-status.ok")
        assert "精度约 8 米" in page.inner_text("#place-status")
        assert page.locator(".field-pin").count() == 1
        assert "图钉位于" in page.inner_text("#pin-grid")
        # an open road issue 33 m away is offered before sending
        page.select_option("#category", "road")
        page.wait_for_selector("#nearby:not([hidden])")
        assert page.locator(f"#nearby-list a.nearby-issue[data-issue='{earlier}']").count() == 1
        page.fill("#description", "桥头护栏断裂，夜间危险")  # another problem: file it
        page.set_input_files("#photos", str(camera_jpeg(tmp_path / "camera.jpg")))
        page.wait_for_selector("#previews img")
        screenshot(page, "field-raise-phone")
        # the pin's tip is where the phone was located: the middle of the map
        box, tip = page.locator("#map").bounding_box(), page.locator(".field-pin").bounding_box()
        assert abs(tip["x"] + 14 - (box["x"] + box["width"] / 2)) < 3
        assert abs(tip["y"] + 31 - (box["y"] + box["height"] / 2)) < 3

        ctx.set_offline(True)
        page.click("#send")
        page.wait_for_selector("#result.error")
        assert "网络中断" in page.inner_text("#result")
        assert world.service.store.count() == 1
        draft = page.evaluate(
            "() => JSON.parse(localStorage.getItem('gridgov.field.draft.grid-worker'))"
        )
        assert draft["attempted"] and draft["key"] and draft["description"].startswith("桥头")
        assert len(draft["photos"]) == 1 and page.is_disabled("#description")
        screenshot(page, "field-raise-offline-phone")

        sent: list[str] = []
        filed: list[int] = []

        def lose_first_answer(route: Any) -> None:
            request = route.request
            sent.append(request.headers.get("idempotency-key", ""))
            if len(sent) > 1:
                route.continue_()
                return
            # the server files it (the same request, sent to the same app) ...
            keep = ("cookie", "content-type", "idempotency-key", "x-csrf-token")
            headers = {k: v for k, v in request.all_headers().items() if k in keep}
            answer = world.client.post(
                "/field/api/issues", content=request.post_data_buffer, headers=headers
            )
            filed.append(answer.status_code)
            route.abort("internetdisconnected")  # ... and the phone never hears back

        page.route("**/field/api/issues", lose_first_answer)
        page.eval_on_selector("#result", "el => { el.className = 'note'; }")
        ctx.set_offline(False)  # back online: the draft goes again by itself
        page.wait_for_selector("#result.error")
        assert len(sent) == 1 and filed == [201] and "网络中断" in page.inner_text("#result")
        assert not page.is_disabled("#send")
        assert world.service.store.count() == 2
        page.click("#send")
        page.wait_for_url(re.compile(r"/field/issues/[^/?]+\?done=raised"))
        assert len(sent) == 2 and sent[0] == sent[1] == draft["key"]
        assert world.service.store.count() == 2, "the retry filed a second issue"

        issue_id = page.url.split("/field/issues/")[1].split("?")[0]
        issue = world.service.store.get_issue(issue_id)
        assert issue.grid_code == world.places.grid_a and issue.reporter_role == "grid_worker"
        assert abs(issue.lat - (lat + 0.0003)) < 1e-5 and abs(issue.lon - lon) < 1e-5
        photos = world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json()
        assert len(photos) == 1 and max(photos[0]["width"], photos[0]["height"]) == 1600
        assert "已上报" in page.inner_text("#done")
        assert "等待代表报到" in page.inner_text("#state")
        assert page.eval_on_selector(".photos img", "i => i.complete && i.naturalWidth") == 1600
        assert page.evaluate("localStorage.getItem('gridgov.field.draft.grid-worker')") is None
        screenshot(page, "field-issue-phone")
        page.goto(server.url("/field/mine"))
        assert page.locator(f"a[data-issue='{issue_id}']").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        screenshot(page, "field-mine-phone")
    finally:
        ctx.close()
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_a_deputy_reports_for_duty_starts_and_resolves_on_a_phone(
    server: Served, page_at: Any, tmp_path: Path
) -> None:
    world = server.world
    staff_accounts(world)
    issue_id = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    deputy_id = world.service.store.get_issue(issue_id).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy_id)
    lon, lat = world.point(world.places.grid_a)
    page = page_at(
        "phone",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 15},
        permissions=["geolocation"],
    )
    log_in(page, server, "deputy-on-duty")
    assert page.url.endswith("/field/duty")
    link = page.locator(f"#waiting a[data-issue='{issue_id}']")
    assert link.count() == 1 and page.inner_text("#waiting-count") == "1"
    screenshot(page, "field-duty-phone")
    link.click()
    page.wait_for_load_state()
    assert page.locator("#do-resolve").count() == 0  # 报到 first
    page.click("#do-acknowledge")
    page.wait_for_url(re.compile(r"\?done=acknowledge$"))
    assert "已报到" in page.inner_text("#done")
    page.fill("#start-note", "已到现场查看")
    page.click("#do-start")
    page.wait_for_url(re.compile(r"\?done=start$"))
    page.fill("#resolve-result", "已联系镇交通办修复路面")
    page.set_input_files("#resolve-photos", str(camera_jpeg(tmp_path / "after.jpg")))
    page.wait_for_selector("#resolve-previews img")
    screenshot(page, "field-resolve-phone")
    page.click("#do-resolve")
    page.wait_for_url(re.compile(r"\?done=resolve$"))
    assert "已办结，等待群众评价" in page.inner_text("#state")
    assert "已联系镇交通办修复路面" in page.inner_text("#timeline")
    assert page.locator(".photos img").count() == 1
    issue = world.service.store.get_issue(issue_id)
    assert issue.status.value == "resolved" and issue.responsible == deputy_id
    screenshot(page, "field-resolved-phone")
    page.goto(server.url("/field/history"))
    assert page.locator(f"a[data-issue='{issue_id}']").count() == 1
    screenshot(page, "field-history-phone")


def test_a_deputy_asks_for_more_time_on_the_phone_and_township_staff_approve_it(
    server: Served, browser: Any, page_at: Any, tmp_path: Path
) -> None:
    """延期 across two screens: the deputy asks from the phone, township staff approve it
    at their desk, and the phone shows the deadline moved; then the deputy resolves it
    with a photo whose first answer is lost, sent again under its key and stored once.
    The phone has its own context: the lost answer is the console error it expects."""
    world = server.world
    staff_accounts(world)
    issue_id = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    deputy_id = world.service.store.get_issue(issue_id).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy_id)
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    errors: list[str] = []
    try:
        phone = ctx.new_page()
        _more_time_and_a_lost_photo_answer(server, issue_id, phone, page_at, tmp_path, errors)
    finally:
        ctx.close()
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def _more_time_and_a_lost_photo_answer(
    server: Served, issue_id: str, phone: Any, page_at: Any, tmp_path: Path, errors: list[str]
) -> None:
    world = server.world
    deputy_id = world.service.store.get_issue(issue_id).deputies[0]
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    phone.route(
        lambda url: not url.startswith("http://127.0.0.1"),
        lambda route: (errors.append(f"outside: {route.request.url}"), route.abort()),
    )
    log_in(phone, server, "deputy-on-duty")
    phone.goto(server.url(f"/field/issues/{issue_id}"))
    phone.click("#do-acknowledge")
    phone.wait_for_url(re.compile(r"\?done=acknowledge$"))
    before = world.service.store.get_issue(issue_id).resolve_due
    assert before is not None

    # the materials are late: 延期, with a reason (refused on the phone without one)
    phone.click("#do-extension")
    assert "请填写延期理由" in phone.inner_text("#act-result")
    phone.select_option("#extension-hours", "72")
    phone.fill("#extension-reason", "沥青材料周四才到，需延期三天")
    screenshot(phone, "field-extension-phone")
    phone.click("#do-extension")
    phone.wait_for_url(re.compile(r"\?done=extension$"))
    assert "已提交延期申请" in phone.inner_text("#done")
    assert "延期申请待批" in phone.inner_text("#extension-pending")
    assert phone.locator("#do-extension").count() == 0
    assert world.service.store.get_issue(issue_id).extension_hours == 72
    screenshot(phone, "field-extension-pending-phone")

    desk = page_at("desktop")
    desk.goto(server.url(f"/work/issues/{issue_id}"))
    assert "/login" in desk.url
    desk.fill("#who", "township-staff")
    desk.fill("#password", PASSWORD)
    desk.click("form[action='/login'] button[type=submit]")
    desk.wait_for_url(re.compile(rf"/work/issues/{issue_id}$"))
    assert "沥青材料周四才到" in desk.inner_text("#extension-pending")
    desk.click("#form-approve_extension button[type=submit]")
    desk.wait_for_load_state()
    screenshot(desk, "staff-extension-approved-desktop")
    moved = world.service.store.get_issue(issue_id).resolve_due
    assert moved is not None and (moved - before).total_seconds() == 72 * 3600

    phone.goto(server.url(f"/field/issues/{issue_id}"))
    shown = f"{moved.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"
    assert f"办结时限已延至 {shown}" in phone.inner_text("#extension-moved")
    assert shown in phone.inner_text("#due")
    assert phone.locator("#extension-pending").count() == 0
    assert "批准延期" in phone.inner_text("#timeline")
    screenshot(phone, "field-extension-approved-phone")

    # resolved with a photo whose first answer never reaches the phone
    keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        request = route.request
        keys.append(request.headers.get("idempotency-key", ""))
        if len(keys) > 1:
            route.continue_()
            return
        keep = ("cookie", "content-type", "idempotency-key", "x-csrf-token")
        headers = {k: v for k, v in request.all_headers().items() if k in keep}
        stored = world.client.post(
            f"/field/api/issues/{issue_id}/photos", content=request.post_data_buffer,
            headers=headers,
        )  # fmt: skip
        assert stored.status_code == 201, stored.text
        route.abort("internetdisconnected")  # stored, and the phone never hears back

    phone.route("**/photos", lose_first_answer)
    phone.fill("#resolve-result", "沥青已铺好，路面恢复通行")
    phone.set_input_files("#resolve-photos", str(camera_jpeg(tmp_path / "after.jpg")))
    phone.wait_for_selector("#resolve-previews img")
    phone.click("#do-resolve")
    phone.wait_for_selector("#act-result.error")
    assert "网络中断" in phone.inner_text("#act-result")
    assert world.service.store.get_issue(issue_id).status.value == "acknowledged"
    phone.click("#do-resolve")  # again: the photo under the same key, then the result
    phone.wait_for_url(re.compile(r"\?done=resolve$"))
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) == 32
    photos = world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json()
    assert len(photos) == 1, "the photo sent again was stored twice"
    assert phone.locator(".photos img").count() == 1
    resolved = world.service.store.get_issue(issue_id)
    assert resolved.status.value == "resolved" and resolved.responsible == deputy_id
