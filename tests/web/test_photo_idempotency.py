"""One photo per upload, on both stores: a phone on a flaky network sends a photo again
when it never saw the answer, under the Idempotency-Key it chose for that photo. The
second upload answers the first photo (200, same id) and stores nothing; two at once
still store one (the unique index decides, over real HTTP through uvicorn's threads);
the same key with another photo is a 422 in Chinese naming the header (as a reused key of
an issue creation is).

Each route is covered: the JSON API's ``/issues/{id}/photos`` (bearer token), the
resident's ``/public/issues/{id}/photos`` (tracking token) and the phone pages'
``/field/api/issues/{id}/photos`` (session and CSRF).
"""

from __future__ import annotations

import io
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from test_auth import csrf_of, login, make_account

from api import create_app
from api.web.field import CSRF_HEADER
from gridgov._errors import IdempotencyError
from gridgov.issues.service import IssueService
from gridgov.model import Workspace
from gridgov.store.photos import PhotoRecord, new_photo_id, photo_store
from gridgov.store.sqlite import SQLiteStore

# tests/api/conftest.py's World, loaded by tests/web/conftest.py under this name
api_world = sys.modules["gridgov_tests_api_world"]


def jpeg(colour: str = "#6a8", size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def files(data: bytes) -> dict[str, Any]:
    return {"photo": ("photo.jpg", data, "image/jpeg")}


@contextmanager
def world_on(ws: Workspace, store: Any) -> Iterator[Any]:
    """tests/api/conftest.py's ``make_world`` over the given store."""
    from fastapi.testclient import TestClient

    clock = [api_world.START]
    service = IssueService(ws, store, clock=lambda: clock[0])
    places = api_world._places(ws, service.grid_station)
    app = create_app(service, tick_interval_s=0, rate_per_s=0)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            w = api_world.World(ws, service, client, clock, places)
            w.tokens["grid_worker"] = w.token("grid_worker", places.grid_a)
            w.tokens["county_staff"] = w.token("county_staff", str(ws.county["code"].iloc[0]))
            yield w
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "postgis"])
def world(request: pytest.FixtureRequest, demo_ws: Workspace, tmp_path: Path) -> Iterator[Any]:
    """The demo county behind the app, on a fresh store of each kind."""
    if request.param == "sqlite":
        store: Any = SQLiteStore(tmp_path / "issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        store = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=8)
    with world_on(demo_ws, store) as w:
        yield w


def stored(world: Any, issue_id: str) -> list[PhotoRecord]:
    return photo_store(world.service.store).photos(issue_id)


def raised(world: Any) -> str:
    return str(world.raise_issue("grid_worker", world.places.grid_a)["issue"]["issue_id"])


# --- the JSON API --------------------------------------------------------------------------


def test_an_upload_sent_again_under_its_key_answers_the_first_photo(world: Any) -> None:
    issue_id = raised(world)
    url = f"/issues/{issue_id}/photos"
    key = {"Idempotency-Key": "photo-1"}
    first = world.call("POST", url, "grid_worker", files=files(jpeg()), headers=key)
    assert first.status_code == 201, first.text
    again = world.call("POST", url, "grid_worker", files=files(jpeg()), headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["photo_id"] == first.json()["photo_id"]
    assert again.json()["url"] == first.json()["url"]
    assert [r.photo_id for r in stored(world, issue_id)] == [first.json()["photo_id"]]
    # another photo is another key: stored beside it
    other = world.call(
        "POST", url, "grid_worker", files=files(jpeg("#a86")),
        headers={"Idempotency-Key": "photo-2"},
    )  # fmt: skip
    assert other.status_code == 201 and other.json()["photo_id"] != first.json()["photo_id"]
    # without a key every upload is its own photo, as before
    plain = world.call("POST", url, "grid_worker", files=files(jpeg()))
    assert plain.status_code == 201
    assert len(stored(world, issue_id)) == 3
    # keys are the uploader's: county staff under the same words store their own photo
    staff = world.call("POST", url, "county_staff", files=files(jpeg()), headers=key)
    assert staff.status_code == 201 and staff.json()["photo_id"] != first.json()["photo_id"]
    assert len(stored(world, issue_id)) == 4
    if isinstance(world.service.store, SQLiteStore):
        folder = Path(f"{world.service.store.path}.photos") / issue_id
        assert len([p for p in folder.iterdir() if p.suffix == ".jpg"]) == 8  # 4 photos × 2


def test_the_same_key_with_another_photo_is_a_422_in_chinese(world: Any) -> None:
    issue_id = raised(world)
    url = f"/issues/{issue_id}/photos"
    key = {"Idempotency-Key": "photo-1"}
    assert (
        world.call("POST", url, "grid_worker", files=files(jpeg()), headers=key).status_code == 201
    )
    other = world.call("POST", url, "grid_worker", files=files(jpeg("#a86")), headers=key)
    assert other.status_code == 422, other.text
    body = other.json()
    assert body["error"] == "idempotency_key_reused"
    assert "幂等键" in body["message"] and "另一张照片" in body["message"]
    assert [p["field"] for p in body["problems"]] == ["Idempotency-Key"]
    english = world.call(
        "POST", f"{url}?lang=en", "grid_worker", files=files(jpeg("#a86")), headers=key
    )
    assert english.status_code == 422 and "another photo" in english.json()["message"]
    assert len(stored(world, issue_id)) == 1
    blank = world.call(
        "POST", url, "grid_worker", files=files(jpeg()), headers={"Idempotency-Key": "  "}
    )
    assert blank.status_code == 422 and blank.json()["problems"][0]["field"] == "Idempotency-Key"
    assert len(stored(world, issue_id)) == 1


def test_uploads_racing_under_one_key_store_one_photo(
    world: Any, serve_in_thread: Callable[[Any], AbstractContextManager[str]]
) -> None:
    """Eight copies of one upload at once, over real HTTP: uvicorn runs them on its
    worker threads, so they pass the look-up together and meet at the unique index."""
    issue_id = raised(world)
    data = jpeg()
    headers = {**world.headers("grid_worker"), "Idempotency-Key": "race"}
    answers: list[httpx.Response] = []
    start = threading.Barrier(8)

    def upload(base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            answers.append(
                client.post(f"/issues/{issue_id}/photos", files=files(data), headers=headers)
            )

    with serve_in_thread(world.client.app) as base:
        threads = [threading.Thread(target=upload, args=(base,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 7 + [201], [a.text for a in answers]
    assert len({a.json()["photo_id"] for a in answers}) == 1
    assert len(stored(world, issue_id)) == 1
    if isinstance(world.service.store, SQLiteStore):
        folder = Path(f"{world.service.store.path}.photos") / issue_id
        assert len([p for p in folder.iterdir() if p.is_file()]) == 2  # the losers left none


# --- the resident and the phone pages ------------------------------------------------------


def test_the_residents_retry_answers_the_photo_even_past_the_hour_and_the_three(
    world: Any,
) -> None:
    made = world.raise_public(world.places.station_a)
    issue_id, token = made["issue"]["issue_id"], made["tracking_token"]
    url = f"/public/issues/{issue_id}/photos"
    form = {"tracking_token": token}
    first = world.call(
        "POST", url, files=files(jpeg()), data=form, headers={"Idempotency-Key": "p1"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["copy"] == "public" and first.json()["lon"] is None
    for n, colour in enumerate(("#111", "#222"), start=2):
        r = world.call("POST", url, files=files(jpeg(colour)), data=form,
                       headers={"Idempotency-Key": f"p{n}"})  # fmt: skip
        assert r.status_code == 201
    # the resident's three are taken; the first one's retry is still its answer
    again = world.call(
        "POST", url, files=files(jpeg()), data=form, headers={"Idempotency-Key": "p1"}
    )
    assert again.status_code == 200 and again.json()["photo_id"] == first.json()["photo_id"]
    world.advance(2)  # past the hour photos are taken in
    late = world.call(
        "POST", url, files=files(jpeg()), data=form, headers={"Idempotency-Key": "p1"}
    )
    assert late.status_code == 200 and late.json()["photo_id"] == first.json()["photo_id"]
    fresh = world.call(
        "POST", url, files=files(jpeg("#333")), data=form, headers={"Idempotency-Key": "p4"}
    )
    assert fresh.status_code == 422 and "1 h" in fresh.json()["message"]
    reused = world.call(
        "POST", url, files=files(jpeg("#333")), data=form, headers={"Idempotency-Key": "p1"}
    )
    assert reused.status_code == 422 and "幂等键" in reused.json()["message"]
    assert len(stored(world, issue_id)) == 3
    # the tracking token is still the key to it: a wrong one learns nothing
    wrong = world.call("POST", url, files=files(jpeg()), data={"tracking_token": "x" * 40},
                       headers={"Idempotency-Key": "p1"})  # fmt: skip
    assert wrong.status_code == 404


def test_the_phone_pages_photo_route_stores_each_photo_once(world: Any) -> None:
    make_account(world, "grid-worker", "grid_worker", world.places.grid_a)
    assert login(world.client, "grid-worker").status_code == 303
    csrf = {CSRF_HEADER: csrf_of(world.client.get("/field/raise").text)}
    created = world.call(
        "POST", "/field/api/issues", headers={**csrf, "Idempotency-Key": "draft"},
        json={"category": "road", "description": "村道路面塌陷",
              **dict(zip(("lon", "lat"), world.point(world.places.grid_a), strict=True))},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    issue_id = created.json()["issue_id"]
    url = f"/field/api/issues/{issue_id}/photos"
    h = {**csrf, "Idempotency-Key": "draft-photo-1"}
    first = world.call("POST", url, files=files(jpeg()), headers=h)
    assert first.status_code == 201, first.text
    again = world.call("POST", url, files=files(jpeg()), headers=h)
    assert again.status_code == 200 and again.json() == first.json()
    other = world.call("POST", url, files=files(jpeg("#a86")), headers=h)
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert "另一张照片" in other.json()["message"]
    assert len(stored(world, issue_id)) == 1
    page = world.client.get(f"/field/issues/{issue_id}").text
    assert page.count(first.json()["url"]) == 1  # shown once


# --- the stores ----------------------------------------------------------------------------


def _record(issue_id: str) -> PhotoRecord:
    return PhotoRecord(
        photo_id=new_photo_id(), issue_id=issue_id,
        created_at=datetime(2026, 11, 23, 1, tzinfo=UTC), actor_role="deputy", actor_id="D1",
        width=10, height=10, source_format="JPEG", staff_bytes=1, public_bytes=1,
    )  # fmt: skip


def test_the_store_keeps_one_photo_when_keyed_adds_race(world: Any) -> None:
    """Straight at the store, past the route's look-up: threads each with a photo of
    their own under one key; one row, every thread answered with it."""
    issue_id = raised(world)
    photos = photo_store(world.service.store)
    got: list[str] = []
    start = threading.Barrier(8)

    def add() -> None:
        start.wait()
        rec = photos.add(_record(issue_id), b"s", b"p", max_per_issue=12,
                         idempotency_key="deputy:D1:k", request_hash="h")  # fmt: skip
        got.append(rec.photo_id)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1
    assert [r.photo_id for r in photos.photos(issue_id)] == got[:1]
    with pytest.raises(IdempotencyError):
        photos.add(_record(issue_id), b"s", b"p", max_per_issue=12,
                   idempotency_key="deputy:D1:k", request_hash="other")  # fmt: skip
    # a full issue still answers a replay: the retry never sees "too many photos"
    assert photos.add(_record(issue_id), b"s", b"p", max_per_issue=1,
                      idempotency_key="deputy:D1:k", request_hash="h").photo_id == got[0]  # fmt: skip
    assert photos.replay(issue_id, "deputy:D1:k", "h") is not None
    assert photos.replay(issue_id, "deputy:D1:none", "h") is None


def test_an_older_sqlite_photo_table_gains_the_key_columns(tmp_path: Path) -> None:
    """A file made before photos had keys: its photos stay, keyed uploads work on it."""
    store = SQLiteStore(tmp_path / "issues.sqlite")
    try:
        with sqlite3.connect(store.path) as con:
            con.execute(
                "CREATE TABLE issue_photos (photo_id TEXT PRIMARY KEY, issue_id TEXT NOT NULL,"
                " created_at TEXT NOT NULL, actor_role TEXT NOT NULL, actor_id TEXT NOT NULL,"
                " width INTEGER NOT NULL, height INTEGER NOT NULL, source_format TEXT NOT NULL,"
                " staff_bytes INTEGER NOT NULL, public_bytes INTEGER NOT NULL, lon REAL,"
                " lat REAL, taken_at TEXT NOT NULL)"
            )
            con.execute(
                "INSERT INTO issue_photos VALUES ('old1', 'I1', '2026-11-23T01:00:00+00:00',"
                " 'deputy', 'D1', 10, 10, 'JPEG', 1, 1, NULL, NULL, '')"
            )
        photos = photo_store(store)
        assert [r.photo_id for r in photos.photos("I1")] == ["old1"]
        a = photos.add(_record("I1"), b"s", b"p", max_per_issue=5,
                       idempotency_key="k", request_hash="h")  # fmt: skip
        b = photos.add(_record("I1"), b"s", b"p", max_per_issue=5,
                       idempotency_key="k", request_hash="h")  # fmt: skip
        assert a.photo_id == b.photo_id and len(photos.photos("I1")) == 2
        photo_store(store)  # opening it again changes nothing
        assert len(photos.photos("I1")) == 2
    finally:
        store.close()
