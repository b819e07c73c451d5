"""Geometry and counting helpers of the generator: points, zones, road networks, shares.

Seeded sampling inside polygons, Lloyd relaxation, Voronoi partitions that nest inside
their parent zones, Delaunay edges and minimum spanning forests for road networks, and
integer shares that add up exactly. All in projected metres, all vectorised.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError, cKDTree

from gridgov._arrays import Floats, Ints, Objects

__all__ = [
    "Floats",
    "Geoms",
    "Ints",
    "clean_polygons",
    "delaunay_edges",
    "group_rank",
    "largest_remainder",
    "mst",
    "relax",
    "sample_in",
    "segments",
    "split_int",
    "voronoi_cells",
]

Geoms = Objects


# Offsets keep nearest-neighbour searches inside one parent zone (see relax).
_OWNER_OFFSET_M: Final = 1e8


def sample_in(polys: Geoms, counts: Ints, rng: np.random.Generator) -> tuple[Floats, Floats, Ints]:
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


def relax(
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
    sx, sy, sowner = sample_in(polys, counts * per_seed, rng)
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


def clean_polygons(geoms: Geoms) -> Geoms:
    """Polygonal, valid geometries: drop the lines, points and slivers overlay can leave."""
    geoms = np.array(geoms, dtype=object)  # a copy: repaired parts are written into it
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


def voronoi_cells(xy: Floats, owner: Ints, polys: Geoms) -> Geoms:
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
    return clean_polygons(cells)


def split_int(total: Ints, weights: Floats, group: Ints) -> Ints:
    """Split ``total[g]`` over the items of group g in proportion to ``weights``."""
    wsum = np.bincount(group, weights=weights, minlength=len(total))
    share = total[group] * weights / np.maximum(wsum[group], 1e-12)
    out = np.floor(share).astype(np.int64)
    rest = total - np.bincount(group, weights=out, minlength=len(total)).astype(np.int64)
    first = np.searchsorted(group, np.arange(len(total)))
    has = np.bincount(group, minlength=len(total)) > 0
    np.add.at(out, first[has], rest[has])
    return out


def largest_remainder(total: int, weights: ArrayLike, minimum: int = 0) -> Ints:
    """Integers summing to ``total`` in proportion to ``weights``, each >= ``minimum``."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    base = np.full(n, minimum, dtype=np.int64)
    left = total - base.sum()
    if left < 0:  # a bug: callers check their counts first (n_townships <= n_villages...)
        raise ValueError(f"cannot give {n} items at least {minimum} from a total of {total}")
    share = left * w / w.sum()
    out = np.floor(share).astype(np.int64)
    remainder = left - int(out.sum())
    order = np.argsort(-(share - out), kind="stable")
    out[order[:remainder]] += 1
    return base + out


def group_rank(group: Ints) -> Ints:
    """0-based position of each item within its group (``group`` non-decreasing)."""
    return np.arange(len(group)) - np.searchsorted(group, group, side="left")


# --- graph helpers ---------------------------------------------------------------------------


def delaunay_edges(xy: Floats) -> NDArray[np.int64]:
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


def mst(n: int, edges: NDArray[np.int64], weight: Floats) -> NDArray[np.bool_]:
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


def segments(
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
