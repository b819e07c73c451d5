"""The planner's pages over plain HTTP: coverage figures and map, the gap list and its
downloads, and consolidation scenarios run in the background (progress, result, refusals,
one at a time, kept across a restart)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from test_auth import csrf_of, login, staff_accounts

from api.web.planner import Scenarios


@pytest.fixture
def world(server: Any) -> Any:
    """The served demo world with an account per role, used over its test client."""
    staff_accounts(server.world)
    return server.world


def planner(world: Any, who: str = "planner") -> Any:
    assert login(world.client, who).status_code == 303
    return world.client


def jobs_folder(world: Any) -> Path:
    return Path(f"{world.service.store.path}.plan-jobs")


def job_ids(world: Any) -> list[str]:
    folder = jobs_folder(world)
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def scenario_form(client: Any, **fields: Any) -> dict[str, Any]:
    """The scenario form as the page offers it, with ``fields`` changed."""
    page = client.get("/plan/scenarios")
    assert page.status_code == 200
    data: dict[str, Any] = {
        "csrf": csrf_of(page.text), "target": "60", "minutes": "25", "mode": "ebike",
        "keep_tiers": ["station", "studio"], "keep": "", "close": "", "curve": "",
        "time_limit": "30",
    }  # fmt: skip
    data.update(fields)
    return data


def wait_for(world: Any, job_id: str, timeout_s: float = 180) -> dict[str, Any]:
    """The job's status once it has finished (polled as the page polls it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = world.client.get(f"/plan/scenarios/{job_id}/status").json()
        if status["finished"]:
            return dict(status)
        time.sleep(0.3)
    raise AssertionError(f"scenario {job_id} did not finish in {timeout_s} s")


def start(world: Any, **fields: Any) -> str:
    r = world.client.post(
        "/plan/scenarios", data=scenario_form(world.client, **fields), follow_redirects=False
    )
    assert r.status_code == 303, r.text[:2000]
    found = re.fullmatch(r"/plan/scenarios/([\w-]+)", r.headers["location"])
    assert found
    return found.group(1)


# --- who may plan ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["planner", "county-staff"])
def test_planners_and_county_staff_see_the_coverage(world: Any, who: str) -> None:
    client = planner(world, who)
    page = client.get("/plan")
    assert page.status_code == 200
    assert "出门即可达" in page.text and "县定标准：电动车15分钟" in page.text
    result = client.app.state.plan.coverage
    s = result.summary
    figure = re.search(r'id="fig-villages">([^<]+)<', page.text)
    assert figure and figure.group(1) == f"{s['villages_covered']} / {s['n_villages']} 个"
    assert re.search(rf'id="fig-gaps">{s["n_gaps"]}<', page.text)
    assert 'src="/plan/maps/coverage"' in page.text


@pytest.mark.parametrize("who", ["grid-worker", "deputy", "station-admin", "township-staff"])
def test_other_roles_are_refused_every_planner_page(world: Any, who: str) -> None:
    client = planner(world, who)
    for path in ("/plan", "/plan/gaps", "/plan/gaps.csv", "/plan/maps/coverage",
                 "/plan/scenarios"):  # fmt: skip
        r = client.get(path)
        assert r.status_code == 403 and "您的角色不能使用此页面" in r.text, path
    r = client.post("/plan/scenarios", data={"csrf": "x", "target": "50"})
    assert r.status_code == 403
    assert job_ids(world) == []


def test_the_public_is_sent_to_log_in(world: Any) -> None:
    r = world.client.get("/plan/gaps", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/plan/gaps"
    assert world.client.get("/plan/scenarios/20260101-000000-abcdef/status").status_code == 401


# --- the coverage map ------------------------------------------------------------------------


def test_the_coverage_map_is_self_contained_and_runs_only_its_own_scripts(world: Any) -> None:
    r = planner(world).get("/plan/maps/coverage")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce
    assert "sandbox allow-scripts" in policy and "frame-ancestors 'self'" in policy
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    scripts = re.findall(r"<script\b[^>]*>", r.text)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in s for s in scripts)
    from maps import external_references

    assert external_references(r.text) == []  # nothing fetched from the internet
    assert "L.map(" in r.text or "L.map (" in r.text  # Leaflet draws it


# --- the gap list ----------------------------------------------------------------------------


def test_the_gap_list_shows_every_village_out_of_reach_and_sorts(world: Any) -> None:
    client = planner(world)
    page = client.get("/plan/gaps")
    assert page.status_code == 200
    coverage = client.app.state.plan.coverage
    rows = re.findall(r'<tr data-code="(\d+)">', page.text)
    assert len(rows) == coverage.summary["n_gaps"] == len(coverage.gaps) > 0
    assert "团华村" in page.text  # the village of the road collapse, 13.6 km out
    by_people = client.get("/plan/gaps?sort=population&order=desc").text
    cells = re.findall(r'<tr data-code="\d+">\s*<td class="num">\d+</td>\s*<td>[^<]*</td>\s*'
                       r'<td>[^<]*</td>\s*<td class="num">([\d,]+)</td>', by_people)  # fmt: skip
    populations = [int(c.replace(",", "")) for c in cells]
    assert len(populations) == len(rows) and populations == sorted(populations, reverse=True)
    assert 'aria-sort="descending"' in by_people
    by_name = client.get("/plan/gaps?sort=name&order=asc").text
    assert 'href="/plan/gaps?sort=name&amp;order=desc"' in by_name  # a second click reverses
    nonsense = client.get("/plan/gaps?sort=<script>&order=sideways")
    assert nonsense.status_code == 200 and "<script>&" not in nonsense.text


def test_the_gap_list_downloads_as_csv_and_excel(world: Any) -> None:
    client = planner(world)
    coverage_rows = len(client.get("/plan/gaps") and client.app.state.plan.coverage.gaps)
    r = client.get("/plan/gaps.csv?sort=uncovered&order=desc")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())  # Excel reads the Chinese
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["序号", "村（社区）", "区划代码"] and len(table) == coverage_rows + 1
    uncovered = [int(row[5]) for row in table[1:]]
    assert uncovered == sorted(uncovered, reverse=True)
    from openpyxl import load_workbook

    x = client.get("/plan/gaps.xlsx")
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).worksheets[0]
    assert sheet.max_row == coverage_rows + 1 and sheet["B1"].value == "村（社区）"
    english = client.get("/plan/gaps.csv?lang=en").content.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("Rank,Village,Code")
    assert client.get("/plan/gaps.pdf").status_code == 404


# --- scenarios: refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"target": "abc"}, "target", "应为整数"),
        ({"target": ""}, "target", "请填写"),
        ({"target": "500"}, "target", "保留站点数应在"),
        ({"target": "3"}, "target", "必须保留"),  # below the township stations kept whole
        ({"minutes": "0"}, "minutes", "分钟数应大于 0"),
        ({"minutes": "15分"}, "minutes", "应为数字"),
        ({"mode": "horse"}, "mode", "出行方式应为"),
        ({"keep": "不存在的站点, S9999"}, "keep", "2 项不是站点编号"),
        ({"time_limit": "9999"}, "time_limit", "求解时限应在"),
        ({"keep_tiers": ["castle"]}, "keep_tiers", "不认识的站点层级"),
    ],
)
def test_a_bad_parameter_is_named_and_nothing_starts(
    world: Any, fields: dict[str, Any], field: str, says: str
) -> None:
    client = planner(world)
    r = client.post("/plan/scenarios", data=scenario_form(client, **fields))
    assert r.status_code == 400
    error = re.search(rf'id="error-{field}"[^>]*>([^<]+)<', r.text)
    assert error and says in error.group(1), r.text[-3000:]
    assert "请修改标出的项目" in r.text
    assert job_ids(world) == []
    # what was typed is kept for correcting
    if isinstance(fields.get(field), str) and fields[field] and field not in ("keep", "mode"):
        assert f'value="{fields[field]}"' in r.text


def test_a_station_both_kept_and_closed_is_refused_on_close(world: Any) -> None:
    client = planner(world)
    st = world.ws.stations
    township_station = st.loc[st["tier"] == "station"].iloc[0]
    r = client.post(
        "/plan/scenarios", data=scenario_form(client, close=str(township_station["name"]))
    )
    assert r.status_code == 400
    error = re.search(r'id="error-close"[^>]*>([^<]+)<', r.text)
    assert error and "既要保留又要撤并" in error.group(1)
    assert str(township_station["name"]) in error.group(1)
    assert job_ids(world) == []


def test_a_scenario_without_csrf_is_refused(world: Any) -> None:
    client = planner(world)
    data = scenario_form(client)
    data["csrf"] = "forged"
    assert client.post("/plan/scenarios", data=data).status_code == 403
    assert job_ids(world) == []


# --- scenarios: run --------------------------------------------------------------------------


def test_a_scenario_runs_in_the_background_and_its_result_is_kept(world: Any) -> None:
    client = planner(world)
    st = world.ws.stations
    points = st.loc[st["tier"] == "point"]
    must_close = points.iloc[0]
    must_keep = points.iloc[1]
    job_id = start(world, target="60", keep=str(must_keep["name"]),
                   close=str(must_close["station_id"]), curve="1")  # fmt: skip
    page = client.get(f"/plan/scenarios/{job_id}")
    assert page.status_code == 200
    assert "保留 60 个站点" in page.text and str(must_keep["name"]) in page.text
    status = wait_for(world, job_id)
    assert status["state"] == "done" and status["percent"] == 100, status
    page = client.get(f"/plan/scenarios/{job_id}").text
    headline = re.search(r'id="headline"[^>]*>([^<]+)', page)
    assert headline and "97 个站点撤并为 60 个（撤并 37 个）" in headline.group(1)
    assert "每年节省经费" in headline.group(1)
    closed = re.findall(r'<tr data-closed="([^"]+)">', page)
    assert len(closed) == 37 and str(must_close["station_id"]) in closed
    assert str(must_keep["station_id"]) not in closed
    assert 'data-indicator="share_population_covered"' in page and "人口达标率" in page
    assert 'id="curve"' in page and 'src="/plan/scenarios/' + job_id + '/map"' in page
    result = json.loads((jobs_folder(world) / job_id / "result.json").read_text("utf-8"))
    assert result["summary"]["stations_after"] == 60
    # the map, the report and a reload after a restart
    m = client.get(f"/plan/scenarios/{job_id}/map")
    assert m.status_code == 200 and "sandbox" in m.headers["content-security-policy"]
    x = client.get(f"/plan/scenarios/{job_id}/files/consolidation.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get(f"/plan/scenarios/{job_id}/files/job.json").status_code == 404
    assert client.get(f"/plan/scenarios/{job_id}/files/..%2Fjob.json").status_code == 404
    client.app.state.plan = None  # a restarted server knows only the jobs folder
    again = client.get(f"/plan/scenarios/{job_id}").text
    assert re.findall(r'<tr data-closed="([^"]+)">', again) == closed
    listing = client.get("/plan/scenarios").text
    assert f'href="/plan/scenarios/{job_id}"' in listing and "已完成" in listing


def test_one_scenario_at_a_time_and_a_running_one_can_be_stopped(world: Any) -> None:
    client = planner(world)
    first = start(world, target="55", curve="1")
    r = client.post("/plan/scenarios", data=scenario_form(client, target="50"))
    assert r.status_code == 409 and "另一个方案正在计算" in r.text
    assert job_ids(world) == [first]
    page = client.get(f"/plan/scenarios/{first}").text
    data = {"csrf": csrf_of(page)}
    stop = client.post(f"/plan/scenarios/{first}/cancel", data=data, follow_redirects=False)
    if stop.status_code == 409:  # it finished before the click: a fast machine
        assert wait_for(world, first)["state"] == "done"
    else:
        assert stop.status_code == 303
        assert wait_for(world, first)["state"] == "cancelled"
        assert "已停止" in client.get(f"/plan/scenarios/{first}").text
    second = start(world, target="50")  # free again
    assert wait_for(world, second)["state"] == "done"


def test_a_scenario_the_core_refuses_ends_with_its_reason(world: Any) -> None:
    client = planner(world)
    # 10 minutes on foot: keeping everyone coverable within reach needs far more than 30
    job_id = start(world, target="30", minutes="10", mode="walk")
    status = wait_for(world, job_id)
    assert status["state"] == "failed"
    assert status["error"].startswith("无法得出方案") and "needs at least" in status["error"]
    page = client.get(f"/plan/scenarios/{job_id}").text
    assert 'id="job-error"' in page and "无法得出方案" in page and 'id="result"' not in page


def test_a_scenario_left_running_by_a_stopped_server_is_marked_interrupted(
    world: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "jobs"
    job = folder / "20261123-090000-abcdef"
    job.mkdir(parents=True)
    (job / "job.json").write_text(json.dumps({
        "job_id": job.name, "state": "running", "stage": "curve", "done": 3, "total": 13,
        "created_at": "2026-11-23T01:00:00+00:00", "by": "规划组",
        "params": {"target": 52, "minutes": 25, "mode": "ebike"},
    }), encoding="utf-8")  # fmt: skip
    runner = Scenarios(folder, world.ws, world.service.settings)
    assert runner.job(job.name)["state"] == "failed"
    client = planner(world)
    client.app.state.plan_jobs_folder = folder
    client.app.state.plan = None
    page = client.get(f"/plan/scenarios/{job.name}").text
    assert "服务器在计算时重启" in page
    assert client.get("/plan/scenarios/nonsense").status_code == 404
    assert client.get("/plan/scenarios/20261123-090000-000000").status_code == 404
