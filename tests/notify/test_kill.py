"""A delivery worker killed mid-batch loses nothing: ``gridgov notify run`` as a process.

Issues are raised into the store; ``gridgov notify run`` (a real process, as systemd
runs it) plans and sends their notices to a slow receiver and gets SIGKILL in the middle
of a batch. A second ``gridgov notify run`` on the same store then finishes the work once
the dead worker's lease is over, and stops on SIGTERM. Every notice must have reached the
receiver (at least once: the batch in flight when the first died may arrive twice, and the
receiver can tell by the idempotency key), and the store must have every notice sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SMS_SECRET, HTTPReceiver, grids_of

from gridgov import io
from gridgov.issues.lifecycle import Actor
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import Workspace
from gridgov.settings import load_settings
from gridgov.store.outbox import outbox_store

ISSUES = 12
LEASE_S = 3


@pytest.fixture(scope="module")
def workspace(county: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "county.gpkg"
    io.write_workspace(county, path)
    return path


@pytest.fixture(params=["sqlite", "postgis"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "issues.sqlite")
    return str(request.getfixturevalue("pg_schema")())


def _settings_file(path: Path, url: str) -> Path:
    path.write_text(
        f"""
[notify]
quiet_hours = ""
lease_s = {LEASE_S}
batch = 20
poll_s = 0.1
backoff_s = 0.5

[notify.channels.sms]
type = "sms"
url = "{url}/sms"
app_key = "huarong"
secret_env = "GG_TEST_SMS_SECRET"
timeout_s = 0.5

[notify.channels.station_robot]
type = "wecom"
url = "{url}/wecom?key=abc"
units = ["station:*"]
timeout_s = 0.5
""",
        encoding="utf-8",
    )
    return path


def _worker(workspace: Path, db: str, settings: Path, log: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GG_TEST_SMS_SECRET=SMS_SECRET)
    cmd = [sys.executable, "-m", "gridgov", "notify", "run", str(workspace), "--db", db,
           "--settings", str(settings)]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


@pytest.mark.slow  # two worker processes starting: about 25 s
def test_worker_killed_mid_batch_loses_nothing(
    workspace: Path,
    db: str,
    http: HTTPReceiver,
    tmp_path: Path,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    settings = _settings_file(tmp_path / "settings.toml", url)
    service = IssueService.open(workspace, db, settings=load_settings(settings))
    try:
        grids = sorted(service.grid_station)
        for n in range(ISSUES):
            p = (
                grids_of(service.ws)
                .set_index("code")
                .loc[grids[n], "geometry"]
                .representative_point()
            )
            data = NewIssue(category="road", description=f"路灯损坏{n}", lon=p.x, lat=p.y)
            service.raise_issue(data, Actor("grid_worker", grids[n], "网格员"))
        http.delay_s = 0.05  # slow: a batch of 20 takes a second

        log = (tmp_path / "worker.log").open("wb")
        first = _worker(workspace, db, settings, log)
        procs.append(first)
        deadline = time.monotonic() + 60
        while len(http.accepted) < 10:  # mid-batch: some sent, the rest of the batch not
            assert first.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        outbox = outbox_store(service.store)
        assert outbox.counts()["pending"] > 0  # it died with work left

        second = _worker(workspace, db, settings, log)
        procs.append(second)
        deadline = time.monotonic() + 60 + LEASE_S
        while True:
            counts = outbox.counts()
            if counts["pending"] == 0 and counts["backlog"] == 0:
                break
            assert second.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, f"notices left: {counts}"
            time.sleep(0.1)
        second.send_signal(signal.SIGTERM)  # systemd's stop: ends after the pass in hand
        assert second.wait(timeout=20) == 0

        sent = outbox.notices(state="sent", limit=10_000)
        assert len(sent) >= ISSUES * 4  # deputies, station admin's robot at least
        keys = {n.idem_key for n in sent}
        assert keys == set(http.accepted)  # every notice arrived, none unknown
        twice = [k for k, c in http.accepted.items() if c > 1]
        assert len(twice) <= 20  # at most the batch the first worker died in
    finally:
        service.store.close()
