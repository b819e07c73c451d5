"""Where features lie: inside the county outline, stations in townships, settlements in
their village, township seats in their township.

Distances to the outline are measured in the county's Gauss-Kruger zone; containment is
tested in CGCS2000 with a densified, buffered outline so that the tolerance is metres.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov import crs as _crs
from gridgov._arrays import Bools
from gridgov._errors import Problem
from gridgov._validate.values import RowLabels, point_text
from gridgov.messages import text
from gridgov.model import LAYERS
from gridgov.settings import Settings

__all__ = ["is_cgcs2000", "spatial_problems"]


# Densify the buffered county before taking it back to degrees, so that straight edges in
# metres stay within centimetres of the true outline.
_SEGMENT_M = 200.0


def is_cgcs2000(crs: pyproj.CRS | None) -> bool:
    return crs is not None and bool(pyproj.CRS(crs).equals(pyproj.CRS(_crs.CGCS2000)))


def _usable(gdf: gpd.GeoDataFrame, *, in_china: bool = False) -> Bools:
    """Geometries that spatial predicates can be run on (present, non-empty, valid).

    With ``in_china``, also only those inside China: the others are reported by
    :func:`clean_layer` already, and a Gauss-Kruger zone cannot measure them anyway.
    """
    arr = np.asarray(gdf.geometry.array, dtype=object)
    ok = ~shapely.is_missing(arr)
    ok[ok] = ~shapely.is_empty(arr[ok]) & shapely.is_valid(arr[ok])
    if in_china and ok.any():
        bounds = shapely.bounds(arr[ok])
        ok[ok] = _crs.in_china(bounds[:, 0], bounds[:, 1]) & _crs.in_china(
            bounds[:, 2], bounds[:, 3]
        )
    return ok


def spatial_problems(layers: dict[str, gpd.GeoDataFrame], settings: Settings) -> list[Problem]:
    county = layers.get("county")
    if county is None or county.crs is None or not is_cgcs2000(county.crs) or len(county) == 0:
        return []
    usable = _usable(county)
    if not usable.all():
        return []  # the county outline itself is broken; that is already reported
    problems: list[Problem] = []
    projected = _crs.projected_crs_for(county)
    outline_m = shapely.union_all(np.asarray(county.to_crs(projected).geometry.array))
    outline_m = shapely.make_valid(outline_m)
    tolerance_m = float(settings.outside_tolerance_m)
    allowed_m = shapely.segmentize(shapely.buffer(outline_m, tolerance_m), _SEGMENT_M)
    allowed = gpd.GeoSeries([allowed_m], crs=projected).to_crs(_crs.CGCS2000).iloc[0]
    shapely.prepare(allowed)
    shapely.prepare(outline_m)
    to_metres = pyproj.Transformer.from_crs(_crs.CGCS2000, projected, always_xy=True)

    for name, gdf in layers.items():
        if name == "county" or gdf.crs is None or not is_cgcs2000(gdf.crs) or gdf.empty:
            continue
        problems.extend(
            _outside_problems(
                name,
                gdf,
                allowed,
                outline_m,
                to_metres,
                tolerance_m,
                severity=_outside_severity(name),
            )
        )
    problems.extend(_station_township_problems(layers))
    problems.extend(_settlement_village_problems(layers))
    problems.extend(_seat_problems(layers))
    return problems


def _outside_severity(layer: str) -> str:
    # Road networks run past the county border by design (the nearest bridge may be in the
    # next county); every other layer describes things in the county.
    return "warning" if layer == "roads" else "error"


def _outside_problems(
    name: str,
    gdf: gpd.GeoDataFrame,
    allowed: shapely.Geometry,
    outline_m: shapely.Geometry,
    to_metres: pyproj.Transformer,
    tolerance_m: float,
    *,
    severity: str,
) -> list[Problem]:
    positions = np.flatnonzero(_usable(gdf, in_china=True))
    if positions.size == 0:
        return []
    arr = np.asarray(gdf.geometry.array, dtype=object)[positions]
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    inside = shapely.contains_xy(allowed, coords[:, 0], coords[:, 1])
    if inside.all():
        return []
    out_xy = coords[~inside]
    out_owner = owner[~inside]
    mx, my = to_metres.transform(out_xy[:, 0], out_xy[:, 1])
    dist = shapely.distance(outline_m, shapely.points(mx, my))
    # The farthest stray vertex of each geometry tells the user how far off it is.
    order = np.lexsort((-dist, out_owner))
    first = np.ones(order.size, dtype=bool)
    first[1:] = out_owner[order][1:] != out_owner[order][:-1]
    picked = order[first]
    rows = RowLabels(gdf, LAYERS[name])
    problems: list[Problem] = []
    for k in picked:
        pos = positions[out_owner[k]]
        message = text(
            "validate.outside_county",
            distance_m=f"{dist[k]:,.0f}",
            tolerance_m=f"{tolerance_m:,.0f}",
        )
        where = point_text(out_xy[k, 0], out_xy[k, 1])
        problems.append(rows.problem(name, pos, "geometry", where, message, severity))
    return problems


def _station_township_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    stations, townships = layers.get("stations"), layers.get("townships")
    if stations is None or townships is None or stations.empty or townships.empty:
        return []
    if not (is_cgcs2000(stations.crs) and is_cgcs2000(townships.crs)):
        return []
    t_usable = np.flatnonzero(_usable(townships))
    s_usable = np.flatnonzero(_usable(stations, in_china=True))
    if t_usable.size == 0 or s_usable.size == 0:
        return []
    t_geoms = np.asarray(townships.geometry.array, dtype=object)[t_usable]
    s_geoms = np.asarray(stations.geometry.array, dtype=object)[s_usable]
    tree = shapely.STRtree(t_geoms)
    hits = tree.query(s_geoms, predicate="intersects")
    t_codes = (
        townships["code"].astype(str).to_numpy()[t_usable]
        if "code" in townships.columns
        else np.full(t_usable.size, "", dtype=object)
    )
    t_names = (
        townships["name"].astype(str).to_numpy()[t_usable]
        if "name" in townships.columns
        else t_codes
    )
    rows = RowLabels(stations, LAYERS["stations"])
    claimed = (
        stations["township_code"].to_numpy(dtype=object)[s_usable]
        if "township_code" in stations.columns
        else np.full(s_usable.size, None, dtype=object)
    )
    station_of, township_of = hits
    has_hit = np.zeros(s_usable.size, dtype=bool)
    has_hit[station_of] = True
    matched = np.zeros(s_usable.size, dtype=bool)
    np.logical_or.at(matched, station_of, t_codes[township_of] == claimed[station_of])
    # Reversed assignment leaves each station's first hit in place.
    first_hit = np.full(s_usable.size, -1)
    first_hit[station_of[::-1]] = township_of[::-1]
    claims = ~pd.isna(claimed)
    xy = shapely.get_coordinates(s_geoms)
    problems: list[Problem] = []
    nowhere = text("validate.station_no_township")
    for i in np.flatnonzero(~has_hit):
        problems.append(
            rows.problem("stations", s_usable[i], "geometry", point_text(*xy[i]), nowhere)
        )
    for i in np.flatnonzero(has_hit & claims & ~matched):
        t = first_hit[i]
        message = text(
            "validate.station_other_township", name=t_names[t], code=t_codes[t], claimed=claimed[i]
        )
        problems.append(
            rows.problem(
                "stations",
                s_usable[i],
                "township_code",
                claimed[i],
                message,
                "warning",
                suggestion=str(t_codes[t]),
            )
        )
    return problems


def _member_mismatch(
    children: gpd.GeoDataFrame,
    child_field: str,
    parents: gpd.GeoDataFrame,
    parent_field: str,
) -> Sequence[int]:
    """Positions of child points that do not lie in the parent polygon their code names."""
    if child_field not in children.columns or parent_field not in parents.columns:
        return []
    p_ok = _usable(parents)
    lookup = pd.Series(
        np.asarray(parents.geometry.array, dtype=object)[p_ok],
        index=parents[parent_field].astype(str).to_numpy()[p_ok],
    )
    lookup = lookup[~lookup.index.duplicated()]
    codes = children[child_field].astype(str)
    c_ok = _usable(children) & codes.isin(lookup.index).to_numpy()
    positions = np.flatnonzero(c_ok)
    if positions.size == 0:
        return []
    polygons = lookup.reindex(codes.to_numpy()[positions]).to_numpy()
    points = np.asarray(children.geometry.array, dtype=object)[positions]
    inside = shapely.intersects(polygons, points)
    return [int(p) for p in positions[~inside]]


def _settlement_village_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    settlements, villages = layers.get("settlements"), layers.get("villages")
    if settlements is None or villages is None or settlements.empty or villages.empty:
        return []
    if not (is_cgcs2000(settlements.crs) and is_cgcs2000(villages.crs)):
        return []
    rows = RowLabels(settlements, LAYERS["settlements"])
    message = text("validate.settlement_outside")
    return [
        rows.problem(
            "settlements",
            pos,
            "village_code",
            settlements["village_code"].iloc[pos],
            message,
            "warning",
        )
        for pos in _member_mismatch(settlements, "village_code", villages, "code")
    ]


def _seat_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    townships = layers.get("townships")
    if townships is None or townships.empty or not is_cgcs2000(townships.crs):
        return []
    if not {"seat_lon", "seat_lat"} <= set(townships.columns):
        return []
    lon = pd.to_numeric(townships["seat_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(townships["seat_lat"], errors="coerce").to_numpy(dtype=float)
    usable = _usable(townships) & np.isfinite(lon) & np.isfinite(lat)
    positions = np.flatnonzero(usable)
    if positions.size == 0:
        return []
    arr = np.asarray(townships.geometry.array, dtype=object)[positions]
    inside = shapely.intersects_xy(arr, lon[positions], lat[positions])
    rows = RowLabels(townships, LAYERS["townships"])
    message = text("validate.seat_outside")
    return [
        rows.problem(
            "townships", pos, "seat_lon", point_text(lon[pos], lat[pos]), message, "warning"
        )
        for pos in positions[~inside]
    ]
