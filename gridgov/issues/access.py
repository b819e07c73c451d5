"""Who may see and do what: the roles of the issue service and their scopes.

A token names a role and a subject; the subject fixes the scope:

============== ============================== ==========================================
role           subject                        scope
============== ============================== ==========================================
grid_worker    grid code(s), comma-separated  raise in own grids; see what they raised
                                              or what lies in their grids; rate for the
                                              resident
deputy         deputy_id                      act on issues dispatched to them; see
                                              their station's issues
station_admin  station_id                     the station's issues; transfer, merge
township_staff township code (9 digits)       issues of the township and what escalated
                                              to it
county_staff   county code (6 digits)         everything
planner        any label                      statistics and coverage only, no issues
public         (no token)                     raise through a QR page; follow and rate
                                              one issue with its tracking token
============== ============================== ==========================================

Personal data — deputies' phones, the reporter's name and phone, grid workers' phones —
is shown only to roles that need it to act (:func:`sees_reporter`, :func:`sees_phone`);
an anonymous report stores no reporter identity at all. The API answers 404 for an
issue outside the caller's scope (so existence does not leak) and 403 for an action the
role may not take on an issue it can see.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.issues.lifecycle import Actor, Issue
from gridgov.model import Workspace
from gridgov.store.base import IssueQuery, Store, TokenRecord

__all__ = [
    "ROLES",
    "Principal",
    "can",
    "can_see",
    "create_token",
    "hash_token",
    "principal_for",
    "scope_query",
    "sees_phone",
    "sees_reporter",
    "server_secret",
    "tracking_token",
    "tracks",
]

ROLES: tuple[str, ...] = (
    "grid_worker",
    "deputy",
    "station_admin",
    "township_staff",
    "county_staff",
    "planner",
    "public",
)

ROLE_LABELS_ZH: dict[str, str] = {
    "grid_worker": "网格员",
    "deputy": "人大代表",
    "station_admin": "站点管理员",
    "township_staff": "乡镇（街道）人大",
    "county_staff": "县人大常委会代表工委",
    "planner": "规划分析",
    "public": "群众",
}

_STAFF = frozenset({"station_admin", "township_staff", "county_staff"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller with the units its subject covers."""

    role: str
    subject: str = ""
    name: str = ""
    grids: frozenset[str] = field(default_factory=frozenset)
    stations: frozenset[str] = field(default_factory=frozenset)
    townships: frozenset[str] = field(default_factory=frozenset)
    county: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.subject, self.name)

    @property
    def is_staff(self) -> bool:
        return self.role in _STAFF

    @classmethod
    def public(cls) -> Principal:
        return cls("public", "", "群众")


def hash_token(token: str) -> str:
    """SHA-256 of a token: only this is stored, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: Environment variable holding the secret that keys tracking tokens (any text, at least
#: 32 characters); when unset, :func:`server_secret` reads or makes a file.
SECRET_ENV = "GRIDGOV_SECRET"


def default_secret_file() -> Path:
    """``$XDG_CONFIG_HOME/gridgov/secret``, else ``~/.config/gridgov/secret``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gridgov" / "secret"


def server_secret(secret_file: str | Path = "") -> str:
    """The secret that keys tracking tokens, kept outside the issue store.

    Whoever can read the store (a backup, a read-only database role) sees the raw
    idempotency keys; a secret beside them would let them compute every resident's
    tracking token. So it comes from the ``GRIDGOV_SECRET`` environment variable, else
    from ``secret_file`` (``Settings.secret_file``; empty: :func:`default_secret_file`),
    made with 64 random hex characters and mode 0600 on first use. Several workers
    starting at once agree on one file: it is written aside and linked into place, which
    only one of them can do.

    Raises
    ------
    ParameterError
        When ``GRIDGOV_SECRET`` is set but shorter than 32 characters, or the file is
        empty.
    """
    value = os.environ.get(SECRET_ENV)
    if value is not None:
        if len(value.strip()) < 32:
            raise ParameterError(
                f"{SECRET_ENV} must be at least 32 characters (it keys tracking tokens)",
                parameter=SECRET_ENV,
            )
        return value.strip()
    path = Path(secret_file).expanduser() if secret_file else default_secret_file()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, aside = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another worker was first
                path.hardlink_to(aside)
        finally:
            Path(aside).unlink()
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ParameterError(f"secret file {str(path)!r} is empty", parameter="secret_file")
    return text


def tracking_token(secret: str, idempotency_key: str | None = None) -> str:
    """A new tracking token: what a resident follows and rates an issue with.

    With an idempotency key the token is an HMAC of it under ``secret``
    (:func:`server_secret`, never stored with the issues), so a client that lost the
    first answer gets the same token on its retry, and nobody who merely knows the key,
    or reads the whole store, can compute it; without a key it is random. Store only its
    :func:`hash_token`.
    """
    if idempotency_key:
        mac = hmac.new(secret.encode(), f"track:{idempotency_key}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]
    return secrets.token_urlsafe(24)


def link_token(secret: str, issue_id: str) -> str:
    """The token of the link a resident who left a phone is sent with the result of their
    issue (gridgov.notify): it opens the tracking and rating pages of that issue like the
    tracking token does. An HMAC of the issue id under ``secret`` (:func:`server_secret`,
    never stored with the issues), so nothing is stored and only the server can make one."""
    mac = hmac.new(secret.encode(), f"link:{issue_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def tracks(token: str, tracking_hash: str) -> bool:
    """Whether ``token`` is the tracking token stored as ``tracking_hash`` (compared in
    constant time; an empty token or hash never matches)."""
    if not token or not tracking_hash:
        return False
    return hmac.compare_digest(hash_token(token), tracking_hash)


def _scope(
    ws: Workspace, role: str, subject: str, grid_station: Mapping[str, str] | None = None
) -> tuple[dict[str, object], list[Problem]]:
    """The units a subject covers, or the problems that make the subject invalid."""
    problems: list[Problem] = []
    stations = ws.stations
    if role == "grid_worker":
        codes = [c.strip() for c in subject.split(",") if c.strip()]
        known = set() if ws.grids is None else set(ws.grids["code"].astype(str))
        unknown = [c for c in codes if c not in known]
        if not codes or unknown:
            problems.append(
                Problem(
                    "token",
                    None,
                    "subject",
                    subject,
                    f"unknown grid code(s): {unknown or '(none)'}",
                )
            )
        return {"grids": frozenset(codes)}, problems
    if role in ("deputy", "station_admin"):
        if role == "deputy":
            deps = ws.deputies
            row = None if deps is None else deps[deps["deputy_id"].astype(str) == subject]
            if row is None or row.empty:
                problems.append(Problem("token", None, "subject", subject, "unknown deputy_id"))
                return {}, problems
            station = row["station_id"].iloc[0]
            station_ids = (
                frozenset() if station is None or station != station else frozenset({str(station)})
            )
            name = str(row["name"].iloc[0])
        else:
            if subject not in set(stations["station_id"].astype(str)):
                problems.append(Problem("token", None, "subject", subject, "unknown station_id"))
                return {}, problems
            station_ids = frozenset({subject})
            name = ""
        scope: dict[str, object] = {
            "stations": station_ids,
            "grids": _station_grids(ws, station_ids, grid_station),
        }
        if name:
            scope["name"] = name
        return scope, problems
    if role == "township_staff":
        if subject not in set(ws.townships["code"].astype(str)):
            problems.append(Problem("token", None, "subject", subject, "unknown township code"))
            return {}, problems
        st = stations.loc[stations["township_code"].astype(str) == subject, "station_id"]
        return {"townships": frozenset({subject}), "stations": frozenset(st.astype(str))}, problems
    if role == "county_staff":
        county = str(ws.county["code"].iloc[0])
        if subject != county:
            problems.append(
                Problem("token", None, "subject", subject, f"expected the county code {county}")
            )
        return {"county": True}, problems
    if role == "planner":
        return {}, problems
    problems.append(
        Problem(
            "token", None, "role", role, f"unknown role; expected one of {', '.join(ROLES[:-1])}"
        )
    )
    return {}, problems


def _station_grids(
    ws: Workspace, station_ids: frozenset[str], grid_station: Mapping[str, str] | None
) -> frozenset[str]:
    """Grids whose issues go to these stations (the escalation graph's grid -> station
    edges when given) and grids the stations' deputies look after (代表进网格)."""
    grids: set[str] = set()
    if grid_station is not None:
        grids.update(g for g, s in grid_station.items() if s in station_ids)
    if ws.deputies is not None and "grid_codes" in ws.deputies:
        mine = ws.deputies[ws.deputies["station_id"].astype(str).isin(station_ids)]
        for text in mine["grid_codes"].dropna():
            grids.update(c.strip() for c in str(text).split(",") if c.strip())
    return frozenset(grids)


def principal_for(
    record: TokenRecord, ws: Workspace, grid_station: Mapping[str, str] | None = None
) -> Principal:
    """The principal a stored token stands for (``grid_station``: grid code -> station_id
    of the escalation graph, which decides which grids a station answers for).

    Raises
    ------
    ValidationError
        If the token's subject no longer exists in the workspace.
    """
    scope, problems = _scope(ws, record.role, record.subject, grid_station)
    if problems:
        raise ValidationError(problems, context="token")
    name = str(scope.pop("name", "") or record.name)
    return Principal(record.role, record.subject, name, **scope)  # type: ignore[arg-type]


def create_token(
    store: Store, ws: Workspace, *, role: str, subject: str, name: str = "", now: datetime
) -> str:
    """Issue a new API token for ``role``/``subject``; returns the token (shown once).

    Raises
    ------
    ValidationError
        Naming an unknown role or a subject the workspace does not have.
    """
    if role == "public":
        raise ValidationError(
            [Problem("token", None, "role", role, "the public needs no token")], context="token"
        )
    _, problems = _scope(ws, role, subject)
    if problems:
        raise ValidationError(problems, context="token")
    token = secrets.token_urlsafe(32)
    store.add_token(TokenRecord(hash_token(token), role, subject, name, now))
    return token


# --- what a principal may see and do -------------------------------------------------------


class Scoped(Protocol):
    """What :func:`can_see` reads of an issue: an :class:`Issue`, or the point of one a
    map layer reads (:class:`~gridgov.store.base.IssuePoint`)."""

    @property
    def station_id(self) -> str: ...
    @property
    def township_code(self) -> str: ...
    @property
    def grid_code(self) -> str: ...
    @property
    def deputies(self) -> tuple[str, ...]: ...
    @property
    def reporter_role(self) -> str: ...
    @property
    def reporter_id(self) -> str: ...


def can_see(p: Principal, issue: Scoped) -> bool:
    """Whether ``p`` may read ``issue`` at all (the API answers 404 otherwise)."""
    if p.role == "county_staff":
        return True
    if p.role == "township_staff":
        return issue.township_code in p.townships or issue.station_id in p.stations
    if p.role == "station_admin":
        return issue.station_id in p.stations
    if p.role == "deputy":
        return p.subject in issue.deputies or issue.station_id in p.stations
    if p.role == "grid_worker":
        return issue.grid_code in p.grids or (
            issue.reporter_role == "grid_worker" and issue.reporter_id == p.subject
        )
    return False  # planner and public (the public reads by tracking token, not by scope)


def _handles(p: Principal, issue: Issue) -> bool:
    """Whether ``p`` is a handler at the issue's current level."""
    level = issue.level
    if p.role == "county_staff":
        return True
    if p.role == "township_staff":
        return level in ("township", "station", "grid") and issue.township_code in p.townships
    if p.role == "station_admin":
        return level == "station" and issue.station_id in p.stations
    if p.role == "deputy":
        # only the deputies dispatched to it (代表报到); the station's other deputies see
        # the issue but do not take it over
        return level == "station" and p.subject in issue.deputies
    return False


def can(p: Principal, verb: str, issue: Issue, *, tracking_ok: bool = False) -> bool:
    """Whether ``p`` may ``verb`` the issue (acknowledge, start, resolve, rate, close,
    transfer, return, merge, dispatch, remind, request_extension, decide_extension).
    ``tracking_ok``: the caller showed the issue's tracking token (the resident)."""
    if verb in ("acknowledge", "start", "resolve"):
        return _handles(p, issue)
    if verb == "rate":
        if tracking_ok:
            return True
        return p.role == "grid_worker" and (
            issue.reporter_id == p.subject or issue.grid_code in p.grids
        )
    if verb == "close":
        return p.role in ("county_staff", "township_staff") and _handles(p, issue)
    if verb in ("transfer", "return", "merge", "dispatch", "remind"):
        return p.is_staff and _handles(p, issue)
    if verb == "request_extension":  # 延期申请: the unit handling it, not one above
        return _handles(p, issue) and _ROLE_LEVEL.get(p.role) == _LEVEL_RANK.get(issue.level)
    if verb == "decide_extension":  # the level above the issue's (the county at the top)
        return _decides_extension(p, issue)
    return False


#: The level each handling role stands for: 延期 is asked for by the unit handling the
#: issue (a unit above asking would be deciding its own request) and decided above it.
_ROLE_LEVEL = {"deputy": 1, "station_admin": 1, "township_staff": 2, "county_staff": 3}
_LEVEL_RANK = {"grid": 0, "station": 1, "township": 2, "county": 3, "external": 4}


def _decides_extension(p: Principal, issue: Issue) -> bool:
    """A request for more time is decided above the unit that asked: a station's by its
    township (or the county), a township's by the county; the county, with nobody above
    it in the county, decides its own."""
    rank = _ROLE_LEVEL.get(p.role)
    if rank is None or not p.is_staff or not _handles(p, issue):
        return False
    return p.role == "county_staff" or rank > _LEVEL_RANK.get(issue.level, 4)


def may_raise_at(p: Principal, grid_code: str, township_code: str) -> bool:
    """Whether ``p`` may raise an issue located in this grid."""
    if p.role in ("public", "deputy", "county_staff"):
        return True
    if p.role == "grid_worker":
        return grid_code in p.grids
    if p.role == "station_admin":
        return grid_code in p.grids
    if p.role == "township_staff":
        return township_code in p.townships
    return False


def scope_query(p: Principal, base: IssueQuery) -> IssueQuery | None:
    """``base`` narrowed to what ``p`` may list; None when the role lists no issues."""
    if p.role == "county_staff":
        return base
    if p.role == "township_staff":
        return replace(base, township_codes=tuple(p.townships), station_ids=tuple(p.stations))
    if p.role == "station_admin":
        return replace(base, station_ids=tuple(p.stations))
    if p.role == "deputy":
        return replace(base, deputy_id=p.subject, station_ids=tuple(p.stations))
    if p.role == "grid_worker":
        return replace(base, grid_codes=tuple(p.grids), reporter_id=p.subject)
    return None


def sees_reporter(p: Principal, issue: Issue) -> bool:
    """The reporter's name and phone: handlers who must call them back, and the reporter."""
    if issue.anonymous:
        return False
    if p.role == "grid_worker":
        return issue.reporter_id == p.subject
    if p.role == "deputy":
        return p.subject in issue.deputies or p.subject == issue.responsible
    return p.is_staff and can_see(p, issue)


def sees_phone(p: Principal, station_id: str, deputy_id: str = "") -> bool:
    """Deputies' (and grid workers') phones: staff over that station, and the person."""
    if p.role == "county_staff":
        return True
    if p.role in ("station_admin", "township_staff"):
        return station_id in p.stations
    return p.role == "deputy" and deputy_id == p.subject
