"""Photos of issues in the core: taken by content, re-encoded, the place kept for staff and
stripped for the public; who may attach and see them; where they are kept."""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from gridgov._errors import NotFoundError, ValidationError
from gridgov.issues.access import Principal
from gridgov.issues.lifecycle import Issue
from gridgov.issues.photos import (
    MAX_PIXELS,
    PUBLIC_EDGE_PX,
    PUBLIC_UPLOAD_WINDOW,
    STAFF_EDGE_PX,
    PhotoTooLargeError,
    gps_of,
    may_attach,
    prepare_photo,
    sniff,
    view_of,
)
from gridgov.model import IssueStatus
from gridgov.store.photos import PhotoRecord, new_photo_id, photo_store
from gridgov.store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _jpeg(size: tuple[int, int], *, orientation: int | None = None, gps: bool = True) -> bytes:
    image = Image.new("RGB", size, "#fff")
    image.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 4))  # a red top-left corner
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "S", 2: (33.0, 52.0, 12.0), 3: "W", 4: (151.0, 12.0, 36.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_sniff_reads_the_content_not_the_name() -> None:
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "JPEG"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00") == "PNG"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == "HEIF"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00") is None  # an MP4
    assert sniff(b"GIF89a") is None and sniff(b"<svg") is None and sniff(b"") is None


def test_the_place_is_kept_for_staff_and_stripped_for_the_public() -> None:
    photo = prepare_photo(_jpeg((4000, 3000)))
    assert photo.lon == pytest.approx(-(151 + 12 / 60 + 36 / 3600), abs=1e-6)
    assert photo.lat == pytest.approx(-(33 + 52 / 60 + 12 / 3600), abs=1e-6)
    staff = Image.open(io.BytesIO(photo.staff_jpeg))
    public = Image.open(io.BytesIO(photo.public_jpeg))
    assert staff.format == public.format == "JPEG"
    assert max(staff.size) == STAFF_EDGE_PX and max(public.size) == PUBLIC_EDGE_PX
    assert (photo.width, photo.height) == staff.size
    assert gps_of(staff.getexif()) == (photo.lon, photo.lat)
    assert len(public.getexif()) == 0 and b"TestCam" not in photo.public_jpeg
    assert gps_of(public.getexif()) == (None, None)


def test_a_photo_taken_sideways_is_stored_upright() -> None:
    # orientation 6: the camera was turned; the stored pixels must be turned back
    photo = prepare_photo(_jpeg((400, 200), orientation=6, gps=False))
    public = Image.open(io.BytesIO(photo.public_jpeg))
    staff = Image.open(io.BytesIO(photo.staff_jpeg))
    assert public.size == (200, 400) and staff.size == (200, 400)
    assert staff.getexif().get(0x0112, 1) == 1  # no viewer turns it a second time
    assert photo.lon is None and photo.lat is None


def test_refusals_name_the_field() -> None:
    cases = {
        b"": "empty",
        b"%PDF-1.7 not an image": "not a JPEG",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100: "cannot be read",
    }
    for data, words in cases.items():
        with pytest.raises(ValidationError, match=words) as info:
            prepare_photo(data, field="photo")
        assert info.value.problems[0].field == "photo"
    with pytest.raises(PhotoTooLargeError) as too_big:
        prepare_photo(_jpeg((10, 10)), max_bytes=100)
    assert too_big.value.problems[0].field == "photo"


def test_heic_without_pillow_heif_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import gridgov.issues.photos as photos

    monkeypatch.setattr(photos, "heic_supported", lambda: False)
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
    with pytest.raises(ValidationError, match=r"gridgov\[heic\]") as info:
        photos.prepare_photo(heic)
    assert info.value.problems[0].field == "photo"


def test_a_small_file_that_decodes_to_a_huge_image_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")  # 60 Mpx in a few kB
    assert len(out.getvalue()) < 100_000 and MAX_PIXELS < 10_000 * 6_000
    with pytest.raises(ValidationError, match="million pixels"):
        prepare_photo(out.getvalue())


def _issue(**kw: object) -> Issue:
    base = Issue(
        issue_id="20261123-aaaaaaaaaaaa",
        category="road",
        description="路面塌陷",
        lon=112.5,
        lat=29.5,
        created_at=NOW,
        updated_at=NOW,
        status=IssueStatus.DISPATCHED,
        grid_code="G1",
        station_id="S1",
        township_code="430623101",
        level="station",
        unit="station:S1",
        deputies=("D1",),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_who_may_attach() -> None:
    issue = _issue()
    public = Principal.public()
    assert may_attach(public, issue, now=NOW, tracking_ok=True)
    assert not may_attach(public, issue, now=NOW)
    late = NOW + PUBLIC_UPLOAD_WINDOW + timedelta(seconds=1)
    assert not may_attach(public, issue, now=late, tracking_ok=True)
    closed = _issue(status=IssueStatus.CLOSED)
    assert not may_attach(public, closed, now=NOW, tracking_ok=True)
    dispatched = Principal("deputy", "D1", stations=frozenset({"S1"}))
    other_deputy = Principal("deputy", "D2", stations=frozenset({"S1"}))
    assert may_attach(dispatched, issue, now=late)
    assert not may_attach(other_deputy, issue, now=NOW)  # sees it, does not handle it
    assert may_attach(Principal("grid_worker", "G1", grids=frozenset({"G1"})), issue, now=late)
    assert not may_attach(Principal("grid_worker", "G9", grids=frozenset({"G9"})), issue, now=NOW)
    assert may_attach(Principal("county_staff", "430623", county=True), issue, now=late)
    assert not may_attach(Principal("planner", "x"), issue, now=NOW)


def test_which_copy_each_sees() -> None:
    issue = _issue()
    assert view_of(Principal("county_staff", "430623", county=True), issue) == "staff"
    assert view_of(Principal("station_admin", "S1", stations=frozenset({"S1"})), issue) == "staff"
    assert view_of(Principal("station_admin", "S2", stations=frozenset({"S2"})), issue) is None
    assert view_of(Principal.public(), issue) is None
    assert view_of(Principal.public(), issue, tracking_ok=True) == "public"


# --- where they are kept -------------------------------------------------------------------


def _record(issue_id: str, role: str = "public") -> PhotoRecord:
    return PhotoRecord(
        photo_id=new_photo_id(),
        issue_id=issue_id,
        created_at=NOW,
        actor_role=role,
        actor_id="",
        width=10,
        height=10,
        source_format="JPEG",
        staff_bytes=5,
        public_bytes=4,
        lon=112.5,
        lat=29.5,
    )


def test_folder_store_keeps_files_beside_the_database(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "issues.sqlite")
    try:
        photos = photo_store(store)
        rec = photos.add(_record("I1"), b"staff", b"publ", max_per_issue=5)
        assert (tmp_path / "issues.sqlite.photos" / "I1").is_dir()
        assert photos.read(rec, "staff") == b"staff" and photos.read(rec, "public") == b"publ"
        assert photos.get("I1", rec.photo_id) == rec
        assert photos.photos("I1") == [rec] and photos.photos("I2") == []
        with pytest.raises(NotFoundError):
            photos.get("I2", rec.photo_id)  # a photo belongs to its own issue only
        with pytest.raises(NotFoundError):
            photos.read(replace(rec, issue_id="../../etc"), "public")
        # a second store over the same file sees the same photos
        assert photo_store(store).photos("I1") == [rec]
    finally:
        store.close()


def test_the_limit_holds_when_uploads_race(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "issues.sqlite")
    try:
        photos = photo_store(store)
        outcomes: list[str] = []

        def upload() -> None:
            try:
                photos.add(_record("I1"), b"s", b"p", max_per_issue=10, max_by_role=3)
                outcomes.append("ok")
            except ValidationError:
                outcomes.append("full")

        threads = [threading.Thread(target=upload) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["full"] * 5 + ["ok"] * 3
        assert len(photos.photos("I1")) == 3
        # refused uploads leave no files behind
        files = [p for p in (tmp_path / "issues.sqlite.photos").rglob("*") if p.is_file()]
        assert len(files) == 6
        # staff are not held to the resident's share
        photos.add(_record("I1", "county_staff"), b"s", b"p", max_per_issue=10, max_by_role=3)
    finally:
        store.close()


def test_postgis_store_keeps_photos_in_the_database(pg_dsn: str) -> None:
    from gridgov.issues.lifecycle import Actor, new_issue
    from gridgov.store.postgis import PostGISStore

    store = PostGISStore(pg_dsn)
    try:
        issue, events = new_issue(
            issue_id="20261123-bbbbbbbbbbbb", category="road", description="x", lon=112.5,
            lat=29.5, actor=Actor("public"), now=NOW,
        )  # fmt: skip
        store.create_issue(issue, events)
        photos = photo_store(store)
        rec = photos.add(_record(issue.issue_id), b"staff", b"publ", max_per_issue=1)
        assert photos.read(rec, "public") == b"publ" and photos.read(rec, "staff") == b"staff"
        got = photos.get(issue.issue_id, rec.photo_id)
        assert got.photo_id == rec.photo_id and got.created_at == NOW and got.lon == 112.5
        with pytest.raises(ValidationError):
            photos.add(_record(issue.issue_id), b"s", b"p", max_per_issue=1)
        assert len(photos.photos(issue.issue_id)) == 1
    finally:
        store.close()
