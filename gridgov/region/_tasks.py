"""One county's work in a region run: read it, analyse or plan it, write its part.

These functions run on Dask workers (or in the calling process for a serial run), one
county per call, so a worker holds one county at a time. Everything they take and return
is small and picklable: a :class:`~gridgov.region._source.CountySource` (where the county
is), the run's options, and back a :class:`CountyOutcome` with the county's headline
figures for the region workbook. The county's own tables go to its folder under the run's
output (``counties/<code>/``), the same files ``gridgov coverage`` / ``gridgov consolidate``
write for one county, plus its results as GeoParquet, so a region run and the county's own
run can be compared file by file. :func:`run_county_pair` does a county's coverage and
consolidation in one task (one read, one road graph, the coverage reused as the plan's
"before"): at national scale the county's reading and its coverage were a third of the
two tasks run apart.

A county whose data is wrong (a :class:`~gridgov.GridgovError`: an unreadable layer, a
target no plan can meet) comes back as a failed outcome with its reason; the others go on.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov._errors import GridgovError, ParameterError
from gridgov._json import strict_json
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.messages import text, use_lang
from gridgov.model import Workspace
from gridgov.region._source import CountySource, read_county, read_near
from gridgov.settings import Settings

__all__ = [
    "ConsolidationOptions",
    "CountyHook",
    "CountyOutcome",
    "CoverageOptions",
    "county_folder",
    "run_county",
    "run_county_pair",
]

log = logging.getLogger(__name__)

#: Called on the worker after a county is done, to add files to its folder (the CLI's
#: county map): ``hook(task, workspace, result_or_plan, folder) -> {kind: path}``. The core
#: names no renderer; the CLI passes one.
CountyHook = Callable[[str, Workspace, Any, Path], Mapping[str, Path]]

#: ``_coverage``'s "build the road graph here" (None is a county without roads).
_BUILD: Any = object()


@dataclass(frozen=True)
class CoverageOptions:
    """What ``gridgov coverage REGION`` asks of every county.

    Attributes
    ----------
    standard : str, optional
        Reach standard (default ``settings.reach_standard``).
    settings : Settings
    cross_border : bool
        Also measure reach when a village may use a neighbouring county's station, over
        the neighbours' roads within one standard's reach of the border; reported apart.
    reports : bool
        Write each county's own report files (XLSX, CSV) beside its results.
    """

    standard: str | None = None
    settings: Settings = field(default_factory=Settings)
    cross_border: bool = False
    reports: bool = True


@dataclass(frozen=True)
class ConsolidationOptions:
    """What ``gridgov consolidate REGION`` asks of every county.

    The target of a county is, in order: its row of ``targets`` (a CSV
    ``county_code,target``), else ``target_per_township`` times its townships, else
    ``keep_share`` of its stations rounded half up; a rule's target is raised to the
    stations that must stay (the kept tiers) and held to the stations there are, and the
    county's row says so.
    """

    targets: Mapping[str, int] = field(default_factory=dict)
    keep_share: float | None = None
    target_per_township: int | None = None
    model: str = "p-median-full"
    standard: str | None = None
    keep_tiers: tuple[str, ...] = ("station", "studio")
    time_limit_s: float = 60.0
    seed: int = 0
    settings: Settings = field(default_factory=Settings)
    reports: bool = True


@dataclass(frozen=True)
class CountyOutcome:
    """What came back from one county: its figures, or why it failed.

    Attributes
    ----------
    code, name : str
    ok : bool
    reason : str
        Why the county failed (empty when ``ok``).
    row : dict
        Headline figures for the region workbook (empty when it failed).
    files : dict
        Files written for the county, by kind.
    seconds : float
        Wall time of the county on its worker.
    worker : str
        Host and process id of the worker that ran it.
    peak_rss_mib : float
        Peak resident memory of that worker process so far.
    """

    code: str
    name: str
    ok: bool
    reason: str = ""
    row: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""
    peak_rss_mib: float = 0.0


def county_folder(out: str | Path, code: str) -> Path:
    """Where county ``code``'s files of a region run go."""
    return Path(out) / "counties" / code


def run_county(
    task: str,
    county: CountySource,
    options: CoverageOptions | ConsolidationOptions,
    out: str,
    *,
    neighbours: tuple[CountySource, ...] = (),
    hook: CountyHook | None = None,
    lang: str | None = None,
) -> CountyOutcome:
    """Run ``task`` (``"coverage"`` or ``"consolidate"``) on one county; never raises a
    :class:`~gridgov.GridgovError` (it becomes a failed outcome), only bugs.

    ``lang`` is the language of the run's caller: a worker process has its own, and the
    county's reports and reasons must read as the command asked (None: the worker's)."""
    with use_lang(lang):
        return _run_county(task, county, options, out, neighbours, hook)


def _run_county(
    task: str,
    county: CountySource,
    options: CoverageOptions | ConsolidationOptions,
    out: str,
    neighbours: tuple[CountySource, ...],
    hook: CountyHook | None,
) -> CountyOutcome:
    t0 = time.perf_counter()
    folder = county_folder(out, county.code)
    try:
        ws = read_county(county)
        if task == "coverage" and isinstance(options, CoverageOptions):
            row, files, done = _coverage(
                ws, county, options, folder, neighbours, mapped=hook is not None
            )
        elif task == "consolidate" and isinstance(options, ConsolidationOptions):
            row, files, done = _consolidate(ws, county, options, folder)
        else:  # the driver pairs them; anything else is a bug
            raise TypeError(f"task {task!r} with {type(options).__name__}")
        if hook is not None:
            files.update({k: Path(v) for k, v in hook(task, ws, done, folder).items()})
    except GridgovError as exc:
        return _outcome(county, t0, ok=False, reason=_reason(county, exc))
    return _outcome(county, t0, ok=True, row=row, files=_str(files))


def run_county_pair(
    county: CountySource,
    coverage: CoverageOptions,
    consolidation: ConsolidationOptions,
    coverage_out: str,
    consolidation_out: str,
    *,
    neighbours: tuple[CountySource, ...] = (),
    hook: CountyHook | None = None,
    lang: str | None = None,
) -> tuple[CountyOutcome, CountyOutcome]:
    """Coverage and consolidation of one county in one task: the county is read once, its
    road graph built once, and the coverage is the plan's "before" when both are at the
    same standard and settings (the plan would compute exactly that again).

    Each part writes the files and returns the outcome that :func:`run_county` gives for
    it, under its own run folder, so the two parts equal the two commands run apart. A
    county that cannot be read fails both; a plan that cannot be made fails the
    consolidation alone. Never raises a :class:`~gridgov.GridgovError`, only bugs.
    ``lang`` as :func:`run_county`.
    """
    with use_lang(lang):
        return _run_county_pair(
            county, coverage, consolidation, coverage_out, consolidation_out, neighbours, hook
        )


def _run_county_pair(
    county: CountySource,
    coverage: CoverageOptions,
    consolidation: ConsolidationOptions,
    coverage_out: str,
    consolidation_out: str,
    neighbours: tuple[CountySource, ...],
    hook: CountyHook | None,
) -> tuple[CountyOutcome, CountyOutcome]:
    from gridgov.coverage._workspace import demand_points
    from gridgov.coverage.standard import parse_standard
    from gridgov.routing.graph import workspace_road_graph

    t0 = time.perf_counter()
    try:
        ws = read_county(county)
        graph = workspace_road_graph(ws)
        # the county's people, projected once for the coverage and the plan
        demand = demand_points(ws, workspace_crs(ws))
    except GridgovError as exc:
        reason = _reason(county, exc)
        return _outcome(county, t0, ok=False, reason=reason), _outcome(
            county, t0, ok=False, reason=reason
        )
    result = None
    folder = county_folder(coverage_out, county.code)
    try:
        row, files, result = _coverage(
            ws, county, coverage, folder, neighbours, mapped=hook is not None, graph=graph,
            demand=demand,
        )  # fmt: skip
        if hook is not None:
            files.update({k: Path(v) for k, v in hook("coverage", ws, result, folder).items()})
        covered = _outcome(county, t0, ok=True, row=row, files=_str(files))
    except GridgovError as exc:
        covered = _outcome(county, t0, ok=False, reason=_reason(county, exc))
    t1 = time.perf_counter()
    folder = county_folder(consolidation_out, county.code)
    try:
        # a standard that cannot be read fails the plan, as it does run alone
        same_basis = (
            result is not None
            and coverage.settings == consolidation.settings
            and str(result.standard)
            == str(parse_standard(consolidation.standard or consolidation.settings.reach_standard))
        )
        row, files, plan = _consolidate(
            ws, county, consolidation, folder, graph=graph,
            before=result if same_basis else None, demand=demand,
        )  # fmt: skip
        if hook is not None:
            files.update({k: Path(v) for k, v in hook("consolidate", ws, plan, folder).items()})
        planned = _outcome(county, t1, ok=True, row=row, files=_str(files))
    except GridgovError as exc:
        planned = _outcome(county, t1, ok=False, reason=_reason(county, exc))
    return covered, planned


def _reason(county: CountySource, exc: GridgovError) -> str:
    log.info("county %s failed: %s", county.code, exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _str(files: Mapping[str, Path]) -> dict[str, str]:
    return {k: str(v) for k, v in files.items()}


def _outcome(county: CountySource, t0: float, **kw: Any) -> CountyOutcome:
    import socket

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return CountyOutcome(
        code=county.code,
        name=county.name,
        seconds=round(time.perf_counter() - t0, 3),
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss_mib=round(rss, 1),
        **kw,
    )


# --- coverage --------------------------------------------------------------------------


def _coverage(
    ws: Workspace,
    county: CountySource,
    options: CoverageOptions,
    folder: Path,
    neighbours: tuple[CountySource, ...],
    *,
    mapped: bool = False,
    graph: Any = _BUILD,
    demand: Any = None,
) -> tuple[dict[str, Any], dict[str, Path], Any]:
    from gridgov.coverage import analyse
    from gridgov.coverage.report import coverage_layers, write_coverage
    from gridgov.routing.graph import workspace_road_graph
    from gridgov.routing.pieces import road_pieces

    settings = options.settings
    if graph is _BUILD:
        graph = workspace_road_graph(ws)
    # Only what is asked is computed: the county's summary and village table never depend
    # on service-area polygons (drawn on the map only), on best sites for the gaps or on
    # the deputies' grouping (both in the county's own report only). Service areas alone
    # were over half of a county's coverage time at province scale.
    result = analyse(
        ws, standard=options.standard, settings=settings, graph=graph,
        service_areas=mapped, gap_sites=options.reports or mapped,
        group=options.reports or mapped, demand=demand,
    )  # fmt: skip
    summary = dict(result.summary)
    summary["road_pieces"] = None
    if graph is not None:
        # as ``gridgov coverage`` reports it for one county, so the two summaries agree
        pieces = road_pieces(graph, ws.villages, ws.stations, mode=result.standard.travel_mode)
        summary["road_pieces"] = pieces.summary()
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if options.reports:
        files.update(write_coverage(result, folder))
    summary_path = folder / "coverage-summary.json"
    summary_path.write_text(strict_json(summary, indent=2), encoding="utf-8")
    files["summary_json"] = summary_path
    files["villages_parquet"] = _parquet(
        coverage_layers(result)["coverage_villages"], folder / "coverage-villages.parquet"
    )
    row = _coverage_row(county, summary)
    if options.cross_border:
        row.update(_cross_border(ws, county, options, result, neighbours, folder, files))
    return row, files, result


def _coverage_row(county: CountySource, s: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "code": county.code,
        "name": county.name,
        "standard": s["standard"],
        "method": s["method"],
        "villages": s["n_villages"],
        "population": s["population"],
        "stations": s["n_stations"],
        "villages_covered": s["villages_covered"],
        "share_villages_covered": s["share_villages_covered"],
        "population_covered": s["population_covered"],
        "share_population_covered": s["share_population_covered"],
        "villages_meeting_rule": s["villages_meeting_rule"],
        "gaps": s["n_gaps"],
        "mean_travel_s": s["mean_travel_s"],
        "p95_travel_s": s["p95_travel_s"],
    }


def reach_m(standard: Any, settings: Settings) -> float:
    """How far the standard can carry anyone, in metres: its distance, or its time at the
    fastest speed of its travel mode on any road. Beyond this from the border no
    neighbour's station can be within the standard."""
    if not standard.is_time:
        return float(standard.limit)
    speeds = settings.speeds_kmh.get(standard.travel_mode, {})
    fastest = max((float(v) for v in speeds.values()), default=0.0)
    return float(standard.limit) * fastest / 3.6


def _cross_border(
    ws: Workspace,
    county: CountySource,
    options: CoverageOptions,
    own: Any,
    neighbours: tuple[CountySource, ...],
    folder: Path,
    files: dict[str, Path],
) -> dict[str, Any]:
    """Coverage when villages may use a neighbour's station, over the neighbours' roads
    within reach of the border (a village is never worse off than with its own county's
    stations alone: those are all still there)."""
    from gridgov.coverage import analyse

    std = own.standard
    crs = workspace_crs(ws)
    ring_m = reach_m(std, options.settings)
    outline = ws.county.to_crs(crs).geometry.union_all()
    zone = gpd.GeoSeries([outline.buffer(ring_m)], crs=crs).to_crs(CGCS2000)
    box = tuple(float(v) for v in zone.total_bounds)
    near = read_near(neighbours, box, ("stations", "roads")) if neighbours else {}  # type: ignore[arg-type]
    area = zone.iloc[0]
    extra_st = near.get("stations")
    extra_rd = near.get("roads")
    if extra_st is not None:
        extra_st = extra_st[extra_st.intersects(area)]
    if extra_rd is not None:
        extra_rd = extra_rd[extra_rd.intersects(area)]
    n_extra = 0 if extra_st is None else len(extra_st)
    figures: dict[str, Any] = {
        "neighbour_stations": n_extra,
        "villages_covered_cross": own.summary["villages_covered"],
        "share_villages_covered_cross": own.summary["share_villages_covered"],
        "population_covered_cross": own.summary["population_covered"],
        "share_population_covered_cross": own.summary["share_population_covered"],
        "villages_gained_cross": 0,
        "villages_served_across": 0,
    }
    if not n_extra:
        return figures
    stations = _joined(ws.stations, extra_st, "station_id")
    roads = (
        ws.roads if extra_rd is None or ws.roads is None else _joined(ws.roads, extra_rd, "road_id")
    )
    wider = Workspace(
        county=ws.county, townships=ws.townships, villages=ws.villages, stations=stations,
        settlements=ws.settlements, grids=None, deputies=None, roads=roads, meta=dict(ws.meta),
    )  # fmt: skip
    cross = analyse(
        wider, standard=std, settings=options.settings, service_areas=False, gap_sites=False,
        group=False,
    )  # fmt: skip
    own_ids = set(ws.stations["station_id"].astype(str))
    v_own, v_cross = own.villages, cross.villages
    gained = (~v_own["covered"].to_numpy()) & v_cross["covered"].to_numpy()
    across = ~v_cross["nearest_station_id"].astype(str).isin(own_ids).to_numpy()
    s = cross.summary
    figures.update(
        villages_covered_cross=s["villages_covered"],
        share_villages_covered_cross=s["share_villages_covered"],
        population_covered_cross=s["population_covered"],
        share_population_covered_cross=s["share_population_covered"],
        villages_gained_cross=int(gained.sum()),
        villages_served_across=int(across.sum()),
    )
    table = v_cross[["code", "name", "township_code", "population", "nearest_station_id",
                     "travel_s", "covered", "geometry"]].copy()  # fmt: skip
    table["covered_own"] = v_own["covered"].to_numpy()
    table["station_across"] = across
    files["cross_border_parquet"] = _parquet(
        gpd.GeoDataFrame(table, crs=v_cross.crs), folder / "coverage-cross-border.parquet"
    )
    path = folder / "coverage-cross-border.json"
    path.write_text(strict_json({**s, **figures}, indent=2), encoding="utf-8")
    files["cross_border_json"] = path
    return figures


def _joined(mine: gpd.GeoDataFrame, theirs: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """``mine`` plus ``theirs`` in ``mine``'s columns; an id of theirs that is also one of
    mine (two counties numbering from 1) is prefixed with its county code."""
    theirs = theirs.to_crs(mine.crs).copy()
    clash = theirs[key].astype(str).isin(set(mine[key].astype(str)))
    theirs.loc[clash, key] = (
        theirs.loc[clash, "county_code"] + ":" + theirs.loc[clash, key].astype(str)
    )
    cols = [c for c in mine.columns if c in theirs.columns]
    return gpd.GeoDataFrame(
        pd.concat([mine, theirs[cols]], ignore_index=True),
        geometry=mine.geometry.name,
        crs=mine.crs,
    )


# --- consolidation ---------------------------------------------------------------------


def county_target(
    ws: Workspace, county: CountySource, options: ConsolidationOptions
) -> tuple[int, str]:
    """The number of stations county ``county`` keeps, and where that number came from
    (``csv``, ``per-township``, ``keep-share``; ``+must`` / ``+all`` when a rule's number
    was raised to the stations that must stay or held to those there are)."""
    if county.code in options.targets:
        return int(options.targets[county.code]), "csv"
    tiers = ws.stations["tier"].astype(str)
    n_stations = len(ws.stations)
    must = int(tiers.isin(options.keep_tiers).sum())
    if options.target_per_township is not None:
        wanted, source = options.target_per_township * len(ws.townships), "per-township"
    elif options.keep_share is not None:
        wanted, source = math.floor(options.keep_share * n_stations + 0.5), "keep-share"
    else:
        raise ParameterError(
            text("region.no_target", code=county.code), parameter="--targets", value=county.code
        )
    if wanted < must:
        return must, f"{source}+must"
    if wanted > n_stations:
        return n_stations, f"{source}+all"
    return wanted, source


def _consolidate(
    ws: Workspace,
    county: CountySource,
    options: ConsolidationOptions,
    folder: Path,
    *,
    graph: Any = None,
    before: Any = None,
    demand: Any = None,
) -> tuple[dict[str, Any], dict[str, Path], Any]:
    from gridgov.coverage.consolidate import consolidate
    from gridgov.coverage.plan_report import consolidation_layers, write_consolidation

    target, source = county_target(ws, county, options)
    plan = consolidate(
        ws, target=target, model=options.model, standard=options.standard,
        keep_tiers=options.keep_tiers, time_limit_s=options.time_limit_s, seed=options.seed,
        settings=options.settings, graph=graph, before=before, demand=demand,
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if options.reports:
        files.update(write_consolidation(plan, folder))
    else:
        path = folder / "consolidation.json"
        path.write_text(strict_json({"summary": plan.summary}, indent=2), encoding="utf-8")
        files["json"] = path
    layers = consolidation_layers(plan)
    for name, gdf in layers.items():
        files[f"{name}_parquet"] = _parquet(gdf, folder / f"{name.replace('_', '-')}.parquet")
    s = plan.summary
    villages = plan.villages
    row = {
        "code": county.code,
        "name": county.name,
        "standard": s["standard"],
        "model": s["model"],
        "villages": len(villages),
        "population": int(villages["population"].fillna(0).sum()),
        "target": target,
        "target_source": source,
        "stations_before": s["stations_before"],
        "stations_after": s["stations_after"],
        "stations_closed": s["stations_closed"],
        "stations_new": s["stations_new"],
        "share_villages_covered_before": s["share_villages_covered_before"],
        "share_villages_covered_after": s["share_villages_covered_after"],
        "share_population_covered_before": s["share_population_covered_before"],
        "share_population_covered_after": s["share_population_covered_after"],
        "gaps_before": int((~villages["covered_before"].astype(bool)).sum()),
        "gaps_after": int((~villages["covered_after"].astype(bool)).sum()),
        "villages_lost": s["villages_lost"],
        "annual_cost_before_yuan": s["annual_cost_before_yuan"],
        "annual_saving_yuan": s["annual_saving_yuan"],
        "proven_optimal": bool(s["proven_optimal"]),
        "gap": None if s["gap"] is None or not np.isfinite(s["gap"]) else float(s["gap"]),
    }
    return row, files, plan


def _parquet(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write a GeoParquet part atomically: a part is either whole or absent, even when a
    worker is killed while writing it and the county is run again elsewhere."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    gpd.GeoDataFrame(gdf).to_parquet(tmp)
    tmp.replace(path)
    return path
