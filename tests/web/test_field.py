"""The grid worker's and the deputy's phone screens over plain HTTP: who lands where, the
map's data and the offline Leaflet, 吹哨 through the JSON routes (CSRF header, one issue
per Idempotency-Key, every bad input a 4xx naming the field), nearby issues, 我的上报,
and the deputy's 报到 → 开始办理 → 办结 with photos, each refused where the service refuses."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from PIL import Image
from test_auth import csrf_of, login, make_account, staff_accounts

from api.web.field import CSRF_HEADER
from gridgov.model import IssueStatus

KEY = {"Idempotency-Key": "draft-0001"}


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world with an account per role, used over its test client."""
    staff_accounts(server.world)
    return server.world


def logged_in(world: Any, who: str, page: str) -> dict[str, str]:
    """Log ``who`` in and return the CSRF header their pages' script sends."""
    world.client.cookies.clear()
    assert login(world.client, who).status_code == 303
    html = world.client.get(page).text
    return {CSRF_HEADER: csrf_of(html)}


def body_at(world: Any, grid: str, **fields: Any) -> dict[str, Any]:
    lon, lat = world.point(grid)
    return {"category": "road", "description": "村道路面塌陷", "lon": lon, "lat": lat, **fields}


def raise_as_worker(world: Any, csrf: dict[str, str], key: str = "k1", **fields: Any) -> Any:
    return world.call(
        "POST",
        "/field/api/issues",
        json=body_at(world, world.places.grid_a, **fields),
        headers={**csrf, "Idempotency-Key": key},
    )


def jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#6a8").save(out, "JPEG", quality=90)
    return out.getvalue()


def fields_of(r: Any) -> set[str]:
    return {str(p["field"]) for p in r.json()["problems"]}


# --- landing and access --------------------------------------------------------------------


def test_field_roles_land_on_their_phone_pages(world: Any) -> None:
    assert login(world.client, "grid-worker").headers["location"] == "/field/raise"
    page = world.client.get("/field/raise")
    assert page.status_code == 200 and "网格吹哨" in page.text and "我的上报" in page.text
    assert "nonce-" in page.headers["content-security-policy"]
    world.client.cookies.clear()
    assert login(world.client, "deputy").headers["location"] == "/field/duty"
    assert world.client.get("/", follow_redirects=False).headers["location"] == "/field/duty"
    assert "待报到" in world.client.get("/field/duty").text
    # each role's pages are its own: a deputy has no 吹哨 page, staff keep their queue
    refused = world.client.get("/field/raise")
    assert refused.status_code == 403 and "您的角色不能使用此页面" in refused.text
    world.client.cookies.clear()
    assert login(world.client, "county-staff").headers["location"] == "/work"
    assert world.client.get("/field/duty").status_code == 403
    assert world.client.get("/field/mine").status_code == 403
    world.client.cookies.clear()
    away = world.client.get("/field/mine", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")


def test_the_map_shows_only_my_grids_and_stations_from_the_offline_leaflet(world: Any) -> None:
    logged_in(world, "grid-worker", "/field/raise")
    html = world.client.get("/field/raise").text
    found = re.search(r'<script type="application/json" id="field-geo">(.*?)</script>', html)
    assert found
    geo = json.loads(found.group(1))
    assert [f["properties"]["code"] for f in geo["grids"]["features"]] == [world.places.grid_a]
    assert [f["properties"]["station_id"] for f in geo["stations"]["features"]] == [
        world.places.station_a
    ]
    lon, lat = world.point(world.places.grid_a)
    west, south, east, north = geo["bounds"]
    assert west <= lon <= east and south <= lat <= north  # degrees, not metres
    assert 'src="/static/vendor/leaflet/leaflet.js' in html
    assert "http://" not in html and "https://" not in html  # nothing from outside
    script = world.client.get("/static/vendor/leaflet/leaflet.js")
    assert script.status_code == 200 and "Leaflet" in script.text[:500]
    assert world.client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
    assert world.client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200
    for bad in ("../__init__.py", "images/../../__init__.py", "%2e%2e/__init__.py"):
        assert world.client.get(f"/static/vendor/leaflet/{bad}").status_code == 404


# --- 吹哨 ----------------------------------------------------------------------------------


def test_a_retry_with_the_drafts_key_files_one_issue(world: Any) -> None:
    csrf = logged_in(world, "grid-worker", "/field/raise")
    first = raise_as_worker(world, csrf, key="same")
    assert first.status_code == 201, first.text
    issue_id = first.json()["issue_id"]
    assert first.json()["created"] is True and first.json()["url"] == f"/field/issues/{issue_id}"
    again = raise_as_worker(world, csrf, key="same")
    assert again.status_code == 200 and again.json()["issue_id"] == issue_id
    assert again.json()["created"] is False
    assert world.service.store.count() == 1
    issue = world.service.store.get_issue(issue_id)
    assert issue.reporter_role == "grid_worker" and issue.grid_code == world.places.grid_a
    # the same key with other words is another request: refused, nothing filed
    other = raise_as_worker(world, csrf, key="same", description="另一件事")
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert world.service.store.count() == 1


def test_every_bad_raise_is_a_4xx_naming_what_is_wrong(world: Any) -> None:
    csrf = logged_in(world, "grid-worker", "/field/raise")
    url = "/field/api/issues"
    good = body_at(world, world.places.grid_a)
    no_csrf = world.call("POST", url, json=good, headers=KEY)
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf"
    wrong_csrf = world.call("POST", url, json=good, headers={**KEY, CSRF_HEADER: "x" * 64})
    assert wrong_csrf.status_code == 403
    no_key = world.call("POST", url, json=good, headers=csrf)
    assert no_key.status_code == 422 and fields_of(no_key) == {"Idempotency-Key"}
    h = {**csrf, **KEY}
    bad_category = world.call("POST", url, json={**good, "category": "ufo"}, headers=h)
    assert bad_category.status_code == 422 and "category" in fields_of(bad_category)
    empty = world.call("POST", url, json={**good, "description": "  "}, headers=h)
    assert empty.status_code == 422 and "description" in fields_of(empty)
    not_number = world.call("POST", url, json={**good, "lon": "东经"}, headers=h)
    assert not_number.status_code == 422 and "lon" in fields_of(not_number)
    swapped = world.call("POST", url, json={**good, "lon": good["lat"], "lat": good["lon"]},
                         headers=h)  # fmt: skip
    assert swapped.status_code == 422 and "lon/lat" in fields_of(swapped)
    elsewhere = world.call("POST", url, json=body_at(world, world.places.grid_b), headers=h)
    assert elsewhere.status_code == 403 and fields_of(elsewhere) == {"lon/lat"}
    assert "不在您负责的网格内" in elsewhere.json()["message"]
    not_json = world.call(
        "POST", url, content=b"{", headers={**h, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert world.service.store.count() == 0
    # other roles and nobody
    deputy = logged_in(world, "deputy", "/field/duty")
    as_deputy = world.call("POST", url, json=good, headers={**deputy, **KEY})
    assert as_deputy.status_code == 403
    world.client.cookies.clear()
    assert world.call("POST", url, json=good, headers={**csrf, **KEY}).status_code == 401


def test_nearby_open_issues_of_the_same_category_are_offered(world: Any) -> None:
    csrf = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, csrf).json()["issue_id"]
    lon, lat = world.point(world.places.grid_a)
    near = world.call("GET", f"/field/api/nearby?lon={lon}&lat={lat + 0.0005}&category=road")
    assert near.status_code == 200
    (found,) = near.json()["issues"]
    assert found["issue_id"] == issue_id and found["url"] == f"/field/issues/{issue_id}"
    assert 40 <= found["distance_m"] <= 70  # 0.0005° of latitude is about 55 m
    assert found["status_text"]
    other = world.call("GET", f"/field/api/nearby?lon={lon}&lat={lat}&category=water")
    assert other.json()["issues"] == []
    far = world.call("GET", f"/field/api/nearby?lon={lon}&lat={lat + 0.01}&category=road")
    assert far.json()["issues"] == []
    for query, field in (
        (f"lon=x&lat={lat}&category=road", "lon"),
        (f"lon={lon}&lat={lat}&category=ufo", "category"),
        (f"lon={lon}&lat=nan&category=road", "lon/lat"),
        (f"lon={lon}&lat={lat}", "category"),
    ):
        bad = world.call("GET", f"/field/api/nearby?{query}")
        assert bad.status_code == 422 and field in fields_of(bad), query
    # another grid's worker does not see this grid's issues
    make_account(world, "worker-b", "grid_worker", world.places.grid_b)
    logged_in(world, "worker-b", "/field/raise")
    hidden = world.call("GET", f"/field/api/nearby?lon={lon}&lat={lat}&category=road")
    assert hidden.status_code == 200 and hidden.json()["issues"] == []


def test_my_issues_say_where_each_stands_in_china_time(world: Any) -> None:
    csrf = logged_in(world, "grid-worker", "/field/raise")
    evil = "<script>alert(1)</script>桥面裂缝"
    issue_id = raise_as_worker(world, csrf, description=evil).json()["issue_id"]
    mine = world.client.get("/field/mine").text
    assert f'href="/field/issues/{issue_id}"' in mine
    assert "已派代表，等待代表报到" in mine
    assert "2026-11-23 09:00 上报" in mine  # 01:00 UTC
    assert "签收时限：2026-11-23 13:00" in mine  # a road issue: 4 h at the station
    assert "<script>alert(1)</script>" not in mine and "&lt;script&gt;" in mine
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert "流转记录" in page and "吹哨（受理）" in page and "派单（代表报到）" in page
    assert "2026-11-23 09:00" in page and "时间均为北京时间" in page
    assert "<script>alert(1)</script>" not in page
    assert 'id="actions"' not in page  # a grid worker acts on nothing here
    # someone else's grid and issue: a 404, never its content
    make_account(world, "worker-b", "grid_worker", world.places.grid_b)
    logged_in(world, "worker-b", "/field/raise")
    assert world.client.get(f"/field/issues/{issue_id}").status_code == 404
    assert issue_id not in world.client.get("/field/mine").text
    assert world.client.get("/field/issues/..%2F..%2Fetc").status_code == 404
    en = world.client.get("/field/mine?lang=en").text
    assert "Issues I raised" in en and "You have not raised any issue yet." in en


# --- photos --------------------------------------------------------------------------------


def test_photos_are_attached_by_the_reporter_and_read_only_by_those_who_see_it(
    world: Any,
) -> None:
    csrf = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, csrf).json()["issue_id"]
    url = f"/field/api/issues/{issue_id}/photos"
    files = {"photo": ("photo.jpg", jpeg(), "image/jpeg")}
    sent = world.call("POST", url, files=files, headers=csrf)
    assert sent.status_code == 201, sent.text
    assert sent.json()["url"].startswith(f"/field/issues/{issue_id}/photos/")
    shown = world.client.get(sent.json()["url"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert "private" in shown.headers["cache-control"]
    assert sent.json()["url"] in world.client.get(f"/field/issues/{issue_id}").text
    assert world.call("POST", url, files=files).status_code == 403  # no CSRF header
    text = {"photo": ("photo.jpg", b"not an image", "image/jpeg")}
    refused = world.call("POST", url, files=text, headers=csrf)
    assert refused.status_code == 422 and fields_of(refused) == {"photo"}
    missing = world.call("POST", url, data={}, headers=csrf)
    assert missing.status_code == 422 and "photo" in fields_of(missing)
    make_account(world, "worker-b", "grid_worker", world.places.grid_b)
    other = logged_in(world, "worker-b", "/field/raise")
    assert world.call("POST", url, files=files, headers=other).status_code == 404
    assert world.client.get(sent.json()["url"]).status_code == 404


# --- the deputy ------------------------------------------------------------------------------


def dispatched_deputy(world: Any, issue_id: str) -> str:
    """An account for the first deputy dispatched to the issue; returns its login."""
    deputy_id = world.service.store.get_issue(issue_id).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy_id)
    return "deputy-on-duty"


def test_the_deputy_reports_starts_and_resolves_with_a_photo(world: Any) -> None:
    worker = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, worker).json()["issue_id"]
    csrf = logged_in(world, dispatched_deputy(world, issue_id), "/field/duty")
    duty = world.client.get("/field/duty").text
    waiting = duty.split('id="waiting"')[1].split("</ul>")[0]
    assert f'href="/field/issues/{issue_id}"' in waiting
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert 'id="do-acknowledge"' in page and 'id="do-resolve"' not in page
    api = f"/field/api/issues/{issue_id}"
    version = world.service.store.get_issue(issue_id).version
    stale = world.call("POST", f"{api}/acknowledge", json={"version": version + 1}, headers=csrf)
    assert stale.status_code == 409
    half = world.call("POST", f"{api}/acknowledge", json={"lon": 112.5}, headers=csrf)
    assert half.status_code == 422 and fields_of(half) == {"lat"}
    lon, lat = world.point(world.places.grid_a)
    done = world.call(
        "POST", f"{api}/acknowledge", json={"version": version, "lon": lon, "lat": lat + 0.001},
        headers=csrf,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged" and 100 <= done.json()["distance_m"] <= 125
    # where the deputy reported from is kept in the log, and staff read it on the issue page
    reported = [e for e in world.service.store.events(issue_id) if e.kind == "acknowledged"]
    assert reported[-1].data["where"] == [lon, lat + 0.001]
    assert reported[-1].data["distance_m"] == done.json()["distance_m"]
    twice = world.call("POST", f"{api}/acknowledge", json={"version": version}, headers=csrf)
    assert twice.status_code == 409  # a second tap is refused, not done again
    page = world.client.get(f"/field/issues/{issue_id}?done=acknowledge").text
    assert "已报到，您是此事项的责任人" in page and 'id="do-start"' in page
    name = world.service.deputies[world.service.store.get_issue(issue_id).responsible]["name"]
    assert name in page.split('id="responsible"')[1][:200]  # 三知: who is responsible
    handling = world.client.get("/field/duty").text.split('id="handling"')[1].split("</ul>")[0]
    assert issue_id in handling
    started = world.call("POST", f"{api}/start", json={"note": "已到现场"}, headers=csrf)
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    photo = world.call(
        "POST", f"{api}/photos", files={"photo": ("p.jpg", jpeg(), "image/jpeg")}, headers=csrf
    )
    assert photo.status_code == 201
    empty = world.call("POST", f"{api}/resolve", json={"result": ""}, headers=csrf)
    assert empty.status_code == 422 and "result" in fields_of(empty)
    resolved = world.call("POST", f"{api}/resolve", json={"result": "已填平路面"}, headers=csrf)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    issue = world.service.store.get_issue(issue_id)
    assert issue.status is IssueStatus.RESOLVED and issue.result == "已填平路面"
    assert 'id="actions"' not in world.client.get(f"/field/issues/{issue_id}").text
    history = world.client.get("/field/history").text
    assert issue_id in history and "已办结，等待群众评价" in history
    # the grid worker reads it the same way
    logged_in(world, "grid-worker", "/field/raise")
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert "已填平路面" in page and "已到现场" in page and 'class="photos"' in page


def test_a_deputy_who_was_not_dispatched_is_offered_nothing_and_refused(world: Any) -> None:
    worker = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, worker).json()["issue_id"]
    dispatched = world.service.store.get_issue(issue_id).deputies
    others = sorted(
        d for d, row in world.service.deputies.items()
        if row["station_id"] == world.places.station_a and d not in dispatched
    )  # fmt: skip
    if not others:
        pytest.skip("every deputy of the station was dispatched")
    make_account(world, "deputy-idle", "deputy", others[0])
    csrf = logged_in(world, "deputy-idle", "/field/duty")
    assert issue_id not in world.client.get("/field/duty").text
    page = world.client.get(f"/field/issues/{issue_id}")
    assert page.status_code == 200 and 'id="actions"' not in page.text  # sees, may not act
    api = f"/field/api/issues/{issue_id}"
    assert world.call("POST", f"{api}/acknowledge", json={}, headers=csrf).status_code == 403
    assert (
        world.call("POST", f"{api}/resolve", json={"result": "x"}, headers=csrf).status_code == 403
    )
    photo = {"photo": ("p.jpg", jpeg(), "image/jpeg")}
    assert world.call("POST", f"{api}/photos", files=photo, headers=csrf).status_code == 403
    # and a deputy of another station does not even see it
    make_account(world, "deputy-far", "deputy", world.places.deputy_b)
    far = logged_in(world, "deputy-far", "/field/duty")
    assert world.client.get(f"/field/issues/{issue_id}").status_code == 404
    assert world.call("POST", f"{api}/acknowledge", json={}, headers=far).status_code == 404
    assert world.service.store.get_issue(issue_id).status is IssueStatus.DISPATCHED


def test_a_phone_photo_of_a_few_hundred_kilobytes_is_taken(world: Any) -> None:
    """A photo resized on the phone (1600 px) is 0.2-1 MB: far over the app's 64 kB body
    limit, so the photo route must be one of the app's larger uploads
    (``api.web.field.UPLOAD_LIMITS`` given to ``BodyLimit``)."""
    import numpy as np

    noise = np.random.default_rng(1).integers(0, 255, (1067, 1600, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=85)
    assert len(out.getvalue()) > 300_000
    csrf = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, csrf).json()["issue_id"]
    sent = world.call(
        "POST",
        f"/field/api/issues/{issue_id}/photos",
        files={"photo": ("photo.jpg", out.getvalue(), "image/jpeg")},
        headers=csrf,
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["width"], sent.json()["height"]) == (1600, 1067)


# --- 延期申请 from the phone ---------------------------------------------------------------


def acknowledged_by_deputy(world: Any) -> tuple[str, dict[str, str]]:
    """An issue the grid worker raised and its deputy reported for; the deputy's CSRF."""
    worker = logged_in(world, "grid-worker", "/field/raise")
    issue_id = raise_as_worker(world, worker).json()["issue_id"]
    csrf = logged_in(world, dispatched_deputy(world, issue_id), "/field/duty")
    done = world.call("POST", f"/field/api/issues/{issue_id}/acknowledge", json={}, headers=csrf)
    assert done.status_code == 200, done.text
    return issue_id, csrf


def test_the_deputy_asks_for_more_time_and_sees_the_deadline_move(world: Any) -> None:
    issue_id, csrf = acknowledged_by_deputy(world)
    before = world.service.store.get_issue(issue_id).resolve_due
    assert before is not None
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert 'id="act-extension"' in page and "申请延期" in page
    assert '<option value="72">3 天</option>' in page
    assert 'id="extension-pending"' not in page
    url = f"/field/api/issues/{issue_id}/extension"
    asked = world.call("POST", url, json={"hours": 72, "reason": "需协调施工队，材料周四到"},
                       headers=csrf)  # fmt: skip
    assert asked.status_code == 200, asked.text
    assert asked.json()["extension_pending"] is True
    issue = world.service.store.get_issue(issue_id)
    assert issue.extension_pending and issue.extension_hours == 72
    assert issue.resolve_due == before  # nothing moves until the level above decides
    page = world.client.get(f"/field/issues/{issue_id}?done=extension").text
    assert "已提交延期申请，等待上级审批" in page
    assert "延期申请待批：延长 72 小时，理由：需协调施工队，材料周四到" in page
    assert 'id="act-extension"' not in page  # one request waits at a time
    assert "申请延期" in page.split('id="timeline"')[1]  # the log says it in words
    again = world.call("POST", url, json={"hours": 24, "reason": "再延"}, headers=csrf)
    assert again.status_code == 409
    # township staff approve it from their side (the level above the station)
    approved = world.call(
        "POST", f"/issues/{issue_id}/extension/approve", "township_staff", json={"note": "同意"}
    )
    assert approved.status_code == 200, approved.text
    moved = world.service.store.get_issue(issue_id).resolve_due
    assert moved is not None and (moved - before).total_seconds() == 72 * 3600
    logged_in(world, "deputy-on-duty", "/field/duty")
    page = world.client.get(f"/field/issues/{issue_id}").text
    shown = local_text(moved)
    assert f"办结时限已延至 {shown}" in page and 'id="extension-pending"' not in page
    assert shown in page.split('id="due"')[1][:200]  # the deadline line moved too
    assert 'id="act-extension"' in page  # while the new deadline runs it may be asked again
    # and the grid worker who raised it sees where it stands, without the form
    logged_in(world, "grid-worker", "/field/raise")
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert f"办结时限已延至 {shown}" in page and 'id="act-extension"' not in page


def local_text(at: Any) -> str:
    from gridgov.model import CHINA_TIME

    return f"{at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"


def test_more_time_is_asked_only_by_the_handler_with_a_reason(world: Any) -> None:
    issue_id, csrf = acknowledged_by_deputy(world)
    url = f"/field/api/issues/{issue_id}/extension"
    for body, field in (
        ({"hours": 24, "reason": ""}, "reason"),
        ({"hours": 24, "reason": "   "}, "reason"),
        ({"hours": 24, "reason": "理" * 501}, "reason"),
        ({"hours": 24}, "reason"),
        ({"hours": 0, "reason": "材料未到"}, "hours"),
        ({"hours": "三天", "reason": "材料未到"}, "hours"),
    ):
        bad = world.call("POST", url, json=body, headers=csrf)
        assert bad.status_code == 422, (body, bad.text)
        assert any(f.endswith(field) for f in fields_of(bad)), (body, bad.json())
    over = world.call("POST", url, json={"hours": 721, "reason": "材料未到"}, headers=csrf)
    assert over.status_code == 422 and "hours" in fields_of(over)  # settings.extension_max_h
    no_csrf = world.call("POST", url, json={"hours": 24, "reason": "材料未到"})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf"
    assert not world.service.store.get_issue(issue_id).extension_pending
    # a deputy of the station who was not dispatched sees the issue, may not ask
    dispatched = world.service.store.get_issue(issue_id).deputies
    others = sorted(
        d for d, row in world.service.deputies.items()
        if row["station_id"] == world.places.station_a and d not in dispatched
    )  # fmt: skip
    assert others, "the demo station has deputies who were not dispatched"
    make_account(world, "deputy-idle", "deputy", others[0])
    idle = logged_in(world, "deputy-idle", "/field/duty")
    assert 'id="act-extension"' not in world.client.get(f"/field/issues/{issue_id}").text
    refused = world.call("POST", url, json={"hours": 24, "reason": "材料未到"}, headers=idle)
    assert refused.status_code == 403
    # the grid worker raised it but never handles it; another station's deputy never sees it
    worker = logged_in(world, "grid-worker", "/field/raise")
    as_worker = world.call("POST", url, json={"hours": 24, "reason": "材料未到"}, headers=worker)
    assert as_worker.status_code == 403
    make_account(world, "deputy-far", "deputy", world.places.deputy_b)
    far = logged_in(world, "deputy-far", "/field/duty")
    assert (
        world.call("POST", url, json={"hours": 24, "reason": "x"}, headers=far).status_code == 404
    )
    world.client.cookies.clear()
    assert world.call("POST", url, json={"hours": 24, "reason": "x"}).status_code == 401
    assert not world.service.store.get_issue(issue_id).extension_pending


def test_no_more_time_is_offered_once_the_deadline_has_passed(world: Any) -> None:
    issue_id, csrf = acknowledged_by_deputy(world)
    due = world.service.store.get_issue(issue_id).resolve_due
    assert due is not None
    world.clock[0] = due
    csrf = logged_in(world, "deputy-on-duty", "/field/duty")  # the old session has ended
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert 'id="act-extension"' not in page and 'id="do-resolve"' in page
    late = world.call("POST", f"/field/api/issues/{issue_id}/extension",
                      json={"hours": 24, "reason": "材料未到"}, headers=csrf)  # fmt: skip
    assert late.status_code == 409
