"""The issue service over real HTTP on each store: embedded SQLite beside PostGIS.

Builds the demo county, then for every store and every number of concurrent clients
starts ``gridgov serve`` (uvicorn, ``--workers`` processes, ``--tick 0 --rate 0``) on 127.0.0.1 on a
fresh, empty store and drives it the way ``bench_api.py`` does (threads with one
``httpx.Client`` each):

- create: ``POST /issues`` with an ``Idempotency-Key`` each, at grid points spread over
  the county; issues/s and p50 / p99, then the store is counted: every 201 must be there
  exactly once;
- dispatch: ``GET /dispatch/preview`` at random grid points, after the creations, so the
  open load the dispatcher reads from the store holds every issue just raised.

SQLite is a file in a temporary folder (``synchronous=FULL``); PostGIS is a new schema in
the database of ``--pg`` (default ``$GRIDGOV_PG_DSN``; ``eval "$(bash .ci/postgis.sh
start)"`` starts a throwaway cluster), dropped afterwards. The table puts the two side by
side with the ratio PostGIS / SQLite (times: above 1 is slower; rates: below 1 is slower).

    python bench/bench_store.py --clients 2,8 --create 1000 --dispatch 1000
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import numpy as np
from bench_api import _pct, _run

from gridgov.testing import free_port


def _schema_dsn(dsn: str, schema: str) -> str:
    """``dsn`` with the new schema first on its search_path (PostGIS stays visible)."""
    option = f"-c search_path={schema},public"
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", option))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _serve(workspace: Path, target: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "gridgov", "serve", str(workspace), "--db", target,
        "--port", str(port), "--tick", "0", "--rate", "0", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = workspace.with_name(f"serve-{port}.log")
    with log.open("wb") as out:  # a file, not a pipe: a chatty server never blocks on it
        server = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"gridgov serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("server did not start")


def one_run(
    workspace: Path,
    ws: Any,
    target: str,
    clients: int,
    n_create: int,
    n_dispatch: int,
    workers: int = 1,
) -> dict[str, Any]:
    """Creation then dispatch over HTTP with ``clients`` threads on an empty store."""
    from gridgov.issues.access import create_token
    from gridgov.issues.lifecycle import utcnow
    from gridgov.store import open_store

    store = open_store(target)
    county = create_token(
        store, ws, role="county_staff", subject=str(ws.county["code"].iloc[0]), now=utcnow()
    )
    store.close()
    pts = [g.representative_point() for g in ws.grids.geometry]
    rng = np.random.default_rng(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {county}"}
    acked: list[str] = []
    statuses: dict[int, int] = {}
    server_ms: list[float] = []

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

    def dispatch(http: httpx.Client, i: int, j: int) -> None:
        p = pts[int(rng.integers(len(pts)))]
        r = http.get(
            base + "/dispatch/preview",
            params={"lon": p.x, "lat": p.y, "category": "road"},
            headers=auth,
        )
        r.raise_for_status()
        server_ms.append(float(r.json()["elapsed_ms"]))

    server = _serve(workspace, target, port, workers)
    try:
        _run(clients, 50, dispatch)  # warm-up: routes, pools, caches
        server_ms.clear()
        lat_c, wall_c = _run(clients, n_create, create)
        lat_d, wall_d = _run(clients, n_dispatch, dispatch)
    finally:
        server.terminate()
        server.wait(timeout=30)
    store = open_store(target)
    found = store.count()  # type: ignore[attr-defined]
    store.close()
    return {
        "clients": clients,
        "create_http": _pct(lat_c),
        "create_per_s": round(len(lat_c) / wall_c, 1),
        "create_status": statuses,
        "acknowledged": len(acked),
        "stored": found,
        "duplicates": len(acked) - len(set(acked)),
        "dispatch_http": _pct(lat_d),
        "dispatch_server_compute": _pct(server_ms),
        "dispatch_per_s": round(len(lat_d) / wall_d, 1),
    }


def _table(results: dict[str, list[dict[str, Any]]]) -> str:
    head = (
        "clients  store     creates/s  create p50/p99 ms  dispatch p50/p99 ms  "
        "dispatch compute p50/p99 ms  201s  stored  duplicates"
    )
    lines = [head]
    sqlite = {r["clients"]: r for r in results.get("sqlite", [])}
    for name, runs in results.items():
        for r in runs:
            c, d, s = r["create_http"], r["dispatch_http"], r["dispatch_server_compute"]
            lines.append(
                f"{r['clients']:>7}  {name:<8} {r['create_per_s']:>10.0f}  "
                f"{c['p50_ms']:>7.1f} / {c['p99_ms']:<7.1f}  {d['p50_ms']:>8.1f} / {d['p99_ms']:<8.1f}  "
                f"{s['p50_ms']:>12.2f} / {s['p99_ms']:<12.2f}  {r['acknowledged']:>4}  "
                f"{r['stored']:>6}  {r['duplicates']:>10}"
            )
    if "postgis" in results and sqlite:
        lines.append("ratio PostGIS / SQLite")
        for r in results["postgis"]:
            q = sqlite.get(r["clients"])
            if q is None:
                continue

            def ratio(a: float, b: float) -> str:
                return f"{a / b:.2f}" if b else "-"

            c, qc = r["create_http"], q["create_http"]
            d, qd = r["dispatch_http"], q["dispatch_http"]
            s, qs = r["dispatch_server_compute"], q["dispatch_server_compute"]
            lines.append(
                f"{r['clients']:>7}  {'ratio':<8} {ratio(r['create_per_s'], q['create_per_s']):>10}  "
                f"{ratio(c['p50_ms'], qc['p50_ms']):>7} / {ratio(c['p99_ms'], qc['p99_ms']):<7}  "
                f"{ratio(d['p50_ms'], qd['p50_ms']):>8} / {ratio(d['p99_ms'], qd['p99_ms']):<8}  "
                f"{ratio(s['p50_ms'], qs['p50_ms']):>12} / {ratio(s['p99_ms'], qs['p99_ms']):<12}"
            )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", default="2,8", help="comma-separated client counts")
    ap.add_argument("--create", type=int, default=1000)
    ap.add_argument("--dispatch", type=int, default=1000)
    ap.add_argument(
        "--pg",
        default=os.environ.get("GRIDGOV_PG_DSN", ""),
        help="postgresql:// URL of a PostGIS database (default $GRIDGOV_PG_DSN; none: SQLite only)",
    )
    ap.add_argument("--stores", default="sqlite,postgis", help="which stores, in order")
    ap.add_argument(
        "--workers", type=int, default=1, help="gridgov serve --workers (uvicorn processes)"
    )
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    from gridgov import io, synth

    folder = Path(tempfile.mkdtemp(prefix="gridgov-bench-store-"))
    ws = synth.demo_county(seed=2024)
    workspace = folder / "county.gpkg"
    io.write_workspace(ws, workspace)
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if "postgis" in stores and not args.pg:
        print("no --pg and no GRIDGOV_PG_DSN: SQLite only", file=sys.stderr)
        stores.remove("postgis")
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in stores}
    for n in clients:
        for name in stores:
            if name == "sqlite":
                target = str(folder / f"issues-{n}.sqlite")
                results[name].append(
                    one_run(workspace, ws, target, n, args.create, args.dispatch, args.workers)
                )
                continue
            import psycopg

            schema = f"bench_{secrets.token_hex(4)}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                target = _schema_dsn(args.pg, schema)
                results[name].append(
                    one_run(workspace, ws, target, n, args.create, args.dispatch, args.workers)
                )
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    print(f"gridgov serve --workers {args.workers}")
    print(_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
