"""The ``Store`` protocol every issue store satisfies: SQLite (embedded) and PostGIS (shared).

A store keeps issues (snapshots, see :mod:`gridgov.issues.lifecycle`), their append-only event
logs, idempotency keys and API tokens. Its promises, which the shared test suite checks
on every implementation:

- :meth:`Store.create_issue` returns only after the issue, its events and its
  idempotency key are committed together; the same key with the same request returns
  the stored issue again (``created=False``), with a different request it raises
  :class:`IdempotencyError`.
- :meth:`Store.update_issue` writes a snapshot only if the stored ``version`` is still
  the one the caller read (:class:`ConflictError` otherwise), so two people acting on one
  issue at once can never lose either change: the loser re-reads and re-applies.
- :meth:`Store.modify` reads several issues and writes what a function decides on that
  fresh state in one transaction, the rows locked in issue-id order (PostgreSQL:
  ``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``): merges, transfers and
  escalations check the state they change, the target's too, where nobody can move it.
- Events are never updated or deleted.
- Idempotency records hold an HMAC of the request (never its personal fields) and are
  deleted once older than the service's lifetime for them.
- Issue facts (:class:`IssueFacts`, what each issue contributes to the statistics) are a
  cache beside the issues: every write of an issue deletes its facts in the same
  transaction, facts are stored only while the issue is still at the version they were
  computed from, and facts computed under other deadlines (``basis``) are ignored, so they
  can never make a figure wrong (see :mod:`gridgov.issues.stats`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from gridgov._errors import (
    ConflictError,
    IdempotencyError,
    ParameterError,
    StoreUnavailableError,
)
from gridgov.issues.lifecycle import OPEN_STATUSES, Event, Issue
from gridgov.model import IssueStatus

__all__ = [
    "FACT_FILTERS",
    "ConflictError",
    "FactReading",
    "FactTotals",
    "IdempotencyError",
    "IssueFacts",
    "IssueQuery",
    "QueueRow",
    "Store",
    "StoreUnavailableError",
    "TokenRecord",
    "store_kind",
]


@dataclass(frozen=True)
class IssueQuery:
    """Filters for listing issues; every field narrows the list, None means any.

    ``units`` matches the current unit or any unit the issue passed through is not
    tracked here: scope by ``station_ids`` / ``township_codes`` / ``grid_codes`` /
    ``deputy_id`` (dispatched to) / ``reporter_id``; several scope fields are OR-ed
    (what a role may see), the other filters AND-ed. ``station_id`` / ``township_code``
    narrow the list inside that scope (AND-ed, a caller's filter, not a scope).
    """

    status: tuple[str, ...] | None = None
    category: str | None = None
    level: str | None = None
    open_only: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None
    station_ids: tuple[str, ...] | None = None
    township_codes: tuple[str, ...] | None = None
    grid_codes: tuple[str, ...] | None = None
    deputy_id: str | None = None
    reporter_id: str | None = None
    issue_ids: tuple[str, ...] | None = None
    bbox: tuple[float, float, float, float] | None = None  # lon/lat min x, min y, max x, max y
    station_id: str | None = None
    township_code: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class IssueFacts:
    """What one issue contributes to the statistics, as of its last event.

    Computed by :func:`gridgov.issues.stats.issue_facts` from the issue's whole log under
    the deadlines of the settings whose fingerprint is ``basis``; valid while the issue is
    still at ``version`` (a store deletes them when it writes the issue) and the settings
    still have that fingerprint. The issue's creation time, station, township and category
    are copied so that the figures are summed from these rows alone.

    ``earlier`` holds what the issue contributed before its last event: one entry per
    change of the figures, each as of its own ``last_event_at`` (the time from which it
    holds; it holds until the next entry's, the last one until this one's). A period that
    ends while the issue was still moving reads the entry in force at its end instead of
    replaying the issue's log.
    """

    issue_id: str
    version: int
    basis: str
    created_at: datetime
    station_id: str
    township_code: str
    category: str
    last_event_at: datetime
    merged: bool
    settled: bool
    on_time: bool
    rated: bool
    satisfied: bool
    unsatisfied: bool
    reopened: bool
    escalated: bool
    open_at_end: bool
    hours_to_acknowledge: float | None
    hours_to_resolve: float | None
    deputies: tuple[str, ...]
    earlier: tuple[IssueFacts, ...] = ()


@dataclass(frozen=True)
class IssuePoint:
    """An issue as the map layer shows it (:mod:`gridgov.issues.layers`): its place, state
    and the columns the caller's scope is checked on (:func:`gridgov.issues.access.can_see`),
    read by the store without decoding the issue's document; the fields are those of
    :class:`~gridgov.issues.lifecycle.Issue` of the same names, ``description`` cut to
    :data:`POINT_DESCRIPTION` characters."""

    issue_id: str
    category: str
    status: IssueStatus
    level: str
    unit_name: str
    station_id: str
    township_code: str
    grid_code: str
    deputies: tuple[str, ...]
    reporter_role: str
    reporter_id: str
    escalations: int
    reopened: int
    rating: str
    created_at: datetime
    description: str
    lon: float
    lat: float


#: The characters of an issue's description an :class:`IssuePoint` carries.
POINT_DESCRIPTION = 200

#: Above this many deputy ids, a store's ``open_load`` answers from its load table read
#: whole (a county pool once deputies are at the cap) instead of sending the ids to the
#: database.
LOAD_SCAN_ABOVE = 100


def store_kind(store: Any, needs: str) -> Literal["sqlite", "postgis"]:
    """Which issue store ``store`` is, for the tables kept beside the issues (the notices'
    outbox, the platforms' messages). By class name, not ``isinstance``: PostGIS needs
    psycopg, an optional extra, and the SQLite store imports those modules' schemas.

    Raises
    ------
    ParameterError
        For another kind of store; ``needs`` says what needed it ("notices").
    """
    name = type(store).__name__
    if name == "SQLiteStore":
        return "sqlite"
    if name == "PostGISStore":
        return "postgis"
    raise ParameterError(
        f"store: {needs} need a SQLite or PostGIS issue store, got {name}", parameter="store"
    )


class QueueRow(NamedTuple):
    """An issue as the staff's work queue sorts it into its tabs (the deadlines it works
    against, its level and state), read from the store's columns: the queue classifies a
    county's ten thousand open issues from these and decodes only its page's documents.
    The fields are those of :class:`~gridgov.issues.lifecycle.Issue` of the same names,
    except ``escalations``, read only for issues above the station (0 below it, where the
    queue never asks). A tuple, not a frozen dataclass: 15,000 of them were made in 200 ms
    as dataclasses (2 cores under load), 3 times faster as tuples."""

    issue_id: str
    status: IssueStatus
    level: str
    category: str
    created_at: datetime
    updated_at: datetime
    acknowledge_due: datetime | None
    resolve_due: datetime | None
    escalations: int

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class FactTotals:
    """The figures of one unit summed over fresh :class:`IssueFacts` rows (counts as
    :data:`gridgov.issues.stats.COUNTS` has them except ``deputy_visits``, and the sums
    and numbers of the hours behind the two means)."""

    unit: str
    counts: tuple[int, ...]
    sum_hours_to_acknowledge: float
    n_acknowledged: int
    sum_hours_to_resolve: float
    n_resolved: int


@dataclass(frozen=True)
class FactReading:
    """What :meth:`Store.fact_totals` read in one snapshot."""

    #: per unit, over the issues of the period whose facts are fresh and final by ``end``
    totals: list[FactTotals]
    #: the other issues of the period (facts stale or missing, or none in force at ``end``)
    late: list[str]
    #: deputies' visits in the period: (deputy, event unit, the issue's station, township,
    #: category, number); the issue's columns are "" for issues whose facts are missing
    visits: list[tuple[str, str, str, str, str, int]]
    #: visits to issues whose facts are missing: (deputy, event unit, issue id, number)
    visits_unplaced: list[tuple[str, str, str, int]]


#: The IssueQuery fields the statistics read from facts alone can filter on.
FACT_FILTERS = frozenset(
    {"station_ids", "township_codes", "station_id", "township_code", "category", "limit",
     "offset"}
)  # fmt: skip


@dataclass(frozen=True)
class TokenRecord:
    """An API token (only its SHA-256 is stored) and what it grants."""

    token_hash: str
    role: str
    subject: str
    name: str
    created_at: datetime
    revoked: bool = False


@runtime_checkable
class Store(Protocol):
    """What the service needs from an issue store."""

    def create_issue(
        self,
        issue: Issue,
        events: Sequence[Event],
        *,
        idempotency_key: str | None = None,
        request_hash: str = "",
        keys_expire_before: datetime | None = None,
    ) -> tuple[Issue, bool]:
        """Commit a new issue with its events; returns (stored issue, created).
        Idempotency records older than ``keys_expire_before`` are deleted first."""
        ...

    def get_issue(self, issue_id: str) -> Issue:
        """The issue (NotFoundError if there is none)."""
        ...

    def update_issue(
        self, issue: Issue, events: Sequence[Event], *, expected_version: int
    ) -> Issue:
        """Replace the snapshot and append events if the version still matches."""
        ...

    def modify(
        self,
        issue_ids: Sequence[str],
        change: Callable[[Mapping[str, Issue]], Sequence[tuple[Issue, Sequence[Event]]]],
    ) -> list[Issue]:
        """In one transaction with the rows locked in id order: read the issues, call
        ``change`` with them (id -> fresh issue) and store the snapshots and events it
        returns (versions raised by one); returns the stored snapshots. Nothing is written
        if ``change`` raises (its exception propagates)."""
        ...

    def list_issues(self, query: IssueQuery) -> tuple[list[Issue], int]:
        """Issues matching ``query`` (newest first) and the total count before paging."""
        ...

    def issue_points(self, query: IssueQuery) -> tuple[list[IssuePoint], int]:
        """As :meth:`list_issues`, the issues as map points (:class:`IssuePoint`): a page of
        a township's issues for the layer without decoding a document."""
        ...

    def queue_rows(
        self, query: IssueQuery, *, grids: Sequence[str] = (), text: str = "",
        text_grids: Sequence[str] = (),
    ) -> list[QueueRow]:  # fmt: skip
        """Every issue ``query`` matches (its limit and offset ignored) as a
        :class:`QueueRow`, newest first (``created_at`` then ``issue_id``, as
        :meth:`list_issues` orders them); also only those in ``grids`` when given, and
        with ``text``, those whose id, title, description, address or unit name holds it
        (ignoring case) or whose grid is one of ``text_grids`` (grids whose names hold it)."""
        ...

    def events(self, issue_id: str) -> list[Event]:
        """The issue's events in order (NotFoundError if there is no issue)."""
        ...

    def events_of(self, issue_ids: Sequence[str]) -> dict[str, list[Event]]:
        """The events of several issues in one read (a page of a list), each in order;
        an id with no issue maps to an empty list."""
        ...

    def all_events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Event]:
        """Every event in a period, in time order (statistics)."""
        ...

    def put_facts(self, facts: Sequence[IssueFacts]) -> int:
        """Store these facts, each only if its issue is still at the version it was
        computed from (replacing older facts of the issue); returns how many were stored."""
        ...

    def stale_facts(self, *, basis: str) -> list[str]:
        """Ids of the issues with no facts stored under ``basis`` (cheap when there are
        none: the store compares counts first)."""
        ...

    def fact_totals(
        self,
        query: IssueQuery,
        *,
        by: str,
        start: datetime | None,
        end: datetime | None,
        basis: str,
    ) -> FactReading:
        """In one snapshot, over the issues raised in ``[start, end)`` matching ``query``
        (only :data:`FACT_FILTERS`; paging ignored): the totals per unit of ``by``
        ("station", "township", "category", "deputy"; "county" gives one unit "") of
        those with facts under ``basis`` whose last event came before ``end``, the ids of
        the others, and the deputies' visits in ``[start, end)`` to issues matching the
        scope fields of ``query``.

        Raises
        ------
        ParameterError
            If ``query`` filters on a field outside :data:`FACT_FILTERS`.
        """
        ...

    def due(self, now: datetime, *, resolved_before: datetime) -> list[Issue]:
        """Open issues with a deadline at or before ``now``, and issues resolved (unrated)
        at or before ``resolved_before``."""
        ...

    def open_load(self, deputy_ids: Collection[str] | None = None) -> dict[str, int]:
        """Open issues per dispatched deputy (for skipping overloaded deputies); only
        those in ``deputy_ids`` when given (deputies with none may be left out)."""
        ...

    def add_token(self, record: TokenRecord) -> None: ...

    def token(self, token_hash: str) -> TokenRecord | None: ...

    def tokens(self) -> list[TokenRecord]: ...

    def revoke_token(self, token_hash: str) -> bool: ...

    def close(self) -> None: ...
