"""The issue state machine: every transition, its events, deadlines and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov._errors import ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    Assign,
    Close,
    DispatchDeputies,
    Escalate,
    Issue,
    Locate,
    Merge,
    Rate,
    Resolve,
    Return,
    Start,
    Transfer,
    TransitionError,
    apply,
    due_action,
    new_issue,
    three_knows,
)
from gridgov.model import IssueStatus, Rating
from gridgov.settings import Settings

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
WORKER = Actor("grid_worker", "G1", "张网格")
DEPUTY = Actor("deputy", "D1", "李代表")


def _dispatched(category: str = "road") -> Issue:
    issue, _ = new_issue(
        issue_id="20261123-000000000001", category=category, description="路灯坏了",
        lon=112.5, lat=29.5, actor=WORKER, now=T0,
    )  # fmt: skip
    for action in (
        Locate("G1", "V1", "430623101"),
        Assign("station:S1", "station", "东山站", station_id="S1", township_code="430623101"),
        DispatchDeputies(("D1", "D2"), ("nearest", "second")),
    ):
        issue, _ = apply(issue, action, actor=WORKER, now=T0)
    return issue


def test_raise_to_dispatch_records_every_step_and_deadlines() -> None:
    issue, events = new_issue(
        issue_id="x", category="road", description="d", lon=1, lat=2, actor=WORKER, now=T0,
        reporter_name="王五", reporter_phone="13800000000",
    )  # fmt: skip
    assert issue.status is IssueStatus.RAISED and [e.kind for e in events] == ["raised"]
    issue = _dispatched()
    assert issue.status is IssueStatus.DISPATCHED
    assert issue.deputies == ("D1", "D2") and issue.events == 4
    s = Settings()
    assert issue.acknowledge_due == T0 + timedelta(
        hours=s.deadline_h("station", "road", "acknowledge") or 0
    )
    assert issue.resolve_due == T0 + timedelta(hours=72)


def test_full_loop_with_reopen_and_three_knows() -> None:
    issue = _dispatched()
    issue, ev = apply(issue, Acknowledge(), actor=DEPUTY, now=T0 + timedelta(hours=1))
    assert issue.responsible == "D1" and issue.responsible_name == "李代表"
    assert issue.acknowledge_due is None and ev[0].status_to == "acknowledged"
    issue, _ = apply(issue, Start("去现场"), actor=DEPUTY, now=T0 + timedelta(hours=2))
    issue, _ = apply(issue, Resolve("已修复"), actor=DEPUTY, now=T0 + timedelta(hours=5))
    assert three_knows(issue) == {
        "handling_unit": "东山站",
        "responsible": "李代表",
        "result": "已修复",
    }
    issue, ev = apply(
        issue, Rate(Rating.UNSATISFIED, "还是不亮"), actor=WORKER, now=T0 + timedelta(hours=6)
    )
    assert [e.kind for e in ev] == ["rated", "reopened"]
    assert issue.status is IssueStatus.IN_PROGRESS and issue.reopened == 1
    assert issue.resolve_due == T0 + timedelta(hours=6 + 72)
    issue, _ = apply(issue, Resolve("换了灯"), actor=DEPUTY, now=T0 + timedelta(hours=8))
    issue, ev = apply(issue, Rate("满意"), actor=WORKER, now=T0 + timedelta(hours=9))
    assert [e.kind for e in ev] == ["rated", "closed"]
    assert issue.status is IssueStatus.CLOSED and issue.closed_at == T0 + timedelta(hours=9)
    assert issue.events == 4 + 1 + 1 + 1 + 2 + 1 + 2
    assert [e.seq for e in ev] == [issue.events - 1, issue.events]


def test_refused_transitions_name_the_state() -> None:
    issue = _dispatched()
    with pytest.raises(
        TransitionError, match=r"dispatched.*'rate' is only possible when it is resolved"
    ):
        apply(issue, Rate("满意"), actor=WORKER, now=T0)
    closed, _ = apply(issue, Close("撤回"), actor=WORKER, now=T0)
    with pytest.raises(TransitionError):
        apply(closed, Resolve("x"), actor=DEPUTY, now=T0)
    with pytest.raises(ParameterError, match="result must not be empty"):
        apply(issue, Resolve("  "), actor=DEPUTY, now=T0)
    with pytest.raises(ParameterError, match="timezone-aware"):
        apply(issue, Acknowledge(), actor=DEPUTY, now=datetime(2026, 11, 23))
    with pytest.raises(ParameterError, match="itself"):
        apply(issue, Merge(issue.issue_id), actor=WORKER, now=T0)
    resolved, _ = apply(issue, Resolve("已修复"), actor=DEPUTY, now=T0)
    with pytest.raises(ParameterError, match="not a Rating") as caught:
        apply(resolved, Rate("很好"), actor=WORKER, now=T0)  # type: ignore[arg-type]
    assert (caught.value.parameter, caught.value.value) == ("rating", "很好")


def test_deadlines_escalate_and_restart_at_the_new_level() -> None:
    issue = _dispatched()
    s = Settings()
    assert due_action(issue, T0 + timedelta(hours=3.9), s) is None
    assert due_action(issue, T0 + timedelta(hours=4), s) == "acknowledge"
    issue, _ = apply(issue, Acknowledge(), actor=DEPUTY, now=T0 + timedelta(hours=1))
    assert due_action(issue, T0 + timedelta(hours=71), s) is None
    late = T0 + timedelta(hours=72)
    assert due_action(issue, late, s) == "resolve"
    up, ev = apply(
        issue,
        Escalate("township:430623101", "township", "东山镇人大主席团", "resolve", ("township_staff:430623101",)),
        actor=Actor.system(), now=late,
    )  # fmt: skip
    assert up.status is IssueStatus.ASSIGNED and up.level == "township" and up.escalations == 1
    assert up.deputies == () and up.responsible == ""
    assert up.resolve_due == late + timedelta(hours=168)
    assert (
        ev[0].data["notified"] == ["township_staff:430623101"]
        and ev[0].unit == "township:430623101"
    )


def test_category_deadline_override() -> None:
    issue = _dispatched("safety")
    assert issue.acknowledge_due == T0 + timedelta(hours=1)
    assert issue.resolve_due == T0 + timedelta(hours=24)


def test_transfer_return_merge_and_unrated_closing() -> None:
    issue = _dispatched()
    moved, ev = apply(
        issue, Transfer("station:S2", "station", "西山站", "不在本站", station_id="S2"),
        actor=Actor("station_admin", "S1"), now=T0,
    )  # fmt: skip
    assert moved.station_id == "S2" and ev[0].data == {
        "from": "station:S1",
        "to": "station:S2",
        "reason": "不在本站",
    }
    back, ev = apply(moved, Return("station:S1", "station", "东山站", "属于东山", station_id="S1"),
                     actor=Actor("station_admin", "S2"), now=T0)  # fmt: skip
    assert back.unit == "station:S1" and ev[0].kind == "returned"
    with pytest.raises(ParameterError, match="reason"):
        apply(issue, Transfer("station:S2", "station", "西山站", ""), actor=WORKER, now=T0)
    merged, ev = apply(issue, Merge("other", "重复"), actor=Actor("county_staff", "430623"), now=T0)
    assert merged.status is IssueStatus.CLOSED and merged.merged_into == "other"
    done, _ = apply(issue, Resolve("ok"), actor=DEPUTY, now=T0)
    s = Settings()
    assert due_action(done, T0 + timedelta(hours=s.rating_window_h - 1), s) is None
    assert due_action(done, T0 + timedelta(hours=s.rating_window_h), s) == "rating"


def test_anonymous_report_keeps_no_identity_and_json_round_trip() -> None:
    issue, _ = new_issue(
        issue_id="a", category="dispute", description="纠纷", lon=1, lat=2, actor=WORKER, now=T0,
        reporter_name="王五", reporter_phone="13800000000", anonymous=True,
    )  # fmt: skip
    assert issue.reporter_name == "" and issue.reporter_phone == ""
    full = _dispatched()
    assert Issue.from_json(full.to_json()) == full
