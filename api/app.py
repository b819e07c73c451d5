"""The application factory, request limits and the deadline scheduler.

``create_app(service)`` builds the FastAPI app around an
:class:`~gridgov.issues.service.IssueService`; nothing connects to a store or reads a file at
import time. The middlewares bound what a request may be (body size, rate, no U+0000) and
how many heavy ones (statistics, map layers, Open311 lists) a worker serves at once;
errors are answered as :mod:`api.errors` says: a 4xx JSON body
``{"error", "message", "problems"}`` naming the field and the bad value, or under
``/open311/v2`` the spec's error list, limits (413, 429, 503) included. HTML answers carry a
CSP whose nonce, fresh per response, is the only way an inline script or style runs.
"""

from __future__ import annotations

import gc
import html
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from api.errors import error_json, install_errors, limit_response
from api.open311 import PREFIX as OPEN311_PREFIX
from api.open311 import error_response, format_of, is_open311
from api.params import CSP_NONCE, csp_nonce
from gridgov import __version__
from gridgov._errors import ExtraMissingError
from gridgov.issues.access import hash_token
from gridgov.issues.service import IssueService

__all__ = [
    "HEAVY_PATHS",
    "HEAVY_WAIT_S",
    "MAX_BODY_BYTES",
    "MAX_HEAVY",
    "HeavyLimit",
    "create_app",
    "csp",
]

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

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        larger: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.limit = limit
        # (POST path pattern, limit): the few routes that take files (photos)
        self.larger = tuple(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next(
            (n for p, n in self.larger if scope.get("method") == "POST" and p.fullmatch(path)),
            self.limit,
        )
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = limit_response(path, 413, "too_large", f"request body over {limit} bytes")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = limit + 1
            if declared > limit:
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
            if seen > limit:
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


#: Heavy requests one worker serves at once; more wait :data:`HEAVY_WAIT_S`, then get 503.
MAX_HEAVY = 4

#: How long a heavy request waits for a free slot before it is answered 503.
HEAVY_WAIT_S = 1.0

#: GET paths whose answer reads many issues or events at once: the statistics, the map
#: layers and Open311's request lists. A year of a county is seconds of CPU and hundreds
#: of MB for a few of these, so they are counted apart from the cheap reads.
HEAVY_PATHS = (
    re.compile(r"/statistics"),
    re.compile(r"/layers/[^/]+\.geojson"),
    re.compile(re.escape(OPEN311_PREFIX) + r"/requests\.[^/]+"),
)


class HeavyLimit:
    """At most ``limit`` heavy requests (:data:`HEAVY_PATHS`) in this worker at once.

    One more waits up to ``wait_s`` for a slot, then gets 503 with ``Retry-After`` in the
    shape of the app's other limits (:func:`~api.errors.limit_response`): a burst of
    county-wide statistics or layers must leave the worker its memory and its threads
    for raising and handling issues. A slot is held until the answer is sent and given
    back however the request ends, errors included. The count is shared by every event
    loop and thread of the process, and waiting never blocks a thread.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_HEAVY,
        wait_s: float = HEAVY_WAIT_S,
        retry_after_s: int = 1,
    ) -> None:
        self.app = app
        self.limit = limit
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self.running = 0
        self._lock = threading.Lock()

    @staticmethod
    def heavy(scope: Scope) -> bool:
        """Whether the request is one :data:`HEAVY_PATHS` names."""
        path = scope.get("path", "")
        return scope.get("method") == "GET" and any(p.fullmatch(path) for p in HEAVY_PATHS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or not self.heavy(scope):
            await self.app(scope, receive, send)
            return
        if not await self._acquire():
            response = limit_response(
                scope.get("path", ""),
                503,
                "busy",
                f"more than {self.limit} heavy requests (statistics, map layers, Open311 "
                "lists) at once; try again shortly",
                {"Retry-After": str(self.retry_after_s)},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.running -= 1

    def _take(self) -> bool:
        with self._lock:
            if self.running >= self.limit:
                return False
            self.running += 1
            return True

    async def _acquire(self) -> bool:
        # polled, not a semaphore: the slots are shared by every event loop of the process
        # (a test client runs one per thread), and a sleeping poll holds no thread
        deadline = time.monotonic() + self.wait_s
        pause_s = 0.002
        while not self._take():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await anyio.sleep(min(pause_s, left))
            pause_s = min(2 * pause_s, 0.05)
        return True


def csp(nonce: str, *, styles: Sequence[str] = ()) -> str:
    """What an HTML page may load and who may frame it: only the service itself (the QR
    pages and the API docs are self-contained), never a frame of another site; inline
    scripts and styles only where they carry this response's ``nonce``, so text that
    slips into a page unescaped can never run or restyle it. ``styles``: more sources
    for ``style-src`` (the hashes of fixed inline styles a page cannot put a nonce on)."""
    style_src = " ".join(("'self'", f"'nonce-{nonce}'", *styles))
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src {style_src}; "
        "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


_HTML_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class WebHeaders:
    """Browser defences on every answer: ``nosniff`` everywhere; a CSP (:func:`csp`, its
    nonce drawn per request and handed to the route, :func:`api.params.csp_nonce`),
    frame denial and no referrer on HTML. A route may send its own CSP; none does. HEAD is
    answered wherever GET is (the GET's headers, no body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        nonce = secrets.token_urlsafe(16)  # 128 bits, fresh for every response
        scope = {**scope, "state": {**(scope.get("state") or {}), CSP_NONCE: nonce}}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                kind = dict(headers).get(b"content-type", b"")
                extra = [(b"x-content-type-options", b"nosniff")]
                if kind.startswith(b"text/html"):
                    extra += [(b"content-security-policy", csp(nonce).encode()), *_HTML_HEADERS]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _docs(app: FastAPI) -> None:
    """``/docs`` and ``/redoc`` from assets shipped in the ``fastapi-offline`` package:
    a CDN is out of reach on a government intranet, and the page stays blank."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    try:
        import fastapi_offline
    except ImportError as exc:  # pragma: no cover - part of the api extra
        raise ExtraMissingError("api", "the API docs (/docs)") from exc

    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_STATIC, StaticFiles(directory=static), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        )
        # the one inline script starts Swagger UI; the bundle itself is a file
        return _with_nonce(page, csp_nonce(request))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        # not FastAPI's page: its <redoc> element cannot pass ReDoc the nonce (browsers
        # hide a nonce attribute from scripts), Redoc.init can
        nonce = csp_nonce(request)
        page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(app.title)} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="shortcut icon" href="{DOCS_STATIC}/favicon.png">
<style nonce="{nonce}">body {{ margin: 0; padding: 0; }}</style></head>
<body><div id="redoc"></div>
<script src="{DOCS_STATIC}/redoc.standalone.js"></script>
<script nonce="{nonce}">
Redoc.init({json.dumps(openapi_url)}, {{nonce: document.currentScript.nonce}},
           document.getElementById("redoc"));
</script></body></html>"""
        policy = csp(nonce, styles=REDOC_STYLE_HASHES)
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})


#: The two styles ReDoc 2.5 (fastapi-offline's bundle) inserts while its script loads,
#: before ``Redoc.init`` hands it the nonce: an empty one it fills through the CSSOM, and a
#: fixed sheet. Allowed by hash on ``/redoc`` only; a new bundle with other sheets shows
#: as CSP errors in the browser test (tests/api/test_csp.py).
REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)


def _with_nonce(page: HTMLResponse, nonce: str) -> HTMLResponse:
    """FastAPI's docs page with ``nonce`` on its inline ``<script>`` (those without
    ``src``)."""
    text = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
    return HTMLResponse(text, status_code=page.status_code)


#: Where the docs' scripts and styles are served from.
DOCS_STATIC = "/docs-static"


class Scheduler:
    """Applies deadlines every ``interval_s`` seconds in a background thread, then brings
    the statistics' per-issue facts up to date."""

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
            try:
                # keep the statistics' per-issue facts current between calls, so a
                # /statistics after a busy hour recomputes nothing (a few counts when idle)
                from gridgov.issues.stats import refresh_facts

                refresh_facts(self.service.store, self.service.settings)
            except Exception:
                log.exception("refreshing the statistics facts failed; will retry")

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
    max_heavy: int = MAX_HEAVY,
    heavy_wait_s: float = HEAVY_WAIT_S,
    notify: bool | None = None,
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
    max_heavy : int
        Heavy requests (:data:`HEAVY_PATHS`: statistics, map layers, Open311 lists) served
        at once by this worker (0: no limit); one more waits ``heavy_wait_s`` seconds for
        a slot, then gets 503 with ``Retry-After``.
    heavy_wait_s : float
        How long a heavy request waits for a slot.
    notify : bool, optional
        Run the notices' delivery worker (:mod:`gridgov.notify.worker`) in a thread;
        default: when the scheduler runs (``tick_interval_s > 0``).

    The service keeps idempotency records for its ``settings.idempotency_hours``.
    """
    from api import web
    from api.routes import analytics, issues, open311, places, public
    from api.routes import handoff as handoff_routes
    from api.routes import intake as intake_routes
    from api.web import field as web_field
    from api.web import photos as web_photos
    from api.web import public as web_public
    from api.web.screens import install_screens

    scheduler = Scheduler(service, tick_interval_s)
    notifier = None  # the notices' delivery worker (gridgov.notify), beside the scheduler
    if notify or (notify is None and tick_interval_s > 0):
        from gridgov.notify.worker import NotifyWorker

        notifier = NotifyWorker.for_service(service)
    # the hand-off to the platform above (settings.handoff_url; off by default)
    from gridgov.issues.handoff import HandoffPoller

    handoff = HandoffPoller(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What is loaded by now (the libraries, the workspace: ~190,000 objects) lives as
        # long as the worker, and every full collection walked it all with the worker
        # stalled: 129 ms a time, once in every few thousand requests, which was the
        # dispatch preview's p99 at 200/s (bench/README). Frozen, a full collection
        # walks only what came after; thawed when the app stops. (No collection first:
        # 129 ms for every app a test starts; what garbage there is waits for the thaw.)
        gc.freeze()
        scheduler.start()
        handoff.start()
        if notifier is not None:
            notifier.start()
        try:
            yield
        finally:
            if notifier is not None:
                notifier.stop()
            scheduler.stop()
            handoff.stop()
            gc.unfreeze()

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
    app.state.notifier = notifier
    app.state.handoff = handoff
    install_errors(app)
    app.include_router(issues.router, prefix="/issues", tags=["issues"])
    app.include_router(places.router, tags=["stations, deputies, grids"])
    app.include_router(analytics.router, tags=["analytics"])
    app.include_router(public.router, prefix="/public", tags=["public (QR)"])
    app.include_router(web_public.router, prefix="/public", tags=["public (QR)"])
    app.include_router(web_photos.router, tags=["photos"])
    app.include_router(open311.router, prefix=OPEN311_PREFIX, tags=["Open311 GeoReport v2"])
    app.include_router(handoff_routes.router, tags=["platform above"])
    app.include_router(intake_routes.router, tags=["platform above"])

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "county": service.ws.meta.get("county_code", ""),
        }

    _docs(app)
    web.install(app)
    install_screens(app)

    app.add_middleware(HeavyLimit, limit=max_heavy, wait_s=heavy_wait_s)  # innermost
    app.add_middleware(NoNul)
    app.add_middleware(
        RateLimit,
        rate=rate_per_s,
        burst=max(1, int(rate_per_s * 2)),
        principals=app.state.principals,
        trusted_proxies=service.settings.trusted_proxies,
    )
    app.add_middleware(
        BodyLimit,
        limit=max_body_bytes,
        larger=web_photos.UPLOAD_LIMITS + web_field.UPLOAD_LIMITS,
    )
    app.add_middleware(WebHeaders)
    return app
