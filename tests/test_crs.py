"""GCJ-02 / BD-09 conversions and the Gauss-Kruger zone choice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import prcoords
import pytest
from shapely.geometry import Point

from gridgov import crs
from gridgov._errors import CRSError


def _china_sample(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.6, 134.9, n), rng.uniform(18.2, 53.4, n)


def test_gcj02_round_trip_is_sub_millimetre_over_china() -> None:
    lon, lat = _china_sample(50_000)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert crs.haversine_m(lon, lat, *back).max() < 0.001


def test_bd09_round_trip_is_sub_millimetre_over_china() -> None:
    lon, lat = _china_sample(50_000, seed=8)
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    assert crs.haversine_m(lon, lat, *back).max() < 0.001


@pytest.mark.parametrize(
    ("ours", "reference", "source_is_wgs"),
    [
        (crs.wgs84_to_gcj02, prcoords.wgs_gcj, True),
        (crs.wgs84_to_bd09, prcoords.wgs_bd, True),
        (crs.gcj02_to_wgs84, prcoords.gcj_wgs_bored, False),
        (crs.bd09_to_wgs84, prcoords.bd_wgs_bored, False),
    ],
)
def test_agrees_with_prcoords_within_half_a_metre(ours, reference, source_is_wgs) -> None:  # type: ignore[no-untyped-def]
    lon, lat = _china_sample(2_000, seed=11)
    if not source_is_wgs:  # feed real offset coordinates to the inverse
        lon, lat = (crs.wgs84_to_gcj02 if ours is crs.gcj02_to_wgs84 else crs.wgs84_to_bd09)(
            lon, lat
        )
    got_lon, got_lat = ours(lon, lat)
    ref = np.array([reference((b, a)) for a, b in zip(lon, lat, strict=True)])
    err = crs.haversine_m(got_lon, got_lat, ref[:, 1], ref[:, 0])
    assert err.max() <= 0.5


def test_gcj02_offset_is_hundreds_of_metres_in_china_and_zero_abroad() -> None:
    # Huarong county seat: AMap shifts it by a few hundred metres.
    glon, glat = crs.wgs84_to_gcj02([112.54], [29.53])
    shift = crs.haversine_m([112.54], [29.53], glon, glat)[0]
    assert 100 < shift < 1000
    # Paris is outside the GCJ box and is returned unchanged.
    assert crs.wgs84_to_gcj02([2.35], [48.85]) == (np.array([2.35]), np.array([48.85]))


def test_to_cgcs2000_names_unknown_system() -> None:
    with pytest.raises(CRSError, match="mars"):
        crs.to_cgcs2000([112.5], [29.5], "mars")
    assert crs.normalise_source("AMap") == "gcj02"
    assert crs.normalise_source("Baidu") == "bd09"


def test_swapped_and_outside_china() -> None:
    assert crs.looks_swapped([29.5], [112.5]).tolist() == [True]
    assert crs.looks_swapped([112.5], [29.5]).tolist() == [False]
    assert crs.in_china([2.35], [48.85]).tolist() == [False]


def test_gauss_kruger_zone_for_huarong_is_4547() -> None:
    assert crs.gk3_epsg(112.6) == 4547
    gdf = gpd.GeoDataFrame(geometry=[Point(112.6, 29.5)], crs=crs.CGCS2000)
    assert crs.projected_crs_for(gdf).to_epsg() == 4547
    with pytest.raises(CRSError):
        crs.gk3_epsg(10.0)


def test_require_projected_refuses_degrees() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(112.6, 29.5)], crs=crs.CGCS2000)
    with pytest.raises(CRSError, match="project it first"):
        crs.require_projected(gdf)
    projected = crs.to_projected(gdf)
    crs.require_projected(projected)
    assert projected.index.equals(gdf.index)
