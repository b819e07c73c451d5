"""Accounts: passwords hashed with Argon2, logins by login, phone or unique name, locks
after failures, sessions by hash with an expiry, bulk creation from the workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("argon2")

from gridgov import synth
from gridgov._errors import ParameterError, ValidationError
from gridgov.issues import accounts as acc
from gridgov.issues.access import hash_token
from gridgov.model import Workspace
from gridgov.store.accounts import account_store
from gridgov.store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
FAST = acc.password_hasher(profile="test")


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return synth.demo_county(seed=2024)


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[acc.AccountStoreLike]:
    """The account tables of a fresh SQLite store, and of a fresh PostGIS schema (migration
    0010) when a test database is there."""
    if request.param == "sqlite":
        issues: Any = SQLiteStore(tmp_path / "issues.sqlite")
    else:
        from gridgov.store.postgis import PostGISStore

        issues = PostGISStore(request.getfixturevalue("pg_schema")(), max_size=2)
    try:
        yield account_store(issues)
    finally:
        issues.close()


def _one(store: acc.AccountStoreLike, login: str = "xz-1", phone: str = "13800001111") -> str:
    spec = acc.AccountSpec(login, "王芳", "planner", "规划组", phone)
    [(_, password)] = acc.create_accounts(store, [spec], now=NOW, hasher=FAST)
    return password


def test_passwords_are_stored_only_as_argon2id_hashes(store: acc.AccountStoreLike) -> None:
    password = _one(store)
    [account] = store.accounts()
    assert account.password_hash.startswith("$argon2id$")
    assert password not in account.password_hash
    path = getattr(getattr(store, "store", None), "path", None)
    if path is not None:  # SQLite: not in the file either (PostgreSQL: see the row above)
        assert password.encode() not in Path(path).read_bytes()


def test_login_by_login_phone_or_unique_name(store: acc.AccountStoreLike) -> None:
    password = _one(store)
    for who in ("xz-1", "138-0000-1111", "王芳"):
        assert acc.authenticate(store, who, password, now=NOW, hasher=FAST).login == "xz-1"
    # a name two people share names neither
    spec = acc.AccountSpec("xz-2", "王芳", "planner", "规划组")
    acc.create_accounts(store, [spec], now=NOW, hasher=FAST)
    with pytest.raises(acc.LoginError) as err:
        acc.authenticate(store, "王芳", password, now=NOW, hasher=FAST)
    assert err.value.reason == "wrong"


def test_failures_lock_the_account_then_it_opens_again(store: acc.AccountStoreLike) -> None:
    password = _one(store)
    for _ in range(acc.MAX_FAILURES - 1):
        with pytest.raises(acc.LoginError, match="wrong"):
            acc.authenticate(store, "xz-1", "guess", now=NOW, hasher=FAST)
    with pytest.raises(acc.LoginError) as err:
        acc.authenticate(store, "xz-1", "guess", now=NOW, hasher=FAST)
    assert err.value.reason == "locked"
    with pytest.raises(acc.LoginError, match="locked"):  # even the right password
        acc.authenticate(store, "xz-1", password, now=NOW, hasher=FAST)
    later = NOW + timedelta(minutes=acc.LOCK_MINUTES + 1)
    assert acc.authenticate(store, "xz-1", password, now=later, hasher=FAST).failures == 0


def test_unknown_login_is_refused_like_a_wrong_password(store: acc.AccountStoreLike) -> None:
    _one(store)
    with pytest.raises(acc.LoginError) as err:
        acc.authenticate(store, "nobody", "x", now=NOW, hasher=FAST)
    assert err.value.reason == "wrong"


def test_sessions_are_stored_hashed_expire_and_end(store: acc.AccountStoreLike) -> None:
    password = _one(store)
    account = acc.authenticate(store, "xz-1", password, now=NOW, hasher=FAST)
    sid = acc.start_session(store, account, now=NOW)
    assert store.session(sid) is None and store.session(hash_token(sid)) is not None
    assert acc.session_account(store, sid, now=NOW + timedelta(hours=1)) == account
    assert acc.session_account(store, sid, now=NOW + timedelta(hours=acc.SESSION_HOURS)) is None
    assert acc.session_account(store, "made-up", now=NOW) is None
    assert acc.end_session(store, sid)
    assert acc.session_account(store, sid, now=NOW) is None


def test_initial_hashes_are_upgraded_at_the_first_login(store: acc.AccountStoreLike) -> None:
    spec = acc.AccountSpec("xz-1", "王芳", "planner", "规划组")
    [(_, password)] = acc.create_accounts(store, [spec], now=NOW)
    first = store.account("xz-1")
    assert first is not None and "m=19456" in first.password_hash
    acc.authenticate(store, "xz-1", password, now=NOW, hasher=acc.password_hasher())
    upgraded = store.account("xz-1")
    assert upgraded is not None and "m=65536" in upgraded.password_hash


def test_csrf_token_is_bound_to_the_session() -> None:
    assert acc.csrf_ok("s1", acc.csrf_token("s1"))
    assert not acc.csrf_ok("s2", acc.csrf_token("s1"))
    assert not acc.csrf_ok("s1", "")


def test_change_password_checks_the_old_one_and_ends_must_change(
    store: acc.AccountStoreLike,
) -> None:
    password = _one(store)
    account = store.account("xz-1")
    assert account is not None and account.must_change
    with pytest.raises(ParameterError, match="old"):
        acc.change_password(store, account, "wrong", "n3w-password", hasher=FAST)
    with pytest.raises(ParameterError, match="new"):
        acc.change_password(store, account, password, "short", hasher=FAST)
    changed = acc.change_password(store, account, password, "n3w-password", hasher=FAST)
    assert not changed.must_change
    assert acc.authenticate(store, "xz-1", "n3w-password", now=NOW, hasher=FAST)


def test_every_role_of_the_workspace_gets_accounts_with_its_scope(ws: Workspace) -> None:
    specs = acc.accounts_from_workspace(ws)
    roles = {s.role for s in specs}
    assert roles == {"grid_worker", "deputy", "station_admin", "township_staff", "county_staff"}
    assert sum(s.role == "deputy" for s in specs) == len(ws.deputies)
    assert sum(s.role == "station_admin" for s in specs) == len(ws.stations)
    assert sum(s.role == "township_staff" for s in specs) == len(ws.townships)
    workers = [s for s in specs if s.role == "grid_worker"]
    covered = {g for s in workers for g in s.subject.split(",")}
    named = set(ws.grids.loc[ws.grids["worker_name"].notna(), "code"].astype(str))
    assert covered == named
    assert len({s.login for s in specs}) == len(specs)
    phones = [s.phone for s in specs if s.phone]
    assert len(phones) == len(set(phones))
    for s in specs[:: max(1, len(specs) // 40)]:  # a sample: each a valid scope
        acc.principal_of(acc.Account(s.login, s.name, s.role, s.subject, s.phone, "", NOW), ws)


def test_bulk_creation_skips_existing_and_writes_the_sheet(
    ws: Workspace, store: acc.AccountStoreLike, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    specs = [s for s in acc.accounts_from_workspace(ws) if s.role != "deputy"]
    rows = acc.create_accounts(store, specs, now=NOW, ws=ws, hasher=FAST)
    assert len(rows) == len(specs)
    assert acc.create_accounts(store, specs, now=NOW, ws=ws, hasher=FAST) == []
    sheet = acc.write_password_sheet(rows, tmp_path / "passwords.xlsx")
    assert sheet.stat().st_mode & 0o077 == 0
    values = list(load_workbook(sheet).worksheets[0].values)
    assert values[0] == acc.SHEET_HEADERS
    assert len(values) == len(rows) + 1
    login, _, role, _, _, password = values[1]
    account = acc.authenticate(store, str(login), str(password), now=NOW, hasher=FAST)
    assert account.role_zh == role


def test_bad_specs_are_refused_together(ws: Workspace, store: acc.AccountStoreLike) -> None:
    bad = [
        acc.AccountSpec("a b", "x", "deputy", "nobody"),
        acc.AccountSpec("ok-1", "y", "emperor", "z"),
    ]
    with pytest.raises(ValidationError) as err:
        acc.create_accounts(store, bad, now=NOW, ws=ws, hasher=FAST)
    assert {p.field for p in err.value.problems} >= {"login", "subject", "role"}
    assert store.accounts() == []


def test_reset_password_unlocks_and_ends_sessions(store: acc.AccountStoreLike) -> None:
    password = _one(store)
    account = acc.authenticate(store, "xz-1", password, now=NOW, hasher=FAST)
    sid = acc.start_session(store, account, now=NOW)
    _, fresh = acc.reset_password(store, "xz-1", hasher=FAST)
    assert acc.session_account(store, sid, now=NOW) is None
    assert acc.authenticate(store, "xz-1", fresh, now=NOW, hasher=FAST).must_change
