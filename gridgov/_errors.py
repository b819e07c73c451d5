"""Exception types shared by the whole package.

Every error a user can cause is a :class:`GridgovError`; input errors are also
``ValueError`` so callers that only know the standard library can still catch them.
The CLI maps these to exit code 2 and the API to a 4xx JSON body; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class GridgovError(Exception):
    """Base class of every error gridgov raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough to find and fix it.

    Attributes
    ----------
    layer : str
        Layer or file the problem is in (``"villages"``, ``"stations.csv"``).
    row : int or str or None
        Row number (0-based position in the source) or feature id; None for the whole layer.
    field : str or None
        Column the bad value is in; None when the problem is not about one column.
    value : Any
        The offending value, echoed back as read.
    message : str
        What is wrong, in plain words.
    severity : str
        ``"error"`` stops a write; ``"warning"`` is reported and the write goes on.
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
        self.problems: list[Problem] = list(problems)
        self.context = context
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{context}: {len(errors)} error(s)"
        warnings = len(self.problems) - len(errors)
        if warnings:
            head += f", {warnings} warning(s)"
        lines = [head, *(f"  - {p}" for p in self.problems[:200])]
        if len(self.problems) > 200:
            lines.append(f"  ... and {len(self.problems) - 200} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> Sequence[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]


class CRSError(GridgovError, ValueError):
    """A coordinate reference system is missing, unknown, or wrong for the operation."""


class InfeasibleError(GridgovError):
    """An optimisation has no solution under the constraints given."""


class NotFoundError(GridgovError, LookupError):
    """A named object (file, layer, station, deputy, issue) does not exist."""
