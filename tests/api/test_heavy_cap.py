"""A worker serves at most a few heavy requests (statistics, map layers, Open311 lists) at
once: one more waits a moment, then gets 503 with Retry-After, while cheap requests go on;
slots come back however a request ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.app import MAX_HEAVY, HeavyLimit
from gridgov._errors import StoreUnavailableError
from tests.api.conftest import World

LAYER = "/layers/issues.geojson"
OPEN311_LIST = "/open311/v2/requests.json"


class Gate:
    """Stands in for the store's reads (``list_issues``, ``issue_points``): every call waits
    at the gate until it opens (or raises ``error`` once through it), counting the calls
    inside."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.error: Exception | None = None
        self.inside = 0
        self._lock = threading.Lock()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.inside += 1
            try:
                if not self.open.wait(timeout=30):
                    raise RuntimeError("the test never opened the gate")
                if self.error is not None:
                    raise self.error
                return real(*args, **kwargs)
            finally:
                with self._lock:
                    self.inside -= 1

        return gated

    @classmethod
    def on(cls, world: World, monkeypatch: pytest.MonkeyPatch) -> Gate:
        """A gate in front of the store's issue reads of ``world``."""
        gate = cls()
        for name in ("list_issues", "issue_points"):
            monkeypatch.setattr(
                world.service.store, name, gate.wrap(getattr(world.service.store, name))
            )
        return gate

    def wait_inside(self, n: int) -> None:
        deadline = time.monotonic() + 20
        while self.inside < n:
            assert time.monotonic() < deadline, f"{self.inside} of {n} requests arrived"
            time.sleep(0.01)


Gated = tuple[TestClient, Gate]


@contextmanager
def _gated(world: World, monkeypatch: pytest.MonkeyPatch, wait_s: float) -> Iterator[Gated]:
    """A client of an app whose store reads all wait at one gate."""
    gate = Gate.on(world, monkeypatch)
    app = create_app(world.service, tick_interval_s=0, rate_per_s=0, heavy_wait_s=wait_s)
    with TestClient(app, raise_server_exceptions=False) as client:
        try:
            yield client, gate
        finally:
            gate.open.set()


def _fill(
    client: TestClient, gate: Gate, pool: ThreadPoolExecutor, staff: dict[str, str]
) -> list[Future[Any]]:
    """:data:`MAX_HEAVY` layer requests held inside the handler at once."""
    held = [pool.submit(client.get, LAYER, headers=staff) for _ in range(MAX_HEAVY)]
    gate.wait_inside(MAX_HEAVY)
    return held


def test_one_heavy_request_over_the_cap_gets_503_and_the_rest_succeed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.raise_issue("county_staff", world.places.grid_a)
    staff = world.headers("county_staff")
    with _gated(world, monkeypatch, wait_s=0.2) as (client, gate), ThreadPoolExecutor(8) as pool:
        held = _fill(client, gate, pool, staff)
        began = time.monotonic()
        over = client.get(LAYER, headers=staff)
        waited_s = time.monotonic() - began
        assert over.status_code == 503, over.text
        assert over.headers["Retry-After"] == "1"
        body = over.json()
        assert body["error"] == "busy" and f"{MAX_HEAVY} heavy" in body["message"]
        assert 0.15 <= waited_s < 5  # it waited its moment for a slot, no longer
        # Open311's list is heavy too, and says so in the spec's error shape
        spec = client.get(OPEN311_LIST)
        assert spec.status_code == 503 and spec.headers["Retry-After"] == "1"
        assert spec.json()[0]["code"] == 503
        # the cheap requests are not held up by the heavy ones
        assert client.get("/health").status_code == 200
        assert client.get(f"/stations/{world.places.station_a}", headers=staff).status_code == 200
        gate.open.set()
        answers = [f.result(timeout=30) for f in held]
    assert [r.status_code for r in answers] == [200] * MAX_HEAVY
    assert all(r.headers["X-Total-Count"] == "1" for r in answers)


def test_a_heavy_request_waits_for_a_slot_freed_in_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = world.headers("county_staff")
    with _gated(world, monkeypatch, wait_s=10) as (client, gate), ThreadPoolExecutor(8) as pool:
        held = _fill(client, gate, pool, staff)
        waiting = pool.submit(client.get, LAYER, headers=staff)
        time.sleep(0.3)
        assert not waiting.done() and gate.inside == MAX_HEAVY  # waiting outside the handler
        gate.open.set()
        assert waiting.result(timeout=30).status_code == 200
        assert [f.result(timeout=30).status_code for f in held] == [200] * MAX_HEAVY


def test_slots_come_back_after_errors(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = world.headers("county_staff")
    with _gated(world, monkeypatch, wait_s=0.2) as (client, gate), ThreadPoolExecutor(8) as pool:
        # every slot taken by a request that then fails: the store goes away, or a bug
        for error in (StoreUnavailableError("restarting"), RuntimeError("a bug")):
            gate.open.clear()
            gate.error = error
            held = _fill(client, gate, pool, staff)
            assert client.get(LAYER, headers=staff).status_code == 503  # full
            gate.open.set()
            failed = [f.result(timeout=30).status_code for f in held]
            assert failed == [503 if isinstance(error, StoreUnavailableError) else 500] * MAX_HEAVY
        # a request turned away over the cap holds no slot either; all are free again
        gate.error = None
        gate.open.clear()
        held = _fill(client, gate, pool, staff)
        assert client.get(LAYER, headers=staff).status_code == 503
        gate.open.set()
        assert [f.result(timeout=30).status_code for f in held] == [200] * MAX_HEAVY


@pytest.mark.parametrize(
    "method, path, heavy",
    [
        ("GET", "/statistics", True),
        ("GET", "/layers/issues.geojson", True),
        ("GET", "/layers/grids.geojson", True),
        ("GET", "/open311/v2/requests.json", True),
        ("GET", "/open311/v2/requests.xml", True),
        ("POST", "/open311/v2/requests.json", False),  # raising an issue is not a list
        ("GET", "/open311/v2/requests/20261123-abc.json", False),
        ("GET", "/issues", False),
        ("GET", "/health", False),
    ],
)
def test_which_requests_are_heavy(method: str, path: str, heavy: bool) -> None:
    assert HeavyLimit.heavy({"type": "http", "method": method, "path": path}) is heavy


def test_no_cap_when_zero(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate.on(world, monkeypatch)
    app = create_app(world.service, tick_interval_s=0, rate_per_s=0, max_heavy=0)
    staff = world.headers("county_staff")
    n = MAX_HEAVY + 2
    with TestClient(app) as client, ThreadPoolExecutor(n) as pool:
        held = [pool.submit(client.get, LAYER, headers=staff) for _ in range(n)]
        try:
            gate.wait_inside(n)
        finally:
            gate.open.set()
        assert [f.result(timeout=30).status_code for f in held] == [200] * n
