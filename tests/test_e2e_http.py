"""Whistle to closure over real HTTP: uvicorn on 127.0.0.1, the scheduler applying deadlines.

A grid worker raises an issue, deputies are dispatched, one acknowledges, the resolution
deadline passes and the scheduler escalates it to the township, township staff resolve
it, the resident rates 不满意 and it reopens, it is resolved again and closed; every step
is in its events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

from api import create_app  # noqa: E402
from gridgov import io, synth  # noqa: E402
from gridgov.issues.access import create_token  # noqa: E402
from gridgov.issues.service import IssueService  # noqa: E402
from gridgov.store.sqlite import SQLiteStore  # noqa: E402


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, serve_in_thread: Any
) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("e2e")
    io.write_workspace(synth.demo_county(seed=2024), folder / "county.gpkg")
    ws = io.read_workspace(folder / "county.gpkg")
    clock = [datetime(2026, 11, 23, 1, 0, tzinfo=UTC)]
    service = IssueService(ws, SQLiteStore(folder / "issues.sqlite"), clock=lambda: clock[0])
    app = create_app(service, tick_interval_s=0.1, rate_per_s=0)
    with serve_in_thread(app) as url:
        yield {"url": url, "service": service, "clock": clock, "ws": ws}
    service.store.close()


def _token(served: dict[str, Any], role: str, subject: str) -> dict[str, str]:
    service = served["service"]
    token = create_token(
        service.store, served["ws"], role=role, subject=subject, now=served["clock"][0]
    )
    return {"Authorization": f"Bearer {token}"}


def test_whistle_to_closure_over_http(served: dict[str, Any]) -> None:
    service: IssueService = served["service"]
    grid = next(g for g, s in service.grid_station.items())
    station = service.grid_station[grid]
    township = service.ws.stations.set_index("station_id").loc[station, "township_code"]
    point = service.ws.grids.set_index("code").loc[grid, "geometry"].representative_point()
    worker = _token(served, "grid_worker", grid)
    town = _token(served, "township_staff", str(township))
    whistle = {
        "category": "road",
        "description": "村道路面塌陷，电动车通行困难",
        "lon": point.x,
        "lat": point.y,
        "reporter_name": "王五",
    }
    with httpx.Client(base_url=served["url"], timeout=10) as http:
        # 1. the grid worker blows the whistle
        r = http.post(
            "/issues",
            json=whistle,
            headers={**worker, "Idempotency-Key": "e2e-1"},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        issue_id = body["issue"]["issue_id"]
        assert body["issue"]["status"] == "dispatched"
        assert body["issue"]["station_id"] == station
        assert body["dispatched"], "no deputy dispatched"
        deputy_id = body["dispatched"][0]["deputy_id"]
        # a retry with the same idempotency key is the same issue, not a second one
        r = http.post("/issues", json=whistle, headers={**worker, "Idempotency-Key": "e2e-1"})
        assert r.status_code == 200 and r.json()["issue"]["issue_id"] == issue_id
        # 2. one dispatched deputy reports for duty (报到)
        deputy = _token(served, "deputy", deputy_id)
        r = http.post(f"/issues/{issue_id}/acknowledge", headers=deputy)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "acknowledged"
        # 3. the resolution deadline passes: the scheduler escalates to the township
        served["clock"][0] += timedelta(hours=73)
        for _ in range(100):
            r = http.get(f"/issues/{issue_id}", headers=town)
            if r.status_code == 200 and r.json()["level"] == "township":
                break
            time.sleep(0.1)
        got = r.json()
        assert got["level"] == "township" and got["status"] == "assigned", got
        assert got["escalations"] == 1
        # 4. township staff resolve it
        r = http.post(
            f"/issues/{issue_id}/resolve", json={"result": "乡镇交办公路站修复"}, headers=town
        )
        assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
        # 5. the resident (through the grid worker) is not satisfied: it reopens
        r = http.post(
            f"/issues/{issue_id}/rate", json={"rating": "不满意", "note": "没修好"}, headers=worker
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_progress" and r.json()["reopened"] == 1
        # 6. resolved again, rated 满意, closed
        r = http.post(f"/issues/{issue_id}/resolve", json={"result": "重新铺设路面"}, headers=town)
        assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
        r = http.post(f"/issues/{issue_id}/rate", json={"rating": "满意"}, headers=worker)
        assert r.status_code == 200 and r.json()["status"] == "closed", r.text
        # 7. every step is in the events, and 三知 answers
        r = http.get(f"/issues/{issue_id}", headers=town)
        final = r.json()
        kinds = [e["kind"] for e in final["events"]]
        assert kinds == [
            "raised", "located", "assigned", "dispatched", "acknowledged", "escalated",
            "resolved", "rated", "reopened", "resolved", "rated", "closed",
        ]  # fmt: skip
        escalated = final["events"][5]
        assert escalated["actor_role"] == "system"
        assert escalated["data"]["missed"] == "resolve"
        assert escalated["data"]["notified"] == [f"township_staff:township:{township}"]
        assert final["three_knows"]["result"] == "重新铺设路面"
        assert "人大" in final["three_knows"]["handling_unit"]
        assert [e["seq"] for e in final["events"]] == list(range(1, 13))
        # three days on, the idempotency record has expired (48 h): nothing kept to link
        # the key to its request, so the same key files a new issue
        r = http.post("/issues", json=whistle, headers={**worker, "Idempotency-Key": "e2e-1"})
        assert r.status_code == 201 and r.json()["issue"]["issue_id"] != issue_id
