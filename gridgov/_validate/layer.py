"""One layer against its schema: columns, values, unique keys, geometries, coordinates.

Geometry checks are vectorised with shapely 2: missing or empty geometries, the wrong
type, invalid ones (repaired with ``make_valid`` when asked), and coordinates outside China
or with longitude and latitude swapped. What a layer alone can derive (a station's kind
from its tier and industry) is derived here and said in a note.
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
from gridgov._validate.derive import derive_kind
from gridgov._validate.source import IGNORED_COLUMNS, MATCHED_BY_VALUES, NOTE, Finding
from gridgov._validate.values import (
    DERIVED_LATER,
    RowLabels,
    as_text,
    coerce_values,
    point_text,
)
from gridgov._validate.vocabulary import closest, field_term, layer_term
from gridgov.messages import Items, Term, text
from gridgov.model import LAYERS, LayerSchema

__all__ = ["clean_layer"]


_GEOMETRY_TERMS = {
    "Polygon": Term("面（Polygon 或 MultiPolygon）", "Polygon or MultiPolygon"),
    "Point": Term("点（Point）", "Point"),
    "LineString": Term("线（LineString 或 MultiLineString）", "LineString or MultiLineString"),
}
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
    problems: list[Problem] = _column_notes(gdf, schema_name, where)
    deferred = {c for layer, c in DERIVED_LATER if layer == schema_name}
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        message = text("validate.no_geometry")
        problems.append(Finding(where, None, "geometry", None, message))
        table, found = coerce_values(pd.DataFrame(gdf), schema_name, label=where, deferred=deferred)
        return gpd.GeoDataFrame(table), [*problems, *found]
    if gdf.crs is None:
        problems.append(Finding(where, None, None, None, text("validate.missing_crs")))
    gdf, notes = derive_kind(gdf, schema_name, where)
    problems.extend(notes)
    problems.extend(_missing_columns(gdf, schema, where, deferred))
    coerced, found = coerce_values(gdf, schema_name, label=where, deferred=deferred)
    cleaned: gpd.GeoDataFrame = coerced
    problems.extend(found)
    rows = RowLabels(cleaned, schema)
    problems.extend(_duplicate_problems(cleaned, schema, where, rows))
    geometry, found = _geometry_problems(cleaned.geometry, schema, where, rows, fix=fix)
    problems.extend(found)
    cleaned = cleaned.set_geometry(geometry)
    for key in (MATCHED_BY_VALUES, IGNORED_COLUMNS):
        cleaned.attrs.pop(key, None)  # said once, here
    return cleaned, problems


def _column_notes(gdf: pd.DataFrame, layer: str, where: str) -> list[Problem]:
    """Notes on headers read by their values (类型) and row-number columns dropped (序号)."""
    notes: list[Problem] = []
    for header, field in dict(gdf.attrs.get(MATCHED_BY_VALUES) or {}).items():
        message = text(
            "note.column_by_values", file=where, header=header, column=field_term(layer, field)
        )
        notes.append(Finding(where, None, field, header, message, NOTE, column=str(header)))
    ignored = list(gdf.attrs.get(IGNORED_COLUMNS) or ())
    if ignored:
        message = text("note.ignored_columns", file=where, headers=Items(ignored))
        notes.append(Finding(where, None, None, None, message, NOTE))
    return notes


def _missing_columns(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, where: str, deferred: set[str]
) -> list[Problem]:
    """Required columns absent, each with the unrecognised header closest to it, if any."""
    present = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    unknown = [c for c in present if c not in schema.names]
    problems: list[Problem] = []
    for col in schema.columns:
        if not col.required or col.name in gdf.columns or col.name in deferred:
            continue
        near = closest(col.label_zh, unknown) or closest(col.name, unknown)
        message = text(
            "validate.required_column",
            column=field_term(schema.name, col.name),
            present=", ".join(present),
        )
        problems.append(
            Finding(where, None, col.name, None, message, suggestion=near[0] if near else None)
        )
    return problems


def _duplicate_problems(
    df: pd.DataFrame, schema: LayerSchema, where: str, rows: RowLabels
) -> list[Problem]:
    problems: list[Problem] = []
    names = as_text(df["name"]) if "name" in df.columns else None
    for col in schema.columns:
        if not col.unique or col.name not in df.columns:
            continue
        values = df[col.name]
        dup = (values.notna() & values.duplicated(keep=False)).to_numpy()
        if not dup.any():
            continue
        term = field_term(schema.name, col.name)
        first: dict[Hashable, int] = {}
        for pos in np.flatnonzero(dup):
            value = values.iloc[pos]
            if value not in first:
                first[value] = int(pos)
                continue
            p0 = first[value]
            if names is not None:
                message = text(
                    "validate.duplicate_named",
                    column=term,
                    first=rows[p0],
                    second=rows[pos],
                    first_name=names.iloc[p0],
                    second_name=names.iloc[pos],
                )
            else:
                message = text("validate.duplicate", column=term, first=rows[p0], second=rows[pos])
            problems.append(rows.problem(where, pos, col.name, value, message))
    return problems


def _geometry_problems(
    geoms: gpd.GeoSeries, schema: LayerSchema, where: str, rows: RowLabels, *, fix: bool
) -> tuple[gpd.GeoSeries, list[Problem]]:
    problems: list[Problem] = []
    arr: Objects = np.asarray(geoms.array, dtype=object)
    missing = shapely.is_missing(arr)
    empty = ~missing & shapely.is_empty(arr)
    for pos in np.flatnonzero(missing | empty):
        key = "validate.geometry_missing" if missing[pos] else "validate.geometry_empty"
        problems.append(rows.problem(where, pos, "geometry", None, text(key)))
    present = ~(missing | empty)

    type_ids = shapely.get_type_id(arr)
    allowed_ids = [k for k, v in _TYPE_NAMES.items() if v in schema.geometry]
    wrong_type = present & ~np.isin(type_ids, allowed_ids)
    types = _GEOMETRY_TERMS[schema.geometry[0]]
    for pos in np.flatnonzero(wrong_type):
        message = text("validate.geometry_type", layer=layer_term(schema.name), types=types)
        found = _TYPE_NAMES.get(int(type_ids[pos]), "?")
        problems.append(rows.problem(where, pos, "geometry", found, message))

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
                    message = text("validate.geometry_unrepairable")
                    problems.append(rows.problem(where, pos, "geometry", reason, message))
                    continue
                arr[pos] = geom
                message = text("validate.geometry_repaired")
                problems.append(rows.problem(where, pos, "geometry", reason, message, "warning"))
        else:
            for pos, reason in zip(bad, reasons, strict=True):
                message = text("validate.geometry_invalid", reason=reason)
                problems.append(rows.problem(where, pos, "geometry", reason, message))

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
    problems: list[Problem] = []
    for i in np.flatnonzero(~inside):
        pos = positions[i]
        message = text("validate.swapped" if swapped[i] else "validate.outside_china")
        problems.append(rows.problem(where, pos, "geometry", point_text(x0[i], y0[i]), message))
    return problems
