"""The resident's pages in a real browser at phone size: the QR form with a GPS fix and a
photo, one issue per double tap, the tracking page in Beijing time, the rating page, and a
``<script>`` in a description that stays text. Plus the pages over plain HTTP: the
tracking page without JavaScript, the Chinese 404, 不满意 needing a reason."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from _web import Served, screenshot
from PIL import Image

from gridgov.store.base import IssueQuery
from gridgov.store.photos import photo_store

ATTACK = "<script>document.title='pwned'</script><img src=x id=pwned>"
DESCRIPTION = "村口道路塌陷，电话 138 1234 5678 " + ATTACK


def _camera_jpeg(path: Path) -> Path:
    """A 3000×2000 phone photo (larger than the form sends)."""
    image = Image.new("RGB", (3000, 2000), "#6a8")
    for x in range(0, 3000, 200):
        image.paste((200, 60, 40), (x, 0, x + 100, 2000))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return path


def test_resident_raises_tracks_and_rates_from_a_phone(
    server: Served, page_at: Any, tmp_path: Path
) -> None:
    world = server.world
    station = world.places.station_a
    lon, lat = world.point(world.places.grid_a)
    page = page_at(
        "phone",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 12},
        permissions=["geolocation"],
    )
    page.goto(server.url(f"/public/stations/{station}"))
    # the form first, the deputies after
    form_y = page.locator("#raise-form").bounding_box()["y"]
    deputies_y = page.locator("section.deputies").bounding_box()["y"]
    assert form_y < deputies_y
    page.select_option("#f-category", "road")
    page.fill("#f-description", DESCRIPTION)
    page.click("#f-locate")
    page.wait_for_selector("#f-locate-status.ok")
    assert "精度约 12 米" in page.inner_text("#f-locate-status")
    page.set_input_files("#f-photo", str(_camera_jpeg(tmp_path / "camera.jpg")))
    page.wait_for_selector("#f-preview:not([hidden])")
    page.check("#f-anonymous")
    screenshot(page, "public-qr-form-phone")

    page.dblclick("#f-submit")
    page.wait_for_url(re.compile(r"/public/track/[^/?]+\?token="))
    assert world.service.store.count() == 1, "a double tap filed more than one issue"

    issue_id = page.url.split("/public/track/")[1].split("?")[0]
    staff = world.call("GET", f"/issues/{issue_id}", "county_staff").json()
    assert staff["source"] == "qr" and staff["anonymous"] is True
    assert abs(staff["lon"] - lon) < 1e-5 and abs(staff["lat"] - lat) < 1e-5
    assert staff["grid_code"] == world.places.grid_a
    photos = world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json()
    assert len(photos) == 1 and max(photos[0]["width"], photos[0]["height"]) == 1600

    body = page.inner_text("body")
    assert "2026-11-23 09:00" in body, body  # START is 01:00 UTC
    assert "您提交了问题" in body and "北京时间" in body
    assert ATTACK in body and "138****5678" in body and "1234 5678" not in body
    assert page.title() != "pwned" and page.locator("#pwned").count() == 0
    assert page.locator(".photos img").count() == 1
    natural = page.eval_on_selector(".photos img", "img => img.complete && img.naturalWidth")
    assert natural == 1600
    # the phone remembers the issue for the QR page
    kept = page.evaluate("() => JSON.parse(localStorage.getItem('gridgov.tracked'))")
    assert kept[0]["issue_id"] == issue_id
    screenshot(page, "public-track-phone")

    world.advance(5)
    r = world.call(
        "POST", f"/issues/{issue_id}/resolve", "county_staff",
        json={"result": "已回填路面，联系 138 1234 5678"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    page.reload()
    assert "已办结，请您评价" in page.inner_text(".status")
    assert "138****5678" in page.inner_text("body")
    assert "2026-11-23 14:00" in page.inner_text(".timeline")
    page.click("#rate-link")
    page.wait_for_selector("#rate-form")
    screenshot(page, "public-rate-phone")
    page.check("#rating-satisfied")
    page.click("#rate-submit")
    page.wait_for_url(re.compile(r"rated=1"))
    assert "感谢您的评价" in page.inner_text("body")
    assert "您的评价：满意" in page.inner_text(".timeline")
    assert world.call("GET", f"/issues/{issue_id}", "county_staff").json()["status"] == "closed"

    # back on the QR page, the phone lists the issue it sent
    page.goto(server.url(f"/public/stations/{station}"))
    page.wait_for_selector("#mine:not([hidden])")
    assert issue_id in page.inner_text("#mine-list")

    desk = page_at("desktop")
    desk.goto(server.url(f"/public/stations/{station}"))
    screenshot(desk, "public-qr-desktop")
    desk.goto(server.url(f"/public/track/{issue_id}?token={kept[0]['token']}"))
    assert "您的评价" in desk.inner_text("body")
    screenshot(desk, "public-track-desktop")


def test_a_dropped_connection_keeps_the_key_and_files_one_issue(
    server: Served, browser: Any
) -> None:
    """The answer to the first send is lost (the issue was filed); sending again with the
    same key gives the same issue. Its own context: the lost answer is the one console
    error this test expects."""
    world = server.world
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.goto(server.url(f"/public/stations/{world.places.station_a}"))
        page.fill("#f-description", "路灯不亮")
        sent: list[str] = []

        def lose_first_answer(route: Any) -> None:
            sent.append(route.request.headers.get("idempotency-key", ""))
            if len(sent) == 1:
                route.fetch()  # the server files it ...
                route.abort("internetdisconnected")  # ... and the phone never hears back
            else:
                route.continue_()

        page.route("**/public/stations/*/issues", lose_first_answer)
        page.click("#f-submit")
        page.wait_for_selector("#f-result.error")
        assert "网络不通" in page.inner_text("#f-result")
        assert not page.is_disabled("#f-submit")
        assert world.service.store.count() == 1
        page.click("#f-submit")
        page.wait_for_url(re.compile(r"/public/track/"))
        assert len(sent) == 2 and sent[0] and sent[0] == sent[1]
        assert world.service.store.count() == 1
    finally:
        ctx.close()
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    assert len(errors) == 1


def test_a_lost_photo_answer_is_sent_again_under_its_key_and_stored_once(
    server: Served, browser: Any, tmp_path: Path
) -> None:
    """The issue is filed, the photo is stored, and the answer to the photo is lost:
    sending again replays the issue (same key) and the photo (its own key), so the
    resident ends on the tracking page of one issue with one photo."""
    world = server.world
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.goto(server.url(f"/public/stations/{world.places.station_a}"))
        page.fill("#f-description", "垃圾点三天无人清运")
        page.set_input_files("#f-photo", str(_camera_jpeg(tmp_path / "camera.jpg")))
        page.wait_for_selector("#f-preview:not([hidden])")
        keys: list[str] = []

        def lose_first_answer(route: Any) -> None:
            keys.append(route.request.headers.get("idempotency-key", ""))
            if len(keys) == 1:
                route.fetch()  # the server stores it ...
                route.abort("internetdisconnected")  # ... and the phone never hears back
            else:
                route.continue_()

        page.route("**/public/issues/*/photos", lose_first_answer)
        page.click("#f-submit")
        page.wait_for_selector("#f-result.error")
        assert "网络不通" in page.inner_text("#f-result")
        assert not page.is_disabled("#f-submit")
        (issue,), _ = world.service.store.list_issues(IssueQuery())
        photos = photo_store(world.service.store)
        assert len(photos.photos(issue.issue_id)) == 1
        page.click("#f-submit")
        page.wait_for_url(re.compile(r"/public/track/"))
        assert len(keys) == 2 and len(keys[0]) == 32 and keys[0] == keys[1]
        assert world.service.store.count() == 1
        assert len(photos.photos(issue.issue_id)) == 1, "the photo sent again was stored twice"
        assert page.locator(".photos img").count() == 1
    finally:
        ctx.close()
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_english_pages(server: Served, page_at: Any) -> None:
    page = page_at("phone")
    page.goto(server.url(f"/public/stations/{server.world.places.station_a}?lang=en"))
    assert "Raise an issue" in page.inner_text("body")
    assert page.get_attribute("html", "lang") == "en"


# --- plain HTTP: no JavaScript -----------------------------------------------------------


def test_tracking_reads_without_javascript_and_a_wrong_token_is_a_chinese_404(
    server: Served,
) -> None:
    world = server.world
    body = world.raise_public(world.places.station_a, description="垃圾点无人清运")
    issue_id, token = body["issue"]["issue_id"], body["tracking_token"]
    r = world.call("GET", f"/public/track/{issue_id}", params={"token": token})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "垃圾点无人清运" in r.text and "2026-11-23 09:00" in r.text
    assert "已派代表跟进" in r.text or "已交给承办单位" in r.text
    for bad in ("", token[:-1], "x" * 40):
        r = world.call("GET", f"/public/track/{issue_id}", params={"token": bad})
        assert r.status_code == 404 and "没有找到这个问题" in r.text, bad
        assert r.headers["content-type"].startswith("text/html")
    r = world.call("GET", "/public/track/nope", params={"token": token})
    assert r.status_code == 404 and "没有找到这个问题" in r.text
    r = world.call("GET", f"/public/track/{issue_id}/rate", params={"token": token[::-1]})
    assert r.status_code == 404


def test_unsatisfied_needs_a_reason_and_reopens(server: Served) -> None:
    world = server.world
    body = world.raise_public(world.places.station_a, description="路面坑洼")
    issue_id, token = body["issue"]["issue_id"], body["tracking_token"]
    r = world.call("POST", f"/issues/{issue_id}/resolve", "county_staff", json={"result": "已修"})
    assert r.status_code == 200
    page = world.call("GET", f"/public/track/{issue_id}/rate", params={"token": token})
    assert 'value="unsatisfied"' in page.text and "不满意" in page.text
    url = f"/public/track/{issue_id}/rate"
    r = world.call("POST", url, data={"tracking_token": token, "rating": "unsatisfied"})
    assert r.status_code == 422 and "请写明原因" in r.text
    assert world.call("GET", f"/issues/{issue_id}", "county_staff").json()["status"] == "resolved"
    r = world.call("POST", url, data={"tracking_token": token, "rating": "maybe"})
    assert r.status_code == 422 and "请选择一项评价" in r.text
    r = world.call("POST", url, data={"tracking_token": token[::-1], "rating": "satisfied"})
    assert r.status_code == 404
    r = world.call(
        "POST",
        url,
        data={"tracking_token": token, "rating": "unsatisfied", "note": "坑还在"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/public/track/{issue_id}?")
    got = world.call("GET", f"/issues/{issue_id}", "county_staff").json()
    assert got["status"] == "in_progress" and got["reopened"] == 1
    tracked = world.call("GET", r.headers["location"])
    assert "正在办理" in tracked.text and "因不满意重新办理（坑还在）" in tracked.text
    # rated once: the form is gone, a second post is refused in words
    r = world.call("POST", url, data={"tracking_token": token, "rating": "satisfied"})
    assert r.status_code == 422 and "现在不能评价" in r.text


def test_the_form_sends_without_javascript_once_per_fill(server: Served, browser: Any) -> None:
    """JavaScript off: the form posts itself, the issue is raised at the station's place,
    the tracking page opens; the same fill sent twice is one issue."""
    world = server.world
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(server.url(f"/public/stations/{world.places.station_a}"))
        assert "不能定位和上传照片" in page.inner_text("body")
        page.fill("#f-description", "   ")
        page.click("#f-submit")
        assert "未能提交" in page.inner_text("body") and "问题描述" in page.inner_text(".error")
        assert world.service.store.count() == 0
        page.select_option("#f-category", "sanitation")
        page.fill("#f-description", "垃圾点无人清运")
        page.fill("#f-name", "王芳")
        key = page.get_attribute("input[name=idempotency_key]", "value")
        page.click("#f-submit")
        page.wait_for_url(re.compile(r"/public/track/"))
        assert "垃圾点无人清运" in page.inner_text("body") and "王芳" not in page.inner_text("body")
        assert world.service.store.count() == 1
        # the same fill again (a second tap, a resend after a timeout): the same issue
        r = world.call(
            "POST",
            f"/public/stations/{world.places.station_a}/form",
            data={"category": "sanitation", "description": "垃圾点无人清运",
                  "reporter_name": "王芳", "idempotency_key": key},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"].split("?")[0] in page.url
        assert world.service.store.count() == 1
    finally:
        ctx.close()


_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def test_every_resident_page_is_self_contained_and_runs_only_its_nonce(server: Served) -> None:
    world = server.world
    body = world.raise_public(world.places.station_a, description="路灯不亮")
    issue_id, token = body["issue"]["issue_id"], body["tracking_token"]
    world.call("POST", f"/issues/{issue_id}/resolve", "county_staff", json={"result": "已修"})
    pages = [
        f"/public/stations/{world.places.station_a}",
        f"/public/deputies/{world.places.deputy_a}",
        f"/public/track/{issue_id}?token={token}",
        f"/public/track/{issue_id}/rate?token={token}",
        f"/public/track/{issue_id}?token=wrong",
    ]
    for url in pages:
        r = world.call("GET", url)
        assert r.status_code in (200, 404), url
        policy = r.headers["content-security-policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce is not None, url
        tags = _TAG.findall(r.text)
        assert tags, url
        for _, attrs in tags:
            assert f'nonce="{nonce.group(1)}"' in attrs and "src=" not in attrs, (url, attrs)
        assert not re.search(r"\son[a-z]+\s*=", r.text), url
        assert not re.search(r"\sstyle\s*=", r.text), url
        assert "http://" not in r.text and "https://" not in r.text, url
        assert not re.search(r"<link[^>]+stylesheet", r.text), url


def test_deputy_page_at_phone_size(server: Served, page_at: Any) -> None:
    page = page_at("phone")
    deputy = server.world.places.deputy_a
    name = str(server.world.ws.deputies.set_index("deputy_id").loc[deputy, "name"])
    page.goto(server.url(f"/public/deputies/{deputy}"))
    assert page.inner_text("h1") == name
    assert page.locator("#raise-form").count() == 1
    screenshot(page, "public-deputy-phone")


def test_tracking_and_rating_pages_in_english(server: Served) -> None:
    world = server.world
    body = world.raise_public(world.places.station_a, description="路灯不亮")
    issue_id, token = body["issue"]["issue_id"], body["tracking_token"]
    world.call("POST", f"/issues/{issue_id}/resolve", "county_staff", json={"result": "已修"})
    r = world.call("GET", f"/public/track/{issue_id}", params={"token": token, "lang": "en"})
    assert r.status_code == 200
    for words in ("What happened", "Beijing time", "You raised the issue", "Done: 已修",
                  "Done; please rate the result"):  # fmt: skip
        assert words in r.text, words
    assert "办理经过" not in r.text and "北京时间" not in r.text
    r = world.call("GET", f"/public/track/{issue_id}/rate", params={"token": token})
    assert "Not satisfied" in r.text  # the language chosen is kept (cookie)
    r = world.call("GET", f"/public/track/{issue_id}", params={"token": "x", "lang": "en"})
    assert r.status_code == 404 and "Issue not found" in r.text
