"""催办 and 延期 through the issue service on both stores: who may, what is stored, and the
deadline scheduler following an approved extension."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gridgov import synth
from gridgov._errors import ConflictError, ForbiddenError
from gridgov.issues.access import Principal, can
from gridgov.issues.lifecycle import (
    Acknowledge,
    ApproveExtension,
    Issue,
    Remind,
    RequestExtension,
)
from gridgov.issues.service import IssueService, NewIssue
from gridgov.issues.stats import store_summary
from gridgov.model import Workspace
from gridgov.store.base import Store
from gridgov.store.sqlite import SQLiteStore

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return synth.demo_county(seed=2024)


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        s = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=4)
    yield s
    s.close()


@pytest.fixture
def clock() -> list[datetime]:
    return [T0]


@pytest.fixture
def service(ws: Workspace, store: Store, clock: list[datetime]) -> IssueService:
    return IssueService(ws, store, secret=b"test-key", clock=lambda: clock[0])


def _raise(service: IssueService) -> Issue:
    grid = sorted(service.grid_station)[0]
    p = service.ws.grids.set_index("code").loc[grid, "geometry"].representative_point()
    data = NewIssue(category="road", description="村道路面塌陷", lon=p.x, lat=p.y)
    county = Principal("county_staff", "430623", county=True)
    return service.raise_issue(data, county.actor).issue


def _people(service: IssueService, issue: Issue) -> dict[str, Principal]:
    station = issue.station_id
    town = issue.township_code
    deputy = issue.deputies[0]
    return {
        "deputy": Principal("deputy", deputy, stations=frozenset({station})),
        "station_admin": Principal("station_admin", station, stations=frozenset({station})),
        "township_staff": Principal(
            "township_staff", town, townships=frozenset({town}), stations=frozenset({station})
        ),
        "other_township": Principal("township_staff", "000000000", townships=frozenset({"0"})),
        "county_staff": Principal("county_staff", "430623", county=True),
    }


def _as(p: Principal, verb: str) -> object:
    def check(issue: Issue) -> None:
        if not can(p, verb, issue):
            raise ForbiddenError(f"{p.role} may not {verb}")

    return check


def test_who_may_remind_ask_and_decide(service: IssueService) -> None:
    issue = _raise(service)
    who = _people(service, issue)
    allowed = {
        verb: sorted(k for k, p in who.items() if can(p, verb, issue))
        for verb in ("remind", "request_extension", "decide_extension")
    }
    assert allowed == {
        "remind": ["county_staff", "station_admin", "township_staff"],
        # the station handling it (a unit above would be deciding its own request)
        "request_extension": ["deputy", "station_admin"],
        # the level above the station: its township, or the county
        "decide_extension": ["county_staff", "township_staff"],
    }


def test_extension_moves_the_stored_deadline_and_the_scheduler_follows(
    service: IssueService, clock: list[datetime]
) -> None:
    issue = _raise(service)
    who = _people(service, issue)
    deputy = who["deputy"]
    service.act(issue.issue_id, Acknowledge(), deputy.actor, check=_as(deputy, "acknowledge"))
    due = service.store.get_issue(issue.issue_id).resolve_due
    assert due is not None
    clock[0] = due - timedelta(hours=2)
    service.act(
        issue.issue_id,
        RequestExtension(24, "等待交通局铺设沥青"),
        deputy.actor,
        check=_as(deputy, "request_extension"),
    )
    admin = who["station_admin"]
    with pytest.raises(ForbiddenError):  # the station does not approve its own request
        service.act(
            issue.issue_id, ApproveExtension(), admin.actor, check=_as(admin, "decide_extension")
        )
    town = who["township_staff"]
    stored = service.act(
        issue.issue_id, ApproveExtension("同意"), town.actor, check=_as(town, "decide_extension")
    )
    assert stored.resolve_due == due + timedelta(hours=24)
    assert service.store.get_issue(issue.issue_id).resolve_due == due + timedelta(hours=24)
    kinds = [e.kind for e in service.store.events(issue.issue_id)]
    assert kinds[-2:] == ["extension_requested", "extension_approved"]
    # the old deadline passes: nothing is due, nothing escalates
    report = service.tick(due + timedelta(hours=1))
    assert issue.issue_id not in report.escalated
    assert service.store.get_issue(issue.issue_id).level == "station"
    # the new one passes: escalated to the township as before
    report = service.tick(due + timedelta(hours=24))
    assert report.escalated == (issue.issue_id,)
    assert service.store.get_issue(issue.issue_id).level == "township"


def test_resolved_inside_an_extension_counts_as_on_time(
    service: IssueService, clock: list[datetime]
) -> None:
    from gridgov.issues.lifecycle import Resolve

    issue = _raise(service)
    deputy = _people(service, issue)["deputy"]
    town = _people(service, issue)["township_staff"]
    service.act(issue.issue_id, Acknowledge(), deputy.actor)
    due = service.store.get_issue(issue.issue_id).resolve_due
    assert due is not None
    service.act(issue.issue_id, RequestExtension(48, "雨季"), deputy.actor, now=due - timedelta(1))
    service.act(issue.issue_id, ApproveExtension(), town.actor, now=due - timedelta(hours=12))
    service.act(issue.issue_id, Resolve("已修复"), deputy.actor, now=due + timedelta(hours=12))
    end = due + timedelta(days=3)
    summary = store_summary(
        service.store, ws=service.ws, start=T0 - timedelta(1), end=end, settings=service.settings
    )
    assert summary["settled"] == 1 and summary["on_time"] == 1


def test_reminders_are_logged_and_spaced(service: IssueService, clock: list[datetime]) -> None:
    issue = _raise(service)
    town = _people(service, issue)["township_staff"]
    service.act(issue.issue_id, Remind("今天务必到场"), town.actor, check=_as(town, "remind"))
    event = service.store.events(issue.issue_id)[-1]
    assert event.kind == "reminded" and list(event.data["handlers"]) == list(issue.deputies)
    assert event.actor_role == "township_staff"
    clock[0] += timedelta(minutes=30)
    with pytest.raises(ConflictError, match="next reminder"):
        service.act(issue.issue_id, Remind(), town.actor)
    clock[0] += timedelta(minutes=30)
    assert service.act(issue.issue_id, Remind(), town.actor).reminders == 2
