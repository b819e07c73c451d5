"""Codes between layers: division codes nest and every reference resolves.

Township codes start with the county code and village codes with their township's;
villages name a township, settlements and grids a village, stations a township, a village
and a parent station, deputies a station and grids. Only layers present are checked, so a
layer that could not be read does not flood the report with "unknown code" errors.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov._errors import Problem
from gridgov._validate.derive import REFERENCE_TERMS
from gridgov._validate.source import Finding
from gridgov._validate.values import CODE_SEPARATORS, RowLabels, as_text
from gridgov._validate.vocabulary import closest, field_term, layer_term
from gridgov.messages import text
from gridgov.model import LAYERS

__all__ = ["reference_problems"]

# Distinct bad values of one column that get a suggestion; past it a pattern is clear.
_SUGGESTED = 50


def _codes(layers: dict[str, gpd.GeoDataFrame], layer: str, column: str) -> set[str] | None:
    """The values of ``layer.column``, or None when the layer or column is absent."""
    gdf = layers.get(layer)
    if gdf is None or column not in gdf.columns:
        return None
    return set(gdf[column].dropna().astype(str))


def _refs(
    layers: dict[str, gpd.GeoDataFrame],
    child: str,
    field: str,
    parent: str,
    key: str,
    *,
    severity: str = "error",
) -> list[Problem]:
    """Rows of ``child`` whose ``field`` is filled but not a ``parent.key``, with the
    nearest key or name of the parent as a suggestion (skipped if the parent is absent)."""
    gdf = layers.get(child)
    known = _codes(layers, parent, key)
    if gdf is None or known is None or field not in gdf.columns:
        return []
    values = gdf[field]
    bad = (values.notna() & ~values.astype(str).isin(known)).to_numpy()
    if not bad.any():
        return []
    rows = RowLabels(gdf, LAYERS[child])
    term = REFERENCE_TERMS.get((child, field)) or field_term(child, field)
    candidates = _candidates(layers[parent], key)
    problems: list[Problem] = []
    suggestions: dict[str, str | None] = {}
    for pos in np.flatnonzero(bad):
        value = str(values.iloc[pos])
        if value not in suggestions:
            # difflib is slow on thousands of candidates: suggest for the first values only
            near = closest(value, candidates) if len(suggestions) < _SUGGESTED else []
            suggestions[value] = near[0] if near else None
        message = text(
            "validate.unknown_reference", column=term, value=value, layer=layer_term(parent)
        )
        problems.append(
            rows.problem(
                child,
                pos,
                field,
                values.iloc[pos],
                message,
                severity,
                suggestion=suggestions[value],
            )
        )
    return problems


def _candidates(parent: gpd.GeoDataFrame, key: str) -> list[str]:
    """What a reference may be: the parent's keys, and ``名称（key）`` for named ones."""
    keys = as_text(parent[key])
    out = [str(k) for k in keys.dropna()]
    if "name" in parent.columns:
        names = as_text(parent["name"])
        both = keys.notna() & names.notna()
        out += [f"{n}（{k}）" for n, k in zip(names[both], keys[both], strict=True)]
    return out


def _well_formed(series: pd.Series, length: int) -> pd.Series:
    return series.notna() & series.astype(str).str.fullmatch(rf"\d{{{length}}}", na=False)


def _not_nested(
    layers: dict[str, gpd.GeoDataFrame],
    layer: str,
    village_col: str,
    township_col: str,
    key: str,
    *,
    severity: str = "error",
) -> list[Problem]:
    """Rows whose 12-digit village code does not start with their 9-digit township code."""
    gdf = layers.get(layer)
    if gdf is None or not {village_col, township_col} <= set(gdf.columns):
        return []
    vc, tc = gdf[village_col], gdf[township_col]
    both = _well_formed(vc, 12) & _well_formed(tc, 9)
    bad = both & (vc.astype(str).str[:9] != tc.astype(str))
    rows = RowLabels(gdf, LAYERS[layer])
    return [
        rows.problem(
            layer,
            pos,
            village_col,
            vc.iloc[pos],
            text(key, township=tc.iloc[pos]),
            severity,
        )
        for pos in np.flatnonzero(bad.to_numpy())
    ]


def reference_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    problems: list[Problem] = []
    county_codes = _codes(layers, "county", "code")

    townships = layers.get("townships")
    if townships is not None and county_codes and "code" in townships.columns:
        code = townships["code"]
        ok = _well_formed(code, 9)
        bad = ok & ~code.astype(str).str[:6].isin(county_codes)
        rows = RowLabels(townships, LAYERS["townships"])
        message = text("validate.township_outside_county", codes=", ".join(sorted(county_codes)))
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(rows.problem("townships", pos, "code", code.iloc[pos], message))

    problems += _not_nested(
        layers, "villages", "code", "township_code", "validate.village_not_nested"
    )
    problems += _refs(layers, "villages", "township_code", "townships", "code")
    for child in ("settlements", "grids"):
        problems += _refs(layers, child, "village_code", "villages", "code")
    problems += _refs(layers, "stations", "township_code", "townships", "code")
    problems += _refs(layers, "stations", "village_code", "villages", "code")
    problems += _refs(layers, "stations", "parent_station_id", "stations", "station_id")
    problems += _refs(layers, "deputies", "station_id", "stations", "station_id")

    stations = layers.get("stations")
    if stations is not None and {"kind", "industry"} <= set(stations.columns):
        no_industry = (stations["kind"] == "industry") & stations["industry"].isna()
        rows = RowLabels(stations, LAYERS["stations"])
        message = text("validate.industry_unnamed")
        for pos in np.flatnonzero(no_industry.to_numpy()):
            problems.append(rows.problem("stations", pos, "industry", None, message))
    elif stations is not None and "kind" in stations.columns:
        count = int((stations["kind"] == "industry").sum())
        if count:
            message = text("validate.industry_no_column", count=count)
            problems.append(Finding("stations", None, "industry", None, message))
    problems += _not_nested(
        layers,
        "stations",
        "village_code",
        "township_code",
        "validate.station_village_elsewhere",
        severity="warning",
    )
    problems += _grid_code_problems(layers)
    return problems


def _grid_code_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    deputies = layers.get("deputies")
    if deputies is None or "grid_codes" not in deputies.columns:
        return []
    cells = deputies["grid_codes"]
    filled = cells.notna() & (cells.astype(str).str.strip() != "")
    if not filled.any():
        return []
    grids = layers.get("grids")
    if grids is None:
        message = text("validate.no_grids_layer")
        return [Finding("deputies", None, "grid_codes", int(filled.sum()), message, "warning")]
    known = _codes(layers, "grids", "code")
    if known is None:
        return []
    exploded = (
        cells[filled]
        .astype(str)
        .str.strip()
        .str.split(CODE_SEPARATORS.pattern, regex=True)
        .explode()
    )
    exploded = exploded[exploded.notna() & (exploded != "")]
    unknown = exploded[~exploded.isin(known)]
    if unknown.empty:
        return []
    rows = RowLabels(deputies, LAYERS["deputies"])
    positions = pd.Series(np.arange(len(deputies)), index=deputies.index)
    problems: list[Problem] = []
    for index, codes in unknown.groupby(level=0, sort=False):
        pos = positions.loc[index]
        pos = int(pos.iloc[0]) if isinstance(pos, pd.Series) else int(pos)
        message = text("validate.unknown_grids", codes=", ".join(map(str, codes)))
        problems.append(rows.problem("deputies", pos, "grid_codes", cells.iloc[pos], message))
    return problems
