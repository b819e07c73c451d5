"""The one-page brief a county leader is handed, printed by headless Chromium.

``gridgov consolidate --brief`` writes ``consolidation-brief.html`` and its PDF beside the
workbook. It must be one A4 page, say the plan under the county's own standard first and
hold the same headline figures as ``consolidation.json``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from gridgov import io, synth
from gridgov.cli import main

_A4_PT = (595.0, 842.0)


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    root = tmp_path_factory.mktemp("brief")
    workspace = root / "county.gpkg"
    io.write_workspace(synth.synth_county(seed=7, n_villages=40), workspace)
    out = root / "plan"
    # planned at a relaxed standard: the brief must say what it loses at the county's
    args = ["consolidate", str(workspace), "--target", "9", "--standard", "25min:ebike"]
    rc = main([*args, "--curve", "8,9,11", "--no-map", "--brief", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))["summary"]
    return {"out": out, "summary": summary}


def _text(pdf: Path) -> str:
    # CJK fonts map some characters to Kangxi radicals in extracted text: compare figures
    return re.sub(r"\s+", " ", PdfReader(pdf).pages[0].extract_text())


def test_brief_is_one_a4_page(brief: dict[str, Any]) -> None:
    pdf = brief["out"] / "consolidation-brief.pdf"
    raw = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page[^s]", raw)) == 1
    page = PdfReader(pdf).pages[0]
    size = (float(page.mediabox.width), float(page.mediabox.height))
    assert size == pytest.approx(_A4_PT, abs=2)


def test_brief_holds_the_headline_figures(brief: dict[str, Any]) -> None:
    s = brief["summary"]
    c = s["county_standard"]
    got = _text(brief["out"] / "consolidation-brief.pdf")
    for figure in (
        f"{s['stations_before']} → {s['stations_after']}",
        f"{s['annual_saving_yuan']:,}",
        f"{c['share_population_covered_before']:.1%}",
        f"{c['share_population_covered_after']:.1%}",
        f"{s['mean_travel_s_after'] / 60:.1f}",
    ):
        assert figure in got, figure
    html = (brief["out"] / "consolidation-brief.html").read_text(encoding="utf-8")
    # the county standard is named in the large line under the title, with the loss
    standard_line = re.search(r'<p class="standard">(.*?)</p>', html)
    assert standard_line is not None
    assert c["standard_label"] in standard_line.group(1)
    assert f"失去覆盖 {c['villages_lost']} 个" in standard_line.group(1)
    # nothing is fetched when printed: the map and curve are inlined
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') == 2


def test_an_english_brief_has_no_chinese_but_names(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    ws = synth.synth_county(seed=7, n_villages=40)
    workspace = tmp_path / "county.gpkg"
    io.write_workspace(ws, workspace)
    out = tmp_path / "plan-en"
    args = ["--lang", "en", "consolidate", str(workspace), "--target", "9", "--standard",
            "25min:ebike", "--curve", "none", "--no-map", "--brief", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    html = (out / "consolidation-brief.html").read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>|data:image/png;base64,[^\"]+", " ", html)
    # the county's own names (villages, stations, townships, the county) may stay Chinese
    names = {str(v) for layer in (ws.villages, ws.stations, ws.townships, ws.county)
             for col in ("name", "station_name") if col in layer for v in layer[col]}  # fmt: skip
    for name in sorted(names, key=len, reverse=True):
        body = body.replace(name, " ")
    cjk = re.findall(r"[\u3400-\u9fff]+", body)
    assert cjk == [], cjk[:10]
    assert "25 min e-bike" in html or "25 min" in html
