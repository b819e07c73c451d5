"""`gridgov consolidate` end to end on the demo county: files, figures, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from gridgov import io, synth
from gridgov.cli import main


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "huarong.gpkg"
    io.write_workspace(synth.demo_county(), path)
    return path


def test_plan_97_to_52_keeps_everyone_coverable_and_writes_everything(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan"
    code = main(["consolidate", str(workspace), "--target", "52", "--standard", "25min:ebike",
                 "--curve", "40,52,60", "--out", str(out), "--no-map", "--json"])  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    s = payload["summary"]
    assert (s["stations_before"], s["stations_after"], s["stations_closed"]) == (97, 52, 45)
    assert s["stations_kept_must"] == 18  # 14 township stations + 4 studios
    assert s["villages_lost"] == 0 and s["proven_optimal"]
    assert s["annual_saving_yuan"] > 0
    for key in ("report", "absorb_csv", "json", "curve_png", "curve_csv", "workspace"):
        assert Path(payload["files"][key]).stat().st_size > 0
    absorb = pd.read_csv(payload["files"]["absorb_csv"], encoding="utf-8-sig")
    assert len(absorb) == 45 and absorb["并入站点编号"].notna().all()
    sheets = pd.read_excel(payload["files"]["report"], sheet_name=None)
    assert {"概况", "调整前后对比", "撤并去向", "站点数权衡", "代表编组"} <= set(sheets)
    layers = io.list_layers(workspace) if hasattr(io, "list_layers") else None
    if layers is not None:
        assert "plan_absorb" in layers


def test_too_few_stations_for_full_coverage_is_exit_2_and_writes_nothing(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = hashlib.sha256(workspace.read_bytes()).hexdigest()
    out = tmp_path / "plan"
    code = main(["consolidate", str(workspace), "--target", "52", "--standard", "15min:ebike",
                 "--curve", "none", "--out", str(out), "--no-map"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "at least 72" in err
    assert not out.exists()
    assert hashlib.sha256(workspace.read_bytes()).hexdigest() == before


def test_unknown_station_id_is_named(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["consolidate", str(workspace), "--keep", "NOPE-1", "--curve", "none",
                 "--out", str(tmp_path / "x"), "--no-map"])  # fmt: skip
    assert code == 2
    assert "NOPE-1" in capsys.readouterr().err
