"""Fuzz the whole OpenAPI of the service in-process: no input may make it answer 5xx.

Schemathesis reads ``/openapi.json`` of :func:`api.create_app` (ASGI, no network) and
generates requests for every operation, valid and invalid ones alike. Most carry a
county staff token (the widest read and act scope); the rest rotate through the other
roles and the public (no ``Authorization``), so the role checks are fuzzed too. Half of
the path parameters are swapped for ids that exist (issues raised beforehand, stations,
deputies), so the actions reach real issues instead of stopping at 404. Generation is
derandomized: the same cases every run. The check is the one of schemathesis's
``not_a_server_error``: no status of 500 or more, and no exception out of the app; every
case, status class and 5xx is counted and printed at the end (``pytest -s``).

A bigger run against a live service, with the schemathesis CLI (its coverage, fuzzing
and stateful phases; the store is ``county.issues.sqlite`` beside the workspace, or
``--db postgresql://...``)::

    gridgov synth /tmp/gg/county.gpkg --villages 200 --seed 7
    gridgov token create /tmp/gg/county.gpkg --role county_staff --subject 999901
    gridgov serve /tmp/gg/county.gpkg --port 8000 --tick 0 --rate 0 &
    schemathesis run http://127.0.0.1:8000/openapi.json \\
        -H "Authorization: Bearer <token printed above>" --checks not_a_server_error \\
        --max-examples 100 --seed 1 --workers 2
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

from gridgov.model import Workspace  # noqa: E402

#: Examples per operation and generation mode: about 6,000 cases, under 2 minutes on 2 cores.
MAX_EXAMPLES = 100

#: Whose token a case carries, in turn (None: the public).
ROLES: tuple[str | None, ...] = (
    "county_staff", "county_staff", "county_staff", "township_staff", "station_admin",
    "deputy", "grid_worker", "planner", None,
)  # fmt: skip

_TALLY: Counter[str] = Counter()  # cases per operation
_STATUS: Counter[str] = Counter()  # responses per status class
_SERVER_ERRORS: list[str] = []
_UNSATISFIABLE: list[str] = []  # operations with no case of a mode to generate
_REAL_IDS: dict[str, list[str]] = {}  # path parameter -> ids that exist


@pytest.fixture(scope="module")
def fuzz_world(
    demo_ws: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    world_factory: Callable[[Workspace, Path], AbstractContextManager[Any]],
) -> Iterator[Any]:
    """One service for the whole run, with a few issues to act on."""
    with world_factory(demo_ws, tmp_path_factory.mktemp("fuzz")) as w:
        ids = []
        for role, grid in (
            ("grid_worker", w.places.grid_a),
            ("station_admin", w.places.grid_a2),
            ("county_staff", w.places.grid_b),
            ("township_staff", w.places.grid_a),
        ):
            ids.append(w.raise_issue(role, grid)["issue"]["issue_id"])
        ids.append(w.raise_public(w.places.station_a)["issue"]["issue_id"])
        _REAL_IDS.update(
            issue_id=ids,
            station_id=[w.places.station_a, w.places.station_b, w.places.station_c],
            deputy_id=[w.places.deputy_a, w.places.deputy_b],
        )
        yield w
    total = sum(_TALLY.values())
    print(
        f"\nschemathesis: {total} cases over {len(_TALLY)} operations, "
        f"{len(_SERVER_ERRORS)} server errors; responses {dict(sorted(_STATUS.items()))}"
    )
    if _UNSATISFIABLE:
        print("  no cases to generate:", ", ".join(_UNSATISFIABLE))
    for line in _SERVER_ERRORS:
        print("  5xx:", line)


@pytest.fixture(scope="module")
def api_schema(fuzz_world: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_world.client.app)


def _pick(case: Any) -> int:
    # deterministic across runs (unlike hash()): the case's own content decides
    raw = f"{case.path_parameters}{case.query}{case.body}".encode()
    return zlib.crc32(raw)


def _call(case: Any, world: Any) -> None:
    n = _pick(case)
    for name, values in _REAL_IDS.items():
        if case.path_parameters and name in case.path_parameters and n % 2 == 0:
            case.path_parameters[name] = values[(n // 2) % len(values)]
    role = ROLES[n % len(ROLES)]
    headers = world.headers(role) if role else {}
    if role is None and case.headers:
        for name in [h for h in case.headers if h.lower() == "authorization"]:
            del case.headers[name]
    label = f"{case.method} {case.path}"
    _TALLY[label] += 1
    try:
        response = case.call(headers=headers)
    except Exception as exc:  # the app raised instead of answering
        _SERVER_ERRORS.append(f"{label} as {role}: raised {exc!r} {_inputs(case)}")
        return
    _STATUS[f"{response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        _SERVER_ERRORS.append(
            f"{case.method} {case.formatted_path} as {role}: {response.status_code} "
            f"{response.text[:200]} {_inputs(case)}"
        )


def _inputs(case: Any) -> str:
    return f"query={case.query} headers={case.headers} body={case.body!r:.400}"


# Schemathesis's pytest integration on a schema from a fixture
# (``schemathesis.pytest.from_fixture`` + ``@schema.parametrize()``) stops under pytest 9
# (schemathesis 4.32 reads ``request.node._nodeid``, which pytest 9 no longer has), and
# loading the schema at import would build a county at collection time. So each operation
# is driven through its own Hypothesis strategy: the same cases, one test per mode.
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_input_makes_a_server_error(mode: str, api_schema: Any, fuzz_world: Any) -> None:
    from schemathesis.generation.modes import GenerationMode

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 28
    before = sum(_TALLY.values())
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy(GenerationMode(mode)))
        def run(case: Any) -> None:
            _call(case, fuzz_world)

        try:
            run()
        except Unsatisfiable:  # nothing to break: no parameters, no body (GET /health)
            _UNSATISFIABLE.append(f"{mode} {operation.label}")
    print(f"\nschemathesis {mode}: {sum(_TALLY.values()) - before} cases")
    assert not _SERVER_ERRORS, "\n".join(_SERVER_ERRORS[:20])
