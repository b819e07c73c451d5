"""What can be derived is derived, and said: a planner's file need not spell out what the
other layers already know.

- A station's ``kind`` (区域/行业) when the file has no such column: industry when it names
  an industry or its tier does (行业联络站), regional otherwise (:func:`derive_kind`).
- References by name: a station's 所属乡镇 written 章华镇 (or 章华, without the 镇/乡/街道
  suffix) is the township whose name that is, when exactly one is; a deputy's 所属联络站
  written as the station's name is that station's id. A name that fits several is an error
  naming the candidates (:func:`resolve_references`).
- A required code left empty: a village's township from the first nine digits of its own
  code, a station's from its village code, and otherwise the township (or village) the
  feature lies in.

Every derivation comes back as a note (a :class:`~gridgov._validate.source.Finding` of
severity ``"note"``) counting the rows it changed and showing an example, so the planner
can check it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov._errors import Problem
from gridgov._validate.source import NOTE, Finding
from gridgov._validate.values import DERIVED_LATER, RowLabels, as_text
from gridgov._validate.vocabulary import field_term, layer_term
from gridgov.messages import Items, Term, text
from gridgov.model import LAYERS

__all__ = ["REFERENCE_TERMS", "derive_kind", "resolve_references"]

#: How a reference column is named in messages where its own label would mislead.
REFERENCE_TERMS: dict[tuple[str, str], Term] = {
    ("deputies", "station_id"): Term("所属站点", "station"),
    ("stations", "parent_station_id"): Term("上级站点", "parent station"),
}

_INDUSTRY_WORDS = re.compile("行业|产业")


def derive_kind(
    gdf: gpd.GeoDataFrame, layer: str, where: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Stations without a ``kind`` column get one from their tier and industry, said in a note.

    Industry where the industry cell is filled or the tier names an industry (行业联络站,
    产业链联络站); regional otherwise. Other layers, and stations that have the column,
    come back as they are.
    """
    if layer != "stations" or "kind" in gdf.columns or "tier" not in gdf.columns:
        return gdf, []
    tier = as_text(gdf["tier"])
    # np.array copies: pandas 3 hands out read-only views
    industry = np.array(tier.str.contains(_INDUSTRY_WORDS, na=False), dtype=bool)
    if "industry" in gdf.columns:
        industry = industry | np.array(as_text(gdf["industry"]).notna(), dtype=bool)
    out = gdf.copy()
    out["kind"] = np.where(industry, "industry", "regional")
    n_industry = int(industry.sum())
    message = text(
        "note.kind_derived", file=where, regional=len(out) - n_industry, industry=n_industry
    )
    return out, [Finding(where, None, "kind", None, message, NOTE)]


# --- references ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    child: str
    field: str
    parent: str
    key: str
    #: a column of the child whose leading digits are the parent's code (villages.code)
    prefix: str | None = None
    #: derive empty cells from the parent polygon the feature lies in
    polygon: bool = False


# Order matters: a station's village is resolved before its township is derived from it.
_REFERENCES = (
    _Reference("villages", "township_code", "townships", "code", prefix="code", polygon=True),
    _Reference("stations", "village_code", "villages", "code"),
    _Reference(
        "stations", "township_code", "townships", "code", prefix="village_code", polygon=True
    ),
    _Reference("settlements", "village_code", "villages", "code", polygon=True),
    _Reference("grids", "village_code", "villages", "code", polygon=True),
    _Reference("stations", "parent_station_id", "stations", "station_id"),
    _Reference("deputies", "station_id", "stations", "station_id"),
)
# Suffixes a planner may leave off a name (章华 for 章华镇), longest first.
_SUFFIXES = {
    "townships": ("街道办事处", "民族乡", "办事处", "街道", "镇", "乡"),
    "villages": ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村"),
}
_CODE_LENGTH = {"townships": 9, "villages": 12}


def _name_key(value: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _strip(key: str, parent: str) -> str:
    for suffix in _SUFFIXES.get(parent, ()):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def resolve_references(
    layers: Mapping[str, gpd.GeoDataFrame], *, labels: Mapping[str, str] | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    """Resolve references written as names, and derive required codes left empty.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Cleaned layers (:func:`~gridgov._validate.clean_layer`) by layer name.
    labels : mapping of str to str, optional
        Name to report a layer's problems and notes under (its source file).

    Returns
    -------
    (dict, list of Problem)
        The layers with references replaced by codes and ids (the others as given), and
        the notes saying what was derived plus the errors: a name that fits several
        features (naming them), a required code that could not be derived. A name that
        fits nothing is left for :func:`~gridgov._validate.relation_problems` to report.
    """
    out = dict(layers)
    labels = labels or {}
    problems: list[Problem] = []
    for ref in _REFERENCES:
        child = out.get(ref.child)
        if child is None:
            continue
        where = labels.get(ref.child, ref.child)
        parent = out.get(ref.parent)
        derivable = (ref.child, ref.field) in DERIVED_LATER
        if parent is None or ref.key not in parent.columns:
            if derivable and ref.field not in child.columns:
                message = text(
                    "validate.cannot_derive",
                    column=field_term(ref.child, ref.field),
                    layer=layer_term(ref.parent),
                )
                problems.append(Finding(where, None, ref.field, None, message))
            continue
        values, found = _resolve(child, parent, ref, where)
        problems.extend(found)
        if derivable:
            values, found = _derive_empty(child, values, parent, ref, where)
            problems.extend(found)
        if ref.field not in child.columns or not values.equals(as_text(child[ref.field])):
            child = child.copy()
            child[ref.field] = values
            out[ref.child] = child
    return out, problems


def _resolve(
    child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame, ref: _Reference, where: str
) -> tuple[pd.Series, list[Problem]]:
    """The reference column with names replaced by keys; notes and ambiguity errors."""
    if ref.field not in child.columns:
        return pd.Series(pd.NA, index=child.index, dtype="str"), []
    values = as_text(child[ref.field])
    keys = as_text(parent[ref.key])
    todo = values.notna() & ~values.isin(set(keys.dropna()))
    if not todo.any() or "name" not in parent.columns:
        return values, []
    names = as_text(parent["name"])
    exact: dict[str, list[int]] = {}
    loose: dict[str, list[int]] = {}
    for pos, name in enumerate(names.to_numpy(dtype=object)):
        if pd.isna(name) or pd.isna(keys.iloc[pos]):
            continue
        key = _name_key(name)
        exact.setdefault(key, []).append(pos)
        loose.setdefault(_strip(key, ref.parent), []).append(pos)
    within = _within_column(child, ref)
    rows = RowLabels(child, LAYERS[ref.child])
    term = REFERENCE_TERMS.get((ref.child, ref.field)) or field_term(ref.child, ref.field)
    resolved = values.copy()
    changed: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for at in np.flatnonzero(todo.to_numpy()):
        pos = int(at)
        value = str(values.iloc[pos])
        key = _name_key(value)
        found = exact.get(key) or loose.get(_strip(key, ref.parent)) or []
        if len(found) > 1 and within is not None and pd.notna(within.iloc[pos]):
            # two 新建村 in two townships: the one in the row's own township
            prefix = str(within.iloc[pos])
            narrowed = [p for p in found if str(keys.iloc[p]).startswith(prefix)]
            found = narrowed or found
        if len(found) == 1:
            resolved.iloc[pos] = keys.iloc[found[0]]
            changed.append((value, str(keys.iloc[found[0]])))
        elif len(found) > 1:
            candidates = Items([f"{names.iloc[p]}（{keys.iloc[p]}）" for p in found])
            message = text(
                "validate.ambiguous_name",
                column=term,
                value=value,
                layer=layer_term(ref.parent),
                candidates=candidates,
            )
            problems.append(rows.problem(where, pos, ref.field, value, message))
    if changed:
        example, code = changed[0]
        message = text(
            "note.code_by_name" if ref.parent != "stations" else "note.id_by_name",
            file=where,
            count=len(changed),
            column=term,
            layer=layer_term(ref.parent),
            example=example,
            code=code,
        )
        problems.append(Finding(where, None, ref.field, None, message, NOTE))
    return resolved, problems


def _within_column(child: gpd.GeoDataFrame, ref: _Reference) -> pd.Series | None:
    """For village names: the row's township code, which narrows two villages of one name."""
    if ref.parent != "villages" or "township_code" not in child.columns:
        return None
    codes = as_text(child["township_code"])
    return codes.where(codes.str.fullmatch(r"\d{9}", na=False))


def _derive_empty(
    child: gpd.GeoDataFrame,
    values: pd.Series,
    parent: gpd.GeoDataFrame,
    ref: _Reference,
    where: str,
) -> tuple[pd.Series, list[Problem]]:
    """Fill empty cells of a required code from a longer code, else from the parent polygon."""
    empty = np.array(values.isna(), dtype=bool)
    if not empty.any():
        return values, []
    values = values.copy()
    problems: list[Problem] = []
    term = field_term(ref.child, ref.field)
    keys = set(as_text(parent[ref.key]).dropna())
    if ref.prefix is not None and ref.prefix in child.columns:
        length = _CODE_LENGTH[ref.parent]
        longer = as_text(child[ref.prefix]).str.slice(0, length)
        fill = empty & np.array(longer.isin(keys), dtype=bool)
        if fill.any():
            values[fill] = longer[fill]
            empty &= ~fill
            message = text(
                "note.code_by_code",
                file=where,
                count=int(fill.sum()),
                column=term,
                source=field_term(ref.child, ref.prefix),
                length=length,
            )
            problems.append(Finding(where, None, ref.field, None, message, NOTE))
    if ref.polygon and empty.any():
        found = _containing(child, np.flatnonzero(empty), parent, ref.key)
        hit = np.flatnonzero(empty)[found >= 0]
        if hit.size:
            codes = as_text(parent[ref.key]).to_numpy(dtype=object)
            values.iloc[hit] = codes[found[found >= 0]]
            empty[hit] = False
            message = text(
                "note.code_by_polygon",
                file=where,
                count=int(hit.size),
                column=term,
                layer=layer_term(ref.parent),
            )
            problems.append(Finding(where, None, ref.field, None, message, NOTE))
    if empty.any():
        rows = RowLabels(child, LAYERS[ref.child])
        message = text("validate.outside_parent", column=term, layer=layer_term(ref.parent))
        for pos in np.flatnonzero(empty):
            problems.append(rows.problem(where, pos, ref.field, None, message))
    return values, problems


def _containing(
    child: gpd.GeoDataFrame, positions: np.ndarray, parent: gpd.GeoDataFrame, key: str
) -> np.ndarray:
    """For each child position, the position in ``parent`` of the polygon it lies in, or -1."""
    found = np.full(positions.size, -1, dtype=np.int64)
    if child.crs is None or parent.crs is None or "geometry" not in parent:
        return found
    if not pyproj.CRS(parent.crs).equals(pyproj.CRS(child.crs)):
        parent = parent.to_crs(child.crs)
    p_geoms = np.asarray(parent.geometry.array, dtype=object)
    p_ok = ~shapely.is_missing(p_geoms)
    p_ok[p_ok] = ~shapely.is_empty(p_geoms[p_ok]) & shapely.is_valid(p_geoms[p_ok])
    p_ok = p_ok & np.array(as_text(parent[key]).notna(), dtype=bool)
    c_geoms = np.asarray(child.geometry.array, dtype=object)[positions]
    c_ok = ~shapely.is_missing(c_geoms)
    c_ok[c_ok] = ~shapely.is_empty(c_geoms[c_ok])
    if not p_ok.any() or not c_ok.any():
        return found
    points = np.full(positions.size, None, dtype=object)
    points[c_ok] = shapely.point_on_surface(shapely.make_valid(c_geoms[c_ok]))
    usable = np.flatnonzero(p_ok)
    tree = shapely.STRtree(p_geoms[usable])
    which, hit = tree.query(points[c_ok], predicate="intersects")
    inner = np.flatnonzero(c_ok)
    # reversed assignment keeps each point's first hit
    found[inner[which[::-1]]] = usable[hit[::-1]]
    return found
