"""The pages a QR code opens (一站一码、一人一码): who the deputies are and a form to raise
an issue, self-contained so that an intranet or a cheap phone opens them offline, and
never a phone number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World


def _station_deputies(world: World, station: str) -> tuple[list[str], list[str]]:
    """Names of the on-duty and off-duty deputies of a station."""
    d = world.ws.deputies
    mine = d[d["station_id"].astype(str) == station]
    on = mine["on_duty"].fillna(True).astype(bool)
    return list(mine.loc[on, "name"].astype(str)), list(mine.loc[~on, "name"].astype(str))


def _offline_safe(html: str) -> None:
    assert "http://" not in html and "https://" not in html, re.findall(r"https?://\S+", html)
    assert not re.search(r"<script[^>]+src=", html), "external script"
    assert not re.search(r"<link[^>]+stylesheet", html), "external stylesheet"
    assert not re.search(r"@import|url\(", html), "css import"


def test_station_page_shows_the_station_its_deputies_and_a_form(world: World) -> None:
    station = world.places.station_a
    r = world.call("GET", f"/public/stations/{station}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    name = world.ws.stations.set_index("station_id").loc[station, "name"]
    assert f"<h1>{name}</h1>" in html and f"<title>{name}</title>" in html
    on_duty, _ = _station_deputies(world, station)
    assert on_duty
    for deputy in on_duty:
        assert deputy in html
    assert "<form" in html and 'name="description"' in html and 'name="category"' in html
    for code in world.service.settings.issue_categories:
        assert f'value="{code}"' in html
    assert f"/public/stations/{station}/issues" in html
    _offline_safe(html)
    phones = world.ws.deputies["phone"].astype(str)
    assert not [ph for ph in phones if ph in html]


def test_station_page_leaves_out_deputies_off_duty(world: World) -> None:
    d = world.ws.deputies
    on = d["on_duty"].fillna(True).astype(bool)
    station = str(d.loc[~on & d["station_id"].notna(), "station_id"].iloc[0])
    mine = d["station_id"].astype(str) == station
    r = world.call("GET", f"/public/stations/{station}", params={"format": "json"})
    shown = {x["deputy_id"] for x in r.json()["deputies"]}
    assert shown == set(d.loc[mine & on, "deputy_id"].astype(str))
    assert not shown & set(d.loc[mine & ~on, "deputy_id"].astype(str))


def test_station_page_as_json(world: World) -> None:
    station = world.places.station_a
    r = world.call("GET", f"/public/stations/{station}", params={"format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    info = r.json()
    assert info["station_id"] == station
    assert info["deputies"] and all(
        set(d) == {"deputy_id", "name", "level", "specialty"} for d in info["deputies"]
    )
    assert "phone" not in r.text


def test_deputy_page(world: World) -> None:
    deputy = world.places.deputy_a
    row = world.ws.deputies.set_index("deputy_id").loc[deputy]
    r = world.call("GET", f"/public/deputies/{deputy}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert str(row["name"]) in r.text
    assert str(row["phone"]) not in r.text
    assert "<form" in r.text and f"/public/stations/{row['station_id']}/issues" in r.text
    _offline_safe(r.text)
    info = world.call("GET", f"/public/deputies/{deputy}", params={"format": "json"}).json()
    assert info["name"] == row["name"] and "phone" not in info


@pytest.mark.parametrize(
    "url", ["/public/stations/NOPE", "/public/stations/NOPE?format=json", "/public/deputies/NOPE"]
)
def test_unknown_station_or_deputy_is_404_json(world: World, url: str) -> None:
    r = world.call("GET", url)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == "not_found" and "NOPE" in body["message"]


def test_bad_format_is_422(world: World) -> None:
    r = world.call("GET", f"/public/stations/{world.places.station_a}", params={"format": "pdf"})
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "format"


def test_the_form_raises_an_issue_at_the_station(world: World) -> None:
    """What the page's script posts: the form fields as JSON, with an Idempotency-Key."""
    station = world.places.station_a
    r = world.call(
        "POST",
        f"/public/stations/{station}/issues",
        json={
            "category": "livelihood",
            "description": "低保申请进度咨询",
            "reporter_name": "",
            "reporter_phone": "",
            "anonymous": True,
        },
        headers={"Idempotency-Key": "0b9d5a40-form"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] and body["tracking_token"]
    assert body["issue"]["status"] in ("assigned", "dispatched")
    tracked = world.call(
        "GET",
        f"/public/issues/{body['issue']['issue_id']}",
        params={"token": body["tracking_token"]},
    )
    assert tracked.status_code == 200
    got = world.call("GET", f"/issues/{body['issue']['issue_id']}", "county_staff").json()
    assert got["source"] == "qr" and got["anonymous"] is True and got["reporter"] is None
