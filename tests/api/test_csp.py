"""HTML answers run only the inline scripts and styles the service wrote: the CSP names a
nonce fresh for every response instead of ``'unsafe-inline'``, and every inline
``<script>`` and ``<style>`` of the QR pages and the API docs carries it."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi.responses import HTMLResponse

from gridgov.model import Workspace
from tests.api.conftest import SECRET, World

_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'([a-zA-Z-]+)="([^"]*)"')


def _pages(world: World) -> list[str]:
    deputy = world.places.deputy_a
    return [
        f"/public/stations/{world.places.station_a}",
        f"/public/deputies/{deputy}",
        "/docs",
        "/redoc",
    ]


def _policy(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def test_html_pages_allow_only_their_nonce(world: World) -> None:
    for url in _pages(world):
        r = world.call("GET", url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), url
        policy = _policy(r.headers["content-security-policy"])
        nonces = [s for s in policy["script-src"] if s.startswith("'nonce-")]
        assert len(nonces) == 1, (url, policy["script-src"])
        nonce = nonces[0][len("'nonce-") : -1]
        assert len(nonce) >= 22  # 128 bits
        for directive in ("script-src", "style-src", "default-src"):
            assert "'unsafe-inline'" not in policy[directive], (url, directive)
            assert "'unsafe-eval'" not in policy[directive], (url, directive)
        assert f"'nonce-{nonce}'" in policy["style-src"], url
        tags = _TAG.findall(r.text)
        assert any(kind.lower() == "script" for kind, _ in tags), url
        for kind, attrs in tags:
            found = dict(_ATTR.findall(attrs))
            if "src" in found:  # a file of the service itself
                assert found["src"].startswith("/") and not found["src"].startswith("//"), url
            else:
                assert found.get("nonce") == nonce, (url, kind, attrs)
        # inline handlers and style attributes cannot carry a nonce: there must be none
        assert not re.search(r"\son[a-z]+\s*=", r.text), url
        assert not re.search(r"\sstyle\s*=", r.text), url


def test_every_response_draws_a_new_nonce(world: World) -> None:
    url = f"/public/stations/{world.places.station_a}"
    seen = {
        _policy(world.call("GET", url).headers["content-security-policy"])["script-src"][1]
        for _ in range(3)
    }
    assert len(seen) == 3


def test_only_redoc_allows_its_fixed_styles_by_hash(world: World) -> None:
    from api.app import REDOC_STYLE_HASHES

    redoc = _policy(world.call("GET", "/redoc").headers["content-security-policy"])
    assert set(REDOC_STYLE_HASHES) <= set(redoc["style-src"])
    assert not any(s.startswith("'sha256-") for s in redoc["script-src"])
    other = world.call("GET", f"/public/stations/{world.places.station_a}")
    assert "sha256-" not in other.headers["content-security-policy"]


# --- in a browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(
    demo_ws: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    world_factory: Callable[[Workspace, Path], AbstractContextManager[World]],
) -> Iterator[tuple[World, str]]:
    """The app on a local port, with one page that breaks the CSP (the control)."""
    pytest.importorskip("uvicorn")
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as env:  # the autouse secret is per test; this is not
        env.setenv("GRIDGOV_SECRET", SECRET)
        with world_factory(demo_ws, tmp_path_factory.mktemp("csp")) as world:
            yield from _serve(world)


def _serve(world: World) -> Iterator[tuple[World, str]]:
    """Serve the world's app on a free local port until the module is done."""
    uvicorn = pytest.importorskip("uvicorn")
    app = world.client.app

    @app.get("/csp-control", include_in_schema=False)  # type: ignore[attr-defined]
    def control() -> HTMLResponse:
        return HTMLResponse("<!doctype html><p>x</p><script>document.title='ran'</script>")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        yield world, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _render(url: str, profile: Path) -> tuple[str, list[str]]:
    """The DOM Chromium ends with, and its console's CSP messages about scripts and styles."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium is not None
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-extensions", f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>;127.0.0.1",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000", "--dump-dom", url,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    refused = [
        line
        for line in done.stderr.splitlines()
        if "Content Security Policy" in line and ("script-src" in line or "style-src" in line)
    ]
    return done.stdout, refused


def test_pages_render_in_chromium_without_csp_violations(
    served: tuple[World, str], tmp_path: Path
) -> None:
    world, base = served
    # the control: a script without the nonce is refused, and the browser says so
    dom, refused = _render(f"{base}/csp-control", tmp_path / "p0")
    assert "<title>ran</title>" not in dom and refused, "no CSP report seen from Chromium"
    expect = {"/public/stations/": "码上提建议", "/public/deputies/": "<h1>", "/docs": "opblock",
              "/redoc": "api-content"}  # fmt: skip
    for n, page in enumerate(_pages(world)):
        dom, refused = _render(base + page, tmp_path / f"p{n + 1}")
        assert not refused, (page, refused)
        marker = next(v for k, v in expect.items() if page.startswith(k))
        assert marker in dom, (page, dom[:1000])
