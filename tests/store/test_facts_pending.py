"""The SQLite store's list of issues whose statistics facts are missing (version 8): the
statistics read it instead of counting every issue and fact per request, so it must name
exactly the issues without facts, through writes, a change of deadlines and an upgrade."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from gridgov.issues.lifecycle import Acknowledge, Actor, apply
from gridgov.issues.stats import facts_basis, kept_facts, refresh_facts
from gridgov.settings import Settings
from gridgov.store.sqlite import SQLiteStore
from tests.store.test_load import T0, _raised


def _missing(store: SQLiteStore, basis: str) -> list[str]:
    """The issues without facts under ``basis``, counted the slow way."""
    con = sqlite3.connect(store.path)
    try:
        rows = con.execute(
            "SELECT issue_id FROM issues WHERE NOT EXISTS (SELECT 1 FROM issue_facts f"
            " WHERE f.issue_id = issues.issue_id AND f.basis = ?) ORDER BY created_at, issue_id",
            (basis,),
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _stale(store: SQLiteStore, basis: str) -> list[str]:
    return sorted(store.stale_facts(basis=basis))


def test_pending_follows_creation_facts_and_updates(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "issues.sqlite")
    settings = Settings()
    basis = facts_basis(settings)
    for n in range(6):
        store.create_issue(*_raised(n, ("D1",)))
    assert _stale(store, basis) == _missing(store, basis) and len(_missing(store, basis)) == 6
    assert refresh_facts(store, settings) == 6
    assert _stale(store, basis) == [] == _missing(store, basis)
    # an issue that moves loses its facts and is listed again; only it
    issue = store.get_issue(_missing(store, "other")[2])
    changed, events = apply(issue, Acknowledge(), actor=Actor("deputy", "D1"), now=T0)
    store.update_issue(changed, events, expected_version=issue.version)
    assert _stale(store, basis) == [issue.issue_id] == _missing(store, basis)
    # facts for a version that is no longer the issue's are refused: still listed
    log = store.events_of([issue.issue_id])[issue.issue_id]
    old = kept_facts(issue, log[: len(log) - len(events)], settings, basis=basis)
    assert store.put_facts([old]) == 0
    assert _stale(store, basis) == [issue.issue_id]
    assert refresh_facts(store, settings) == 1 and _stale(store, basis) == []


def test_other_deadlines_fall_back_to_counting(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "issues.sqlite")
    before = Settings()
    for n in range(4):
        store.create_issue(*_raised(n, ("D1",)))
    refresh_facts(store, before)
    after = replace(
        before,
        deadlines_h={
            level: {step: h * 2 for step, h in steps.items()}
            for level, steps in before.deadlines_h.items()
        },
    )
    new = facts_basis(after)
    assert new != facts_basis(before)
    # every fact is of the old deadlines: the pending list is empty, yet all are missing
    assert _stale(store, new) == _missing(store, new) and len(_stale(store, new)) == 4
    assert refresh_facts(store, after) == 4
    assert _stale(store, new) == [] and _stale(store, facts_basis(before)) == _missing(
        store, facts_basis(before)
    )


def test_version_7_store_gets_its_pending_list(tmp_path: Path) -> None:
    path = tmp_path / "issues.sqlite"
    store = SQLiteStore(path)
    settings = Settings()
    basis = facts_basis(settings)
    for n in range(5):
        store.create_issue(*_raised(n, ("D1",)))
    refresh_facts(store, settings)
    for n in range(5, 8):  # three written without facts
        store.create_issue(*_raised(n, ("D2",)))
    store.close()
    con = sqlite3.connect(path)  # what a version-7 file looked like
    for trigger in ("issues_facts_pending_new", "issues_facts_pending_changed",
                    "issue_facts_basis_added", "issue_facts_basis_removed",
                    "issue_facts_basis_changed"):  # fmt: skip
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute("DROP TABLE facts_pending")
    con.execute("DROP TABLE fact_bases")
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    store = SQLiteStore(path)
    assert _stale(store, basis) == _missing(store, basis) and len(_stale(store, basis)) == 3
    con = sqlite3.connect(path)
    assert con.execute("SELECT basis, n FROM fact_bases").fetchall() == [(basis, 5)]
    con.close()
