"""The public side of 一站一码、一人一码 as JSON: raising an issue at a station, and
following or rating it with the tracking token given on raising.

The pages a QR code opens (:mod:`api.web.public`) post to these routes and read through
:func:`raise_public` and :func:`tracked_issue`, so a page and a client of the JSON API
meet the same rules. Nothing personal is ever answered here.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import ServiceDep, get_secret
from api.params import choice
from api.schemas import IssuePublicOut, PublicIssueCreate, RateIn
from api.views import issue_public
from gridgov._errors import NotFoundError, ParameterError
from gridgov.issues.access import (
    Principal,
    hash_token,
    link_token,
    server_secret,
    tracking_token,
    tracks,
)
from gridgov.issues.lifecycle import Issue, Rate
from gridgov.issues.service import IssueService, NewIssue, RaiseResult
from gridgov.model import Rating

__all__ = ["raise_public", "rate_public", "router", "tracked_issue"]

router = APIRouter()


def raise_public(
    service: IssueService,
    request: Request,
    station_id: str,
    body: PublicIssueCreate,
    idempotency_key: str | None,
) -> tuple[RaiseResult, str]:
    """Raise a resident's issue at a station: the point given, else the station itself.

    Returns
    -------
    (RaiseResult, str)
        The result and the tracking token (the same token again on a retry with the same
        ``idempotency_key``).

    Raises
    ------
    NotFoundError
        For an unknown station.
    ParameterError
        When only one of ``lon`` / ``lat`` is given.
    ValidationError, LocationError, IdempotencyError
        As :meth:`IssueService.raise_issue`.
    """
    st = service.ws.stations
    rows = st[st["station_id"].astype(str) == station_id]
    if rows.empty:
        raise NotFoundError(f"no station {station_id!r}")
    if (body.lon is None) != (body.lat is None):
        missing = "lat" if body.lat is None else "lon"
        raise ParameterError(
            f"{missing}: give both lon and lat, or neither (the station's place is used)",
            parameter=missing,
        )
    point = rows.geometry.iloc[0]
    lon = body.lon if body.lon is not None else float(point.x)
    lat = body.lat if body.lat is not None else float(point.y)
    key = None if idempotency_key is None else f"public:{station_id}:{idempotency_key}"
    # keyed by a secret outside the store, only needed (and made) for a retry-safe token
    token = tracking_token(get_secret(request, service) if key else "", key)
    data = NewIssue(
        category=body.category,
        description=body.description,
        lon=lon,
        lat=lat,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        anonymous=body.anonymous,
        source="qr",
        tracking_hash=hash_token(token),
    )
    result = service.raise_issue(data, Principal.public().actor, idempotency_key=key)
    return result, token


@router.post("/stations/{station_id}/issues", status_code=201)
def raise_at_station(
    station_id: str,
    body: PublicIssueCreate,
    service: ServiceDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    """A resident raises an issue from a station's QR page. The place is the point given,
    else the station itself. Keep the returned tracking token: it follows and rates it."""
    result, token = raise_public(service, request, station_id, body, idempotency_key)
    if not result.created:
        response.status_code = 200
    return {
        "issue": issue_public(service, result.issue).model_dump(mode="json"),
        "created": result.created,
        "tracking_token": token,
    }


def tracked_issue(service: IssueService, issue_id: str, token: str) -> Issue:
    """The issue ``token`` tracks.

    Raises
    ------
    NotFoundError
        For an unknown issue or a token that is not its tracking token (the same answer
        for both, so a guess learns nothing).
    """
    try:
        issue = service.store.get_issue(issue_id)
    except NotFoundError:
        issue = None
    if issue is None or not (tracks(token, issue.tracking_hash) or _linked(service, issue, token)):
        raise NotFoundError(f"no issue {issue_id!r} for this tracking token")
    return issue


def _linked(service: IssueService, issue: Issue, token: str) -> bool:
    """Whether ``token`` is the one in the link sent to the issue's resident (only issues
    whose reporter left a phone are ever sent one)."""
    if not token or not issue.reporter_phone:
        return False
    secret = server_secret(service.settings.secret_file)
    return hmac.compare_digest(token, link_token(secret, issue.issue_id))


def rate_public(service: IssueService, issue_id: str, body: RateIn) -> Issue:
    """The resident's rating with the tracking token (不满意 reopens the issue).

    Raises
    ------
    NotFoundError, ParameterError, TransitionError
    """
    tracked_issue(service, issue_id, body.tracking_token)
    rating = choice(Rating, body.rating, "rating")
    return service.act(issue_id, Rate(rating, body.note), Principal.public().actor)


@router.get("/issues/{issue_id}", response_model=IssuePublicOut)
def track(
    issue_id: str, service: ServiceDep, token: Annotated[str, Query(min_length=1, max_length=100)]
) -> IssuePublicOut:
    """Follow an issue with its tracking token: status and 三知, nothing personal."""
    return issue_public(service, tracked_issue(service, issue_id, token))


@router.post("/issues/{issue_id}/rate", response_model=IssuePublicOut)
def rate(issue_id: str, body: RateIn, service: ServiceDep) -> IssuePublicOut:
    """The resident rates the result (满意 / 基本满意 / 不满意; 不满意 reopens it)."""
    return issue_public(service, rate_public(service, issue_id, body))
