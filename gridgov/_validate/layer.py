"""One layer against its schema: columns, values, unique keys, geometries, coordinates.

Geometry checks are vectorised with shapely 2: missing or empty geometries, the wrong
type, invalid ones (repaired with ``make_valid`` when asked), and coordinates outside China
or with longitude and latitude swapped.
"""

from __future__ import annotations

from collections.abc import Hashable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov import crs as _crs
from gridgov._arrays import Bools, Objects
from gridgov._errors import Problem
from gridgov._validate.values import RowLabels, as_text, coerce_values, point_text
from gridgov.model import LAYERS, LayerSchema

__all__ = ["clean_layer"]


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def clean_layer(
    gdf: gpd.GeoDataFrame, schema_name: str, *, fix: bool = False, label: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check one layer against its schema and return it cleaned, with every problem found.

    Checks: CRS present; required columns present; values of the schema's kinds, codes of
    the right length, enum values that parse, numbers at or above their minimum; keys
    unique; geometries present, non-empty, of the layer's type and valid (repaired with
    :func:`shapely.make_valid` when ``fix`` is true, reported as a warning); coordinates
    inside China and not swapped.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer, columns named as in :data:`gridgov.model.LAYERS`.
    schema_name : str
        Key of :data:`gridgov.model.LAYERS` (``"villages"``).
    fix : bool, default False
        Repair invalid geometries instead of reporting them as errors.
    label : str, optional
        Name to report problems under, such as the source file name; defaults to
        ``schema_name``.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        The cleaned layer (same index and CRS) and all problems, errors and warnings.

    Raises
    ------
    KeyError
        If ``schema_name`` is not a workspace layer.
    """
    schema = LAYERS[schema_name]
    where = label or schema_name
    problems: list[Problem] = []
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        problems.append(Problem(where, None, "geometry", None, "the layer has no geometry column"))
        table, found = coerce_values(pd.DataFrame(gdf), schema_name, label=where)
        return gpd.GeoDataFrame(table), [*problems, *found]
    if gdf.crs is None:
        problems.append(
            Problem(
                where,
                None,
                None,
                None,
                "missing CRS: the file does not say which coordinate system it uses "
                "(add a .prj, or name it with --source-crs wgs84/cgcs2000/gcj02/bd09)",
            )
        )
    missing = [c for c in schema.columns if c.required and c.name not in gdf.columns]
    for col in missing:
        problems.append(
            Problem(
                where,
                None,
                col.name,
                None,
                f"required column {col.name} ({col.label_zh}) is missing; "
                f"columns present: {', '.join(map(str, gdf.columns.drop(gdf.geometry.name)))}",
            )
        )
    coerced, found = coerce_values(gdf, schema_name, label=where)
    cleaned: gpd.GeoDataFrame = coerced
    problems.extend(found)
    rows = RowLabels(cleaned, schema)
    problems.extend(_duplicate_problems(cleaned, schema, where))
    geometry, found = _geometry_problems(cleaned.geometry, schema, where, rows, fix=fix)
    problems.extend(found)
    cleaned = cleaned.set_geometry(geometry)
    return cleaned, problems


def _duplicate_problems(df: pd.DataFrame, schema: LayerSchema, where: str) -> list[Problem]:
    problems = []
    names = as_text(df["name"]) if "name" in df.columns else None
    for col in schema.columns:
        if not col.unique or col.name not in df.columns:
            continue
        values = df[col.name]
        dup = (values.notna() & values.duplicated(keep=False)).to_numpy()
        if not dup.any():
            continue
        first: dict[Hashable, int] = {}
        for pos in np.flatnonzero(dup):
            value = values.iloc[pos]
            if value not in first:
                first[value] = int(pos)
                continue
            p0 = first[value]
            who = ""
            if names is not None:
                who = f" ({names.iloc[p0]} and {names.iloc[pos]})"
            problems.append(
                Problem(
                    where,
                    int(pos),
                    col.name,
                    value,
                    f"duplicate {col.name}: rows {p0} and {pos} both use it{who}",
                )
            )
    return problems


def _geometry_problems(
    geoms: gpd.GeoSeries, schema: LayerSchema, where: str, rows: RowLabels, *, fix: bool
) -> tuple[gpd.GeoSeries, list[Problem]]:
    problems: list[Problem] = []
    arr: Objects = np.asarray(geoms.array, dtype=object)
    missing = shapely.is_missing(arr)
    empty = ~missing & shapely.is_empty(arr)
    for pos in np.flatnonzero(missing | empty):
        what = "missing" if missing[pos] else "empty"
        problems.append(Problem(where, rows[pos], "geometry", None, f"geometry is {what}"))
    present = ~(missing | empty)

    type_ids = shapely.get_type_id(arr)
    allowed_ids = [k for k, v in _TYPE_NAMES.items() if v in schema.geometry]
    wrong_type = present & ~np.isin(type_ids, allowed_ids)
    for pos in np.flatnonzero(wrong_type):
        problems.append(
            Problem(
                where,
                rows[pos],
                "geometry",
                _TYPE_NAMES.get(int(type_ids[pos]), "?"),
                f"{schema.name} must be {' or '.join(schema.geometry)} geometries",
            )
        )

    checkable = present & ~wrong_type
    invalid = checkable & ~shapely.is_valid(arr)
    if invalid.any():
        bad = np.flatnonzero(invalid)
        reasons = shapely.is_valid_reason(arr[bad])
        if fix:
            method = "structure" if "Polygon" in schema.geometry else "linework"
            repaired = shapely.make_valid(arr[bad], method=method, keep_collapsed=False)
            if "Polygon" in schema.geometry:
                repaired = _polygonal(repaired)
            arr = arr.copy()
            for pos, reason, geom in zip(bad, reasons, repaired, strict=True):
                if geom is None or shapely.is_empty(geom):
                    problems.append(
                        Problem(
                            where,
                            rows[pos],
                            "geometry",
                            reason,
                            "invalid geometry could not be repaired (nothing left after make_valid)",
                        )
                    )
                    continue
                arr[pos] = geom
                problems.append(
                    Problem(
                        where,
                        rows[pos],
                        "geometry",
                        reason,
                        "invalid geometry repaired with make_valid",
                        "warning",
                    )
                )
        else:
            for pos, reason in zip(bad, reasons, strict=True):
                problems.append(
                    Problem(
                        where,
                        rows[pos],
                        "geometry",
                        reason,
                        f"invalid geometry: {reason} (repair it, or load with --fix)",
                    )
                )

    if geoms.crs is not None and checkable.any():
        problems.extend(_coordinate_problems(arr, checkable, geoms.crs, where, rows))
    return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs, name=geoms.name), problems


def _polygonal(geoms: Objects) -> Objects:
    """Keep only the polygonal parts of repaired geometries (collections can appear)."""
    out = geoms.copy()
    collections = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    for pos in collections:
        parts = shapely.get_parts(geoms[pos])
        polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        out[pos] = shapely.union_all(polys) if len(polys) else None
    return out


def _coordinate_problems(
    arr: Objects, mask: Bools, crs: pyproj.CRS, where: str, rows: RowLabels
) -> list[Problem]:
    """Coordinates outside China or with longitude and latitude swapped (checked in degrees)."""
    positions = np.flatnonzero(mask)
    bounds = shapely.bounds(arr[positions])
    if not pyproj.CRS(crs).is_geographic:
        transformer = pyproj.Transformer.from_crs(crs, _crs.CGCS2000, always_xy=True)
        x0, y0 = transformer.transform(bounds[:, 0], bounds[:, 1])
        x1, y1 = transformer.transform(bounds[:, 2], bounds[:, 3])
        bounds = np.column_stack([x0, y0, x1, y1])
    x0, y0, x1, y1 = bounds.T
    inside = _crs.in_china(x0, y0) & _crs.in_china(x1, y1)
    swapped = _crs.looks_swapped(x0, y0) & _crs.looks_swapped(x1, y1)
    problems = []
    for i in np.flatnonzero(~inside):
        pos = positions[i]
        if swapped[i]:
            message = "longitude and latitude look swapped (the point lands in China if exchanged)"
        else:
            message = "coordinates are outside China (check the coordinate system and units)"
        problems.append(Problem(where, rows[pos], "geometry", point_text(x0[i], y0[i]), message))
    return problems
