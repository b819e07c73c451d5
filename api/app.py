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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI

from api.errors import error_json, install_errors, limit_response
from api.open311 import PREFIX as OPEN311_PREFIX
from api.open311 import error_response, format_of, is_open311
from gridgov import __version__
from gridgov._errors import ExtraMissingError
from gridgov.issues.access import hash_token
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


# A JSON string escape for U+0000 or a UTF-16 surrogate that is not itself an escaped
# backslash: the only ways a JSON body can smuggle in text no store can hold.
_JSON_SUSPECT = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F])")

#: Deepest nesting of arrays and objects accepted in a JSON body; gridgov's bodies are
#: flat, and a body nested a thousand deep would exhaust the recursion of any decoder.
MAX_JSON_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


def _bad_char(text: str) -> str | None:
    """What is wrong with ``text`` as stored text: a NUL or a lone surrogate, if either."""
    if "\x00" in text:
        return "contains U+0000 (NUL)"
    if _SURROGATE.search(text):  # json decodes a valid pair to one character
        return "contains a lone UTF-16 surrogate (not a character)"
    return None


def _bad_text_in(value: Any) -> tuple[str, str] | None:
    """``(dotted name, what)`` of the first string of decoded JSON that no store can hold.

    Walks with an explicit stack: the depth of a client's JSON must never reach Python's
    recursion limit.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            what = _bad_char(item)
            if what is not None:
                return where or "body", what
            continue
        if isinstance(item, dict):
            pairs: list[tuple[Any, Any]] = list(item.items())
        elif isinstance(item, list):
            pairs = list(enumerate(item))
        else:
            continue
        for key, child in reversed(pairs):  # reversed: the first field is reported first
            if isinstance(key, str):
                what = _bad_char(key)
                if what is not None:
                    return f"{where}.{key!r}".lstrip("."), what
            stack.append((f"{where}.{key}".lstrip("."), child))
    return None


def _json_depth(body: bytes, limit: int) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class NoNul:
    """Refuse what no text of an issue can hold, with a 4xx naming the field: U+0000 in the
    path, query, headers and JSON or form bodies, lone UTF-16 surrogates in JSON, JSON
    nested deeper than :data:`MAX_JSON_DEPTH`, and an empty ``Idempotency-Key``.
    PostgreSQL's text cannot store U+0000 at all and no UTF-8 can encode a surrogate, so
    refusing them here answers the same on every store and every route, instead of a 500
    from deep inside a query. Multipart bodies (files) pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._head(scope)
        if found is None:
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
                found = self._body(body, kind)
                receive = _replay(messages, receive)
        if found is None:
            await self.app(scope, receive, send)
            return
        where, what = found
        message = f"{where}: {what}"
        path = scope.get("path", "")
        if is_open311(path):
            response = error_response(format_of(path), 400, [message])
        else:
            problem = {"field": where, "value": None, "message": what}
            response = error_json(422, "invalid", message, [problem])
        await response(scope, receive, send)

    @staticmethod
    def _head(scope: Scope) -> tuple[str, str] | None:
        nul = "contains U+0000 (NUL)"
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b"").lower():
            return "path", nul
        query = scope.get("query_string", b"")
        if b"%00" in query.lower() or b"\x00" in query:
            text = query.decode("latin-1")
            names = [k for k, v in parse_qsl(text, keep_blank_values=True) if "\x00" in k + v]
            return (names[0] if names else "query"), nul
        for name, value in scope.get("headers") or []:
            if b"\x00" in value:
                return name.decode("latin-1"), nul
            if name.lower() == b"idempotency-key" and not value.strip():
                # an empty key would make every keyless retry "the same request"
                return "Idempotency-Key", "is empty; send a key, or no header at all"
        return None

    @staticmethod
    def _body(body: bytes, kind: bytes) -> tuple[str, str] | None:
        if kind == b"application/x-www-form-urlencoded":
            if b"%00" not in body.lower() and b"\x00" not in body:
                return None
            text = body.decode("latin-1")
            names = [k for k, v in parse_qsl(text, keep_blank_values=True) if "\x00" in k + v]
            return (names[0] if names else "body"), "contains U+0000 (NUL)"
        if _json_depth(body, MAX_JSON_DEPTH):
            return "body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        if not _JSON_SUSPECT.search(body) and b"\x00" not in body:
            return None
        try:
            return _bad_text_in(json.loads(body)) or (
                ("body", "contains U+0000 (NUL)") if b"\x00" in body else None
            )
        except ValueError:
            return None  # malformed JSON: the route's own 422 says where


def _trusted(proxies: Sequence[str]) -> list[IPv4Network | IPv6Network]:
    return [ip_network(p, strict=False) for p in proxies]


def client_key(
    scope: Scope, principals: Mapping[str, Any], trusted: Sequence[IPv4Network | IPv6Network]
) -> str:
    """Whom a request counts against: the holder of a token the app has already
    authenticated (so colleagues behind one NAT do not share a bucket, and a made-up
    token gets no fresh one), else the client address. A proxy's ``X-Forwarded-For``
    names the client only when the peer is one of ``trusted``."""
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode("latin-1").strip()
    scheme, _, token = auth.partition(" ")
    if not token.strip() or scheme.lower() != "bearer":  # Open311 sends api_key instead
        keys = [v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                if k == "api_key"]  # fmt: skip
        token = keys[0] if keys else ""
    if token.strip():
        token_hash = hash_token(token.strip())
        if token_hash in principals:
            return f"token:{token_hash}"
    peer = (scope.get("client") or ("?", 0))[0]
    if trusted and b"x-forwarded-for" in headers:
        try:
            via_proxy = any(ip_address(peer) in net for net in trusted)
        except ValueError:
            via_proxy = False
        if via_proxy:
            # the right-most address the trusted proxy saw; what lies left of it the
            # client could have written itself
            hops = headers[b"x-forwarded-for"].decode("latin-1").split(",")
            last = hops[-1].strip()
            if last:
                return f"addr:{last}"
    return f"addr:{peer}"


#: Buckets kept before the full ones are dropped (one per client seen; each ~200 bytes).
_PRUNE_AT = 10_000


class RateLimit:
    """A token bucket per client (:func:`client_key`): ``rate`` requests per second,
    bursts of ``burst``. Protects the 2-core service from a runaway client (429 +
    Retry-After). A bucket that has refilled is the same as no bucket, so those are
    dropped once there are many: memory follows the clients active in the last
    ``burst / rate`` seconds, not every address ever seen."""

    def __init__(
        self,
        app: ASGIApp,
        rate: float = 200.0,
        burst: int = 400,
        principals: Mapping[str, Any] | None = None,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self.principals: Mapping[str, Any] = {} if principals is None else principals
        self.trusted = _trusted(trusted_proxies)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._prune_at = _PRUNE_AT
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        client = client_key(scope, self.principals, self.trusted)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self._prune_at:
                self._prune(now)
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

    def _prune(self, now: float) -> None:
        """Drop the buckets that have refilled (called under the lock)."""
        full = float(self.burst)
        self._buckets = {
            k: (tokens, last)
            for k, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate < full
        }
        self._prune_at = max(_PRUNE_AT, 2 * len(self._buckets))


#: What every HTML page may load and who may frame it: only the service itself (the QR
#: pages and the API docs are self-contained), never a frame of another site.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_HTML_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class WebHeaders:
    """Browser defences on every answer: ``nosniff`` everywhere; a CSP, frame denial and
    no referrer on HTML. HEAD is answered wherever GET is (the GET's headers, no body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                kind = dict(headers).get(b"content-type", b"")
                extra = [(b"x-content-type-options", b"nosniff")]
                if kind.startswith(b"text/html"):
                    extra += _HTML_HEADERS
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _docs(app: FastAPI) -> None:
    """``/docs`` and ``/redoc`` from assets shipped in the ``fastapi-offline`` package:
    a CDN is out of reach on a government intranet, and the page stays blank."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    try:
        import fastapi_offline
    except ImportError as exc:  # pragma: no cover - part of the api extra
        raise ExtraMissingError("api", "the API docs (/docs)") from exc

    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_STATIC, StaticFiles(directory=static), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )


#: Where the docs' scripts and styles are served from.
DOCS_STATIC = "/docs-static"


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
        docs_url=None,
        redoc_url=None,
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

    _docs(app)

    app.add_middleware(NoNul)
    app.add_middleware(
        RateLimit,
        rate=rate_per_s,
        burst=max(1, int(rate_per_s * 2)),
        principals=app.state.principals,
        trusted_proxies=service.settings.trusted_proxies,
    )
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(WebHeaders)
    return app
