"""The frozen result of a consolidation plan: every table the reports, curve and map read.

Built once by :func:`gridgov.coverage.consolidate`; nothing is added to it afterwards.
GeoDataFrames are in CGCS2000 (EPSG:4490); times are seconds, distances metres, money yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from gridgov.coverage.location import Solution
from gridgov.coverage.standard import ReachStandard

__all__ = ["ConsolidationPlan"]


@dataclass(frozen=True)
class ConsolidationPlan:
    """Which stations stay, which close, where each closed one goes, and what it changes.

    Attributes
    ----------
    model : str
        The location model solved (``"p-median-full"``, ``"p-median"``, ``"mclp"``,
        ``"lscp"`` or ``"p-center"``).
    standard : ReachStandard
        The reach standard the plan is held to.
    target : int
        Number of stations kept (for LSCP: the fewest found).
    stations : GeoDataFrame
        One row per station before the plan, plus any new candidate sites that were
        opened (point geometry). Columns: ``station_id, name, tier, kind, industry,
        township_code, kept, new_site, decision, reason, absorbed_by, absorbed_by_name,
        absorb_travel_s, villages_before, villages_after, population_before,
        population_after, deputies_before, deputies_after``. ``decision`` is one of
        ``"kept (must)"``, ``"kept"``, ``"closed"``, ``"closed (must)"``, ``"new"``;
        ``reason`` says why in Chinese. ``absorbed_by`` is the kept station that takes a
        closed station's villages, grids and deputies (empty for kept ones).
    villages : GeoDataFrame
        One row per village (polygon): ``code, name, township_code, population,
        station_before, travel_s_before, covered_before, station_after,
        station_after_name, travel_s_after, travel_m_after, covered_after, change``;
        ``change`` is ``"lost"`` (covered before, not after), ``"gained"``, ``"same"``.
    absorb : DataFrame
        One row per closed station: ``closed_id, closed_name, closed_tier,
        township_code, into_id, into_name, travel_s, n_villages, villages, n_grids,
        n_deputies, population``.
    before_after : DataFrame
        Indicators before and after: ``indicator, label_zh, before, after, change``
        (stations, villages covered and share, population covered and share,
        population-weighted mean and p95 travel, worst village and its travel, annual
        running cost, deputies per station min/mean/max).
    townships : DataFrame
        Stations per township before and after: ``township_code, township_name, before,
        after, kept_must, closed``.
    deputies : DataFrame
        Every deputy: ``deputy_id, name, level, specialty, station_before,
        station_after, moved, travel_s, reason``.
    solution : Solution
        The solver's answer: objective, proven bound and gap, status, time.
    summary : dict
        Headline figures: stations before/after, closed, new, annual saving (yuan),
        coverage before/after, exceptions (villages no plan can cover), gap.
    """

    model: str
    standard: ReachStandard
    target: int
    stations: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    absorb: pd.DataFrame
    before_after: pd.DataFrame
    townships: pd.DataFrame
    deputies: pd.DataFrame
    solution: Solution
    summary: dict[str, Any] = field(default_factory=dict)
