"""The error table of the API: each gridgov error type answers with its one status and
``error`` word, the most specific class winning; anything else, a plain ``ValueError``
or a ``PermissionError`` (an ``OSError``) included, is a bug answered 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.errors import STATUS, status_of
from gridgov._errors import (
    ConflictError,
    CRSError,
    ForbiddenError,
    GridgovError,
    IdempotencyError,
    InfeasibleError,
    LocationError,
    NotFoundError,
    ParameterError,
    Problem,
    StoreUnavailableError,
    TransitionError,
    ValidationError,
)
from gridgov.issues.lifecycle import Issue

if TYPE_CHECKING:
    from conftest import World


class _UnlistedError(GridgovError):
    """A GridgovError the table does not name: the base's answer."""


def _issue() -> Any:
    from datetime import UTC, datetime

    from gridgov.issues.lifecycle import Actor, new_issue

    now = datetime(2026, 11, 23, tzinfo=UTC)
    issue, _ = new_issue(
        issue_id="I1", category="road", description="x", lon=112.8, lat=29.4,
        actor=Actor.system(), now=now,
    )  # fmt: skip
    assert isinstance(issue, Issue)
    return issue


def _problem(field: str) -> Problem:
    return Problem("issue", None, field, "bad", f"{field} is wrong")


ERRORS: dict[str, tuple[Exception, int, str]] = {
    "parameter": (ParameterError("k must be at least 1", parameter="k", value=0), 422, "invalid"),
    "validation": (ValidationError([_problem("description")]), 422, "invalid"),
    "location": (LocationError([_problem("lon/lat")]), 422, "invalid"),
    "crs": (CRSError("no CRS"), 422, "invalid"),
    "infeasible": (InfeasibleError("no plan"), 422, "infeasible"),
    "idempotency": (IdempotencyError("key reused"), 422, "idempotency_key_reused"),
    "not_found": (NotFoundError("no issue 'X'"), 404, "not_found"),
    "forbidden": (ForbiddenError("role deputy may not close"), 403, "forbidden"),
    "conflict": (ConflictError("changed meanwhile"), 409, "conflict"),
    "transition": (TransitionError(_issue(), "resolve", []), 409, "invalid_state"),
    "unavailable": (StoreUnavailableError("down"), 503, "store_unavailable"),
    "other": (_UnlistedError("something"), 400, "bad_request"),
    "value": (ValueError("a bug"), 500, "internal"),
    "permission": (PermissionError("a file we cannot read"), 500, "internal"),
}


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.service, tick_interval_s=0, rate_per_s=0)

    def boom(kind: str) -> None:
        raise ERRORS[kind][0]

    app.add_api_route("/boom/{kind}", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("kind", list(ERRORS))
def test_each_error_type_has_one_answer(client: TestClient, kind: str) -> None:
    exc, status, error = ERRORS[kind]
    r = client.get(f"/boom/{kind}")
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "problems"}
    assert body["error"] == error
    if status == 500:  # nothing of a bug leaks
        assert str(exc) not in r.text
        return
    assert body["message"]
    assert isinstance(exc, GridgovError)
    assert [p["field"] for p in body["problems"]] == [p.field for p in exc.problems]
    assert ("Retry-After" in r.headers) == (status == 503)


def test_parameter_errors_name_the_parameter_and_value(client: TestClient) -> None:
    body = client.get("/boom/parameter").json()
    assert body["problems"] == [
        {"field": "k", "value": "0", "message": "k must be at least 1", "row": None}
    ]


def test_most_specific_class_wins() -> None:
    assert status_of(TransitionError(_issue(), "rate", [])).code == 409
    assert status_of(LocationError([])).code == 422
    assert status_of(_UnlistedError("x")) == STATUS[GridgovError]
    # every entry is a gridgov error: a builtin never maps to a 4xx
    assert all(issubclass(t, GridgovError) for t in STATUS)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bug_under_open311_is_a_500_in_the_spec_shape(
    world: World, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from api.routes import open311 as open311_routes

    def broken(settings: Any) -> Any:
        raise ValueError("a bug, not the client's doing")

    monkeypatch.setattr(open311_routes, "services", broken)
    app = create_app(world.service, tick_interval_s=0, rate_per_s=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(f"/open311/v2/services.{fmt}")
    assert r.status_code == 500
    assert "a bug" not in r.text
    assert ("<code>500</code>" in r.text) if fmt == "xml" else (r.json()[0]["code"] == 500)
