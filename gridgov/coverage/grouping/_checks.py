"""Every problem in the inputs of :func:`~gridgov.coverage.grouping.group_deputies`, at once.

The deputies, the stations, the travel table and the options are checked together and
every problem is listed (missing columns and ids, duplicates, ids the other tables do not
have, unknown kinds and tiers, bad costs, bad options), so one
:class:`~gridgov._errors.ValidationError` tells a county everything to fix.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gridgov._errors import Problem
from gridgov.model import StationKind, StationTier

__all__ = ["problems", "text"]


def text(values: pd.Series) -> pd.Series:
    """Ids and labels as stripped strings, missing or blank as None (same index)."""

    def one(v: object) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        text = str(v).strip()
        return text or None

    # Each distinct value once: a province's travel table repeats every id ~20 times.
    # Factorised in the column's own dtype (an Arrow string column hashes in C; made
    # objects first, a county's travel table took 7 ms a column); missing values of any
    # kind are the sentinel, and a value is cleaned alike whatever its dtype.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    clean = np.array([*(one(u) for u in uniques), None], dtype=object)
    return pd.Series(clean[codes], index=values.index, dtype=object)


def _missing_columns(frame: pd.DataFrame, layer: str, columns: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(layer, None, col, None, f"required column {col} is missing")
        for col in columns
        if col not in frame.columns
    ]


def _id_problems(ids: pd.Series, layer: str, field: str) -> list[Problem]:
    problems = []
    pos = np.arange(len(ids))
    for p in pos[ids.isna().to_numpy()]:
        problems.append(Problem(layer, int(p), field, None, f"{field} is missing"))
    first: dict[str, int] = {}
    for p, key in zip(pos, ids.tolist(), strict=True):
        if key is None:
            continue
        if key in first:
            problems.append(
                Problem(layer, int(p), field, key, f"duplicate {field} (also in row {first[key]})")
            )
        else:
            first[key] = int(p)
    return problems


def _unknown_ids(values: pd.Series, known: set[str], field: str, what: str) -> list[Problem]:
    unknown = values.notna() & ~values.isin(known)
    if not unknown.any():
        return []
    frame = pd.DataFrame({"v": values[unknown].to_numpy(), "pos": np.flatnonzero(unknown)})
    out = []
    # One problem per unknown id (a whole county missing would otherwise be 10^5 lines).
    for value, grp in frame.groupby("v", sort=True):
        n = len(grp)
        out.append(
            Problem(
                "costs",
                int(grp["pos"].iloc[0]),
                field,
                value,
                f"{what.removesuffix('s')} {value} is not in the {what} table"
                + (f" ({n} rows)" if n > 1 else ""),
            )
        )
    return out


def _whole(value: object) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def _seconds(value: object) -> float | None:
    """``value`` as a float if it is a finite number >= 0 (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _parameter_problems(
    min_per_station: object,
    max_per_station: object,
    unreachable_cost: object,
    on_shortfall: object,
) -> list[Problem]:
    problems = []

    def bad(field: str, value: object, message: str) -> None:
        problems.append(Problem("parameters", None, field, value, message))

    low, high = _whole(min_per_station), _whole(max_per_station)
    if low is None or low < 0:
        bad("min_per_station", min_per_station, "min_per_station must be a whole number >= 0")
    if high is None or high < 1:
        bad("max_per_station", max_per_station, "max_per_station must be a whole number >= 1")
    if low is not None and high is not None and low > high:
        bad(
            "min_per_station",
            min_per_station,
            f"min_per_station {low} is above max_per_station {high}",
        )
    if unreachable_cost is not None and _seconds(unreachable_cost) is None:
        bad(
            "unreachable_cost",
            unreachable_cost,
            "unreachable_cost must be a finite number of seconds >= 0",
        )
    if on_shortfall not in ("relax", "raise"):
        bad("on_shortfall", on_shortfall, "on_shortfall must be 'relax' or 'raise'")
    return problems


def problems(
    deputies: pd.DataFrame,
    stations: pd.DataFrame,
    costs: pd.DataFrame,
    min_per_station: object,
    max_per_station: object,
    unreachable_cost: object,
    on_shortfall: object,
) -> list[Problem]:
    """Every problem with the inputs (collected, not raised)."""
    problems = _parameter_problems(min_per_station, max_per_station, unreachable_cost, on_shortfall)
    dep_cols = _missing_columns(deputies, "deputies", ("deputy_id",))
    sta_cols = _missing_columns(stations, "stations", ("station_id", "kind"))
    cost_cols = _missing_columns(costs, "costs", ("origin_id", "destination_id", "cost"))
    problems += dep_cols + sta_cols + cost_cols

    station_ids: set[str] | None = None
    if not sta_cols:
        sid = text(stations["station_id"])
        problems += _id_problems(sid, "stations", "station_id")
        station_ids = set(sid.dropna())
        kinds = text(stations["kind"])
        industry = (
            text(stations["industry"])
            if "industry" in stations.columns
            else pd.Series(None, index=stations.index, dtype=object)
        )
        for p, (kind, ind) in enumerate(zip(kinds.tolist(), industry.tolist(), strict=True)):
            try:
                parsed = StationKind.parse(kind)
            except ValueError as exc:
                problems.append(Problem("stations", sid.iloc[p] or p, "kind", kind, str(exc)))
                continue
            if parsed is StationKind.INDUSTRY and ind is None:
                problems.append(
                    Problem(
                        "stations",
                        sid.iloc[p] or p,
                        "industry",
                        None,
                        "an industry station (行业站) must name its industry",
                    )
                )
        if "tier" in stations.columns:
            for p, tier in enumerate(text(stations["tier"]).tolist()):
                if tier is None:
                    continue
                try:
                    StationTier.parse(tier)
                except ValueError as exc:
                    problems.append(Problem("stations", sid.iloc[p] or p, "tier", tier, str(exc)))

    deputy_ids: set[str] | None = None
    if not dep_cols:
        did = text(deputies["deputy_id"])
        problems += _id_problems(did, "deputies", "deputy_id")
        deputy_ids = set(did.dropna())
        if station_ids is not None and "station_id" in deputies.columns:
            current = text(deputies["station_id"])
            for p in np.flatnonzero(
                (current.notna() & ~current.isin(station_ids)).to_numpy()
            ).tolist():
                problems.append(
                    Problem(
                        "deputies",
                        did.iloc[p] or int(p),
                        "station_id",
                        current.iloc[p],
                        f"station {current.iloc[p]} is not in the stations table",
                    )
                )

    if not cost_cols:
        origin = text(costs["origin_id"])
        destination = text(costs["destination_id"])
        pos = np.arange(len(costs))
        for field, values in (("origin_id", origin), ("destination_id", destination)):
            for p in pos[values.isna().to_numpy()]:
                problems.append(Problem("costs", int(p), field, None, f"{field} is missing"))
        if deputy_ids is not None:
            problems += _unknown_ids(origin, deputy_ids, "origin_id", "deputies")
        if station_ids is not None:
            problems += _unknown_ids(destination, station_ids, "destination_id", "stations")
        value = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=float)
        for p in pos[np.isnan(value)]:
            problems.append(
                Problem("costs", int(p), "cost", costs["cost"].iloc[p], "cost is not a number")
            )
        for p in pos[value < 0]:
            problems.append(Problem("costs", int(p), "cost", float(value[p]), "cost is negative"))
        pair = pd.DataFrame({"o": origin.to_numpy(), "d": destination.to_numpy()})
        for p in pos[pair.duplicated().to_numpy()]:
            problems.append(
                Problem(
                    "costs",
                    int(p),
                    "destination_id",
                    destination.iloc[p],
                    f"pair {origin.iloc[p]} -> {destination.iloc[p]} is listed more than once",
                )
            )
        finite = value[np.isfinite(value)]
        ceiling = _seconds(unreachable_cost)
        if ceiling is not None and finite.size and ceiling < float(finite.max()):
            problems.append(
                Problem(
                    "parameters",
                    None,
                    "unreachable_cost",
                    unreachable_cost,
                    f"unreachable_cost is below the largest listed cost {finite.max():.1f}: "
                    "an unreachable pair would be cheaper than a reachable one",
                )
            )
    return problems
