"""``gridgov accounts``: accounts in bulk from the workspace, the initial-password sheet, and
logging in to the served screens with a password from it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api import create_app
from gridgov import io
from gridgov.cli import main
from gridgov.issues.accounts import SHEET_HEADERS
from gridgov.issues.service import IssueService
from gridgov.model import Workspace


@pytest.fixture
def gpkg(demo_ws: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "county.gpkg"
    io.write_workspace(demo_ws, path)
    return path


def _rows(sheet: Path) -> list[tuple[Any, ...]]:
    values = list(load_workbook(sheet).worksheets[0].values)
    assert values[0] == SHEET_HEADERS
    return values[1:]


def _log_in(client: TestClient, who: str, password: str) -> Any:
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    data = {"who": who, "password": password, "csrf": found.group(1)}
    return client.post("/login", data=data, follow_redirects=False)


def test_create_writes_the_sheet_and_its_passwords_log_in(
    gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "passwords.xlsx"
    roles = ["--role", "township_staff", "--role", "county_staff"]
    assert main(["accounts", "create", str(gpkg), *roles, "--out", str(sheet), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    rows = _rows(sheet)
    assert summary["created"] == len(rows) == summary["by_role"]["township_staff"] + 1
    assert sheet.stat().st_mode & 0o077 == 0  # the owner's eyes only
    # a second run leaves every account (and its password) as it was
    assert main(["accounts", "create", str(gpkg), *roles, "--out", str(sheet), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0
    # passwords are nowhere but in the sheet
    store_file = gpkg.with_suffix(".issues.sqlite")
    db = store_file.read_bytes()
    assert all(str(r[5]).encode() not in db for r in rows)
    assert main(["accounts", "list", str(gpkg), "--json"]) == 0
    listed = capsys.readouterr().out
    assert "argon2" not in listed and str(rows[0][5]) not in listed
    # the served screens take a password of the sheet
    county = next(r for r in rows if r[2] == "县人大常委会代表工委")
    service = IssueService.open(gpkg)
    try:
        with TestClient(create_app(service, tick_interval_s=0, rate_per_s=0)) as client:
            r = _log_in(client, str(county[0]), str(county[5]))
            assert r.status_code == 303 and r.headers["location"] == "/account"  # change it first
            assert "您仍在使用初始密码" in client.get("/work").text
    finally:
        service.store.close()


def test_reset_gives_a_new_password(gpkg: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "all.xlsx"
    assert (
        main(["accounts", "create", str(gpkg), "--role", "county_staff", "--out", str(sheet)]) == 0
    )
    [(login, *_, old)] = _rows(sheet)
    fresh = tmp_path / "reset.xlsx"
    assert main(["accounts", "reset", str(gpkg), "--login", str(login), "--out", str(fresh)]) == 0
    [(_, *_, new)] = _rows(fresh)
    assert new != old
    assert main(["accounts", "reset", str(gpkg), "--login", "nobody", "--out", str(fresh)]) == 2


def test_a_disabled_account_is_shut_out_at_once(gpkg: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "county.xlsx"
    assert (
        main(["accounts", "create", str(gpkg), "--role", "county_staff", "--out", str(sheet)]) == 0
    )
    [(login, *_, password)] = _rows(sheet)
    service = IssueService.open(gpkg)
    try:
        with TestClient(create_app(service, tick_interval_s=0, rate_per_s=0)) as client:
            assert _log_in(client, str(login), str(password)).status_code == 303
            assert client.get("/account").status_code == 200
            assert main(["accounts", "disable", str(gpkg), "--login", str(login)]) == 0
            assert client.get("/account", follow_redirects=False).status_code == 303
            assert _log_in(client, str(login), str(password)).status_code == 401
            assert main(["accounts", "enable", str(gpkg), "--login", str(login)]) == 0
            assert _log_in(client, str(login), str(password)).status_code == 303
    finally:
        service.store.close()
