"""``/docs`` renders Swagger UI with gridgov's operations in a browser that cannot reach
the network (a county intranet): its scripts and styles come from the service itself."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_docs_render_offline_in_chromium(world: World, tmp_path: Path) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
            # no network but the service: every proxied request and every name lookup
            # fails; the service is reached by its address, which bypasses both
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>;127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1400,950",
            "--virtual-time-budget=8000",
        ]  # fmt: skip
        url = f"http://127.0.0.1:{port}/docs"
        shot = tmp_path / "docs.png"
        done = subprocess.run(
            [*cmd, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False
        )
        dom, err = done.stdout, done.stderr
        subprocess.run(
            [*cmd, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=False
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "swagger-ui" in dom and "opblock" in dom, (server.started, dom[:2000], err[-3000:])
    for path in ("/issues", "/open311/v2/requests.{fmt}", "/public/stations/{station_id}"):
        assert f'data-path="{path}"' in dom, path
    assert "authorize" in dom.lower()  # the bearer token's button
    assert shot.exists() and shot.stat().st_size > 20_000
