"""Fixtures of the notice tests. Real local receivers: an HTTP server (stdlib ``http.server`` in a
thread) standing for the SMS gateway, the robots and the webhook, and an SMTP server
(aiosmtpd). Both record what arrives; the HTTP one deduplicates on ``Idempotency-Key``
the way a careful receiver does, and can be switched to refuse, to fail or to be slow.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gridgov import synth
from gridgov.model import Workspace


def serve_http(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """A real HTTP server on 127.0.0.1 (a free port) answering with ``handler`` in a thread
    of its own; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def answer_json(handler: BaseHTTPRequestHandler, status: int, raw: bytes) -> None:
    """Send ``raw`` (JSON) with ``status`` from inside ``handler``."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")


@dataclass
class HTTPReceiver:
    """Records every POST; ``status`` is what it answers (200, or 503 while "down", 400 to
    refuse for good), ``delay_s`` how long it takes. ``accepted`` counts, per idempotency
    key, the requests answered 200; ``unique`` holds the first of each."""

    status: int = 200
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    unique: dict[str, Received] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                got = Received(
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                status = receiver.status
                with receiver.lock:
                    receiver.requests.append(got)
                    if status == 200 and got.key:
                        receiver.accepted[got.key] += 1
                        receiver.unique.setdefault(got.key, got)
                answer = b'{"errcode": 0, "errmsg": "ok", "Code": "OK"}'
                if status != 200:
                    answer = b'{"error": "refused"}'
                answer_json(self, status, answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server, url = serve_http(Handler)
        return url

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def on(self, path: str) -> list[Received]:
        """The distinct notices (first request per key) that reached ``path``."""
        with self.lock:
            return [r for r in self.unique.values() if r.path == path]


class SMTPReceiver:
    """An aiosmtpd server on a free local port, keeping every message it is handed."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                receiver.messages.append(
                    message_from_bytes(envelope.content, policy=policy.default)
                )
                return "250 OK"

        from gridgov.testing import free_port

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()


# --- fixtures ----------------------------------------------------------------------------

SMS_SECRET = "sms-secret-for-tests-0123456789"
DING_SECRET = "SECding-secret-for-tests"
HOOK_SECRET = "webhook-secret-for-tests-0123456789"
#: 2026-11-23 10:00 in Beijing: inside working hours
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture(scope="session")
def county() -> Workspace:
    """The demo county with a contact phone on every station (the rosters' 联系电话)."""
    ws = synth.demo_county(seed=2024)
    ws.stations["contact_name"] = "站长" + ws.stations["station_id"].str[-4:]
    ws.stations["contact_phone"] = [f"1390000{i:04d}" for i in range(len(ws.stations))]
    return ws


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    s: Any
    if request.param == "sqlite":
        from gridgov.store.sqlite import SQLiteStore

        s = SQLiteStore(tmp_path / "issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        s = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=8)
    yield s
    s.close()


@pytest.fixture
def http() -> Iterator[HTTPReceiver]:
    receiver = HTTPReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GG_TEST_SMS_SECRET", SMS_SECRET)
    monkeypatch.setenv("GG_TEST_DING_SECRET", DING_SECRET)
    monkeypatch.setenv("GG_TEST_HOOK_SECRET", HOOK_SECRET)


def notify_table(url: str, **extra: object) -> dict[str, object]:
    """A ``[notify]`` table sending everything to the receiver at ``url``."""
    table: dict[str, object] = {
        "quiet_hours": "",
        "backoff_s": 1.0,
        "backoff_max_s": 60.0,
        "lease_s": 30.0,
        "due_soon_h": 1.0,
        "public_url": "https://gridgov.example.gov.cn",
        "channels": {
            "sms": {
                "type": "sms",
                "url": f"{url}/sms",
                "app_key": "huarong",
                "secret_env": "GG_TEST_SMS_SECRET",
                "sign_name": "华容县人大",
                "default_template": "SMS_000",
                "templates": {"dispatched.deputy": "SMS_101", "escalated.staff": "SMS_201"},
                "timeout_s": 5.0,
            },
            "station_robot": {
                "type": "wecom",
                "url": f"{url}/wecom?key=abc",
                "units": ["station:*"],
                "timeout_s": 5.0,
            },
            "township_robot": {
                "type": "dingtalk",
                "url": f"{url}/ding?access_token=xyz",
                "secret_env": "GG_TEST_DING_SECRET",
                "units": ["township:*"],
                "timeout_s": 5.0,
            },
        },
    }
    table.update(extra)
    return table


def grids_of(ws: Workspace) -> Any:
    """The grids layer (the demo county has one)."""
    assert ws.grids is not None
    return ws.grids


def deputies_of(ws: Workspace) -> Any:
    """The deputies layer (the demo county has one)."""
    assert ws.deputies is not None
    return ws.deputies
