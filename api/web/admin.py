"""The county's account admin (``/admin/accounts``): who may log in to the screens.

For county staff (县人大常委会代表工委) only. The list shows every account (name, role,
unit, enabled, must change password, locked); the forms create one account, create the
workspace's accounts in bulk (grid workers from the grids layer, deputies, station
admins, township and county staff: :func:`gridgov.issues.accounts.accounts_from_workspace`
and :func:`~gridgov.issues.accounts.create_accounts`, the calls ``gridgov accounts create``
makes), give one account a new initial password
(:func:`~gridgov.issues.accounts.reset_password`) and disable or enable one
(:func:`~gridgov.issues.accounts.set_disabled`). New passwords exist only in the answer
that made them: a page made for printing (slips to cut and hand out) with the same XLSX
sheet the CLI writes as a download inside it; the store keeps Argon2 hashes only, and the
page is never cached.
"""

from __future__ import annotations

import base64
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import get_service
from api.web import page_lang, render
from api.web.auth import PageUser, check_csrf, error_page, page_for, screens
from gridgov._errors import ConflictError, NotFoundError, ValidationError
from gridgov.issues.accounts import (
    ACCOUNT_ROLES,
    Account,
    AccountSpec,
    accounts_from_workspace,
    create_accounts,
    normalise_phone,
    password_hasher,
    reset_password,
    set_disabled,
    write_password_sheet,
)
from gridgov.messages import text
from gridgov.model import CHINA_TIME, Workspace

__all__ = ["BULK_ROLES", "LOGIN_PREFIX", "PAGE_SIZE", "county_only", "router", "unit_names"]

#: Accounts per page of the list.
PAGE_SIZE = 100
#: Roles the workspace gives accounts for (``gridgov accounts create --role``).
BULK_ROLES: tuple[str, ...] = (
    "grid_worker",
    "deputy",
    "station_admin",
    "township_staff",
    "county_staff",
)
#: The login each role's accounts start with, as :func:`accounts_from_workspace` makes
#: them (a planner's login is typed: their subject is a group name, not a code).
LOGIN_PREFIX = {
    "grid_worker": "wg-",
    "deputy": "db-",
    "station_admin": "zd-",
    "township_staff": "xz-",
    "county_staff": "xr-",
}
_SPLIT = re.compile(r"[,，、;；\s]+")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Passwords on the page: never kept by a browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = APIRouter(include_in_schema=False)


def county_only(request: Request) -> PageUser | Response:
    """The logged-in county staff member, or the answer for everyone else."""
    return page_for(request, ("county_staff",))


def _initial_hasher(request: Request) -> Any:
    """The hasher of initial passwords (``app.state.initial_hasher`` when a test sets a
    cheap one; else OWASP's minimum, as the CLI uses for random passwords)."""
    return getattr(request.app.state, "initial_hasher", None) or password_hasher(profile="initial")


# --- units by role ---------------------------------------------------------------------------


def _pairs(frame: Any, code: str, name: str) -> dict[str, str]:
    if frame is None or code not in frame:
        return {}
    return dict(zip(frame[code].astype(str), frame[name].astype(str), strict=True))


def unit_names(ws: Workspace) -> dict[str, dict[str, str]]:
    """Code -> name of the units each role answers for."""
    stations = _pairs(ws.stations, "station_id", "name")
    deputies: dict[str, str] = {}
    if ws.deputies is not None:
        for row in ws.deputies.itertuples(index=False):
            station = stations.get(str(row.station_id), "")
            deputies[str(row.deputy_id)] = f"{row.name}（{station}）" if station else str(row.name)
    return {
        "grid_worker": _pairs(ws.grids, "code", "name"),
        "deputy": deputies,
        "station_admin": stations,
        "township_staff": _pairs(ws.townships, "code", "name"),
        "county_staff": _pairs(ws.county, "code", "name"),
    }


def _unit_of(account: Account, units: Mapping[str, Mapping[str, str]]) -> str:
    names = units.get(account.role)
    if names is None:  # a planner: the subject is the group's name
        return account.subject
    codes = [c for c in account.subject.split(",") if c]
    return "、".join(names.get(c, c) for c in codes)


def _resolve_unit(role: str, value: str, ws: Workspace) -> tuple[list[str], list[str]]:
    """Unit codes for what was typed (codes, or names naming one unit), and the entries
    that name none or several; grid workers may have several grids."""
    names = unit_names(ws).get(role, {})
    by_name: dict[str, list[str]] = {}
    for code, name in names.items():
        by_name.setdefault(name.split("（")[0], []).append(code)
        by_name.setdefault(name, []).append(code)
    found: list[str] = []
    unknown: list[str] = []
    for part in (p for p in _SPLIT.split(value) if p):
        if part in names:
            found.append(part)
        elif len(set(by_name.get(part, ()))) == 1:
            found.append(by_name[part][0])
        else:
            unknown.append(part)
    return list(dict.fromkeys(found)), unknown


# --- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One account as the list shows it."""

    account: Account
    unit: str
    locked_until: str  # local time, "" when not locked


def _rows(request: Request, role: str, q: str) -> list[Row]:
    service = get_service(request)
    units = unit_names(service.ws)
    now = service.clock()
    needle = q.casefold()
    rows = []
    for a in screens(request).accounts.accounts():
        if role and a.role != role:
            continue
        unit = _unit_of(a, units)
        if needle and needle not in " ".join((a.login, a.name, a.phone, unit)).casefold():
            continue
        locked = ""
        if a.locked_until is not None and a.locked_until > now:
            locked = a.locked_until.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        rows.append(Row(a, unit, locked))
    return rows


def _bulk_counts(request: Request) -> dict[str, tuple[int, int]]:
    """Per role: accounts the workspace gives, and how many of them exist already."""
    existing = {a.login for a in screens(request).accounts.accounts()}
    counts: dict[str, tuple[int, int]] = {r: (0, 0) for r in BULK_ROLES}
    for spec in accounts_from_workspace(get_service(request).ws):
        total, made = counts.get(spec.role, (0, 0))
        counts[spec.role] = (total + 1, made + (spec.login in existing))
    return counts


def _list_page(
    request: Request,
    user: PageUser,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    params = request.query_params
    role = params.get("role", "")
    role = role if role in ACCOUNT_ROLES else ""
    q = params.get("q", "").strip()[:100]
    page_text = params.get("page", "1")
    rows = _rows(request, role, q)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= pages else 1
    done = params.get("done", "")
    lang = page_lang(request)
    done_text = ""
    if done in ("disabled", "enabled") and params.get("login"):
        done_text = text(f"admin.done.{done}", lang, login=params.get("login", "")[:64])
    elif done == "none_new":
        done_text = text("admin.done.none_new", lang)

    def query(**changes: Any) -> str:
        """The list's query string with ``changes`` (empty values and page 1 left out)."""
        values = {"role": role, "q": q, "page": page, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})

    service = get_service(request)
    units = unit_names(service.ws)
    return render(
        request,
        "admin/accounts.html",
        {
            "user": user,
            "rows": rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "found": len(rows),
            "role": role,
            "q": q,
            "page": page,
            "pages": pages,
            "query": query,
            "roles": ACCOUNT_ROLES,
            "bulk_roles": BULK_ROLES,
            "counts": _bulk_counts(request),
            "form": form or {"role": "", "unit": "", "name": "", "login": "", "phone": ""},
            "errors": errors or {},
            "notice": notice,
            "done_text": done_text,
            "units": units,
        },
        status_code=status_code,
    )


@router.get("/admin/accounts")
def accounts_page(request: Request) -> Response:
    """Every account, with the forms to create, reset, disable and enable."""
    user = county_only(request)
    if not isinstance(user, PageUser):
        return user
    return _list_page(request, user)


# --- the password sheet ----------------------------------------------------------------------


def _sheet_bytes(rows: Sequence[tuple[AccountSpec, str]]) -> bytes:
    """The XLSX sheet ``gridgov accounts create`` writes, as bytes (written to a private
    temporary file by the same function, read back, removed)."""
    with tempfile.TemporaryDirectory(prefix="gridgov-sheet-") as folder:
        path = write_password_sheet(rows, Path(folder) / "accounts.xlsx")
        return path.read_bytes()


def _sheet_page(
    request: Request, user: PageUser, rows: Sequence[tuple[AccountSpec, str]], kind: str
) -> HTMLResponse:
    """The print page of new passwords (shown once: nothing keeps them)."""
    stamp = datetime.now(CHINA_TIME).strftime("%Y%m%d-%H%M")
    data = base64.b64encode(_sheet_bytes(rows)).decode("ascii")
    response = render(
        request,
        "admin/sheet.html",
        {
            "user": user,
            "rows": rows,
            "kind": kind,
            "xlsx": f"data:{_XLSX};base64,{data}",
            "filename": f"accounts-{stamp}.xlsx",
            "made_at": datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M"),
        },
    )
    response.headers.update(_NO_STORE)
    return response


def _spec_of(account: Account, units: Mapping[str, Mapping[str, str]]) -> AccountSpec:
    return AccountSpec(
        account.login,
        account.name,
        account.role,
        account.subject,
        account.phone,
        _unit_of(account, units),
    )


# --- creating --------------------------------------------------------------------------------


@router.post("/admin/accounts")
def create_one(
    request: Request,
    csrf: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    unit: Annotated[str, Form(max_length=2000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    login: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Create one account and show its initial password for printing."""
    user = county_only(request)
    if not isinstance(user, PageUser):
        return user
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    form = {"role": role, "unit": unit, "name": name, "login": login, "phone": phone}
    lang = page_lang(request)
    service = get_service(request)
    kept = screens(request)
    errors: dict[str, str] = {}

    def say(field: str, key: str, **values: object) -> None:
        errors.setdefault(field, text(key, lang, **values))

    name = name.strip()
    login = login.strip()
    subject = ""
    if role not in ACCOUNT_ROLES:
        say("role", "admin.err.role")
    if not name:
        say("name", "admin.err.name")
    elif len(name) > 50:
        say("name", "admin.err.name_long")
    if role == "planner":
        subject = unit.strip()
        if not subject:
            say("unit", "admin.err.unit_planner")
        if not login:
            say("login", "admin.err.login_planner")
    elif role in ACCOUNT_ROLES:
        codes, unknown = _resolve_unit(role, unit, service.ws)
        if unknown:
            say(
                "unit",
                "admin.err.unit_unknown",
                role=text(f"web.role.{role}", lang),
                values="、".join(unknown[:5]),
            )
        elif not codes:
            say("unit", "admin.err.unit_missing", role=text(f"web.role.{role}", lang))
        elif len(codes) > 1 and role != "grid_worker":
            say("unit", "admin.err.unit_one", role=text(f"web.role.{role}", lang))
        subject = ",".join(sorted(codes))
        if not login and codes:
            login = f"{LOGIN_PREFIX[role]}{sorted(codes)[0]}"
    digits = normalise_phone(phone) if phone.strip() else ""
    if phone.strip() and not digits:
        say("phone", "admin.err.phone", value=phone.strip()[:40])
    if login and kept.accounts.account(login) is not None:
        say("login", "admin.err.login_taken", login=login)
    if digits and "phone" not in errors:
        holders = [a.login for a in kept.accounts.accounts() if a.phone == digits]
        if holders:
            say("phone", "admin.err.phone_taken", login=holders[0])
    if errors:
        return _list_page(request, user, form=form, errors=errors, status_code=400)
    units = unit_names(service.ws)
    spec = AccountSpec(
        login,
        name,
        role,
        subject,
        digits,
        _unit_of(Account(login, name, role, subject, digits, "", service.clock()), units),
    )
    try:
        made = create_accounts(
            kept.accounts,
            [spec],
            now=service.clock(),
            ws=service.ws,
            hasher=_initial_hasher(request),
            workers=1,
        )
    except ValidationError as exc:
        for problem in exc.problems:
            field = {"login": "login", "role": "role"}.get(str(problem.field), "unit")
            key = "admin.err.login_format" if field == "login" else "admin.err.refused"
            say(field, key, detail=problem.message)
        return _list_page(request, user, form=form, errors=errors, status_code=400)
    except ConflictError:
        say("login", "admin.err.login_taken", login=login)
        return _list_page(request, user, form=form, errors=errors, status_code=409)
    if not made:  # made by someone else between the check and the insert
        say("login", "admin.err.login_taken", login=login)
        return _list_page(request, user, form=form, errors=errors, status_code=409)
    return _sheet_page(request, user, made, "one")


@router.post("/admin/accounts/bulk")
def create_bulk(
    request: Request,
    csrf: Annotated[str, Form(max_length=100)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create the workspace's accounts not made yet, for the roles ticked, and show the
    initial-password sheet."""
    user = county_only(request)
    if not isinstance(user, PageUser):
        return user
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    chosen = [r for r in (roles or []) if r in BULK_ROLES]
    if not chosen:
        return _list_page(
            request,
            user,
            status_code=400,
            errors={"roles": text("admin.err.roles", page_lang(request))},
        )
    service = get_service(request)
    specs = [s for s in accounts_from_workspace(service.ws) if s.role in chosen]
    try:
        made = create_accounts(
            screens(request).accounts,
            specs,
            now=service.clock(),
            ws=service.ws,
            hasher=_initial_hasher(request),
        )
    except (ValidationError, ConflictError) as exc:
        # the workspace itself is wrong (a login repeated) or another admin was faster
        return _list_page(
            request,
            user,
            status_code=409,
            notice=text("admin.err.bulk", page_lang(request), detail=str(exc)),
        )
    if not made:
        return RedirectResponse("/admin/accounts?done=none_new", status_code=303)
    return _sheet_page(request, user, made, "bulk")


# --- one account -----------------------------------------------------------------------------


def _target(request: Request, user: PageUser, login: str, csrf: str) -> Account | Response:
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    account = screens(request).accounts.account(login)
    if account is None:
        return error_page(request, 404, "admin.err.no_account", user)
    if account.login == user.account.login:
        # resetting or disabling oneself here would end this very session
        return error_page(request, 409, "admin.err.self", user)
    return account


@router.post("/admin/accounts/{login}/reset")
def reset(
    request: Request, login: str, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """A new initial password for ``login`` (its sessions end, the lock lifts)."""
    user = county_only(request)
    if not isinstance(user, PageUser):
        return user
    account = _target(request, user, login, csrf)
    if not isinstance(account, Account):
        return account
    try:
        changed, password = reset_password(
            screens(request).accounts, login, hasher=_initial_hasher(request)
        )
    except NotFoundError:
        return error_page(request, 404, "admin.err.no_account", user)
    units = unit_names(get_service(request).ws)
    return _sheet_page(request, user, [(_spec_of(changed, units), password)], "reset")


def _switch(request: Request, login: str, csrf: str, disabled: bool) -> Response:
    user = county_only(request)
    if not isinstance(user, PageUser):
        return user
    account = _target(request, user, login, csrf)
    if not isinstance(account, Account):
        return account
    try:
        set_disabled(screens(request).accounts, login, disabled)
    except NotFoundError:
        return error_page(request, 404, "admin.err.no_account", user)
    done = "disabled" if disabled else "enabled"
    return RedirectResponse(
        "/admin/accounts?" + urlencode({"done": done, "login": login}), status_code=303
    )


@router.post("/admin/accounts/{login}/disable")
def disable(
    request: Request, login: str, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Shut ``login`` out at once (its sessions end)."""
    return _switch(request, login, csrf, True)


@router.post("/admin/accounts/{login}/enable")
def enable(
    request: Request, login: str, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Let ``login`` back in."""
    return _switch(request, login, csrf, False)
