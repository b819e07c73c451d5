"""Real headless Chromium, network cut off: the saved page draws every layer by itself."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import maps
from maps.coverage import GAP_COLOUR

PIL = pytest.importorskip("PIL.Image", reason="pillow reads the screenshot")


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


@pytest.fixture(scope="module")
def pages(demo_ws, demo_analysed, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("render")
    return {
        "none": maps.save_html(maps.coverage_map(demo_ws, demo_analysed), folder / "none.html"),
        # 高德 tiles cannot load here: the overlays must not care.
        "amap": maps.save_html(
            maps.coverage_map(demo_ws, demo_analysed, basemap="amap"), folder / "amap.html"
        ),
    }


@pytest.mark.parametrize("basemap", ["none", "amap"])
def test_rendered_page_has_villages_stations_and_legend(
    browse, pages, demo_analysed, tmp_path, basemap
) -> None:
    dom = browse(pages[basemap], tmp_path / "profile", "--dump-dom")
    n_paths = len(re.findall(r'<path class="leaflet-interactive"', dom))
    assert n_paths >= len(demo_analysed.villages), f"only {n_paths} village shapes drawn"
    n_symbols = len(re.findall(r'class="leaflet-marker-icon gg-sym', dom))
    assert n_symbols == len(demo_analysed.stations)
    legend = re.search(r'<div class="gg-panel gg-legend[^>]*>(.*?)</div></div>', dom, re.S)
    assert legend is not None and "超出标准" in legend.group(1)
    assert "华容县" in dom and "leaflet-control-layers" in dom


def test_screenshot_is_a_map_with_red_gaps(browse, pages, demo_analysed, tmp_path) -> None:
    shot = tmp_path / "coverage.png"
    browse(pages["none"], tmp_path / "profile", f"--screenshot={shot}")
    img = np.asarray(PIL.open(shot).convert("RGB")).astype(int)
    assert img.shape[0] >= 900 and img.shape[1] >= 1400
    colours = {tuple(p) for p in img[::4, ::4].reshape(-1, 3)}
    assert len(colours) > 100, "the screenshot is (nearly) blank"
    background = np.bincount(
        (img[..., 0] * 65536 + img[..., 1] * 256 + img[..., 2]).ravel()
    ).max() / (img.shape[0] * img.shape[1])
    assert background < 0.8, "the map covers too little of the window"
    # The hatch's red stripes, whatever the blending with the ground beneath.
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    red = (r > 170) & (r - g > 110) & (r - b > 110)
    assert _rgb(GAP_COLOUR)[0] - _rgb(GAP_COLOUR)[1] > 110
    assert demo_analysed.summary["n_gaps"] > 0
    assert red.sum() > 2000, f"only {red.sum()} gap-red pixels"
