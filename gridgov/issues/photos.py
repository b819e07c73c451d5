"""Photos of an issue: what an upload must be, the two copies kept of it, and who may add
or see them.

A resident photographs a collapsed road with a cheap phone; a deputy photographs the
repair. The bytes come from a browser, so they are judged by their content, never by a
file name or a declared type: only JPEG and PNG (and HEIC, the iPhone's format, when
``pillow-heif`` is installed) up to :data:`MAX_PHOTO_BYTES` are taken, decoded in full
and re-encoded as JPEG, so whatever else the file carried (scripts after the image data,
thumbnails, maker notes) is not kept. Two copies are made: the staff copy keeps the
camera's EXIF, where the phone wrote the place it stood (staff may see exact places), and
the public copy has no metadata at all, so a published photo never says whose door it was
taken at. The place itself is also read out into :attr:`PreparedPhoto.lon` /
:attr:`PreparedPhoto.lat` for the staff's metadata.

Who may attach and see photos is decided here from :mod:`gridgov.issues.access`, so the
API and the pages ask the same question. So is what makes two uploads one
(:func:`upload_key`, :func:`upload_hash`): a phone that lost the answer sends the photo
again under the Idempotency-Key it chose for it, and gets the first photo back.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gridgov._errors import ExtraMissingError, Problem, ValidationError
from gridgov.issues.access import Principal, can
from gridgov.issues.disclosure import shows_exact
from gridgov.issues.lifecycle import Issue

__all__ = [
    "ACCEPTED",
    "MAX_PHOTOS_PER_ISSUE",
    "MAX_PHOTO_BYTES",
    "MAX_PIXELS",
    "PUBLIC_EDGE_PX",
    "PUBLIC_PHOTOS_PER_ISSUE",
    "PUBLIC_UPLOAD_WINDOW",
    "STAFF_EDGE_PX",
    "PhotoTooLargeError",
    "PreparedPhoto",
    "heic_supported",
    "may_attach",
    "prepare_photo",
    "sniff",
    "upload_hash",
    "upload_key",
    "view_of",
]

#: Largest upload accepted (bytes), whatever its format.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: Largest image accepted (pixels): a 10 MB PNG can still decode to gigabytes.
MAX_PIXELS = 50_000_000
#: Longest edge of the staff copy (px); a phone's 4000 px photo is kept at this size.
STAFF_EDGE_PX = 2560
#: Longest edge of the public copy (px): what a phone screen shows.
PUBLIC_EDGE_PX = 1600
#: Photos one issue may hold, all uploaders together.
MAX_PHOTOS_PER_ISSUE = 12
#: Photos a resident may attach to their issue with its tracking token.
PUBLIC_PHOTOS_PER_ISSUE = 3
#: How long after raising an issue its resident may attach photos (the form uploads them
#: right after the issue is filed; later the tracking token only reads and rates).
PUBLIC_UPLOAD_WINDOW = timedelta(hours=1)

#: Formats taken, as :func:`sniff` names them.
ACCEPTED: tuple[str, ...] = ("JPEG", "PNG", "HEIF")

_JPEG_QUALITY = 85
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


@dataclass(frozen=True)
class PreparedPhoto:
    """An accepted upload, re-encoded.

    Attributes
    ----------
    staff_jpeg : bytes
        JPEG at most :data:`STAFF_EDGE_PX` wide or high, upright, with the camera's EXIF
        (place included) kept.
    public_jpeg : bytes
        JPEG at most :data:`PUBLIC_EDGE_PX`, upright, without any metadata.
    width, height : int
        Size of the staff copy (px).
    source_format : str
        What the upload was: ``"JPEG"``, ``"PNG"`` or ``"HEIF"``.
    lon, lat : float or None
        Where the camera says it was (EXIF GPS, WGS84 degrees); None when it does not say.
    taken_at : str
        The camera's own time stamp (EXIF ``DateTimeOriginal``, as written), or ``""``.
    """

    staff_jpeg: bytes
    public_jpeg: bytes
    width: int
    height: int
    source_format: str
    lon: float | None
    lat: float | None
    taken_at: str


def heic_supported() -> bool:
    """Whether HEIC/HEIF uploads can be decoded (``pillow-heif`` installed)."""
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def sniff(data: bytes) -> str | None:
    """The image format ``data`` starts with: ``"JPEG"``, ``"PNG"``, ``"HEIF"`` or None.

    Parameters
    ----------
    data : bytes
        The first bytes of a file (16 are enough).

    Returns
    -------
    str or None
        The format its signature names, whatever the file was called.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


class PhotoTooLargeError(ValidationError):
    """An upload over the size limit (the API answers 413 rather than 422)."""


def _bad(field: str, value: Any, message: str) -> ValidationError:
    return ValidationError([Problem("photo", None, field, value, message)], context="photo")


def prepare_photo(
    data: bytes, *, field: str = "photo", max_bytes: int = MAX_PHOTO_BYTES
) -> PreparedPhoto:
    """Check an uploaded image by its content and make the staff and public copies.

    Parameters
    ----------
    data : bytes
        The uploaded file as received.
    field : str
        The form field the file came in, named in every problem.
    max_bytes : int
        Largest upload accepted.

    Returns
    -------
    PreparedPhoto

    Raises
    ------
    ValidationError
        Naming ``field`` when the file is empty, larger than ``max_bytes``
        (:class:`PhotoTooLargeError`), not a JPEG,
        PNG or (with ``pillow-heif``) HEIC image, damaged, or more than
        :data:`MAX_PIXELS` pixels.
    ExtraMissingError
        If Pillow is not installed (the ``api`` extra).
    """
    if not data:
        raise _bad(field, "0 bytes", "the file is empty")
    if len(data) > max_bytes:
        message = f"larger than {max_bytes / (1024 * 1024):g} MB; send a smaller photo"
        raise PhotoTooLargeError(
            [Problem("photo", None, field, f"{len(data)} bytes", message)], context="photo"
        )
    kind = sniff(data[:16])
    if kind is None:
        raise _bad(field, repr(data[:8]), "not a JPEG, PNG or HEIC image")
    if kind == "HEIF" and not heic_supported():
        raise _bad(
            field,
            "HEIC",
            "HEIC photos need pillow-heif on the server (pip install 'gridgov[heic]'); "
            "send a JPEG, or set the phone's camera to 'most compatible'",
        )
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:  # pragma: no cover - part of the api extra
        raise ExtraMissingError("api", "photos of issues") from exc
    if kind == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    formats = {"JPEG": ["JPEG"], "PNG": ["PNG"], "HEIF": ["HEIF"]}[kind]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise _bad(
                    field,
                    f"{width}×{height}",
                    f"more than {MAX_PIXELS // 1_000_000} million pixels",
                )
            exif = opened.getexif()
            opened.load()
            image = ImageOps.exif_transpose(opened)  # upright: the copies need no orientation
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _bad(field, kind, f"the image cannot be read ({exc})") from exc
    lon, lat = gps_of(exif)
    taken_at = str(exif.get_ifd(0x8769).get(0x9003, "") or exif.get(0x0132, "") or "")
    image = _rgb(image)
    staff = _shrunk(image, STAFF_EDGE_PX)
    public = _shrunk(image, PUBLIC_EDGE_PX)
    if 0x0112 in exif:
        exif[0x0112] = 1  # the pixels are upright now
    return PreparedPhoto(
        staff_jpeg=_jpeg(staff, exif=exif.tobytes() if len(exif) else b""),
        public_jpeg=_jpeg(public, exif=b""),
        width=staff.width,
        height=staff.height,
        source_format=kind,
        lon=lon,
        lat=lat,
        taken_at=taken_at.strip("\x00 ")[:40],
    )


def _rgb(image: Any) -> Any:
    """The image as RGB: a PNG's transparency is laid on white (JPEG has none)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB") if image.mode != "RGB" else image


def _shrunk(image: Any, edge_px: int) -> Any:
    if max(image.size) <= edge_px:
        return image
    copy = image.copy()
    copy.thumbnail((edge_px, edge_px))
    return copy


def _jpeg(image: Any, *, exif: bytes) -> bytes:
    out = io.BytesIO()
    # no icc_profile / comment passed on: only what is written here is kept
    image.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True, exif=exif)
    return out.getvalue()


def _degrees(value: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    out = d + m / 60 + s / 3600
    return out if math.isfinite(out) else None


def gps_of(exif: Any) -> tuple[float | None, float | None]:
    """Longitude and latitude from an image's EXIF GPS block (None, None without one).

    Parameters
    ----------
    exif : PIL.Image.Exif
        The image's EXIF (``Image.getexif()``).

    Returns
    -------
    tuple of float or None
        ``(lon, lat)`` in degrees, west and south negative.
    """
    try:
        gps = exif.get_ifd(0x8825)
    except (KeyError, ValueError, TypeError):
        return None, None
    lat = _degrees(gps.get(2))
    lon = _degrees(gps.get(4))
    if lat is None or lon is None:
        return None, None
    if str(gps.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).upper().startswith("W"):
        lon = -lon
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None, None
    return round(lon, 7), round(lat, 7)


# --- who may attach and see --------------------------------------------------------------


def may_attach(
    p: Principal,
    issue: Issue,
    *,
    now: datetime,
    tracking_ok: bool = False,
) -> bool:
    """Whether ``p`` may attach a photo to ``issue``.

    Parameters
    ----------
    p : Principal
        The caller.
    issue : Issue
    now : datetime
        The service's clock.
    tracking_ok : bool
        The caller showed the issue's tracking token (the resident who raised it).

    Returns
    -------
    bool
        The resident, with the tracking token, while the issue is open and within
        :data:`PUBLIC_UPLOAD_WINDOW` of raising it; the handlers of the issue's current
        level (whoever may resolve it: dispatched deputies, station and township staff,
        county staff); a grid worker who may rate it for the resident (they raised it, or
        it lies in their grids).
    """
    if p.role == "public":
        return tracking_ok and issue.is_open and now - issue.created_at <= PUBLIC_UPLOAD_WINDOW
    if can(p, "resolve", issue):
        return True
    return p.role == "grid_worker" and can(p, "rate", issue)


def view_of(p: Principal, issue: Issue, *, tracking_ok: bool = False) -> str | None:
    """Which copy of an issue's photos ``p`` may see.

    Returns
    -------
    str or None
        ``"staff"`` (EXIF place kept) for those who read the issue as written
        (:func:`~gridgov.issues.disclosure.shows_exact`); ``"public"`` (no metadata) for
        the resident holding the tracking token; None for anyone else (the API answers
        404, as for the issue itself).
    """
    if shows_exact(p, issue):
        return "staff"
    if tracking_ok:
        return "public"
    return None


# --- one photo per upload ----------------------------------------------------------------


def upload_key(p: Principal, key: str) -> str:
    """The key an upload's photo is stored under: the client's Idempotency-Key scoped by
    who sent it, so two people's keys never meet (they are unique within an issue).

    Parameters
    ----------
    p : Principal
        The uploader (the resident is ``public``: their keys meet only on their issue).
    key : str
        The client's key, as sent.
    """
    return f"{p.role}:{p.subject}:{key}"


def upload_hash(p: Principal, data: bytes) -> str:
    """Fingerprint of an upload, to tell a retry from a key reused for another photo.

    A SHA-256 of the uploader and the bytes as received (before re-encoding, which is
    what a retry repeats). No secret is needed: the store holding it holds the photo too.

    Parameters
    ----------
    p : Principal
    data : bytes
        The uploaded file.
    """
    digest = hashlib.sha256()
    digest.update(f"{p.role}\x00{p.subject}\x00".encode())
    digest.update(data)
    return digest.hexdigest()
