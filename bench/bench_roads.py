"""Real-roads graph at scale: read from GeoPackage, build, and search, undirected and directed.

On ``gridgov synth`` roads sized by ``--edges``, road edges as ``gridgov synth`` counts them
(about 6.7 per village: 4 million at national scale, 600,000 villages; the graph has about
twice as many edges, one per segment between bends), in a fresh subprocess per variant:

- undirected: the roads layer as generated (no permission columns), the pre-existing path;
- directed: the same roads with ``--oneway`` of them made one-way (half each way) and
  ``--closed`` of them closed to cars, so the car search runs on the directed matrix.

Prints per variant: roads read (pyogrio, all parts), graph build, a car cost table from every
village centre to ``--stations`` stations within ``--cutoff`` seconds, the nearest station
of every village by car (the coverage step), and the process's peak RSS. The permission
columns are added in memory after the read, so the read time is that of the layer as
generated (two more small columns in the file would not change it measurably).

Run: ``python bench/bench_roads.py [--edges 500000] [--stations 500] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# Road edges per village as gridgov.synth counts them (4,019,085 / 600,000).
EDGES_PER_VILLAGE = 6.7
# One equal-area CRS for all of China, so parts from different zones share one graph.
ALBERS = "ESRI:102025"


def _ensure_data(edges: int, data: Path, seed: int) -> list[Path]:
    from gridgov.synth import synth_region

    n_villages = max(220, math.ceil(edges / EDGES_PER_VILLAGE))
    folder = data / f"roads-{n_villages}"
    meta = folder / "region.json"
    if not meta.exists() or json.loads(meta.read_text())["n_villages"] != n_villages:
        print(f"  generating {n_villages:,} villages under {folder} ...", file=sys.stderr)
        synth_region(folder, n_villages=n_villages, seed=seed)
    return sorted(folder.glob("part-*.gpkg"))


def _child(args: argparse.Namespace) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    from gridgov.routing.costs import cost_table, nearest_facility, snap_to_graph
    from gridgov.routing.graph import build_road_graph
    from gridgov.settings import Settings

    parts = _ensure_data(args.edges, Path(args.data), args.seed)
    out: dict[str, Any] = {"variant": args.variant}

    t0 = time.perf_counter()
    frames = [pyogrio.read_dataframe(p, layer="roads", use_arrow=True) for p in parts]
    roads = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    out["read_s"] = time.perf_counter() - t0
    out["roads"] = len(roads)
    stations = pd.concat(
        [pyogrio.read_dataframe(p, layer="stations", columns=["station_id"]) for p in parts]
    )
    villages = pd.concat(
        [pyogrio.read_dataframe(p, layer="villages", columns=["code"]) for p in parts]
    )
    stations = gpd.GeoDataFrame(stations, crs=frames[0].crs).to_crs(ALBERS)
    demand = gpd.GeoDataFrame(villages, crs=frames[0].crs).to_crs(ALBERS).representative_point()
    del frames

    if args.variant == "directed":
        rng = np.random.default_rng(args.seed)
        draw = rng.random(len(roads))
        roads["oneway"] = np.where(
            draw < args.oneway / 2, 1, np.where(draw < args.oneway, -1, 0)
        ).astype(np.int8)
        roads["car"] = rng.random(len(roads)) >= args.closed

    t0 = time.perf_counter()
    graph = build_road_graph(roads, crs=ALBERS)
    out["build_s"] = time.perf_counter() - t0
    out.update(nodes=graph.n_nodes, edges=graph.n_edges)
    del roads

    settings = Settings()
    rng = np.random.default_rng(args.seed + 1)
    pick = np.sort(rng.choice(len(stations), size=min(args.stations, len(stations)), replace=False))
    sx, sy = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    dx, dy = demand.x.to_numpy(), demand.y.to_numpy()

    def table() -> Any:
        return cost_table(
            graph,
            snap_to_graph(graph, dx, dy, mode="car"),
            snap_to_graph(graph, sx[pick], sy[pick], mode="car"),
            origin_ids=np.arange(dx.size),
            destination_ids=pick,
            mode="car",
            settings=settings,
            cutoff=args.cutoff,
        )

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        pairs = table()
        times.append(time.perf_counter() - t0)
    out["cost_table_s"] = float(np.median(times))
    out["pairs"] = len(pairs)

    t0 = time.perf_counter()
    near = nearest_facility(
        graph,
        snap_to_graph(graph, dx, dy, mode="car"),
        snap_to_graph(graph, sx, sy, mode="car"),
        mode="car",
        settings=settings,
    )
    out["nearest_s"] = time.perf_counter() - t0
    out["reached_share"] = float(np.mean(near.facility >= 0))
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=500_000, help="synth road edges wanted")
    parser.add_argument("--stations", type=int, default=500, help="stations in the cost table")
    parser.add_argument("--cutoff", type=float, default=900.0, help="cost table cutoff, s")
    parser.add_argument("--oneway", type=float, default=0.1, help="share of one-way roads")
    parser.add_argument("--closed", type=float, default=0.05, help="share closed to cars")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--data", default=str(Path(__file__).parent / "out" / "roads"))
    parser.add_argument("--variant", choices=["undirected", "directed"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        _child(args)
        return
    _ensure_data(args.edges, Path(args.data), args.seed)
    header = (
        f"{'variant':<11}{'roads':>10}{'nodes':>11}{'edges':>11}{'read s':>8}{'build s':>8}"
        f"{'table s':>8}{'pairs':>10}{'near s':>8}{'reached':>8}{'RSS GiB':>8}"
    )
    print(header)
    for variant in ("undirected", "directed"):
        cmd = [sys.executable, __file__, *sys.argv[1:], "--variant", variant]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['variant']:<11}{r['roads']:>10,}{r['nodes']:>11,}{r['edges']:>11,}"
            f"{r['read_s']:>8.2f}{r['build_s']:>8.2f}{r['cost_table_s']:>8.2f}"
            f"{r['pairs']:>10,}{r['nearest_s']:>8.2f}{r['reached_share']:>8.3f}"
            f"{r['peak_rss_gib']:>8.2f}"
        )


if __name__ == "__main__":
    main()
