"""Basemaps: 天地图 needs a key and says how to set one; 高德 shifts overlays to GCJ-02."""

from __future__ import annotations

import numpy as np
import pytest

import maps
from gridgov.crs import haversine_m, wgs84_to_gcj02
from maps._layers import decode_coords
from maps._offline import render_html


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRIDGOV_TIANDITU_KEY", "TIANDITU_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_tianditu_without_a_key_says_how_to_set_one(demo_ws, demo_result, no_key_env) -> None:
    with pytest.raises(ValueError, match="GRIDGOV_TIANDITU_KEY") as err:
        maps.coverage_map(demo_ws, demo_result, basemap="天地图")
    assert "tianditu_key" in str(err.value)


def test_tianditu_key_from_environment_and_argument(
    demo_ws, demo_result, no_key_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIANDITU_KEY", "envkey123")
    html = render_html(maps.coverage_map(demo_ws, demo_result, basemap="tianditu"))
    assert "tk=envkey123" in html
    assert "vec_w" in html and "cva_w" in html  # vector tiles and their label layer
    assert maps.external_references(html) == []  # tile templates are data, not scripts
    html = render_html(
        maps.coverage_map(demo_ws, demo_result, basemap="tianditu", tianditu_key="argkey")
    )
    assert "tk=argkey" in html and "envkey123" not in html


def test_unknown_basemap_lists_the_choices(demo_ws, demo_result) -> None:
    with pytest.raises(ValueError, match="none, osm, tianditu, amap"):
        maps.coverage_map(demo_ws, demo_result, basemap="google")


def test_osm_basemap_is_a_tile_template(demo_ws, demo_result) -> None:
    html = render_html(maps.coverage_map(demo_ws, demo_result, basemap="osm"))
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert maps.external_references(html) == []


def _station_lonlat(layers, demo_result) -> tuple[np.ndarray, np.ndarray]:
    data, _ = layers["代表联络站点"]
    drawn = np.array([f["geometry"]["coordinates"] for f in data["features"]])
    assert len(drawn) == len(demo_result.stations)
    return drawn[:, 0], drawn[:, 1]


def _first_vertex(feature) -> np.ndarray:
    enc = feature["geometry"]["enc"]
    while not isinstance(enc, str):  # Polygon: rings; MultiPolygon: polygons of rings
        enc = enc[0]
    return decode_coords(enc)[0]


def test_amap_shifts_every_overlay_into_gcj02(demo_ws, demo_result, layers_of) -> None:
    st = demo_result.stations.geometry
    lon, lat = st.x.to_numpy(), st.y.to_numpy()
    gx, gy = wgs84_to_gcj02(lon, lat)

    plain = layers_of(render_html(maps.coverage_map(demo_ws, demo_result)))
    x, y = _station_lonlat(plain, demo_result)
    assert haversine_m(x, y, lon, lat).max() < 1.5  # drawn where the workspace has them

    amap = layers_of(render_html(maps.coverage_map(demo_ws, demo_result, basemap="高德")))
    x, y = _station_lonlat(amap, demo_result)
    assert haversine_m(x, y, gx, gy).max() < 1.5  # where 高德's tiles put them
    offset = haversine_m(x, y, lon, lat)
    assert offset.min() > 100 and offset.max() < 1000  # hundreds of metres

    # Village polygons move by the same offset (checked on the first vertex of each).
    v_plain, _ = plain["村（社区）通行时间"]
    v_amap, _ = amap["村（社区）通行时间"]
    a = np.array([_first_vertex(f) for f in v_plain["features"]])
    b = np.array([_first_vertex(f) for f in v_amap["features"]])
    ex, ey = wgs84_to_gcj02(a[:, 0], a[:, 1])
    assert haversine_m(b[:, 0], b[:, 1], ex, ey).max() < 1.5
