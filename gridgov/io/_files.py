"""Reading each file format into a frame, with every problem of the file collected.

Vector files (GeoPackage, GeoJSON, Shapefile or a zip holding one, FlatGeobuf, KML/KMZ)
go through pyogrio; tables (CSV/TSV/TXT, XLSX and old XLS workbooks) are read cell by
cell into a grid that :mod:`gridgov.io._tables` turns into a frame as an office would lay
it out (a title above the header, totals below). Text encodings are settled here, per
file: a format whose specification fixes the encoding (GeoJSON, GeoPackage, KML) is read
as UTF-8 whatever the command line says; a Shapefile's ``.cpg`` is believed; otherwise the
bytes are sniffed (UTF-8, UTF-8 with BOM, GBK/GB18030, Big5) with charset-normalizer, and a
DBF that still reads as mojibake is read again as GBK. Every such decision is returned as
a :class:`Note` the user can read and override. Nothing here raises for a bad file: the
readers return ``None`` and the problems.
"""

from __future__ import annotations

import codecs
import csv
import io as _io
import logging
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from gridgov._errors import Problem
from gridgov._validate import RowLabels
from gridgov._validate.source import SOURCE_SHEET
from gridgov._validate.vocabulary import layer_term
from gridgov.io._columns import (
    LAT_ALIASES,
    LON_ALIASES,
    WKT_ALIASES,
    find_column,
    norm_header,
    rename_columns,
)
from gridgov.io._coords import Note, clean_geometries, parse_coordinate, to_cgcs2000
from gridgov.io._notes import Said
from gridgov.io._tables import Grid, TableLayout, lay_out_table
from gridgov.messages import text as _text
from gridgov.model import LAYERS

__all__ = [
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "FileRead",
    "detect_encoding",
    "read_table",
    "read_vector",
]

log = logging.getLogger(__name__)


VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", ".kmz", ".fgb"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
#: Formats whose specification fixes the text encoding (UTF-8): no guess, no override.
UTF8_BY_SPEC = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
    ".kmz": "KML",
}
#: Formats whose specification fixes the coordinate system (WGS84, longitude first).
WGS84_BY_SPEC = {".kml": "KML", ".kmz": "KML", ".geojson": "GeoJSON", ".json": "GeoJSON"}
_NA_TEXT = {"", "NULL", "null", "NaN", "nan", "None", "#N/A", "N/A", "n/a", "#VALUE!", "#REF!"}
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
# How much of a file the encoding is sniffed from: enough for charset-normalizer to be sure.
_SNIFF_BYTES = 2_000_000


@dataclass
class FileRead:
    """What reading one file gave: the frame (or None), its problems and the notes on how
    it was read. A table's frame is indexed by each row's number as the user sees it in
    Excel (1-based, counting title and header rows; the index is named ``source_row``);
    ``reported`` holds the positions whose geometry problems were already reported;
    ``offset`` is the offset system removed (``gcj02``/``bd09``), for columns converted
    like the geometry (township seats)."""

    frame: gpd.GeoDataFrame | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    reported: list[int] = field(default_factory=list)
    offset: str | None = None


# --- text encodings -------------------------------------------------------------------------


def _incremental(data: bytes, codec: str) -> bool:
    """True if ``data`` decodes as ``codec``, allowing a character cut at the end."""
    try:
        codecs.getincrementaldecoder(codec)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes) -> tuple[str, str] | None:
    """The text encoding of ``data``: ``(codec to decode with, name to show)``, or None.

    A BOM decides (UTF-8 or UTF-16); then valid UTF-8 is UTF-8 (plain ASCII included);
    otherwise charset-normalizer chooses between the GB family and Big5, preferring GB on a
    tie as a mainland county's files are. GB text is decoded as GB18030 (a superset) and
    shown as GBK when every character is in GBK.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    sample = data[:_SNIFF_BYTES]
    if _incremental(sample, "utf-8"):
        return "utf-8", "UTF-8"
    from charset_normalizer import from_bytes

    chaos = {m.encoding: m.chaos for m in from_bytes(sample, cp_isolation=["gb18030", "big5"])}
    gb_ok = _incremental(sample, "gb18030")
    if "big5" in chaos and ("gb18030" not in chaos or chaos["big5"] < chaos["gb18030"] - 0.05):
        return "big5", "Big5"
    if not gb_ok:
        return None
    return "gb18030", "GBK" if _incremental(sample, "gbk") else "GB18030"


def _show_codec(codec: str) -> str:
    """An encoding name as people write it (``gbk`` -> ``GBK``, ``utf_8_sig`` -> ``UTF-8 BOM``)."""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    shown = {"utf-8-sig": "UTF-8 BOM", "iso8859-1": "ISO-8859-1", "latin-1": "ISO-8859-1"}
    return shown.get(name, name.upper())


def _detected_why(label: str, shown: str, grounds: Said | None = None) -> Said:
    """Why an encoding was taken, and how to name another: ``自动识别：无 .cpg 文件；不对请写
    villages.shp@utf-8``."""
    other = f"{label}@{'gbk' if shown.startswith('UTF') else 'utf-8'}"
    if grounds is None:
        return Said.of("note.detected_or", option=other)
    return Said.of("note.detected_because_or", grounds=grounds, option=other)


def _encoding_note(label: str, shown: str, basis: str, why: Said) -> Note:
    return Note(label, "encoding", shown, basis, Said.of("note.encoding", encoding=shown), why)


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


def _garbled_sample(gdf: pd.DataFrame) -> tuple[str, str | None] | None:
    # Values first, so the message shows a name the user recognises rather than a header.
    sample: list[object] = []
    for column in gdf.columns:
        if column != getattr(gdf, "active_geometry_name", None) and (
            pd.api.types.is_object_dtype(gdf[column].dtype)
            or pd.api.types.is_string_dtype(gdf[column].dtype)
        ):
            sample.extend(gdf[column].dropna().unique()[:200].tolist())
    sample.extend(str(c) for c in gdf.columns)
    return _garbled(sample)


def _garbled_problem(label: str, found: tuple[str, str | None], used: str) -> Problem:
    bad, fixed = found
    reads_as = Said.of("load.garbled_reads_as", fixed=fixed) if fixed else ""
    return Problem(
        label,
        None,
        "encoding",
        bad,
        _text("load.garbled", codec=used, reads_as=reads_as, file=label),
    )


# --- Shapefile parts and DBF text -----------------------------------------------------------


def _shapefile_parts(
    path: Path, target: str, suffixes: Iterable[str] | None = None
) -> dict[str, bytes]:
    """The files of one Shapefile (by extension) from a folder or a zip."""
    wanted = None if suffixes is None else set(suffixes)
    if path.suffix.lower() == ".zip":
        member = target.split(f"{path.resolve()}/", 1)[1]
        stem = member[: -len(Path(member).suffix)]
        with zipfile.ZipFile(path) as archive:
            return {
                Path(m).suffix.lower(): archive.read(m)
                for m in archive.namelist()
                if m[: -len(Path(m).suffix) or None] == stem
                and (wanted is None or Path(m).suffix.lower() in wanted)
            }
    return {
        f.suffix.lower(): f.read_bytes()
        for f in path.parent.iterdir()
        if f.stem == path.stem and f.is_file() and (wanted is None or f.suffix.lower() in wanted)
    }


def _dbf_text(dbf: bytes, limit: int = _SNIFF_BYTES) -> tuple[bytes, bytes]:
    """The non-ASCII bytes of a DBF's field names and of its text values (a sample)."""
    if len(dbf) < 32:
        return b"", b""
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    names: list[bytes] = []
    fields: list[tuple[int, int]] = []  # (offset in record, length) of character fields
    offset = 1  # the deletion flag
    for pos in range(32, min(header_len, len(dbf)) - 31, 32):
        if dbf[pos] == 0x0D:
            break
        descriptor = dbf[pos : pos + 32]
        names.append(descriptor[:11].split(b"\x00", 1)[0])
        length = descriptor[16]
        if descriptor[11:12] in (b"C", b"M", b"V"):
            fields.append((offset, length))
        offset += length
    values: list[bytes] = []
    size = 0
    for k in range(n_records):
        start = header_len + k * record_len
        record = dbf[start : start + record_len]
        if len(record) < record_len or size > limit:
            break
        for at, length in fields:
            value = record[at : at + length].rstrip(b" \x00")
            if any(b > 0x7F for b in value):
                values.append(value)
                size += len(value)
    pick = [n for n in names if any(b > 0x7F for b in n)]
    return b"\n".join(pick), b"\n".join(values)


@dataclass(frozen=True)
class _DbfEncoding:
    """The encoding to read a DBF with: ``codec`` to hand to GDAL (None: GDAL decides from
    the .cpg, or nothing needs deciding), and the note saying so."""

    codec: str | None
    note: Note | None
    given: bool


def _dbf_encoding(
    path: Path, target: str, *, label: str, file_encoding: str | None, global_encoding: str | None
) -> _DbfEncoding:
    parts = _shapefile_parts(path, target, (".cpg", ".dbf"))
    cpg = parts.get(".cpg", b"").decode("ascii", errors="ignore").strip()
    if file_encoding is not None:
        option = f"{label}@{file_encoding}"
        why = (
            Said.of("note.by_option_cpg", option=option, cpg=cpg)
            if cpg
            else Said.of("note.by_option", option=option)
        )
        return _DbfEncoding(
            file_encoding, _encoding_note(label, _show_codec(file_encoding), "given", why), True
        )
    if cpg:
        why = (
            Said.of("note.by_cpg_not_option", option=f"--encoding {global_encoding}")
            if global_encoding
            else Said.of("note.by_cpg")
        )
        return _DbfEncoding(None, _encoding_note(label, cpg.upper(), "declared", why), False)
    if global_encoding is not None:
        shown = _show_codec(global_encoding)
        why = Said.of("note.by_option", option="--encoding")
        return _DbfEncoding(global_encoding, _encoding_note(label, shown, "given", why), True)
    names, values = _dbf_text(parts.get(".dbf", b""))
    text = values + b"\n" + names if values else names
    if not text.strip():
        return _DbfEncoding(None, None, False)  # ASCII only: nothing to decide
    found = detect_encoding(text)
    if found is None:
        return _DbfEncoding(None, None, False)  # left to GDAL, and to the mojibake check
    codec, shown = found
    why = _detected_why(label, shown, Said.of("note.no_cpg"))
    return _DbfEncoding(codec.upper(), _encoding_note(label, shown, "detected", why), False)


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
        _text("load.field_names_cut", codec=codec),
        "warning",
    )


def _values_decode(path: Path, target: str, codec: str) -> bool:
    """True if the DBF's text values (not its field names) decode as ``codec``."""
    _, values = _dbf_text(_shapefile_parts(path, target, (".dbf",)).get(".dbf", b""))
    try:
        return _incremental(values, codec)
    except LookupError:
        return True


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
            _text("load.no_such_source_layer", name=source_layer, names=", ".join(names) or "-"),
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
        _text("load.many_layers", count=len(names), names=", ".join(names)),
    )


def _zip_target(
    path: Path, label: str, source_layer: str | None
) -> tuple[str | None, Problem | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
    except zipfile.BadZipFile as exc:
        return None, Problem(label, None, None, None, _text("load.bad_zip", error=exc))
    shps = [m for m in members if m.lower().endswith(".shp") and not m.startswith("__MACOSX")]
    if not shps:
        return None, Problem(label, None, None, None, _text("load.zip_no_shp"))
    chosen = shps[0]
    if len(shps) > 1:
        wanted = [m for m in shps if source_layer and Path(m).stem == source_layer]
        if not wanted:
            return None, Problem(
                label,
                None,
                None,
                None,
                _text("load.zip_many_shp", count=len(shps), names=", ".join(shps)),
            )
        chosen = wanted[0]
    return f"/vsizip/{path.resolve()}/{chosen}", None


def _geojson_declares_crs(path: Path) -> bool:
    """True if a GeoJSON file has the (pre-RFC 7946) ``crs`` member naming its CRS."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    return re.search(rb'"crs"\s*:\s*\{', head) is not None


def _read_layers(
    target: str, names: list[str], chosen: str | None, codec: str | None
) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {} if codec is None else {"encoding": codec}
    if chosen is not None:
        return pyogrio.read_dataframe(target, layer=chosen, **kwargs)
    parts = [pyogrio.read_dataframe(target, layer=n, **kwargs) for n in names]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pyogrio.read_dataframe(target, layer=names[0], **kwargs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


@dataclass
class _Encoding:
    """The encoding to read a vector file with (None: the file's own), whether the user
    named it, and the notes saying so."""

    codec: str | None
    given: bool
    notes: list[Note]


def _vector_encoding(
    path: Path,
    target: str,
    *,
    label: str,
    file_encoding: str | None,
    global_encoding: str | None,
) -> _Encoding:
    suffix = path.suffix.lower()
    if suffix in (".shp", ".zip"):
        decided = _dbf_encoding(
            path, target, label=label, file_encoding=file_encoding, global_encoding=global_encoding
        )
        return _Encoding(decided.codec, decided.given, [decided.note] if decided.note else [])
    if suffix in UTF8_BY_SPEC:
        asked = file_encoding or global_encoding
        if asked is None or _show_codec(asked) == "UTF-8":
            return _Encoding(None, False, [])
        # The specification fixes UTF-8: a user's encoding could only garble the text.
        which = f"{label}@{file_encoding}" if file_encoding else f"--encoding {global_encoding}"
        why = Said.of("note.by_spec_not_option", spec=UTF8_BY_SPEC[suffix], option=which)
        return _Encoding(None, False, [_encoding_note(label, "UTF-8", "spec", why)])
    given = file_encoding or global_encoding
    return _Encoding(given, given is not None, [])


def _not_valid(label: str, codec: str, exc: Exception) -> Problem:
    message = _text("load.not_valid_text", codec=_show_codec(codec), error=exc, file=label)
    return Problem(label, None, "encoding", codec, message)


def _read_shapefile(
    path: Path,
    target: str,
    names: list[str],
    chosen: str | None,
    text: _Encoding,
    *,
    label: str,
) -> tuple[gpd.GeoDataFrame | None, list[Problem], list[Note]]:
    """Read a Shapefile's layer in ``text``'s encoding, and mend what the DBF got wrong:
    a ``.cpg`` that is not the values' encoding, field names cut mid-character, or text
    that reads as mojibake (then read as GBK, unless the user named the encoding)."""
    notes = list(text.notes)
    problems: list[Problem] = []
    codec = text.codec
    try:
        gdf = _read_layers(target, names, chosen, codec)
    except UnicodeDecodeError as exc:
        cpg = _shapefile_parts(path, target, (".cpg",)).get(".cpg", b"")
        declared = codec or cpg.decode("ascii", errors="ignore").strip() or "utf-8"
        if text.given or _values_decode(path, target, declared):
            gdf, problem = _read_cut_dbf(path, target, encoding=codec, label=label)
            problems.append(problem)
        else:
            dbf = _shapefile_parts(path, target, (".dbf",)).get(".dbf", b"")
            sniffed = detect_encoding(_dbf_text(dbf)[1])
            if sniffed is None:
                return None, [_not_valid(label, declared, exc)], notes
            codec, shown = sniffed[0].upper(), sniffed[1]
            gdf = _read_layers(target, names, chosen, codec)
            grounds = Said.of("note.cpg_not_text", declared=declared)
            notes = [n for n in notes if n.topic != "encoding"]
            why = _detected_why(label, shown, grounds)
            notes.append(_encoding_note(label, shown, "detected", why))
    found = _garbled_sample(gdf)
    if found is None:
        return gdf, problems, notes
    read_as = pyogrio.read_info(target, layer=chosen)["encoding"] if codec is None else codec
    used = _show_codec(str(read_as or "ISO-8859-1"))
    if text.given or found[1] is None:
        return None, [_garbled_problem(label, found, used)], notes
    gdf = _read_layers(target, names, chosen, "GB18030")
    notes = [n for n in notes if n.topic != "encoding"]
    why = _detected_why(label, "GBK", Said.of("note.garbled_as", codec=used))
    notes.append(_encoding_note(label, "GBK", "detected", why))
    return gdf, problems, notes


def _list_layers(target: str, label: str, is_shapefile: bool) -> tuple[list[str], Problem | None]:
    try:
        return [str(n) for n in pyogrio.list_layers(target)[:, 0]], None
    except UnicodeDecodeError as exc:
        if not is_shapefile:
            message = _text("load.cannot_list_layers", error=exc)
            return [], Problem(label, None, None, None, message)
        # GDAL's note about a field name cut mid-character cannot be decoded; a
        # Shapefile has one layer, named after the file.
        return [Path(target).stem], None
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        return [], Problem(label, None, None, None, _text("load.cannot_open", error=exc))


def _declared_by(path: Path, gdf: gpd.GeoDataFrame) -> str | None:
    """``"file"`` if the file declares its CRS, the format's name if its specification
    fixes it (KML; GeoJSON without a ``crs`` member), None if the CRS is unknown."""
    suffix = path.suffix.lower()
    if gdf.crs is None:
        return None
    if suffix in (".geojson", ".json") and _geojson_declares_crs(path):
        return "file"
    return WGS84_BY_SPEC.get(suffix, "file")


def read_vector(
    path: Path,
    *,
    label: str,
    layer: str,
    source_layer: str | None,
    file_encoding: str | None,
    global_encoding: str | None,
    file_source: str | None,
    global_source: str | None,
) -> FileRead:
    """A vector file as a GeoDataFrame in EPSG:4490 (columns not yet renamed)."""
    suffix = path.suffix.lower()
    target = str(path)
    is_shapefile = suffix in (".shp", ".zip")
    if suffix == ".zip":
        zipped, problem = _zip_target(path, label, source_layer)
        if zipped is None:
            return FileRead(None, [problem] if problem else [])
        target, source_layer = zipped, None
    names, problem = _list_layers(target, label, is_shapefile)
    if problem is not None:
        return FileRead(None, [problem])
    chosen: str | None = None
    if not (suffix in (".kml", ".kmz") and source_layer is None and len(names) > 1):
        chosen, problem = _choose_layer(label, names, layer=layer, source_layer=source_layer)
        if problem is not None:
            return FileRead(None, [problem])

    text = _vector_encoding(
        path, target, label=label, file_encoding=file_encoding, global_encoding=global_encoding
    )
    problems: list[Problem] = []
    notes = text.notes
    try:
        if is_shapefile:
            read, problems, notes = _read_shapefile(path, target, names, chosen, text, label=label)
            if read is None:
                return FileRead(None, problems, notes)
            gdf = read
        else:
            gdf = _read_layers(target, names, chosen, text.codec)
    except UnicodeDecodeError as exc:
        return FileRead(None, [_not_valid(label, text.codec or "utf-8", exc)], notes)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        return FileRead(
            None, [Problem(label, None, None, None, _text("load.cannot_read", error=exc))]
        )
    except LookupError as exc:  # an encoding Python does not know
        problem = Problem(
            label, None, "encoding", text.codec, _text("load.unknown_encoding", error=exc)
        )
        return FileRead(None, [problem])

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        message = _text("load.plain_table")
        return FileRead(None, [Problem(label, None, "geometry", None, message)], notes)
    if suffix in (".kml", ".kmz"):
        drop = [c for c in gdf.columns if c in _KML_INTERNAL]
        drop += [c for c in ("id", "description") if c in gdf.columns and gdf[c].isna().all()]
        gdf = gdf.drop(columns=drop)
    if gdf.geometry.name != "geometry" and "geometry" not in gdf.columns:
        gdf = gdf.rename_geometry("geometry")
    gdf = clean_geometries(gdf)
    gdf, found, crs_notes, offset = to_cgcs2000(
        gdf,
        label=label,
        declared_by=_declared_by(path, gdf),
        file_source=file_source,
        global_source=global_source,
        default_cgcs2000=False,
        check_degrees=True,
    )
    return FileRead(gdf, [*problems, *found], [*notes, *crs_notes], offset=offset)


# --- tables ---------------------------------------------------------------------------------


def _cell(value: object) -> str | None:
    """One spreadsheet cell as text: whole numbers without ``.0``, blanks and errors None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).strip()
    return None if text in _NA_TEXT else text


def _text_grid(
    path: Path, *, label: str, codec: str, given: bool
) -> tuple[Grid | None, Problem | None]:
    data = path.read_bytes()
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        shown = _show_codec(codec)
        found = detect_encoding(data) if given else None
        if found is not None:
            key, extra = "load.not_valid_given_reads_as", {"found": found[1]}
        else:
            key, extra = ("load.not_valid_given" if given else "load.not_valid_text"), {}
        message = _text(key, codec=shown, error=exc, file=label, **extra)
        return None, Problem(label, None, "encoding", codec, message)
    except LookupError as exc:
        return None, Problem(
            label, None, "encoding", codec, _text("load.unknown_encoding", error=exc)
        )
    text = text.lstrip("\ufeff")
    if not text.strip():
        return None, Problem(label, None, None, None, _text("load.file_empty"))
    first = text.split("\n", 1)[0]
    if path.suffix.lower() == ".tsv" or (path.suffix.lower() == ".txt" and "\t" in first):
        sep = "\t"
    else:
        sep = ","
    try:
        rows = list(
            csv.reader(_io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
        )
    except csv.Error as exc:
        return None, Problem(label, None, None, None, _text("load.bad_csv", error=exc))
    return [[_cell(v) for v in row] for row in rows], None


@dataclass
class _Sheet:
    """A table file's cells as read, the sheet they came from (workbooks), the notes on
    how they were read, or the problem that stopped it."""

    rows: Grid | None
    notes: list[Note] = field(default_factory=list)
    problem: Problem | None = None
    name: str | None = None


def _pick_sheet(label: str, layer: str, names: list[str], sheet: str | None) -> _Sheet:
    """The sheet to read (rows still empty): named, else named like the layer, else the first."""
    if sheet is not None:
        if sheet not in names:
            message = _text("load.no_sheet", sheet=sheet, names=", ".join(names))
            return _Sheet(None, problem=Problem(label, None, "sheet", sheet, message))
        note = Note(
            label,
            "sheet",
            sheet,
            "given",
            Said.of("note.sheet", sheet=sheet),
            Said.of("note.by_command_line"),
        )
        return _Sheet(None, [note], name=sheet)
    if not names:
        return _Sheet(None, problem=Problem(label, None, None, None, _text("load.no_sheets")))
    wanted = {norm_header(layer), norm_header(LAYERS[layer].label_zh)}
    matches = [n for n in names if norm_header(n) in wanted]
    chosen = matches[0] if matches else names[0]
    if len(names) < 2:
        return _Sheet(None, name=chosen)
    why = Said.of(
        "note.sheet_by_name" if matches else "note.sheet_first", count=len(names), file=label
    )
    note = Note(label, "sheet", chosen, "detected", Said.of("note.sheet", sheet=chosen), why)
    return _Sheet(None, [note], name=chosen)


def _excel_sheet(path: Path, *, label: str, layer: str, sheet: str | None) -> _Sheet:
    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError:
        return _openpyxl_sheet(path, label=label, layer=layer, sheet=sheet)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        problem = Problem(label, None, None, None, _text("load.bad_workbook", error=exc))
        return _Sheet(None, problem=problem)
    with book:
        names = list(book.sheet_names)
        if sheet is None:  # hidden sheets hold lookups and drafts, not the table
            visible = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible")]
            names = [n for n in names if n in visible] or names
        picked = _pick_sheet(label, layer, names, sheet)
        if picked.name is not None:
            cells = book.get_sheet_by_name(picked.name).to_python(skip_empty_area=False)
            picked.rows = [[_cell(v) for v in row] for row in cells]
    return picked


def _openpyxl_sheet(path: Path, *, label: str, layer: str, sheet: str | None) -> _Sheet:
    if path.suffix.lower() == ".xls":
        message = _text("load.xls_needs_calamine")
        return _Sheet(None, problem=Problem(label, None, None, None, message))
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        problem = Problem(label, None, None, None, _text("load.bad_workbook", error=exc))
        return _Sheet(None, problem=problem)
    try:
        picked = _pick_sheet(label, layer, list(book.sheetnames), sheet)
        if picked.name is not None:
            cells = book[picked.name].iter_rows(values_only=True)
            picked.rows = [[_cell(v) for v in row] for row in cells]
    finally:
        book.close()
    return picked


def _text_sheet(
    path: Path, *, label: str, file_encoding: str | None, global_encoding: str | None
) -> _Sheet:
    given = file_encoding or global_encoding
    if given is not None:
        shown = _show_codec(given)
        why = Said.of(
            "note.by_option", option=f"{label}@{file_encoding}" if file_encoding else "--encoding"
        )
        codec, note = given, _encoding_note(label, shown, "given", why)
    else:
        with path.open("rb") as fh:
            found = detect_encoding(fh.read(_SNIFF_BYTES))
        if found is None:
            message = _text("load.encoding_unknowable", file=label)
            return _Sheet(None, problem=Problem(label, None, "encoding", None, message))
        codec, shown = found
        why = _detected_why(label, shown)
        note = _encoding_note(label, shown, "detected", why)
    rows, problem = _text_grid(path, label=label, codec=codec, given=given is not None)
    return _Sheet(rows, [note], problem)


def read_table(
    path: Path,
    *,
    label: str,
    layer: str,
    sheet: str | None,
    header_row: int | None,
    file_encoding: str | None,
    global_encoding: str | None,
    lon_col: str | None,
    lat_col: str | None,
    file_source: str | None,
    global_source: str | None,
) -> FileRead:
    """CSV/TXT/XLSX/XLS to a GeoDataFrame in EPSG:4490, indexed by sheet row numbers."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        read = _excel_sheet(path, label=label, layer=layer, sheet=sheet)
    else:
        read = _text_sheet(
            path, label=label, file_encoding=file_encoding, global_encoding=global_encoding
        )
    grid, notes, problem, sheet_name = read.rows, read.notes, read.problem, read.name
    if grid is None:
        return FileRead(None, [problem] if problem else [], notes)
    laid: TableLayout = lay_out_table(grid, layer=layer, label=label, header_row=header_row)
    notes.extend(laid.notes)
    if laid.frame is None:
        return FileRead(None, laid.problems, notes)
    df = laid.frame

    schema = LAYERS[layer]
    wkt_col = find_column(df.columns, None, WKT_ALIASES)
    is_point = "Point" in schema.geometry
    lon_name = lat_name = None
    if is_point and not (wkt_col is not None and lon_col is None and lat_col is None):
        lon_name = find_column(df.columns, lon_col, LON_ALIASES, "经度")
        lat_name = find_column(df.columns, lat_col, LAT_ALIASES, "纬度")
        if lon_name is None or lat_name is None:
            asked = [v for v in (lon_col, lat_col) if v]
            hint = "" if header_row else _text("load.header_hint", file=label)
            what = (
                _text("load.lon_lat_not_found", columns=", ".join(asked), hint=hint)
                if asked
                else _text("load.no_lon_lat", hint=hint)
            )
            return FileRead(
                None,
                [
                    Problem(
                        label,
                        None,
                        None,
                        ", ".join(map(str, df.columns)),
                        what,
                    )
                ],
                notes,
            )
    elif wkt_col is None:
        return FileRead(
            None,
            [
                Problem(
                    label,
                    None,
                    None,
                    ", ".join(map(str, df.columns)),
                    _text(
                        "load.table_needs_wkt",
                        layer=layer_term(layer),
                        types="/".join(schema.geometry),
                    ),
                )
            ],
            notes,
        )

    geometry_cols = [c for c in (lon_name, lat_name, wkt_col) if c is not None]
    attrs = rename_columns(df.drop(columns=geometry_cols), layer, None)
    rows = RowLabels(attrs, schema)
    problems: list[Problem] = []
    reported: list[int] = []
    if lon_name is not None and lat_name is not None:
        lon, lon_present = parse_coordinate(df[lon_name])
        lat, lat_present = parse_coordinate(df[lat_name])
        for name, values, present, missing, nan in (
            (lon_name, lon, lon_present, "load.lon_missing", "load.lon_not_number"),
            (lat_name, lat, lat_present, "load.lat_missing", "load.lat_not_number"),
        ):
            for pos in np.flatnonzero(~present):
                problems.append(Problem(label, rows[pos], name, None, _text(missing)))
            for pos in np.flatnonzero(present & np.isnan(values)):
                problems.append(Problem(label, rows[pos], name, df[name].iloc[pos], _text(nan)))
        bad = np.isnan(lon) | np.isnan(lat)
        reported = [int(p) for p in np.flatnonzero(bad)]
        geoms = shapely.points(np.where(bad, 0.0, lon), np.where(bad, 0.0, lat))
        geoms[bad] = None
    else:
        text = df[wkt_col].astype("str").str.strip()
        geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
        present = df[wkt_col].notna().to_numpy()
        failed = present & shapely.is_missing(geoms)
        for pos in np.flatnonzero(failed):
            problems.append(
                Problem(label, rows[pos], str(wkt_col), text.iloc[pos], _text("load.bad_wkt"))
            )
        reported = [int(p) for p in np.flatnonzero(failed)]
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=None)
    gdf = clean_geometries(gdf)
    gdf, found, crs_notes, offset = to_cgcs2000(
        gdf,
        label=label,
        declared_by=None,
        file_source=file_source,
        global_source=global_source,
        default_cgcs2000=True,
        # a typo in one row must be reported on that row, not as "the file is in metres"
        check_degrees=lon_name is None,
    )
    problems.extend(found)
    notes.extend(crs_notes)
    if sheet_name is not None:
        gdf.attrs[SOURCE_SHEET] = sheet_name
    return FileRead(gdf, problems, notes, reported=reported, offset=offset)
