"""Locating an issue in its grid: in-process STRtree against PostGIS SQL, per point.

The issue service locates every raised issue (``GridIndex.locate``: a projected point, an
STRtree ``intersects`` query, else the nearest grid within the snap tolerance). With the
workspace in PostGIS the same answer can come from SQL
(:func:`gridgov.store.pg_workspace.locate_sql`: ``ST_Intersects`` on the GiST index, else
the KNN operator ``<->`` on the grids' projected geometry). This times both, one point per
call as the service does, on the demo county (``gridgov.synth.demo_county(seed=2024)``,
645 grids):

- points: ``--points`` random points, 90% uniform inside the county outline and 10% in a
  ring up to 400 m outside it (snapped to the nearest grid or refused);
- in-process: ``GridIndex.locate`` on the workspace read back from the database;
- SQL: ``locate_sql`` on one warm autocommit connection (psycopg prepares the statement
  after five calls), over TCP to the server in ``--dsn``;
- prints p50 / p99 / mean latency of each in milliseconds, the SQL/in-process ratio, how
  many points were inside / snapped / refused, and how many answers differ (expected 0).

The workspace is imported into a scratch schema that is dropped afterwards, so the
database's own workspace is untouched.

Run: ``python bench/bench_locate.py [--dsn postgresql://...] [--points 5000]``
(``--dsn`` defaults to ``$GRIDGOV_PG_DSN``; ``.ci/postgis.sh start`` prints one).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely

from gridgov._errors import LocationError
from gridgov.crs import workspace_crs
from gridgov.issues.places import GridIndex
from gridgov.settings import Settings
from gridgov.store.pg_workspace import import_workspace, locate_sql, read_workspace_pg
from gridgov.synth import demo_county

MIGRATION = Path(__file__).resolve().parents[1] / "gridgov/store/migrations/0002_workspace.sql"


def _points(ws: Any, n: int, seed: int) -> np.ndarray:
    """``n`` lon/lat points: 90% inside the county, 10% within 400 m outside it."""
    rng = np.random.default_rng(seed)
    crs = workspace_crs(ws)
    county = ws.county.to_crs(crs).geometry.union_all()
    ring = county.buffer(400.0).difference(county)
    out = []
    for shape, k in ((county, n - n // 10), (ring, n // 10)):
        x0, y0, x1, y1 = shape.bounds
        got: list[np.ndarray] = []
        while sum(len(g) for g in got) < k:
            xy = np.c_[rng.uniform(x0, x1, 4 * k), rng.uniform(y0, y1, 4 * k)]
            got.append(xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])])
        out.append(np.concatenate(got)[:k])
    xy = np.concatenate(out)
    rng.shuffle(xy)
    import pyproj

    back = pyproj.Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    lon, lat = back.transform(xy[:, 0], xy[:, 1])
    return np.c_[lon, lat]


def _timed(fn: Any, points: np.ndarray, warmup: int) -> tuple[list[Any], np.ndarray]:
    for lon, lat in points[:warmup]:
        fn(float(lon), float(lat))
    answers, ns = [], np.empty(len(points))
    for i, (lon, lat) in enumerate(points):
        t0 = time.perf_counter_ns()
        answers.append(fn(float(lon), float(lat)))
        ns[i] = time.perf_counter_ns() - t0
    return answers, ns / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", default=os.environ.get("GRIDGOV_PG_DSN"))
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    if not args.dsn:
        parser.error("give --dsn postgresql://... or set GRIDGOV_PG_DSN")

    tolerance_m = Settings().locate_tolerance_m
    schema = f"bench_locate_{os.getpid()}"
    admin = psycopg.connect(args.dsn, autocommit=True)
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        conn = psycopg.connect(args.dsn, autocommit=True, options=f"-c search_path={schema},public")
        conn.execute(MIGRATION.read_text(encoding="utf-8"))
        import_workspace(demo_county(seed=2024), conn)
        ws = read_workspace_pg(conn)
        grids = GridIndex(ws, workspace_crs(ws))
        points = _points(ws, args.points, args.seed)

        def in_process(lon: float, lat: float) -> tuple[int, float] | None:
            try:
                return grids.locate(lon, lat, tolerance_m)
            except LocationError:
                return None

        def in_sql(lon: float, lat: float) -> tuple[int, float] | None:
            try:
                hit = locate_sql(conn, lon, lat, tolerance_m)
            except LocationError:
                return None
            return hit.fid, hit.distance_m

        local, local_ms = _timed(in_process, points, args.warmup)
        remote, sql_ms = _timed(in_sql, points, args.warmup)
        conn.close()
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

    differ = sum(
        (a is None) != (b is None)
        or (a is not None and b is not None and (a[0] != b[0] or abs(a[1] - b[1]) > 1e-6))
        for a, b in zip(local, remote, strict=True)
    )
    inside = sum(1 for a in local if a is not None and a[1] == 0.0)
    refused = sum(1 for a in local if a is None)
    server = psycopg.connect(args.dsn).info.parameter_status("server_version")
    print(
        f"demo county: {len(ws.grids)} grids; {len(points)} points: {inside} inside a grid, "
        f"{len(points) - inside - refused} snapped (<= {tolerance_m:g} m), {refused} refused; "
        f"PostgreSQL {server}"
    )
    print(f"{'':12}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for label, ms in (("in-process", local_ms), ("SQL", sql_ms)):
        p50, p99 = np.percentile(ms, [50, 99])
        print(f"{label:12}{p50:9.3f}{p99:9.3f}{ms.mean():9.3f}")
    r50 = np.percentile(sql_ms, 50) / np.percentile(local_ms, 50)
    r99 = np.percentile(sql_ms, 99) / np.percentile(local_ms, 99)
    print(f"SQL / in-process: p50 {r50:.1f}x, p99 {r99:.1f}x; answers that differ: {differ}")


if __name__ == "__main__":
    main()
