"""``gridgov serve --workers 2``: two uvicorn worker processes on one port and one SQLite
store; every acknowledged issue is stored exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
psutil = pytest.importorskip("psutil")

from gridgov import io, synth  # noqa: E402
from gridgov.cli import main  # noqa: E402
from gridgov.issues.access import create_token  # noqa: E402
from gridgov.issues.lifecycle import utcnow  # noqa: E402
from gridgov.store.sqlite import SQLiteStore  # noqa: E402
from gridgov.testing import free_port, wait_for_health  # noqa: E402


def test_two_workers_share_one_store(tmp_path: Path) -> None:
    ws = synth.demo_county(seed=2024)
    workspace = tmp_path / "county.gpkg"
    io.write_workspace(ws, workspace)
    store = SQLiteStore(tmp_path / "county.issues.sqlite")
    county = str(ws.county["code"].iloc[0])
    token = create_token(store, ws, role="county_staff", subject=county, now=utcnow())
    store.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", str(workspace), "--port", str(port),
         "--workers", "2", "--tick", "0", "--rate", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process=server, timeout_s=120, log=lambda: server.stderr.read())
        # uvicorn's supervisor and its two worker processes
        workers = psutil.Process(server.pid).children()
        assert len(workers) >= 2, [w.cmdline() for w in workers]
        points = [g.representative_point() for g in ws.grids.geometry[:30]]
        acked: list[str] = []
        lock = threading.Lock()

        def client(c: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                for j in range(10):
                    p = points[(c * 10 + j) % len(points)]
                    body = {
                        "category": "road",
                        "description": f"路面 {c}-{j}",
                        "lon": p.x,
                        "lat": p.y,
                    }
                    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{c}-{j}"}
                    r = http.post("/issues", json=body, headers=headers)
                    assert r.status_code == 201, r.text
                    with lock:
                        acked.append(r.json()["issue"]["issue_id"])

        threads = [threading.Thread(target=client, args=(c,)) for c in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(acked) == 60 == len(set(acked))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    store = SQLiteStore(tmp_path / "county.issues.sqlite")
    assert store.count() == 60
    store.close()


def test_workers_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", str(tmp_path / "county.gpkg"), "--workers", "0"])
    assert code == 2
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err
