"""A demo county behind the HTTP API, with a token for every role and a clock tests move.

The workspace is built once per session (written and re-read the way ``gridgov`` does);
each test gets a fresh issue store, service, app and tokens, so deadlines passed in one
test never escalate another test's issues. ``raise_server_exceptions=False`` makes a
server error a plain 500 response, which :meth:`World.call` refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from api import create_app
from gridgov import io, synth
from gridgov.issues.access import create_token
from gridgov.issues.service import IssueService
from gridgov.model import Workspace
from gridgov.store.sqlite import SQLiteStore

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Places:
    """The units the role tokens are about: home (A) and elsewhere (B)."""

    grid_a: str
    grid_a2: str  # a second grid of station A, not grid worker A's
    station_a: str
    township_a: str
    grid_b: str
    station_b: str
    township_b: str
    station_c: str  # a transfer target in township A
    deputy_a: str
    deputy_b: str


@dataclass
class World:
    """Service, client, clock and tokens of one test."""

    ws: Workspace
    service: IssueService
    client: TestClient
    clock: list[datetime]
    places: Places
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        """``Authorization`` header of a role key (None: the public)."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def token(self, role: str, subject: str) -> str:
        """A new token (for a subject the fixtures did not make one for)."""
        return create_token(
            self.service.store, self.ws, role=role, subject=subject, now=self.clock[0]
        )

    def call(
        self, method: str, url: str, role: str | None = None, **kwargs: Any
    ) -> Any:  # httpx.Response
        """A request as ``role``; a 500 fails the test whatever the caller expected."""
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        r = self.client.request(method, url, headers=headers, **kwargs)
        assert r.status_code < 500, f"{method} {url} -> {r.status_code}: {r.text[:500]}"
        return r

    def point(self, grid: str) -> tuple[float, float]:
        """A point inside ``grid`` (lon, lat in degrees)."""
        geom = self.ws.grids.set_index("code").loc[grid, "geometry"]
        p = geom.representative_point()
        return float(p.x), float(p.y)

    def raise_issue(
        self, role: str, grid: str, *, expect: int = 201, **fields: Any
    ) -> dict[str, Any]:
        """POST /issues at a point of ``grid``; returns the created body."""
        lon, lat = self.point(grid)
        body = {"category": "road", "description": "村道路面塌陷", "lon": lon, "lat": lat}
        body.update(fields)
        r = self.call("POST", "/issues", role, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def raise_public(self, station: str, **fields: Any) -> dict[str, Any]:
        """POST /public/stations/{id}/issues (at the station's place unless given)."""
        body = {"category": "sanitation", "description": "垃圾点无人清运"}
        body.update(fields)
        r = self.call("POST", f"/public/stations/{station}/issues", None, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def advance(self, hours: float) -> datetime:
        self.clock[0] += timedelta(hours=hours)
        return self.clock[0]


#: The secret keying tracking tokens in these tests (never the tester's own file).
SECRET = "test-secret-" + "0123456789abcdef" * 3


@pytest.fixture(autouse=True)
def _tracking_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDGOV_SECRET", SECRET)


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder: Path = tmp_path_factory.mktemp("api-ws")
    io.write_workspace(synth.demo_county(seed=2024), folder / "county.gpkg")
    return io.read_workspace(folder / "county.gpkg")


def _places(ws: Workspace, grid_station: dict[str, str]) -> Places:
    """Grids and stations with deputies (and phones) to act in, in two townships."""
    st = ws.stations.set_index(ws.stations["station_id"].astype(str))
    town_of = st["township_code"].astype(str)
    deps = ws.deputies
    per_station = deps.groupby(deps["station_id"].astype(str)).size()
    by_station: dict[str, list[str]] = {}
    for grid, station in grid_station.items():
        by_station.setdefault(station, []).append(grid)
    # a station with several grids and deputies, then one in another township
    a = next(
        s for s, gs in sorted(by_station.items()) if len(gs) >= 2 and per_station.get(s, 0) >= 2
    )
    b = next(
        s
        for s, gs in sorted(by_station.items())
        if town_of[s] != town_of[a] and per_station.get(s, 0) >= 2
    )
    c = next(
        s
        for s in sorted(st.index)
        if s not in (a, b) and town_of[s] == town_of[a] and s in by_station
    )
    grids_a = sorted(by_station[a])
    dep_a = sorted(deps.loc[deps["station_id"].astype(str) == a, "deputy_id"].astype(str))[0]
    dep_b = sorted(deps.loc[deps["station_id"].astype(str) == b, "deputy_id"].astype(str))[0]
    return Places(
        grid_a=grids_a[0],
        grid_a2=grids_a[1],
        station_a=a,
        township_a=str(town_of[a]),
        grid_b=sorted(by_station[b])[0],
        station_b=b,
        township_b=str(town_of[b]),
        station_c=c,
        deputy_a=dep_a,
        deputy_b=dep_b,
    )


@contextmanager
def make_world(ws: Workspace, folder: Path) -> Iterator[World]:
    """A fresh store, service, app, client and tokens over ``ws``."""
    clock = [START]
    service = IssueService(ws, SQLiteStore(folder / "issues.sqlite"), clock=lambda: clock[0])
    places = _places(ws, service.grid_station)
    app = create_app(service, tick_interval_s=0, rate_per_s=0)
    county = str(ws.county["code"].iloc[0])
    subjects = {
        "grid_worker": ("grid_worker", places.grid_a),
        "grid_worker_other": ("grid_worker", places.grid_b),
        "deputy": ("deputy", places.deputy_a),
        "deputy_other": ("deputy", places.deputy_b),
        "station_admin": ("station_admin", places.station_a),
        "station_admin_other": ("station_admin", places.station_b),
        "township_staff": ("township_staff", places.township_a),
        "township_staff_other": ("township_staff", places.township_b),
        "county_staff": ("county_staff", county),
        "planner": ("planner", "规划组"),
    }
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            w = World(ws, service, client, clock, places)
            for key, (role, subject) in subjects.items():
                w.tokens[key] = w.token(role, subject)
            yield w
    finally:
        service.store.close()


@pytest.fixture(scope="session")
def world_factory() -> Callable[[Workspace, Path], AbstractContextManager[World]]:
    """:func:`make_world`, for fixtures of a wider scope than one test."""
    return make_world


@pytest.fixture
def world(demo_ws: Workspace, tmp_path: Path) -> Iterator[World]:
    with make_world(demo_ws, tmp_path) as w:
        yield w
