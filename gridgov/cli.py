"""The ``gridgov`` command line: parse arguments, call the core, write outputs.

Exit codes: 0 success, 2 bad input (the message names the file, row, field and value),
1 an unexpected error (a bug: the traceback is printed so it can be reported).
Every subcommand takes ``--json`` to print a machine-readable summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gridgov import __version__
from gridgov._errors import GridgovError, Problem, ValidationError
from gridgov.model import LAYERS
from gridgov.settings import Settings, load_settings

log = logging.getLogger("gridgov")

#: Scales accepted by ``gridgov synth --scale`` (village-level units).
SYNTH_SCALES = {"county": 220, "province": 20_000, "national": 600_000}


# --- output helpers ------------------------------------------------------------------------


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if args.json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _problems_text(problems: Sequence[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


@contextmanager
def _progress(
    args: argparse.Namespace, label: str, total: int | None
) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (silent with --json or when stderr is not a terminal)."""
    if args.json or not sys.stderr.isatty():

        def quiet(done: int, total_: int) -> None:
            log.info("%s: %d/%d", label, done, total_)

        yield quiet
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, total_: int) -> None:
            bar.update(task, completed=done, total=total_)

        yield update


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.settings) if args.settings else Settings()


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    """The reading options shared by ``load`` and ``validate``."""
    return {
        "encoding": args.encoding,
        "source_crs": args.source_crs,
        "lon_col": args.lon_col,
        "lat_col": args.lat_col,
        "fix": args.fix,
        "settings": _settings(args),
    }


def _layer_sources(args: argparse.Namespace) -> dict[str, Path]:
    return {name: Path(p) for name in LAYERS if (p := getattr(args, f"layer_{name}", None))}


# --- subcommands ---------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the Huarong demo workspace and every analysis that exists so far."""
    from gridgov import io, synth, tables

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = _settings(args)
    steps = [
        "build demo county",
        "validate and write workspace",
        "summary",
        "roster",
        "coverage",
        "consolidation 97 -> 52",
        "a simulated week of issues",
    ]
    t0 = time.perf_counter()
    with _progress(args, "gridgov demo", len(steps)) as tick:
        ws = synth.demo_county(seed=args.seed)
        tick(1, len(steps))
        workspace = out / "huarong.gpkg"
        warnings = io.write_workspace(ws, workspace, settings=settings)
        tick(2, len(steps))
        info = io.workspace_info(workspace)
        summary_path = out / "summary.json"
        summary_path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        tick(3, len(steps))
        roster = io.write_xlsx(tables.roster_sheets(ws), out / "huarong-roster.xlsx")
        tick(4, len(steps))
        cov_files, cov_summary = _run_coverage(
            workspace, out / "coverage", settings=settings, standard=None, basemap="none"
        )
        tick(5, len(steps))
        plan_files, plan_summary = _run_consolidation(
            workspace, out / "consolidation", settings=settings,
            options={"target": 52, "standard": DEMO_PLAN_STANDARD}, curve="auto", basemap="none",
        )  # fmt: skip
        tick(6, len(steps))
        issue_files, issue_summary = _run_issue_week(
            workspace, out, settings=settings, seed=args.seed
        )
        tick(7, len(steps))
    files = {
        "workspace": workspace,
        "summary": summary_path,
        "roster": roster,
        **cov_files,
        **{f"plan_{k}": v for k, v in plan_files.items()},
        **issue_files,
    }
    payload = {
        "out": str(out),
        "files": {k: str(v) for k, v in files.items()},
        "counts": info["counts"],
        "warnings": [p.as_dict() for p in warnings],
        "coverage": cov_summary,
        "consolidation": plan_summary,
        "issues": issue_summary,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    counts = info["counts"]
    lines = [
        f"gridgov demo: {info.get('county_name', '')} ({info.get('county_code', '')}) "
        f"built in {payload['seconds']} s",
        "  " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        "  " + _coverage_line(cov_summary),
        "  " + _plan_line(plan_summary),
        "  " + _issues_line(issue_summary),
        *(f"  {k:<12} {v}" for k, v in files.items()),
    ]
    if warnings:
        lines.append(f"  {len(warnings)} warning(s):\n{_problems_text(warnings)}")
    _emit(args, payload, "\n".join(lines))
    return 0


def _run_issue_week(
    workspace: Path, out: Path, *, settings: Settings, seed: int
) -> tuple[dict[str, Path], dict[str, Any]]:
    """The demo's week of issues: simulated through the real loop on a fresh store, then
    its statistics (XLSX), the issues layer in the workspace and the escalation graph."""
    from datetime import datetime, timedelta, timezone

    from gridgov import io
    from gridgov.routing.escalation import write_escalation
    from gridgov.service import IssueService, issues_layer
    from gridgov.simulate import simulate
    from gridgov.stats import statistics_sheets, statistics_summary
    from gridgov.store.base import IssueQuery

    db = workspace.with_suffix(".issues.sqlite")
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)  # the demo rebuilds its week from scratch
    service = IssueService.open(workspace, db, settings=settings)
    cst = timezone(timedelta(hours=8))
    start = datetime(2026, 11, 16, tzinfo=cst)  # a Monday
    report = simulate(service, start=start, days=7, seed=seed)
    issues, _ = service.store.list_issues(IssueQuery(limit=1_000_000))
    events = service.store.all_events()
    end = report.end
    summary = statistics_summary(
        issues, events, ws=service.ws, start=start, end=end, settings=settings
    )
    folder = out / "issues"
    folder.mkdir(parents=True, exist_ok=True)
    stats = io.write_xlsx(
        statistics_sheets(issues, events, ws=service.ws, start=start, end=end, settings=settings),
        folder / "huarong-issues-week.xlsx",
    )
    io.write_result_layers(workspace, {"issues": issues_layer(issues)})
    graph = write_escalation(service.escalation, folder / "escalation.graphml")
    edges = write_escalation(service.escalation, folder / "escalation.geojson")
    service.store.close()
    summary = {
        **summary,
        "simulated_raised": report.raised,
        "merged_in_week": report.merged,
        "escalated_issues": report.escalated,
        "reopened_issues": report.reopened,
    }
    return {
        "issue_store": db,
        "issue_stats": stats,
        "escalation": graph,
        "escalation_edges": edges,
    }, summary


def _escalation_edges(ws: Any, settings: Settings, graph: Any) -> Any:
    """Edges of the escalation graph for the map's toggle layer (None without grids)."""
    if ws.grids is None or ws.grids.empty:
        return None
    from gridgov.routing.escalation import escalation_edges, escalation_graph

    return escalation_edges(escalation_graph(ws, settings=settings, graph=graph))


def _issues_line(s: dict[str, Any]) -> str:
    return (
        f"issues (simulated week): {s.get('simulated_raised', 0)} raised, "
        f"{s.get('settled', '?')} settled, {s.get('escalated_issues', 0)} escalated, "
        f"{s.get('reopened_issues', 0)} reopened after 不满意, {s.get('merged_in_week', 0)} merged duplicates"
    )


def _coverage_line(s: dict[str, Any]) -> str:
    mean = s.get("mean_travel_s")
    return (
        f"coverage ({s['standard_label']}, {s['method']}): villages {s['villages_covered']}/"
        f"{s['n_villages']} ({s['share_villages_covered']:.1%}), population "
        f"{s['share_population_covered']:.1%}, mean {mean / 60 if mean else float('nan'):.1f} min, "
        f"p95 {s['p95_travel_s'] / 60:.1f} min, gaps {s['n_gaps']}"
    )


def _maps(what: str) -> Any:
    """The maps package, or None (with a warning) when the maps extra is not installed."""
    try:
        import maps
    except ImportError as exc:  # folium is the maps extra
        log.warning("no %s map: %s (pip install 'gridgov[maps]')", what, exc)
        return None
    return maps


def _run_coverage(
    workspace: Path,
    out: Path,
    *,
    settings: Settings,
    standard: str | None,
    basemap: str,
    show_deputies: bool = False,
    write_map: bool = True,
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Analyse coverage of a workspace and write the report, layers and map."""
    from gridgov import io
    from gridgov.coverage import analyse
    from gridgov.coverage.report import write_coverage
    from gridgov.routing.graph import workspace_road_graph

    ws = io.read_workspace(workspace)
    graph = workspace_road_graph(ws)  # built once: coverage and the escalation layer share it
    result = analyse(ws, standard=standard, settings=settings, graph=graph)
    files = write_coverage(result, out, workspace=workspace)
    maps = _maps("coverage") if write_map else None
    if maps is not None:
        fmap = maps.coverage_map(
            ws,
            result,
            basemap=basemap,
            tianditu_key=settings.tianditu_key or None,
            show_deputies=show_deputies,
            escalation=_escalation_edges(ws, settings, graph),
        )
        files["map"] = maps.save_html(fmap, out / "coverage-map.html")
    return files, result.summary


def cmd_coverage(args: argparse.Namespace) -> int:
    """出门即可达: coverage of villages by stations under a reach standard."""
    workspace = Path(args.workspace)
    out = Path(args.out) if args.out else workspace.with_name(f"{workspace.stem}-coverage")
    files, summary = _run_coverage(
        workspace,
        out,
        settings=_settings(args),
        standard=args.standard,
        basemap=args.basemap,
        show_deputies=args.deputies,
        write_map=not args.no_map,
    )
    payload = {"summary": summary, "files": {k: str(v) for k, v in files.items()}}
    text = "\n".join([_coverage_line(summary), *(f"  {k:<12} {v}" for k, v in files.items())])
    _emit(args, payload, text)
    return 0


# The demo county is sparse: keeping everyone who is within 15 minutes today within reach
# needs at least 72 stations (the curve shows it), so the 97 -> 52 demo plan is held to
# 25 minutes by e-bike, the standard 52 stations can meet there.
DEMO_PLAN_STANDARD = "25min:ebike"


def _plan_line(s: dict[str, Any]) -> str:
    gap = "proven optimal" if s["proven_optimal"] else f"gap {s['gap']:.3%} ({s['solver_status']})"
    return (
        f"consolidation ({s['standard_label']}, {s['model']}): stations {s['stations_before']}"
        f" -> {s['stations_after']} ({s['stations_closed']} closed, {s['stations_new']} new),"
        f" villages covered {s['share_villages_covered_before']:.1%} -> "
        f"{s['share_villages_covered_after']:.1%}, {s['villages_lost']} lost, mean "
        f"{s['mean_travel_s_before'] / 60:.1f} -> {s['mean_travel_s_after'] / 60:.1f} min, "
        f"saving {s['annual_saving_yuan']:,} yuan/year, {gap}, "
        f"{len(s['exceptions'])} villages out of reach of any site"
    )


def _run_consolidation(
    workspace: Path,
    out: Path,
    *,
    settings: Settings,
    options: dict[str, Any],
    curve: str | None,
    basemap: str,
    write_map: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Plan a consolidation and write its report, curve, layers and map.

    ``progress(done, total)`` follows the trade-off curve, the slow part.
    """
    from gridgov import io
    from gridgov.coverage.consolidate import consolidate, tradeoff_curve
    from gridgov.coverage.plan_report import write_consolidation

    ws = io.read_workspace(workspace)
    try:
        plan = consolidate(ws, settings=settings, **options)
        table = None
        if curve is not None:
            keys = ("standard", "keep", "keep_tiers", "close", "new_sites")
            table = tradeoff_curve(
                ws, p_values=_p_values(curve), settings=settings, progress=progress,
                **{k: v for k, v in options.items() if k in keys},
            )  # fmt: skip
    except ValueError as exc:
        raise GridgovError(str(exc)) from exc
    files = write_consolidation(plan, out, curve=table, workspace=workspace)
    maps = _maps("consolidation") if write_map else None
    if maps is not None:
        fmap = maps.consolidation_map(
            ws, plan, basemap=basemap, tianditu_key=settings.tianditu_key or None
        )
        files["map"] = maps.save_html(fmap, out / "consolidation-map.html")
    return files, plan.summary


def _p_values(text: str) -> list[int] | None:
    """``"auto"``, ``"20-97"``, ``"20-97:5"`` or ``"30,40,52"``."""
    if text == "auto":
        return None
    try:
        if "-" in text:
            span, _, step = text.partition(":")
            lo, hi = (int(v) for v in span.split("-"))
            return list(range(lo, hi + 1, int(step) if step else max(1, (hi - lo) // 12)))
        return [int(v) for v in text.split(",")]
    except ValueError as exc:
        raise GridgovError(
            f"--curve: expected auto, LO-HI[:STEP] or a list like 30,40,52; got {text!r}"
        ) from exc


def cmd_consolidate(args: argparse.Namespace) -> int:
    """Merge stations: which to keep, where each closed one goes, what it saves."""
    workspace = Path(args.workspace)
    out = Path(args.out) if args.out else workspace.with_name(f"{workspace.stem}-consolidation")
    options: dict[str, Any] = {
        "target": args.target,
        "model": args.model,
        "standard": args.standard,
        "keep": args.keep,
        "keep_tiers": tuple(t for t in args.keep_tiers.split(",") if t),
        "close": args.close,
        "township_min": args.township_min,
        "township_max": args.township_max,
        "new_sites": "villages" if args.new_sites == "villages" else None,
        "deputy_min": args.deputy_min,
        "deputy_max": args.deputy_max,
        "time_limit_s": args.time_limit,
        "seed": args.seed,
    }
    if args.new_sites not in (None, "villages"):
        import geopandas as gpd

        options["new_sites"] = gpd.read_file(Path(args.new_sites))
    with _progress(args, "trade-off curve (stations)", None) as tick:
        files, summary = _run_consolidation(
            workspace, out, settings=_settings(args), options=options,
            curve=None if args.curve == "none" else args.curve, basemap=args.basemap,
            write_map=not args.no_map, progress=tick,
        )  # fmt: skip
    payload = {"summary": summary, "files": {k: str(v) for k, v in files.items()}}
    text = "\n".join([_plan_line(summary), *(f"  {k:<12} {v}" for k, v in files.items())])
    _emit(args, payload, text)
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    """Generate a seeded synthetic county (one workspace) or region (a folder of parts)."""
    from gridgov import io, synth

    n = args.villages if args.villages is not None else SYNTH_SCALES[args.scale]
    out = Path(args.out)
    t0 = time.perf_counter()
    if n <= args.villages_per_county:
        if out.suffix.lower() != ".gpkg":
            out = out / "synthetic-county.gpkg"
        out.parent.mkdir(parents=True, exist_ok=True)
        ws = synth.synth_county(seed=args.seed, n_villages=n)
        io.write_workspace(ws, out, settings=_settings(args))
        summary: dict[str, Any] = {"parts": 1, "files": [str(out)], "counts": ws.counts()}
    else:
        with _progress(args, f"gridgov synth {n:,} villages", None) as tick:
            summary = synth.synth_region(
                out,
                n_villages=n,
                seed=args.seed,
                villages_per_county=args.villages_per_county,
                progress=tick,
            )
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    counts = summary.get("counts", {})
    text = (
        f"gridgov synth: {n:,} village-level units, seed {args.seed}, "
        f"{summary.get('parts', 1)} part(s) in {summary['seconds']} s -> {out}\n  "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    _emit(args, summary, text)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Read files into a workspace (all validated first; nothing written on any error)."""
    from gridgov import io

    sources = _layer_sources(args)
    if not sources:
        raise ValidationError(
            [
                Problem(
                    "command line",
                    None,
                    None,
                    None,
                    "name at least one layer file, e.g. --villages FILE",
                )
            ],
            context="gridgov load",
        )
    ws, warnings = io.load_into_workspace(args.workspace, sources, **_read_options(args))
    counts = ws.counts()
    payload = {
        "workspace": str(args.workspace),
        "loaded": {k: str(v) for k, v in sources.items()},
        "counts": counts,
        "warnings": [p.as_dict() for p in warnings],
    }
    text = f"loaded {', '.join(sources)} into {args.workspace}\n  " + ", ".join(
        f"{k} {v}" for k, v in counts.items()
    )
    if warnings:
        text += f"\n  {len(warnings)} warning(s):\n{_problems_text(warnings)}"
    _emit(args, payload, text)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a workspace, or files as they would load into it; never writes anything."""
    from gridgov import io

    sources = _layer_sources(args)
    if args.workspace is None and not sources:
        raise ValidationError(
            [
                Problem(
                    "command line",
                    None,
                    None,
                    None,
                    "give a WORKSPACE or layer files (--villages FILE ...)",
                )
            ],
            context="gridgov validate",
        )
    # preview_workspace validates every layer and the relations between them, and raises
    # with every problem if any is an error; what comes back are the warnings.
    ws, problems = io.preview_workspace(args.workspace, sources, **_read_options(args))
    payload = {"ok": True, "counts": ws.counts(), "warnings": [p.as_dict() for p in problems]}
    text = "valid: " + ", ".join(f"{k} {v}" for k, v in ws.counts().items())
    if problems:
        text += f"\n  {len(problems)} warning(s):\n{_problems_text(problems)}"
    _emit(args, payload, text)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Summarise a workspace: layer counts and breakdowns."""
    from gridgov import io

    info = io.workspace_info(args.workspace)
    lines = [f"{args.workspace}: {info.get('county_name', '')} ({info.get('county_code', '')})"]
    for key, value in info.items():
        if key in ("county_name", "county_code"):
            continue
        if isinstance(value, dict):
            lines.append(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        else:
            lines.append(f"  {key}: {value}")
    _emit(args, info, "\n".join(lines))
    return 0


# --- parser --------------------------------------------------------------------------------


def _add_input_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "layer files (any of GeoPackage, GeoJSON, Shapefile, CSV, XLSX, KML)"
    )
    for name, schema in LAYERS.items():
        group.add_argument(
            f"--{name}", dest=f"layer_{name}", metavar="FILE", help=f"{schema.label_zh} ({name})"
        )
    p.add_argument("--encoding", help="text encoding of Shapefile DBF / CSV (e.g. GBK, GB18030)")
    p.add_argument(
        "--source-crs",
        help="coordinate system of the input: wgs84, cgcs2000, gcj02 (AMap/Tencent/Ovital), bd09 (Baidu)",
    )
    p.add_argument("--lon-col", help="longitude column of CSV/XLSX (default: detected)")
    p.add_argument("--lat-col", help="latitude column of CSV/XLSX (default: detected)")
    p.add_argument(
        "--fix", action="store_true", help="repair invalid geometries instead of refusing"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gridgov`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    common.add_argument(
        "--settings", metavar="TOML", help="settings file (speeds, standards, costs)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")

    parser = argparse.ArgumentParser(
        prog="gridgov",
        description="Deputy liaison station coverage, consolidation and issue handling for counties.",
    )
    parser.add_argument("--version", action="version", version=f"gridgov {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "demo", parents=[common], help="build the Huarong demo county and its outputs"
    )
    p.add_argument("--out", default="gridgov-demo", help="output folder (default: ./gridgov-demo)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the synthetic parts")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "synth", parents=[common], help="generate a seeded synthetic county or region"
    )
    p.add_argument("out", help="a .gpkg file (one county) or a folder (a region, written in parts)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--scale", choices=sorted(SYNTH_SCALES), default="county")
    size.add_argument("--villages", type=int, help="number of village-level units")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--villages-per-county", type=int, default=215)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("coverage", parents=[common], help="出门即可达: coverage, gaps, map")
    p.add_argument("workspace", type=Path, help="workspace GeoPackage")
    p.add_argument(
        "--standard",
        help="reach standard, e.g. 15min:ebike, 20min:walk, 3km:road (default from settings)",
    )
    p.add_argument("--out", help="output folder (default: WORKSPACE-coverage beside it)")
    p.add_argument(
        "--basemap",
        default="none",
        choices=["none", "osm", "tianditu", "amap"],
        help="map background (none works offline)",
    )
    p.add_argument("--deputies", action="store_true", help="show deputies' homes on the map")
    p.add_argument("--no-map", action="store_true", help="skip the HTML map")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser(
        "consolidate", parents=[common], help="merge stations: keep/close plan, curve, map"
    )
    p.add_argument("workspace", type=Path, help="workspace GeoPackage")
    p.add_argument("--target", type=int, default=52, help="stations to keep (default 52)")
    p.add_argument(
        "--model",
        default="p-median-full",
        choices=["p-median-full", "p-median", "mclp", "lscp", "p-center"],
        help="p-median-full (default): least travel, nobody coverable left out of reach",
    )
    p.add_argument("--standard", help="reach standard, e.g. 15min:ebike (default from settings)")
    p.add_argument("--keep", help="station ids that must stay, comma-separated")
    p.add_argument(
        "--keep-tiers",
        default="station,studio",
        help="tiers kept whole (default station,studio: township stations and studios)",
    )
    p.add_argument("--close", help="station ids that must close, comma-separated")
    p.add_argument("--township-min", type=int, help="fewest stations per township after")
    p.add_argument("--township-max", type=int, help="most stations per township after")
    p.add_argument(
        "--new-sites", help="candidate new sites: 'villages' (village centres) or a point file"
    )
    p.add_argument("--deputy-min", type=int, help="fewest deputies per kept station")
    p.add_argument("--deputy-max", type=int, help="most deputies per kept station")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--curve",
        default="auto",
        help="trade-off curve over p: auto, LO-HI[:STEP], a list, or 'none'",
    )
    p.add_argument("--out", help="output folder (default: WORKSPACE-consolidation beside it)")
    p.add_argument("--basemap", default="none", choices=["none", "osm", "tianditu", "amap"])
    p.add_argument("--no-map", action="store_true", help="skip the HTML map")
    p.set_defaults(func=cmd_consolidate)

    p = sub.add_parser("load", parents=[common], help="read layer files into a workspace")
    p.add_argument("workspace", type=Path, help="workspace GeoPackage (created if missing)")
    _add_input_options(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "validate", parents=[common], help="check a workspace or files, write nothing"
    )
    p.add_argument("workspace", type=Path, nargs="?", help="workspace GeoPackage")
    _add_input_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("info", parents=[common], help="summarise a workspace")
    p.add_argument("workspace", type=Path)
    p.set_defaults(func=cmd_info)

    from gridgov.cli_db import register as register_db
    from gridgov.cli_service import register

    register(sub, common, serve=cmd_serve)
    register_db(sub, common)
    return parser


_SERVE_ENV = "GRIDGOV_SERVE_OPTIONS"


def _serve_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "workspace": str(args.workspace),
        "db": None if args.db is None else str(args.db),
        "settings": None if args.settings is None else str(args.settings),
        "tick": float(args.tick),
        "rate": float(args.rate),
    }


def serve_app() -> Any:
    """The web app of one ``gridgov serve --workers N`` worker process (uvicorn calls this
    factory in each worker; the options come from the parent through the environment)."""
    from api import create_app
    from gridgov.cli_service import _service

    options = json.loads(os.environ[_SERVE_ENV])
    args = argparse.Namespace(**options)
    return create_app(_service(args), tick_interval_s=args.tick, rate_per_s=args.rate)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web service (uvicorn) on the workspace's store.

    With ``--workers N`` uvicorn runs N processes on one port (SQLite in WAL mode and
    PostGIS both take writers from several processes): on two cores two workers take about
    twice the issue creations one does, because one Python process is bound to one core.
    Each worker runs its own deadline scheduler; :meth:`IssueService.tick` re-checks every
    deadline on the fresh row, so two schedulers never act twice on one. ``--rate`` is per
    worker.
    """
    try:
        import uvicorn

        from api import create_app
    except ImportError as exc:
        raise ImportError(
            f"gridgov serve needs the api extra: pip install 'gridgov[api]' ({exc})"
        ) from exc
    from gridgov.cli_service import _service, _shown, _store_path

    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    # Opened here even for several workers: a bad workspace or store fails now, once, with
    # exit code 2, and a new PostGIS database is migrated before the workers start.
    service = _service(args)
    where = (
        f"gridgov serving {_shown(args.workspace)} on http://{args.host}:{args.port} "
        f"(store {_shown(_store_path(args))}"
    )
    if args.workers == 1:
        app = create_app(service, tick_interval_s=args.tick, rate_per_s=args.rate)
        print(where + ")", flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", workers=1)
        return 0
    service.store.close()
    os.environ[_SERVE_ENV] = json.dumps(_serve_options(args))
    print(where + f", {args.workers} workers)", flush=True)
    from api.serve import run_workers

    run_workers("gridgov.cli:serve_app", host=args.host, port=args.port, workers=args.workers)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except ValidationError as exc:
        if args.json:
            json.dump(
                {
                    "ok": False,
                    "error": exc.context,
                    "problems": [p.as_dict() for p in exc.problems],
                },
                sys.stdout,
                ensure_ascii=False,
                indent=2,
            )
            sys.stdout.write("\n")
        print(f"gridgov {args.command}: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    except (
        GridgovError,
        FileNotFoundError,
        IsADirectoryError,
        PermissionError,
        ImportError,
        ValueError,
    ) as exc:
        if args.json:
            json.dump({"ok": False, "error": str(exc)}, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        print(f"gridgov {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            f"gridgov {args.command}: unexpected error (a bug in gridgov {__version__}); "
            "please report it with the traceback above",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
