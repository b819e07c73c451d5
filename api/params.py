"""Request values read into core values, each failure a
:class:`~gridgov._errors.ParameterError` naming the parameter and echoing the value.

Routes parse here, at the edge, instead of letting a core ``ValueError`` escape: a plain
``ValueError`` out of a route is a bug (a 500), never a client's 4xx.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from gridgov._errors import ParameterError
from gridgov.model import IssueStatus, Rating, StationTier

__all__ = ["aware", "choice"]

E = TypeVar("E", IssueStatus, Rating, StationTier)


def choice(enum: type[E], value: str, parameter: str) -> E:
    """The member of ``enum`` whose value, name or Chinese label ``value`` is.

    Raises
    ------
    ParameterError
        Naming ``parameter`` and the accepted values.
    """
    try:
        return enum.parse(value)
    except ParameterError as exc:  # the enum's refusal names the accepted values, not us
        raise ParameterError(f"{parameter}: {exc}", parameter=parameter, value=value) from exc


def aware(parameter: str, value: datetime | None) -> None:
    """Refuse a datetime without a timezone (whose instant nobody can tell).

    Raises
    ------
    ParameterError
        When ``value`` is naive.
    """
    if value is not None and value.tzinfo is None:
        raise ParameterError(
            f"{parameter}={value.isoformat()} must carry a timezone, e.g. 2026-11-23T00:00:00+08:00",
            parameter=parameter,
            value=value.isoformat(),
        )
