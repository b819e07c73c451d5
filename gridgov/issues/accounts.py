"""People's accounts for the screens: who logs in, with what password, as which role.

An API token (:mod:`gridgov.issues.access`) suits a machine; a grid worker, a deputy or a
township clerk logs in with a name or phone and a password. An :class:`Account` has the
shape of a token record (role and subject), so :func:`principal_of` gives it exactly the
scope a token of that role and subject would have, and every page checks permissions with
the same :mod:`~gridgov.issues.access` functions as the JSON API.

Passwords are hashed with Argon2id (``argon2-cffi``), never stored or logged in clear; a
login fails the same way for an unknown name and a wrong password, and an account is locked
for :data:`LOCK_MINUTES` after :data:`MAX_FAILURES` failures in a row. A session is a random
id given to the browser once; the store keeps only its SHA-256 (like tokens), with an
expiry. County staff create accounts in bulk from the workspace
(:func:`accounts_from_workspace`, :func:`create_accounts`): grid workers from the grids
layer, deputies, station admins, township staff and county staff, each with a random
initial password printed once on a sheet (:func:`write_password_sheet`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from gridgov._errors import ConflictError, ParameterError, Problem, ValidationError
from gridgov.issues.access import ROLE_LABELS_ZH, Principal, hash_token, principal_for
from gridgov.model import Workspace
from gridgov.store.base import TokenRecord

__all__ = [
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "MIN_PASSWORD",
    "SESSION_HOURS",
    "Account",
    "AccountSpec",
    "AccountStoreLike",
    "LoginError",
    "Session",
    "accounts_from_workspace",
    "authenticate",
    "change_password",
    "create_accounts",
    "csrf_ok",
    "csrf_token",
    "end_session",
    "hash_password",
    "new_password",
    "normalise_phone",
    "password_hasher",
    "principal_of",
    "reset_password",
    "session_account",
    "set_disabled",
    "start_session",
    "write_password_sheet",
]

log = logging.getLogger(__name__)

#: Failed logins in a row that lock an account.
MAX_FAILURES = 5
#: How long a locked account stays locked.
LOCK_MINUTES = 15
#: How long a session lasts from login (a working day and an evening).
SESSION_HOURS = 12
#: Shortest password a person may choose.
MIN_PASSWORD = 8

#: Roles that people log in as (the public needs no account).
ACCOUNT_ROLES: tuple[str, ...] = (
    "grid_worker",
    "deputy",
    "station_admin",
    "township_staff",
    "county_staff",
    "planner",
)

# Initial passwords: no 0/O, 1/l/I, easy to type from a printed sheet.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{1,63}")


class LoginError(Exception):
    """A login refused: wrong name or password (said the same way), or the account locked
    until ``locked_until``. Not a :class:`~gridgov.GridgovError`: the page shows it."""

    def __init__(self, reason: str, locked_until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "wrong" or "locked"
        self.locked_until = locked_until


@dataclass(frozen=True)
class Account:
    """A person who logs in: ``login`` (unique), display ``name``, ``role`` and
    ``subject`` as a token has them, an optional ``phone`` (digits only, also a login),
    the Argon2 ``password_hash``, failed logins in a row and a lock."""

    login: str
    name: str
    role: str
    subject: str
    phone: str
    password_hash: str
    created_at: datetime
    disabled: bool = False
    failures: int = 0
    locked_until: datetime | None = None
    must_change: bool = True

    @property
    def role_zh(self) -> str:
        return ROLE_LABELS_ZH.get(self.role, self.role)

    def record(self) -> TokenRecord:
        """The account as a token record (no token hash): what scopes are computed from."""
        return TokenRecord("", self.role, self.subject, self.name, self.created_at)


@dataclass(frozen=True)
class AccountSpec:
    """An account to create: everything but the password."""

    login: str
    name: str
    role: str
    subject: str
    phone: str = ""
    unit: str = ""  # the unit's name, for the password sheet


@dataclass(frozen=True)
class Session:
    """A login session: the SHA-256 of its id, whose it is, and when it ends."""

    session_hash: str
    login: str
    created_at: datetime
    expires_at: datetime


class AccountStoreLike(Protocol):
    """What the account functions need from a store (:mod:`gridgov.store.accounts`)."""

    def add_accounts(self, accounts: Sequence[Account]) -> int:
        """Insert accounts whose login is new; returns how many were inserted."""
        ...

    def account(self, login: str) -> Account | None:
        """The account with this login."""
        ...

    def find_logins(self, who: str) -> list[str]:
        """Logins that ``who`` names: the login itself, else a phone, else a name."""
        ...

    def accounts(self) -> list[Account]:
        """Every account, by login."""
        ...

    def put_account(self, account: Account) -> None:
        """Replace the stored account of ``account.login``."""
        ...

    def add_session(self, session: Session) -> None:
        """Store a new session."""
        ...

    def session(self, session_hash: str) -> Session | None:
        """The session with this hash."""
        ...

    def delete_sessions(self, *, session_hash: str = "", login: str = "") -> int:
        """Delete one session, or every session of a login; returns how many."""
        ...

    def delete_expired_sessions(self, now: datetime) -> int:
        """Delete the sessions that ended before ``now``."""
        ...


# --- passwords -------------------------------------------------------------------------------


def password_hasher(*, profile: str = "login") -> Any:
    """An Argon2id hasher (``argon2.PasswordHasher``).

    Parameters
    ----------
    profile : {"login", "initial", "test"}
        ``"login"``: argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3 passes), for the
        passwords people choose. ``"initial"``: OWASP's minimum (19 MiB, 2 passes), for
        random initial passwords (58 bits each, made by the thousand at once); they are
        re-hashed under ``"login"`` at the first login. ``"test"``: minimal cost, for
        tests only.

    Raises
    ------
    ParameterError
        For another profile.
    ExtraMissingError
        When argon2-cffi is not installed.
    """
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - a dependency of the api extra
        from gridgov._errors import ExtraMissingError

        raise ExtraMissingError("api", "accounts (argon2-cffi)") from exc
    if profile == "login":
        return PasswordHasher()
    if profile == "initial":
        return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    if profile == "test":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    raise ParameterError(
        f"profile: expected login, initial or test, got {profile!r}",
        parameter="profile",
        value=profile,
    )


def hash_password(password: str, *, hasher: Any = None) -> str:
    """The Argon2id hash of ``password`` (salted; what the store keeps)."""
    return str((hasher or password_hasher()).hash(password))


def _verify(hasher: Any, password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def new_password(length: int = 10) -> str:
    """A random initial password of ``length`` characters that read unambiguously."""
    while True:
        word = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return word


def normalise_phone(phone: object) -> str:
    """The digits of a phone number (``"100-7822-8485"`` -> ``"10078228485"``); "" for
    none or fewer than 5 digits."""
    if phone is None or phone != phone:  # None or NaN
        return ""
    digits = re.sub(r"\D", "", str(phone))
    return digits if len(digits) >= 5 else ""


# --- logging in ------------------------------------------------------------------------------

# Verified against when the login is unknown, so that an unknown name costs as long as a
# wrong password (the time of an answer must not tell which names exist).
_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: Any) -> str:
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(secrets.token_hex(8))
    return _DUMMY[key]


def authenticate(
    store: AccountStoreLike,
    who: str,
    password: str,
    *,
    now: datetime,
    hasher: Any = None,
) -> Account:
    """The account ``who`` (a login, a phone number or a unique name) if ``password`` is
    its password.

    A wrong password counts a failure; :data:`MAX_FAILURES` in a row lock the account for
    :data:`LOCK_MINUTES` (even the right password is refused meanwhile). A good login
    clears the count and upgrades an outdated hash.

    Raises
    ------
    LoginError
        ``reason="wrong"`` for an unknown or ambiguous name, a disabled account or a wrong
        password (one answer for all: it must not tell which names exist);
        ``reason="locked"`` while locked.
    """
    hasher = hasher or password_hasher()
    who = who.strip()
    logins = store.find_logins(who) if who else []
    account = store.account(logins[0]) if len(logins) == 1 else None
    if account is None or account.disabled:
        _verify(hasher, _dummy_hash(hasher), password)
        raise LoginError("wrong")
    if account.locked_until is not None and now < account.locked_until:
        raise LoginError("locked", account.locked_until)
    if not _verify(hasher, account.password_hash, password):
        failures = account.failures + 1
        locked = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
        store.put_account(replace(account, failures=0 if locked else failures, locked_until=locked))
        if locked is not None:
            log.warning("account %s locked after %d failed logins", account.login, failures)
            raise LoginError("locked", locked)
        raise LoginError("wrong")
    changed = replace(account, failures=0, locked_until=None)
    if hasher.check_needs_rehash(account.password_hash):
        changed = replace(changed, password_hash=hash_password(password, hasher=hasher))
    if changed != account:
        store.put_account(changed)
    return changed


def change_password(
    store: AccountStoreLike,
    account: Account,
    old: str,
    new: str,
    *,
    hasher: Any = None,
) -> Account:
    """Set ``account``'s password to ``new`` after checking ``old`` (an initial password
    no longer needs changing).

    Raises
    ------
    ParameterError
        ``parameter="old"`` when ``old`` is wrong; ``parameter="new"`` when ``new`` is
        shorter than :data:`MIN_PASSWORD`, the same as ``old`` or all one kind of character.
    """
    hasher = hasher or password_hasher()
    if not _verify(hasher, account.password_hash, old):
        raise ParameterError("old: the current password is wrong", parameter="old")
    if len(new) < MIN_PASSWORD or new == old or new.isdigit() or new.isalpha():
        raise ParameterError(
            f"new: at least {MIN_PASSWORD} characters with letters and digits, not the old one",
            parameter="new",
        )
    changed = replace(account, password_hash=hash_password(new, hasher=hasher), must_change=False)
    store.put_account(changed)
    return changed


def principal_of(
    account: Account, ws: Workspace, grid_station: dict[str, str] | None = None
) -> Principal:
    """The principal an account acts as: the scope a token of its role and subject has.

    Raises
    ------
    ValidationError
        If the account's subject no longer exists in the workspace.
    """
    return principal_for(account.record(), ws, grid_station)


# --- sessions --------------------------------------------------------------------------------


def start_session(
    store: AccountStoreLike, account: Account, *, now: datetime, hours: float = SESSION_HOURS
) -> str:
    """A new session for ``account``; returns its id (for the cookie, shown once). The
    store keeps only its hash; expired sessions are swept on the way."""
    store.delete_expired_sessions(now)
    session_id = secrets.token_urlsafe(32)
    store.add_session(
        Session(hash_token(session_id), account.login, now, now + timedelta(hours=hours))
    )
    return session_id


def session_account(store: AccountStoreLike, session_id: str, *, now: datetime) -> Account | None:
    """The account of a live session, or None (unknown, expired, or the account disabled)."""
    if not session_id:
        return None
    session = store.session(hash_token(session_id))
    if session is None or now >= session.expires_at:
        return None
    account = store.account(session.login)
    if account is None or account.disabled:
        return None
    return account


def end_session(store: AccountStoreLike, session_id: str) -> bool:
    """Log out: forget the session; True if there was one."""
    return bool(session_id) and store.delete_sessions(session_hash=hash_token(session_id)) > 0


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: bound to it (an HMAC of its id), so a form posted from
    another site, which cannot read the page, cannot carry it."""
    return hmac.new(session_id.encode(), b"gridgov csrf v1", hashlib.sha256).hexdigest()


def csrf_ok(session_id: str, token: str) -> bool:
    """Whether ``token`` is the CSRF token of ``session_id`` (constant time)."""
    if not session_id or not token:
        return False
    return hmac.compare_digest(csrf_token(session_id), token)


# --- bulk creation ---------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()


def accounts_from_workspace(ws: Workspace) -> list[AccountSpec]:
    """The accounts a county needs, from its workspace.

    - one per grid worker of the grids layer (``worker_name``/``worker_phone``), their
      grids together as the subject; grids without a worker are left out;
    - one per deputy (login ``db-<deputy_id>``, phone from the roster);
    - one station admin per station (its ``contact_name``/``contact_phone`` when known);
    - one township staff account per township, one county staff account.

    Logins are ASCII (``wg-``, ``db-``, ``zd-``, ``xz-``, ``xr-`` and the unit's code), so a
    person can always type theirs; each person may also log in with the phone number or a
    name that no one else has.
    """
    specs: list[AccountSpec] = []
    if ws.grids is not None and "worker_name" in ws.grids:
        workers: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for row in ws.grids.itertuples(index=False):
            name = _text(getattr(row, "worker_name", None))
            if not name:
                continue
            phone = normalise_phone(getattr(row, "worker_phone", None))
            workers.setdefault((name, phone), []).append((str(row.code), _text(row.name)))
        for (name, phone), grids in workers.items():
            grids.sort()
            specs.append(
                AccountSpec(
                    f"wg-{grids[0][0]}",
                    name,
                    "grid_worker",
                    ",".join(code for code, _ in grids),
                    phone,
                    "、".join(n or c for c, n in grids),
                )
            )
    stations = ws.stations
    station_names = dict(zip(stations["station_id"].astype(str), stations["name"], strict=True))
    if ws.deputies is not None:
        for row in ws.deputies.itertuples(index=False):
            station = _text(row.station_id)
            specs.append(
                AccountSpec(
                    f"db-{row.deputy_id}",
                    _text(row.name),
                    "deputy",
                    str(row.deputy_id),
                    normalise_phone(getattr(row, "phone", None)),
                    _text(station_names.get(station, station)),
                )
            )
    for row in stations.itertuples(index=False):
        contact = _text(getattr(row, "contact_name", None))
        name = f"{contact}（{row.name}）" if contact else f"{row.name}管理员"
        specs.append(
            AccountSpec(
                f"zd-{row.station_id}",
                name,
                "station_admin",
                str(row.station_id),
                normalise_phone(getattr(row, "contact_phone", None)),
                _text(row.name),
            )
        )
    for row in ws.townships.itertuples(index=False):
        specs.append(
            AccountSpec(
                f"xz-{row.code}",
                f"{row.name}人大",
                "township_staff",
                str(row.code),
                unit=_text(row.name),
            )
        )
    county = ws.county.iloc[0]
    specs.append(
        AccountSpec(
            f"xr-{county['code']}",
            f"{county['name']}人大常委会代表工委",
            "county_staff",
            str(county["code"]),
            unit=_text(county["name"]),
        )
    )
    return _unique_phones(specs)


def _unique_phones(specs: list[AccountSpec]) -> list[AccountSpec]:
    """Drop a phone shared by several accounts (it could not name one of them)."""
    seen: dict[str, int] = {}
    for s in specs:
        if s.phone:
            seen[s.phone] = seen.get(s.phone, 0) + 1
    return [replace(s, phone="") if s.phone and seen[s.phone] > 1 else s for s in specs]


def _check_specs(
    specs: Sequence[AccountSpec],
    ws: Workspace | None,
    *,
    skip: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Every problem of ``specs`` (logins in ``skip`` exist already: only checked for
    repeats)."""
    problems: list[Problem] = []
    logins: set[str] = set()
    for i, s in enumerate(specs):
        if not _LOGIN.fullmatch(s.login):
            problems.append(
                Problem("accounts", i, "login", s.login, "2-64 letters, digits, '.', '_' or '-'")
            )
        if s.login in logins:
            problems.append(Problem("accounts", i, "login", s.login, "given twice"))
        logins.add(s.login)
        if s.login in skip:
            continue
        if s.role not in ACCOUNT_ROLES:
            problems.append(
                Problem(
                    "accounts", i, "role", s.role, f"expected one of {', '.join(ACCOUNT_ROLES)}"
                )
            )
        elif ws is not None:
            try:
                principal_for(TokenRecord("", s.role, s.subject, s.name, _EPOCH), ws)
            except ValidationError as exc:
                problems.extend(replace(p, row=i) for p in exc.problems)
    if problems:
        raise ValidationError(problems, context="accounts")


_EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def create_accounts(
    store: AccountStoreLike,
    specs: Iterable[AccountSpec],
    *,
    now: datetime,
    ws: Workspace | None = None,
    hasher: Any = None,
    workers: int | None = None,
) -> list[tuple[AccountSpec, str]]:
    """Create the accounts of ``specs`` that do not exist yet, each with a random initial
    password; returns ``(spec, password)`` of those created (the passwords exist nowhere
    else: print them now). Existing logins are left as they are.

    Parameters
    ----------
    store : AccountStoreLike
    specs : iterable of AccountSpec
    now : datetime
    ws : Workspace, optional
        When given, every role and subject is checked against it first.
    hasher : argon2.PasswordHasher, optional
        Default: :func:`password_hasher` ``(profile="initial")``.
    workers : int, optional
        Threads hashing at once (Argon2 releases the GIL); default: the CPU count.

    Raises
    ------
    ValidationError
        Naming every bad login, role or subject (nothing is created then).
    """
    specs = list(specs)
    existing = {a.login for a in store.accounts()}
    _check_specs(specs, ws, skip=existing)
    todo = [s for s in specs if s.login not in existing]
    if not todo:
        return []
    hasher = hasher or password_hasher(profile="initial")
    passwords = [new_password() for _ in todo]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        hashes = list(pool.map(lambda p: hash_password(p, hasher=hasher), passwords))
    accounts = [
        Account(s.login, s.name, s.role, s.subject, s.phone, h, now)
        for s, h in zip(todo, hashes, strict=True)
    ]
    added = store.add_accounts(accounts)
    if added != len(accounts):
        raise ConflictError(
            f"{len(accounts) - added} of the accounts were created by someone else meanwhile; "
            "run again"
        )
    return list(zip(todo, passwords, strict=True))


def reset_password(
    store: AccountStoreLike, login: str, *, hasher: Any = None
) -> tuple[Account, str]:
    """Give ``login`` a new random password (it must be changed at the next login), unlock
    it and end its sessions; returns the account and the password (shown once).

    Raises
    ------
    NotFoundError
        If there is no such account.
    """
    from gridgov._errors import NotFoundError

    account = store.account(login)
    if account is None:
        raise NotFoundError(f"no account {login!r}")
    password = new_password()
    changed = replace(
        account,
        password_hash=hash_password(password, hasher=hasher or password_hasher(profile="initial")),
        failures=0,
        locked_until=None,
        must_change=True,
    )
    store.put_account(changed)
    store.delete_sessions(login=login)
    return changed, password


def set_disabled(store: AccountStoreLike, login: str, disabled: bool) -> Account:
    """Shut ``login`` out (``disabled=True``: its sessions end at once) or let it back in.

    Raises
    ------
    NotFoundError
        If there is no such account.
    """
    from gridgov._errors import NotFoundError

    account = store.account(login)
    if account is None:
        raise NotFoundError(f"no account {login!r}")
    changed = replace(account, disabled=disabled, failures=0, locked_until=None)
    store.put_account(changed)
    if disabled:
        store.delete_sessions(login=login)
    return changed


#: The columns of the initial-password sheet.
SHEET_HEADERS = ("账号", "姓名", "角色", "所属单位", "手机号（也可用于登录）", "初始密码")


def write_password_sheet(rows: Sequence[tuple[AccountSpec, str]], path: str | Path) -> Path:
    """Write the initial passwords to an XLSX sheet (readable by its owner only), one row
    per account, Chinese headers, ready to print and cut into slips.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = "初始密码"
    sheet.append(list(SHEET_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for spec, password in rows:
        sheet.append(
            [spec.login, spec.name, ROLE_LABELS_ZH.get(spec.role, spec.role), spec.unit,
             spec.phone, password]
        )  # fmt: skip
    for column, width in zip("ABCDEF", (24, 22, 18, 36, 22, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    path.chmod(0o600)
    book.save(path)
    return path
