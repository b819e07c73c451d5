"""Input anyone can send never makes a 500, and the HTML pages carry the browser's
defences: dates are bounded where they enter, JSON nesting is bounded, text no store can
hold is refused naming the field, and every HTML answer says how it may be framed,
sniffed and referred.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import World


def _issue(world: World, **overrides: Any) -> dict[str, Any]:
    lon, lat = world.point(world.places.grid_a)
    body: dict[str, Any] = {"category": "road", "description": "路灯不亮", "lon": lon, "lat": lat}
    body.update(overrides)
    return body


# --- dates out of range ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, name",
    [
        ("start_date=9999-12-31", "start_date"),
        ("end_date=0001-01-02", "end_date"),
        ("start_date=9999-12-31T23:59:59%2B00:00", "start_date"),
        ("end_date=0001-01-01T00:00:00-08:00", "end_date"),
        ("start_date=1999-12-31", "start_date"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_dates_out_of_range_are_400_naming_them(
    world: World, query: str, name: str, fmt: str
) -> None:
    r = world.call("GET", f"/open311/v2/requests.{fmt}?{query}")  # the public, no token
    assert r.status_code == 400, r.text
    assert name in r.text and "2000-01-01" in r.text, r.text
    if fmt == "json":
        assert r.json()[0]["code"] == 400


@pytest.mark.parametrize(
    "url, name",
    [
        ("/issues?created_from=0001-01-01T00:00:00%2B08:00", "created_from"),
        ("/issues?created_to=9999-12-31T23:59:59-08:00", "created_to"),
        ("/statistics?to=0001-01-01T00:00:00%2B08:00", "to"),
        ("/statistics?from=9999-12-31T23:59:59%2B00:00", "from"),
        ("/statistics?from=2000-01-01T00:00:00%2B08:00", "from"),  # 1999 in UTC
    ],
)
def test_dates_out_of_range_are_422_naming_them(world: World, url: str, name: str) -> None:
    r = world.call("GET", url, "county_staff")
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["problems"]] == [name], r.text


def test_dates_inside_the_range_are_answered(world: World) -> None:
    r = world.call("GET", "/issues?created_from=2000-01-01T00:00:00Z", "county_staff")
    assert r.status_code == 200, r.text
    r = world.call("GET", "/open311/v2/requests.json?start_date=2099-12-01")
    assert r.status_code == 200 and r.json() == [], r.text


# --- bodies no store can hold ------------------------------------------------------------


def _post_raw(world: World, url: str, body: bytes, role: str | None = "county_staff") -> Any:
    return world.call("POST", url, role, content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("nul", [True, False])
@pytest.mark.parametrize("url", ["/issues", "/public/stations/S/issues", "/issues/x/resolve"])
def test_deep_json_is_4xx_on_every_route(world: World, url: str, nul: bool) -> None:
    leaf = b'"\\u0000"' if nul else b"1"
    deep = b'{"a":' * 1000 + leaf + b"}" * 1000
    r = _post_raw(world, url, deep)
    assert r.status_code == 422, r.text
    assert "nested" in r.json()["message"], r.text
    r = _post_raw(world, url, b"[" * 5000 + b"]" * 5000)
    assert r.status_code == 422, r.text


def test_deep_json_under_open311_is_the_spec_error(world: World) -> None:
    deep = b"[" * 1000 + b'"\\u0000"' + b"]" * 1000
    r = _post_raw(world, "/open311/v2/requests.json", deep, None)
    assert r.status_code == 400 and r.json()[0]["code"] == 400, r.text


def test_nesting_inside_strings_is_not_counted(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, description="[{" * 500))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("field", ["description", "reporter_name"])
def test_lone_surrogates_are_422_naming_the_field(world: World, field: str) -> None:
    body = _issue(world)
    body[field] = "SURROGATE"
    raw = __import__("json").dumps(body).replace("SURROGATE", "x\\ud800y").encode()
    r = _post_raw(world, "/issues", raw)
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["problems"]] == [field], r.text
    assert world.service.store.count() == 0


def test_a_surrogate_pair_is_a_character(world: World) -> None:
    raw = (
        __import__("json")
        .dumps(_issue(world, description="PAIR"))
        .replace("PAIR", "井盖缺失 \\ud83d\\ude27")
        .encode()
    )
    r = _post_raw(world, "/issues", raw)
    assert r.status_code == 201 and r.json()["issue"]["description"].endswith("\U0001f627")


@pytest.mark.parametrize("key", ["", "   "])
def test_empty_idempotency_key_is_refused(world: World, key: str) -> None:
    r = world.call(
        "POST", "/issues", "county_staff", json=_issue(world), headers={"Idempotency-Key": key}
    )
    assert r.status_code == 422, r.text
    assert r.json()["problems"][0]["field"] == "Idempotency-Key", r.text
    station = world.places.station_a
    r = world.call(
        "POST",
        f"/public/stations/{station}/issues",
        json={"category": "road", "description": "路灯不亮"},
        headers={"Idempotency-Key": key},
    )
    assert r.status_code == 422 and "Idempotency-Key" in r.text, r.text
    assert world.service.store.count() == 0


def test_anonymous_must_be_a_boolean(world: World) -> None:
    r = world.call("POST", "/issues", "county_staff", json=_issue(world, anonymous="yes"))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "anonymous", r.text


def test_a_description_of_invisible_characters_is_refused(world: World) -> None:
    body = _issue(world, description="\u200b\u200c\u200d\u2060\ufeff \u3000")
    r = world.call("POST", "/issues", "county_staff", json=body)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "description", r.text


# --- web hardening -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/public/stations/{station}", "/docs", "/redoc"])
def test_html_pages_carry_the_browser_defences(world: World, path: str) -> None:
    r = world.call("GET", path.format(station=world.places.station_a))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_json_answers_are_not_sniffed(world: World) -> None:
    r = world.call("GET", "/health")
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/public/stations/{station}", "/health", "/open311/v2/services.json", "/docs"]
)
def test_head_is_answered_where_get_is(world: World, path: str) -> None:
    url = path.format(station=world.places.station_a)
    got = world.call("GET", url)
    r = world.call("HEAD", url)
    assert r.status_code == 200, r.text
    assert r.content == b""
    assert r.headers["content-type"] == got.headers["content-type"]
    assert r.headers["content-length"] == got.headers["content-length"]


def test_openapi_declares_the_bearer_token(world: World) -> None:
    spec = world.call("GET", "/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"].lower() for s in schemes.values()] == ["bearer"]
    assert any("security" in op for op in spec["paths"]["/issues"].values())
    # the header is still checked: another scheme is a 401, never the public
    r = world.call("GET", "/issues", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_docs_load_nothing_from_the_network(world: World) -> None:
    for page in ("/docs", "/redoc"):
        html = world.call("GET", page).text
        assert "http://" not in html and "https://" not in html, html
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert world.call("GET", src).status_code == 200, src


def test_rate_limit_key_is_the_token_or_the_trusted_client() -> None:
    from api.app import _trusted, client_key
    from gridgov.issues.access import hash_token

    known = {hash_token("good"): object()}
    scope: dict[str, Any] = {"client": ("10.0.0.5", 1), "headers": [], "query_string": b""}

    def key(headers: dict[str, str], query: bytes = b"", proxies: tuple[str, ...] = ()) -> str:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        return client_key(
            {**scope, "headers": raw, "query_string": query}, known, _trusted(proxies)
        )

    assert key({}) == "addr:10.0.0.5"
    assert key({"Authorization": "Bearer good"}) == f"token:{hash_token('good')}"
    assert key({}, b"api_key=good") == f"token:{hash_token('good')}"
    assert key({"Authorization": "Bearer made-up"}) == "addr:10.0.0.5"  # no fresh bucket
    xff = {"X-Forwarded-For": "1.2.3.4, 172.16.0.9"}
    assert key(xff) == "addr:10.0.0.5"  # not a trusted proxy: the header is ignored
    assert key(xff, proxies=("10.0.0.0/8",)) == "addr:172.16.0.9"


def test_rate_limit_separates_token_holders_behind_one_address(world: World) -> None:
    from fastapi.testclient import TestClient

    from api import create_app

    app = create_app(world.service, tick_interval_s=0, rate_per_s=1)  # bursts of 2
    with TestClient(app) as client:
        staff = world.headers("county_staff")
        # /health looks at no token: it counts against the address
        assert client.get("/health", headers=staff).status_code == 200
        assert client.get("/issues", headers=staff).status_code == 200  # now it is known
        codes = [client.get("/issues", headers=staff).status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # its own bucket
        assert client.get("/health").status_code == 429  # the address's is spent


@pytest.mark.parametrize(
    "headers, ok",
    [
        ({}, True),
        ({"Origin": "http://testserver"}, True),
        ({"Referer": "http://testserver/public/stations/S"}, True),
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "null"}, False),
        ({"Referer": "https://evil.example/form.html"}, False),
        ({"Origin": "https://evil.example", "Referer": "http://testserver/"}, False),
    ],
)
def test_open311_post_refuses_other_sites_forms(
    world: World, headers: dict[str, str], ok: bool
) -> None:
    lon, lat = world.point(world.places.grid_a)
    form = {"service_code": "road", "description": "井盖缺失", "lat": lat, "long": lon}
    r = world.call("POST", "/open311/v2/requests.json", data=form, headers=headers)
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 403 and "another site" in r.json()[0]["description"], r.text
    # a token holder's client is not a browser posting a stranger's form
    r = world.call(
        "POST",
        "/open311/v2/requests.json",
        data={**form, "api_key": world.tokens["county_staff"]},
        headers=headers,
    )
    assert r.status_code == 201, r.text


def test_uvicorn_limits() -> None:
    from api.serve import LIMITS

    assert LIMITS["timeout_keep_alive"] <= 10
    assert LIMITS["h11_max_incomplete_event_size"] <= 64 * 1024
    assert LIMITS["limit_concurrency"] >= 50
