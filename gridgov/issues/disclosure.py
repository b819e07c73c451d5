"""What the public may read of an issue: free text with personal numbers masked and the
point snapped to a coarse grid.

Open311 without a token and the QR pages publish issues to anyone. Residents write their
phone number into a description, deputies write a landline into a result, and an
anonymous report's exact point says whose door it came from. The public therefore gets
:func:`mask_personal` text (mobile and landline numbers, ID numbers and e-mail addresses
masked, ``138****5678``) and :func:`public_point` coordinates (the centre of a cell
``Settings.public_point_step_deg`` wide); staff whose token may see the issue
(:func:`~gridgov.issues.access.can_see`) get the text as written and the exact point.
"""

from __future__ import annotations

import math
import re

from gridgov.issues.access import Principal, can_see
from gridgov.issues.lifecycle import Issue

__all__ = ["mask_personal", "public_point", "shows_exact"]

_SEP = r"[ \-\u2010-\u2015\u00a0]?"  # a space or dash a writer may put between digits

# 18-character resident ID: 17 digits and a check digit or X (before phones: it holds
# runs of digits a phone pattern would otherwise take).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# Mobile: 1[3-9] and nine more digits, optionally after +86 / 86, spaces or dashes between.
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{_SEP})?1[3-9](?:{_SEP}\d){{9}}(?!\d)")
# Landline: 0 + 2-3 digit area code (maybe in brackets), then a 7-8 digit number.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:\(0\d{{2,3}}\)|（0\d{{2,3}}）|0\d{{2,3}}){_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def _keep(text: str, head: int, tail: int) -> str:
    """``text`` with every digit masked but the first ``head`` and last ``tail``."""
    digits = [i for i, c in enumerate(text) if c.isdigit() or c in "Xx"]
    shown = set(digits[:head]) | set(digits[len(digits) - tail :])
    return "".join("*" if i in set(digits) - shown else c for i, c in enumerate(text))


def _mobile(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group())[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _email(m: re.Match[str]) -> str:
    local, _, domain = m.group().partition("@")
    return f"{local[:1]}***@{domain}"


def mask_personal(text: str) -> str:
    """``text`` with the personal numbers in it masked.

    Mobile numbers keep their first three and last four digits (``138****5678``), ID
    numbers their first six and last four, landlines their area code and last two digits,
    e-mail addresses the first letter and the domain.

    Parameters
    ----------
    text : str
        Free text as written (a description, a result, a note).

    Returns
    -------
    str
        The text as the public may read it.
    """
    if not text:
        return text
    out = _ID_NUMBER.sub(lambda m: _keep(m.group(), 6, 4), text)
    out = _MOBILE.sub(_mobile, out)
    out = _LANDLINE.sub(lambda m: _keep(m.group(), 4, 2), out)
    return _EMAIL.sub(_email, out)


def public_point(lon: float, lat: float, *, step_deg: float) -> tuple[float, float]:
    """The centre of the ``step_deg`` cell ``(lon, lat)`` lies in: what the public sees.

    Snapping (not rounding to fewer digits) gives every point of a cell the same answer,
    so nearby reports cannot be told apart by their last digit.

    Parameters
    ----------
    lon, lat : float
        The exact point, in degrees.
    step_deg : float
        The cell width in degrees (``Settings.public_point_step_deg``).

    Returns
    -------
    tuple of float
        ``(lon, lat)`` of the cell's centre, in degrees.
    """

    def snap(value: float) -> float:
        if not math.isfinite(value):
            return value
        return round((math.floor(value / step_deg) + 0.5) * step_deg, 7)

    return snap(lon), snap(lat)


def shows_exact(viewer: Principal, issue: Issue) -> bool:
    """Whether ``viewer`` reads ``issue`` as written (exact point, unmasked text): staff
    whose scope holds the issue; never the public."""
    return viewer.role != "public" and can_see(viewer, issue)
