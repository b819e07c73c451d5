"""Photos of issues over HTTP: what is taken (by content, up to 10 MB), who may attach and
fetch which copy, and that a refused upload stores nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from gridgov.issues.photos import MAX_PHOTO_BYTES, PUBLIC_PHOTOS_PER_ISSUE

if TYPE_CHECKING:
    from conftest import World

# Where the test camera says it stood (Huarong county, 29.53 N 112.55 E).
GPS_LON, GPS_LAT = 112.55, 29.53


def jpeg(size: tuple[int, int] = (1200, 900), *, gps: bool = True, color: str = "#8a6") -> bytes:
    """A camera-like JPEG; with ``gps``, EXIF saying where it was taken."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if gps:
        exif[0x8825] = {
            1: "N",
            2: (29.0, 31.0, 48.0),
            3: "E",
            4: (112.0, 33.0, 0.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def _raise(world: World) -> tuple[str, str]:
    body = world.raise_public(world.places.station_a, description="村口路灯不亮")
    return body["issue"]["issue_id"], body["tracking_token"]


def _upload_public(world: World, issue_id: str, token: str, data: bytes, **kw: Any) -> Any:
    return world.call(
        "POST",
        f"/public/issues/{issue_id}/photos",
        files={"photo": ("p.jpg", data, "image/jpeg")},
        data={"tracking_token": token},
        **kw,
    )


def _upload_staff(world: World, issue_id: str, role: str, data: bytes) -> Any:
    return world.call(
        "POST",
        f"/issues/{issue_id}/photos",
        role,
        files={"photo": ("p.jpg", data, "image/jpeg")},
    )


def _folder(world: World) -> Path:
    return Path(f"{world.service.store.path}.photos")


def _files(world: World) -> list[Path]:
    folder = _folder(world)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _problem_field(r: Any) -> str | None:
    problems = r.json()["problems"]
    assert problems, r.text
    return str(problems[0]["field"])


def test_resident_attaches_a_photo_and_sees_only_the_stripped_copy(world: World) -> None:
    issue_id, token = _raise(world)
    r = _upload_public(world, issue_id, token, jpeg((3000, 2000)))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["copy"] == "public" and out["lon"] is None and out["uploaded_by"] is None
    assert max(out["width"], out["height"]) <= 1600
    got = world.call("GET", out["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    public = Image.open(io.BytesIO(got.content))
    assert public.format == "JPEG" and max(public.size) <= 1600
    assert len(public.getexif()) == 0, "the public copy carries no metadata"
    assert b"TestCam" not in got.content
    # staff read the place the camera wrote, in the metadata and in their copy
    listed = world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json()
    assert len(listed) == 1
    assert listed[0]["lon"] == pytest.approx(GPS_LON) and listed[0]["lat"] == pytest.approx(GPS_LAT)
    assert listed[0]["uploaded_by"] == "public"
    staff = world.call("GET", listed[0]["url"], "county_staff")
    assert staff.status_code == 200
    exif = Image.open(io.BytesIO(staff.content)).getexif()
    assert exif.get_ifd(0x8825).get(1) == "N" and exif.get(0x010F) == "TestCam"


def test_the_public_copy_needs_the_tracking_token(world: World) -> None:
    issue_id, token = _raise(world)
    other_id, other_token = _raise(world)
    photo_id = _upload_public(world, issue_id, token, jpeg()).json()["photo_id"]
    url = f"/public/issues/{issue_id}/photos/{photo_id}.jpg"
    assert world.call("GET", url, params={"token": token}).status_code == 200
    # the last character changed (to "y" when it is "x": a token ends in "x" one time in 64)
    for bad in (token[:-1] + ("y" if token.endswith("x") else "x"), other_token):
        assert world.call("GET", url, params={"token": bad}).status_code == 404
    # another resident's token does not open this photo under their own issue either
    crossed = f"/public/issues/{other_id}/photos/{photo_id}.jpg"
    assert world.call("GET", crossed, params={"token": other_token}).status_code == 404
    # and the staff route needs a token that sees the issue
    staff_url = f"/issues/{issue_id}/photos/{photo_id}.jpg"
    assert world.call("GET", staff_url).status_code == 401
    assert world.call("GET", staff_url, "station_admin_other").status_code == 404
    assert world.call("GET", staff_url, "station_admin").status_code == 200


def test_a_wrong_token_stores_nothing(world: World) -> None:
    issue_id, token = _raise(world)
    r = _upload_public(world, issue_id, token[::-1], jpeg())
    assert r.status_code == 404
    assert _files(world) == []
    assert world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json() == []


def test_too_big_is_413_naming_the_field_and_stores_nothing(world: World) -> None:
    issue_id, token = _raise(world)
    big = jpeg((64, 64)) + b"\0" * (MAX_PHOTO_BYTES - 2000)
    assert MAX_PHOTO_BYTES < len(big) + 2000 < MAX_PHOTO_BYTES + 64 * 1024
    big += b"\0" * 4000  # just over the limit, inside the request envelope
    r = _upload_public(world, issue_id, token, big)
    assert r.status_code == 413, r.text[:300]
    assert _problem_field(r) == "photo" and "10 MB" in r.json()["message"]
    assert _files(world) == []
    # far over: the request itself is refused before it is read
    huge = b"\xff\xd8\xff" + b"\0" * (MAX_PHOTO_BYTES + 200 * 1024)
    assert _upload_public(world, issue_id, token, huge).status_code == 413
    assert _files(world) == []


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10,
        b"",
    ],
    ids=["html", "gif", "broken-jpeg", "empty"],
)
def test_what_is_not_a_jpeg_or_png_is_refused_by_content(world: World, data: bytes) -> None:
    issue_id, token = _raise(world)
    r = _upload_public(world, issue_id, token, data)
    assert r.status_code == 422, r.text
    assert _problem_field(r) == "photo"
    assert _files(world) == []


def test_a_png_is_taken_and_kept_as_jpeg(world: World) -> None:
    issue_id, _ = _raise(world)
    image = Image.new("RGBA", (400, 300), (255, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    r = _upload_staff(world, issue_id, "county_staff", out.getvalue())
    assert r.status_code == 201, r.text
    got = world.call("GET", r.json()["url"], "county_staff")
    decoded = Image.open(io.BytesIO(got.content))
    assert decoded.format == "JPEG" and decoded.size == (400, 300)
    assert decoded.getpixel((10, 10)) > (240, 240, 240)  # transparency laid on white


def test_heic_is_converted_when_pillow_heif_is_installed(world: World) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "#369").save(out, "HEIF")
    issue_id, token = _raise(world)
    r = _upload_public(world, issue_id, token, out.getvalue())
    assert r.status_code == 201, r.text
    got = world.call("GET", r.json()["url"])
    assert Image.open(io.BytesIO(got.content)).format == "JPEG"


def test_who_may_attach(world: World) -> None:
    lon, lat = world.point(world.places.grid_a)
    body = world.raise_issue("grid_worker", world.places.grid_a)
    issue_id = body["issue"]["issue_id"]
    deputies = body["issue"]["deputies"]
    assert _upload_staff(world, issue_id, "grid_worker", jpeg()).status_code == 201
    assert _upload_staff(world, issue_id, "county_staff", jpeg()).status_code == 201
    assert _upload_staff(world, issue_id, "station_admin", jpeg()).status_code == 201
    # outside their scope the issue does not exist for them
    for role in ("grid_worker_other", "station_admin_other", "township_staff_other"):
        assert _upload_staff(world, issue_id, role, jpeg()).status_code == 404, role
    assert _upload_staff(world, issue_id, "planner", jpeg()).status_code == 403
    r = world.call(
        "POST", f"/issues/{issue_id}/photos", files={"photo": ("p.jpg", jpeg(), "image/jpeg")}
    )
    assert r.status_code == 401
    dispatched = [d["deputy_id"] for d in deputies]
    if dispatched:
        world.tokens["dispatched"] = world.token("deputy", dispatched[0])
        assert _upload_staff(world, issue_id, "dispatched", jpeg()).status_code == 201
    assert len(world.call("GET", f"/issues/{issue_id}/photos", "county_staff").json()) == (
        3 + bool(dispatched)
    )
    # the place a grid worker reads is exact (their own grid): the staff copy
    listed = world.call("GET", f"/issues/{issue_id}/photos", "grid_worker").json()
    assert {p["copy"] for p in listed} == {"staff"}
    assert (lon, lat) != (listed[0]["lon"], listed[0]["lat"])  # the camera's, not the issue's


def test_the_resident_attaches_only_soon_after_raising_and_only_a_few(world: World) -> None:
    issue_id, token = _raise(world)
    for _ in range(PUBLIC_PHOTOS_PER_ISSUE):
        assert _upload_public(world, issue_id, token, jpeg()).status_code == 201
    r = _upload_public(world, issue_id, token, jpeg())
    assert r.status_code == 422 and _problem_field(r) == "photo"
    assert len(_files(world)) == 2 * PUBLIC_PHOTOS_PER_ISSUE
    later_id, later_token = _raise(world)
    world.advance(2)
    r = _upload_public(world, later_id, later_token, jpeg())
    assert r.status_code == 422 and _problem_field(r) == "photo", r.text
    # staff still may
    assert _upload_staff(world, later_id, "county_staff", jpeg()).status_code == 201


def test_missing_file_field_is_422_naming_it(world: World) -> None:
    issue_id, token = _raise(world)
    r = world.call(
        "POST", f"/public/issues/{issue_id}/photos", data={"tracking_token": token, "x": "1"}
    )
    assert r.status_code == 422
    assert "photo" in {p["field"] for p in r.json()["problems"]}


def test_photo_files_are_private(world: World) -> None:
    issue_id, token = _raise(world)
    assert _upload_public(world, issue_id, token, jpeg()).status_code == 201
    files = _files(world)
    assert len(files) == 2
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, path
    assert _folder(world).stat().st_mode & 0o077 == 0
