"""A region as input: which counties it holds, where each one's layers are, and reading one.

Offices a level above the county get their data two ways: a folder of the counties' own
workspace GeoPackages (what a city assembles from its counties), or the parts that
``gridgov synth --scale province|national`` writes, each a GeoPackage (or a folder of
GeoParquet files) holding the eight layers of some fifty counties. :func:`open_region`
indexes either into one :class:`Region`: a :class:`CountySource` per county, found by its
six-digit code, with its outline's bounding box and its counts, reading only code columns.
:func:`read_county` then reads one county alone, filtering a part's layers on the
statistical codes (townships, villages and stations carry their county's code as a prefix),
so a worker holds one county at a time and never the part, let alone the region.

A county read from a part is the same :class:`~gridgov.model.Workspace` as the county's
own GeoPackage read by :func:`gridgov.io.read_workspace`, so a region run and a county's
own run agree exactly.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from gridgov._errors import NotFoundError, Problem, ValidationError
from gridgov._validate import coerce_values
from gridgov.crs import CGCS2000
from gridgov.messages import text
from gridgov.model import LAYERS, REQUIRED_LAYERS, Workspace

__all__ = ["CountySource", "Region", "county_outlines", "open_region", "read_county", "read_near"]

log = logging.getLogger(__name__)

_HAS_ARROW = importlib.util.find_spec("pyarrow") is not None

#: How a county's features are told apart inside a part: the column whose value starts
#: with the county's six-digit code. Roads and deputies carry no code column of the
#: schema; their ids do when gridgov wrote them (``430623R000001``), else roads are the
#: ones on the county's outline and deputies the members of its stations.
_PREFIX_COLUMN = {
    "county": "code",
    "townships": "code",
    "villages": "code",
    "settlements": "village_code",
    "grids": "village_code",
    "stations": "township_code",
}
_ID_COLUMN = {"roads": "road_id", "deputies": "deputy_id"}

Kind = Literal["workspace", "gpkg-part", "parquet-part", "postgis"]


@dataclass(frozen=True)
class CountySource:
    """Where one county of a region is, and what it holds.

    Attributes
    ----------
    code, name : str
        Six-digit statistical code and name of the county.
    path : str
        The county's workspace GeoPackage, or the part (GeoPackage file or GeoParquet
        folder) it is in.
    kind : {"workspace", "gpkg-part", "parquet-part", "postgis"}
        A workspace is read whole; a part is filtered to the county; ``postgis``: the
        workspace in schema ``schema`` of the database ``path`` (a DSN) names.
    bounds : tuple of float
        ``(min_lon, min_lat, max_lon, max_lat)`` of the county outline (CGCS2000).
    villages, stations, townships, population : int
        Counts for ``gridgov region info`` and the region workbook.
    ids_prefixed : tuple of str
        Layers among ``roads`` and ``deputies`` whose ids start with the county code in
        this part (read by prefix; the others by outline or station).
    schema : str
        For ``postgis``, the county's schema in the database.
    """

    code: str
    name: str
    path: str
    kind: Kind
    bounds: tuple[float, float, float, float]
    villages: int
    stations: int
    townships: int
    population: int
    ids_prefixed: tuple[str, ...] = ()
    schema: str = ""

    @property
    def shown(self) -> str:
        """Where the county is, as people are shown it (a database's password hidden)."""
        if self.kind != "postgis":
            return self.path
        from gridgov.region._pg import shown_dsn

        return f"{shown_dsn(self.path)} schema={self.schema}"


@dataclass(frozen=True)
class Region:
    """The counties of a region, in code order, and where the region was read from."""

    root: str
    counties: tuple[CountySource, ...]
    sources: tuple[str, ...] = field(default=())
    #: Files of the folder that could not be read as counties, each with the reason: a
    #: region run lists them among its failures and goes on with the others.
    unreadable: tuple[tuple[str, str], ...] = field(default=())

    def county(self, code: str) -> CountySource:
        for c in self.counties:
            if c.code == code:
                return c
        raise NotFoundError(text("region.no_county", code=code, region=self.root))

    def neighbours(self, code: str, margin_deg: float) -> list[CountySource]:
        """Counties whose outline box comes within ``margin_deg`` of county ``code``'s box."""
        me = self.county(code)
        x0, y0, x1, y1 = me.bounds
        return [
            c
            for c in self.counties
            if c.code != code
            and c.bounds[0] <= x1 + margin_deg
            and c.bounds[2] >= x0 - margin_deg
            and c.bounds[1] <= y1 + margin_deg
            and c.bounds[3] >= y0 - margin_deg
        ]

    def summary(self) -> dict[str, Any]:
        """JSON-able: the counties with their counts, and the region's totals."""
        rows = [
            {
                "code": c.code,
                "name": c.name,
                "townships": c.townships,
                "villages": c.villages,
                "stations": c.stations,
                "population": c.population,
                "source": c.shown,
            }
            for c in self.counties
        ]
        totals = {
            "townships": sum(c.townships for c in self.counties),
            "villages": sum(c.villages for c in self.counties),
            "stations": sum(c.stations for c in self.counties),
            "population": sum(c.population for c in self.counties),
        }
        return {
            "region": self.root,
            "counties": len(rows),
            "sources": len(self.sources),
            "unreadable": [{"file": f, "reason": why} for f, why in self.unreadable],
            "totals": totals,
            "by_county": rows,
        }


def open_region(path: str | Path) -> Region:
    """Index the counties of a region folder (or of one multi-county GeoPackage).

    Parameters
    ----------
    path : str or Path
        A folder of county workspace GeoPackages, or of the parts ``gridgov synth`` writes
        (``part-0000.gpkg`` ..., or ``part-0000/`` folders of GeoParquet), or one such file;
        or a ``postgresql://`` URL of a database holding one county per schema (as
        ``gridgov db import`` loads them; see :mod:`gridgov.region._pg`).

    Returns
    -------
    Region

    Raises
    ------
    NotFoundError
        If the path does not exist or holds no county, or the database cannot be reached.
    ValidationError
        If a county code is in two files (each problem names the file and the code), or
        the only file named cannot be read. In a folder, a file that is not a readable
        GeoPackage or lacks a required layer is kept in :attr:`Region.unreadable` with
        its reason, so one county's broken file does not stop the others.
    """
    from gridgov.store import is_dsn

    if isinstance(path, str) and is_dsn(path):
        return _open_database(path)
    root = Path(path)
    if not root.exists():
        raise NotFoundError(text("region.no_region", path=root))
    # absolute: a worker on another machine (or in another folder) reads the same paths
    here = root.resolve()
    if here.is_file():
        files: list[Path] = [here]
    else:
        files = sorted(p for p in here.glob("*.gpkg") if not p.name.startswith("."))
        files += sorted(
            p for p in here.glob("part-*") if p.is_dir() and (p / "villages.parquet").is_file()
        )
    if not files:
        raise NotFoundError(text("region.empty", path=root))
    problems: list[Problem] = []
    unreadable: list[tuple[str, str]] = []
    counties: dict[str, CountySource] = {}
    for file in files:
        try:
            found = _index_file(file)
        except ValidationError as exc:
            if root.is_file():
                raise
            unreadable.append((str(file), "; ".join(p.message for p in exc.problems)))
            continue
        for county in found:
            if county.code in counties:
                problems.append(
                    Problem(
                        file.name,
                        None,
                        "code",
                        county.code,
                        text(
                            "region.duplicate", code=county.code, other=counties[county.code].path
                        ),
                    )
                )
                continue
            counties[county.code] = county
    if problems:
        raise ValidationError(problems, context=str(root))
    if not counties:
        if unreadable:
            raise ValidationError(
                [Problem(Path(f).name, None, None, None, why) for f, why in unreadable],
                context=str(root),
            )
        raise NotFoundError(text("region.empty", path=root))
    ordered = tuple(counties[c] for c in sorted(counties))
    return Region(str(root), ordered, tuple(str(f) for f in files), tuple(unreadable))


def _open_database(dsn: str) -> Region:
    from gridgov.region._pg import index_database, shown_dsn

    indexed, unreadable = index_database(dsn)
    found = [CountySource(path=dsn, kind="postgis", **fields) for fields in indexed]
    shown = shown_dsn(dsn)
    counties: dict[str, CountySource] = {}
    problems: list[Problem] = []
    for county in found:
        if county.code in counties:
            other = counties[county.code].schema
            problems.append(
                Problem(
                    county.schema, None, "code", county.code,
                    text("region.duplicate", code=county.code, other=other),
                )
            )  # fmt: skip
            continue
        counties[county.code] = county
    if problems:
        raise ValidationError(problems, context=shown)
    if not counties:
        raise ValidationError(
            [Problem(schema, None, None, None, why) for schema, why in unreadable], context=shown
        )
    ordered = tuple(counties[c] for c in sorted(counties))
    return Region(shown, ordered, tuple(c.schema for c in ordered), tuple(unreadable))


def _index_file(file: Path) -> list[CountySource]:
    """The counties in one GeoPackage or GeoParquet part, from their code columns."""
    if file.is_dir():
        return _index_parquet(file)
    try:
        names = {str(n) for n in pyogrio.list_layers(file)[:, 0]}
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise ValidationError(
            [Problem(file.name, None, None, None, text("load.not_gpkg", error=exc))],
            context=str(file),
        ) from exc
    missing = [n for n in REQUIRED_LAYERS if n not in names]
    if missing:
        raise ValidationError(
            [
                Problem(file.name, None, None, n, text("region.no_layer", file=file.name, layer=n))
                for n in missing
            ],
            context=str(file),
        )

    def columns(layer: str, cols: list[str]) -> pd.DataFrame:
        if layer not in names:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        return pyogrio.read_dataframe(file, layer=layer, columns=cols, read_geometry=False)

    county = pyogrio.read_dataframe(file, layer="county", columns=["code", "name"])
    return _counties(
        file,
        county,
        columns("townships", ["code"]),
        columns("villages", ["code", "population"]),
        columns("stations", ["township_code"]),
        {name: columns(name, [col])[col] for name, col in _ID_COLUMN.items()},
    )


def _index_parquet(folder: Path) -> list[CountySource]:
    import pyarrow.parquet as pq

    missing = [n for n in REQUIRED_LAYERS if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise ValidationError(
            [
                Problem(
                    folder.name, None, None, n, text("region.no_layer", file=folder.name, layer=n)
                )
                for n in missing
            ],
            context=str(folder),
        )

    def columns(layer: str, cols: list[str]) -> pd.DataFrame:
        f = folder / f"{layer}.parquet"
        if not f.is_file():
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        return pq.read_table(f, columns=cols).to_pandas()

    county = gpd.read_parquet(folder / "county.parquet", columns=["code", "name", "geometry"])
    return _counties(
        folder,
        county,
        columns("townships", ["code"]),
        columns("villages", ["code", "population"]),
        columns("stations", ["township_code"]),
        {name: columns(name, [col])[col] for name, col in _ID_COLUMN.items()},
    )


def _counties(
    file: Path,
    county: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    villages: pd.DataFrame,
    stations: pd.DataFrame,
    ids: dict[str, pd.Series],
) -> list[CountySource]:
    codes = county["code"].astype(str).str.strip()
    bad = [(i, c) for i, c in enumerate(codes) if not (len(c) == 6 and c.isdigit())]
    if bad:
        raise ValidationError(
            [
                Problem(file.name, f"county {i + 1}", "code", c, text("region.bad_code", value=c))
                for i, c in bad
            ],
            context=str(file),
        )
    one = len(codes) == 1 and file.is_file() and not file.name.startswith("part-")
    kind: Kind = "workspace" if one else ("parquet-part" if file.is_dir() else "gpkg-part")
    bounds = county.to_crs(CGCS2000).geometry.bounds if county.crs is not None else None

    def by_county(values: pd.Series) -> pd.Series:
        return values.astype(str).str[:6].value_counts()

    n_town = by_county(townships["code"])
    n_vill = by_county(villages["code"])
    pop = (
        pd.to_numeric(villages["population"], errors="coerce")
        .fillna(0)
        .groupby(villages["code"].astype(str).str[:6])
        .sum()
    )
    n_st = by_county(stations["township_code"])
    prefixed = tuple(
        name
        for name, values in ids.items()
        if len(values) and values.astype(str).str[:6].isin(set(codes)).all()
    )
    out = []
    for i, code in enumerate(codes):
        box = tuple(float(v) for v in bounds.iloc[i]) if bounds is not None else (float("nan"),) * 4
        out.append(
            CountySource(
                code=code,
                name=str(county["name"].iloc[i]),
                path=str(file),
                kind=kind,
                bounds=box,  # type: ignore[arg-type]
                villages=int(n_vill.get(code, 0)),
                stations=int(n_st.get(code, 0)),
                townships=int(n_town.get(code, 0)),
                population=int(pop.get(code, 0)),
                ids_prefixed=prefixed,
            )
        )
    return out


def read_county(county: CountySource) -> Workspace:
    """One county's workspace, read alone from its GeoPackage or its part.

    Raises
    ------
    ValidationError
        If the county's file can no longer be read as indexed.
    """
    if county.kind == "workspace":
        from gridgov.io import read_workspace

        return read_workspace(county.path)
    if county.kind == "postgis":
        from gridgov.region._pg import read_county_pg

        return read_county_pg(county.path, county.schema)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYERS:
        gdf = _read_layer(county, name, _where(county, name, layers))
        if gdf is None:
            continue
        gdf, problems = coerce_values(gdf, name)
        if problems:
            log.warning(
                "%s %s: %d value problem(s) in %s", county.path, county.code, len(problems), name
            )
        layers[name] = gdf
    missing = [n for n in REQUIRED_LAYERS if n not in layers or layers[n].empty]
    if missing:
        raise ValidationError(
            [
                Problem(
                    Path(county.path).name,
                    None,
                    None,
                    n,
                    text("region.county_empty", code=county.code, layer=n),
                )
                for n in missing
            ],
            context=county.path,
        )
    return Workspace(**layers)


# A part's filter for one layer: (SQL for OGR, the same as a pandas mask for GeoParquet).
_Filter = tuple[str, Any]


def _where(county: CountySource, name: str, read: dict[str, gpd.GeoDataFrame]) -> _Filter | None:
    code = county.code
    if name in _PREFIX_COLUMN:
        col = _PREFIX_COLUMN[name]
        return (f"{col} LIKE '{code}%'", lambda df: df[col].astype(str).str.startswith(code))
    col = _ID_COLUMN[name]
    if name in county.ids_prefixed:
        return (f"{col} LIKE '{code}%'", lambda df: df[col].astype(str).str.startswith(code))
    if name == "deputies":
        ids = read["stations"]["station_id"].astype(str).tolist() if "stations" in read else []
        quoted = ",".join("'" + s.replace("'", "''") + "'" for s in ids) or "''"
        return (f"station_id IN ({quoted})", lambda df: df["station_id"].astype(str).isin(ids))
    return None  # roads without prefixed ids: those on the county's outline


@functools.lru_cache(maxsize=64)
def _layer_names(path: str, mtime_ns: int) -> frozenset[str]:
    """The layers of a GeoPackage, listed once per file version in a worker process (a
    part's fifty counties would otherwise list it eight times each)."""
    return frozenset(str(n) for n in pyogrio.list_layers(path)[:, 0])


def _layers_of(path: str | Path) -> frozenset[str]:
    return _layer_names(str(path), Path(path).stat().st_mtime_ns)


def _read_layer(county: CountySource, name: str, flt: _Filter | None) -> gpd.GeoDataFrame | None:
    path = Path(county.path)
    if county.kind == "parquet-part":
        f = path / f"{name}.parquet"
        if not f.is_file():
            return None
        gdf = gpd.read_parquet(f)
        if flt is not None:
            gdf = gdf[flt[1](gdf)].reset_index(drop=True)
        elif "county" not in (name,):
            gdf = _on_outline(gdf, county)
        return gdf
    if name not in _layers_of(path):
        return None
    if flt is not None:
        return pyogrio.read_dataframe(path, layer=name, where=flt[0], use_arrow=_HAS_ARROW)
    gdf = pyogrio.read_dataframe(path, layer=name, bbox=county.bounds, use_arrow=_HAS_ARROW)
    return _on_outline(gdf, county)


def _on_outline(gdf: gpd.GeoDataFrame, county: CountySource) -> gpd.GeoDataFrame:
    """Features touching the county's outline (for roads a part does not label by county)."""
    outline = _outline(county)
    return gdf[gdf.intersects(outline)].reset_index(drop=True)


def _outline(county: CountySource) -> Any:
    path = Path(county.path)
    if county.kind == "parquet-part":
        c = gpd.read_parquet(path / "county.parquet")
        c = c[c["code"].astype(str) == county.code]
    else:
        c = pyogrio.read_dataframe(path, layer="county", where=f"code = '{county.code}'")
    return c.to_crs(CGCS2000).geometry.union_all()


def read_near(
    counties: Iterable[CountySource],
    box: tuple[float, float, float, float],
    layers: tuple[str, ...],
) -> dict[str, gpd.GeoDataFrame]:
    """The features of ``layers`` of ``counties`` whose extent meets ``box`` (CGCS2000),
    each tagged with its county's code in ``county_code``: the neighbours' roads and
    stations a village may cross the border to reach."""
    out: dict[str, list[gpd.GeoDataFrame]] = {name: [] for name in layers}
    by_file: dict[tuple[str, str], list[CountySource]] = {}
    in_db: list[CountySource] = []
    for c in counties:
        if c.kind == "postgis":
            in_db.append(c)
        else:
            by_file.setdefault((c.path, c.kind), []).append(c)
    if in_db:
        from gridgov.region._pg import read_near_pg

        at = [(c.path, c.schema, c.code) for c in in_db]
        for name, parts in read_near_pg(at, box, layers).items():
            out[name] += [gdf.to_crs(CGCS2000) for gdf in parts]
    for (path, kind), members in by_file.items():
        for name in layers:
            if kind == "parquet-part":
                f = Path(path) / f"{name}.parquet"
                if not f.is_file():
                    continue
                gdf = gpd.read_parquet(f)
                gdf = gdf.cx[box[0] : box[2], box[1] : box[3]]
            else:
                if name not in _layers_of(path):
                    continue
                gdf = pyogrio.read_dataframe(path, layer=name, bbox=box, use_arrow=_HAS_ARROW)
            if gdf.empty:
                continue
            gdf, _ = coerce_values(gdf, name)
            gdf = gdf.to_crs(CGCS2000)
            tag = _tag(gdf, name, members)
            keep = tag.notna()
            if keep.any():
                out[name].append(gdf[keep].assign(county_code=tag[keep]).reset_index(drop=True))
    return {
        name: gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CGCS2000)
        for name, parts in out.items()
        if parts
    }


def _tag(gdf: gpd.GeoDataFrame, name: str, members: list[CountySource]) -> pd.Series:
    """The county code of each feature among ``members`` (NaN for any other county's)."""
    codes = {c.code for c in members}
    if name == "stations":
        key = gdf["township_code"].astype(str).str[:6]
    elif name in _ID_COLUMN and all(name in c.ids_prefixed for c in members):
        key = gdf[_ID_COLUMN[name]].astype(str).str[:6]
    elif len(members) == 1 and members[0].kind == "workspace":
        key = pd.Series(members[0].code, index=gdf.index)
    else:
        # roads a part does not label: the member county whose outline box holds the
        # road's midpoint
        mid = gdf.geometry.interpolate(0.5, normalized=True)
        key = pd.Series(pd.NA, index=gdf.index, dtype=object)
        for c in members:
            x0, y0, x1, y1 = c.bounds
            inside = (mid.x >= x0) & (mid.x <= x1) & (mid.y >= y0) & (mid.y <= y1) & key.isna()
            key[inside] = c.code
    return key.where(key.isin(codes))


def county_outlines(region: Region) -> gpd.GeoDataFrame:
    """Every county's outline (``code``, geometry; CGCS2000), read once per file (a part
    holds fifty) or with one query per database, for the region map."""
    frames = []
    in_db: list[CountySource] = []
    for c in region.counties:
        if c.kind == "postgis":
            in_db.append(c)
    if in_db:
        from gridgov.region._pg import read_outlines_pg

        frames.append(read_outlines_pg([(c.path, c.schema, c.code) for c in in_db]))
    for path in dict.fromkeys(c.path for c in region.counties if c.kind != "postgis"):
        if Path(path).is_dir():
            gdf = gpd.read_parquet(Path(path) / "county.parquet", columns=["code", "geometry"])
        else:
            gdf = pyogrio.read_dataframe(path, layer="county", columns=["code"])
        frames.append(gdf.to_crs(CGCS2000))
    outlines = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)
    outlines["code"] = outlines["code"].astype(str)
    return outlines.drop_duplicates("code").reset_index(drop=True)


def region_meta(root: str | Path) -> dict[str, Any] | None:
    """``region.json`` beside the parts, when ``gridgov synth`` wrote the region."""
    meta = Path(root) / "region.json"
    if not meta.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data
