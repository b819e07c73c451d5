"""Many synthetic counties at once, up to national scale, written in parts.

Counties are laid out across China without overlapping, each drawn from the seed
sequence ``(seed, i)``; parts are built, written and dropped one after another (or in
worker processes), so memory depends on the part size, not the region.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov._errors import ExtraMissingError, ParameterError
from gridgov._json import strict_json
from gridgov.crs import CGCS2000
from gridgov.model import LAYERS
from gridgov.synth._build import build_county, to_geographic
from gridgov.synth._county import KM2_PER_VILLAGE, OUTLINE_REACH, check_seed, synthetic_frame
from gridgov.synth._shapes import Floats, largest_remainder

__all__ = ["PRESETS", "synth_region"]

log = logging.getLogger(__name__)


#: Village-level units at each named scale (``gridgov synth --scale``).
PRESETS: Final = {"county": 220, "province": 20_000, "national": 600_000}


@dataclass(frozen=True)
class _CountyPlan:
    index: int
    code: str
    n_villages: int
    center: tuple[float, float]


def _plan_region(n_villages: int, seed: int, villages_per_county: int) -> list[_CountyPlan]:
    """County sizes, codes (9PCCDD: synthetic) and centres laid out across China.

    Counties are packed in rows, west to east and south to north, each given the room of
    its own farthest possible vertex: a square block round 110E 30N when it fits, else
    rows across 74-134E, from 18N up to 53N.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    n_counties = max(1, round(n_villages / villages_per_county))
    if n_counties > 10 * 99 * 99:
        raise ParameterError(
            f"{n_counties} counties do not fit 6-digit codes; raise villages_per_county",
            parameter="villages_per_county",
            value=villages_per_county,
        )
    spread = np.clip(rng.lognormal(0.0, 0.25, n_counties), 0.4, 2.5)
    sizes = largest_remainder(n_villages, spread, minimum=1)
    reach_km = OUTLINE_REACH * np.sqrt(sizes * KM2_PER_VILLAGE / math.pi) + 1.0
    side_km = math.ceil(math.sqrt(n_counties)) * 2 * float(reach_km.mean())
    side_deg = side_km / (111.32 * math.cos(math.radians(30.0)))
    layouts = [(110.0 - side_deg / 2, 110.0 + side_deg / 2, 30.0 - side_km / 110.57 / 2)]
    layouts = [lay for lay in layouts if lay[0] >= 74.0 and lay[2] >= 18.0]
    layouts.append((74.0, 134.0, 18.0))
    for lon0, lon1, lat0 in layouts:
        centres = _pack_rows(reach_km, lon0, lon1, lat0, 53.0)
        if centres is not None:
            break
    else:
        raise ParameterError(
            f"{n_villages} villages at {villages_per_county} per county do not fit "
            "China's extent; lower villages_per_county",
            parameter="villages_per_county",
            value=villages_per_county,
        )
    per_city = 20 if n_counties <= 10 * 99 * 20 else 99
    plans = []
    for j in range(n_counties):
        cities = j // per_city
        code = f"{90 + cities // 99}{cities % 99 + 1:02d}{j % per_city + 1:02d}"
        plans.append(_CountyPlan(j, code, int(sizes[j]), centres[j]))
    return plans


def _pack_rows(
    reach_km: Floats, lon0: float, lon1: float, lat0: float, lat1: float
) -> list[tuple[float, float]] | None:
    """Centres (lon, lat) of discs of radius ``reach_km`` packed in rows; None if too many."""
    km_lat = 110.57
    top = float(reach_km.max()) * 2 / km_lat
    centres: list[tuple[float, float]] = []
    lat = lat0
    i = 0
    while i < len(reach_km):
        # the row's width is measured at its northern edge, where a degree is shortest
        width = (lon1 - lon0) * 111.32 * math.cos(math.radians(lat + top))
        row: list[tuple[int, float]] = []
        x = 0.0
        while i < len(reach_km):
            r = float(reach_km[i])
            if row and x + 2 * r > width:
                break
            row.append((i, x + r))
            x += 2 * r
            i += 1
        half = max(float(reach_km[j]) for j, _ in row) / km_lat
        lat += half if centres else 0.0
        if lat > lat1:
            return None
        km_lon = 111.32 * math.cos(math.radians(lat))
        centres += [(lon0 + cx / km_lon, lat) for _, cx in row]
        lat += half
    return centres


def _has_arrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def _write_part(
    part: int,
    plans: list[_CountyPlan],
    seed: int,
    out_dir: str,
    fmt: str,
) -> dict[str, Any]:
    """Build, write and drop one part; returns its counts (runs in a worker process)."""
    t0 = time.perf_counter()
    frames: dict[str, list[gpd.GeoDataFrame]] = {name: [] for name in LAYERS}
    nodes = edges = population = 0
    for plan in plans:
        rng = np.random.default_rng(np.random.SeedSequence([seed, plan.index]))
        frame = synthetic_frame(
            rng,
            n_villages=plan.n_villages,
            n_townships=None,
            county_code=plan.code,
            center=plan.center,
            name=None,
        )
        county = build_county(frame, rng)
        nodes += county.road_nodes
        edges += county.road_edges
        for name, gdf in to_geographic(county, frame).items():
            frames[name].append(gdf)
        population += int(frames["villages"][-1]["population"].sum())
    layers = {
        name: gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CGCS2000)
        for name, parts in frames.items()
    }
    del frames
    out = Path(out_dir)
    files: list[str] = []
    if fmt == "gpkg":
        path = out / f"part-{part:04d}.gpkg"
        tmp = out / f".part-{part:04d}.tmp.gpkg"
        tmp.unlink(missing_ok=True)
        for name, gdf in layers.items():
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", use_arrow=_has_arrow())
        tmp.replace(path)
        files.append(path.name)
    else:
        folder = out / f"part-{part:04d}"
        folder.mkdir(exist_ok=True)
        for name, gdf in layers.items():
            gdf.to_parquet(folder / f"{name}.parquet")
            files.append(f"{folder.name}/{name}.parquet")
    counts = {name: len(gdf) for name, gdf in layers.items()}
    return {
        "part": part,
        "files": files,
        "counts": counts,
        "population": population,
        "road_nodes": nodes,
        "road_edges": edges,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def synth_region(
    out_dir: str | os.PathLike[str],
    *,
    n_villages: int,
    seed: int,
    villages_per_county: int = 215,
    counties_per_part: int = 50,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    format: str = "gpkg",
) -> dict[str, Any]:
    """Write a synthetic region of many counties, one file per part, memory bounded.

    Each part (``counties_per_part`` counties) is built, written and dropped before the
    next, so peak memory depends on the part size, not the region: national scale
    (600,000 villages, ~200,000 stations, ~2.8 million deputies) runs in a few GiB.
    County ``i`` is drawn from the seed sequence ``(seed, i)``, so the output does not
    depend on ``workers`` or ``counties_per_part``.

    Parameters
    ----------
    out_dir : path
        Folder to write into (created if missing). Also gets ``region.json``, the summary.
    n_villages : int
        Village-level units in the whole region (presets: :data:`PRESETS`).
    seed : int
        Seed of the whole region.
    villages_per_county : int, default 215
        Average county size; sizes vary by about 25 %.
    counties_per_part : int, default 50
        Counties per output part (about 11,000 villages, 250,000 features).
    progress : callable, optional
        Called as ``progress(parts_done, parts_total)`` after each part is written.
    workers : int, default 1
        Processes building parts in parallel (each holds one part in memory).
    format : {"gpkg", "parquet"}, default "gpkg"
        ``gpkg``: one GeoPackage per part with the eight workspace layers (written
        through Arrow when pyarrow is installed); ``parquet``: a folder per part with
        one GeoParquet file per layer (needs pyarrow; faster to write and read).

    Returns
    -------
    dict
        JSON-able summary: n_villages, seed, counties, parts, files, counts (features per
        layer), population, road_nodes, road_edges, seconds, format.

    Raises
    ------
    ParameterError
        If a count is not positive, ``seed`` is negative or ``format`` is unknown.
    ExtraMissingError
        If ``format="parquet"`` and pyarrow is missing (``pip install "gridgov[arrow]"``).
    """
    check_seed(seed)
    for label, value in (
        ("n_villages", n_villages),
        ("villages_per_county", villages_per_county),
        ("counties_per_part", counties_per_part),
        ("workers", workers),
    ):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ParameterError(
                f"{label} must be a positive integer, got {value!r}", parameter=label, value=value
            )
    if format not in ("gpkg", "parquet"):
        raise ParameterError(
            f"format must be 'gpkg' or 'parquet', got {format!r}", parameter="format", value=format
        )
    if format == "parquet" and not _has_arrow():
        raise ExtraMissingError("arrow", 'synth_region(format="parquet")')
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plans = _plan_region(n_villages, seed, villages_per_county)
    chunks = [plans[i : i + counties_per_part] for i in range(0, len(plans), counties_per_part)]
    log.info(
        "synth_region: %d villages in %d counties, %d parts", n_villages, len(plans), len(chunks)
    )
    results: list[dict[str, Any]] = []
    if workers == 1 or len(chunks) == 1:
        for part, chunk in enumerate(chunks):
            results.append(_write_part(part, chunk, seed, str(out), format))
            if progress is not None:
                progress(len(results), len(chunks))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_write_part, part, chunk, seed, str(out), format)
                for part, chunk in enumerate(chunks)
            ]
            for future in as_completed(futures):
                results.append(future.result())
                if progress is not None:
                    progress(len(results), len(chunks))
    results.sort(key=lambda r: int(r["part"]))
    counts = {name: sum(r["counts"][name] for r in results) for name in LAYERS}
    summary: dict[str, Any] = {
        "n_villages": n_villages,
        "seed": seed,
        "counties": len(plans),
        "parts": len(chunks),
        "format": format,
        "files": [str(out / f) for r in results for f in r["files"]],
        "counts": counts,
        "population": sum(r["population"] for r in results),
        "road_nodes": sum(r["road_nodes"] for r in results),
        "road_edges": sum(r["road_edges"] for r in results),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (out / "region.json").write_text(strict_json(summary, indent=2) + "\n", encoding="utf-8")
    return summary
