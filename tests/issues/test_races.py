"""Concurrent actions on issues: exactly one of two conflicting actions wins, on both stores.

Each round starts two threads at a barrier; the actions read the issue (and the target
of a merge) and decide inside one write transaction with the rows locked in id order.
"""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gridgov import synth
from gridgov._errors import ConflictError, ParameterError
from gridgov.issues.lifecycle import Actor, Close, Issue, Resolve, Transfer
from gridgov.issues.service import IssueService, NewIssue
from gridgov.model import Workspace
from gridgov.store.base import Store
from gridgov.store.sqlite import SQLiteStore

ROUNDS = 20
COUNTY = Actor("county_staff", "430623", "县代表工委")
NAME, PHONE = "匿名举报人王五", "13912345678"


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

        s = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=8)
    yield s
    s.close()


@pytest.fixture
def service(ws: Workspace, store: Store) -> IssueService:
    return IssueService(ws, store, secret=b"test-key")


def _point(service: IssueService, grid: str) -> tuple[float, float]:
    p = service.ws.grids.set_index("code").loc[grid, "geometry"].representative_point()
    return float(p.x), float(p.y)


def _grid_and_stations(service: IssueService) -> tuple[str, str, list[str]]:
    grid = sorted(service.grid_station)[0]
    home = service.grid_station[grid]
    others = sorted(s for s in set(service.grid_station.values()) if s != home)[:2]
    return grid, home, others


def _raise(service: IssueService, grid: str, category: str = "road", **kw: Any) -> Issue:
    lon, lat = _point(service, grid)
    data = NewIssue(category=category, description="村道路面塌陷", lon=lon, lat=lat, **kw)
    return service.raise_issue(data, COUNTY).issue


def _race(a: Callable[[], object], b: Callable[[], object]) -> list[str]:
    """Run a and b at once; 'ok' or the exception's class name for each."""
    barrier = threading.Barrier(2)
    out = ["", ""]

    def run(i: int, f: Callable[[], object]) -> None:
        barrier.wait()
        try:
            f()
            out[i] = "ok"
        except Exception as exc:
            out[i] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


_LOSES = {"ConflictError", "TransitionError", "ParameterError"}


def test_merge_both_ways_has_one_winner(service: IssueService) -> None:
    grid, _, _ = _grid_and_stations(service)
    for _ in range(ROUNDS):
        a, b = _raise(service, grid), _raise(service, grid)
        got = _race(
            lambda a=a, b=b: service.merge(a.issue_id, b.issue_id, COUNTY),
            lambda a=a, b=b: service.merge(b.issue_id, a.issue_id, COUNTY),
        )
        assert got.count("ok") == 1 and set(got) - {"ok"} <= _LOSES, got
        fa, fb = service.store.get_issue(a.issue_id), service.store.get_issue(b.issue_id)
        closed = [i for i in (fa, fb) if i.merged_into]
        assert len(closed) == 1 and [i.is_open for i in (fa, fb)].count(True) == 1
        kept = fb if closed[0] is fa else fa
        kinds = [e.kind for e in service.store.events(kept.issue_id)]
        assert kinds.count("duplicate_merged") == 1  # the survivor's log names its duplicate


def test_merge_into_an_issue_being_closed_never_lands_in_a_closed_one(
    service: IssueService,
) -> None:
    grid, _, _ = _grid_and_stations(service)
    for _ in range(ROUNDS):
        a, b = _raise(service, grid), _raise(service, grid)
        _race(
            lambda a=a, b=b: service.merge(a.issue_id, b.issue_id, COUNTY),
            lambda b=b: service.act(b.issue_id, Close("已在别处办结"), COUNTY),
        )
        fa = service.store.get_issue(a.issue_id)
        kinds = [e.kind for e in service.store.events(b.issue_id)]
        if fa.merged_into:  # merged first, then closed: the order the logs show
            assert kinds.index("duplicate_merged") < kinds.index("closed"), kinds
        else:
            assert fa.is_open and "duplicate_merged" not in kinds


def test_two_transfers_or_transfer_and_resolve_have_one_winner(service: IssueService) -> None:
    grid, _, (s1, s2) = _grid_and_stations(service)
    results: list[list[str]] = []
    for n in range(ROUNDS):
        issue = _raise(service, grid)
        v = issue.version

        def to(station: str, issue: Issue = issue, v: int = v) -> Issue:
            target = service.unit_action_target(f"station:{station}")
            return service.act(
                issue.issue_id, Transfer(reason="不属本站", **target), COUNTY, expected_version=v
            )

        def resolve(issue: Issue = issue, v: int = v) -> Issue:
            return service.act(issue.issue_id, Resolve("已修复"), COUNTY, expected_version=v)

        got = _race(lambda: to(s1), (lambda: to(s2)) if n % 2 else resolve)
        results.append(got)
        assert got.count("ok") == 1 and set(got) - {"ok"} <= _LOSES, got
        events = service.store.events(issue.issue_id)
        assert sum(e.kind in ("transferred", "resolved") for e in events) == 1
    assert len(results) == ROUNDS


def test_a_retry_never_reapplies_a_transfer_on_a_moved_issue(service: IssueService) -> None:
    grid, _, (s1, s2) = _grid_and_stations(service)
    issue = _raise(service, grid)
    first = service.unit_action_target(f"station:{s1}")
    moved = service.act(issue.issue_id, Transfer(reason="转办", **first), COUNTY)
    with pytest.raises(ConflictError, match="version"):
        service.act(
            issue.issue_id,
            Transfer(reason="转办", **service.unit_action_target(f"station:{s2}")),
            COUNTY,
            expected_version=issue.version,
        )
    assert service.store.get_issue(issue.issue_id).version == moved.version


# --- rules that could be dodged ----------------------------------------------------------


def test_transfer_to_the_unit_it_is_at_is_refused(service: IssueService) -> None:
    grid, home, _ = _grid_and_stations(service)
    issue = _raise(service, grid)
    target = service.unit_action_target(f"station:{home}")
    with pytest.raises(ParameterError, match=f"already at station:{home}"):
        service.act(issue.issue_id, Transfer(reason="重新计时", **target), COUNTY)
    assert service.store.get_issue(issue.issue_id).acknowledge_due == issue.acknowledge_due


def test_station_follows_the_unit_and_a_transfer_dispatches_there(service: IssueService) -> None:
    grid, home, (s1, _) = _grid_and_stations(service)
    issue = _raise(service, grid)
    moved = service.act(
        issue.issue_id,
        Transfer(reason="转办", **service.unit_action_target(f"station:{s1}")),
        COUNTY,
    )
    assert moved.station_id == s1 and moved.status.value == "dispatched"
    station_of = dict(zip(service.ws.deputies["deputy_id"].astype(str),
                          service.ws.deputies["station_id"].astype(str), strict=True))  # fmt: skip
    assert moved.deputies and all(station_of[d] == s1 for d in moved.deputies)
    # to a grid of the home station, then escalated by the deadline: the home station's
    grid_unit = f"grid:{grid}"
    assert grid_unit in service.escalation
    at_grid = service.act(
        issue.issue_id, Transfer(reason="回网格", **service.unit_action_target(grid_unit)), COUNTY
    )
    assert at_grid.station_id == home and at_grid.deputies == ()
    due = at_grid.acknowledge_due
    assert due is not None
    service.tick(due)
    up = service.store.get_issue(issue.issue_id)
    assert up.unit == f"station:{home}" and up.station_id == home
    town = service.unit_action_target(f"station:{home}")["township_code"]
    assert up.township_code == town


def test_merge_needs_same_category_and_the_duplicate_radius(service: IssueService) -> None:
    grid, _, _ = _grid_and_stations(service)
    far_grid = max(service.grid_station, key=lambda g: _point(service, g)[0])
    a = _raise(service, grid)
    other = _raise(service, grid, category="sanitation")
    far = _raise(service, far_grid)
    with pytest.raises(ParameterError, match="differ in category"):
        service.merge(a.issue_id, other.issue_id, COUNTY)
    with pytest.raises(ParameterError, match=r"m apart, farther than the duplicate radius"):
        service.merge(a.issue_id, far.issue_id, COUNTY)
    assert service.store.get_issue(a.issue_id).is_open


# --- idempotency records keep no trace of the reporter --------------------------------------


def _all_text(store: Store, tmp_path: Path) -> str:
    if isinstance(store, SQLiteStore):
        con = sqlite3.connect(store.path)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(con.execute(f"SELECT * FROM {t}").fetchall()) for t in tables]
        con.close()
        return "\n".join(rows)
    import psycopg

    with psycopg.connect(store.dsn) as conn:  # type: ignore[attr-defined]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ]
        return "\n".join(repr(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


def test_an_anonymous_report_leaves_no_trace_of_the_reporter(
    service: IssueService, tmp_path: Path
) -> None:
    import hashlib
    import json

    grid, _, _ = _grid_and_stations(service)
    lon, lat = _point(service, grid)
    data = NewIssue(
        category="road", description="村道路面塌陷", lon=lon, lat=lat,
        reporter_name=NAME, reporter_phone=PHONE, anonymous=True,
    )  # fmt: skip
    first = service.raise_issue(data, COUNTY, idempotency_key="k-anon")
    again = service.raise_issue(data, COUNTY, idempotency_key="k-anon")
    assert first.created and not again.created and again.issue.issue_id == first.issue.issue_id
    text = _all_text(service.store, tmp_path)
    # the SHA-256 the store used to keep, over the request with the personal fields
    body = {k: v for k, v in data.__dict__.items() if k != "tracking_hash"}
    body["actor"] = [COUNTY.role, COUNTY.subject]
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    old_hash = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    for secret in (NAME, PHONE, old_hash):
        assert secret not in text


def test_idempotency_records_expire(service: IssueService) -> None:
    from datetime import timedelta

    grid, _, _ = _grid_and_stations(service)
    lon, lat = _point(service, grid)
    data = NewIssue(category="road", description="路灯坏了", lon=lon, lat=lat)
    t0 = service.clock()
    first = service.raise_issue(data, COUNTY, idempotency_key="k1", now=t0)
    later = t0 + timedelta(hours=service.idempotency_ttl_h + 1)
    again = service.raise_issue(data, COUNTY, idempotency_key="k1", now=later)
    assert again.created and again.issue.issue_id != first.issue.issue_id


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "private.sqlite")
    store.count()
    for suffix in ("", "-wal", "-shm"):
        path = tmp_path / f"private.sqlite{suffix}"
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    store.close()
