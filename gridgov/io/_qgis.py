"""QGIS-ready workspaces: styles, Chinese field names and titles inside the GeoPackage.

A planner who opens the workspace in QGIS should see what the HTML map shows, not grey
shapes with English field names. QGIS reads a layer's default style from the
``layer_styles`` table of the GeoPackage (its own convention: ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``, ...),
field aliases from ``gpkg_data_columns`` (the GeoPackage schema extension, which GDAL also
reads as alternative names), value lists from ``gpkg_data_column_constraints``, and a
layer's title from ``gpkg_contents.identifier``. :func:`apply_styles` writes all four for
the layers it is given, in one transaction, replacing gridgov's earlier rows and leaving
a planner's own styles alone.

:func:`share_copy` writes the copy of a workspace that can be passed around: every
column the schema marks personal (deputies' and grid workers' phones, contact names)
removed, and the file vacuumed so the removed values are not left in free pages.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyogrio

from gridgov.model import LAYERS

__all__ = [
    "GPKG_VERSION",
    "Category",
    "LayerStyle",
    "Range",
    "apply_styles",
    "personal_columns",
    "share_copy",
]

#: GeoPackage version written: 1.2 opens without a warning in GDAL 3.6 and the QGIS
#: releases county offices still run (1.4 is "only partially supported" there).
GPKG_VERSION = "1.2"
#: ``styleName`` of the rows gridgov writes (rewritten on every run; other rows stay).
STYLE_NAME = "gridgov"


@dataclass(frozen=True)
class Category:
    """One class of a categorised style: features whose field equals ``value``."""

    value: str
    label: str
    colour: str
    shape: str = "circle"
    size: float = 3.0
    hatch: bool = False


@dataclass(frozen=True)
class Range:
    """One class of a graduated style: ``lower <= field <= upper``."""

    lower: float
    upper: float
    label: str
    colour: str
    hatch: bool = False


@dataclass(frozen=True)
class LayerStyle:
    """How a layer looks and reads in QGIS.

    Parameters
    ----------
    title : str
        Chinese layer title (``gpkg_contents.identifier``).
    aliases : mapping of str to str
        Field -> Chinese name.
    classify : str, optional
        The field the symbology classifies (None: one symbol for all).
    categories, ranges
        The classes, for a categorised or a graduated style.
    colour : str
        The single symbol's colour when there are no classes.
    values : mapping of str to mapping of str to str
        Field -> {stored value: Chinese label}: a value map in QGIS's forms and an enum
        constraint in the GeoPackage.
    """

    title: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    classify: str | None = None
    categories: Sequence[Category] = ()
    ranges: Sequence[Range] = ()
    colour: str = "#2171b5"
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _rgba(colour: str, alpha: int = 255) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"


def _option(name: str, value: str) -> str:
    return f'<Option name={quoteattr(name)} type="QString" value={quoteattr(value)}/>'


def _symbol(kind: str, name: str, colour: str, *, shape: str = "circle", size: float = 3.0,
            hatch: bool = False) -> str:  # fmt: skip
    """A QGIS symbol: a marker, a line, or a fill (hatched for gaps, as on the map)."""
    if kind == "marker":
        layer = (
            '<layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">'
            + _option("name", shape) + _option("color", _rgba(colour))
            + _option("outline_color", "255,255,255,255") + _option("outline_width", "0.4")
            + _option("size", f"{size:g}") + "</Option></layer>"
        )  # fmt: skip
    elif kind == "line":
        layer = (
            '<layer class="SimpleLine" enabled="1" locked="0" pass="0"><Option type="Map">'
            + _option("line_color", _rgba(colour)) + _option("line_width", "0.6")
            + _option("line_style", "dash") + "</Option></layer>"
        )  # fmt: skip
    else:
        layer = (
            '<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
            + _option("color", _rgba(colour, 200)) + _option("style", "solid")
            + _option("outline_color", "255,255,255,255") + _option("outline_width", "0.26")
            + "</Option></layer>"
        )  # fmt: skip
        if hatch:
            layer += (
                '<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
                + _option("color", "153,0,13,255") + _option("style", "b_diagonal")
                + _option("outline_color", "153,0,13,255") + _option("outline_width", "0.5")
                + "</Option></layer>"
            )  # fmt: skip
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{layer}</symbol>'
    )


def qml(style: LayerStyle, geometry: str, columns: Sequence[str]) -> str:
    """The QGIS style document (QML) of ``style`` for a layer of ``geometry`` type."""
    kind = {"Point": "marker", "MultiPoint": "marker", "LineString": "line",
            "MultiLineString": "line"}.get(geometry, "fill")  # fmt: skip
    if style.classify and style.categories:
        cats = "".join(
            f'<category value={quoteattr(c.value)} symbol="{k}" label={quoteattr(c.label)} '
            'render="true"/>'
            for k, c in enumerate(style.categories)
        )
        syms = "".join(
            _symbol(kind, str(k), c.colour, shape=c.shape, size=c.size, hatch=c.hatch)
            for k, c in enumerate(style.categories)
        )
        renderer = (
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(style.classify)} '
            f'symbollevels="0" enableorderby="0" forceraster="0"><categories>{cats}</categories>'
            f"<symbols>{syms}</symbols></renderer-v2>"
        )
    elif style.classify and style.ranges:
        ranges = "".join(
            f'<range lower="{r.lower:g}" upper="{r.upper:g}" symbol="{k}" '
            f'label={quoteattr(r.label)} render="true"/>'
            for k, r in enumerate(style.ranges)
        )
        syms = "".join(
            _symbol(kind, str(k), r.colour, hatch=r.hatch) for k, r in enumerate(style.ranges)
        )
        renderer = (
            f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(style.classify)} '
            'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><ranges>{ranges}</ranges><symbols>{syms}</symbols></renderer-v2>'
        )
    else:
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{_symbol(kind, "0", style.colour)}</symbols></renderer-v2>'
        )
    aliases = "".join(
        f'<alias field={quoteattr(c)} index="{k}" name={quoteattr(style.aliases.get(c, ""))}/>'
        for k, c in enumerate(columns)
    )
    widgets = ""
    for column, mapping in style.values.items():
        entries = "".join(
            f'<Option type="Map">{_option(label, value)}</Option>'
            for value, label in mapping.items()
        )
        widgets += (
            f'<field name={quoteattr(column)} configurationFlags="NoFlag"><editWidget '
            'type="ValueMap"><config><Option type="Map"><Option name="map" type="List">'
            f"{entries}</Option></Option></config></editWidget></field>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Fields|Forms">'
        f"{renderer}<fieldConfiguration>{widgets}</fieldConfiguration>"
        f"<aliases>{aliases}</aliases></qgis>"
    )


_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
    f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""
_DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
    description TEXT, mime_type TEXT, constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
    CONSTRAINT gdc_tn UNIQUE (table_name, name)
)"""
_CONSTRAINTS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
    constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
    min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
    description TEXT,
    CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value)
)"""
_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def _register(con: sqlite3.Connection, table: str, data_type: str = "attributes") -> None:
    """A table in ``gpkg_contents`` (QGIS lists ``layer_styles`` there too)."""
    con.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) VALUES (?, ?, ?, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
        (table, data_type, table),
    )


def _schema_extension(con: sqlite3.Connection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        con.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, "
            "'read-write')",
            (table, _SCHEMA_EXTENSION),
        )


def apply_styles(path: str | Path, styles: Mapping[str, LayerStyle]) -> None:
    """Write QGIS styles, field aliases, value lists and titles for ``styles``' layers.

    Layers absent from the file are skipped. gridgov's earlier rows for these layers are
    replaced; styles a planner saved under another name stay.
    """
    target = Path(path)
    present = {str(n): str(g) for n, g in pyogrio.list_layers(target)}
    con = sqlite3.connect(target)
    try:
        with con:
            con.execute(_LAYER_STYLES_DDL)
            con.execute(_DATA_COLUMNS_DDL)
            con.execute(_CONSTRAINTS_DDL)
            _register(con, "layer_styles")
            _schema_extension(con)
            for layer, style in styles.items():
                if layer not in present:
                    continue
                _style_layer(con, layer, present[layer], style)
    finally:
        con.close()


def _geometry_column(con: sqlite3.Connection, layer: str) -> str | None:
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
    ).fetchone()
    return None if row is None else str(row[0])


def _style_layer(con: sqlite3.Connection, layer: str, geometry: str, style: LayerStyle) -> None:
    columns = [str(r[1]) for r in con.execute(f'PRAGMA table_info("{layer}")')]
    geom = _geometry_column(con, layer)
    fields = [c for c in columns if c not in ("fid", geom)]
    con.execute(
        "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?", (layer, STYLE_NAME)
    )
    con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,))
    con.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, "
        "ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'gridgov', NULL)",
        (layer, geom or "", STYLE_NAME, qml(style, geometry, fields), style.title),
    )
    con.execute(
        "UPDATE gpkg_contents SET identifier = ?, description = ? WHERE table_name = ?",
        (style.title, style.title, layer),
    )
    con.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (layer,))
    used: set[str] = set()
    for column in fields:
        alias = style.aliases.get(column)
        if not alias or alias in used:  # (table, name) is unique in the extension
            continue
        used.add(alias)
        constraint = None
        if column in style.values:
            constraint = f"{layer}_{column}"
            con.execute(
                "DELETE FROM gpkg_data_column_constraints WHERE constraint_name = ?", (constraint,)
            )
            con.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, "
                "value, description) VALUES (?, 'enum', ?, ?)",
                [(constraint, v, label) for v, label in style.values[column].items()],
            )
        con.execute(
            "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description, "
            "constraint_name) VALUES (?, ?, ?, ?, '', ?)",
            (layer, column, alias, alias, constraint),
        )


def personal_columns() -> dict[str, list[str]]:
    """Layer -> its columns that hold personal data (:data:`gridgov.model.LAYERS`)."""
    return {name: spec.personal for name, spec in LAYERS.items() if spec.personal}


def share_copy(path: str | Path, dest: str | Path, *, extra: Iterable[str] = ()) -> Path:
    """Write a copy of the workspace without personal data, for passing around.

    Every column the schema marks personal is dropped from its layer (and from
    ``gpkg_data_columns``), as is any column named in ``extra`` or whose name says it
    holds a phone number, in any layer; the file is then vacuumed so the dropped values
    are not left in its free pages. Written to a temporary file first, then moved.

    Returns
    -------
    Path
        ``dest``.
    """
    source, target = Path(path), Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    personal = personal_columns()
    extra_names = {e.lower() for e in extra}
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp = workdir / target.name
    try:
        shutil.copy2(source, tmp)
        con = sqlite3.connect(tmp)
        try:
            with con:
                layers = [
                    str(r[0])
                    for r in con.execute(
                        "SELECT table_name FROM gpkg_contents WHERE data_type IN "
                        "('features', 'attributes')"
                    )
                ]
                has_dc = con.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_data_columns'"
                ).fetchone()
                for layer in layers:
                    columns = [str(r[1]) for r in con.execute(f'PRAGMA table_info("{layer}")')]
                    drop = [
                        c
                        for c in columns
                        if c in personal.get(layer, ())
                        or c.lower() in extra_names
                        or "phone" in c.lower()
                        or "电话" in c
                    ]
                    for column in drop:
                        con.execute(f'ALTER TABLE "{layer}" DROP COLUMN "{column}"')
                        if has_dc:
                            con.execute(
                                "DELETE FROM gpkg_data_columns WHERE table_name = ? AND "
                                "column_name = ?",
                                (layer, column),
                            )
            con.execute("VACUUM")
        finally:
            con.close()
        tmp.replace(target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target
