"""The consolidation map: before and after on one offline page, drawn by real Chromium."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import maps
from gridgov.coverage.standard import parse_standard
from gridgov.crs import haversine_m, wgs84_to_gcj02
from maps._layers import decode_coords
from maps._offline import leaflet_assets, render_html
from maps.consolidation import LOST_COLOUR

PIL = pytest.importorskip("PIL.Image", reason="pillow reads the screenshot")

Layer = tuple[dict[str, Any], dict[str, Any]]


def _counts(plan) -> dict[str, int]:
    st, v = plan.stations, plan.villages
    new = st["new_site"].astype(bool)
    kept = st["kept"].astype(bool)
    return {
        "villages": len(v),
        "lost": int((v["change"] == "lost").sum()),
        "gained": int((v["change"] == "gained").sum()),
        "kept": int((kept & ~new).sum()),
        "new": int(new.sum()),
        "closed": int((~kept & ~new).sum()),
        "before": int((~new).sum()),
    }


def _layer(view: list[Layer], css_class: str) -> Layer:
    """The overlay of a view whose first style carries ``css_class``."""
    for data, options in view:
        first = options["styles"][0]
        if css_class in (first.get("className", "") + " " + first.get("icon", "")).split():
            return data, options
    raise AssertionError(f"no layer drawn with {css_class}")


@pytest.fixture(scope="module")
def plan_html(demo_ws, fake_plan) -> str:
    return render_html(maps.consolidation_map(demo_ws, fake_plan))


@pytest.fixture(scope="module")
def pages(demo_ws, fake_plan, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("consolidation")
    return {
        "after": maps.save_html(maps.consolidation_map(demo_ws, fake_plan), folder / "after.html"),
        "before": maps.save_html(
            maps.consolidation_map(demo_ws, fake_plan, view="调整前"), folder / "before.html"
        ),
        # 高德 tiles cannot load here: the overlays must not care.
        "amap": maps.save_html(
            maps.consolidation_map(demo_ws, fake_plan, basemap="amap"), folder / "amap.html"
        ),
    }


# --- the page, read as HTML -------------------------------------------------------------


def test_saved_page_references_nothing_on_the_network(pages) -> None:
    html = pages["after"].read_text(encoding="utf-8")
    assert maps.external_references(html) == []
    assert re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=", html) == []
    js, css = leaflet_assets()
    assert js in html  # Leaflet inlined
    rest = html.replace(js, "").replace(css, "")
    assert re.findall(r"https?://\S{0,40}", rest) == []


def _control(html: str) -> dict[str, str]:
    """The layer control's overlays: name -> variable, in order."""
    block = re.search(r"overlays :\s*\{(.*?)\}", html, re.S)
    assert block is not None
    entries = re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*(\w+),', block.group(1))
    return {json.loads(name): var for name, var in entries}


def test_before_and_after_are_two_toggles_with_after_on(plan_html, views_of) -> None:
    assert list(views_of(plan_html)) == ["调整前", "调整后"]
    control = _control(plan_html)
    # Member overlays are toggled through their view, not listed one by one.
    assert list(control) == ["调整前", "调整后", "乡镇界", "县界", "乡镇名称"]
    # Only the view shown at opening is added to the map.
    added = set(re.findall(r"(\w+)\.addTo\(map_\w+\)", plan_html))
    assert control["调整后"] in added and control["调整前"] not in added


def test_after_view_draws_every_village_station_and_absorb_line(
    plan_html, views_of, fake_plan
) -> None:
    n = _counts(fake_plan)
    after = views_of(plan_html)["调整后"]
    villages, v_opts = _layer(after, "gg-v")
    assert len(villages["features"]) == n["villages"]
    styles = [v_opts["styles"][f["properties"]["s"]]["className"] for f in villages["features"]]
    assert styles.count("gg-v gg-lost") == n["lost"] > 0
    assert styles.count("gg-v gg-gained") == n["gained"] > 0
    lines, _ = _layer(after, "gg-absorb")
    assert len(lines["features"]) == len(fake_plan.absorb) == n["closed"]
    closed, _ = _layer(after, "gg-closed")
    assert len(closed["features"]) == n["closed"]
    kept, k_opts = _layer(after, "gg-kept")
    icons = [k_opts["styles"][f["properties"]["s"]]["icon"] for f in kept["features"]]
    assert icons.count("gg-sym gg-new") == n["new"] == 1
    assert len(icons) == n["kept"] + n["new"]


def test_before_view_shows_the_villages_and_stations_as_they_are(
    plan_html, views_of, fake_plan
) -> None:
    before = views_of(plan_html)["调整前"]
    villages, opts = _layer(before, "gg-v-before")
    gap = len(opts["styles"]) - 1
    assert opts["styles"][gap]["fillColor"].startswith("url(#")
    drawn_gaps = sum(f["properties"]["s"] == gap for f in villages["features"])
    assert drawn_gaps == int((~fake_plan.villages["covered_before"].astype(bool)).sum())
    stations, _ = _layer(before, "gg-before")
    assert len(stations["features"]) == _counts(fake_plan)["before"]


def test_popups_say_decision_reason_and_before_after_figures(
    demo_ws, plan_html, views_of, fake_plan
) -> None:
    after = views_of(plan_html)["调整后"]
    closed, options = _layer(after, "gg-closed")
    assert options["popRows"][:5] == ["层级", "所属乡镇", "调整", "理由", "并入"]
    # Names repeat across townships; check stations that a name identifies.
    st = fake_plan.stations.drop_duplicates("name", keep=False).set_index("name")
    card = next(
        f["properties"]["p"] for f in closed["features"] if f["properties"]["p"][0] in st.index
    )
    row = st.loc[card[0]]
    town = demo_ws.townships.set_index("code").loc[row["township_code"], "name"]
    assert card[2] == town
    assert card[3] == "撤并" and card[4] == row["reason"]
    assert card[5].startswith(row["absorbed_by_name"])
    assert card[6] == f"{row['deputies_before']} → 0名"
    assert card[7] == f"{row['population_before']:,} → 0人"

    kept, _ = _layer(after, "gg-kept")
    named = [f for f in kept["features"] if f["properties"]["p"][0] in st.index]
    busiest = max(named, key=lambda f: st.loc[f["properties"]["p"][0], "deputies_after"])
    card = busiest["properties"]["p"]
    row = st.loc[card[0]]
    assert card[3].startswith("保留")
    assert card[6] == f"{row['deputies_before']} → {row['deputies_after']}名"
    assert row["deputies_after"] > row["deputies_before"]  # it absorbed a closed station

    lines, l_opts = _layer(after, "gg-absorb")
    assert l_opts["popRows"][0] == "并入"
    first = fake_plan.absorb.iloc[0]
    card = lines["features"][0]["properties"]["p"]
    assert card[0] == f"撤并：{first['closed_name']}" and card[1] == first["into_name"]
    assert card[3:] == [
        f"{first['n_villages']}个",
        f"{first['n_grids']}个",
        f"{first['n_deputies']}名",
        f"{first['population']:,}人",
    ]


def test_lost_villages_say_so_in_their_tooltip(plan_html, views_of, fake_plan) -> None:
    villages, opts = _layer(views_of(plan_html)["调整后"], "gg-v")
    lost = [
        f
        for f in villages["features"]
        if opts["styles"][f["properties"]["s"]]["className"].endswith("lost")
    ]
    assert len(lost) == _counts(fake_plan)["lost"]
    assert all("失去覆盖" in f["properties"]["t"][-1] for f in lost)
    assert opts["tipRows"] == ["乡镇", "人口", "调整前", "调整后"]


def test_title_and_legend_give_the_headline_in_chinese(demo_ws, plan_html, fake_plan) -> None:
    s = fake_plan.summary
    title = re.search(r"<title>(.*?)</title>", plan_html)
    assert title is not None and "华容县" in title.group(1) and "电动车15分钟" in title.group(1)
    assert f"{s['stations_before']} → {s['stations_after']}" in plan_html
    before, after = s["share_villages_covered_before"], s["share_villages_covered_after"]
    assert f"{before * 100:.1f}% → {after * 100:.1f}%" in plan_html
    assert f"{s['annual_saving_yuan']:,}元" in plan_html
    for text in ("≤5分钟", "超出标准", "调整后失去覆盖", "调整后新获覆盖", "撤并站点", "新设站点"):
        assert text in plan_html


def test_summary_keys_are_optional_except_the_saving(demo_ws, fake_plan) -> None:
    bare = dataclasses.replace(fake_plan, summary={})
    html = render_html(maps.consolidation_map(demo_ws, bare))
    s = fake_plan.summary
    assert f"{s['stations_before']} → {s['stations_after']}" in html
    assert f"{s['share_villages_covered_after'] * 100:.1f}%" in html
    assert "节约" not in html


def test_a_distance_standard_bins_villages_in_kilometres(demo_ws, fake_plan, views_of) -> None:
    plan = dataclasses.replace(fake_plan, standard=parse_standard("3km:road"))
    html = render_html(maps.consolidation_map(demo_ws, plan))
    assert "村（社区）通行距离" in html and "≤1公里" in html and "2–3公里" in html
    villages, opts = _layer(views_of(html)["调整前"], "gg-v-before")
    gap = len(opts["styles"]) - 1
    drawn_gaps = sum(f["properties"]["s"] == gap for f in villages["features"])
    assert drawn_gaps == int((~plan.villages["covered_before"].astype(bool)).sum())


def test_page_is_light_and_rounded(plan_html) -> None:
    size = len(plan_html.encode("utf-8"))
    assert size < 500_000, f"the demo county page is {size / 1e3:.0f} kB"
    js, css = leaflet_assets()
    data = plan_html.replace(js, "").replace(css, "")
    long_numbers = re.findall(r"\d+\.\d{6,}", data)
    assert long_numbers == [], f"coordinates not rounded: {long_numbers[:5]}"


def test_amap_shifts_stations_and_lines_into_gcj02(
    demo_ws, fake_plan, plan_html, pages, views_of
) -> None:
    amap = views_of(pages["amap"].read_text(encoding="utf-8"))["调整后"]
    plain = views_of(plan_html)["调整后"]
    a = np.array([f["geometry"]["coordinates"] for f in _layer(plain, "gg-kept")[0]["features"]])
    b = np.array([f["geometry"]["coordinates"] for f in _layer(amap, "gg-kept")[0]["features"]])
    gx, gy = wgs84_to_gcj02(a[:, 0], a[:, 1])
    assert haversine_m(b[:, 0], b[:, 1], gx, gy).max() < 1.5
    offset = haversine_m(b[:, 0], b[:, 1], a[:, 0], a[:, 1])
    assert offset.min() > 100 and offset.max() < 1000
    line_a = decode_coords(_layer(plain, "gg-absorb")[0]["features"][0]["geometry"]["enc"])
    line_b = decode_coords(_layer(amap, "gg-absorb")[0]["features"][0]["geometry"]["enc"])
    ex, ey = wgs84_to_gcj02(line_a[:, 0], line_a[:, 1])
    assert haversine_m(line_b[:, 0], line_b[:, 1], ex, ey).max() < 1.5


def test_bad_options_and_incomplete_plans_are_refused(demo_ws, fake_plan) -> None:
    with pytest.raises(ValueError, match="view"):
        maps.consolidation_map(demo_ws, fake_plan, view="sideways")
    with pytest.raises(ValueError, match="simplify_m"):
        maps.consolidation_map(demo_ws, fake_plan, simplify_m=float("nan"))
    with pytest.raises(ValueError, match="none, osm, tianditu, amap"):
        maps.consolidation_map(demo_ws, fake_plan, basemap="google")
    broken = dataclasses.replace(
        fake_plan,
        stations=fake_plan.stations.drop(columns=["decision", "kept"]),
        absorb=fake_plan.absorb.drop(columns=["into_id"]),
    )
    with pytest.raises(ValueError, match="stations lacks kept, decision") as err:
        maps.consolidation_map(demo_ws, broken)
    assert "absorb lacks into_id" in str(err.value)


# --- the page, drawn by headless Chromium with the network cut off ----------------------


def _dom_counts(dom: str) -> dict[str, int]:
    def n(pattern: str) -> int:
        return len(re.findall(pattern, dom))

    return {
        "villages": n(r'<path class="gg-v[ "]'),
        "lost": n(r'<path class="gg-v gg-lost'),
        "gained": n(r'<path class="gg-v gg-gained'),
        "absorb": n(r'<path class="gg-absorb'),
        "kept": n(r'class="leaflet-marker-icon gg-sym gg-kept'),
        "new": n(r'class="leaflet-marker-icon gg-sym gg-new'),
        "closed": n(r'class="leaflet-marker-icon gg-sym gg-closed'),
        "villages_before": n(r'<path class="gg-v-before'),
        "before": n(r'class="leaflet-marker-icon gg-sym gg-before'),
    }


@pytest.mark.parametrize("basemap", ["none", "amap"])
def test_rendered_after_view_has_villages_stations_lines_and_legend(
    browse, pages, fake_plan, tmp_path, basemap
) -> None:
    page = pages["after" if basemap == "none" else "amap"]
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    n = _counts(fake_plan)
    drawn = _dom_counts(dom)
    assert drawn == {
        "villages": n["villages"],
        "lost": n["lost"],
        "gained": n["gained"],
        "absorb": n["closed"],
        "kept": n["kept"],
        "new": n["new"],
        "closed": n["closed"],
        "villages_before": 0,
        "before": 0,
    }
    legend = re.search(r'<div class="gg-panel gg-legend[^>]*>(.*?)</div></div>', dom, re.S)
    assert legend is not None and "调整后失去覆盖" in legend.group(1)
    title = re.search(r'<div class="gg-panel gg-title[^>]*>(.*?)</div></div>', dom, re.S)
    assert title is not None and "华容县" in title.group(1)


def test_rendered_before_view_has_every_existing_station(
    browse, pages, fake_plan, tmp_path
) -> None:
    drawn = _dom_counts(browse(pages["before"], tmp_path / "profile", "--dump-dom"))
    n = _counts(fake_plan)
    assert drawn["villages_before"] == n["villages"] and drawn["before"] == n["before"]
    assert drawn["villages"] == drawn["absorb"] == drawn["kept"] == drawn["closed"] == 0


_CLICK_BEFORE = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    document.querySelectorAll(".leaflet-control-layers-overlays label").forEach(function (l) {
      if (l.textContent.trim() === "调整前") { l.querySelector("input").click(); }
    });
  }, 200);
});
</script>"""


def _ticked(dom: str) -> dict[str, bool]:
    labels = re.findall(r"<label>(.*?)</label>", dom, re.S)
    return {
        re.sub(r"<[^>]+>", "", lab).strip(): 'checked=""' in lab
        for lab in labels
        if "leaflet-control-layers-selector" in lab
    }


def test_ticking_before_in_the_layer_control_unticks_after(
    browse, pages, fake_plan, tmp_path
) -> None:
    html = pages["after"].read_text(encoding="utf-8")
    page = tmp_path / "click.html"
    page.write_text(html.replace("</html>", _CLICK_BEFORE + "</html>"), encoding="utf-8")
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    drawn = _dom_counts(dom)
    assert drawn["villages_before"] == len(fake_plan.villages)
    assert drawn["villages"] == drawn["absorb"] == drawn["kept"] == 0
    ticked = _ticked(dom)
    assert ticked["调整前"] and not ticked["调整后"] and ticked["县界"]


def _lost_pixels(img: np.ndarray) -> int:
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(((r - g > 70) & (b - g > 70) & (np.abs(r - b) < 45) & (g < 90)).sum())


def test_screenshots_show_lost_villages_after_and_not_before(
    browse, pages, fake_plan, tmp_path
) -> None:
    shots = {}
    for view in ("after", "before"):
        shot = tmp_path / f"{view}.png"
        browse(pages[view], tmp_path / f"profile-{view}", f"--screenshot={shot}")
        shots[view] = np.asarray(PIL.open(shot).convert("RGB")).astype(int)
    img = shots["after"]
    assert img.shape[0] >= 900 and img.shape[1] >= 1400
    assert len({tuple(p) for p in img[::4, ::4].reshape(-1, 3)}) > 100, "nearly blank"
    # The cross-hatch of the villages that lose coverage, in the after view only.
    rgb = np.array([int(LOST_COLOUR[i : i + 2], 16) for i in (1, 3, 5)])
    assert _lost_pixels(rgb[None, None, :]) == 1
    assert _counts(fake_plan)["lost"] > 0
    lost_after, lost_before = _lost_pixels(img), _lost_pixels(shots["before"])
    assert lost_after > 3000, f"only {lost_after} lost-purple pixels"
    assert lost_before < lost_after / 20, f"{lost_before} lost-purple pixels before the plan"
    r, g, b = (shots["before"][..., i] for i in range(3))
    assert ((r > 170) & (r - g > 110) & (r - b > 110)).sum() > 2000  # gaps before, in red


def test_real_consolidation_plan_draws(demo_ws, views_of) -> None:
    """The map of a plan from :func:`gridgov.coverage.consolidate`, once it is there."""
    try:
        from gridgov.coverage.consolidate import consolidate
    except ImportError:
        pytest.skip("gridgov.coverage.consolidate is not there yet")
    try:
        # p-median: the demo county needs more than 52 stations to keep full coverage.
        plan = consolidate(demo_ws, target=52, model="p-median")
    except NotImplementedError:
        pytest.skip("gridgov.coverage.consolidate is not implemented yet")
    html = render_html(maps.consolidation_map(demo_ws, plan))
    assert maps.external_references(html) == []
    n = _counts(plan)
    after = views_of(html)["调整后"]
    assert len(_layer(after, "gg-v")[0]["features"]) == n["villages"]
    assert len(_layer(after, "gg-closed")[0]["features"]) == n["closed"] > 0
    assert len(_layer(after, "gg-absorb")[0]["features"]) == n["closed"]
    assert len(_layer(after, "gg-kept")[0]["features"]) == n["kept"] + n["new"]
    assert f"{plan.summary['stations_before']} → {plan.summary['stations_after']}" in html
