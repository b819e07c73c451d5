"""The generator: every layer of one county drawn from its administrative frame.

A :class:`CountyFrame` fixes what is given before any geometry (codes, names, kinds, the
outline, how many stations); :func:`build_county` draws townships, villages, settlements
and people, grids, roads, stations and deputies in the county's Gauss-Kruger zone, and
:func:`to_workspace` converts them to a CGCS2000 workspace. The calibration constants
below say where the numbers come from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from gridgov.crs import CGCS2000
from gridgov.model import LAYERS, Workspace
from gridgov.synth._shapes import (
    Floats,
    Ints,
    clean_polygons,
    delaunay_edges,
    group_rank,
    largest_remainder,
    mst,
    relax,
    sample_in,
    segments,
    split_int,
    voronoi_cells,
)

__all__ = [
    "CountyFrame",
    "CountyLayers",
    "build_county",
    "place_names",
    "to_geographic",
    "to_workspace",
]


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
PEOPLE_PER_HOUSEHOLD: Final = 2.9
HOUSEHOLDS_PER_GRID: Final = 300
#: How far a road may stray outside the outline (half of it before bending).
ROAD_TOLERANCE_M: Final = 200.0
SPEED_KMH: Final = {"trunk": 80.0, "county": 60.0, "township": 40.0, "village": 30.0}
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


# --- the administrative frame of one county ----------------------------------------------


@dataclass(frozen=True)
class CountyFrame:
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
class CountyLayers:
    """One county's layers in its projected CRS, plus road-graph figures."""

    layers: dict[str, gpd.GeoDataFrame]
    road_nodes: int
    road_edges: int


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


def place_names(rng: np.random.Generator, n: int, suffix: str) -> list[str]:
    chars = np.array(list(_PLACE))
    a = rng.choice(chars, size=n)
    b = rng.choice(chars, size=n)
    return [x + y + suffix for x, y in zip(a, b, strict=True)]


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    """Fake mobile numbers: the 100 prefix is not issued to any mobile network."""
    mid = rng.integers(0, 10_000, size=n)
    end = rng.integers(0, 10_000, size=n)
    return [f"100-{m:04d}-{e:04d}" for m, e in zip(mid, end, strict=True)]


# --- the generator ---------------------------------------------------------------------------


def build_county(frame: CountyFrame, rng: np.random.Generator) -> CountyLayers:
    """Draw every layer of one county in its projected CRS."""
    outline = frame.outline
    shapely.prepare(outline)
    n_t = len(frame.township_codes)
    n_v = len(frame.village_codes)
    vt = frame.village_township
    is_comm = frame.village_is_community

    # Townships: relaxed seats, Voronoi inside the outline. The county seat may be pinned.
    one = np.array([outline], dtype=object)
    sx, sy, _ = sample_in(one, np.array([n_t]), rng)
    seats = np.column_stack([sx, sy])
    fixed = np.zeros(n_t, dtype=bool)
    if frame.seat_xy is not None:
        seats[frame.seat_township] = frame.seat_xy
        fixed[frame.seat_township] = True
    seats = relax(seats, np.zeros(n_t, dtype=np.int64), one, rng, fixed=fixed, iters=3, per_seed=40)
    t_poly = voronoi_cells(seats, np.zeros(n_t, dtype=np.int64), one)

    # Villages: communities cluster round the township seat, villages spread and relax.
    cx, cy, _ = sample_in(t_poly, np.bincount(vt, minlength=n_t), rng)
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
    centres = relax(centres, vt, t_poly, rng, fixed=is_comm, iters=2, per_seed=12)
    v_poly = voronoi_cells(centres, vt, t_poly)
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
    ex, ey, s_v = sample_in(v_poly, n_s, rng)
    s_pop = split_int(pop, rng.gamma(2.0, 1.0, len(ex)), s_v)
    s_rank = group_rank(s_v)

    # Grids (网格): ~300 households each, Voronoi cells inside the village.
    n_g = np.maximum(1, np.round(households / HOUSEHOLDS_PER_GRID)).astype(np.int64)
    gx, gy, g_v = sample_in(v_poly, n_g, rng)
    g_xy = relax(np.column_stack([gx, gy]), g_v, v_poly, rng, iters=1, per_seed=8)
    g_poly = voronoi_cells(g_xy, g_v, v_poly)
    g_w = rng.uniform(0.85, 1.15, len(g_v))
    g_hh = split_int(households, g_w, g_v)
    g_pop = split_int(pop, g_w, g_v)
    g_rank = group_rank(g_v)

    roads, road_nodes = _roads(frame, rng, seats, seat_v, centres, np.column_stack([ex, ey]), s_v)
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
    return CountyLayers(layers, road_nodes=road_nodes, road_edges=len(roads))


def _settlement_names(rng: np.random.Generator, vnames: NDArray[Any], rank: Ints) -> list[str]:
    # The first settlement carries the village's name (村部所在地); the rest are 组/湾/屋场.
    others = place_names(rng, len(rank), "")
    tails = rng.choice(np.array(["组", "湾", "屋场", "垸", "嘴"]), size=len(rank))
    out = []
    for v, r, o, t in zip(vnames, rank, others, tails, strict=True):
        stem = str(v).removesuffix("社区").removesuffix("居民委员会").removesuffix("村")
        out.append(f"{stem}{'村部' if r == 0 else o + t}")
    return out


def _roads(
    frame: CountyFrame,
    rng: np.random.Generator,
    seats: Floats,
    seat_v: Ints,
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
    s_edges = delaunay_edges(seats)
    s_edges = s_edges[_inside(zone, xy, s_edges)]
    key = {tuple(sorted(e)) for e in trunk.tolist()}
    in_trunk = np.array([tuple(e) in key for e in s_edges.tolist()], dtype=bool)
    w = np.where(in_trunk, 1e-3, length(s_edges))
    tree = mst(n_t, s_edges, w)
    county = s_edges[_with_loops(rng, tree & ~in_trunk, ~tree & ~in_trunk, length(s_edges), 0.35)]

    # Township roads (乡道): spanning forest over seats and village centres, preferring
    # links inside one township; the seat-to-seat roads already built cost nothing.
    node_t = np.concatenate([np.arange(n_t), frame.village_township])
    v_edges = delaunay_edges(xy[:base_s])
    v_edges = v_edges[~((v_edges[:, 0] < n_t) & (v_edges[:, 1] < n_t))]
    v_edges = v_edges[_inside(zone, xy, v_edges)]
    same = node_t[v_edges[:, 0]] == node_t[v_edges[:, 1]]
    built = np.concatenate([trunk[(trunk < n_t).all(axis=1)], county])
    both = np.concatenate([built, v_edges])
    w = np.concatenate([np.full(len(built), 1e-3), length(v_edges) * np.where(same, 1.0, 30.0)])
    tree = mst(base_s, both, w)[len(built) :]
    township = v_edges[_with_loops(rng, tree, ~tree & same, length(v_edges), 0.25)]

    # Village roads (村道): every settlement to its village centre; in the village or
    # community the township seat lies in, to the seat itself. A town's streets meet at its
    # centre, where the township station stands; joined only to a centre of their own, the
    # seat's settlements were nearer by road to a neighbour's 联络点 and two demo township
    # stations served no village at all.
    hub = base_c + settle_v
    seat_of = np.full(n_v, -1, dtype=np.int64)
    seat_of[seat_v[seat_v >= 0]] = np.flatnonzero(seat_v >= 0)
    at_seat = seat_of[settle_v] >= 0
    hub[at_seat] = seat_of[settle_v[at_seat]]
    village = np.column_stack([hub, base_s + np.arange(n_s)]).astype(np.int64)
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
    geoms = segments(xy, edges, rng)
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
    cand = nodes[delaunay_edges(xy[nodes])]
    la, lb = label[cand[:, 0]], label[cand[:, 1]]
    cand, la, lb = cand[la != lb], la[la != lb], lb[la != lb]
    # a link leaving the county is taken only when nothing else joins the two parts
    w = np.hypot(*(xy[cand[:, 0]] - xy[cand[:, 1]]).T)
    w = w * np.where(_inside(zone, xy, cand), 1.0, 1e3) + 1e-6
    tree = mst(k, np.sort(np.column_stack([la, lb]), axis=1), w)
    return cand[tree]


def _stations(
    frame: CountyFrame,
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
        np.minimum(largest_remainder(n_points, n_v_t), np.maximum(n_v_t - 1, 0))
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
    rank = group_rank(vt[order])
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
    frame: CountyFrame,
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
    per_level = largest_remainder(total, list(LEVEL_SHARES.values()), minimum=1)
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


def _grid_codes(frame: CountyFrame, g_v: Ints) -> NDArray[np.str_]:
    vcodes = np.asarray(frame.village_codes)
    rank = group_rank(g_v)
    return np.array([f"{c}{r + 1:03d}" for c, r in zip(vcodes[g_v], rank, strict=True)])


# --- from projected layers to a workspace ----------------------------------------------------


def to_geographic(county: CountyLayers, frame: CountyFrame) -> dict[str, gpd.GeoDataFrame]:
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
            geom = clean_polygons(geom)
        columns = [c for c in LAYERS[name].names if c in geo.columns]
        out[name] = gpd.GeoDataFrame(geo[columns], geometry=geom, crs=CGCS2000)
    return out


def to_workspace(frame: CountyFrame, county: CountyLayers) -> Workspace:
    layers = to_geographic(county, frame)
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
