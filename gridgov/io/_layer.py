"""One file into one workspace layer: read, convert, coerce, check.

:func:`read_layer` is the public door; :func:`read_source` is the same work returning the
problems instead of raising, so that a load of several files reports all of them at once.
Layer-specific conversions happen here: township seats (驻地) converted like the
geometry or derived from it, OpenStreetMap ``highway`` tags mapped to road classes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._errors import NotFoundError, Problem, ValidationError
from gridgov._validate import RowLabels, clean_layer
from gridgov.io._columns import rename_columns
from gridgov.io._coords import deoffset, layer_to_cgcs2000, source_key
from gridgov.io._files import TABLE_SUFFIXES, VECTOR_SUFFIXES, read_table, read_vector
from gridgov.model import LAYERS, RoadClass

__all__ = ["log_warnings", "read_layer", "read_source"]

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
            "township seat (驻地经度/驻地纬度) missing; using a point inside the township",
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


def read_source(
    path: str | Path,
    layer: str,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    fix: bool = False,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read and check one file; never raises for bad data (returns the problems)."""
    path = Path(path)
    label = path.name
    if layer not in LAYERS:
        raise ValidationError(
            [
                Problem(
                    label,
                    None,
                    "layer",
                    layer,
                    f"not a workspace layer; expected one of {', '.join(LAYERS)}",
                )
            ],
            context=label,
        )
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    source = source_key(source_crs)
    suffix = path.suffix.lower()
    reported: list[int] = []
    gdf: gpd.GeoDataFrame | None
    if suffix in TABLE_SUFFIXES:
        gdf, problems, reported = read_table(
            path,
            label=label,
            layer=layer,
            encoding=encoding,
            sheet=sheet,
            lon_col=lon_col,
            lat_col=lat_col,
            source=source,
        )
    elif suffix in VECTOR_SUFFIXES or path.is_dir():
        gdf, problems = read_vector(
            path,
            label=label,
            layer=layer,
            source_layer=source_layer,
            encoding=encoding,
        )
        if gdf is not None:
            # GeoJSON and KML are WGS84 by specification; GDAL reports that as EPSG:4326.
            gdf, found, source = layer_to_cgcs2000(
                gdf, source=source, label=label, default_wgs84=False
            )
            problems.extend(found)
            gdf = rename_columns(gdf, layer, gdf.geometry.name)
    else:
        supported = ", ".join(sorted(VECTOR_SUFFIXES | TABLE_SUFFIXES))
        return None, [
            Problem(
                label, None, None, path.suffix, f"unsupported file type; use one of {supported}"
            )
        ]
    if gdf is None:
        return None, problems
    if layer == "roads":
        gdf = _map_osm_highway(gdf)
    if layer == "townships" and gdf.crs is not None:
        gdf, found = _fill_seats(gdf, label, source)
        problems.extend(found)
    cleaned, found = clean_layer(gdf, layer, fix=fix, label=label)
    if reported:
        rows = RowLabels(cleaned, LAYERS[layer])
        skip = {rows[p] for p in reported}
        found = [p for p in found if not (p.field == "geometry" and p.row in skip)]
    problems.extend(found)
    return cleaned, problems


def log_warnings(problems: Iterable[Problem]) -> None:
    for problem in problems:
        if problem.severity == "warning":
            log.warning("%s", problem)


def read_layer(
    path: str | Path,
    *,
    layer: str,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    fix: bool = False,
) -> gpd.GeoDataFrame:
    """Read one file into the schema of workspace layer ``layer``, in CGCS2000.

    Formats by extension: ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (or a ``.zip`` holding
    one), ``.fgb``, ``.kml``/``.kmz``, ``.csv``/``.tsv``/``.txt`` (UTF-8 with or without BOM,
    or GB18030, detected), ``.xlsx``. Headers in Chinese or English are renamed to the
    schema's names (:func:`column_aliases`); other columns are kept. Codes stay strings
    (``430623101001.0`` from Excel is repaired), enum values are stored in English (联络站 →
    ``station``). Tables give point layers from longitude/latitude columns (decimal or
    ``112°30′15″``) or any layer from a WKT column.

    Coordinates: files with a CRS are reprojected to EPSG:4490. GeoJSON and KML are WGS84
    by specification; CSV/XLSX lon/lat are taken as CGCS2000/WGS84 unless ``source_crs``
    says otherwise (a warning is logged). ``source_crs="gcj02"`` (AMap, Tencent, Ovital) or
    ``"bd09"`` (Baidu) converts every vertex to CGCS2000. A Shapefile without ``.prj`` needs
    ``source_crs``.

    Parameters
    ----------
    path : str or Path
        The file to read.
    layer : str
        Workspace layer to read into, a key of :data:`gridgov.model.LAYERS`.
    source_layer : str, optional
        Layer inside a GeoPackage/KML (or Shapefile inside a zip); needed only when the
        file has several and none is named like ``layer``.
    encoding : str, optional
        Text encoding of a Shapefile DBF or CSV, e.g. ``"GBK"``.
    source_crs : str, optional
        ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09`` (or amap/tencent/baidu...).
    lon_col, lat_col : str, optional
        Coordinate columns of a CSV/XLSX when they are not detected.
    sheet : str, optional
        Sheet of an XLSX workbook; by default one named like the layer (``villages`` or
        ``村（社区）``), else the first.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of refusing them.

    Returns
    -------
    GeoDataFrame
        In EPSG:4490, schema columns first as found, with a fresh RangeIndex.

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    CRSError
        If ``source_crs`` is not a known system.
    ValidationError
        Listing every problem in the file (``context`` is the file name): garbled text
        (suggesting ``encoding="GBK"``), missing CRS, bad or missing values, invalid
        geometries, duplicate codes, swapped or out-of-China coordinates...
    """
    gdf, problems = read_source(
        path,
        layer,
        source_layer=source_layer,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        sheet=sheet,
        fix=fix,
    )
    if gdf is None or any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context=Path(path).name)
    log_warnings(problems)
    return gdf
