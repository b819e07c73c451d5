"""一站一码、一人一码: a QR code per station and per deputy, and the public profile it opens.

The code holds a URL of the service's public page (``/public/stations/{id}``,
``/public/deputies/{id}``); residents scan it to see who the deputies are and leave an
issue there (码上亮身份、码上提建议). The profile never carries a column the schema marks
personal (phones): :func:`public_station` and :func:`public_deputy` build it from an
explicit list of public fields.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import segno

from gridgov._errors import NotFoundError
from gridgov.model import DeputyLevel, StationTier, Workspace

__all__ = [
    "deputy_url",
    "public_deputy",
    "public_station",
    "qr_code",
    "station_url",
    "write_qr_codes",
]


def _base(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"base_url={base_url!r}: expected http(s)://host[/path]")
    return base_url.rstrip("/")


def station_url(base_url: str, station_id: str) -> str:
    """The public page of a station."""
    return f"{_base(base_url)}/public/stations/{quote(str(station_id), safe='')}"


def deputy_url(base_url: str, deputy_id: str) -> str:
    """The public page of a deputy."""
    return f"{_base(base_url)}/public/deputies/{quote(str(deputy_id), safe='')}"


def qr_code(url: str, *, kind: str = "png", scale: int = 6) -> bytes:
    """The QR code of ``url`` as PNG or SVG bytes (error correction M: survives a smudge)."""
    if kind not in ("png", "svg"):
        raise ValueError(f"kind={kind!r}: expected png or svg")
    import io

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind=kind, scale=scale, border=4)
    return buf.getvalue()


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)


def _deputy_public(row: Any) -> dict[str, Any]:
    level = _text(row["level"])
    try:
        level_zh = DeputyLevel.parse(level).label_zh
    except ValueError:
        level_zh = level
    return {
        "deputy_id": _text(row["deputy_id"]),
        "name": _text(row["name"]),
        "level": level_zh,
        "specialty": _text(row.get("specialty")),
    }


def public_station(ws: Workspace, station_id: str) -> dict[str, Any]:
    """What a station's QR page shows: name, tier, township, reception day, place and the
    public profiles of its on-duty deputies. Raises NotFoundError for an unknown id."""
    st = ws.stations[ws.stations["station_id"].astype(str) == str(station_id)]
    if st.empty:
        raise NotFoundError(f"no station {station_id!r}")
    row = st.iloc[0]
    towns = dict(
        zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
    )
    deputies: list[dict[str, Any]] = []
    if ws.deputies is not None:
        mine = ws.deputies[ws.deputies["station_id"].astype(str) == str(station_id)]
        if "on_duty" in mine:
            mine = mine[mine["on_duty"].fillna(True).astype(bool)]
        deputies = [_deputy_public(r) for _, r in mine.iterrows()]
    tier = _text(row["tier"])
    return {
        "station_id": _text(row["station_id"]),
        "name": _text(row["name"]),
        "tier": StationTier.parse(tier).label_zh if tier else "",
        "township": towns.get(_text(row["township_code"]), ""),
        "reception_day": _text(row.get("reception_day")),
        "lon": round(float(row.geometry.x), 5),
        "lat": round(float(row.geometry.y), 5),
        "deputies": deputies,
    }


def public_deputy(ws: Workspace, deputy_id: str) -> dict[str, Any]:
    """What a deputy's QR page shows: name, level, specialty and station (never a phone)."""
    deps = ws.deputies
    hit = None if deps is None else deps[deps["deputy_id"].astype(str) == str(deputy_id)]
    if hit is None or hit.empty:
        raise NotFoundError(f"no deputy {deputy_id!r}")
    row = hit.iloc[0]
    out = _deputy_public(row)
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
) -> list[Path]:
    """Write ``stations/<id>.<kind>`` and ``deputies/<id>.<kind>`` plus ``index.csv``
    (UTF-8 with BOM for Excel; 编号, 名称, 类型, 链接, 文件); returns every path written."""
    _base(base_url)
    out = Path(out_dir)
    written: list[Path] = []
    index: list[tuple[str, str, str, str, str]] = []
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
    for folder, uid, name, url in jobs:
        path = out / folder / f"{quote(uid, safe='')}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(qr_code(url, kind=kind))
        written.append(path)
        index.append(
            (uid, name, "站点" if folder == "stations" else "代表", url, str(path.relative_to(out)))
        )
    idx = out / "index.csv"
    out.mkdir(parents=True, exist_ok=True)
    with idx.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "名称", "类型", "链接", "文件"])
        w.writerows(index)
    written.append(idx)
    return written
