"""Bad input never crashes the service: every mistake is a 4xx JSON body
``{error, message, problems}`` that names the field and the value, and hostile text is
stored and echoed as plain text without harming the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import World


def _names(r: Any, status: int, field: str, value: str | None = None) -> dict[str, Any]:
    """``r`` is a ``status`` error whose message or problems name ``field`` (and ``value``)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "message", "problems"}, body
    assert body["message"], body
    fields = [str(p.get("field") or "") for p in body["problems"]]
    named = field.lower() in body["message"].lower() or any(field in f for f in fields)
    assert named, f"{field!r} not named in {body}"
    if value is not None:
        values = [str(p.get("value") or "") for p in body["problems"]]
        shown = value in body["message"] or any(value in v for v in values)
        assert shown, f"{value!r} not echoed in {body}"
    return body


def _issue(world: World, **overrides: Any) -> dict[str, Any]:
    lon, lat = world.point(world.places.grid_a)
    body: dict[str, Any] = {"category": "road", "description": "路灯不亮", "lon": lon, "lat": lat}
    body.update(overrides)
    return body


def _raw(
    world: World, text: str | bytes, url: str = "/issues", role: str | None = "county_staff"
) -> Any:
    return world.call("POST", url, role, content=text, headers={"Content-Type": "application/json"})


# --- the body of POST /issues -------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['{"category": "road",', "{'category': 'road'}", "\xff\xfe", "{,}"]
)
def test_malformed_json(world: World, text: str) -> None:
    r = _raw(world, text.encode("latin-1"))
    body = _names(r, 422, "JSON")
    assert "malformed" in body["message"]


def test_empty_body(world: World) -> None:
    _names(_raw(world, b""), 422, "body")


def test_body_not_an_object(world: World) -> None:
    for text in ("[1, 2]", "null", '"road"'):
        r = _raw(world, text)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_request"


def test_wrong_type(world: World) -> None:
    _names(
        world.call("POST", "/issues", "county_staff", json=_issue(world, lon="abc")),
        422,
        "lon",
        "abc",
    )
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, anonymous="maybe"))
    _names(r, 422, "anonymous", "maybe")
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description=["a"]))
    _names(r, 422, "description")


def test_missing_fields_are_all_named(world: World) -> None:
    body = _names(world.call("POST", "/issues", "county_staff", json={}), 422, "category")
    assert {p["field"] for p in body["problems"]} >= {"category", "description", "lon", "lat"}
    r = world.call("POST", "/issues", "county_staff", json={"category": "road", "lon": 1, "lat": 2})
    body = _names(r, 422, "description")
    assert [p["field"] for p in body["problems"]] == ["description"]


def test_unknown_field_is_refused(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, colour="red"))
    _names(r, 422, "colour", "red")
    r = world.call("POST", "/issues/x/resolve", "county_staff", json={"result": "ok", "reslt": 1})
    _names(r, 422, "reslt")


def test_swapped_coordinates_are_named_as_swapped(world: World) -> None:
    lon, lat = world.point(world.places.grid_a)
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, lon=lat, lat=lon))
    body = _names(r, 422, "lon", f"{lat}")
    assert "swapped" in body["message"], body


def test_swapped_coordinates_are_refused(world: World) -> None:
    lon, lat = world.point(world.places.grid_a)
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, lon=lat, lat=lon))
    _names(r, 422, "lon/lat", f"{lat}")


@pytest.mark.parametrize("lon, lat", [(200.0, 29.3), (112.8, -95.0), (-181.0, 0.0)])
def test_out_of_range_coordinates(world: World, lon: float, lat: float) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, lon=lon, lat=lat))
    body = _names(r, 422, "lon/lat", str(lon))
    assert "range" in body["message"]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_coordinates(world: World, bad: str) -> None:
    r = _raw(world, f'{{"category": "road", "description": "x", "lon": {bad}, "lat": 29.3}}')
    body = _names(r, 422, "lon")
    assert "finite" in body["message"]
    r = _raw(
        world,
        f'{{"category": "road", "description": "x", "lon": {bad}, "lat": {bad}}}',
        url=f"/public/stations/{world.places.station_a}/issues",
        role=None,
    )
    _names(r, 422, "lon")


def test_point_outside_the_county(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, lon=116.4, lat=39.9))
    body = _names(r, 422, "lon/lat", "116.4")
    assert "outside the county" in body["message"]
    # the public form too, and the dispatch preview
    r = world.call(
        "POST", f"/public/stations/{world.places.station_a}/issues",
        json={"category": "road", "description": "x", "lon": 116.4, "lat": 39.9},
    )  # fmt: skip
    _names(r, 422, "lon/lat", "116.4")
    r = world.call("GET", "/dispatch/preview", "county_staff", params={"lon": 116.4, "lat": 39.9})
    _names(r, 422, "lon/lat", "116.4")


def test_unknown_category_lists_the_categories(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, category="roads"))
    body = _names(r, 422, "category", "roads")
    for known in world.service.settings.issue_categories:
        assert known in body["message"]
    r = world.call(
        "GET", "/dispatch/preview", "county_staff",
        params={"lon": world.point(world.places.grid_a)[0], "lat": 29.3, "category": "roads"},
    )  # fmt: skip
    _names(r, 422, "category", "roads")


def test_oversized_fields(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description="长" * 4001))
    _names(r, 422, "description")
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, title="x" * 101))
    _names(r, 422, "title")
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, reporter_phone="1" * 33))
    _names(r, 422, "reporter_phone")
    assert (
        world.call(
            "POST", "/issues", "county_staff", json=_issue(world, description="长" * 4000)
        ).status_code
        == 201
    )


def test_empty_description(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description="   "))
    _names(r, 422, "description")


def test_oversized_body_is_413(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description="x" * 100_000))
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "too_large"

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        yield b'{"category": "road", "description": "'
        for _ in range(20):
            yield b"x" * 5000
        yield b'"}'

    r = world.call(
        "POST",
        "/issues",
        "county_staff",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text
    assert world.service.store.count() == 0


# --- hostile text ---------------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE issues; --",
    "<script>alert(1)</script>",
    "%_",
    "../../etc/passwd",
    "Robert'); DELETE FROM events;--",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_echoed_as_plain_text(world: World, text: str) -> None:
    body = _issue(world, description=text, title=text[:100], reporter_name=text[:50])
    r = world.call("POST", "/issues", "county_staff", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    iid = r.json()["issue"]["issue_id"]
    got = world.call("GET", f"/issues/{iid}", "county_staff").json()
    assert got["description"] == text.strip() and got["title"] == text[:100].strip()
    assert got["reporter"]["name"] == text[:50].strip()
    # filters carrying it match literally, never as SQL or a wildcard
    for params in ({"category": text}, {"station_id": text}, {"township_code": text[:12]}):
        r = world.call("GET", "/issues", "county_staff", params=params)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["total"] == 0
    # the database still works
    page = world.call("GET", "/issues", "county_staff").json()
    assert page["total"] == 1 and page["items"][0]["issue_id"] == iid
    assert world.call("POST", "/issues", "county_staff", json=_issue(world)).status_code == 201
    assert world.service.store.count() == 2


@pytest.mark.parametrize(
    "raw_id",
    [
        "%27%3B%20DROP%20TABLE%20issues%3B%20--",
        "%25_",
        "%25",
        "_",
        "..%2F..%2Fetc%2Fpasswd",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ],
)
def test_hostile_ids_are_404(world: World, raw_id: str) -> None:
    world.raise_issue("grid_worker", world.places.grid_a)
    for url in (
        f"/issues/{raw_id}",
        f"/issues/{raw_id}/events",
        f"/stations/{raw_id}",
        f"/deputies/{raw_id}",
        f"/public/stations/{raw_id}",
        f"/public/deputies/{raw_id}",
        f"/public/issues/{raw_id}?token=x",
        f"/layers/{raw_id}.geojson",
    ):
        r = world.call("GET", url, "county_staff")
        assert r.status_code == 404, (url, r.text)
        assert r.json()["error"] == "not_found"
    r = world.call("POST", f"/issues/{raw_id}/acknowledge", "county_staff")
    assert r.status_code == 404
    r = world.call("POST", f"/issues/{raw_id}/rate", "county_staff", json={"rating": "满意"})
    assert r.status_code == 404
    assert world.call("GET", "/issues", "county_staff").json()["total"] == 1


def test_hostile_transfer_target(world: World) -> None:
    iid = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    for to in ("../../etc/passwd", "station:'; DROP TABLE issues; --", "station:%_"):
        r = world.call(
            "POST", f"/issues/{iid}/transfer", "county_staff", json={"to": to, "reason": "x"}
        )
        assert 400 <= r.status_code < 500, r.text
        assert to in r.json()["message"]
    assert world.call("GET", f"/issues/{iid}", "county_staff").json()["status"] == "dispatched"


# --- ids, states, idempotency ---------------------------------------------------------------


def test_unknown_issue_is_404(world: World) -> None:
    r = world.call("GET", "/issues/20261123-000000000000", "county_staff")
    body = _names(r, 404, "issue", "20261123-000000000000")
    assert body["error"] == "not_found"
    r = world.call(
        "POST", "/issues/20261123-000000000000/resolve", "county_staff", json={"result": "x"}
    )
    assert r.status_code == 404
    r = world.call("GET", "/public/stations/NOPE")
    assert r.status_code == 404 and "NOPE" in r.json()["message"]


def test_invalid_transition_is_409(world: World) -> None:
    iid = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    r = world.call("POST", f"/issues/{iid}/rate", "grid_worker", json={"rating": "满意"})
    body = _names(r, 409, "rate")
    assert body["error"] == "invalid_state"
    r = world.call("POST", f"/issues/{iid}/close", "county_staff", json={"reason": "撤回"})
    assert r.status_code == 200
    r = world.call("POST", f"/issues/{iid}/resolve", "county_staff", json={"result": "x"})
    body = _names(r, 409, "closed")
    assert body["error"] == "invalid_state" and "resolve" in body["message"]
    r = world.call("POST", f"/issues/{iid}/acknowledge", "county_staff")
    assert r.status_code == 409
    # merging into a closed issue, or into itself
    other = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    r = world.call("POST", f"/issues/{other}/merge", "county_staff", json={"into": iid})
    _names(r, 422, "into", iid)
    r = world.call("POST", f"/issues/{other}/merge", "county_staff", json={"into": other})
    _names(r, 422, "merged", other)


def test_idempotency_key(world: World) -> None:
    body = _issue(world)
    key = {"Idempotency-Key": "raise-0001"}
    first = world.call("POST", "/issues", "grid_worker", json=body, headers=key)
    assert first.status_code == 201 and first.json()["created"] is True
    world.advance(0.1)
    again = world.call("POST", "/issues", "grid_worker", json=body, headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["issue"]["issue_id"] == first.json()["issue"]["issue_id"]
    other = world.call(
        "POST", "/issues", "grid_worker", json={**body, "description": "另一件事"}, headers=key
    )
    body_ = _names(other, 422, "Idempotency-Key", "raise-0001")
    assert body_["error"] == "idempotency_key_reused"
    assert world.service.store.count() == 1
    assert world.call("GET", "/issues", "county_staff").json()["total"] == 1
    # the same key from someone else is their own key
    r = world.call("POST", "/issues", "county_staff", json=body, headers=key)
    assert r.status_code == 201
    r = world.call(
        "POST", "/issues", "grid_worker", json=body, headers={"Idempotency-Key": "k" * 201}
    )
    _names(r, 422, "Idempotency-Key")


def test_public_idempotency_returns_the_same_tracking_token(world: World) -> None:
    url = f"/public/stations/{world.places.station_a}/issues"
    body = {"category": "water", "description": "渠道堵塞"}
    key = {"Idempotency-Key": "7b1c0b52-qr"}
    first = world.call("POST", url, json=body, headers=key)
    again = world.call("POST", url, json=body, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_token"] == again.json()["tracking_token"]
    assert first.json()["issue"]["issue_id"] == again.json()["issue"]["issue_id"]
    r = world.call("POST", url, json={**body, "description": "别的"}, headers=key)
    assert r.status_code == 422
    assert world.service.store.count() == 1


# --- query parameters -----------------------------------------------------------------------


def test_naive_datetimes_are_refused(world: World) -> None:
    for name in ("created_from", "created_to"):
        r = world.call("GET", "/issues", "county_staff", params={name: "2026-11-23T00:00:00"})
        _names(r, 422, name)
    r = world.call(
        "GET", "/issues", "county_staff", params={"created_from": "2026-11-23T00:00:00+08:00"}
    )
    assert r.status_code == 200
    r = world.call("GET", "/issues", "county_staff", params={"created_from": "yesterday"})
    _names(r, 422, "created_from", "yesterday")
    r = world.call("GET", "/statistics", "county_staff", params={"from": "2026-11-23T00:00:00"})
    _names(r, 422, "from")
    r = world.call(
        "GET", "/statistics", "county_staff",
        params={"from": "2026-11-23T00:00:00+08:00", "to": "2026-11-22T00:00:00+08:00"},
    )  # fmt: skip
    _names(r, 422, "to")


@pytest.mark.parametrize("limit", ["0", "10000", "-1", "ten"])
def test_limit_out_of_bounds(world: World, limit: str) -> None:
    r = world.call("GET", "/issues", "county_staff", params={"limit": limit})
    _names(r, 422, "limit", limit)


@pytest.mark.parametrize(
    "param, value",
    [("status", "bogus"), ("level", "planet"), ("offset", "-1"), ("open_only", "perhaps")],
)
def test_bad_filters(world: World, param: str, value: str) -> None:
    r = world.call("GET", "/issues", "county_staff", params={param: value})
    _names(r, 422, param, value)


def test_unknown_rating(world: World) -> None:
    iid = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    r = world.call("POST", f"/issues/{iid}/resolve", "county_staff", json={"result": "修好了"})
    assert r.status_code == 200
    r = world.call("POST", f"/issues/{iid}/rate", "grid_worker", json={"rating": "great"})
    _names(r, 422, "rating", "great")
    r = world.call("POST", f"/issues/{iid}/rate", "grid_worker", json={"rating": 5})
    _names(r, 422, "rating")
    assert world.call("GET", f"/issues/{iid}", "county_staff").json()["status"] == "resolved"


def test_public_form_bad_input(world: World) -> None:
    url = f"/public/stations/{world.places.station_a}/issues"
    lon, _ = world.point(world.places.grid_a)
    r = world.call("POST", url, json={"category": "road", "description": "x", "lon": lon})
    _names(r, 422, "lat")
    r = world.call("POST", url, json={"category": "nope", "description": "x"})
    _names(r, 422, "category", "nope")
    r = world.call("POST", url, json={"category": "road", "description": "x", "phone": "1"})
    _names(r, 422, "phone")
    r = world.call(
        "POST", "/public/stations/NOPE/issues", json={"category": "road", "description": "x"}
    )
    assert r.status_code == 404
    assert world.service.store.count() == 0


def test_transfer_checks_the_caller_before_the_target(world: World) -> None:
    iid = world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"]
    body = {"to": "station:NOPE", "reason": "x"}
    assert world.call("POST", f"/issues/{iid}/transfer", None, json=body).status_code == 401
    assert world.call("POST", f"/issues/{iid}/transfer", "planner", json=body).status_code == 403


def test_address_and_media_link_are_kept_and_checked(world: World) -> None:
    body = world.raise_issue(
        "grid_worker",
        world.places.grid_a,
        address="村口大桥东侧",
        media_url="https://img.example.cn/1.jpg",
    )
    assert body["issue"]["address"] == "村口大桥东侧"
    assert body["issue"]["media_url"] == "https://img.example.cn/1.jpg"
    lon, lat = world.point(world.places.grid_a)
    r = world.call(
        "POST",
        "/issues",
        "grid_worker",
        json={"category": "road", "description": "路灯", "lon": lon, "lat": lat,
              "media_url": "javascript:alert(1)"},
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert any(p["field"] == "media_url" for p in r.json()["problems"]), r.json()


def test_nul_is_refused_naming_where_it_was(world: World) -> None:
    # PostgreSQL text cannot hold U+0000: refused on every store, before any store sees it
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description="a\x00b"))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "description", r.text
    r = world.call("GET", "/issues/abc%00def", "county_staff")
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "path", r.text
    assert world.service.store.count() == 0
