"""The webhook platform's callback: ``POST /handoff/callback``.

Where the platform above takes issues as a signed webhook (``handoff_protocol =
"webhook"``), it answers through this route: a JSON body signed like the hand-off itself
(``X-Gridgov-Timestamp``, ``X-Gridgov-Signature``: HMAC-SHA256 under
``GRIDGOV_HANDOFF_SECRET``). The route is a shell around
:func:`gridgov.issues.handoff.receive_callback`: no token (the signature is the
credential), 401 for a bad signature or a stale timestamp, 409 for a replay, 404 when no
open issue is with the platform under that id, 422 naming each bad field; nothing is
written on any of them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ServiceDep
from api.errors import error_json
from gridgov.issues.handoff import receive_callback
from gridgov.notify.channels import SignatureError

__all__ = ["router", "signature_refused"]

router = APIRouter()


def signature_refused(exc: SignatureError) -> JSONResponse:
    """401 for a request whose signature cannot be believed (``stale``: outside the window)."""
    response = error_json(401, "stale_timestamp" if exc.stale else "bad_signature", str(exc))
    response.headers["WWW-Authenticate"] = 'HMAC-SHA256 realm="gridgov"'
    return response


@router.post(
    "/handoff/callback",
    responses={
        401: {"description": "bad signature or stale timestamp"},
        409: {"description": "a replay of a callback already taken"},
    },
)
async def handoff_callback(request: Request, service: ServiceDep) -> Any:
    """The platform above reports its request's status, result or refusal (signed)."""
    body = await request.body()
    headers = dict(request.headers)
    try:
        result = await anyio.to_thread.run_sync(partial(receive_callback, service, body, headers))
    except SignatureError as exc:
        return signature_refused(exc)
    return result.as_dict()
