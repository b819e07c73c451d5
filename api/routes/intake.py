"""The platform above pushes work orders down: ``POST /intake/orders``.

A shell around :func:`gridgov.issues.intake.receive_order`: no token (the HMAC-SHA256
signature under ``GRIDGOV_INTAKE_SECRET`` is the credential), the county's gazetteer
(:func:`api.routes.open311.places_of`, the one Open311 uses) to place an ``address`` naming a
grid or village. 201 with the new issue, 200 with the same issue for a repeated push of
the same ``external_id``; 401 for a bad signature or a stale timestamp, 422 naming each
bad field, 404 while the intake is off.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response

from api.deps import ServiceDep
from api.routes.handoff import signature_refused
from api.routes.open311 import places_of
from gridgov.issues.intake import receive_order
from gridgov.notify.channels import SignatureError

__all__ = ["router"]

router = APIRouter()


@router.post(
    "/intake/orders",
    status_code=201,
    responses={
        200: {"description": "the same work order again: the issue it became"},
        401: {"description": "bad signature or stale timestamp"},
        422: {"description": "each bad field named"},
    },
)
async def intake_order(request: Request, response: Response, service: ServiceDep) -> Any:
    """A work order from the platform above (12345), raised and dispatched as an issue."""
    body = await request.body()
    headers = dict(request.headers)
    places = places_of(request, service)
    try:
        result = await anyio.to_thread.run_sync(
            partial(receive_order, service, body, headers, locate=places.resolve)
        )
    except SignatureError as exc:
        return signature_refused(exc)
    issue = result.issue
    if not result.created:
        response.status_code = 200
    return {
        "issue_id": issue.issue_id,
        "created": result.created,
        "status": issue.status.value,
        "unit": issue.unit,
        "unit_name": issue.unit_name,
        "grid_code": issue.grid_code,
        "deputies": list(issue.deputies),
        "acknowledge_due": None
        if issue.acknowledge_due is None
        else issue.acknowledge_due.isoformat(),
    }
