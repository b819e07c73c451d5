"""Region runs at province and national scale: serial in one process vs Dask with 2 workers.

For each scale, on ``gridgov synth`` parts (generated under ``--data`` if missing), and for
each task (coverage; consolidation keeping ``--keep-share`` of each county's stations, ``--model``),
runs :func:`gridgov.region.run_region` twice on the same counties, each in a fresh
subprocess: ``workers=0`` (serial, one process, no Dask) and a ``LocalCluster`` of
``--workers`` single-threaded worker processes (startup included). Prints, per run: wall
time, counties done and failed, seconds per county, speed-up over serial, and peak resident
memory per worker (the serial process itself; for Dask the largest and the mean of the
workers' own peaks, as each county's task reads them), plus the Dask client's peak.

Counties' own XLSX/CSV reports and maps are off (``--reports`` turns the reports on), so
the figures are the region's computing and its parts, not Excel writing.

The task ``pair`` is both in one task per county (``gridgov consolidate REGION
--with-coverage``: one read, the coverage reused as the plan's "before").

Run: ``python bench/bench_region.py [--scales province,national] [--counties N]
[--tasks coverage,consolidate,pair] [--workers 2] [--engines serial,dask]``; ``--counties N``
takes the first N counties; the national scale runs ``pair`` alone unless ``--tasks`` says
otherwise (``--scales national --engines dask``: the national run end to end, about 22
minutes on 2 cores). The last lines give each scale's coverage + consolidation end to end
on the Dask workers, apart and as one task. ``--per-county N`` instead times the first N province
counties one by one in this process (lean, as the region run does them without county
maps, and with everything a county map needs), apart and as one task, and prints the
national time those figures imply.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCALES = {"province": 20_000, "national": 600_000}
NATIONAL_COUNTIES = 2_791


def _ensure_data(scale: str, data: Path, seed: int) -> Path:
    from gridgov.synth import synth_region

    folder = data / scale
    meta = folder / "region.json"
    if not meta.exists() or json.loads(meta.read_text())["n_villages"] != SCALES[scale]:
        print(f"  generating {scale} data under {folder} ...", file=sys.stderr, flush=True)
        synth_region(folder, n_villages=SCALES[scale], seed=seed, workers=2)
    return folder


def _child(args: argparse.Namespace) -> None:
    from gridgov.region import (
        ConsolidationOptions,
        CoverageOptions,
        open_region,
        run_region,
        run_region_pair,
        write_region,
    )

    region = open_region(args.region)
    codes = [c.code for c in region.counties][: args.counties or None]
    cov = CoverageOptions(reports=args.reports)
    con = ConsolidationOptions(
        keep_share=args.keep_share,
        model=args.model,
        time_limit_s=args.time_limit,
        reports=args.reports,
    )
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()

    def progress(done: int, total: int, failed: list[str]) -> None:
        # about twenty lines a run, on stderr (stdout carries the figures)
        if done == total or done % max(1, total // 20) == 0:
            print(f"  {args.child}: {done:,}/{total:,} counties, {len(failed)} failed, "
                  f"{time.perf_counter() - t0:,.0f} s", file=sys.stderr, flush=True)  # fmt: skip

    runs: tuple[Any, ...]
    if args.child == "pair":
        runs = run_region_pair(
            region, cov, con, out / "coverage", out / "consolidation",
            workers=args.run_workers, counties=codes, progress=progress,
        )  # fmt: skip
        for run, folder in zip(runs, ("coverage", "consolidation"), strict=True):
            write_region(run, out / folder, region=args.region)
    else:
        options = cov if args.child == "coverage" else con
        runs = (run_region(region, args.child, options, out, workers=args.run_workers,
                           counties=codes, progress=progress),)  # fmt: skip
        write_region(runs[0], out, region=args.region)
    wall = time.perf_counter() - t0
    outcomes = [o for run in runs for o in run.outcomes]
    failed = {o.code: o for o in outcomes if not o.ok}
    by_worker: dict[str, float] = {}
    for o in outcomes:
        if o.worker:
            by_worker[o.worker] = max(by_worker.get(o.worker, 0.0), o.peak_rss_mib)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": wall,
                "counties": len(runs[0].outcomes),
                "done": len(runs[0].outcomes) - len(failed),
                "failed": len(failed),
                "failures": [f"{o.code}: {o.reason}" for o in list(failed.values())[:3]],
                "county_s": sum(o.seconds for o in outcomes),
                "workers": len(by_worker),
                "worker_peak_mib_max": max(by_worker.values(), default=own),
                "worker_peak_mib_mean": (sum(by_worker.values()) / len(by_worker))
                if by_worker
                else own,
                "client_peak_mib": own,
            }
        )
    )


def _run(task: str, region: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, "--child", task, "--region", str(region),
        "--run-workers", str(workers), "--out", str(Path(args.out) / f"{region.name}-{task}-{workers}"),
        "--keep-share", str(args.keep_share), "--time-limit", str(args.time_limit),
        "--model", args.model,
    ]  # fmt: skip
    if args.counties:
        cmd += ["--counties", str(args.counties)]
    if args.reports:
        cmd.append("--reports")
    t0 = time.perf_counter()
    # the child's stderr passes through: its progress lines (a national run is half an
    # hour), and its traceback if it fails
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{task} workers={workers}: failed (exit {done.returncode}); see above")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def _per_county(args: argparse.Namespace) -> None:
    """Serial, in this process: each task's seconds per county on the first N counties of
    the province, the two apart and as one task (``run_county_pair``), and the national
    run those figures imply on ``--workers`` processes. The three are run county by county
    in turn, so a busy machine weighs on each alike."""
    import tempfile

    from gridgov.region import (
        ConsolidationOptions,
        CoverageOptions,
        open_region,
        run_county,
        run_county_pair,
    )

    region = open_region(_ensure_data("province", Path(args.data), args.seed))
    counties = region.counties[: args.per_county]
    cov = CoverageOptions(reports=args.reports)
    con = ConsolidationOptions(
        keep_share=args.keep_share, model=args.model, time_limit_s=args.time_limit,
        reports=args.reports,
    )  # fmt: skip

    def no_map(task: str, ws: Any, done: Any, folder: Path) -> dict[str, Path]:
        return {}  # asks for everything a county map needs, draws nothing

    hooks = {"lean": None, "as-for-map": no_map}
    # warm up: imports and the first file's layer list are not a county's cost
    with tempfile.TemporaryDirectory() as out:
        run_county("coverage", counties[0], cov, out)
        run_county("consolidate", counties[0], con, out)
        run_county_pair(counties[0], cov, con, f"{out}/c", f"{out}/p")
    print(
        f"per county, serial, one process: first {len(counties)} province counties; "
        f"national estimate = {NATIONAL_COUNTIES:,} counties x seconds per county "
        f"/ {args.workers} workers"
    )
    print(
        f"{'county work':<14}{'coverage s':>12}{'consolidate s':>15}{'apart min':>11}"
        f"{'one task s':>12}{'one task min':>14}"
    )
    for label, hook in hooks.items():
        seconds = {"coverage": 0.0, "consolidate": 0.0, "pair": 0.0}
        with tempfile.TemporaryDirectory() as out:
            for county in counties:
                for task, options in (("coverage", cov), ("consolidate", con)):
                    t0 = time.perf_counter()
                    done = run_county(task, county, options, out, hook=hook)
                    seconds[task] += time.perf_counter() - t0
                    if not done.ok:
                        print(f"  {task} {county.code} failed: {done.reason}")
                t0 = time.perf_counter()
                both = run_county_pair(county, cov, con, f"{out}/c", f"{out}/p", hook=hook)
                seconds["pair"] += time.perf_counter() - t0
                for part in both:
                    if not part.ok:
                        print(f"  one task {county.code} failed: {part.reason}")
        n = len(counties)
        per = {k: v / n for k, v in seconds.items()}
        apart = (per["coverage"] + per["consolidate"]) * NATIONAL_COUNTIES / args.workers / 60
        pair = per["pair"] * NATIONAL_COUNTIES / args.workers / 60
        print(
            f"{label:<14}{per['coverage']:>12.2f}{per['consolidate']:>15.2f}{apart:>11.1f}"
            f"{per['pair']:>12.2f}{pair:>14.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="province")
    parser.add_argument(
        "--tasks",
        help="of coverage,consolidate,pair (pair: both in one task per county); default all"
        " three, and pair alone for the national scale",
    )
    parser.add_argument("--counties", type=int, default=0, help="first N counties only")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--engines",
        default="serial,dask",
        help="serial,dask (default) or one of them: a national serial run alone is an hour",
    )
    parser.add_argument("--keep-share", type=float, default=0.55)
    parser.add_argument("--time-limit", type=float, default=20.0)
    # p-median: least travel for the kept share. The default county model, p-median-full,
    # also demands that everyone coverable stays covered, which 55% of a synthetic
    # county's stations cannot do (each county would fail, and time nothing).
    parser.add_argument("--model", default="p-median")
    parser.add_argument("--reports", action="store_true")
    parser.add_argument("--data", default="bench/out/coverage-data")
    parser.add_argument("--out", default="bench/out/region")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--per-county",
        type=int,
        default=0,
        metavar="N",
        help="instead: seconds per county, serial, on the first N province counties, "
        "and the national estimate they imply",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--region", help=argparse.SUPPRESS)
    parser.add_argument("--run-workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if args.per_county:
        _per_county(args)
        return
    head = (
        f"{'scale':<9}{'task':<12}{'engine':<9}{'counties':>9}{'failed':>7}{'wall s':>9}"
        f"{'s/county':>9}{'speed-up':>9}{'worker MiB':>11}{'mean MiB':>9}{'client MiB':>11}"
    )
    print(
        f"region runs: serial vs LocalCluster({args.workers} workers x 1 thread); {args.model} "
        f"keeping {args.keep_share}, time limit {args.time_limit} s, county reports "
        f"{'on' if args.reports else 'off'}"
    )
    print(head)
    print("-" * len(head))
    engines = [0 if e == "serial" else args.workers for e in args.engines.split(",")]
    # coverage + consolidation end to end on the Dask workers, per scale: the two tasks
    # run apart, and the two as one task per county
    end_to_end: dict[tuple[str, str], float] = {}
    for scale in args.scales.split(","):
        region = _ensure_data(scale, Path(args.data), args.seed)
        tasks = args.tasks or ("pair" if scale == "national" else "coverage,consolidate,pair")
        for task in tasks.split(","):
            runs = {
                ("serial" if n == 0 else f"dask:{n}"): _run(task, region, n, args) for n in engines
            }
            how = "one task" if task == "pair" else "apart"
            end_to_end[scale, how] = (
                end_to_end.get((scale, how), 0.0)
                + runs.get(f"dask:{args.workers}", {"wall_s": 0.0})["wall_s"]
            )
            for engine, r in runs.items():
                speed_s = (
                    f"{runs['serial']['wall_s'] / r['wall_s']:>9.2f}" if "serial" in runs else ""
                )
                client = "" if engine == "serial" else f"{r['client_peak_mib']:>11.0f}"
                print(
                    f"{scale:<9}{task:<12}{engine:<9}{r['counties']:>9,}{r['failed']:>7}"
                    f"{r['wall_s']:>9.1f}{r['wall_s'] / max(1, r['counties']):>9.2f}{speed_s:>9}"
                    f"{r['worker_peak_mib_max']:>11.0f}{r['worker_peak_mib_mean']:>9.0f}{client}",
                    flush=True,
                )
                for failure in r["failures"]:
                    print(f"          failed {failure}")
    for (scale, how), seconds in end_to_end.items():
        if seconds:
            print(
                f"{scale}: coverage + consolidation end to end on {args.workers} Dask "
                f"workers, {how}: {seconds / 60:.1f} min"
            )


if __name__ == "__main__":
    main()
