"""The Store contract, run against every implementation: SQLite and PostGIS.

The PostGIS case needs ``GRIDGOV_PG_DSN`` (see tests/conftest.py); each test gets a fresh
schema, so the two stores start every test equally empty.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gridgov._errors import DatabaseError, NotFoundError, ParameterError
from gridgov.issues.lifecycle import (
    Acknowledge,
    Actor,
    Assign,
    DispatchDeputies,
    Issue,
    Locate,
    Resolve,
    apply,
    new_issue,
)
from gridgov.store.base import ConflictError, IdempotencyError, IssueQuery, Store, TokenRecord
from gridgov.store.sqlite import SQLiteStore

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
W = Actor("grid_worker", "G1")


def _is_postgis(store: Store) -> bool:
    return type(store).__name__ == "PostGISStore"


def _issue(n: int, *, station: str = "S1", grid: str = "G1", deputies: tuple[str, ...] = ("D1",)):
    issue, events = new_issue(
        issue_id=f"20261123-{n:012d}", category="road", description=f"问题{n}",
        lon=112.5 + n * 1e-4, lat=29.5, actor=W, now=T0 + timedelta(minutes=n),
    )  # fmt: skip
    log = list(events)
    for action in (
        Locate(grid, "V1", "430623101"),
        Assign(
            f"station:{station}", "station", station, station_id=station, township_code="430623101"
        ),
        DispatchDeputies(deputies),
    ):
        issue, more = apply(issue, action, actor=W, now=T0 + timedelta(minutes=n))
        log.extend(more)
    return issue, log


def test_create_get_events_round_trip(store: Store) -> None:
    issue, events = _issue(1)
    stored, created = store.create_issue(issue, events)
    assert created and stored.version == 1
    assert store.get_issue(issue.issue_id) == stored
    got = store.events(issue.issue_id)
    assert [e.kind for e in got] == ["raised", "located", "assigned", "dispatched"]
    assert got[0].at == T0 + timedelta(minutes=1)
    with pytest.raises(NotFoundError):
        store.get_issue("nope")
    with pytest.raises(NotFoundError):
        store.events("nope")


def test_idempotency_key(store: Store) -> None:
    issue, events = _issue(2)
    a, created_a = store.create_issue(issue, events, idempotency_key="k", request_hash="h1")
    other, other_events = _issue(3)
    b, created_b = store.create_issue(other, other_events, idempotency_key="k", request_hash="h1")
    assert created_a and not created_b and b.issue_id == a.issue_id
    with pytest.raises(IdempotencyError, match="different request"):
        store.create_issue(other, other_events, idempotency_key="k", request_hash="h2")
    assert store.list_issues(IssueQuery())[1] == 1


def test_optimistic_version_keeps_both_changes(store: Store) -> None:
    issue, events = _issue(4)
    stored, _ = store.create_issue(issue, events)
    acked, ev = apply(
        stored, Acknowledge(), actor=Actor("deputy", "D1"), now=T0 + timedelta(hours=1)
    )
    v2 = store.update_issue(acked, ev, expected_version=stored.version)
    assert v2.version == 2
    # a second writer that read version 1 loses and must re-read
    stale, ev2 = apply(
        stored, Resolve("x"), actor=Actor("deputy", "D1"), now=T0 + timedelta(hours=2)
    )
    with pytest.raises(ConflictError):
        store.update_issue(stale, ev2, expected_version=stored.version)
    fresh = store.get_issue(issue.issue_id)
    done, ev3 = apply(fresh, Resolve("x"), actor=Actor("deputy", "D1"), now=T0 + timedelta(hours=2))
    store.update_issue(done, ev3, expected_version=fresh.version)
    kinds = [e.kind for e in store.events(issue.issue_id)]
    assert kinds[-2:] == ["acknowledged", "resolved"]
    assert [e.seq for e in store.events(issue.issue_id)] == list(range(1, 7))


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    issue, events = _issue(5)
    store.create_issue(issue, events)
    errors: list[BaseException] = []

    def note(i: int) -> None:
        from gridgov.issues.lifecycle import SuggestDuplicates

        try:
            for _ in range(20):
                cur = store.get_issue(issue.issue_id)
                new, ev = apply(cur, SuggestDuplicates((f"dup{i}",)), actor=W, now=T0)
                try:
                    store.update_issue(new, ev, expected_version=cur.version)
                    return
                except ConflictError:
                    continue
            errors.append(RuntimeError(f"writer {i} never got through"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=note, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = store.events(issue.issue_id)
    assert sorted(e.data["issue_ids"][0] for e in got if e.kind == "duplicates_suggested") == [
        f"dup{i}" for i in range(6)
    ]
    assert store.get_issue(issue.issue_id).version == 7


def test_events_are_append_only(store: Store, tmp_path: Path) -> None:
    issue, events = _issue(6)
    store.create_issue(issue, events)
    if isinstance(store, SQLiteStore):
        import sqlite3

        con = sqlite3.connect(store.path)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE events SET kind = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM events")
        con.close()
    elif _is_postgis(store):
        import psycopg

        with psycopg.connect(store.dsn, autocommit=True) as con:  # type: ignore[attr-defined]
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                con.execute("UPDATE events SET kind = 'x'")
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                con.execute("DELETE FROM events WHERE issue_id = %s", (issue.issue_id,))
    assert [e.kind for e in store.events(issue.issue_id)] == [e.kind for e in events]


def test_list_filters_scope_and_paging(store: Store) -> None:
    for n in range(10):
        issue, events = _issue(
            10 + n, station="S1" if n < 6 else "S2", grid=f"G{n % 3}", deputies=(f"D{n % 2}",)
        )
        store.create_issue(issue, events)
    items, total = store.list_issues(IssueQuery(limit=4))
    assert total == 10 and len(items) == 4
    assert items[0].created_at > items[-1].created_at  # newest first
    assert store.list_issues(IssueQuery(station_ids=("S2",)))[1] == 4
    assert store.list_issues(IssueQuery(grid_codes=("G0",)))[1] == 4
    assert store.list_issues(IssueQuery(deputy_id="D1"))[1] == 5
    assert store.list_issues(IssueQuery(deputy_id="D_"))[1] == 0  # LIKE wildcards are literal
    both = store.list_issues(IssueQuery(station_ids=("S2",), grid_codes=("G0",)))[1]
    assert both == 4 + 2  # scopes OR-ed: S2 (n=6..9) or G0 (n=0,3 in S1; 6,9 already in S2)
    # three scopes, each issue counted once however many it is in (PostGIS counts a scope
    # alone as a UNION of its parts): S2, G0 or D1 (n odd) is n = 0, 1, 3, 5, 6, 7, 8, 9
    three = IssueQuery(station_ids=("S2",), grid_codes=("G0",), deputy_id="D1", limit=3)
    items, total = store.list_issues(three)
    assert total == 8 and len(items) == 3
    assert store.issue_points(three)[1] == 8
    assert store.list_issues(replace(three, category="road"))[1] == 8  # with a filter: the OR
    assert store.list_issues(IssueQuery(open_only=True, category="road"))[1] == 10
    assert store.list_issues(IssueQuery(category="water"))[1] == 0
    assert store.open_load() == {"D0": 5, "D1": 5}


def test_station_and_township_narrow_inside_the_scope(store: Store) -> None:
    # a station admin of S1 asking for S2, or a township's staff for one station: the
    # filter is AND-ed with the scope (which is OR-ed), in the store, paged there too
    for n in range(8):
        issue, events = _issue(50 + n, station="S1" if n < 5 else "S2", grid=f"G{n % 2}")
        store.create_issue(issue, events)
    items, total = store.list_issues(IssueQuery(station_id="S2", limit=2))
    assert total == 3 and [i.station_id for i in items] == ["S2", "S2"]
    assert items[0].created_at > items[1].created_at
    scoped = IssueQuery(station_ids=("S1",), grid_codes=("G1",), station_id="S2")
    listed = [i.issue_id for i in store.list_issues(scoped)[0]]
    assert listed == [f"20261123-{57:012d}", f"20261123-{55:012d}"]  # S2 in G1 only
    page, total = store.list_issues(IssueQuery(township_code="430623101", limit=3, offset=6))
    assert total == 8 and len(page) == 2
    assert store.list_issues(IssueQuery(township_code="430623102"))[1] == 0
    assert store.list_issues(IssueQuery(station_ids=("S1",), station_id="S2"))[1] == 0


def test_due_lists_passed_deadlines(store: Store) -> None:
    issue, events = _issue(30)
    store.create_issue(issue, events)
    assert store.due(T0, resolved_before=T0) == []
    due = store.due(T0 + timedelta(hours=5), resolved_before=T0)
    assert [i.issue_id for i in due] == [issue.issue_id]


def test_tokens(store: Store) -> None:
    rec = TokenRecord("abc", "deputy", "D1", "李", T0)
    store.add_token(rec)
    assert store.token("abc") == rec
    assert store.token("zzz") is None
    assert store.revoke_token("abc") and store.token("abc").revoked  # type: ignore[union-attr]
    assert not store.revoke_token("zzz")
    assert [t.token_hash for t in store.tokens()] == ["abc"]


def test_reopen_persists(store: Store, tmp_path: Path) -> None:
    issue, events = _issue(40)
    store.create_issue(issue, events)
    if isinstance(store, SQLiteStore):
        again: Store = SQLiteStore(store.path)
    elif _is_postgis(store):
        from gridgov.store.postgis import PostGISStore

        again = PostGISStore(store.dsn)  # type: ignore[attr-defined]
    else:
        return
    store.close()
    assert again.get_issue(issue.issue_id).issue_id == issue.issue_id
    again.close()


def test_issue_equality_through_store(store: Store) -> None:
    issue, events = _issue(50)
    stored, _ = store.create_issue(issue, events)
    assert isinstance(stored, Issue) and stored.deputies == ("D1",)


def test_bbox_filter_with_category_and_open(store: Store) -> None:
    # _issue(n) sits at lon 112.5 + n * 1e-4, lat 29.5: a box around n = 61..63
    for n in range(60, 66):
        issue, events = _issue(n)
        store.create_issue(issue, events)
    box = (112.5 + 60.5e-4, 29.49, 112.5 + 63.5e-4, 29.51)
    items, total = store.list_issues(IssueQuery(bbox=box))
    assert total == 3
    assert sorted(i.issue_id[-2:] for i in items) == ["61", "62", "63"]
    near = IssueQuery(bbox=box, category="road", open_only=True)  # duplicate suggestions
    assert store.list_issues(near)[1] == 3
    assert store.list_issues(IssueQuery(bbox=box, category="water"))[1] == 0
    assert store.list_issues(IssueQuery(bbox=(113.0, 29.0, 113.1, 29.1)))[1] == 0
    # edges are inside, as with BETWEEN
    edge = (112.5 + 61e-4, 29.5, 112.5 + 61e-4, 29.5)
    assert store.list_issues(IssueQuery(bbox=edge))[1] == 1


def test_concurrent_creations_with_one_key_make_one_issue(store: Store) -> None:
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def create(i: int) -> None:
        issue, events = _issue(70 + i)
        barrier.wait()
        try:
            stored, created = store.create_issue(
                issue, events, idempotency_key="same", request_hash="h"
            )
            results.append((stored.issue_id, created))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(created for _, created in results) == 1
    assert len({issue_id for issue_id, _ in results}) == 1
    assert store.count() == 1  # type: ignore[attr-defined]
    # the same key with another request body, at once from several threads: all refused
    refused: list[BaseException] = []

    def other(i: int) -> None:
        issue, events = _issue(80 + i)
        try:
            store.create_issue(issue, events, idempotency_key="same", request_hash="other")
        except IdempotencyError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=other, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 4 and store.count() == 1  # type: ignore[attr-defined]


def test_open_load_follows_status_and_update_of_missing_issue(store: Store) -> None:
    a, ev_a = _issue(90, deputies=("D1", "D2"))
    b, ev_b = _issue(91, deputies=("D2",))
    stored_a, _ = store.create_issue(a, ev_a)
    store.create_issue(b, ev_b)
    assert store.open_load() == {"D1": 1, "D2": 2}
    done, ev = apply(stored_a, Resolve("修好了"), actor=Actor("deputy", "D1"), now=T0)
    store.update_issue(done, ev, expected_version=stored_a.version)
    assert store.open_load() == {"D2": 1}
    assert store.open_load(["D2", "D9"]) == {"D2": 1}  # one county's pool
    assert store.open_load({"D1"}) == {} and store.open_load([]) == {}
    ghost, ghost_events = _issue(92)
    with pytest.raises(NotFoundError):
        store.update_issue(ghost, ghost_events, expected_version=1)


def test_all_events_period_and_time_zones(store: Store) -> None:
    from zoneinfo import ZoneInfo

    for n in (100, 101, 102):
        issue, events = _issue(n)
        store.create_issue(issue, events)
    everything = store.all_events()
    assert len(everything) == 12 and [e.at for e in everything] == sorted(e.at for e in everything)
    # a period given in Beijing time selects the same instants as in UTC
    since = (T0 + timedelta(minutes=101)).astimezone(ZoneInfo("Asia/Shanghai"))
    got = store.all_events(since=since, until=T0 + timedelta(minutes=102))
    assert {e.issue_id[-3:] for e in got} == {"101"} and len(got) == 4
    assert all(e.at.utcoffset() == timedelta(0) for e in got)


def test_core_store_needs_no_psycopg(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['psycopg'] = sys.modules['psycopg_pool'] = None\n"
        "from gridgov.store import open_store\n"
        "s = open_store(sys.argv[1]); print(type(s).__name__); s.close()\n"
        "try:\n"
        "    open_store('postgresql://127.0.0.1:1/x')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.sqlite")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[0] == "SQLiteStore"
    assert "pip install 'gridgov[postgis]'" in out


def test_events_of_reads_a_page_in_one_call(store: Store) -> None:
    ids = []
    for n in (110, 111, 112):
        issue, events = _issue(n)
        store.create_issue(issue, events)
        ids.append(issue.issue_id)
    got = store.events_of([ids[2], ids[0], "20261123-nosuchissue"])
    assert list(got) == [ids[2], ids[0], "20261123-nosuchissue"]
    assert got[ids[0]] == store.events(ids[0]) and got[ids[2]] == store.events(ids[2])
    assert got["20261123-nosuchissue"] == [] and store.events_of([]) == {}


def test_sqlite_refuses_memory_and_a_store_of_a_newer_gridgov(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        SQLiteStore(":memory:")
    assert caught.value.parameter == "path"
    path = tmp_path / "issues.sqlite"
    SQLiteStore(path).close()
    import sqlite3

    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(DatabaseError, match=r"issues\.sqlite.*newer"):
        SQLiteStore(path)


def test_issue_points_are_the_layer_fields_of_the_issues_listed(store: Store) -> None:
    from dataclasses import fields as dc_fields

    from gridgov.issues.lifecycle import Escalate
    from gridgov.store.base import POINT_DESCRIPTION, IssuePoint

    for n in range(70, 78):
        issue, events = _issue(n, station=("S1", "S2")[n % 2], grid=f"G{n % 3}",
                               deputies=("D1", "D2") if n % 2 else ("D3",))  # fmt: skip
        issue = replace(issue, description="很长的描述" * 60 if n == 71 else issue.description,
                        reporter_role="grid_worker", reporter_id=f"gw{n % 2}")  # fmt: skip
        stored, _ = store.create_issue(issue, events)
        if n % 4 == 0:  # moved on: level, unit name and escalations change
            moved, more = apply(stored, Escalate("township:430623101", "township", "某镇", missed="acknowledge"),
                                actor=W, now=T0 + timedelta(hours=n))  # fmt: skip
            store.update_issue(moved, more, expected_version=stored.version)
        elif n % 4 == 1:
            moved, more = apply(stored, Acknowledge(), actor=Actor("deputy", stored.deputies[0]),
                                now=T0 + timedelta(hours=n))  # fmt: skip
            store.update_issue(moved, more, expected_version=stored.version)
    box = (112.5 + 69.5e-4, 29.49, 112.5 + 75.5e-4, 29.51)
    for query in (IssueQuery(), IssueQuery(bbox=box, limit=3, offset=2),
                  IssueQuery(station_ids=("S2",)), IssueQuery(deputy_id="D3")):  # fmt: skip
        issues, total = store.list_issues(query)
        points, counted = store.issue_points(query)
        assert counted == total and len(points) == len(issues) > 0
        for i, pt in zip(issues, points, strict=True):
            want = {f.name: getattr(i, f.name) for f in dc_fields(IssuePoint)}
            want["description"] = i.description[:POINT_DESCRIPTION]
            got = {f.name: getattr(pt, f.name) for f in dc_fields(IssuePoint)}
            assert got == want
    assert any(len(p.description) == POINT_DESCRIPTION for p in store.issue_points(IssueQuery())[0])


def test_queue_rows_are_the_deadline_fields_of_every_issue_matched(store: Store) -> None:
    # The work queue classifies a county's open issues from these rows: every issue the
    # query matches (no paging), newest first, with the fields of the issue; the grid
    # filter and the search narrow them as the queue's page does.

    from gridgov.issues.lifecycle import Escalate
    from gridgov.store.base import QueueRow

    for n in range(80, 92):
        issue, events = _issue(n, station=("S1", "S2")[n % 2], grid=f"G{n % 3}")
        if n == 83:
            issue = replace(issue, title="Road COLLAPSED 村道塌陷", address="团华村三组")
        stored, _ = store.create_issue(issue, events)
        if n % 3 == 0:  # above the station by an escalation: its count is read there
            moved, more = apply(stored, Escalate("township:430623101", "township", "某镇",
                                                 missed="acknowledge"),
                                actor=W, now=T0 + timedelta(hours=n))  # fmt: skip
            store.update_issue(moved, more, expected_version=stored.version)
    every, _ = store.list_issues(IssueQuery(limit=-1))
    rows = store.queue_rows(IssueQuery(limit=2, offset=3))  # paging is ignored
    assert [r.issue_id for r in rows] == [i.issue_id for i in every]
    for i, r in zip(every, rows, strict=True):
        want = {name: getattr(i, name) for name in QueueRow._fields}
        assert r._asdict() == want
        assert r.is_open == i.is_open
    assert any(r.escalations == 1 and r.level == "township" for r in rows)

    def ids(**kw: object) -> list[str]:
        q = kw.pop("query", IssueQuery())
        return [r.issue_id for r in store.queue_rows(q, **kw)]  # type: ignore[arg-type]

    assert ids(query=IssueQuery(station_ids=("S2",))) == [
        i.issue_id for i in every if i.station_id == "S2"
    ]
    assert ids(grids=["G1"]) == [i.issue_id for i in every if i.grid_code == "G1"]
    n83 = "20261123-000000000083"
    assert ids(text="collapsed") == [n83]  # the title, ignoring case
    assert ids(text="团华村") == [n83]  # the address
    assert ids(text="问题85") == ["20261123-000000000085"]  # the description
    assert ids(text="000000000087") == ["20261123-000000000087"]  # the id
    assert set(ids(text="某镇")) == {i.issue_id for i in every if i.unit_name == "某镇"}
    assert ids(text="不存在的词") == []
    named = ids(text="西山", text_grids=["G2"])  # a grid whose name holds the words
    assert named == [i.issue_id for i in every if i.grid_code == "G2"]
    assert ids(grids=["G2"], text="问题8") == [i.issue_id for i in every if i.grid_code == "G2"]


def test_sqlite_closes_the_connections_of_ended_threads(tmp_path: Path) -> None:
    # A server's worker threads come and go; each opens its own connection. Those of ended
    # threads must be closed, or the process grows by megabytes a request without end.
    store = SQLiteStore(tmp_path / "issues.sqlite")
    try:
        for _ in range(30):
            t = threading.Thread(target=lambda: store.list_issues(IssueQuery(limit=1)))
            t.start()
            t.join()
        assert len(store._all) <= 2  # this thread's and the last one's at most
        store.list_issues(IssueQuery(limit=1))
    finally:
        store.close()
    assert store._all == {}
