"""Consolidation planner: which stations to keep, where each closed one goes, what it saves.

The question Huarong County answered when it merged 97 stations into 52: keep every
township-centre station (联络站) and the specialised studios, choose the rest so that
travel stays least and nobody who is within reach today falls out of it. The sites and
travel costs come from the same road graph as :func:`gridgov.coverage.analyse`
(:mod:`gridgov.coverage._sites`); the choice is an exact location model from
:mod:`gridgov.coverage.location`, picked by name from :data:`MODELS`; the plan's tables
come from two runs of :func:`~gridgov.coverage.analyse`, all stations then the kept ones
(:mod:`gridgov.coverage._plan_tables`), so the plan and the coverage report can never
disagree.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov._errors import InfeasibleError, ParameterError
from gridgov.coverage._plan_tables import build_plan
from gridgov.coverage._sites import Setup, build_setup
from gridgov.coverage.location import (
    Instance,
    LSCPRules,
    MCLPRules,
    PCenterRules,
    PMedianRules,
    Solution,
    lscp,
    mclp,
    p_center,
    p_median,
)
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import ReachStandard
from gridgov.model import Workspace
from gridgov.routing.graph import RoadGraph
from gridgov.settings import Settings

__all__ = [
    "DEFAULT_KEEP_TIERS",
    "MODELS",
    "consolidate",
    "consolidate_with_curve",
    "tradeoff_curve",
]

log = logging.getLogger(__name__)

DEFAULT_KEEP_TIERS: tuple[str, ...] = ("station", "studio")

_MODEL_ZH = {
    "p-median": "总路程最小（p-中位）",
    "p-median-full": "全覆盖下总路程最小（p-中位+全覆盖）",
    "mclp": "覆盖人口最多（最大覆盖）",
    "lscp": "全覆盖所需站点最少（集合覆盖）",
    "p-center": "最远用时最小（p-中心）",
}


def _target(p: int | None) -> int:
    if p is None:
        raise ParameterError(
            "this model keeps a given number of stations: target is needed",
            parameter="target",
            value=None,
        )
    return p


# Each model by name: (instance, target, the standard's limit, site rules and limits).
# Demand no site reaches within the standard is left out of the coverage rules (and
# reported as an exception of the plan), so a plan exists for everyone else.
_Solve = Callable[[Instance, int | None, float, dict[str, Any]], Solution]
_SOLVE: dict[str, _Solve] = {
    "p-median-full": lambda inst, p, limit, rules: p_median(
        inst, PMedianRules(p=_target(p), radius=limit, uncoverable="skip", **rules)
    ),
    "p-median": lambda inst, p, limit, rules: p_median(inst, PMedianRules(p=_target(p), **rules)),
    "mclp": lambda inst, p, limit, rules: mclp(
        inst, MCLPRules(p=_target(p), radius=limit, **rules)
    ),
    "lscp": lambda inst, p, limit, rules: lscp(
        inst, LSCPRules(radius=limit, uncoverable="skip", **rules)
    ),
    "p-center": lambda inst, p, limit, rules: p_center(inst, PCenterRules(p=_target(p), **rules)),
}
#: The location models a plan can use, by the name the CLI's ``--model`` takes.
MODELS: tuple[str, ...] = tuple(_SOLVE)


def _bounds(
    setup: Setup, value: int | Mapping[str, int] | None, name: str
) -> dict[str, int] | None:
    if value is None:
        return None
    codes = set(setup.groups)
    if isinstance(value, Mapping):
        bad = [k for k in value if k not in codes]
        if bad:
            raise ParameterError(
                f"{name} names townships with no station: {', '.join(map(str, bad))}",
                parameter=name,
                value=bad,
            )
        return {str(k): int(v) for k, v in value.items()}
    return dict.fromkeys(codes, int(value))


def _solve(
    setup: Setup,
    model: str,
    p: int | None,
    *,
    township_min: int | Mapping[str, int] | None,
    township_max: int | Mapping[str, int] | None,
    time_limit_s: float | None,
    seed: int,
) -> Solution:
    if model not in _SOLVE:
        raise ParameterError(
            f"model must be one of {', '.join(MODELS)}; got {model!r}",
            parameter="model",
            value=model,
        )
    rules: dict[str, Any] = {
        "keep": setup.keep,
        "close": setup.close,
        "groups": setup.groups,
        "group_min": _bounds(setup, township_min, "township_min"),
        "group_max": _bounds(setup, township_max, "township_max"),
        "time_limit_s": time_limit_s,
        "seed": seed,
    }
    try:
        return _SOLVE[model](setup.instance, p, setup.std.limit, rules)
    except InfeasibleError as exc:
        raise InfeasibleError(f"{setup.std.label_zh} ({setup.std}): {exc}") from exc


def consolidate(
    ws: Workspace,
    *,
    target: int | None = 52,
    model: str = "p-median-full",
    standard: str | ReachStandard | None = None,
    keep: Sequence[str] | str | None = None,
    keep_tiers: Sequence[str] = DEFAULT_KEEP_TIERS,
    close: Sequence[str] | str | None = None,
    township_min: int | Mapping[str, int] | None = None,
    township_max: int | Mapping[str, int] | None = None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None = None,
    deputy_min: int | None = None,
    deputy_max: int | None = None,
    annual_cost_yuan: float | None = None,
    time_limit_s: float | None = 60.0,
    seed: int = 0,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
    before: CoverageResult | None = None,
    demand: gpd.GeoDataFrame | None = None,
) -> ConsolidationPlan:
    """Plan which stations to keep (``target`` of them) and where each closed one goes.

    Parameters
    ----------
    ws : Workspace
    target : int, optional
        Stations to keep (kept + new); not used by ``model="lscp"``.
    model : str
        One of :data:`MODELS`: ``"p-median-full"`` (default: least travel with everyone
        coverable kept within the standard), ``"p-median"``, ``"mclp"``, ``"lscp"``,
        ``"p-center"``.
    standard : str or ReachStandard, optional
        Reach standard (default ``settings.reach_standard``).
    keep, close : list of station ids (or a comma-separated string), optional
        Stations that must stay / must close.
    keep_tiers : sequence of str
        Tiers kept whole (default: every 联络站 ``station`` and 代表工作室 ``studio``).
    township_min, township_max : int or mapping, optional
        Stations per township after the plan (one number for all, or by township code).
    new_sites : GeoDataFrame or "villages", optional
        Candidate new sites beside the existing ones (``"villages"``: one per village at
        its representative point, e.g. the village committee).
    deputy_min, deputy_max : int, optional
        Deputies per kept station after regrouping (default: settings).
    annual_cost_yuan : float, optional
        Running cost per station per year where the station has no ``annual_cost_yuan``
        (default ``settings.station_annual_cost_yuan``).
    time_limit_s : float, optional
        Solver time limit; the proven gap is reported either way.
    seed : int
    settings : Settings, optional
    graph : RoadGraph, optional
    before : CoverageResult, optional
        :func:`~gridgov.coverage.analyse` of ``ws`` today, at this ``standard`` and
        ``settings`` on ``graph``, when the caller has it (a region run doing coverage and
        consolidation of a county in one task): the plan's "before" is not computed again.
    demand : GeoDataFrame, optional
        The county's demand points in its projected CRS (``demand_points(ws,
        workspace_crs(ws))``), when the caller has them (the same task's coverage).

    Returns
    -------
    ConsolidationPlan

    Raises
    ------
    ParameterError
        A ``before`` at another standard than the plan's, unknown station ids, a station both kept and closed, an unknown model, a model
        without its ``target``, a ``target`` below the stations that must stay or above the
        candidate sites (checked before anything is solved), or a township bound naming a
        township with no station.
    ValidationError
        A reach standard that cannot be read, or new sites without ids or names.
    InfeasibleError
        No plan meets the rules: the message says which rule (and, for full coverage, how
        many stations covering everyone needs).
    """
    settings = _deputy_settings(settings or Settings(), deputy_min, deputy_max)
    setup = build_setup(
        ws, standard=standard, keep=keep, keep_tiers=keep_tiers, close=close,
        new_sites=new_sites, settings=settings, graph=graph, demand=demand,
    )  # fmt: skip
    if before is not None and str(before.standard) != str(setup.std):
        raise ParameterError(
            f"before was analysed at {before.standard}, the plan is at {setup.std}",
            parameter="before",
            value=str(before.standard),
        )
    if model != "lscp" and target is not None:
        _check_counts(setup, "target", [target])
    return _plan(
        ws, setup, target=target, model=model, township_min=township_min,
        township_max=township_max, annual_cost_yuan=annual_cost_yuan,
        time_limit_s=time_limit_s, seed=seed, before=before,
    )  # fmt: skip


def _deputy_settings(
    settings: Settings, deputy_min: int | None, deputy_max: int | None
) -> Settings:
    if deputy_min is None and deputy_max is None:
        return settings
    return dataclasses.replace(
        settings,
        min_deputies_per_station=(
            settings.min_deputies_per_station if deputy_min is None else int(deputy_min)
        ),
        max_deputies_per_station=(
            settings.max_deputies_per_station if deputy_max is None else int(deputy_max)
        ),
    )


def _plan(
    ws: Workspace,
    setup: Setup,
    *,
    target: int | None,
    model: str,
    township_min: int | Mapping[str, int] | None,
    township_max: int | Mapping[str, int] | None,
    annual_cost_yuan: float | None,
    time_limit_s: float | None,
    seed: int,
    before: CoverageResult | None = None,
) -> ConsolidationPlan:
    _check_deputies(ws, setup, target, model)
    sol = _solve(
        setup, model, target if model != "lscp" else None, township_min=township_min,
        township_max=township_max, time_limit_s=time_limit_s, seed=seed,
    )  # fmt: skip
    return build_plan(
        ws, setup, sol, model=model, model_zh=_MODEL_ZH[model],
        annual_cost_yuan=annual_cost_yuan, before=before,
    )  # fmt: skip


def _station_range(setup: Setup) -> tuple[int, int]:
    """Fewest and most stations a plan can keep: those that must stay (at least one), and
    every candidate site not forced to close."""
    return max(int(setup.keep.sum()), 1), int((~setup.close).sum())


def _check_counts(setup: Setup, name: str, counts: Sequence[int]) -> None:
    """Station counts outside what the sites allow are the caller's, named before solving
    (a solver, or the deputies' rota, would otherwise blame something else)."""
    lo, hi = _station_range(setup)
    bad = [int(p) for p in counts if not lo <= int(p) <= hi]
    if not bad:
        return
    shown = ", ".join(map(str, bad[:5])) + (f", ... ({len(bad)} in all)" if len(bad) > 5 else "")
    closed = int(setup.close.sum())
    sites = f"{hi} candidate sites" + (f" once {closed} forced to close" if closed else "")
    raise ParameterError(
        f"{name} {shown}: a plan keeps from {lo} to {hi} stations ({int(setup.keep.sum())} "
        f"must stay open, {sites})",
        parameter=name,
        value=bad[0] if name == "target" else bad,
    )


def _check_deputies(ws: Workspace, setup: Setup, target: int | None, model: str) -> None:
    """Enough deputies for the kept stations' rota, and room for all of them."""
    if ws.deputies is None or not len(ws.deputies) or target is None or model == "lscp":
        return
    n = len(ws.deputies)
    lo, hi = setup.settings.min_deputies_per_station, setup.settings.max_deputies_per_station
    if n < lo * target:
        raise InfeasibleError(
            f"{n} deputies cannot give {target} stations at least {lo} each ({lo * target} needed)"
        )
    if n > hi * target:
        raise InfeasibleError(
            f"{n} deputies do not fit {target} stations of at most {hi} each ({hi * target} places)"
        )


def tradeoff_curve(
    ws: Workspace,
    *,
    p_values: Sequence[int] | None = None,
    standard: str | ReachStandard | None = None,
    keep: Sequence[str] | str | None = None,
    keep_tiers: Sequence[str] = DEFAULT_KEEP_TIERS,
    close: Sequence[str] | str | None = None,
    new_sites: gpd.GeoDataFrame | Literal["villages"] | None = None,
    time_limit_s: float | None = 20.0,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """For each number of stations ``p``: the best coverage and the least travel possible.

    Per ``p``: the most population within the standard (MCLP), the least mean travel
    (p-median), the least mean travel with every coverable person within the standard
    (p-median under full coverage, where ``p`` is enough), each with its proven gap. The
    fewest stations that keep everyone coverable within reach (LSCP) is reported in the
    column ``min_full_coverage`` (same on every row). ``progress(done, total)`` is called
    after each ``p`` (the curve is the slow part of a plan: three solves per point).

    Raises
    ------
    ParameterError
        A ``p`` below the stations that must stay or above the candidate sites (named in
        the parameter ``p_values``), before anything is solved.

    Returns
    -------
    DataFrame
        ``p, share_population_covered, population_covered, villages_covered,
        mean_travel_min, full_coverage_feasible, mean_travel_full_min, max_travel_min,
        gap_mclp, gap_median, gap_full, min_full_coverage``.
    """
    setup = build_setup(
        ws, standard=standard, keep=keep, keep_tiers=keep_tiers, close=close,
        new_sites=new_sites, settings=settings, graph=graph,
    )  # fmt: skip
    if p_values is not None:
        _check_counts(setup, "p_values", p_values)
    return _curve(setup, p_values, time_limit_s=time_limit_s, progress=progress)


def _curve(
    setup: Setup,
    p_values: Sequence[int] | None,
    *,
    time_limit_s: float | None,
    progress: Callable[[int, int], None] | None,
) -> pd.DataFrame:
    inst = setup.instance
    w = inst.weight
    total = float(w.sum())
    n_keep = int(setup.keep.sum())
    n_sites = int((~setup.close).sum())
    lscp = _solve(setup, "lscp", None, township_min=None, township_max=None,
                  time_limit_s=time_limit_s, seed=0)  # fmt: skip
    need = int(lscp.objective)
    if p_values is None:
        lo = max(n_keep, 1)
        grid = np.unique(np.linspace(lo, n_sites, 12).round().astype(int))
        p_values = sorted(set(grid.tolist()) | {need})
    village = setup.demand["village_code"].to_numpy()
    rows = []
    todo = [p for p in p_values if max(n_keep, 1) <= p <= n_sites]
    for done, p in enumerate(todo, start=1):
        mclp = _solve(setup, "mclp", p, township_min=None, township_max=None,
                      time_limit_s=time_limit_s, seed=0)  # fmt: skip
        med = _solve(setup, "p-median", p, township_min=None, township_max=None,
                     time_limit_s=time_limit_s, seed=0)  # fmt: skip
        within = mclp.cost <= setup.std.limit
        vill_ok = pd.Series(within | (w == 0)).groupby(village).all()
        full_travel = np.nan
        gap_full = np.nan
        if p >= need:
            full = _solve(setup, "p-median-full", p, township_min=None, township_max=None,
                          time_limit_s=time_limit_s, seed=0)  # fmt: skip
            full_travel = full.travel / total / 60
            gap_full = full.gap
        rows.append(
            {
                "p": int(p),
                "share_population_covered": round(mclp.objective / total, 4),
                "population_covered": round(mclp.objective),
                "villages_covered": int(vill_ok.sum()),
                "mean_travel_min": round(med.travel / total / 60, 2),
                "full_coverage_feasible": bool(p >= need),
                "mean_travel_full_min": round(full_travel, 2) if np.isfinite(full_travel) else None,
                "max_travel_min": round(float(med.cost[w > 0].max()) / 60, 1),
                "gap_mclp": mclp.gap,
                "gap_median": med.gap,
                "gap_full": gap_full,
                "min_full_coverage": need,
            }
        )
        if progress is not None:
            progress(done, len(todo))
    return pd.DataFrame(rows)


def consolidate_with_curve(
    ws: Workspace,
    *,
    p_values: Sequence[int] | None = None,
    curve_time_limit_s: float | None = 20.0,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> tuple[ConsolidationPlan, pd.DataFrame]:
    """:func:`consolidate` and :func:`tradeoff_curve` on one set of sites and costs.

    The sites and their travel costs are built once, and the plan's ``target`` and every
    ``p`` of the curve are checked before anything is solved: a curve asking for more
    stations than there are sites is refused before the plan's solve, not after it.

    Parameters
    ----------
    ws : Workspace
    p_values : sequence of int, optional
        Station counts of the curve (default: as :func:`tradeoff_curve` chooses).
    curve_time_limit_s : float, optional
        Solver time limit per solve of the curve.
    progress : callable, optional
        ``progress(done, total)`` after each point of the curve.
    **options
        :func:`consolidate`'s keyword arguments.

    Returns
    -------
    (ConsolidationPlan, DataFrame)

    Raises
    ------
    ParameterError, ValidationError, InfeasibleError
        As :func:`consolidate` and :func:`tradeoff_curve`.
    """
    # consolidate's own defaults, and a TypeError for an option it does not take
    bound = inspect.signature(consolidate).bind(ws, **options)
    bound.apply_defaults()
    a = bound.arguments
    setup = build_setup(
        ws, standard=a["standard"], keep=a["keep"], keep_tiers=a["keep_tiers"],
        close=a["close"], new_sites=a["new_sites"], settings=a["settings"], graph=a["graph"],
    )  # fmt: skip
    if a["model"] != "lscp" and a["target"] is not None:
        _check_counts(setup, "target", [a["target"]])
    if p_values is not None:
        _check_counts(setup, "p_values", p_values)
    settings = _deputy_settings(a["settings"] or Settings(), a["deputy_min"], a["deputy_max"])
    plan = _plan(
        ws, dataclasses.replace(setup, settings=settings), target=a["target"], model=a["model"],
        township_min=a["township_min"], township_max=a["township_max"],
        annual_cost_yuan=a["annual_cost_yuan"], time_limit_s=a["time_limit_s"], seed=a["seed"],
    )  # fmt: skip
    curve = _curve(setup, p_values, time_limit_s=curve_time_limit_s, progress=progress)
    return plan, curve
