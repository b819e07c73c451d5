"""Issue statistics checked figure by figure against hand-built issue histories.

Eleven issues run through the real state machine with a fixed clock (station deadlines:
acknowledge 4 h, resolve 72 h). Raised at T0 + n hours (n = 1..10; i0 the hour before T0):

====  =======  =======================================================================
i0    S1 / T1  raised before the period; deputy D1 acknowledges inside it (a visit)
i1    S1 / T1  D1, D2 dispatched; D1 acknowledges 1 h, resolves 10 h, 满意
i2    S1 / T1  D2 acknowledges 2 h, resolves 20 h, 基本满意
i3    S1 / T1  D1 acknowledges 3 h, resolves 80 h (past 72 h, no tick ran): late
i4    S1 / T1  D1 acknowledges 1 h; escalated to the township at 72 h; settled there 100 h
i5    S2 / T1  the station admin acknowledges at 5 h (past 4 h): late; resolves 10 h
i6    S2 / T1  D3 acknowledges 1 h, resolves 5 h, 不满意 -> reopened; resolves 30 h, 满意
i7    S3 / T2  D4 acknowledges 2 h, resolves 6 h, 不满意 -> reopened, still open
i8    S3 / T2  D4 never acknowledges: escalated at 4 h; D5 acknowledges after the period
i9    S3 / T2  merged into i7 at 1 h
i10   --       raised, never located
====  =======  =======================================================================
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from gridgov import io, synth
from gridgov._errors import ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Action,
    Actor,
    Assign,
    DispatchDeputies,
    Escalate,
    Event,
    Issue,
    Locate,
    Merge,
    Rate,
    Resolve,
    Start,
    apply,
    new_issue,
)
from gridgov.issues.stats import COLUMNS, issue_statistics, statistics_sheets, statistics_summary
from gridgov.model import Rating, Workspace
from gridgov.settings import Settings

CST = timezone(timedelta(hours=8), "CST")
T0 = datetime(2026, 11, 16, tzinfo=CST)  # a Monday
WEEK = (T0, T0 + timedelta(days=7))
GRID = Actor("grid_worker", "G1", "网格员")
ADMIN = Actor("station_admin", "A1", "站点管理员")
TOWN = Actor("township_staff", "TS1", "乡镇人大")
COUNTY = Actor("county_staff", "C1", "代表工委")
RESIDENT = Actor("public", "", "群众")
SYSTEM = Actor.system()
IDS = {"S1": "S1", "S2": "S2", "S3": "S3", "T1": "T1", "T2": "T2"} | {
    f"D{k}": f"D{k}" for k in range(1, 6)
}


class _Story:
    """One issue's history, each step at hours after the issue was raised."""

    def __init__(self, n: int, ids: dict[str, str], raised: datetime) -> None:
        self.ids = ids
        self.at = raised
        self.issue, events = new_issue(
            issue_id=f"i{n}", category="road", description="路灯不亮", lon=112.5, lat=29.5,
            actor=GRID, now=raised,
        )  # fmt: skip
        self.events: list[Event] = list(events)

    def do(self, h: float, action: Action, actor: Actor = SYSTEM) -> _Story:
        self.issue, events = apply(
            self.issue, action, actor=actor, now=self.at + timedelta(hours=h)
        )
        self.events.extend(events)
        return self

    def deputy(self, key: str) -> Actor:
        return Actor("deputy", self.ids[key], key)

    def at_station(self, s: str, t: str, *deputies: str) -> _Story:
        sid, town = self.ids[s], self.ids[t]
        self.do(0, Locate(f"{town}-G1", f"{town}001", town))
        self.do(0, Assign(f"station:{sid}", "station", sid, station_id=sid, township_code=town))
        if deputies:
            self.do(0, DispatchDeputies(tuple(self.ids[d] for d in deputies)))
        return self

    def escalate(self, h: float, t: str, missed: str) -> _Story:
        town = self.ids[t]
        return self.do(
            h, Escalate(f"township:{town}", "township", f"{town}人大", missed, township_code=town)
        )


def _county(ids: dict[str, str] = IDS) -> tuple[list[Issue], list[Event]]:
    def story(n: int) -> _Story:
        return _Story(n, ids, T0 + timedelta(hours=n))

    ok, basic, no = Rate(Rating.SATISFIED), Rate(Rating.BASIC), Rate(Rating.UNSATISFIED)
    s0 = _Story(0, ids, T0 - timedelta(hours=1)).at_station("S1", "T1", "D1")
    s0.do(2, Acknowledge(), s0.deputy("D1")).do(3, Resolve("已修复"), s0.deputy("D1"))
    s1 = story(1).at_station("S1", "T1", "D1", "D2")
    d1 = s1.deputy("D1")
    s1.do(1, Acknowledge(), d1).do(2, Start(), d1).do(10, Resolve("已修复"), d1).do(
        11, ok, RESIDENT
    )
    s2 = story(2).at_station("S1", "T1", "D2")
    d2 = s2.deputy("D2")
    s2.do(2, Acknowledge(), d2).do(20, Resolve("已修复"), d2).do(21, basic, RESIDENT)
    s3 = story(3).at_station("S1", "T1", "D1")
    s3.do(3, Acknowledge(), d1).do(80, Resolve("已修复"), d1)
    s4 = story(4).at_station("S1", "T1", "D1")
    s4.do(1, Acknowledge(), d1).escalate(72, "T1", "resolve")
    s4.do(80, Acknowledge(), TOWN).do(100, Resolve("乡镇协调解决"), TOWN)
    s5 = story(5).at_station("S2", "T1")
    s5.do(5, Acknowledge(), ADMIN).do(6, Start(), ADMIN).do(10, Resolve("已修复"), ADMIN)
    s6 = story(6).at_station("S2", "T1", "D3")
    d3 = s6.deputy("D3")
    s6.do(1, Acknowledge(), d3).do(5, Resolve("已修复"), d3).do(6, no, RESIDENT)
    s6.do(30, Resolve("返工后修复"), d3).do(31, ok, RESIDENT)
    s7 = story(7).at_station("S3", "T2", "D4")
    d4 = s7.deputy("D4")
    s7.do(2, Acknowledge(), d4).do(6, Resolve("已修复"), d4).do(7, no, RESIDENT)
    s8 = story(8).at_station("S3", "T2", "D4").escalate(4, "T2", "acknowledge")
    s8.do(5, DispatchDeputies((ids["D5"],))).do(200, Acknowledge(), s8.deputy("D5"))
    s9 = story(9).at_station("S3", "T2").do(1, Merge("i7", "重复反映"), COUNTY)
    s10 = story(10)
    stories = [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10]
    return [s.issue for s in stories], [e for s in stories for e in s.events]


def _row(table: pd.DataFrame, unit: str) -> dict[str, object]:
    return dict(table.loc[unit])


def _counts(row: dict[str, object]) -> tuple[object, ...]:
    keys = ("received", "settled", "on_time", "rated", "satisfied", "unsatisfied",
            "reopened", "escalated", "open_backlog", "merged", "deputy_visits")  # fmt: skip
    return tuple(row[k] for k in keys)


def test_county_week_by_hand() -> None:
    issues, events = _county()
    s = statistics_summary(issues, events, start=WEEK[0], end=WEEK[1])
    # received: i1-i8 and i10 (i0 before the period, i9 merged into i7)
    assert s["received"] == 9 and s["merged"] == 1
    assert s["settled"] == 7 and s["settle_rate"] == round(7 / 9, 4)
    # i3 resolved late, i4 escalated, i5 acknowledged late
    assert s["on_time"] == 4 and s["on_time_rate"] == round(4 / 7, 4)
    # i6's last rating is 满意; i7's is 不满意
    assert (s["rated"], s["satisfied"], s["unsatisfied"]) == (4, 3, 1)
    assert s["satisfaction_rate"] == 0.75
    assert (s["reopened"], s["escalated"]) == (2, 2)
    assert s["open_backlog"] == 3  # i7 reopened, i8 at the township, i10 unlocated
    # D1 on i0 (a visit in the period for an older issue), i1, i3, i4; D2 i2; D3 i6; D4 i7;
    # not the station admin (i5), the township (i4) nor D5 after the period (i8)
    assert s["deputy_visits"] == 7
    assert s["mean_hours_to_acknowledge"] == round((1 + 2 + 3 + 1 + 5 + 1 + 2) / 7, 2)
    assert s["mean_hours_to_resolve"] == round((10 + 20 + 80 + 100 + 10 + 30 + 6) / 7, 2)
    assert s["start"] == "2026-11-16T00:00:00+08:00" and s["end"] == "2026-11-23T00:00:00+08:00"
    assert set(COLUMNS[1:]) <= set(s)


def test_by_station_township_deputy_and_category() -> None:
    issues, events = _county()
    by_station = issue_statistics(issues, events, start=WEEK[0], end=WEEK[1], by="station")
    assert list(by_station.columns) == list(COLUMNS) and by_station.index.name == "unit"
    assert list(by_station.index) == ["", "S1", "S2", "S3"]
    assert _counts(_row(by_station, "S1")) == (4, 4, 2, 2, 2, 0, 0, 1, 0, 0, 5)
    assert _counts(_row(by_station, "S2")) == (2, 2, 1, 1, 1, 0, 1, 0, 0, 0, 1)
    assert _counts(_row(by_station, "S3")) == (2, 1, 1, 1, 0, 1, 1, 1, 2, 1, 1)
    assert _counts(_row(by_station, "")) == (1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
    assert by_station.loc["", "name"] == "（未定位）"
    assert (
        by_station.loc["S1", "settle_rate"] == 1.0 and by_station.loc["S1", "on_time_rate"] == 0.5
    )
    assert math.isnan(by_station.loc["", "on_time_rate"])  # nothing settled: no rate
    # the units add up to the county
    total = statistics_summary(issues, events, start=WEEK[0], end=WEEK[1])
    for col in ("received", "settled", "on_time", "open_backlog", "deputy_visits"):
        assert by_station[col].sum() == total[col]

    by_town = issue_statistics(issues, events, start=WEEK[0], end=WEEK[1], by="township")
    assert _counts(_row(by_town, "T1")) == (6, 6, 3, 3, 3, 0, 1, 1, 0, 0, 6)
    assert _counts(_row(by_town, "T2")) == (2, 1, 1, 1, 0, 1, 1, 1, 2, 1, 1)

    by_deputy = issue_statistics(issues, events, start=WEEK[0], end=WEEK[1], by="deputy")
    # an issue counts for every deputy dispatched to it; i8's D5 came after the escalation
    assert _counts(_row(by_deputy, "D1")) == (3, 3, 1, 1, 1, 0, 0, 1, 0, 0, 4)
    assert _counts(_row(by_deputy, "D2")) == (2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 1)
    assert _counts(_row(by_deputy, "D4")) == (2, 1, 1, 1, 0, 1, 1, 1, 2, 0, 1)
    assert _counts(_row(by_deputy, "D5")) == (1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0)

    by_category = issue_statistics(issues, events, start=WEEK[0], end=WEEK[1], by="category")
    assert len(by_category) == len(Settings().issue_categories)  # every category listed
    assert by_category.loc["road", "name"] == "道路交通"
    assert by_category.loc["road", "received"] == 9 and by_category.loc["water", "received"] == 0


def test_state_as_of_end_ignores_later_events() -> None:
    issues, events = _county()
    end = T0 + timedelta(hours=30)
    early = statistics_summary(issues, events, start=T0, end=end)
    # by hour 30: i1 (11), i2 (22), i5 (15), i6 (11, then reopened), i7 (13) resolved
    assert (early["received"], early["settled"], early["on_time"]) == (9, 5, 4)
    # open: i3, i4 not yet resolved, i6 and i7 reopened, i8, i10
    assert early["open_backlog"] == 6 and early["escalated"] == 1  # i4 escalates at 76 h
    assert early == statistics_summary(issues, [e for e in events if e.at < end], start=T0, end=end)


def test_deadlines_come_from_settings() -> None:
    issues, events = _county()
    lenient = Settings()
    lenient = replace(
        lenient, deadlines_h={**lenient.deadlines_h, "station": {"acknowledge": 6, "resolve": 96}}
    )
    s = statistics_summary(issues, events, start=WEEK[0], end=WEEK[1], settings=lenient)
    assert s["on_time"] == 6  # i3 (80 h) and i5 (5 h) now in time; i4 was still escalated


def test_empty_period_and_bad_input() -> None:
    issues, events = _county()
    s = statistics_summary(
        issues, events, start=T0 - timedelta(days=7), end=T0 - timedelta(hours=2)
    )
    assert s["received"] == s["settled"] == s["deputy_visits"] == s["open_backlog"] == 0
    assert s["settle_rate"] is None and s["mean_hours_to_resolve"] is None
    assert statistics_summary([], [])["received"] == 0
    table = issue_statistics([], [], by="station")
    assert table.empty and list(table.columns) == list(COLUMNS)
    with pytest.raises(ParameterError, match="start must be timezone-aware"):
        statistics_summary(issues, events, start=datetime(2026, 11, 16))
    with pytest.raises(ParameterError, match="end must be timezone-aware"):
        issue_statistics(issues, events, end=datetime(2026, 11, 16))
    with pytest.raises(ParameterError, match="after end"):
        issue_statistics(issues, events, start=WEEK[1], end=WEEK[0])
    with pytest.raises(ParameterError, match="by='village'"):
        issue_statistics(issues, events, by="village")


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return synth.demo_county(seed=2024)


def _real_ids(ws: Workspace) -> dict[str, str]:
    """S1, S2 in one township (T1), S3 in another (T2), D1-D5 real deputies."""
    st = ws.stations.astype({"station_id": str, "township_code": str})
    sizes = st.groupby("township_code").size()
    t1 = str(sizes[sizes >= 2].index[0])
    t2 = next(str(t) for t in sizes.index if str(t) != t1)
    s1, s2 = st.loc[st["township_code"] == t1, "station_id"].iloc[:2]
    s3 = st.loc[st["township_code"] == t2, "station_id"].iloc[0]
    deputies = ws.deputies["deputy_id"].astype(str).iloc[:5]
    return {"S1": s1, "S2": s2, "S3": s3, "T1": t1, "T2": t2} | {
        f"D{k}": d for k, d in enumerate(deputies, 1)
    }


def test_per_township_with_workspace_lists_every_unit(ws: Workspace) -> None:
    ids = _real_ids(ws)
    issues, events = _county(ids)
    table = issue_statistics(issues, events, ws=ws, start=WEEK[0], end=WEEK[1], by="township")
    towns = dict(
        zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
    )
    # every township, in the workspace's order, then the unlocated issue
    assert list(table.index) == [*towns, ""]
    assert table.loc[ids["T1"], "name"] == towns[ids["T1"]]
    assert _counts(_row(table, ids["T1"])) == (6, 6, 3, 3, 3, 0, 1, 1, 0, 0, 6)
    assert _counts(_row(table, ids["T2"])) == (2, 1, 1, 1, 0, 1, 1, 1, 2, 1, 1)
    quiet = [t for t in towns if t not in (ids["T1"], ids["T2"])]
    assert (table.loc[quiet, ["received", "deputy_visits"]] == 0).all().all()
    assert table.loc[quiet, "settle_rate"].isna().all()

    stations = issue_statistics(issues, events, ws=ws, start=WEEK[0], end=WEEK[1])
    assert len(stations) == len(ws.stations) + 1
    assert stations.loc[ids["S1"], "name"].endswith(("站", "点", "室", "岗"))
    county = issue_statistics(issues, events, ws=ws, start=WEEK[0], end=WEEK[1], by="county")
    assert list(county.index) == ["430623"] and county.iloc[0]["name"] == "华容县"
    assert county.iloc[0]["received"] == 9


def test_sheets_in_chinese_without_phones(ws: Workspace, tmp_path: Path) -> None:
    ids = _real_ids(ws)
    issues, events = _county(ids)
    sheets = statistics_sheets(issues, events, ws=ws, start=WEEK[0], end=WEEK[1])
    assert list(sheets) == ["汇总", "按站点", "按乡镇", "按类别", "按代表"]
    summary = dict(zip(sheets["汇总"]["指标"], sheets["汇总"]["数值"], strict=True))
    # numbers as numbers (a text "77.8%" cannot be summed in Excel); 0.0% is the format's
    assert summary["收集问题（件）"] == 9 and summary["办结（件）"] == 7
    assert round(summary["办结率"], 3) == 0.778 and summary["满意率"] == 0.75
    assert summary["统计起始（含）"].isoformat().startswith("2026-11-16")

    station = sheets["按站点"].set_index("站点编号")
    assert station.loc[ids["S1"], "办结率"] == 1.0
    assert station.loc[ids["S1"], "层级"] in {"联络站", "联络点", "代表工作室", "代表服务岗"}
    assert station.loc[ids["S3"], "所属乡镇（街道）"] == str(
        ws.townships.set_index("code").loc[ids["T2"], "name"]
    )
    deputy = sheets["按代表"].set_index("代表编号")
    assert len(deputy) == len(ws.deputies)  # every deputy, visits or not
    first = ws.deputies.iloc[0]
    assert deputy.loc[ids["D1"], "姓名"] == str(first["name"])
    assert deputy.loc[ids["D1"], "代表报到（人次）"] == 4
    assert deputy.loc[ids["D1"], "代表层级"].endswith("人大代表")
    phones = set(ws.deputies["phone"].dropna().astype(str))
    for name, sheet in sheets.items():
        assert all("\u4e00" <= str(c)[0] <= "\u9fff" for c in sheet.columns), name
        text = sheet.to_csv()
        assert not any(p in text for p in phones), name
    assert "电话" not in sheets["按代表"].columns

    path = io.write_xlsx(sheets, tmp_path / "stats.xlsx")
    back = pd.read_excel(path, sheet_name=None)
    assert list(back) == list(sheets) and len(back["按乡镇"]) == len(ws.townships) + 1
