"""Coverage step at county, province and national scale, beside networkx and bare scipy.

For each scale, in a fresh subprocess, on ``gridgov synth`` data (generated under
``--data`` if missing): demand = every village-level unit's centre (600k at national
scale), facilities = every station (200k), roads = every road of every part (~4 million
nodes). Prints, median of ``--repeat`` runs:

- build: ``build_road_graph`` (roads layer -> array graph) and snapping;
- gridgov: the whole coverage query (snap demand and stations, compiled nearest-station run
  with exact snap costs, travel metres along the chosen paths, covered flags);
- scipy: one bare ``scipy.sparse.csgraph.dijkstra(min_only=True)`` call on the same arrays
  (no snapping, no second metric): the floor gridgov's step is measured against;
- networkx: ``multi_source_dijkstra_path_length`` on the same graph (graph build timed
  separately);
- the ratios gridgov/scipy and networkx/gridgov, and the process's peak RSS.

Run: ``python bench/bench_coverage.py [--scales county,province,national] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SCALES = {"county": 220, "province": 20_000, "national": 600_000}
# One equal-area CRS for all of China, so parts from different zones share one graph.
ALBERS = "ESRI:102025"


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _ensure_data(scale: str, data: Path, seed: int) -> list[Path]:
    from gridgov.synth import synth_region

    folder = data / scale
    meta = folder / "region.json"
    if not meta.exists() or json.loads(meta.read_text())["n_villages"] != SCALES[scale]:
        print(f"  generating {scale} data under {folder} ...", file=sys.stderr)
        synth_region(folder, n_villages=SCALES[scale], seed=seed)
    return sorted(folder.glob("part-*.gpkg"))


def _load(parts: list[Path]) -> tuple[Any, Any, Any]:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    def layer(name: str, cols: list[str]) -> gpd.GeoDataFrame:
        frames = [pyogrio.read_dataframe(p, layer=name, columns=cols) for p in parts]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)

    roads = layer("roads", ["road_class", "speed_kmh"]).to_crs(ALBERS)
    stations = layer("stations", ["station_id"]).to_crs(ALBERS)
    villages = layer("villages", ["code"]).to_crs(ALBERS)
    return roads, stations, villages.geometry.representative_point()


def _child(scale: str, args: argparse.Namespace) -> None:
    from scipy.sparse import csgraph

    from gridgov.routing.costs import nearest_facility, snap_to_graph
    from gridgov.routing.graph import build_road_graph
    from gridgov.settings import Settings

    parts = _ensure_data(scale, Path(args.data), args.seed)
    t0 = time.perf_counter()
    roads, stations, demand = _load(parts)
    load_s = time.perf_counter() - t0
    settings = Settings()
    limit_s = 900.0
    out: dict[str, Any] = {
        "scale": scale,
        "demand": len(demand),
        "stations": len(stations),
        "load_s": load_s,
    }

    build_s, graph = _timed(lambda: build_road_graph(roads, crs=ALBERS), 1)
    out.update(nodes=graph.n_nodes, edges=graph.n_edges, build_s=build_s)
    dx, dy = demand.x.to_numpy(), demand.y.to_numpy()
    sx, sy = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()

    def gridgov_step() -> Any:
        d = snap_to_graph(graph, dx, dy)
        s = snap_to_graph(graph, sx, sy)
        near = nearest_facility(graph, d, s, weight="time", mode="ebike", settings=settings)
        return near, near.travel_s <= limit_s

    out["gridgov_s"], (_near, covered) = _timed(gridgov_step, args.repeat)
    out["covered_share"] = float(np.mean(covered))

    # The bare floor: one compiled call on the same arrays, sources already snapped.
    weights = graph.edge_seconds("ebike", settings)
    matrix = graph.matrix(weights)
    src = np.unique(snap_to_graph(graph, sx, sy).node)
    out["scipy_s"], dist = _timed(
        lambda: csgraph.dijkstra(matrix, directed=False, indices=src, min_only=True), args.repeat
    )
    d_nodes = snap_to_graph(graph, dx, dy).node

    if args.networkx:
        import networkx as nx

        t0 = time.perf_counter()
        g = nx.Graph()
        g.add_weighted_edges_from(
            zip(graph.edge_u.tolist(), graph.edge_v.tolist(), weights.tolist(), strict=True)
        )
        out["networkx_build_s"] = time.perf_counter() - t0
        out["networkx_s"], nx_dist = _timed(
            lambda: nx.multi_source_dijkstra_path_length(g, set(src.tolist())), 1
        )
        sample = d_nodes[: min(len(d_nodes), 5000)]
        nx_vals = np.array([nx_dist.get(int(n), np.inf) for n in sample])
        out["networkx_agrees"] = bool(np.allclose(nx_vals, dist[sample]))
        del g, nx_dist
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="county,province,national")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default="bench/out/coverage-data")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-networkx", dest="networkx", action="store_false")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args)
        return
    header = (
        f"{'scale':<9}{'demand':>9}{'stations':>9}{'nodes':>10}{'build s':>9}{'gridgov s':>10}"
        f"{'scipy s':>9}{'nx build':>9}{'nx s':>8}{'g/scipy':>8}{'nx/g':>7}{'RSS GiB':>8}"
    )
    print(f"coverage step, ebike, 15 min standard, median of {args.repeat}")
    print(header)
    print("-" * len(header))
    for scale in args.scales.split(","):
        cmd = [sys.executable, __file__, "--child", scale, "--repeat", str(args.repeat)]
        cmd += ["--data", args.data, "--seed", str(args.seed)]
        if not args.networkx:
            cmd.append("--no-networkx")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{scale}: failed\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        nx_s = r.get("networkx_s", float("nan"))
        print(
            f"{scale:<9}{r['demand']:>9,}{r['stations']:>9,}{r['nodes']:>10,}{r['build_s']:>9.2f}"
            f"{r['gridgov_s']:>10.3f}{r['scipy_s']:>9.3f}{r.get('networkx_build_s', float('nan')):>9.1f}"
            f"{nx_s:>8.2f}{r['gridgov_s'] / r['scipy_s']:>8.2f}{nx_s / r['gridgov_s']:>7.1f}"
            f"{r['peak_rss_gib']:>8.2f}"
        )
        print(
            f"          loaded in {r['load_s']:.1f} s; covered {r['covered_share']:.1%};"
            f" networkx agrees: {r.get('networkx_agrees', 'not run')}"
        )


if __name__ == "__main__":
    main()
