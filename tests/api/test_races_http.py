"""Two people acting on one issue at once, over real HTTP, against ``gridgov serve
--workers 2`` (two uvicorn processes on one store), on SQLite and on PostGIS: of two
conflicting requests exactly one wins and the other gets 409 (or 422 when the loser's
check already sees the winner's change), and no issue is lost or handled twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from gridgov import io, synth  # noqa: E402
from gridgov.issues.access import create_token  # noqa: E402
from gridgov.issues.lifecycle import utcnow  # noqa: E402
from gridgov.store import open_store  # noqa: E402
from gridgov.testing import free_port, wait_for_health  # noqa: E402

ROUNDS = 20
LOSES = {409, 422}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    ws = synth.demo_county(seed=2024)
    path = tmp_path_factory.mktemp("race") / "county.gpkg"
    io.write_workspace(ws, path)
    return ws, path


@pytest.fixture(params=["sqlite", "postgis"])
def server(
    request: pytest.FixtureRequest, workspace: tuple[Any, Path], tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """(base URL, county staff token) of two workers serving one store."""
    ws, path = workspace
    target = (
        str(tmp_path / "race.issues.sqlite")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_schema")()
    )
    store = open_store(target if request.param == "postgis" else Path(target))
    county = str(ws.county["code"].iloc[0])
    token = create_token(store, ws, role="county_staff", subject=county, now=utcnow())
    store.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", str(path), "--db", target, "--port", str(port),
         "--workers", "2", "--tick", "0", "--rate", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process=proc, timeout_s=120, log=lambda: proc.stderr.read())
        yield base, token
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _race(base: str, token: str, a: Callable[[Any], Any], b: Callable[[Any], Any]) -> list[int]:
    """Send a and b at once (each on its own connection); their status codes."""
    barrier = threading.Barrier(2)
    codes = [0, 0]

    def run(i: int, send: Callable[[Any], Any]) -> None:
        with httpx.Client(base_url=base, timeout=30, headers=_auth(token)) as http:
            http.get("/health")  # connected before the start line
            barrier.wait()
            codes[i] = send(http).status_code

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _raise(http: Any, point: Any) -> dict[str, Any]:
    body = {"category": "road", "description": "村道路面塌陷", "lon": point.x, "lat": point.y}
    r = http.post("/issues", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["issue"])


@pytest.mark.slow
def test_conflicting_actions_have_one_winner_across_two_workers(
    server: tuple[str, str], workspace: tuple[Any, Path]
) -> None:
    base, token = server
    ws, _ = workspace
    point = ws.grids.geometry.iloc[0].representative_point()
    with httpx.Client(base_url=base, timeout=30, headers=_auth(token)) as http:
        for _ in range(ROUNDS):
            a, b = _raise(http, point), _raise(http, point)
            codes = _race(
                base,
                token,
                lambda h, a=a, b=b: h.post(f"/issues/{a['issue_id']}/merge", json={"into": b["issue_id"]}),
                lambda h, a=a, b=b: h.post(f"/issues/{b['issue_id']}/merge", json={"into": a["issue_id"]}),
            )  # fmt: skip
            assert sorted(codes)[0] == 200 and sorted(codes)[1] in LOSES, codes
            fa = http.get(f"/issues/{a['issue_id']}").json()
            fb = http.get(f"/issues/{b['issue_id']}").json()
            merged = [bool(fa["merged_into"]), bool(fb["merged_into"])]
            assert merged.count(True) == 1, (fa, fb)  # one duplicate, one issue still handled

        # two desks transfer the issue they both see (version v) to different stations; the
        # version they read goes with the request (If-Match), as the screens send it
        home = _raise(http, point)["station_id"]
        s1, s2 = sorted(s for s in ws.stations["station_id"].astype(str) if s != home)[:2]
        for _ in range(ROUNDS):
            issue = _raise(http, point)
            seen = {"If-Match": f'"{issue["version"]}"'}
            codes = _race(
                base,
                token,
                lambda h, i=issue, seen=seen: h.post(f"/issues/{i['issue_id']}/transfer", json={"to": f"station:{s1}", "reason": "归口"}, headers=seen),
                lambda h, i=issue, seen=seen: h.post(f"/issues/{i['issue_id']}/transfer", json={"to": f"station:{s2}", "reason": "归口"}, headers=seen),
            )  # fmt: skip
            assert sorted(codes) == [200, 409], codes
            events = http.get(f"/issues/{issue['issue_id']}").json()["events"]
            assert [e["kind"] for e in events].count("transferred") == 1, events


def test_dispatch_preview_and_tokens_on_each_store(
    server: tuple[str, str], workspace: tuple[Any, Path]
) -> None:
    # SQLite answers on the event loop, PostGIS from the thread pool (api.deps.store_work):
    # the same answers, the same refusals
    base, token = server
    ws, _ = workspace
    point = ws.grids.to_crs(4490).geometry.representative_point().iloc[0]
    where = {"lon": point.x, "lat": point.y}
    with httpx.Client(base_url=base, timeout=30) as http:
        ok = http.get("/dispatch/preview", params=where, headers=_auth(token))
        assert ok.status_code == 200, ok.text
        chosen = ok.json()["chosen"]
        assert chosen and all(c["deputy_id"] for c in chosen)
        again = http.get("/dispatch/preview", params=where, headers=_auth(token)).json()
        assert [c["deputy_id"] for c in again["chosen"]] == [c["deputy_id"] for c in chosen]
        assert http.get("/dispatch/preview", params=where).status_code == 401
        assert http.get("/dispatch/preview", params=where, headers=_auth("nope")).status_code == 401
        bad = http.get("/dispatch/preview", params={**where, "category": "x"}, headers=_auth(token))
        assert bad.status_code == 422, bad.text
        assert [p["field"] for p in bad.json()["problems"]] == ["category"], bad.text
        far = http.get("/dispatch/preview", params={"lon": 0, "lat": 0}, headers=_auth(token))
        assert 400 <= far.status_code < 500, far.text
