"""Logging in to the screens over plain HTTP: sessions, cookies, CSRF, limits, homes by role.

Accounts are made in the test's store with a cheap hash (the hashing cost is
:mod:`tests.issues.test_accounts`' concern); the app checks them like any other.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, AddressLimit, Screens
from gridgov.issues.accounts import (
    LOCK_MINUTES,
    MAX_FAILURES,
    SESSION_HOURS,
    Account,
    hash_password,
    password_hasher,
)
from gridgov.store.accounts import account_store

PASSWORD = "Wangge-2026"


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world, used over its test client (no browser)."""
    return server.world


_FAST = password_hasher(profile="test")


def make_account(
    world: Any, login: str, role: str, subject: str, *, name: str = "", phone: str = ""
) -> Account:
    """An account in ``world``'s store whose password is :data:`PASSWORD`."""
    app = world.client.app
    if getattr(app.state, "screens", None) is None:
        store = account_store(world.service.store)
        app.state.screens = Screens(store, _FAST, AddressLimit(), {})
    account = Account(
        login, name or login, role, subject, phone, hash_password(PASSWORD, hasher=_FAST),
        world.clock[0], must_change=False,
    )  # fmt: skip
    app.state.screens.accounts.put_account(account)
    return account


def staff_accounts(world: Any) -> dict[str, Account]:
    """One account per role of the demo world, keyed like its tokens."""
    p = world.places
    county = str(world.ws.county["code"].iloc[0])
    subjects = {
        "grid_worker": ("grid_worker", p.grid_a),
        "deputy": ("deputy", p.deputy_a),
        "station_admin": ("station_admin", p.station_a),
        "township_staff": ("township_staff", p.township_a),
        "township_staff_other": ("township_staff", p.township_b),
        "county_staff": ("county_staff", county),
        "planner": ("planner", "规划组"),
    }
    return {
        key: make_account(world, key.replace("_", "-"), role, subject)
        for key, (role, subject) in subjects.items()
    }


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(client: Any, who: str, password: str = PASSWORD, next_url: str = "") -> Any:
    """GET /login for its form, then POST it; returns the POST's answer (not followed)."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    data = {"who": who, "password": password, "csrf": csrf_of(page.text), "next": next_url}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_page_is_chinese_with_security_headers(world: Any) -> None:
    r = world.call("GET", "/login")
    assert r.status_code == 200
    assert "账号、手机号或姓名" in r.text and "密码" in r.text
    assert "nonce-" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers["set-cookie"]
    assert LOGIN_CSRF_COOKIE in cookie and "HttpOnly" in cookie


def test_login_sets_a_safe_session_cookie_and_lands_by_role(world: Any) -> None:
    staff_accounts(world)
    r = login(world.client, "township-staff")
    assert r.status_code == 303 and r.headers["location"] == "/work"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    assert "Secure" not in cookie  # plain http here
    assert world.client.get("/", follow_redirects=False).headers["location"] == "/work"
    world.client.cookies.clear()
    assert login(world.client, "grid-worker").headers["location"] == "/field/raise"
    assert world.client.get("/", follow_redirects=False).headers["location"] == "/field/raise"


def test_the_session_cookie_is_secure_over_https(world: Any) -> None:
    from fastapi.testclient import TestClient

    staff_accounts(world)
    with TestClient(world.client.app, base_url="https://testserver") as client:
        r = login(client, "county-staff")
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
        assert "Secure" in cookie


def test_login_by_phone_and_by_name(world: Any) -> None:
    make_account(world, "db-x", "deputy", world.places.deputy_a, name="李代表", phone="13912345678")
    assert login(world.client, "139-1234-5678").status_code == 303
    world.client.cookies.clear()
    assert login(world.client, "李代表").status_code == 303


def test_wrong_password_is_refused_in_chinese_and_locks_after_five(world: Any) -> None:
    staff_accounts(world)
    for _ in range(MAX_FAILURES - 1):
        r = login(world.client, "county-staff", "guess")
        assert r.status_code == 401 and "账号或密码不正确" in r.text
    r = login(world.client, "county-staff", "guess")
    assert r.status_code == 401 and "已锁定" in r.text
    assert "已锁定" in login(world.client, "county-staff").text  # even the right one
    world.advance(LOCK_MINUTES / 60 + 0.1)
    assert login(world.client, "county-staff").status_code == 303


def test_one_address_may_not_try_many_accounts(world: Any) -> None:
    staff_accounts(world)
    world.client.app.state.screens.limit = AddressLimit(failures=3)
    for who in ("a", "b", "c"):
        assert login(world.client, who, "x").status_code == 401
    r = login(world.client, "county-staff")  # the right password, but from this address
    assert r.status_code == 429 and "登录失败次数过多" in r.text


def test_login_without_its_csrf_cookie_is_refused(world: Any) -> None:
    staff_accounts(world)
    page = world.client.get("/login")
    world.client.cookies.clear()  # a cross-site form has the field at best, never the cookie
    data = {"who": "county-staff", "password": PASSWORD, "csrf": csrf_of(page.text)}
    r = world.client.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 403 and "表单已失效" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_next_never_leaves_the_site(world: Any, target: str) -> None:
    staff_accounts(world)
    assert login(world.client, "county-staff", next_url=target).headers["location"] == "/work"


def test_next_brings_the_person_back(world: Any) -> None:
    staff_accounts(world)
    r = world.client.get("/work?tab=overdue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert (
        login(world.client, "county-staff", next_url="/work?tab=overdue").headers["location"]
        == "/work?tab=overdue"
    )


def test_logout_needs_the_csrf_token_and_ends_the_session(world: Any) -> None:
    staff_accounts(world)
    login(world.client, "county-staff")
    page = world.client.get("/work")
    assert page.status_code == 200
    r = world.client.post("/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert world.client.get("/work").status_code == 200  # still logged in
    r = world.client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert world.client.get("/work", follow_redirects=False).status_code == 303


def test_a_stolen_cookie_is_useless_after_logout(world: Any) -> None:
    staff_accounts(world)
    login(world.client, "county-staff")
    sid = world.client.cookies.get(SESSION_COOKIE)
    page = world.client.get("/work")
    world.client.post("/logout", data={"csrf": csrf_of(page.text)})
    world.client.cookies.set(SESSION_COOKIE, sid)
    assert world.client.get("/work", follow_redirects=False).status_code == 303


def test_sessions_expire(world: Any) -> None:
    staff_accounts(world)
    login(world.client, "county-staff")
    world.advance(SESSION_HOURS - 0.5)
    assert world.client.get("/work", follow_redirects=False).status_code == 200
    world.advance(1)
    assert world.client.get("/work", follow_redirects=False).status_code == 303


def test_change_password(world: Any) -> None:
    staff_accounts(world)
    login(world.client, "county-staff")
    page = world.client.get("/account")
    assert page.status_code == 200 and "修改密码" in page.text
    form = {
        "csrf": csrf_of(page.text),
        "old": "wrong",
        "new": "Xinmima-2026",
        "again": "Xinmima-2026",
    }
    r = world.client.post("/account/password", data=form)
    assert r.status_code == 400 and "当前密码不正确" in r.text
    r = world.client.post("/account/password", data={**form, "old": PASSWORD})
    assert r.status_code == 200 and "密码已修改" in r.text
    world.client.cookies.clear()
    assert login(world.client, "county-staff", "Xinmima-2026").status_code == 303


def test_an_initial_password_is_asked_to_be_changed(world: Any) -> None:
    from dataclasses import replace

    accounts = staff_accounts(world)
    store = world.client.app.state.screens.accounts
    store.put_account(replace(accounts["county_staff"], must_change=True))
    r = login(world.client, "county-staff")
    assert r.headers["location"] == "/account"
    assert "您仍在使用初始密码" in world.client.get("/work").text


def test_english_on_request(world: Any) -> None:
    r = world.call("GET", "/login?lang=en")
    assert "Login, phone or name" in r.text


def test_expired_session_cookie_is_treated_as_logged_out(world: Any) -> None:
    staff_accounts(world)
    world.client.cookies.set(SESSION_COOKIE, "made-up")
    r = world.client.get("/", follow_redirects=False)
    assert r.headers["location"] == "/login"


def test_an_account_whose_unit_is_gone_is_told_so(world: Any) -> None:
    make_account(world, "zd-gone", "station_admin", "S-no-such-station")
    r = login(world.client, "zd-gone")
    assert r.status_code == 403 and "所属单位已不在工作区中" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
