"""Pages in a real browser: the demo county served by uvicorn on 127.0.0.1 and Playwright
driving the system Chromium (never a downloaded browser) with the network cut off except
the service itself.

``server`` is a :class:`World` (tests/api/conftest.py) whose app listens on a free port;
``browser`` is one Chromium per session; ``page_at(size)`` opens a fresh context (cookies
empty) at ``"phone"`` (360×740) or ``"desktop"`` (1920×1080) that fails the test on a
console error. Screenshots go to ``$GRIDGOV_ARTIFACTS`` (default ``tests-artifacts/``).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")

from _web import Served  # noqa: E402

from gridgov import io, synth  # noqa: E402
from gridgov.model import Workspace  # noqa: E402

# The API tests' world (store, service, app, a clock and a token per role), reused as is.
_spec = importlib.util.spec_from_file_location(
    "gridgov_tests_api_world", Path(__file__).parent.parent / "api" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
api_world = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = api_world
_spec.loader.exec_module(api_world)
World = api_world.World
SECRET = api_world.SECRET

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1920, "height": 1080}}


@pytest.fixture(autouse=True)
def _tracking_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDGOV_SECRET", SECRET)


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder: Path = tmp_path_factory.mktemp("web-ws")
    io.write_workspace(synth.demo_county(seed=2024), folder / "county.gpkg")
    return io.read_workspace(folder / "county.gpkg")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(demo_ws: Workspace, tmp_path: Path) -> Iterator[Served]:
    import uvicorn

    with api_world.make_world(demo_ws, tmp_path) as w:
        port = _free_port()
        srv = uvicorn.Server(
            uvicorn.Config(w.client.app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        for _ in range(200):
            if srv.started:
                break
            time.sleep(0.025)
        else:
            raise RuntimeError("uvicorn did not start")
        try:
            yield Served(w, f"http://127.0.0.1:{port}")
        finally:
            srv.should_exit = True
            thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                # nothing but the service: every proxied request and name lookup fails
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>;127.0.0.1",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_at(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``page_at("phone", **context_options)``: a fresh page; console errors and requests
    leaving 127.0.0.1 fail the test when it ends."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(size: str = "phone", **options: Any) -> Any:
        ctx = browser.new_context(viewport=SIZES[size], locale="zh-CN", **options)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on(
            "console",
            lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))

        def outside(route: Any) -> None:
            errors.append(f"request left the service: {route.request.url}")
            route.abort()

        page.route(lambda url: not url.startswith("http://127.0.0.1"), outside)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
    assert not errors, "\n".join(errors)
