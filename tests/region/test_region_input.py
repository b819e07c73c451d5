"""Reading a region: ``gridgov region info``, the targets CSV, a broken county file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gridgov.cli import main


def test_region_info_lists_every_county_with_its_counts(
    region_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["region", "info", str(region_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counties"] == 5 and info["sources"] == 3
    assert info["totals"]["villages"] == 150
    meta = json.loads((region_dir / "region.json").read_text(encoding="utf-8"))
    assert info["totals"]["stations"] == meta["counts"]["stations"]
    assert info["totals"]["population"] == meta["population"]
    assert [r["code"] for r in info["by_county"]] == sorted(r["code"] for r in info["by_county"])
    assert main(["region", "info", str(region_dir), "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "5 counties (3 files)" in text and info["by_county"][0]["name"] in text


def test_a_bad_targets_file_names_row_field_and_value(
    region_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "county_code,target\n900101,5\n123456,4\n900102,many\n900101,3\n", encoding="utf-8"
    )
    code = main(
        ["consolidate", str(region_dir), "--targets", str(targets), "--json", "--lang", "en"]
    )
    assert code == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    got = {(p["row"], p["field"], p["value"]) for p in problems}
    assert got == {
        (3, "county_code", "123456"),
        (4, "target", "many"),
        (5, "county_code", "900101"),
    }
    assert all(p["layer"] == "targets.csv" for p in problems)


def test_counties_without_a_target_are_refused_before_anything_runs(
    region_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("county_code,target\n900101,5\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["consolidate", str(region_dir), "--targets", str(targets), "--out", str(out)])
    assert code == 2
    assert "900102" in capsys.readouterr().err
    assert not out.exists()


def test_a_broken_county_file_is_listed_and_the_others_run(
    county_workspaces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = tmp_path / "city"
    region.mkdir()
    first = sorted(county_workspaces.glob("*.gpkg"))[0]
    shutil.copy(first, region / first.name)
    (region / "900999.gpkg").write_bytes(b"not a geopackage")
    out = tmp_path / "out"
    code = main(
        ["coverage", str(region), "--workers", "0", "--out", str(out), "--no-map", "--json"]
    )
    assert code == 3
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert [r["code"] for r in summary["by_county"]] == [first.stem]
    assert [f["name"] for f in summary["failed"]] == ["900999.gpkg"]
    assert (out / "counties" / first.stem / "coverage-summary.json").is_file()
