"""一站一码、一人一码: a QR code per station and per deputy, and the public profile it opens.

The code holds a URL of the service's public page (``/public/stations/{id}``,
``/public/deputies/{id}``); residents scan it to see who the deputies are and leave an
issue there (码上亮身份、码上提建议). The profiles are built from an explicit list of
public fields, never by dropping columns, so a phone (or any column
:data:`gridgov.model.LAYERS` marks personal) cannot slip onto a public page when a
workspace gains a column.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd
import segno

from gridgov._errors import NotFoundError, ParameterError
from gridgov.io import write_table
from gridgov.model import DeputyLevel, StationKind, StationTier, Workspace

__all__ = [
    "INDEX_COLUMNS",
    "deputy_url",
    "public_deputy",
    "public_station",
    "qr_code",
    "qr_symbol",
    "station_url",
    "write_qr_codes",
]

#: Headers of ``index.csv`` written by :func:`write_qr_codes`.
INDEX_COLUMNS: tuple[str, ...] = ("编号", "名称", "类型", "链接", "文件")
_KINDS = ("png", "svg")
_WHICH = {"stations": "站点", "deputies": "代表"}


def _base(base_url: str) -> str:
    parts = urlsplit(str(base_url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError(
            f"base_url={base_url!r}: expected an http(s) address with a host, "
            "e.g. https://rd.example.gov.cn",
            parameter="base_url",
            value=base_url,
        )
    if parts.query or parts.fragment:
        raise ParameterError(
            f"base_url={base_url!r}: must not carry a query or fragment",
            parameter="base_url",
            value=base_url,
        )
    return str(base_url).rstrip("/")


def _kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ParameterError(
            f"kind={kind!r}: expected one of {', '.join(_KINDS)}", parameter="kind", value=kind
        )


def _id(value: str, name: str) -> str:
    text = str(value)
    if not text.strip():
        raise ParameterError(f"{name}={value!r}: must not be empty", parameter=name, value=value)
    return quote(text, safe="")


def station_url(base_url: str, station_id: str) -> str:
    """The public page a station's code opens: ``{base_url}/public/stations/{station_id}``.

    The id is percent-encoded (``/``, spaces and Chinese characters included).

    Raises
    ------
    ParameterError
        If ``base_url`` is not http(s) with a host, or ``station_id`` is empty.
    """
    return f"{_base(base_url)}/public/stations/{_id(station_id, 'station_id')}"


def deputy_url(base_url: str, deputy_id: str) -> str:
    """The public page a deputy's code opens: ``{base_url}/public/deputies/{deputy_id}``.

    Raises
    ------
    ParameterError
        If ``base_url`` is not http(s) with a host, or ``deputy_id`` is empty.
    """
    return f"{_base(base_url)}/public/deputies/{_id(deputy_id, 'deputy_id')}"


def qr_symbol(url: str) -> segno.QRCode:
    """The QR symbol of ``url``: a regular (not micro) code, error correction M or better
    (segno raises it for free when the same version has room), so a smudged poster still
    scans."""
    return segno.make(url, error="m", micro=False)


def qr_code(url: str, *, kind: str = "png", scale: int = 6, border: int = 4) -> bytes:
    """The QR code of ``url`` as PNG or SVG bytes.

    Parameters
    ----------
    url : str
    kind : {"png", "svg"}
    scale : int
        Pixels (PNG) or user units (SVG) per module; 6 gives a ~2.5 cm code at 300 dpi
        for a short URL.
    border : int
        Quiet zone in modules; the standard asks for 4.

    Raises
    ------
    ParameterError
        For an unknown ``kind``, ``scale`` below 1, a negative ``border`` or an empty ``url``.
    """
    _kind(kind)
    if int(scale) < 1:
        raise ParameterError(f"scale={scale!r}: must be at least 1", parameter="scale", value=scale)
    if int(border) < 0:
        raise ParameterError(
            f"border={border!r}: must not be negative", parameter="border", value=border
        )
    if not url:
        raise ParameterError("url must not be empty", parameter="url", value=url)
    buf = io.BytesIO()
    qr_symbol(url).save(buf, kind=kind, scale=int(scale), border=int(border))
    return buf.getvalue()


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)


def _label(enum: type[StationTier] | type[StationKind] | type[DeputyLevel], value: Any) -> str:
    text = _text(value)
    try:
        return enum.parse(text).label_zh if text else ""
    except ParameterError:  # a free-text value the schema let through: show it as is
        return text


def _deputy_profile(row: Any) -> dict[str, Any]:
    return {
        "deputy_id": _text(row["deputy_id"]),
        "name": _text(row["name"]),
        "level": _label(DeputyLevel, row["level"]),
        "specialty": _text(row.get("specialty")),
    }


def _lon_lat(rows: Any) -> tuple[float, float]:
    geo = rows.geometry
    if geo.crs is not None and not geo.crs.is_geographic:
        geo = geo.to_crs(4490)
    point = geo.iloc[0]
    if point is None or point.is_empty:
        return float("nan"), float("nan")
    point = point.representative_point()
    return round(float(point.x), 5), round(float(point.y), 5)


def public_station(ws: Workspace, station_id: str) -> dict[str, Any]:
    """What a station's QR page shows.

    Returns
    -------
    dict
        ``station_id``, ``name``, ``tier`` (联络站 / 联络点 / 代表工作室 / 代表服务岗),
        ``kind`` (区域 / 行业), ``industry``, ``township_code``, ``township`` (name),
        ``reception_day``, ``lon`` / ``lat`` (CGCS2000, 5 decimals, no address) and
        ``deputies``: the public profiles (``deputy_id``, ``name``, ``level``,
        ``specialty``) of its on-duty deputies. Never a phone.

    Raises
    ------
    NotFoundError
        If the workspace has no station ``station_id``.
    """
    hit = ws.stations[ws.stations["station_id"].astype(str) == str(station_id)]
    if hit.empty:
        raise NotFoundError(f"no station {station_id!r} in the workspace")
    row = hit.iloc[0]
    towns = dict(
        zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
    )
    deputies: list[dict[str, Any]] = []
    if ws.deputies is not None and "station_id" in ws.deputies.columns:
        mine = ws.deputies[ws.deputies["station_id"].astype(str) == str(station_id)]
        if "on_duty" in mine.columns:
            mine = mine[mine["on_duty"].map(lambda v: _text(v) == "" or bool(v))]
        deputies = [_deputy_profile(r) for _, r in mine.iterrows()]
    lon, lat = _lon_lat(hit)
    town = _text(row.get("township_code"))
    return {
        "station_id": _text(row["station_id"]),
        "name": _text(row["name"]),
        "tier": _label(StationTier, row.get("tier")),
        "kind": _label(StationKind, row.get("kind")),
        "industry": _text(row.get("industry")),
        "township_code": town,
        "township": towns.get(town, ""),
        "reception_day": _text(row.get("reception_day")),
        "lon": lon,
        "lat": lat,
        "deputies": deputies,
    }


def public_deputy(ws: Workspace, deputy_id: str) -> dict[str, Any]:
    """What a deputy's QR page shows.

    Returns
    -------
    dict
        ``deputy_id``, ``name``, ``level`` (Chinese label), ``specialty``, ``on_duty``,
        ``station_id`` and ``station_name``. Never a phone.

    Raises
    ------
    NotFoundError
        If the workspace has no deputies layer or no deputy ``deputy_id``.
    """
    deps = ws.deputies
    hit = None if deps is None else deps[deps["deputy_id"].astype(str) == str(deputy_id)]
    if hit is None or hit.empty:
        raise NotFoundError(f"no deputy {deputy_id!r} in the workspace")
    row = hit.iloc[0]
    out = _deputy_profile(row)
    on_duty = row.get("on_duty")
    out["on_duty"] = True if _text(on_duty) == "" else bool(on_duty)
    station = _text(row.get("station_id"))
    names = dict(
        zip(ws.stations["station_id"].astype(str), ws.stations["name"].astype(str), strict=True)
    )
    out["station_id"] = station
    out["station_name"] = names.get(station, "")
    return out


def write_qr_codes(
    ws: Workspace,
    out_dir: str | Path,
    *,
    base_url: str,
    kind: str = "png",
    which: Sequence[str] = ("stations", "deputies"),
    scale: int = 6,
) -> list[Path]:
    """Write a code per station and per deputy, and an index for printing.

    Files: ``stations/<station_id>.<kind>``, ``deputies/<deputy_id>.<kind>`` (ids
    percent-encoded in file names) and ``index.csv`` (UTF-8 with BOM so Excel reads the
    Chinese; columns :data:`INDEX_COLUMNS`: 编号, 名称, 类型, 链接, 文件 with the file
    relative to ``out_dir``).

    Parameters
    ----------
    ws : Workspace
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced.
    base_url : str
        The public address of the gridgov service, e.g. ``https://rd.example.gov.cn``.
    kind : {"png", "svg"}
    which : sequence of {"stations", "deputies"}
    scale : int
        See :func:`qr_code`.

    Returns
    -------
    list of Path
        Every file written, codes first, ``index.csv`` last.

    Raises
    ------
    ParameterError
        For a bad ``base_url``, ``kind``, ``scale`` or an unknown entry of ``which``.
    """
    _base(base_url)
    _kind(kind)
    unknown = [w for w in which if w not in _WHICH]
    if isinstance(which, str) or unknown:
        raise ParameterError(
            f"which={which!r}: expected a sequence of {', '.join(_WHICH)}",
            parameter="which",
            value=which,
        )
    out = Path(out_dir)
    jobs: list[tuple[str, str, str, str]] = []
    if "stations" in which:
        for sid, name in zip(
            ws.stations["station_id"].astype(str), ws.stations["name"].astype(str), strict=True
        ):
            jobs.append(("stations", sid, name, station_url(base_url, sid)))
    if "deputies" in which and ws.deputies is not None:
        for did, name in zip(
            ws.deputies["deputy_id"].astype(str), ws.deputies["name"].astype(str), strict=True
        ):
            jobs.append(("deputies", did, name, deputy_url(base_url, did)))
    written: list[Path] = []
    index: list[tuple[str, str, str, str, str]] = []
    for folder, uid, name, url in jobs:
        path = out / folder / f"{quote(uid, safe='')}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(qr_code(url, kind=kind, scale=scale))
        written.append(path)
        index.append((uid, name, _WHICH[folder], url, path.relative_to(out).as_posix()))
    out.mkdir(parents=True, exist_ok=True)
    # through write_table: a name such as "=HYPERLINK(...)" stays text in Excel
    index_path = write_table(pd.DataFrame(index, columns=list(INDEX_COLUMNS)), out / "index.csv")
    written.append(index_path)
    return written
