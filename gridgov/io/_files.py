"""Reading each file format into a frame, with every problem of the file collected.

Vector files (GeoPackage, GeoJSON, Shapefile or a zip holding one, FlatGeobuf, KML/KMZ)
go through pyogrio; tables (CSV/TSV/TXT in UTF-8 or GB18030, XLSX) through pandas, with
points made from longitude/latitude columns or any geometry from a WKT column. Text
encodings are handled here: a GBK Shapefile without a ``.cpg`` is recognised by its
mojibake, and a DBF whose field names were cut mid-character is decoded by hand. Nothing
here raises for a bad file: the readers return ``None`` and the problems.
"""

from __future__ import annotations

import logging
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from gridgov import crs as _crs
from gridgov._errors import Problem
from gridgov._validate import RowLabels
from gridgov.io._columns import (
    LAT_ALIASES,
    LON_ALIASES,
    WKT_ALIASES,
    find_column,
    norm_header,
    rename_columns,
)
from gridgov.io._coords import clean_geometries, deoffset, layer_to_cgcs2000, parse_coordinate
from gridgov.model import LAYERS

__all__ = ["TABLE_SUFFIXES", "VECTOR_SUFFIXES", "read_table", "read_vector"]

log = logging.getLogger(__name__)


VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", ".kmz", ".fgb"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
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
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN1_HIGH = re.compile(r"[\x80-\xff]")


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


# --- vector files ---------------------------------------------------------------------------


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


def read_vector(
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
    except UnicodeDecodeError as exc:
        if not is_shapefile:
            return None, [
                Problem(label, None, None, None, f"cannot list the layers of the file: {exc}")
            ]
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
    gdf = clean_geometries(gdf)
    return gdf, problems


# --- tables ---------------------------------------------------------------------------------


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
            wanted = {norm_header(layer), norm_header(LAYERS[layer].label_zh)}
            matches = [n for n in names if norm_header(n) in wanted]
            chosen = matches[0] if matches else names[0]
        df = pd.read_excel(book, sheet_name=chosen, dtype=str)
    log.info("%s: reading sheet %r", label, chosen)
    return df, None


def read_table(
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
    wkt_col = find_column(df.columns, None, WKT_ALIASES)
    is_point = "Point" in schema.geometry
    lon_name = lat_name = None
    if is_point and not (wkt_col is not None and lon_col is None and lat_col is None):
        lon_name = find_column(df.columns, lon_col, LON_ALIASES, "经度")
        lat_name = find_column(df.columns, lat_col, LAT_ALIASES, "纬度")
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
    attrs = rename_columns(df.drop(columns=geometry_cols), layer, None)
    rows = RowLabels(attrs, schema)
    problems: list[Problem] = []
    reported: list[int] = []
    if lon_name is not None and lat_name is not None:
        lon, lon_present = parse_coordinate(df[lon_name])
        lat, lat_present = parse_coordinate(df[lat_name])
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
            lon, lat = deoffset(lon, lat, source)
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
    gdf = clean_geometries(gdf)
    if wkt_col is not None and lon_name is None:
        gdf, found, _ = layer_to_cgcs2000(gdf, source=source, label=label, default_wgs84=True)
        problems.extend(found)
    else:
        gdf = gdf.set_crs(_crs.CGCS2000)
    return gdf, problems, reported
