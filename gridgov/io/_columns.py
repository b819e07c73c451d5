"""Column recognition: which schema column a planner's header stands for.

Headers come in Chinese or English, with units in brackets, full-width characters, and
names a DBF cut to 10 bytes. Every header is normalised once (:func:`norm_header`) and
looked up in one table per layer built from the schema itself plus common synonyms
(:func:`column_aliases`), so a new schema column is recognised without touching this file.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import pandas as pd

from gridgov.model import LAYERS

__all__ = [
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


LON_ALIASES = ("经度", "lon", "lng", "long", "longitude", "x", "point_x", "东经", "gps经度")
LAT_ALIASES = ("纬度", "lat", "latitude", "y", "point_y", "北纬", "gps纬度")
WKT_ALIASES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "边界", "范围")
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
    "name": ("名称", "mc"),
    "township_code": ("乡镇代码", "乡镇编码", "所属乡镇", "乡镇区划代码", "town_code", "xzdm"),
    "village_code": ("村代码", "村编码", "所属村", "村社区代码", "所在村", "cjdm"),
    "urban_rural_code": ("城乡分类", "城乡代码", "城乡属性", "urban_rural", "cxfldm"),
    "population": ("人口数", "总人口", "户籍人口", "常住人口", "pop"),
    "households": ("总户数", "户", "hh"),
    "kind": ("类别", "类型", "type"),
    "seat_name": ("驻地名称", "seat"),
    "seat_lon": ("驻地x",),
    "seat_lat": ("驻地y",),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "tel", "mobile"),
    "worker_name": ("网格员姓名", "网格长"),
    "worker_phone": ("网格员手机", "网格员联系电话"),
    "on_duty": ("是否在岗",),
    "road_class": ("等级", "公路等级", "道路类型", "class", "highway", "fclass"),
    "speed_kmh": ("限速", "速度", "设计速度", "maxspeed", "speed"),
    "annual_cost_yuan": ("经费", "运行经费", "年经费"),
    "parent_station_id": ("上级站点编号", "上级", "parent"),
    "reception_day": ("接待时间",),
    "industry": ("产业", "所属行业", "产业链"),
}
_LAYER_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("county", "code"): ("县代码", "县级代码", "县区划代码"),
    ("townships", "code"): ("乡镇代码", "乡镇编码", "乡镇区划代码", "街道代码", "乡镇（街道）代码"),
    ("villages", "code"): ("村代码", "村编码", "村（社区）代码", "村级代码", "社区代码"),
    ("townships", "name"): ("乡镇名称", "街道名称", "乡镇（街道）名称", "xzqmc"),
    ("villages", "name"): ("村名", "村名称", "社区名称", "行政村名称", "xzqmc"),
    ("county", "name"): ("县名", "县名称", "xzqmc"),
    ("settlements", "name"): ("自然村名称", "自然村", "村民小组"),
    ("settlements", "settlement_id"): ("id",),
    ("grids", "name"): ("网格名称",),
    ("grids", "code"): ("编号",),
    ("stations", "name"): ("站名", "站点名称", "联络站名称"),
    ("stations", "station_id"): ("编号", "站点代码", "id"),
    ("stations", "tier"): ("级别", "站点层级", "站点类型"),
    ("stations", "kind"): ("站点类别",),
    ("deputies", "name"): ("代表姓名", "名字", "名称"),
    ("deputies", "deputy_id"): ("编号", "id"),
    ("deputies", "level"): ("层级", "级别", "代表级别"),
    ("deputies", "specialty"): ("专业", "专长", "行业", "职业"),
    ("deputies", "station_id"): ("站点编号", "联络站", "所属联络站", "进站", "站点"),
    ("deputies", "grid_codes"): ("网格", "网格编码", "联系网格编码"),
    ("roads", "road_id"): ("编号", "id", "osm_id"),
}


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
    aliases = column_aliases(layer)
    taken = {c for c in df.columns if c in LAYERS[layer].names}
    mapping: dict[Any, str] = {}
    for column in df.columns:
        if column == geometry or column in taken:
            continue
        target = aliases.get(norm_header(column))
        if target is not None and target not in taken:
            mapping[column] = target
            taken.add(target)
    if mapping:
        log.debug("%s: renamed columns %s", layer, mapping)
    return df.rename(columns=mapping)


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
