"""A year of issues in one county: read endpoints' latency and the server's memory.

Builds a seeded store of ``--n`` issues (default 100,000, about a year and a half of a busy
county) over the demo county (``gridgov.synth.demo_county(seed=2024)``): spread over a
year, categories weighted as the simulator has them, placed in grids weighted by
population, each run through the pure lifecycle (located, assigned to the grid's station,
deputies dispatched, then a seeded share acknowledged, started, resolved, rated, closed,
transferred, escalated or reopened), and written in bulk through the store's own row
format (SQLite file under ``bench/out/``, or a fresh schema in ``--pg``). Then serves the
app in-process (``fastapi.testclient.TestClient``) and times the read endpoints a county's
staff and the public hit, printing p50 / p99 per endpoint and the process's peak RSS while
it ran (sampled every 10 ms; the store's server process is not included for PostGIS).

    python bench/bench_year.py                                  # SQLite, 100,000 issues
    python bench/bench_year.py --pg "$GRIDGOV_PG_DSN" --n 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import statistics as st
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from api import create_app
from gridgov.issues.access import create_token
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    Assign,
    Close,
    DispatchDeputies,
    Escalate,
    Event,
    Issue,
    Locate,
    Rate,
    Resolve,
    Start,
    Transfer,
    apply,
    new_issue,
)
from gridgov.issues.service import IssueService
from gridgov.model import Rating
from gridgov.synth import demo_county

OUT = Path(__file__).parent / "out"
END = datetime(2026, 11, 23, tzinfo=UTC)
_CATS = {"road": 0.22, "water": 0.14, "sanitation": 0.17, "safety": 0.08,
         "livelihood": 0.16, "dispute": 0.09, "industry": 0.08, "other": 0.06}  # fmt: skip


def _issues(service: IssueService, n: int, seed: int) -> Iterator[tuple[Issue, list[Event]]]:
    """``n`` seeded issues with their logs, raised over the year before END."""
    rng = np.random.default_rng(seed)
    ws = service.ws
    grids = ws.grids
    pts = grids.geometry.representative_point()
    weights = grids["population"].to_numpy(float)
    weights /= weights.sum()
    codes = grids["code"].astype(str).to_numpy()
    villages = grids["village_code"].astype(str).to_numpy()
    station_town = dict(
        zip(ws.stations["station_id"].astype(str), ws.stations["township_code"].astype(str),
            strict=True)
    )  # fmt: skip
    assert ws.deputies is not None
    by_station: dict[str, list[str]] = {}
    for d, s in zip(ws.deputies["deputy_id"].astype(str), ws.deputies["station_id"].astype(str),
                    strict=True):  # fmt: skip
        by_station.setdefault(s, []).append(d)
    stations = sorted(by_station)
    cats = list(_CATS)
    cat_p = np.array(list(_CATS.values()))
    settings = service.settings
    grid_worker = Actor("grid_worker", "gw", "网格员")
    staff = Actor("station_admin", "sa", "管理员")
    resident = Actor("public", "", "群众")
    span_s = 365 * 86400
    gi_all = rng.choice(len(codes), size=n, p=weights)
    t_all = np.sort(rng.uniform(0, span_s, size=n))
    cat_all = rng.choice(len(cats), size=n, p=cat_p)
    fate = rng.uniform(size=(n, 6))
    for k in range(n):
        gi = int(gi_all[k])
        now = END - timedelta(seconds=span_s - float(t_all[k]))
        grid = str(codes[gi])
        station = service.grid_station[grid]
        town = station_town.get(station, "")
        p = pts.iloc[gi]
        issue_id = f"{now:%Y%m%d}-{k:012x}"
        issue, log = new_issue(
            issue_id=issue_id, category=cats[int(cat_all[k])], description="村道路面塌陷",
            lon=p.x + rng.normal(0, 2e-4), lat=p.y + rng.normal(0, 2e-4),
            actor=grid_worker, now=now, reporter_name="张三", reporter_phone="13800000000",
        )  # fmt: skip
        events = list(log)

        def step(action: Any, actor: Actor, at: datetime) -> None:
            nonlocal issue
            issue, more = apply(issue, action, actor=actor, now=at, settings=settings)
            events.extend(more)  # noqa: B023 - called within this iteration only

        step(Locate(grid, str(villages[gi]), town), grid_worker, now)
        step(Assign(f"station:{station}", "station", station, station_id=station,
                    township_code=town), grid_worker, now)  # fmt: skip
        pool = by_station.get(station) or by_station[stations[0]]
        chosen = tuple(pool[: 1 + k % 3])
        step(DispatchDeputies(chosen, tuple("nearest" for _ in chosen)), grid_worker, now)
        f = fate[k]
        at = now + timedelta(hours=1 + 30 * f[0])
        age_h = (END - now).total_seconds() / 3600
        try:
            if f[1] < 0.04 and age_h > 200:
                other = stations[(stations.index(station) + 1) % len(stations)]
                step(Transfer(f"station:{other}", "station", other, "不属本站", station_id=other,
                              township_code=station_town.get(other, "")), staff, at)  # fmt: skip
                continue_ = False
            else:
                continue_ = True
            if continue_ and f[1] > 0.97 and age_h > 200:
                step(Escalate(f"township:{town}", "township", town, "acknowledge",
                              township_code=town), Actor("system"), at)  # fmt: skip
            if continue_ and age_h > 48 and f[2] < 0.93:
                deputy = Actor("deputy", chosen[0], "代表")
                step(Acknowledge(), deputy, at)
                step(Start(), deputy, at + timedelta(hours=1))
                if age_h > 24 * 7 and f[3] < 0.9:
                    done = at + timedelta(hours=24 + 100 * f[4])
                    step(Resolve("已处理"), deputy, done)
                    if f[4] < 0.7:
                        bad = f[5] < 0.08
                        rating = Rating.UNSATISFIED if bad else Rating.SATISFIED
                        step(Rate(rating), resident, done + timedelta(hours=5))
                        if not bad and f[5] < 0.9:
                            step(Close("已评价"), staff, done + timedelta(hours=6))
        except Exception:  # a transition the pure machine refuses: keep what got through
            pass
        yield issue, events


def _load_sqlite(store: Any, rows: Iterator[tuple[Issue, list[Event]]], n: int) -> None:
    from gridgov.store.sqlite import _rebuild_deputy_load

    batch: list[tuple[Issue, list[Event]]] = []

    def flush() -> None:
        with store._write() as con:
            con.executemany(
                f"INSERT INTO issues ({', '.join(store._row(batch[0][0]))}) VALUES "
                f"({', '.join(':' + k for k in store._row(batch[0][0]))})",
                [store._row(_v1(i)) for i, _ in batch],
            )  # fmt: skip
            store._insert_events(con, [e for _, ev in batch for e in ev])
        batch.clear()

    for item in rows:
        batch.append(item)
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    with store._write() as con:
        _rebuild_deputy_load(con)


def _load_pg(store: Any, rows: Iterator[tuple[Issue, list[Event]]], n: int) -> None:
    from gridgov.store.postgis import _INSERT_ISSUE

    batch: list[tuple[Issue, list[Event]]] = []

    def flush() -> None:
        with store._conn("bulk load") as conn, conn.transaction():
            conn.cursor().executemany(_INSERT_ISSUE, [store._params(_v1(i)) for i, _ in batch])
            store._insert_events(conn, [e for _, ev in batch for e in ev])
        batch.clear()

    for item in rows:
        batch.append(item)
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    with store._conn("analyse") as conn:
        conn.execute("ANALYZE issues")
        conn.execute("ANALYZE events")


def _v1(issue: Issue) -> Issue:
    from dataclasses import replace

    return replace(issue, version=1)


class _Peak:
    """Peak RSS of this process while inside the block (sampled)."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> _Peak:
        self.peak = self.proc.memory_info().rss
        self._stop.clear()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def _time(
    client: Any, url: str, headers: dict[str, str], reps: int, budget_s: float
) -> dict[str, Any]:
    samples: list[float] = []
    status = set()
    size = 0
    began = time.perf_counter()
    rss0 = psutil.Process().memory_info().rss
    with _Peak() as peak:
        client.get(url, headers=headers)  # warm (not counted)
        while len(samples) < reps and (time.perf_counter() - began < budget_s or not samples):
            t = time.perf_counter()
            r = client.get(url, headers=headers)
            samples.append((time.perf_counter() - t) * 1000)
            status.add(r.status_code)
            size = len(r.content)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return {"p50": st.median(samples), "p99": p99, "n": len(samples), "status": status,
            "bytes": size, "rss0": rss0, "peak": peak.peak}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="issues in the store")
    ap.add_argument("--pg", default=None, help="PostGIS DSN (default: a SQLite file)")
    ap.add_argument("--reps", type=int, default=50, help="timed requests per endpoint (at most)")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per endpoint (about)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", action="store_true", help="reuse an existing SQLite store")
    args = ap.parse_args(argv)

    from fastapi.testclient import TestClient

    ws = demo_county(seed=2024)
    schema = None
    if args.pg:
        from gridgov.store.postgis import PostGISStore

        schema = f"bench_year_{uuid.uuid4().hex[:8]}"
        import psycopg

        with psycopg.connect(args.pg, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.pg else "?"
        store: Any = PostGISStore(f"{args.pg}{sep}options=-csearch_path%3D{schema},public")
    else:
        from gridgov.store.sqlite import SQLiteStore

        OUT.mkdir(exist_ok=True)
        path = OUT / f"year_{args.n}.sqlite"
        if not args.keep:
            for p in OUT.glob(f"year_{args.n}.sqlite*"):
                p.unlink()
        store = SQLiteStore(path)
    try:
        service = IssueService(ws, store, clock=lambda: END)
        t0 = time.perf_counter()
        have = store.count()
        if have < args.n:
            rows = _issues(service, args.n, args.seed)
            (_load_pg if args.pg else _load_sqlite)(store, rows, args.n)
        load_s = time.perf_counter() - t0
        n = store.count()
        county = str(ws.county.iloc[0]["code"])
        token = create_token(store, ws, role="county_staff", subject=county, now=END)
        h = {"Authorization": f"Bearer {token}"}
        station = str(ws.stations["station_id"].iloc[0])
        town = ws.townships.iloc[0]
        tb = town.geometry.bounds
        month = "from=2026-10-01T00:00:00%2B00:00&to=2026-11-01T00:00:00%2B00:00"
        year = "from=2025-11-23T00:00:00%2B00:00&to=2026-11-23T00:00:00%2B00:00"
        week = "created_from=2026-11-01T00:00:00%2B00:00&created_to=2026-11-08T00:00:00%2B00:00"
        bbox = ",".join(f"{v:.5f}" for v in tb)
        codes = ",".join(service.settings.issue_categories)
        urls = [
            ("statistics month", f"/statistics?by=station&{month}", h),
            ("statistics year", f"/statistics?by=station&{year}", h),
            ("issues", "/issues", h),
            ("issues station_id", f"/issues?station_id={station}", h),
            ("issues township_code", f"/issues?township_code={town['code']}", h),
            ("issues status", "/issues?status=resolved", h),
            ("issues category", "/issues?category=water", h),
            ("issues created week", f"/issues?{week}", h),
            ("issues bbox", f"/issues?bbox={bbox}", h),
            ("issues offset 5000", "/issues?limit=200&offset=5000", h),
            ("layer issues bbox", f"/layers/issues.geojson?bbox={bbox}", h),
            ("open311 requests", f"/open311/v2/requests.json?service_code={codes}", {}),
        ]
        client = TestClient(create_app(service), raise_server_exceptions=False)
        where = "postgis" if args.pg else "sqlite"
        print(f"bench_year: {where}, {n:,} issues (load {load_s:.1f} s), reps <= {args.reps}, "
              f"about {args.budget:g} s per endpoint")  # fmt: skip
        print(f"{'endpoint':24s} {'p50 ms':>9s} {'p99 ms':>9s} {'runs':>5s} {'status':>7s} "
              f"{'bytes':>10s} {'RSS0 GiB':>8s} {'peak GiB':>8s}")  # fmt: skip
        for name, url, headers in urls:
            r = _time(client, url, headers, args.reps, args.budget)
            print(f"{name:24s} {r['p50']:9.1f} {r['p99']:9.1f} {r['n']:5d} "
                  f"{','.join(map(str, sorted(r['status']))):>7s} {r['bytes']:10,d} "
                  f"{r['rss0'] / 2**30:8.2f} {r['peak'] / 2**30:8.2f}", flush=True)  # fmt: skip
        print(f"peak RSS of the process: {psutil.Process().memory_info().rss / 2**30:.2f} GiB "
              "now")  # fmt: skip
    finally:
        store.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(args.pg, autocommit=True) as c, contextlib.suppress(Exception):
                c.execute(f"DROP SCHEMA {schema} CASCADE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
