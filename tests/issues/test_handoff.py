"""The hand-off to the platform above against a second, real ``gridgov serve``.

The platform is another gridgov process on 127.0.0.1 with its own SQLite store, its own
category code for road issues (``jiaotong``, so the category → service_code map is
exercised) and a county_staff token it gave the county. The county's issues are climbed
to the external level by the deadline scheduler, then handed off by
:func:`gridgov.issues.handoff.sync_handoffs` over the platform's Open311 endpoint; the
platform's staff act through its JSON API and the result (or refusal) comes back into the
county's timeline. The county side runs on both stores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from gridgov import io, synth  # noqa: E402
from gridgov.cli import main  # noqa: E402
from gridgov.issues.access import create_token  # noqa: E402
from gridgov.issues.handoff import HandoffPoller, sync_handoffs  # noqa: E402
from gridgov.issues.lifecycle import Actor, Issue, three_knows, utcnow  # noqa: E402
from gridgov.issues.service import IssueService, NewIssue  # noqa: E402
from gridgov.model import IssueStatus, Workspace  # noqa: E402
from gridgov.settings import Settings  # noqa: E402
from gridgov.store.base import Store  # noqa: E402
from gridgov.store.sqlite import SQLiteStore  # noqa: E402
from gridgov.testing import free_port, wait_for_health  # noqa: E402

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Platform:
    """The city platform: its base URL, the county's api_key, and its JSON API."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.open311 = url + "/open311/v2"
        self.http = httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def issue(self, request_id: str) -> dict[str, Any]:
        r = self.http.get(f"/issues/{request_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def count(self) -> int:
        return int(self.http.get("/issues", params={"limit": 1}).json()["total"])


@pytest.fixture(scope="module")
def county_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    folder = tmp_path_factory.mktemp("county")
    io.write_workspace(synth.demo_county(seed=2024), folder / "county.gpkg")
    return io.read_workspace(folder / "county.gpkg"), folder / "county.gpkg"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    folder = tmp_path_factory.mktemp("platform")
    ws = synth.demo_county(seed=2024)
    io.write_workspace(ws, folder / "city.gpkg")
    (folder / "city.toml").write_text('[issue_categories]\njiaotong = "交通运输"\n', "utf-8")
    store = SQLiteStore(folder / "city.issues.sqlite")
    county = str(ws.county["code"].iloc[0])
    token = create_token(store, ws, role="county_staff", subject=county, now=utcnow())
    store.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", str(folder / "city.gpkg"),
         "--settings", str(folder / "city.toml"), "--port", str(port), "--tick", "0",
         "--rate", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process=server, timeout_s=120, log=lambda: server.stderr.read())
        p = Platform(url, token)
        yield p
        p.http.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "county.issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        s = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=4)
    yield s
    s.close()


def _settings(platform: Platform, **changes: Any) -> Settings:
    return replace(
        Settings(),
        handoff_url=platform.open311,
        handoff_api_key=platform.token,
        handoff_service_codes={"road": "jiaotong"},
        **changes,
    )


@pytest.fixture
def clock() -> list[datetime]:
    return [T0]


@pytest.fixture
def service(
    county_ws: tuple[Workspace, Path], store: Store, platform: Platform, clock: list[datetime]
) -> IssueService:
    return IssueService(
        county_ws[0], store, settings=_settings(platform), secret=b"k", clock=lambda: clock[0]
    )


def _at_platform_level(service: IssueService, clock: list[datetime], n: int = 0) -> Issue:
    """A road issue nobody takes, climbed by the scheduler to the external level."""
    grid = sorted(service.grid_station)[n]
    p = service.ws.grids.set_index("code").loc[grid, "geometry"].representative_point()
    data = NewIssue(
        category="road", description="村道路面塌陷，电动车无法通行", lon=p.x, lat=p.y,
        title="村道塌陷", address="三岔路口",
    )  # fmt: skip
    issue = service.raise_issue(data, service_actor()).issue
    for level in ("township", "county", "external"):
        clock[0] += timedelta(days=3)  # past every acknowledge deadline at each level
        service.tick()
        assert service.store.get_issue(issue.issue_id).level == level
    return service.store.get_issue(issue.issue_id)


def service_actor() -> Actor:
    return Actor("county_staff", "430623", "县代表工委")


def _kinds(service: IssueService, issue_id: str) -> list[str]:
    return [e.kind for e in service.store.events(issue_id)]


def test_handed_off_resolved_on_the_platform_and_the_result_comes_back(
    service: IssueService, platform: Platform, clock: list[datetime]
) -> None:
    issue = _at_platform_level(service, clock)
    report = sync_handoffs(service)
    assert report.submitted == (issue.issue_id,) and not report.failed
    sent = service.store.get_issue(issue.issue_id)
    request_id = sent.handoff_id
    assert request_id and sent.handoffs == 1
    # it is on the platform, under the platform's own code, with the county's words
    there = platform.issue(request_id)
    assert there["category"] == "jiaotong" and there["source"] == "open311"
    assert "村道路面塌陷" in there["description"] and issue.issue_id in there["description"]
    assert there["address"] == "三岔路口"
    assert abs(there["lon"] - issue.lon) < 1e-6 and abs(there["lat"] - issue.lat) < 1e-6

    # the first poll writes what the platform says: accepted, and who handles it there
    report = sync_handoffs(service)
    assert report.updated == (issue.issue_id,)
    update = service.store.events(issue.issue_id)[-1]
    assert update.kind == "platform_updated" and update.data["agency"] == there["unit_name"]
    assert "已受理" in update.data["notes"]
    # nothing new on the platform: nothing written
    before = len(_kinds(service, issue.issue_id))
    assert sync_handoffs(service).updated == ()
    assert len(_kinds(service, issue.issue_id)) == before

    r = platform.http.post(f"/issues/{request_id}/resolve", json={"result": "路面已修复，恢复通行"})
    assert r.status_code == 200, r.text
    report = sync_handoffs(service)
    assert report.resolved == (issue.issue_id,)
    done = service.store.get_issue(issue.issue_id)
    assert done.status is IssueStatus.RESOLVED and "路面已修复，恢复通行" in done.result
    assert _kinds(service, issue.issue_id)[-4:] == [
        "handed_off", "platform_updated", "platform_updated", "resolved",
    ]  # fmt: skip
    last = service.store.events(issue.issue_id)[-1]
    assert last.actor_role == "external" and last.actor_id == "12345"
    # 三知 after the hand-off: the platform, the agency it assigned, the platform's result
    knows = three_knows(done)
    assert knows["handling_unit"] == "12345政务服务便民热线"
    assert knows["responsible"] == there["unit_name"]
    assert "路面已修复，恢复通行" in knows["result"]
    # settled: the resolved request is not polled again
    assert sync_handoffs(service) == type(report)()


def test_a_platform_refusal_comes_back_as_a_return(
    service: IssueService, platform: Platform, clock: list[datetime]
) -> None:
    issue = _at_platform_level(service, clock, n=1)
    sync_handoffs(service)
    request_id = service.store.get_issue(issue.issue_id).handoff_id
    r = platform.http.post(f"/issues/{request_id}/close", json={"reason": "不属于本平台受理范围"})
    assert r.status_code == 200, r.text
    report = sync_handoffs(service)
    assert report.returned == (issue.issue_id,)
    back = service.store.get_issue(issue.issue_id)
    assert back.level == "county" and back.status is IssueStatus.ASSIGNED
    assert back.handoff_id == "" and back.resolve_due is not None  # the county's clock again
    event = service.store.events(issue.issue_id)[-1]
    assert event.kind == "returned" and "不属于本平台受理范围" in event.data["reason"]
    assert event.data["from"] == "external:12345" and event.data["to"] == back.unit


def test_two_workers_hand_off_once_and_a_down_platform_is_retried(
    service: IssueService, platform: Platform, clock: list[datetime]
) -> None:
    issue = _at_platform_level(service, clock, n=2)
    down = replace(service.settings, handoff_url=f"http://127.0.0.1:{free_port()}/open311/v2")
    offline = IssueService(service.ws, service.store, settings=down, clock=service.clock)
    report = sync_handoffs(offline)
    assert report.failed == (issue.issue_id,) and "ConnectError" in report.errors[issue.issue_id]
    assert service.store.get_issue(issue.issue_id).handoff_id == ""  # waits, nothing written
    assert "handoff_failed" not in _kinds(service, issue.issue_id)

    before = platform.count()
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        results.append(sync_handoffs(service))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert platform.count() == before + 1  # one request on the platform (Idempotency-Key)
    assert _kinds(service, issue.issue_id).count("handed_off") == 1
    assert sum(issue.issue_id in r.submitted for r in results) >= 1


def test_a_refused_request_is_recorded_once(
    service: IssueService, platform: Platform, clock: list[datetime]
) -> None:
    issue = _at_platform_level(service, clock, n=3)
    wrong = replace(service.settings, handoff_service_codes={"road": "no_such_code"})
    bad = IssueService(service.ws, service.store, settings=wrong, clock=service.clock)
    for _ in range(2):
        report = sync_handoffs(bad)
        assert report.failed == (issue.issue_id,)
    assert _kinds(service, issue.issue_id).count("handoff_failed") == 1
    stored = service.store.get_issue(issue.issue_id)
    assert "HTTP 404" in stored.handoff_error and "no_such_code" in stored.handoff_error
    # fixed in the settings: handed off on the next pass
    assert sync_handoffs(service).submitted == (issue.issue_id,)
    assert service.store.get_issue(issue.issue_id).handoff_error == ""


def test_the_serve_poller_hands_off_by_itself(
    service: IssueService, platform: Platform, clock: list[datetime]
) -> None:
    issue = _at_platform_level(service, clock, n=4)
    poller = HandoffPoller(service, 0.2)
    assert poller.enabled
    poller.start()
    try:
        deadline = time.monotonic() + 30
        while not service.store.get_issue(issue.issue_id).handoff_id:
            assert time.monotonic() < deadline, "the poller never handed the issue off"
            time.sleep(0.1)
    finally:
        poller.stop()
    # without a platform address the serve process runs no poller
    assert not HandoffPoller(SimpleNamespace(settings=Settings())).enabled  # type: ignore[arg-type]


def test_cli_poll(
    county_ws: tuple[Workspace, Path],
    platform: Platform,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws, gpkg = county_ws
    db = tmp_path / "cli.issues.sqlite"
    clock = [T0]
    service = IssueService(
        ws, SQLiteStore(db), settings=_settings(platform), clock=lambda: clock[0]
    )
    issue = _at_platform_level(service, clock, n=5)
    service.store.close()
    assert main(["handoff", "poll", str(gpkg), "--db", str(db)]) == 0
    assert "没有要转交或查询的事项" in capsys.readouterr().out  # no platform in the settings
    toml = tmp_path / "county.toml"
    toml.write_text(
        f'handoff_url = "{platform.open311}"\n[handoff_service_codes]\nroad = "jiaotong"\n',
        "utf-8",
    )
    env_key = "GRIDGOV_HANDOFF_KEY"
    os.environ[env_key] = platform.token  # the key from the environment, not the file
    try:
        code = main(["handoff", "poll", str(gpkg), "--db", str(db), "--settings", str(toml),
                     "--json"])  # fmt: skip
    finally:
        os.environ.pop(env_key, None)
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["submitted"] == [issue.issue_id] and out["failed"] == []
    assert main(["--lang", "en", "handoff", "poll", str(gpkg), "--db", str(db)]) == 0
    assert "nothing to hand off" in capsys.readouterr().out
