"""Dispatch latency (网格吹哨、代表报到) at county and national scale.

For each scale, in a fresh subprocess: build a :class:`gridgov.issues.dispatch.Dispatcher`
(deputies snapped once, symmetric adjacency) and time ``--issues`` dispatches of random
issues, each within 3 km of a random regional station and belonging to it, with a random
category. Prints:

- build: loading the data, building the road graph, building the dispatcher;
- dispatch: the computation (``Dispatch.elapsed_ms``) p50 / p99 / mean, and the wall time of
  the whole call (p50), the CPU time of the call (p50 / p99: on a shared machine the wall
  p99 mostly measures waiting for a core), and the median number of road nodes searched;
- full-graph: the same road search as one ``scipy.sparse.csgraph.dijkstra(limit=cutoff)``
  on the whole graph (what the bounded search replaces), median of ``--full`` calls, and
  the largest difference between the two in travel seconds for the chosen deputies
  (expected 0: the bounded search is exact within the cutoff);
- peak RSS of the process.

Scales: ``county`` is ``gridgov.synth.demo_county(seed=2024)``; ``national`` is the national
synthetic region under ``--data`` (``gridgov synth`` output, ``part-*.gpkg``; about 8 million
road nodes and 9 GiB of memory), loaded the way ``bench_coverage.py`` loads it, and skipped
when the files are not there.

Run: ``python bench/bench_dispatch.py [--scales county,national] [--issues 2000]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_coverage import ALBERS

CATEGORIES = [None, "road", "water", "sanitation", "safety", "livelihood", "dispute", "industry"]
ISSUE_RADIUS_M = 3000.0


def _load_national(folder: Path) -> tuple[Any, Any, Any]:
    """Roads, stations and deputies of every part, in one equal-area CRS (as bench_coverage)."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    parts = sorted(folder.glob("part-*.gpkg"))

    def layer(name: str, cols: list[str]) -> gpd.GeoDataFrame:
        frames = [pyogrio.read_dataframe(p, layer=name, columns=cols) for p in parts]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)

    roads = layer("roads", ["road_class", "speed_kmh"]).to_crs(ALBERS)
    stations = layer("stations", ["station_id", "kind", "township_code"]).to_crs(ALBERS)
    deputies = layer(
        "deputies", ["deputy_id", "name", "level", "specialty", "station_id", "on_duty"]
    ).to_crs(ALBERS)
    return roads, stations, deputies


def _child(scale: str, args: argparse.Namespace) -> None:
    import pyproj
    from scipy.sparse import csgraph

    from gridgov.issues.dispatch import Dispatcher
    from gridgov.routing.graph import build_road_graph
    from gridgov.settings import Settings

    settings = Settings()
    out: dict[str, Any] = {"scale": scale}
    t0 = time.perf_counter()
    if scale == "county":
        from gridgov.synth import demo_county

        ws = demo_county(seed=2024)
        crs = pyproj.CRS.from_epsg(int(ws.meta["projected_epsg"]))
        roads, stations, deputies = ws.roads.to_crs(crs), ws.stations.to_crs(crs), ws.deputies
    else:
        folder = Path(args.data) / scale
        roads, stations, deputies = _load_national(folder)
        crs = pyproj.CRS.from_user_input(ALBERS)
    out["load_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    graph = build_road_graph(roads, crs=crs)
    out["graph_s"] = time.perf_counter() - t0
    del roads
    t0 = time.perf_counter()
    dispatcher = Dispatcher.from_layers(stations, deputies, graph=graph, settings=settings)
    out["build_s"] = time.perf_counter() - t0
    out.update(
        nodes=graph.n_nodes, stations=len(stations), deputies=len(deputies), issues=args.issues
    )

    # Issues: uniform within ISSUE_RADIUS_M of a random regional station, as lon/lat.
    rng = np.random.default_rng(args.seed)
    regional = np.flatnonzero(dispatcher.station_regional)
    pick = rng.choice(regional, args.issues)
    sxy = stations.geometry.get_coordinates().to_numpy()[pick]
    angle = rng.uniform(0, 2 * np.pi, args.issues)
    r = ISSUE_RADIUS_M * np.sqrt(rng.uniform(0, 1, args.issues))
    ix, iy = sxy[:, 0] + r * np.cos(angle), sxy[:, 1] + r * np.sin(angle)
    lon, lat = pyproj.Transformer.from_crs(crs, 4490, always_xy=True).transform(ix, iy)
    cats = [CATEGORIES[c] for c in rng.integers(len(CATEGORIES), size=args.issues)]
    sids = dispatcher.station_id[pick]

    for i in range(min(50, args.issues)):  # warm caches before timing
        dispatcher.dispatch(lon[i], lat[i], station_id=sids[i], category=cats[i])
    compute, wall, cpu, searched, results = [], [], [], [], []
    for i in range(args.issues):
        c = time.thread_time()
        t = time.perf_counter()
        res = dispatcher.dispatch(lon[i], lat[i], station_id=sids[i], category=cats[i])
        wall.append((time.perf_counter() - t) * 1000.0)
        cpu.append((time.thread_time() - c) * 1000.0)
        compute.append(res.elapsed_ms)
        searched.append(res.searched_nodes)
        results.append(res)
    out.update(
        p50_ms=float(np.percentile(compute, 50)),
        p99_ms=float(np.percentile(compute, 99)),
        mean_ms=float(np.mean(compute)),
        wall_p50_ms=float(np.percentile(wall, 50)),
        cpu_p50_ms=float(np.percentile(cpu, 50)),
        cpu_p99_ms=float(np.percentile(cpu, 99)),
        searched_p50=float(np.median(searched)),
        chosen_mean=float(np.mean([len(r.chosen) for r in results])),
        estimated_share=float(
            np.mean([c.estimated for r in results for c in r.chosen] or [np.nan])
        ),
    )

    # What the bounded search replaces: one limited Dijkstra over the whole graph; and a
    # check that both give the same times for the chosen deputies.
    matrix = graph.matrix(dispatcher.edge_s)
    walk = settings.speeds_kmh["walk"]["village"] / 3.6
    full_ms, worst = [], 0.0
    for i in range(min(args.full, args.issues)):
        x, y = dispatcher.to_graph.transform(lon[i], lat[i])
        t = time.perf_counter()
        snap, src = graph.node_tree.query((x, y))
        dist = csgraph.dijkstra(
            matrix, directed=False, indices=int(src), limit=settings.dispatch_cutoff_s
        )
        full_ms.append((time.perf_counter() - t) * 1000.0)
        for c in results[i].chosen:
            if c.estimated:
                continue
            j = int(np.flatnonzero(dispatcher.deputy_id == c.deputy_id)[0])
            ref = snap / walk + dist[dispatcher.deputy_node[j]] + dispatcher.deputy_snap_m[j] / walk
            worst = max(worst, abs(ref - c.travel_s))
    out["full_p50_ms"] = statistics.median(full_ms) if full_ms else float("nan")
    out["max_diff_s"] = worst
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="county,national")
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--full", type=int, default=50, help="full-graph Dijkstra calls to time")
    parser.add_argument("--data", default="bench/out/synth")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args)
        return
    header = (
        f"{'scale':<9}{'nodes':>10}{'deputies':>10}{'load s':>8}{'graph s':>8}{'build s':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>8}{'wall ms':>8}{'searched':>9}"
        f"{'full ms':>8}{'diff s':>8}{'RSS GiB':>8}"
    )
    print(f"dispatch, ebike, cutoff 1800 s, {args.issues} issues per scale")
    print(header)
    print("-" * len(header))
    for scale in args.scales.split(","):
        if scale != "county" and not sorted((Path(args.data) / scale).glob("part-*.gpkg")):
            print(f"{scale}: no data under {Path(args.data) / scale} (run gridgov synth); skipped")
            continue
        cmd = [sys.executable, __file__, "--child", scale, "--issues", str(args.issues)]
        cmd += ["--full", str(args.full), "--data", args.data, "--seed", str(args.seed)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{scale}: failed\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{scale:<9}{r['nodes']:>10,}{r['deputies']:>10,}{r['load_s']:>8.1f}"
            f"{r['graph_s']:>8.2f}{r['build_s']:>8.2f}{r['p50_ms']:>8.3f}{r['p99_ms']:>8.3f}"
            f"{r['mean_ms']:>8.3f}{r['wall_p50_ms']:>8.3f}{r['searched_p50']:>9,.0f}"
            f"{r['full_p50_ms']:>8.2f}{r['max_diff_s']:>8.1e}{r['peak_rss_gib']:>8.2f}"
        )
        print(
            f"          CPU time of the call: p50 {r['cpu_p50_ms']:.3f} ms, p99"
            f" {r['cpu_p99_ms']:.3f} ms (p99 wall time includes waits for a busy CPU)"
        )
        print(
            f"          {r['chosen_mean']:.2f} deputies chosen per issue;"
            f" {r['estimated_share']:.1%} of them straight-line estimates"
        )


if __name__ == "__main__":
    main()
