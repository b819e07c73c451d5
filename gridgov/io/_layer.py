"""One file into one workspace layer: read, convert, coerce, check.

:func:`read_layer` is the public door; :func:`read_file` is the same work returning the
problems and notes instead of raising, so that a load of several files reports all of them
at once (:func:`read_source` gives the older ``(layer, problems)`` pair). A
:class:`SourceFile` is a path with what the user said about that one file
(``stations.xlsx@gcj02@header=2`` on the command line).
Layer-specific conversions happen here: township seats (驻地) converted like the
geometry or derived from it, OpenStreetMap ``highway`` tags mapped to road classes.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._errors import CRSError, NotFoundError, ParameterError, Problem, ValidationError
from gridgov._validate import RowLabels, clean_layer
from gridgov._validate.source import NOTE
from gridgov._validate.values import point_text
from gridgov.crs import CGCS2000
from gridgov.io._columns import rename_columns
from gridgov.io._coords import deoffset, outside_china, source_key
from gridgov.io._files import TABLE_SUFFIXES, VECTOR_SUFFIXES, FileRead, read_table, read_vector
from gridgov.io._notes import Note
from gridgov.io._osm import OSM_SUFFIXES, osm_roads_note, read_osm_source
from gridgov.messages import text as _text
from gridgov.model import LAYERS, RoadClass

__all__ = [
    "SourceFile",
    "log_warnings",
    "note_problems",
    "read_file",
    "read_layer",
    "read_source",
]

log = logging.getLogger(__name__)


# OpenStreetMap ``highway`` tags to road classes, for roads cut from an OSM extract.
_OSM_HIGHWAY = {
    **dict.fromkeys(
        ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "trunk"
    ),
    **dict.fromkeys(("secondary", "secondary_link"), "county"),
    **dict.fromkeys(("tertiary", "tertiary_link", "unclassified"), "township"),
    **dict.fromkeys(("residential", "service", "track", "living_street", "road"), "village"),
}


def _fill_seats(
    gdf: gpd.GeoDataFrame, label: str, source: str | None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Township seats: convert from GCJ-02/BD-09 like the geometry; fill missing ones.

    Values that are not numbers are left as they are, for validation to report.
    """
    gdf = gdf.copy()
    n = len(gdf)
    raw = {
        c: gdf[c].to_numpy(dtype=object) if c in gdf.columns else np.full(n, None, dtype=object)
        for c in ("seat_lon", "seat_lat")
    }
    # np.array copies: under pandas 3 (copy-on-write) to_numpy() hands out a read-only view,
    # and the seats derived below are written into these arrays.
    lon = np.array(pd.to_numeric(pd.Series(raw["seat_lon"]), errors="coerce"), dtype=np.float64)
    lat = np.array(pd.to_numeric(pd.Series(raw["seat_lat"]), errors="coerce"), dtype=np.float64)
    missing = pd.isna(raw["seat_lon"]) | pd.isna(raw["seat_lat"])
    if source in ("gcj02", "bd09"):
        lon, lat = deoffset(lon, lat, source)
    arr = np.asarray(gdf.geometry.array, dtype=object)
    fill = missing & ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    if fill.any():
        xy = shapely.get_coordinates(shapely.point_on_surface(shapely.make_valid(arr[fill])))
        lon[fill], lat[fill] = np.round(xy[:, 0], 7), np.round(xy[:, 1], 7)
    for column, values in (("seat_lon", lon), ("seat_lat", lat)):
        numeric = np.isfinite(values)
        if numeric.all() or (~numeric & ~pd.isna(raw[column])).sum() == 0:
            gdf[column] = values
        else:
            mixed = raw[column].copy()
            mixed[numeric] = values[numeric]
            gdf[column] = mixed
    if not fill.any():
        return gdf, []
    return gdf, [
        Problem(
            label,
            None,
            "seat_lon",
            int(fill.sum()),
            _text("load.seat_missing"),
            "warning",
        )
    ]


def _map_osm_highway(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "road_class" not in gdf.columns:
        return gdf
    values = gdf["road_class"].astype("str").str.strip().str.lower()
    known = {m.value for m in RoadClass}
    osm = values.isin(list(_OSM_HIGHWAY)) & ~values.isin(known)
    if osm.any():
        gdf = gdf.copy()
        gdf.loc[osm, "road_class"] = values[osm].map(_OSM_HIGHWAY)
        log.info("roads: mapped %d OpenStreetMap highway tags to road classes", int(osm.sum()))
    return gdf


@dataclass(frozen=True)
class SourceFile(os.PathLike[str]):
    """A file to read, with what the user said about this one file.

    Anything that takes a path takes a ``SourceFile`` (it is path-like); the readers then
    use its options over the ones given for every file of a load. On the command line it
    is written ``FILE@OPTION[@OPTION...]`` (:meth:`parse`): ``villages.shp@gbk``,
    ``stations.xlsx@gcj02@header=3``, ``townships.shp@epsg:4547``.

    Attributes
    ----------
    path : Path
    encoding : str, optional
        Text encoding of a DBF (over its ``.cpg``) or CSV/TXT; ignored, with a note, for
        formats whose specification fixes UTF-8.
    crs : str, optional
        Coordinate system of its coordinates: ``wgs84``, ``cgcs2000``, ``gcj02``,
        ``bd09`` (or amap/baidu...) or ``EPSG:n``. Overrides a WGS84 label (KML,
        GeoJSON, a ``.prj`` saying WGS84), never a declared CGCS2000 or projection.
    header_row : int, optional
        Sheet row number (1-based) of a table's header.
    sheet : str, optional
        Sheet of a workbook.
    allow_outside_china : bool
        Report features outside China as warnings instead of refusing them.
    """

    path: Path
    encoding: str | None = None
    crs: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    allow_outside_china: bool = False

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    @classmethod
    def parse(cls, text: str) -> SourceFile:
        """``FILE@OPTION[@OPTION...]`` (options also separated by commas) as a SourceFile.

        An option is ``header=N``, ``sheet=NAME``, ``encoding=NAME``, ``crs=NAME``, or a
        bare coordinate system (``gcj02``, ``bd09``, ``wgs84``, ``cgcs2000``, ``amap``,
        ``baidu``, ``epsg:4547``) or text encoding (``gbk``, ``gb18030``, ``utf-8``).
        A file whose own name holds ``@`` is taken whole when it exists.

        Raises
        ------
        ParameterError
            Naming the option, if it is none of these.
        """
        if "@" not in text or Path(text).exists():
            return cls(Path(text))
        cuts = [k for k, ch in enumerate(text) if ch == "@"]
        at = next((k for k in cuts if Path(text[:k]).exists()), cuts[0])
        options: dict[str, Any] = {}
        for token in re.split(r"[@,]", text[at + 1 :]):
            key, _, value = token.strip().partition("=")
            key = key.strip().lower()
            value = value.strip()
            if not key:
                continue
            if value and key in ("header", "header_row", "表头"):
                if not value.isdigit() or int(value) < 1:
                    raise ParameterError(
                        _text("load.option_header", file=text, value=value),
                        parameter="header",
                        value=value,
                    )
                options["header_row"] = int(value)
            elif value and key in ("sheet", "工作表"):
                options["sheet"] = value
            elif value and key in ("encoding", "编码"):
                options["encoding"] = _known_encoding(text, value)
            elif value and key in ("crs", "坐标系"):
                options["crs"] = source_key(value)
            elif not value:
                options.update(_bare_option(text, token.strip()))
            else:
                raise ParameterError(
                    _text("load.option_unknown", file=text, token=token.strip()),
                    parameter="file",
                    value=token.strip(),
                )
        return cls(Path(text[:at]), **options)


def _known_encoding(text: str, value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError as exc:
        raise ParameterError(
            _text("load.option_encoding", file=text, value=value),
            parameter="encoding",
            value=value,
        ) from exc
    return value


def _bare_option(text: str, token: str) -> dict[str, str]:
    try:
        return {"crs": str(source_key(token))}
    except CRSError:
        pass
    try:
        codecs.lookup(token)
    except LookupError:
        raise ParameterError(
            _text("load.option_bare", file=text, token=token),
            parameter="file",
            value=token,
        ) from None
    return {"encoding": token}


def _allow_outside(
    cleaned: gpd.GeoDataFrame, problems: list[Problem], label: str, schema_name: str, allow: bool
) -> tuple[list[Problem], bool]:
    """Problems with outside-China errors turned into warnings when allowed; and whether
    outside-China errors remain (the layer is then withheld from the checks between
    layers, which measure in the county's Gauss-Kruger zone and cannot for such places).

    The validator's problem is recognised by what it names, not by its wording (which is
    translated): the geometry of a row lying outside China, valued at the row's corner.
    """
    outside = outside_china(cleaned) if cleaned.crs is not None else np.zeros(len(cleaned), bool)
    if not outside.any():
        return problems, False
    rows = RowLabels(cleaned, LAYERS[schema_name])
    corners = shapely.bounds(np.asarray(cleaned.geometry.array, dtype=object)[outside])
    named = {
        (rows[pos], point_text(x, y))
        for pos, (x, y) in zip(np.flatnonzero(outside), corners[:, :2], strict=True)
    }

    def about_outside(p: Problem) -> bool:
        return (
            p.layer == label
            and p.field == "geometry"
            and p.severity == "error"
            and (p.row, p.value) in named
        )

    if not allow:
        return problems, any(about_outside(p) for p in problems)
    allowed = [
        replace(
            p, severity="warning", message=_text("load.outside_china_allowed", message=p.message)
        )
        if about_outside(p)
        else p
        for p in problems
    ]
    return allowed, False


def read_file(
    path: str | os.PathLike[str],
    layer: str,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    fix: bool = False,
    allow_outside_china: bool = False,
) -> FileRead:
    """Read and check one file; never raises for bad data. Options of a
    :class:`SourceFile` ``path`` win over the keyword ones, which are for every file."""
    given = path if isinstance(path, SourceFile) else SourceFile(Path(path))
    path = given.path
    label = path.name
    if layer not in LAYERS:
        raise ValidationError(
            [
                Problem(
                    label,
                    None,
                    "layer",
                    layer,
                    _text("load.unknown_layer", layers=", ".join(LAYERS)),
                )
            ],
            context=label,
        )
    if not path.exists():
        raise NotFoundError(_text("load.no_such_file", paths=path))
    global_source = source_key(source_crs)
    file_source = source_key(given.crs)
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        read = read_table(
            path,
            label=label,
            layer=layer,
            sheet=given.sheet or sheet,
            header_row=given.header_row or header_row,
            file_encoding=given.encoding,
            global_encoding=encoding,
            lon_col=lon_col,
            lat_col=lat_col,
            file_source=file_source,
            global_source=global_source,
        )
    elif suffix in OSM_SUFFIXES and not path.is_dir():
        # extract.osm.pbf: Path.suffix is the last one, ".pbf"
        frame, found = read_osm_source(path, label=label, layer=layer)
        if frame is None:
            read = FileRead(None, found)
        else:
            read = FileRead(frame.to_crs(CGCS2000), found, [osm_roads_note(frame, label=label)])
    elif suffix in VECTOR_SUFFIXES or path.is_dir():
        read = read_vector(
            path,
            label=label,
            layer=layer,
            source_layer=source_layer,
            file_encoding=given.encoding,
            global_encoding=encoding,
            file_source=file_source,
            global_source=global_source,
        )
        if read.frame is not None:
            read.frame = rename_columns(read.frame, layer, read.frame.geometry.name)
    else:
        supported = ", ".join(sorted(VECTOR_SUFFIXES | TABLE_SUFFIXES | OSM_SUFFIXES))
        return FileRead(
            None,
            [
                Problem(
                    label,
                    None,
                    None,
                    path.suffix,
                    _text("load.unsupported_type", suffixes=supported),
                )
            ],
        )
    gdf = read.frame
    problems = read.problems
    for note in read.notes:
        log.info("%s", note)
    if gdf is None:
        return read
    if layer == "roads":
        gdf = _map_osm_highway(gdf)
    if layer == "townships" and gdf.crs is not None:
        gdf, found = _fill_seats(gdf, label, read.offset)
        problems.extend(found)
    cleaned, found = clean_layer(gdf, layer, fix=fix, label=label)
    if read.reported:
        rows = RowLabels(cleaned, LAYERS[layer])
        skip = {rows[p] for p in read.reported}
        found = [p for p in found if not (p.field == "geometry" and p.row in skip)]
    problems.extend(found)
    problems, withheld = _allow_outside(
        cleaned, problems, label, layer, given.allow_outside_china or allow_outside_china
    )
    if withheld and layer == "county":
        return FileRead(None, problems, read.notes)
    return FileRead(cleaned, problems, read.notes, offset=read.offset)


def read_source(
    path: str | os.PathLike[str],
    layer: str,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    fix: bool = False,
    allow_outside_china: bool = False,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """:func:`read_file` as ``(layer, problems)``, the notes first among the problems, of
    severity ``"note"`` (:func:`note_problems`)."""
    read = read_file(
        path,
        layer,
        source_layer=source_layer,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        sheet=sheet,
        header_row=header_row,
        fix=fix,
        allow_outside_china=allow_outside_china,
    )
    return read.frame, [*note_problems(read.notes), *read.problems]


def note_problems(notes: Iterable[Note]) -> list[Problem]:
    """Notes as problems of severity ``"note"``, the form loads report them in: the file,
    the topic as the field, the decision as the value and the note's line as the message."""
    return [Problem(n.file, None, n.topic, n.value, str(n), NOTE) for n in notes]


def log_warnings(problems: Iterable[Problem], *, level: int = logging.WARNING) -> None:
    """Log the warnings among ``problems`` at ``level`` (INFO where they are also returned
    to the caller, who reports them: the command line must not say them twice)."""
    for problem in problems:
        if problem.severity == "warning":
            log.log(level, "%s", problem)


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    fix: bool = False,
    allow_outside_china: bool = False,
) -> gpd.GeoDataFrame:
    """Read one file into the schema of workspace layer ``layer``, in CGCS2000.

    Formats by extension: ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (or a ``.zip`` holding
    one), ``.fgb``, ``.kml``/``.kmz``, ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xls``.
    Headers in Chinese or English are renamed to the schema's names
    (:func:`column_aliases`); other columns are kept. Codes stay strings
    (``430623101001.0`` from Excel is repaired), enum values are stored in English (联络站 →
    ``station``). Tables give point layers from longitude/latitude columns (decimal or
    ``112°30′15″``) or any layer from a WKT column.

    Every decision taken on the way is a :class:`Note` (:func:`read_file` returns them;
    logged at INFO here, listed in the error when the file fails):

    - text encoding: GeoJSON, GeoPackage and KML are UTF-8 by specification; a Shapefile's
      ``.cpg`` is believed; else ``encoding`` if given, else sniffed from the bytes (UTF-8,
      UTF-8 BOM, GBK/GB18030, Big5); a DBF that still reads as mojibake is read as GBK.
    - coordinates: a CRS the file declares (``.prj``, GeoPackage, GeoJSON ``crs``) or its
      format fixes (KML, GeoJSON: WGS84) wins; ``source_crs`` (``gcj02`` for AMap/Tencent,
      ``bd09`` for Baidu, ``EPSG:n``) applies only to undeclared coordinates: a table's
      longitude/latitude, a Shapefile without ``.prj`` (which needs it). Unnamed table
      coordinates are taken as CGCS2000/WGS84.
    - tables: the header is found among the first ten rows (title rows above it are
      skipped) unless ``header_row`` names it; total (合计/小计), remark (备注) and blank
      rows are dropped. Problems name a table's rows by their row number in the sheet.

    ``path`` may be a :class:`SourceFile`, whose options (this file's encoding, CRS,
    header row, sheet) win over the keyword ones.

    Parameters
    ----------
    path : str, Path or SourceFile
        The file to read.
    layer : str
        Workspace layer to read into, a key of :data:`gridgov.model.LAYERS`.
    source_layer : str, optional
        Layer inside a GeoPackage/KML (or Shapefile inside a zip); needed only when the
        file has several and none is named like ``layer``.
    encoding : str, optional
        Text encoding of a Shapefile DBF without ``.cpg`` or of a CSV, e.g. ``"GBK"``.
    source_crs : str, optional
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` (or amap/tencent/baidu...) or
        ``EPSG:n``, for coordinates the file does not declare.
    lon_col, lat_col : str, optional
        Coordinate columns of a CSV/XLSX when they are not detected.
    sheet : str, optional
        Sheet of a workbook; by default one named like the layer (``villages`` or
        ``村（社区）``), else the first visible one.
    header_row : int, optional
        Sheet row number (1-based) of a table's header; by default it is found.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of refusing them.
    allow_outside_china : bool, default False
        Load features outside China, reporting them as warnings.

    Returns
    -------
    GeoDataFrame
        In EPSG:4490, schema columns first as found; a table's index is each row's number
        in the sheet (named ``source_row``), any other layer's a fresh RangeIndex.

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    CRSError
        If ``source_crs`` is not a known system.
    ValidationError
        Listing every problem in the file (``context`` is the file name): garbled text,
        missing CRS, bad or missing values, invalid geometries, duplicate codes, swapped
        or out-of-China coordinates...
    """
    read = read_file(
        path,
        layer,
        source_layer=source_layer,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        sheet=sheet,
        header_row=header_row,
        fix=fix,
        allow_outside_china=allow_outside_china,
    )
    if read.frame is None or any(p.severity == "error" for p in read.problems):
        # what was detected is part of the story: a wrong guess explains the errors
        raise ValidationError([*note_problems(read.notes), *read.problems], context=Path(path).name)
    log_warnings(read.problems)
    return read.frame
