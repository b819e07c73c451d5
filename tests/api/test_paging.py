"""Lists stay bounded whatever the store holds: /issues filters and pages in the store,
the issues layer and Open311's GET requests answer a page at a time."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World


def _raise_some(world: World) -> tuple[list[str], list[str]]:
    p = world.places
    a, b = [], []
    for _ in range(3):
        world.advance(1 / 60)
        a.append(world.raise_issue("county_staff", p.grid_a)["issue"]["issue_id"])
    for _ in range(2):
        world.advance(1 / 60)
        b.append(world.raise_issue("county_staff", p.grid_b)["issue"]["issue_id"])
    return a, b


def test_issue_list_filters_by_station_and_township_and_pages(world: World) -> None:
    a, b = _raise_some(world)
    p = world.places
    page = world.call("GET", f"/issues?station_id={p.station_a}&limit=2", "county_staff").json()
    assert page["total"] == 3 and [i["issue_id"] for i in page["items"]] == a[::-1][:2]
    rest = world.call(
        "GET", f"/issues?station_id={p.station_a}&limit=2&offset=2", "county_staff"
    ).json()
    assert [i["issue_id"] for i in rest["items"]] == a[:1]
    town = world.call("GET", f"/issues?township_code={p.township_b}", "county_staff").json()
    assert {i["issue_id"] for i in town["items"]} >= set(b)
    # a filter never widens the scope: station A's admin asking for station B sees nothing
    other = world.call("GET", f"/issues?station_id={p.station_b}", "station_admin").json()
    assert other["total"] == 0 and other["items"] == []


def test_issue_list_bbox(world: World) -> None:
    a, _ = _raise_some(world)
    lon, lat = world.point(world.places.grid_a)
    box = f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}"
    page = world.call("GET", f"/issues?bbox={box}", "county_staff").json()
    assert sorted(i["issue_id"] for i in page["items"]) == sorted(a)
    for bad in ("1,2,3", "x,1,2,3", "10,10,5,5", "nan,1,2,3"):
        r = world.call("GET", f"/issues?bbox={bad}", "county_staff")
        assert r.status_code == 422 and "bbox" in r.text


def test_issues_layer_is_paged(world: World) -> None:
    a, b = _raise_some(world)
    r = world.call("GET", "/layers/issues.geojson?limit=2", "county_staff")
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "5"
    assert [f["properties"]["issue_id"] for f in r.json()["features"]] == b[::-1]
    assert "offset=2" in r.headers["Link"] and 'rel="next"' in r.headers["Link"]
    last = world.call("GET", "/layers/issues.geojson?limit=2&offset=4", "county_staff")
    assert len(last.json()["features"]) == 1 and "Link" not in last.headers
    lon, lat = world.point(world.places.grid_a)
    box = f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}"
    inside = world.call("GET", f"/layers/issues.geojson?bbox={box}", "county_staff")
    assert sorted(f["properties"]["issue_id"] for f in inside.json()["features"]) == sorted(a)
    too_many = world.call("GET", "/layers/issues.geojson?limit=5001", "county_staff")
    assert 400 <= too_many.status_code < 500


def _ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [d["service_request_id"] for d in r.json()]


def test_open311_requests_are_paged(world: World) -> None:
    a, b = _raise_some(world)
    newest = (a + b)[::-1]
    url = "/open311/v2/requests.json"
    assert _ids(world.call("GET", url)) == newest
    assert _ids(world.call("GET", f"{url}?page_size=2")) == newest[:2]
    assert _ids(world.call("GET", f"{url}?page_size=2&page=3")) == newest[4:]
    assert _ids(world.call("GET", f"{url}?page_size=2&page=4")) == []
    # several (not all) service codes: the same page of the merged lists
    assert (
        _ids(world.call("GET", f"{url}?service_code=road,water&page_size=3&page=2")) == (newest[3:])
    )
    assert world.call("GET", f"{url}?page_size=1001").status_code == 400
    assert world.call("GET", f"{url}?page=0").status_code == 400


def test_statistics_read_only_the_period_agree_with_everything(world: World) -> None:
    # the route reads the period's issues and visits; the figures must be those of the
    # whole store given to issue_statistics, for the county and for a station's admin
    from datetime import timedelta

    from gridgov.issues.simulate import simulate
    from gridgov.issues.stats import issue_statistics
    from gridgov.store.base import IssueQuery

    service = world.service
    t0 = world.clock[0]
    simulate(service, start=t0, days=3, issues_per_day=25, seed=7)
    everything, _ = service.store.list_issues(IssueQuery(limit=-1))
    events = service.store.all_events()
    start, end = t0 + timedelta(days=1), t0 + timedelta(days=2)
    period = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
    for by in ("station", "deputy", "category"):
        got = world.call("GET", f"/statistics?by={by}&{period}", "county_staff").json()
        want = issue_statistics(
            everything, events, ws=service.ws, start=start, end=end, by=by,
            settings=service.settings,
        )  # fmt: skip
        rows = {r["unit"]: r for r in got["rows"]}
        assert set(rows) == {str(u) for u in want.index}
        for unit, row in want.iterrows():
            for col in ("received", "settled", "on_time", "deputy_visits", "open_backlog"):
                assert rows[str(unit)][col] == row[col], (by, unit, col)
        assert got["summary"]["received"] == int(want["received"].sum()) or by == "deputy"
    assert got["summary"]["deputy_visits"] > 0  # the period holds visits to check
    mine = world.call("GET", f"/statistics?by=station&{period}", "station_admin").json()
    ours = [i for i in everything if i.station_id == world.places.station_a]
    ids = {i.issue_id for i in ours}
    want = issue_statistics(
        ours, [e for e in events if e.issue_id in ids], ws=service.ws, start=start, end=end,
        by="station", settings=service.settings,
    )  # fmt: skip
    (row,) = mine["rows"]
    for col in ("received", "settled", "on_time", "deputy_visits", "merged"):
        assert row[col] == want.loc[world.places.station_a, col], col
