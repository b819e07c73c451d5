"""Work orders pushed down by the platform above (12345 hotline, SMS) become issues.

Suqian's QR mini-program feeds the 12345 hotline; the reverse flow is as common: a resident
calls 12345 about a broken village road, and the platform pushes the work order to the
county, where it belongs to a grid and its deputies. :func:`receive_order` takes such a
push (a signed JSON POST, ``POST /intake/orders``: the same ``X-Gridgov-Timestamp`` /
``X-Gridgov-Signature`` HMAC-SHA256 scheme as gridgov's webhooks, under the
``GRIDGOV_INTAKE_SECRET`` environment variable, never a file beside the data) and raises it
through the service's own create path, so it is located, assigned to its grid's station
and dispatched like any issue, and its deputies' notices are queued with it.

The platform speaks in its own service codes: they are mapped back to categories through
the same ``settings.handoff_service_codes`` table the hand-off uses (a category code is
taken as it is). The place is ``lon``/``lat`` or an ``address`` naming a grid or village
(the caller passes the county's gazetteer: the core has no street geocoder). A push is
idempotent on the platform's ``external_id``: the first one is remembered with its issue
(:mod:`gridgov.store.inbound`, with no expiry), and racing repeats meet the service's
idempotency key, so a repeated push, however late, answers the same issue.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gridgov._errors import LocationError, NotFoundError, Problem, ValidationError
from gridgov.issues.lifecycle import Actor, Issue
from gridgov.notify.channels import (
    REPLAY_WINDOW_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_webhook,
)
from gridgov.store.inbound import inbound_store

if TYPE_CHECKING:
    from gridgov.issues.service import IssueService

__all__ = ["INTAKE_SECRET_ENV", "IntakeResult", "WorkOrder", "parse_order", "receive_order"]

log = logging.getLogger(__name__)

#: Environment variable holding the secret the platform signs its pushes with.
INTAKE_SECRET_ENV = "GRIDGOV_INTAKE_SECRET"
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")
_TEXT_FIELDS = ("external_id", "category", "service_code", "title", "description", "address",
                "reporter_phone")  # fmt: skip

#: ``address -> (lon, lat)``; raises LocationError when it names no single place.
Locate = Callable[[str], tuple[float, float]]


@dataclass(frozen=True)
class WorkOrder:
    """A platform's work order, checked: the category is gridgov's, the place a point."""

    external_id: str
    category: str
    description: str
    lon: float
    lat: float
    title: str = ""
    address: str = ""
    reporter_phone: str = ""


@dataclass(frozen=True)
class IntakeResult:
    """The issue a push became, and whether this push made it (False: a repeat)."""

    issue: Issue
    created: bool


def _categories(settings: Any) -> dict[str, str]:
    """Platform service code (or category code) -> category."""
    out = {code: code for code in settings.issue_categories}
    for category, code in settings.handoff_service_codes.items():
        out[str(code)] = str(category)
    return out


def parse_order(raw: Any, settings: Any, locate: Locate | None = None) -> WorkOrder:
    """The work order in a push's JSON, every bad field named.

    Parameters
    ----------
    raw : object
        The decoded JSON body.
    settings : Settings
        The categories and the category <-> service code table.
    locate : callable, optional
        ``address -> (lon, lat)`` for an order without coordinates.

    Raises
    ------
    ValidationError
        Naming each bad field and value; a place that cannot be found is a
        :class:`LocationError` naming ``lon/lat`` or ``address``.
    """
    problems: list[Problem] = []

    def bad(name: str, value: Any, message: str) -> None:
        problems.append(Problem("work order", None, name, value, message))

    if not isinstance(raw, dict):
        raise ValidationError(
            [Problem("work order", None, "body", str(raw)[:80], "must be a JSON object")],
            context="work order",
        )
    text: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = raw.get(name)
        if value is None:
            text[name] = ""
        elif isinstance(value, str | int) and not isinstance(value, bool):
            text[name] = str(value).strip()
        else:
            bad(name, str(value)[:80], "must be text")
            text[name] = ""
    external_id = text["external_id"]
    if not _EXTERNAL_ID.fullmatch(external_id):
        bad("external_id", external_id[:80] or None,
            "required: the platform's id of the order (letters, digits, _ . : -; at most 64)")  # fmt: skip
    if not text["description"]:
        bad("description", None, "required: what the caller reported")
    codes = _categories(settings)
    given = text["service_code"] or text["category"]
    which = "service_code" if text["service_code"] else "category"
    category = codes.get(given, "")
    if not category:
        known = ", ".join(sorted(codes))
        bad(which, given or None, f"unknown: expected a service code or category ({known})")
    lon_raw, lat_raw = raw.get("lon"), raw.get("lat")
    point: tuple[float, float] | None = None
    if lon_raw is not None or lat_raw is not None:
        numbers = [v for v in (lon_raw, lat_raw) if isinstance(v, int | float)]
        if len(numbers) != 2 or any(isinstance(v, bool) for v in (lon_raw, lat_raw)):
            bad("lon/lat", f"{lon_raw}, {lat_raw}", "both must be numbers (degrees)")
        else:
            point = (float(lon_raw), float(lat_raw))  # type: ignore[arg-type]
    elif text["address"] and locate is not None:
        try:
            point = locate(text["address"])
        except LocationError as exc:
            problems.extend(
                Problem("work order", None, "address", text["address"][:100], p.message)
                for p in exc.problems
            )
    else:
        bad("lon/lat", None, "required: lon and lat, or an address naming a grid or village")
    if problems:
        placed = {"lon/lat", "address"}
        cls = LocationError if all(p.field in placed for p in problems) else ValidationError
        raise cls(problems, context="work order")
    if point is None:  # every path without a point added a problem
        raise RuntimeError("work order without a place passed the checks")
    return WorkOrder(
        external_id=external_id,
        category=category,
        description=text["description"],
        lon=point[0],
        lat=point[1],
        title=text["title"],
        address=text["address"],
        reporter_phone=text["reporter_phone"],
    )


def receive_order(
    service: IssueService,
    body: bytes,
    headers: Mapping[str, str],
    *,
    locate: Locate | None = None,
    now: datetime | None = None,
    secret: str | None = None,
    window_s: float = REPLAY_WINDOW_S,
) -> IntakeResult:
    """Raise a platform's signed work order as an issue, once per ``external_id``.

    The body is a JSON object: ``external_id`` (required), ``service_code`` (the
    platform's) or ``category`` (gridgov's), ``description`` (required), ``title``,
    ``lon``/``lat`` (CGCS2000/WGS84 degrees) or ``address`` (naming a grid or village),
    and ``reporter_phone`` (optional: the caller hears the result by SMS).

    Raises
    ------
    NotFoundError
        The intake is off (``GRIDGOV_INTAKE_SECRET`` is not set).
    SignatureError
        No or a bad signature, or a stale timestamp (nothing written).
    ValidationError, LocationError
        Naming every bad field (a point outside the county names ``lon/lat``).
    IdempotencyError
        The same ``external_id`` pushed again with other content while the first push's
        idempotency record lasts.
    """
    from gridgov.issues.service import NewIssue

    secret = os.environ.get(INTAKE_SECRET_ENV, "") if secret is None else secret
    if not secret:
        raise NotFoundError(
            f"the work-order intake is off here: set {INTAKE_SECRET_ENV} to the secret the "
            "platform signs its pushes with"
        )
    low = {k.lower(): v for k, v in headers.items()}
    check_webhook(secret, low.get(TIMESTAMP_HEADER.lower()), body,
                  low.get(SIGNATURE_HEADER.lower()), now=time.time(), window_s=window_s)  # fmt: skip
    try:
        raw = json.loads(body or b"null")
    except ValueError as exc:
        shown = body[:80].decode("utf-8", "replace")
        problem = Problem("work order", None, "body", shown, f"not JSON ({exc})")
        raise ValidationError([problem], context="work order") from None
    settings = service.settings
    platform = settings.external_platform or "external"
    inbound = inbound_store(service.store)
    external = raw.get("external_id") if isinstance(raw, dict) else None
    key = f"intake:{platform}:{external}"
    if isinstance(external, str) and _EXTERNAL_ID.fullmatch(external):
        known = inbound.issue_for(key)
        if known:  # pushed before, however long ago: the same issue
            return IntakeResult(service.store.get_issue(known), False)
    order = parse_order(raw, settings, locate)
    data = NewIssue(
        category=order.category,
        description=order.description,
        lon=order.lon,
        lat=order.lat,
        title=order.title,
        address=order.address,
        reporter_phone=order.reporter_phone,
        source=platform,
    )
    name = platform
    unit = f"external:{platform}"
    if unit in service.escalation:
        name = str(service.escalation.nodes[unit].get("name") or platform)
    actor = Actor(settings.handlers.get("external", "external"), platform, name)
    result = service.raise_issue(data, actor, idempotency_key=key, now=now)
    inbound.remember(key, result.issue.issue_id, result.issue.created_at)
    if result.created:
        log.info("work order %s from %s is issue %s", order.external_id, platform,
                 result.issue.issue_id)  # fmt: skip
    return IntakeResult(result.issue, result.created)
