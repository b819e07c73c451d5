"""Domain types and the column schemas of every workspace layer.

The vocabulary of the field (DOMAIN.md) lives here: station tiers, deputy levels,
village kinds, road classes, issue states, and the 6/9/12-digit statistical division
codes. Values are stored in English (stable, code-friendly) and every enum carries its
Chinese label for user-facing output; :meth:`parse` accepts either.

A *workspace* is one GeoPackage with the layers in :data:`LAYERS`, geographic
coordinates in CGCS2000 (EPSG:4490). :class:`Workspace` is its in-memory form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from enum import StrEnum
from typing import Self

import geopandas as gpd

from gridgov._errors import ParameterError, Problem, ValidationError

#: Times shown to people: China Standard Time (UTC+8, Asia/Shanghai; no daylight saving,
#: so a fixed offset needs no time-zone database on a government PC).
CHINA_TIME = timezone(timedelta(hours=8), "CST")

__all__ = [
    "CHINA_TIME",
    "LAYERS",
    "REQUIRED_LAYERS",
    "Column",
    "DeputyLevel",
    "IssueStatus",
    "LayerSchema",
    "Rating",
    "RoadClass",
    "StationKind",
    "StationTier",
    "VillageKind",
    "Workspace",
    "admin_level",
    "is_admin_code",
]


class _Labelled(StrEnum):
    """A string enum with a Chinese label; parse() accepts the value or the label."""

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[type(self).__name__][self.value]

    @classmethod
    def parse(cls, value: object) -> Self:
        """Return the member whose value, name or Chinese label is ``value``.

        Raises
        ------
        ParameterError
            Naming the accepted values, if nothing matches (callers that know the
            argument's name re-raise it with that name).
        """
        text = str(value).strip()
        for member in cls:
            if text.lower() in (member.value, member.name.lower()) or text in member.aliases_zh:
                return member
        accepted = ", ".join(f"{m.value}/{m.label_zh}" for m in cls)
        raise ParameterError(
            f"{value!r} is not a {cls.__name__}; expected one of {accepted}", value=value
        )

    @property
    def aliases_zh(self) -> tuple[str, ...]:
        extra = _ALIASES_ZH.get(type(self).__name__, {}).get(self.value, ())
        return (self.label_zh, *extra)


class StationTier(_Labelled):
    """Tier of a deputy contact place (DOMAIN.md, Xinxiang's three tiers plus points)."""

    STATION = "station"  # 联络站: one per township, at the seat
    POINT = "point"  # 联络点: central village or community
    STUDIO = "studio"  # 代表工作室: branch, often an industry park
    POST = "post"  # 代表服务岗: a single deputy's post


class StationKind(_Labelled):
    """Regional stations serve a place; industry stations group deputies by industry."""

    REGIONAL = "regional"
    INDUSTRY = "industry"


class DeputyLevel(_Labelled):
    """The five levels (五级) of people's congress deputies, highest first."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"
    TOWNSHIP = "township"


class VillageKind(_Labelled):
    """Village-level unit: 行政村 (village committee) or 社区 (residents' committee)."""

    VILLAGE = "village"
    COMMUNITY = "community"


class RoadClass(_Labelled):
    """Road classes with distinct default speeds (settings.speeds_kmh)."""

    TRUNK = "trunk"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class IssueStatus(_Labelled):
    """States of an issue from whistle to closure (网格吹哨 → 群众评单)."""

    RAISED = "raised"
    LOCATED = "located"
    ASSIGNED = "assigned"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    RATED = "rated"
    CLOSED = "closed"


class Rating(_Labelled):
    """The resident's verdict on a resolved issue (群众评单); unsatisfied reopens it."""

    SATISFIED = "satisfied"
    BASIC = "basic"
    UNSATISFIED = "unsatisfied"


_LABELS_ZH: dict[str, dict[str, str]] = {
    "StationTier": {
        "station": "联络站",
        "point": "联络点",
        "studio": "代表工作室",
        "post": "代表服务岗",
    },
    "StationKind": {"regional": "区域", "industry": "行业"},
    "DeputyLevel": {
        "national": "全国人大代表",
        "provincial": "省人大代表",
        "municipal": "市人大代表",
        "county": "县人大代表",
        "township": "乡镇人大代表",
    },
    "VillageKind": {"village": "村", "community": "社区"},
    "RoadClass": {"trunk": "国省干线", "county": "县道", "township": "乡道", "village": "村道"},
    "IssueStatus": {
        "raised": "已吹哨",
        "located": "已定位",
        "assigned": "已交办",
        "dispatched": "已派单",
        "acknowledged": "已签收",
        "in_progress": "办理中",
        "resolved": "已办结",
        "rated": "已评价",
        "closed": "已关闭",
    },
    "Rating": {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"},
}

# Synonyms planners write (checked by tests/test_vocabulary.py); gridgov._validate.vocabulary
# matches them after NFKC, lower-casing and dropping brackets, so 乡（镇）人大代表 needs no entry.
_ALIASES_ZH: dict[str, dict[str, tuple[str, ...]]] = {
    "StationTier": {
        "station": (
            "代表联络站",
            "人大代表联络站",
            "站",
            "联络总站",
            "中心站",
            "中心联络站",
            "行业站",
            "行业联络站",
            "产业链联络站",
        ),
        "point": ("代表联络点", "人大代表联络点", "点", "联系点", "代表联系点"),
        "studio": ("代表工作室", "人大代表工作室", "工作室"),
        "post": ("代表服务岗", "服务岗", "岗", "代表岗"),
    },
    "StationKind": {
        "regional": ("区域站", "地域", "区域性", "地域性", "综合", "综合站", "片区"),
        "industry": (
            "行业站",
            "产业",
            "产业链",
            "行业性",
            "专业",
            "行业联络站",
            "产业链联络站",
        ),
    },
    "DeputyLevel": {
        "national": ("全国", "国家", "国家级", "全国级", "全国人大", "全国人民代表大会代表"),
        "provincial": (
            "省",
            "省级",
            "省人大",
            "省级人大代表",
            "自治区人大代表",
            "直辖市人大代表",
        ),
        "municipal": (
            "市",
            "市级",
            "市人大",
            "市级人大代表",
            "地级市",
            "设区的市",
            "州",
            "州人大代表",
            "地区",
        ),
        "county": (
            "县",
            "县级",
            "区",
            "区县",
            "县区",
            "县人大",
            "县级人大代表",
            "区人大代表",
            "县区人大代表",
            "区县人大代表",
            "县市区人大代表",
            "旗人大代表",
            "县级市人大代表",
        ),
        "township": (
            "乡",
            "镇",
            "乡镇",
            "乡级",
            "镇级",
            "乡镇级",
            "乡人大代表",
            "镇人大代表",
            "乡镇人大",
            "乡级人大代表",
            "镇级人大代表",
            "苏木人大代表",
        ),
    },
    "VillageKind": {
        "village": ("行政村", "村委会", "村民委员会"),
        "community": ("居委会", "居民委员会", "社区居委会"),
    },
    "RoadClass": {"trunk": ("国道", "省道", "干线"), "village": ("村组道路",)},
}


# --- administrative codes -------------------------------------------------------------

_CODE_LEVELS = {6: "county", 9: "township", 12: "village"}
_DIGITS = re.compile(r"^\d+$")


def is_admin_code(value: object, level: str | None = None) -> bool:
    """True if ``value`` is a 6/9/12-digit division code string (of ``level`` if given)."""
    if not isinstance(value, str) or not _DIGITS.match(value):
        return False
    found = _CODE_LEVELS.get(len(value))
    return found is not None and (level is None or found == level)


def admin_level(code: str) -> str:
    """Return ``"county"``, ``"township"`` or ``"village"`` for a division code.

    Raises
    ------
    ParameterError
        If ``code`` is not a 6, 9 or 12-digit string.
    """
    if not is_admin_code(code):
        raise ParameterError(
            f"{code!r} is not a 6, 9 or 12-digit division code", parameter="code", value=code
        )
    return _CODE_LEVELS[len(code)]


# --- layer schemas -----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``; ``code`` names the
    division level a code column must hold; ``enum`` names a :class:`_Labelled` enum
    the values must parse as; ``personal`` marks personal data that no public output
    may show.
    """

    name: str
    kind: str
    label_zh: str
    required: bool = True
    code: str | None = None
    enum: type[_Labelled] | None = None
    personal: bool = False
    unique: bool = False
    minimum: float | None = None


@dataclass(frozen=True)
class LayerSchema:
    """Schema of one workspace layer: geometry type, key column and attribute columns."""

    name: str
    label_zh: str
    geometry: tuple[str, ...]
    key: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)  # a bug: callers ask only for names the schema has

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def personal(self) -> list[str]:
        """Columns holding personal data (never shown to the public)."""
        return [c.name for c in self.columns if c.personal]


_POLY = ("Polygon", "MultiPolygon")
_POINT = ("Point",)
_LINE = ("LineString", "MultiLineString")

LAYERS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "county",
            "县域",
            _POLY,
            "code",
            (
                Column("code", "str", "区划代码", code="county", unique=True),
                Column("name", "str", "名称"),
            ),
        ),
        LayerSchema(
            "townships",
            "乡镇（街道）",
            _POLY,
            "code",
            (
                Column("code", "str", "区划代码", code="township", unique=True),
                Column("name", "str", "名称"),
                Column("seat_name", "str", "驻地", required=False),
                Column("seat_lon", "float", "驻地经度"),
                Column("seat_lat", "float", "驻地纬度"),
            ),
        ),
        LayerSchema(
            "villages",
            "村（社区）",
            _POLY,
            "code",
            (
                Column("code", "str", "区划代码", code="village", unique=True),
                Column("name", "str", "名称"),
                Column("township_code", "str", "所属乡镇代码", code="township"),
                Column("urban_rural_code", "str", "城乡分类代码"),
                Column("kind", "str", "类型", enum=VillageKind),
                Column("population", "int", "人口", minimum=0),
                Column("households", "int", "户数", minimum=0),
            ),
        ),
        LayerSchema(
            "settlements",
            "自然村",
            _POINT,
            "settlement_id",
            (
                Column("settlement_id", "str", "编号", unique=True),
                Column("name", "str", "名称", required=False),
                Column("village_code", "str", "所属村代码", code="village"),
                Column("population", "int", "人口", minimum=0),
            ),
        ),
        LayerSchema(
            "grids",
            "网格",
            _POLY,
            "code",
            (
                Column("code", "str", "网格编码", unique=True),
                Column("name", "str", "名称"),
                Column("village_code", "str", "所属村代码", code="village"),
                Column("households", "int", "户数", required=False, minimum=0),
                Column("population", "int", "人口", required=False, minimum=0),
                Column("worker_name", "str", "网格员", required=False, personal=True),
                Column("worker_phone", "str", "网格员电话", required=False, personal=True),
            ),
        ),
        LayerSchema(
            "stations",
            "代表联络站点",
            _POINT,
            "station_id",
            (
                Column("station_id", "str", "站点编号", unique=True),
                Column("name", "str", "名称"),
                Column("tier", "str", "层级", enum=StationTier),
                Column("kind", "str", "类别", enum=StationKind),
                Column("industry", "str", "行业", required=False),
                Column("township_code", "str", "所属乡镇代码", code="township"),
                Column("village_code", "str", "所在村代码", required=False, code="village"),
                Column("parent_station_id", "str", "上级站点", required=False),
                Column("reception_day", "str", "接待日", required=False),
                Column("annual_cost_yuan", "float", "年运行经费（元）", required=False, minimum=0),
                # an office's roster names whom to call: kept, never shown to the public
                Column("contact_name", "str", "联系人", required=False, personal=True),
                Column("contact_phone", "str", "联系电话", required=False, personal=True),
            ),
        ),
        LayerSchema(
            "deputies",
            "人大代表",
            _POINT,
            "deputy_id",
            (
                Column("deputy_id", "str", "代表编号", unique=True),
                Column("name", "str", "姓名"),
                Column("level", "str", "代表层级", enum=DeputyLevel),
                Column("specialty", "str", "专业/行业", required=False),
                Column("station_id", "str", "所属站点", required=False),
                Column("grid_codes", "str", "联系网格", required=False),
                Column("phone", "str", "电话", required=False, personal=True),
                Column("on_duty", "bool", "在岗", required=False),
            ),
        ),
        LayerSchema(
            "roads",
            "道路",
            _LINE,
            "road_id",
            (
                Column("road_id", "str", "道路编号", unique=True),
                Column("name", "str", "名称", required=False),
                Column("road_class", "str", "道路等级", enum=RoadClass),
                Column("speed_kmh", "float", "限速（公里/小时）", required=False, minimum=0),
            ),
        ),
    )
}

#: Layers every workspace must have; the others are optional.
REQUIRED_LAYERS: tuple[str, ...] = ("county", "townships", "villages", "stations")


@dataclass
class Workspace:
    """The layers of one county, each a GeoDataFrame in EPSG:4490 (or None if absent).

    ``meta`` holds workspace-level facts: county code and name, the projected CRS chosen
    for metric work, where the data came from.
    """

    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame | None = None
    grids: gpd.GeoDataFrame | None = None
    deputies: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers present, by name, in :data:`LAYERS` order."""
        out = {}
        for name in LAYERS:
            gdf = getattr(self, name)
            if gdf is not None:
                out[name] = gdf
        return out

    def counts(self) -> dict[str, int]:
        """Feature count per layer present (what ``gridgov info`` reports)."""
        return {name: len(gdf) for name, gdf in self.layers().items()}


def require_layer(ws: Workspace, name: str) -> gpd.GeoDataFrame:
    """Return layer ``name`` of ``ws`` or raise a ValidationError saying it is missing."""
    gdf = getattr(ws, name, None)
    if gdf is None:
        raise ValidationError(
            [Problem(name, None, None, None, f"the workspace has no {name} layer")],
            context="workspace",
        )
    return gdf
