"""``gridgov serve`` sends notices: the worker runs in the app's lifespan, beside the
deadline scheduler, and stops with it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import Clock, HTTPReceiver, grids_of, notify_table

from gridgov.issues.lifecycle import Actor, utcnow
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import Workspace
from gridgov.settings import Settings
from gridgov.store.sqlite import SQLiteStore

pytest.importorskip("fastapi")


@pytest.mark.usefixtures("secrets_env")
def test_the_service_delivers_notices_while_it_runs(
    county: Workspace, http: HTTPReceiver, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    store = SQLiteStore(tmp_path / "issues.sqlite")
    settings = Settings(notify=notify_table(url, poll_s=0.05))
    service = IssueService(county, store, settings=settings, secret=b"k", clock=Clock(utcnow()))
    app = create_app(service, tick_interval_s=0, notify=True)
    assert create_app(service, tick_interval_s=0).state.notifier is None  # off with the ticks
    grid = sorted(service.grid_station)[0]
    p = grids_of(county).set_index("code").loc[grid, "geometry"].representative_point()
    with TestClient(app):
        issue = service.raise_issue(
            NewIssue(category="road", description="桥面裂缝", lon=p.x, lat=p.y),
            Actor("grid_worker", grid, "网格员"),
        ).issue
        deadline = time.monotonic() + 20
        while len(http.on("/sms")) < len(issue.deputies) + 1:
            assert time.monotonic() < deadline, "no notices from the running service"
            time.sleep(0.05)
        assert app.state.notifier._thread is not None
    assert app.state.notifier._thread is None  # stopped with the app
    store.close()
