"""The issue service over real HTTP: dispatch-preview latency and durable issue creation.

Builds the demo county into a temporary folder, starts ``gridgov serve`` (uvicorn, one
process, SQLite store with ``synchronous=FULL``) on 127.0.0.1, and drives it with
concurrent clients (threads with one ``httpx.Client`` each):

- dispatch: ``GET /dispatch/preview`` at random points in random grids; p50 / p99 / max
  latency as the client sees it, and the server-side computation (``elapsed_ms``);
- create: ``POST /issues`` with an ``Idempotency-Key`` each; issues/s and p50 / p99, then
  the store is counted: every 201 must be there exactly once.

    python bench/bench_api.py --clients 8 --dispatch 2000 --create 2000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from gridgov.testing import free_port


def _pct(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {
        "n": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 2),
        "mean_ms": round(float(a.mean()), 2),
    }


def _run(clients: int, total: int, job: Any) -> tuple[list[float], float]:
    lat: list[float] = []
    lock = threading.Lock()
    per = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def worker(i: int) -> None:
        mine: list[float] = []
        with httpx.Client(timeout=30) as http:
            for j in range(per[i]):
                t = time.perf_counter()
                job(http, i, j)
                mine.append((time.perf_counter() - t) * 1000)
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--dispatch", type=int, default=2000)
    ap.add_argument("--create", type=int, default=2000)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    from gridgov import io, synth
    from gridgov.issues.access import create_token
    from gridgov.issues.lifecycle import utcnow
    from gridgov.store.sqlite import SQLiteStore

    folder = Path(tempfile.mkdtemp(prefix="gridgov-bench-api-"))
    ws = synth.demo_county(seed=2024)
    workspace = folder / "county.gpkg"
    io.write_workspace(ws, workspace)
    db = folder / "county.issues.sqlite"
    store = SQLiteStore(db)
    county = create_token(
        store, ws, role="county_staff", subject=str(ws.county["code"].iloc[0]), now=utcnow()
    )
    store.close()
    rng = np.random.default_rng(1)
    grids = ws.grids
    pts = [g.representative_point() for g in grids.geometry]
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gridgov",
            "serve",
            str(workspace),
            "--port",
            str(port),
            "--tick",
            "0",
            "--rate",
            "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        auth = {"Authorization": f"Bearer {county}"}
        server_ms: list[float] = []

        def dispatch(http: httpx.Client, i: int, j: int) -> None:
            p = pts[int(rng.integers(len(pts)))]
            r = http.get(
                base + "/dispatch/preview",
                params={"lon": p.x, "lat": p.y, "category": "road"},
                headers=auth,
            )
            r.raise_for_status()
            server_ms.append(float(r.json()["elapsed_ms"]))

        _run(args.clients, 50, dispatch)  # warm-up
        server_ms.clear()
        lat_d, wall_d = _run(args.clients, args.dispatch, dispatch)
        acked: list[str] = []
        statuses: dict[int, int] = {}

        def create(http: httpx.Client, i: int, j: int) -> None:
            p = pts[(i * 7919 + j) % len(pts)]
            r = http.post(
                base + "/issues",
                json={
                    "category": "sanitation",
                    "description": f"bench {i}-{j}",
                    "lon": p.x + 1e-5 * (j % 7),
                    "lat": p.y,
                },
                headers={**auth, "Idempotency-Key": f"bench-{i}-{j}"},
            )
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code == 201:
                acked.append(r.json()["issue"]["issue_id"])

        lat_c, wall_c = _run(args.clients, args.create, create)
    finally:
        server.terminate()
        server.wait(timeout=30)
    store = SQLiteStore(db)
    found = store.count()
    store.close()
    out = {
        "clients": args.clients,
        "dispatch_http": _pct(lat_d),
        "dispatch_server_compute": _pct(server_ms),
        "dispatch_per_s": round(len(lat_d) / wall_d, 1),
        "create_http": _pct(lat_c),
        "create_per_s": round(len(lat_c) / wall_c, 1),
        "create_status": statuses,
        "acknowledged": len(acked),
        "stored": found,
        "duplicates": len(acked) - len(set(acked)),
    }
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
