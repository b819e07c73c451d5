"""Dependencies: the service and the caller (principal) behind ``Annotated`` aliases.

Tests replace them through ``app.dependency_overrides``; nothing here runs at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gridgov._errors import ForbiddenError
from gridgov.issues.access import Principal, hash_token, principal_for, server_secret
from gridgov.issues.service import IssueService
from gridgov.store.sqlite import SQLiteStore

T = TypeVar("T")


def get_service(request: Request) -> IssueService:
    """The issue service the app was created with."""
    service: IssueService = request.app.state.service
    return service


async def _service(request: Request) -> IssueService:
    # async: a plain attribute read; as a sync dependency every request paid a hop to the
    # thread pool and back for it
    return get_service(request)


ServiceDep = Annotated[IssueService, Depends(_service)]


#: Declares the bearer token in the OpenAPI (``securitySchemes``: /docs gets its
#: Authorize button); the header itself is read by :func:`principal_from`, which also
#: refuses a scheme other than Bearer instead of taking the caller for the public.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="a token from `gridgov token create`; without one you are the public",
)


def reads_locally(service: IssueService) -> bool:
    """Whether the service's store answers without a network round trip.

    A SQLite read is a page of a local file (the token lookup: 16 µs), so a quick route
    may run on the event loop instead of paying a hop to the thread pool and back; a
    PostGIS read waits on the network, which must not hold the loop, so it goes to a
    thread. Measured on the dispatch preview with deputies at the cap, 2 workers, 200/s
    (bench/README): the server's CPU 4.75-5.21 -> 3.93-4.20 ms a request, p99 23-42 ->
    11-19 ms.
    """
    return isinstance(service.store, SQLiteStore)


async def store_work(service: IssueService, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a quick piece of work that reads the store: on the event loop when
    the store is local (:func:`reads_locally`), in the thread pool otherwise."""
    if reads_locally(service):
        return fn(*args)
    return await run_in_threadpool(fn, *args)


async def get_principal(
    request: Request,
    service: ServiceDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    """The caller: the holder of a bearer token, or the public without one.

    Raises 401 for a malformed, unknown or revoked token (never silently public).
    """
    authorization = request.headers.get("authorization")
    return await store_work(service, principal_from, request, service, authorization)


def principal_from(request: Request, service: IssueService, authorization: str | None) -> Principal:
    """The caller an ``Authorization`` header value names (see :func:`get_principal`)."""
    if authorization is None or not authorization.strip():
        return Principal.public()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401, "Authorization must be 'Bearer <token>'", {"WWW-Authenticate": "Bearer"}
        )
    token_hash = hash_token(token.strip())
    record = service.store.token(token_hash)
    if record is None or record.revoked:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    # The token is looked up every time (revocation takes effect at once); the scope it
    # grants is worked out from the workspace once per token and kept on the app.
    cache: dict[str, Principal] = request.app.state.principals
    principal = cache.get(token_hash)
    if principal is None:
        principal = principal_for(record, service.ws, service.grid_station)
        cache[token_hash] = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_secret(request: Request, service: ServiceDep) -> str:
    """The secret keying tracking tokens (:func:`~gridgov.issues.access.server_secret`):
    read on first need, then kept on the app; never from the issue store."""
    secret: str | None = getattr(request.app.state, "secret", None)
    if secret is None:
        secret = server_secret(service.settings.secret_file)
        request.app.state.secret = secret
    return secret


SecretDep = Annotated[str, Depends(get_secret)]


def require(principal: Principal, *roles: str) -> None:
    """403 unless the caller has one of ``roles`` (401 for the public: log in first)."""
    if principal.role in roles:
        return
    if principal.role == "public":
        raise HTTPException(401, "this needs a token", {"WWW-Authenticate": "Bearer"})
    raise ForbiddenError(f"role {principal.role} may not do this (needs {', '.join(roles)})")
