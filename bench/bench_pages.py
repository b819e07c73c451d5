"""The staff's screens over a county with 10,000 open issues: server time per page.

Builds (or reuses, ``--keep``) the SQLite store of ``bench_year.py`` for ``--n`` issues raised
over a year (60,000 by default: the year's fates leave about 10,000 of them open, most of
those overdue, a county's backlog), logs county and township staff in through the login
form, and times the pages they work from: the work queue on each tab, with a search and a
category filter, the map page and its issues for the county's and a township's extent, and
the statistics page. Prints p50 / p95 / p99 per page (in-process ``TestClient``: the
server's time plus a millisecond of client) and how many open issues the store holds.

    python bench/bench_pages.py                  # 60,000 issues, about 10,000 open
    python bench/bench_pages.py --n 60000 --keep --reps 30
"""

from __future__ import annotations

import argparse
import re
import statistics as st
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_year as year

from api import create_app
from gridgov.issues.accounts import Account, hash_password
from gridgov.issues.service import IssueService
from gridgov.store.accounts import account_store
from gridgov.store.base import IssueQuery
from gridgov.store.sqlite import SQLiteStore
from gridgov.synth import demo_county

PASSWORD = "bench-口令-2026"


def _login(client: Any, who: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if csrf is None:
        raise SystemExit("bench_pages: the login page has no CSRF field")
    r = client.post("/login", data={"who": who, "password": PASSWORD, "csrf": csrf.group(1),
                                    "next": ""}, follow_redirects=False)  # fmt: skip
    if r.status_code != 303:
        raise SystemExit(f"bench_pages: logging in {who} answered {r.status_code}")


def _time(client: Any, url: str, reps: int, budget_s: float) -> dict[str, Any]:
    client.get(url)  # warm (not counted)
    samples: list[float] = []
    status: set[int] = set()
    began = time.perf_counter()
    while len(samples) < reps and (time.perf_counter() - began < budget_s or not samples):
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        status.add(r.status_code)
    samples.sort()

    def q(p: float) -> float:
        return samples[min(len(samples) - 1, round(p * (len(samples) - 1)))]

    return {"p50": st.median(samples), "p95": q(0.95), "p99": q(0.99), "n": len(samples),
            "status": status}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60_000, help="issues raised over the year")
    ap.add_argument("--reps", type=int, default=30, help="timed requests per page (at most)")
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per page (about)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the store file")
    ap.add_argument("--only", default=None, help="comma-separated parts of page names to run")
    args = ap.parse_args(argv)

    from fastapi.testclient import TestClient

    ws = demo_county(seed=args.seed)
    year.OUT.mkdir(exist_ok=True)
    path = year.OUT / f"pages_{args.n}.sqlite"
    if not args.keep:
        for p in year.OUT.glob(f"pages_{args.n}.sqlite*"):
            p.unlink()
    store = SQLiteStore(path)
    try:
        service = IssueService(ws, store, clock=lambda: year.END)
        if store.count() != args.n:
            store.close()
            for p in year.OUT.glob(f"pages_{args.n}.sqlite*"):
                p.unlink()
            store = SQLiteStore(path)
            service = IssueService(ws, store, clock=lambda: year.END)
            t0 = time.perf_counter()
            year._load_sqlite(store, year._plan(service, args.n, args.seed), 20_000, 2)
            print(f"bench_pages: loaded {args.n:,} issues in {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
        _, open_n = store.list_issues(IssueQuery(open_only=True, limit=1))
        county = str(ws.county["code"].iloc[0])
        town = ws.townships.iloc[0]
        accounts = account_store(store)
        fast = None  # the library's default hasher: logging in costs what it costs a person
        for login, role, subject in (("bench-county", "county_staff", county),
                                     ("bench-town", "township_staff", str(town["code"]))):  # fmt: skip
            if accounts.account(login) is None:
                accounts.put_account(Account(login, login, role, subject, "",
                                             hash_password(PASSWORD, hasher=fast), year.END,
                                             must_change=False))  # fmt: skip
        x0, y0, x1, y1 = ws.townships.total_bounds
        cbox = f"{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}"
        tb = town.geometry.bounds
        tbox = ",".join(f"{v:.5f}" for v in tb)
        category = next(iter(service.settings.issue_categories))
        pages = [
            ("work pending", "/work?tab=pending"),
            ("work handling", "/work?tab=handling"),
            ("work due_soon", "/work?tab=due_soon"),
            ("work overdue", "/work?tab=overdue"),
            ("work overdue page 20", "/work?tab=overdue&page=20"),
            ("work escalated", "/work?tab=escalated"),
            ("work to_rate", "/work?tab=to_rate"),
            ("work category", f"/work?tab=handling&category={category}"),
            ("work search", "/work?tab=handling&q=塌陷"),
            ("map page", "/work/map"),
            ("map issues county", f"/work/map/issues.geojson?bbox={cbox}"),
            ("map issues township", f"/work/map/issues.geojson?bbox={tbox}"),
            ("stats page", "/work/stats"),
        ]
        wanted = [w.strip() for w in (args.only or "").split(",") if w.strip()]
        pages = [(n, u) for n, u in pages if not wanted or any(w in n for w in wanted)]
        print(f"bench_pages: sqlite, {args.n:,} issues, {open_n:,} open; reps <= {args.reps}, "
              f"about {args.budget:g} s per page")  # fmt: skip
        print(f"{'page':26s} {'who':8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} "
              f"{'runs':>5s} {'status':>7s}")  # fmt: skip
        for who in ("bench-county", "bench-town"):
            with TestClient(create_app(service), raise_server_exceptions=False) as client:
                _login(client, who)
                for name, url in pages:
                    r = _time(client, url, args.reps, args.budget)
                    print(f"{name:26s} {who[6:]:8s} {r['p50']:8.1f} {r['p95']:8.1f} "
                          f"{r['p99']:8.1f} {r['n']:5d} "
                          f"{','.join(map(str, sorted(r['status']))):>7s}", flush=True)  # fmt: skip
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
