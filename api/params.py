"""Request values read into core values, each failure a
:class:`~gridgov._errors.ParameterError` naming the parameter and echoing the value.

Routes parse here, at the edge, instead of letting a core ``ValueError`` escape: a plain
``ValueError`` out of a route is a bug (a 500), never a client's 4xx. :func:`csp_nonce`
reads the one value the app itself puts on a request: the nonce of its HTML answer's CSP.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import TypeVar

from starlette.requests import Request

from gridgov._errors import ParameterError
from gridgov.model import IssueStatus, Rating, StationTier

__all__ = [
    "BBOX_HELP",
    "CSP_NONCE",
    "EARLIEST",
    "LATEST",
    "aware",
    "choice",
    "csp_nonce",
    "instant",
    "parse_bbox",
]

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


#: How a ``bbox`` parameter is written.
BBOX_HELP = "min lon,min lat,max lon,max lat (CGCS2000 / WGS84 degrees), e.g. 112.5,29.4,112.7,29.6"


def parse_bbox(text: str, parameter: str = "bbox") -> tuple[float, float, float, float]:
    """``"min lon,min lat,max lon,max lat"`` as four floats, in range and in order.

    Raises
    ------
    ParameterError
        Naming ``parameter`` and echoing ``text``.
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ParameterError(
            f"{parameter}: expected four numbers 'min lon,min lat,max lon,max lat', got {text!r}",
            parameter=parameter,
            value=text,
        )
    x0, y0, x1, y1 = values
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise ParameterError(
            f"{parameter}: {text!r} is not a box in degrees (min before max, lon within "
            "±180, lat within ±90)",
            parameter=parameter,
            value=text,
        )
    return x0, y0, x1, y1


#: Where :class:`api.app.WebHeaders` leaves the nonce of a request's CSP (``request.state``).
CSP_NONCE = "csp_nonce"


def csp_nonce(request: Request) -> str:
    """The nonce of this response's CSP (:class:`api.app.WebHeaders` draws one per
    request): put it on every inline ``<script>`` and ``<style>`` of an HTML page.
    Outside the middleware (no CSP is sent) a fresh one, harmless."""
    nonce = getattr(request.state, CSP_NONCE, None)
    return nonce if isinstance(nonce, str) else secrets.token_urlsafe(16)
