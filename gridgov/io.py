"""Files in, validated GeoDataFrames out: every format and coordinate conversion lives here.

County planners get their layers from many hands: a GeoPackage from the natural-resources
bureau, a GBK-encoded Shapefile from a surveying firm, an Excel roster of deputies typed
by the congress office, a CSV of station positions picked in AMap (GCJ-02) or Baidu
(BD-09), a KML from a phone app. :func:`read_layer` turns any of them into one workspace
layer: columns renamed to the schema (Chinese or English headers), values coerced (codes
stay strings), coordinates converted to CGCS2000 (EPSG:4490). Problems are collected across
the whole file and across every file of a load, then raised once as a
:class:`~gridgov._errors.ValidationError`.

A *workspace* is one GeoPackage with a layer per :data:`gridgov.model.LAYERS` entry and a
``gridgov_meta`` key/value table. :func:`write_workspace` validates the whole workspace and
writes it atomically (a temporary file in the same folder, then :func:`os.replace`), so a
failed write never damages the file a planner has open in QGIS.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj
import shapely
from numpy.typing import NDArray

from gridgov import crs as _crs
from gridgov._errors import NotFoundError, Problem, ValidationError
from gridgov._validate import (
    _Rows,
    check_layer,
    check_relations,
    coerce_values,
    validate_workspace,
)
from gridgov.model import (
    LAYERS,
    REQUIRED_LAYERS,
    DeputyLevel,
    RoadClass,
    StationKind,
    StationTier,
    VillageKind,
    Workspace,
)
from gridgov.settings import Settings

__all__ = [
    "META_LAYER",
    "SCHEMA_VERSION",
    "canonical_column",
    "column_aliases",
    "load_into_workspace",
    "preview_workspace",
    "read_layer",
    "read_workspace",
    "workspace_info",
    "write_table",
    "write_workspace",
    "write_xlsx",
]

log = logging.getLogger(__name__)

#: Name of the non-spatial key/value table inside a workspace GeoPackage.
META_LAYER = "gridgov_meta"
#: Version of the workspace layout, stored in ``gridgov_meta``.
SCHEMA_VERSION = "1"

_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", ".kmz", ".fgb"}
_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
_HAS_ARROW = importlib.util.find_spec("pyarrow") is not None
_CSV_NA = ["", "NULL", "null", "NaN", "nan", "None", "#N/A", "N/A", "n/a"]

# Columns the KML drivers add to every placemark; they mean nothing to a workspace.
_KML_INTERNAL = {
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
    "snippet",
}

_LON_ALIASES = ("经度", "lon", "lng", "long", "longitude", "x", "point_x", "东经", "gps经度")
_LAT_ALIASES = ("纬度", "lat", "latitude", "y", "point_y", "北纬", "gps纬度")
_WKT_ALIASES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "边界", "范围")

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
# OpenStreetMap ``highway`` tags to road classes, for roads cut from an OSM extract.
_OSM_HIGHWAY = {
    **dict.fromkeys(
        ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "trunk"
    ),
    **dict.fromkeys(("secondary", "secondary_link"), "county"),
    **dict.fromkeys(("tertiary", "tertiary_link", "unclassified"), "township"),
    **dict.fromkeys(("residential", "service", "track", "living_street", "road"), "village"),
}

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN1_HIGH = re.compile(r"[\x80-\xff]")

Floats = NDArray[np.float64]


# --- column names -----------------------------------------------------------------------------


def _norm(header: object) -> str:
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
        key = _norm(alias)
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
    return column_aliases(layer).get(_norm(header))


def _rename_columns(df: pd.DataFrame, layer: str, geometry: str | None) -> pd.DataFrame:
    aliases = column_aliases(layer)
    taken = {c for c in df.columns if c in LAYERS[layer].names}
    mapping: dict[Any, str] = {}
    for column in df.columns:
        if column == geometry or column in taken:
            continue
        target = aliases.get(_norm(column))
        if target is not None and target not in taken:
            mapping[column] = target
            taken.add(target)
    if mapping:
        log.debug("%s: renamed columns %s", layer, mapping)
    return df.rename(columns=mapping)


def _find_column(
    columns: Iterable[Any], wanted: str | None, aliases: Iterable[str], fallback: str | None = None
) -> Any | None:
    """The column named ``wanted``, else the first matching an alias, else the only one
    containing ``fallback`` (``"经度"`` finds ``"经度（GCJ02）"``)."""
    columns = list(columns)
    if wanted is not None:
        for column in columns:
            if str(column) == wanted or _norm(column) == _norm(wanted):
                return column
        return None
    normalised = {_norm(a) for a in aliases}
    for column in columns:
        if _norm(column) in normalised:
            return column
    if fallback is None:
        return None
    loose = [c for c in columns if fallback in str(c) and "驻地" not in str(c)]
    return loose[0] if len(loose) == 1 else None


# --- text encodings -------------------------------------------------------------------------


def _garbled(values: Iterable[object]) -> tuple[str, str | None] | None:
    """A sample of text that looks like GBK read as Latin-1 (mojibake), and its repair."""
    suspicious = 0
    repaired: tuple[str, str] | None = None
    for value in values:
        if not isinstance(value, str):
            continue
        if "\ufffd" in value:
            return value, None
        if len(_LATIN1_HIGH.findall(value)) < 2:
            continue
        suspicious += 1
        for codec in ("latin-1", "cp1252"):
            try:
                fixed = value.encode(codec).decode("gb18030")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if _CJK.search(fixed) and repaired is None:
                repaired = (value, fixed)
            break
    return repaired if repaired is not None and suspicious else None


def _encoding_problem(gdf: pd.DataFrame, label: str) -> Problem | None:
    # Values first, so the message shows a name the user recognises rather than a header.
    sample: list[object] = []
    for column in gdf.columns:
        if column != getattr(gdf, "active_geometry_name", None) and (
            pd.api.types.is_object_dtype(gdf[column].dtype)
            or pd.api.types.is_string_dtype(gdf[column].dtype)
        ):
            sample.extend(gdf[column].dropna().unique()[:200].tolist())
    sample.extend(str(c) for c in gdf.columns)
    found = _garbled(sample)
    if found is None:
        return None
    bad, fixed = found
    reads_as = f"; read as GBK it would be {fixed!r}" if fixed else ""
    return Problem(
        label,
        None,
        None,
        bad,
        "text looks garbled (mojibake): the DBF is probably GBK-encoded and has no .cpg "
        f"file saying so{reads_as}. Load it again with --encoding GBK "
        "(encoding='GBK'), or add a .cpg file containing GBK next to the .shp",
    )


# --- coordinates ----------------------------------------------------------------------------


def _source_key(source_crs: str | None) -> str | None:
    return None if source_crs is None else _crs.normalise_source(source_crs)


def _deoffset(lon: Floats, lat: Floats, source: str) -> tuple[Floats, Floats]:
    """GCJ-02/BD-09 to CGCS2000, leaving points outside China as they are (to be reported)."""
    x = np.array(lon, dtype=np.float64)
    y = np.array(lat, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & _crs.in_china(np.nan_to_num(x), np.nan_to_num(y))
    if ok.any():
        x[ok], y[ok] = _crs.to_cgcs2000(x[ok], y[ok], source)
    return x, y


def _deoffset_geometries(geoms: gpd.GeoSeries, source: str) -> gpd.GeoSeries:
    """Convert every vertex of every geometry from GCJ-02/BD-09 (one vectorised pass)."""

    def convert(coords: Floats) -> Floats:
        x, y = _deoffset(coords[:, 0], coords[:, 1], source)
        return np.column_stack([x, y])

    arr = shapely.transform(np.asarray(geoms.array, dtype=object), convert)
    return gpd.GeoSeries(arr, index=geoms.index, crs=_crs.CGCS2000, name=geoms.name)


def _looks_like_degrees(gdf: gpd.GeoDataFrame) -> bool:
    if gdf.empty or gdf.geometry.isna().all():
        return True
    minx, miny, maxx, maxy = gdf.total_bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def _to_cgcs2000(
    gdf: gpd.GeoDataFrame, *, source: str | None, label: str, default_wgs84: bool
) -> tuple[gpd.GeoDataFrame, list[Problem], str | None]:
    """Reproject or convert ``gdf`` to EPSG:4490 (a missing CRS stays missing, to be reported).

    Returns the layer, problems, and the offset system actually removed (None if none).
    """
    problems: list[Problem] = []
    if gdf.crs is None:
        if source is None and not default_wgs84:
            return gdf, problems, None
        if not _looks_like_degrees(gdf):
            minx, miny, _, _ = gdf.total_bounds
            problems.append(
                Problem(
                    label,
                    None,
                    "geometry",
                    f"{minx:.1f}, {miny:.1f}",
                    "coordinates look like projected metres, not longitude/latitude; "
                    "--source-crs only names lon/lat systems: supply the file's .prj instead",
                )
            )
            return gdf, problems, None
        gdf = gdf.set_crs(_crs.CGCS2000)
    else:
        declared = pyproj.CRS(gdf.crs)
        is_cgcs2000 = declared.equals(pyproj.CRS(_crs.CGCS2000))
        if source in ("gcj02", "bd09") and (declared.is_projected or is_cgcs2000):
            # AMap/Baidu exports are labelled WGS84 at best; a file that declares CGCS2000
            # or a projection was made by a GIS, and shifting it would move it ~500 m.
            problems.append(
                Problem(
                    label,
                    None,
                    None,
                    declared.to_string(),
                    f"the file declares its CRS, so --source-crs {source} was not applied to it",
                    "warning",
                )
            )
            source = None
        if not is_cgcs2000:
            log.info("%s: reprojecting from %s to EPSG:4490", label, declared.to_string())
            gdf = gdf.to_crs(_crs.CGCS2000)
    if source in ("gcj02", "bd09"):
        log.info("%s: converting coordinates from %s to CGCS2000", label, source)
        gdf = gdf.set_geometry(_deoffset_geometries(gdf.geometry, source))
        return gdf, problems, source
    return gdf, problems, None


def _clean_geometries(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop Z/M and turn one-part MultiPoints (common in Shapefiles and KML) into Points."""
    arr = np.asarray(gdf.geometry.array, dtype=object)
    if arr.size == 0:
        return gdf
    present = ~shapely.is_missing(arr)
    if shapely.has_z(arr[present]).any():
        arr = arr.copy()
        arr[present] = shapely.force_2d(arr[present])
    single = (shapely.get_type_id(arr) == 4) & (shapely.get_num_geometries(arr) == 1)
    if single.any():
        arr = arr.copy()
        arr[single] = shapely.get_geometry(arr[single], 0)
    return gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs))


_DMS_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _parse_degrees(text: str) -> float | None:
    """``112°30′15.5″E`` / ``112度30分15.5秒`` to decimal degrees; None if it is not that."""
    if not any(mark in text for mark in ("°", "度")):
        return None
    parts = [float(p) for p in _DMS_NUMBER.findall(text)]
    if not 1 <= len(parts) <= 3:
        return None
    value = parts[0] + sum(p / 60.0**k for k, p in enumerate(parts[1:], start=1))
    negative = text.strip().startswith("-") or any(h in text for h in ("S", "W", "南", "西"))
    return -value if negative else value


def _parse_coordinate(raw: pd.Series) -> tuple[Floats, NDArray[np.bool_]]:
    text = raw.astype("str").str.strip()
    text = text.str.normalize("NFKC")
    values = np.array(pd.to_numeric(text, errors="coerce"), dtype=np.float64)
    present = raw.notna().to_numpy()
    for pos in np.flatnonzero(present & np.isnan(values)):
        parsed = _parse_degrees(str(text.iloc[pos]))
        if parsed is not None:
            values[pos] = parsed
    return values, present


# --- reading one file -------------------------------------------------------------------------


def _choose_layer(
    label: str, names: list[str], *, layer: str, source_layer: str | None
) -> tuple[str | None, Problem | None]:
    """The layer to read from a multi-layer file: named, the only one, or named like ``layer``."""
    if source_layer is not None:
        if source_layer in names:
            return source_layer, None
        return None, Problem(
            label,
            None,
            None,
            source_layer,
            f"no layer named {source_layer!r}; the file has {', '.join(names) or 'none'}",
        )
    if len(names) == 1:
        return names[0], None
    for candidate in (layer, LAYERS[layer].label_zh):
        if candidate in names:
            return candidate, None
    return None, Problem(
        label,
        None,
        None,
        None,
        f"the file has {len(names)} layers ({', '.join(names)}); name the one to load "
        "as source_layer",
    )


def _shapefile_parts(path: Path, target: str) -> dict[str, bytes]:
    """The files of one Shapefile (by extension) from a folder or a zip."""
    if path.suffix.lower() == ".zip":
        member = target.split(f"{path.resolve()}/", 1)[1]
        stem = member[: -len(Path(member).suffix)]
        with zipfile.ZipFile(path) as archive:
            return {
                Path(m).suffix.lower(): archive.read(m)
                for m in archive.namelist()
                if m[: -len(Path(m).suffix) or None] == stem
            }
    return {
        f.suffix.lower(): f.read_bytes()
        for f in path.parent.iterdir()
        if f.stem == path.stem and f.is_file()
    }


def _read_cut_dbf(
    path: Path, target: str, *, encoding: str | None, label: str
) -> tuple[gpd.GeoDataFrame, Problem]:
    """Read a DBF whose field names were cut mid-character at the 10-byte limit.

    GDAL itself writes such names when a UTF-8 Shapefile has Chinese headers longer than
    three characters, and then cannot decode them. Read a copy without its ``.cpg`` (GDAL
    then hands the bytes over as Latin-1, which cannot fail) and decode the text with the
    file's real encoding, dropping the dangling half character.
    """
    parts = _shapefile_parts(path, target)
    cpg = parts.pop(".cpg", b"").decode("ascii", errors="ignore").strip()
    codec = encoding or cpg or "utf-8"
    with tempfile.TemporaryDirectory(prefix="gridgov-dbf-") as tmp:
        for suffix, data in parts.items():
            (Path(tmp) / f"layer{suffix}").write_bytes(data)
        copy = Path(tmp) / "layer.shp"
        read_as = str(pyogrio.read_info(copy)["encoding"] or "latin-1")
        gdf = pyogrio.read_dataframe(copy)

    def decode(text: str, errors: str) -> str:
        return text.encode(read_as).decode(codec, errors=errors)

    renames = {c: decode(str(c), "ignore") for c in gdf.columns if c != gdf.geometry.name}
    for column in list(renames):
        values = gdf[column]
        if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
            gdf[column] = values.map(
                lambda v: decode(v, "replace") if isinstance(v, str) else v
            ).astype(object)
    cut = [new for old, new in renames.items() if decode(str(old), "replace") != new]
    gdf = gdf.rename(columns=renames)
    return gdf, Problem(
        label,
        None,
        None,
        ", ".join(cut),
        f"field names cut mid-character by the DBF's 10-byte limit were read as {codec}; "
        "prefer GeoPackage for Chinese field names",
        "warning",
    )


def _read_vector(
    path: Path,
    *,
    label: str,
    layer: str,
    source_layer: str | None,
    encoding: str | None,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    suffix = path.suffix.lower()
    target = str(path)
    problems: list[Problem] = []
    is_shapefile = suffix in (".shp", ".zip")
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except zipfile.BadZipFile as exc:
            return None, [Problem(label, None, None, None, f"not a readable zip file: {exc}")]
        shps = [m for m in members if m.lower().endswith(".shp") and not m.startswith("__MACOSX")]
        if not shps:
            return None, [Problem(label, None, None, None, "the zip file holds no .shp file")]
        chosen = shps[0]
        if len(shps) > 1:
            wanted = [m for m in shps if source_layer and Path(m).stem == source_layer]
            if not wanted:
                return None, [
                    Problem(
                        label,
                        None,
                        None,
                        None,
                        f"the zip holds {len(shps)} shapefiles ({', '.join(shps)}); "
                        "name one as source_layer",
                    )
                ]
            chosen = wanted[0]
        target = f"/vsizip/{path.resolve()}/{chosen}"
        source_layer = None
    try:
        names = [str(n) for n in pyogrio.list_layers(target)[:, 0]]
    except UnicodeDecodeError:
        if not is_shapefile:
            raise
        # GDAL's note about a field name cut mid-character cannot be decoded; a
        # Shapefile has one layer, named after the file.
        names = [Path(target).stem]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        return None, [Problem(label, None, None, None, f"cannot open the file: {exc}")]
    kwargs: dict[str, Any] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    chosen_layer: str | None = None
    if not (suffix in (".kml", ".kmz") and source_layer is None and len(names) > 1):
        chosen_layer, problem = _choose_layer(label, names, layer=layer, source_layer=source_layer)
        if problem is not None:
            return None, [problem]
    try:
        if chosen_layer is None:
            parts = [pyogrio.read_dataframe(target, layer=n, **kwargs) for n in names]
            parts = [p for p in parts if len(p)]
            gdf = (
                gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
                if parts
                else pyogrio.read_dataframe(target, layer=names[0], **kwargs)
            )
        else:
            gdf = pyogrio.read_dataframe(target, layer=chosen_layer, **kwargs)
    except UnicodeDecodeError as exc:
        if not is_shapefile:
            return None, [
                Problem(
                    label,
                    None,
                    "encoding",
                    encoding,
                    f"text is not valid {encoding or 'UTF-8'} ({exc}); name the file's "
                    "encoding with --encoding",
                )
            ]
        gdf, problem = _read_cut_dbf(path, target, encoding=encoding, label=label)
        problems.append(problem)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        return None, [Problem(label, None, None, None, f"cannot read the file: {exc}")]
    except LookupError as exc:  # an encoding Python does not know
        return None, [Problem(label, None, "encoding", encoding, f"unknown encoding: {exc}")]

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        return None, [
            Problem(
                label, None, "geometry", None, "the layer has no geometry (it is a plain table)"
            )
        ]
    if suffix in (".kml", ".kmz"):
        drop = [c for c in gdf.columns if c in _KML_INTERNAL]
        drop += [c for c in ("id", "description") if c in gdf.columns and gdf[c].isna().all()]
        gdf = gdf.drop(columns=drop)
    if is_shapefile:
        problem = _encoding_problem(gdf, label)
        if problem is not None:
            return None, [problem]
    if gdf.geometry.name != "geometry" and "geometry" not in gdf.columns:
        gdf = gdf.rename_geometry("geometry")
    gdf = _clean_geometries(gdf)
    return gdf, problems


def _read_csv(
    path: Path, *, label: str, encoding: str | None
) -> tuple[pd.DataFrame | None, Problem | None]:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    if path.suffix.lower() == ".txt":
        with path.open("rb") as fh:
            first = fh.readline()
        sep = "\t" if b"\t" in first else ","
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for codec in candidates:
        try:
            df = pd.read_csv(
                path,
                dtype=str,
                sep=sep,
                encoding=codec,
                keep_default_na=False,
                na_values=_CSV_NA,
                skipinitialspace=True,
            )
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except LookupError as exc:
            return None, Problem(label, None, "encoding", encoding, f"unknown encoding: {exc}")
        except pd.errors.EmptyDataError:
            return None, Problem(label, None, None, None, "the file is empty")
        except pd.errors.ParserError as exc:
            return None, Problem(label, None, None, None, f"not a readable CSV file: {exc}")
        if codec != candidates[0] or encoding is None:
            log.info("%s: read as %s", label, "GB18030" if codec == "gb18030" else "UTF-8")
        return df, None
    return None, Problem(
        label,
        None,
        "encoding",
        encoding,
        f"cannot decode the file ({last}); save it as UTF-8 or name its encoding with --encoding",
    )


def _read_excel(
    path: Path, *, label: str, layer: str, sheet: str | None
) -> tuple[pd.DataFrame | None, Problem | None]:
    try:
        book = pd.ExcelFile(path)
    except ImportError:
        return None, Problem(
            label, None, None, None, "old .xls workbooks are not supported; save it as .xlsx"
        )
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        return None, Problem(label, None, None, None, f"not a readable workbook: {exc}")
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None:
            if sheet not in names:
                return None, Problem(
                    label, None, "sheet", sheet, f"no sheet {sheet!r}; sheets: {', '.join(names)}"
                )
            chosen = sheet
        else:
            wanted = {_norm(layer), _norm(LAYERS[layer].label_zh)}
            matches = [n for n in names if _norm(n) in wanted]
            chosen = matches[0] if matches else names[0]
        df = pd.read_excel(book, sheet_name=chosen, dtype=str)
    log.info("%s: reading sheet %r", label, chosen)
    return df, None


def _read_table(
    path: Path,
    *,
    label: str,
    layer: str,
    encoding: str | None,
    sheet: str | None,
    lon_col: str | None,
    lat_col: str | None,
    source: str | None,
) -> tuple[gpd.GeoDataFrame | None, list[Problem], list[int]]:
    """CSV/XLSX to a GeoDataFrame; returns the positions whose coordinates were reported."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        df, problem = _read_excel(path, label=label, layer=layer, sheet=sheet)
    else:
        df, problem = _read_csv(path, label=label, encoding=encoding)
    if df is None:
        return None, [problem] if problem else [], []
    df.columns = [str(c).lstrip("\ufeff").strip() for c in df.columns]
    unnamed = [c for c in df.columns if c.startswith("Unnamed:") and df[c].isna().all()]
    df = df.drop(columns=unnamed)
    df = df.dropna(how="all").reset_index(drop=True)

    schema = LAYERS[layer]
    wkt_col = _find_column(df.columns, None, _WKT_ALIASES)
    is_point = "Point" in schema.geometry
    lon_name = lat_name = None
    if is_point and not (wkt_col is not None and lon_col is None and lat_col is None):
        lon_name = _find_column(df.columns, lon_col, _LON_ALIASES, "经度")
        lat_name = _find_column(df.columns, lat_col, _LAT_ALIASES, "纬度")
        if lon_name is None or lat_name is None:
            asked = [v for v in (lon_col, lat_col) if v]
            what = (
                f"column(s) {', '.join(asked)} not found"
                if asked
                else "no longitude/latitude columns found (looked for 经度/lon/lng/x and "
                "纬度/lat/y)"
            )
            return (
                None,
                [
                    Problem(
                        label,
                        None,
                        None,
                        ", ".join(map(str, df.columns)),
                        f"{what}; name them with --lon-col/--lat-col",
                    )
                ],
                [],
            )
    elif wkt_col is None:
        return (
            None,
            [
                Problem(
                    label,
                    None,
                    None,
                    ", ".join(map(str, df.columns)),
                    f"{layer} are {'/'.join(schema.geometry)} layers: a table needs a WKT "
                    "column (wkt/geometry); export boundaries as GeoPackage or Shapefile instead",
                )
            ],
            [],
        )

    if source is None:
        log.warning(
            "%s: no source coordinate system given; treating coordinates as CGCS2000/WGS84 "
            "(use --source-crs gcj02 for AMap/Tencent, bd09 for Baidu)",
            label,
        )
    geometry_cols = [c for c in (lon_name, lat_name, wkt_col) if c is not None]
    attrs = _rename_columns(df.drop(columns=geometry_cols), layer, None)
    rows = _Rows(attrs, schema)
    problems: list[Problem] = []
    reported: list[int] = []
    if lon_name is not None and lat_name is not None:
        lon, lon_present = _parse_coordinate(df[lon_name])
        lat, lat_present = _parse_coordinate(df[lat_name])
        for name, values, present, what in (
            (lon_name, lon, lon_present, "longitude"),
            (lat_name, lat, lat_present, "latitude"),
        ):
            for pos in np.flatnonzero(~present):
                problems.append(Problem(label, rows[pos], name, None, f"{what} is missing"))
            for pos in np.flatnonzero(present & np.isnan(values)):
                problems.append(
                    Problem(label, rows[pos], name, df[name].iloc[pos], f"{what} is not a number")
                )
        bad = np.isnan(lon) | np.isnan(lat)
        reported = [int(p) for p in np.flatnonzero(bad)]
        if source in ("gcj02", "bd09"):
            lon, lat = _deoffset(lon, lat, source)
        geoms = shapely.points(np.where(bad, 0.0, lon), np.where(bad, 0.0, lat))
        geoms[bad] = None
    else:
        text = df[wkt_col].astype("str").str.strip()
        geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
        present = text.notna().to_numpy()
        failed = present & shapely.is_missing(geoms)
        for pos in np.flatnonzero(failed):
            problems.append(
                Problem(label, rows[pos], str(wkt_col), text.iloc[pos], "not valid WKT geometry")
            )
        reported = [int(p) for p in np.flatnonzero(failed)]
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=None)
    gdf = _clean_geometries(gdf)
    if wkt_col is not None and lon_name is None:
        gdf, found, _ = _to_cgcs2000(gdf, source=source, label=label, default_wgs84=True)
        problems.extend(found)
    else:
        gdf = gdf.set_crs(_crs.CGCS2000)
    return gdf, problems, reported


def _fill_seats(
    gdf: gpd.GeoDataFrame, label: str, source: str | None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Township seats: convert from GCJ-02/BD-09 like the geometry; fill missing ones.

    Values that are not numbers are left as they are, for validation to report.
    """
    gdf = gdf.copy()
    n = len(gdf)
    raw = {
        c: gdf[c].to_numpy(dtype=object) if c in gdf.columns else np.full(n, None, dtype=object)
        for c in ("seat_lon", "seat_lat")
    }
    lon = pd.to_numeric(pd.Series(raw["seat_lon"]), errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(pd.Series(raw["seat_lat"]), errors="coerce").to_numpy(dtype=np.float64)
    missing = pd.isna(raw["seat_lon"]) | pd.isna(raw["seat_lat"])
    if source in ("gcj02", "bd09"):
        lon, lat = _deoffset(lon, lat, source)
    arr = np.asarray(gdf.geometry.array, dtype=object)
    fill = missing & ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    if fill.any():
        xy = shapely.get_coordinates(shapely.point_on_surface(shapely.make_valid(arr[fill])))
        lon[fill], lat[fill] = np.round(xy[:, 0], 7), np.round(xy[:, 1], 7)
    for column, values in (("seat_lon", lon), ("seat_lat", lat)):
        numeric = np.isfinite(values)
        if numeric.all() or (~numeric & ~pd.isna(raw[column])).sum() == 0:
            gdf[column] = values
        else:
            mixed = raw[column].copy()
            mixed[numeric] = values[numeric]
            gdf[column] = mixed
    if not fill.any():
        return gdf, []
    return gdf, [
        Problem(
            label,
            None,
            "seat_lon",
            int(fill.sum()),
            "township seat (驻地经度/驻地纬度) missing; using a point inside the township",
            "warning",
        )
    ]


def _map_osm_highway(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "road_class" not in gdf.columns:
        return gdf
    values = gdf["road_class"].astype("str").str.strip().str.lower()
    known = {m.value for m in RoadClass}
    osm = values.isin(list(_OSM_HIGHWAY)) & ~values.isin(known)
    if osm.any():
        gdf = gdf.copy()
        gdf.loc[osm, "road_class"] = values[osm].map(_OSM_HIGHWAY)
        log.info("roads: mapped %d OpenStreetMap highway tags to road classes", int(osm.sum()))
    return gdf


def _read(
    path: str | Path,
    layer: str,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    fix: bool = False,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read and check one file; never raises for bad data (returns the problems)."""
    path = Path(path)
    label = path.name
    if layer not in LAYERS:
        raise ValidationError(
            [
                Problem(
                    label,
                    None,
                    "layer",
                    layer,
                    f"not a workspace layer; expected one of {', '.join(LAYERS)}",
                )
            ],
            context=label,
        )
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    source = _source_key(source_crs)
    suffix = path.suffix.lower()
    reported: list[int] = []
    gdf: gpd.GeoDataFrame | None
    if suffix in _TABLE_SUFFIXES:
        gdf, problems, reported = _read_table(
            path,
            label=label,
            layer=layer,
            encoding=encoding,
            sheet=sheet,
            lon_col=lon_col,
            lat_col=lat_col,
            source=source,
        )
    elif suffix in _VECTOR_SUFFIXES or path.is_dir():
        gdf, problems = _read_vector(
            path,
            label=label,
            layer=layer,
            source_layer=source_layer,
            encoding=encoding,
        )
        if gdf is not None:
            # GeoJSON and KML are WGS84 by specification; GDAL reports that as EPSG:4326.
            gdf, found, source = _to_cgcs2000(gdf, source=source, label=label, default_wgs84=False)
            problems.extend(found)
            gdf = _rename_columns(gdf, layer, gdf.geometry.name)
    else:
        supported = ", ".join(sorted(_VECTOR_SUFFIXES | _TABLE_SUFFIXES))
        return None, [
            Problem(
                label, None, None, path.suffix, f"unsupported file type; use one of {supported}"
            )
        ]
    if gdf is None:
        return None, problems
    if layer == "roads":
        gdf = _map_osm_highway(gdf)
    if layer == "townships" and gdf.crs is not None:
        gdf, found = _fill_seats(gdf, label, source)
        problems.extend(found)
    cleaned, found = check_layer(gdf, layer, fix=fix, label=label)
    if reported:
        rows = _Rows(cleaned, LAYERS[layer])
        skip = {rows[p] for p in reported}
        found = [p for p in found if not (p.field == "geometry" and p.row in skip)]
    problems.extend(found)
    return cleaned, problems


def _log_warnings(problems: Iterable[Problem]) -> None:
    for problem in problems:
        if problem.severity == "warning":
            log.warning("%s", problem)


def read_layer(
    path: str | Path,
    *,
    layer: str,
    source_layer: str | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | None = None,
    fix: bool = False,
) -> gpd.GeoDataFrame:
    """Read one file into the schema of workspace layer ``layer``, in CGCS2000.

    Formats by extension: ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (or a ``.zip`` holding
    one), ``.fgb``, ``.kml``/``.kmz``, ``.csv``/``.tsv``/``.txt`` (UTF-8 with or without BOM,
    or GB18030, detected), ``.xlsx``. Headers in Chinese or English are renamed to the
    schema's names (:func:`column_aliases`); other columns are kept. Codes stay strings
    (``430623101001.0`` from Excel is repaired), enum values are stored in English (联络站 →
    ``station``). Tables give point layers from longitude/latitude columns (decimal or
    ``112°30′15″``) or any layer from a WKT column.

    Coordinates: files with a CRS are reprojected to EPSG:4490. GeoJSON and KML are WGS84
    by specification; CSV/XLSX lon/lat are taken as CGCS2000/WGS84 unless ``source_crs``
    says otherwise (a warning is logged). ``source_crs="gcj02"`` (AMap, Tencent, Ovital) or
    ``"bd09"`` (Baidu) converts every vertex to CGCS2000. A Shapefile without ``.prj`` needs
    ``source_crs``.

    Parameters
    ----------
    path : str or Path
        The file to read.
    layer : str
        Workspace layer to read into, a key of :data:`gridgov.model.LAYERS`.
    source_layer : str, optional
        Layer inside a GeoPackage/KML (or Shapefile inside a zip); needed only when the
        file has several and none is named like ``layer``.
    encoding : str, optional
        Text encoding of a Shapefile DBF or CSV, e.g. ``"GBK"``.
    source_crs : str, optional
        ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09`` (or amap/tencent/baidu...).
    lon_col, lat_col : str, optional
        Coordinate columns of a CSV/XLSX when they are not detected.
    sheet : str, optional
        Sheet of an XLSX workbook; by default one named like the layer (``villages`` or
        ``村（社区）``), else the first.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of refusing them.

    Returns
    -------
    GeoDataFrame
        In EPSG:4490, schema columns first as found, with a fresh RangeIndex.

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    CRSError
        If ``source_crs`` is not a known system.
    ValidationError
        Listing every problem in the file (``context`` is the file name): garbled text
        (suggesting ``encoding="GBK"``), missing CRS, bad or missing values, invalid
        geometries, duplicate codes, swapped or out-of-China coordinates...
    """
    gdf, problems = _read(
        path,
        layer,
        source_layer=source_layer,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        sheet=sheet,
        fix=fix,
    )
    if gdf is None or any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context=Path(path).name)
    _log_warnings(problems)
    return gdf


# --- workspaces -------------------------------------------------------------------------------


def read_workspace(path: str | Path) -> Workspace:
    """Open a workspace GeoPackage.

    Parameters
    ----------
    path : str or Path
        A GeoPackage written by :func:`write_workspace` (or by hand, with layers named as
        in :data:`gridgov.model.LAYERS`, in EPSG:4490).

    Returns
    -------
    Workspace
        Layers with schema kinds restored (codes as strings, integer columns as integers,
        nullable where values are missing), and ``meta`` from the ``gridgov_meta`` table.

    Raises
    ------
    NotFoundError
        If the file does not exist.
    ValidationError
        If it is not a GeoPackage or lacks a required layer.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"workspace {path} does not exist")
    try:
        names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise ValidationError(
            [Problem(path.name, None, None, None, f"not a readable GeoPackage: {exc}")],
            context=str(path),
        ) from exc
    missing = [name for name in REQUIRED_LAYERS if name not in names]
    if missing:
        raise ValidationError(
            [
                Problem(name, None, None, None, f"the workspace has no {name} layer")
                for name in missing
            ],
            context=str(path),
        )
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYERS:
        if name not in names:
            continue
        gdf = pyogrio.read_dataframe(path, layer=name, use_arrow=_HAS_ARROW)
        gdf, problems = coerce_values(gdf, name)
        if problems:
            log.warning("%s: %d value problem(s) in layer %s", path.name, len(problems), name)
        layers[name] = gdf
    meta: dict[str, str] = {}
    if META_LAYER in names:
        table = pyogrio.read_dataframe(path, layer=META_LAYER, read_geometry=False)
        meta = {str(k): str(v) for k, v in zip(table["key"], table["value"], strict=True)}
    return Workspace(**layers, meta=meta)


def _reproject(ws: Workspace) -> Workspace:
    """Layers with a CRS other than EPSG:4490 converted to it (missing CRS left to validation)."""
    changed: dict[str, gpd.GeoDataFrame] = {}
    target = pyproj.CRS(_crs.CGCS2000)
    for name, gdf in ws.layers().items():
        if gdf.crs is not None and not pyproj.CRS(gdf.crs).equals(target):
            log.info("%s: reprojecting from %s to EPSG:4490", name, gdf.crs.to_string())
            changed[name] = gdf.to_crs(target)
    return replace(ws, **changed) if changed else ws


def _meta(ws: Workspace, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    from gridgov import __version__

    meta = dict(ws.meta)
    county = ws.county
    if len(county):
        if "code" in county.columns and pd.notna(county["code"].iloc[0]):
            meta["county_code"] = str(county["code"].iloc[0])
        if "name" in county.columns and pd.notna(county["name"].iloc[0]):
            meta["county_name"] = str(county["name"].iloc[0])
        meta["projected_crs"] = _crs.projected_crs_for(county).to_string()
    meta["crs"] = _crs.CGCS2000
    meta["schema_version"] = SCHEMA_VERSION
    meta["gridgov_version"] = __version__
    meta["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if extra:
        meta.update({str(k): str(v) for k, v in extra.items()})
    return meta


_GPKG_GEOMETRY = {
    ("Polygon", "MultiPolygon"): "MultiPolygon",
    ("Point",): "Point",
    ("LineString", "MultiLineString"): "MultiLineString",
}


def _for_gpkg(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy GDAL writes without surprises: plain index, unique column names, text extras."""
    out = gdf.reset_index(drop=True)
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    seen: set[str] = set()
    renames: dict[Any, str] = {}
    for column in out.columns:
        name = str(column)
        if name.lower() == "fid":
            name = f"{name}_source"
        base, k = name, 2
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name.lower())
        if name != column:
            renames[column] = name
    out = out.rename(columns=renames)
    for column in out.columns:
        if column != "geometry" and pd.api.types.is_object_dtype(out[column].dtype):
            kinds = {type(v) for v in out[column].dropna()}
            if len(kinds) > 1:
                out[column] = out[column].map(lambda v: None if pd.isna(v) else str(v))
    return out


def _write_gpkg(ws: Workspace, path: Path) -> None:
    """Write every layer and the meta table to a temporary file, then replace ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp = workdir / (path.name if path.suffix.lower() == ".gpkg" else f"{path.name}.gpkg")
    try:
        for name, gdf in ws.layers().items():
            geometry_type = _GPKG_GEOMETRY[LAYERS[name].geometry]
            pyogrio.write_dataframe(
                _for_gpkg(gdf),
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=geometry_type.startswith("Multi"),
            )
        meta = pd.DataFrame(
            {"key": list(ws.meta), "value": [str(v) for v in ws.meta.values()]}, dtype=str
        )
        pyogrio.write_dataframe(meta, tmp, layer=META_LAYER, driver="GPKG")
        tmp.replace(path)  # atomic on POSIX and Windows (os.replace)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("wrote workspace %s (%s)", path, ", ".join(f"{k} {v}" for k, v in ws.counts().items()))


def _write_validated(
    ws: Workspace,
    path: str | Path,
    *,
    fix: bool,
    settings: Settings | None,
    meta: Mapping[str, str] | None = None,
) -> tuple[Workspace, list[Problem]]:
    path = Path(path)
    fixed, problems = validate_workspace(_reproject(ws), settings=settings, fix=fix)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context=path.name)
    fixed = replace(fixed, meta=_meta(fixed, meta))
    _write_gpkg(fixed, path)
    return fixed, problems


def write_workspace(
    ws: Workspace, path: str | Path, *, fix: bool = False, settings: Settings | None = None
) -> list[Problem]:
    """Validate ``ws`` and write it as a workspace GeoPackage, atomically.

    Every layer is written in EPSG:4490 (layers in another CRS are reprojected first),
    polygons as MultiPolygon and lines as MultiLineString, with the ``gridgov_meta`` table
    (county code and name, CRS, projected CRS, versions, time). The file is first written
    next to ``path`` and then moved over it with :func:`os.replace`, so on any failure the
    old file is left untouched.

    Parameters
    ----------
    ws : Workspace
        The workspace; not modified.
    path : str or Path
        Target ``.gpkg``; its folder is created if needed.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of refusing them.
    settings : Settings, optional
        Tolerances used by validation.

    Returns
    -------
    list of Problem
        The warnings (nothing is written when there is an error).

    Raises
    ------
    ValidationError
        Listing every problem, when any is an error; nothing is written.
    """
    _, problems = _write_validated(ws, path, fix=fix, settings=settings)
    return problems


def _assemble(
    workspace: str | Path | None,
    sources: Mapping[str, str | Path],
    *,
    encoding: str | None,
    source_crs: str | None,
    lon_col: str | None,
    lat_col: str | None,
    fix: bool,
    settings: Settings | None,
) -> tuple[Workspace | None, list[Problem]]:
    """Read every source, merge with the existing workspace, check everything once."""
    problems: list[Problem] = []
    unknown = [name for name in sources if name not in LAYERS]
    if unknown:
        raise ValidationError(
            [
                Problem(
                    "sources",
                    None,
                    "layer",
                    name,
                    f"not a workspace layer; expected one of {', '.join(LAYERS)}",
                )
                for name in unknown
            ],
            context="sources",
        )
    absent = [Path(p) for p in sources.values() if not Path(p).exists()]
    if absent:
        raise NotFoundError("no such file: " + ", ".join(str(p) for p in absent))
    new: dict[str, gpd.GeoDataFrame] = {}
    failed: set[str] = set()
    labels: dict[str, str] = {}
    for name, source in sources.items():
        gdf, found = _read(
            source,
            name,
            encoding=encoding,
            source_crs=source_crs,
            lon_col=lon_col,
            lat_col=lat_col,
            fix=fix,
        )
        problems.extend(found)
        labels[name] = Path(source).name
        if gdf is None or gdf.crs is None:
            failed.add(name)
        else:
            new[name] = gdf

    layers: dict[str, gpd.GeoDataFrame] = {}
    meta: dict[str, str] = {}
    if workspace is not None and Path(workspace).exists():
        existing = read_workspace(workspace)
        meta = dict(existing.meta)
        for name, gdf in existing.layers().items():
            if name in sources:
                continue
            cleaned, found = check_layer(gdf, name, fix=fix)
            problems.extend(found)
            layers[name] = cleaned
    layers.update(new)
    for name in REQUIRED_LAYERS:
        if name not in layers and name not in failed:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    None,
                    f"the workspace has no {name} layer; give a {name} file too "
                    "(the workspace does not exist yet)"
                    if workspace is None or not Path(workspace).exists()
                    else f"the workspace has no {name} layer",
                )
            )
    problems.extend(check_relations(layers, settings=settings, labels=labels))
    if any(name not in layers for name in REQUIRED_LAYERS):
        return None, problems
    meta.update({f"source_{name}": Path(p).name for name, p in sources.items()})
    return Workspace(**layers, meta=meta), problems


def preview_workspace(
    workspace: str | Path | None,
    sources: Mapping[str, str | Path],
    *,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    fix: bool = False,
    settings: Settings | None = None,
) -> tuple[Workspace, list[Problem]]:
    """The workspace that :func:`load_into_workspace` would write, and its warnings; writes nothing.

    Parameters
    ----------
    workspace : str or Path or None
        Existing workspace to merge into (None or a missing file: start empty).
    sources : mapping of str to path
        Layer name -> file, as for :func:`load_into_workspace`.
    encoding, source_crs, lon_col, lat_col
        As for :func:`read_layer`; applied to every source.
    fix : bool, default False
        Repair invalid geometries instead of refusing them.
    settings : Settings, optional
        Tolerances used by validation.

    Returns
    -------
    Workspace
        Merged, cleaned and checked; warnings are logged.

    Raises
    ------
    ValidationError
        Listing every problem of every file and of the merged workspace, if any is an error.
    NotFoundError
        If a source file does not exist.
    """
    ws, problems = _assemble(
        workspace,
        sources,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        fix=fix,
        settings=settings,
    )
    if ws is None or any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context=str(workspace or "input"))
    _log_warnings(problems)
    return ws, problems


def load_into_workspace(
    workspace: str | Path,
    sources: Mapping[str, str | Path],
    *,
    encoding: str | None = None,
    source_crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    fix: bool = False,
    settings: Settings | None = None,
    meta: Mapping[str, str] | None = None,
) -> tuple[Workspace, list[Problem]]:
    """Read files into layers of a workspace GeoPackage, all or nothing.

    Every source is read (:func:`read_layer`), the result is merged with the existing
    workspace (the named layers are replaced), the whole is validated, and only then is it
    written, atomically. Problems of all files and of the merged workspace are reported
    together in one :class:`~gridgov._errors.ValidationError`; on any error the existing
    file is not touched.

    Parameters
    ----------
    workspace : str or Path
        Workspace GeoPackage; created if missing (then the required layers county,
        townships, villages and stations must all be among ``sources``).
    sources : mapping of str to path
        Layer name (:data:`gridgov.model.LAYERS` key) -> file to read into it.
    encoding, source_crs, lon_col, lat_col
        As for :func:`read_layer`; applied to every source.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of refusing them.
    settings : Settings, optional
        Tolerances used by validation.
    meta : mapping of str to str, optional
        Extra ``gridgov_meta`` entries (provenance, notes).

    Returns
    -------
    (Workspace, list of Problem)
        The workspace as written, and the warnings.

    Raises
    ------
    ValidationError
        Listing every problem, if any is an error; nothing is written.
    NotFoundError
        If a source file does not exist.
    """
    ws, problems = preview_workspace(
        workspace,
        sources,
        encoding=encoding,
        source_crs=source_crs,
        lon_col=lon_col,
        lat_col=lat_col,
        fix=fix,
        settings=settings,
    )
    written = replace(ws, meta=_meta(ws, meta))
    _write_gpkg(written, Path(workspace))
    return written, problems


# --- summaries ----------------------------------------------------------------------------------


def _breakdown(series: pd.Series, members: Iterable[str]) -> dict[str, int]:
    counts = series.value_counts()
    out = {m: int(counts.get(m, 0)) for m in members}
    for value, count in counts.items():
        if str(value) not in out:
            out[str(value)] = int(count)
    return out


def workspace_info(path: str | Path) -> dict[str, Any]:
    """Summarise a workspace for people and scripts (JSON-serialisable).

    Parameters
    ----------
    path : str or Path
        A workspace GeoPackage.

    Returns
    -------
    dict
        ``path``, ``file_size_bytes``, ``county_code``, ``county_name``, ``crs``,
        ``projected_crs``, ``county_area_km2``, ``bounds`` (lon/lat), ``counts`` per layer,
        ``villages_by_kind``, ``population_total``, ``households_total``,
        ``stations_by_tier``, ``stations_by_kind``, ``deputies_by_level``,
        ``deputies_without_station``, ``grids``, ``road_km_by_class``, ``road_km_total``
        (lengths measured in the projected CRS), and ``meta``.

    Raises
    ------
    NotFoundError
        If the file does not exist.
    ValidationError
        If it is not a workspace.
    """
    path = Path(path)
    ws = read_workspace(path)
    county = ws.county
    projected = (
        pyproj.CRS(ws.meta["projected_crs"])
        if "projected_crs" in ws.meta
        else _crs.projected_crs_for(county)
    )
    info: dict[str, Any] = {
        "path": str(path),
        "file_size_bytes": int(path.stat().st_size),
        "county_code": str(county["code"].iloc[0]) if len(county) else "",
        "county_name": str(county["name"].iloc[0]) if len(county) else "",
        "crs": _crs.CGCS2000,
        "projected_crs": projected.to_string(),
        "county_area_km2": round(float(county.to_crs(projected).area.sum()) / 1e6, 3),
        "bounds": [round(float(v), 6) for v in county.total_bounds],
        "counts": {name: int(n) for name, n in ws.counts().items()},
    }
    villages = ws.villages
    info["villages_by_kind"] = _breakdown(villages["kind"], (m.value for m in VillageKind))
    info["population_total"] = int(pd.to_numeric(villages["population"]).sum())
    info["households_total"] = int(pd.to_numeric(villages["households"]).sum())
    stations = ws.stations
    info["stations_by_tier"] = _breakdown(stations["tier"], (m.value for m in StationTier))
    info["stations_by_kind"] = _breakdown(stations["kind"], (m.value for m in StationKind))
    # Every key is present even when its layer is not, so scripts need no special cases.
    deputies = ws.deputies
    levels = deputies["level"] if deputies is not None else pd.Series([], dtype=str)
    info["deputies_by_level"] = _breakdown(levels, (m.value for m in DeputyLevel))
    if deputies is None:
        info["deputies_without_station"] = 0
    elif "station_id" in deputies.columns:
        info["deputies_without_station"] = int(deputies["station_id"].isna().sum())
    else:
        info["deputies_without_station"] = len(deputies)
    info["grids"] = len(ws.grids) if ws.grids is not None else 0
    roads = ws.roads
    by_class = pd.Series(dtype="float64")
    if roads is not None and len(roads):
        km = roads.to_crs(projected).length / 1000.0
        by_class = km.groupby(roads["road_class"].astype(str).to_numpy()).sum()
    info["road_km_by_class"] = {
        **{m.value: round(float(by_class.get(m.value, 0.0)), 3) for m in RoadClass},
        **{str(k): round(float(v), 3) for k, v in by_class.items()},
    }
    info["road_km_total"] = round(float(by_class.sum()), 3)
    info["meta"] = dict(ws.meta)
    return info


def write_table(df: pd.DataFrame, path: str | Path, *, sheet: str = "Sheet1") -> Path:
    """Write a table people open in Excel: CSV as UTF-8 with BOM, or XLSX.

    Parameters
    ----------
    df : DataFrame
        The table; a GeoDataFrame is written without its geometry column.
    path : str or Path
        ``.csv`` or ``.xlsx``; the folder is created if needed.
    sheet : str, default "Sheet1"
        Sheet name for XLSX (cut to Excel's 31 characters).

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        If the extension is neither ``.csv`` nor ``.xlsx``.
    """
    target = Path(path)
    table = pd.DataFrame(df)
    if isinstance(df, gpd.GeoDataFrame):
        table = table.drop(columns=[df.geometry.name])
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        # Excel on Chinese Windows reads BOM-less CSV as GBK; the BOM makes it pick UTF-8.
        table.to_csv(target, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        write_xlsx({sheet: table}, target)
    else:
        raise ValueError(f"path={str(path)!r}: write_table writes .csv or .xlsx files")
    return target


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``{sheet name: table}`` to one XLSX file with frozen headers; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for column in ws.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                ws.column_dimensions[column[0].column_letter].width = min(40, 4 + width * 1.6)
    return target


def write_result_layers(path: str | Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Add or replace analysis layers (coverage, plans) in an existing workspace, atomically.

    The workspace's own layers are untouched; a copy gets the new layers and replaces the
    file only when every layer is written. Names must not clash with workspace layers.
    Analysis layers are derived data: rewriting the workspace (``gridgov load``) drops them,
    and rerunning the analysis writes them again.

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    ValueError
        If a name is one of the workspace layers.
    """
    target = Path(path)
    if not target.exists():
        raise NotFoundError(f"workspace {str(target)!r} does not exist")
    clash = sorted(set(layers) & (set(LAYERS) | {META_LAYER}))
    if clash:
        raise ValueError(f"layers={clash!r}: these names belong to the workspace itself")
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    tmp = workdir / target.name
    try:
        shutil.copy2(target, tmp)
        for name, gdf in layers.items():
            out = gdf.to_crs(_crs.CGCS2000) if gdf.crs is not None else gdf
            pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG", promote_to_multi=True)
        tmp.replace(target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target
