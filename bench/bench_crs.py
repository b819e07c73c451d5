"""GCJ-02 / BD-09 conversion accuracy and speed over the whole of China.

Prints, for a seeded sample of points spread over China's land box:
- round-trip error (WGS84 -> GCJ-02 -> WGS84, and the same through BD-09), max and p99 in metres;
- agreement with the independent reference implementation ``prcoords`` (forward, and its
  iterated "bored" inverses), max and p99 in metres;
- throughput of gridgov's vectorised conversion vs prcoords' per-point loop, same run.

Run: ``python bench/bench_crs.py [--points 1000000] [--reference-points 20000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import prcoords

from gridgov import crs


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _stats(err: np.ndarray) -> str:
    return f"max {err.max():.2e} m   p99 {np.percentile(err, 99):.2e} m"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--reference-points", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(73.6, 134.9, args.points)
    lat = rng.uniform(18.2, 53.4, args.points)

    print(f"sample: {args.points:,} points, lon 73.6-134.9E, lat 18.2-53.4N, seed {args.seed}")
    print("\n== round trip (gridgov)")
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    back = crs.gcj02_to_wgs84(glon, glat)
    print(f"WGS84->GCJ-02->WGS84   {_stats(crs.haversine_m(lon, lat, *back))}")
    blon, blat = crs.wgs84_to_bd09(lon, lat)
    back = crs.bd09_to_wgs84(blon, blat)
    print(f"WGS84->BD-09->WGS84    {_stats(crs.haversine_m(lon, lat, *back))}")
    shift = crs.haversine_m(lon, lat, glon, glat)
    print(f"(GCJ-02 offset itself: median {np.median(shift):.0f} m, max {shift.max():.0f} m)")

    n = args.reference_points
    idx = rng.choice(args.points, n, replace=False)
    print(f"\n== agreement with the reference implementation prcoords on {n:,} points")
    cases: list[
        tuple[str, Callable[..., object], Callable[..., object], np.ndarray, np.ndarray]
    ] = [
        ("WGS84->GCJ-02", crs.wgs84_to_gcj02, prcoords.wgs_gcj, lon[idx], lat[idx]),
        ("WGS84->BD-09", crs.wgs84_to_bd09, prcoords.wgs_bd, lon[idx], lat[idx]),
        ("GCJ-02->WGS84", crs.gcj02_to_wgs84, prcoords.gcj_wgs_bored, glon[idx], glat[idx]),
        ("BD-09->WGS84", crs.bd09_to_wgs84, prcoords.bd_wgs_bored, blon[idx], blat[idx]),
    ]
    for label, ours, ref, x, y in cases:
        ox, oy = ours(x, y)  # type: ignore[misc]
        r = np.array([ref((b, a)) for a, b in zip(x, y, strict=True)])
        err = crs.haversine_m(ox, oy, r[:, 1], r[:, 0])
        verdict = "OK" if err.max() <= 0.5 else "FAIL (> 0.5 m)"
        print(f"{label:<15} {_stats(err)}   {verdict}")

    print(f"\n== speed, GCJ-02 -> WGS84 inverse (median of {args.repeat})")
    m = min(n, 20_000)
    t_ours = _median_time(lambda: crs.gcj02_to_wgs84(glon, glat), args.repeat)
    t_ref = _median_time(
        lambda: [prcoords.gcj_wgs_bored((b, a)) for a, b in zip(glon[:m], glat[:m], strict=True)],
        args.repeat,
    )
    ours_rate = args.points / t_ours
    ref_rate = m / t_ref
    print(f"gridgov (numpy, {args.points:,} pts): {t_ours:.3f} s  = {ours_rate:,.0f} pts/s")
    print(f"prcoords (loop, {m:,} pts):     {t_ref:.3f} s  = {ref_rate:,.0f} pts/s")
    print(f"ratio gridgov/prcoords throughput: {ours_rate / ref_rate:.1f}x")


if __name__ == "__main__":
    main()
