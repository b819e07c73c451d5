"""The county workspace in PostgreSQL + PostGIS, for the shared multi-user service.

``gridgov serve postgresql://...`` runs several service instances over one database; they
all read the county from the ``ws_*`` tables that migration ``0002_workspace.sql`` creates
(one per layer of :data:`gridgov.model.LAYERS`, geometry in SRID 4490 with GiST indexes,
and ``ws_meta``). :func:`import_workspace` replaces the whole workspace in one transaction
(bulk ``COPY`` of EWKB, no ORM), :func:`read_workspace_pg` reads it back as the same
:class:`~gridgov.model.Workspace` that :func:`gridgov.io.read_workspace` gives for the
GeoPackage (same columns, dtypes, geometries and meta), and :func:`locate_sql` answers
"which grid is this point in" in SQL.

Locating stays in-process in the service, because it is faster. ``bench/bench_locate.py``
on the demo county (645 grids; 5,000 points, 90% inside the county and 10% in a 400 m
ring outside it; PostgreSQL 15.18 / PostGIS 3.3 on the same 2-core machine over TCP, one
warm connection, the statement prepared) measured, over three seeds: in-process STRtree
p50 0.011-0.012 ms, p99 0.05-0.07 ms; :func:`locate_sql` p50 0.12 ms, p99 0.8-0.9 ms:
SQL is about 10x slower at the median and 11-18x at p99, with the same answers. The
network round trip alone costs more than the whole in-process lookup, and a
county's grids fit in memory many times over. The SQL function is there for other
clients of the database (QGIS, reports, a service that does not hold every grid); a test
checks it against the in-process answer on every sampled point (the same grid and snap
distance; where two grids are equally right, a point on their shared edge, either).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov._errors import (
    DatabaseError,
    ExtraMissingError,
    LocationError,
    NotFoundError,
    ParameterError,
    Problem,
    ValidationError,
)
from gridgov._json import strict_json
from gridgov._validate import validate_workspace
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.model import LAYERS, REQUIRED_LAYERS, Workspace
from gridgov.settings import Settings

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "SRID",
    "DatabaseError",
    "GridHit",
    "connect",
    "import_workspace",
    "locate_sql",
    "read_workspace_pg",
    "redact_dsn",
    "workspace_counts",
]

log = logging.getLogger(__name__)

#: CGCS2000, the SRID of every ``geom`` column.
SRID = 4490
#: Layers that also keep ``geom_xy`` in the workspace's projected CRS (metres).
PROJECTED_LAYERS = ("county", "grids")


@dataclass(frozen=True)
class GridHit:
    """The grid a point falls in (or snaps to): its position in the grids layer (the
    service's grid index), its code, and the snap distance in metres (0 inside)."""

    fid: int
    code: str
    distance_m: float


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ExtraMissingError("postgis", "a PostgreSQL workspace (psycopg 3)") from exc
    return psycopg


def redact_dsn(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``, for messages and logs."""
    psycopg = _psycopg()
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return dsn.split("@")[-1] if "@" in dsn else dsn
    if "password" not in params and ":" not in dsn.split("@")[0].split("//")[-1]:
        return dsn
    if "://" in dsn and "@" in dsn:
        scheme, rest = dsn.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    params["password"] = "***"
    return " ".join(f"{k}={v}" for k, v in params.items())


def connect(dsn: str) -> psycopg.Connection[Any]:
    """Open an autocommit connection, or raise :class:`DatabaseError` naming the DSN
    (password hidden)."""
    psycopg = _psycopg()
    try:
        # autocommit: each `with conn.transaction()` is then a real transaction, not a
        # savepoint inside one that closing the connection would roll back
        return psycopg.connect(dsn, connect_timeout=10, autocommit=True)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to {redact_dsn(dsn)!r}: {reason}") from exc


@contextmanager
def _conn(dsn_or_conn: str | psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    """A connection: ours (closed after) for a DSN, the caller's (left open) otherwise."""
    if isinstance(dsn_or_conn, str):
        conn = connect(dsn_or_conn)
        try:
            yield conn
        finally:
            conn.close()
    else:
        yield dsn_or_conn


def _label(conn: psycopg.Connection[Any]) -> str:
    info = conn.info
    return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"


def _require_tables(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "SELECT to_regclass('ws_layers') IS NOT NULL, to_regtype('geometry') IS NOT NULL"
    ).fetchone()
    has_tables, has_postgis = row if row is not None else (False, False)
    where = _label(conn)
    if not has_postgis:
        raise DatabaseError(
            f"{where}: PostGIS is not installed in this database; run gridgov db init {where}"
        )
    if not has_tables:
        raise DatabaseError(
            f"{where}: no gridgov workspace tables (ws_layers); run gridgov db init {where}"
        )


# --- writing --------------------------------------------------------------------------------


def _py(value: Any) -> Any:
    """A value psycopg and json can take: numpy scalars unwrapped, missing values None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _py(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _values(series: pd.Series) -> list[Any]:
    return [_py(v) for v in series.astype(object).tolist()]


def _ewkb_hex(geoms: Any, srid: int) -> list[str | None]:
    """Hex EWKB carrying ``srid`` (what the text COPY input of ``geometry`` reads)."""
    with_srid = shapely.set_srid(np.asarray(geoms, dtype=object), srid)
    out = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    return [None if v is None else str(v) for v in out]


def _layer_rows(
    name: str, gdf: gpd.GeoDataFrame, projected: pyproj.CRS | None
) -> tuple[list[str], list[list[Any]], dict[str, Any]]:
    """The COPY column list, the rows, and the ``ws_layers`` record of one layer."""
    schema = LAYERS[name]
    geometry_column = str(gdf.geometry.name)
    attrs = [c for c in gdf.columns if c != geometry_column]
    typed = [c for c in schema.names if c in attrs]
    extra = [c for c in attrs if c not in typed]
    bad = [c for c in extra if not isinstance(c, str)]
    if bad:
        raise ValidationError(
            [Problem(name, None, str(c), c, "column names must be text") for c in bad],
            context="workspace",
        )
    columns = ["fid", *typed, "extra", "geom"]
    cols: list[list[Any]] = [list(range(len(gdf)))]
    cols += [_values(gdf[c]) for c in typed]
    if extra:
        values = [_values(gdf[c]) for c in extra]
        cols.append(
            [strict_json(dict(zip(extra, row, strict=True))) for row in zip(*values, strict=True)]
        )
    else:
        cols.append([None] * len(gdf))
    cols.append(_ewkb_hex(gdf.geometry.to_numpy(), SRID))
    srid = None
    if name in PROJECTED_LAYERS and projected is not None:
        srid = projected.to_epsg()
        if srid is not None:
            columns.append("geom_xy")
            cols.append(_ewkb_hex(gdf.geometry.to_crs(projected).to_numpy(), srid))
    rows = [list(r) for r in zip(*cols, strict=True)]
    record = {
        "layer": name,
        "columns": [[str(c), str(gdf[c].dtype)] for c in gdf.columns],
        "geometry_column": geometry_column,
        "projected_srid": srid,
    }
    return columns, rows, record


def _validated(ws: Workspace, settings: Settings | None) -> Workspace:
    target = pyproj.CRS(CGCS2000)
    changed = {
        name: gdf.to_crs(target)
        for name, gdf in ws.layers().items()
        if gdf.crs is not None and not pyproj.CRS(gdf.crs).equals(target)
    }
    fixed, problems = validate_workspace(replace(ws, **changed), settings=settings)
    for problem in problems:
        log.warning("%s", problem)
    return fixed


def import_workspace(
    ws: Workspace,
    dsn_or_conn: str | psycopg.Connection[Any],
    *,
    settings: Settings | None = None,
) -> dict[str, int]:
    """Replace the workspace in the database with ``ws``, in one transaction.

    The workspace is validated first (as :func:`gridgov.io.write_workspace` does; layers in
    another CRS are reprojected to EPSG:4490); on any error nothing is written. Every
    layer is then bulk-loaded with ``COPY`` (EWKB geometry), grids and the county outline
    also in the workspace's projected CRS. Readers see the old workspace or the new one,
    never a mix; two imports at once run one after the other.

    Parameters
    ----------
    ws : Workspace
        The county; not modified.
    dsn_or_conn : str or psycopg.Connection
        ``postgresql://...`` (a connection is opened and closed), or an open connection
        (the import runs in a transaction, or a savepoint inside the caller's).
    settings : Settings, optional
        Tolerances used by validation.

    Returns
    -------
    dict of str to int
        Feature count per layer imported.

    Raises
    ------
    ValidationError
        Listing every problem of the workspace; nothing is written.
    DatabaseError
        If the database cannot be reached or was not initialised (``gridgov db init``).
    """
    fixed = _validated(ws, settings)
    projected = workspace_crs(fixed)
    loads = {name: _layer_rows(name, gdf, projected) for name, gdf in fixed.layers().items()}
    with _conn(dsn_or_conn) as conn:
        _require_tables(conn)
        with conn.transaction():
            # self-conflicting, so imports queue; readers (ACCESS SHARE) are not blocked
            conn.execute("LOCK TABLE ws_layers IN SHARE ROW EXCLUSIVE MODE")
            # DELETE, not TRUNCATE: a reader's snapshot keeps seeing the old workspace
            for name in LAYERS:
                conn.execute(f"DELETE FROM ws_{name}")
            conn.execute("DELETE FROM ws_layers")
            conn.execute("DELETE FROM ws_meta")
            with conn.cursor() as cur:
                for name, (columns, rows, record) in loads.items():
                    sql = f"COPY ws_{name} ({', '.join(_quote(c) for c in columns)}) FROM STDIN"
                    with cur.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
                    cur.execute(
                        "INSERT INTO ws_layers (layer, columns, geometry_column, projected_srid)"
                        " VALUES (%s, %s::jsonb, %s, %s)",
                        (
                            record["layer"],
                            strict_json(record["columns"]),
                            record["geometry_column"],
                            record["projected_srid"],
                        ),
                    )
                with cur.copy("COPY ws_meta (key, value) FROM STDIN") as copy:
                    for key, value in fixed.meta.items():
                        copy.write_row([str(key), str(value)])
    counts = {name: len(rows) for name, (_, rows, _) in loads.items()}
    log.info("imported workspace (%s)", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- reading --------------------------------------------------------------------------------


def _series(values: list[Any], dtype: str, name: str) -> pd.Series:
    try:
        return pd.Series(values, dtype=pd.api.types.pandas_dtype(dtype), name=name)
    except (TypeError, ValueError):
        # a dtype this pandas cannot rebuild from its name: keep the values as they are
        return pd.Series(values, dtype=object, name=name)


def _read_layer(conn: psycopg.Connection[Any], name: str, record: Mapping[str, Any]) -> Any:
    schema_names = set(LAYERS[name].names)
    geometry_column = str(record["geometry_column"])
    columns: list[tuple[str, str]] = [(str(c), str(t)) for c, t in record["columns"]]
    typed = [c for c, _ in columns if c in schema_names]
    select = ", ".join([*(_quote(c) for c in typed), "extra", "ST_AsBinary(geom)"])
    with conn.cursor(binary=True) as cur:
        cur.execute(f"SELECT {select} FROM ws_{name} ORDER BY fid")
        rows = cur.fetchall()
    by_column: dict[str, list[Any]] = {c: [r[i] for r in rows] for i, c in enumerate(typed)}
    extras = [r[len(typed)] or {} for r in rows]
    data: dict[str, pd.Series] = {}
    for column, dtype in columns:
        if column == geometry_column:
            continue
        values = by_column[column] if column in by_column else [e.get(column) for e in extras]
        data[column] = _series(values, dtype, column)
    wkb = np.array([r[-1] for r in rows], dtype=object)
    geometry = gpd.GeoSeries(shapely.from_wkb(wkb), crs=CGCS2000, name=geometry_column)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    frame[geometry_column] = geometry
    frame = frame[[c for c, _ in columns]]
    return gpd.GeoDataFrame(frame, geometry=geometry_column, crs=CGCS2000)


def read_workspace_pg(dsn_or_conn: str | psycopg.Connection[Any]) -> Workspace:
    """Read the workspace that :func:`import_workspace` stored.

    Parameters
    ----------
    dsn_or_conn : str or psycopg.Connection
        ``postgresql://...`` or an open connection.

    Returns
    -------
    Workspace
        The layers with their columns, dtypes and geometries as imported (a fresh
        RangeIndex, like :func:`gridgov.io.read_workspace`), in EPSG:4490, and ``meta``.
        All tables are read in one snapshot.

    Raises
    ------
    DatabaseError
        If the database cannot be reached or has no workspace tables.
    ValidationError
        If a required layer was never imported (``gridgov db import``).
    """
    with _conn(dsn_or_conn) as conn:
        if isinstance(dsn_or_conn, str):
            # our own connection: one consistent snapshot across every table
            conn.isolation_level = _psycopg().IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        _require_tables(conn)
        with conn.transaction():
            records = {
                str(r[0]): {"columns": r[1], "geometry_column": r[2]}
                for r in conn.execute(
                    "SELECT layer, columns, geometry_column FROM ws_layers"
                ).fetchall()
            }
            missing = [name for name in REQUIRED_LAYERS if name not in records]
            if missing:
                where = _label(conn)
                raise ValidationError(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            None,
                            f"the workspace has no {name} layer; import one with "
                            f"gridgov db import WORKSPACE {where}",
                        )
                        for name in missing
                    ],
                    context=where,
                )
            layers = {
                name: _read_layer(conn, name, records[name]) for name in LAYERS if name in records
            }
            meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM ws_meta")}
    return Workspace(**layers, meta=meta)


def workspace_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Feature count per imported layer (empty before the first import)."""
    _require_tables(conn)
    names = [str(r[0]) for r in conn.execute("SELECT layer FROM ws_layers").fetchall()]
    counts = {}
    for name in LAYERS:
        if name in names:
            row = conn.execute(f"SELECT count(*) FROM ws_{name}").fetchone()
            counts[name] = int(row[0]) if row else 0
    return counts


# --- queries --------------------------------------------------------------------------------

# Contained first (the lowest fid among grids the point touches, as the in-process
# STRtree path picks), else the nearest by true metres in the projected CRS: `<->` on
# `geom_xy` walks the GiST index. UNION ALL ... LIMIT 1 runs the second branch only
# when the first finds nothing.
_LOCATE = """
WITH p AS (
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490), l.projected_srid) AS pt
    FROM ws_layers l WHERE l.layer = 'grids'
)
(SELECT g.fid, g.code, 0.0::float8 AS d
   FROM ws_grids g, p WHERE ST_Intersects(g.geom_xy, p.pt) ORDER BY g.fid LIMIT 1)
UNION ALL
(SELECT g.fid, g.code, ST_Distance(g.geom_xy, p.pt)
   FROM ws_grids g, p ORDER BY g.geom_xy <-> p.pt, g.fid LIMIT 1)
LIMIT 1
"""

_IN_COUNTY = """
SELECT bool_or(ST_Intersects(c.geom_xy, ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s),
       4490), ST_SRID(c.geom_xy))))
FROM ws_county c
"""


def locate_sql(
    conn: psycopg.Connection[Any], lon: float, lat: float, tolerance_m: float
) -> GridHit:
    """The grid containing a point, or the nearest one within ``tolerance_m``, in SQL.

    Gives the answer of the service's in-process lookup (``IssueService`` keeps using that:
    it measured about 10x faster per point, see the module docstring): among grids touching
    the point the first in layer order, else the nearest by distance in the workspace's
    projected CRS (ties: the first in layer order).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection to a database with an imported workspace.
    lon, lat : float
        The point in CGCS2000 (or WGS84) degrees.
    tolerance_m : float
        How far outside every grid a point may be and still snap to the nearest one.

    Returns
    -------
    GridHit

    Raises
    ------
    ParameterError
        If the coordinates are not finite or ``tolerance_m`` is negative.
    gridgov.LocationError
        If no grid is within ``tolerance_m``; the message names the nearest grid and its
        distance, and whether the point is inside the county.
    DatabaseError
        If the grids were imported without a projected CRS.
    """
    bad: list[tuple[str, Any, str]] = []
    for field, value in (("lon", lon), ("lat", lat), ("tolerance_m", tolerance_m)):
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            bad.append((field, value, f"{field}={value!r} must be a finite number"))
    if not bad and tolerance_m < 0:
        bad.append(
            ("tolerance_m", tolerance_m, f"tolerance_m={tolerance_m!r} must not be negative")
        )
    if bad:
        # one error naming the first bad argument; the message lists every one
        raise ParameterError("; ".join(m for _, _, m in bad), parameter=bad[0][0], value=bad[0][1])
    params = {"lon": float(lon), "lat": float(lat)}
    row = conn.execute(_LOCATE, params).fetchone()
    if row is None:
        has = conn.execute("SELECT projected_srid FROM ws_layers WHERE layer = 'grids'").fetchone()
        if has is None:
            raise NotFoundError(f"{_label(conn)}: the workspace has no grids layer")
        raise DatabaseError(
            f"{_label(conn)}: the grids were imported without a projected CRS "
            f"(projected_srid={has[0]!r}); import the workspace again"
        )
    fid, code, distance = int(row[0]), str(row[1]), float(row[2])
    if distance <= tolerance_m:
        return GridHit(fid, code, distance)
    inside_row = conn.execute(_IN_COUNTY, params).fetchone()
    inside = bool(inside_row[0]) if inside_row is not None else False
    name_row = conn.execute("SELECT name FROM ws_grids WHERE fid = %s", (fid,)).fetchone()
    name = str(name_row[0]) if name_row is not None else ""
    where = "inside the county but" if inside else "outside the county and"
    message = (
        f"the point ({lon:.6f}, {lat:.6f}) is {where} {distance:,.0f} m from the nearest grid "
        f"{code} ({name}), more than the {tolerance_m:,.0f} m tolerance"
    )
    raise LocationError(
        [Problem("issue", None, "lon/lat", f"{lon}, {lat}", message)], context="location"
    )
