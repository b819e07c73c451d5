-- The county workspace in PostGIS: one table per layer of gridgov.model.LAYERS, so every
-- instance of `gridgov serve postgresql://...` reads the same county and QGIS can open it.
--
-- Geometry is CGCS2000 (SRID 4490) in `geom`, with a GiST index; the geometry family of
-- each layer is checked, not its single/multi form, so a workspace built in memory
-- (Polygon) and one read from a GeoPackage (MultiPolygon) both round-trip unchanged.
-- Grids and the county outline also keep `geom_xy`, the same shapes in the workspace's
-- projected CRS (a Gauss-Kruger zone, metres), so nearest-grid queries order by true
-- metres with the KNN operator `<->` instead of by degrees.
--
-- Every schema column has a typed column (text, bigint, double precision, boolean) named
-- as in the schema; columns a workspace carries beyond the schema go in `extra` (JSONB).
-- Codes and ids compare bytewise (COLLATE "C"), as in the issue tables of 0001.
-- `fid` is the row's position in its layer. `ws_layers` records each layer's columns in
-- order with their pandas dtypes, so reading back gives the same frame.
-- gridgov.store.pg_workspace.import_workspace replaces all of it in one transaction.

CREATE TABLE ws_layers (
    layer text PRIMARY KEY CHECK (layer IN (
        'county', 'townships', 'villages', 'settlements', 'grids', 'stations', 'deputies', 'roads'
    )),
    columns jsonb NOT NULL,
    geometry_column text NOT NULL,
    projected_srid integer,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ws_meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE ws_county (
    fid integer PRIMARY KEY,
    code text COLLATE "C" UNIQUE,
    name text,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')),
    geom_xy geometry
);
CREATE INDEX ws_county_geom_gist ON ws_county USING gist (geom);

CREATE TABLE ws_townships (
    fid integer PRIMARY KEY,
    code text COLLATE "C" UNIQUE,
    name text,
    seat_name text,
    seat_lon double precision,
    seat_lat double precision,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON'))
);
CREATE INDEX ws_townships_geom_gist ON ws_townships USING gist (geom);

CREATE TABLE ws_villages (
    fid integer PRIMARY KEY,
    code text COLLATE "C" UNIQUE,
    name text,
    township_code text COLLATE "C",
    urban_rural_code text,
    kind text,
    population bigint,
    households bigint,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON'))
);
CREATE INDEX ws_villages_geom_gist ON ws_villages USING gist (geom);
CREATE INDEX ws_villages_township ON ws_villages (township_code);

CREATE TABLE ws_settlements (
    fid integer PRIMARY KEY,
    settlement_id text COLLATE "C" UNIQUE,
    name text,
    village_code text COLLATE "C",
    population bigint,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) = 'POINT')
);
CREATE INDEX ws_settlements_geom_gist ON ws_settlements USING gist (geom);
CREATE INDEX ws_settlements_village ON ws_settlements (village_code);

CREATE TABLE ws_grids (
    fid integer PRIMARY KEY,
    code text COLLATE "C" UNIQUE,
    name text,
    village_code text COLLATE "C",
    households bigint,
    population bigint,
    worker_name text,
    worker_phone text,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')),
    geom_xy geometry
);
CREATE INDEX ws_grids_geom_gist ON ws_grids USING gist (geom);
CREATE INDEX ws_grids_geom_xy_gist ON ws_grids USING gist (geom_xy);
CREATE INDEX ws_grids_village ON ws_grids (village_code);

CREATE TABLE ws_stations (
    fid integer PRIMARY KEY,
    station_id text COLLATE "C" UNIQUE,
    name text,
    tier text,
    kind text,
    industry text,
    township_code text COLLATE "C",
    village_code text COLLATE "C",
    parent_station_id text COLLATE "C",
    reception_day text,
    annual_cost_yuan double precision,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) = 'POINT')
);
CREATE INDEX ws_stations_geom_gist ON ws_stations USING gist (geom);
CREATE INDEX ws_stations_township ON ws_stations (township_code);

CREATE TABLE ws_deputies (
    fid integer PRIMARY KEY,
    deputy_id text COLLATE "C" UNIQUE,
    name text,
    level text,
    specialty text,
    station_id text COLLATE "C",
    grid_codes text,
    phone text,
    on_duty boolean,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) = 'POINT')
);
CREATE INDEX ws_deputies_geom_gist ON ws_deputies USING gist (geom);
CREATE INDEX ws_deputies_station ON ws_deputies (station_id);

CREATE TABLE ws_roads (
    fid integer PRIMARY KEY,
    road_id text COLLATE "C" UNIQUE,
    name text,
    road_class text,
    speed_kmh double precision,
    extra jsonb,
    geom geometry(Geometry, 4490)
        CHECK (geom IS NULL OR GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING'))
);
CREATE INDEX ws_roads_geom_gist ON ws_roads USING gist (geom);
