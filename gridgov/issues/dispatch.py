"""网格吹哨、代表报到: which deputies go to an issue, ranked by road travel time.

A :class:`Dispatcher` is built once per workspace (every deputy's home projected and
snapped to the road graph once); :meth:`Dispatcher.dispatch` then answers one issue (a
point and the station it belongs to) with up to ``k`` deputies: first the station's own
deputies, then, when too few are available, those of the other regional stations of the
same township, then the rest of the county. Deputies off duty, overloaded
(``Settings.max_open_per_deputy`` open issues) or excluded by the caller are skipped with
the reason. Within a pool deputies rank by travel time minus ``Settings.specialty_bonus_s``
when their specialty suits the issue's category (``Settings.category_specialties``).

Travel is by road in ``Settings.dispatch_mode`` within ``Settings.dispatch_cutoff_s``,
walking snap legs included at both ends (as in :mod:`gridgov.routing.costs`), from the
deputy's home to the issue: one-way streets and roads closed to the mode are honoured
(the search runs from the issue over the reversed arcs the mode may travel); a deputy
beyond the cutoff, or a county without roads, gets a straight-line estimate (distance times
``Settings.detour_factor`` at the mode's village-road speed), flagged ``estimated``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from gridgov._errors import CRSError, NotFoundError, ParameterError, Problem, ValidationError
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.model import StationKind, Workspace
from gridgov.routing.costs import snap_to_graph
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings

__all__ = ["SKIPPED_LISTED", "Candidate", "Dispatch", "Dispatcher", "Pool"]

log = logging.getLogger(__name__)

Pool = Literal["station", "township", "county"]
#: Skipped deputies listed with their reason, per pool; the rest are only counted.
SKIPPED_LISTED = 30
_POOL_TEXT: dict[str, str] = {
    "station": "station deputy 本站代表",
    "township": "same township 本乡镇其他站点",
    "county": "county 全县",
}
# Merged road vertices (build_road_graph's node_tolerance_m) can sit a fraction of a metre
# from the vertex a segment's length was measured from, so a path's straight-line reach can
# exceed its length by that much per edge; the search ball is widened to stay exact.
_BALL_SLACK = 1.01
_BALL_SLACK_M = 100.0


@dataclass(frozen=True)
class Candidate:
    """One deputy proposed for an issue.

    Attributes
    ----------
    deputy_id, name, level : str
        The deputy (level: national ... township).
    station_id : str or None
        The deputy's station.
    specialty : str or None
    pool : {"station", "township", "county"}
        Which pool the deputy was drawn from.
    travel_s, travel_m : float
        Home to the issue, snap walks included; ``inf`` where the home is unknown.
    estimated : bool
        True when the time is a straight-line estimate (beyond the road search bound, cut
        off from the issue's road network, or no roads at all).
    specialty_match : bool
        The deputy's specialty is preferred for the issue's category.
    open_issues : int
        Open issues the deputy holds (as given by the caller).
    reason : str
        Why, in short English and Chinese.
    """

    deputy_id: str
    name: str
    level: str
    station_id: str | None
    specialty: str | None
    pool: Pool
    travel_s: float
    travel_m: float
    estimated: bool
    specialty_match: bool
    open_issues: int
    reason: str


@dataclass(frozen=True)
class Dispatch:
    """The answer for one issue.

    Attributes
    ----------
    station_id : str
        The station the issue belongs to.
    chosen : tuple of Candidate
        Up to ``k`` deputies, best first (fewer only when the county has no more available).
    skipped : tuple of (deputy_id, reason)
        Deputies of the pools looked at that could not go: off duty, overloaded, excluded;
        at most :data:`SKIPPED_LISTED` per pool (a county pool can hold a thousand).
    skipped_more : int
        Skipped deputies not listed in ``skipped``.
    elapsed_ms : float
        Time the computation took.
    searched_nodes : int
        Road nodes inside the bounded search (0 without roads).
    """

    station_id: str
    chosen: tuple[Candidate, ...]
    skipped: tuple[tuple[str, str], ...]
    elapsed_ms: float
    searched_nodes: int
    skipped_more: int = 0


def _text_array(values: pd.Series) -> NDArray[np.object_]:
    """Cells as str, blanks as None (vectorised: layers hold millions of deputies)."""
    missing = values.isna().to_numpy()
    out = values.astype(str).to_numpy(dtype=object)
    out[missing] = None
    return out


def _groups(keys: NDArray[Any]) -> dict[Any, NDArray[np.int64]]:
    """Row positions per key (None keys dropped), each group in row order."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {uniques[i]: order[cuts[i] : cuts[i + 1]] for i in range(len(uniques))}


def _column(frame: pd.DataFrame, name: str) -> NDArray[np.object_]:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return _text_array(frame[name])


@dataclass(frozen=True, eq=False)
class _Search:
    """Result of one bounded road search around an issue."""

    local: NDArray[np.int64]  # sorted graph nodes inside the ball
    dist_s: NDArray[np.float64]  # road seconds from the issue's node (inf beyond the cutoff)
    pred: NDArray[np.int32]  # shortest-path tree over ``local`` positions
    source: int  # position of the issue's node in ``local``
    snap_m: float  # issue point to its node


@dataclass(frozen=True, eq=False, repr=False)
class Dispatcher:
    """Deputies, stations and the road graph arranged for fast dispatch.

    Build it with :meth:`build` (from a workspace) or :meth:`from_layers`; then call
    :meth:`dispatch` per issue. Arrays are aligned to the deputies layer's row order.
    :meth:`dispatch` only reads them, so one dispatcher can serve many threads.
    """

    settings: Settings
    crs: pyproj.CRS
    graph: RoadGraph | None
    deputy_id: NDArray[np.object_]
    deputy_name: NDArray[np.object_]
    deputy_level: NDArray[np.object_]
    deputy_specialty: NDArray[np.object_]
    deputy_station: NDArray[np.int64]  # index into station_id; -1 for none
    deputy_county: NDArray[np.object_]
    on_duty: NDArray[np.bool_]
    deputy_x: NDArray[np.float64]
    deputy_y: NDArray[np.float64]
    deputy_node: NDArray[np.int64]  # -1 without roads or home
    deputy_snap_m: NDArray[np.float64]
    station_id: NDArray[np.object_]
    station_township: NDArray[np.object_]
    station_county: NDArray[np.object_]
    station_regional: NDArray[np.bool_]
    station_index: dict[str, int]
    by_station: dict[int, NDArray[np.int64]]
    regional_by_township: dict[str, NDArray[np.int64]]
    by_county: dict[str, NDArray[np.int64]]
    # Arcs of the road graph searched from an issue, as CSR (row i: arcs out of node i): both
    # directions of every edge on roads without one-way or closed edges for the dispatch
    # mode; otherwise only the arcs it permits, reversed (deputies travel to the issue).
    adj_indptr: NDArray[np.int64]
    adj_node: NDArray[np.int64]
    adj_edge: NDArray[np.int64]
    edge_s: NDArray[np.float64]
    radius_m: float
    to_graph: pyproj.Transformer

    def __repr__(self) -> str:
        roads = f"{self.graph.n_nodes:,} road nodes" if self.graph is not None else "no roads"
        return (
            f"Dispatcher({self.deputy_id.size:,} deputies, {self.station_id.size:,} stations, "
            f"{roads}, {self.settings.dispatch_mode} within {self.settings.dispatch_cutoff_s:g} s)"
        )

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        ws: Workspace,
        *,
        settings: Settings | None = None,
        graph: RoadGraph | None = None,
    ) -> Dispatcher:
        """Arrange a workspace's deputies, stations and roads for dispatch.

        Parameters
        ----------
        ws : Workspace
            Stations and deputies; roads where present (else straight-line estimates).
        settings : Settings, optional
        graph : RoadGraph, optional
            A road graph already built from ``ws.roads`` (saves rebuilding it).

        Returns
        -------
        Dispatcher

        Raises
        ------
        ValidationError
            If the workspace has no deputies layer.
        """
        if ws.deputies is None:
            raise ValidationError(
                [Problem("deputies", None, None, None, "the workspace has no deputies layer")],
                context="dispatch",
            )
        if graph is None and ws.roads is not None and len(ws.roads):
            graph = build_road_graph(ws.roads, crs=workspace_crs(ws))
        crs = graph.crs if graph is not None else workspace_crs(ws)
        return cls.from_layers(
            ws.stations,
            ws.deputies,
            graph=graph,
            crs=crs,
            settings=settings,
            county_code=str(ws.meta.get("county_code") or ""),
        )

    @classmethod
    def from_layers(
        cls,
        stations: gpd.GeoDataFrame,
        deputies: gpd.GeoDataFrame,
        *,
        graph: RoadGraph | None = None,
        crs: pyproj.CRS | str | None = None,
        settings: Settings | None = None,
        county_code: str = "",
    ) -> Dispatcher:
        """Like :meth:`build`, from the two layers and a graph (any number of counties).

        Parameters
        ----------
        stations, deputies : GeoDataFrame
            Workspace layers (any CRS; projected here).
        graph : RoadGraph, optional
            Road graph; None means straight-line estimates only.
        crs : CRS, optional
            Projected CRS to measure in; ``graph.crs`` when a graph is given.
        settings : Settings, optional
        county_code : str
            County of deputies that have no station (a station's county is the first six
            digits of its township code).

        Returns
        -------
        Dispatcher

        Raises
        ------
        ParameterError
            If ``settings.dispatch_mode`` is not a travel mode.
        CRSError
            If no CRS is given, or it is not projected.
        """
        settings = settings or Settings()
        speeds = settings.speeds_kmh.get(settings.dispatch_mode)
        if not speeds:
            raise ParameterError(
                f"settings.dispatch_mode={settings.dispatch_mode!r} is not one of "
                f"{', '.join(settings.speeds_kmh)}",
                parameter="dispatch_mode",
                value=settings.dispatch_mode,
            )
        target = graph.crs if graph is not None else crs
        if target is None:
            raise CRSError("crs: give a projected CRS (or a graph) to measure distances in")
        target = pyproj.CRS.from_user_input(target)
        if not target.is_projected:
            raise CRSError(f"crs={target.to_string()!r} is not projected; distances need metres")

        station_id = _text_array(stations["station_id"])
        station_index = {sid: i for i, sid in enumerate(station_id)}
        station_township = _text_array(stations["township_code"])
        station_county = np.array(
            [t[:6] if t else county_code for t in station_township], dtype=object
        )
        station_regional = (stations["kind"].astype(str) == StationKind.REGIONAL.value).to_numpy()
        station_xy = stations.to_crs(target).geometry.get_coordinates(include_z=False)

        n = len(deputies)
        dep_station_id = (
            _text_array(deputies["station_id"])
            if "station_id" in deputies.columns
            else np.full(n, None, dtype=object)
        )
        position = pd.Series(np.arange(station_id.size), index=station_id)
        position = position[~position.index.duplicated(keep="last")]  # as station_index
        dep_station = position.reindex(dep_station_id).fillna(-1).to_numpy(dtype=np.int64)
        has_station = dep_station >= 0
        dep_county = np.where(
            has_station, station_county[np.clip(dep_station, 0, None)], county_code
        ).astype(object)
        duty = deputies["on_duty"] if "on_duty" in deputies.columns else pd.Series([True] * n)
        # Only an explicit False is off duty; a blank means on duty.
        on_duty = np.not_equal(duty.to_numpy(dtype=object), False).astype(bool)

        # Homes: the deputy's point, else the station's; NaN where neither is known.
        geoms = deputies.to_crs(target).geometry
        usable = (~geoms.isna() & ~geoms.is_empty).to_numpy()
        dx = np.full(n, np.nan)
        dy = np.full(n, np.nan)
        if usable.any():
            xy = geoms[usable].get_coordinates(include_z=False).to_numpy()
            dx[usable], dy[usable] = xy[:, 0], xy[:, 1]
        sx, sy = station_xy["x"].to_numpy(), station_xy["y"].to_numpy()
        fill = ~usable & has_station
        dx[fill], dy[fill] = sx[dep_station[fill]], sy[dep_station[fill]]

        node = np.full(n, -1, dtype=np.int64)
        snap_m = np.full(n, np.nan)
        if graph is not None:
            known = np.isfinite(dx) & np.isfinite(dy)
            if known.any():
                # The nearest node the dispatch mode can travel from (not a footway's end
                # for a car).
                snapped = snap_to_graph(graph, dx[known], dy[known], mode=settings.dispatch_mode)
                node[known], snap_m[known] = snapped.node, snapped.snap_m
            edge_s = graph.edge_seconds(settings.dispatch_mode, settings)
            indptr, adj_node, adj_edge = _search_csr(graph, settings.dispatch_mode, edge_s)
            graph.mode_tree(settings.dispatch_mode)  # built now, not on the first dispatch
        else:
            indptr = np.zeros(1, dtype=np.int64)
            adj_node = adj_edge = np.zeros(0, dtype=np.int64)
            edge_s = np.zeros(0)

        by_station = {int(k): v for k, v in _groups(dep_station).items() if k >= 0}
        regional_by_township: dict[str, list[int]] = {}
        for i, (t, reg) in enumerate(zip(station_township, station_regional, strict=True)):
            if reg and t:
                regional_by_township.setdefault(t, []).append(i)
        by_county = {str(k): v for k, v in _groups(dep_county).items()}
        radius_m = (
            settings.dispatch_cutoff_s * max(float(v) for v in speeds.values()) / 3.6 * _BALL_SLACK
            + _BALL_SLACK_M
        )
        return cls(
            settings=settings,
            crs=target,
            graph=graph,
            deputy_id=_text_array(deputies["deputy_id"]),
            deputy_name=_column(deputies, "name"),
            deputy_level=_column(deputies, "level"),
            deputy_specialty=_column(deputies, "specialty"),
            deputy_station=dep_station,
            deputy_county=dep_county,
            on_duty=on_duty,
            deputy_x=dx,
            deputy_y=dy,
            deputy_node=node,
            deputy_snap_m=snap_m,
            station_id=station_id,
            station_township=station_township,
            station_county=station_county,
            station_regional=station_regional,
            station_index=station_index,
            by_station=by_station,
            regional_by_township={
                k: np.array(v, dtype=np.int64) for k, v in regional_by_township.items()
            },
            by_county=by_county,
            adj_indptr=indptr,
            adj_node=adj_node,
            adj_edge=adj_edge,
            edge_s=edge_s,
            radius_m=float(radius_m),
            to_graph=pyproj.Transformer.from_crs(CGCS2000, target, always_xy=True),
        )

    # --- one issue ---------------------------------------------------------------------------

    def dispatch(
        self,
        lon: float,
        lat: float,
        *,
        station_id: str,
        category: str | None = None,
        k: int | None = None,
        open_issues: Mapping[str, int] | Callable[[Sequence[str]], Mapping[str, int]] | None = None,
        exclude: Collection[str] = (),
    ) -> Dispatch:
        """Choose up to ``k`` deputies for an issue at ``(lon, lat)`` (EPSG:4490).

        Parameters
        ----------
        lon, lat : float
            Where the issue is.
        station_id : str
            The station the issue belongs to (its grid's station).
        category : str, optional
            Issue category (``Settings.issue_categories``); picks preferred specialties.
        k : int, optional
            Deputies wanted; default ``Settings.dispatch_k``.
        open_issues : mapping of deputy_id to int, or callable, optional
            Open issues each deputy already holds; or a function from deputy ids to that
            mapping, asked once per pool looked at (a store answers for the station's
            dozen deputies without reading the whole county's load).
        exclude : collection of str
            Deputy ids not to send (already sent, declined).

        Returns
        -------
        Dispatch

        Raises
        ------
        NotFoundError
            If ``station_id`` is not a station of the workspace.
        ParameterError
            If ``k`` is not positive, the point is not finite, or ``category`` is unknown.
        """
        t0 = time.perf_counter()
        s = self.station_index.get(station_id)
        if s is None:
            raise NotFoundError(f"station_id={station_id!r} is not a station of this workspace")
        settings = self.settings
        k = settings.dispatch_k if k is None else int(k)
        if k < 1:
            raise ParameterError(f"k must be at least 1, got {k!r}", parameter="k", value=k)
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise ParameterError(
                f"lon, lat must be finite numbers, got ({lon!r}, {lat!r})",
                parameter="lon/lat",
                value=f"{lon}, {lat}",
            )
        preferred: frozenset[str] = frozenset()
        if category is not None:
            if category not in settings.issue_categories:
                raise ParameterError(
                    f"category={category!r} is not an issue category; expected one of "
                    f"{', '.join(settings.issue_categories)}",
                    parameter="category",
                    value=category,
                )
            preferred = frozenset(settings.category_specialties.get(category, ()))
        x, y = self.to_graph.transform(lon, lat)
        search = self._search(x, y) if self.graph is not None else None
        skip = set(exclude)
        load_of: Callable[[Sequence[str]], Mapping[str, int]]
        if callable(open_issues):
            load_of = open_issues
        else:
            table: Mapping[str, int] = open_issues or {}
            load_of = lambda ids: table  # noqa: E731

        chosen: list[Candidate] = []
        skipped: list[tuple[str, str]] = []
        skipped_more = 0
        for pool in ("station", "township", "county"):
            need = k - len(chosen)
            if need <= 0:
                break
            idx = self._pool(s, pool)
            if idx.size == 0:
                continue
            ids = self.deputy_id[idx]
            excluded = np.isin(ids, list(skip)) if skip else np.zeros(idx.size, dtype=bool)
            loads = load_of(ids.tolist())
            # dict.get mapped, not a generator: a saturated county pool is ~1,000 deputies
            # looked up per issue (0.7 ms of 3.1 as a generator, in-process, machine loaded)
            load = (
                np.fromiter(map(loads.get, ids, repeat(0, idx.size)), dtype=np.int64,
                            count=idx.size)
                if loads
                else np.zeros(idx.size, dtype=np.int64)
            )  # fmt: skip
            off = ~self.on_duty[idx] & ~excluded
            over = ~excluded & ~off & (load >= settings.max_open_per_deputy)
            not_going = np.flatnonzero(excluded | off | over)
            # Reasons for the first few only: in a backlog every deputy of the county
            # pool may be overloaded, and a thousand strings per issue cost more than
            # the search itself (measured: 17 % of a creation's server CPU).
            skipped_more += max(0, not_going.size - SKIPPED_LISTED)
            for j in not_going[:SKIPPED_LISTED]:
                if excluded[j]:
                    why = "excluded 已排除"
                elif off[j]:
                    why = "off duty 不在岗"
                else:
                    why = f"overloaded, {load[j]} open 在办{load[j]}件"
                skipped.append((str(ids[j]), why))
            ok = ~(excluded | off | over)
            idx, load = idx[ok], load[ok]
            if idx.size == 0:
                continue
            travel_s, estimated = self._travel(idx, x, y, search)
            match = np.fromiter(
                (sp in preferred for sp in self.deputy_specialty[idx]), dtype=bool, count=idx.size
            )
            score = travel_s - settings.specialty_bonus_s * match
            best = np.lexsort((idx, score))[:need]
            for j in best:
                chosen.append(
                    self._candidate(
                        int(idx[j]),
                        pool,
                        float(travel_s[j]),
                        bool(estimated[j]),
                        bool(match[j]),
                        int(load[j]),
                        x,
                        y,
                        search,
                    )
                )
        return Dispatch(
            station_id=station_id,
            chosen=tuple(chosen),
            skipped=tuple(skipped),
            elapsed_ms=(time.perf_counter() - t0) * 1000.0,
            searched_nodes=0 if search is None else int(search.local.size),
            skipped_more=skipped_more,
        )

    def _pool(self, s: int, pool: str) -> NDArray[np.int64]:
        """Deputy rows of a pool, in layer order."""
        empty = np.zeros(0, dtype=np.int64)
        if pool == "station":
            return self.by_station.get(s, empty)
        township = self.station_township[s]
        if pool == "township":
            others = [
                self.by_station.get(int(t), empty)
                for t in self.regional_by_township.get(township, empty)
                if t != s
            ]
            return np.sort(np.concatenate(others)) if others else empty
        rows = self.by_county.get(self.station_county[s], empty)
        st = self.deputy_station[rows]
        in_township = (
            (st >= 0) & self.station_regional[st] & (self.station_township[st] == township)
        )
        return rows[(st != s) & ~in_township]

    def _search(self, x: float, y: float) -> _Search:
        """Exact road seconds from the issue to every node within the cutoff.

        Why not one ``csgraph.dijkstra(limit=...)`` on the whole graph: scipy validates,
        allocates and fills O(n_nodes) arrays per call whatever the limit, which measured
        about 200 ms per issue on the national synthetic graph (8 million nodes) against
        0.14 ms on a county (bench/bench_dispatch.py). A path no longer than the cutoff
        never leaves the ball of radius cutoff x top speed around its start, so Dijkstra
        on the nodes inside that ball (found with the KD-tree, about a thousand) gives the
        same times for every node within the cutoff; the whole dispatch then measured
        0.6 ms (median) at national scale and 0.45 ms on a county.
        """
        graph = self.graph
        assert graph is not None  # callers check; not an input check
        tree, usable = graph.mode_tree(self.settings.dispatch_mode)
        snap_m, src = tree.query((x, y))
        src = int(src) if usable is None else int(usable[src])
        centre = (graph.node_x[src], graph.node_y[src])
        local = np.asarray(
            graph.node_tree.query_ball_point(centre, self.radius_m, return_sorted=True),
            dtype=np.int64,
        )
        # Induced subgraph: gather the rows of the local nodes from the symmetric CSR, keep
        # the entries whose other end is local too, renumbered by binary search (fancy
        # column indexing of the big matrix would allocate O(n_nodes)).
        starts = self.adj_indptr[local]
        counts = self.adj_indptr[local + 1] - starts
        bounds = np.zeros(local.size + 1, dtype=np.int64)
        np.cumsum(counts, out=bounds[1:])
        total = int(bounds[-1])
        entry = np.repeat(starts - bounds[:-1], counts) + np.arange(total)
        other = self.adj_node[entry]
        pos = np.searchsorted(local, other)
        pos[pos == local.size] = 0
        keep = local[pos] == other
        kept = np.zeros(total + 1, dtype=np.int32)
        np.cumsum(keep, out=kept[1:])
        matrix = sparse.csr_matrix(
            (self.edge_s[self.adj_edge[entry[keep]]], pos[keep].astype(np.int32), kept[bounds]),
            shape=(local.size, local.size),
        )
        source = int(np.searchsorted(local, src))
        dist, pred = csgraph.dijkstra(
            matrix,
            directed=True,
            indices=source,
            limit=self.settings.dispatch_cutoff_s,
            return_predecessors=True,
        )
        return _Search(local, dist, pred, source, float(snap_m))

    def _walk_s(self, metres: NDArray[np.float64] | float) -> Any:
        return np.asarray(metres) / (self.settings.speeds_kmh["walk"]["village"] / 3.6)

    def _estimate(self, idx: NDArray[np.int64], x: float, y: float) -> NDArray[np.float64]:
        """Straight line times the detour factor, in metres."""
        straight = np.hypot(self.deputy_x[idx] - x, self.deputy_y[idx] - y)
        return np.where(np.isfinite(straight), straight * self.settings.detour_factor, np.inf)

    def _travel(
        self, idx: NDArray[np.int64], x: float, y: float, search: _Search | None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Seconds to each deputy and whether it is an estimate."""
        speed = self.settings.speeds_kmh[self.settings.dispatch_mode]["village"] / 3.6
        guess = self._estimate(idx, x, y) / speed
        if search is None:
            return guess, np.ones(idx.size, dtype=bool)
        nodes = self.deputy_node[idx]
        pos = np.searchsorted(search.local, nodes)
        pos[pos == search.local.size] = 0
        road = np.where(search.local[pos] == nodes, search.dist_s[pos], np.inf)
        found = np.isfinite(road)
        exact = self._walk_s(search.snap_m) + road + self._walk_s(self.deputy_snap_m[idx])
        # Beyond the search the road takes longer than the cutoff, whatever the line says.
        guess = np.maximum(guess, self.settings.dispatch_cutoff_s)
        return np.where(found, exact, guess), ~found

    def _road_m(self, search: _Search, node: int) -> float:
        """Metres along the shortest-path tree from the issue's node to ``node``."""
        graph = self.graph
        assert graph is not None
        pred = search.pred
        local = search.local
        v = int(np.searchsorted(local, node))
        path = [v]
        while v != search.source:
            v = int(pred[v])
            path.append(v)
        nodes = local[np.array(path)]
        # Each step of the path is the search arc pred -> node: look it up in its row (one
        # entry per (tail, head), the one the search took where two edges join the nodes).
        # Road rows hold a few entries: scan them all in step.
        tail, head = nodes[1:], nodes[:-1]
        slot = self.adj_indptr[tail].copy()
        todo = np.flatnonzero(self.adj_node[slot] != head)
        while todo.size:
            slot[todo] += 1
            todo = todo[self.adj_node[slot[todo]] != head[todo]]
        return float(graph.edge_length_m[self.adj_edge[slot]].sum())

    def _candidate(
        self,
        i: int,
        pool: Pool,
        travel_s: float,
        estimated: bool,
        match: bool,
        load: int,
        x: float,
        y: float,
        search: _Search | None,
    ) -> Candidate:
        minutes = travel_s / 60.0
        if not np.isfinite(travel_s):
            travel_m = float("inf")
            how = "home location unknown 住址不详"
        elif estimated:
            travel_m = float(self._estimate(np.array([i]), x, y)[0])
            if search is None:
                how = f"straight-line estimate {minutes:.1f} min 直线估算{minutes:.1f}分钟"
            else:
                cutoff = self.settings.dispatch_cutoff_s / 60.0
                how = (
                    f"beyond {cutoff:.0f} min by road, estimate {minutes:.1f} min "
                    f"超出{cutoff:.0f}分钟路程，估算{minutes:.1f}分钟"
                )
        else:
            assert search is not None
            travel_m = (
                self._road_m(search, int(self.deputy_node[i]))
                + search.snap_m
                + float(self.deputy_snap_m[i])
            )
            how = f"by road {minutes:.1f} min 道路{minutes:.1f}分钟"
        specialty = self.deputy_specialty[i]
        parts = [_POOL_TEXT[pool], how]
        if match:
            parts.append(f"specialty {specialty} matches 专业对口")
        st = int(self.deputy_station[i])
        return Candidate(
            deputy_id=str(self.deputy_id[i]),
            name=str(self.deputy_name[i] or ""),
            level=str(self.deputy_level[i] or ""),
            station_id=None if st < 0 else str(self.station_id[st]),
            specialty=specialty,
            pool=pool,
            travel_s=travel_s,
            travel_m=travel_m,
            estimated=estimated,
            specialty_match=match,
            open_issues=load,
            reason=", ".join(parts),
        )


def _search_csr(
    graph: RoadGraph, mode: str, edge_s: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Arcs a search from an issue follows, grouped by tail: ``(indptr, head, edge id)``.

    Where ``mode`` meets no one-way or closed edge (and no two edges join the same nodes),
    both directions of every edge. Otherwise the arcs ``mode`` may travel, reversed: a
    search from the issue then gives every node's time *to* the issue, the way a deputy
    travels; where two edges join the same nodes the faster by ``edge_s`` is kept.
    """
    if not graph.is_simple or graph.has_restrictions(mode):
        sm = graph.search_matrix(edge_s, mode, travel="to")
        assert sm.directed and sm.entry_edge is not None  # search_matrix's contract
        matrix = sm.matrix
        return (
            matrix.indptr.astype(np.int64),
            matrix.indices.astype(np.int64),
            sm.entry_edge.astype(np.int64),
        )
    n = graph.n_nodes
    m = graph.n_edges
    rows = np.concatenate([graph.edge_u, graph.edge_v])
    order = np.argsort(rows, kind="stable")
    neighbour = np.concatenate([graph.edge_v, graph.edge_u])[order]
    edge = np.concatenate([np.arange(m), np.arange(m)])[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, neighbour, edge
