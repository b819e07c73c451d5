"""The stores' deputy-load tables (SQLite: written with each change; PostGIS: a trigger)
stay in step with every write, and a version-1 SQLite store (which had no such table) is
rebuilt when opened."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gridgov._errors import ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    Assign,
    Close,
    DispatchDeputies,
    Issue,
    Locate,
    Rate,
    Resolve,
    Transfer,
    TransitionError,
    apply,
    new_issue,
)
from gridgov.model import Rating
from gridgov.store.base import IssueQuery, Store
from gridgov.store.sqlite import SCHEMA_VERSION, SQLiteStore

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
W = Actor("grid_worker", "G1")
DEPUTIES = ("D1", "D2", "D3", "D4", "D5")


def _raised(n: int, deputies: tuple[str, ...]) -> tuple[Issue, list]:
    issue, events = new_issue(
        issue_id=f"20261123-{n:012d}", category="road", description=f"问题{n}",
        lon=112.5, lat=29.5, actor=W, now=T0,
    )  # fmt: skip
    log = list(events)
    for action in (
        Locate("G1", "V1", "430623101"),
        Assign("station:S1", "station", "S1", station_id="S1", township_code="430623101"),
        DispatchDeputies(deputies),
    ):
        issue, more = apply(issue, action, actor=W, now=T0)
        log.extend(more)
    return issue, log


def _recount(store: Store) -> dict[str, int]:
    issues, _ = store.list_issues(IssueQuery(open_only=True, limit=10_000))
    load: dict[str, int] = {}
    for issue in issues:
        for deputy in issue.deputies:
            load[deputy] = load.get(deputy, 0) + 1
    return load


def test_load_table_follows_random_lifecycles(store: Store) -> None:
    rng = random.Random(7)
    ids = []
    for n in range(40):
        issue, events = _raised(n, tuple(rng.sample(DEPUTIES, rng.randint(1, 3))))
        store.create_issue(issue, events)
        ids.append(issue.issue_id)
    steps = [
        lambda i: Acknowledge(),
        lambda i: Resolve("已处理"),
        lambda i: Rate(Rating.UNSATISFIED, "没修好"),  # reopens: load comes back
        lambda i: Rate(Rating.SATISFIED),
        lambda i: Close("结案"),
        lambda i: Transfer("station:S2", "station", "S2", "不属本站", station_id="S2"),
    ]
    applied = 0
    for k in range(400):
        issue = store.get_issue(rng.choice(ids))
        action = rng.choice(steps)(issue)
        try:
            changed, events = apply(issue, action, actor=Actor("county_staff", "C"), now=T0)
        except (TransitionError, ParameterError):  # not allowed here (a transfer to the
            continue  # unit it is at is refused): try another
        store.update_issue(changed, events, expected_version=issue.version)
        applied += 1
        if k % 50 == 0:
            assert store.open_load() == _recount(store)
    assert applied > 60
    assert store.open_load() == _recount(store)
    assert store.open_load(["D1", "nobody"]) == {
        d: n for d, n in _recount(store).items() if d == "D1"
    }
    # a county-sized pool (read by a scan of the load table, not a join of the ids)
    # answers for the same deputies and no others
    pool = ["D2", "D4", *(f"X{i}" for i in range(150))]
    assert store.open_load(pool) == {d: n for d, n in _recount(store).items() if d in pool}


def test_version_1_store_is_upgraded_with_its_load(tmp_path: Path) -> None:
    path = tmp_path / "issues.sqlite"
    store = SQLiteStore(path)
    for n, deputies in enumerate((("D1", "D2"), ("D2",), ("D3",))):
        issue, events = _raised(n, deputies)
        store.create_issue(issue, events)
    before = store.open_load()
    store.close()
    # what a version-1 file looked like: no load table, version 1 recorded
    con = sqlite3.connect(path)
    con.execute("DROP TABLE deputy_load")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    reopened = SQLiteStore(path)
    assert reopened.open_load() == before == {"D1": 1, "D2": 2, "D3": 1}
    version = reopened._con().execute("SELECT value FROM meta WHERE key = 'schema_version'")
    assert int(version.fetchone()[0]) == SCHEMA_VERSION
    reopened.close()


def test_newer_store_is_refused_with_its_version(tmp_path: Path) -> None:
    path = tmp_path / "issues.sqlite"
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="version 99 is newer"):
        SQLiteStore(path)


def test_created_closed_issue_adds_no_load(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "issues.sqlite")
    issue, events = _raised(1, ("D1",))
    store.create_issue(issue, events)
    later = T0 + timedelta(hours=1)
    stored = store.get_issue(issue.issue_id)
    for action in (Resolve("好了"), Rate(Rating.SATISFIED)):
        changed, ev = apply(stored, action, actor=Actor("county_staff", "C"), now=later)
        stored = store.update_issue(changed, ev, expected_version=stored.version)
    assert store.open_load() == {}
    store.close()


def test_load_read_by_another_process_follows_each_write(tmp_path: Path) -> None:
    # the table is kept per process and read again when its generation moves: a second
    # store on the file (another server worker) sees every write of the first
    path = tmp_path / "issues.sqlite"
    writer, reader = SQLiteStore(path), SQLiteStore(path)
    assert reader.open_load() == {}
    issue, events = _raised(1, ("D1", "D2"))
    writer.create_issue(issue, events)
    assert reader.open_load() == {"D1": 1, "D2": 1}
    assert reader.open_load(["D2", *(f"X{i}" for i in range(150))]) == {"D2": 1}
    assert reader.open_load(["D1", "X1"]) == {"D1": 1}  # a station's few: from the table kept
    stored = writer.get_issue(issue.issue_id)
    changed, more = apply(stored, Resolve("好了"), actor=Actor("county_staff", "C"), now=T0)
    writer.update_issue(changed, more, expected_version=stored.version)
    assert reader.open_load(["D1", "D2"]) == {}  # the kept table is stale: their rows read
    assert reader.open_load() == {} == _recount(writer)
    # a table read whole is never handed out for the caller to change
    reader.open_load()["D1"] = 9
    assert reader.open_load() == {}
    writer.close()
    reader.close()


def test_load_read_inside_a_rolled_back_write_is_not_kept(tmp_path: Path) -> None:
    # A write that moves the load and is rolled back leaves the generation where it was,
    # and the next committed change moves it to the number the rolled-back one had: what
    # was read inside the rolled-back write must not be taken for that commit's table.
    from gridgov.store.sqlite import _add_load

    path = tmp_path / "issues.sqlite"
    store, other = SQLiteStore(path), SQLiteStore(path)
    assert store.open_load() == {}
    with pytest.raises(RuntimeError), store._write() as con:
        _add_load(con, (), ("D9",))
        assert store.open_load() == {"D9": 1}  # the write sees its own change
        assert store.open_load(["D9"]) == {"D9": 1}
        raise RuntimeError("rolled back")
    issue, events = _raised(1, ("D1",))
    other.create_issue(issue, events)  # one row changed: the same generation number
    assert store.open_load(["D1", "D9"]) == {"D1": 1}
    assert store.open_load() == {"D1": 1} == _recount(store)
    store.close()
    other.close()
