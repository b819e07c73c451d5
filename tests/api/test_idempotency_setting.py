"""How long the service remembers an ``Idempotency-Key`` is the county's setting
(``idempotency_hours``), read from its settings file and bounded like every other."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridgov._errors import ValidationError
from gridgov.issues.access import create_token
from gridgov.issues.service import IssueService
from gridgov.model import Workspace
from gridgov.settings import Settings, load_settings
from gridgov.store.sqlite import SQLiteStore
from tests.api.conftest import START


@pytest.mark.parametrize("toml, reused", [("idempotency_hours = 2\n", False), ("", True)])
def test_the_setting_decides_how_long_a_key_is_remembered(
    demo_ws: Workspace, tmp_path: Path, toml: str, reused: bool
) -> None:
    path = tmp_path / "county.toml"
    path.write_text(toml, encoding="utf-8")
    settings = load_settings(path)
    assert settings.idempotency_hours == (48.0 if reused else 2.0)
    clock = [START]
    store = SQLiteStore(tmp_path / "issues.sqlite")
    service = IssueService(demo_ws, store, settings=settings, clock=lambda: clock[0])
    county = str(demo_ws.county["code"].iloc[0])
    token = create_token(store, demo_ws, role="county_staff", subject=county, now=START)
    staff = {"Authorization": f"Bearer {token}"}
    assert demo_ws.grids is not None
    point = demo_ws.grids.geometry.iloc[0].representative_point()
    body = {"category": "road", "description": "村道路面塌陷", "lon": point.x, "lat": point.y}
    key = {"Idempotency-Key": "raise-0001"}
    try:
        with TestClient(create_app(service, tick_interval_s=0, rate_per_s=0)) as client:
            first = client.post("/issues", json=body, headers={**staff, **key})
            assert first.status_code == 201, first.text
            clock[0] += timedelta(hours=3)  # past 2 hours, well inside 48
            other = {**body, "description": "另一处路面塌陷"}
            again = client.post("/issues", json=other, headers={**staff, **key})
    finally:
        store.close()
    if reused:  # still remembered: the key names the first request, not this one
        assert again.status_code == 422 and again.json()["error"] == "idempotency_key_reused"
    else:  # forgotten after 2 hours: a new issue
        assert again.status_code == 201, again.text
        assert again.json()["issue"]["issue_id"] != first.json()["issue"]["issue_id"]


@pytest.mark.parametrize("value", ["0", "0.5", "721", "-48", "nan", "inf", '"48"', "true"])
def test_a_lifetime_outside_1_to_720_hours_is_refused_by_name(tmp_path: Path, value: str) -> None:
    path = tmp_path / "county.toml"
    path.write_text(f"idempotency_hours = {value}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    assert [p.field for p in caught.value.problems] == ["idempotency_hours"]
    assert "county.toml" in str(caught.value)


def test_the_bounds_hold_in_code_too() -> None:
    assert Settings(idempotency_hours=1).idempotency_hours == 1
    assert Settings(idempotency_hours=720.0).idempotency_hours == 720.0
    with pytest.raises(ValidationError, match="idempotency_hours"):
        Settings(idempotency_hours=0.25)
