"""A region held in PostgreSQL + PostGIS: one schema per county, as ``gridgov db`` loads them.

``gridgov db import COUNTY.gpkg DSN`` stores one county workspace in the ``ws_*`` tables of
the first schema on the DSN's ``search_path`` (migration ``0002_workspace.sql``). A
province office that loads its counties with gridgov's own commands therefore has one
schema per county in one database (``?options=-csearch_path%3Dc430623,public`` for each
import). :func:`index_database` finds those schemas, and lists each county with its
outline's bounding box and its counts from a few aggregate queries, never reading a layer;
:func:`read_county_pg` reads one county on the worker that runs it, with the same reader
``gridgov serve postgresql://...`` uses (:func:`~gridgov.store.pg_workspace.read_workspace_pg`),
so a county read from the database is the workspace that was imported and a region run on
the database equals the one on the counties' GeoPackages. :func:`read_near_pg` reads the
neighbours' features within a box (GiST index) for ``--cross-border``.

Which schemas: those on the DSN's ``search_path`` that hold a workspace, so a DSN may name
the counties it wants; when none on it does (the usual ``"$user", public``), every schema
of the database that holds one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._errors import DatabaseError, NotFoundError, Problem, ValidationError
from gridgov._validate import coerce_values
from gridgov.crs import CGCS2000
from gridgov.messages import text
from gridgov.model import LAYERS, REQUIRED_LAYERS, Workspace

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "CountyAt",
    "index_database",
    "read_county_pg",
    "read_near_pg",
    "read_outlines_pg",
    "shown_dsn",
]

log = logging.getLogger(__name__)

#: A county in a database, as the other functions here take it: (DSN, schema, county code).
#: Plain values, so this module needs nothing of :mod:`gridgov.region._source`.
CountyAt = tuple[str, str, str]

#: A county's counts, by the six-digit prefix of its features' codes (as a part is counted).
_COUNTS = """
SELECT
  (SELECT count(*) FROM {s}.ws_townships WHERE left(code, 6) = %(c)s),
  (SELECT count(*) FROM {s}.ws_villages WHERE left(code, 6) = %(c)s),
  (SELECT coalesce(sum(population), 0) FROM {s}.ws_villages WHERE left(code, 6) = %(c)s),
  (SELECT count(*) FROM {s}.ws_stations WHERE left(township_code, 6) = %(c)s)
"""


def shown_dsn(dsn: str) -> str:
    """``dsn`` as messages and summaries show it: any password hidden."""
    from gridgov.store.pg_workspace import redact_dsn

    return redact_dsn(dsn)


def _connect(dsn: str) -> psycopg.Connection[Any]:
    """An autocommit connection, or NotFoundError saying in the user's language why not."""
    from gridgov.store.pg_workspace import connect

    try:
        return connect(dsn)
    except DatabaseError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise NotFoundError(
            text("region.pg_unreachable", dsn=shown_dsn(dsn), error=reason)
        ) from exc


def _postgis_visible(conn: psycopg.Connection[Any]) -> bool:
    """Put the schema PostGIS lives in at the end of the connection's search path (a DSN
    may name only county schemas); False when the database has no PostGIS."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'postgis'"
    ).fetchone()
    if row is None:
        return False
    conn.execute(
        "SELECT set_config('search_path', current_setting('search_path') || ',' || %s, false)",
        (_ident(conn, str(row[0])),),
    )
    return True


def _ident(conn: psycopg.Connection[Any], name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name).as_string(conn)


def index_database(dsn: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The counties of a database (one per schema) and the schemas that could not be read.

    Returns
    -------
    counties : list of dict
        The fields of each county's :class:`~gridgov.region.CountySource` but ``path``
        and ``kind``: ``code``, ``name``, ``bounds``, the counts and ``schema``.
    unreadable : list of (str, str)
        A schema holding workspace tables but no usable county, with the reason.

    Raises
    ------
    NotFoundError
        If the database cannot be reached, or holds no gridgov workspace.
    ValidationError
        If a county code is not six digits (naming the schema and the value).
    """
    shown = shown_dsn(dsn)
    with _connect(dsn) as conn:
        row = conn.execute("SELECT current_schemas(false)").fetchone()
        on_path = [str(s) for s in (row[0] if row else [])]
        if not _postgis_visible(conn):
            raise NotFoundError(text("region.pg_empty", dsn=shown))
        found = [
            str(r[0])
            for r in conn.execute(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relname = 'ws_layers' AND c.relkind IN ('r', 'p') ORDER BY 1"
            ).fetchall()
        ]
        named = [s for s in on_path if s in found]
        schemas = named or found
        counties: list[dict[str, Any]] = []
        unreadable: list[tuple[str, str]] = []
        problems: list[Problem] = []
        for schema in schemas:
            s = _ident(conn, schema)
            layers = {str(r[0]) for r in conn.execute(f"SELECT layer FROM {s}.ws_layers")}
            if not layers:
                continue  # `gridgov db init` ran, nothing was imported: not a county yet
            missing = [n for n in REQUIRED_LAYERS if n not in layers]
            if missing:
                unreadable.append(
                    (schema, text("region.pg_no_layer", schema=schema, layer=", ".join(missing)))
                )
                continue
            rows = conn.execute(
                f"SELECT code, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
                f" FROM {s}.ws_county ORDER BY fid"
            ).fetchall()
            if len(rows) != 1:
                unreadable.append(
                    (schema, text("region.pg_counties", schema=schema, count=len(rows)))
                )
                continue
            code = str(rows[0][0] or "").strip()
            if not (len(code) == 6 and code.isdigit()):
                problems.append(
                    Problem(schema, "county 1", "code", code, text("region.bad_code", value=code))
                )
                continue
            n_town, n_vill, pop, n_st = conn.execute(  # type: ignore[misc]
                _COUNTS.format(s=s), {"c": code}
            ).fetchone()
            counties.append(
                {
                    "code": code,
                    "name": str(rows[0][1] or ""),
                    "bounds": tuple(float("nan") if v is None else float(v) for v in rows[0][2:]),
                    "villages": int(n_vill),
                    "stations": int(n_st),
                    "townships": int(n_town),
                    "population": int(pop),
                    "schema": schema,
                }
            )
    if problems:
        raise ValidationError(problems, context=shown)
    if not counties and not unreadable:
        raise NotFoundError(text("region.pg_empty", dsn=shown))
    return counties, unreadable


def _on_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Put ``schema`` first on the connection's search path (PostGIS stays visible behind)."""
    conn.execute(
        "SELECT set_config('search_path', %s || ',' || current_setting('search_path'), false)",
        (_ident(conn, schema),),
    )


def read_county_pg(dsn: str, schema: str) -> Workspace:
    """The county workspace in ``schema`` of database ``dsn``, read in one snapshot.

    Raises
    ------
    NotFoundError
        If the database can no longer be reached.
    DatabaseError, ValidationError
        If the schema no longer holds the workspace.
    """
    import psycopg

    from gridgov.store.pg_workspace import read_workspace_pg

    with _connect(dsn) as conn:
        _postgis_visible(conn)
        _on_schema(conn, schema)
        # one consistent snapshot across the layers, as read_workspace_pg takes for itself
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        return read_workspace_pg(conn)


def _layer_in_box(
    conn: psycopg.Connection[Any],
    schema: str,
    name: str,
    box: tuple[float, float, float, float],
) -> gpd.GeoDataFrame | None:
    """The features of layer ``name`` in ``schema`` whose extent meets ``box`` (CGCS2000),
    with the columns and dtypes they were imported with."""
    s = _ident(conn, schema)
    record = conn.execute(
        f"SELECT columns, geometry_column FROM {s}.ws_layers WHERE layer = %s", (name,)
    ).fetchone()
    if record is None:
        return None
    columns = [(str(c), str(t)) for c, t in record[0]]
    geometry_column = str(record[1])
    schema_names = set(LAYERS[name].names)
    typed = [c for c, _ in columns if c in schema_names and c != geometry_column]
    select = ", ".join([*(_ident(conn, c) for c in typed), "extra", "ST_AsBinary(geom)"])
    with conn.cursor(binary=True) as cur:
        cur.execute(
            f"SELECT {select} FROM {s}.ws_{name}"
            " WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4490) ORDER BY fid",
            box,
        )
        rows = cur.fetchall()
    data: dict[str, pd.Series] = {}
    for column, dtype in columns:
        if column == geometry_column:
            continue
        if column in typed:
            i = typed.index(column)
            values = [r[i] for r in rows]
        else:
            values = [(r[len(typed)] or {}).get(column) for r in rows]
        try:
            data[column] = pd.Series(values, dtype=pd.api.types.pandas_dtype(dtype), name=column)
        except (TypeError, ValueError):
            data[column] = pd.Series(values, dtype=object, name=column)
    wkb = np.array([r[-1] for r in rows], dtype=object)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    frame[geometry_column] = gpd.GeoSeries(shapely.from_wkb(wkb), crs=CGCS2000)
    return gpd.GeoDataFrame(frame, geometry=geometry_column, crs=CGCS2000)


def _by_dsn(counties: Iterable[CountyAt]) -> dict[str, list[tuple[str, str]]]:
    by_dsn: dict[str, list[tuple[str, str]]] = {}
    for dsn, schema, code in counties:
        by_dsn.setdefault(dsn, []).append((schema, code))
    return by_dsn


def read_near_pg(
    counties: Iterable[CountyAt],
    box: tuple[float, float, float, float],
    layers: tuple[str, ...],
) -> dict[str, list[gpd.GeoDataFrame]]:
    """Per layer, the features of each of ``counties`` (one schema each, all in the same
    database or not) within ``box``, tagged with the county's code in ``county_code``."""
    out: dict[str, list[gpd.GeoDataFrame]] = {name: [] for name in layers}
    for dsn, members in _by_dsn(counties).items():
        with _connect(dsn) as conn:
            _postgis_visible(conn)
            for schema, code in members:
                for name in layers:
                    gdf = _layer_in_box(conn, schema, name, box)
                    if gdf is None or gdf.empty:
                        continue
                    gdf, _ = coerce_values(gdf, name)
                    out[name].append(gdf.assign(county_code=code).reset_index(drop=True))
    return out


def read_outlines_pg(counties: Iterable[CountyAt]) -> gpd.GeoDataFrame:
    """The outline of each of ``counties`` (``code``, geometry; CGCS2000)."""
    codes: list[str] = []
    wkb: list[Any] = []
    for dsn, members in _by_dsn(counties).items():
        with _connect(dsn) as conn, conn.cursor(binary=True) as cur:
            _postgis_visible(conn)
            for schema, code in members:
                cur.execute(f"SELECT ST_AsBinary(geom) FROM {_ident(conn, schema)}.ws_county")
                for (geom,) in cur.fetchall():
                    codes.append(code)
                    wkb.append(geom)
    return gpd.GeoDataFrame(
        {"code": codes}, geometry=shapely.from_wkb(np.array(wkb, dtype=object)), crs=CGCS2000
    )
