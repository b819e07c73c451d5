"""延期: the level above hears of a request for more time, the one who asked of the answer.

Real receivers (``conftest.py``): the HTTP receiver stands for the SMS gateway and the
township's 钉钉 robot. A deputy dispatched to a station asks for more time; the township's
staff (who decide it, :func:`gridgov.issues.access.can`) get the SMS and their robot the
post, the station's own robot does not; the approval reaches the deputy who asked, with the
moved deadline, and a refusal likewise. Both stores.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from conftest import Clock, HTTPReceiver, deputies_of, grids_of, notify_table

from gridgov.issues.accounts import Account, normalise_phone
from gridgov.issues.lifecycle import (
    Actor,
    ApproveExtension,
    Issue,
    RefuseExtension,
    RequestExtension,
)
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import CHINA_TIME, Workspace
from gridgov.notify.planner import approver_unit
from gridgov.notify.worker import NotifyWorker
from gridgov.settings import Settings
from gridgov.store.accounts import account_store

pytestmark = pytest.mark.usefixtures("secrets_env")

TOWNSHIP_PHONE = "13700000002"
COUNTY_PHONE = "13700000003"


def _content(r: Any) -> str:
    body = r.json
    if "TemplateParam" in body:
        return str(json.loads(body["TemplateParam"])["content"])
    return str(body["text"]["content"])


def _setup(ws: Workspace, store: Any, http: HTTPReceiver, n: int) -> tuple[IssueService, Issue]:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    service = IssueService(
        ws, store, settings=Settings(notify=notify_table(url)), secret=b"k", clock=clock
    )
    grid = sorted(service.grid_station)[n]
    p = grids_of(ws).set_index("code").loc[grid, "geometry"].representative_point()
    data = NewIssue(category="road", description=f"桥面护栏断裂{n}处", lon=p.x, lat=p.y)
    issue = service.raise_issue(data, Actor("grid_worker", grid, "网格员")).issue
    account_store(store).add_accounts(
        [
            Account(
                login=f"xz-{issue.township_code}", name="镇人大主席团", role="township_staff",
                subject=issue.township_code, phone=TOWNSHIP_PHONE, password_hash="unused",
                created_at=clock(),
            ),
            Account(
                login="county", name="县代表工委", role="county_staff",
                subject=issue.township_code[:6], phone=COUNTY_PHONE, password_hash="unused",
                created_at=clock(),
            ),
        ]
    )  # fmt: skip
    return service, issue


def _phone(ws: Workspace, deputy_id: str) -> str:
    return normalise_phone(deputies_of(ws).set_index("deputy_id").loc[deputy_id, "phone"])


def _sms_to(http: HTTPReceiver, phone: str, since: int = 0) -> list[str]:
    return [_content(r) for r in http.requests[since:]
            if r.path == "/sms" and r.json["PhoneNumbers"] == phone]  # fmt: skip


def test_a_deputys_request_reaches_the_township_and_the_answer_reaches_the_deputy(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    service, issue = _setup(county, store, http, 0)
    assert issue.level == "station" and issue.resolve_due is not None
    worker = NotifyWorker.for_service(service)
    worker.drain()
    start = len(http.requests)
    deputy = issue.deputies[0]
    asked = Actor("deputy", deputy, "代表")
    service.act(issue.issue_id, RequestExtension(48, "需等待桥梁检测报告"), asked)
    worker.drain()

    township = _sms_to(http, TOWNSHIP_PHONE, start)
    assert len(township) == 1
    assert "延期申请" in township[0] and issue.issue_id in township[0] and "请审批" in township[0]
    due = issue.resolve_due.astimezone(CHINA_TIME).strftime("%m-%d %H:%M")
    assert due in township[0]
    # the township's robot is asked to decide; the station's robot is not the one to ask
    ding = [_content(r) for r in http.requests[start:] if r.path == "/ding"]
    assert len(ding) == 1 and "延期申请" in ding[0]
    assert not [r for r in http.requests[start:] if r.path == "/wecom"]
    # nobody at the county, and not the deputy who asked, is asked to decide
    assert not _sms_to(http, COUNTY_PHONE, start)
    assert not [t for t in _sms_to(http, _phone(county, deputy), start) if "请审批" in t]

    start = len(http.requests)
    township_staff = Actor("township_staff", issue.township_code, "镇人大主席团")
    done = service.act(issue.issue_id, ApproveExtension("同意"), township_staff)
    worker.drain()
    assert done.resolve_due == issue.resolve_due + timedelta(hours=48)
    told = _sms_to(http, _phone(county, deputy), start)
    assert len(told) == 1 and "延期批准" in told[0]
    moved = done.resolve_due.astimezone(CHINA_TIME).strftime("%m-%d %H:%M")
    assert moved in told[0] and issue.issue_id in told[0]
    # the decider is not told of their own decision by SMS
    assert not _sms_to(http, TOWNSHIP_PHONE, start)


def test_a_refusal_reaches_the_station_admin_who_asked(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    service, issue = _setup(county, store, http, 1)
    worker = NotifyWorker.for_service(service)
    worker.drain()
    admin = county.stations.set_index("station_id").loc[issue.station_id, "contact_phone"]
    service.act(
        issue.issue_id,
        RequestExtension(24, "村委会换届"),
        Actor("station_admin", issue.station_id, "站长"),
    )
    worker.drain()
    assert len(_sms_to(http, TOWNSHIP_PHONE)) == 1
    start = len(http.requests)
    service.act(
        issue.issue_id,
        RefuseExtension("时限内可以办结"),
        Actor("township_staff", issue.township_code, "镇人大主席团"),
    )
    worker.drain()
    told = _sms_to(http, admin, start)
    assert len(told) == 1 and "未获批准" in told[0]


def test_who_decides_follows_the_level() -> None:
    from dataclasses import replace

    from gridgov.issues.lifecycle import new_issue, utcnow

    issue, _ = new_issue(
        issue_id="X1", category="road", description="d", title="", address="", media_url="",
        lon=112.5, lat=29.5, actor=Actor("public"), now=utcnow(),
    )  # fmt: skip
    issue = replace(issue, township_code="430623101")
    assert approver_unit(replace(issue, level="station")) == "township:430623101"
    assert approver_unit(replace(issue, level="township")) == "county:430623"
    assert approver_unit(replace(issue, level="county")) == "county:430623"
    assert approver_unit(replace(issue, level="external")) == ""
