"""Coordinates on the way in: any declared CRS, GCJ-02 or BD-09 to CGCS2000 (EPSG:4490).

Which system a file's coordinates are in is decided per file (:func:`to_cgcs2000`): what
the file declares (``.prj``, GeoPackage, a GeoJSON ``crs``) or its format fixes (KML and
GeoJSON are WGS84) wins; a system given for every file (``--source-crs``) is for the
coordinates nobody declared (a table's longitude/latitude, a Shapefile without ``.prj``);
a system given for one file (``FILE@gcj02``) may also correct a WGS84 label. The decision
is returned as a note. A declared CRS is reprojected with pyproj; coordinates picked in
AMap or Tencent (GCJ-02) or Baidu (BD-09) are converted vertex by vertex with
:mod:`gridgov.crs`. Table cells of longitude and latitude are parsed here too, decimal or
degrees-minutes-seconds (``112°30′15″E``, ``112度30分15秒``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from gridgov import crs as _crs
from gridgov._arrays import Floats
from gridgov._errors import CRSError, Problem
from gridgov.io._notes import Note, Said
from gridgov.messages import Term, text

__all__ = [
    "OFFSETS",
    "clean_geometries",
    "crs_text",
    "deoffset",
    "outside_china",
    "parse_coordinate",
    "source_key",
    "source_text",
    "to_cgcs2000",
]

log = logging.getLogger(__name__)


_EPSG = re.compile(r"^\s*epsg\s*[:：]?\s*(\d{4,6})\s*$", re.IGNORECASE)
#: Offset systems: coordinates picked in AMap/Tencent (gcj02) or Baidu (bd09).
OFFSETS = ("gcj02", "bd09")
_SOURCE_TERMS = {
    "wgs84": Term("WGS84", "WGS84"),
    "cgcs2000": Term("CGCS2000", "CGCS2000"),
    "gcj02": Term("GCJ-02（高德/腾讯）", "GCJ-02 (AMap/Tencent)"),
    "bd09": Term("BD-09（百度）", "BD-09 (Baidu)"),
}


def source_key(source_crs: str | None) -> str | None:
    """``source_crs`` as one of :data:`gridgov.crs.SOURCE_SYSTEMS` (``amap`` -> ``gcj02``),
    or ``"EPSG:n"`` for a coordinate system named by its EPSG code (``epsg:4547``).

    Raises
    ------
    CRSError
        If it is neither, or the EPSG code is unknown.
    """
    if source_crs is None:
        return None
    match = _EPSG.match(str(source_crs))
    if match is None:
        return _crs.normalise_source(source_crs)
    code = f"EPSG:{match.group(1)}"
    try:
        pyproj.CRS(code)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"unknown coordinate system {source_crs!r}: {exc}") from exc
    return code


def source_text(source: str) -> Term:
    """A source system for people: ``gcj02`` -> ``GCJ-02（高德/腾讯）`` (English: ``GCJ-02
    (AMap/Tencent)``), ``EPSG:4547`` as is."""
    return _SOURCE_TERMS.get(source, Term(source, source))


def crs_text(crs: Any) -> str:
    """A declared CRS for people: ``EPSG:4547``, ``WGS84``, ``CGCS2000`` or its name."""
    declared = pyproj.CRS(crs)
    epsg = declared.to_epsg()
    if epsg == 4326:
        return "WGS84"
    if epsg == 4490:
        return "CGCS2000"
    return f"EPSG:{epsg}" if epsg is not None else declared.name


def deoffset(lon: Floats, lat: Floats, source: str) -> tuple[Floats, Floats]:
    """GCJ-02/BD-09 to CGCS2000, leaving points outside China as they are (to be reported)."""
    # copies (np.array, not asarray): the converted points are written into them
    x = np.array(lon, dtype=np.float64)
    y = np.array(lat, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & _crs.in_china(np.nan_to_num(x), np.nan_to_num(y))
    if ok.any():
        x[ok], y[ok] = _crs.to_cgcs2000(x[ok], y[ok], source)
    return x, y


def _deoffset_geometries(geoms: gpd.GeoSeries, source: str) -> gpd.GeoSeries:
    """Convert every vertex of every geometry from GCJ-02/BD-09 (one vectorised pass)."""

    def convert(coords: Floats) -> Floats:
        x, y = deoffset(coords[:, 0], coords[:, 1], source)
        return np.column_stack([x, y])

    arr = shapely.transform(np.asarray(geoms.array, dtype=object), convert)
    return gpd.GeoSeries(arr, index=geoms.index, crs=_crs.CGCS2000, name=geoms.name)


def _looks_like_degrees(gdf: gpd.GeoDataFrame) -> bool:
    if gdf.empty or gdf.geometry.isna().all():
        return True
    minx, miny, maxx, maxy = gdf.total_bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def _note(label: str, value: str, basis: str, shown: object, why: Said) -> Note:
    return Note(label, "crs", value, basis, Said.of("note.crs", crs=shown), why)


def _to_4490(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    if pyproj.CRS(gdf.crs).equals(pyproj.CRS(_crs.CGCS2000)):
        return gdf
    log.info("%s: reprojecting from %s to EPSG:4490", label, pyproj.CRS(gdf.crs).to_string())
    return gdf.to_crs(_crs.CGCS2000)


def _undeclared(
    gdf: gpd.GeoDataFrame,
    *,
    label: str,
    file_source: str | None,
    global_source: str | None,
    default_cgcs2000: bool,
    check_degrees: bool,
) -> tuple[gpd.GeoDataFrame, list[Problem], list[Note], str | None]:
    source = file_source or global_source
    why = Said.of(
        "note.by_option", option=f"{label}@{file_source}" if file_source else "--source-crs"
    )
    if source is None:
        if not default_cgcs2000:
            return gdf, [], [], None  # validation reports the missing CRS
        note = _note(
            label,
            "cgcs2000",
            "default",
            "CGCS2000/WGS84",
            Said.of("note.crs_default", file=label),
        )
        return gdf.set_crs(_crs.CGCS2000), [], [note], None
    if source.startswith("EPSG:"):
        note = _note(label, source, "given", source, why)
        return _to_4490(gdf.set_crs(source), label), [], [note], None
    if check_degrees and not _looks_like_degrees(gdf):
        minx, miny, _, _ = gdf.total_bounds
        problem = Problem(
            label,
            None,
            "geometry",
            f"{minx:.1f}, {miny:.1f}",
            text("load.projected_not_degrees", source=source, file=label),
        )
        return gdf, [problem], [], None
    note = _note(label, source, "given", source_text(source), why)
    gdf = gdf.set_crs(_crs.CGCS2000)
    if source in OFFSETS:
        log.info("%s: converting coordinates from %s to CGCS2000", label, source)
        return gdf.set_geometry(_deoffset_geometries(gdf.geometry, source)), [], [note], source
    return gdf, [], [note], None


def to_cgcs2000(
    gdf: gpd.GeoDataFrame,
    *,
    label: str,
    declared_by: str | None,
    file_source: str | None,
    global_source: str | None,
    default_cgcs2000: bool,
    check_degrees: bool,
) -> tuple[gpd.GeoDataFrame, list[Problem], list[Note], str | None]:
    """Reproject or convert one file's layer to EPSG:4490, saying on what grounds.

    A CRS the file declares (``.prj``, GeoPackage, a GeoJSON ``crs`` member) or that its
    format fixes (KML and GeoJSON are WGS84) wins over ``--source-crs``, which is for
    coordinates nobody declared: a table's longitude/latitude, a Shapefile without
    ``.prj``. A system named for this one file (``FILE@gcj02``) is the user's word about
    it: it converts a file labelled WGS84 (AMap exports are labelled WGS84 at best), but
    never one that declares CGCS2000 or a projection, which a GIS made.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read; its CRS, if any, is what the file declares.
    label : str
        The file's name, for problems and notes.
    declared_by : str or None
        ``"file"`` when the file declares its CRS, the format's name (``"KML"``) when its
        specification fixes it, None when ``gdf`` has no CRS.
    file_source, global_source : str or None
        :func:`source_key` values given for this file, and for every file of the load.
    default_cgcs2000 : bool
        Take undeclared, unnamed coordinates as CGCS2000/WGS84 (tables) rather than leave
        the CRS missing for validation to report (vector files).
    check_degrees : bool
        Refuse to read coordinates beyond +-180/90 as longitude/latitude.

    Returns
    -------
    (GeoDataFrame, list of Problem, list of Note, str or None)
        The layer, problems, notes, and the offset system removed (``gcj02``/``bd09``).
    """
    if gdf.crs is None:
        return _undeclared(
            gdf,
            label=label,
            file_source=file_source,
            global_source=global_source,
            default_cgcs2000=default_cgcs2000,
            check_degrees=check_degrees,
        )
    problems: list[Problem] = []
    notes: list[Note] = []
    declared = pyproj.CRS(gdf.crs)
    shown = crs_text(declared)
    value = declared.to_string()
    by_spec = declared_by not in (None, "file")
    basis, why = (
        ("spec", Said.of("note.by_spec", spec=declared_by))
        if by_spec
        else ("declared", Said.of("note.by_file"))
    )
    # AMap/Baidu exports are labelled WGS84 at best; a file that declares CGCS2000 or a
    # projection was made by a GIS, and shifting it would move it ~500 m.
    may_be_offset = not (declared.is_projected or declared.equals(pyproj.CRS(_crs.CGCS2000)))
    offset: str | None = None
    if file_source is not None and file_source.startswith("EPSG:"):
        if pyproj.CRS(file_source).equals(declared):
            notes.append(_note(label, value, basis, shown, why))
        else:
            notes.append(
                _note(
                    label,
                    file_source,
                    "given",
                    file_source,
                    Said.of(
                        "note.by_option_not_declared", option=f"{label}@{file_source}", crs=shown
                    ),
                )
            )
            gdf = gdf.set_crs(file_source, allow_override=True)
    elif file_source in OFFSETS and may_be_offset:
        notes.append(
            _note(
                label,
                str(file_source),
                "given",
                source_text(str(file_source)),
                Said.of("note.by_option_labelled", option=f"{label}@{file_source}", crs=shown),
            )
        )
        offset = file_source
    else:
        notes.append(_note(label, value, basis, shown, why))
        asked = file_source or global_source
        ignored = asked in OFFSETS or (
            asked is not None
            and asked.startswith("EPSG:")
            and not pyproj.CRS(asked).equals(declared)
        )
        if ignored:
            option = f"{label}@{asked}" if file_source else f"--source-crs {asked}"
            if by_spec:
                message = text("load.crs_by_spec_kept", kind=declared_by, option=option,
                               asked=asked, label=label)  # fmt: skip
            else:
                message = text("load.crs_declared_kept", option=option)
            problems.append(Problem(label, None, None, value, message, "warning"))
    gdf = _to_4490(gdf, label)
    if offset is not None:
        log.info("%s: converting coordinates from %s to CGCS2000", label, offset)
        gdf = gdf.set_geometry(_deoffset_geometries(gdf.geometry, offset))
    return gdf, problems, notes, offset


def outside_china(gdf: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """Positions of features (in EPSG:4490) lying outside China, swapped ones excepted."""
    arr = np.asarray(gdf.geometry.array, dtype=object)
    out = np.zeros(len(arr), dtype=bool)
    usable = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    if not usable.any():
        return out
    bounds = shapely.bounds(arr[usable])
    x0, y0, x1, y1 = bounds.T
    inside = _crs.in_china(x0, y0) & _crs.in_china(x1, y1)
    swapped = _crs.looks_swapped(x0, y0) & _crs.looks_swapped(x1, y1)
    out[usable] = ~inside & ~swapped
    return out


def clean_geometries(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop Z/M and turn one-part MultiPoints (common in Shapefiles and KML) into Points."""
    arr = np.asarray(gdf.geometry.array, dtype=object)
    if arr.size == 0:
        return gdf
    present = ~shapely.is_missing(arr)
    if shapely.has_z(arr[present]).any():
        arr = arr.copy()
        arr[present] = shapely.force_2d(arr[present])
    single = (shapely.get_type_id(arr) == 4) & (shapely.get_num_geometries(arr) == 1)
    if single.any():
        arr = arr.copy()
        arr[single] = shapely.get_geometry(arr[single], 0)
    return gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs))


_DMS_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _parse_degrees(text: str) -> float | None:
    """``112°30′15.5″E`` / ``112度30分15.5秒`` to decimal degrees; None if it is not that."""
    if not any(mark in text for mark in ("°", "度")):
        return None
    parts = [float(p) for p in _DMS_NUMBER.findall(text)]
    if not 1 <= len(parts) <= 3:
        return None
    value = parts[0] + sum(p / 60.0**k for k, p in enumerate(parts[1:], start=1))
    negative = text.strip().startswith("-") or any(h in text for h in ("S", "W", "南", "西"))
    return -value if negative else value


def parse_coordinate(raw: pd.Series) -> tuple[Floats, NDArray[np.bool_]]:
    text = raw.astype("str").str.strip()
    text = text.str.normalize("NFKC")
    values = np.array(pd.to_numeric(text, errors="coerce"), dtype=np.float64)
    present = raw.notna().to_numpy()
    for pos in np.flatnonzero(present & np.isnan(values)):
        parsed = _parse_degrees(str(text.iloc[pos]))
        if parsed is not None:
            values[pos] = parsed
    return values, present
