"""Coordinates on the way in: any declared CRS, GCJ-02 or BD-09 to CGCS2000 (EPSG:4490).

A file that declares its CRS is reprojected with pyproj; coordinates picked in AMap or
Tencent (GCJ-02) or Baidu (BD-09) are converted vertex by vertex with :mod:`gridgov.crs`.
Table cells of longitude and latitude are parsed here too, decimal or
degrees-minutes-seconds (``112°30′15″E``, ``112度30分15秒``).
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from gridgov import crs as _crs
from gridgov._arrays import Floats
from gridgov._errors import Problem

__all__ = [
    "clean_geometries",
    "deoffset",
    "layer_to_cgcs2000",
    "parse_coordinate",
    "source_key",
]

log = logging.getLogger(__name__)


def source_key(source_crs: str | None) -> str | None:
    """``source_crs`` as one of :data:`gridgov.crs.SOURCE_SYSTEMS` (``amap`` -> ``gcj02``)."""
    return None if source_crs is None else _crs.normalise_source(source_crs)


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


def layer_to_cgcs2000(
    gdf: gpd.GeoDataFrame, *, source: str | None, label: str, default_wgs84: bool
) -> tuple[gpd.GeoDataFrame, list[Problem], str | None]:
    """Reproject or convert ``gdf`` to EPSG:4490 (a missing CRS stays missing, to be reported).

    Returns the layer, problems, and the offset system actually removed (None if none).
    """
    problems: list[Problem] = []
    if gdf.crs is None:
        if source is None and not default_wgs84:
            return gdf, problems, None
        if not _looks_like_degrees(gdf):
            minx, miny, _, _ = gdf.total_bounds
            problems.append(
                Problem(
                    label,
                    None,
                    "geometry",
                    f"{minx:.1f}, {miny:.1f}",
                    "coordinates look like projected metres, not longitude/latitude; "
                    "--source-crs only names lon/lat systems: supply the file's .prj instead",
                )
            )
            return gdf, problems, None
        gdf = gdf.set_crs(_crs.CGCS2000)
    else:
        declared = pyproj.CRS(gdf.crs)
        is_cgcs2000 = declared.equals(pyproj.CRS(_crs.CGCS2000))
        if source in ("gcj02", "bd09") and (declared.is_projected or is_cgcs2000):
            # AMap/Baidu exports are labelled WGS84 at best; a file that declares CGCS2000
            # or a projection was made by a GIS, and shifting it would move it ~500 m.
            problems.append(
                Problem(
                    label,
                    None,
                    None,
                    declared.to_string(),
                    f"the file declares its CRS, so --source-crs {source} was not applied to it",
                    "warning",
                )
            )
            source = None
        if not is_cgcs2000:
            log.info("%s: reprojecting from %s to EPSG:4490", label, declared.to_string())
            gdf = gdf.to_crs(_crs.CGCS2000)
    if source in ("gcj02", "bd09"):
        log.info("%s: converting coordinates from %s to CGCS2000", label, source)
        gdf = gdf.set_geometry(_deoffset_geometries(gdf.geometry, source))
        return gdf, problems, source
    return gdf, problems, None


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
