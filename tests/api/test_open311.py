"""Open311 GeoReport v2 under /open311/v2, read as the spec writes it: element names and
order, ``open``/``closed``, the error lists with their real HTTP status in the format the
path asks for, Chinese text intact in XML and JSON, and no personal data to anyone whose
role may not see it.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from api.routes import open311 as open311_routes

if TYPE_CHECKING:
    from conftest import World

P = "/open311/v2"

#: The spec's elements, in its order.
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE = [
    "variable", "code", "datatype", "required", "datatype_description", "order",
    "description", "values",
]  # fmt: skip
REQUEST = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip
PERSONAL = ("reporter_name", "reporter_phone", "deputies", "responsible")
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


# --- helpers ------------------------------------------------------------------------------


def _xml(r: Any) -> ET.Element:
    assert r.headers["content-type"] == "text/xml; charset=utf-8", r.headers["content-type"]
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), r.content[:80]
    return ET.fromstring(r.content)


def _json(r: Any) -> Any:
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    # UTF-8 as is: \u escapes only for the control characters JSON requires them for
    assert not re.search(rb"\\u(?!00[01][0-9a-fA-F])", r.content), r.content[:200]
    return json.loads(r.content.decode("utf-8"))


def _errors(r: Any, status: int, fmt: str) -> list[str]:
    """The error descriptions of an Open311 error answer (every code is the status)."""
    assert r.status_code == status, (r.status_code, r.text)
    if fmt == "json":
        body = _json(r)
        assert isinstance(body, list) and body
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
        return [e["description"] for e in body]
    root = _xml(r)
    assert root.tag == "errors" and len(root)
    out = []
    for e in root:
        assert e.tag == "error" and [c.tag for c in e] == ["code", "description"]
        assert e.findtext("code") == str(status)
        out.append(e.findtext("description") or "")
    return out


def _requests_xml(r: Any) -> list[dict[str, str | None]]:
    root = _xml(r)
    assert root.tag == "service_requests"
    out = []
    for req in root:
        assert req.tag == "request"
        tags = [c.tag for c in req]
        assert tags[: len(REQUEST)] == REQUEST, tags
        assert set(tags[len(REQUEST) :]) <= set(PERSONAL)
        out.append({c.tag: c.text for c in req})
    return out


def _form(world: World, grid: str | None = None, **fields: Any) -> dict[str, Any]:
    lon, lat = world.point(grid or world.places.grid_a)
    data: dict[str, Any] = {
        "service_code": "road",
        "lat": f"{lat:.7f}",
        "long": f"{lon:.7f}",
        "description": "村道路面塌陷，电动车通行困难",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _post(
    world: World, fmt: str = "json", *, expect: int = 201, headers: Any = None, **fields: Any
) -> Any:
    r = world.call(
        "POST", f"{P}/requests.{fmt}", data=_form(world, **fields), headers=headers or {}
    )
    assert r.status_code == expect, r.text
    return r


def _raise(world: World, **fields: Any) -> tuple[str, str]:
    """POST a request a minute after the last one; its id and token."""
    world.advance(1 / 60)
    r = _post(world, **fields)
    return _json(r)[0]["service_request_id"], r.headers["X-Open311-Token"]


def _one(world: World, rid: str, fmt: str = "json", **params: str) -> dict[str, Any]:
    r = world.call("GET", f"{P}/requests/{rid}.{fmt}", params=params)
    assert r.status_code == 200, r.text
    if fmt == "xml":
        (doc,) = _requests_xml(r)
        return doc
    (doc,) = _json(r)
    assert list(doc)[: len(REQUEST)] == REQUEST
    return dict(doc)


# --- services -----------------------------------------------------------------------------


def test_services_list_every_category_in_both_formats(world: World) -> None:
    cats = world.service.settings.issue_categories
    body = _json(world.call("GET", f"{P}/services.json"))
    assert [s["service_code"] for s in body] == list(cats)
    for s in body:
        assert list(s) == SERVICE
        assert s["service_name"] == cats[s["service_code"]]
        assert s["metadata"] is True and s["type"] == "realtime"
        assert cats[s["service_code"]] in s["keywords"]
    road = body[0]
    assert "交通运输" in road["keywords"]  # the category's deputy specialties
    assert "联络站点4小时内签收、72小时内办结" in road["description"]
    safety = next(s for s in body if s["service_code"] == "safety")
    assert safety["group"] == "限时加急" and "1小时内签收" in safety["description"]

    root = _xml(world.call("GET", f"{P}/services.xml", params={"jurisdiction_id": "430623"}))
    assert root.tag == "services"
    assert [el.findtext("service_code") for el in root] == list(cats)
    for el in root:
        assert el.tag == "service" and [c.tag for c in el] == SERVICE
        assert el.findtext("metadata") == "true" and el.findtext("type") == "realtime"
        assert el.findtext("service_name") == cats[el.findtext("service_code") or ""]
    county = str(world.ws.meta["county_name"])
    assert world.call("GET", f"{P}/services.json", params={"jurisdiction_id": county}).is_success


def test_service_definition_in_both_formats(world: World) -> None:
    body = _json(world.call("GET", f"{P}/services/safety.json"))
    assert list(body) == ["service_code", "attributes"] and body["service_code"] == "safety"
    attrs = body["attributes"]
    assert [a["order"] for a in attrs] == sorted({a["order"] for a in attrs})
    assert all(list(a) == ATTRIBUTE and a["datatype"] in DATATYPES for a in attrs)
    by_code = {a["code"]: a for a in attrs}
    assert set(by_code) == {"anonymous", "title", "grid_code", "deadlines"}
    anon = by_code["anonymous"]
    assert anon["datatype"] == "singlevaluelist" and anon["required"] is False
    assert {v["key"] for v in anon["values"]} == {"true", "false"}
    assert by_code["deadlines"]["variable"] is False  # shown, not asked
    assert "联络站点1小时内签收、24小时内办结" in by_code["deadlines"]["description"]

    root = _xml(world.call("GET", f"{P}/services/road.xml"))
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert attributes is not None
    for el in attributes:
        assert el.tag == "attribute" and [c.tag for c in el] == ATTRIBUTE
    anon_el = next(el for el in attributes if el.findtext("code") == "anonymous")
    values = anon_el.find("values")
    assert values is not None
    assert [[c.tag for c in v] for v in values] == [["key", "name"], ["key", "name"]]
    empty = anon_el.find("datatype_description")
    assert empty is not None and empty.text is None  # an empty element: JSON's null


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(world: World, fmt: str) -> None:
    (msg,) = _errors(world.call("GET", f"{P}/services/pothole.{fmt}"), 404, fmt)
    assert "pothole" in msg and "road" in msg
    (msg,) = _errors(world.call("GET", f"{P}/requests.{fmt}?service_code=pothole"), 404, fmt)
    assert "pothole" in msg
    r = world.call("POST", f"{P}/requests.{fmt}", data=_form(world, service_code="pothole"))
    assert "pothole" in _errors(r, 404, fmt)[0]


# --- POST ---------------------------------------------------------------------------------


def test_post_with_every_field_shape(world: World) -> None:
    r = _post(
        world,
        address_string="村口大桥东侧",
        email="zhang@example.cn",
        device_id="dev-1",
        account_id="acc-9",
        first_name="三",
        last_name="张",
        phone="13800001111",
        media_url="https://img.example.cn/p/1.jpg",
        api_key="",  # empty is the same as not given: the public
        jurisdiction_id="430623",
        **{"attribute[title]": "桥头塌陷", "attribute[anonymous][]": "false"},
        headers={"Idempotency-Key": "shape-1"},
    )
    (created,) = _json(r)
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] is None  # no accounts are kept
    assert (
        created["service_notice"].startswith("已受理。由") and "前办结" in created["service_notice"]
    )
    rid = created["service_request_id"]
    assert r.headers["X-Open311-Token"].startswith(rid + ".")

    issue = world.service.store.get_issue(rid)
    assert issue.source == "open311" and issue.reporter_role == "public"
    assert (issue.reporter_name, issue.reporter_phone) == ("张三", "13800001111")
    assert issue.title == "桥头塌陷" and not issue.anonymous
    assert issue.grid_code == world.places.grid_a
    assert issue.description == "村道路面塌陷，电动车通行困难"
    assert (issue.address, issue.media_url) == ("村口大桥东侧", "https://img.example.cn/p/1.jpg")
    assert "zhang@example.cn" not in issue.to_json() and "acc-9" not in issue.to_json()

    doc = _one(world, rid)
    assert doc["description"] == "村道路面塌陷，电动车通行困难"
    assert doc["media_url"] == "https://img.example.cn/p/1.jpg"
    assert doc["address"].startswith("村口大桥东侧，") and doc["address"].endswith("华容县")
    assert doc["address_id"] == world.places.grid_a and doc["zipcode"] is None

    # multipart works as well, and attribute[code]=value without []
    files = {"attribute[anonymous]": (None, "true"), "attribute[title]": (None, "路灯不亮")}
    r = world.call("POST", f"{P}/requests.xml", data=_form(world, phone="139"), files=files)
    assert r.status_code == 201, r.text
    root = _xml(r)
    assert [c.tag for c in root[0]] == ["service_request_id", "service_notice", "account_id"]
    issue = world.service.store.get_issue(root[0].findtext("service_request_id") or "")
    assert issue.anonymous and issue.reporter_phone == "" and issue.title == "路灯不亮"


def test_post_locates_by_grid_code_address_or_village(world: World) -> None:
    grid_b = world.places.grid_b
    places = world.ws
    for fields in (
        {"address_id": grid_b},
        {"attribute[grid_code]": grid_b},
        {"address_string": f"{grid_b} 附近"},
    ):
        rid, _ = _raise(world, lat=None, long=None, **fields)
        assert world.service.store.get_issue(rid).grid_code == grid_b
    grid_name = str(places.grids.set_index("code").loc[grid_b, "name"])
    rid, _ = _raise(world, lat=None, long=None, address_string=f"华容县{grid_name}")
    assert world.service.store.get_issue(rid).grid_code == grid_b

    villages = places.villages
    names = villages["name"].astype(str)
    unique = villages[~names.duplicated(keep=False)].iloc[0]
    rid, _ = _raise(world, lat=None, long=None, address_string=f"{unique['name']}村委会门口")
    assert world.service.store.get_issue(rid).village_code == str(unique["code"])

    shared = villages[names.duplicated(keep=False)].sort_values("name")
    twin = str(shared["name"].iloc[0])
    r = world.call(
        "POST", f"{P}/requests.json", data=_form(world, lat=None, long=None, address_string=twin)
    )
    (msg,) = _errors(r, 400, "json")
    assert "not unique" in msg and twin in msg
    # the township's name settles it
    row = shared.iloc[0]
    town = world.ws.townships.set_index("code").loc[str(row["township_code"]), "name"]
    rid, _ = _raise(world, lat=None, long=None, address_string=f"{town}{twin}")
    assert world.service.store.get_issue(rid).village_code == str(row["code"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_names_every_missing_or_bad_field(world: World, fmt: str) -> None:
    data = {
        "lat": "北纬29度",
        "long": "112.8",
        "media_url": "ftp://x/y.jpg",
        "phone": "1" * 40,
        "attribute[colour]": "red",
        "attribute[title][]": ["a", "b"],
        "attribute[anonymous]": "maybe",
        "attribute[grid_code]": "999999999999999",
    }
    r = world.call("POST", f"{P}/requests.{fmt}", data=data)
    errors = _errors(r, 400, fmt)
    text = "\n".join(errors)
    for field in (
        "service_code: required",
        "lat: '北纬29度' is not a number",
        "media_url",
        "phone",
        "attribute[colour]",
        "attribute[title]: 2 values",
        "attribute[anonymous]: 'maybe'",
        "attribute[grid_code]: '999999999999999'",
    ):
        assert field in text, (field, errors)
    assert len(errors) == 8
    assert not any(e.startswith("description") for e in errors), errors  # optional (spec)


@pytest.mark.parametrize(
    ("fields", "expect"),
    [
        ({"lat": None, "long": None}, "location: required"),
        ({"long": None}, "long: required with lat"),
        ({"lat": "nan"}, "not a finite number"),
        ({"lat": "112.79", "long": "29.34"}, "look swapped"),
        ({"lat": "95", "long": "112"}, "out of range"),
        ({"lat": "39.9", "long": "116.4"}, "from the nearest grid"),  # Beijing
        ({"lat": None, "long": None, "address_string": "北京市朝阳区建国路"}, "needs lat/long"),
        ({"lat": None, "long": None, "address_id": "430623999999999"}, "address_id"),
        ({"description": "很" * 4001, "media_url": "https://x.cn/a.jpg"}, "at most 4000"),
        ({"service_code": ["road", "water"]}, "service_code: given 2 times"),
    ],
)
def test_post_location_and_text_errors(world: World, fields: dict[str, Any], expect: str) -> None:
    r = world.call("POST", f"{P}/requests.json", data=_form(world, **fields))
    errors = _errors(r, 400, "json")
    assert any(expect in e for e in errors), errors


def test_post_that_is_not_a_form(world: World) -> None:
    r = world.call("POST", f"{P}/requests.json", json=_form(world))
    assert "application/x-www-form-urlencoded" in _errors(r, 400, "json")[0]
    r = world.call("POST", f"{P}/requests.xml")  # no body: service_code and a place missing
    assert len(_errors(r, 400, "xml")) == 2
    r = world.call(
        "POST",
        f"{P}/requests.xml",
        content=b"--x\r\n",
        headers={"Content-Type": "multipart/form-data"},
    )
    _errors(r, 400, "xml")
    files = {"media": ("p.jpg", b"\xff\xd8\xff", "image/jpeg")}
    r = world.call("POST", f"{P}/requests.json", data=_form(world), files=files)
    assert "media: a file upload" in _errors(r, 400, "json")[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_and_jurisdiction_errors(world: World, fmt: str) -> None:
    url = f"{P}/requests.{fmt}"
    (msg,) = _errors(world.call("POST", url, data=_form(world, api_key="nope")), 403, fmt)
    assert "api_key" in msg
    (msg,) = _errors(world.call("GET", url, params={"api_key": "nope"}), 403, fmt)
    assert "api_key" in msg
    planner = world.tokens["planner"]
    assert (
        "planner"
        in _errors(world.call("POST", url, data=_form(world, api_key=planner)), 403, fmt)[0]
    )
    # a grid worker raises in their own grids only
    worker = world.tokens["grid_worker"]
    r = world.call("POST", url, data=_form(world, world.places.grid_b, api_key=worker))
    assert world.places.grid_b in _errors(r, 403, fmt)[0]
    r = world.call("POST", url, params={"api_key": worker}, data=_form(world))
    assert r.status_code == 201, r.text
    for path in ("services", "requests", "services/road", "tokens/x.y"):
        r = world.call("GET", f"{P}/{path}.{fmt}", params={"jurisdiction_id": "sfgov.org"})
        (msg,) = _errors(r, 404, fmt)
        assert "sfgov.org" in msg and "430623" in msg
    r = world.call("POST", url, data=_form(world, jurisdiction_id="110105"))
    assert "110105" in _errors(r, 404, fmt)[0]


def test_idempotency_key_makes_retries_safe(world: World) -> None:
    key = {"Idempotency-Key": "retry-7"}
    first = _post(world, headers=key)
    again = _post(world, "xml", headers=key, expect=200)
    rid = _json(first)[0]["service_request_id"]
    assert _requests_xml_ids(again) == [rid]
    assert again.headers["X-Open311-Token"] == first.headers["X-Open311-Token"]
    listed = _json(world.call("GET", f"{P}/requests.json"))
    assert [d["service_request_id"] for d in listed] == [rid]
    r = world.call(
        "POST", f"{P}/requests.json", data=_form(world, description="另一件事"), headers=key
    )
    (msg,) = _errors(r, 400, "json")
    assert "retry-7" in msg and "different request" in msg


def _requests_xml_ids(r: Any) -> list[str]:
    return [el.findtext("service_request_id") or "" for el in _xml(r)]


# --- GET ----------------------------------------------------------------------------------


def test_get_requests_filters(world: World) -> None:
    road, _ = _raise(world)
    water, _ = _raise(world, service_code="water", description="水渠堵塞")
    safety, _ = _raise(world, service_code="safety", description="危桥")
    county = world.tokens["county_staff"]
    world.call("POST", f"/issues/{safety}/close", "county_staff", json={"reason": "已处置"})

    def ids(fmt: str = "json", **params: str) -> list[str]:
        r = world.call("GET", f"{P}/requests.{fmt}", params=params)
        assert r.status_code == 200, r.text
        if fmt == "xml":
            return [d["service_request_id"] or "" for d in _requests_xml(r)]
        return [d["service_request_id"] for d in _json(r)]

    assert ids() == [safety, water, road]  # newest first
    assert ids("xml") == [safety, water, road]
    assert ids(service_code="water") == [water]
    assert ids(service_code="road,water") == [water, road]
    assert ids(status="open") == [water, road]
    assert ids(status="closed") == [safety]
    assert ids(status="open,closed") == [safety, water, road]
    # service_request_id overrides every other filter, in the order asked
    assert ids(service_request_id=f"{road},{safety}", status="open") == [road, safety]
    assert ids(service_request_id="nope") == []
    now = world.clock[0]
    before = (now - timedelta(hours=1)).isoformat()
    assert ids(start_date=before, end_date=now.isoformat()) == [safety, water, road]
    assert ids(end_date=before) == []
    assert ids(start_date="2026-11-23", api_key=county) == [safety, water, road]
    # a '+' a client forgot to encode arrives as a space
    r = world.client.get(f"{P}/requests.json?start_date=2026-11-23T08:00:00 08:00")
    assert len(_json(r)) == 3

    world.advance(24 * 91)
    late, _ = _raise(world)
    assert ids() == [late]  # the default window: the last 90 days
    assert ids(start_date=before) == [safety, water, road]  # 90 days from the start
    assert ids(end_date=world.clock[0].isoformat()) == [late]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_bad_filters(world: World, fmt: str) -> None:
    url = f"{P}/requests.{fmt}"
    r = world.call(
        "GET",
        url,
        params={"status": "pending", "start_date": "yesterday", "end_date": "2026-11-23T00:00:00"},
    )
    errors = _errors(r, 400, fmt)
    assert any("status: 'pending'" in e for e in errors)
    assert any("start_date: 'yesterday'" in e for e in errors)
    assert any("end_date" in e and "no timezone" in e for e in errors)
    r = world.call("GET", url, params={"start_date": "2026-01-01Z", "end_date": "2026-06-01"})
    assert any("start_date" in e for e in _errors(r, 400, fmt))
    r = world.call("GET", url, params={"start_date": "2026-01-01", "end_date": "2026-06-01"})
    assert "spans more than 90 days" in _errors(r, 400, fmt)[0]
    r = world.call("GET", url, params={"start_date": "2026-06-01", "end_date": "2026-01-01"})
    assert "before start_date" in _errors(r, 400, fmt)[0]
    r = world.call("GET", url, params={"jurisdiction_id": "x" * 101})
    assert "jurisdiction_id" in _errors(r, 400, fmt)[0]
    r = world.call("GET", url, params={"service_request_id": "x" * 41})
    assert "service_request_id" in _errors(r, 400, fmt)[0]


def test_get_requests_caps_the_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = [_raise(world)[0] for _ in range(3)]
    monkeypatch.setattr(open311_routes, "MAX_REQUESTS", 2)
    body = _json(world.call("GET", f"{P}/requests.json"))
    assert [d["service_request_id"] for d in body] == made[::-1][:2]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_and_unknown_ids(world: World, fmt: str) -> None:
    rid, _ = _raise(world)
    doc = _one(world, rid, fmt)
    assert doc["service_request_id"] == rid and doc["status"] == "open"
    assert doc["service_code"] == "road" and doc["service_name"] == "道路交通"
    assert doc["requested_datetime"] == "2026-11-23T09:01:00+08:00"
    lat = float(doc["lat"] or 0)  # the public sees it snapped to ~100 m (disclosure)
    assert abs(lat - world.point(world.places.grid_a)[1]) < 0.0006
    staff = _one(world, rid, fmt, api_key=world.tokens["county_staff"])
    assert abs(float(staff["lat"] or 0) - world.point(world.places.grid_a)[1]) < 1e-6
    (msg,) = _errors(world.call("GET", f"{P}/requests/20261123-000000000000.{fmt}"), 404, fmt)
    assert "20261123-000000000000" in msg
    _errors(world.call("GET", f"{P}/requests/{'x' * 41}.{fmt}"), 400, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens_map_to_request_ids(world: World, fmt: str) -> None:
    rid, token = _raise(world)
    r = world.call("GET", f"{P}/tokens/{token}.{fmt}")
    assert r.status_code == 200, r.text
    if fmt == "json":
        assert _json(r) == [{"service_request_id": rid, "token": token}]
    else:
        (req,) = _xml(r)
        assert [(c.tag, c.text) for c in req] == [("service_request_id", rid), ("token", token)]
    tracking = token.rsplit(".", 1)[1]
    for bad in (f"{rid}.{'0' * len(tracking)}", tracking, f"nope.{tracking}", "x"):
        assert _errors(world.call("GET", f"{P}/tokens/{bad}.{fmt}"), 404, fmt) == [
            "token not found"
        ]
    # the part after the dot is the QR flow's tracking token: follow and rate with it
    public = world.call("GET", f"/public/issues/{rid}", params={"token": tracking})
    assert public.status_code == 200 and public.json()["status"] == "dispatched"


# --- status through the lifecycle ---------------------------------------------------------


def test_status_follows_the_lifecycle(world: World) -> None:
    rid, token = _raise(world, phone="13800002222")
    tracking = token.rsplit(".", 1)[1]
    issue = world.service.store.get_issue(rid)
    doc = _one(world, rid)
    assert doc["status"] == "open"
    assert doc["agency_responsible"] == issue.unit_name and "联络" in issue.unit_name
    assert doc["status_notes"].startswith(f"已受理，交{issue.unit_name}办理")
    first_due = doc["expected_datetime"]
    assert first_due == "2026-11-26T09:01:00+08:00"  # 72 h at the station

    world.advance(5)  # past the station's 4 h to acknowledge
    assert rid in world.service.tick().escalated
    doc = _one(world, rid)
    town = world.service.store.get_issue(rid).unit_name
    assert doc["status"] == "open" and doc["agency_responsible"] == town
    assert town.endswith(("人大主席团", "人大工委"))
    assert doc["status_notes"] == f"逾期未签收，已上报至{town}"
    assert doc["expected_datetime"] > first_due  # 168 h at the township, from now
    assert doc["updated_datetime"] == "2026-11-23T14:01:00+08:00"
    assert town in doc["service_notice"]

    staff = (
        "township_staff"
        if world.service.store.get_issue(rid).township_code == world.places.township_a
        else "county_staff"
    )
    r = world.call("POST", f"/issues/{rid}/resolve", staff, json={"result": "已修复路面"})
    assert r.status_code == 200, r.text
    doc = _one(world, rid, "xml")
    assert doc["status"] == "closed"
    assert doc["status_notes"] == f"{town}已办结，待群众评价：已修复路面"
    assert doc["expected_datetime"] is None and doc["service_notice"] is None

    r = world.call(
        "POST", f"/public/issues/{rid}/rate", json={"rating": "不满意", "tracking_token": tracking}
    )
    assert r.status_code == 200, r.text
    doc = _one(world, rid)
    assert doc["status"] == "open"
    assert doc["status_notes"] == f"群众评价不满意，{town}重新办理；最近办理结果：已修复路面"
    assert doc["expected_datetime"] is not None

    world.call("POST", f"/issues/{rid}/resolve", staff, json={"result": "重新铺设沥青"})
    world.call(
        "POST", f"/public/issues/{rid}/rate", json={"rating": "满意", "tracking_token": tracking}
    )
    doc = _one(world, rid)
    assert doc["status"] == "closed"
    assert doc["status_notes"] == "已办结：重新铺设沥青（群众评价：满意）"


def test_transfer_merge_and_reasons_only_for_those_who_see_them(world: World) -> None:
    rid, _ = _raise(world)
    other, _ = _raise(world, description="同一处塌陷")
    target = f"station:{world.places.station_c}"
    r = world.call(
        "POST",
        f"/issues/{rid}/transfer",
        "township_staff",
        json={"to": target, "reason": "属邻站辖区"},
    )
    assert r.status_code == 200, r.text
    unit = world.service.store.get_issue(rid).unit_name
    assert _one(world, rid)["status_notes"] == f"已转办至{unit}"
    assert _one(world, rid)["agency_responsible"] == unit
    staff = _one(world, rid, api_key=world.tokens["county_staff"])
    assert staff["status_notes"] == f"已转办至{unit}：属邻站辖区"

    r = world.call("POST", f"/issues/{other}/merge", "county_staff", json={"into": rid})
    assert r.status_code == 200, r.text
    doc = _one(world, other, "xml")
    assert doc["status"] == "closed" and doc["status_notes"] == f"与 {rid} 为同一问题，已合并办理"


# --- text and personal data ---------------------------------------------------------------


def test_chinese_and_markup_round_trip_in_xml_and_json(world: World) -> None:
    text = "华容县三封寺镇：<桥> & \"涵洞\" '塌陷'\n第二行 ✓ 𠀀"
    rid, _ = _raise(world, description=text + "\x01", **{"attribute[title]": "标题"})
    stored = world.service.store.get_issue(rid).description
    assert stored == text + "\x01"
    r = world.call("GET", f"{P}/requests/{rid}.json")
    assert "华容县三封寺镇".encode() in r.content
    assert _json(r)[0]["description"] == text + "\x01"
    r = world.call("GET", f"{P}/requests/{rid}.xml")
    assert "华容县三封寺镇".encode() in r.content and b"&lt;\xe6\xa1\xa5&gt; &amp;" in r.content
    (doc,) = _requests_xml(r)
    # XML 1.0 cannot carry U+0001: it is replaced, everything else is intact
    assert doc["description"] == text + "\ufffd"


def test_personal_data_never_shown_to_the_public(world: World) -> None:
    rid, _ = _raise(world, first_name="四", last_name="李", phone="13912345678")
    anon, _ = _raise(world, phone="13700000000", **{"attribute[anonymous]": "true"})
    phones = [str(p) for p in world.ws.deputies["phone"].dropna()] + ["13912345678", "13700000000"]
    views = [
        f"{P}/requests.json", f"{P}/requests.xml", f"{P}/requests/{rid}.json",
        f"{P}/requests/{rid}.xml",
    ]  # fmt: skip
    for key in (None, world.tokens["planner"], world.tokens["township_staff_other"]):
        params = {} if key is None else {"api_key": key}
        for url in views:
            r = world.call("GET", url, params=params)
            assert r.status_code == 200, r.text
            leaked = [p for p in phones if p in r.text] + [n for n in ("李四",) if n in r.text]
            assert not leaked, (url, key is None, leaked)
            for field in PERSONAL:
                assert f'"{field}"' not in r.text and f"<{field}>" not in r.text

    staff = _one(world, rid, api_key=world.tokens["county_staff"])
    assert (staff["reporter_name"], staff["reporter_phone"]) == ("李四", "13912345678")
    assert "（" in staff["deputies"]  # with their phones
    xml_staff = _one(world, rid, "xml", api_key=world.tokens["station_admin"])
    assert xml_staff["reporter_phone"] == "13912345678"
    anon_doc = _one(world, anon, api_key=world.tokens["county_staff"])
    assert "reporter_name" not in anon_doc and "reporter_phone" not in anon_doc
    assert world.service.store.get_issue(anon).reporter_phone == ""


# --- errors outside the routes, and the rest of the API -----------------------------------


def test_routing_errors_are_open311_shaped_only_under_the_prefix(world: World) -> None:
    (msg,) = _errors(world.call("GET", f"{P}/nothing.json"), 404, "json")
    assert msg == "Not Found"
    _errors(world.call("GET", f"{P}/nothing"), 404, "xml")
    assert "format 'html'" in _errors(world.call("GET", f"{P}/services.html"), 404, "xml")[0]
    r = world.call("DELETE", f"{P}/requests.json")
    _errors(r, 405, "json")
    assert r.headers["Allow"] == "GET, POST"
    r = world.call("PUT", f"{P}/services.xml")
    _errors(r, 405, "xml")
    assert r.headers["Allow"] == "GET"
    long_key = {"Idempotency-Key": "k" * 201}
    r = world.call("POST", f"{P}/requests.json", data=_form(world), headers=long_key)
    assert "Idempotency-Key" in _errors(r, 400, "json")[0]
    # the rest of the API keeps its own shape
    r = world.call("GET", "/issues/nope", "county_staff")
    assert r.status_code == 404 and set(r.json()) == {"error", "message", "problems"}
    r = world.call("GET", "/nothing")
    assert r.status_code == 404 and set(r.json()) == {"error", "message", "problems"}


def test_openapi_documents_the_open311_paths(world: World) -> None:
    spec = world.call("GET", "/openapi.json").json()
    paths = {p for p in spec["paths"] if p.startswith(P)}
    assert paths == {
        f"{P}/services.{{fmt}}",
        f"{P}/services/{{service_code}}.{{fmt}}",
        f"{P}/requests.{{fmt}}",
        f"{P}/requests/{{service_request_id}}.{{fmt}}",
        f"{P}/tokens/{{token}}.{{fmt}}",
    }
    post = spec["paths"][f"{P}/requests.{{fmt}}"]["post"]
    assert set(post["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }
    assert set(post["responses"]["201"]["content"]) == {"application/json", "text/xml"}


def test_w3_datetimes_carry_the_china_offset(world: World) -> None:
    rid, _ = _raise(world)
    doc = _one(world, rid)
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(doc[field]).utcoffset() == timedelta(hours=8)


# --- what the spec allows, and the app's limits in its error format -----------------------


def _created_id(r: Any, fmt: str) -> str:
    if fmt == "json":
        return str(_json(r)[0]["service_request_id"])
    return _xml(r)[0].findtext("service_request_id") or ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_description_is_optional(world: World, fmt: str) -> None:
    # the spec makes it optional; the issue keeps the title, else the service's name, as
    # its description (the people acting on it need words)
    road = world.service.settings.issue_categories["road"]
    rid = _created_id(_post(world, fmt, description=None), fmt)
    assert world.service.store.get_issue(rid).description == road
    assert _one(world, rid, fmt)["description"] == road
    world.advance(1 / 60)
    titled = _post(world, fmt, description="  ", **{"attribute[title]": "桥头塌陷"})
    issue = world.service.store.get_issue(_created_id(titled, fmt))
    assert (issue.description, issue.title) == ("桥头塌陷", "桥头塌陷")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_description_may_be_4000_characters(world: World, fmt: str) -> None:
    text = "塌" * 4000  # the spec's limit
    rid = _created_id(_post(world, fmt, description=text), fmt)
    assert world.service.store.get_issue(rid).description == text
    r = world.call("POST", f"{P}/requests.{fmt}", data=_form(world, description=text + "陷"))
    errors = _errors(r, 400, fmt)
    assert errors == ["description: 4001 characters; at most 4000"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_body_limit_answers_in_the_spec_error_format(world: World, fmt: str) -> None:
    from fastapi.testclient import TestClient

    from api import create_app

    app = create_app(world.service, tick_interval_s=0, rate_per_s=0, max_body_bytes=1000)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(f"{P}/requests.{fmt}", data=_form(world, description="塌" * 400))
        (msg,) = _errors(r, 413, fmt)
        assert "over 1000 bytes" in msg

        def chunks() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"description=" + b"x" * 100 + b"&"

        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = client.post(f"{P}/requests.{fmt}", content=chunks(), headers=form)
        _errors(r, 413, fmt)
        # outside the prefix the app's own shape
        r = client.post("/issues", json={"description": "x" * 2000})
        assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert world.service.store.count() == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_rate_limit_answers_in_the_spec_error_format(world: World, fmt: str) -> None:
    from fastapi.testclient import TestClient

    from api import create_app

    app = create_app(world.service, tick_interval_s=0, rate_per_s=0.01)  # a burst of 1
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"{P}/services.{fmt}").status_code == 200
        r = client.get(f"{P}/services.{fmt}")
        (msg,) = _errors(r, 429, fmt)
        assert "requests per second" in msg and r.headers["Retry-After"] == "1"
        r = client.post(f"{P}/requests.{fmt}", data=_form(world))
        _errors(r, 429, fmt)
        r = client.get("/health")
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
