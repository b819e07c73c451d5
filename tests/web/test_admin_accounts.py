"""The county's account admin over plain HTTP: the list, one account and the workspace's
accounts created with a print sheet whose passwords log in, reset, disable and enable,
each form with CSRF and for county staff only."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from test_auth import _FAST, PASSWORD, csrf_of, login, staff_accounts

from gridgov.issues.accounts import accounts_from_workspace


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world with an account per role and cheap initial-password hashes."""
    from api.web import admin

    app = server.world.client.app
    if not any(getattr(r, "path", "") == "/admin/accounts" for r in app.routes):
        app.include_router(admin.router)  # until api/web/screens.py includes it
    app.state.initial_hasher = _FAST
    staff_accounts(server.world)
    return server.world


def county(world: Any) -> Any:
    assert login(world.client, "county-staff").status_code == 303
    return world.client


def sheet_rows(html: str) -> dict[str, str]:
    """Login -> initial password, read off the print sheet."""
    slips = re.findall(
        r'<section class="slip" data-login="([^"]+)">.*?<dd class="password">([^<]+)</dd>',
        html,
        re.S,
    )
    return dict(slips)


def sheet_xlsx(html: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    found = re.search(r'href="data:application/[^;]+;base64,([^"]+)" download="accounts-', html)
    assert found, "the sheet page has no XLSX download"
    book = load_workbook(io.BytesIO(base64.b64decode(found.group(1))))
    return list(book.worksheets[0].iter_rows(values_only=True))


def logs_in(world: Any, who: str, password: str) -> bool:
    from fastapi.testclient import TestClient

    with TestClient(world.client.app) as other:
        return bool(login(other, who, password).status_code == 303)


def test_county_staff_see_every_account_with_its_unit_and_state(world: Any) -> None:
    client = county(world)
    page = client.get("/admin/accounts")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-login="([^"]+)"', page.text)
    assert set(rows) >= {"county-staff", "planner", "grid-worker", "township-staff"}
    town = world.ws.townships.set_index("code").loc[world.places.township_a, "name"]
    row = page.text[page.text.index('data-login="township-staff"') :][:1500]
    assert "乡镇（街道）人大" in row and town in row and "正常" in row
    # one's own row offers no reset or disable
    own = page.text[page.text.index('data-login="county-staff"') :][:1500].split("</tr>")[0]
    assert "/reset" not in own and "（本人）" in own
    filtered = client.get("/admin/accounts?role=planner").text
    assert re.findall(r'<tr data-login="([^"]+)"', filtered) == ["planner"]
    assert re.findall(r'<tr data-login="([^"]+)"', client.get("/admin/accounts?q=township").text)
    # the bulk form says how many accounts the workspace gives per role
    n_deputies = len(world.ws.deputies)
    count = re.search(r'id="count-deputy">([^<]+)<', page.text)
    assert count and f"共 {n_deputies} 个" in count.group(1)


@pytest.mark.parametrize("who", ["planner", "township-staff", "station-admin", "grid-worker"])
def test_only_county_staff_may_administer_accounts(world: Any, who: str) -> None:
    assert login(world.client, who).status_code == 303
    r = world.client.get("/admin/accounts")
    assert r.status_code == 403 and "您的角色不能使用此页面" in r.text
    for path in ("/admin/accounts", "/admin/accounts/bulk", "/admin/accounts/deputy/reset",
                 "/admin/accounts/deputy/disable"):  # fmt: skip
        assert world.client.post(path, data={"csrf": "x", "roles": "deputy"}).status_code == 403
    store = world.client.app.state.screens.accounts
    assert store.account("deputy").disabled is False


def test_the_public_is_sent_to_log_in(world: Any) -> None:
    r = world.client.get("/admin/accounts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_bulk_creation_prints_passwords_that_log_in(world: Any) -> None:
    client = county(world)
    page = client.get("/admin/accounts")
    r = client.post(
        "/admin/accounts/bulk",
        data={"csrf": csrf_of(page.text), "roles": ["station_admin", "township_staff"]},
    )
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    specs = [s for s in accounts_from_workspace(world.ws)
             if s.role in ("station_admin", "township_staff")]  # fmt: skip
    slips = sheet_rows(r.text)
    assert set(slips) == {s.login for s in specs}
    assert f"已开设 {len(specs)} 个账号" in r.text
    rows = sheet_xlsx(r.text)
    assert rows[0][0] == "账号" and rows[0][-1] == "初始密码"
    assert {row[0]: row[-1] for row in rows[1:]} == slips  # the same sheet the CLI writes
    login_, password = next(iter(slips.items()))
    assert logs_in(world, login_, password)
    # again: nothing new to make, said so
    again = client.post(
        "/admin/accounts/bulk",
        data={"csrf": csrf_of(page.text), "roles": ["station_admin"]},
        follow_redirects=True,
    )
    assert "没有新建账号" in again.text
    listed = client.get("/admin/accounts?role=station_admin").text
    assert len(re.findall(r'<tr data-login="zd-', listed)) == min(len(world.ws.stations), 100)


def test_bulk_creation_needs_a_role_and_csrf(world: Any) -> None:
    client = county(world)
    csrf = csrf_of(client.get("/admin/accounts").text)
    r = client.post("/admin/accounts/bulk", data={"csrf": csrf})
    assert r.status_code == 400 and "请至少选择一个角色" in r.text
    r = client.post("/admin/accounts/bulk", data={"csrf": "forged", "roles": ["deputy"]})
    assert r.status_code == 403
    assert client.app.state.screens.accounts.account(f"db-{world.places.deputy_a}") is None


def test_one_account_by_unit_name_prints_its_password(world: Any) -> None:
    client = county(world)
    csrf = csrf_of(client.get("/admin/accounts").text)
    st = world.ws.stations.set_index("station_id").loc[world.places.station_b]
    r = client.post("/admin/accounts", data={
        "csrf": csrf, "role": "station_admin", "unit": str(st["name"]), "name": "王站长",
        "login": "", "phone": "139-0000-1111",
    })  # fmt: skip
    assert r.status_code == 200, r.text[-2000:]
    slips = sheet_rows(r.text)
    login_ = f"zd-{world.places.station_b}"
    assert list(slips) == [login_]
    assert str(st["name"]) in r.text and "13900001111" in r.text
    assert logs_in(world, "13900001111", slips[login_])  # by phone too
    account = client.app.state.screens.accounts.account(login_)
    assert account.role == "station_admin" and account.must_change


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"role": ""}, "role", "请选择角色"),
        ({"name": ""}, "name", "请填写姓名"),
        ({"unit": "不存在的村"}, "unit", "工作区中没有这些"),
        ({"unit": ""}, "unit", "请填写"),
        ({"phone": "abc"}, "phone", "手机号不正确"),
        ({"login": "county-staff"}, "login", "已存在"),
        ({"login": "带中文的账号"}, "login", "字母、数字"),
        ({"role": "planner", "unit": "规划科", "login": ""}, "login", "须自行填写"),
    ],
)
def test_a_bad_account_is_named_and_nothing_is_made(
    world: Any, fields: dict[str, str], field: str, says: str
) -> None:
    client = county(world)
    store = client.app.state.screens.accounts
    before = len(store.accounts())
    data = {"csrf": csrf_of(client.get("/admin/accounts").text), "role": "township_staff",
            "unit": world.places.township_b, "name": "李主任", "login": "", "phone": ""}  # fmt: skip
    data.update(fields)
    r = client.post("/admin/accounts", data=data)
    assert r.status_code == 400, r.text[-1500:]
    error = re.search(rf'id="error-{field}"[^>]*>([^<]+)<', r.text)
    assert error and says in error.group(1), r.text[-3000:]
    assert len(store.accounts()) == before
    assert 'value="李主任"' in r.text or fields.get("name") == ""  # kept for correcting


def test_reset_prints_a_new_password_and_ends_the_old_one(world: Any) -> None:
    client = county(world)
    csrf = csrf_of(client.get("/admin/accounts").text)
    assert logs_in(world, "deputy", PASSWORD)
    r = client.post("/admin/accounts/deputy/reset", data={"csrf": csrf})
    assert r.status_code == 200 and "已重置密码" in r.text
    assert r.headers["cache-control"] == "no-store"
    new = sheet_rows(r.text)["deputy"]
    assert not logs_in(world, "deputy", PASSWORD)
    assert logs_in(world, "deputy", new)
    assert client.post("/admin/accounts/nobody/reset", data={"csrf": csrf}).status_code == 404
    own = client.post("/admin/accounts/county-staff/reset", data={"csrf": csrf})
    assert own.status_code == 409 and "不能在这里重置或停用自己的账号" in own.text
    assert client.post("/admin/accounts/deputy/reset", data={}).status_code == 403


def test_disable_shuts_out_at_once_and_enable_lets_back_in(world: Any) -> None:
    from fastapi.testclient import TestClient

    client = county(world)
    csrf = csrf_of(client.get("/admin/accounts").text)
    with TestClient(world.client.app) as planner:
        assert login(planner, "planner").status_code == 303
        assert planner.get("/plan/scenarios").status_code == 200
        r = client.post("/admin/accounts/planner/disable", data={"csrf": csrf},
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
        page = client.get(r.headers["location"]).text
        assert "已停用 planner" in page
        row = page[page.index('data-login="planner"') :].split("</tr>")[0]
        assert "已停用" in row and "/enable" in row
        assert planner.get("/plan/scenarios", follow_redirects=False).status_code == 303
    assert not logs_in(world, "planner", PASSWORD)
    r = client.post("/admin/accounts/planner/enable", data={"csrf": csrf})
    assert r.status_code == 200 and "已启用 planner" in r.text
    assert logs_in(world, "planner", PASSWORD)
    own = client.post("/admin/accounts/county-staff/disable", data={"csrf": csrf})
    assert own.status_code == 409
    assert client.post("/admin/accounts/planner/disable", data={"csrf": "x"}).status_code == 403
