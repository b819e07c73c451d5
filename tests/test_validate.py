"""Workspace validation: every problem found, named by layer, row, field and value."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from gridgov import crs
from gridgov._errors import Problem, ValidationError
from gridgov._validate import clean_layer, clean_workspace, coerce_values, validate_workspace
from gridgov.messages import use_lang
from gridgov.model import Workspace
from gridgov.settings import Settings
from gridgov.testing import (
    TINY_PROJECTED_CRS,
    assert_layer_schema,
    assert_valid_workspace,
    tiny_workspace,
)


@pytest.fixture(autouse=True, scope="module")
def _english() -> Iterator[None]:
    """These tests read the English messages (the Chinese ones: tests/test_messages.py)."""
    with use_lang("en"):
        yield


def _find(
    problems: Iterable[Problem],
    *,
    layer: str | None = None,
    row: int | str | None = None,
    field: str | None = None,
    text: str | None = None,
    severity: str | None = None,
) -> list[Problem]:
    return [
        p
        for p in problems
        if (layer is None or p.layer == layer)
        and (row is None or p.row == row)
        and (field is None or p.field == field)
        and (text is None or text in p.message)
        and (severity is None or p.severity == severity)
    ]


def _errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _at(ws: Workspace, dx_m: float, dy_m: float) -> Point:
    """A point ``dx_m, dy_m`` metres from the south-west corner of the tiny county."""
    x0, y0, _, _ = ws.county.to_crs(TINY_PROJECTED_CRS).total_bounds
    moved = gpd.GeoSeries([Point(x0 + dx_m, y0 + dy_m)], crs=TINY_PROJECTED_CRS)
    return moved.to_crs(crs.CGCS2000).iloc[0]


def _set(gdf: gpd.GeoDataFrame, pos: int, column: str, value: object) -> gpd.GeoDataFrame:
    out = gdf.copy()
    if column in ("code", "township_code", "village_code", "name", "kind", "industry"):
        out[column] = out[column].astype(object)
    out.iloc[pos, out.columns.get_loc(column)] = value
    return out


def test_tiny_workspace_is_valid_and_every_layer_matches_its_schema() -> None:
    ws = tiny_workspace()
    assert_valid_workspace(ws, allow_warnings=False)
    for name, gdf in ws.layers().items():
        assert_layer_schema(gdf, name)


def test_validation_does_not_modify_its_input() -> None:
    ws = tiny_workspace()
    villages = _set(ws.villages, 0, "kind", "社区")
    before = villages.copy()
    fixed, _ = clean_workspace(replace(ws, villages=villages))
    pd.testing.assert_frame_equal(villages, before)
    assert fixed.villages["kind"].iloc[0] == "community"


def test_duplicate_village_code_names_both_rows() -> None:
    ws = tiny_workspace()
    villages = _set(ws.villages, 1, "code", "430623101001")
    _, problems = clean_workspace(replace(ws, villages=villages))
    dup = _find(problems, layer="villages", field="code", text="duplicate")
    assert len(dup) == 1
    assert dup[0].row == 1 and dup[0].value == "430623101001"
    assert "rows 0 and 1" in dup[0].message
    assert "城关社区" in dup[0].message and "胜峰村" in dup[0].message


def test_codes_must_nest_under_their_parents() -> None:
    ws = tiny_workspace()
    villages = _set(ws.villages, 1, "code", "430623102999")  # township 101 in its column
    villages = _set(villages, 2, "township_code", "430623109")  # no such township
    townships = _set(ws.townships, 1, "code", "430624102")  # another county
    _, problems = clean_workspace(replace(ws, villages=villages, townships=townships))
    errors = _errors(problems)
    assert _find(errors, layer="villages", row="430623102999", text="township_code 430623101")
    assert _find(errors, layer="villages", field="township_code", text="430623109")
    assert _find(errors, layer="townships", row="430624102", text="county code 430623")
    # The villages of the moved township now point at a township that does not exist.
    assert _find(errors, layer="villages", field="township_code", text="430623102 is not")


def test_code_formats_and_excel_damage() -> None:
    ws = tiny_workspace()
    villages = _set(ws.villages, 0, "code", 430623101001.0)  # Excel made it a number
    villages = _set(villages, 1, "code", "43062310120")  # a digit short
    villages = _set(villages, 2, "code", "4.30623E+11")  # Excel scientific notation
    villages = _set(villages, 3, "township_code", "４３０６２３１０２")  # full-width digits
    fixed, problems = clean_workspace(replace(ws, villages=villages))
    assert fixed.villages["code"].iloc[0] == "430623101001"
    assert fixed.villages["township_code"].iloc[3] == "430623102"
    assert _find(problems, layer="villages", row="43062310120", text="12-digit village")
    sci = _find(problems, layer="villages", field="code", text="scientific notation")
    assert len(sci) == 1 and sci[0].value == "4.30623E+11"
    assert not _find(problems, row="430623101001")


def test_value_kinds_minimums_required_and_enums() -> None:
    ws = tiny_workspace()
    villages = ws.villages.astype({"population": object, "households": object})
    villages.loc[0, "population"] = "很多"
    villages.loc[1, "population"] = -5
    villages.loc[2, "households"] = 12.5
    villages = _set(villages, 3, "name", None)
    villages = _set(villages, 0, "kind", "村落")
    villages = _set(villages, 1, "kind", "社区")
    fixed, problems = clean_workspace(replace(ws, villages=villages))
    assert _find(problems, row="430623101001", field="population", text="not a number")
    assert _find(problems, row="430623101201", field="population", text="at least 0")
    assert _find(problems, row="430623102001", field="households", text="whole number")
    assert _find(problems, row="430623102202", field="name", text="required")
    bad_kind = _find(problems, row="430623101001", field="kind")
    assert bad_kind and bad_kind[0].value == "村落"
    assert "village/村" in bad_kind[0].message and "community/社区" in bad_kind[0].message
    assert fixed.villages["kind"].iloc[1] == "community"


def test_missing_required_column_is_named_with_its_chinese_label() -> None:
    ws = tiny_workspace()
    _, problems = clean_workspace(replace(ws, villages=ws.villages.drop(columns="households")))
    missing = _find(problems, layer="villages", field="households", text="is missing")
    assert missing and "户数" in missing[0].message


def test_missing_and_wrong_crs() -> None:
    ws = tiny_workspace()
    no_crs = ws.villages.set_crs(None, allow_override=True)
    projected = ws.grids.to_crs(TINY_PROJECTED_CRS)
    _, problems = clean_workspace(replace(ws, villages=no_crs, grids=projected))
    assert _find(problems, layer="villages", text="missing CRS")
    assert _find(problems, layer="grids", text="EPSG:4490")


def _bowtie(ws: Workspace) -> Polygon:
    a, b, c, d = (
        _at(ws, 1000, 1000),
        _at(ws, 4000, 4000),
        _at(ws, 4000, 1000),
        _at(ws, 1000, 4000),
    )
    return Polygon([(a.x, a.y), (b.x, b.y), (c.x, c.y), (d.x, d.y)])


def test_geometry_missing_empty_wrong_type_and_invalid() -> None:
    ws = tiny_workspace()
    villages = ws.villages.copy()
    villages.loc[0, "geometry"] = None
    villages.loc[1, "geometry"] = Polygon()
    villages.loc[2, "geometry"] = _at(ws, 7000, 7000)
    villages.loc[3, "geometry"] = _bowtie(ws)
    _, problems = clean_workspace(replace(ws, villages=villages))
    assert _find(problems, row="430623101001", field="geometry", text="missing")
    assert _find(problems, row="430623101201", field="geometry", text="empty")
    wrong = _find(problems, row="430623102001", field="geometry", text="Polygon or MultiPolygon")
    assert wrong and wrong[0].value == "Point"
    invalid = _find(problems, row="430623102202", field="geometry", severity="error")
    assert invalid and "Self-intersection" in invalid[0].message


def test_fix_repairs_a_bowtie_and_reports_a_warning() -> None:
    ws = tiny_workspace()
    villages = ws.villages.copy()
    villages.loc[3, "geometry"] = _bowtie(ws)
    fixed, problems = clean_workspace(replace(ws, villages=villages), fix=True)
    assert not _errors(problems)
    repaired = _find(problems, row="430623102202", text="repaired", severity="warning")
    assert repaired and "Self-intersection" in str(repaired[0].value)
    geom = fixed.villages.geometry.iloc[3]
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and geom.area > 0


def test_features_outside_the_county_beyond_the_tolerance() -> None:
    ws = tiny_workspace()
    settlements = ws.settlements.copy()
    settlements.loc[0, "geometry"] = _at(ws, -2000, 5000)  # 2 km west of the county
    settlements.loc[1, "geometry"] = _at(ws, -300, 5000)  # 300 m: inside the tolerance
    roads = ws.roads.copy()
    roads.loc[0, "geometry"] = LineString([_at(ws, 5000, 5000), _at(ws, 13_000, 5000)])
    _, problems = clean_workspace(replace(ws, settlements=settlements, roads=roads))
    far = _find(problems, layer="settlements", row="ST01", field="geometry", severity="error")
    assert len(far) == 1 and "2,000 m outside the county" in far[0].message
    assert not _find(problems, layer="settlements", row="ST02", text="outside the county")
    road = _find(problems, layer="roads", row="R1", text="3,000 m outside")
    assert road and road[0].severity == "warning"  # roads may leave the county

    strict = Settings(outside_tolerance_m=100.0)
    _, problems = clean_workspace(replace(ws, settlements=settlements), settings=strict)
    assert _find(problems, layer="settlements", row="ST02", text="300 m outside")


def test_stations_must_lie_in_a_township_and_should_lie_in_their_own() -> None:
    ws = tiny_workspace()
    stations = ws.stations.copy()
    stations.loc[0, "geometry"] = _at(ws, -200, 5000)  # just outside the county edge
    stations.loc[1, "geometry"] = _at(ws, 2000, 2000)  # inside 章华镇, claims 万庾镇
    _, problems = clean_workspace(replace(ws, stations=stations))
    nowhere = _find(problems, layer="stations", row="S01", text="not inside any township")
    assert nowhere and nowhere[0].severity == "error" and "lon=" in str(nowhere[0].value)
    elsewhere = _find(problems, layer="stations", row="S02", field="township_code")
    assert elsewhere and elsewhere[0].severity == "warning"
    assert "章华镇" in elsewhere[0].message and "430623102" in elsewhere[0].message


def test_industry_station_must_name_its_industry() -> None:
    ws = tiny_workspace()
    stations = _set(ws.stations, 2, "industry", None)
    _, problems = clean_workspace(replace(ws, stations=stations))
    assert _find(problems, layer="stations", row="S03", field="industry", severity="error")


def test_deputies_must_point_at_known_stations_and_grids() -> None:
    ws = tiny_workspace()
    deputies = _set(ws.deputies, 0, "station_id", "S99")
    deputies = _set(deputies, 1, "grid_codes", "43062310100101、G-404;G-405")
    _, problems = clean_workspace(replace(ws, deputies=deputies))
    assert _find(problems, layer="deputies", row="D01", field="station_id", text="S99")
    grids = _find(problems, layer="deputies", row="D02", field="grid_codes")
    assert len(grids) == 1 and "G-404, G-405" in grids[0].message
    assert "43062310100101" not in grids[0].message


def test_grids_and_settlements_must_name_known_villages() -> None:
    ws = tiny_workspace()
    grids = _set(ws.grids, 0, "village_code", "430623101999")
    settlements = _set(ws.settlements, 0, "village_code", "430623101998")
    _, problems = clean_workspace(replace(ws, grids=grids, settlements=settlements))
    assert _find(problems, layer="grids", field="village_code", text="430623101999")
    assert _find(problems, layer="settlements", row="ST01", text="430623101998")


def test_swapped_and_out_of_china_coordinates() -> None:
    ws = tiny_workspace()
    deputies = ws.deputies.copy()
    deputies.loc[0, "geometry"] = Point(29.5, 112.5)
    deputies.loc[1, "geometry"] = Point(2.35, 48.85)  # Paris
    _, problems = clean_workspace(replace(ws, deputies=deputies))
    swapped = _find(problems, layer="deputies", row="D01", text="swapped")
    assert swapped and swapped[0].value == "lon=29.500000, lat=112.500000"
    assert _find(problems, layer="deputies", row="D02", text="outside China")


def test_missing_required_layer() -> None:
    ws = tiny_workspace()
    broken = replace(ws, townships=None)  # type: ignore[arg-type]
    _, problems = clean_workspace(broken)
    assert _find(problems, layer="townships", text="no townships layer")
    # Without townships the stations cannot be checked against them: no flood of errors.
    assert not _find(problems, layer="stations")


def test_validate_workspace_raises_with_every_problem_and_returns_the_warnings() -> None:
    ws = tiny_workspace()
    villages = _set(ws.villages, 1, "code", "430623101001")  # a duplicate: an error
    with pytest.raises(ValidationError) as caught:
        validate_workspace(replace(ws, villages=villages), context="county.gpkg")
    assert caught.value.context == "county.gpkg"
    assert _find(caught.value.problems, layer="villages", field="code", text="duplicate")
    fixed, warnings = validate_workspace(ws)
    assert all(p.severity == "warning" for p in warnings)
    assert fixed.villages["code"].tolist() == ws.villages["code"].tolist()


def test_clean_layer_reports_under_the_label_it_is_given() -> None:
    gdf = tiny_workspace().villages
    gdf = _set(gdf, 0, "kind", "村落")
    _, problems = clean_layer(gdf, "villages", label="villages.csv")
    assert problems and {p.layer for p in problems} == {"villages.csv"}


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=110_000_000_000, max_value=659_999_999_999))
def test_twelve_digit_codes_survive_excel_number_types(code: int) -> None:
    frame = pd.DataFrame({"code": [code, float(code), f"{code}.0", f" {code} "]})
    cleaned, problems = coerce_values(frame, "villages")
    assert not problems
    assert cleaned["code"].tolist() == [str(code)] * 4


def _large_workspace(nx: int = 200, ny: int = 100, deputies: int = 90_000) -> Workspace:
    """20,000 villages in 100 townships, 60,000 grids, 1,000 stations, 90,000 deputies."""
    cell = 500.0
    centre = gpd.GeoSeries([Point(112.5, 29.5)], crs=crs.CGCS2000).to_crs(TINY_PROJECTED_CRS)
    x0 = centre.x.iloc[0] - nx * cell / 2
    y0 = centre.y.iloc[0] - ny * cell / 2
    ix, iy = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
    n = ix.size
    town = (iy // 10) * (nx // 20) + ix // 20
    n_town = (nx // 20) * (ny // 10)
    t_codes = np.array([f"430623{100 + i:03d}" for i in range(n_town)])
    v_codes = np.char.add(
        t_codes[town], np.char.zfill(((iy % 10) * 20 + ix % 20 + 1).astype(str), 3)
    )

    def frame(data: dict[str, object], geoms: object) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=geoms, crs=TINY_PROJECTED_CRS).to_crs(crs.CGCS2000)

    tx, ty = np.arange(n_town) % (nx // 20), np.arange(n_town) // (nx // 20)
    t_geoms = shapely.box(
        x0 + tx * 20 * cell,
        y0 + ty * 10 * cell,
        x0 + (tx + 1) * 20 * cell,
        y0 + (ty + 1) * 10 * cell,
    )
    seats = gpd.GeoSeries(shapely.centroid(t_geoms), crs=TINY_PROJECTED_CRS).to_crs(crs.CGCS2000)
    gi = np.repeat(np.arange(n), 3)
    gk = np.tile(np.arange(3), n)
    g_codes = np.char.add(v_codes[gi], np.char.zfill(gk.astype(str), 2))
    rng = np.random.default_rng(1)
    sv = rng.choice(n, n_town * 10, replace=False)
    s_ids = np.char.add("S", np.char.zfill(np.arange(sv.size).astype(str), 5))
    dv = rng.integers(0, sv.size, deputies)
    return Workspace(
        county=frame(
            {"code": ["430623"], "name": ["大县"]},
            [shapely.box(x0, y0, x0 + nx * cell, y0 + ny * cell)],
        ),
        townships=frame(
            {
                "code": t_codes,
                "name": t_codes,
                "seat_lon": seats.x.to_numpy(),
                "seat_lat": seats.y.to_numpy(),
            },
            t_geoms,
        ),
        villages=frame(
            {
                "code": v_codes,
                "name": v_codes,
                "township_code": t_codes[town],
                "urban_rural_code": "220",
                "kind": "village",
                "population": 1000,
                "households": 300,
            },
            shapely.box(x0 + ix * cell, y0 + iy * cell, x0 + (ix + 1) * cell, y0 + (iy + 1) * cell),
        ),
        grids=frame(
            {"code": g_codes, "name": "网格", "village_code": v_codes[gi]},
            shapely.box(
                x0 + ix[gi] * cell + gk * cell / 3,
                y0 + iy[gi] * cell,
                x0 + ix[gi] * cell + (gk + 1) * cell / 3,
                y0 + (iy[gi] + 1) * cell,
            ),
        ),
        stations=frame(
            {
                "station_id": s_ids,
                "name": s_ids,
                "tier": "point",
                "kind": "regional",
                "township_code": t_codes[town[sv]],
                "village_code": v_codes[sv],
            },
            shapely.points(x0 + (ix[sv] + 0.5) * cell, y0 + (iy[sv] + 0.5) * cell),
        ),
        deputies=frame(
            {
                "deputy_id": np.char.add("D", np.char.zfill(np.arange(deputies).astype(str), 6)),
                "name": "代表",
                "level": "township",
                "station_id": s_ids[dv],
                "grid_codes": g_codes[sv[dv] * 3],
            },
            shapely.points(x0 + (ix[sv[dv]] + 0.3) * cell, y0 + (iy[sv[dv]] + 0.3) * cell),
        ),
    )


@pytest.mark.slow
def test_a_province_sized_workspace_validates_in_seconds() -> None:
    ws = _large_workspace()
    assert ws.counts()["villages"] == 20_000 and ws.counts()["deputies"] == 90_000
    deputies = _set(ws.deputies, 12_345, "station_id", "S99999")
    t0 = time.perf_counter()
    _, problems = clean_workspace(replace(ws, deputies=deputies))
    seconds = time.perf_counter() - t0
    assert [p.row for p in _errors(problems)] == ["D012345"]
    assert seconds < 15, f"validation took {seconds:.1f} s"
