"""The one error hierarchy of gridgov.

Every error a user can cause is a :class:`GridgovError` and carries its problems (each a
:class:`Problem` naming where, which field and the bad value). The CLI exits 2 on these and
only these; the API maps each type to one status code in one table
(``api.errors.STATUS``). Anything else raised out of gridgov is a bug: the CLI exits 1 with
the traceback, the API answers 500. Input errors are also ``ValueError`` (a missing object
``LookupError``, a missing extra ``ImportError``) so callers that only know the standard
library can still catch them; never the other way round: a plain ``ValueError`` is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class GridgovError(Exception):
    """Base class of every error gridgov raises on purpose (a user's error, not a bug).

    Attributes
    ----------
    problems : list of Problem
        What is wrong, one entry per problem; a single message when there is no more
        precise place to name.
    """

    problems: list[Problem]

    def __init__(self, message: str = "", *, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough to find and fix it.

    Attributes
    ----------
    layer : str
        Layer or file the problem is in (``"villages"``, ``"stations.csv"``).
    row : int or str or None
        The row as the user sees it: the spreadsheet's own row number (1-based, title and
        header rows counted) when the reader knew it (an index named ``source_row``, see
        :mod:`gridgov._validate`), else the 0-based position in the source, or a feature
        id; None for the whole layer.
    field : str or None
        Column the bad value is in; None when the problem is not about one column.
    value : Any
        The offending value, echoed back as read.
    message : str
        What is wrong, in plain words.
    severity : str
        ``"error"`` stops a write; ``"warning"`` is reported and the write goes on;
        ``"note"`` says what the reader detected or derived (an encoding, a header row, a
        code taken from a name) so the user can check and override it.
    """

    layer: str
    row: int | str | None
    field: str | None
    value: Any
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.layer
        if self.row is not None:
            where += f" row {self.row}"
        if self.field is not None:
            where += f" [{self.field}]"
        shown = _short(self.value)
        value = f" (value: {shown})" if shown else ""
        return f"{self.severity.upper()} {where}: {self.message}{value}"

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict of this problem."""
        return {
            "severity": self.severity,
            "layer": self.layer,
            "row": self.row,
            "field": self.field,
            "value": _short(self.value),
            "message": self.message,
        }


def _short(value: Any, limit: int = 80) -> str:
    if value is None:
        return ""
    text = value.wkt if hasattr(value, "wkt") else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ValidationError(GridgovError, ValueError):
    """Input failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], *, context: str = "input") -> None:
        problems = list(problems)
        self.context = context
        errors = [p for p in problems if p.severity == "error"]
        head = f"{context}: {len(errors)} error(s)"
        warnings = sum(p.severity == "warning" for p in problems)
        if warnings:
            head += f", {warnings} warning(s)"
        shown = list(problems)
        lines = [head, *(f"  - {p}" for p in shown[:200])]
        if len(shown) > 200:
            lines.append(f"  ... and {len(shown) - 200} more")
        super().__init__("\n".join(lines), problems=shown)

    @property
    def errors(self) -> Sequence[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]


class ParameterError(GridgovError, ValueError):
    """An argument or setting has a value gridgov cannot use.

    Parameters
    ----------
    message : str
        What is wrong and what would be accepted.
    parameter : str, optional
        The argument's or setting's name (``"target"``, ``"--standard"``, ``"speeds_kmh"``).
    value : Any, optional
        The bad value, echoed back.
    """

    def __init__(self, message: str, *, parameter: str | None = None, value: Any = None) -> None:
        self.parameter = parameter
        self.value = value
        problem = Problem("parameters", None, parameter, value, message)
        super().__init__(message, problems=[problem])


class LocationError(ValidationError):
    """The point of an issue lies in no grid of the county (HTTP 422)."""


class CRSError(GridgovError, ValueError):
    """A coordinate reference system is missing, unknown, or wrong for the operation."""


class InfeasibleError(GridgovError):
    """An optimisation has no solution under the constraints given."""


class NotFoundError(GridgovError, LookupError):
    """A named object (file, layer, station, deputy, issue) does not exist."""


class ForbiddenError(GridgovError):
    """The caller's role or scope does not allow the action (HTTP 403)."""


class ConflictError(GridgovError):
    """The object changed since it was read, or the change conflicts with one made at the
    same time (HTTP 409)."""


class TransitionError(ConflictError):
    """An action that the issue's current state does not allow (HTTP 409).

    Parameters
    ----------
    issue : Issue
        The issue as it is now (anything with ``issue_id`` and an ``IssueStatus`` ``status``).
    action : str
        The action refused.
    allowed : iterable of IssueStatus
        The states in which the action is possible.
    """

    def __init__(self, issue: Any, action: str, allowed: Iterable[Any]) -> None:
        self.issue_id = issue.issue_id
        self.status = issue.status
        self.action = action
        shown = ", ".join(sorted(s.value for s in allowed))
        super().__init__(
            f"issue {issue.issue_id} is {issue.status.value} ({issue.status.label_zh}); "
            f"'{action}' is only possible when it is {shown}"
        )


class IdempotencyError(GridgovError, ValueError):
    """An idempotency key was reused for a different request (HTTP 422)."""


class StoreUnavailableError(GridgovError):
    """The database cannot be reached now (HTTP 503): retry once it is back.

    A write that fails this way may or may not have been committed (the connection can
    drop after the commit was sent); an idempotency key makes the retry safe.
    """


class DatabaseError(GridgovError, ValueError):
    """The database cannot be reached, or lacks PostGIS or the gridgov tables."""


class ExtraMissingError(GridgovError, ImportError):
    """An optional part of gridgov is not installed; the message names the extra.

    Parameters
    ----------
    extra : str
        The ``pip install 'gridgov[EXTRA]'`` extra that provides it (``api``, ``maps``,
        ``postgis``).
    what : str
        What needed it, e.g. ``"gridgov serve"``.
    """

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        super().__init__(f"{what} needs the {extra} extra: pip install 'gridgov[{extra}]'")
