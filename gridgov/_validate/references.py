"""Codes between layers: division codes nest and every reference resolves.

Township codes start with the county code and village codes with their township's;
villages name a township, settlements and grids a village, stations a township, a village
and a parent station, deputies a station and grids. Only layers present are checked, so a
layer that could not be read does not flood the report with "unknown code" errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov._errors import Problem
from gridgov._validate.values import CODE_SEPARATORS, RowLabels
from gridgov.model import LAYERS

__all__ = ["reference_problems"]


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
    known: set[str] | None,
    message: Callable[[str], str],
    *,
    severity: str = "error",
) -> list[Problem]:
    """Rows of ``child`` whose ``field`` is filled but not in ``known`` (skipped if None)."""
    gdf = layers.get(child)
    if gdf is None or known is None or field not in gdf.columns:
        return []
    values = gdf[field]
    bad = (values.notna() & ~values.astype(str).isin(known)).to_numpy()
    rows = RowLabels(gdf, LAYERS[child])
    return [
        Problem(child, rows[pos], field, values.iloc[pos], message(str(values.iloc[pos])), severity)
        for pos in np.flatnonzero(bad)
    ]


def _well_formed(series: pd.Series, length: int) -> pd.Series:
    return series.notna() & series.astype(str).str.fullmatch(rf"\d{{{length}}}", na=False)


def _not_nested(
    layers: dict[str, gpd.GeoDataFrame],
    layer: str,
    village_col: str,
    township_col: str,
    message: Callable[[Any], str],
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
        Problem(layer, rows[pos], village_col, vc.iloc[pos], message(tc.iloc[pos]), severity)
        for pos in np.flatnonzero(bad.to_numpy())
    ]


def reference_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    problems: list[Problem] = []
    county_codes = _codes(layers, "county", "code")
    township_codes = _codes(layers, "townships", "code")
    village_codes = _codes(layers, "villages", "code")
    station_ids = _codes(layers, "stations", "station_id")

    townships = layers.get("townships")
    if townships is not None and county_codes and "code" in townships.columns:
        code = townships["code"]
        ok = _well_formed(code, 9)
        bad = ok & ~code.astype(str).str[:6].isin(county_codes)
        rows = RowLabels(townships, LAYERS["townships"])
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(
                    "townships",
                    rows[pos],
                    "code",
                    code.iloc[pos],
                    f"township code does not start with the county code "
                    f"{', '.join(sorted(county_codes))}",
                )
            )

    problems += _not_nested(
        layers,
        "villages",
        "code",
        "township_code",
        lambda t: f"village code does not start with its township_code {t}",
    )
    problems += _refs(
        layers,
        "villages",
        "township_code",
        township_codes,
        lambda v: f"township_code {v} is not in the townships layer",
    )
    for child in ("settlements", "grids"):
        problems += _refs(
            layers,
            child,
            "village_code",
            village_codes,
            lambda v: f"village_code {v} is not in the villages layer",
        )
    problems += _refs(
        layers,
        "stations",
        "township_code",
        township_codes,
        lambda v: f"township_code {v} is not in the townships layer",
    )
    problems += _refs(
        layers,
        "stations",
        "village_code",
        village_codes,
        lambda v: f"village_code {v} is not in the villages layer",
    )
    problems += _refs(
        layers,
        "stations",
        "parent_station_id",
        station_ids,
        lambda v: f"parent station {v} is not in the stations layer",
    )
    problems += _refs(
        layers,
        "deputies",
        "station_id",
        station_ids,
        lambda v: f"station {v} is not in the stations layer",
    )

    stations = layers.get("stations")
    if stations is not None and {"kind", "industry"} <= set(stations.columns):
        no_industry = (stations["kind"] == "industry") & stations["industry"].isna()
        rows = RowLabels(stations, LAYERS["stations"])
        for pos in np.flatnonzero(no_industry.to_numpy()):
            problems.append(
                Problem(
                    "stations",
                    rows[pos],
                    "industry",
                    None,
                    "an industry station (行业站) must name its industry",
                )
            )
    elif stations is not None and "kind" in stations.columns:
        count = int((stations["kind"] == "industry").sum())
        if count:
            problems.append(
                Problem(
                    "stations",
                    None,
                    "industry",
                    None,
                    f"{count} industry station(s) but no industry column (行业)",
                )
            )
    problems += _not_nested(
        layers,
        "stations",
        "village_code",
        "township_code",
        lambda t: f"village_code is not in the station's township {t}",
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
        return [
            Problem(
                "deputies",
                None,
                "grid_codes",
                int(filled.sum()),
                "deputies name grids (grid_codes) but the workspace has no grids layer",
                "warning",
            )
        ]
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
    problems = []
    for index, codes in unknown.groupby(level=0, sort=False):
        pos = positions.loc[index]
        pos = int(pos.iloc[0]) if isinstance(pos, pd.Series) else int(pos)
        problems.append(
            Problem(
                "deputies",
                rows[pos],
                "grid_codes",
                cells.iloc[pos],
                f"grid(s) {', '.join(map(str, codes))} not in the grids layer",
            )
        )
    return problems
