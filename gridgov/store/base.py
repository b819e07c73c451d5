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
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from gridgov._errors import ConflictError, IdempotencyError, StoreUnavailableError
from gridgov.issues.lifecycle import Event, Issue

__all__ = [
    "ConflictError",
    "IdempotencyError",
    "IssueQuery",
    "Store",
    "StoreUnavailableError",
    "TokenRecord",
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
