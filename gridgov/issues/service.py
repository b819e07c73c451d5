"""The whistle-to-closure loop: raise, locate, assign, dispatch, act, escalate, close.

:class:`IssueService` ties the pure pieces together for one county: the lifecycle
(:mod:`gridgov.issues.lifecycle`), the grid lookup (:mod:`gridgov.issues.places`), the
escalation graph (:mod:`gridgov.issues.escalation`), the dispatcher
(:mod:`gridgov.issues.dispatch`) and a :class:`~gridgov.store.base.Store`.
The API, ``gridgov tick`` and the demo's simulated week all go through it, so the rules
are the same everywhere. It checks input (collecting every problem), never permissions:
the caller (the API) decides who may do what with :mod:`gridgov.issues.access`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj

from gridgov._errors import (
    ConflictError,
    ForbiddenError,
    LocationError,
    NotFoundError,
    ParameterError,
    Problem,
    ValidationError,
)
from gridgov.crs import CGCS2000, looks_swapped, workspace_crs
from gridgov.issues.access import server_secret
from gridgov.issues.dispatch import Dispatch, Dispatcher
from gridgov.issues.escalation import (
    escalation_graph,
    next_unit,
    unit_for_grid,
    validate_escalation,
)
from gridgov.issues.lifecycle import (
    Action,
    Actor,
    Assign,
    Close,
    DispatchDeputies,
    Escalate,
    Event,
    Issue,
    Locate,
    Merge,
    MergedIn,
    Overdue,
    Return,
    SuggestDuplicates,
    Transfer,
    TransitionError,
    apply,
    due_action,
    new_issue,
    new_issue_id,
    utcnow,
)
from gridgov.issues.places import GridIndex
from gridgov.model import Workspace
from gridgov.routing.graph import RoadGraph, workspace_road_graph
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery, Store

__all__ = [
    "MAX_ADDRESS",
    "MAX_DESCRIPTION",
    "MAX_MEDIA_URL",
    "MAX_TITLE",
    "IssueService",
    "LocationError",
    "NewIssue",
    "RaiseResult",
    "TickReport",
    "point_problems",
    "request_key",
]

log = logging.getLogger(__name__)

#: Longest description accepted (characters): Open311 GeoReport v2's limit, so that any
#: client of the spec is taken at its word; every entry point (JSON, QR form, Open311)
#: shares it.
MAX_DESCRIPTION = 4000
MAX_TITLE = 100
MAX_ADDRESS = 300
MAX_MEDIA_URL = 500
_MEDIA_URL = re.compile(r"https?://[^\s<>\"]+")

#: Fields of a new issue that identify a person: never part of the request fingerprint.
_PERSONAL = frozenset({"reporter_name", "reporter_phone", "tracking_hash"})


def request_key(secret_file: str = "") -> bytes:
    """The key of the request fingerprints kept with idempotency records.

    Secrets never live beside the data they protect, so the key is not in the store: it
    is derived (HMAC, label ``idempotency``) from the server secret
    (:func:`~gridgov.issues.access.server_secret`: ``GRIDGOV_SECRET``, else the secret
    file). Every server of one store must see the same secret; a changed one only makes
    retries of older requests count as different requests.
    """
    root = server_secret(secret_file).encode("utf-8")
    return hmac.new(root, b"gridgov idempotency v1", hashlib.sha256).digest()


def point_problems(lon: Any, lat: Any) -> list[Problem]:
    """What is wrong with a longitude/latitude pair, if anything (swaps named as such)."""
    value = f"{lon}, {lat}"
    finite = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in (lon, lat)
    )
    if not finite:
        return [Problem("issue", None, "lon/lat", value, "coordinates must be finite numbers")]
    # a swapped point in China has latitude > 90: test the swap before the range
    if bool(looks_swapped(np.array([lon]), np.array([lat]))[0]):
        message = f"longitude and latitude look swapped; did you mean lon={lat}, lat={lon}?"
        return [Problem("issue", None, "lon/lat", value, message)]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        message = "out of range: longitude -180..180, latitude -90..90"
        return [Problem("issue", None, "lon/lat", value, message)]
    return []


@dataclass(frozen=True)
class NewIssue:
    """What someone raising an issue supplies (lon/lat in CGCS2000 or WGS84 degrees)."""

    category: str
    description: str
    lon: float
    lat: float
    title: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    source: str = "grid"
    tracking_hash: str = ""
    address: str = ""
    media_url: str = ""

    def request_hash(self, actor: Actor, key: bytes) -> str:
        """Fingerprint of the request, to tell a retry from a reused idempotency key.

        An HMAC under ``key`` (see :func:`request_key`) of the request without the
        reporter's name and phone: what the store keeps can neither name nor confirm who
        filed an anonymous report.
        """
        body = {k: v for k, v in self.__dict__.items() if k not in _PERSONAL}
        body["actor"] = [actor.role, actor.subject]
        raw = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RaiseResult:
    """A raised issue, whether it is new (False: an idempotent retry), who was dispatched
    and the open issues nearby that may be the same thing."""

    issue: Issue
    created: bool
    dispatch: Dispatch | None
    duplicates: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TickReport:
    """What one pass of the deadline scheduler did."""

    checked: int
    escalated: tuple[str, ...]
    overdue: tuple[str, ...]
    closed: tuple[str, ...]


#: Characters str.strip() keeps that show nothing: zero-width space, joiners, word joiner, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _visible(text: str) -> bool:
    """True if ``text`` shows at least one character (not only blanks or zero-width ones)."""
    return bool(text.translate(_INVISIBLE).strip())


class IssueService:
    """The issue loop of one county workspace over a store.

    Parameters
    ----------
    ws : Workspace
    store : Store
    settings : Settings, optional
    graph : RoadGraph, optional
        The road graph (built from ``ws.roads`` when None; straight lines without roads).
    clock : callable, optional
        Returns the current time (timezone-aware); tests pass a controllable one.
    secret : bytes, optional
        Key of the idempotency fingerprints (default: :func:`request_key`, read when
        first needed).
    idempotency_ttl_h : float, optional
        Idempotency records older than this many hours are deleted (on the next
        creation); ``settings.idempotency_hours`` when left out.
    """

    def __init__(
        self,
        ws: Workspace,
        store: Store,
        *,
        settings: Settings | None = None,
        graph: RoadGraph | None = None,
        clock: Callable[[], datetime] = utcnow,
        secret: bytes | None = None,
        idempotency_ttl_h: float | None = None,
    ) -> None:
        settings = settings or Settings()
        if idempotency_ttl_h is None:
            idempotency_ttl_h = float(settings.idempotency_hours)
        if not idempotency_ttl_h > 0:
            raise ParameterError(
                f"idempotency_ttl_h: must be > 0, got {idempotency_ttl_h!r}",
                parameter="idempotency_ttl_h",
                value=idempotency_ttl_h,
            )
        self._secret = secret
        self.idempotency_ttl_h = idempotency_ttl_h
        self.ws = ws
        self.store = store
        self.settings = settings
        self.clock = clock
        crs = workspace_crs(ws)
        graph = graph if graph is not None else workspace_road_graph(ws)
        self.graph = graph
        self.escalation: nx.DiGraph = escalation_graph(ws, settings=self.settings, graph=graph)
        validate_escalation(self.escalation, self.settings)
        self.dispatcher = Dispatcher.build(ws, settings=self.settings, graph=graph)
        self._grids = GridIndex(ws, crs)
        self._to_xy = pyproj.Transformer.from_crs(CGCS2000, crs, always_xy=True)
        self.deputies = _deputy_lookup(ws)
        self.grid_station: dict[str, str] = {}
        for code in self._grids.codes:
            node = unit_for_grid(self.escalation, code)
            self.grid_station[code] = str(self.escalation.nodes[node]["unit_id"])

    @classmethod
    def open(
        cls,
        workspace: Workspace | str | Path,
        store: Store | str | Path | None = None,
        *,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> IssueService:
        """Read a workspace and open its store.

        Parameters
        ----------
        workspace : Workspace or str or Path
            A workspace already read, a ``postgresql://`` URL (the workspace imported with
            ``gridgov db import``), or a workspace GeoPackage.
        store : Store or str or Path, optional
            A store, or what :func:`gridgov.store.open_store` opens (a ``postgresql://`` URL
            or a SQLite file). Default: the same database for a URL, ``WORKSPACE.issues.sqlite``
            beside a GeoPackage; required with a Workspace object.

        Raises
        ------
        ParameterError
            If ``workspace`` is a Workspace object and no ``store`` is given.
        """
        from gridgov.io import read_workspace
        from gridgov.store import open_store

        if isinstance(workspace, Workspace):
            if store is None:
                raise ParameterError(
                    "store: give the issue store when workspace is a Workspace", parameter="store"
                )
            ws = workspace
        elif str(workspace).startswith(("postgresql://", "postgres://")):
            from gridgov.store.pg_workspace import read_workspace_pg

            ws = read_workspace_pg(str(workspace))
            store = str(workspace) if store is None else store
        else:
            path = Path(workspace)
            ws = read_workspace(path)
            store = path.with_suffix(".issues.sqlite") if store is None else store
        if isinstance(store, str | Path):
            store = open_store(store)
        return cls(ws, store, settings=settings, clock=clock)

    # --- helpers -----------------------------------------------------------------------

    def _now(self, now: datetime | None) -> datetime:
        return now if now is not None else self.clock()

    def _key(self) -> bytes:
        if self._secret is None:
            self._secret = request_key(self.settings.secret_file)
        return self._secret

    def node(self, unit: str) -> Mapping[str, Any]:
        """Attributes of an escalation-graph node (NotFoundError if unknown)."""
        if unit not in self.escalation:
            raise NotFoundError(f"no unit {unit!r} in the escalation graph")
        return dict(self.escalation.nodes[unit])

    def station_node(self, station_id: str) -> str:
        unit = f"station:{station_id}"
        if unit not in self.escalation:
            raise NotFoundError(f"no station {station_id!r}")
        return unit

    def validate(self, data: NewIssue) -> None:
        """Check a new issue, collecting every problem.

        Raises
        ------
        ValidationError
            Naming each bad field and value (unknown category, empty or oversized text,
            coordinates out of range, swapped or outside China).
        """
        problems: list[Problem] = []

        def bad(fld: str, value: Any, message: str) -> None:
            problems.append(Problem("issue", None, fld, value, message))

        cats = self.settings.issue_categories
        if data.category not in cats:
            known = ", ".join(f"{k} ({v})" for k, v in cats.items())
            bad("category", data.category, f"unknown category; expected one of {known}")
        if not _visible(data.description):
            bad("description", data.description, "must not be empty (or only invisible characters)")
        if len(data.description) > MAX_DESCRIPTION:
            bad(
                "description",
                f"{len(data.description)} characters",
                f"longer than {MAX_DESCRIPTION}",
            )
        if len(data.title) > MAX_TITLE:
            bad("title", f"{len(data.title)} characters", f"longer than {MAX_TITLE}")
        if len(data.reporter_phone) > 32:
            bad("reporter_phone", data.reporter_phone, "not a phone number")
        if len(data.address) > MAX_ADDRESS:
            bad("address", f"{len(data.address)} characters", f"longer than {MAX_ADDRESS}")
        if data.media_url and (
            len(data.media_url) > MAX_MEDIA_URL or not _MEDIA_URL.fullmatch(data.media_url)
        ):
            bad(
                "media_url",
                data.media_url[:80],
                f"not an http(s) link of at most {MAX_MEDIA_URL} characters",
            )
        for name in ("description", "title", "address", "media_url", "reporter_name",
                     "reporter_phone"):  # fmt: skip
            if "\x00" in getattr(data, name):
                # PostgreSQL text cannot hold U+0000; refused for every store alike
                bad(name, getattr(data, name)[:40], "contains U+0000 (NUL)")
        problems.extend(point_problems(data.lon, data.lat))
        if problems:
            raise ValidationError(problems, context="issue")

    # --- raising -------------------------------------------------------------------------

    def raise_issue(
        self,
        data: NewIssue,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
        now: datetime | None = None,
        may_raise: Callable[[str, str], bool] | None = None,
    ) -> RaiseResult:
        """Raise an issue: locate it, assign it to its grid's station, dispatch deputies,
        suggest duplicates, and commit it all at once.

        Parameters
        ----------
        data : NewIssue
        actor : Actor
        idempotency_key : str, optional
            A retry with the same key returns the stored issue (``created=False``).
        now : datetime, optional
        may_raise : callable, optional
            ``(grid_code, township_code) -> bool``; False raises ForbiddenError (the
            caller's scope check, done after locating).

        Raises
        ------
        ValidationError, LocationError, ForbiddenError, IdempotencyError
        """
        now = self._now(now)
        self.validate(data)
        gi, snapped = self._grids.locate(data.lon, data.lat, self.settings.locate_tolerance_m)
        grid = str(self._grids.codes[gi])
        township = str(self._grids.township[gi])
        if may_raise is not None and not may_raise(grid, township):
            raise ForbiddenError(f"you may not raise issues in grid {grid}")
        issue, events = new_issue(
            issue_id=new_issue_id(now),
            category=data.category,
            description=data.description.strip(),
            title=data.title.strip(),
            address=" ".join(data.address.split()),
            media_url=data.media_url.strip(),
            lon=data.lon,
            lat=data.lat,
            actor=actor,
            now=now,
            source=data.source,
            reporter_name=data.reporter_name.strip(),
            reporter_phone=data.reporter_phone.strip(),
            anonymous=data.anonymous,
            tracking_hash=data.tracking_hash,
        )
        log_: list[Event] = list(events)

        def step(action: Action) -> None:
            nonlocal issue
            issue, more = apply(issue, action, actor=actor, now=now, settings=self.settings)
            log_.extend(more)

        step(Locate(grid, str(self._grids.village[gi]), township, snapped))
        station_unit = unit_for_grid(self.escalation, grid)
        st = self.escalation.nodes[station_unit]
        step(
            Assign(
                station_unit, "station", str(st["name"]),
                station_id=str(st["unit_id"]), township_code=township,
            )
        )  # fmt: skip
        dispatch = self.dispatcher.dispatch(
            data.lon,
            data.lat,
            station_id=str(st["unit_id"]),
            category=data.category,
            open_issues=self.store.open_load,
        )
        if dispatch.chosen:
            pools = {c.pool for c in dispatch.chosen}
            step(
                DispatchDeputies(
                    tuple(c.deputy_id for c in dispatch.chosen),
                    tuple(c.reason for c in dispatch.chosen),
                    pool=",".join(sorted(pools)),
                )
            )
        duplicates = self._duplicates(issue)
        if duplicates:
            step(
                SuggestDuplicates(tuple(d for d, _ in duplicates), tuple(m for _, m in duplicates))
            )
        stored, created = self.store.create_issue(
            issue,
            log_,
            idempotency_key=idempotency_key,
            request_hash="" if idempotency_key is None else data.request_hash(actor, self._key()),
            keys_expire_before=now - timedelta(hours=self.idempotency_ttl_h),
        )
        return RaiseResult(
            stored, created, dispatch if created else None, duplicates if created else ()
        )

    def _duplicates(self, issue: Issue) -> tuple[tuple[str, float], ...]:
        radius = self.settings.duplicate_radius_m
        dlat = radius / 111_000 * 1.5
        dlon = dlat / max(math.cos(math.radians(issue.lat)), 0.1)
        bbox = (issue.lon - dlon, issue.lat - dlat, issue.lon + dlon, issue.lat + dlat)
        near, _ = self.store.list_issues(
            IssueQuery(open_only=True, category=issue.category, bbox=bbox, limit=50)
        )
        if not near:
            return ()
        x0, y0 = self._to_xy.transform(issue.lon, issue.lat)
        xs, ys = self._to_xy.transform([i.lon for i in near], [i.lat for i in near])
        dist = np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
        found = [(i.issue_id, float(d)) for i, d in zip(near, dist, strict=True) if d <= radius]
        return tuple(sorted(found, key=lambda t: t[1]))

    # --- acting --------------------------------------------------------------------------

    def act(
        self,
        issue_id: str,
        action: Action,
        actor: Actor,
        *,
        now: datetime | None = None,
        check: Callable[[Issue], None] | None = None,
        expected_version: int | None = None,
    ) -> Issue:
        """Apply ``action`` and store it, deciding on the state inside the write.

        The issue is read once as the basis the caller decides on, then read again with
        its row locked (:meth:`Store.modify`). If someone changed it in between so that
        the action no longer means what it meant (another status, another unit, or any
        change at all when ``expected_version`` is given: the version the client read),
        the action is refused with :class:`ConflictError` rather than re-applied: two
        transfers, or a transfer and a resolution, of one issue never both succeed.
        ``check(issue)`` runs on the locked state (the caller's permission check). A
        hand-over to a station dispatches that station's nearest deputies.

        Raises
        ------
        NotFoundError, TransitionError, ConflictError, ParameterError
        """
        now = self._now(now)
        basis = self.store.get_issue(issue_id)
        _check_version(basis, expected_version)
        dispatch = self._handover_dispatch(basis, action)

        def change(fresh: Mapping[str, Issue]) -> list[tuple[Issue, tuple[Event, ...]]]:
            issue = fresh[issue_id]
            _check_basis(issue, basis, expected_version)
            if check is not None:
                check(issue)
            new, events = apply(issue, action, actor=actor, now=now, settings=self.settings)
            if dispatch is not None and dispatch.chosen and new.level == "station":
                new, more = apply(
                    new,
                    DispatchDeputies(
                        tuple(c.deputy_id for c in dispatch.chosen),
                        tuple(c.reason for c in dispatch.chosen),
                        pool=",".join(sorted({c.pool for c in dispatch.chosen})),
                    ),
                    actor=actor,
                    now=now,
                    settings=self.settings,
                )
                events = events + more
            return [(new, events)]

        return self.store.modify([issue_id], change)[0]

    def _handover_dispatch(self, issue: Issue, action: Action) -> Dispatch | None:
        """Who a hand-over to a station dispatches (from the issue's place and category,
        which never change): computed before the write so the locks stay short."""
        if not isinstance(action, Transfer | Return | Escalate) or action.level != "station":
            return None
        station_id = getattr(action, "station_id", "") or action.unit.partition(":")[2]
        return self.dispatcher.dispatch(
            issue.lon,
            issue.lat,
            station_id=station_id,
            category=issue.category,
            open_issues=self.store.open_load,
        )

    def merge(
        self,
        issue_id: str,
        into: str,
        actor: Actor,
        *,
        reason: str = "",
        now: datetime | None = None,
        check: Callable[[Issue, Issue], None] | None = None,
        expected_version: int | None = None,
    ) -> Issue:
        """Close ``issue_id`` as a duplicate of ``into`` and record it in ``into``'s log.

        Both issues are read and written in one transaction with their rows locked in
        id order, so the target is checked where nobody can close it or merge it back
        meanwhile: of a merge of A into B and one of B into A, one wins and the other
        gets :class:`ConflictError`.

        Raises
        ------
        ParameterError
            If the two differ in category or lie farther apart than
            ``settings.duplicate_radius_m``, or ``into`` is the issue itself.
        ConflictError
            If ``into`` is no longer open, or the issue changed since it was read (or
            since ``expected_version``).
        NotFoundError, TransitionError
        """
        now = self._now(now)
        if into == issue_id:
            raise ParameterError(
                f"issue {issue_id} cannot be merged into itself", parameter="into", value=into
            )
        basis = self.store.get_issue(issue_id)
        target_basis = self.store.get_issue(into)
        _check_version(basis, expected_version)

        def change(fresh: Mapping[str, Issue]) -> list[tuple[Issue, tuple[Event, ...]]]:
            issue, target = fresh[issue_id], fresh[into]
            _check_basis(issue, basis, expected_version)
            if check is not None:
                check(issue, target)
            if not target.is_open:
                how = f" into {target.merged_into}" if target.merged_into else ""
                message = (
                    f"into: issue {into} is {target.status.value}{how}, not open: issue "
                    f"{issue_id} cannot be merged into it"
                )
                if target_basis.is_open:  # closed while this merge was under way
                    raise ConflictError(message)
                raise ParameterError(message, parameter="into", value=into)
            self._check_duplicate(issue, target)
            new, events = apply(
                issue, Merge(into, reason), actor=actor, now=now, settings=self.settings
            )
            other, more = apply(
                target, MergedIn(issue_id, reason), actor=actor, now=now, settings=self.settings
            )
            return [(new, events), (other, more)]

        stored = self.store.modify([issue_id, into], change)
        return next(i for i in stored if i.issue_id == issue_id)

    def _check_duplicate(self, issue: Issue, target: Issue) -> None:
        """A duplicate is the same kind of problem at (almost) the same place."""
        if issue.category != target.category:
            raise ParameterError(
                f"into: issue {issue.issue_id} ({issue.category}) and issue {target.issue_id} "
                f"({target.category}) differ in category; only the same problem merges",
                parameter="into",
                value=target.issue_id,
            )
        x, y = self._to_xy.transform([issue.lon, target.lon], [issue.lat, target.lat])
        distance_m = float(math.hypot(x[1] - x[0], y[1] - y[0]))
        radius = self.settings.duplicate_radius_m
        if distance_m > radius:
            raise ParameterError(
                f"into: issue {issue.issue_id} and issue {target.issue_id} are "
                f"{distance_m:.0f} m apart, farther than the duplicate radius ({radius:g} m)",
                parameter="into",
                value=target.issue_id,
            )

    def unit_action_target(self, unit: str) -> dict[str, str]:
        """Keyword arguments for Transfer/Return/Assign naming ``unit``."""
        node = self.node(unit)
        level = str(node["level"])
        out = {"unit": unit, "level": level, "unit_name": str(node["name"])}
        # the station and township the unit answers to, so that scopes follow the issue
        station = ""
        if level == "station":
            station = str(node["unit_id"])
        elif level == "grid":
            station = self.grid_station.get(str(node["unit_id"]), "")
        out["station_id"] = station
        if station:
            row = self.ws.stations[self.ws.stations["station_id"].astype(str) == station]
            if not row.empty:
                out["township_code"] = str(row["township_code"].iloc[0])
        if level == "grid" and node.get("village_code"):
            out["township_code"] = str(node["village_code"])[:9]
        elif level == "township":
            out["township_code"] = str(node["unit_id"])
        return out

    def previous_unit(self, issue_id: str) -> str | None:
        """The unit the issue came from (for 退回): the last hand-over's origin."""
        for ev in reversed(self.store.events(issue_id)):
            if ev.kind in ("escalated", "transferred", "returned") and ev.data.get("from"):
                return str(ev.data["from"])
        return None

    def dispatch_preview(
        self, lon: float, lat: float, *, category: str | None = None, station_id: str | None = None
    ) -> Dispatch:
        """Who would be dispatched to an issue here (nothing is stored)."""
        problems = point_problems(lon, lat)
        if problems:
            raise ValidationError(problems, context="location")
        if station_id is None:
            gi, _ = self._grids.locate(lon, lat, self.settings.locate_tolerance_m)
            node = unit_for_grid(self.escalation, str(self._grids.codes[gi]))
            station_id = str(self.escalation.nodes[node]["unit_id"])
        return self.dispatcher.dispatch(
            lon, lat, station_id=station_id, category=category, open_issues=self.store.open_load
        )

    # --- deadlines -----------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> TickReport:
        """Apply every passed deadline: escalate one level up (recording who is notified),
        record an overdue issue at the top, close resolved issues left unrated."""
        now = self._now(now)
        window = timedelta(hours=self.settings.rating_window_h)
        due = self.store.due(now, resolved_before=now - window)
        escalated: list[str] = []
        overdue: list[str] = []
        closed: list[str] = []
        system = Actor.system()
        for issue in due:
            what = due_action(issue, now, self.settings)
            if what is None:
                continue

            def still_due(fresh: Issue, unit: str = issue.unit, what: str = what) -> None:
                # Another ticker (the scheduler of a second worker, cron's gridgov tick)
                # may have acted since the read: re-applying its escalation to the new
                # state would climb two levels for one missed deadline.
                if fresh.unit != unit or due_action(fresh, now, self.settings) != what:
                    raise _NoLongerDueError(f"issue {fresh.issue_id} was handled meanwhile")

            try:
                if what == "rating":
                    self.act(
                        issue.issue_id,
                        Close("评价期满未评价，自动办结 (rating window over)"),
                        system,
                        now=now,
                        check=still_due,
                    )
                    closed.append(issue.issue_id)
                    continue
                up = (
                    next_unit(self.escalation, issue.unit)
                    if issue.unit in self.escalation
                    else None
                )
                if up is None:
                    notified = (f"{self.settings.handlers.get(issue.level, '')}:{issue.unit}",)
                    self.act(
                        issue.issue_id, Overdue(what, notified), system, now=now, check=still_due
                    )
                    overdue.append(issue.issue_id)
                    continue
                node = self.escalation.nodes[up]
                notified = (f"{node['handler']}:{up}",)
                target = self.unit_action_target(up)
                action = Escalate(
                    up, target["level"], target["unit_name"], what, notified,
                    township_code=target.get("township_code", ""),
                    station_id=target.get("station_id", ""),
                )  # fmt: skip
                self.act(issue.issue_id, action, system, now=now, check=still_due)
                escalated.append(issue.issue_id)
            except (ConflictError, TransitionError, _NoLongerDueError) as exc:  # acted meanwhile
                log.info("tick skipped %s: %s", issue.issue_id, exc)
        return TickReport(len(due), tuple(escalated), tuple(overdue), tuple(closed))


class _NoLongerDueError(Exception):
    """A deadline someone else already acted on (tick skips the issue)."""


def _check_version(issue: Issue, expected_version: int | None) -> None:
    if expected_version is not None and issue.version != expected_version:
        raise ConflictError(
            f"issue {issue.issue_id} is at version {issue.version}, not {expected_version}: "
            f"it was changed meanwhile (now {issue.status.value} at "
            f"{issue.unit_name or issue.unit}); read it again"
        )


def _check_basis(fresh: Issue, basis: Issue, expected_version: int | None) -> None:
    """Refuse to act on a state other than the one the caller decided on."""
    _check_version(fresh, expected_version)
    if (fresh.status, fresh.unit) != (basis.status, basis.unit):
        raise ConflictError(
            f"issue {fresh.issue_id} changed while you acted: it is now "
            f"{fresh.status.value} at {fresh.unit_name or fresh.unit} (was "
            f"{basis.status.value} at {basis.unit_name or basis.unit}); read it again"
        )


def _deputy_lookup(ws: Workspace) -> dict[str, dict[str, str]]:
    """Deputy id -> name, level, station, specialty and phone (personal: callers filter)."""
    out: dict[str, dict[str, str]] = {}
    if ws.deputies is None:
        return out

    def text(value: Any) -> str:
        return "" if value is None or value != value else str(value)

    for row in ws.deputies.itertuples(index=False):
        out[str(row.deputy_id)] = {
            "name": text(row.name),
            "level": text(row.level),
            "station_id": text(row.station_id),
            "phone": text(getattr(row, "phone", None)),
            "specialty": text(getattr(row, "specialty", None)),
        }
    return out
