"""The frozen result of a coverage analysis: every table the reports, map and API read.

Built once by :func:`gridgov.coverage.analyse`; nothing is added to it afterwards.
All GeoDataFrames are in CGCS2000 (EPSG:4490) so they can be written to the workspace and
drawn on web maps directly; times are seconds, distances metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from gridgov.coverage.standard import ReachStandard

__all__ = ["CoverageResult"]


@dataclass(frozen=True)
class CoverageResult:
    """Who reaches which station, at what cost, and where the gaps are.

    Attributes
    ----------
    standard : ReachStandard
        The reach standard applied.
    method : str
        ``"network"`` (road graph) or ``"straight-line"`` (no roads layer: distance x
        detour factor), stated in every report.
    villages : GeoDataFrame
        One row per village (polygon), index as the workspace villages layer. Columns:
        ``code, name, township_code, kind, population, nearest_station_id,
        nearest_station_name, nearest_station_tier, travel_m, travel_s, covered,
        population_covered, share_covered, has_station, meets_rule``.
        ``travel_*`` are population-weighted over the village's demand points;
        ``covered`` means every demand point is within the standard; ``meets_rule`` is the
        one-point-per-village rule (a station inside, or the village centre within reach).
    demand : GeoDataFrame
        Demand points (settlements, or village centroids where a village has none):
        ``demand_id, village_code, population, source, station_id, travel_m, travel_s,
        snap_m, covered``.
    stations : GeoDataFrame
        One row per station (point): ``station_id, name, tier, kind, industry,
        township_code, reception_day, n_villages, population_served, n_deputies,
        deputies_by_level, population_per_deputy``.
    gaps : DataFrame
        Uncovered villages ranked by uncovered population: ``rank, code, name,
        township_code, population_uncovered, nearest_station_id, nearest_station_name,
        travel_s, travel_m, new_site_lon, new_site_lat, new_site_source,
        new_site_population_covered``.
    service_areas : GeoDataFrame
        One polygon per station: the part of the network within the standard, buffered.
    deputies : DataFrame
        Grouping of deputies into stations (就近编组进站): ``deputy_id, name, level,
        specialty, station_before, station_after, travel_s, moved, reason``; empty when the
        workspace has no deputies.
    summary : dict
        County figures: villages and population covered (count and share),
        population-weighted mean and p95 travel time, worst village, counts, method, standard.
    """

    standard: ReachStandard
    method: str
    villages: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    gaps: pd.DataFrame
    service_areas: gpd.GeoDataFrame
    deputies: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
