"""The escalation ladder: grid → station → township → county → outside platform.

What a grid (网格) cannot settle goes to its deputies' station (联络站点), then to the
township congress (乡镇人大主席团 / 街道人大工委), then to the county standing committee's
deputy affairs committee (县人大常委会代表工委), and finally, where the county uses one, to an
outside platform such as the 12345 hotline ("归口办理、限时办结"). :func:`escalation_graph`
builds that ladder from a workspace as a :class:`networkx.DiGraph` whose every node has
exactly one successor up to the top; :func:`escalation_problems` collects every way it
can be broken (cycles, units that do not reach the county, levels nobody handles);
:func:`chain`, :func:`next_unit` and :func:`unit_for_grid` walk it; :func:`escalation_edges`
and :func:`write_escalation` export it for maps and spreadsheets.

A grid's station is the regional station of the deputies that list the grid in their
``grid_codes`` (the majority; ties go to the nearest of the tied stations in a straight
line); a grid no deputy names goes to the regional station nearest by road (travel mode
``Settings.dispatch_mode``), or in a straight line where there are no roads or the grid
is cut off from every station.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from gridgov._errors import NotFoundError, ParameterError, Problem, ValidationError
from gridgov._validate import split_codes
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.io import write_table
from gridgov.model import StationKind, Workspace
from gridgov.routing.costs import nearest_facility, snap_to_graph
from gridgov.routing.graph import RoadGraph, build_road_graph
from gridgov.settings import Settings

__all__ = [
    "LEVELS",
    "LEVELS_ZH",
    "chain",
    "escalation_edges",
    "escalation_graph",
    "escalation_problems",
    "next_unit",
    "unit_for_grid",
    "validate_escalation",
    "write_escalation",
]

log = logging.getLogger(__name__)

#: Escalation levels, lowest first.
LEVELS: tuple[str, ...] = ("grid", "station", "township", "county", "external")
#: Chinese name of each level, for tables and maps.
LEVELS_ZH: dict[str, str] = {
    "grid": "网格",
    "station": "联络站点",
    "township": "乡镇（街道）人大",
    "county": "县人大常委会",
    "external": "外部平台",
}
#: How an edge was decided: ``assignment`` (deputies list the grid), ``road`` (nearest
#: regional station by road), ``straight_line`` (nearest in a straight line), ``admin``
#: (administrative membership), ``handoff`` (county to the outside platform).
HOW_ZH: dict[str, str] = {
    "assignment": "代表联系网格",
    "road": "道路最近站点",
    "straight_line": "直线最近站点",
    "admin": "行政隶属",
    "handoff": "转交平台",
}
_EDGE_COLUMNS_ZH = {
    "from": "下级节点",
    "to": "上级节点",
    "level": "层级",
    "to_level": "上级层级",
    "from_name": "下级单位",
    "to_name": "上级单位",
    "how": "确定方式",
    "travel_s": "行程（秒）",
    "travel_m": "行程（米）",
    "distance_m": "直线距离（米）",
}
_PLATFORM_NAMES = {"12345": "12345政务服务便民热线"}


def _node(level: str, unit_id: object) -> str:
    return f"{level}:{unit_id}"


def _township_body(name: str) -> str:
    # 街道 have a working committee of the county congress; 乡/镇 have their own presidium.
    if name.endswith("街道"):
        return f"{name}人大工委"
    return f"{name}人大主席团"


def _platform_name(platform: str) -> str:
    return _PLATFORM_NAMES.get(platform, platform)


def _lonlat(xs: NDArray[np.float64], ys: NDArray[np.float64], crs: pyproj.CRS) -> Any:
    to_geo = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)
    return to_geo.transform(xs, ys)


def escalation_graph(
    ws: Workspace,
    *,
    settings: Settings | None = None,
    graph: RoadGraph | None = None,
) -> nx.DiGraph:
    """Build the escalation ladder of a county.

    Parameters
    ----------
    ws : Workspace
        County, townships and stations; grids and deputies where present; roads for the
        nearest-station rule.
    settings : Settings, optional
        Handlers per level, the outside platform, the travel mode.
    graph : RoadGraph, optional
        A road graph already built from ``ws.roads`` (saves rebuilding it).

    Returns
    -------
    networkx.DiGraph
        Nodes ``"grid:<code>"``, ``"station:<station_id>"``, ``"township:<code>"``,
        ``"county:<code>"`` and ``"external:<platform>"`` (only when
        ``settings.external_platform`` is set), with attributes ``level``, ``unit_id``,
        ``name`` (Chinese), ``handler`` (where ``settings.handlers`` has one), ``x``, ``y``
        (longitude, latitude in EPSG:4490, for drawing). Station nodes also carry
        ``township_code``, ``kind`` and ``tier``; grid nodes ``village_code``. Edges point
        upwards and carry ``how`` (see :data:`HOW_ZH`) and, for grids, ``travel_s`` and
        ``travel_m`` (by road) or ``distance_m`` (straight line). ``G.graph["county_code"]``
        is the county's code. The graph is not checked here: call
        :func:`validate_escalation`.
    """
    settings = settings or Settings()
    crs = graph.crs if graph is not None else workspace_crs(ws)
    handlers = settings.handlers
    g = nx.DiGraph()

    def add(level: str, unit_id: str, name: str, x: float, y: float, **extra: Any) -> str:
        node = _node(level, unit_id)
        attrs: dict[str, Any] = {"level": level, "unit_id": unit_id, "name": name}
        if handlers.get(level):
            attrs["handler"] = handlers[level]
        attrs["x"], attrs["y"] = float(x), float(y)
        attrs.update({k: v for k, v in extra.items() if v is not None})
        g.add_node(node, **attrs)
        return node

    # County: its seat if the layer gives one, else the centroid (taken in metres).
    county_code = str(ws.meta.get("county_code") or "")
    county_name = str(ws.meta.get("county_name") or "")
    cx = cy = float("nan")
    if len(ws.county):
        row = ws.county.iloc[0]
        county_code = county_code or str(row["code"])
        county_name = county_name or str(row.get("name", ""))
        if {"seat_lon", "seat_lat"} <= set(ws.county.columns) and pd.notna(row["seat_lon"]):
            cx, cy = float(row["seat_lon"]), float(row["seat_lat"])
        else:
            centre = ws.county.to_crs(crs).geometry.union_all().centroid
            cx, cy = _lonlat(np.array([centre.x]), np.array([centre.y]), crs)
            cx, cy = float(cx[0]), float(cy[0])
    g.graph["county_code"] = county_code
    county = add("county", county_code, f"{county_name}人大常委会代表工委", cx, cy)
    if settings.external_platform:
        top = add(
            "external",
            settings.external_platform,
            _platform_name(settings.external_platform),
            cx,
            cy,
        )
        g.add_edge(county, top, how="handoff")

    townships = ws.townships
    rep = townships.to_crs(crs).geometry.representative_point()
    rx, ry = _lonlat(rep.x.to_numpy(), rep.y.to_numpy(), crs)
    seat_lon = pd.to_numeric(townships.get("seat_lon"), errors="coerce")
    seat_lat = pd.to_numeric(townships.get("seat_lat"), errors="coerce")
    for i, (code, name) in enumerate(zip(townships["code"], townships["name"], strict=True)):
        lon = seat_lon.iloc[i] if seat_lon is not None else np.nan
        lat = seat_lat.iloc[i] if seat_lat is not None else np.nan
        if not (np.isfinite(lon) and np.isfinite(lat)):
            lon, lat = rx[i], ry[i]
        node = add("township", str(code), _township_body(str(name)), lon, lat)
        g.add_edge(node, county, how="admin")

    stations = ws.stations
    for row in stations.itertuples(index=False):
        pt = row.geometry
        tcode = None if pd.isna(row.township_code) else str(row.township_code)
        node = add(
            "station",
            str(row.station_id),
            str(row.name),
            pt.x if pt is not None and not pt.is_empty else np.nan,
            pt.y if pt is not None and not pt.is_empty else np.nan,
            township_code=tcode,
            kind=str(row.kind),
            tier=str(row.tier),
        )
        up = _node("township", tcode)
        if tcode is not None and up in g:
            g.add_edge(node, up, how="admin")

    if ws.grids is not None and len(ws.grids):
        _add_grids(g, ws, ws.grids, crs, settings, graph, add)
    log.info(
        "escalation graph of %s: %d nodes, %d edges",
        county_code,
        g.number_of_nodes(),
        g.number_of_edges(),
    )
    return g


def _add_grids(
    g: nx.DiGraph,
    ws: Workspace,
    grids: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    settings: Settings,
    graph: RoadGraph | None,
    add: Any,
) -> None:
    """Grid nodes and their grid → station edges (see the module docstring for the rule)."""
    rep = grids.to_crs(crs).geometry.representative_point()
    gx, gy = rep.x.to_numpy(), rep.y.to_numpy()
    lon, lat = _lonlat(gx, gy, crs)
    codes = grids["code"].astype(str).to_numpy()
    names = grids["name"].astype(str).to_numpy() if "name" in grids.columns else codes
    villages = grids["village_code"] if "village_code" in grids.columns else None
    nodes = []
    for i, code in enumerate(codes):
        vcode = None if villages is None or pd.isna(villages.iloc[i]) else str(villages.iloc[i])
        nodes.append(add("grid", code, names[i], lon[i], lat[i], village_code=vcode))

    regional = ws.stations[ws.stations["kind"].astype(str) == StationKind.REGIONAL.value]
    if len(regional) == 0:
        log.warning("no regional station: grids have nowhere to escalate")
        return
    reg_ids = regional["station_id"].astype(str).to_numpy()
    reg_xy = regional.to_crs(crs).geometry.get_coordinates().to_numpy()
    reg_pos = {sid: j for j, sid in enumerate(reg_ids)}

    # Majority regional station of the deputies that name each grid.
    chosen = np.full(codes.size, -1, dtype=np.int64)
    deputies = ws.deputies
    if deputies is not None and len(deputies) and "grid_codes" in deputies.columns:
        pairs = [
            (gcode, reg_pos[str(sid)])
            for cell, sid in zip(deputies["grid_codes"], deputies["station_id"], strict=True)
            if isinstance(sid, str) and sid in reg_pos
            for gcode in split_codes(cell)
        ]
        if pairs:
            votes = pd.DataFrame(pairs, columns=["grid", "station"])
            counts = votes.groupby(["grid", "station"]).size().rename("n").reset_index()
            counts = counts[counts["n"] == counts.groupby("grid")["n"].transform("max")]
            grid_pos = {c: i for i, c in enumerate(codes)}
            counts = counts[counts["grid"].isin(grid_pos)]
            gi = counts["grid"].map(grid_pos).to_numpy(dtype=np.int64)
            sj = counts["station"].to_numpy(dtype=np.int64)
            # Ties: the nearest of the tied stations (straight line, in metres).
            d = np.hypot(reg_xy[sj, 0] - gx[gi], reg_xy[sj, 1] - gy[gi])
            order = np.lexsort((d, gi))
            first = np.ones(order.size, dtype=bool)
            first[1:] = gi[order][1:] != gi[order][:-1]
            chosen[gi[order][first]] = sj[order][first]
    for i in np.flatnonzero(chosen >= 0).tolist():
        g.add_edge(nodes[i], _node("station", reg_ids[chosen[i]]), how="assignment")

    rest = np.flatnonzero(chosen < 0)
    if rest.size == 0:
        return
    if graph is None and ws.roads is not None and len(ws.roads):
        graph = build_road_graph(ws.roads, crs=crs)
    found = np.zeros(rest.size, dtype=bool)
    if graph is not None:
        near = nearest_facility(
            graph,
            snap_to_graph(graph, gx[rest], gy[rest], mode=settings.dispatch_mode),
            snap_to_graph(graph, reg_xy[:, 0], reg_xy[:, 1], mode=settings.dispatch_mode),
            weight="time",
            mode=settings.dispatch_mode,
            settings=settings,
        )
        found = near.facility >= 0
        for k in np.flatnonzero(found):
            g.add_edge(
                nodes[rest[k]],
                _node("station", reg_ids[near.facility[k]]),
                how="road",
                travel_s=float(near.travel_s[k]),
                travel_m=float(near.travel_m[k]),
            )
    left = rest[~found]
    if left.size:
        dist, j = cKDTree(reg_xy).query(np.column_stack([gx[left], gy[left]]))
        for i, jj, dd in zip(left.tolist(), j.tolist(), dist.tolist(), strict=True):
            g.add_edge(
                nodes[i],
                _node("station", reg_ids[jj]),
                how="straight_line",
                distance_m=float(dd),
            )


# --- validation ------------------------------------------------------------------------------


def _problem(
    node: Hashable | None, message: str, *, field: str | None = None, value: Any = None
) -> Problem:
    return Problem("escalation", None if node is None else str(node), field, value, message)


def escalation_problems(g: nx.DiGraph, settings: Settings | None = None) -> list[Problem]:
    """Every problem with an escalation graph, none raised.

    Checks that no cycle exists; that every level present has a handler in
    ``settings.handlers``; that every node below the top level has exactly one successor,
    on a higher level; that every station's township exists; and that every grid reaches
    the county node.

    Parameters
    ----------
    g : networkx.DiGraph
        As built by :func:`escalation_graph`.
    settings : Settings, optional

    Returns
    -------
    list of Problem
        Layer ``"escalation"``, ``row`` the node concerned; empty when the graph is sound.
    """
    settings = settings or Settings()
    problems: list[Problem] = []
    rank = {level: i for i, level in enumerate(LEVELS)}
    by_level: dict[str, list[Hashable]] = {}
    for node, level in g.nodes(data="level"):
        by_level.setdefault(str(level), []).append(node)
        if level not in rank:
            problems.append(
                _problem(
                    node, f"unknown level; expected one of {LEVELS}", field="level", value=level
                )
            )

    for level, nodes in by_level.items():
        if level in rank and not settings.handlers.get(level):
            problems.append(
                _problem(
                    nodes[0],
                    f"level {level!r} ({len(nodes)} node(s)) has no handler in settings.handlers",
                    field="handler",
                    value=level,
                )
            )

    # Cycles: each found cycle is reported once, then broken on a copy to look for more.
    work = g.copy()
    for _ in range(100):
        try:
            cycle = nx.find_cycle(work)
        except nx.NetworkXNoCycle:
            break
        path = [str(u) for u, _v, *_ in cycle]
        problems.append(
            _problem(path[0], "escalation cycle: " + " → ".join([*path, path[0]]), value=len(path))
        )
        work.remove_edge(*cycle[0][:2])

    present = [lv for lv in LEVELS if lv in by_level]
    top = present[-1] if present else None
    missing_township: set[Hashable] = set()
    for node in by_level.get("station", []):
        tcode = g.nodes[node].get("township_code")
        if tcode is None or _node("township", tcode) not in g:
            missing_township.add(node)
            problems.append(
                _problem(
                    node,
                    f"station's township {_node('township', tcode)} is missing from the graph",
                    field="township_code",
                    value=tcode,
                )
            )
    for node, level in g.nodes(data="level"):
        succ = list(g.successors(node))
        if level == top:
            continue
        if len(succ) != 1:
            if node in missing_township and not succ:
                continue
            what = (
                "no successor"
                if not succ
                else f"{len(succ)} successors ({', '.join(map(str, succ))})"
            )
            problems.append(
                _problem(node, f"must escalate to exactly one unit; has {what}", value=len(succ))
            )
            continue
        up_level = g.nodes[succ[0]].get("level")
        if level in rank and up_level in rank and rank[up_level] <= rank[level]:
            problems.append(
                _problem(
                    node,
                    f"escalates to {succ[0]}, a {up_level} node, which is not above a {level} node",
                    value=succ[0],
                )
            )

    counties = by_level.get("county", [])
    if not counties:
        problems.append(_problem(None, "the graph has no county node"))
    else:
        reach: set[Hashable] = set(counties)
        for c in counties:
            reach |= nx.ancestors(g, c)
        for node in by_level.get("grid", []):
            if node not in reach:
                stop = _last_before_break(g, node)
                problems.append(
                    _problem(
                        node, f"does not reach the county (its chain stops at {stop})", value=stop
                    )
                )
    return problems


def _last_before_break(g: nx.DiGraph, node: Hashable) -> str:
    seen = {node}
    while True:
        succ = list(g.successors(node))
        if len(succ) != 1 or succ[0] in seen:
            return str(node)
        node = succ[0]
        seen.add(node)


def validate_escalation(g: nx.DiGraph, settings: Settings | None = None) -> None:
    """Raise if the escalation graph has any problem (see :func:`escalation_problems`).

    Raises
    ------
    ValidationError
        Carrying every problem found.
    """
    problems = escalation_problems(g, settings)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context="escalation graph")


# --- walking the ladder ----------------------------------------------------------------------


def next_unit(g: nx.DiGraph, node: str) -> str | None:
    """The unit ``node`` escalates to, or None at the top.

    Raises
    ------
    NotFoundError
        If ``node`` is not in the graph.
    ValidationError
        If ``node`` has more than one successor.
    """
    if node not in g:
        raise NotFoundError(f"node {node!r} is not in the escalation graph")
    succ = list(g.successors(node))
    if len(succ) > 1:
        raise ValidationError(
            [_problem(node, f"must escalate to exactly one unit; has {len(succ)}", value=succ)],
            context="escalation graph",
        )
    return str(succ[0]) if succ else None


def chain(g: nx.DiGraph, node: str) -> list[str]:
    """``node`` and every unit above it, lowest first.

    Raises
    ------
    NotFoundError
        If ``node`` is not in the graph.
    ValidationError
        If the ladder above ``node`` forks or loops.
    """
    out = [node]
    up = next_unit(g, node)
    while up is not None:
        if up in out:
            raise ValidationError(
                [_problem(up, "escalation cycle: " + " → ".join([*out, up]))],
                context="escalation graph",
            )
        out.append(up)
        up = next_unit(g, up)
    return out


def unit_for_grid(g: nx.DiGraph, grid_code: str) -> str:
    """The station node a grid's issues go to first.

    Raises
    ------
    NotFoundError
        If the grid is not in the graph, or has no station.
    """
    node = _node("grid", grid_code)
    if node not in g:
        raise NotFoundError(f"grid_code={grid_code!r} is not a grid of the escalation graph")
    up = next_unit(g, node)
    if up is None:
        raise NotFoundError(f"grid_code={grid_code!r} has no station in the escalation graph")
    return up


# --- export ----------------------------------------------------------------------------------


def escalation_edges(g: nx.DiGraph) -> gpd.GeoDataFrame:
    """One line per escalation edge, from the lower unit to the upper, in EPSG:4490.

    Returns
    -------
    GeoDataFrame
        Columns ``from``, ``to``, ``level`` (of ``from``), ``to_level``, ``from_name``,
        ``to_name`` (Chinese unit names), ``level_zh``, ``how``, ``how_zh``, ``travel_s``,
        ``travel_m``, ``distance_m`` (NaN where not known), ``geometry``.
    """
    rows = []
    geoms = []
    for u, v, data in g.edges(data=True):
        a, b = g.nodes[u], g.nodes[v]
        rows.append(
            {
                "from": str(u),
                "to": str(v),
                "level": a.get("level"),
                "to_level": b.get("level"),
                "from_name": a.get("name"),
                "to_name": b.get("name"),
                "level_zh": f"{LEVELS_ZH.get(a.get('level'), a.get('level'))}→"
                f"{LEVELS_ZH.get(b.get('level'), b.get('level'))}",
                "how": data.get("how"),
                "how_zh": HOW_ZH.get(data.get("how"), data.get("how")),
                "travel_s": data.get("travel_s", np.nan),
                "travel_m": data.get("travel_m", np.nan),
                "distance_m": data.get("distance_m", np.nan),
            }
        )
        geoms.append(
            LineString(
                [
                    (a.get("x", np.nan), a.get("y", np.nan)),
                    (b.get("x", np.nan), b.get("y", np.nan)),
                ]
            )
        )
    columns = [
        "from",
        "to",
        "level",
        "to_level",
        "from_name",
        "to_name",
        "level_zh",
        "how",
        "how_zh",
        "travel_s",
        "travel_m",
        "distance_m",
    ]
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry=geoms, crs=CGCS2000)
    # Lowest level first, so a table reads from the grids up.
    rank = frame["level"].map({lv: i for i, lv in enumerate(LEVELS)}).fillna(len(LEVELS))
    order = np.lexsort((frame["from"].to_numpy(dtype=str), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def write_escalation(g: nx.DiGraph, path: str | Path) -> Path:
    """Write the escalation graph; the format follows the suffix.

    ``.graphml``: the whole graph (networkx); ``.geojson`` / ``.gpkg``: the edges of
    :func:`escalation_edges` as lines; ``.csv``: the edge table with Chinese headers,
    UTF-8 with BOM so Excel reads it.

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        If the suffix is none of those.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".graphml", ".geojson", ".gpkg", ".csv"}:
        raise ParameterError(
            f"path={str(path)!r}: write_escalation writes .graphml, .geojson, .gpkg or .csv",
            parameter="path",
            value=str(path),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".graphml":
        nx.write_graphml(g, target)
        return target
    edges = escalation_edges(g)
    if suffix == ".csv":
        table = pd.DataFrame(edges.drop(columns="geometry"))
        for col in ("level", "to_level"):
            table[col] = table[col].map(lambda v: LEVELS_ZH.get(v, v))
        table["how"] = table["how_zh"]
        table = table[list(_EDGE_COLUMNS_ZH)].rename(columns=_EDGE_COLUMNS_ZH)
        return write_table(table, target)
    if suffix == ".geojson":
        edges.to_file(target, driver="GeoJSON")
    else:
        edges.to_file(target, layer="escalation", driver="GPKG")
    return target
