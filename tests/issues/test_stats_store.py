"""The store's statistics (facts kept per issue, summed in SQL) agree with the pure ones.

:func:`gridgov.issues.stats.store_statistics` must give exactly what
:func:`gridgov.issues.stats.issue_statistics` gives on every issue and event of the same
store, on SQLite and PostGIS: for every grouping, for open and closed periods, for a period
whose issues changed after it ended (replayed as of its end), within a role's scope, after
issues change (stale facts recomputed) and under other deadlines (facts recomputed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridgov.issues.lifecycle import Acknowledge, Actor, Escalate, Resolve, Transfer
from gridgov.issues.service import IssueService
from gridgov.issues.simulate import simulate
from gridgov.issues.stats import (
    BY,
    COUNTS,
    facts_basis,
    issue_statistics,
    refresh_facts,
    store_statistics,
)
from gridgov.model import CHINA_TIME, Workspace
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery, Store
from gridgov.store.sqlite import SQLiteStore
from gridgov.synth import demo_county

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=CHINA_TIME)


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return demo_county()


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
def service(ws: Workspace, store: Store) -> IssueService:
    service = IssueService(ws, store, secret=b"test-key", clock=lambda: T0 + timedelta(days=6))
    simulate(service, start=T0, days=5, issues_per_day=30, seed=11)
    return service


def _everything(store: Store) -> tuple[list, list]:
    issues, _ = store.list_issues(IssueQuery(limit=-1))
    return issues, store.all_events()


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    assert list(got.columns) == list(want.columns)
    for col in COUNTS:
        assert got[col].tolist() == want[col].tolist(), col
    assert got["name"].tolist() == want["name"].tolist()
    for col in ("settle_rate", "on_time_rate", "satisfaction_rate",
                "mean_hours_to_acknowledge", "mean_hours_to_resolve"):  # fmt: skip
        a, b = got[col].to_numpy(float), want[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=0.011), col


PERIODS = [
    (None, None),
    (T0, T0 + timedelta(days=7)),  # everything of the period has happened
    (T0 + timedelta(days=1), T0 + timedelta(days=2)),  # issues changed after it ended
    (T0 + timedelta(days=3, hours=5), None),
]


@pytest.mark.parametrize("by", BY)
def test_store_statistics_equal_the_replay(service: IssueService, by: str) -> None:
    issues, events = _everything(service.store)
    for start, end in PERIODS:
        got = store_statistics(service.store, ws=service.ws, start=start, end=end, by=by,
                               settings=service.settings)  # fmt: skip
        want = issue_statistics(issues, events, ws=service.ws, start=start, end=end, by=by,
                                settings=service.settings)  # fmt: skip
        _same(got, want)
    assert int(got["received"].sum()) > 0 or by == "deputy"


def test_scope_changes_and_other_deadlines(service: IssueService) -> None:
    store = service.store
    station = service.ws.stations["station_id"].astype(str).iloc[0]
    scope = IssueQuery(station_ids=(station,))
    period = (T0, T0 + timedelta(days=7))
    issues, events = _everything(store)
    mine = [i for i in issues if i.station_id == station]
    ids = {i.issue_id for i in mine}
    mine_events = [e for e in events if e.issue_id in ids]  # visits to the scope's issues
    got = store_statistics(store, scope=scope, ws=service.ws, start=period[0], end=period[1],
                           by="station", settings=service.settings)  # fmt: skip
    want = issue_statistics(mine, mine_events, ws=service.ws, start=period[0], end=period[1],
                            by="station", settings=service.settings)  # fmt: skip
    _same(got, want)

    # the call computed every issue's facts; nothing is recomputed until an issue changes
    assert refresh_facts(store, service.settings) == 0
    open_ = [i for i in issues if i.status.value == "in_progress" and i.deputies]
    assert open_, "the simulation leaves issues in progress"
    issue = open_[0]
    at = T0 + timedelta(days=5, hours=2)
    service.act(
        issue.issue_id, Resolve(result="修好了"), Actor("deputy", issue.deputies[0]), now=at
    )
    assert refresh_facts(store, service.settings) == 1
    issues, events = _everything(store)
    for by in ("county", "station"):
        got = store_statistics(store, ws=service.ws, by=by, settings=service.settings)
        _same(got, issue_statistics(issues, events, ws=service.ws, by=by,
                                    settings=service.settings))  # fmt: skip

    # deadlines of one hour: most issues were late; every fact is recomputed
    strict = replace(
        service.settings,
        deadlines_h={level: {"acknowledge": 1.0, "resolve": 1.0}
                     for level in service.settings.deadlines_h},
        category_deadlines_h={},
    )  # fmt: skip
    assert facts_basis(strict) != facts_basis(service.settings)
    got = store_statistics(store, ws=service.ws, by="county", settings=strict)
    want = issue_statistics(issues, events, ws=service.ws, by="county", settings=strict)
    _same(got, want)
    before = store_statistics(store, ws=service.ws, by="county", settings=service.settings)
    assert int(got["on_time"].iloc[0]) < int(before["on_time"].iloc[0])


def test_upgraded_sqlite_store_gets_the_facts_table(tmp_path: Path, ws: Workspace) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    service = IssueService(ws, SQLiteStore(path), secret=b"k", clock=lambda: T0)
    simulate(service, start=T0, days=1, issues_per_day=10, seed=3)
    service.store.close()
    with sqlite3.connect(path) as con:  # as a version-4 store had it
        con.execute("DROP TABLE issue_facts")
        con.execute("DROP TRIGGER IF EXISTS issues_facts_stale")
        con.execute("DROP INDEX events_deputy_visits")
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store = SQLiteStore(path)
    try:
        issues, events = _everything(store)
        _same(store_statistics(store, ws=ws, by="county"),
              issue_statistics(issues, events, ws=ws, by="county"))  # fmt: skip
    finally:
        store.close()


def test_settings_fingerprint_ignores_what_facts_do_not_read() -> None:
    base = Settings()
    assert facts_basis(base) == facts_basis(replace(base, reach_standard="30min:walk"))


@pytest.mark.parametrize("by", BY)
def test_figures_give_the_county_summary_in_the_same_pass(service: IssueService, by: str) -> None:
    from gridgov.issues.stats import statistics_summary, store_figures

    issues, events = _everything(service.store)
    start, end = PERIODS[2]
    table, summary = store_figures(service.store, ws=service.ws, start=start, end=end, by=by,
                                   settings=service.settings)  # fmt: skip
    want = statistics_summary(issues, events, ws=service.ws, start=start, end=end,
                              settings=service.settings)  # fmt: skip
    assert summary.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert summary[key] == pytest.approx(value, abs=0.011), key
        else:
            assert summary[key] == value, key
    _same(table, issue_statistics(issues, events, ws=service.ws, start=start, end=end, by=by,
                                  settings=service.settings))  # fmt: skip


def test_a_period_ending_while_issues_move_is_summed_not_replayed(service: IssueService) -> None:
    # Ends every 7 hours through the simulated days: most cut issues mid-way (acknowledged,
    # not yet resolved; resolved, not yet rated). The store reads each issue's facts in
    # force at the end (IssueFacts.earlier): nothing is replayed, the figures equal the
    # replay of every log.
    store, settings = service.store, service.settings
    refresh_facts(store, settings)
    basis = facts_basis(settings)
    issues, events = _everything(store)
    moving = 0
    for k in range(1, 20):
        end = T0 + timedelta(hours=7 * k)
        start = end - timedelta(days=2)
        reading = store.fact_totals(IssueQuery(limit=-1), by="station", start=start, end=end,
                                    basis=basis)  # fmt: skip
        assert reading.late == [], end
        moving += sum(1 for i in issues if start <= i.created_at < end and
                      any(e.issue_id == i.issue_id and e.at >= end for e in events))  # fmt: skip
        for by in ("station", "deputy", "category"):
            got = store_statistics(store, ws=service.ws, start=start, end=end, by=by,
                                   settings=settings)  # fmt: skip
            want = issue_statistics(issues, events, ws=service.ws, start=start, end=end, by=by,
                                    settings=settings)  # fmt: skip
            _same(got, want)
    assert moving > 100, "the periods must cut issues mid-way"


def test_an_issue_that_moves_drops_its_earlier_facts(service: IssueService) -> None:
    store, settings = service.store, service.settings
    refresh_facts(store, settings)
    issues, _ = _everything(store)
    issue = next(i for i in issues if i.status.value == "in_progress" and i.deputies)
    service.act(issue.issue_id, Resolve(result="修好了"), Actor("deputy", issue.deputies[0]),
                now=T0 + timedelta(days=5, hours=3))  # fmt: skip
    # its final and earlier facts are gone with the write; recomputed, the figures of a
    # period ending before the resolution still read what held then
    assert store.stale_facts(basis=facts_basis(settings)) == [issue.issue_id]
    end = T0 + timedelta(days=5, hours=2)
    issues, events = _everything(store)
    got = store_statistics(store, ws=service.ws, end=end, by="county", settings=settings)
    _same(got, issue_statistics(issues, events, ws=service.ws, end=end, by="county",
                                settings=settings))  # fmt: skip
    assert store.fact_totals(IssueQuery(limit=-1), by="county", start=None, end=end,
                             basis=facts_basis(settings)).late == []  # fmt: skip


def test_a_version_5_sqlite_store_is_upgraded(tmp_path: Path, ws: Workspace) -> None:
    import sqlite3

    path = tmp_path / "v5.sqlite"
    service = IssueService(ws, SQLiteStore(path), secret=b"k", clock=lambda: T0)
    simulate(service, start=T0, days=1, issues_per_day=10, seed=3)
    service.store.close()
    with sqlite3.connect(path) as con:  # as a version-5 store had it
        con.execute("DROP TABLE issue_facts_before")
        con.execute("DROP TRIGGER issues_facts_stale_6")
        con.execute("CREATE TRIGGER issues_facts_stale AFTER UPDATE ON issues BEGIN"
                    " DELETE FROM issue_facts WHERE issue_id = NEW.issue_id; END")  # fmt: skip
        con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    store = SQLiteStore(path)
    try:
        with sqlite3.connect(path) as con:
            triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master"
                                                  " WHERE type = 'trigger'")}  # fmt: skip
        assert "issues_facts_stale" not in triggers and "issues_facts_stale_6" in triggers
        end = T0 + timedelta(hours=12)
        issues, events = _everything(store)
        _same(store_statistics(store, ws=ws, end=end, by="county"),
              issue_statistics(issues, events, ws=ws, end=end, by="county"))  # fmt: skip
    finally:
        store.close()


def test_visits_of_whole_months_come_from_the_rollup_and_equal_the_events(
    ws: Workspace, store: Store
) -> None:
    # issues over the turn of two months (UTC and China time), periods with whole months
    # inside, edges on both sides, open ends, and an end on a month's first instant
    t0 = datetime(2026, 3, 27, 8, 0, tzinfo=CHINA_TIME)
    service = IssueService(ws, store, secret=b"k", clock=lambda: t0 + timedelta(days=40))
    simulate(service, start=t0, days=38, issues_per_day=6, seed=5)
    issues, events = _everything(store)
    visits = [e for e in events if e.kind == "acknowledged" and e.actor_role == "deputy"]
    months = {(e.at.astimezone(UTC).year, e.at.astimezone(UTC).month) for e in visits}
    assert len(months) >= 2, "the visits must span months"
    april = datetime(2026, 4, 1, tzinfo=UTC)
    for start, end in [
        (None, None),
        (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)),
        (datetime(2026, 3, 29, 5, tzinfo=UTC), datetime(2026, 5, 2, 7, tzinfo=UTC)),
        (None, april),
        (april, None),
        (april - timedelta(microseconds=1), april + timedelta(days=30, hours=1)),
        (t0 + timedelta(days=2), t0 + timedelta(days=3)),
    ]:
        for by in ("station", "county"):
            got = store_statistics(store, ws=ws, start=start, end=end, by=by,
                                   settings=service.settings)  # fmt: skip
            want = issue_statistics(issues, events, ws=ws, start=start, end=end, by=by,
                                    settings=service.settings)  # fmt: skip
            _same(got, want)
        n = sum(
            1 for e in visits if (start is None or e.at >= start) and (end is None or e.at < end)
        )
        got = store_statistics(store, ws=ws, start=start, end=end, by="county",
                               settings=service.settings)  # fmt: skip
        assert int(got["deputy_visits"].iloc[0]) == n, (start, end)


def test_whole_months_summed_from_the_monthly_rollup_equal_the_replay(
    ws: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostGIS sums a period's whole months (China time) from fact_months and the changes
    # not folded yet, its edges and the issues that moved into the month of its end from
    # the facts; SQLite sums the facts. Over three months, for every grouping and a scope,
    # before and after issues change (changes appended), and after the changes are folded.
    t0 = datetime(2026, 1, 20, 9, 0, tzinfo=CHINA_TIME)
    service = IssueService(ws, store, secret=b"k", clock=lambda: t0 + timedelta(days=75))
    simulate(service, start=t0, days=70, issues_per_day=4, seed=10)
    station = ws.stations["station_id"].astype(str).iloc[1]
    local = CHINA_TIME
    periods = [
        (None, None),
        (datetime(2026, 2, 1, tzinfo=local), datetime(2026, 4, 1, tzinfo=local)),  # whole
        (datetime(2026, 1, 25, 13, tzinfo=local), datetime(2026, 3, 17, 8, tzinfo=local)),
        (None, datetime(2026, 3, 1, tzinfo=local)),
        (datetime(2026, 2, 1, tzinfo=UTC), None),  # a UTC month is not a local one
        (datetime(2026, 1, 31, 23, 59, tzinfo=local), datetime(2026, 3, 31, 23, tzinfo=UTC)),
    ]

    def check() -> None:
        issues, events = _everything(store)
        mine = [i for i in issues if i.station_id == station]
        ids = {i.issue_id for i in mine}
        mine_events = [e for e in events if e.issue_id in ids]
        for start, end in periods:
            for by in ("station", "township", "category", "county"):
                got = store_statistics(store, ws=ws, start=start, end=end, by=by,
                                       settings=service.settings)  # fmt: skip
                want = issue_statistics(issues, events, ws=ws, start=start, end=end, by=by,
                                        settings=service.settings)  # fmt: skip
                _same(got, want)
            got = store_statistics(store, scope=IssueQuery(station_ids=(station,)), ws=ws,
                                   start=start, end=end, by="category",
                                   settings=service.settings)  # fmt: skip
            want = issue_statistics(mine, mine_events, ws=ws, start=start, end=end,
                                    by="category", settings=service.settings)  # fmt: skip
            _same(got, want)

    check()
    issues, _ = _everything(store)
    open_ = [i for i in issues if i.status.value == "in_progress" and i.deputies]
    assert len(open_) >= 2 and open_[0].level == "station", "two issues left in progress"
    away, moving = open_[0], open_[1:6]
    for k, issue in enumerate(moving):  # their facts change month and flags
        service.act(issue.issue_id, Resolve(result="修好了"), Actor("deputy", issue.deputies[0]),
                    now=t0 + timedelta(days=71, hours=k))  # fmt: skip
    # a deputy's visit at the township (escalated), then the issue moves to another station:
    # PostGIS counts it from visit_months_placed, at the issue's station now
    at = t0 + timedelta(days=72)
    town = away.township_code
    service.act(away.issue_id, Escalate(f"township:{town}", "township", town, "acknowledge",
                                        township_code=town), Actor("system"), now=at)  # fmt: skip
    service.act(away.issue_id, Acknowledge(), Actor("deputy", away.deputies[0]),
                now=at + timedelta(minutes=5))  # fmt: skip
    other = next(s for s in ws.stations["station_id"].astype(str) if s != away.station_id)
    county = Actor("county_staff", str(ws.county.iloc[0]["code"]))
    moved = service.act(away.issue_id, Transfer(reason="转办", **service.unit_action_target(
        f"station:{other}")), county, now=at + timedelta(minutes=9))  # fmt: skip
    assert moved.station_id == other
    periods.append((datetime(2026, 2, 1, tzinfo=local), None))
    check()
    if not isinstance(store, SQLiteStore):
        import gridgov.store.postgis as pg

        monkeypatch.setattr(pg, "_FOLD_AT", 1)
        check()
        with store._conn("test") as conn:  # type: ignore[attr-defined]
            left = conn.execute("SELECT count(*) FROM fact_month_changes").fetchone()
            folded = conn.execute("SELECT count(*), min(issues) FROM fact_months").fetchone()
        assert left is not None and left[0] == 0
        assert folded is not None and folded[0] > 0 and folded[1] > 0


def test_a_version_6_sqlite_store_counts_its_visits_per_month(
    tmp_path: Path, ws: Workspace
) -> None:
    import sqlite3

    path = tmp_path / "v6.sqlite"
    service = IssueService(ws, SQLiteStore(path), secret=b"k", clock=lambda: T0)
    simulate(service, start=T0, days=2, issues_per_day=20, seed=4)
    service.store.close()
    with sqlite3.connect(path) as con:  # as a version-6 store had it
        con.execute("DROP TRIGGER events_visit_months")
        con.execute("DROP TABLE visit_months")
        con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    store = SQLiteStore(path)
    try:
        with sqlite3.connect(path) as con:
            rolled = con.execute("SELECT sum(visits) FROM visit_months").fetchone()[0]
            counted = con.execute("SELECT count(*) FROM events WHERE kind = 'acknowledged'"
                                  " AND actor_role = 'deputy'").fetchone()[0]  # fmt: skip
        assert rolled == counted > 0
    finally:
        store.close()
