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

Run: ``python bench/bench_region.py [--scales province,national] [--counties N]
[--tasks coverage,consolidate] [--workers 2]``; ``--counties N`` takes the first N counties.
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
        write_region,
    )

    region = open_region(args.region)
    codes = [c.code for c in region.counties][: args.counties or None]
    options: Any
    if args.child == "coverage":
        options = CoverageOptions(reports=args.reports)
    else:
        options = ConsolidationOptions(
            keep_share=args.keep_share,
            model=args.model,
            time_limit_s=args.time_limit,
            reports=args.reports,
        )
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    run = run_region(region, args.child, options, out, workers=args.run_workers, counties=codes)
    write_region(run, out, region=args.region)
    wall = time.perf_counter() - t0
    by_worker: dict[str, float] = {}
    for o in run.outcomes:
        if o.worker:
            by_worker[o.worker] = max(by_worker.get(o.worker, 0.0), o.peak_rss_mib)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": wall,
                "counties": len(run.outcomes),
                "done": len(run.done),
                "failed": len(run.failed),
                "failures": [f"{o.code}: {o.reason}" for o in run.failed[:3]],
                "county_s": sum(o.seconds for o in run.outcomes),
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
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(
            f"{task} workers={workers}: failed (exit {done.returncode})\n{done.stderr[-3000:]}"
        )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="province")
    parser.add_argument("--tasks", default="coverage,consolidate")
    parser.add_argument("--counties", type=int, default=0, help="first N counties only")
    parser.add_argument("--workers", type=int, default=2)
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--region", help=argparse.SUPPRESS)
    parser.add_argument("--run-workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
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
    for scale in args.scales.split(","):
        region = _ensure_data(scale, Path(args.data), args.seed)
        for task in args.tasks.split(","):
            serial = _run(task, region, 0, args)
            dask = _run(task, region, args.workers, args)
            for engine, r in (("serial", serial), (f"dask:{args.workers}", dask)):
                speed = serial["wall_s"] / r["wall_s"]
                client = "" if engine == "serial" else f"{r['client_peak_mib']:>11.0f}"
                print(
                    f"{scale:<9}{task:<12}{engine:<9}{r['counties']:>9,}{r['failed']:>7}"
                    f"{r['wall_s']:>9.1f}{r['wall_s'] / max(1, r['counties']):>9.2f}{speed:>9.2f}"
                    f"{r['worker_peak_mib_max']:>11.0f}{r['worker_peak_mib_mean']:>9.0f}{client}",
                    flush=True,
                )
                for failure in r["failures"]:
                    print(f"          failed {failure}")


if __name__ == "__main__":
    main()
