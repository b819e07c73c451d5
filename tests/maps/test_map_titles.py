"""The maps name the reach standard, and what the stations achieve under it, in large type.

A map is put up on a projector at a standing-committee meeting: the title block must say
"15分钟出门即可达标准（电动车）下：覆盖 170/225 个村（社区）（75.6%）" in letters read from
the back of the room, with every figure taken from the result drawn. A consolidation map
names both the standard it was planned at and the county's own reach standard, and a loss
of villages comes first.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

import maps
from gridgov.messages import use_lang
from maps._offline import render_html

_PANEL = re.compile(r'gridgov\.panel\(\w+, "topleft",\s*"gg-title",\s*("(?:[^"\\]|\\.)*")\);')
_CJK = re.compile(r"[\u3400-\u9fff]")


def _title(html: str) -> str:
    """The HTML of the title panel of a saved page."""
    match = _PANEL.search(html)
    assert match is not None, "no title panel"
    return str(json.loads(match.group(1)))


def _heads(title: str) -> list[str]:
    return re.findall(r'<div class="gg-head(?: gg-loss)?">(.*?)</div>', title)


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _county_check(plan: Any, *, lost: int) -> dict[str, Any]:
    """A county-standard judgement for the fixture plan: 15 minutes, losing ``lost``."""
    n = len(plan.villages)
    before = int(plan.villages["covered_before"].sum())
    return {
        "standard": "15min:ebike",
        "standard_label": "电动车15分钟",
        "same_as_plan": False,
        "villages_covered_before": before,
        "villages_covered_after": before - lost,
        "share_villages_covered_before": before / n,
        "share_villages_covered_after": (before - lost) / n,
        "share_population_covered_before": 0.87,
        "share_population_covered_after": 0.79,
        "villages_lost": lost,
        "villages_gained": 0,
        "lost": [],
    }


def test_coverage_title_states_standard_mode_and_coverage(demo_ws, demo_analysed) -> None:
    s = demo_analysed.summary
    title = _title(render_html(maps.coverage_map(demo_ws, demo_analysed)))
    heads = _heads(title)
    expected = (
        f"15分钟出门即可达标准（电动车）下：覆盖 {s['villages_covered']}/{s['n_villages']} "
        f"个村（社区）（{_pct(s['share_villages_covered'])}）"
    )
    assert heads == [expected]
    assert f"人口覆盖 {_pct(s['share_population_covered'])}" in title
    assert f"超出标准 {s['n_villages'] - s['villages_covered']} 个村（社区）" in title
    assert "测算：路网" in title


def test_a_distance_standard_is_named_in_kilometres(demo_ws, demo_result) -> None:
    from gridgov.coverage.standard import parse_standard

    result = dataclasses.replace(demo_result, standard=parse_standard("3km:road"))
    heads = _heads(_title(render_html(maps.coverage_map(demo_ws, result))))
    assert heads[0].startswith("3公里出门即可达标准（道路）下：覆盖 ")


def test_consolidation_title_names_both_standards_loss_first(demo_ws, fake_plan) -> None:
    plan_lost = int((fake_plan.villages["change"] == "lost").sum())
    assert plan_lost > 0
    county_lost = plan_lost + 7
    summary = {**fake_plan.summary, "county_standard": _county_check(fake_plan, lost=county_lost)}
    plan = dataclasses.replace(fake_plan, summary=summary)
    title = _title(render_html(maps.consolidation_map(demo_ws, plan)))
    heads = _heads(title)
    s = fake_plan.summary
    assert (
        heads[0]
        == f"站点 {s['stations_before']} → {s['stations_after']}（撤并 {s['closed']} 个，新设 1 个）"
    )
    # the county's standard loses more: it comes first, its loss before its figures
    assert heads[1:] == [
        "县定标准：15分钟出门即可达标准（电动车）",
        f"失去覆盖 {county_lost} 个村（社区）",
        "规划标准：15分钟出门即可达标准（电动车）",
        f"失去覆盖 {plan_lost} 个村（社区）",
    ]
    c = summary["county_standard"]
    county_line = (
        f"覆盖 {c['villages_covered_before']} → {c['villages_covered_after']} 个村（社区）"
        f"（{_pct(c['share_villages_covered_before'])} → {_pct(c['share_villages_covered_after'])}）"
    )
    assert county_line in title
    assert title.index(f"失去覆盖 {county_lost}") < title.index(county_line)


def test_the_standard_that_loses_villages_comes_first(demo_ws, fake_plan) -> None:
    summary = {**fake_plan.summary, "county_standard": _county_check(fake_plan, lost=0)}
    plan = dataclasses.replace(fake_plan, summary=summary)
    heads = _heads(_title(render_html(maps.consolidation_map(demo_ws, plan))))
    assert heads[1].startswith("规划标准：") and heads[2].startswith("失去覆盖 ")
    assert heads[3] == "县定标准：15分钟出门即可达标准（电动车）"
    assert len(heads) == 4  # no loss line under the county's standard


def test_at_the_county_standard_one_block_is_shown(demo_ws, fake_plan) -> None:
    check = _county_check(fake_plan, lost=0) | {"same_as_plan": True}
    plan = dataclasses.replace(fake_plan, summary={**fake_plan.summary, "county_standard": check})
    heads = _heads(_title(render_html(maps.consolidation_map(demo_ws, plan))))
    assert [h for h in heads if "标准：" in h] == ["县定标准：15分钟出门即可达标准（电动车）"]


def test_english_titles_have_no_chinese_but_the_county_name(demo_ws, demo_analysed, fake_plan):
    with use_lang("en"):
        cov = _title(render_html(maps.coverage_map(demo_ws, demo_analysed)))
        plan = _title(render_html(maps.consolidation_map(demo_ws, fake_plan)))
    s = demo_analysed.summary
    assert (
        f"At the 15 min reach standard (e-bike): {s['villages_covered']} of {s['n_villages']} "
        "villages within reach"
    ) in cov
    for title in (cov, plan):
        assert _CJK.findall(title.replace("华容县", "")) == [], title


_MEASURE = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var sizes = [];
    document.querySelectorAll(".gg-title .gg-head").forEach(function (e) {
      sizes.push(parseFloat(getComputedStyle(e).fontSize));
    });
    var out = document.createElement("pre");
    out.id = "gg-measured";
    out.textContent = JSON.stringify(sizes);
    document.body.appendChild(out);
  }, 200);
});
</script>"""


@pytest.mark.parametrize("which", ["coverage", "consolidation"])
def test_rendered_headline_is_large_on_screen(
    browse, demo_ws, demo_analysed, fake_plan, tmp_path: Path, which: str
) -> None:
    m = (
        maps.coverage_map(demo_ws, demo_analysed)
        if which == "coverage"
        else maps.consolidation_map(demo_ws, fake_plan)
    )
    page = tmp_path / "page.html"
    page.write_text(render_html(m).replace("</html>", _MEASURE + "</html>"), encoding="utf-8")
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    measured = re.search(r'<pre id="gg-measured">(.*?)</pre>', dom)
    assert measured is not None
    sizes = json.loads(measured.group(1))
    assert sizes and min(sizes) >= 20, sizes
