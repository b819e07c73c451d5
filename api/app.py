"""The application factory, request limits and the deadline scheduler.

``create_app(service)`` builds the FastAPI app around an
:class:`~gridgov.issues.service.IssueService`; nothing connects to a store or reads a file at
import time. The middlewares bound what a request may be (body size, rate, no U+0000);
errors are answered as :mod:`api.errors` says: a 4xx JSON body
``{"error", "message", "problems"}`` naming the field and the bad value, or under
``/open311/v2`` the spec's error list, limits (413, 429) included.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI

from api.errors import error_json, install_errors, limit_response
from api.open311 import PREFIX as OPEN311_PREFIX
from api.open311 import error_response, format_of, is_open311
from gridgov import __version__
from gridgov.issues.service import IssueService

__all__ = ["MAX_BODY_BYTES", "create_app"]

log = logging.getLogger(__name__)

#: Largest request body accepted; an issue with a long description is a few kB.
MAX_BODY_BYTES = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not they say
    their length up front (a chunked body is counted as it arrives)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = limit_response(
            scope.get("path", ""), 413, "too_large", f"request body over {self.limit} bytes"
        )
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = self.limit + 1
            if declared > self.limit:
                await too_big(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body here, up to the limit, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.limit:
                await too_big(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return await then()  # afterwards: the real channel (disconnect notices)

    return receive


# A JSON string escape for U+0000 that is not itself an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul_in(value: Any, where: str) -> str | None:
    """The dotted name of the first string holding U+0000 in decoded JSON, if any."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return f"{where}.{key!r}".lstrip(".")
        found = _nul_in(item, f"{where}.{key}".lstrip("."))
        if found is not None:
            return found
    return None


class NoNul:
    """Refuse U+0000 in the path, query, headers and JSON or form bodies with a 4xx
    naming the field. No text of an issue can hold it (PostgreSQL's text cannot store it
    at all), and refusing it here answers the same on every store and every route,
    instead of a 500 from deep inside a query. Multipart bodies (files) pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = self._head(scope)
        if where is None:
            headers = dict(scope.get("headers") or [])
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind in (b"application/json", b"application/x-www-form-urlencoded"):
                messages: list[Message] = []
                while True:  # BodyLimit, outside, has already bounded the size
                    chunk = await receive()
                    messages.append(chunk)
                    if chunk["type"] != "http.request" or not chunk.get("more_body"):
                        break
                body = b"".join(m.get("body", b"") for m in messages)
                where = self._body(body, kind)
                receive = _replay(messages, receive)
        if where is None:
            await self.app(scope, receive, send)
            return
        message = f"{where}: NUL characters (\\u0000) are not allowed"
        path = scope.get("path", "")
        if is_open311(path):
            response = error_response(format_of(path), 400, [message])
        else:
            problem = {"field": where, "value": None, "message": "contains U+0000 (NUL)"}
            response = error_json(422, "invalid", message, [problem])
        await response(scope, receive, send)

    @staticmethod
    def _head(scope: Scope) -> str | None:
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b"").lower():
            return "path"
        query = scope.get("query_string", b"")
        if b"%00" in query.lower() or b"\x00" in query:
            text = query.decode("latin-1")
            names = [k for k, v in parse_qsl(text, keep_blank_values=True) if "\x00" in k + v]
            return names[0] if names else "query"
        for name, value in scope.get("headers") or []:
            if b"\x00" in value:
                return name.decode("latin-1")
        return None

    @staticmethod
    def _body(body: bytes, kind: bytes) -> str | None:
        if kind == b"application/x-www-form-urlencoded":
            if b"%00" not in body.lower() and b"\x00" not in body:
                return None
            text = body.decode("latin-1")
            names = [k for k, v in parse_qsl(text, keep_blank_values=True) if "\x00" in k + v]
            return names[0] if names else "body"
        if not _JSON_NUL.search(body) and b"\x00" not in body:
            return None
        try:
            return _nul_in(json.loads(body), "") or "body"
        except ValueError:
            return None  # malformed JSON: the route's own 422 says where


class RateLimit:
    """A token bucket per client address: ``rate`` requests per second, bursts of
    ``burst``. Protects the 2-core service from a runaway client (429 + Retry-After)."""

    def __init__(self, app: ASGIApp, rate: float = 200.0, burst: int = 400) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        if not allowed:
            response = limit_response(
                scope.get("path", ""),
                429,
                "rate_limited",
                f"more than {self.rate:g} requests per second",
                {"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Scheduler:
    """Applies deadlines every ``interval_s`` seconds in a background thread."""

    def __init__(self, service: IssueService, interval_s: float) -> None:
        self.service = service
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="gridgov-tick", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                report = self.service.tick()
                self.runs += 1
                if report.escalated or report.closed or report.overdue:
                    log.info(
                        "tick: %d escalated, %d overdue, %d closed",
                        len(report.escalated), len(report.overdue), len(report.closed),
                    )  # fmt: skip
            except Exception:  # the scheduler must outlive a bad pass (store restarting)
                log.exception("tick failed; will retry")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def create_app(
    service: IssueService,
    *,
    tick_interval_s: float = 60.0,
    rate_per_s: float = 200.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The gridgov web service around ``service``.

    Parameters
    ----------
    service : IssueService
    tick_interval_s : float
        How often the scheduler applies deadlines; 0 turns it off (``gridgov tick`` from
        cron instead).
    rate_per_s : float
        Requests per second allowed per client address (0: no limit).
    max_body_bytes : int
        Largest request body accepted (413 above).
    """
    from api.routes import analytics, issues, open311, places, public

    scheduler = Scheduler(service, tick_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()

    app = FastAPI(
        title="gridgov",
        version=__version__,
        description=(
            "网格吹哨、代表报到: raise issues at a place, dispatch the nearest deputies of the "
            "grid's station, escalate grid → station → township → county on deadlines, and "
            "let the resident rate the result. Authenticate with `Authorization: Bearer "
            "<token>` (gridgov token create); without a token you are the public."
        ),
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.principals = {}  # token hash -> Principal (scope from the workspace)
    app.state.scheduler = scheduler
    install_errors(app)
    app.include_router(issues.router, prefix="/issues", tags=["issues"])
    app.include_router(places.router, tags=["stations, deputies, grids"])
    app.include_router(analytics.router, tags=["analytics"])
    app.include_router(public.router, prefix="/public", tags=["public (QR)"])
    app.include_router(open311.router, prefix=OPEN311_PREFIX, tags=["Open311 GeoReport v2"])

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "county": service.ws.meta.get("county_code", ""),
        }

    app.add_middleware(NoNul)
    app.add_middleware(RateLimit, rate=rate_per_s, burst=max(1, int(rate_per_s * 2)))
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    return app
