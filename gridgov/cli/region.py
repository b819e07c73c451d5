"""``gridgov region info`` and ``gridgov coverage | consolidate REGION``: many counties on Dask.

A region is a folder (of county workspaces, or of the parts ``gridgov synth`` writes);
``gridgov coverage`` and ``gridgov consolidate`` hand a folder to :func:`cmd_region`, which
runs every county as a task (:func:`gridgov.region.run_region`; with ``consolidate
--with-coverage`` both at once, :func:`gridgov.region.run_region_pair`), shows counties done and
failures as they come, writes the region's workbook, JSON and map, and exits 3 when some
county failed (the others' results are all written). The region map and each county's map
are drawn here, in the CLI layer, with the ``maps`` shell: the core never imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gridgov._errors import ParameterError
from gridgov.cli._common import emit, optional_maps, settings_of
from gridgov.messages import text
from gridgov.store import is_dsn

__all__ = [
    "EXIT_SOME_FAILED",
    "cmd_region",
    "county_map",
    "is_region",
    "refuse_pair",
    "register",
]

#: Exit code when some counties failed and the others' results were written.
EXIT_SOME_FAILED = 3

_MAP_FILES = {"coverage": "coverage-map.html", "consolidate": "consolidation-map.html"}


def is_region(target: object) -> bool:
    """True when a command's input is a region: a folder, not one county's GeoPackage, or a
    ``postgresql://`` database holding one county per schema."""
    return is_dsn(target) or Path(str(target)).is_dir()


def workspace_arg(value: str) -> str | Path:
    """The input argument of ``coverage`` / ``consolidate``: a database URL stays a string
    (a Path would fold its ``//``), anything else is a path."""
    return value if is_dsn(value) else Path(value)


def _default_out(source: str | Path, suffix: str) -> Path:
    """``REGION-coverage`` beside a folder; ``DBNAME-coverage`` here for a database."""
    if isinstance(source, str) and is_dsn(source):
        from psycopg.conninfo import conninfo_to_dict

        try:
            name = str(conninfo_to_dict(source).get("dbname") or "region")
        except Exception:  # a malformed DSN: open_region has already said why
            name = "region"
        return Path(f"{name}-{suffix}")
    path = Path(source)
    return path.with_name(f"{path.name}-{suffix}")


def _progress_printer(args: argparse.Namespace, total: int) -> Any:
    """Counties done / total on stderr, a bar on a terminal, else a line at most every
    5 seconds; each failed county named as it fails."""
    shown: set[str] = set()
    last = [0.0]

    def say(done: int, total_: int, failed: Sequence[str]) -> None:
        for code in failed:
            if code not in shown:
                shown.add(code)
                print(text("region.county_failed_now", code=code), file=sys.stderr, flush=True)
        now = time.monotonic()
        if done == total_ or now - last[0] >= 5.0:
            last[0] = now
            print(
                text("region.progress", done=done, total=total_, failed=len(failed)),
                file=sys.stderr,
                flush=True,
            )

    return say


def _region_options(args: argparse.Namespace, task: str, counties: Sequence[str]) -> Any:
    from gridgov.region import ConsolidationOptions, CoverageOptions, read_targets

    settings = settings_of(args)
    if task == "coverage":
        return CoverageOptions(
            standard=args.standard,
            settings=settings,
            cross_border=getattr(args, "cross_border", False),  # consolidate has none
            reports=not args.no_county_reports,
        )
    if not args.time_limit > 0:
        raise ParameterError(
            f"--time-limit must be a positive number of seconds, got {args.time_limit}",
            parameter="--time-limit",
            value=args.time_limit,
        )
    if args.keep_share is not None and not 0 < args.keep_share <= 1:
        raise ParameterError(
            text("region.bad_keep_share", value=args.keep_share),
            parameter="--keep-share",
            value=args.keep_share,
        )
    if args.target_per_township is not None and args.target_per_township < 1:
        raise ParameterError(
            text("region.bad_per_township", value=args.target_per_township),
            parameter="--target-per-township",
            value=args.target_per_township,
        )
    targets = read_targets(args.targets, counties) if args.targets else {}
    if args.keep_share is None and args.target_per_township is None:
        missing = [c for c in counties if c not in targets]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise ParameterError(
                text("region.targets_needed", count=len(missing), codes=shown),
                parameter="--targets",
                value=missing,
            )
    return ConsolidationOptions(
        targets=targets,
        keep_share=args.keep_share,
        target_per_township=args.target_per_township,
        model=args.model,
        standard=args.standard,
        keep_tiers=_keep_tiers(args.keep_tiers),
        time_limit_s=args.time_limit,
        seed=args.seed,
        settings=settings,
        reports=not args.no_county_reports,
    )


def _single_county_options(args: argparse.Namespace, task: str) -> list[str]:
    """County-only options given with a region: refused, not silently ignored."""
    given = [
        flag
        for flag, attr in (
            ("--keep", "keep"),
            ("--close", "close"),
            ("--township-min", "township_min"),
            ("--township-max", "township_max"),
            ("--new-sites", "new_sites"),
            ("--deputy-min", "deputy_min"),
            ("--deputy-max", "deputy_max"),
        )
        if getattr(args, attr, None) is not None
    ]
    if task == "consolidate" and args.curve not in ("auto", "none"):
        given.append("--curve")
    return given


def _keep_tiers(value: str) -> tuple[str, ...]:
    """``--keep-tiers`` as the county command reads it: tiers by value or Chinese label."""
    from gridgov.model import StationTier

    tiers = []
    for part in (t.strip() for t in value.replace("，", ",").split(",") if t.strip()):
        try:
            tiers.append(StationTier.parse(part).value)
        except ParameterError as exc:
            raise ParameterError(
                text("region.bad_tier", value=part), parameter="--keep-tiers", value=part
            ) from exc
    return tuple(tiers)


def cmd_region(args: argparse.Namespace, task: str) -> int:
    """``gridgov coverage REGION`` / ``gridgov consolidate REGION``: every county on Dask."""
    from gridgov.region import open_region, run_region, run_region_pair, write_region

    given = _single_county_options(args, task)
    if given:
        raise ParameterError(
            text("region.county_only", options=", ".join(given)),
            parameter=given[0],
            value=given,
        )
    if not args.verbose:
        # Dask logs every worker's start and stop at INFO, and sets that level when it is
        # first imported; the progress lines say enough
        # (without Dask, run_region says which extra is missing, unless the run is serial)
        with contextlib.suppress(ImportError):
            import distributed  # noqa: F401
        logging.getLogger("distributed").setLevel(logging.WARNING)
    source = args.workspace if is_dsn(args.workspace) else Path(args.workspace)
    region = open_region(source)
    codes = [c.code for c in region.counties]
    wanted = [c.strip() for c in args.counties.split(",") if c.strip()] if args.counties else None
    options = _region_options(args, task, wanted or codes)
    suffix = "coverage" if task == "coverage" else "consolidation"
    out = _out_folder(args.out, source, suffix, "--out")
    pair = task == "consolidate" and (args.with_coverage or args.coverage_out is not None)
    maps = None if args.no_map else optional_maps("region")
    if maps is not None and args.basemap == "tianditu":
        maps.tianditu_key(settings_of(args).tianditu_key or None, settings=settings_of(args))
    hook = county_map if maps is not None else None
    total = len(wanted) if wanted else len(codes)
    runs: list[tuple[Any, Path]]
    if pair:
        cov_out = _out_folder(args.coverage_out, source, "coverage", "--coverage-out")
        if cov_out.resolve() == out.resolve():
            raise ParameterError(
                text("region.pair_same_out", path=out), parameter="--coverage-out",
                value=str(cov_out),
            )  # fmt: skip
        covered, planned = run_region_pair(
            region, _region_options(args, "coverage", wanted or codes), options, cov_out, out,
            scheduler=args.scheduler, workers=args.workers, counties=wanted, hook=hook,
            progress=_progress_printer(args, total),
        )  # fmt: skip
        runs = [(covered, cov_out), (planned, out)]
    else:
        run = run_region(
            region, task, options, out, scheduler=args.scheduler, workers=args.workers,
            counties=wanted, hook=hook, progress=_progress_printer(args, total),
        )  # fmt: skip
        runs = [(run, out)]
    payloads: list[dict[str, Any]] = []
    lines: list[str] = []
    for run, folder in runs:
        files, summary = write_region(run, folder, region=region.root)
        if maps is not None:
            files["map"] = region_map(
                maps, region, run, folder / "region-map.html", basemap=args.basemap,
                tianditu_key=settings_of(args).tianditu_key or None,
            )  # fmt: skip
        payloads.append({"summary": summary, "files": {k: str(v) for k, v in files.items()}})
        lines.append(_headline(run, summary))
        lines += [
            text("region.failed_line", code=o.code, name=o.name, reason=o.reason)
            for o in run.failed
        ]
        lines += [f"  {k:<12} {v}" for k, v in files.items()]
    # the last run is the command's own; the coverage of --with-coverage rides beside it
    payload = payloads[-1] if not pair else {**payloads[1], "coverage": payloads[0]}
    emit(args, payload, "\n".join(lines))
    return EXIT_SOME_FAILED if any(run.failed for run, _ in runs) else 0


def _out_folder(given: str | None, source: str | Path, suffix: str, flag: str) -> Path:
    out = Path(given) if given else _default_out(source, suffix)
    if out.exists() and not out.is_dir():
        raise ParameterError(text("region.out_is_file", path=out), parameter=flag, value=str(out))
    return out


def _headline(run: Any, summary: Mapping[str, Any]) -> str:
    t = summary["totals"]
    if run.task == "coverage":
        line = text(
            "region.coverage_line",
            done=len(run.done), total=len(run.outcomes), engine=run.engine,
            seconds=f"{run.seconds:.1f}", villages=f"{t.get('villages', 0):,}",
            covered=f"{t.get('share_villages_covered', 0.0):.1%}",
            population=f"{t.get('share_population_covered', 0.0):.1%}", gaps=f"{t.get('gaps', 0):,}",
        )  # fmt: skip
        if "share_villages_covered_cross" in t:
            line += "\n" + text(
                "region.cross_line",
                covered=f"{t['share_villages_covered_cross']:.1%}",
                gained=f"{t.get('villages_gained_cross', 0):,}",
            )
        return line
    return text(
        "region.consolidate_line",
        done=len(run.done), total=len(run.outcomes), engine=run.engine,
        seconds=f"{run.seconds:.1f}", before=f"{t.get('stations_before', 0):,}",
        after=f"{t.get('stations_after', 0):,}", saving=f"{t.get('annual_saving_yuan', 0):,}",
        lost=f"{t.get('villages_lost', 0):,}",
    )  # fmt: skip


def county_map(task: str, ws: Any, done: Any, folder: Path) -> dict[str, Path]:
    """A county's own map in its folder (runs on the worker, after the county's results)."""
    from gridgov.cli._common import shell

    maps = shell("maps")
    name = _MAP_FILES[task]
    if task == "coverage":
        fmap = maps.coverage_map(ws, done, basemap="none")
    else:
        fmap = maps.consolidation_map(ws, done, basemap="none")
    return {"map": maps.save_html(fmap, folder / name)}


def region_map(
    maps: Any,
    region: Any,
    run: Any,
    path: Path,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
) -> Path:
    """The region map (:func:`maps.region_map`): one shape per county, coloured by its
    share of villages within the standard (after the plan, for a consolidation), each
    linking to the county's own map in its folder."""
    from gridgov.region import county_outlines

    outlines = county_outlines(region)
    by_code = {o.code: o for o in run.outcomes}
    share_key = (
        "share_villages_covered" if run.task == "coverage" else "share_villages_covered_after"
    )
    outlines = outlines[outlines["code"].isin(by_code)].copy()
    outcomes = [by_code[c] for c in outlines["code"]]
    outlines["name"] = [o.name for o in outcomes]
    outlines["share"] = [o.row.get(share_key) if o.ok else None for o in outcomes]
    outlines["reason"] = [o.reason for o in outcomes]
    outlines["link"] = [
        f"counties/{o.code}/{_MAP_FILES[run.task]}" if o.ok else None for o in outcomes
    ]
    title = text("region.map_title", task=text(f"region.task_{run.task}"))
    fmap = maps.region_map(outlines, title=title, basemap=basemap, tianditu_key=tianditu_key)
    return Path(maps.save_html(fmap, path))


def refuse_pair(args: argparse.Namespace) -> None:
    """``--with-coverage`` on one county: refused, not silently ignored (the county's
    coverage is ``gridgov coverage COUNTY.gpkg``)."""
    if getattr(args, "with_coverage", False) or getattr(args, "coverage_out", None) is not None:
        raise ParameterError(
            text("region.pair_needs_region"), parameter="--with-coverage", value=True
        )


def cmd_region_info(args: argparse.Namespace) -> int:
    """``gridgov region info REGION``: the counties of a region and their counts."""
    from gridgov.region import open_region

    region = open_region(args.region)
    summary = region.summary()
    t = summary["totals"]
    lines = [
        text(
            "region.info_head",
            region=region.root,
            counties=summary["counties"],
            files=summary["sources"],
            townships=f"{t['townships']:,}",
            villages=f"{t['villages']:,}",
            stations=f"{t['stations']:,}",
            population=f"{t['population']:,}",
        )
    ]
    for row in summary["by_county"]:
        lines.append(
            text(
                "region.info_row",
                code=row["code"],
                name=row["name"],
                townships=row["townships"],
                villages=row["villages"],
                stations=row["stations"],
                population=f"{row['population']:,}",
            )
        )
    emit(args, summary, "\n".join(lines))
    return 0


def _add_run_options(p: argparse.ArgumentParser, task: str) -> None:
    """The region options of ``coverage`` / ``consolidate`` (used when the input is a folder)."""
    g = p.add_argument_group("region (when the input is a folder of counties)")
    g.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://HOST:8786"
    )
    g.add_argument(
        "--workers",
        type=int,
        help="worker processes of the local cluster (default: one per core; 0: serial, no Dask)",
    )
    g.add_argument("--counties", metavar="CODES", help="only these county codes, comma-separated")
    g.add_argument(
        "--no-county-reports",
        action="store_true",
        help="skip each county's XLSX/CSV report (results and summary are still written)",
    )
    if task == "coverage":
        g.add_argument(
            "--cross-border",
            action="store_true",
            help="also let villages reach neighbouring counties' stations (reported apart)",
        )
    else:
        g.add_argument("--targets", metavar="CSV", help="targets per county: county_code,target")
        g.add_argument(
            "--keep-share", type=float, help="keep this share of each county's stations, e.g. 0.55"
        )
        g.add_argument(
            "--target-per-township", type=int, metavar="N", help="keep N stations per township"
        )
        g.add_argument(
            "--with-coverage",
            action="store_true",
            help="also write the region's coverage, as `gridgov coverage REGION` would, from the"
            " same task per county (one read, the coverage reused as the plan's before): the"
            " quickest way to both",
        )
        g.add_argument(
            "--coverage-out",
            metavar="DIR",
            help="where --with-coverage writes the coverage (default REGION-coverage beside"
            " REGION); implies --with-coverage",
        )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``region info``, and the region options of ``coverage`` and ``consolidate``
    (registered before this, by :mod:`gridgov.cli.plan`)."""
    for task in ("coverage", "consolidate"):
        parser = sub.choices[task]
        _add_run_options(parser, task)
        for action in parser._actions:
            if action.dest == "workspace":
                # a postgresql:// region must reach cmd_region whole (a Path folds its //)
                action.type = workspace_arg
                action.help = "workspace GeoPackage, or a region: a folder or postgresql://..."
    p = sub.add_parser("region", help="a city, province or nation: many counties at once")
    inner = p.add_subparsers(dest="region_command", required=True, metavar="COMMAND")
    q = inner.add_parser("info", parents=[common], help="list a region's counties and counts")
    q.add_argument(
        "region",
        type=workspace_arg,
        help="folder of county workspaces or synth parts, or postgresql://... (a county per schema)",
    )
    q.set_defaults(func=cmd_region_info)
