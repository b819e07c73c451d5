"""What the map says: station popups, village classes, and no personal data anywhere."""

from __future__ import annotations

import re

import numpy as np
import pytest

import maps
from gridgov.coverage.standard import parse_standard
from maps._offline import render_html


@pytest.fixture(scope="module")
def deputies_html(demo_ws, demo_result) -> str:
    return render_html(maps.coverage_map(demo_ws, demo_result, show_deputies=True))


def test_station_popup_gives_tier_township_deputies_reception_and_population(
    demo_ws, demo_result, layers_of
) -> None:
    data, options = layers_of(render_html(maps.coverage_map(demo_ws, demo_result)))["代表联络站点"]
    assert options["popRows"] == [
        "层级",
        "所属乡镇",
        "驻站代表",
        "接待日",
        "服务人口",
        "服务村（社区）",
    ]
    st = demo_result.stations
    i = int(np.argmax(st["population_served"].to_numpy()))
    row = st.iloc[i]
    card = data["features"][i]["properties"]["p"]
    town = demo_ws.townships.set_index("code").loc[row["township_code"], "name"]
    assert card[0] == row["name"]
    assert card[1].startswith("联络") or card[1].startswith("代表")
    assert card[2] == town
    assert card[3].startswith(f"{row['n_deputies']}名") and row["deputies_by_level"] in card[3]
    assert card[4] == row["reception_day"]
    assert card[5] == f"{row['population_served']:,}人"


def test_gap_villages_are_drawn_red_and_said_to_be_beyond_the_standard(
    demo_ws, demo_result, layers_of
) -> None:
    data, options = layers_of(render_html(maps.coverage_map(demo_ws, demo_result)))[
        "村（社区）通行时间"
    ]
    gap_style = len(options["styles"]) - 1
    assert options["styles"][gap_style]["fillColor"].startswith("url(#")
    drawn_gaps = [f for f in data["features"] if f["properties"]["s"] == gap_style]
    assert len(drawn_gaps) == demo_result.summary["n_gaps"]
    assert all("超出标准" in f["properties"]["t"][-1] for f in drawn_gaps)


def test_legend_classes_follow_the_standard() -> None:
    labels = [c.label for c in maps.travel_classes(parse_standard("15min:ebike"))]
    assert labels == ["≤5分钟", "5–10分钟", "10–15分钟", "超出标准"]
    labels = [c.label for c in maps.travel_classes(parse_standard("3km:road"))]
    assert labels == ["≤1公里", "1–2公里", "2–3公里", "超出标准"]


def test_no_phone_numbers_or_grid_workers_on_the_map(demo_ws, deputies_html) -> None:
    phones = set(demo_ws.deputies["phone"].dropna()) | set(demo_ws.grids["worker_phone"].dropna())
    assert phones, "the demo county has phone numbers to leak"
    assert not [p for p in phones if p in deputies_html]
    assert re.search(r"\b1\d{2}-?\d{4}-?\d{4}\b", deputies_html) is None
    for word in ("电话", "手机", "网格员", "phone"):
        assert word not in deputies_html


def test_deputies_are_drawn_only_on_request_and_never_at_their_door(
    demo_ws, demo_result, deputies_html, layers_of
) -> None:
    plain = layers_of(render_html(maps.coverage_map(demo_ws, demo_result)))
    assert not any(name.startswith("人大代表") for name in plain)
    layers = layers_of(deputies_html)
    name = next(n for n in layers if n.startswith("人大代表"))
    feats = layers[name][0]["features"]
    assert len(feats) == len(demo_ws.deputies)
    coords = np.array([f["geometry"]["coordinates"] for f in feats])
    assert np.allclose(coords, np.round(coords, 3))  # about 100 m, not a house
    assert "全国人大代表" in deputies_html and "乡镇人大代表" in deputies_html


def test_bad_options_are_refused(demo_ws, demo_result) -> None:
    with pytest.raises(ValueError, match="simplify_m"):
        maps.coverage_map(demo_ws, demo_result, simplify_m=-5)
