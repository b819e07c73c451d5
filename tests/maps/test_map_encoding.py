"""Coordinates and text survive the trip into the page exactly as drawn."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from maps._layers import decode_coords, encode_coords, js_json

_lonlat = st.tuples(st.floats(73.0, 136.0), st.floats(3.0, 54.0))


@given(st.lists(_lonlat, min_size=1, max_size=50))
def test_encoded_coordinates_decode_to_the_metre(points: list[tuple[float, float]]) -> None:
    coords = np.array(points)
    back = decode_coords(encode_coords(coords))
    assert back.shape == coords.shape
    assert np.abs(back - coords).max() <= 0.5e-5 + 1e-9  # rounded to 5 decimals, ~1 m


@given(st.text(max_size=30))
def test_any_name_is_safe_in_the_page_script(name: str) -> None:
    # A village named "{{x}}" or "</script>" must neither break folium's templating nor
    # end the script early, and must read back unchanged.
    text = js_json({"t": name})
    assert "</" not in text and "{{" not in text and "{%" not in text and "{#" not in text
    assert json.loads(text) == {"t": name}
