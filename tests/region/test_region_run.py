"""``gridgov coverage | consolidate REGION`` through a real Dask scheduler and two workers.

The oracle is the county's own run: ``gridgov coverage COUNTY.gpkg`` (and ``gridgov
consolidate COUNTY.gpkg --target T --curve none``) on each county's workspace; every file
the region run writes for a county must equal it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gridgov.cli import main

from .conftest import Cluster

# Each test runs five counties through a real cluster and the counties' own runs beside:
# well over 20 s on a busy 2-core machine.
pytestmark = pytest.mark.slow

_TABLES = ("coverage-villages.csv", "coverage-stations.csv", "coverage-gaps.csv")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json", "--lang", "en"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _county_run(
    capsys: pytest.CaptureFixture[str], task: str, ws: Path, out: Path, *extra: str
) -> dict[str, Any]:
    code, payload = _run(capsys, task, str(ws), "--out", str(out), "--no-map", *extra)
    assert code == 0, payload
    return payload


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_region_coverage_on_dask_equals_each_county_run(
    region_dir: Path,
    county_workspaces: Path,
    cluster: Cluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "region-coverage"
    code, payload = _run(
        capsys, "coverage", str(region_dir), "--scheduler", cluster.address, "--out", str(out)
    )
    assert code == 0, payload
    summary = payload["summary"]
    assert summary["engine"] == cluster.address and summary["workers"] == 2
    assert summary["counties"] == summary["done"] == 5 and summary["failed"] == []
    rows = {r["code"]: r for r in summary["by_county"]}
    for ws in sorted(county_workspaces.glob("*.gpkg")):
        mine = out / "counties" / ws.stem
        single = _county_run(capsys, "coverage", ws, tmp_path / "single" / ws.stem)
        # the county's own summary, figure by figure, and its tables byte by byte
        assert _json(mine / "coverage-summary.json") == single["summary"]
        for name in _TABLES:
            assert (mine / name).read_bytes() == (tmp_path / "single" / ws.stem / name).read_bytes()
        row = rows[ws.stem]
        assert row["villages_covered"] == single["summary"]["villages_covered"]
        assert row["share_population_covered"] == single["summary"]["share_population_covered"]
        # the county map the region map links to is there
        assert (mine / "coverage-map.html").is_file()
    totals = summary["totals"]
    assert totals["villages"] == sum(r["villages"] for r in rows.values()) == 150
    assert totals["villages_covered"] == sum(r["villages_covered"] for r in rows.values())
    assert totals["share_villages_covered"] == round(
        totals["villages_covered"] / totals["villages"], 4
    )
    # the workbook: one row per county and the totals row
    sheet = pd.read_excel(
        out / "region-coverage.xlsx", sheet_name="各县", dtype={"区划代码": str}, engine="openpyxl"
    )
    assert list(sheet["区划代码"][:5]) == sorted(rows)
    assert sheet["村（社区）数"].iloc[-1] == 150
    page = (out / "region-map.html").read_text(encoding="utf-8")
    for c in rows:
        assert f"counties/{c}/coverage-map.html" in page
    from maps import external_references

    assert external_references(page) == []  # opens offline: nothing fetched


def test_region_consolidation_on_dask_equals_each_county_run(
    region_dir: Path,
    county_workspaces: Path,
    cluster: Cluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "region-plan"
    code, payload = _run(
        capsys, "consolidate", str(region_dir), "--scheduler", cluster.address,
        "--keep-share", "0.8", "--model", "p-median", "--out", str(out), "--no-map",
    )  # fmt: skip
    assert code == 0, payload
    summary = payload["summary"]
    assert summary["done"] == 5
    closed = 0
    for row in summary["by_county"]:
        ws = county_workspaces / f"{row['code']}.gpkg"
        single_out = tmp_path / "single" / row["code"]
        single = _county_run(
            capsys, "consolidate", ws, single_out, "--target", str(row["target"]),
            "--model", "p-median", "--curve", "none",
        )  # fmt: skip
        mine = _json(out / "counties" / row["code"] / "consolidation.json")
        theirs = _json(single_out / "consolidation.json")
        for plan in (mine, theirs):
            plan["summary"].pop("solve_s")  # the solver's own wall time
        assert mine == theirs
        assert row["stations_after"] == single["summary"]["stations_after"] == row["target"]
        closed += row["stations_closed"]
    assert closed > 0  # a rule that keeps 80% closes stations somewhere
    assert summary["totals"]["stations_after"] == sum(r["target"] for r in summary["by_county"])


def test_a_failing_county_is_listed_with_its_reason_and_the_others_are_done(
    region_dir: Path, cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gridgov.region import open_region

    codes = [c.code for c in open_region(region_dir).counties]
    targets = tmp_path / "targets.csv"
    # one station is fewer than the township stations that must stay: that county fails;
    # the others keep 80% of theirs by the rule
    targets.write_text(f"区划代码,目标站点数\n{codes[2]},1\n", encoding="utf-8")
    out = tmp_path / "plan"
    code, payload = _run(
        capsys, "consolidate", str(region_dir), "--scheduler", cluster.address,
        "--targets", str(targets), "--keep-share", "0.8", "--model", "p-median",
        "--out", str(out), "--no-map",
    )  # fmt: skip
    assert code == 3
    summary = payload["summary"]
    assert [f["code"] for f in summary["failed"]] == [codes[2]]
    assert "target" in summary["failed"][0]["reason"]
    assert summary["done"] == 4
    assert sorted(r["code"] for r in summary["by_county"]) == sorted(set(codes) - {codes[2]})
    failures = pd.read_excel(
        out / "region-consolidate.xlsx", sheet_name="未完成", dtype=str, engine="openpyxl"
    )
    assert failures["区划代码"].tolist() == [codes[2]]


def test_a_worker_killed_mid_run_changes_nothing(
    region_dir: Path,
    own_cluster: Cluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from distributed import Client

    baseline = tmp_path / "baseline"
    code, _ = _run(
        capsys, "coverage", str(region_dir), "--workers", "0", "--out", str(baseline), "--no-map",
        "--no-county-reports",
    )  # fmt: skip
    assert code == 0
    out = tmp_path / "killed"
    cmd = [
        sys.executable, "-m", "gridgov", "coverage", str(region_dir), "--scheduler",
        own_cluster.address, "--out", str(out), "--no-map", "--no-county-reports", "--json",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = None
    try:
        with Client(own_cluster.address, timeout="10s") as client:
            deadline = time.monotonic() + 60
            while killed is None and time.monotonic() < deadline and proc.poll() is None:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    # the worker busy with a county, by the name the fixture gave it
                    name = client.scheduler_info(n_workers=-1)["workers"][busy[0]]["name"]
                    killed = own_cluster.workers[int(str(name).removeprefix("w"))]
                    os.kill(killed.pid, signal.SIGKILL)
                else:
                    time.sleep(0.02)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed is not None, "no county was running to kill"
    assert killed.wait(timeout=10) == -signal.SIGKILL  # that worker is gone
    assert proc.returncode == 0, stderr.decode()
    summary = json.loads(stdout)["summary"]
    assert summary["failed"] == [] and summary["done"] == 5
    expected = _json(baseline / "region-coverage.json")["by_county"]
    assert summary["by_county"] == expected
    for row in expected:
        name = Path("counties") / row["code"] / "coverage-summary.json"
        assert _json(out / name) == _json(baseline / name)


def test_local_cluster_workers_keep_glibcs_trim_threshold() -> None:
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536: a county's arrays are
    # then given back and faulted in again on every use (a province pair 1.5x slower)
    import dask.config
    import distributed  # noqa: F401  (its configuration defaults)

    from gridgov.region._run import _client

    assert dask.config.get("distributed.nanny.pre-spawn-environ")["MALLOC_TRIM_THRESHOLD_"]
    with _client(None, 1) as (client, engine, n):
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset"))
        threads = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
    assert (engine, n) == ("local:1", 1)
    assert list(seen.values()) == ["unset"]
    assert list(threads.values()) == ["1"]  # Dask's other settings stay
    # and the setting is Dask's again for whatever else the process starts
    assert dask.config.get("distributed.nanny.pre-spawn-environ")["MALLOC_TRIM_THRESHOLD_"]
