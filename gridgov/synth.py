"""Seeded synthetic counties at any scale, for the demo, tests and benchmarks.

Three entry points share one generator. :func:`demo_county` is Huarong (华容县, 430623):
its real outline and its real 14 townships and 225 villages/communities with their
statistical codes and names (``data/``), dressed in synthetic geometry, people, grids,
roads, 97 stations and ~1,100 deputies. :func:`synth_county` makes a wholly synthetic
county of any size with codes that nest (county 6 digits, township +3, village +3).
:func:`synth_region` writes many counties, up to national scale (600,000 village-level
units, ~2.8 million deputies), in parts, so memory stays bounded.

Geometry is built in the county's Gauss-Kruger zone (metres) and converted to CGCS2000
(EPSG:4490) at the end. Zones nest by construction: townships are Voronoi cells of
relaxed seat points clipped to the outline, villages are Voronoi cells inside their
township (communities cluster round the seat), grids are cells inside their village.
The road network is a spanning tree over township seats (plus a trunk road through the
county seat) and over village centres, with a few extra links for loops, and a village
road from every settlement to its village centre, so it is one connected component.
Everything random comes from ``numpy.random.default_rng``; one seed gives one output.
Nothing here is official data except what ``data/README.md`` says is real.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError, cKDTree

from gridgov.crs import CGCS2000, gk3_epsg
from gridgov.model import LAYERS, Workspace, is_admin_code

__all__ = ["PRESETS", "demo_county", "synth_county", "synth_region"]

log = logging.getLogger(__name__)

#: Village-level units at each named scale (``gridgov synth --scale``).
PRESETS: Final = {"county": 220, "province": 20_000, "national": 600_000}

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Geoms = NDArray[np.object_]

# --- calibration ------------------------------------------------------------------------
# China has ~2.8 million deputies of the five levels for ~600,000 village-level units and
# ~1.41 billion people: 4.7 deputies per village, about 2 per 1,000 residents. The
# population model below averages ~2,400 people per unit, so this rate gives both.
DEPUTIES_PER_PERSON: Final = 4.67 / 2400.0
# Liulin county (DOMAIN.md): 1 national, 2 provincial, 30 municipal, 207 county, 892
# township deputies. The same shares are used everywhere, each level at least one.
LEVEL_SHARES: Final = {
    "national": 1,
    "provincial": 2,
    "municipal": 30,
    "county": 207,
    "township": 892,
}
KM2_PER_VILLAGE: Final = 6.0
#: Farthest outline vertex of a synthetic county, in radii of the circle of equal area.
OUTLINE_REACH: Final = 1.5
PEOPLE_PER_HOUSEHOLD: Final = 2.9
HOUSEHOLDS_PER_GRID: Final = 300
#: How far a road may stray outside the outline (half of it before bending).
ROAD_TOLERANCE_M: Final = 200.0
SPEED_KMH: Final = {"trunk": 80.0, "county": 60.0, "township": 40.0, "village": 30.0}
STATIONS_PER_VILLAGE: Final = 1 / 3
DEMO_SEAT_LONLAT: Final = (112.54, 29.53)  # 章华镇, the county seat of Huarong
DEMO_INDUSTRIES: Final = ("芥菜产业", "医卫健康", "中药材", "水产养殖")
INDUSTRIES: Final = (
    "芥菜产业",
    "医卫健康",
    "中药材",
    "水产养殖",
    "柑橘产业",
    "茶叶产业",
    "生猪养殖",
    "电子信息",
)
SPECIALTIES: Final = (
    ("农业种植", 0.22),
    ("水产养殖", 0.06),
    ("基层治理", 0.16),
    ("企业经营", 0.12),
    ("教育", 0.09),
    ("医疗卫生", 0.08),
    ("法律", 0.05),
    ("交通运输", 0.04),
    ("文化旅游", 0.04),
    ("生态环保", 0.04),
    ("退役军人事务", 0.03),
    ("芥菜产业", 0.07),
)
WEEKDAYS: Final = ("一", "二", "三", "四", "五", "六")

_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂华红建文辉玲林志国海云斌波宇鹏飞丹萍鑫浩凯"
    "婷雪琳晶亮慧颖俊峰燕梅兰春德荣新民东永福生成祥清光金宏龙忠卫兵玉莉君佳思雨欣晨子嘉怡博宁"
    "远安和泽彬锋帆琪楠健松山江湘容"
)
_PLACE: Final = (
    "东南西北新和平安丰兴华河湖港洲山岭桥塘铺坪湾口渡堤垸冲岗庙寺林田家马龙凤鹤莲荷桂梅竹柳杨"
    "石金银长永太福胜利民乐义忠仁团结红旗光明阳春秋清泉溪江汇联合星月云花岩坝堰潭洪沙滩"
)
# Offsets keep nearest-neighbour searches inside one parent zone (see _relax).
_OWNER_OFFSET_M: Final = 1e8


# --- the administrative frame of one county ----------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """What is fixed before geometry is drawn: codes, names, kinds, outline, counts."""

    county_code: str
    county_name: str
    outline: shapely.Geometry  # projected (metres)
    outline_lonlat: shapely.Geometry  # EPSG:4490, as published
    epsg: int
    township_codes: list[str]
    township_names: list[str]
    seat_township: int  # index of the county seat town
    village_codes: list[str]
    village_names: list[str]
    village_township: Ints  # index into townships, non-decreasing
    village_is_community: NDArray[np.bool_]
    village_urc: list[str]
    industries: tuple[str, ...]
    n_points: int
    seat_xy: tuple[float, float] | None = None  # pinned county seat (projected)
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class _County:
    """One county's layers in its projected CRS, plus road-graph figures."""

    layers: dict[str, gpd.GeoDataFrame]
    road_nodes: int
    road_edges: int


# --- sampling and partitioning -------------------------------------------------------------


def _sample_in(polys: Geoms, counts: Ints, rng: np.random.Generator) -> tuple[Floats, Floats, Ints]:
    """``counts[i]`` uniform random points inside ``polys[i]``; returned grouped by i."""
    counts = np.asarray(counts, dtype=np.int64)
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    span = np.maximum(bounds[:, 2:] - bounds[:, :2], 1e-9)
    fill = np.clip(shapely.area(polys) / (span[:, 0] * span[:, 1]), 0.05, 1.0)
    need = counts.copy()
    xs: list[Floats] = []
    ys: list[Floats] = []
    owners: list[Ints] = []
    for _ in range(200):
        if need.sum() == 0:
            break
        draw = np.where(need > 0, np.ceil(need / fill * 1.25).astype(np.int64) + 2, 0)
        owner = np.repeat(np.arange(len(polys)), draw)
        x = bounds[owner, 0] + rng.random(len(owner)) * span[owner, 0]
        y = bounds[owner, 1] + rng.random(len(owner)) * span[owner, 1]
        inside = shapely.contains_xy(polys[owner], x, y)
        owner, x, y = owner[inside], x[inside], y[inside]
        rank = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left")
        keep = rank < need[owner]
        xs.append(x[keep])
        ys.append(y[keep])
        owners.append(owner[keep])
        need -= np.bincount(owner[keep], minlength=len(polys))
    else:  # pragma: no cover - only for degenerate (zero-area) polygons
        raise RuntimeError("could not sample points inside the zones")
    x_all, y_all, o_all = np.concatenate(xs), np.concatenate(ys), np.concatenate(owners)
    order = np.argsort(o_all, kind="stable")
    return x_all[order], y_all[order], o_all[order]


def _relax(
    xy: Floats,
    owner: Ints,
    polys: Geoms,
    rng: np.random.Generator,
    *,
    fixed: NDArray[np.bool_] | None = None,
    iters: int = 2,
    per_seed: int = 16,
) -> Floats:
    """Lloyd relaxation of seeds inside their parent zones, on sample points.

    Evens out the Voronoi cells the seeds will make, so zones have plausible sizes.
    Seeds marked ``fixed`` stay put (and still claim their samples).
    """
    if len(xy) == 0 or iters == 0:
        return xy
    counts = np.bincount(owner, minlength=len(polys))
    sx, sy, sowner = _sample_in(polys, counts * per_seed, rng)
    samples = np.column_stack([sx + sowner * _OWNER_OFFSET_M, sy])
    xy = xy.copy()
    movable = np.ones(len(xy), dtype=bool) if fixed is None else ~fixed
    for _ in range(iters):
        tree = cKDTree(np.column_stack([xy[:, 0] + owner * _OWNER_OFFSET_M, xy[:, 1]]))
        _, label = tree.query(samples)
        n = np.bincount(label, minlength=len(xy))
        mx = np.bincount(label, weights=sx, minlength=len(xy)) / np.maximum(n, 1)
        my = np.bincount(label, weights=sy, minlength=len(xy)) / np.maximum(n, 1)
        move = movable & (n > 0)
        move[move] = shapely.contains_xy(polys[owner[move]], mx[move], my[move])
        xy[move, 0] = mx[move]
        xy[move, 1] = my[move]
    return xy


def _clean_polygons(geoms: Geoms) -> Geoms:
    """Polygonal, valid geometries: drop the lines, points and slivers overlay can leave."""
    geoms = np.asarray(geoms, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    odd = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))  # Polygon, MultiPolygon
    for i in odd:
        parts = shapely.get_parts(geoms[i])
        if shapely.get_type_id(geoms[i]) == 7:  # GeometryCollection may nest MultiPolygons
            parts = shapely.get_parts(parts)
        polys = [p for p in parts if shapely.get_type_id(p) == 3 and p.area > 0]
        big = [p for p in polys if p.area > 1.0] or polys
        geoms[i] = big[0] if len(big) == 1 else shapely.MultiPolygon(big)
    return geoms


def _voronoi_cells(xy: Floats, owner: Ints, polys: Geoms) -> Geoms:
    """Voronoi cells of the seeds of each parent zone, clipped to that zone.

    ``owner`` must be non-decreasing. Returns one (Multi)Polygon per seed, in seed order;
    the cells of one parent partition it.
    """
    counts = np.bincount(owner, minlength=len(polys))
    cells = np.empty(len(xy), dtype=object)
    single = counts[owner] == 1
    cells[single] = polys[owner[single]]
    sel = np.flatnonzero(~single)
    if len(sel):
        parents = np.flatnonzero(counts >= 2)
        dense = np.searchsorted(parents, owner[sel])
        points = shapely.multipoints(xy[sel], indices=dense)
        diagram = shapely.voronoi_polygons(points, extend_to=polys[parents], ordered=True)
        parts, index = shapely.get_parts(diagram, return_index=True)
        if len(parts) != len(sel) or not np.array_equal(index, dense):  # pragma: no cover
            raise RuntimeError("Voronoi diagram lost a cell (duplicate seeds?)")
        cells[sel] = shapely.intersection(parts, polys[owner[sel]])
    return _clean_polygons(cells)


def _split_int(total: Ints, weights: Floats, group: Ints) -> Ints:
    """Split ``total[g]`` over the items of group g in proportion to ``weights``."""
    wsum = np.bincount(group, weights=weights, minlength=len(total))
    share = total[group] * weights / np.maximum(wsum[group], 1e-12)
    out = np.floor(share).astype(np.int64)
    rest = total - np.bincount(group, weights=out, minlength=len(total)).astype(np.int64)
    first = np.searchsorted(group, np.arange(len(total)))
    has = np.bincount(group, minlength=len(total)) > 0
    np.add.at(out, first[has], rest[has])
    return out


def _largest_remainder(total: int, weights: ArrayLike, minimum: int = 0) -> Ints:
    """Integers summing to ``total`` in proportion to ``weights``, each >= ``minimum``."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    base = np.full(n, minimum, dtype=np.int64)
    left = total - base.sum()
    if left < 0:
        raise ValueError(f"cannot give {n} items at least {minimum} from a total of {total}")
    share = left * w / w.sum()
    out = np.floor(share).astype(np.int64)
    remainder = left - int(out.sum())
    order = np.argsort(-(share - out), kind="stable")
    out[order[:remainder]] += 1
    return base + out


def _group_rank(group: Ints) -> Ints:
    """0-based position of each item within its group (``group`` non-decreasing)."""
    return np.arange(len(group)) - np.searchsorted(group, group, side="left")


# --- names and phones -------------------------------------------------------------------------


def _person_names(rng: np.random.Generator, n: int) -> list[str]:
    rank = np.arange(1, len(_SURNAMES) + 1)
    p = rank**-0.8
    sur = rng.choice(np.array(list(_SURNAMES)), size=n, p=p / p.sum())
    given = np.array(list(_GIVEN))
    g1 = rng.choice(given, size=n)
    g2 = rng.choice(given, size=n)
    two = rng.random(n) < 0.7
    return [s + a + (b if t else "") for s, a, b, t in zip(sur, g1, g2, two, strict=True)]


def _place_names(rng: np.random.Generator, n: int, suffix: str) -> list[str]:
    chars = np.array(list(_PLACE))
    a = rng.choice(chars, size=n)
    b = rng.choice(chars, size=n)
    return [x + y + suffix for x, y in zip(a, b, strict=True)]


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    """Fake mobile numbers: the 100 prefix is not issued to any mobile network."""
    mid = rng.integers(0, 10_000, size=n)
    end = rng.integers(0, 10_000, size=n)
    return [f"100-{m:04d}-{e:04d}" for m, e in zip(mid, end, strict=True)]


# --- graph helpers ---------------------------------------------------------------------------


def _delaunay_edges(xy: Floats) -> NDArray[np.int64]:
    """Unique undirected edges (i < j) of the Delaunay triangulation of ``xy``."""
    n = len(xy)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    if n <= 3:
        i, j = np.triu_indices(n, k=1)
        return np.column_stack([i, j]).astype(np.int64)
    try:
        tri = Delaunay(xy, qhull_options="QJ")
    except QhullError:  # pragma: no cover - all points coincide
        i, j = np.triu_indices(n, k=1)
        return np.column_stack([i, j]).astype(np.int64)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e.sort(axis=1)
    return np.unique(e, axis=0).astype(np.int64)


def _mst(n: int, edges: NDArray[np.int64], weight: Floats) -> NDArray[np.bool_]:
    """Mask of ``edges`` in a minimum spanning forest over ``n`` nodes.

    Weights must be > 0 (a sparse matrix drops zeros). Of parallel edges only the lightest
    can be chosen.
    """
    mask = np.zeros(len(edges), dtype=bool)
    if len(edges) == 0:
        return mask
    e = np.sort(edges, axis=1)
    order = np.lexsort((weight, e[:, 1], e[:, 0]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (e[order[1:]] != e[order[:-1]]).any(axis=1)
    rep = order[first]
    g = coo_matrix((weight[rep], (e[rep, 0], e[rep, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(g).tocoo()
    chosen = np.minimum(tree.row, tree.col).astype(np.int64) * n + np.maximum(tree.row, tree.col)
    mask[rep[np.isin(e[rep, 0] * n + e[rep, 1], chosen)]] = True
    return mask


def _segments(
    xy: Floats, edges: NDArray[np.int64], rng: np.random.Generator, bend: float = 0.06
) -> Geoms:
    """Slightly bent LineStrings along ``edges`` (a displaced midpoint, like real roads)."""
    a = xy[edges[:, 0]]
    b = xy[edges[:, 1]]
    d = b - a
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    mid = (a + b) / 2 + normal * rng.normal(0.0, bend, size=(len(edges), 1))
    coords = np.stack([a, mid, b], axis=1)
    return shapely.linestrings(coords)


# --- the generator ---------------------------------------------------------------------------


def _build(frame: _Frame, rng: np.random.Generator) -> _County:
    """Draw every layer of one county in its projected CRS."""
    outline = frame.outline
    shapely.prepare(outline)
    n_t = len(frame.township_codes)
    n_v = len(frame.village_codes)
    vt = frame.village_township
    is_comm = frame.village_is_community

    # Townships: relaxed seats, Voronoi inside the outline. The county seat may be pinned.
    one = np.array([outline], dtype=object)
    sx, sy, _ = _sample_in(one, np.array([n_t]), rng)
    seats = np.column_stack([sx, sy])
    fixed = np.zeros(n_t, dtype=bool)
    if frame.seat_xy is not None:
        seats[frame.seat_township] = frame.seat_xy
        fixed[frame.seat_township] = True
    seats = _relax(
        seats, np.zeros(n_t, dtype=np.int64), one, rng, fixed=fixed, iters=3, per_seed=40
    )
    t_poly = _voronoi_cells(seats, np.zeros(n_t, dtype=np.int64), one)

    # Villages: communities cluster round the township seat, villages spread and relax.
    cx, cy, _ = _sample_in(t_poly, np.bincount(vt, minlength=n_t), rng)
    centres = np.column_stack([cx, cy])
    t_area = shapely.area(t_poly)
    sigma = 0.08 * np.sqrt(t_area)
    comm = np.flatnonzero(is_comm)
    if len(comm):
        todo = comm
        for _ in range(100):
            if len(todo) == 0:
                break
            t = vt[todo]
            px = seats[t, 0] + rng.normal(0.0, 1.0, len(todo)) * sigma[t]
            py = seats[t, 1] + rng.normal(0.0, 1.0, len(todo)) * sigma[t]
            ok = shapely.contains_xy(t_poly[t], px, py)
            centres[todo[ok]] = np.column_stack([px[ok], py[ok]])
            todo = todo[~ok]
    centres = _relax(centres, vt, t_poly, rng, fixed=is_comm, iters=2, per_seed=12)
    v_poly = _voronoi_cells(centres, vt, t_poly)
    # the village or community each township seat lies in (its 驻地)
    seat_v = np.full(n_t, -1, dtype=np.int64)
    pairs = shapely.STRtree(v_poly).query(shapely.points(seats), predicate="intersects")
    seat_v[pairs[0]] = pairs[1]

    # People: villages 1,000-3,000, communities 3,000-10,000 (larger in the county seat).
    urban = np.isin(np.asarray(frame.village_urc), ("111", "112", "121", "122"))
    pop = np.where(
        is_comm,
        np.where(
            urban,
            np.clip(rng.lognormal(np.log(5500), 0.35, n_v), 3000, 10000),
            np.clip(rng.lognormal(np.log(3800), 0.25, n_v), 3000, 7000),
        ),
        np.clip(rng.lognormal(np.log(1750), 0.3, n_v), 1000, 3000),
    ).astype(np.int64)
    households = np.maximum(1, np.round(pop / rng.uniform(2.7, 3.1, n_v))).astype(np.int64)

    # Settlements (自然村): 3-8 per village, the population split among them.
    n_s = rng.integers(3, 9, size=n_v)
    ex, ey, s_v = _sample_in(v_poly, n_s, rng)
    s_pop = _split_int(pop, rng.gamma(2.0, 1.0, len(ex)), s_v)
    s_rank = _group_rank(s_v)

    # Grids (网格): ~300 households each, Voronoi cells inside the village.
    n_g = np.maximum(1, np.round(households / HOUSEHOLDS_PER_GRID)).astype(np.int64)
    gx, gy, g_v = _sample_in(v_poly, n_g, rng)
    g_xy = _relax(np.column_stack([gx, gy]), g_v, v_poly, rng, iters=1, per_seed=8)
    g_poly = _voronoi_cells(g_xy, g_v, v_poly)
    g_w = rng.uniform(0.85, 1.15, len(g_v))
    g_hh = _split_int(households, g_w, g_v)
    g_pop = _split_int(pop, g_w, g_v)
    g_rank = _group_rank(g_v)

    roads, road_nodes = _roads(frame, rng, seats, centres, np.column_stack([ex, ey]), s_v)
    stations, st_xy, st_regional = _stations(frame, rng, seats, seat_v, centres, pop, ex, ey, s_v)
    deputies = _deputies(
        frame, rng, pop, np.column_stack([ex, ey]), s_pop, stations, st_xy, st_regional, g_xy, g_v
    )

    crs = pyproj.CRS.from_epsg(frame.epsg)
    vcodes = np.asarray(frame.village_codes)
    vnames = np.asarray(frame.village_names)
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["county"] = gpd.GeoDataFrame(
        {"code": [frame.county_code], "name": [frame.county_name]},
        geometry=[outline],
        crs=crs,
    )
    layers["townships"] = gpd.GeoDataFrame(
        {
            "code": frame.township_codes,
            "name": frame.township_names,
            "seat_name": [str(vnames[v]) if v >= 0 else None for v in seat_v],
            "seat_x": seats[:, 0],
            "seat_y": seats[:, 1],
        },
        geometry=t_poly,
        crs=crs,
    )
    layers["villages"] = gpd.GeoDataFrame(
        {
            "code": vcodes,
            "name": vnames,
            "township_code": np.asarray(frame.township_codes)[vt],
            "urban_rural_code": frame.village_urc,
            "kind": np.where(is_comm, "community", "village"),
            "population": pop,
            "households": households,
        },
        geometry=v_poly,
        crs=crs,
    )
    layers["settlements"] = gpd.GeoDataFrame(
        {
            "settlement_id": [f"{c}-{r + 1:02d}" for c, r in zip(vcodes[s_v], s_rank, strict=True)],
            "name": _settlement_names(rng, vnames[s_v], s_rank),
            "village_code": vcodes[s_v],
            "population": s_pop,
        },
        geometry=shapely.points(ex, ey),
        crs=crs,
    )
    layers["grids"] = gpd.GeoDataFrame(
        {
            "code": [f"{c}{r + 1:03d}" for c, r in zip(vcodes[g_v], g_rank, strict=True)],
            "name": [f"{n}第{r + 1}网格" for n, r in zip(vnames[g_v], g_rank, strict=True)],
            "village_code": vcodes[g_v],
            "households": g_hh,
            "population": g_pop,
            "worker_name": _person_names(rng, len(g_v)),
            "worker_phone": _phones(rng, len(g_v)),
        },
        geometry=g_poly,
        crs=crs,
    )
    layers["stations"] = stations.set_crs(crs)
    layers["deputies"] = deputies.set_crs(crs)
    layers["roads"] = roads.set_crs(crs)
    return _County(layers, road_nodes=road_nodes, road_edges=len(roads))


def _settlement_names(rng: np.random.Generator, vnames: NDArray[Any], rank: Ints) -> list[str]:
    # The first settlement carries the village's name (村部所在地); the rest are 组/湾/屋场.
    others = _place_names(rng, len(rank), "")
    tails = rng.choice(np.array(["组", "湾", "屋场", "垸", "嘴"]), size=len(rank))
    out = []
    for v, r, o, t in zip(vnames, rank, others, tails, strict=True):
        stem = str(v).removesuffix("社区").removesuffix("居民委员会").removesuffix("村")
        out.append(f"{stem}{'村部' if r == 0 else o + t}")
    return out


def _roads(
    frame: _Frame,
    rng: np.random.Generator,
    seats: Floats,
    centres: Floats,
    settle_xy: Floats,
    settle_v: Ints,
) -> tuple[gpd.GeoDataFrame, int]:
    """One connected road network: trunk, county, township and village roads.

    Every stage links only points whose straight link stays inside the county (a river
    or lake inlet is not crossed); a last pass joins whatever is left apart along the
    shortest links of the Delaunay triangulation of all nodes, so the network is always
    one connected component.
    """
    outline = frame.outline
    zone = shapely.buffer(outline, ROAD_TOLERANCE_M / 2)
    shapely.prepare(zone)
    n_t, n_v, n_s = len(seats), len(centres), len(settle_xy)
    seat = frame.seat_township

    # Trunk road: a line through the county seat and the seats near it, edge to edge.
    theta = rng.uniform(0.0, np.pi)
    d = np.array([np.cos(theta), np.sin(theta)])
    radius = math.sqrt(outline.area / math.pi)
    rel = seats - seats[seat]
    along = rel @ d
    off = np.abs(rel @ np.array([-d[1], d[0]]))
    probe = shapely.linestrings([seats[seat] - 4 * radius * d, seats[seat] + 4 * radius * d])
    pts = shapely.get_coordinates(shapely.intersection(probe, outline))
    if len(pts) == 0:  # pragma: no cover - the seat is inside the outline
        pts = seats[[seat]]
    t = (pts - seats[seat]) @ d
    # the ends are pulled 50 m inside, so they lie in the county rather than on its edge
    ends = np.array([pts[np.argmin(t)] + 50 * d, pts[np.argmax(t)] - 50 * d])
    xy = np.concatenate([seats, centres, settle_xy, ends])
    base_c, base_s, base_e = n_t, n_t + n_v, n_t + n_v + n_s
    near = (off < 0.2 * radius) & (np.arange(n_t) != seat)
    trunk_list: list[tuple[int, int]] = []
    for sign, end in ((-1, base_e), (1, base_e + 1)):
        side = np.flatnonzero(near & (sign * along > 0))
        stops = [*side[np.argsort(sign * along[side])].tolist(), end]
        prev = seat
        for nxt in stops:
            if _inside(zone, xy, np.array([[prev, nxt]]))[0]:
                trunk_list.append((prev, nxt))
                prev = nxt
    trunk = np.array(trunk_list, dtype=np.int64).reshape(-1, 2)

    def length(e: NDArray[np.int64]) -> Floats:
        return np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)

    # County roads (县道): spanning forest over the seats, plus some short loops.
    s_edges = _delaunay_edges(seats)
    s_edges = s_edges[_inside(zone, xy, s_edges)]
    key = {tuple(sorted(e)) for e in trunk.tolist()}
    in_trunk = np.array([tuple(e) in key for e in s_edges.tolist()], dtype=bool)
    w = np.where(in_trunk, 1e-3, length(s_edges))
    tree = _mst(n_t, s_edges, w)
    county = s_edges[_with_loops(rng, tree & ~in_trunk, ~tree & ~in_trunk, length(s_edges), 0.35)]

    # Township roads (乡道): spanning forest over seats and village centres, preferring
    # links inside one township; the seat-to-seat roads already built cost nothing.
    node_t = np.concatenate([np.arange(n_t), frame.village_township])
    v_edges = _delaunay_edges(xy[:base_s])
    v_edges = v_edges[~((v_edges[:, 0] < n_t) & (v_edges[:, 1] < n_t))]
    v_edges = v_edges[_inside(zone, xy, v_edges)]
    same = node_t[v_edges[:, 0]] == node_t[v_edges[:, 1]]
    built = np.concatenate([trunk[(trunk < n_t).all(axis=1)], county])
    both = np.concatenate([built, v_edges])
    w = np.concatenate([np.full(len(built), 1e-3), length(v_edges) * np.where(same, 1.0, 30.0)])
    tree = _mst(base_s, both, w)[len(built) :]
    township = v_edges[_with_loops(rng, tree, ~tree & same, length(v_edges), 0.25)]

    # Village roads (村道): every settlement to its village centre.
    village = np.column_stack([base_c + settle_v, base_s + np.arange(n_s)]).astype(np.int64)
    village = village[_inside(zone, xy, village)]

    # Join what is still apart (a settlement across an inlet, a township cut in two).
    groups = [trunk, county, township, village]
    used = np.unique(np.concatenate([*groups, np.arange(base_e)[:, None]], axis=None))
    links = _join_components(xy, used, np.concatenate(groups), zone)
    village = np.concatenate([village, links])

    edges = np.concatenate([trunk, county, township, village])
    cls = np.repeat(
        np.array(["trunk", "county", "township", "village"]),
        [len(trunk), len(county), len(township), len(village)],
    )
    trunk_name = f"S{rng.integers(201, 399)}"
    names: list[str | None] = [trunk_name] * len(trunk)
    names += [f"X{i + 1:03d}" for i in range(len(county))]
    names += [f"Y{i + 1:03d}" for i in range(len(township))]
    names += [None] * len(village)
    geoms = _segments(xy, edges, rng)
    # a bend that leaves the county is straightened again
    straight = ~shapely.covered_by(geoms, zone)
    geoms[straight] = shapely.linestrings(
        np.stack([xy[edges[straight, 0]], xy[edges[straight, 1]]], axis=1)
    )
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"{frame.county_code}R{i + 1:06d}" for i in range(len(edges))],
            "name": names,
            "road_class": cls,
            "speed_kmh": np.array([SPEED_KMH[c] for c in cls.tolist()], dtype=np.float64),
        },
        geometry=geoms,
    )
    return roads, len(np.unique(edges))


def _inside(zone: shapely.Geometry, xy: Floats, edges: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which straight links between nodes stay inside ``zone`` (a prepared polygon)."""
    if len(edges) == 0:
        return np.zeros(0, dtype=bool)
    lines = shapely.linestrings(np.stack([xy[edges[:, 0]], xy[edges[:, 1]]], axis=1))
    return np.asarray(shapely.covered_by(lines, zone), dtype=bool)


def _with_loops(
    rng: np.random.Generator,
    tree: NDArray[np.bool_],
    spare: NDArray[np.bool_],
    length_m: Floats,
    share: float,
) -> NDArray[np.bool_]:
    """The tree edges plus a random ``share`` of the short spare ones (loops, detours)."""
    if not tree.any():
        return tree
    short = length_m < 1.3 * np.median(length_m[tree])
    return tree | (spare & short & (rng.random(len(tree)) < share))


def _join_components(
    xy: Floats, nodes: Ints, edges: NDArray[np.int64], zone: shapely.Geometry
) -> NDArray[np.int64]:
    """Fewest, shortest extra links that make ``edges`` one component over ``nodes``."""
    n = len(xy)
    g = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    k, label = connected_components(g, directed=False)
    present = np.unique(label[nodes])
    if len(present) <= 1:
        return np.empty((0, 2), dtype=np.int64)
    cand = nodes[_delaunay_edges(xy[nodes])]
    la, lb = label[cand[:, 0]], label[cand[:, 1]]
    cand, la, lb = cand[la != lb], la[la != lb], lb[la != lb]
    # a link leaving the county is taken only when nothing else joins the two parts
    w = np.hypot(*(xy[cand[:, 0]] - xy[cand[:, 1]]).T)
    w = w * np.where(_inside(zone, xy, cand), 1.0, 1e3) + 1e-6
    tree = _mst(k, np.sort(np.column_stack([la, lb]), axis=1), w)
    return cand[tree]


def _stations(
    frame: _Frame,
    rng: np.random.Generator,
    seats: Floats,
    seat_v: Ints,
    centres: Floats,
    pop: Ints,
    sx: Floats,
    sy: Floats,
    s_v: Ints,
) -> tuple[gpd.GeoDataFrame, Floats, NDArray[np.bool_]]:
    """Township stations at the seats, points in central villages, industry studios."""
    n_t = len(seats)
    vt = frame.village_township
    tcodes = np.asarray(frame.township_codes)
    vcodes = np.asarray(frame.village_codes)
    vnames = np.asarray(frame.village_names)
    n_v_t = np.bincount(vt, minlength=n_t)

    # points: spread over townships by village count, in the largest villages (中心村)
    n_points = min(frame.n_points, max(0, len(vcodes) - n_t))
    per_t = (
        np.minimum(_largest_remainder(n_points, n_v_t), np.maximum(n_v_t - 1, 0))
        if n_points
        else np.zeros(n_t, dtype=np.int64)
    )
    short = n_points - int(per_t.sum())
    if short > 0:  # townships too small for their share: give it to those with room
        room = np.maximum(n_v_t - 1, 0) - per_t
        order = np.argsort(-room, kind="stable")
        for t in order:
            take = min(short, int(room[t]))
            per_t[t] += take
            short -= take
    score = pop * rng.uniform(0.6, 1.4, len(pop))
    score[seat_v[seat_v >= 0]] = -1.0  # the seat's own village has the township station
    order = np.lexsort((-score, vt))
    rank = _group_rank(vt[order])
    point_v = np.sort(order[rank < per_t[vt[order]]])

    # industry studios: in a settlement of a random village
    n_ind = len(frame.industries)
    ind_v = rng.choice(len(vcodes), size=n_ind, replace=False) if n_ind else np.empty(0, np.int64)
    first_s = np.searchsorted(s_v, ind_v)
    ind_s = first_s + rng.integers(1, 3, size=n_ind)  # not the village centre settlement
    ind_s = np.where(s_v[np.minimum(ind_s, len(s_v) - 1)] == ind_v, ind_s, first_s)
    ind_xy = np.column_stack([sx[ind_s], sy[ind_s]])

    n_st = n_t + len(point_v) + n_ind
    ids = [f"{frame.county_code}S{i + 1:04d}" for i in range(n_st)]
    t_ids = np.asarray(ids[:n_t])
    tier = ["station"] * n_t + ["point"] * len(point_v) + ["studio"] * n_ind
    kind = ["regional"] * (n_t + len(point_v)) + ["industry"] * n_ind
    t_of = np.concatenate([np.arange(n_t), vt[point_v], vt[ind_v]])
    v_of: list[str | None] = [vcodes[v] if v >= 0 else None for v in seat_v]
    v_of += list(vcodes[point_v]) + list(vcodes[ind_v])
    names = [f"{n}人大代表联络站" for n in frame.township_names]
    names += [f"{n}人大代表联络点" for n in vnames[point_v]]
    names += [f"{frame.county_name}{ind}代表联络站" for ind in frame.industries]
    parent: list[str | None] = [None] * n_t + list(t_ids[t_of[n_t:]])
    weekly = [f"每周{WEEKDAYS[i]}" for i in rng.integers(0, 5, size=n_st)]
    monthly = [f"每月{d}日" for d in rng.integers(1, 29, size=n_st)]
    use_weekly = np.array(tier) == "station"
    use_weekly |= rng.random(n_st) < 0.3
    reception = [w if u else m for w, m, u in zip(weekly, monthly, use_weekly, strict=True)]
    cost = (
        np.where(
            np.array(tier) == "station",
            rng.integers(40, 51, size=n_st),
            np.where(
                np.array(tier) == "studio",
                rng.integers(30, 51, size=n_st),
                rng.integers(20, 31, size=n_st),
            ),
        )
        * 1000.0
    )
    xy = np.concatenate([seats, centres[point_v], ind_xy])
    gdf = gpd.GeoDataFrame(
        {
            "station_id": ids,
            "name": names,
            "tier": tier,
            "kind": kind,
            "industry": [None] * (n_t + len(point_v)) + list(frame.industries),
            "township_code": tcodes[t_of],
            "village_code": v_of,
            "parent_station_id": parent,
            "reception_day": reception,
            "annual_cost_yuan": cost,
        },
        geometry=shapely.points(xy),
    )
    return gdf, xy, np.array(kind) == "regional"


def _deputies(
    frame: _Frame,
    rng: np.random.Generator,
    pop: Ints,
    settle_xy: Floats,
    settle_pop: Ints,
    stations: gpd.GeoDataFrame,
    st_xy: Floats,
    st_regional: NDArray[np.bool_],
    g_xy: Floats,
    g_v: Ints,
) -> gpd.GeoDataFrame:
    """Deputies of the five levels living where people live, grouped into stations."""
    total = max(len(LEVEL_SHARES), round(int(pop.sum()) * DEPUTIES_PER_PERSON))
    per_level = _largest_remainder(total, list(LEVEL_SHARES.values()), minimum=1)
    level = np.repeat(np.array(list(LEVEL_SHARES)), per_level)
    n = len(level)

    # homes: a settlement drawn by population, a few hundred metres off it
    p = settle_pop / settle_pop.sum()
    home_s = rng.choice(len(settle_xy), size=n, p=p)
    home = settle_xy[home_s] + rng.normal(0.0, 150.0, size=(n, 2))
    inside = shapely.contains_xy(frame.outline, home[:, 0], home[:, 1])
    home[~inside] = settle_xy[home_s[~inside]]

    spec_names = np.array([s for s, _ in SPECIALTIES])
    spec_p = np.array([w for _, w in SPECIALTIES])
    specialty = rng.choice(spec_names, size=n, p=spec_p / spec_p.sum()).astype(object)

    # grouped into the nearest regional station (全部就近编组进站)
    regional = np.flatnonzero(st_regional)
    _, near = cKDTree(st_xy[regional]).query(home)
    ids = stations["station_id"].to_numpy()
    station = ids[regional[near]].astype(object)

    # industry stations take deputies of their industry, from the municipal, county and
    # township levels
    pool = np.flatnonzero(np.isin(level, ("county", "township", "municipal")))
    ind = np.flatnonzero(~st_regional)
    if len(ind) and len(pool):
        k = min(len(pool) // max(len(ind), 1), 12)
        k = max(1, k)
        picked = rng.choice(pool, size=min(len(pool), k * len(ind)), replace=False)
        for j, chunk in enumerate(np.array_split(picked, len(ind))):
            station[chunk] = ids[ind[j]]
            specialty[chunk] = stations["industry"].iloc[ind[j]]
            home[chunk] = st_xy[ind[j]] + rng.normal(0.0, 100.0, size=(len(chunk), 2))
            ok = shapely.contains_xy(frame.outline, home[chunk, 0], home[chunk, 1])
            home[chunk[~ok]] = st_xy[ind[j]]

    # county and township deputies look after 1-3 grids near home (代表进网格)
    grid_codes: NDArray[np.object_] = np.full(n, None, dtype=object)
    local = np.flatnonzero(np.isin(level, ("county", "township")))
    if len(local) and len(g_xy):
        k = min(3, len(g_xy))
        _, nearest = cKDTree(g_xy).query(home[local], k=k)
        nearest = np.asarray(nearest).reshape(len(local), k)
        take = rng.integers(1, k + 1, size=len(local))
        codes = _grid_codes(frame, g_v)
        grid_codes[local] = [
            ",".join(codes[nearest[i, : take[i]]].tolist()) for i in range(len(local))
        ]

    return gpd.GeoDataFrame(
        {
            "deputy_id": [f"{frame.county_code}D{i + 1:05d}" for i in range(n)],
            "name": _person_names(rng, n),
            "level": level,
            "specialty": specialty,
            "station_id": station,
            "grid_codes": grid_codes,
            "phone": _phones(rng, n),
            "on_duty": rng.random(n) < 0.97,
        },
        geometry=shapely.points(home),
    )


def _grid_codes(frame: _Frame, g_v: Ints) -> NDArray[np.str_]:
    vcodes = np.asarray(frame.village_codes)
    rank = _group_rank(g_v)
    return np.array([f"{c}{r + 1:03d}" for c, r in zip(vcodes[g_v], rank, strict=True)])


# --- from projected layers to a workspace ----------------------------------------------------


def _to_geographic(county: _County, frame: _Frame) -> dict[str, gpd.GeoDataFrame]:
    """Every layer in EPSG:4490 with exactly the schema's columns, valid geometries."""
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in county.layers.items():
        geo = gdf.to_crs(CGCS2000)
        if name == "county":
            geo = geo.set_geometry([frame.outline_lonlat], crs=CGCS2000)
        elif name == "townships":
            seat = shapely.points(gdf["seat_x"].to_numpy(), gdf["seat_y"].to_numpy())
            lonlat = gpd.GeoSeries(seat, crs=gdf.crs).to_crs(CGCS2000)
            geo["seat_lon"] = lonlat.x.to_numpy()
            geo["seat_lat"] = lonlat.y.to_numpy()
        geom = geo.geometry.to_numpy()
        if LAYERS[name].geometry[0] == "Polygon":
            geom = _clean_polygons(geom.copy())
        columns = [c for c in LAYERS[name].names if c in geo.columns]
        out[name] = gpd.GeoDataFrame(geo[columns], geometry=geom, crs=CGCS2000)
    return out


def _workspace(frame: _Frame, county: _County) -> Workspace:
    layers = _to_geographic(county, frame)
    return Workspace(
        county=layers["county"],
        townships=layers["townships"],
        villages=layers["villages"],
        stations=layers["stations"],
        settlements=layers["settlements"],
        grids=layers["grids"],
        deputies=layers["deputies"],
        roads=layers["roads"],
        meta=dict(frame.meta),
    )


# --- the demo county ---------------------------------------------------------------------------


def _data_text(name: str) -> str:
    return resources.files("gridgov._data").joinpath(name).read_text(encoding="utf-8")


def _huarong_frame() -> _Frame:
    outline_fc = json.loads(_data_text("huarong_outline.geojson"))
    feature = outline_fc["features"][0]
    lonlat = shapely.geometry.shape(feature["geometry"])
    code, name = feature["properties"]["code"], feature["properties"]["name"]
    rows = list(csv.DictReader(_data_text("huarong_divisions.csv").splitlines()))
    towns = [r for r in rows if r["level"] == "township"]
    villages = [r for r in rows if r["level"] == "village"]
    t_codes = [r["code"] for r in towns]
    epsg = gk3_epsg((lonlat.bounds[0] + lonlat.bounds[2]) / 2)
    to_xy = pyproj.Transformer.from_crs(CGCS2000, epsg, always_xy=True)
    outline = shapely.transform(
        lonlat, lambda c: np.column_stack(to_xy.transform(c[:, 0], c[:, 1]))
    )
    seat_xy = to_xy.transform(*DEMO_SEAT_LONLAT)
    return _Frame(
        county_code=code,
        county_name=name,
        outline=outline,
        outline_lonlat=lonlat,
        epsg=epsg,
        township_codes=t_codes,
        township_names=[r["name"] for r in towns],
        seat_township=t_codes.index("430623120"),
        village_codes=[r["code"] for r in villages],
        village_names=[r["name"] for r in villages],
        village_township=np.array([t_codes.index(r["township_code"]) for r in villages]),
        village_is_community=np.array([r["kind"] == "community" for r in villages]),
        village_urc=[r["urban_rural_code"] for r in villages],
        industries=DEMO_INDUSTRIES,
        n_points=79,
        seat_xy=(float(seat_xy[0]), float(seat_xy[1])),
        meta={
            "county_code": code,
            "county_name": name,
            "projected_epsg": str(epsg),
            "source": "gridgov demo: real outline and codes, synthetic geometry",
        },
    )


def demo_county(*, seed: int = 2024) -> Workspace:
    """The Huarong (华容县, 430623) demo workspace.

    The outline and the 14 townships and 225 villages/communities (171 villages, 54
    communities) with their codes and names are real (see ``data/README.md``).
    Everything else is synthetic and seeded: township and village zones, settlements and
    populations, grids and grid workers, roads, the 97 stations (14 township stations,
    79 village points, 4 industry studios: mustard, health, herbal medicine,
    aquaculture) and ~1,100 deputies of the five levels with fake phone numbers.

    Parameters
    ----------
    seed : int, default 2024
        Seed of every random choice; the same seed gives the same workspace.

    Returns
    -------
    Workspace
        All eight layers in EPSG:4490; ``meta`` has county_code, county_name,
        projected_epsg (4547), source and seed.

    Raises
    ------
    ValueError
        If ``seed`` is negative.
    """
    _check_seed(seed)
    frame = _huarong_frame()
    frame.meta["seed"] = str(seed)
    county = _build(frame, np.random.default_rng(seed))
    return _workspace(frame, county)


# --- wholly synthetic counties ---------------------------------------------------------------


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _outline(rng: np.random.Generator, centre_xy: tuple[float, float], area_m2: float) -> Any:
    """A seeded irregular, star-shaped polygon of the given area around ``centre_xy``.

    Its farthest vertex is at most :data:`OUTLINE_REACH` times the radius of the circle
    of the same area, so regions can lay counties out without overlaps.
    """
    theta = np.linspace(0.0, 2 * np.pi, 97)[:-1]
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += rng.uniform(0.02, 0.22 / k**0.5) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r *= np.exp(rng.normal(0.0, 0.02, len(theta)))
    while True:
        ring = np.column_stack([np.cos(theta) * r, np.sin(theta) * r])
        scale = math.sqrt(area_m2 / shapely.Polygon(ring).area)
        if r.max() * scale <= OUTLINE_REACH * math.sqrt(area_m2 / math.pi):
            return shapely.Polygon(ring * scale + np.asarray(centre_xy))
        r = 1.0 + (r - 1.0) * 0.8  # rare: a lobe too long, so smooth the outline a little


def _child_codes(parent: str, n_first: int, n_second: int, bases: tuple[int, int]) -> list[str]:
    """Codes of children: the first group from bases[0]+1, the second from bases[1]+1."""
    a, b = bases
    if a + n_first < b and b + n_second <= 999:
        seq = [a + i + 1 for i in range(n_first)] + [b + i + 1 for i in range(n_second)]
    elif n_first + n_second <= 999:
        seq = list(range(1, n_first + n_second + 1))
    else:
        raise ValueError(f"{n_first + n_second} children under {parent}: a 3-digit code allows 999")
    return [f"{parent}{s:03d}" for s in seq]


def _synthetic_frame(
    rng: np.random.Generator,
    *,
    n_villages: int,
    n_townships: int | None,
    county_code: str,
    center: tuple[float, float],
    name: str | None,
) -> _Frame:
    if not isinstance(n_villages, int | np.integer) or n_villages < 1:
        raise ValueError(f"n_villages must be a positive integer, got {n_villages!r}")
    n_t = n_townships if n_townships is not None else max(1, round(n_villages / 16))
    if not isinstance(n_t, int | np.integer) or not 1 <= n_t <= min(n_villages, 999):
        raise ValueError(
            f"n_townships must be between 1 and min(n_villages, 999), got {n_townships!r}"
        )
    if not is_admin_code(county_code, "county"):
        raise ValueError(f"county_code must be a 6-digit string, got {county_code!r}")
    lon, lat = center
    epsg = gk3_epsg(lon)
    to_xy = pyproj.Transformer.from_crs(CGCS2000, epsg, always_xy=True)
    cx, cy = to_xy.transform(lon, lat)
    outline = _outline(rng, (float(cx), float(cy)), n_villages * KM2_PER_VILLAGE * 1e6)
    to_ll = pyproj.Transformer.from_crs(epsg, CGCS2000, always_xy=True)
    outline_ll = shapely.transform(
        outline, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1]))
    )
    county_name = name if name is not None else _place_names(rng, 1, "县")[0]

    # townships: the county seat town first, three in four 镇, the rest 乡
    n_town = max(1, round(n_t * 0.75))
    t_codes = _child_codes(county_code, n_town, n_t - n_town, (100, 200))
    t_names = _place_names(rng, n_town, "镇") + _place_names(rng, n_t - n_town, "乡")
    share = rng.lognormal(0.0, 0.3, n_t)
    share[0] *= 1.8  # the county seat town is the biggest
    n_v_t = _largest_remainder(n_villages, share, minimum=1)
    v_codes: list[str] = []
    v_names: list[str] = []
    v_town: list[int] = []
    v_comm: list[bool] = []
    v_urc: list[str] = []
    for t in range(n_t):
        n = int(n_v_t[t])
        if t == 0:
            n_c = max(1, round(n * 0.6)) if n > 1 else 0
        else:
            n_c = min(n - 1, 1 + int(rng.binomial(max(n - 1, 0), 0.1))) if n > 1 else 0
        codes = _child_codes(t_codes[t], n_c, n - n_c, (0, 200))
        v_codes += codes
        v_names += _place_names(rng, n_c, "社区") + _place_names(rng, n - n_c, "村")
        v_town += [t] * n
        v_comm += [True] * n_c + [False] * (n - n_c)
        if t == 0:
            core = (n_c + 1) // 2
            v_urc += ["111"] * core + ["121"] * (n_c - core) + ["220"] * (n - n_c)
        else:
            v_urc += ["210"] * n_c + ["220"] * (n - n_c)
    n_ind = min(4, max(1, n_villages // 55)) if n_villages >= 10 else 0
    industries = tuple(rng.choice(np.array(INDUSTRIES), size=n_ind, replace=False).tolist())
    n_points = max(0, round(n_villages * STATIONS_PER_VILLAGE) - n_t - n_ind)
    return _Frame(
        county_code=county_code,
        county_name=county_name,
        outline=outline,
        outline_lonlat=outline_ll,
        epsg=epsg,
        township_codes=t_codes,
        township_names=t_names,
        seat_township=0,
        village_codes=v_codes,
        village_names=v_names,
        village_township=np.array(v_town, dtype=np.int64),
        village_is_community=np.array(v_comm, dtype=bool),
        village_urc=v_urc,
        industries=industries,
        n_points=n_points,
        meta={
            "county_code": county_code,
            "county_name": county_name,
            "projected_epsg": str(epsg),
            "source": "gridgov synth: synthetic county",
        },
    )


def synth_county(
    *,
    seed: int,
    n_villages: int = 220,
    n_townships: int | None = None,
    county_code: str = "999901",
    center: tuple[float, float] = (112.5, 29.5),
    name: str | None = None,
) -> Workspace:
    """A wholly synthetic county of any size, with the same layers and rules as the demo.

    Parameters
    ----------
    seed : int
        Seed of every random choice; the same arguments give the same workspace.
    n_villages : int, default 220
        Village-level units (行政村 and 社区); the outline is sized at ~6 km² each.
    n_townships : int, optional
        Townships; default one per 16 villages (Huarong has 225 in 14).
    county_code : str, default "999901"
        Six-digit county code; townships add 3 digits (1xx towns, 2xx 乡), villages 3 more
        (0xx communities, 2xx villages). Codes starting with 9 are not real counties.
    center : (float, float), default (112.5, 29.5)
        Longitude and latitude (CGCS2000) of the county's centre.
    name : str, optional
        County name; default a synthetic one ending in 县.

    Returns
    -------
    Workspace
        All eight layers in EPSG:4490. Stations number about one per three villages
        (one per township at its seat, points in the largest villages, up to four
        industry studios); deputies about 2 per 1,000 residents in the five levels.

    Raises
    ------
    ValueError
        If ``seed`` is negative, ``n_villages`` < 1, ``n_townships`` out of range or
        ``county_code`` not six digits.
    CRSError
        If ``center`` is outside China's Gauss-Kruger zones.
    """
    _check_seed(seed)
    rng = np.random.default_rng(seed)
    frame = _synthetic_frame(
        rng,
        n_villages=n_villages,
        n_townships=n_townships,
        county_code=county_code,
        center=center,
        name=name,
    )
    frame.meta["seed"] = str(seed)
    return _workspace(frame, _build(frame, rng))


# --- regions in parts ------------------------------------------------------------------------


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
        raise ValueError(
            f"{n_counties} counties do not fit 6-digit codes; raise villages_per_county"
        )
    spread = np.clip(rng.lognormal(0.0, 0.25, n_counties), 0.4, 2.5)
    sizes = _largest_remainder(n_villages, spread, minimum=1)
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
        raise ValueError(
            f"{n_villages} villages at {villages_per_county} per county do not fit "
            "China's extent; lower villages_per_county"
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
        frame = _synthetic_frame(
            rng,
            n_villages=plan.n_villages,
            n_townships=None,
            county_code=plan.code,
            center=plan.center,
            name=None,
        )
        county = _build(frame, rng)
        nodes += county.road_nodes
        edges += county.road_edges
        for name, gdf in _to_geographic(county, frame).items():
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
    ValueError
        If a count is not positive, ``seed`` is negative or ``format`` is unknown.
    ImportError
        If ``format="parquet"`` and pyarrow is missing (``pip install "gridgov[arrow]"``).
    """
    _check_seed(seed)
    for label, value in (
        ("n_villages", n_villages),
        ("villages_per_county", villages_per_county),
        ("counties_per_part", counties_per_part),
        ("workers", workers),
    ):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if format not in ("gpkg", "parquet"):
        raise ValueError(f"format must be 'gpkg' or 'parquet', got {format!r}")
    if format == "parquet" and not _has_arrow():
        raise ImportError('format="parquet" needs pyarrow: pip install "gridgov[arrow]"')
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
    (out / "region.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summary
