"""How fast notices leave, and how long after the event they arrive.

Two figures, against a local HTTP receiver standing for the SMS gateway and a robot:

1. *throughput*: issues raised with no worker running (their notices wait in the outbox),
   then two ``NotifyWorker`` processes plan and send them all; notices delivered per second;
2. *lag*: the two workers running while issues are raised at ``--rate`` per second
   (200 by default, a county's busiest morning many times over); the time from each
   event to its notice's arrival at the receiver, p50 and p99.

The load: ``--generators`` processes (4 by default), each with its own
:class:`~gridgov.issues.service.IssueService` over the same store, raise issues
*in-process* (no HTTP: the web tier is ``bench_api.py``'s subject), each paced at
``rate / generators`` from one common start. One process alone reached 59 creations/s
(each creation locates, routes the dispatch and writes in one transaction), so the
offered rate needs several. The achieved creation rate is printed beside the asked one:
when the store (SQLite's single writer, on a small machine) cannot take the asked rate,
the figure says so instead of the lag quietly measuring a lighter load. Use
``--db postgresql://...`` for a load where writers do not queue on one lock.

Run: ``python bench/bench_notify.py [--issues 600] [--rate 200] [--seconds 10]
[--generators 4] [--db postgresql://...]``. It prints the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SECRET_ENV = "GG_BENCH_SMS_SECRET"


class Receiver:
    """Records the arrival time of each idempotency key (the first one)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.requests += 1
                    receiver.arrived.setdefault(key, time.time())
                body = b'{"errcode": 0, "Code": "OK"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def _table(url: str) -> dict[str, Any]:
    return {
        "quiet_hours": "",
        "due_soon_h": 0,
        "poll_s": 0.05,
        "batch": 100,
        "channels": {
            "sms": {"type": "sms", "url": f"{url}/sms", "secret_env": SECRET_ENV},
            "robot": {"type": "wecom", "url": f"{url}/wecom", "units": ["station:*"]},
        },
    }


def _county() -> Any:
    from gridgov import synth

    ws = synth.demo_county(seed=2024)
    ws.stations["contact_phone"] = [f"1390000{i:04d}" for i in range(len(ws.stations))]
    return ws


def _open(db: str) -> Any:
    from gridgov.store import open_store

    return open_store(db)


def _worker(db: str, url: str, stop_at: float, drain: bool) -> None:
    """A worker process: passes until ``stop_at`` (or, with ``drain``, until idle)."""
    from gridgov.notify.worker import NotifyWorker
    from gridgov.settings import Settings

    os.environ[SECRET_ENV] = "bench-secret"
    store = _open(db)
    worker = NotifyWorker(store, _county(), Settings(notify=_table(url)))
    idle = 0
    while time.time() < stop_at:
        if worker.run_once().busy:
            idle = 0
        else:
            idle += 1
            if drain and idle >= 3:
                break
            time.sleep(worker.config.poll_s)
    store.close()


def _raise(service: Any, n: int, points: list[tuple[float, float]]) -> None:
    from gridgov.issues.lifecycle import Actor
    from gridgov.issues.service import NewIssue

    lon, lat = points[n % len(points)]
    service.raise_issue(
        NewIssue(category="road", description=f"路面破损{n}", lon=lon, lat=lat),
        Actor("county_staff", "430623", "县代表工委"),
    )


def _setup(db: str, url: str) -> tuple[Any, list[tuple[float, float]]]:
    from gridgov.issues.service import IssueService
    from gridgov.settings import Settings

    ws = _county()
    service = IssueService(ws, _open(db), settings=Settings(notify=_table(url)), secret=b"b")
    assert ws.grids is not None
    pts = [g.representative_point() for g in ws.grids.geometry]
    return service, [(p.x, p.y) for p in pts]


def _start(db: str, url: str, until: float, drain: bool) -> list[mp.process.BaseProcess]:
    ctx = mp.get_context("spawn")
    procs: list[mp.process.BaseProcess] = [
        ctx.Process(target=_worker, args=(db, url, until, drain)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    return procs


def throughput(db: str, issues: int) -> None:
    receiver = Receiver()
    service, points = _setup(db, receiver.url)
    for n in range(issues):
        _raise(service, n, points)
    from gridgov.store.outbox import outbox_store

    backlog = outbox_store(service.store).counts()["backlog"]
    t0 = time.time()
    procs = _start(db, receiver.url, t0 + 600, drain=True)
    for p in procs:
        p.join()
    counts = outbox_store(service.store).counts()
    # the workers' start (imports, the county) is not delivery: time from the first arrival
    first, last = min(receiver.arrived.values()), max(receiver.arrived.values())
    sent = counts["sent"]
    print(f"throughput: {issues} issues, {backlog} events -> {sent} notices sent by 2 workers")
    print(
        f"  {sent / (last - first):.0f} notices/s (first to last arrival, {last - first:.2f} s);"
        f" {receiver.requests} requests for {len(receiver.arrived)} keys;"
        f" pending {counts['pending']}, dead {counts['dead']}"
    )
    service.store.close()


def _generator(
    db: str, url: str, k: int, of: int, rate: float, seconds: float, go: Any, start: Any, out: Any
) -> None:
    """One load process: its own service; from ``start`` raises issues ``k, k+of, ...``
    each at its slot of the common schedule (``rate`` per second over all processes)."""
    service, points = _setup(db, url)
    out.put(("ready", k, 0, 0.0))
    go.wait()
    t0 = start.value
    n, late = k, 0.0
    while True:
        due = t0 + n / rate
        if due - t0 >= seconds:
            break
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        else:
            late = max(late, -wait)
        _raise(service, n, points)
        n += of
    out.put(("done", k, (n - k) // of, time.time() - t0, late))
    service.store.close()


def lag(db: str, rate: float, seconds: float, generators: int) -> None:
    receiver = Receiver()
    service, _ = _setup(db, receiver.url)  # creates the schema before the processes open it
    ctx = mp.get_context("spawn")
    go, start, out = ctx.Event(), ctx.Value("d", 0.0), ctx.Queue()
    gens = [
        ctx.Process(
            target=_generator,
            args=(db, receiver.url, k, generators, rate, seconds, go, start, out),
        )
        for k in range(generators)
    ]
    for g in gens:
        g.start()
    for _ in gens:  # every generator has built its service (seconds each) before the load
        out.get(timeout=600)
    procs = _start(db, receiver.url, time.time() + seconds + 600, drain=False)
    time.sleep(8)  # the workers start (imports, the county) before the load begins
    start.value = time.time() + 0.5
    go.set()
    done = [out.get(timeout=seconds + 600) for _ in gens]
    for g in gens:
        g.join()
    n = sum(d[2] for d in done)
    wall = max(d[3] for d in done)
    made = n / wall
    behind = max(d[4] for d in done)
    from gridgov.store.outbox import outbox_store

    outbox = outbox_store(service.store)
    deadline = time.time() + 60
    while time.time() < deadline:
        c = outbox.counts()
        if c["backlog"] == 0 and c["pending"] == 0:
            break
        time.sleep(0.2)
    for p in procs:
        p.terminate()
        p.join()
    notices = outbox.notices(state="sent", limit=1_000_000)
    lags = [
        receiver.arrived[x.idem_key] - x.event_at.timestamp()
        for x in notices
        if x.idem_key in receiver.arrived
    ]
    lags.sort()
    p50 = statistics.median(lags)
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    span = max(receiver.arrived.values()) - min(receiver.arrived.values()) if lags else 0.0
    print(
        f"lag: {n} issues raised at {made:.0f}/s (asked {rate:g}/s, {generators} generator"
        f" processes, most behind schedule {behind:.2f} s) for {seconds:g} s,"
        f" {len(notices)} notices ({len(notices) / max(span, 1e-9):.0f}/s delivered by 2 workers)"
    )
    print(
        f"  event -> arrival p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
    )
    service.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=600)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--generators", type=int, default=4, help="load processes")
    parser.add_argument("--db", help="postgresql://... (default: a SQLite file in a temp dir)")
    args = parser.parse_args()
    os.environ[SECRET_ENV] = "bench-secret"
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in (
            ("throughput", lambda db: throughput(db, args.issues)),
            ("lag", lambda db: lag(db, args.rate, args.seconds, args.generators)),
        ):
            db = args.db or str(Path(tmp) / f"{name}.sqlite")
            if args.db:
                _reset(args.db)
            run(db)
    print(f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs)")


def _reset(dsn: str) -> None:
    """Empty the issue tables of a PostGIS store between the two runs."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE notify_notices, notify_outbox, events, issues CASCADE")


if __name__ == "__main__":
    main()
