"""``gridgov consolidate REGION --with-coverage``: coverage and consolidation in one task
per county, through a real Dask scheduler and two workers.

The oracle is the two commands run apart on the same cluster (``gridgov coverage REGION``
and ``gridgov consolidate REGION``): every file the one run writes must equal theirs,
except what says when and how fast it ran (and the maps and workbooks, which carry their
own ids and timestamps: each is checked to be there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gridgov._errors import ParameterError
from gridgov.cli import main
from gridgov.coverage import analyse
from gridgov.coverage.consolidate import consolidate
from gridgov.region import open_region, read_county

from .conftest import Cluster

# Five counties through a real cluster three times (the pair, then each command): well over
# 20 s on a busy 2-core machine.
pytestmark = pytest.mark.slow

_PLAN = ("--keep-share", "0.8", "--model", "p-median")
# when and how fast a run went, not what it found
_RUN_KEYS = ("seconds", "made_at")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json", "--lang", "en"])
    return code, json.loads(capsys.readouterr().out)


def _json(path: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in _RUN_KEYS:
        data.pop(key, None)
    if "summary" in data:
        data["summary"].pop("solve_s", None)  # the solver's own wall time
    return data


def _same_folders(mine: Path, theirs: Path) -> int:
    """Every file of ``theirs`` is in ``mine`` with the same content; returns the count."""
    names = sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(mine) for p in mine.rglob("*") if p.is_file())
    for name in names:
        a, b = mine / name, theirs / name
        if name.suffix == ".json":
            assert _json(a) == _json(b), name
        elif name.suffix not in (".html", ".xlsx"):
            assert a.read_bytes() == b.read_bytes(), name
    return len(names)


def test_one_task_per_county_writes_what_the_two_commands_write(
    region_dir: Path, cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, cover = tmp_path / "pair-plan", tmp_path / "pair-coverage"
    code, payload = _run(
        capsys, "consolidate", str(region_dir), "--with-coverage", "--scheduler",
        cluster.address, *_PLAN, "--out", str(plan), "--coverage-out", str(cover),
    )  # fmt: skip
    assert code == 0, payload
    assert payload["summary"]["task"] == "consolidate" and payload["summary"]["done"] == 5
    assert payload["coverage"]["summary"]["task"] == "coverage"
    assert payload["coverage"]["summary"]["done"] == 5
    assert payload["summary"]["totals"]["stations_closed"] > 0  # the plan closes stations
    apart_cov, apart_plan = tmp_path / "coverage", tmp_path / "plan"
    assert _run(
        capsys, "coverage", str(region_dir), "--scheduler", cluster.address, "--out",
        str(apart_cov),
    )[0] == 0  # fmt: skip
    assert _run(
        capsys, "consolidate", str(region_dir), "--scheduler", cluster.address, *_PLAN,
        "--out", str(apart_plan),
    )[0] == 0  # fmt: skip
    # workbook, CSV, JSON and map of the region; per county its tables, parts and map
    assert _same_folders(cover, apart_cov) > 5 * 5
    assert _same_folders(plan, apart_plan) > 5 * 5
    for folder, task in ((cover, "coverage"), (plan, "consolidation")):
        page = (folder / "region-map.html").read_text(encoding="utf-8")
        for c in (r["code"] for r in payload["summary"]["by_county"]):
            assert f"counties/{c}/{task}-map.html" in page
            assert (folder / "counties" / c / f"{task}-map.html").is_file()


def test_a_county_whose_plan_fails_still_has_its_coverage(
    region_dir: Path, cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = [c.code for c in open_region(region_dir).counties]
    targets = tmp_path / "targets.csv"
    # one station is fewer than the township stations that must stay: no plan for it
    targets.write_text(f"county_code,target\n{codes[1]},1\n", encoding="utf-8")
    code, payload = _run(
        capsys, "consolidate", str(region_dir), "--with-coverage", "--scheduler",
        cluster.address, "--targets", str(targets), *_PLAN, "--out", str(tmp_path / "plan"),
        "--coverage-out", str(tmp_path / "coverage"), "--no-map", "--no-county-reports",
    )  # fmt: skip
    assert code == 3
    assert [f["code"] for f in payload["summary"]["failed"]] == [codes[1]]
    coverage = payload["coverage"]["summary"]
    assert coverage["failed"] == [] and coverage["done"] == 5
    assert (tmp_path / "coverage" / "counties" / codes[1] / "coverage-summary.json").is_file()
    assert not (tmp_path / "plan" / "counties" / codes[1] / "consolidation.json").exists()


def test_with_coverage_is_refused_for_one_county_and_for_one_folder(
    county_workspaces: Path, region_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = next(iter(sorted(county_workspaces.glob("*.gpkg"))))
    code = main(["consolidate", str(ws), "--with-coverage", "--target", "5", "--lang", "en"])
    assert code == 2
    assert "--with-coverage takes a region" in capsys.readouterr().err
    code = main(
        ["consolidate", str(region_dir), *_PLAN, "--coverage-out", str(region_dir) + "-x",
         "--out", str(region_dir) + "-x", "--lang", "en"]
    )  # fmt: skip
    assert code == 2
    assert "must be different folders" in capsys.readouterr().err


def test_a_plan_reuses_the_coverage_it_is_given_grouped_or_not(region_dir: Path) -> None:
    ws = read_county(open_region(region_dir).counties[0])
    assert ws.deputies is not None and len(ws.deputies)  # the grouping has work to do
    alone = consolidate(ws, target=8, model="p-median")
    for group in (True, False):
        today = analyse(ws, service_areas=False, gap_sites=group, group=group)
        given = consolidate(ws, target=8, model="p-median", before=today)
        for name in ("stations", "villages", "absorb", "before_after", "deputies"):
            assert getattr(given, name).equals(getattr(alone, name)), (group, name)
        assert {**given.summary, "solve_s": 0} == {**alone.summary, "solve_s": 0}
    other = analyse(ws, standard="30min:walk", service_areas=False, gap_sites=False, group=False)
    with pytest.raises(ParameterError, match="30min:walk"):
        consolidate(ws, target=8, model="p-median", before=other)
