"""Defaults a county can change: travel speeds, the reach standard, deadlines, costs.

Settings are a frozen dataclass: build a new one with :func:`dataclasses.replace`
instead of mutating a global. :func:`load_settings` reads overrides from a TOML file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from gridgov._errors import Problem, ValidationError


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
    ValidationError
        If the file names a field that does not exist.
    """
    values: dict[str, Any] = {}
    if path is not None:
        with Path(path).open("rb") as fh:
            values.update(tomllib.load(fh))
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
