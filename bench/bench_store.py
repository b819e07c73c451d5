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

Creation is always closed-loop (``--clients`` threads, each sends its next request when
the last one is answered). Dispatch is closed-loop too unless ``--rate R`` is given: then
it is open-loop, ``--dispatch`` requests (or ``--duration`` seconds' worth) sent on a
fixed schedule, request ``i`` due at ``t0 + i / R``, over a pool of ``--conns`` keep-alive
connections (a minimal HTTP/1.1 client on asyncio streams, so the generator costs little
of the cores it shares with the server). Latency is measured from the *scheduled* time:
a request that waits for a free connection, or for a server busy with earlier ones, has
that wait counted (no coordinated omission). It reports the rate achieved, p50 / p99 /
max latency, errors, the generator's own lag behind its schedule and CPU, and the
server's CPU time per request (all of its processes, from psutil).

SQLite is a file in a temporary folder (``synchronous=FULL``); PostGIS is a new schema in
the database of ``--pg`` (default ``$GRIDGOV_PG_DSN``; ``eval "$(bash .ci/postgis.sh
start)"`` starts a throwaway cluster), dropped afterwards. The table puts the two side by
side with the ratio PostGIS / SQLite (times: above 1 is slower; rates: below 1 is slower).

``--profile DIR`` runs every server process under cProfile (per thread; per-thread CPU
time by default, ``--profile-clock wall`` for wall time) through a ``sitecustomize``
written to the temporary folder: profiles are cleared after the warm-up and dumped (one
``.pstats`` per process and thread) after the creations, then the merged profile of the
workers is summarised. Figures of a profiled run are slower than real ones.

Every run also prints each phase's CPU per request (the server's, split by process; this
process's) and the cores other jobs kept busy meanwhile (``/proc/stat``): a shared machine
shows there. ``--create-client raw`` sends the creations from the asyncio client too
(closed loop still, every 201 still counted), at a quarter of httpx's client CPU.

    python bench/bench_store.py --clients 2,8 --create 1000 --dispatch 1000
    python bench/bench_store.py --stores sqlite --workers 2 --rate 200 --dispatch 3000 --create 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import numpy as np
from bench_api import _pct, _run

from gridgov.testing import free_port

#: Written as ``sitecustomize.py`` on the server's PYTHONPATH under ``--profile``: every
#: Python process of ``gridgov serve`` (supervisor and workers) profiles each thread with
#: its own cProfile (``threading.setprofile`` hands every new thread one); SIGUSR1 clears
#: what was gathered so far and starts profiling the main thread (the event loop; not
#: before, so start-up stays fast), SIGUSR2 dumps it all (uvicorn re-raises SIGTERM, so
#: atexit never runs in a worker).
_PROFILE_HOOK = r"""
import cProfile, os, signal, sys, threading, time

_DIR = os.environ.get("GRIDGOV_BENCH_PROFILE")
if _DIR:
    _CPU = os.environ.get("GRIDGOV_BENCH_PROFILE_CLOCK", "cpu") == "cpu"
    _profiles = {}
    _lock = threading.Lock()
    def _new():
        if _CPU:
            return cProfile.Profile(time.thread_time_ns, 1e-9)
        return cProfile.Profile()

    def _start(*_args):
        prof = _new()
        with _lock:
            _profiles[threading.current_thread().name + "-" + str(threading.get_ident())] = prof
        prof.enable()  # replaces this hook for the thread

    def _on_usr1(signum, frame):  # start: clear the threads, profile the event loop too
        with _lock:
            items = list(_profiles.items())
        for _name, prof in items:
            prof.clear()
        main = _new()
        with _lock:
            _profiles["main-" + str(threading.get_ident())] = main
        main.enable()

    def _on_usr2(signum, frame):  # dump
        with _lock:
            items = list(_profiles.items())
        for name, prof in items:
            prof.disable()
            prof.create_stats()
            if prof.stats:
                safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
                prof.dump_stats(os.path.join(_DIR, f"{os.getpid()}-{safe}.pstats"))
        open(os.path.join(_DIR, f"{os.getpid()}.done"), "w").close()

    threading.setprofile(_start)  # the request threads (anyio's pool) start later
    signal.signal(signal.SIGUSR1, _on_usr1)
    signal.signal(signal.SIGUSR2, _on_usr2)
"""


def _schema_dsn(dsn: str, schema: str) -> str:
    """``dsn`` with the new schema first on its search_path (PostGIS stays visible)."""
    option = f"-c search_path={schema},public"
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", option))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _serve(
    workspace: Path,
    target: str,
    port: int,
    workers: int = 1,
    profile: tuple[Path, str] | None = None,
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "gridgov", "serve", str(workspace), "--db", target,
        "--port", str(port), "--tick", "0", "--rate", "0", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if profile is not None:
        out_dir, clock = profile
        hook = workspace.parent / "profile-hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(_PROFILE_HOOK)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
        env["GRIDGOV_BENCH_PROFILE"] = str(out_dir)
        env["GRIDGOV_BENCH_PROFILE_CLOCK"] = clock
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


def _tree(pid: int) -> list[Any]:
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by the server and each of its processes."""
    import psutil

    out = {}
    for proc in _tree(pid):
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = t.user + t.system
    return out


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> tuple[float, list[int]]:
    """CPU seconds between two :func:`_cpu_s`, and each busy process's share in %
    (largest first): uneven shares mean the workers did not take equal parts."""
    used = {p: t - before.get(p, 0.0) for p, t in after.items()}
    total = sum(used.values())
    shares = sorted(
        (round(100 * u / total) for u in used.values() if u > 0.02 * total), reverse=True
    )
    return total, shares


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all cores)."""
    with Path("/proc/stat").open() as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class _Meter:
    """CPU over one phase: the server's (each process), this process's (the load
    generator) and everyone else's on the machine (other jobs sharing the cores)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.server0 = _cpu_s(pid)
        self.own0 = time.process_time()
        self.busy0 = _machine_busy_s()
        self.t0 = time.perf_counter()

    def stop(self, n: int) -> dict[str, Any]:
        server, split = _cpu_used(self.server0, _cpu_s(self.pid))
        own = time.process_time() - self.own0
        wall = time.perf_counter() - self.t0
        others = max(0.0, _machine_busy_s() - self.busy0 - server - own)
        return {
            "server_cpu_ms": round(1000 * server / max(n, 1), 2),
            "server_split_pct": split,
            "client_cpu_ms": round(1000 * own / max(n, 1), 2),
            "others_cores": round(others / wall, 2) if wall > 0 else 0.0,
        }


def _signal_tree(pid: int, out_dir: Path | None = None, timeout_s: float = 30.0) -> None:
    """SIGUSR1 (start) to every server process; with ``out_dir``, SIGUSR2 (dump) and wait
    for each one's files."""
    procs = _tree(pid)
    for proc in procs:
        os.kill(proc.pid, signal.SIGUSR1 if out_dir is None else signal.SIGUSR2)
    if out_dir is None:
        time.sleep(1.0)  # the supervisor's main thread may sit in a 0.5 s wait
        return
    wanted = procs[1:] or procs  # not the supervisor of several workers (it may sit in a wait)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all((out_dir / f"{proc.pid}.done").exists() for proc in wanted):
            return
        time.sleep(0.1)
    missing = [
        f"{proc.pid} {' '.join(proc.cmdline()[-3:])}"
        for proc in wanted
        if not (out_dir / f"{proc.pid}.done").exists()
    ]
    print(f"profile: no dump into {out_dir} from {missing}", file=sys.stderr)


# --- open loop ----------------------------------------------------------------------------

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)
_ELAPSED = re.compile(rb'"elapsed_ms"\s*:\s*([-+0-9.eE]+)')


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 request and its response: (status, body, server keeps the connection)."""
    writer.write(head)
    raw = await reader.readuntil(b"\r\n\r\n")
    status = int(raw[9:12])
    m = _CONTENT_LENGTH.search(raw)
    if m is not None:
        body = await reader.readexactly(int(m.group(1)))
    elif _CHUNKED.search(raw):
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers from uvicorn
                break
            parts.append(await reader.readexactly(size + 2))
        body = b"".join(p[:-2] for p in parts)
    else:
        raise ValueError("response without Content-Length or chunked body")
    keep = b"\r\nconnection: close" not in raw.lower()
    return status, body, keep


async def _open_loop(
    host: str,
    port: int,
    heads: list[bytes],
    rate: float,
    conns: int,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Send ``heads[i]`` at ``t0 + i / rate`` over ``conns`` keep-alive connections.

    Latency runs from the scheduled time to the end of the response, so time spent
    waiting for a connection (all busy) or behind the server's queue is counted.
    """
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    lat: list[float] = []
    server_ms: list[float] = []
    lag: list[float] = []  # when the scheduler released request i, after its due time
    errors: Counter[str] = Counter()
    reconnects = [0]
    first_done: list[float] = []
    last_done = [0.0]

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(host, port)  # asyncio sets TCP_NODELAY

    async def worker(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        while True:
            job = await queue.get()
            if job is None:
                break
            i, due = job
            try:
                for attempt in range(2):
                    if conn is None:
                        conn = await connect()
                    try:
                        status, body, keep = await asyncio.wait_for(
                            _exchange(conn[0], conn[1], heads[i]), timeout_s
                        )
                        break
                    except (asyncio.IncompleteReadError, ConnectionError):
                        # the server closed an idle keep-alive connection: once more, afresh
                        conn[1].close()
                        conn = None
                        if attempt:
                            raise
                        reconnects[0] += 1
                done = time.perf_counter()
                if not keep and conn is not None:
                    conn[1].close()
                    conn = None
                if status != 200:
                    errors[f"HTTP {status}"] += 1
                    continue
                lat.append((done - due) * 1000)
                if not first_done:
                    first_done.append(done)
                last_done[0] = max(last_done[0], done)
                m = _ELAPSED.search(body)
                if m is not None:
                    server_ms.append(float(m.group(1)))
            except Exception as exc:  # counted, the run goes on
                errors[type(exc).__name__] += 1
                if conn is not None:
                    conn[1].close()
                    conn = None
        if conn is not None:
            conn[1].close()

    # one at a time, a moment apart: opened all at once, they would queue on the shared
    # listening socket and the first worker to wake would accept them all (asyncio accepts
    # every pending connection in one go), leaving the other worker idle
    opened = []
    for _ in range(conns):
        opened.append(await connect())
        await asyncio.sleep(0.005)
    tasks = [asyncio.create_task(worker(c)) for c in opened]
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.05
    for i in range(len(heads)):
        due = t0 + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        lag.append((time.perf_counter() - due) * 1000)
        queue.put_nowait((i, due))
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu0
    span = (last_done[0] - t0) if lat else float("nan")
    return {
        "offered_per_s": rate,
        "sent": len(heads),
        "ok": len(lat),
        "errors": dict(errors),
        "reconnects": reconnects[0],
        "achieved_per_s": round(len(lat) / span, 1) if lat else 0.0,
        "schedule_s": round(len(heads) / rate, 2),
        "span_s": round(span, 2),
        "latency": _pct(lat) if lat else {},
        "server_compute": _pct(server_ms) if server_ms else {},
        "generator_lag": _pct(lag),
        "generator_cpu_pct": round(100 * cpu / max(span, 1e-9), 1),
        "conns": conns,
    }


async def _closed_loop(
    host: str, port: int, per_client: list[list[bytes]], timeout_s: float = 60.0
) -> tuple[list[float], list[tuple[int, bytes]], float]:
    """Each client, on its own keep-alive connection, sends its requests one after
    another (the raw counterpart of :func:`bench_api._run`): latencies in ms of the
    answered ones, every (status, body) (status 0: the exchange failed), wall seconds."""
    lat: list[float] = []
    results: list[tuple[int, bytes]] = []

    async def client(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None, reqs: list[bytes]
    ) -> None:
        for req in reqs:
            if conn is None:
                conn = await asyncio.open_connection(host, port)
            t = time.perf_counter()
            try:
                status, body, keep = await asyncio.wait_for(
                    _exchange(conn[0], conn[1], req), timeout_s
                )
            except Exception as exc:  # counted, the run goes on
                results.append((0, type(exc).__name__.encode()))
                conn[1].close()
                conn = None
                continue
            lat.append((time.perf_counter() - t) * 1000)
            results.append((status, body))
            if not keep:
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    conns = []
    for _ in per_client:  # one at a time: see _open_loop
        conns.append(await asyncio.open_connection(host, port))
        await asyncio.sleep(0.005)
    t0 = time.perf_counter()
    await asyncio.gather(*(client(c, r) for c, r in zip(conns, per_client, strict=True)))
    return lat, results, time.perf_counter() - t0


def _head(path: str, query: dict[str, Any], port: int, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path}?{urlencode(query)} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _post(path: str, body: dict[str, Any], port: int, headers: dict[str, str]) -> bytes:
    data = json.dumps(body).encode("ascii")
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + data


def one_run(
    workspace: Path,
    ws: Any,
    target: str,
    clients: int,
    n_create: int,
    n_dispatch: int,
    workers: int = 1,
    *,
    rate: float = 0.0,
    conns: int = 64,
    warmup_s: float = 1.0,
    profile: tuple[Path, str] | None = None,
    create_keepalive: bool = True,
    create_client: str = "httpx",
) -> dict[str, Any]:
    """Creation then dispatch over HTTP with ``clients`` threads on an empty store.

    With ``rate`` > 0, dispatch is open-loop at ``rate`` requests/s (see the module).
    ``create_keepalive=False`` sends each creation on a new connection (``Connection:
    close``), so the kernel hands each to whichever worker accepts first instead of every
    client staying on the worker that accepted its one connection. ``create_client="raw"``
    drives the creations from coroutines on the asyncio client of the open loop instead of
    httpx threads (the same requests, a fraction of the client's CPU).
    """
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
    create_headers = auth if create_keepalive else {**auth, "Connection": "close"}
    acked: list[str] = []
    statuses: dict[int, int] = {}
    server_ms: list[float] = []

    def create_body(i: int, j: int) -> dict[str, Any]:
        p = pts[(i * 7919 + j) % len(pts)]
        return {
            "category": "sanitation",
            "description": f"bench {i}-{j}",
            "lon": p.x + 1e-5 * (j % 7),
            "lat": p.y,
        }

    def create(http: httpx.Client, i: int, j: int) -> None:
        r = http.post(
            base + "/issues",
            json=create_body(i, j),
            headers={**create_headers, "Idempotency-Key": f"bench-{i}-{j}"},
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

    def heads(n: int) -> list[bytes]:
        out = []
        for _ in range(n):
            p = pts[int(rng.integers(len(pts)))]
            q = {"lon": p.x, "lat": p.y, "category": "road"}
            out.append(_head("/dispatch/preview", q, port, auth))
        return out

    prof_dir: Path | None = None
    serve_profile: tuple[Path, str] | None = None
    if profile is not None:
        prof_dir = profile[0] / f"run-{clients}c-{port}"
        prof_dir.mkdir(parents=True, exist_ok=True)
        serve_profile = (prof_dir, profile[1])
    server = _serve(workspace, target, port, workers, serve_profile)
    open_loop: dict[str, Any] | None = None
    try:
        _run(clients, 50, dispatch)  # warm-up: routes, pools, caches
        server_ms.clear()
        if prof_dir is not None:
            _signal_tree(server.pid)  # clear the start-up and the warm-up
        if create_client == "raw":
            per = [n_create // clients + (i < n_create % clients) for i in range(clients)]
            reqs = [
                [
                    _post(
                        "/issues",
                        create_body(i, j),
                        port,
                        {**create_headers, "Idempotency-Key": f"bench-{i}-{j}"},
                    )
                    for j in range(per[i])
                ]
                for i in range(clients)
            ]
            meter = _Meter(server.pid)
            lat_c, answers, wall_c = asyncio.run(_closed_loop("127.0.0.1", port, reqs))
            for status, body in answers:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    acked.append(json.loads(body)["issue"]["issue_id"])
        else:
            meter = _Meter(server.pid)
            lat_c, wall_c = _run(clients, n_create, create)
        cpu_c = meter.stop(len(lat_c))
        if prof_dir is not None:
            _signal_tree(server.pid, prof_dir)  # dump the creations
        if rate > 0:
            if warmup_s > 0:  # every connection and both workers warm, not counted
                asyncio.run(_open_loop("127.0.0.1", port, heads(int(rate * warmup_s)), rate, conns))
            todo = heads(n_dispatch)
            meter = _Meter(server.pid)
            open_loop = asyncio.run(_open_loop("127.0.0.1", port, todo, rate, conns))
            cpu_d = meter.stop(open_loop["ok"])
            lat_d: list[float] = []
            wall_d = 0.0
        else:
            meter = _Meter(server.pid)
            lat_d, wall_d = _run(clients, n_dispatch, dispatch)
            cpu_d = meter.stop(len(lat_d))
    finally:
        server.terminate()
        server.wait(timeout=30)
    from gridgov.settings import Settings

    store = open_store(target)
    found = store.count()  # type: ignore[attr-defined]
    load = store.open_load()
    store.close()
    cap = Settings().max_open_per_deputy
    # past about 1,800 open issues (3 deputies each, at most `cap` per deputy) most
    # station and township pools are full, and every dispatch reads the county pool
    at_cap = sum(1 for n in load.values() if n >= cap)
    result: dict[str, Any] = {
        "clients": clients,
        "create_http": _pct(lat_c),
        "create_per_s": round(len(lat_c) / wall_c, 1),
        "create_cpu": cpu_c,
        "dispatch_cpu": cpu_d,
        "create_status": statuses,
        "acknowledged": len(acked),
        "stored": found,
        "duplicates": len(acked) - len(set(acked)),
        "deputies_at_cap": at_cap,
        "deputies": len(ws.deputies),
    }
    if open_loop is not None:
        result["dispatch_open_loop"] = open_loop
        result["dispatch_http"] = open_loop["latency"]
        result["dispatch_server_compute"] = open_loop["server_compute"]
        result["dispatch_per_s"] = open_loop["achieved_per_s"]
    else:
        result["dispatch_http"] = _pct(lat_d)
        result["dispatch_server_compute"] = _pct(server_ms)
        result["dispatch_per_s"] = round(len(lat_d) / wall_d, 1)
    if prof_dir is not None:
        result["profile"] = str(prof_dir)
    return result


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
    lines.append(
        "CPU per request, ms: server (all its processes; split: each one's share), client "
        "(this process); others: cores busy with other jobs meanwhile"
    )
    for name, runs in results.items():
        for r in runs:
            c, d = r["create_cpu"], r["dispatch_cpu"]
            lines.append(
                f"{r['clients']:>7}  {name:<8} create server {c['server_cpu_ms']:>5.2f} "
                f"split {'/'.join(map(str, c['server_split_pct'])):<6} client "
                f"{c['client_cpu_ms']:>5.2f} others {c['others_cores']:.2f}   "
                f"dispatch server {d['server_cpu_ms']:>5.2f} "
                f"split {'/'.join(map(str, d['server_split_pct'])):<6} client "
                f"{d['client_cpu_ms']:>5.2f} others {d['others_cores']:.2f}"
            )
    lines.append(
        "deputies at the open-issue cap after the creations (dispatch then reads wider pools)"
    )
    for name, runs in results.items():
        for r in runs:
            lines.append(
                f"{r['clients']:>7}  {name:<8} {r['deputies_at_cap']:>5} of {r['deputies']}"
            )
    return "\n".join(lines)


def _open_table(results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "open-loop GET /dispatch/preview (latency from the scheduled send time)",
        "clients  store      offered  achieved  ok/sent     errors  p50 ms  p99 ms  max ms  "
        "compute p50/p99 ms  gen lag p99 ms  gen CPU %  conns",
    ]
    for name, runs in results.items():
        for r in runs:
            o = r.get("dispatch_open_loop")
            if o is None:
                continue
            lat, comp = o["latency"] or {}, o["server_compute"] or {}
            errs = sum(o["errors"].values())
            lines.append(
                f"{r['clients']:>7}  {name:<8} {o['offered_per_s']:>8.0f}  {o['achieved_per_s']:>8.1f}  "
                f"{o['ok']:>5}/{o['sent']:<5} {errs:>6}  {lat.get('p50_ms', float('nan')):>6.1f}  "
                f"{lat.get('p99_ms', float('nan')):>6.1f}  {lat.get('max_ms', float('nan')):>6.1f}  "
                f"{comp.get('p50_ms', float('nan')):>8.2f} / {comp.get('p99_ms', float('nan')):<8.2f}  "
                f"{o['generator_lag']['p99_ms']:>14.2f}  {o['generator_cpu_pct']:>9.1f}  {o['conns']:>5}"
            )
            if o["errors"]:
                lines.append(f"         errors: {o['errors']}")
    return "\n".join(lines)


def _profile_summary(prof_dir: Path, top: int = 40) -> str:
    """The workers' merged profile (processes that served requests): gridgov's and the
    app's functions by cumulative time, then everything by own time."""
    import io
    import pstats

    files = sorted(prof_dir.glob("*.pstats"))
    pids = {f.name.split("-", 1)[0] for f in files}
    worker = []
    for pid in pids:
        mine = [str(f) for f in files if f.name.startswith(pid + "-")]
        stats = pstats.Stats(*mine)
        if any(fn[2] == "create_issue" for fn in stats.stats):  # type: ignore[attr-defined]
            worker += mine
    if not worker:
        return f"profile {prof_dir}: no worker served a creation"
    buf = io.StringIO()
    stats = pstats.Stats(*worker, stream=buf)
    # An idle thread's frames still open at the dump (its wait for work, the supervisor's
    # ping) are closed on the dumping thread's clock: meaningless times, left out.
    table = stats.stats  # type: ignore[attr-defined]
    for fn in [fn for fn in table if fn[2] in _IDLE]:
        del table[fn]
    stats.sort_stats("cumulative").print_stats(r"/gridgov/|/api/", top)
    stats.sort_stats("tottime").print_stats(top)
    return f"profile of the creations ({len(worker)} thread files): {prof_dir}\n" + buf.getvalue()


#: Functions an idle server thread sits in (see :func:`_profile_summary`).
_IDLE = frozenset(
    {
        "<method 'acquire' of '_thread.lock' objects>",
        "<built-in method posix.read>",
        "{method 'acquire' of '_thread.lock' objects}",
        "{built-in method posix.read}",
    }
)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", default="2,8", help="comma-separated client counts")
    ap.add_argument("--create", type=int, default=1000)
    ap.add_argument(
        "--dispatch",
        type=int,
        default=1000,
        help="dispatch requests (open loop: unless --duration)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="open-loop dispatch at this many requests/s (default 0: closed loop, --clients)",
    )
    ap.add_argument(
        "--duration", type=float, default=0.0, help="open loop: seconds (sets --dispatch)"
    )
    ap.add_argument("--conns", type=int, default=64, help="open loop: keep-alive connections")
    ap.add_argument(
        "--warmup", type=float, default=1.0, help="open loop: seconds at --rate, not counted"
    )
    ap.add_argument(
        "--pg",
        default=os.environ.get("GRIDGOV_PG_DSN", ""),
        help="postgresql:// URL of a PostGIS database (default $GRIDGOV_PG_DSN; none: SQLite only)",
    )
    ap.add_argument("--stores", default="sqlite,postgis", help="which stores, in order")
    ap.add_argument(
        "--workers", type=int, default=1, help="gridgov serve --workers (uvicorn processes)"
    )
    ap.add_argument(
        "--create-new-conn",
        action="store_true",
        help="each creation on a new connection (default: one keep-alive connection per client)",
    )
    ap.add_argument(
        "--create-client",
        choices=("httpx", "raw"),
        default="httpx",
        help="creations from httpx threads (default) or the asyncio client of the open loop",
    )
    ap.add_argument("--profile", help="cProfile the server's creations; .pstats files here")
    ap.add_argument("--profile-clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.rate > 0 and args.duration > 0:
        args.dispatch = round(args.rate * args.duration)
    profile = None if not args.profile else (Path(args.profile).resolve(), args.profile_clock)

    from gridgov import io, synth

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
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
    opts = {
        "rate": args.rate,
        "conns": args.conns,
        "warmup_s": args.warmup,
        "profile": profile,
        "create_keepalive": not args.create_new_conn,
        "create_client": args.create_client,
    }
    for n in clients:
        for name in stores:
            if name == "sqlite":
                target = str(folder / f"issues-{n}.sqlite")
                results[name].append(
                    one_run(
                        workspace, ws, target, n, args.create, args.dispatch, args.workers, **opts
                    )
                )
                continue
            import psycopg

            schema = f"bench_{secrets.token_hex(4)}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                target = _schema_dsn(args.pg, schema)
                results[name].append(
                    one_run(
                        workspace, ws, target, n, args.create, args.dispatch, args.workers, **opts
                    )
                )
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    print(f"gridgov serve --workers {args.workers}")
    print(_table(results))
    if args.rate > 0:
        print(_open_table(results))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if profile is not None:
        for runs in results.values():
            for r in runs:
                print(_profile_summary(Path(r["profile"])))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
