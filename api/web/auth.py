"""Logging in to the screens: the login page, sessions in a cookie, CSRF on every form.

A person logs in with a login, phone or name and a password
(:func:`gridgov.issues.accounts.authenticate`); the answer sets a session cookie
(``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the request came over HTTPS) whose value
only the browser holds (the store keeps its hash). Every form a page shows carries a CSRF
token bound to the session (:func:`~gridgov.issues.accounts.csrf_token`), and every POST
from a page is refused with 403 without it; the login form, before there is a session,
uses a random cookie echoed in the form (double submit). Failed logins are limited per
account (the account locks) and per client address (:class:`AddressLimit`).

The account's role and subject give it the scope a token would have
(:func:`~gridgov.issues.accounts.principal_of`), so a page checks permissions with the same
functions as the JSON API.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import get_service
from api.web import render
from gridgov._errors import GridgovError, ParameterError
from gridgov.issues.access import Principal
from gridgov.issues.accounts import (
    SESSION_HOURS,
    Account,
    AccountStoreLike,
    LoginError,
    authenticate,
    change_password,
    csrf_ok,
    csrf_token,
    end_session,
    password_hasher,
    principal_of,
    session_account,
    start_session,
)
from gridgov.issues.service import IssueService
from gridgov.model import CHINA_TIME

__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "STAFF_ROLES",
    "AddressLimit",
    "PageUser",
    "Screens",
    "check_csrf",
    "error_page",
    "home_of",
    "page_user",
    "router",
    "screens",
    "staff_only",
]

#: The session cookie (its value: the session id, which the store keeps only hashed).
SESSION_COOKIE = "gridgov_session"
#: The login form's double-submit cookie (before there is a session).
LOGIN_CSRF_COOKIE = "gridgov_login_csrf"
#: Roles that use the work queue.
STAFF_ROLES = frozenset({"station_admin", "township_staff", "county_staff"})


class AddressLimit:
    """At most ``failures`` failed logins per client address in ``window_s`` seconds: one
    address cannot try passwords across many accounts (each account also locks itself)."""

    def __init__(self, failures: int = 20, window_s: float = 900.0) -> None:
        self.failures = failures
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._seen.setdefault(address, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has used up its failures."""
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.failures

    def failed(self, address: str) -> None:
        """Count one failed login from ``address``."""
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)
            if len(self._seen) > 10_000:  # forget addresses with nothing recent
                self._seen = {a: t for a, t in self._seen.items() if self._recent(a, now)}


@dataclass
class Screens:
    """What the pages keep on the app: the account tables, the password hasher, the
    address limit and the principals worked out per account."""

    accounts: AccountStoreLike
    hasher: Any
    limit: AddressLimit
    principals: dict[tuple[str, str, str], Principal]


_SCREENS_LOCK = threading.Lock()


def screens(request: Request) -> Screens:
    """The app's :class:`Screens`, made on first use from the service's store."""
    found: Screens | None = getattr(request.app.state, "screens", None)
    if found is None:
        with _SCREENS_LOCK:
            found = getattr(request.app.state, "screens", None)
            if found is None:
                from gridgov.store.accounts import account_store

                found = Screens(
                    account_store(get_service(request).store), password_hasher(), AddressLimit(), {}
                )
                request.app.state.screens = found
    return found


@dataclass(frozen=True)
class PageUser:
    """The person behind a page request: the account, the principal it acts as, and the
    CSRF token its forms carry."""

    account: Account
    principal: Principal
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)


def page_user(request: Request) -> PageUser | None:
    """The logged-in person, or None (no cookie, expired session, disabled account, or a
    subject the workspace no longer has)."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id:
        return None
    kept = screens(request)
    service = get_service(request)
    account = session_account(kept.accounts, session_id, now=service.clock())
    if account is None:
        return None
    key = (account.login, account.role, account.subject)
    principal = kept.principals.get(key)
    if principal is None:
        try:
            principal = principal_of(account, service.ws, service.grid_station)
        except GridgovError:
            return None
        kept.principals[key] = principal
    return PageUser(account, principal, session_id)


def home_of(principal: Principal) -> str:
    """Where a person lands after logging in: staff at the work queue, grid workers at
    吹哨 and deputies at 待报到 (their phone screens, :mod:`api.web.field`), everyone else
    at their account page."""
    if principal.role in STAFF_ROLES:
        return "/work"
    # the paths of api.web.field.HOMES, which imports this module
    return {"grid_worker": "/field/raise", "deputy": "/field/duty"}.get(principal.role, "/account")


def error_page(
    request: Request, status: int, key: str, user: PageUser | None = None
) -> HTMLResponse:
    """An HTML error page (403, 404, ...) saying ``key`` of the catalogue."""
    return render(
        request,
        "layout_error.html",
        {"user": user, "status": status, "message_key": key},
        status_code=status,
    )


def to_login(request: Request) -> RedirectResponse:
    """A redirect to the login page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


def page_for(request: Request, roles: Collection[str]) -> PageUser | Response:
    """The logged-in person if their role is one of ``roles``; else the answer for them:
    the login page for the public (coming back here), the 403 page for other roles."""
    user = page_user(request)
    if user is None:
        return to_login(request)
    if user.principal.role not in roles:
        return error_page(request, 403, "web.error.forbidden_page", user)
    return user


def staff_only(request: Request) -> PageUser | Response:
    """The logged-in staff member, or the answer for everyone else (:func:`page_for`)."""
    return page_for(request, STAFF_ROLES)


def check_csrf(request: Request, user: PageUser | None, token: str) -> HTMLResponse | None:
    """None if ``token`` is the session's CSRF token; else the 403 page."""
    if user is not None and csrf_ok(user.session_id, token):
        return None
    return error_page(request, 403, "web.error.csrf", user)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return ""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


router = APIRouter(include_in_schema=False)


def _login_page(
    request: Request,
    *,
    error_key: str = "",
    who: str = "",
    next_url: str = "",
    status_code: int = 200,
    until: str = "",
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "user": None,
            "csrf": token,
            "error_key": error_key,
            "until": until,
            "who": who,
            "next_url": _safe_next(next_url),
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
        path="/login",
    )  # fmt: skip
    return response


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    """The login page (a person already logged in goes home)."""
    user = page_user(request)
    if user is not None:
        return RedirectResponse(_safe_next(next) or home_of(user.principal), status_code=303)
    return _login_page(request, next_url=next)


@router.post("/login")
def login(
    request: Request,
    who: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password; on success start a session and go where the person was going."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf or not secrets.compare_digest(cookie, csrf):
        return error_page(request, 403, "web.error.csrf")
    kept = screens(request)
    address = _client(request)
    if kept.limit.blocked(address):
        return _login_page(
            request, error_key="web.login.too_many", who=who, next_url=next, status_code=429
        )
    service = get_service(request)
    try:
        account = authenticate(
            kept.accounts, who, password, now=service.clock(), hasher=kept.hasher
        )
    except LoginError as exc:
        kept.limit.failed(address)
        until = ""
        if exc.locked_until is not None:
            until = exc.locked_until.astimezone(CHINA_TIME).strftime("%H:%M")
        key = "web.login.locked" if exc.reason == "locked" else "web.login.wrong"
        return _login_page(
            request, error_key=key, who=who, next_url=next, status_code=401, until=until
        )
    try:
        principal = principal_of(account, service.ws, service.grid_station)
    except GridgovError:  # the unit was removed from the workspace since
        return _login_page(
            request, error_key="web.login.no_unit", who=who, next_url=next, status_code=403
        )
    session_id = start_session(kept.accounts, account, now=service.clock())
    target = _safe_next(next) or ("/account" if account.must_change else home_of(principal))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=_secure(request),
        max_age=SESSION_HOURS * 3600, path="/",
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session and forget the cookie."""
    user = page_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    end_session(screens(request).accounts, user.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request) -> Response:
    """The person's home page by role, or the login page."""
    user = page_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_of(user.principal), status_code=303)


def _unit_name(service: IssueService, principal: Principal) -> str:
    """The unit an account answers for, by name."""
    ws = service.ws
    role, subject = principal.role, principal.subject
    if role == "grid_worker" and ws.grids is not None:
        names = dict(zip(ws.grids["code"].astype(str), ws.grids["name"], strict=True))
        return "、".join(str(names.get(g, g)) for g in sorted(principal.grids))
    if role in ("deputy", "station_admin"):
        st = dict(zip(ws.stations["station_id"].astype(str), ws.stations["name"], strict=True))
        return "、".join(str(st.get(s, s)) for s in sorted(principal.stations))
    if role == "township_staff":
        towns = dict(zip(ws.townships["code"].astype(str), ws.townships["name"], strict=True))
        return str(towns.get(subject, subject))
    if role == "county_staff":
        return str(ws.county["name"].iloc[0])
    return subject


def _account_page(
    request: Request, user: PageUser, *, error_key: str = "", done: bool = False, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "accounts_me.html",
        {
            "user": user,
            "unit": _unit_name(get_service(request), user.principal),
            "error_key": error_key,
            "done": done,
            "min_password": 8,
        },
        status_code=status,
    )


@router.get("/account")
def account_page(request: Request) -> Response:
    """Who I am, my unit, and changing my password."""
    user = page_user(request)
    if user is None:
        return to_login(request)
    return _account_page(request, user)


@router.post("/account/password")
def account_password(
    request: Request,
    old: Annotated[str, Form(max_length=200)] = "",
    new: Annotated[str, Form(max_length=200)] = "",
    again: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Change my password (the current one first)."""
    user = page_user(request)
    if user is None:
        return to_login(request)
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    if new != again:
        return _account_page(request, user, error_key="web.account.mismatch", status=400)
    kept = screens(request)
    try:
        account = change_password(kept.accounts, user.account, old, new, hasher=kept.hasher)
    except ParameterError as exc:
        key = "web.account.old_wrong" if exc.parameter == "old" else "web.account.too_weak"
        return _account_page(request, user, error_key=key, status=400)
    return _account_page(request, PageUser(account, user.principal, user.session_id), done=True)
