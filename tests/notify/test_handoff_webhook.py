"""The hand-off as a signed webhook, and the platform's signed callbacks, over real HTTP.

The platform above is a stdlib HTTP server started by the test: it checks each hand-off's
signature the way a receiver of gridgov's webhooks does
(:func:`gridgov.notify.channels.verify_webhook`), keeps the JSON and answers its own
``request_id``. The county is a real ``uvicorn`` serving :func:`api.create_app`; the
platform's callbacks reach ``POST /handoff/callback`` through it. Both stores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import Clock, answer_json, grids_of, serve_http

from gridgov.issues.handoff import SECRET_ENV, sync_handoffs
from gridgov.issues.lifecycle import Actor, Issue, three_knows
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import IssueStatus, Workspace
from gridgov.notify.channels import sign_webhook, verify_webhook, webhook_headers
from gridgov.settings import Settings

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

SECRET = "handoff-secret-for-tests-0123456789"


@dataclass
class PlatformReceiver:
    """The city platform's intake: verifies, records, answers ``{"request_id": "WO-n"}``;
    ``status`` 503 while it is down."""

    status: int = 200
    orders: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    unsigned: int = 0
    gets: int = 0
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = verify_webhook(
                    SECRET,
                    self.headers.get("X-Gridgov-Timestamp", ""),
                    body,
                    self.headers.get("X-Gridgov-Signature", ""),
                )
                if not ok:
                    platform.unsigned += 1
                    self._answer(401, {"error": "bad signature"})
                elif platform.status != 200:
                    self._answer(platform.status, {"error": "busy"})
                else:
                    key = self.headers.get("Idempotency-Key", "")
                    if key not in platform.keys:  # a careful platform: one order per key
                        platform.keys.append(key)
                        platform.orders.append(json.loads(body))
                    n = platform.keys.index(key) + 1
                    self._answer(200, {"request_id": f"WO-{n}", "status": "accepted"})

            def do_GET(self) -> None:
                platform.gets += 1
                self._answer(404, {"error": "no polling here"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                answer_json(self, status, json.dumps(body).encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server, url = serve_http(Handler)
        return url


@pytest.fixture
def platform() -> Iterator[tuple[PlatformReceiver, str]]:
    receiver = PlatformReceiver()
    url = receiver.start()
    yield receiver, url
    assert receiver.server is not None
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def county_side(
    county: Workspace,
    store: Any,
    platform: tuple[PlatformReceiver, str],
    serve_in_thread: Callable[[Any], AbstractContextManager[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[IssueService, Clock, str]]:
    from api import create_app

    monkeypatch.setenv(SECRET_ENV, SECRET)
    clock = Clock()
    settings = Settings(
        handoff_protocol="webhook",
        handoff_url=platform[1] + "/api/orders",
        handoff_service_codes={"road": "jiaotong"},
        notify={"public_url": "https://gridgov.example.gov.cn"},
    )
    service = IssueService(county, store, settings=settings, secret=b"k", clock=clock)
    app = create_app(service, tick_interval_s=0, rate_per_s=0, notify=False)
    with serve_in_thread(app) as url:
        yield service, clock, url


def _at_platform_level(service: IssueService, clock: Clock, n: int) -> Issue:
    """A road issue nobody takes, climbed by the scheduler to the external level."""
    grid = sorted(service.grid_station)[n]
    p = grids_of(service.ws).set_index("code").loc[grid, "geometry"].representative_point()
    data = NewIssue(
        category="road", description="村道路面塌陷，电动车无法通行", lon=p.x, lat=p.y,
        title="村道塌陷", address="三岔路口", reporter_name="张三", reporter_phone="13800001111",
    )  # fmt: skip
    issue = service.raise_issue(data, Actor("public", "", "群众")).issue
    for level in ("township", "county", "external"):
        clock.advance(days=3)  # past every acknowledge deadline at each level
        service.tick()
        assert service.store.get_issue(issue.issue_id).level == level
    return service.store.get_issue(issue.issue_id)


def _callback(
    payload: dict[str, Any], *, secret: str = SECRET, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A callback as the platform signs it."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, webhook_headers(secret, body, "cb-1", now=at) | {
        "Content-Type": "application/json"
    }


def test_handed_off_signed_then_the_callbacks_write_the_timeline(
    county_side: tuple[IssueService, Clock, str], platform: tuple[PlatformReceiver, str]
) -> None:
    service, clock, url = county_side
    receiver = platform[0]
    issue = _at_platform_level(service, clock, 0)

    report = sync_handoffs(service)
    assert report.submitted == (issue.issue_id,) and not report.failed
    assert receiver.unsigned == 0 and len(receiver.orders) == 1
    order = receiver.orders[0]
    assert order["issue_id"] == issue.issue_id and order["service_code"] == "jiaotong"
    assert "村道路面塌陷" in order["description"] and order["address"] == "三岔路口"
    assert order["callback"] == "https://gridgov.example.gov.cn/handoff/callback"
    assert "13800001111" not in json.dumps(order, ensure_ascii=False)  # nothing personal
    assert "张三" not in json.dumps(order, ensure_ascii=False)
    sent = service.store.get_issue(issue.issue_id)
    assert sent.handoff_id == "WO-1" and sent.handoffs == 1
    # a webhook platform is not polled: the next pass neither posts nor GETs
    assert sync_handoffs(service).submitted == ()
    assert receiver.gets == 0 and len(receiver.orders) == 1

    def events() -> list[str]:
        return [e.kind for e in service.store.events(issue.issue_id)]

    with httpx.Client(base_url=url, timeout=10) as http:
        body, headers = _callback(
            {"request_id": "WO-1", "status": "accepted", "agency": "县交通运输局",
                  "notes": "已受理，派单至县交通运输局"},
        )  # fmt: skip
        r = http.post("/handoff/callback", content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"issue_id": issue.issue_id, "request_id": "WO-1",
                            "outcome": "updated"}  # fmt: skip
        assert events()[-1] == "platform_updated"
        assert three_knows(service.store.get_issue(issue.issue_id))["responsible"] == "县交通运输局"
        before = events()

        # the same signed request again: a replay, refused, nothing written
        r = http.post("/handoff/callback", content=body, headers=headers)
        assert r.status_code == 409 and r.json()["error"] == "conflict"
        # a signature under another secret, a tampered body, a stale timestamp: 401
        bad_body, bad_headers = _callback({"request_id": "WO-1", "status": "closed",
                                                "result": "已修复"}, secret="wrong")  # fmt: skip
        r = http.post("/handoff/callback", content=bad_body, headers=bad_headers)
        assert r.status_code == 401 and r.json()["error"] == "bad_signature"
        r = http.post("/handoff/callback", content=bad_body.replace(b"WO-1", b"WO-2"),
                      headers=headers)  # fmt: skip
        assert r.status_code == 401
        old_body, old_headers = _callback(
            {"request_id": "WO-1", "status": "closed", "result": "已修复"},
            at=time.time() - 3600,
        )  # fmt: skip
        r = http.post("/handoff/callback", content=old_body, headers=old_headers)
        assert r.status_code == 401 and r.json()["error"] == "stale_timestamp"
        assert "replay window" in r.json()["message"]
        # a signed body that names no status: 422 naming it; an unknown request: 404
        body2, headers2 = _callback({"request_id": "WO-1", "status": "done?"})
        r = http.post("/handoff/callback", content=body2, headers=headers2)
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "status"
        body3, headers3 = _callback({"request_id": "WO-99", "status": "open"})
        r = http.post("/handoff/callback", content=body3, headers=headers3)
        assert r.status_code == 404
        assert events() == before

        clock.advance(hours=5)
        body, headers = _callback(
            {"request_id": "WO-1", "status": "closed", "result": "路面已修复，恢复通行",
                  "agency": "县交通运输局"},
        )  # fmt: skip
        r = http.post("/handoff/callback", content=body, headers=headers)
        assert r.status_code == 200 and r.json()["outcome"] == "resolved", r.text
    done = service.store.get_issue(issue.issue_id)
    assert done.status is IssueStatus.RESOLVED and "路面已修复，恢复通行" in done.result
    assert events()[-2:] == ["platform_updated", "resolved"]
    last = service.store.events(issue.issue_id)[-1]
    assert last.actor_role == "external" and last.actor_id == "12345"
    assert last.at == clock.now


def test_a_refusal_by_callback_comes_back_as_a_return(
    county_side: tuple[IssueService, Clock, str], platform: tuple[PlatformReceiver, str]
) -> None:
    service, clock, url = county_side
    receiver = platform[0]
    issue = _at_platform_level(service, clock, 1)
    receiver.status = 503  # down for a while: retried on the next pass
    report = sync_handoffs(service)
    assert report.failed == (issue.issue_id,) and "503" in report.errors[issue.issue_id]
    assert service.store.get_issue(issue.issue_id).handoff_id == ""
    receiver.status = 200
    assert sync_handoffs(service).submitted == (issue.issue_id,)
    request_id = service.store.get_issue(issue.issue_id).handoff_id

    body, headers = _callback(
        {"request_id": request_id, "issue_id": issue.issue_id, "status": "refused",
              "reason": "不属于本平台受理范围"},
    )  # fmt: skip
    with httpx.Client(base_url=url, timeout=10) as http:
        r = http.post("/handoff/callback", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["outcome"] == "returned", r.text
    back = service.store.get_issue(issue.issue_id)
    assert back.level == "county" and back.status is IssueStatus.ASSIGNED
    assert back.handoff_id == "" and back.resolve_due is not None
    event = service.store.events(issue.issue_id)[-1]
    assert event.kind == "returned" and "不属于本平台受理范围" in event.data["reason"]


def test_callbacks_are_off_without_the_webhook_protocol(
    county: Workspace, store: Any, serve_in_thread: Callable[[Any], AbstractContextManager[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from api import create_app

    monkeypatch.setenv(SECRET_ENV, SECRET)
    service = IssueService(county, store, settings=Settings(), secret=b"k", clock=Clock())
    app = create_app(service, tick_interval_s=0, rate_per_s=0, notify=False)
    body = b'{"request_id": "WO-1", "status": "open"}'
    stamp = str(int(time.time()))
    headers = {
        "X-Gridgov-Timestamp": stamp,
        "X-Gridgov-Signature": sign_webhook(SECRET, stamp, body),
    }
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/handoff/callback", content=body, headers=headers, timeout=10)
    assert r.status_code == 404 and "handoff_protocol" in r.json()["message"]
