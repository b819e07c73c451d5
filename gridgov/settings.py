"""Defaults a county can change: travel speeds, the reach standard, deadlines, costs.

Settings are a frozen dataclass: build a new one with :func:`dataclasses.replace`
instead of mutating a global. :func:`load_settings` reads overrides from a TOML file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from gridgov._errors import NotFoundError, Problem, ValidationError


def _speeds() -> dict[str, dict[str, float]]:
    # km/h by travel mode and road class. Rural Hunan: e-bikes (电动车) are how most
    # residents actually reach a station; walking speed is the same on every class.
    return {
        "walk": {"trunk": 4.5, "county": 4.5, "township": 4.5, "village": 4.5},
        "ebike": {"trunk": 25.0, "county": 22.0, "township": 18.0, "village": 15.0},
        "car": {"trunk": 70.0, "county": 50.0, "township": 35.0, "village": 25.0},
    }


def _deadlines_h() -> dict[str, dict[str, float]]:
    # Hours to acknowledge / resolve at each escalation level ("限时办结").
    return {
        "grid": {"acknowledge": 2.0, "resolve": 24.0},
        "station": {"acknowledge": 4.0, "resolve": 72.0},
        "township": {"acknowledge": 24.0, "resolve": 168.0},
        "county": {"acknowledge": 48.0, "resolve": 360.0},
    }


def _categories() -> dict[str, str]:
    # Issue categories (code -> Chinese label) as the 12345 / 网格 platforms sort them.
    return {
        "road": "道路交通",
        "water": "水利灌溉",
        "sanitation": "环境卫生",
        "safety": "安全隐患",
        "livelihood": "民生保障",
        "dispute": "矛盾纠纷",
        "industry": "产业发展",
        "other": "其他",
    }


def _category_deadlines_h() -> dict[str, dict[str, dict[str, float]]]:
    # Per-category overrides of deadlines_h: a safety hazard cannot wait a day.
    return {
        "safety": {
            "grid": {"acknowledge": 0.5, "resolve": 4.0},
            "station": {"acknowledge": 1.0, "resolve": 24.0},
            "township": {"acknowledge": 2.0, "resolve": 72.0},
        },
    }


def _category_specialties() -> dict[str, list[str]]:
    # Deputy specialties (代表专业/行业) preferred when dispatching an issue of a category.
    return {
        "road": ["交通运输", "基层治理"],
        "water": ["水利", "农业种植", "水产养殖"],
        "sanitation": ["生态环保", "医疗卫生"],
        "safety": ["基层治理", "法律"],
        "livelihood": ["基层治理", "医疗卫生", "教育", "退役军人事务"],
        "dispute": ["法律", "基层治理"],
        "industry": ["企业经营", "农业种植", "芥菜产业", "水产养殖"],
    }


def _handlers() -> dict[str, str]:
    # Who handles an issue at each escalation level (the API role that acts there).
    return {
        "grid": "grid_worker",  # 网格员
        "station": "deputy",  # the station's deputies, led by its station admin (站长)
        "township": "township_staff",  # 乡镇人大主席团 / 街道人大工委
        "county": "county_staff",  # 县人大常委会代表工委
        "external": "external",  # 12345 / 一中心四平台: the last hand-off
    }


@dataclass(frozen=True)
class Settings:
    """County-level defaults.

    Attributes
    ----------
    speeds_kmh : dict
        Travel speed by mode (walk, ebike, car) and road class (trunk, county,
        township, village).
    reach_standard : str
        The "出门即可达" standard, e.g. ``"15min:ebike"``, ``"3km:road"``, ``"20min:walk"``.
        The default, 15 minutes by e-bike, is about 4 km on village roads: the distance a
        resident in a Hunan plain county covers to reach a township market.
    snap_warn_m : float
        Snapping a place to the road network further than this is reported.
    detour_factor : float
        Straight-line distance multiplier used only when a county has no roads layer.
    outside_tolerance_m : float
        How far a feature may lie outside the county outline before it is an error.
    station_annual_cost_yuan : float
        Running cost of one station per year when a station gives none (20,000-50,000
        yuan is typical, DOMAIN.md).
    min_deputies_per_station, max_deputies_per_station : int
        Bounds for grouping deputies into stations (reception rota).
    deadlines_h : dict
        Acknowledge / resolve deadlines in hours per escalation level.
    tianditu_key : str
        Key for 天地图 basemap tiles; empty means the basemap is not offered.
    issue_categories : dict
        Issue category code -> Chinese label.
    category_deadlines_h : dict
        Per-category overrides of ``deadlines_h`` (category -> level -> phase -> hours).
    category_specialties : dict
        Deputy specialties preferred when dispatching an issue of each category.
    handlers : dict
        Handler role at each escalation level (grid, station, township, county, external).
    external_platform : str
        Name of the outside platform an issue is handed to after the county (``"12345"``);
        empty means the county is the last level.
    dispatch_k : int
        Deputies dispatched per issue (代表报到).
    dispatch_mode : str
        Travel mode for dispatch travel times.
    dispatch_cutoff_s : float
        Road search bound for dispatch; deputies further away get a straight-line estimate.
    specialty_bonus_s : float
        Seconds of travel a matching specialty is worth when ranking deputies.
    max_open_per_deputy : int
        A deputy with this many open issues is skipped as overloaded.
    duplicate_radius_m : float
        An open issue of the same category this close is suggested as a duplicate.
    locate_tolerance_m : float
        A point outside every grid snaps to the nearest grid within this distance.
    rating_window_h : float
        A resolved issue the resident has not rated closes by itself after this long.
    """

    speeds_kmh: dict[str, dict[str, float]] = field(default_factory=_speeds)
    reach_standard: str = "15min:ebike"
    snap_warn_m: float = 500.0
    detour_factor: float = 1.3
    outside_tolerance_m: float = 500.0
    station_annual_cost_yuan: float = 30000.0
    min_deputies_per_station: int = 3
    max_deputies_per_station: int = 60
    deadlines_h: dict[str, dict[str, float]] = field(default_factory=_deadlines_h)
    tianditu_key: str = ""
    issue_categories: dict[str, str] = field(default_factory=_categories)
    category_deadlines_h: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=_category_deadlines_h
    )
    category_specialties: dict[str, list[str]] = field(default_factory=_category_specialties)
    handlers: dict[str, str] = field(default_factory=_handlers)
    external_platform: str = "12345"
    dispatch_k: int = 3
    dispatch_mode: str = "ebike"
    dispatch_cutoff_s: float = 1800.0
    specialty_bonus_s: float = 600.0
    max_open_per_deputy: int = 5
    duplicate_radius_m: float = 250.0
    locate_tolerance_m: float = 300.0
    rating_window_h: float = 168.0

    def deadline_h(self, level: str, category: str, phase: str) -> float | None:
        """Hours allowed for ``phase`` (acknowledge / resolve) at ``level`` for ``category``.

        The category's override wins over the level default; None means no deadline
        (the external platform, or a level the settings leave out).
        """
        override = self.category_deadlines_h.get(category, {}).get(level, {})
        if phase in override:
            return float(override[phase])
        value = self.deadlines_h.get(level, {}).get(phase)
        return None if value is None else float(value)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, an optional TOML file, then keyword overrides.

    Parameters
    ----------
    path : str or Path, optional
        TOML file whose top-level keys are :class:`Settings` field names.
    **overrides
        Field values that win over the file.

    Returns
    -------
    Settings

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    ValidationError
        If the file is not TOML, or names a field that does not exist.
    """
    values: dict[str, Any] = {}
    if path is not None:
        source = Path(path)
        if not source.is_file():
            raise NotFoundError(f"settings file {str(source)!r} does not exist")
        try:
            with source.open("rb") as fh:
                values.update(tomllib.load(fh))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(
                [Problem(source.name, None, None, None, f"not a valid TOML file: {exc}")],
                context="settings",
            ) from exc
    values.update(overrides)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(
            [
                Problem(str(path or "settings"), None, k, values[k], "unknown setting")
                for k in unknown
            ],
            context="settings",
        )
    return replace(Settings(), **values)
