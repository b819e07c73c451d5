"""Notices reach the people who must act, through real receivers, on both stores.

The HTTP receiver of ``conftest.py`` stands for the SMS gateway (``/sms``), the 企业微信
robot (``/wecom``), the 钉钉 robot (``/ding``) and a webhook (``/hook``); aiosmtpd for the
mail server. Each test raises issues through :class:`IssueService` (the events reach the
outbox by the database trigger) and runs :class:`NotifyWorker` passes.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DING_SECRET,
    HOOK_SECRET,
    SMS_SECRET,
    Clock,
    HTTPReceiver,
    SMTPReceiver,
    deputies_of,
    grids_of,
    notify_table,
)

from gridgov.issues.accounts import Account, normalise_phone
from gridgov.issues.lifecycle import Actor, Issue, Resolve, utcnow
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import Workspace
from gridgov.notify.channels import dingtalk_sign, sign_sms, sign_webhook, verify_webhook
from gridgov.notify.worker import NotifyWorker
from gridgov.settings import Settings
from gridgov.store.accounts import account_store
from gridgov.store.outbox import outbox_store

pytestmark = pytest.mark.usefixtures("secrets_env")


def _service(ws: Workspace, store: Any, clock: Clock, table: dict[str, Any]) -> IssueService:
    return IssueService(ws, store, settings=Settings(notify=table), secret=b"k", clock=clock)


def _raise(service: IssueService, n: int = 0, *, category: str = "road", **kw: Any) -> Issue:
    grids = sorted(service.grid_station)
    grid = grids[n % len(grids)]
    p = grids_of(service.ws).set_index("code").loc[grid, "geometry"].representative_point()
    data = NewIssue(
        category=category,
        description=f"村道路面塌陷{n}处，联系人电话13912345678",
        lon=float(p.x),
        lat=float(p.y),
        **kw,
    )
    return service.raise_issue(data, Actor("grid_worker", grid, "网格员")).issue


def _content(r: Any) -> str:
    """The text of a request to any of the HTTP channels."""
    body = r.json
    if "TemplateParam" in body:
        return str(json.loads(body["TemplateParam"])["content"])
    if "text" in body and isinstance(body["text"], dict):
        return str(body["text"]["content"])
    return str(body["text"])


def _phone(ws: Workspace, deputy_id: str) -> str:
    row = deputies_of(ws).set_index("deputy_id").loc[deputy_id]
    return normalise_phone(row["phone"])


def test_raised_issue_reaches_deputies_by_sms_and_the_station_robot(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    service = _service(county, store, clock, notify_table(url))
    issue = _raise(service)
    assert len(issue.deputies) == service.settings.dispatch_k

    report = NotifyWorker.for_service(service).drain()

    sms = http.on("/sms")
    by_phone = {r.json["PhoneNumbers"]: r for r in sms}
    for deputy in issue.deputies:
        got = by_phone[_phone(county, deputy)]  # every dispatched deputy, by their phone
        text = _content(got)
        assert "代表报到" in text and issue.issue_id in text
        assert got.json["TemplateCode"] == "SMS_101"  # the approved template of the kind
        assert got.json["SignName"] == "华容县人大"
        assert "139****5678" in text and "13912345678" not in text  # forwarded: masked
        assert "/field/issues/" + issue.issue_id in text
        # the gateway can check who sent it
        h = got.headers
        body = got.body
        want = sign_sms(SMS_SECRET, "huarong", h["x-sms-timestamp"], h["x-sms-nonce"], body)
        assert h["x-sms-signature"] == want and h["x-sms-appkey"] == "huarong"
        assert got.json["OutId"] == got.key  # the gateway's own dedup field
    station = issue.station_id
    admin = county.stations.set_index("station_id").loc[station, "contact_phone"]
    admin_text = _content(by_phone[admin])
    assert "派单" in admin_text and issue.issue_id in admin_text
    for deputy in issue.deputies:  # the station admin reads names, not numbers
        assert _phone(county, deputy) not in admin_text
    assert len(sms) == len(issue.deputies) + 1  # one SMS each, not one per event

    robot = http.on("/wecom")
    assert len(robot) == 1
    words = _content(robot[0])
    assert "网格吹哨" in words and issue.issue_id in words and "道路交通" in words
    names = deputies_of(county).set_index("deputy_id").loc[list(issue.deputies), "name"]
    assert all(name in words for name in names)
    assert robot[0].json["msgtype"] == "text"
    assert http.on("/ding") == []  # the township's robot hears nothing of a station's issue
    assert report.sent == len(sms) + 1 and report.dead == 0
    assert all(n == 1 for n in http.accepted.values())
    # the worker that raised it hears nothing of its own raising
    assert not any(r.recipient.startswith("grid") for r in outbox_store(store).notices())


def test_deadlines_remind_the_handler_then_tell_the_township(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    service = _service(county, store, clock, notify_table(url))
    issue = _raise(service)
    township_phone = "13700000001"
    account_store(store).add_accounts(
        [
            Account(
                login=f"xz-{issue.township_code}",
                name="镇人大主席团",
                role="township_staff",
                subject=issue.township_code,
                phone=township_phone,
                password_hash="unused",
                created_at=clock(),
            )
        ]
    )
    worker = NotifyWorker.for_service(service)
    worker.drain()
    before = len(http.requests)
    assert issue.acknowledge_due is not None

    # 即将超期: half an hour before the deadline the dispatched deputies are reminded, once
    clock.now = issue.acknowledge_due - timedelta(minutes=30)
    worker.drain()
    worker.drain()
    reminders = [r for r in http.requests[before:] if "即将超期" in _content(r)]
    phones = {r.json["PhoneNumbers"] for r in reminders}
    assert {_phone(county, d) for d in issue.deputies} <= phones
    assert len(reminders) == len(phones)

    # the deadline passes: the tick escalates, the township is told (SMS and its robot)
    clock.now = issue.acknowledge_due + timedelta(minutes=1)
    assert service.tick().escalated == (issue.issue_id,)
    worker.drain()
    told = [r for r in http.on("/sms") if r.json["PhoneNumbers"] == township_phone]
    assert len(told) == 1
    text = _content(told[0])
    assert "超期上报" in text and issue.issue_id in text and "受理" in text
    assert told[0].json["TemplateCode"] == "SMS_201"
    ding = http.on("/ding")
    assert len(ding) == 1 and "超期上报" in _content(ding[0])
    stamp, sign = ding[0].query["timestamp"][0], ding[0].query["sign"][0]
    assert sign == dingtalk_sign(DING_SECRET, int(stamp))  # parse_qs already unquoted it
    # the station it left hears that it went up
    admin = county.stations.set_index("station_id").loc[issue.station_id, "contact_phone"]
    left = [r for r in http.on("/sms") if r.json["PhoneNumbers"] == admin]
    assert any("已超期" in _content(r) for r in left)


def test_resident_hears_the_result_with_a_link_and_no_one_elses_phone(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    service = _service(county, store, clock, notify_table(url))
    lon, lat = grids_of(service.ws).geometry.iloc[3].representative_point().coords[0]
    data = NewIssue(
        category="water", description="水渠堵塞", lon=lon, lat=lat, source="qr",
        reporter_name="李四", reporter_phone="138-0000-1111",
    )  # fmt: skip
    issue = service.raise_issue(data, Actor("public")).issue
    deputy = issue.deputies[0]
    clock.advance(hours=1)
    service.act(issue.issue_id, Resolve("已清理水渠，恢复通水"), Actor("deputy", deputy, "代表"))
    NotifyWorker.for_service(service).drain()
    resident = [r for r in http.on("/sms") if r.json["PhoneNumbers"] == "13800001111"]
    assert len(resident) == 1
    text = _content(resident[0])
    assert "已清理水渠" in text and f"/public/track/{issue.issue_id}/rate" in text
    params = json.loads(resident[0].json["TemplateParam"])
    assert set(params) <= {"issue_id", "category", "status", "result", "link", "content"}
    for d in issue.deputies:
        assert _phone(county, d) not in resident[0].body.decode()
    # the link opens the resident's rating page; the same link for another issue does not
    import re

    from fastapi.testclient import TestClient

    from api import create_app

    link = re.search(r"/public/track/\S+", text)
    assert link is not None
    path = link.group(0).rstrip("。.，,")
    with TestClient(create_app(service, tick_interval_s=0)) as client:
        page = client.get(path)
        assert page.status_code == 200 and "满意" in page.text
        last = "1" if issue.issue_id.endswith("0") else "0"  # another id, same token
        other = path.replace(issue.issue_id, issue.issue_id[:-1] + last)
        assert client.get(other).status_code == 404


def test_receiver_down_then_back_every_notice_arrives_once(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    service = _service(county, store, clock, notify_table(url))
    for n in range(6):
        _raise(service, n)
    worker = NotifyWorker.for_service(service)
    http.status = 503  # the gateway and the robots are down
    first = worker.drain()
    assert first.sent == 0 and first.failed > 0 and first.dead == 0
    for _ in range(3):  # down for a while: each retry after a longer backoff
        clock.advance(minutes=2)
        assert worker.drain().sent == 0
    outbox = outbox_store(store)
    pending = outbox.notices(state="pending", limit=1000)
    assert pending and all(n.attempts == 4 for n in pending)
    assert all(n.not_before > clock() for n in pending)  # backoff: not before its time

    http.status = 200
    clock.advance(minutes=10)
    worker.drain()
    sent = outbox.notices(state="sent", limit=1000)
    assert len(sent) == len(pending)
    assert {n.idem_key for n in sent} == set(http.accepted)
    assert all(count == 1 for count in http.accepted.values())
    assert len(http.requests) > len(sent)  # the refused ones were tried before


def test_two_workers_never_send_one_notice_twice(
    county: Workspace,
    store: Any,
    http: HTTPReceiver,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    table = notify_table(url, batch=5)
    service = _service(county, store, clock, table)
    for n in range(30):
        _raise(service, n)
    http.delay_s = 0.002
    # a second store object on the same database: another process's connections
    if type(store).__name__ == "SQLiteStore":
        from gridgov.store.sqlite import SQLiteStore

        other: Any = SQLiteStore(store.path)
    else:
        from gridgov.store.postgis import PostGISStore

        other = PostGISStore(store.dsn, max_size=4)
    workers = [
        NotifyWorker.for_service(service),
        NotifyWorker(other, county, service.settings, clock=clock),
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(w: NotifyWorker) -> None:
        try:
            barrier.wait()
            w.drain()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other.close()
    assert not errors
    sent = outbox_store(store).notices(state="sent", limit=10_000)
    assert len(sent) >= 30 * 4
    assert {n.idem_key for n in sent} == set(http.accepted)
    assert max(http.accepted.values()) == 1  # nobody got anything twice
    assert len(http.requests) == len(sent)


def test_a_refused_channel_goes_to_the_dead_letters_and_is_retried(
    county: Workspace, store: Any, http: HTTPReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    from gridgov.cli import main

    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock(utcnow())  # the CLI's retry queues it for the real now
    table = notify_table(url, max_attempts=3)
    table["channels"] = {
        "city": {
            "type": "webhook",
            "url": f"{url}/hook",
            "secret_env": "GG_TEST_HOOK_SECRET",
            "units": ["*"],
        }
    }
    service = _service(county, store, clock, table)
    issue = _raise(service)
    worker = NotifyWorker.for_service(service)
    http.status = 401  # the webhook's secret is wrong there: retrying cannot help
    report = worker.drain()
    assert report.dead == 1 and report.sent == 0
    db = store.dsn if type(store).__name__ == "PostGISStore" else str(store.path)

    assert main(["notify", "list", "ws.gpkg", "--db", db, "--dead", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [n["issue_id"] for n in listed["notices"]] == [issue.issue_id]
    dead = listed["notices"][0]
    assert "HTTP 401" in dead["last_error"] and dead["state"] == "dead"
    assert listed["counts"]["dead"] == 1

    http.status = 200  # fixed: staff queue it again
    assert main(["notify", "retry", "ws.gpkg", "--db", db, str(dead["notice_id"])]) == 0
    assert main(["notify", "retry", "ws.gpkg", "--db", db, str(dead["notice_id"])]) == 2
    capsys.readouterr()
    clock.now = utcnow()
    assert worker.drain().sent == 1
    got = http.on("/hook")
    assert len(got) == 1 and got[0].json["issue_id"] == issue.issue_id
    h = got[0].headers
    assert verify_webhook(
        HOOK_SECRET, h["x-gridgov-timestamp"], got[0].body, h["x-gridgov-signature"]
    )


def test_email_reaches_the_county_office(county: Workspace, store: Any, http: HTTPReceiver) -> None:
    smtp = SMTPReceiver()
    port = smtp.start()
    try:
        clock = Clock()
        table = notify_table("http://127.0.0.1:9")
        table["channels"] = {
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": port,
                "sender": "gridgov@huarong.example.gov.cn",
                "to": ["dbgw@huarong.example.gov.cn"],
                "units": ["station:*"],
            }
        }
        service = _service(county, store, clock, table)
        issue = _raise(service)
        assert NotifyWorker.for_service(service).drain().sent == 1
        assert len(smtp.messages) == 1
        msg = smtp.messages[0]
        assert msg["To"] == "dbgw@huarong.example.gov.cn"
        assert issue.issue_id in str(msg["Subject"])
        key = msg["X-Gridgov-Idempotency-Key"]
        assert str(msg["Message-ID"]).strip() == f"<{key}@huarong.example.gov.cn>"
        assert "网格吹哨" in msg.get_payload(decode=True).decode("utf-8")
    finally:
        smtp.stop()


def test_quiet_hours_hold_notices_till_morning_except_safety(
    county: Workspace, store: Any, http: HTTPReceiver
) -> None:
    url = f"http://127.0.0.1:{http.server.server_address[1]}"  # type: ignore[union-attr]
    clock = Clock()
    clock.now = clock.now.replace(hour=15)  # 23:00 in Beijing
    service = _service(county, store, clock, notify_table(url, quiet_hours="22:00-07:00"))
    road = _raise(service, 0)
    hazard = _raise(service, 1, category="safety")
    worker = NotifyWorker.for_service(service)
    worker.drain()
    arrived = {r.json["PhoneNumbers"] for r in http.on("/sms")}
    hazard_phones = {_phone(county, d) for d in hazard.deputies}
    road_phones = {_phone(county, d) for d in road.deputies}
    assert hazard_phones <= arrived  # a safety hazard wakes them
    assert not (road_phones - hazard_phones) & arrived  # a pothole waits for the morning
    clock.advance(hours=8, minutes=1)  # 07:01
    worker.drain()
    arrived = {r.json["PhoneNumbers"] for r in http.on("/sms")}
    assert road_phones <= arrived


def test_statement_trigger_covers_copy_of_events(pg_schema: Callable[..., str]) -> None:
    import psycopg

    from gridgov.store.postgis import PostGISStore

    dsn = pg_schema()
    store = PostGISStore(dsn)
    try:
        issue_id = "20261123-000000000001"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO issues (issue_id, version, status, category, level, unit,"
                " station_id, township_code, grid_code, reporter_id, deputies, created_at,"
                " updated_at, geom, doc) VALUES (%s, 1, 'raised', 'road', '', '', '', '', '',"
                " '', '{}', now(), now(), ST_SetSRID(ST_MakePoint(112.5, 29.5), 4490), '{}')",
                (issue_id,),
            )
            with (
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(
                    "COPY events (issue_id, seq, at, kind, actor_role, actor_id, status_from,"
                    " status_to, unit, data) FROM STDIN"
                ) as copy,
            ):
                for seq in (1, 2, 3):
                    copy.write_row(
                        (issue_id, seq, "2026-11-23T10:00+08", "raised", "system", "x",
                         "raised", "raised", "", "{}")
                    )  # fmt: skip
        assert outbox_store(store).counts()["backlog"] == 3
    finally:
        store.close()


def test_secrets_stay_out_of_the_settings_and_templates_out_of_reach() -> None:
    from gridgov._errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        Settings(
            notify={
                "channels": {"sms": {"type": "sms", "url": "https://x", "secret": "abc123"}},
                "templates": {"resolved.resident": "代表电话{deputies}", "x.nobody": "?"},
            }
        )
    fields = {p.field: p for p in caught.value.problems}
    assert "abc123" not in str(caught.value)
    assert "secret_env" in fields["notify.channels.sms.secret"].message
    assert "{deputies}" in fields["notify.templates.resolved.resident"].message
    assert "notify.templates.x.nobody" in fields


def test_replay_window_and_signature() -> None:
    body = b'{"a": 1}'
    sig = sign_webhook(HOOK_SECRET, "1000", body)
    assert verify_webhook(HOOK_SECRET, "1000", body, sig, now=1100)
    assert not verify_webhook(HOOK_SECRET, "1000", body, sig, now=1000 + 301)  # replayed
    assert not verify_webhook(HOOK_SECRET, "1000", body + b" ", sig, now=1100)
    assert not verify_webhook("other", "1000", body, sig, now=1100)
    assert urllib.parse.quote_plus(dingtalk_sign(DING_SECRET, 1)) != ""
