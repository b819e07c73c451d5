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

With ``--load gpkg`` or ``--load pbf`` it times loading instead: the generated roads
merged into one GeoPackage layer, or written as an OpenStreetMap PBF extract (pyosmium's
writer: one node per distinct vertex, so roads meeting at a vertex stay joined; highway
tags by road class, every 10th road one-way, every 20th a footway, every 1,000th a
ferry), read by :func:`gridgov.io.read_file` as ``gridgov load --roads FILE`` reads it
(read, tags or columns mapped, every geometry and value checked; the write into the
workspace left out). Each run is a fresh subprocess; it prints wall seconds, the RSS
before the load (imports) and the peak RSS during it (``VmHWM`` after resetting it through
``/proc/self/clear_refs``: ``ru_maxrss`` would include the parent's memory), and the
median of ``--repeat`` runs.

Run: ``python bench/bench_roads.py --load gpkg --edges 4000000 [--repeat 1]`` (national)
and ``python bench/bench_roads.py --load pbf --edges 134000 --repeat 3`` (province).
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


def _merged_gpkg(parts: list[Path]) -> Path:
    """The roads of every part in one GeoPackage layer (written once, then reused)."""
    import pyogrio

    out = parts[0].parent / "roads.gpkg"
    if out.exists():
        return out
    print(f"  merging {len(parts)} parts' roads into {out} ...", file=sys.stderr)
    tmp = out.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for k, part in enumerate(parts):
        frame = pyogrio.read_dataframe(part, layer="roads", use_arrow=True)
        pyogrio.write_dataframe(frame, tmp, layer="roads", driver="GPKG", append=k > 0)
    tmp.rename(out)
    return out


# road class -> the OSM highway value gridgov maps back to it (gridgov.io._osm)
_HIGHWAY = {"trunk": "primary", "county": "secondary", "township": "tertiary"}


def _written_pbf(parts: list[Path]) -> Path:
    """The roads of every part as an OpenStreetMap PBF extract (written once, then reused)."""
    import osmium
    import pyogrio
    import shapely

    out = parts[0].parent / "roads.osm.pbf"
    if out.exists():
        return out
    print(f"  writing {len(parts)} parts' roads as {out} ...", file=sys.stderr)
    frames = [
        pyogrio.read_dataframe(p, layer="roads", columns=["road_class"], use_arrow=True)
        for p in parts
    ]
    classes = np.concatenate([f["road_class"].astype(str).to_numpy() for f in frames])
    geoms = np.concatenate([np.asarray(f.geometry.array, dtype=object) for f in frames])
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    # one node per distinct vertex (at OSM's 1e-7 degree precision)
    fixed = np.round(coords * 1e7).astype(np.int64)
    unique, node_of = np.unique(fixed, axis=0, return_inverse=True)
    node_of = node_of.ravel() + 1
    starts = np.searchsorted(owner, np.arange(len(geoms) + 1))
    tmp = out.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    mutable = osmium.osm.mutable
    with osmium.SimpleWriter(str(tmp)) as writer:
        for nid, (x, y) in enumerate(unique / 1e7, start=1):
            writer.add_node(mutable.Node(id=nid, location=(x, y), version=1))
        for k in range(len(geoms)):
            refs = node_of[starts[k] : starts[k + 1]].tolist()
            tags = {"highway": _HIGHWAY.get(classes[k], "residential")}
            if k % 1000 == 999:
                tags = {"route": "ferry"}
            elif k % 20 == 19:
                tags["highway"] = "footway"
            elif k % 10 == 9:
                tags["oneway"] = "yes"
            writer.add_way(mutable.Way(id=k + 1, nodes=refs, tags=tags, version=1))
    tmp.rename(out)
    return out


def _status_gib(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak) of this process from ``/proc/self/status``, in GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _load_child(args: argparse.Namespace) -> None:
    from gridgov import io

    parts = _ensure_data(args.edges, Path(args.data), args.seed)
    path = _merged_gpkg(parts) if args.variant == "load-gpkg" else _written_pbf(parts)
    # The peak so far includes the parent's memory at the fork (ru_maxrss survives exec on
    # Linux) and the data preparation: reset it, so the peak is the load's own.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_gib("VmRSS")
    t0 = time.perf_counter()
    read = io.read_file(path, "roads")
    seconds = time.perf_counter() - t0
    errors = [p for p in read.problems if p.severity == "error"]
    if read.frame is None or errors:
        raise SystemExit(f"{path.name} did not load: {errors[:3]}")
    out = {
        "file": path.name,
        "size_mib": path.stat().st_size / 2**20,
        "roads": len(read.frame),
        "load_s": seconds,
        "rss_before_gib": before,
        "peak_rss_gib": _status_gib("VmHWM"),
    }
    print(json.dumps(out))


def _load_main(args: argparse.Namespace) -> None:
    parts = _ensure_data(args.edges, Path(args.data), args.seed)
    if args.load == "gpkg":
        _merged_gpkg(parts)
    else:
        _written_pbf(parts)
    print(f"{'file':<16}{'MiB':>8}{'roads':>11}{'load s':>9}{'peak GiB':>9}{'before':>9}")
    runs = []
    for _ in range(args.repeat):
        cmd = [sys.executable, __file__, *sys.argv[1:], "--variant", f"load-{args.load}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(r)
        print(
            f"{r['file']:<16}{r['size_mib']:>8.1f}{r['roads']:>11,}{r['load_s']:>9.2f}"
            f"{r['peak_rss_gib']:>9.2f}{r['rss_before_gib']:>9.2f}"
        )
    load_s = float(np.median([r["load_s"] for r in runs]))
    rss = float(np.median([r["peak_rss_gib"] for r in runs]))
    print(f"median of {len(runs)}: load {load_s:.2f} s, peak RSS {rss:.2f} GiB")


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
    parser.add_argument(
        "--load", choices=["gpkg", "pbf"], help="time loading the roads from this format"
    )
    parser.add_argument(
        "--variant",
        choices=["undirected", "directed", "load-gpkg", "load-pbf"],
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    if args.variant in ("load-gpkg", "load-pbf"):
        _load_child(args)
        return
    if args.variant:
        _child(args)
        return
    if args.load:
        _load_main(args)
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
