"""No issue is ever lost: ``kill -9`` the service under load, restart it, retry.

Six client threads, each a grid worker of their own grid, raise a few thousand issues
over real HTTP, each with its own ``Idempotency-Key``. When about a third are acknowledged the server
process gets SIGKILL; it is started again on the same store and every request that got
no answer (connection refused or reset, timeout, 503) is sent again with the same key and
body until it is acknowledged. Afterwards the store must hold every acknowledged issue
exactly once: one issue per key, the id the client was given, nothing missing, nothing
twice. The same run goes against the embedded SQLite store and against PostGIS
(``pg_dsn``: skipped without a PostgreSQL server unless ``GRIDGOV_REQUIRE_PG=1``).

A second test restarts PostgreSQL itself under load while the service keeps running:
requests during the outage are answered 503 ``store_unavailable`` with ``Retry-After``
(or not at all), and once the database is back the same service answers 201 again.

Run with ``pytest -s tests/test_kill_retry.py`` to see the counts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import shapely

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from gridgov import io, synth  # noqa: E402
from gridgov.issues.access import create_token  # noqa: E402
from gridgov.issues.lifecycle import utcnow  # noqa: E402
from gridgov.store.base import IssueQuery, Store  # noqa: E402
from gridgov.testing import free_port, wait_for_health  # noqa: E402

CLIENTS = 6
PER_CLIENT = 350  # 2,100 issues in all
KILL_AT = 1 / 3  # of all issues acknowledged
DEADLINE_S = 120.0  # a client gives up (and the test fails) after this long
CATEGORIES = ("road", "sanitation", "water", "safety")


def _open_store(target: str) -> Store:
    if target.startswith(("postgresql://", "postgres://")):
        from gridgov.store import open_store

        return open_store(target)
    from gridgov.store.sqlite import SQLiteStore

    return SQLiteStore(target)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "county.gpkg"
    io.write_workspace(synth.demo_county(seed=2024), path)
    return path


@pytest.fixture(params=["sqlite", "postgis"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the service keeps its issues: a fresh SQLite file or the test PostGIS database."""
    if request.param == "sqlite":
        return str(tmp_path / "issues.sqlite")
    return str(request.getfixturevalue("pg_dsn"))


class Service:
    """``gridgov serve`` in a subprocess on a fixed port, which can be killed and restarted."""

    def __init__(
        self, workspace: Path, target: str, log: Path, *, settings: Path | None = None
    ) -> None:
        self.workspace = workspace
        self.settings = settings
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout_s: float = 60.0) -> None:
        cmd = [
            sys.executable, "-m", "gridgov", "serve", str(self.workspace),
            "--db", self.target, "--port", str(self.port), "--tick", "0", "--rate", "0",
        ]  # fmt: skip
        if self.settings is not None:
            cmd += ["--settings", str(self.settings)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        wait_for_health(self.url, process=self.proc, timeout_s=timeout_s, log=self.log.read_text)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, the way a power cut or OOM kill ends it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@dataclass
class Load:
    """What the clients sent and what they were told."""

    run: str
    clients: int
    per_client: int
    acked: int = 0  # keys acknowledged so far (201 or the 200 of an idempotent retry)
    ids: dict[str, set[str]] = field(default_factory=dict)  # key -> every issue id answered
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    retried_keys: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return self.clients * self.per_client

    def keys(self) -> list[str]:
        return [f"{self.run}-{i}-{j}" for i in range(self.clients) for j in range(self.per_client)]

    def body(self, key: str, point: tuple[float, float], j: int) -> dict[str, Any]:
        return {
            "category": CATEGORIES[j % len(CATEGORIES)],
            "description": f"{self.run} {key}",
            "lon": point[0],
            "lat": point[1],
        }


def _client(url: str, worker: Worker, load: Load, i: int) -> None:
    """Send this client's issues in order; retry each with the same key until acknowledged."""
    auth = worker.headers
    deadline = time.monotonic() + DEADLINE_S
    with httpx.Client(base_url=url, timeout=15) as http:
        for j in range(load.per_client):
            key = f"{load.run}-{i}-{j}"
            body = load.body(key, worker.points[j % len(worker.points)], j)
            attempt = 0
            while True:
                if time.monotonic() > deadline:
                    with load.lock:
                        load.failures.append(f"{key}: not acknowledged in {DEADLINE_S:.0f} s")
                    return
                attempt += 1
                try:
                    r = http.post("/issues", json=body, headers={**auth, "Idempotency-Key": key})
                except httpx.TransportError:
                    with load.lock:
                        load.transport_errors += 1
                        load.retried_keys.add(key)
                    time.sleep(min(0.02 * attempt, 0.3))
                    continue
                with load.lock:
                    load.statuses[r.status_code] += 1
                if r.status_code in (200, 201):
                    issue_id = r.json()["issue"]["issue_id"]
                    with load.lock:
                        load.ids.setdefault(key, set()).add(issue_id)
                        load.acked += 1
                    break
                if r.status_code in (429, 503):
                    with load.lock:
                        load.retried_keys.add(key)
                    time.sleep(float(r.headers.get("Retry-After", "0.1")) / 10)
                    continue
                with load.lock:
                    load.failures.append(f"{key}: {r.status_code} {r.text[:300]}")
                return


def _start_clients(url: str, workers: list[Worker], load: Load) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=_client, args=(url, w, load, i), daemon=True)
        for i, w in enumerate(workers)
    ]
    for t in threads:
        t.start()
    return threads


@dataclass(frozen=True)
class Worker:
    """One client: a grid worker's token and points inside their grid."""

    headers: dict[str, str]
    points: list[tuple[float, float]]


def _workers(workspace: Path, target: str, n: int) -> list[Worker]:
    """``n`` grid workers in grids spread over the county, their tokens in the store."""
    ws = io.read_workspace(workspace)
    grids = ws.grids.set_index(ws.grids["code"].astype(str)).sort_index()
    store = _open_store(target)
    out = []
    try:
        for code in grids.index[:: max(1, len(grids) // n)][:n]:
            geom = grids.loc[code, "geometry"]
            x0, y0, x1, y1 = geom.bounds
            lattice = [
                shapely.Point(x0 + (x1 - x0) * (a + 0.5) / 9, y0 + (y1 - y0) * (b + 0.5) / 9)
                for a in range(9)
                for b in range(9)
            ]
            points = [(p.x, p.y) for p in lattice if geom.contains(p)]
            points = points or [(geom.representative_point().x, geom.representative_point().y)]
            token = create_token(store, ws, role="grid_worker", subject=code, now=utcnow())
            out.append(Worker({"Authorization": f"Bearer {token}"}, points))
    finally:
        store.close()
    return out


def _stored(target: str, run: str) -> dict[str, list[str]]:
    """Issue ids in the store per idempotency key of this run (read from the description)."""
    store = _open_store(target)
    try:
        issues, _ = store.list_issues(IssueQuery(limit=100_000_000))
    finally:
        store.close()
    out: dict[str, list[str]] = {}
    for issue in issues:
        if issue.description.startswith(run + " "):
            out.setdefault(issue.description.split(" ", 1)[1], []).append(issue.issue_id)
    return out


def _check(load: Load, stored: dict[str, list[str]]) -> dict[str, int]:
    assert not load.failures, load.failures[:10]
    keys = load.keys()
    unanswered = [k for k in keys if k not in load.ids]
    assert not unanswered, f"{len(unanswered)} keys never acknowledged: {unanswered[:5]}"
    # one issue id per key across the original request and every retry
    split = {k: v for k, v in load.ids.items() if len(v) != 1}
    assert not split, f"keys answered with more than one issue id: {list(split.items())[:5]}"
    duplicates = {k: v for k, v in stored.items() if len(v) > 1}
    missing = [k for k in keys if k not in stored]
    wrong = [k for k in keys if k in stored and stored[k][0] not in load.ids[k]]
    assert not duplicates, f"{len(duplicates)} keys stored more than once: {duplicates}"
    assert not missing, f"{len(missing)} acknowledged issues missing from the store: {missing[:5]}"
    assert not wrong, f"stored ids differ from the acknowledged ones: {wrong[:5]}"
    return {
        "sent": len(keys),
        "found": sum(len(stored.get(k, ())) for k in keys),
        "duplicates": sum(len(v) - 1 for v in stored.values()),
        "missing": len(missing),
    }


@pytest.mark.slow
def test_kill_9_and_retry_loses_nothing(
    workspace: Path,
    store_target: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    record_property: Any,
) -> None:
    kind = request.node.callspec.params["store_target"]
    workers = _workers(workspace, store_target, CLIENTS)
    run = f"kill{os.getpid()}x{time.monotonic_ns() % 10**9}"
    load = Load(run=run, clients=CLIENTS, per_client=PER_CLIENT)
    # Two thousand open issues would overload every deputy of the county (5 open each), and
    # each creation would then weigh the whole county's pool: a backlog benchmark, not
    # what this test is about. A high cap keeps dispatch to the grid's own station.
    settings = tmp_path / "settings.toml"
    settings.write_text("max_open_per_deputy = 100000\n")
    service = Service(workspace, store_target, tmp_path / "serve.log", settings=settings)
    t0 = time.monotonic()
    service.start()
    try:
        threads = _start_clients(service.url, workers, load)
        while load.acked < load.total * KILL_AT:
            assert any(t.is_alive() for t in threads), load.failures[:5]
            time.sleep(0.005)
        service.kill()
        with load.lock:
            acked_before_kill = load.acked
        time.sleep(0.5)  # the clients meet a dead port for a while
        service.start()
        for t in threads:
            t.join(timeout=DEADLINE_S + 30)
    finally:
        service.stop()
    wall_s = time.monotonic() - t0
    counts = _check(load, _stored(store_target, run))
    counts.update(
        acknowledged_before_kill=acked_before_kill,
        retried=len(load.retried_keys),
        transport_errors=load.transport_errors,
        replayed_200=load.statuses[200],
        created_201=load.statuses[201],
    )
    for name, value in counts.items():
        record_property(name, value)
    print(
        f"\nkill -9 and retry ({kind}): sent {counts['sent']}, acknowledged before the kill "
        f"{acked_before_kill}, retried {counts['retried']} keys ({load.transport_errors} "
        f"connection errors), 201 {load.statuses[201]} + 200 (idempotent replay) "
        f"{load.statuses[200]}, found {counts['found']}, duplicates {counts['duplicates']}, "
        f"missing {counts['missing']}; {wall_s:.1f} s"
    )
    assert load.statuses[201] + load.statuses[200] == counts["sent"], load.statuses
    assert acked_before_kill < counts["sent"], "the kill came after the load was over"
    assert counts["retried"] > 0, "nothing was retried: the kill hit no request"


def test_store_outage_is_503_with_retry_after(workspace: Path, tmp_path: Path) -> None:
    """While the store is unreachable the API says so (503, Retry-After), and the same
    request with the same key succeeds once it is back, without restarting anything."""
    from fastapi.testclient import TestClient

    from api import create_app
    from gridgov.issues.service import IssueService
    from gridgov.store.base import StoreUnavailableError
    from gridgov.store.sqlite import SQLiteStore

    class Flaky(SQLiteStore):
        down = False

        def create_issue(self, *args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailableError("connection refused (127.0.0.1:5432)")
            return super().create_issue(*args, **kwargs)

    store = Flaky(tmp_path / "issues.sqlite")
    ws = io.read_workspace(workspace)
    service = IssueService(ws, store)
    grid = str(ws.grids["code"].astype(str).sort_values().iloc[0])
    token = create_token(store, ws, role="grid_worker", subject=grid, now=utcnow())
    p = ws.grids.set_index(ws.grids["code"].astype(str)).loc[grid, "geometry"]
    p = p.representative_point()
    body = {"category": "road", "description": "路灯不亮", "lon": p.x, "lat": p.y}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "outage-1"}
    app = create_app(service, tick_interval_s=0, rate_per_s=0)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            store.down = True
            r = client.post("/issues", json=body, headers=headers)
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "store_unavailable"
            assert "connection refused" in r.json()["message"]
            assert int(r.headers["Retry-After"]) >= 1
            store.down = False
            r = client.post("/issues", json=body, headers=headers)
            assert r.status_code == 201, r.text
            assert store.count() == 1
    finally:
        store.close()


def _pg_ctl(action: str) -> None:
    """Stop or start the ``.ci/postgis.sh`` cluster in ``GRIDGOV_PG_DIR``, the way it does."""
    folder = Path(os.environ["GRIDGOV_PG_DIR"])
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    pg_ctl = os.environ.get("PG_BIN", "") and str(Path(os.environ["PG_BIN"]) / "pg_ctl")
    pg_ctl = pg_ctl or (str(bins[-1]) if bins else "pg_ctl")
    port = (folder / "port").read_text().strip()
    cmd = [
        pg_ctl, "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", action,
    ]  # fmt: skip
    if action == "stop":
        cmd += ["-m", "fast"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=90)


@pytest.fixture
def bounceable_pg(request: pytest.FixtureRequest) -> str:
    """``pg_dsn`` when its server is the ``.ci/postgis.sh`` cluster this test may restart."""
    dsn = str(request.getfixturevalue("pg_dsn"))
    folder = os.environ.get("GRIDGOV_PG_DIR", "")
    port_file = Path(folder) / "port" if folder else None
    from psycopg.conninfo import conninfo_to_dict

    port = str(conninfo_to_dict(dsn).get("port", "5432"))
    if port_file is None or not port_file.exists() or port_file.read_text().strip() != port:
        reason = (
            "restarting PostgreSQL needs the .ci/postgis.sh cluster of GRIDGOV_PG_DSN "
            '(eval "$(bash .ci/postgis.sh start)" sets GRIDGOV_PG_DIR)'
        )
        if os.environ.get("GRIDGOV_REQUIRE_PG") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return dsn


@pytest.mark.slow
def test_postgres_restart_under_load(
    workspace: Path, bounceable_pg: str, tmp_path: Path, record_property: Any
) -> None:
    """PostgreSQL goes down for two seconds under load and comes back: the same service
    process answers 503 (or drops the connection) meanwhile and 201 afterwards, and no
    issue is lost or doubled."""
    workers = _workers(workspace, bounceable_pg, 4)
    run = f"bounce{os.getpid()}x{time.monotonic_ns() % 10**9}"
    load = Load(run=run, clients=4, per_client=120)
    service = Service(workspace, bounceable_pg, tmp_path / "serve.log")
    service.start()
    assert service.proc is not None
    pid = service.proc.pid
    try:
        threads = _start_clients(service.url, workers, load)
        while load.acked < load.total / 3:
            assert any(t.is_alive() for t in threads), load.failures[:5]
            time.sleep(0.005)
        _pg_ctl("stop")
        with load.lock:
            acked_before = load.acked
            seen_503 = load.statuses[503]
        time.sleep(2.0)
        with load.lock:
            acked_during = load.acked - acked_before
        _pg_ctl("start")
        for t in threads:
            t.join(timeout=DEADLINE_S + 30)
        assert service.proc.poll() is None and service.proc.pid == pid, "the service restarted"
        r = httpx.post(
            service.url + "/issues",
            json=load.body(f"{run}-after", workers[0].points[0], 0),
            headers={**workers[0].headers, "Idempotency-Key": f"{run}-after"},
            timeout=15,
        )
        assert r.status_code == 201, r.text
    finally:
        service.stop()
        if not (Path(os.environ["GRIDGOV_PG_DIR"]) / "data" / "postmaster.pid").exists():
            _pg_ctl("start")  # never leave the session's database down
    counts = _check(load, _stored(bounceable_pg, run))
    unavailable = load.statuses[503] - seen_503
    for name, value in {**counts, "store_unavailable_503": unavailable}.items():
        record_property(name, value)
    print(
        f"\nPostgreSQL restart under load: sent {counts['sent']}, acknowledged before the stop "
        f"{acked_before} (during the 2 s outage {acked_during}), 503 store_unavailable "
        f"{unavailable}, connection errors {load.transport_errors}, retried "
        f"{len(load.retried_keys)} keys, found {counts['found']}, duplicates "
        f"{counts['duplicates']}; the same service answered 201 afterwards"
    )
    assert unavailable + load.transport_errors > 0, "no request met the outage"
    assert acked_during <= CLIENTS, "requests were acknowledged while the database was down"
