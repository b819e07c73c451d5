"""12345 work orders pushed into the county over real HTTP: located, dispatched, told.

The county is a real ``uvicorn`` serving :func:`api.create_app`; the test stands for the
platform and signs its pushes as the platform would. After a push the issue exists at its
grid's station with deputies dispatched, and the notice worker's planning queues the
deputies' SMS (the HTTP receiver of ``conftest.py`` stands for the gateway). Both stores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from conftest import Clock, HTTPReceiver, deputies_of, grids_of, notify_table

from gridgov.issues.accounts import normalise_phone
from gridgov.issues.intake import INTAKE_SECRET_ENV
from gridgov.issues.service import IssueService
from gridgov.model import IssueStatus, Workspace
from gridgov.notify.channels import webhook_headers
from gridgov.notify.worker import NotifyWorker
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery
from gridgov.store.outbox import outbox_store

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

SECRET = "intake-secret-for-tests-0123456789"
pytestmark = pytest.mark.usefixtures("secrets_env")


@pytest.fixture
def county_side(
    county: Workspace,
    store: Any,
    http: HTTPReceiver,
    serve_in_thread: Callable[[Any], AbstractContextManager[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[IssueService, str]]:
    from api import create_app

    monkeypatch.setenv(INTAKE_SECRET_ENV, SECRET)
    receiver = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    settings = Settings(handoff_service_codes={"road": "jiaotong"}, notify=notify_table(receiver))
    service = IssueService(county, store, settings=settings, secret=b"k", clock=Clock())
    app = create_app(service, tick_interval_s=0, rate_per_s=0, notify=False)
    with serve_in_thread(app) as url:
        yield service, url


def _push(url: str, order: dict[str, Any], *, secret: str = SECRET,
          at: float | None = None) -> Any:  # fmt: skip
    body = json.dumps(order, ensure_ascii=False).encode()
    headers = webhook_headers(secret, body, str(order.get("external_id", "")), now=at)
    headers["Content-Type"] = "application/json"
    return httpx.post(url + "/intake/orders", content=body, headers=headers, timeout=30)


def _point(ws: Workspace, n: int) -> tuple[str, float, float]:
    grids = grids_of(ws).sort_values("code")
    row = grids.iloc[n]
    p = row.geometry.representative_point()
    return str(row["code"]), float(p.x), float(p.y)


def test_a_pushed_order_is_located_dispatched_and_its_deputies_told(
    county_side: tuple[IssueService, str], county: Workspace
) -> None:
    service, url = county_side
    grid, lon, lat = _point(county, 3)
    order = {
        "external_id": "12345-20261123-0001",
        "service_code": "jiaotong",
        "description": "来电反映：村道路面塌陷，电动车无法通行",
        "lon": lon,
        "lat": lat,
        "reporter_phone": "13800002222",
    }
    r = _push(url, order)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["created"] is True and got["grid_code"] == grid and got["deputies"]
    issue = service.store.get_issue(got["issue_id"])
    assert issue.category == "road"  # the platform's code mapped back
    assert issue.status is IssueStatus.DISPATCHED and issue.level == "station"
    assert issue.station_id == service.grid_station[grid]
    assert issue.source == "12345" and issue.reporter_role == "external"
    first = service.store.events(issue.issue_id)[0]
    assert first.actor_id == "12345"

    # the deputies' notices are queued with it
    NotifyWorker.for_service(service).plan()
    queued = outbox_store(service.store).notices(issue_id=issue.issue_id)
    phones = {n.address for n in queued if n.audience == "deputies"}
    deputies = deputies_of(county).set_index("deputy_id")
    assert phones == {normalise_phone(deputies.loc[d, "phone"]) for d in issue.deputies}
    assert all(n.state == "pending" for n in queued)

    # the same push again (a retry, a replay): the same issue, nothing new
    r = _push(url, order)
    assert r.status_code == 200 and r.json()["issue_id"] == issue.issue_id
    assert r.json()["created"] is False
    assert service.store.list_issues(IssueQuery())[1] == 1


def test_an_address_naming_a_village_places_the_order(
    county_side: tuple[IssueService, str], county: Workspace
) -> None:
    service, url = county_side
    villages = county.villages.sort_values("code")
    counts = villages["name"].value_counts()
    village = villages[villages["name"].map(counts) == 1].iloc[2]
    r = _push(url, {"external_id": "WO-2", "category": "road",
                    "description": "路灯不亮", "address": f"{village['name']}村口"})  # fmt: skip
    assert r.status_code == 201, r.text
    issue = service.store.get_issue(r.json()["issue_id"])
    assert issue.village_code == village["code"]


def test_bad_pushes_are_refused_naming_what_is_wrong(
    county_side: tuple[IssueService, str], county: Workspace
) -> None:
    service, url = county_side
    _, lon, lat = _point(county, 0)
    good = {"external_id": "WO-3", "category": "road", "description": "井盖缺失",
            "lon": lon, "lat": lat}  # fmt: skip

    r = _push(url, good, secret="not-the-secret")
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    r = _push(url, good, at=time.time() - 3600)
    assert r.status_code == 401 and r.json()["error"] == "stale_timestamp"

    r = _push(url, good | {"lon": 116.4, "lat": 39.9})  # Beijing, not this county
    assert r.status_code == 422
    assert [p["field"] for p in r.json()["problems"]] == ["lon/lat"]
    r = _push(url, {k: v for k, v in good.items() if k not in ("lon", "lat")}
              | {"address": "不存在的地方"})  # fmt: skip
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "address"
    r = _push(url, good | {"category": "ufo", "description": "", "external_id": "a b"})
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["problems"]}
    assert fields == {"category", "external_id", "description"}
    r = _push(url, good | {"service_code": "no-such"})
    assert r.status_code == 422 and "no-such" in r.text
    assert service.store.list_issues(IssueQuery())[1] == 0
