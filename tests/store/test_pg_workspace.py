"""The county workspace in PostGIS: an exact round trip, all-or-nothing imports, and SQL
locating that gives the service's in-process answer on every sampled point.

Needs ``GRIDGOV_PG_DSN`` (tests/conftest.py); every test gets a fresh migrated schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridgov import io, synth
from gridgov._errors import LocationError, ValidationError
from gridgov.crs import workspace_crs
from gridgov.issues.places import GridIndex
from gridgov.model import LAYERS, Workspace

psycopg = pytest.importorskip("psycopg")

from gridgov.store.pg_workspace import (  # noqa: E402
    DatabaseError,
    import_workspace,
    locate_sql,
    read_workspace_pg,
    workspace_counts,
)


@pytest.fixture(scope="module")
def demo() -> Workspace:
    return synth.demo_county(seed=2024)


@pytest.fixture(scope="module")
def demo_gpkg(demo: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pgws") / "county.gpkg"
    io.write_workspace(demo, path)
    return path


def assert_same_workspace(got: Workspace, want: Workspace) -> None:
    """Same layers, columns, dtypes, values, byte-identical geometries, same meta."""
    assert list(got.layers()) == list(want.layers())
    for name, frame in want.layers().items():
        back = getattr(got, name)
        assert_geodataframe_equal(back, frame, check_dtype=True, check_crs=True)
        assert list(back.columns) == list(frame.columns)
        assert back.geometry.name == frame.geometry.name
        assert (
            shapely.to_wkb(back.geometry.to_numpy()) == shapely.to_wkb(frame.geometry.to_numpy())
        ).all(), f"{name}: geometries differ"
    assert got.meta == want.meta


def test_demo_county_round_trips_exactly(pg_schema: Callable[..., str], demo: Workspace) -> None:
    dsn = pg_schema()
    counts = import_workspace(demo, dsn)
    assert counts == demo.counts()
    assert_same_workspace(read_workspace_pg(dsn), demo)


def test_geopackage_workspace_round_trips_as_read_workspace_gives_it(
    pg_schema: Callable[..., str], demo_gpkg: Path
) -> None:
    """What `gridgov db import` stores reads back as `read_workspace` gave it: MultiPolygons,
    the GeoPackage's meta, the same dtypes."""
    dsn = pg_schema()
    ws = io.read_workspace(demo_gpkg)
    import_workspace(ws, dsn)
    assert_same_workspace(read_workspace_pg(dsn), ws)


def test_optional_layers_nullable_columns_and_extra_columns_round_trip(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    dsn = pg_schema()
    grids = demo.grids.copy()
    grids.loc[[0, 3], "households"] = np.nan
    grids["households"] = grids["households"].astype("Int64")  # read_workspace: missing -> Int64
    grids.loc[[1, 2], "worker_phone"] = np.nan
    grids["note"] = pd.Series(["a", None] * (len(grids) // 2) + ["b"] * (len(grids) % 2))
    grids["score"] = np.arange(len(grids), dtype="int64") * 3
    grids["weight"] = np.where(np.arange(len(grids)) % 5 == 0, np.nan, 0.25)
    grids["checked"] = np.arange(len(grids)) % 2 == 0
    ws = replace(demo, grids=grids, roads=None, settlements=None, meta={"note": "测试"})
    import_workspace(ws, dsn)
    back = read_workspace_pg(dsn)
    assert back.roads is None and back.settlements is None
    assert back.grids["households"].dtype == "Int64"
    assert_same_workspace(back, ws)


def test_import_replaces_the_previous_workspace(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    dsn = pg_schema()
    import_workspace(demo, dsn)
    smaller = replace(demo, roads=None, deputies=None)
    import_workspace(smaller, dsn)
    back = read_workspace_pg(dsn)
    assert back.roads is None and back.deputies is None
    with psycopg.connect(dsn) as conn:
        assert workspace_counts(conn) == smaller.counts()
        assert conn.execute("SELECT count(*) FROM ws_roads").fetchone() == (0,)


def test_invalid_workspace_is_refused_and_the_stored_one_kept(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    dsn = pg_schema()
    import_workspace(demo, dsn)
    grids = demo.grids.copy()
    grids.loc[1, "code"] = grids.loc[0, "code"]  # a duplicate grid code
    villages = demo.villages.copy()
    villages.loc[0, "township_code"] = "999999999"  # names no township
    with pytest.raises(ValidationError) as err:
        import_workspace(replace(demo, grids=grids, villages=villages), dsn)
    text = str(err.value)
    assert str(grids.loc[0, "code"]) in text and "999999999" in text
    assert_same_workspace(read_workspace_pg(dsn), demo)


def test_other_crs_is_reprojected_to_cgcs2000(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    dsn = pg_schema()
    projected = workspace_crs(demo)
    import_workspace(replace(demo, stations=demo.stations.to_crs(projected)), dsn)
    back = read_workspace_pg(dsn)
    assert back.stations.crs.equals(pyproj.CRS("EPSG:4490"))
    assert np.allclose(
        shapely.get_coordinates(back.stations.geometry),
        shapely.get_coordinates(demo.stations.geometry),
        atol=1e-9,
    )


def test_empty_or_uninitialised_database_is_named(pg_schema: Callable[..., str]) -> None:
    dsn = pg_schema()
    with pytest.raises(ValidationError, match=r"no county layer.*gridgov db import"):
        read_workspace_pg(dsn)
    bare = pg_schema(migrated=False)
    with pytest.raises(DatabaseError, match="gridgov db init"):
        read_workspace_pg(bare)
    with pytest.raises(DatabaseError, match="cannot connect to 'postgresql://u:\\*\\*\\*@"):
        read_workspace_pg("postgresql://u:hunter2@127.0.0.1:1/none")


def test_tables_follow_the_layer_schemas_with_srid_4490_and_gist_indexes(
    pg_schema: Callable[..., str],
) -> None:
    dsn = pg_schema()
    kinds = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean"}
    with psycopg.connect(dsn) as conn:
        for name, schema in LAYERS.items():
            rows = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (f"ws_{name}",),
            ).fetchall()
            columns = dict(rows)
            for col in schema.columns:
                assert columns.get(col.name) == kinds[col.kind], (name, col.name)
            srid = conn.execute(
                "SELECT srid FROM geometry_columns WHERE f_table_schema = current_schema() "
                "AND f_table_name = %s AND f_geometry_column = 'geom'",
                (f"ws_{name}",),
            ).fetchone()
            assert srid == (4490,), name
            gist = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexdef LIKE '%%USING gist (geom)%%'",
                (f"ws_{name}",),
            ).fetchone()
            assert gist == (1,), name


def _sample_points(ws: Workspace, n: int, seed: int) -> np.ndarray:
    """Inside the county, in a 600 m ring outside it (snapped or refused), and on grid
    vertices and edges (shared boundaries: the first grid in layer order wins)."""
    rng = np.random.default_rng(seed)
    crs = workspace_crs(ws)
    county = ws.county.to_crs(crs).geometry.union_all()
    ring = county.buffer(600.0).difference(county)
    parts = []
    for shape, k in ((county, n // 2), (ring, n // 4)):
        x0, y0, x1, y1 = shape.bounds
        xy = np.c_[rng.uniform(x0, x1, 20 * k), rng.uniform(y0, y1, 20 * k)]
        parts.append(xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])][:k])
    grids = ws.grids.to_crs(crs).geometry
    vertices = shapely.get_coordinates(grids.boundary)
    parts.append(vertices[rng.choice(len(vertices), n // 8, replace=False)])
    edges = grids.boundary.iloc[rng.choice(len(grids), n // 8)]
    parts.append(
        shapely.get_coordinates(
            shapely.line_interpolate_point(
                edges.to_numpy(), rng.uniform(0, 1, len(edges)), normalized=True
            )
        )
    )
    xy = np.concatenate(parts)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    return np.c_[lon, lat]


def test_locate_sql_agrees_with_the_in_process_lookup(
    pg_schema: Callable[..., str], demo_gpkg: Path
) -> None:
    dsn = pg_schema()
    import_workspace(io.read_workspace(demo_gpkg), dsn)
    ws = read_workspace_pg(dsn)
    grids = GridIndex(ws, workspace_crs(ws))
    tolerance_m = 300.0
    points = _sample_points(ws, 2000, seed=7)
    kinds = {"inside": 0, "snapped": 0, "refused": 0}
    ties = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for lon, lat in points:
            lon, lat = float(lon), float(lat)
            try:
                want: tuple[int, float] | str = grids.locate(lon, lat, tolerance_m)
            except LocationError as exc:
                want = str(exc)
            try:
                hit = locate_sql(conn, lon, lat, tolerance_m)
                got: tuple[int, float] | str = (hit.fid, hit.distance_m)
                assert hit.code == grids.codes[hit.fid]
            except LocationError as exc:
                got = str(exc)
            if isinstance(want, str):
                kinds["refused"] += 1
                assert got == want, (lon, lat)
                continue
            kinds["inside" if want[1] == 0 else "snapped"] += 1
            assert not isinstance(got, str), (lon, lat, want, got)
            assert got[1] == pytest.approx(want[1], abs=1e-6), (lon, lat, want, got)
            if got[0] != want[0]:
                # Only where two grids are equally right: a point on a shared edge or
                # vertex (PostGIS and pyproj may project it 1e-12 m apart), or equidistant
                # from two grids outside them. SQL's grid is as near as the in-process one.
                x, y = grids.to_xy.transform(lon, lat)
                other = shapely.distance(grids.geoms[got[0]], shapely.Point(x, y))
                assert other == pytest.approx(want[1], abs=1e-6), (lon, lat, want, got)
                ties += 1
    assert min(kinds.values()) >= 50, kinds
    assert ties < len(points) // 8, ties  # the shared-boundary samples at most


def test_locate_sql_names_bad_arguments(pg_schema: Callable[..., str], demo: Workspace) -> None:
    dsn = pg_schema()
    import_workspace(demo, dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(ValueError, match=r"lon=nan must be a finite number"):
            locate_sql(conn, float("nan"), 29.5, 100.0)
        with pytest.raises(ValueError, match=r"tolerance_m=-1\.0 must not be negative"):
            locate_sql(conn, 112.5, 29.5, -1.0)


def test_a_reader_sees_the_old_or_the_new_workspace(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    """An import committed while a reader's snapshot is open does not show through."""
    dsn = pg_schema()
    import_workspace(demo, dsn)
    with psycopg.connect(dsn, autocommit=True) as reader:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with reader.transaction():
            reader.execute("SELECT count(*) FROM ws_meta").fetchone()  # snapshot taken
            import_workspace(replace(demo, roads=None, meta={"round": "2"}), dsn)
            back = read_workspace_pg(reader)
    assert_same_workspace(back, demo)
    assert read_workspace_pg(dsn).meta == {"round": "2"}


def test_geometry_kinds_are_checked_by_the_database(
    pg_schema: Callable[..., str], demo: Workspace
) -> None:
    dsn = pg_schema()
    import_workspace(demo, dsn)
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        pytest.raises(psycopg.errors.CheckViolation),
    ):
        conn.execute(
            "UPDATE ws_stations SET geom = ST_SetSRID(ST_MakeLine(ST_MakePoint(112, 29), "
            "ST_MakePoint(112.1, 29.1)), 4490) WHERE fid = 0"
        )


def test_points_frame_geometry_name_is_kept(pg_schema: Callable[..., str], demo: Workspace) -> None:
    dsn = pg_schema()
    stations = demo.stations.rename_geometry("where")
    ws = replace(demo, stations=gpd.GeoDataFrame(stations, geometry="where"))
    import_workspace(ws, dsn)
    assert read_workspace_pg(dsn).stations.geometry.name == "where"
