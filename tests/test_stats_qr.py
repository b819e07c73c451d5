"""Issue statistics by hand-checked histories, and the QR codes with their public pages."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
from PIL import Image

from gridgov import synth
from gridgov._errors import NotFoundError
from gridgov.lifecycle import (
    Acknowledge,
    Actor,
    Assign,
    DispatchDeputies,
    Escalate,
    Event,
    Issue,
    Locate,
    Rate,
    Resolve,
    apply,
    new_issue,
)
from gridgov.qr import public_deputy, public_station, qr_code, station_url, write_qr_codes
from gridgov.stats import issue_statistics, statistics_sheets, statistics_summary

T0 = datetime(2026, 11, 16, tzinfo=UTC)
W = Actor("grid_worker", "G1")
D = Actor("deputy", "D1", "李")


def _history(n: int, *, station: str, town: str, resolve_h: float | None, late: bool = False,
             rating: str | None = None) -> tuple[Issue, list[Event]]:  # fmt: skip
    at = T0 + timedelta(hours=n)
    issue, ev = new_issue(
        issue_id=f"i{n}", category="road", description="x", lon=1, lat=2, actor=W, now=at
    )
    log = list(ev)
    steps = [
        Locate("G1", "V1", town),
        Assign(f"station:{station}", "station", station, station_id=station, township_code=town),
        DispatchDeputies(("D1",)),
        Acknowledge(),
    ]
    for k, action in enumerate(steps):
        issue, more = apply(issue, action, actor=D, now=at + timedelta(hours=k))
        log.extend(more)
    if late:
        issue, more = apply(issue, Escalate(f"township:{town}", "township", town, "resolve"),
                            actor=Actor.system(), now=at + timedelta(hours=73))  # fmt: skip
        log.extend(more)
    if resolve_h is not None:
        issue, more = apply(issue, Resolve("ok"), actor=D, now=at + timedelta(hours=resolve_h))
        log.extend(more)
        if rating:
            issue, more = apply(
                issue, Rate(rating), actor=W, now=at + timedelta(hours=resolve_h + 1)
            )
            log.extend(more)
    return issue, log


def _county() -> tuple[list[Issue], list[Event]]:
    issues, events = [], []
    spec = [  # station, township, resolve hour, late, rating
        ("S1", "T1", 10, False, "满意"), ("S1", "T1", 20, False, "基本满意"),
        ("S1", "T1", 80, True, None), ("S1", "T1", None, False, None),
        ("S2", "T2", 5, False, "不满意"), ("S2", "T2", 6, False, "满意"),
    ]  # fmt: skip
    for n, (s, t, h, late, rating) in enumerate(spec):
        i, e = _history(n, station=s, town=t, resolve_h=h, late=late, rating=rating)
        issues.append(i)
        events.extend(e)
    return issues, events


def test_station_figures_by_hand() -> None:
    issues, events = _county()
    table = issue_statistics(issues, events, start=T0, end=T0 + timedelta(days=7), by="station")
    s1, s2 = table.loc["S1"], table.loc["S2"]
    assert (s1.received, s1.settled, s1.on_time, s1.escalated, s1.open_backlog) == (4, 3, 2, 1, 1)
    assert s1.settle_rate == 0.75 and s1.rated == 2 and s1.satisfied == 2
    # S2: one 不满意 reopened (open at the end), one 满意
    assert (s2.received, s2.settled, s2.rated, s2.unsatisfied, s2.reopened) == (2, 2, 2, 1, 1)
    assert s2.satisfaction_rate == 0.5 and s2.open_backlog == 1
    assert s1.deputy_visits == 4 and s2.deputy_visits == 2


def test_summary_period_and_naive_dates() -> None:
    issues, events = _county()
    total = statistics_summary(issues, events, start=T0, end=T0 + timedelta(days=7))
    assert (
        total["received"] == 6
        and total["settled"] == 5
        and total["settle_rate"] == pytest.approx(5 / 6, abs=1e-4)
    )
    empty = statistics_summary(issues, events, start=T0 - timedelta(days=7), end=T0)
    assert empty["received"] == 0 and empty["settle_rate"] is None
    # before the late resolution (hour 82) the escalated one is still open
    early = statistics_summary(issues, events, start=T0, end=T0 + timedelta(hours=30))
    assert early["settled"] == 4 and early["open_backlog"] == 3  # i2, i3 and the reopened i4
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        statistics_summary(issues, events, start=datetime(2026, 11, 16))
    with pytest.raises(ValueError, match="by="):
        issue_statistics(issues, events, by="village")


def test_sheets_with_workspace_list_every_unit() -> None:
    ws = synth.demo_county(seed=2024)
    issues, events = _county()
    sheets = statistics_sheets(issues, events, ws=ws)
    assert set(sheets) == {"汇总", "按站点", "按乡镇", "按类别", "按代表"}
    assert len(sheets["按站点"]) >= len(ws.stations) and "办结率" in sheets["按站点"].columns


def test_qr_codes_and_public_profiles(tmp_path: Path) -> None:
    ws = synth.demo_county(seed=2024)
    sid = str(ws.stations["station_id"].iloc[0])
    url = station_url("https://rd.example.gov.cn/", sid)
    assert url == f"https://rd.example.gov.cn/public/stations/{sid}"
    png = qr_code(url)
    assert Image.open(__import__("io").BytesIO(png)).size[0] > 50
    assert qr_code(url, kind="svg").lstrip().startswith(b"<?xml")
    with pytest.raises(ValueError, match="base_url"):
        station_url("ftp://x", sid)
    paths = write_qr_codes(ws, tmp_path, base_url="https://rd.example.gov.cn", which=("stations",))
    assert len(paths) == len(ws.stations) + 1
    with (tmp_path / "index.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["编号"] for r in rows} == set(ws.stations["station_id"].astype(str))
    # the PNG holds exactly the URL: the same code as encoding it again
    again = segno.make(rows[0]["链接"], error="m", micro=False)
    written = segno.make(
        station_url("https://rd.example.gov.cn", rows[0]["编号"]), error="m", micro=False
    )
    assert again.matrix == written.matrix
    phones = set(ws.deputies["phone"].dropna().astype(str))
    for s in ws.stations["station_id"].astype(str)[:20]:
        text = str(public_station(ws, s))
        assert not any(p in text for p in phones)
    did = str(ws.deputies["deputy_id"].iloc[0])
    prof = public_deputy(ws, did)
    assert "phone" not in prof and prof["name"]
    with pytest.raises(NotFoundError):
        public_station(ws, "nope")
    with pytest.raises(NotFoundError):
        public_deputy(ws, "nope")
