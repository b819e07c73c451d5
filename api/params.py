"""Request values read into core values, each failure a
:class:`~gridgov._errors.ParameterError` naming the parameter and echoing the value.

Routes parse here, at the edge, instead of letting a core ``ValueError`` escape: a plain
``ValueError`` out of a route is a bug (a 500), never a client's 4xx.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from gridgov._errors import ParameterError
from gridgov.model import IssueStatus, Rating, StationTier

__all__ = ["EARLIEST", "LATEST", "aware", "choice", "instant"]

#: The instants a date parameter may name: issues of this century. Outside them the
#: arithmetic of a period (a 90-day window, a conversion to UTC) leaves ``datetime``'s range.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

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


def instant(parameter: str, value: datetime | None) -> None:
    """Refuse a datetime without a timezone, or before :data:`EARLIEST` or after
    :data:`LATEST`: every date a client sends enters through here.

    Raises
    ------
    ParameterError
        Naming ``parameter`` and echoing ``value``.
    """
    aware(parameter, value)
    if value is None:
        return
    try:
        inside = EARLIEST <= value <= LATEST
    except OverflowError:  # an offset that pushes year 1 or 9999 out of range
        inside = False
    if not inside:
        raise ParameterError(
            f"{parameter}={value.isoformat()} is outside {EARLIEST.date()} to {LATEST.date()}",
            parameter=parameter,
            value=value.isoformat(),
        )
