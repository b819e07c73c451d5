"""Column recognition: which schema column a planner's header stands for.

Headers come in Chinese or English, with units in brackets, full-width characters, and
names a DBF cut to 10 bytes. Every header is normalised once (:func:`norm_header`) and
looked up in one table per layer built from the schema itself plus the synonyms planners
write (:func:`column_aliases`: 站名/站点名称 for a station's name, 所属乡镇/乡镇（街道） for
its township, 所属联络站 for a deputy's station...), so a new schema column is recognised
without touching this file. A header that means different things in different files
(类型: a station's tier 联络站/联络点, or its kind 区域/行业) is read by its values; a row
number column (序号) is dropped. What was decided is left on the frame for the notes
(:mod:`gridgov._validate.source`).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import pandas as pd

from gridgov._validate.source import IGNORED_COLUMNS, MATCHED_BY_VALUES, SOURCE_COLUMNS
from gridgov._validate.vocabulary import share_matching
from gridgov.model import LAYERS

__all__ = [
    "IGNORED_HEADERS",
    "LAT_ALIASES",
    "LON_ALIASES",
    "WKT_ALIASES",
    "canonical_column",
    "column_aliases",
    "find_column",
    "norm_header",
    "rename_columns",
]

log = logging.getLogger(__name__)


LON_ALIASES = (
    "经度",
    "lon",
    "lng",
    "long",
    "longitude",
    "x",
    "point_x",
    "东经",
    "gps经度",
    "经度坐标",
    "坐标经度",
    "x坐标",
    "坐标x",
)
LAT_ALIASES = (
    "纬度",
    "lat",
    "latitude",
    "y",
    "point_y",
    "北纬",
    "gps纬度",
    "纬度坐标",
    "坐标纬度",
    "y坐标",
    "坐标y",
)
WKT_ALIASES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "边界", "范围")
#: Headers of row-number columns: the order of a printed list, no data of a feature.
IGNORED_HEADERS = ("序号", "序", "编号序号", "no", "行号", "xh")
# Aliases that cannot be derived from the schema's names and Chinese labels, by column name.
_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "代码",
        "编码",
        "区划代码",
        "行政区划代码",
        "统计用区划代码",
        "区划编码",
        "adcode",
        "ad_code",
        "gbcode",
        "xzqdm",
        "xzqhdm",
        "qhdm",
    ),
    "name": ("名称", "mc", "name", "名字"),
    # a township column may hold codes or names (章华镇): names are matched to codes later
    "township_code": (
        "乡镇代码",
        "乡镇编码",
        "所属乡镇",
        "乡镇区划代码",
        "town_code",
        "xzdm",
        "乡镇",
        "所属街道",
        "街道",
        "镇街",
        "所属镇街",
        "乡镇街道",
        "所属乡镇街道",
        "乡镇名称",
        "所属乡镇名称",
        "所在乡镇",
        "township",
        "town",
    ),
    "village_code": (
        "村代码",
        "村编码",
        "所属村",
        "村社区代码",
        "所在村",
        "cjdm",
        "村",
        "村名",
        "村名称",
        "村居",
        "所属村居",
        "村社区",
        "所属社区",
        "所在社区",
        "行政村",
        "所属行政村",
        "所在村社区",
        "village",
    ),
    "urban_rural_code": ("城乡分类", "城乡代码", "城乡属性", "urban_rural", "cxfldm"),
    "population": ("人口数", "总人口", "户籍人口", "常住人口", "pop", "人口数量"),
    "households": ("总户数", "户", "hh", "户数量"),
    "kind": ("类别", "类型", "type"),
    "seat_name": ("驻地名称", "seat"),
    "seat_lon": ("驻地x",),
    "seat_lat": ("驻地y",),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话", "联系方式", "tel", "mobile"),
    # personal: the schema marks them so, and nothing public shows them
    "contact_name": ("联系人", "负责人", "站长", "联络员"),
    "contact_phone": ("联系电话", "电话", "手机", "手机号", "联系方式"),
    "worker_name": ("网格员姓名", "网格长"),
    "worker_phone": ("网格员手机", "网格员联系电话"),
    "on_duty": ("是否在岗", "在岗状态"),
    "road_class": ("等级", "公路等级", "道路类型", "class", "highway", "fclass"),
    "speed_kmh": ("限速", "速度", "设计速度", "maxspeed", "speed"),
    "annual_cost_yuan": ("经费", "运行经费", "年经费", "年度经费", "年运行经费"),
    "parent_station_id": ("上级站点编号", "上级", "parent", "上级站点", "上级联络站"),
    "reception_day": ("接待时间", "接待日", "固定接待日", "接待日期"),
    "industry": ("产业", "所属行业", "产业链", "行业类别", "所属产业", "所属产业链", "行业领域"),
}
_LAYER_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("county", "code"): ("县代码", "县级代码", "县区划代码"),
    ("townships", "code"): ("乡镇代码", "乡镇编码", "乡镇区划代码", "街道代码", "乡镇（街道）代码"),
    ("villages", "code"): ("村代码", "村编码", "村（社区）代码", "村级代码", "社区代码"),
    ("townships", "name"): (
        "乡镇名称",
        "街道名称",
        "乡镇（街道）名称",
        "xzqmc",
        "乡镇",
        "乡镇（街道）",
        "乡镇街道",
    ),
    ("villages", "name"): (
        "村名",
        "村名称",
        "社区名称",
        "行政村名称",
        "xzqmc",
        "村（社区）名称",
        "村居名称",
        "村（社区）",
        "行政村",
    ),
    ("villages", "kind"): ("村社区类型", "村（社区）类型", "性质"),
    ("county", "name"): ("县名", "县名称", "xzqmc"),
    ("settlements", "name"): ("自然村名称", "自然村", "村民小组"),
    ("settlements", "settlement_id"): ("id",),
    ("grids", "name"): ("网格名称",),
    ("grids", "code"): ("编号", "网格编号", "网格代码"),
    ("grids", "worker_name"): ("网格员", "联系人", "负责人", "姓名"),
    ("grids", "worker_phone"): ("联系电话", "电话", "手机", "手机号", "联系方式"),
    ("stations", "name"): (
        "站名",
        "站点名称",
        "联络站名称",
        "联络站（点）名称",
        "站点",
        "联络站点名称",
        "站点全称",
    ),
    ("stations", "station_id"): ("编号", "站点代码", "id", "站点id", "站点编码", "站码"),
    ("stations", "tier"): (
        "级别",
        "站点层级",
        "站点类型",
        "站点级别",
        "站点等级",
        "建站层级",
        "层次",
    ),
    ("stations", "kind"): ("站点类别", "站点性质", "站点分类"),
    ("stations", "village_code"): ("所在村（社区）", "所在村居"),
    ("deputies", "name"): ("代表姓名", "名字", "名称"),
    ("deputies", "deputy_id"): ("编号", "id", "代表证号", "代表证编号"),
    ("deputies", "level"): (
        "层级",
        "级别",
        "代表级别",
        "代表类别",
        "代表类型",
        "人大代表级别",
        "代表层次",
        "当选层级",
        "level",
    ),
    ("deputies", "specialty"): ("专业", "专长", "行业", "职业", "界别", "所属行业"),
    ("deputies", "station_id"): (
        "站点编号",
        "联络站",
        "所属联络站",
        "进站",
        "站点",
        "所属站点",
        "所在联络站",
        "联络站名称",
        "所属联络站点",
        "进站站点",
        "编入站点",
        "所属代表联络站",
        "站点名称",
        "联络站编号",
        "联络站点",
    ),
    ("deputies", "grid_codes"): (
        "网格",
        "网格编码",
        "联系网格编码",
        "网格编号",
        "联系网格编号",
        "所联系网格",
    ),
    ("roads", "road_id"): ("编号", "id", "osm_id"),
}
# Headers whose meaning depends on the file: read by their values (类型 holding 联络站/联络点
# is the tier, holding 区域/行业 the kind); the static alias stands when values decide nothing.
_BY_VALUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "stations": (
        ("类型", "类别", "type", "站点类型", "站点类别", "性质", "站点性质", "分类", "站点分类"),
        ("tier", "kind"),
    ),
}
# Share of a column's cells that must be words of an enum for the column to be read as it.
_FIT = 0.5


def norm_header(header: object) -> str:
    """Header for matching: NFKC, lower case, no parenthesised units, no separators."""
    text = unicodedata.normalize("NFKC", str(header)).lstrip("\ufeff").strip().lower()
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_\-./\\:·]+", "", text)


def _label_variants(label: str) -> list[str]:
    variants = [label]
    for a, b in (("代码", "编码"), ("编码", "代码"), ("编号", "代码"), ("编号", "编码")):
        if a in label:
            variants.append(label.replace(a, b))
    # A DBF holds field names of 10 bytes: five Chinese characters in GBK, three in UTF-8.
    for codec in ("gbk", "utf-8"):
        encoded = label.encode(codec, errors="ignore")
        if len(encoded) > 10:
            variants.append(encoded[:10].decode(codec, errors="ignore"))
    return variants


@functools.cache
def column_aliases(layer: str) -> dict[str, str]:
    """Normalised header -> schema column name, for the headers :func:`read_layer` accepts.

    Built from the schema itself (column names, their Chinese labels, 代码/编码 variants,
    names cut to 10 characters or 10 GBK bytes by a DBF) plus common synonyms (adcode,
    XZQDM, 人口数, 手机...). Headers are matched after NFKC normalisation, lower-casing and
    dropping parenthesised units and separators: ``"人口（人）"`` matches ``人口``.

    Parameters
    ----------
    layer : str
        Key of :data:`gridgov.model.LAYERS`.

    Returns
    -------
    dict
        Exact schema names and labels win over synonyms when two could match.
    """
    schema = LAYERS[layer]
    out: dict[str, str] = {}

    def add(alias: str, name: str) -> None:
        key = norm_header(alias)
        if key:
            out.setdefault(key, name)

    for col in schema.columns:
        add(col.name, col.name)
    for col in schema.columns:
        add(col.label_zh, col.name)
    for col in schema.columns:
        for variant in _label_variants(col.label_zh)[1:]:
            add(variant, col.name)
        if len(col.name) > 10:
            add(col.name[:10], col.name)
    for col in schema.columns:
        for alias in _LAYER_ALIASES.get((layer, col.name), ()):
            add(alias, col.name)
    for col in schema.columns:
        for alias in _EXTRA_ALIASES.get(col.name, ()):
            add(alias, col.name)
    return out


def canonical_column(layer: str, header: str) -> str | None:
    """The schema column that ``header`` stands for in ``layer``, or None.

    Examples
    --------
    >>> canonical_column("villages", "所属乡镇代码")
    'township_code'
    >>> canonical_column("villages", "人口（人）")
    'population'
    """
    return column_aliases(layer).get(norm_header(header))


def rename_columns(df: pd.DataFrame, layer: str, geometry: str | None) -> pd.DataFrame:
    """``df`` with its headers renamed to the schema's columns of ``layer``.

    Exact schema names stay; every other header is looked up in :func:`column_aliases`,
    first come first served. A header of ``_BY_VALUES`` (a station's 类型) goes to the
    column whose values its cells are, when most of them are; row-number columns (序号) are
    dropped. ``attrs`` record the headers as written (``source_columns``), the headers read
    by their values and the columns dropped, for the notes and the problem report.
    """
    aliases = column_aliases(layer)
    names = LAYERS[layer].names
    taken = {c for c in df.columns if c in names}
    written: dict[str, str] = {str(c): str(c) for c in df.columns if c in names}
    ignored = [
        c for c in df.columns if c != geometry and c not in names and norm_header(c) in _IGNORED
    ]
    ambiguous, fields = _BY_VALUES.get(layer, ((), ()))
    by_value_headers = {norm_header(a) for a in ambiguous}
    mapping: dict[Any, str] = {}
    later: list[Any] = []
    for column in df.columns:
        if column == geometry or column in taken or column in ignored:
            continue
        if norm_header(column) in by_value_headers:
            later.append(column)
            continue
        target = aliases.get(norm_header(column))
        if target is not None and target not in taken:
            mapping[column] = target
            taken.add(target)
    matched: dict[str, str] = {}
    for column in later:
        static = aliases.get(norm_header(column))
        target = _by_values(df[column], layer, fields, taken)
        if target is not None and target != static:
            matched[str(column)] = target  # said in a note: not what the header alone says
        elif target is None:
            target = static
            if target is None or target in taken:
                continue
        mapping[column] = target
        taken.add(target)
    if mapping:
        log.debug("%s: renamed columns %s", layer, mapping)
    out = df.drop(columns=ignored) if ignored else df
    out = out.rename(columns=mapping)
    written.update({target: str(column) for column, target in mapping.items()})
    out.attrs[SOURCE_COLUMNS] = written
    if matched:
        out.attrs[MATCHED_BY_VALUES] = matched
    if ignored:
        out.attrs[IGNORED_COLUMNS] = [str(c) for c in ignored]
    return out


_IGNORED = {norm_header(h) for h in IGNORED_HEADERS}


def _by_values(
    values: pd.Series, layer: str, fields: tuple[str, ...], taken: set[str]
) -> str | None:
    """The free column among ``fields`` whose enum most of ``values`` are words of."""
    schema = LAYERS[layer]
    best, best_share = None, _FIT
    for name in fields:
        enum = schema.column(name).enum
        if name in taken or enum is None:
            continue
        share = share_matching(enum, values)
        if share > best_share:
            best, best_share = name, share
    return best


def find_column(
    columns: Iterable[Any], wanted: str | None, aliases: Iterable[str], fallback: str | None = None
) -> Any | None:
    """The column named ``wanted``, else the first matching an alias, else the only one
    containing ``fallback`` (``"经度"`` finds ``"经度（GCJ02）"``)."""
    columns = list(columns)
    if wanted is not None:
        for column in columns:
            if str(column) == wanted or norm_header(column) == norm_header(wanted):
                return column
        return None
    normalised = {norm_header(a) for a in aliases}
    for column in columns:
        if norm_header(column) in normalised:
            return column
    if fallback is None:
        return None
    loose = [c for c in columns if fallback in str(c) and "驻地" not in str(c)]
    return loose[0] if len(loose) == 1 else None
