"""Workspace GeoPackages: read, validate and write them whole, atomically.

A *workspace* is one GeoPackage with a layer per :data:`gridgov.model.LAYERS` entry, a
``gridgov_meta`` key/value table and a ``gridgov_layers`` table saying when each input layer
was loaded and from which input versions each result layer (coverage, plans) was computed.
:func:`write_workspace` validates the whole workspace and writes it atomically (a temporary
file in the same folder, then :func:`os.replace`), so a failed write never damages the file
a planner has open in QGIS. :func:`load_into_workspace` reads files into layers of a
workspace, all or nothing, keeping every other layer; results computed from a layer it
replaces are then out of date, and it says so (:func:`stale_results`).
:func:`preview_workspace` does the same without writing; :func:`workspace_info` summarises
one.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj

from gridgov import crs as _crs
from gridgov._errors import NotFoundError, ParameterError, Problem, ValidationError
from gridgov._json import strict
from gridgov._validate import (
    NOTE,
    Finding,
    clean_layer,
    coerce_values,
    mark_cascades,
    relation_problems,
    resolve_references,
    validate_workspace,
)
from gridgov._validate.vocabulary import layer_term
from gridgov.io._layer import log_warnings, read_source
from gridgov.io._qgis import GPKG_VERSION, LayerStyle, apply_styles
from gridgov.messages import Items, text
from gridgov.model import (
    CHINA_TIME,
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
    "LAYERS_TABLE",
    "META_LAYER",
    "SCHEMA_VERSION",
    "load_into_workspace",
    "preview_workspace",
    "read_workspace",
    "stale_results",
    "workspace_info",
    "write_result_layers",
    "write_workspace",
]

log = logging.getLogger(__name__)


#: Name of the non-spatial key/value table inside a workspace GeoPackage.
META_LAYER = "gridgov_meta"
#: Version of the workspace layout, stored in ``gridgov_meta``.
SCHEMA_VERSION = "1"
#: Name of the non-spatial table of layer versions: one row per input layer (``role``
#: ``input``: when it was loaded, from which file) and per result layer (``role``
#: ``result``: when it was computed, and the versions of the inputs it was computed from,
#: as JSON ``{layer: updated_at}``).
LAYERS_TABLE = "gridgov_layers"
_HAS_ARROW = importlib.util.find_spec("pyarrow") is not None
# Result layers by name prefix, and the command that computes them again.
_RESULT_COMMANDS = {"coverage_": "gridgov coverage", "plan_": "gridgov consolidate"}


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
        raise NotFoundError(text("load.no_workspace", path=path))
    try:
        names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        message = text("load.not_gpkg", error=exc)
        raise ValidationError(
            [Finding(path.name, None, None, None, message)], context=str(path)
        ) from exc
    missing = [name for name in REQUIRED_LAYERS if name not in names]
    if missing:
        raise ValidationError(
            [
                Finding(name, None, None, None, text("validate.no_layer", layer=layer_term(name)))
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


def _write_gpkg(
    ws: Workspace,
    path: Path,
    *,
    keep_others: bool = False,
    loaded: Collection[str] | None = None,
) -> None:
    """Write every layer, the meta table and the layer versions to a temporary file, then
    replace ``path``.

    With ``keep_others`` the temporary file starts as a copy of ``path`` (when it exists),
    so whatever the workspace's own layers do not overwrite stays: result layers, the
    issues layer, a planner's own layers, QGIS styles (``layer_styles``), GeoPackage
    metadata and any other table in the file. ``loaded`` names the layers new in this
    write (None: all of them); the others keep their recorded versions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp = workdir / (path.name if path.suffix.lower() == ".gpkg" else f"{path.name}.gpkg")
    try:
        versions: dict[str, dict[str, str]] = {}
        if keep_others and path.is_file():
            shutil.copy2(path, tmp)
            versions = _read_versions(tmp)
            versions.update(_legacy_results(tmp, versions))
        now = _now()
        for name, gdf in ws.layers().items():
            geometry_type = _GPKG_GEOMETRY[LAYERS[name].geometry]
            # a new file is GeoPackage 1.2: GDAL 3.6 and older QGIS warn on 1.4
            created = {} if tmp.exists() else {"dataset_options": {"VERSION": GPKG_VERSION}}
            pyogrio.write_dataframe(
                _for_gpkg(gdf),
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=geometry_type.startswith("Multi"),
                **created,
            )
            if loaded is None or name in loaded:
                source = ws.meta.get(f"source_{name}", "")
                versions[name] = _version(name, "input", now, source=source)
            elif name not in versions:
                versions[name] = _version(name, "input", "")  # loaded before versions were kept
        meta = pd.DataFrame(
            {"key": list(ws.meta), "value": [str(v) for v in ws.meta.values()]}, dtype=str
        )
        pyogrio.write_dataframe(meta, tmp, layer=META_LAYER, driver="GPKG")
        _write_versions(tmp, versions)
        tmp.replace(path)  # atomic on POSIX and Windows (os.replace)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("wrote workspace %s (%s)", path, ", ".join(f"{k} {v}" for k, v in ws.counts().items()))


# --- layer versions: which results are out of date ------------------------------------------


def _now() -> str:
    # microseconds: two loads in one second are two versions
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _version(
    layer: str, role: str, updated_at: str, *, source: str = "", inputs: str = ""
) -> dict[str, str]:
    return {
        "layer": layer,
        "role": role,
        "updated_at": updated_at,
        "source": source,
        "inputs": inputs,
    }


def _read_versions(path: Path) -> dict[str, dict[str, str]]:
    """The ``gridgov_layers`` rows of a GeoPackage by layer ({} if it has no such table)."""
    try:
        names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    except (pyogrio.errors.DataSourceError, OSError):
        return {}
    if LAYERS_TABLE not in names:
        return {}
    table = pyogrio.read_dataframe(path, layer=LAYERS_TABLE, read_geometry=False)
    out: dict[str, dict[str, str]] = {}
    for record in table.to_dict(orient="records"):
        row = {k: "" if pd.isna(v) else str(v) for k, v in record.items()}
        out[row.get("layer", "")] = _version(
            row.get("layer", ""),
            row.get("role", ""),
            row.get("updated_at", ""),
            source=row.get("source", ""),
            inputs=row.get("inputs", ""),
        )
    out.pop("", None)
    return out


def _write_versions(path: Path, versions: Mapping[str, Mapping[str, str]]) -> None:
    table = pd.DataFrame(
        [dict(v) for v in versions.values()],
        columns=["layer", "role", "updated_at", "source", "inputs"],
        dtype=str,
    )
    pyogrio.write_dataframe(table, path, layer=LAYERS_TABLE, driver="GPKG")


def _result_command(name: str) -> str | None:
    return next((c for p, c in _RESULT_COMMANDS.items() if name.startswith(p)), None)


def _legacy_results(
    path: Path, versions: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """Result layers without a version (written before versions were kept, or by hand):
    taken as computed from the inputs as they are before this write, so the layers this
    write replaces make them out of date."""
    names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    inputs = json.dumps(
        {
            layer: versions[layer]["updated_at"] if layer in versions else ""
            for layer in LAYERS
            if layer in names
        }
    )
    return {
        name: _version(name, "result", "", inputs=inputs)
        for name in sorted(names)
        if name not in versions and _result_command(name) is not None
    }


def stale_results(path: str | Path) -> dict[str, list[str]]:
    """Result layers of a workspace computed from inputs loaded again since.

    Parameters
    ----------
    path : str or Path
        A workspace GeoPackage.

    Returns
    -------
    dict
        Result layer -> the input layers that changed since it was computed (sorted);
        results that are up to date, or whose inputs are unknown, are left out.
    """
    versions = _read_versions(Path(path))
    current = {k: v["updated_at"] for k, v in versions.items() if v["role"] == "input"}
    out: dict[str, list[str]] = {}
    for name, row in versions.items():
        if row["role"] != "result" or not row["inputs"]:
            continue
        try:
            used = json.loads(row["inputs"])
        except json.JSONDecodeError:
            continue
        changed = sorted(
            layer for layer, at in used.items() if layer in current and current[layer] != at
        )
        if changed:
            out[name] = changed
    return out


def _stale_note(path: Path, stale: Mapping[str, list[str]]) -> Finding:
    inputs = sorted({layer for layers in stale.values() for layer in layers})
    commands = sorted({c for name in stale if (c := _result_command(name)) is not None})
    message = text(
        "note.stale_results",
        layers=Items(sorted(stale), limit=8),
        inputs=Items([layer_term(i) for i in inputs]),
        commands=Items(commands or ["gridgov coverage"]),
    )
    return Finding(path.name, None, None, None, message, NOTE)


def _write_validated(
    ws: Workspace,
    path: str | Path,
    *,
    fix: bool,
    settings: Settings | None,
    meta: Mapping[str, str] | None = None,
) -> tuple[Workspace, list[Problem]]:
    path = Path(path)
    fixed, problems = validate_workspace(
        _reproject(ws), settings=settings, fix=fix, context=path.name
    )
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
    sources: Mapping[str, str | os.PathLike[str]],
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
        message = text("load.unknown_layer", layers=", ".join(LAYERS))
        raise ValidationError(
            [Finding("sources", None, "layer", name, message) for name in unknown],
            context="sources",
        )
    absent = [Path(p) for p in sources.values() if not Path(p).exists()]
    if absent:
        raise NotFoundError(text("load.no_such_file", paths=", ".join(str(p) for p in absent)))
    new: dict[str, gpd.GeoDataFrame] = {}
    failed: set[str] = set()
    labels: dict[str, str] = {}
    for name, source in sources.items():
        gdf, found = read_source(
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
    before: set[str] = set()
    exists = workspace is not None and Path(workspace).exists()
    if workspace is not None and exists:
        existing = read_workspace(workspace)
        meta = dict(existing.meta)
        before = set(existing.layers())
        for name, gdf in existing.layers().items():
            if name in sources:
                continue
            cleaned, found = clean_layer(gdf, name, fix=fix)
            problems.extend(found)
            layers[name] = cleaned
    layers.update(new)
    for name in REQUIRED_LAYERS:
        if name not in layers and name not in failed:
            key = "validate.no_layer" if exists else "validate.no_layer_new"
            message = text(key, layer=layer_term(name))
            problems.append(Finding(name, None, None, None, message))
    layers, resolved = resolve_references(layers, labels=labels)
    problems.extend(resolved)
    related = relation_problems(layers, settings=settings, labels=labels)
    problems.extend(_without_echoes(related, resolved))
    problems = mark_cascades(problems, replaced=before & set(sources), kept=before - set(sources))
    if any(name not in layers for name in REQUIRED_LAYERS):
        return None, problems
    meta.update({f"source_{name}": Path(p).name for name, p in sources.items()})
    return Workspace(**layers, meta=meta), problems


def _without_echoes(related: list[Problem], resolved: list[Problem]) -> list[Problem]:
    """``related`` less the problems about a cell already refused while resolving names.

    A name that fits several stations (or townships) is an error naming the candidates;
    it stays in the cell, so the reference check would call the same cell "not in the
    layer" as well: one problem for one mistake, the one that says what to choose from.
    """
    refused = {
        (p.layer, p.row, p.field, str(p.value))
        for p in resolved
        if p.severity == "error" and p.row is not None
    }
    if not refused:
        return related
    return [p for p in related if (p.layer, p.row, p.field, str(p.value)) not in refused]


def preview_workspace(
    workspace: str | Path | None,
    sources: Mapping[str, str | os.PathLike[str]],
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
        Merged, cleaned and checked (the warnings are returned with it).

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
    log_warnings(problems, level=logging.INFO)  # returned: the caller reports them
    return ws, problems


def load_into_workspace(
    workspace: str | Path,
    sources: Mapping[str, str | os.PathLike[str]],
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
    written, atomically. Every other layer and table of an existing file (analysis results,
    the issues layer, a planner's own layers, QGIS styles) is kept as it was. Problems of all files and of the merged workspace are reported
    together in one :class:`~gridgov._errors.ValidationError`; on any error the existing
    file is not touched.

    Parameters
    ----------
    workspace : str or Path
        Workspace GeoPackage; created if missing (then the required layers county,
        townships, villages and stations must all be among ``sources``).
    sources : mapping of str to path
        Layer name (:data:`gridgov.model.LAYERS` key) -> file to read into it (a path, or
        a :class:`~gridgov.io.SourceFile` carrying that file's own options).
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
        The workspace as written, and the warnings and notes: notes (severity
        ``"note"``) say what was derived (a station's township from its name, a deputy's
        station from the station's name) and which results are now out of date
        (``结果已过期``: computed from a layer this load replaced).

    Raises
    ------
    ValidationError
        Listing every problem, if any is an error; nothing is written. Problems of the
        files come first; problems of layers the load kept that only follow from a layer
        it replaced come last, marked (``cause``).
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
    # the layers it reads are replaced; every other layer and table of the file stays
    _write_gpkg(written, Path(workspace), keep_others=True, loaded=set(sources))
    stale = stale_results(workspace)
    if stale:
        problems = [*problems, _stale_note(Path(workspace), stale)]
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
        (lengths measured in the projected CRS), ``layers_loaded_at`` (input layer ->
        China time it was loaded), ``results`` (result layer -> 最新 or 结果已过期 with the
        inputs loaded again since), ``stale_results`` (their names), and ``meta``.

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
    info.update(_version_info(path))
    info["meta"] = dict(ws.meta)
    # NaN (the bounds of an empty county) would make the summary invalid JSON
    result: dict[str, Any] = strict(info)
    return result


def _shown_time(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


def _version_info(path: Path) -> dict[str, Any]:
    """``layers_loaded_at``, ``results`` (each with 最新/结果已过期) and ``stale_results``."""
    versions = _read_versions(path)
    stale = stale_results(path)
    loaded = {
        k: _shown_time(v["updated_at"])
        for k, v in versions.items()
        if v["role"] == "input" and v["updated_at"]
    }
    results: dict[str, str] = {}
    for name, row in versions.items():
        if row["role"] != "result":
            continue
        if name in stale:
            inputs = Items([layer_term(i) for i in stale[name]])
            results[name] = text("info.result_stale", inputs=inputs)
        elif row["updated_at"]:
            results[name] = text("info.result_fresh", at=_shown_time(row["updated_at"]))
        else:
            results[name] = text("info.result_unknown")
    return {"layers_loaded_at": loaded, "results": results, "stale_results": sorted(stale)}


def write_result_layers(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    styles: Mapping[str, LayerStyle] | None = None,
) -> Path:
    """Add or replace analysis layers (coverage, plans) in an existing workspace, atomically.

    The workspace's own layers are untouched; a copy gets the new layers and replaces the
    file only when every layer is written. Names must not clash with workspace layers.
    Loading files into the workspace (``gridgov load``) keeps them; rerunning the analysis
    writes them again. Each is recorded in ``gridgov_layers`` with the versions of the
    input layers it was computed from, so a later load can say it is out of date
    (:func:`stale_results`). ``styles`` (layer -> :class:`~gridgov.io._qgis.LayerStyle`)
    are written with them: QGIS styles, Chinese field names and layer titles.

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    ParameterError
        If a name is one of the workspace layers.
    """
    target = Path(path)
    if not target.exists():
        raise NotFoundError(text("load.no_workspace", path=repr(str(target))))
    clash = sorted(set(layers) & (set(LAYERS) | {META_LAYER, LAYERS_TABLE}))
    if clash:
        raise ParameterError(
            text("load.result_name_clash", names=", ".join(clash)),
            parameter="layers",
            value=clash,
        )
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    tmp = workdir / target.name
    try:
        shutil.copy2(target, tmp)
        versions = _read_versions(tmp)
        present = {str(n) for n in pyogrio.list_layers(tmp)[:, 0]}
        inputs = {
            name: versions[name]["updated_at"] if name in versions else ""
            for name in LAYERS
            if name in present
        }
        now = _now()
        for name, gdf in layers.items():
            out = gdf.to_crs(_crs.CGCS2000) if gdf.crs is not None else gdf
            pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG", promote_to_multi=True)
            versions[name] = _version(name, "result", now, inputs=json.dumps(inputs))
        _write_versions(tmp, versions)
        if styles:
            apply_styles(tmp, {k: v for k, v in styles.items() if k in layers})
        tmp.replace(target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target
