"""The staff's live map and statistics pages over plain HTTP: who may open them, what each
scope sees, the map's data bounded by its extent and coloured by the queue's deadlines, the
statistics equal to the JSON API's, the period picker's refusals, and the XLSX export read
back with openpyxl."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from test_auth import login, staff_accounts
from test_staff import overdue_issue

from api.web import board


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world with an account per role and the vendor assets mounted."""
    staff_accounts(server.world)
    return server.world


def county_box(world: Any) -> str:
    x0, y0, x1, y1 = world.ws.townships.total_bounds
    return f"{x0 - 0.01},{y0 - 0.01},{x1 + 0.01},{y1 + 0.01}"


def box_around(world: Any, grid: str, d: float = 0.002) -> str:
    lon, lat = world.point(grid)
    return f"{lon - d},{lat - d},{lon + d},{lat + d}"


def raised(world: Any, role: str, grid: str, **fields: Any) -> str:
    return str(world.raise_issue(role, grid, **fields)["issue"]["issue_id"])


def map_data(world: Any, bbox: str, **params: str) -> dict[str, Any]:
    r = world.client.get("/work/map/issues.geojson", params={"bbox": bbox, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = r.json()
    return body


def ids_on_map(body: dict[str, Any]) -> set[str]:
    return {f["properties"]["id"] for f in body["features"]}


# --- the map -------------------------------------------------------------------------------


def test_each_scope_sees_its_own_issues_on_the_map(world: Any) -> None:
    p = world.places
    a = raised(world, "grid_worker", p.grid_a)
    b = raised(world, "grid_worker_other", p.grid_b)
    whole = county_box(world)
    login(world.client, "county-staff")
    assert ids_on_map(map_data(world, whole)) == {a, b}
    world.client.cookies.clear()
    login(world.client, "township-staff")
    assert ids_on_map(map_data(world, whole)) == {a}
    world.client.cookies.clear()
    login(world.client, "station-admin")
    body = map_data(world, whole)
    assert ids_on_map(body) == {a}
    feature = body["features"][0]
    lon, lat = world.point(p.grid_a)
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    props = feature["properties"]
    assert props["category"] == world.service.settings.issue_categories["road"]  # its label
    assert props["summary"] == "村道路面塌陷" and props["created"] == "2026-11-23 09:00"
    assert props["grid"] == world.service.ws.grids.set_index("code").loc[p.grid_a, "name"]


def test_the_map_reads_only_the_extent_it_shows(world: Any) -> None:
    p = world.places
    a = raised(world, "grid_worker", p.grid_a)
    b = raised(world, "grid_worker_other", p.grid_b)
    login(world.client, "county-staff")
    assert ids_on_map(map_data(world, box_around(world, p.grid_a))) == {a}
    assert ids_on_map(map_data(world, box_around(world, p.grid_b))) == {b}
    assert map_data(world, "0,0,1,1")["total"] == 0


def test_the_map_is_bounded_and_says_how_many_it_left_out(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [raised(world, "grid_worker", world.places.grid_a) for _ in range(2)]
    world.advance(0.5)
    newest = raised(world, "grid_worker", world.places.grid_a)
    monkeypatch.setattr(board, "MAP_LIMIT", 2)
    login(world.client, "county-staff")
    body = map_data(world, county_box(world))
    assert body["total"] == 3 and body["shown"] == 2
    assert newest in ids_on_map(body) and len(ids_on_map(body) & set(first)) == 1


def test_overdue_and_due_soon_issues_are_marked_as_the_queue_marks_them(world: Any) -> None:
    late = overdue_issue(world)  # escalated to the township for a missed deadline
    soon = raised(world, "grid_worker", world.places.grid_a)
    world.advance(3.5)  # 4 h to take it at the station: the last hour warns
    fresh = raised(world, "grid_worker", world.places.grid_a)
    login(world.client, "township-staff")
    body = map_data(world, county_box(world))
    states = {f["properties"]["id"]: f["properties"]["state"] for f in body["features"]}
    assert states == {late: "overdue", soon: "due_soon", fresh: "open"}
    assert body["overdue"] == 1 and body["due_soon"] == 1
    queue = world.client.get("/work?tab=overdue").text
    assert set(re.findall(r'href="/work/issues/([^"?]+)"', queue)) == {late}
    world.advance(1)  # the warning turns into a missed deadline
    states = {f["properties"]["id"]: f["properties"]["state"]
              for f in map_data(world, county_box(world))["features"]}  # fmt: skip
    assert states[soon] == "overdue"


def test_the_map_filters_like_the_queue(world: Any) -> None:
    p = world.places
    road = raised(world, "grid_worker", p.grid_a)
    water = raised(world, "grid_worker", p.grid_a, category="water", description="渠道堵塞")
    other = raised(world, "grid_worker_other", p.grid_b)
    login(world.client, "county-staff")
    whole = county_box(world)
    assert ids_on_map(map_data(world, whole, category="water")) == {water}
    assert ids_on_map(map_data(world, whole, station=p.station_a)) == {road, water}
    assert ids_on_map(map_data(world, whole, township=p.township_b)) == {other}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, "缺少地图范围"),
        ({"bbox": "east,of,the,river"}, 400, "地图范围“east,of,the,river”无效"),
        ({"bbox": "113,30,112,29"}, 400, "无效"),
        ({"bbox": "112,29,113,30", "category": "ufo"}, 400, "没有“ufo”这一问题类别"),
        ({"bbox": "112,29,113,30", "lang": "en"}, 200, ""),
        ({"lang": "en"}, 400, "The map's extent is missing"),
    ],
)
def test_bad_map_requests_are_told_why(
    world: Any, params: dict[str, str], status: int, words: str
) -> None:
    login(world.client, "county-staff")
    r = world.client.get("/work/map/issues.geojson", params=params)
    assert r.status_code == status, r.text
    if words:
        assert words in r.json()["error"]


def test_a_station_outside_the_scope_is_refused_not_shown(world: Any) -> None:
    raised(world, "grid_worker_other", world.places.grid_b)
    login(world.client, "township-staff")
    r = world.client.get(
        "/work/map/issues.geojson",
        params={"bbox": county_box(world), "station": world.places.station_b},
    )
    assert r.status_code == 400 and "不在您可查看的范围内" in r.json()["error"]


def test_the_map_data_answers_json_to_the_logged_out_and_to_other_roles(world: Any) -> None:
    url = f"/work/map/issues.geojson?bbox={county_box(world)}"
    r = world.client.get(url, follow_redirects=False)
    assert r.status_code == 401 and r.json()["error"] == "请先登录。"
    for who in ("grid-worker", "deputy", "planner"):
        world.client.cookies.clear()
        login(world.client, who)
        r = world.client.get(url)
        assert r.status_code == 403 and "不能查看问题地图" in r.json()["error"], who
        assert world.client.get("/work/map/base.json").status_code == 403


def test_the_base_layers_hold_no_personal_data_and_follow_the_scope(world: Any) -> None:
    login(world.client, "county-staff")
    r = world.client.get("/work/map/base.json")
    assert r.status_code == 200
    body = r.json()
    assert len(body["grids"]["features"]) == len(world.ws.grids)
    assert len(body["townships"]["features"]) == len(world.ws.townships)
    assert len(body["stations"]["features"]) == len(world.ws.stations)
    assert set(body["grids"]["features"][0]["properties"]) == {"code", "name"}
    phones = {str(v) for v in world.ws.grids["worker_phone"].dropna()}
    assert phones and not any(phone in r.text for phone in phones)
    world.client.cookies.clear()
    login(world.client, "station-admin")
    mine = world.client.get("/work/map/base.json").json()
    codes = {f["properties"]["code"] for f in mine["grids"]["features"]}
    assert world.places.grid_a in codes and world.places.grid_b not in codes
    assert [f["properties"]["station_id"] for f in mine["stations"]["features"]] == [
        world.places.station_a
    ]
    (s, w), (n, e) = mine["bounds"]
    lon, lat = world.point(world.places.grid_a)
    assert w <= lon <= e and s <= lat <= n


def test_the_map_page_loads_its_offline_assets(world: Any) -> None:
    login(world.client, "county-staff")
    page = world.client.get("/work/map")
    assert page.status_code == 200
    assert "问题地图" in page.text and "已超期" in page.text and "即将超期" in page.text
    assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', page.text)
    assert "/static/vendor/leaflet/leaflet.js" in assets
    assert "/static/vendor/markercluster/leaflet.markercluster.js" in assets
    for asset in assets:
        assert world.client.get(asset).status_code == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from outside
    # the township filter for the county, with the queue's words
    assert 'name="township"' in page.text and 'name="station"' in page.text


def test_an_unknown_filter_on_the_map_page_is_said_and_ignored(world: Any) -> None:
    login(world.client, "township-staff")
    r = world.client.get(f"/work/map?station={world.places.station_b}&category=ufo")
    assert r.status_code == 400
    assert "已忽略" in r.text and "station" in r.text and "category" in r.text


@pytest.mark.parametrize(
    ("who", "status"),
    [("grid-worker", 403), ("deputy", 403), ("planner", 403), (None, 303)],
)
def test_only_staff_open_the_map_and_the_statistics(
    world: Any, who: str | None, status: int
) -> None:
    if who is not None:
        login(world.client, who)
    for path in ("/work/map", "/work/stats", "/work/stats.xlsx"):
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code == status, path
        if status == 303:
            assert r.headers["location"].startswith("/login")
        else:
            assert "您的角色不能使用此页面" in r.text


# --- statistics ----------------------------------------------------------------------------


def settle(world: Any, issue_id: str) -> None:
    """The first deputy dispatched takes the issue and resolves it."""
    deputy = world.service.store.get_issue(issue_id).deputies[0]
    auth = {"Authorization": f"Bearer {world.token('deputy', deputy)}"}
    world.call("POST", f"/issues/{issue_id}/acknowledge", headers=auth, json={})
    world.call("POST", f"/issues/{issue_id}/resolve", headers=auth, json={"result": "已修复"})


@pytest.fixture
def three(world: Any) -> list[str]:
    """Two issues in township A (one settled), one in township B."""
    p = world.places
    ids = [
        raised(world, "grid_worker", p.grid_a),
        raised(world, "grid_worker", p.grid_a, category="water", description="渠道堵塞"),
        raised(world, "grid_worker_other", p.grid_b),
    ]
    settle(world, ids[0])
    return ids


def card(html: str, key: str) -> str:
    found = re.search(rf'id="card-{key}"><dt>[^<]*</dt><dd>([^<]*)</dd>', html)
    assert found, f"no card {key}"
    return found.group(1)


def test_the_statistics_are_the_apis_figures_for_this_month(world: Any, three: list[str]) -> None:
    login(world.client, "county-staff")
    page = world.client.get("/work/stats")
    assert page.status_code == 200
    api = world.call(
        "GET", "/statistics?by=county&from=2026-11-01T00:00:00%2B08:00&to=2026-12-01T00:00:00%2B08:00",
        "county_staff",
    ).json()["summary"]  # fmt: skip
    assert api["received"] == 3 and api["settled"] == 1
    assert card(page.text, "received") == "3"
    assert card(page.text, "settled") == "1"
    assert card(page.text, "settle_rate") == f"{api['settle_rate'] * 100:.1f}%" == "33.3%"
    assert card(page.text, "satisfaction_rate") == "—"  # nobody rated yet
    assert "2026-11-01 至 2026-11-30" in page.text and "华容县" in page.text
    assert 'aria-current="page">本月' in page.text


def test_the_charts_are_svg_bars_with_chinese_labels(world: Any, three: list[str]) -> None:
    login(world.client, "county-staff")
    html = world.client.get("/work/stats").text
    names = world.ws.townships.set_index("code")["name"]
    township = re.search(r'<svg class="board-chart" id="chart-township".*?</svg>', html, re.S)
    assert township, "no township chart"
    labels = re.findall(r'<text class="label"[^>]*>([^<]+)</text>', township.group(0))
    # the two townships with issues, most first, named in Chinese
    assert labels == [names[world.places.township_a], names[world.places.township_b]]
    widths = [
        float(w) for w in re.findall(r'class="received"[^>]*width="([\d.]+)"', township.group(0))
    ]
    assert widths[1:] == [420.0, 210.0]  # after the legend's swatch: 2 issues, then 1
    week = re.search(r'<svg class="board-chart" id="chart-week".*?</svg>', html, re.S)
    assert week, "no weekly chart"
    weeks = re.findall(r'<text class="label"[^>]*>([^<]+)</text>', week.group(0))
    assert (
        weeks[0] == "11-01"
        and weeks[1] == "11-02～11-08"
        and weeks[-1] == "11-30"
        and len(weeks) == 6
    )
    assert "办结率 50.0%" in township.group(0)  # township A: one of two settled


def test_township_staff_see_their_own_stations_only(world: Any, three: list[str]) -> None:
    login(world.client, "township-staff")
    html = world.client.get("/work/stats").text
    st = world.ws.stations.set_index("station_id")["name"]
    assert card(html, "received") == "2"
    assert st[world.places.station_a] in html and st[world.places.station_b] not in html
    assert 'id="group-township"' not in html and 'id="group-station"' in html
    world.client.cookies.clear()
    login(world.client, "station-admin")
    html = world.client.get("/work/stats").text
    assert card(html, "received") == "2"
    assert 'id="group-station"' not in html and 'id="group-category"' in html


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2026-13-01", "日期“2026-13-01”无法识别"),
        ("from=2026-11-20&to=2026-11-01", "截止日期不能早于起始日期"),
        ("from=2020-01-01&to=2026-01-01", "统计期最长 1098 天"),
        ("from=1899-01-01", "2001 年至 2099 年"),
        ("from=2000-01-01&to=2000-01-31", "2001 年至 2099 年"),
        ("to=2100-01-01", "2001 年至 2099 年"),
        ("from=2026-02-30", "日期“2026-02-30”无法识别"),
        ("period=forever", "没有“forever”这一统计期"),
    ],
)
def test_a_bad_period_is_told_in_chinese(world: Any, query: str, words: str) -> None:
    login(world.client, "county-staff")
    for path in ("/work/stats", "/work/stats.xlsx"):
        r = world.client.get(f"{path}?{query}")
        assert r.status_code == 400, path
        assert words in r.text, path
        assert 'id="period-form"' in r.text  # the picker stays to put it right


def test_the_period_picker(world: Any, three: list[str]) -> None:
    login(world.client, "county-staff")
    last = world.client.get("/work/stats?period=last_month").text
    assert card(last, "received") == "0" and "本统计期内没有受理问题" in last
    assert "2026-10-01 至 2026-10-31" in last
    year = world.client.get("/work/stats?period=this_year").text
    assert card(year, "received") == "3" and 'id="group-month"' in year
    assert "2026年11月" in year and "2026年1月" in year
    day = world.client.get("/work/stats?from=2026-11-23&to=2026-11-23").text
    assert card(day, "received") == "3"
    assert card(world.client.get("/work/stats?from=2026-11-24").text, "received") == "0"
    edge = world.client.get("/work/stats?from=2099-12-01&to=2099-12-31")
    assert edge.status_code == 200 and card(edge.text, "received") == "0"


def test_the_statistics_in_english(world: Any, three: list[str]) -> None:
    login(world.client, "county-staff")
    html = world.client.get("/work/stats?lang=en").text
    assert "<h1>Statistics</h1>" in html and "Settle rate" in html and "By township" in html
    assert "2026-11-01 to 2026-11-30 (Beijing time)" in html


# --- the workbook --------------------------------------------------------------------------


def workbook_of(world: Any, query: str = "") -> Any:
    r = world.client.get(f"/work/stats.xlsx{query}")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in r.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(r.content))


def test_the_export_holds_the_same_figures_with_real_percentages(
    world: Any, three: list[str]
) -> None:
    login(world.client, "county-staff")
    book = workbook_of(world)
    assert book.sheetnames == ["汇总", "按乡镇（街道）", "按联络站", "按问题类别", "按周"]
    towns = book["按乡镇（街道）"]
    assert towns["A1"].value == "代表联络站问题办理统计" and towns["A1"].font.b
    assert towns["A2"].value == "统计期：2026-11-01 至 2026-11-30（北京时间）"
    assert towns["A3"].value == "统计范围：华容县"
    assert towns["A4"].value.startswith("生成时间：2026-11-23 09:")
    header = [c.value for c in towns[6]]
    assert header[:5] == ["代码", "名称", "收集问题（件）", "办结（件）", "办结率"]
    assert all(c.font.b for c in towns[6])
    assert towns.freeze_panes == "A7"
    assert towns.auto_filter.ref == f"A6:R{6 + len(world.ws.townships)}"
    rows = {r[0]: r for r in towns.iter_rows(min_row=7, values_only=True)}
    a = rows[world.places.township_a]
    assert a[2:5] == (2, 1, 0.5)
    rate = next(c for c in towns[7 + list(rows).index(world.places.township_a)] if c.column == 5)
    assert rate.number_format == "0.0%" and isinstance(rate.value, float)
    summary = book["汇总"]
    figures = {r[0]: r[1] for r in summary.iter_rows(min_row=7, values_only=True)}
    assert figures["收集问题（件）"] == 3 and figures["办结率"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["满意率"] is None
    weeks = list(book["按周"].iter_rows(min_row=7, values_only=True))
    assert sum(r[1] for r in weeks) == 3 and weeks[0][0] == "11-01"


def test_the_export_in_english_for_a_township(world: Any, three: list[str]) -> None:
    login(world.client, "township-staff")
    book = workbook_of(world, "?lang=en&from=2026-11-01&to=2026-11-30")
    assert book.sheetnames == ["Summary", "By station", "By category", "By week"]
    sheet = book["By station"]
    assert sheet["A1"].value == "Liaison station issue statistics"
    assert sheet["A2"].value == "Period: 2026-11-01 to 2026-11-30 (Beijing time)"
    assert [c.value for c in sheet[6]][:4] == ["Code", "Name", "Received", "Settled"]
    codes = {r[0] for r in sheet.iter_rows(min_row=7, values_only=True)}
    assert world.places.station_a in codes and world.places.station_b not in codes


# --- photos on the staff issue page ---------------------------------------------------------


def test_the_staff_issue_page_shows_its_photos_to_those_who_see_the_issue(world: Any) -> None:
    from PIL import Image

    issue_id = raised(world, "grid_worker", world.places.grid_a)
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "#6a8").save(out, "JPEG", quality=90)
    files = {"photo": ("photo.jpg", out.getvalue(), "image/jpeg")}
    sent = world.call("POST", f"/issues/{issue_id}/photos", "grid_worker", files=files)
    assert sent.status_code == 201, sent.text
    photo_id = sent.json()["photo_id"]
    url = f"/work/issues/{issue_id}/photos/{photo_id}.jpg"
    login(world.client, "township-staff")
    page = world.client.get(f"/work/issues/{issue_id}").text
    assert f'<img src="{url}"' in page and "2026-11-23 09:00 · 网格员" in page
    shown = world.client.get(url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert "private" in shown.headers["cache-control"]
    assert world.client.get(f"/work/issues/{issue_id}/photos/nope.jpg").status_code == 404
    bare = raised(world, "grid_worker", world.places.grid_a)
    assert "暂无照片" in world.client.get(f"/work/issues/{bare}").text
    world.client.cookies.clear()
    login(world.client, "township-staff-other")  # another township: neither issue nor photo
    assert world.client.get(url).status_code == 404
    world.client.cookies.clear()
    assert world.client.get(url, follow_redirects=False).status_code == 303
