"""The saved coverage map opens on an intranet: nothing is fetched, everything is labelled."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import pytest

import maps
from maps._offline import leaflet_assets


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if (tag, key) in (("script", "src"), ("link", "href"), ("img", "src")) and value:
                self.refs.append((tag, value))


def _refs(html: str) -> list[tuple[str, str]]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


@pytest.fixture(scope="module")
def demo_html(demo_ws, demo_result, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("map") / "coverage.html"
    written = maps.save_html(maps.coverage_map(demo_ws, demo_result), path)
    assert written == path
    return path.read_text(encoding="utf-8")


def test_saved_page_references_no_script_or_style_on_the_network(demo_html: str) -> None:
    assert _refs(demo_html) == []  # every script and style is inline
    assert maps.external_references(demo_html) == []
    assert "L.map(" in demo_html and "leaflet-container" in demo_html  # Leaflet inlined


def test_without_a_basemap_the_page_holds_no_url_at_all(demo_html: str) -> None:
    # Leaflet's own source names its SVG namespace and home page; nothing else may.
    js, css = leaflet_assets()
    rest = demo_html.replace(js, "").replace(css, "")
    assert re.findall(r"https?://\S{0,40}", rest) == []


def test_title_and_legend_are_in_chinese_with_the_headline(demo_ws, demo_html, demo_result):
    title = re.search(r"<title>(.*?)</title>", demo_html)
    assert title is not None
    assert "华容县" in title.group(1) and "电动车15分钟" in title.group(1)
    assert "直线估算" in title.group(1)  # the fixture's method, as every report states it
    for text in ("≤5分钟", "5–10分钟", "10–15分钟", "超出标准", "联络站", "联络点", "代表工作室"):
        assert text in demo_html
    share = demo_result.summary["share_villages_covered"] * 100
    assert f"{share:.1f}%" in demo_html
    assert f"{demo_result.summary['population']:,}" in demo_html
    assert demo_ws.villages["name"].iloc[0] in demo_html  # village tooltips


def test_analysed_demo_states_the_network_method_and_is_light(demo_ws, demo_analysed) -> None:
    html = maps.render_html(maps.coverage_map(demo_ws, demo_analysed))
    assert maps.external_references(html) == []
    assert "测算：路网" in html
    assert f"{demo_analysed.summary['share_population_covered'] * 100:.1f}%" in html
    size = len(html.encode("utf-8"))
    assert size < 450_000, f"the demo county page is {size / 1e3:.0f} kB"
    js, css = leaflet_assets()
    data = html.replace(js, "").replace(css, "")
    long_numbers = re.findall(r"\d+\.\d{6,}", data)
    assert long_numbers == [], f"coordinates not rounded: {long_numbers[:5]}"


def test_save_html_makes_any_folium_map_self_contained(tmp_path: Path) -> None:
    m = folium.Map(location=[29.5, 112.5], zoom_start=9, tiles=None)
    folium.Marker([29.5, 112.5], popup=folium.Popup("<b>三封寺镇</b>")).add_to(m)
    m._repr_html_()  # a notebook display first adds CDN links to the page header
    html = maps.save_html(m, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert _refs(html) == []
    # folium's html popups call jQuery: it is inlined too, not fetched.
    assert "$(" in html.replace(leaflet_assets()[0], "")
    assert "jQuery v3" in html


def test_icon_font_markers_are_refused(tmp_path: Path) -> None:
    m = folium.Map(location=[29.5, 112.5], tiles=None)
    folium.Marker([29.5, 112.5], icon=folium.Icon(icon="flag")).add_to(m)
    with pytest.raises(ValueError, match="awesome-markers"):
        maps.save_html(m, tmp_path / "icons.html")
