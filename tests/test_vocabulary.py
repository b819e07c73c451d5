"""Columns and values by meaning: a planner's own headers and words load on the first try,
and what was derived from them is said."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
import pytest

from gridgov._errors import Problem
from gridgov._validate import NOTE, clean_layer, resolve_references
from gridgov._validate.vocabulary import match_value, norm_value, suggest_value
from gridgov.io import canonical_column
from gridgov.io._columns import LAT_ALIASES, LON_ALIASES, find_column, rename_columns
from gridgov.messages import use_lang
from gridgov.model import DeputyLevel, StationKind, StationTier, _Labelled
from gridgov.testing import tiny_workspace


def _notes(problems: Iterable[Problem]) -> list[str]:
    return [p.message for p in problems if p.severity == NOTE]


def _errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("layer", "header", "field"),
    [
        ("stations", "名称", "name"),
        ("stations", "站点名称", "name"),
        ("stations", "站名", "name"),
        ("stations", "Name", "name"),
        ("stations", "所属乡镇", "township_code"),
        ("stations", "乡镇", "township_code"),
        ("stations", "乡镇（街道）", "township_code"),
        ("stations", "所在村（社区）", "village_code"),
        ("stations", "编号", "station_id"),
        ("stations", "级别", "tier"),
        ("stations", "行业", "industry"),
        ("stations", "接待日", "reception_day"),
        ("villages", "所属乡镇", "township_code"),
        ("villages", "村（社区）名称", "name"),
        ("deputies", "姓名", "name"),
        ("deputies", "代表层级", "level"),
        ("deputies", "层级", "level"),
        ("deputies", "level", "level"),
        ("deputies", "代表级别", "level"),
        ("deputies", "所属联络站", "station_id"),
        ("deputies", "联络站", "station_id"),
        ("deputies", "站点", "station_id"),
        ("deputies", "联系电话", "phone"),
        ("grids", "联系人", "worker_name"),
        ("grids", "联系电话", "worker_phone"),
    ],
)
def test_headers_by_meaning(layer: str, header: str, field: str) -> None:
    assert canonical_column(layer, header) == field


def test_row_numbers_are_no_column() -> None:
    assert canonical_column("deputies", "序号") is None
    frame = pd.DataFrame({"序号": [1, 2], "姓名": ["张伟", "李娜"]})
    renamed = rename_columns(frame, "deputies", None)
    assert list(renamed.columns) == ["name"]
    assert renamed.attrs["source_columns"] == {"name": "姓名"}


@pytest.mark.parametrize("header", ["经度", "lon", "Longitude", "X", "经度（GCJ02）"])
def test_longitude_headers(header: str) -> None:
    assert find_column([header, "纬度"], None, LON_ALIASES, "经度") == header
    assert find_column([header, "纬度"], None, LAT_ALIASES, "纬度") == "纬度"


@pytest.mark.parametrize(
    ("enum", "words", "member"),
    [
        (
            DeputyLevel,
            ["镇人大代表", "乡人大代表", "乡镇人大代表", "乡镇级", "乡（镇）人大代表", "township"],
            DeputyLevel.TOWNSHIP,
        ),
        (DeputyLevel, ["县人大代表", "县级", "县（区）人大代表", "区人大代表"], DeputyLevel.COUNTY),
        (DeputyLevel, ["市人大代表", "市级", "市"], DeputyLevel.MUNICIPAL),
        (DeputyLevel, ["省人大代表", "省级", "省"], DeputyLevel.PROVINCIAL),
        (DeputyLevel, ["全国人大代表", "全国", "National"], DeputyLevel.NATIONAL),
        (StationTier, ["联络站", "站", "城关镇人大代表联络站", "行业联络站"], StationTier.STATION),
        (StationTier, ["联络点", "点", "代表联络点"], StationTier.POINT),
        (StationTier, ["代表工作室", "工作室"], StationTier.STUDIO),
        (StationKind, ["区域", "行业", "产业链"], None),
    ],
)
def test_values_by_meaning(
    enum: type[_Labelled], words: list[str], member: _Labelled | None
) -> None:
    for word in words:
        found = match_value(enum, word)
        assert found is not None, word
        if member is not None:
            assert found is member, word


def test_every_synonym_means_one_thing_per_vocabulary() -> None:
    for enum in (DeputyLevel, StationTier, StationKind):
        seen: dict[str, _Labelled] = {}
        for member in enum:
            for word in (member.value, member.label_zh, *member.aliases_zh):
                key = norm_value(word)
                assert seen.setdefault(key, member) is member, (enum.__name__, word)


def test_an_unknown_value_gets_the_nearest_suggestion() -> None:
    assert match_value(DeputyLevel, "镇代表") is None
    assert suggest_value(DeputyLevel, "镇代表") is DeputyLevel.TOWNSHIP
    ws = tiny_workspace()
    deputies = ws.deputies.iloc[:4].copy()
    deputies["level"] = deputies["level"].astype(object)
    deputies.loc[:, "level"] = ["镇人大代表", "县级", "镇代表", "乡（镇）人大代表"]
    with use_lang("zh"):
        cleaned, problems = clean_layer(deputies, "deputies")
    assert cleaned["level"].tolist() == ["township", "county", "镇代表", "township"]
    (bad,) = _errors(problems)
    assert bad.row == "D03" and bad.field == "level" and bad.value == "镇代表"
    assert "代表层级“镇代表”无法识别" in bad.message
    assert bad.suggestion == "乡镇人大代表"


def _stations(**columns: object) -> gpd.GeoDataFrame:
    ws = tiny_workspace()
    frame = pd.DataFrame({"站名": ws.stations["name"], "编号": ws.stations["station_id"]})
    for name, values in columns.items():
        frame[name] = values
    return gpd.GeoDataFrame(frame, geometry=ws.stations.geometry, crs=ws.stations.crs)


def test_a_type_column_is_read_by_its_values() -> None:
    tiers = rename_columns(
        _stations(类型=["联络站", "联络点", "代表工作室"]), "stations", "geometry"
    )
    kinds = rename_columns(_stations(类型=["区域", "区域", "行业"]), "stations", "geometry")
    both = rename_columns(
        _stations(类型=["区域", "区域", "行业"], 站点类型=["联络站", "联络点", "工作室"]),
        "stations",
        "geometry",
    )
    assert "tier" in tiers.columns and "kind" not in tiers.columns
    assert "kind" in kinds.columns and "tier" not in kinds.columns
    assert both["kind"].tolist() == ["区域", "区域", "行业"]
    assert both["tier"].tolist() == ["联络站", "联络点", "工作室"]
    with use_lang("zh"):
        _, problems = clean_layer(tiers, "stations")
    assert "stations：列“类型”按其取值识别为层级" in _notes(problems)


def test_kind_is_derived_from_tier_and_industry_and_said() -> None:
    frame = rename_columns(
        _stations(
            类型=["联络站", "产业链联络站", "代表工作室"],
            行业=[None, None, "芥菜"],
            所属乡镇=["430623101", "430623102", "430623101"],
        ),
        "stations",
        "geometry",
    )
    with use_lang("zh"):
        cleaned, problems = clean_layer(frame, "stations", label="stations.xlsx")
    assert cleaned["kind"].tolist() == ["regional", "industry", "industry"]
    assert cleaned["tier"].tolist() == ["station", "station", "studio"]
    (note,) = [n for n in _notes(problems) if "类别" in n]
    assert note.startswith("stations.xlsx：没有“类别”列") and "区域 1 个、行业 2 个" in note


def test_township_codes_from_names_and_from_where_stations_lie() -> None:
    ws = tiny_workspace()
    stations = ws.stations.copy()
    stations["township_code"] = ["章华镇", "万庾", None]  # name, name without 镇, empty
    stations = stations.drop(columns="village_code")
    cleaned, problems = clean_layer(stations, "stations")
    assert not _errors(problems)  # names are not code errors, an empty cell waits
    layers = {"townships": ws.townships, "stations": cleaned}
    with use_lang("zh"):
        resolved, found = resolve_references(layers, labels={"stations": "站点.xlsx"})
    assert resolved["stations"]["township_code"].tolist() == list(ws.stations["township_code"])
    notes = _notes(found)
    assert (
        "站点.xlsx：2 行的所属乡镇代码按乡镇（街道）名称对应到代码（如“章华镇”→ 430623101）"
        in notes
    )
    assert "站点.xlsx：1 行没有填所属乡镇代码，已按所在乡镇（街道）的范围推得" in notes
    assert not _errors(found)


def test_a_missing_township_column_is_derived_from_the_village_code() -> None:
    ws = tiny_workspace()
    villages = ws.villages.drop(columns="township_code")
    cleaned, problems = clean_layer(villages, "villages")
    assert not _errors(problems)
    resolved, found = resolve_references({"townships": ws.townships, "villages": cleaned})
    assert resolved["villages"]["township_code"].tolist() == ws.villages["township_code"].tolist()
    assert len(_notes(found)) == 1 and not _errors(found)


def test_an_ambiguous_name_is_an_error_naming_the_candidates() -> None:
    ws = tiny_workspace()
    stations = ws.stations.copy()
    stations["name"] = ["城关联络站", "城关联络站", "芥菜工作室"]
    deputies = ws.deputies.iloc[:4].copy()
    deputies["station_id"] = ["城关联络站", "芥菜工作室", "S02", None]
    with use_lang("zh"):
        resolved, found = resolve_references({"stations": stations, "deputies": deputies})
    assert resolved["deputies"]["station_id"].tolist()[1:3] == ["S03", "S02"]
    (error,) = _errors(found)
    assert error.row == "D01" and error.field == "station_id"
    assert "城关联络站（S01）" in error.message and "城关联络站（S02）" in error.message
    assert "所属站点按代表联络站点名称对应到编号" in _notes(found)[0]


def test_two_villages_of_one_name_are_told_apart_by_their_township() -> None:
    ws = tiny_workspace()
    villages = ws.villages.copy()
    villages["name"] = ["新建村", "胜峰村", "新建村", "团洲村"]
    stations = ws.stations.copy()
    stations["village_code"] = ["新建村", "团洲村", "胜峰"]
    resolved, found = resolve_references({"villages": villages, "stations": stations})
    assert resolved["stations"]["village_code"].tolist() == [
        "430623101001",
        "430623102202",
        "430623101201",
    ]
    assert not _errors(found)
