"""Files in, validated GeoDataFrames out: every format and coordinate conversion lives here.

County planners get their layers from many hands: a GeoPackage from the natural-resources
bureau, a GBK-encoded Shapefile from a surveying firm, an Excel roster of deputies typed
by the congress office, a CSV of station positions picked in AMap (GCJ-02) or Baidu
(BD-09), a KML from a phone app. :func:`read_layer` turns any of them into one workspace
layer: columns renamed to the schema (Chinese or English headers), values coerced (codes
stay strings), coordinates converted to CGCS2000 (EPSG:4490). Problems are collected across
the whole file and across every file of a load, then raised once as a
:class:`~gridgov._errors.ValidationError`.

The package is split by concern; everything public is imported here, and callers use
``gridgov.io`` only:

- ``_columns``: which schema column a header stands for (:func:`column_aliases`,
  :func:`canonical_column`);
- ``_notes``: what was decided while reading a file (:class:`Note`, its words a
  :class:`Said` rendered in the language of the moment);
- ``_coords``: declared CRS, GCJ-02 and BD-09 to CGCS2000, and coordinate cells;
- ``_files``: reading each format (vector files, CSV, XLSX/XLS) and its text encoding;
- ``_layer``: one file into one workspace layer (:func:`read_layer`, :class:`SourceFile`);
- ``_workspace``: workspace GeoPackages (:func:`read_workspace`, :func:`write_workspace`,
  :func:`load_into_workspace`, :func:`preview_workspace`, :func:`workspace_info`,
  :func:`write_result_layers`);
- ``_tables``: office tables in (header under a title, totals dropped) and tables for
  people out (:func:`write_table`, :func:`write_xlsx`);
- ``_qgis``: QGIS styles, Chinese field names and titles in a workspace, and the copy
  without personal data to share (:func:`share_copy`);
- ``_workbook``: reports as documents (:func:`write_report`: title block, formats, print
  setup).
"""

from __future__ import annotations

from gridgov.io._columns import canonical_column, column_aliases
from gridgov.io._files import FileRead
from gridgov.io._layer import SourceFile, read_file, read_layer
from gridgov.io._notes import Note, Said
from gridgov.io._qgis import share_copy
from gridgov.io._tables import write_table, write_xlsx
from gridgov.io._workbook import ReportInfo, write_report
from gridgov.io._workspace import (
    LAYERS_TABLE,
    META_LAYER,
    SCHEMA_VERSION,
    load_into_workspace,
    preview_workspace,
    read_workspace,
    stale_results,
    workspace_info,
    write_result_layers,
    write_workspace,
)

__all__ = [
    "LAYERS_TABLE",
    "META_LAYER",
    "SCHEMA_VERSION",
    "FileRead",
    "Note",
    "ReportInfo",
    "Said",
    "SourceFile",
    "canonical_column",
    "column_aliases",
    "load_into_workspace",
    "preview_workspace",
    "read_file",
    "read_layer",
    "read_workspace",
    "share_copy",
    "stale_results",
    "workspace_info",
    "write_report",
    "write_result_layers",
    "write_table",
    "write_workspace",
    "write_xlsx",
]
