"""Coordinate systems: CGCS2000 storage, Gauss-Kruger zones for metres, GCJ-02 and BD-09.

Workspaces store geographic coordinates in CGCS2000 (EPSG:4490). Metric work (distances,
areas, buffers) happens in the CGCS2000 3-degree Gauss-Kruger zone whose central meridian
is nearest the data (EPSG:4534-4554, e.g. EPSG:4547 for Huarong at 114E).

Points exported from AMap, Tencent or Ovital are GCJ-02 ("Mars coordinates"); Baidu's are
BD-09. Neither is a real datum, so pyproj cannot convert them: the published obfuscation
formulas are evaluated here with numpy over whole arrays, and the inverses are found by
fixed-point iteration until the forward formula reproduces the input to ~1e-9 degree
(sub-millimetre). WGS84 and CGCS2000 differ by centimetres; they are treated as equal.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from gridgov._arrays import Floats
from gridgov._errors import CRSError, ParameterError

CGCS2000: Final = "EPSG:4490"
WGS84: Final = "EPSG:4326"
SOURCE_SYSTEMS: Final = ("wgs84", "cgcs2000", "gcj02", "bd09")

# GCJ-02 uses the Krasovsky 1940 ellipsoid in its formula.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# The region inside which AMap/Tencent apply the offset (outside it they return WGS84).
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)
# A generous box around China's land and sea territory, for plausibility checks.
CHINA_BOX: Final = (73.0, 3.0, 136.0, 54.0)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise ParameterError(
            f"lon and lat differ in shape: {x.shape} vs {y.shape}",
            parameter="lat",
            value=y.shape,
        )
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a lon/lat pair lies inside a box around China."""
    x, y = _arrays(lon, lat)
    x0, y0, x1, y1 = CHINA_BOX
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def looks_swapped(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where lon/lat fall outside China but the swapped pair falls inside."""
    x, y = _arrays(lon, lat)
    return ~in_china(x, y) & in_china(y, x)


def _in_gcj_box(x: Floats, y: Floats) -> NDArray[np.bool_]:
    x0, y0, x1, y1 = _GCJ_BOX
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _gcj_offset(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    """Offset in degrees that GCJ-02 adds to a WGS84 point (zero outside its box)."""
    dx = x - 105.0
    dy = y - 35.0
    pi = np.pi
    dlat = (
        -100.0
        + 2.0 * dx
        + 3.0 * dy
        + 0.2 * dy * dy
        + 0.1 * dx * dy
        + 0.2 * np.sqrt(np.abs(dx))
        + (20.0 * np.sin(6.0 * dx * pi) + 20.0 * np.sin(2.0 * dx * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(dy * pi) + 40.0 * np.sin(dy / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(dy / 12.0 * pi) + 320.0 * np.sin(dy * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + dx
        + 2.0 * dy
        + 0.1 * dx * dx
        + 0.1 * dx * dy
        + 0.1 * np.sqrt(np.abs(dx))
        + (20.0 * np.sin(6.0 * dx * pi) + 20.0 * np.sin(2.0 * dx * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(dx * pi) + 40.0 * np.sin(dx / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(dx / 12.0 * pi) + 300.0 * np.sin(dx / 30.0 * pi)) * 2.0 / 3.0
    )
    rad = np.radians(y)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad) * pi)
    inside = _in_gcj_box(x, y)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert WGS84/CGCS2000 lon/lat arrays to GCJ-02."""
    x, y = _arrays(lon, lat)
    ox, oy = _gcj_offset(x, y)
    return x + ox, y + oy


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert GCJ-02 lon/lat arrays to Baidu BD-09."""
    x, y = _arrays(lon, lat)
    k = np.pi * 3000.0 / 180.0
    z = np.hypot(x, y) + 0.00002 * np.sin(y * k)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * k)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert WGS84/CGCS2000 lon/lat arrays to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(
    forward: object, tx: Floats, ty: Floats, *, tol_deg: float, max_iter: int
) -> tuple[Floats, Floats]:
    """Solve forward(x, y) == (tx, ty) by fixed-point iteration, element-wise.

    Both obfuscations are a near-identity plus a slowly varying offset, so
    ``p <- p - (forward(p) - target)`` contracts quickly (3-5 rounds to 1e-10 degree).
    """
    fwd = forward  # typed loosely to accept either forward function
    x = tx.copy()
    y = ty.copy()
    for _ in range(max_iter):
        fx, fy = fwd(x, y)  # type: ignore[operator]
        ex = fx - tx
        ey = fy - ty
        x -= ex
        y -= ey
        if x.size == 0 or max(np.nanmax(np.abs(ex)), np.nanmax(np.abs(ey))) < tol_deg:
            break
    return x, y


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[Floats, Floats]:
    """Convert GCJ-02 lon/lat arrays to WGS84/CGCS2000 (iterative exact inverse)."""
    x, y = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, x, y, tol_deg=tol_deg, max_iter=max_iter)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[Floats, Floats]:
    """Convert BD-09 lon/lat arrays to GCJ-02 (iterative exact inverse)."""
    x, y = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, x, y, tol_deg=tol_deg, max_iter=max_iter)


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[Floats, Floats]:
    """Convert BD-09 lon/lat arrays to WGS84/CGCS2000 (iterative exact inverse)."""
    x, y = _arrays(lon, lat)
    return _invert(wgs84_to_bd09, x, y, tol_deg=tol_deg, max_iter=max_iter)


def to_cgcs2000(lon: ArrayLike, lat: ArrayLike, source: str) -> tuple[Floats, Floats]:
    """Convert lon/lat from ``source`` (wgs84, cgcs2000, gcj02, bd09) to CGCS2000.

    Raises
    ------
    CRSError
        If ``source`` is not one of :data:`SOURCE_SYSTEMS`.
    """
    key = normalise_source(source)
    if key in ("wgs84", "cgcs2000"):
        return _arrays(lon, lat)
    if key == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    return bd09_to_wgs84(lon, lat)


def from_cgcs2000(lon: ArrayLike, lat: ArrayLike, target: str) -> tuple[Floats, Floats]:
    """Convert CGCS2000 lon/lat to ``target`` (used for GCJ-02 basemaps and exports)."""
    key = normalise_source(target)
    if key in ("wgs84", "cgcs2000"):
        return _arrays(lon, lat)
    if key == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    return wgs84_to_bd09(lon, lat)


_SOURCE_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "ovital": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}


def normalise_source(source: str) -> str:
    """Map a user's name for a coordinate system to wgs84/cgcs2000/gcj02/bd09.

    Raises
    ------
    CRSError
        Naming the accepted values, if ``source`` is unknown.
    """
    key = _SOURCE_ALIASES.get(str(source).strip().lower())
    if key is None:
        raise CRSError(
            f"unknown source coordinate system {source!r}; expected one of "
            f"{', '.join(SOURCE_SYSTEMS)} (or amap/tencent/ovital for gcj02, baidu for bd09)"
        )
    return key


# --- projected CRS for metric work ------------------------------------------------------


def gk3_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Kruger zone (no false-easting prefix) for ``lon``.

    Raises
    ------
    CRSError
        If ``lon`` is outside the zones covering China (73.5E-136.5E).
    """
    cm = round(lon / 3.0) * 3
    if not 75 <= cm <= 135:
        raise CRSError(f"longitude {lon!r} is outside China's Gauss-Kruger zones (75E-135E)")
    return 4534 + (cm - 75) // 3


def projected_crs_for(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The Gauss-Kruger zone CRS for a geographic GeoDataFrame, from its centroid.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    """
    require_crs(gdf)
    geo = gdf if gdf.crs.is_geographic else gdf.to_crs(CGCS2000)
    minx, _miny, maxx, _maxy = geo.total_bounds
    return pyproj.CRS.from_epsg(gk3_epsg((minx + maxx) / 2.0))


def workspace_crs(ws: Any) -> pyproj.CRS:
    """The projected CRS chosen for a workspace's metric work (``ws.meta``), else the
    Gauss-Kruger zone of its county outline."""
    epsg = ws.meta.get("projected_epsg") or ws.meta.get("projected_crs", "").removeprefix("EPSG:")
    if epsg and str(epsg).isdigit():
        return pyproj.CRS.from_epsg(int(epsg))
    return projected_crs_for(ws.county)


def require_crs(gdf: gpd.GeoDataFrame, *, what: str = "layer") -> None:
    """Raise CRSError if ``gdf`` has no CRS."""
    if gdf.crs is None:
        raise CRSError(f"{what} has no coordinate reference system; set one (e.g. EPSG:4490)")


def require_projected(gdf: gpd.GeoDataFrame, *, what: str = "layer") -> None:
    """Raise CRSError unless ``gdf`` is in a projected CRS (distances in metres)."""
    require_crs(gdf, what=what)
    if not gdf.crs.is_projected:
        raise CRSError(
            f"{what} is in geographic CRS {gdf.crs.to_string()}; project it first "
            "(gridgov.crs.to_projected) before measuring distances"
        )


def to_projected(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | str | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` in ``crs`` or, by default, in its Gauss-Kruger zone (index kept)."""
    require_crs(gdf)
    target = crs if crs is not None else projected_crs_for(gdf)
    return gdf.to_crs(target)


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Floats:
    """Great-circle distance in metres (only for checking conversions, not for analysis)."""
    x1, y1 = _arrays(lon1, lat1)
    x2, y2 = _arrays(lon2, lat2)
    p1, p2 = np.radians(y1), np.radians(y2)
    dp = p2 - p1
    dl = np.radians(x2 - x1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))
