"""催办, 延期 and the hand-off records as pure lifecycle transitions (the clock passed in)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gridgov._errors import ConflictError, ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    ApproveExtension,
    Assign,
    DispatchDeputies,
    Escalate,
    HandOff,
    HandOffFailed,
    Issue,
    Locate,
    PlatformUpdate,
    Rate,
    RefuseExtension,
    Remind,
    RequestExtension,
    Resolve,
    Transfer,
    TransitionError,
    apply,
    due_action,
    new_issue,
    three_knows,
)
from gridgov.issues.stats import issue_facts
from gridgov.model import IssueStatus
from gridgov.settings import Settings

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
WORKER = Actor("grid_worker", "G1", "张网格")
DEPUTY = Actor("deputy", "D1", "李代表")
TOWNSHIP = Actor("township_staff", "430623101", "东山镇人大主席团")
PLATFORM = Actor("external", "12345", "12345热线")
S = Settings()


def _at_station() -> tuple[Issue, list]:
    issue, log = new_issue(
        issue_id="20261123-000000000001", category="road", description="村道塌陷",
        lon=112.5, lat=29.5, actor=WORKER, now=T0,
    )  # fmt: skip
    events = list(log)
    for action in (
        Locate("G1", "V1", "430623101"),
        Assign("station:S1", "station", "东山站", station_id="S1", township_code="430623101"),
        DispatchDeputies(("D1", "D2")),
    ):
        issue, more = apply(issue, action, actor=WORKER, now=T0)
        events += more
    return issue, events


def test_reminder_goes_to_the_dispatched_deputies_then_the_responsible_person() -> None:
    issue, _ = _at_station()
    reminded, (ev,) = apply(issue, Remind("请尽快到现场"), actor=TOWNSHIP, now=T0)
    assert ev.kind == "reminded" and ev.data["handlers"] == ["D1", "D2"]
    assert ev.data["note"] == "请尽快到现场" and ev.actor_id == "430623101"
    # the state is unchanged: a reminder presses, it does not move the issue
    assert reminded.status is issue.status and reminded.resolve_due == issue.resolve_due
    assert reminded.reminders == 1 and reminded.reminded_at == T0
    taken, _ = apply(reminded, Acknowledge(), actor=DEPUTY, now=T0 + timedelta(hours=2))
    _, (again,) = apply(taken, Remind(), actor=TOWNSHIP, now=T0 + timedelta(hours=2))
    assert again.data["handlers"] == ["D1"]


def test_a_second_reminder_within_the_interval_is_refused() -> None:
    issue, _ = _at_station()
    issue, _ = apply(issue, Remind(), actor=TOWNSHIP, now=T0)
    with pytest.raises(ConflictError, match="reminded at 2026-11-23 09:00"):
        apply(issue, Remind(), actor=TOWNSHIP, now=T0 + timedelta(minutes=59))
    issue, _ = apply(issue, Remind(), actor=TOWNSHIP, now=T0 + timedelta(hours=1))
    assert issue.reminders == 2


def test_remind_only_while_someone_handles_it() -> None:
    issue, _ = _at_station()
    done, _ = apply(issue, Resolve("已修复"), actor=DEPUTY, now=T0)
    with pytest.raises(TransitionError, match="'remind'"):
        apply(done, Remind(), actor=TOWNSHIP, now=T0)


def test_approved_extension_moves_the_deadline_the_scheduler_and_statistics_read() -> None:
    issue, log = _at_station()
    issue, more = apply(issue, Acknowledge(), actor=DEPUTY, now=T0 + timedelta(hours=1))
    log += more
    due = issue.resolve_due
    assert due == T0 + timedelta(hours=72)
    asked, (ev,) = apply(
        issue, RequestExtension(48, "需等待交通局派工"), actor=DEPUTY, now=T0 + timedelta(hours=10)
    )
    assert ev.kind == "extension_requested" and ev.data["hours"] == 48.0
    assert asked.extension_pending and asked.resolve_due == due  # not moved until approved
    approved, (ok,) = apply(
        asked, ApproveExtension("同意"), actor=TOWNSHIP, now=T0 + timedelta(hours=20)
    )
    assert approved.resolve_due == due + timedelta(hours=48)
    assert not approved.extension_pending
    assert ok.kind == "extension_approved"
    assert ok.data["due_from"] == due.isoformat()
    assert ok.data["due"] == (due + timedelta(hours=48)).isoformat()
    assert ok.data["requested_by"] == "D1" and ok.data["request_reason"] == "需等待交通局派工"
    # past the old deadline the issue is not due; past the new one it is
    assert due_action(approved, due + timedelta(hours=1), S) is None
    assert due_action(approved, due + timedelta(hours=48), S) == "resolve"
    # resolved between the two deadlines: on time for the statistics
    log += [ev, ok]
    done, more = apply(approved, Resolve("已修复"), actor=DEPUTY, now=due + timedelta(hours=24))
    assert issue_facts(done, log + list(more), S).on_time
    # the same resolution without the extension was late
    late, late_ev = apply(issue, Resolve("已修复"), actor=DEPUTY, now=due + timedelta(hours=24))
    assert not issue_facts(late, log[:-2] + list(late_ev), S).on_time


def test_refused_extension_keeps_the_deadline_and_records_why() -> None:
    issue, _ = _at_station()
    asked, _ = apply(issue, RequestExtension(24, "材料未到"), actor=DEPUTY, now=T0)
    refused, (ev,) = apply(asked, RefuseExtension("可先行处置"), actor=TOWNSHIP, now=T0)
    assert ev.kind == "extension_refused" and ev.data["reason"] == "可先行处置"
    assert ev.data["hours"] == 24.0
    assert refused.resolve_due == issue.resolve_due and not refused.extension_pending
    with pytest.raises(ParameterError, match="reason"):
        apply(asked, RefuseExtension("  "), actor=TOWNSHIP, now=T0)


def test_extension_refusals() -> None:
    issue, _ = _at_station()
    with pytest.raises(ConflictError, match="no request for more time"):
        apply(issue, ApproveExtension(), actor=TOWNSHIP, now=T0)
    with pytest.raises(ParameterError, match="at most 720 hours"):
        apply(issue, RequestExtension(721, "太久"), actor=DEPUTY, now=T0)
    with pytest.raises(ParameterError, match="more than 0"):
        apply(issue, RequestExtension(0, "零"), actor=DEPUTY, now=T0)
    with pytest.raises(ParameterError, match="reason"):
        apply(issue, RequestExtension(12, ""), actor=DEPUTY, now=T0)
    asked, _ = apply(issue, RequestExtension(12, "雨天"), actor=DEPUTY, now=T0)
    with pytest.raises(ConflictError, match="already has a request for 12 h"):
        apply(asked, RequestExtension(24, "再加"), actor=DEPUTY, now=T0)
    # a passed deadline is escalated, not extended: neither asked nor approved after it
    after = issue.resolve_due + timedelta(seconds=1)  # type: ignore[operator]
    with pytest.raises(ConflictError, match="deadline passed at 2026-11-26 09:00"):
        apply(issue, RequestExtension(12, "晚了"), actor=DEPUTY, now=after)
    with pytest.raises(ConflictError, match="deadline passed"):
        apply(asked, ApproveExtension(), actor=TOWNSHIP, now=after)


def test_a_pending_request_lapses_when_the_issue_moves_or_closes() -> None:
    issue, _ = _at_station()
    asked, _ = apply(issue, RequestExtension(12, "雨天"), actor=DEPUTY, now=T0)
    moved, _ = apply(
        asked,
        Transfer("station:S2", "station", "西山站", "归西山站", station_id="S2"),
        actor=TOWNSHIP,
        now=T0,
    )
    assert not moved.extension_pending and moved.extension_reason == ""
    done, _ = apply(asked, Resolve("已修复"), actor=DEPUTY, now=T0)
    assert not done.extension_pending


def test_extension_survives_the_store_document() -> None:
    issue, _ = _at_station()
    asked, _ = apply(issue, RequestExtension(12, "雨天"), actor=DEPUTY, now=T0)
    back = Issue.from_json(asked.to_json())
    assert back == asked and back.extension_at == T0


def _external() -> Issue:
    issue, _ = _at_station()
    for unit, level in (("township:430623101", "township"), ("county:430623", "county")):
        issue, _ = apply(
            issue, Escalate(unit, level, unit, "resolve"), actor=Actor.system(), now=T0
        )
    issue, _ = apply(
        issue,
        Escalate("external:12345", "external", "12345热线", "resolve"),
        actor=Actor.system(),
        now=T0,
    )
    return issue


def test_hand_off_records_the_platform_id_and_its_updates() -> None:
    issue = _external()
    assert issue.level == "external" and issue.resolve_due is None
    with pytest.raises(ConflictError, match="nothing to extend"):
        apply(issue, RequestExtension(12, "平台"), actor=Actor("county_staff", "430623"), now=T0)
    sent, (ev,) = apply(issue, HandOff("12345", "R-1", "road"), actor=PLATFORM, now=T0)
    assert ev.kind == "handed_off" and ev.data["request_id"] == "R-1"
    assert sent.handoff_id == "R-1" and sent.handoffs == 1 and sent.handoff_status == "open"
    with pytest.raises(ConflictError, match="already with the platform as R-1"):
        apply(sent, HandOff("12345", "R-2"), actor=PLATFORM, now=T0)
    upd, (uev,) = apply(
        sent, PlatformUpdate("open", "已派单", "县交通运输局"), actor=PLATFORM, now=T0
    )
    assert uev.kind == "platform_updated" and uev.data["agency"] == "县交通运输局"
    assert three_knows(upd)["responsible"] == "县交通运输局"
    done, _ = apply(upd, Resolve("路面已修复"), actor=PLATFORM, now=T0)
    assert three_knows(done) == {
        "handling_unit": "12345热线",
        "responsible": "县交通运输局",
        "result": "路面已修复",
    }


def test_hand_off_records_only_at_the_external_level() -> None:
    issue, _ = _at_station()
    with pytest.raises(ConflictError, match="not at the external platform"):
        apply(issue, HandOff("12345", "R-1"), actor=PLATFORM, now=T0)
    with pytest.raises(ConflictError, match="not been handed off"):
        apply(_external(), PlatformUpdate("open"), actor=PLATFORM, now=T0)
    failed, (ev,) = apply(_external(), HandOffFailed("HTTP 400: bad code"), actor=PLATFORM, now=T0)
    assert ev.kind == "handoff_failed" and failed.handoff_error == "HTTP 400: bad code"


def test_leaving_the_platform_clears_the_hand_off_and_unsatisfied_resends_it() -> None:
    sent, _ = apply(_external(), HandOff("12345", "R-1"), actor=PLATFORM, now=T0)
    back, _ = apply(
        sent,
        Transfer("county:430623", "county", "县代表工委", "平台退回"),
        actor=PLATFORM,
        now=T0,
    )
    assert back.handoff_id == "" and back.handoffs == 1 and back.handoff_status == ""
    done, _ = apply(sent, Resolve("已修复"), actor=PLATFORM, now=T0)
    reopened, _ = apply(done, Rate("unsatisfied", "没修好"), actor=WORKER, now=T0)
    assert reopened.status is IssueStatus.IN_PROGRESS and reopened.level == "external"
    assert reopened.handoff_id == "" and reopened.handoffs == 1  # waits to be sent again


def test_replace_keeps_defaults_for_old_documents() -> None:
    # a document stored before these fields existed reads back with none pending
    issue, _ = _at_station()
    raw = {k: v for k, v in replace(issue).__dict__.items() if not k.startswith(("ext", "hand"))}
    old = Issue.from_json({**raw, "created_at": T0.isoformat(), "updated_at": T0.isoformat(),
                           "status": issue.status.value, "deputies": list(issue.deputies),
                           "acknowledge_due": None, "resolve_due": None})  # fmt: skip
    assert not old.extension_pending and old.handoff_id == "" and old.handoffs == 0
