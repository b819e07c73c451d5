"""Each role of the issue service over HTTP: what it may do and see, and what it may not.

The rules are the table of :mod:`gridgov.issues.access`: 404 for an issue outside the caller's
scope (existence does not leak), 403 for an action its role may not take on an issue it
sees, and personal data (deputies' and grid workers' phones, the reporter) only for those
who need it to act. The last part sweeps every endpoint each role may call for phone
numbers it must not see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from gridgov.model import Workspace

if TYPE_CHECKING:
    from conftest import World

# --- helpers ------------------------------------------------------------------------------


def _id(created: dict[str, Any]) -> str:
    return str(created["issue"]["issue_id"])


def _deputy_phones(ws: Workspace) -> dict[str, str]:
    d = ws.deputies
    return dict(zip(d["deputy_id"].astype(str), d["phone"].astype(str), strict=True))


def _deputy_station(ws: Workspace) -> dict[str, str]:
    d = ws.deputies
    return dict(zip(d["deputy_id"].astype(str), d["station_id"].astype(str), strict=True))


def _all_deputy_refs(body: Any) -> Iterator[dict[str, Any]]:
    """Every DeputyRef-like object (a deputy_id and a phone key) anywhere in a body."""
    if isinstance(body, dict):
        if "deputy_id" in body and "phone" in body:
            yield body
        for v in body.values():
            yield from _all_deputy_refs(v)
    elif isinstance(body, list):
        for v in body:
            yield from _all_deputy_refs(v)


def _resolve_as(world: World, issue_id: str, role: str = "county_staff") -> None:
    r = world.call("POST", f"/issues/{issue_id}/resolve", role, json={"result": "已修复"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved"


def _escalate_to_township(world: World, issue_id: str) -> dict[str, Any]:
    """Let deadlines pass (the scheduler's tick) until the issue is at the township."""
    for _ in range(6):
        got = world.call("GET", f"/issues/{issue_id}", "county_staff").json()
        if got["level"] == "township":
            return got
        due = [datetime.fromisoformat(got[k]) for k in ("acknowledge_due", "resolve_due") if got[k]]
        assert due, f"no deadline left to pass at {got['level']}: {got}"
        world.clock[0] = min(due) + timedelta(minutes=1)
        world.service.tick(world.clock[0])
    raise AssertionError(f"issue {issue_id} never reached the township: {got}")


# --- grid worker --------------------------------------------------------------------------


def test_grid_worker_raises_sees_and_rates_only_in_own_grid(world: World) -> None:
    p = world.places
    mine = world.raise_issue(
        "grid_worker", p.grid_a, reporter_name="居民甲", reporter_phone="139-0000-1001"
    )
    assert mine["issue"]["grid_code"] == p.grid_a
    assert mine["issue"]["station_id"] == p.station_a
    # not in another grid, even of the same station
    for grid in (p.grid_b, p.grid_a2):
        r = world.call(
            "POST",
            "/issues",
            "grid_worker",
            json={
                "category": "road",
                "description": "越界",
                **dict(zip(("lon", "lat"), world.point(grid), strict=True)),
            },
        )
        assert r.status_code == 403, r.text
        assert grid in r.json()["message"]
    # another grid's issue does not exist for them
    theirs = world.raise_issue("grid_worker_other", p.grid_b, reporter_phone="139-0000-1002")
    r = world.call("GET", f"/issues/{_id(theirs)}", "grid_worker")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert world.call("GET", f"/issues/{_id(theirs)}/events", "grid_worker").status_code == 404
    listed = world.call("GET", "/issues", "grid_worker").json()
    assert [i["issue_id"] for i in listed["items"]] == [_id(mine)]
    # own issue: visible with its reporter (they raised it), deputies without phones
    got = world.call("GET", f"/issues/{_id(mine)}", "grid_worker")
    assert got.status_code == 200
    assert got.json()["reporter"] == {"name": "居民甲", "phone": "139-0000-1001"}
    assert got.json()["events"], "the issue's log is missing"
    # a resident's issue in their grid: visible, but the reporter is not theirs to see
    lon, lat = world.point(p.grid_a)
    qr = world.raise_public(
        p.station_a, lon=lon, lat=lat, reporter_name="居民乙", reporter_phone="139-0000-1003"
    )
    got = world.call("GET", f"/issues/{qr['issue']['issue_id']}", "grid_worker")
    assert got.status_code == 200, got.text
    assert got.json()["reporter"] is None
    assert "139-0000-1003" not in got.text and "居民乙" not in got.text
    # cannot act as a handler
    for verb, body in (
        ("acknowledge", {}),
        ("resolve", {"result": "x"}),
        ("close", {"reason": "x"}),
    ):
        r = world.call("POST", f"/issues/{_id(mine)}/{verb}", "grid_worker", json=body)
        assert r.status_code == 403, (verb, r.text)
        assert r.json()["error"] == "forbidden"
    r = world.call(
        "POST", f"/issues/{_id(mine)}/transfer", "grid_worker",
        json={"to": f"station:{p.station_c}", "reason": "x"},
    )  # fmt: skip
    assert r.status_code == 403
    # no deputy phone anywhere they look
    bodies = [
        world.call("GET", f"/issues/{_id(mine)}", "grid_worker").json(),
        world.call("GET", "/issues", "grid_worker").json(),
        world.call("GET", f"/stations/{p.station_a}", "grid_worker").json(),
        world.call("GET", "/deputies", "grid_worker", params={"station_id": p.station_a}).json(),
        mine,
    ]
    refs = [ref for b in bodies for ref in _all_deputy_refs(b)]
    assert refs and all(ref["phone"] is None for ref in refs)
    # rating on the resident's behalf once resolved; another grid's worker may not
    _resolve_as(world, _id(mine), "station_admin")
    r = world.call(
        "POST", f"/issues/{_id(mine)}/rate", "grid_worker_other", json={"rating": "满意"}
    )
    assert r.status_code == 404
    r = world.call("POST", f"/issues/{_id(mine)}/rate", "grid_worker", json={"rating": "满意"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["rating"] == "satisfied"


# --- deputies -----------------------------------------------------------------------------


def test_dispatched_deputy_acknowledges_and_resolves(world: World) -> None:
    p = world.places
    created = world.raise_issue("grid_worker", p.grid_a, reporter_phone="139-0000-2001")
    dispatched = [d["deputy_id"] for d in created["dispatched"]]
    assert dispatched, "nobody dispatched"
    assert [d["deputy_id"] for d in created["issue"]["deputies"]] == dispatched
    deputy = world.token("deputy", dispatched[0])
    h = {"Authorization": f"Bearer {deputy}"}
    got = world.call("GET", f"/issues/{_id(created)}", headers=h)
    assert got.status_code == 200
    # a dispatched deputy calls the reporter back
    assert got.json()["reporter"]["phone"] == "139-0000-2001"
    r = world.call("POST", f"/issues/{_id(created)}/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    name = world.ws.deputies.set_index("deputy_id").loc[dispatched[0], "name"]
    assert r.json()["status"] == "acknowledged"
    assert r.json()["three_knows"]["responsible"] == name
    r = world.call("POST", f"/issues/{_id(created)}/start", headers=h, json={"note": "到现场"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = world.call(
        "POST", f"/issues/{_id(created)}/resolve", headers=h, json={"result": "已协调修复"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved"
    assert r.json()["three_knows"]["result"] == "已协调修复"
    # a deputy does not close: that is the township's or the county's
    r = world.call("POST", f"/issues/{_id(created)}/close", headers=h, json={"reason": "x"})
    assert r.status_code == 403


def test_deputy_of_the_station_acts_and_sees_only_own_phone(world: World) -> None:
    p = world.places
    phones = _deputy_phones(world.ws)
    created = world.raise_issue("station_admin", p.grid_a2, reporter_phone="139-0000-2002")
    dispatched = {d["deputy_id"] for d in created["dispatched"]}
    got = world.call("GET", f"/issues/{_id(created)}", "deputy")
    assert got.status_code == 200
    if p.deputy_a not in dispatched:
        assert got.json()["reporter"] is None  # of the station, but not called to it
    # only a dispatched deputy takes the issue; the station's others may not
    others = sorted(
        d for d, st in _deputy_station(world.ws).items()
        if st == p.station_a and d not in dispatched
    )  # fmt: skip
    assert dispatched and others
    idle = {"Authorization": f"Bearer {world.token('deputy', others[0])}"}
    for verb, body in (("acknowledge", None), ("start", None), ("resolve", {"result": "办结"})):
        r = world.call("POST", f"/issues/{_id(created)}/{verb}", headers=idle, json=body)
        assert r.status_code == 403, (verb, r.text)
    called = {"Authorization": f"Bearer {world.token('deputy', sorted(dispatched)[0])}"}
    r = world.call("POST", f"/issues/{_id(created)}/acknowledge", headers=called)
    assert r.status_code == 200, r.text
    r = world.call(
        "POST", f"/issues/{_id(created)}/resolve", headers=called, json={"result": "办结"}
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    # phones: their own only
    station = world.call("GET", f"/stations/{p.station_a}", "deputy").json()
    assert any(d["deputy_id"] == p.deputy_a for d in station["deputies"])
    for d in station["deputies"]:
        expected = phones[p.deputy_a] if d["deputy_id"] == p.deputy_a else None
        assert d["phone"] == expected, d
    me = world.call("GET", f"/deputies/{p.deputy_a}", "deputy").json()
    assert me["phone"] == phones[p.deputy_a]
    listed = world.call("GET", "/deputies", "deputy", params={"limit": 5000}).json()
    assert {d["deputy_id"] for d in listed if d["phone"] is not None} == {p.deputy_a}


def test_deputy_of_another_station_gets_404(world: World) -> None:
    p = world.places
    a = world.raise_issue("grid_worker", p.grid_a)
    b = world.raise_issue("grid_worker_other", p.grid_b)
    assert p.deputy_b not in {d["deputy_id"] for d in a["dispatched"]}
    assert p.deputy_a not in {d["deputy_id"] for d in b["dispatched"]}
    for role, issue in (("deputy", b), ("deputy_other", a)):
        assert world.call("GET", f"/issues/{_id(issue)}", role).status_code == 404
        r = world.call("POST", f"/issues/{_id(issue)}/acknowledge", role)
        assert r.status_code == 404, r.text
        r = world.call("POST", f"/issues/{_id(issue)}/resolve", role, json={"result": "x"})
        assert r.status_code == 404, r.text
    listed = world.call("GET", "/issues", "deputy_other").json()
    assert _id(a) not in {i["issue_id"] for i in listed["items"]}
    # nothing changed
    assert world.call("GET", f"/issues/{_id(a)}", "county_staff").json()["status"] == "dispatched"


# --- station admin -------------------------------------------------------------------------


def test_station_admin_scope_transfer_and_merge(world: World) -> None:
    p = world.places
    phones = _deputy_phones(world.ws)
    first = world.raise_issue("grid_worker", p.grid_a, reporter_phone="139-0000-3001")
    second = world.raise_issue("station_admin", p.grid_a)  # the admin raises in its grids
    elsewhere = world.raise_issue("grid_worker_other", p.grid_b)
    page = world.call("GET", "/issues", "station_admin").json()
    assert page["total"] == 2
    assert {i["station_id"] for i in page["items"]} == {p.station_a}
    assert {i["issue_id"] for i in page["items"]} == {_id(first), _id(second)}
    assert world.call("GET", f"/issues/{_id(elsewhere)}", "station_admin").status_code == 404
    assert world.call("GET", f"/issues/{_id(first)}", "station_admin_other").status_code == 404
    got = world.call("GET", f"/issues/{_id(first)}", "station_admin").json()
    assert got["reporter"]["phone"] == "139-0000-3001"
    assert all(d["phone"] == phones[d["deputy_id"]] for d in got["deputies"])
    # merge the duplicate into the first
    r = world.call(
        "POST", f"/issues/{_id(second)}/merge", "station_admin",
        json={"into": _id(first), "reason": "同一处塌陷"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["merged_into"] == _id(first)
    # another station's admin cannot transfer it
    r = world.call(
        "POST", f"/issues/{_id(first)}/transfer", "station_admin_other",
        json={"to": f"station:{p.station_b}", "reason": "x"},
    )  # fmt: skip
    assert r.status_code == 404
    # transfer to another station: it is now theirs
    r = world.call(
        "POST", f"/issues/{_id(first)}/transfer", "station_admin",
        json={"to": f"station:{p.station_c}", "reason": "属对方辖区"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["unit"] == f"station:{p.station_c}" and moved["station_id"] == p.station_c
    # dispatched at once to the new station's nearest deputies
    assert moved["status"] == "dispatched" and moved["level"] == "station"
    assert moved["deputies"] and {d["deputy_id"] for d in moved["deputies"]} <= {
        d for d, st in _deputy_station(world.ws).items() if st == p.station_c
    }
    c_admin = {"Authorization": f"Bearer {world.token('station_admin', p.station_c)}"}
    r = world.call("POST", f"/issues/{_id(first)}/acknowledge", headers=c_admin)
    assert r.status_code == 200, r.text
    events = world.call("GET", f"/issues/{_id(first)}/events", "county_staff").json()
    assert [e["kind"] for e in events if e["kind"] == "transferred"] == ["transferred"]
    # phones: its station's deputies, not another's
    mine = world.call("GET", f"/stations/{p.station_a}", "station_admin").json()
    assert mine["deputies"]
    assert all(d["phone"] == phones[d["deputy_id"]] for d in mine["deputies"])
    other = world.call("GET", f"/stations/{p.station_b}", "station_admin").json()
    assert other["deputies"] and all(d["phone"] is None for d in other["deputies"])
    grids = {g["code"]: g for g in world.call("GET", "/grids", "station_admin").json()}
    assert grids[p.grid_a]["worker_phone"]
    assert "worker_phone" not in grids[p.grid_b]


def test_station_admin_cannot_close(world: World) -> None:
    created = world.raise_issue("grid_worker", world.places.grid_a)
    _resolve_as(world, _id(created), "station_admin")
    r = world.call("POST", f"/issues/{_id(created)}/close", "station_admin", json={"reason": "x"})
    assert r.status_code == 403, r.text


# --- township staff ------------------------------------------------------------------------


def test_township_staff_scope_and_escalation(world: World) -> None:
    p = world.places
    a = world.raise_issue("grid_worker", p.grid_a, reporter_phone="139-0000-4001")
    b = world.raise_issue("grid_worker_other", p.grid_b)
    stations = set(
        world.ws.stations.loc[
            world.ws.stations["township_code"].astype(str) == p.township_a, "station_id"
        ].astype(str)
    )
    page = world.call("GET", "/issues", "township_staff").json()
    assert {i["issue_id"] for i in page["items"]} == {_id(a)}
    assert all(
        i["township_code"] == p.township_a or i["station_id"] in stations for i in page["items"]
    )
    assert world.call("GET", f"/issues/{_id(b)}", "township_staff").status_code == 404
    assert world.call("GET", f"/issues/{_id(a)}", "township_staff_other").status_code == 404
    # the deadlines pass: the scheduler escalates it to the township
    up = _escalate_to_township(world, _id(a))
    assert up["status"] == "assigned" and up["escalations"] >= 1
    assert up["unit"] == f"township:{p.township_a}"
    # station handlers no longer handle it; the other township never sees it
    assert world.call("POST", f"/issues/{_id(a)}/acknowledge", "station_admin").status_code == 403
    assert world.call("POST", f"/issues/{_id(a)}/acknowledge", "deputy").status_code in (403, 404)
    r = world.call("POST", f"/issues/{_id(a)}/acknowledge", "township_staff_other")
    assert r.status_code == 404
    r = world.call(
        "POST", f"/issues/{_id(a)}/acknowledge", "township_staff", json={"name": "李干事"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["three_knows"]["responsible"] == "李干事"
    r = world.call(
        "POST", f"/issues/{_id(a)}/resolve", "township_staff", json={"result": "乡镇交办公路站"}
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    r = world.call("POST", f"/issues/{_id(a)}/close", "township_staff", json={"reason": "已办结"})
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_transfer_to_township_hands_it_to_township_staff(world: World) -> None:
    p = world.places
    a = world.raise_issue("grid_worker", p.grid_a)
    r = world.call(
        "POST", f"/issues/{_id(a)}/transfer", "station_admin",
        json={"to": f"township:{p.township_a}", "reason": "需乡镇协调"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "township"
    assert world.call("POST", f"/issues/{_id(a)}/acknowledge", "station_admin").status_code == 403
    assert world.call("POST", f"/issues/{_id(a)}/acknowledge", "township_staff").status_code == 200
    # returned (退回) to the station it came from
    r = world.call(
        "POST", f"/issues/{_id(a)}/return", "township_staff", json={"reason": "站内可办"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["unit"] == f"station:{p.station_a}"


# --- county staff --------------------------------------------------------------------------


def test_county_staff_sees_everything_and_closes(world: World) -> None:
    p = world.places
    phones = _deputy_phones(world.ws)
    a = world.raise_issue("grid_worker", p.grid_a, reporter_phone="139-0000-5001")
    b = world.raise_issue("grid_worker_other", p.grid_b, reporter_phone="139-0000-5002")
    page = world.call("GET", "/issues", "county_staff").json()
    assert {i["issue_id"] for i in page["items"]} == {_id(a), _id(b)}
    for issue, phone in ((a, "139-0000-5001"), (b, "139-0000-5002")):
        got = world.call("GET", f"/issues/{_id(issue)}", "county_staff").json()
        assert got["reporter"]["phone"] == phone
        assert all(d["phone"] == phones[d["deputy_id"]] for d in got["deputies"])
    # filters inside the scope
    only_b = world.call("GET", "/issues", "county_staff", params={"station_id": p.station_b}).json()
    assert [i["issue_id"] for i in only_b["items"]] == [_id(b)]
    r = world.call("POST", f"/issues/{_id(a)}/close", "county_staff", json={"reason": "已撤回"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = world.call("POST", f"/issues/{_id(b)}/acknowledge", "county_staff")
    assert r.status_code == 200
    _resolve_as(world, _id(b))
    for s in (p.station_a, p.station_b):
        st = world.call("GET", f"/stations/{s}", "county_staff").json()
        assert all(d["phone"] == phones[d["deputy_id"]] for d in st["deputies"])


# --- planner -------------------------------------------------------------------------------


def test_planner_gets_statistics_not_issues(world: World) -> None:
    a = world.raise_issue("grid_worker", world.places.grid_a, reporter_phone="139-0000-6001")
    for url in ("/statistics", "/statistics?by=deputy", "/coverage/summary"):
        r = world.call("GET", url, "planner")
        assert r.status_code == 200, (url, r.text)
        assert "139-0000-6001" not in r.text
        assert not any(ph in r.text for ph in _deputy_phones(world.ws).values())
    stats = world.call("GET", "/statistics", "planner").json()
    assert stats["summary"], stats
    assert world.call("GET", "/issues", "planner").status_code == 403
    assert world.call("GET", f"/issues/{_id(a)}", "planner").status_code in (403, 404)
    assert world.call("GET", "/layers/issues.geojson", "planner").status_code == 403
    r = world.call("POST", f"/issues/{_id(a)}/acknowledge", "planner")
    assert r.status_code in (403, 404)
    lon, lat = world.point(world.places.grid_a)
    r = world.call(
        "POST",
        "/issues",
        "planner",
        json={"category": "road", "description": "x", "lon": lon, "lat": lat},
    )
    assert r.status_code == 403


# --- the public ----------------------------------------------------------------------------


def test_public_raises_follows_and_rates_with_the_tracking_token(world: World) -> None:
    p = world.places
    phones = _deputy_phones(world.ws)
    assert world.call("GET", "/issues").status_code == 401
    lon, lat = world.point(p.grid_a)
    r = world.call(
        "POST", "/issues", json={"category": "road", "description": "x", "lon": lon, "lat": lat}
    )
    assert r.status_code == 401
    stations = world.call("GET", "/stations")
    assert stations.status_code == 200 and len(stations.json()) == len(world.ws.stations)
    assert "phone" not in stations.text
    st = world.call("GET", f"/stations/{p.station_a}").json()
    assert st["deputies"] and all(d["phone"] is None for d in st["deputies"])
    for fmt in ("html", "json"):
        page = world.call("GET", f"/public/stations/{p.station_a}", params={"format": fmt})
        assert page.status_code == 200
        leaked = [ph for ph in phones.values() if ph in page.text]
        assert not leaked, f"deputy phones on the public {fmt} page: {leaked[:3]}"
    created = world.raise_public(
        p.station_a, reporter_name="居民丙", reporter_phone="139-0000-7001"
    )
    token = created["tracking_token"]
    assert token
    assert "139-0000-7001" not in str(created) and "居民丙" not in str(created)
    iid = created["issue"]["issue_id"]
    r = world.call("GET", f"/public/issues/{iid}", params={"token": token})
    assert r.status_code == 200, r.text
    assert "139-0000-7001" not in r.text and "居民丙" not in r.text
    assert r.json()["status"] == "dispatched"
    assert world.call("GET", f"/public/issues/{iid}", params={"token": "x" * 32}).status_code == 404
    assert world.call("GET", f"/public/issues/{iid}").status_code == 422  # token is required
    # staff in scope call the resident back
    got = world.call("GET", f"/issues/{iid}", "station_admin").json()
    assert got["reporter"] == {"name": "居民丙", "phone": "139-0000-7001"}
    _resolve_as(world, iid, "station_admin")
    r = world.call(
        "POST", f"/public/issues/{iid}/rate", json={"rating": "满意", "tracking_token": "wrong"}
    )
    assert r.status_code == 404
    r = world.call(
        "POST", f"/public/issues/{iid}/rate", json={"rating": "满意", "tracking_token": token}
    )
    assert r.status_code == 200, r.text
    assert r.json()["rating"] == "satisfied" and r.json()["status"] == "closed"


@pytest.mark.parametrize(
    "authorization", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "token-without-scheme"]
)
def test_invalid_bearer_token_is_401(world: World, authorization: str) -> None:
    for url in ("/issues", "/stations/" + world.places.station_a, "/deputies"):
        r = world.call("GET", url, headers={"Authorization": authorization})
        assert r.status_code == 401, (url, r.text)
        assert r.json()["error"] == "unauthorized"


def test_duplicate_suggestions_leak_no_issue_out_of_scope(world: World) -> None:
    """Raising next to an issue of a neighbouring grid must not hand a grid worker its id."""
    from shapely.ops import nearest_points

    grids = world.ws.grids.set_index("code").geometry
    mine = grids[world.places.grid_a]
    neighbour = next(
        g for g, geom in grids.items() if g != world.places.grid_a and geom.distance(mine) < 1e-9
    )
    here, there = nearest_points(mine.buffer(-0.0003), grids[neighbour].buffer(-0.0003))
    other = world.raise_issue("county_staff", neighbour, lon=there.x, lat=there.y)
    assert other["issue"]["grid_code"] == neighbour
    assert world.call("GET", f"/issues/{_id(other)}", "grid_worker").status_code == 404
    created = world.raise_issue("grid_worker", world.places.grid_a, lon=here.x, lat=here.y)
    assert _id(other) not in {d["issue_id"] for d in created["duplicates"]}
    events = world.call("GET", f"/issues/{_id(created)}/events", "grid_worker").json()
    assert _id(other) not in str(events)
    # county staff see both and the suggestion
    assert _id(other) in str(
        world.call("GET", f"/issues/{_id(created)}/events", "county_staff").json()
    )


# --- personal data sweep -------------------------------------------------------------------

ROLE_KEYS = [
    "grid_worker",
    "grid_worker_other",
    "deputy",
    "deputy_other",
    "station_admin",
    "station_admin_other",
    "township_staff",
    "township_staff_other",
    "county_staff",
    "planner",
    None,
]

ANONYMOUS = ("匿名者甲", "139-2222-0003", "匿名者乙", "139-2222-0005")


@pytest.fixture(scope="module")
def swept(
    demo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory, world_factory: Callable[..., Any]
) -> Iterator[dict[str, Any]]:
    """Issues of every kind in the home and the other station, and the scope facts the
    expectations need (taken from the county's view and the workspace, not from access)."""
    with world_factory(demo_ws, tmp_path_factory.mktemp("sweep")) as world:
        p = world.places
        lon, lat = world.point(p.grid_a)
        raised = {
            "worker_a": world.raise_issue(
                "grid_worker", p.grid_a, reporter_name="报告人一", reporter_phone="139-2222-0001"
            )["issue"]["issue_id"],
            "qr_a": world.raise_public(
                p.station_a,
                lon=lon,
                lat=lat,
                reporter_name="报告人二",
                reporter_phone="139-2222-0002",
            )["issue"]["issue_id"],
            "anon_a": world.raise_public(
                p.station_a,
                lon=lon,
                lat=lat,
                anonymous=True,
                reporter_name=ANONYMOUS[0],
                reporter_phone=ANONYMOUS[1],
            )["issue"]["issue_id"],
            "worker_b": world.raise_issue(
                "grid_worker_other",
                p.grid_b,
                reporter_name="报告人四",
                reporter_phone="139-2222-0004",
            )["issue"]["issue_id"],
            "county_anon": world.raise_issue(
                "county_staff",
                p.grid_a2,
                anonymous=True,
                reporter_name=ANONYMOUS[2],
                reporter_phone=ANONYMOUS[3],
            )["issue"]["issue_id"],
        }
        # the home deputy acknowledges one issue if dispatched to it: responsible for it
        # (only the deputies dispatched may take an issue)
        if p.deputy_a in world.service.store.get_issue(raised["worker_a"]).deputies:
            r = world.call("POST", f"/issues/{raised['worker_a']}/acknowledge", "deputy")
            assert r.status_code == 200, r.text
        issues = {
            k: world.call("GET", f"/issues/{v}", "county_staff").json() for k, v in raised.items()
        }
        yield {"world": world, "issues": issues}


def _bodies(world: World, role: str | None, issue_ids: list[str]) -> str:
    """The text of every answer ``role`` gets from the endpoints it may call."""
    p = world.places
    ws = world.ws
    lon, lat = world.point(p.grid_a)
    deputies = ws.deputies["deputy_id"].astype(str)
    some_deputies = list(
        deputies[ws.deputies["station_id"].astype(str).isin([p.station_a, p.station_b])]
    )
    # the stations of both townships (and the transfer target): every phone the roles
    # under test could be shown, and as many they must not be
    towns = ws.stations["township_code"].astype(str)
    near = sorted(
        set(ws.stations.loc[towns.isin([p.township_a, p.township_b]), "station_id"].astype(str))
    )
    urls = [
        "/issues?limit=200",
        "/issues?open_only=true&station_id=" + p.station_a,
        "/stations",
        "/deputies?limit=5000",
        "/grids",
        "/escalation",
        "/statistics",
        "/statistics?by=deputy",
        "/coverage/summary",
        f"/dispatch/preview?lon={lon}&lat={lat}",
        *[
            f"/layers/{n}.geojson"
            for n in ("townships", "villages", "stations", "grids", "issues", "escalation")
        ],
        *[f"/stations/{s}" for s in near],
        *[f"/deputies/{d}" for d in some_deputies],
        *[f"/issues/{i}" for i in issue_ids],
        *[f"/issues/{i}/events" for i in issue_ids],
        *[
            f"/public/stations/{s}?format={f}"
            for s in (p.station_a, p.station_b)
            for f in ("html", "json")
        ],
        *[f"/public/deputies/{d}?format=json" for d in some_deputies[:5]],
    ]
    texts = []
    for url in urls:
        r = world.call("GET", url, role)
        if r.status_code == 200:
            texts.append(r.text)
    return "\n".join(texts)


def _allowed_station(world: World, role: str | None, station: str) -> bool:
    """Staff over ``station`` (the brief's rule for phones), from the workspace."""
    p = world.places
    town = dict(
        zip(
            world.ws.stations["station_id"].astype(str),
            world.ws.stations["township_code"].astype(str),
            strict=True,
        )
    )
    if role == "county_staff":
        return True
    if role == "station_admin":
        return station == p.station_a
    if role == "station_admin_other":
        return station == p.station_b
    if role == "township_staff":
        return town.get(station) == p.township_a
    if role == "township_staff_other":
        return town.get(station) == p.township_b
    return False


@pytest.mark.parametrize("role", ROLE_KEYS, ids=[r or "public" for r in ROLE_KEYS])
def test_personal_data_only_where_the_role_may_see_it(
    swept: dict[str, Any], role: str | None
) -> None:
    world: World = swept["world"]
    issues: dict[str, dict[str, Any]] = swept["issues"]
    p = world.places
    text = _bodies(world, role, [i["issue_id"] for i in issues.values()])
    assert text
    me = {"deputy": p.deputy_a, "deputy_other": p.deputy_b}.get(role or "")
    my_grid = {"grid_worker": p.grid_a, "grid_worker_other": p.grid_b}.get(role or "")
    leaks: list[str] = []
    # deputies' phones: staff over the station and the deputy themself
    owners: dict[str, set[bool]] = {}
    station_of = _deputy_station(world.ws)
    for d, phone in _deputy_phones(world.ws).items():
        ok = _allowed_station(world, role, station_of[d]) or d == me
        owners.setdefault(phone, set()).add(ok)
    # grid workers' phones: staff over the grid's station (and, harmlessly, themself)
    for g in world.ws.grids.itertuples(index=False):
        ok = _allowed_station(world, role, world.service.grid_station[str(g.code)]) or (
            str(g.code) == my_grid
        )
        owners.setdefault(str(g.worker_phone), set()).add(ok)
    for phone, oks in owners.items():
        if not any(oks) and phone in text:
            leaks.append(f"phone {phone}")
    # reporters: staff in scope, dispatched or responsible deputies, the grid worker who raised it
    stations_a = {
        s
        for s in world.ws.stations["station_id"].astype(str)
        if _allowed_station(world, "township_staff", s)
    }
    stations_b = {
        s
        for s in world.ws.stations["station_id"].astype(str)
        if _allowed_station(world, "township_staff_other", s)
    }
    for key, issue in issues.items():
        if issue["reporter"] is None:
            continue
        involved = {d["deputy_id"] for d in issue["deputies"]}
        events = world.call("GET", f"/issues/{issue['issue_id']}/events", "county_staff").json()
        involved |= {e["actor_id"] for e in events if e["kind"] == "acknowledged"}
        raised_by = next(e for e in events if e["kind"] == "raised")
        ok = {
            "county_staff": True,
            "station_admin": issue["station_id"] == p.station_a,
            "station_admin_other": issue["station_id"] == p.station_b,
            "township_staff": issue["township_code"] == p.township_a
            or issue["station_id"] in stations_a,
            "township_staff_other": issue["township_code"] == p.township_b
            or issue["station_id"] in stations_b,
            "deputy": p.deputy_a in involved,
            "deputy_other": p.deputy_b in involved,
            "grid_worker": raised_by["actor_role"] == "grid_worker"
            and raised_by["actor_id"] == p.grid_a,
            "grid_worker_other": raised_by["actor_role"] == "grid_worker"
            and raised_by["actor_id"] == p.grid_b,
        }.get(role or "", False)
        if not ok and issue["reporter"]["phone"] in text:
            leaks.append(f"reporter phone of {key}")
        if not ok and issue["reporter"]["name"] in text:
            leaks.append(f"reporter name of {key}")
    # anonymous reports: nobody, ever
    leaks += [f"anonymous reporter {v}" for v in ANONYMOUS if v in text]
    assert not leaks, f"{role or 'public'} sees {leaks}"


def test_sweep_is_not_vacuous(swept: dict[str, Any]) -> None:
    """The county sees every phone and reporter the sweep looks for (so absence elsewhere
    means hidden, not missing)."""
    world: World = swept["world"]
    issues = swept["issues"]
    text = _bodies(world, "county_staff", [i["issue_id"] for i in issues.values()])
    assert issues["worker_a"]["reporter"]["phone"] in text
    assert issues["qr_a"]["reporter"]["phone"] in text
    assert issues["anon_a"]["reporter"] is None and issues["county_anon"]["reporter"] is None
    assert _deputy_phones(world.ws)[world.places.deputy_b] in text
    worker = world.ws.grids.set_index("code").loc[world.places.grid_b, "worker_phone"]
    assert worker in text
