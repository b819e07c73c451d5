"""Errors as HTTP answers: one table from gridgov's error types to status codes, and the
handlers that use it.

Every error a client can cause is a :class:`~gridgov._errors.GridgovError`; :data:`STATUS`
says which status and ``error`` code each type answers with, the most specific class of an
exception's MRO winning (a :class:`~gridgov._errors.TransitionError` is a 409
``invalid_state``, any other :class:`~gridgov._errors.ConflictError` a 409 ``conflict``).
The body is ``{"error", "message", "problems": [{field, value, message, row}]}``, the
problems naming each bad field and value. FastAPI's own request validation (422
``invalid_request``) and routing errors (404, 405, the 401 of a missing token) keep their
handlers. Anything else, a plain ``ValueError`` included, is a bug: logged, and answered
with a generic 500 that leaks nothing.

Under ``/open311/v2`` every error, the app's request limits (413, 429, 503) included, is the
spec's error list instead, in the format the path asks for, with the same status (bad
input is the spec's 400): :func:`open311_response` for the errors of its routes,
:func:`open311_routing_error` for paths and methods it does not have.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.open311 import Open311Error, error_response, format_of, is_open311
from gridgov._errors import (
    ConflictError,
    CRSError,
    DatabaseError,
    ForbiddenError,
    GridgovError,
    IdempotencyError,
    InfeasibleError,
    LocationError,
    NotFoundError,
    ParameterError,
    StoreUnavailableError,
    TransitionError,
    ValidationError,
)

__all__ = [
    "STATUS",
    "Status",
    "error_json",
    "gridgov_response",
    "install_errors",
    "limit_response",
    "open311_response",
    "open311_routing_error",
    "status_of",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    """How one error type is answered.

    Attributes
    ----------
    code : int
        The HTTP status.
    error : str
        The body's ``error`` field, a stable word clients can switch on.
    retry_after_s : int or None
        ``Retry-After`` seconds, for errors a retry can get past.
    lead : str
        Words put before the exception's own message.
    """

    code: int
    error: str
    retry_after_s: int | None = None
    lead: str = ""


#: gridgov error type -> its answer; the most specific class in an exception's MRO wins.
STATUS: Mapping[type[GridgovError], Status] = MappingProxyType(
    {
        GridgovError: Status(400, "bad_request"),
        ParameterError: Status(422, "invalid"),
        ValidationError: Status(422, "invalid"),
        LocationError: Status(422, "invalid"),
        CRSError: Status(422, "invalid"),
        InfeasibleError: Status(422, "infeasible"),
        IdempotencyError: Status(422, "idempotency_key_reused"),
        NotFoundError: Status(404, "not_found"),
        ForbiddenError: Status(403, "forbidden"),
        ConflictError: Status(409, "conflict"),
        TransitionError: Status(409, "invalid_state"),
        # the database is down or restarting: nothing the client did, and the same
        # request (same Idempotency-Key) is safe to send again shortly
        StoreUnavailableError: Status(
            503, "store_unavailable", retry_after_s=1, lead="the issue store is unavailable: "
        ),
        # the server's database lacks PostGIS or the tables: no request can fix that
        DatabaseError: Status(503, "store_unavailable", lead="the issue store is unavailable: "),
    }
)


def status_of(exc: GridgovError) -> Status:
    """The answer to ``exc``: the entry of its most specific class in :data:`STATUS`."""
    by_type: Mapping[type, Status] = STATUS
    for cls in type(exc).__mro__:
        found = by_type.get(cls)
        if found is not None:
            return found
    return STATUS[GridgovError]


def error_json(
    status: int, error: str, message: str, problems: list[dict[str, Any]] | None = None
) -> JSONResponse:
    """gridgov's error body ``{"error", "message", "problems"}``."""
    return JSONResponse(
        {"error": error, "message": message, "problems": problems or []}, status_code=status
    )


def limit_response(
    path: str, status: int, error: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An answer of the app's request limits (413 too large, 429 too many from one client,
    503 too many heavy requests at once): the spec's error list in the path's format
    under ``/open311/v2``, gridgov's JSON body elsewhere."""
    if is_open311(path):
        return error_response(format_of(path), status, [message], headers)
    response = error_json(status, error, message)
    if headers:
        response.headers.update(headers)
    return response


def _problems(exc: GridgovError) -> list[dict[str, Any]]:
    return [
        {
            "field": p.field,
            "value": None if p.value is None else str(p.value)[:200],
            "message": p.message,
            "row": None if p.row is None else str(p.row),
        }
        for p in exc.problems
    ]


def _message(exc: GridgovError, problems: list[dict[str, Any]]) -> str:
    status = status_of(exc)
    if not isinstance(exc, ValidationError) or not problems:
        return status.lead + (str(exc) or status.error)
    # one line naming every field (str(exc) is a multi-line report meant for a terminal)
    return status.lead + "; ".join(
        f"{p['field'] or exc.context}: {p['message']}"
        + (f" (value: {p['value']})" if p["value"] and p["value"] not in p["message"] else "")
        for p in problems
    )


def _request_problems(exc: RequestValidationError) -> tuple[list[dict[str, Any]], str]:
    problems = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            where = err.get("loc", ("body", "?"))[-1]
            detail = (err.get("ctx") or {}).get("error", "invalid JSON")
            problems.append(
                {
                    "field": None,
                    "value": None,
                    "message": f"malformed JSON body: {detail} at character {where}",
                }
            )
            continue
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
        value = err.get("input")
        shown = None if value is None or isinstance(value, dict | list) else str(value)[:200]
        problems.append(
            {"field": ".".join(loc) or None, "value": shown, "message": err.get("msg", "invalid")}
        )
    text = "; ".join(f"{p['field'] or 'body'}: {p['message']}" for p in problems)
    return problems, text or "invalid request"


def gridgov_response(request: Request, exc: GridgovError) -> JSONResponse:
    """``exc`` answered as :data:`STATUS` says, in gridgov's JSON body."""
    status = status_of(exc)
    if status.code >= 500:
        log.warning("%s on %s %s: %s", status.error, request.method, request.url.path, exc)
    problems = _problems(exc)
    response = error_json(status.code, status.error, _message(exc, problems), problems)
    if status.retry_after_s is not None:
        response.headers["Retry-After"] = str(status.retry_after_s)
    return response


# --- Open311 ------------------------------------------------------------------------------

#: The spec's status for gridgov's: bad input is its 400, a missing token its 403.
_OPEN311_STATUS = {422: 400, 401: 403}


def _described(problems: list[dict[str, Any]], message: str) -> list[str]:
    """Problems as the spec's error descriptions, one per problem, naming the field."""
    return [
        f"{p['field']}: {p['message']}"
        + (f" (value: {p['value']})" if p.get("value") and p["value"] not in p["message"] else "")
        if p.get("field")
        else str(p.get("message", ""))
        for p in problems
    ] or [message]


def open311_response(request: Request, exc: Exception) -> Response:
    """Any error of an Open311 route as the spec's error list, in the path's format.

    :class:`~api.open311.Open311Error` says its own status; the others keep the app's
    status (:data:`STATUS`; request validation's 422 is the spec's 400, a missing token's
    401 its 403) and name their fields; anything else is a bug: logged, 500.
    """
    fmt = format_of(request.url.path, request.path_params.get("fmt"))
    if isinstance(exc, Open311Error):
        return error_response(fmt, exc.status, exc.descriptions, exc.headers)
    if isinstance(exc, StarletteHTTPException):
        status = _OPEN311_STATUS.get(exc.status_code, exc.status_code)
        return error_response(fmt, status, [str(exc.detail)], exc.headers)
    if isinstance(exc, RequestValidationError):
        if any(tuple(e.get("loc", ())) == ("path", "fmt") for e in exc.errors()):
            shown = request.path_params.get("fmt", "")
            message = f"format {shown!r} is not served here; use .xml or .json"
            return error_response("xml", 404, [message])
        problems, message = _request_problems(exc)
        return error_response(fmt, 400, _described(problems, message))
    if isinstance(exc, GridgovError):
        answer = status_of(exc)
        if answer.code >= 500:
            log.warning("%s on %s %s: %s", answer.error, request.method, request.url.path, exc)
        problems = _problems(exc)
        retry = answer.retry_after_s
        return error_response(
            fmt,
            _OPEN311_STATUS.get(answer.code, answer.code),
            _described(problems, _message(exc, problems)),
            None if retry is None else {"Retry-After": str(retry)},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(fmt, 500, ["internal error; it has been logged"])


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def open311_routing_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A routing error under the Open311 prefix (no such path or method) in the spec's
    shape; a 405 lists every method the path takes in ``Allow``."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # every route of the path, not just the first one the router tried
        methods = {
            method
            for method in _METHODS
            for route in request.app.router.routes
            if route.matches({**request.scope, "method": method})[0] is Match.FULL
        }
        if methods:
            headers["Allow"] = ", ".join(sorted(methods))
    return error_response(format_of(request.url.path), exc.status_code, [str(exc.detail)], headers)


# --- the app's handlers -------------------------------------------------------------------

_HTTP_ERRORS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def install_errors(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems, message = _request_problems(exc)
        return error_json(422, "invalid_request", message, problems)

    @app.exception_handler(GridgovError)
    async def _gridgov(request: Request, exc: GridgovError) -> JSONResponse:
        return gridgov_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_open311(request.url.path):  # no such path or method: Open311's error shape
            return open311_routing_error(request, exc)
        if (
            exc.status_code == 404
            and request.method in ("GET", "HEAD")
            and "text/html" in request.headers.get("accept", "")
        ):  # a person's browser at a mistyped address: a page in words, not JSON
            from api.web.auth import error_page, page_user

            return error_page(request, 404, "web.error.no_page", page_user(request))
        error = _HTTP_ERRORS.get(exc.status_code, "error")
        response = error_json(exc.status_code, error, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_json(500, "internal", "internal error; it has been logged")
