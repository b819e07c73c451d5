"""Time and peak memory of ``gridgov.synth.synth_region`` at county, province and national scale.

Each scale runs in a fresh subprocess (so one scale's memory does not inflate the next),
writing its parts under ``--out/<scale>``. Prints, per scale: wall time, peak resident
memory of the largest process (the child itself, or its largest worker), and the output
counts: counties, villages, stations, deputies, road nodes and edges, bytes written.

Run: ``python bench/bench_synth.py [--scales county,province,national] [--out bench/out/synth]``
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

from gridgov.synth import PRESETS


def _child(scale: str, out: Path, seed: int, workers: int, fmt: str) -> None:
    """Run one scale in this process and print its summary as JSON on the last line."""
    from gridgov.synth import synth_region

    if out.exists():
        shutil.rmtree(out)
    summary = synth_region(out, n_villages=PRESETS[scale], seed=seed, workers=workers, format=fmt)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary["peak_rss_kib"] = max(own, kids)  # Linux reports KiB
    summary["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps(summary))


def _run(scale: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        scale,
        "--out",
        str(args.out),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--format",
        args.format,
    ]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{scale}: child failed (exit {done.returncode})\n{done.stderr}")
    wall = time.perf_counter() - t0
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["wall_s"] = wall
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="county,province,national")
    parser.add_argument("--out", type=Path, default=Path("bench/out/synth"))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--format", choices=("gpkg", "parquet"), default="gpkg")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        _child(args.child, args.out / args.child, args.seed, args.workers, args.format)
        return

    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in PRESETS]
    if unknown:
        parser.error(f"unknown scale(s) {unknown}; choose from {', '.join(PRESETS)}")
    print(f"synth_region, seed {args.seed}, workers {args.workers}, format {args.format}")
    head = (
        f"{'scale':<9}{'wall s':>9}{'peak RSS':>10}{'counties':>9}{'villages':>10}"
        f"{'stations':>10}{'deputies':>11}{'road nodes':>12}{'road edges':>12}{'written':>9}"
    )
    print(head)
    print("-" * len(head))
    for scale in scales:
        s = _run(scale, args)
        c = s["counts"]
        print(
            f"{scale:<9}{s['wall_s']:>9.1f}{s['peak_rss_kib'] / 2**20:>8.2f}Gi"
            f"{s['counties']:>9,}{c['villages']:>10,}{c['stations']:>10,}{c['deputies']:>11,}"
            f"{s['road_nodes']:>12,}{s['road_edges']:>12,}{s['bytes'] / 2**20:>7.0f}Mi",
            flush=True,
        )


if __name__ == "__main__":
    main()
