"""Bad command-line values are refused up front: exit 2, a message naming the option and
the value, no traceback, and nothing written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gridgov import io
from gridgov.cli import main
from gridgov.testing import tiny_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "tiny.gpkg"
    io.write_workspace(tiny_workspace(), path)
    return path


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *names: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for name in names:
        assert name in err, err
    return err


@pytest.mark.parametrize(
    ("curve", "said"),
    [("60-10", "backwards"), ("500-600:0", "step"), ("0-10", "at least 1"), ("a-b", "number")],
)
def test_consolidate_refuses_impossible_curves(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], curve: str, said: str
) -> None:
    out = tmp_path / "plan"
    _refused(
        ["consolidate", str(workspace), "--target", "2", "--curve", curve, "--out", str(out)],
        capsys,
        "--curve",
        curve,
        said,
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--time-limit", "-1"), ("--time-limit", "0"), ("--target", "0")]
)
def test_consolidate_refuses_non_positive_numbers(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    out = tmp_path / "plan"
    _refused(["consolidate", str(workspace), option, value, "--out", str(out)], capsys, option)
    assert not out.exists()


def test_consolidate_refuses_an_unknown_tier(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["consolidate", str(workspace), "--keep-tiers", "station,garbage"]
    _refused([*argv, "--out", str(tmp_path / "p")], capsys, "--keep-tiers", "garbage", "联络站")


def test_consolidate_names_a_bad_new_sites_file(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["consolidate", str(workspace), "--target", "2", "--out", str(tmp_path / "p")]
    _refused([*base, "--new-sites", str(tmp_path / "missing.geojson")], capsys, "missing.geojson")
    corrupt = tmp_path / "corrupt.geojson"
    corrupt.write_text("{ this is not json", encoding="utf-8")
    _refused([*base, "--new-sites", str(corrupt)], capsys, "--new-sites", "corrupt.geojson")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    _refused([*base, "--new-sites", str(empty)], capsys, "--new-sites", "no sites")


def test_coverage_refuses_an_output_that_is_a_file(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "report.txt"
    taken.write_text("keep me", encoding="utf-8")
    _refused(["coverage", str(workspace), "--out", str(taken)], capsys, "--out", "report.txt")
    assert taken.read_text(encoding="utf-8") == "keep me"


def test_tianditu_without_a_key_is_refused_before_writing(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("folium")
    for name in ("GRIDGOV_TIANDITU_KEY", "TIANDITU_KEY"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "cov"
    before = io.list_layers(workspace) if hasattr(io, "list_layers") else None
    _refused(
        ["coverage", str(workspace), "--basemap", "tianditu", "--out", str(out)],
        capsys,
        "GRIDGOV_TIANDITU_KEY",
    )
    assert not out.exists()
    if before is not None:
        assert io.list_layers(workspace) == before


def test_load_refuses_an_unknown_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    villages = tmp_path / "villages.geojson"
    tiny_workspace().villages.to_file(villages)
    target = tmp_path / "new.gpkg"
    argv = ["load", str(target), "--villages", str(villages), "--encoding", "klingon"]
    _refused(argv, capsys, "--encoding", "klingon")
    assert not target.exists()


def test_a_closed_pipe_is_not_a_traceback(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gridgov info --json | head -c 1`: the reader has gone when gridgov writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w", encoding="utf-8") as closed_pipe:
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        code = main(["info", str(workspace), "--json"])
        monkeypatch.undo()
    assert code == 141
    assert "Traceback" not in capsys.readouterr().err


def test_model_choices_are_the_models_consolidate_knows() -> None:
    import argparse

    from gridgov.cli import build_parser
    from gridgov.coverage.consolidate import MODELS

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    model = next(a for a in sub.choices["consolidate"]._actions if a.dest == "model")
    assert set(model.choices or ()) == set(MODELS)


def test_coverage_refuses_a_settings_file_with_a_bad_speed(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a speed <= 0 made coverage allocate until it died; exit 2 before any routing now
    bad = tmp_path / "bad.toml"
    bad.write_text("[speeds_kmh.ebike]\nvillage = -5.0\n", encoding="utf-8")
    out = tmp_path / "cov"
    argv = ["coverage", str(workspace), "--settings", str(bad), "--out", str(out)]
    _refused(argv, capsys, "bad.toml", "speeds_kmh.ebike.village", "-5")
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--target", "1000"], ["--target", "1000", "from 2 to 3"]),
        (["--target", "1"], ["--target", "1", "from 2 to 3"]),
        (["--target", "3", "--curve", "500-600"], ["--curve", "500-600", "from 2 to 3"]),
    ],
)
def test_consolidate_refuses_station_counts_the_county_cannot_have(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    named: list[str],
) -> None:
    # the tiny county has 3 stations, 2 kept by their tier
    out = tmp_path / "plan"
    cmd = ["consolidate", str(workspace), "--standard", "30min:ebike", "--deputy-min", "1"]
    err = _refused([*cmd, *argv, "--out", str(out), "--no-map"], capsys, *named)
    assert "deput" not in err
    assert not out.exists()
