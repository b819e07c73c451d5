"""What the public may read: Open311 without a token and the QR tracking pages mask the
personal numbers in free text and show an issue's point only to about 100 m; staff whose
token sees the issue read it as written.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gridgov._errors import ParameterError
from gridgov.issues.access import server_secret, tracking_token
from gridgov.issues.disclosure import mask_personal, public_point

if TYPE_CHECKING:
    from conftest import World

P = "/open311/v2"

SECRETS = {
    "mobile": ("电话138 1234 5678找王师傅", "138****5678"),
    "mobile_dashes": ("联系+86-139-1234-5678", "139****5678"),
    "landline": ("村部0730-8123456", "0730-*****56"),
    "id": ("身份证43062319800101123X", "430623********123X"),
    "email": ("邮箱 wangfang.x@example.com 回复", "w***@example.com"),
}
RAW = ("138 1234 5678", "139-1234-5678", "8123456", "19800101", "wangfang.x@")


@pytest.mark.parametrize("name", list(SECRETS))
def test_mask_personal(name: str) -> None:
    text, masked = SECRETS[name]
    out = mask_personal(text)
    assert masked in out, out
    assert not any(raw in out for raw in RAW), out


def test_mask_personal_leaves_other_numbers() -> None:
    for text in ("网格430623101001001 的路灯", "2026年11月23日 3 盏灯", "编号 20261123-1a2b"):
        assert mask_personal(text) == text


def test_public_point_is_the_centre_of_its_cell() -> None:
    lon, lat = public_point(112.7932926, 29.3445142, step_deg=0.001)
    assert (lon, lat) == (112.7935, 29.3445)
    assert public_point(112.79301, 29.34401, step_deg=0.001) == (lon, lat)


def _raise_public(world: World, description: str) -> tuple[str, str, tuple[float, float]]:
    """An anonymous QR report at an exact point; its id, tracking token and point."""
    lon, lat = world.point(world.places.grid_a)
    lon, lat = lon + 0.000123, lat + 0.000321  # off any 0.001 grid
    r = world.call(
        "POST",
        f"/public/stations/{world.places.station_a}/issues",
        json={
            "category": "road",
            "description": description,
            "lon": lon,
            "lat": lat,
            "anonymous": True,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["issue"]["issue_id"], r.json()["tracking_token"], (lon, lat)


def _docs(world: World, url: str, **params: str) -> list[dict[str, Any]]:
    r = world.call("GET", url, params=params)
    assert r.status_code == 200, r.text
    if url.endswith(".json"):
        docs: list[dict[str, Any]] = r.json()
        return docs
    root = ET.fromstring(r.content)
    return [{e.tag: e.text for e in item} for item in root]


DESCRIPTION = "路面塌陷，电话13812345678，邮箱 li.si@example.com，身份证430623198001011234"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_public_views_mask_text_and_snap_the_point(world: World, fmt: str) -> None:
    rid, _, (lon, lat) = _raise_public(world, DESCRIPTION)
    r = world.call(
        "POST",
        f"/issues/{rid}/resolve",
        "county_staff",
        json={"result": "已联系 0730-8123456 处理"},
    )
    assert r.status_code == 200, r.text
    for url in (f"{P}/requests.{fmt}", f"{P}/requests/{rid}.{fmt}"):
        (doc,) = [d for d in _docs(world, url) if d["service_request_id"] == rid]
        text = " ".join(str(v) for v in doc.values())
        for raw in ("13812345678", "li.si@", "198001011234", "8123456"):
            assert raw not in text, (url, raw, text)
        assert "138****5678" in doc["description"], doc
        assert "0730-*****56" in doc["status_notes"], doc
        shown = (float(doc["long"]), float(doc["lat"]))
        assert shown == public_point(lon, lat, step_deg=0.001), (shown, lon, lat)
        assert abs(shown[0] - lon) < 0.0006 and abs(shown[1] - lat) < 0.0006
        assert shown != (round(lon, 7), round(lat, 7))

    # staff whose token sees it read it as written, at the exact point
    (doc,) = _docs(world, f"{P}/requests/{rid}.{fmt}", api_key=world.tokens["county_staff"])
    assert doc["description"] == DESCRIPTION
    assert "0730-8123456" in doc["status_notes"]
    assert (float(doc["long"]), float(doc["lat"])) == (round(lon, 7), round(lat, 7))
    # a token that does not see it is the public
    (doc,) = _docs(world, f"{P}/requests/{rid}.{fmt}", api_key=world.tokens["planner"])
    assert "13812345678" not in doc["description"]


def test_tracking_page_masks_the_result(world: World) -> None:
    rid, token, _ = _raise_public(world, "路灯不亮")
    world.call(
        "POST", f"/issues/{rid}/resolve", "county_staff", json={"result": "找电工 13912345678 修好"}
    )
    r = world.call("GET", f"/public/issues/{rid}", params={"token": token})
    assert r.status_code == 200, r.text
    assert "13912345678" not in r.text and "139****5678" in r.json()["result"], r.text
    assert r.json()["three_knows"]["result"] == r.json()["result"]
    staff = world.call("GET", f"/issues/{rid}", "county_staff").json()
    assert "13912345678" in staff["result"]


def test_the_step_is_a_setting(world: World) -> None:
    from dataclasses import replace

    world.service.settings = replace(world.service.settings, public_point_step_deg=0.01)
    rid, _, (lon, lat) = _raise_public(world, "路灯不亮")
    (doc,) = _docs(world, f"{P}/requests/{rid}.json")
    assert (doc["long"], doc["lat"]) == public_point(lon, lat, step_deg=0.01)


# --- tracking tokens: keyed outside the store -----------------------------------------------


def _cells(path: Path) -> list[str]:
    """Every text value of every table of the SQLite store at ``path``."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            v
            for t in tables
            for row in con.execute(f'SELECT * FROM "{t}"')
            for v in row
            if isinstance(v, str)
        ]
    finally:
        con.close()


def test_reading_the_whole_store_gives_no_tracking_token(world: World, tmp_path: Path) -> None:
    station = world.places.station_a
    r = world.call(
        "POST",
        f"/public/stations/{station}/issues",
        json={"category": "road", "description": "路灯不亮"},
        headers={"Idempotency-Key": "retry-key-1"},
    )
    assert r.status_code == 201, r.text
    token = r.json()["tracking_token"]
    lon, lat = world.point(world.places.grid_a)
    r = world.call(
        "POST",
        f"{P}/requests.json",
        data={"service_code": "road", "description": "井盖缺失", "lat": lat, "long": lon},
        headers={"Idempotency-Key": "retry-key-2"},
    )
    assert r.status_code == 201, r.text
    tokens = {token, r.headers["X-Open311-Token"].rsplit(".", 1)[1]}

    world.service.store.close()
    store = tmp_path / "issues.sqlite"
    cells = _cells(store)
    keys = [c for c in cells if "retry-key" in c]
    assert keys, "the store keeps the idempotency keys"
    derived = {tracking_token(secret, key) for secret in cells for key in keys}
    assert not derived & tokens, "a tracking token is computable from the store"
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("issues.sqlite*"))
    assert os.environ["GRIDGOV_SECRET"].encode() not in raw


def test_the_secret_file_is_made_once_private_and_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDGOV_SECRET", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first = server_secret()
    path = tmp_path / "config" / "gridgov" / "secret"
    assert path.read_text().strip() == first and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert server_secret() == first
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # nothing left aside
    other = tmp_path / "elsewhere" / "s"
    assert server_secret(other) != first and other.exists()
    monkeypatch.setenv("GRIDGOV_SECRET", "short")
    with pytest.raises(ParameterError, match="GRIDGOV_SECRET"):
        server_secret()


def test_a_wrong_tracking_token_is_404(world: World) -> None:
    rid, token, _ = _raise_public(world, "路灯不亮")
    for bad in (token[:-1], token + "x", " " + token, "x"):
        r = world.call("GET", f"/public/issues/{rid}", params={"token": bad})
        assert r.status_code == 404, (bad, r.text)
    assert world.call("GET", f"/public/issues/{rid}", params={"token": token}).status_code == 200
