"""OpenStreetMap PBF extracts into a roads layer, the tags read as osmnx reads them.

A county's real roads come most often from an OpenStreetMap extract (``.osm.pbf``). This
module reads one with pyosmium (the ``osm`` extra) and turns each way into a road of the
workspace's roads layer: ``highway`` into the four road classes, ``maxspeed`` into
``speed_kmh``, ``oneway``/``junction`` into ``oneway``, the access tags into the ``walk``,
``ebike`` and ``car`` columns, and ``route=ferry`` into ``ferry`` roads (column meanings:
:mod:`gridgov.routing.graph`). Everything else about the extract (buildings, POIs,
relations) is skipped without being held in memory.

The tag rules follow osmnx (``oneway`` values, roundabouts implied one-way, ``reversible``
and ``alternating`` two-way, ``maxspeed`` lists averaged, mph converted, ``area=yes`` and
unbuilt roads left out) with three choices for rural China: motorways (高速) are closed to
walkers and e-bikes and one-way by default; tracks (机耕路) are open to cars, being how many
villages are reached; e-bikes (电动自行车, non-motor vehicles by law) follow the bicycle
tags, not the motor-vehicle ones.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._errors import ExtraMissingError, Problem
from gridgov.io._notes import Note, Said
from gridgov.messages import text

__all__ = [
    "OSM_SUFFIXES",
    "WayRoad",
    "osm_roads_note",
    "parse_maxspeed",
    "read_osm_roads",
    "read_osm_source",
    "way_road",
]

log = logging.getLogger(__name__)

#: File name endings read as OpenStreetMap PBF (``extract.osm.pbf`` ends in ``.pbf``).
OSM_SUFFIXES: frozenset[str] = frozenset({".pbf"})
#: CRS of OpenStreetMap coordinates.
OSM_CRS = "EPSG:4326"

# highway value -> (road class, walk, e-bike, car). China's OSM convention: motorway 高速,
# trunk 国道, primary 省道 (国省干线); secondary 县道; tertiary and unclassified 乡道;
# the rest village roads (村道) and paths.
_HIGHWAY: dict[str, tuple[str, bool, bool, bool]] = {
    "motorway": ("trunk", False, False, True),
    "motorway_link": ("trunk", False, False, True),
    **{k: ("trunk", True, True, True) for k in ("trunk", "trunk_link", "primary", "primary_link")},
    **dict.fromkeys(("secondary", "secondary_link"), ("county", True, True, True)),
    **dict.fromkeys(("tertiary", "tertiary_link", "unclassified"), ("township", True, True, True)),
    **dict.fromkeys(
        ("residential", "living_street", "service", "track", "road"), ("village", True, True, True)
    ),
    "cycleway": ("village", False, True, False),
    "path": ("village", True, True, False),
    **dict.fromkeys(
        ("footway", "pedestrian", "steps", "bridleway", "corridor"),
        ("village", True, False, False),
    ),
}
# Not a road anyone travels (osmnx's "all" filter, plus bus-only and indoor lifts).
_NOT_ROADS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "busway",
        "construction",
        "disused",
        "elevator",
        "escalator",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
# A highway value not listed above (``trail``, a local invention) is taken as a footpath.
_UNKNOWN_HIGHWAY = ("village", True, False, False)

_ONEWAY: dict[str, int] = {
    **dict.fromkeys(("yes", "true", "1"), 1),
    **dict.fromkeys(("-1", "reverse"), -1),
    # reversible / alternating: open one way at a time, each way at some hour (osmnx).
    **dict.fromkeys(("no", "false", "0", "reversible", "alternating"), 0),
}
_DENY = frozenset({"no", "private", "dismount"})
_GRANT = frozenset(
    {
        "yes",
        "designated",
        "permissive",
        "destination",
        "customers",
        "delivery",
        "agricultural",
        "forestry",
        "official",
        "permit",
        "use_sidepath",
    }
)
# Per mode: the general keys (which can only close a road: ``access=yes`` on a footway
# lets no car on it), then the mode's own keys, least specific first (each can close or
# open; motorcar=yes wins over motor_vehicle=no).
_ACCESS_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "walk": (("access",), ("foot",)),
    "ebike": (("access", "vehicle"), ("bicycle",)),
    "car": (("access", "vehicle"), ("motor_vehicle", "motorcar")),
}
_MPH = 1.609344
_KNOT = 1.852
_SPEED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots?)?$")


class _Tags(Protocol):
    def get(self, key: str, default: None = None, /) -> str | None: ...


def parse_maxspeed(value: str | None) -> float:
    """A ``maxspeed`` tag in km/h; NaN when it names no number.

    Examples
    --------
    >>> parse_maxspeed("50"), parse_maxspeed("50 km/h"), round(parse_maxspeed("30 mph"), 2)
    (50.0, 50.0, 48.28)
    >>> parse_maxspeed("50;60"), parse_maxspeed("none"), parse_maxspeed("CN:urban")
    (55.0, nan, nan)
    """
    if value is None:
        return math.nan
    speeds = []
    for piece in re.split(r"[;|]", str(value)):
        match = _SPEED.match(piece.strip().lower())
        if match is None:
            continue  # none, signals, variable, walk, zone codes: no number to cap with
        speed = float(match.group(1).replace(",", "."))
        unit = match.group(2) or ""
        if unit == "mph":
            speed *= _MPH
        elif unit.startswith("knot"):
            speed *= _KNOT
        if 0 < speed <= 300:
            speeds.append(speed)
    # A list gives a value per lane or per time: osmnx takes their mean.
    return float(np.mean(speeds)) if speeds else math.nan


@dataclass(frozen=True)
class WayRoad:
    """What one OSM way means as a road (columns of the roads layer)."""

    road_class: str
    speed_kmh: float
    oneway: int
    walk: bool
    ebike: bool
    car: bool
    ferry: bool


def _decide(allowed: bool, value: str | None, *, can_open: bool) -> bool:
    if value is None:
        return allowed
    first = value.split(";")[0].strip().lower()
    if first in _DENY:
        return False
    if can_open and first in _GRANT:
        return True
    return allowed


def way_road(tags: _Tags) -> WayRoad | None:
    """The road an OSM way's tags describe, or None when it is no road anyone travels.

    Parameters
    ----------
    tags : mapping-like
        Anything with ``get(key)`` returning the tag's value or None (a dict, an osmium
        ``TagList``).

    Returns
    -------
    WayRoad or None
    """
    highway = tags.get("highway")
    ferry = tags.get("route") == "ferry"
    if not ferry and (highway is None or highway in _NOT_ROADS or tags.get("area") == "yes"):
        return None
    if highway is None or highway in _NOT_ROADS:
        road_class, walk, ebike, car = "village", True, True, True  # a ferry without a road
    else:
        road_class, walk, ebike, car = _HIGHWAY.get(highway, _UNKNOWN_HIGHWAY)
    if tags.get("motorroad") == "yes":
        walk = ebike = False
    modes = {"walk": walk, "ebike": ebike, "car": car}
    for mode, (general, own) in _ACCESS_KEYS.items():
        for key in general:
            modes[mode] = _decide(modes[mode], tags.get(key), can_open=False)
        for key in own:
            modes[mode] = _decide(modes[mode], tags.get(key), can_open=True)
    if not any(modes.values()):
        return None
    if ferry:
        return WayRoad(road_class, math.nan, 0, modes["walk"], modes["ebike"], modes["car"], True)
    tagged = (tags.get("oneway") or "").strip().lower()
    if tagged in _ONEWAY:
        oneway = _ONEWAY[tagged]
    elif highway == "motorway" or tags.get("junction") in ("roundabout", "circular"):
        oneway = 1
    else:
        oneway = 0
    return WayRoad(
        road_class,
        parse_maxspeed(tags.get("maxspeed")),
        oneway,
        modes["walk"],
        modes["ebike"],
        modes["car"],
        False,
    )


def _import_osmium() -> Any:
    try:
        import osmium
    except ImportError as exc:
        raise ExtraMissingError("osm", "reading OpenStreetMap .pbf extracts (pyosmium)") from exc
    return osmium


def _clipped_line(way: Any) -> Any:
    """The parts of a way whose nodes the extract holds (a way cut at the extract's edge)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for node in way.nodes:
        if node.location.valid():
            xy = (node.location.lon, node.location.lat)
            if not runs[-1] or runs[-1][-1] != xy:
                runs[-1].append(xy)
        elif runs[-1]:
            runs.append([])
    lines = [shapely.LineString(r) for r in runs if len(r) >= 2]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)


def read_osm_roads(
    path: str | Path, *, progress: Callable[[int], None] | None = None
) -> tuple[gpd.GeoDataFrame, int]:
    """Read the roads and ferries of an OpenStreetMap PBF extract.

    Parameters
    ----------
    path : str or Path
        An ``.osm.pbf`` file.
    progress : callable, optional
        Called with the number of ways read so far, every 100,000 ways.

    Returns
    -------
    (GeoDataFrame, int)
        The roads in EPSG:4326 with columns ``road_id`` (the way id), ``name``
        (``name``, else ``name:zh``, else ``ref``), ``road_class``, ``speed_kmh``,
        ``oneway`` (int8), ``walk``, ``ebike``, ``car``, ``ferry`` (bool) and
        ``osm_highway`` (the tag as found); and the number of ways left out because the
        extract holds fewer than two of their nodes.

    Raises
    ------
    ExtraMissingError
        If pyosmium is not installed (``pip install 'gridgov[osm]'``).
    RuntimeError
        If osmium cannot read the file.
    """
    osmium = _import_osmium()
    wkb = osmium.geom.WKBFactory()
    ids: list[int] = []
    names: list[str | None] = []
    highways: list[str | None] = []
    roads: list[WayRoad] = []
    wkbs: list[str | None] = []
    clipped: dict[int, Any] = {}
    skipped = seen = 0
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway", "route"))
    )
    for way in processor:
        seen += 1
        if progress is not None and seen % 100_000 == 0:
            progress(seen)
        tags = way.tags
        road = way_road(tags)
        if road is None:
            continue
        try:
            wkbs.append(wkb.create_linestring(way))
        except (RuntimeError, osmium.InvalidLocationError):  # nodes outside the extract
            geom = _clipped_line(way)
            if geom is None:
                skipped += 1
                continue
            clipped[len(wkbs)] = geom
            wkbs.append(None)
        ids.append(way.id)
        names.append(tags.get("name") or tags.get("name:zh") or tags.get("ref"))
        highways.append(tags.get("highway"))
        roads.append(road)
    n = len(roads)
    geoms = shapely.from_wkb(np.array(wkbs, dtype=object))
    for pos, geom in clipped.items():
        geoms[pos] = geom
    frame = gpd.GeoDataFrame(
        {
            "road_id": pd.array([str(i) for i in ids], dtype=object),
            "name": pd.array(names, dtype=object),
            "road_class": pd.array([r.road_class for r in roads], dtype=object),
            "speed_kmh": np.fromiter((r.speed_kmh for r in roads), float, n),
            "oneway": np.fromiter((r.oneway for r in roads), np.int8, n),
            "walk": np.fromiter((r.walk for r in roads), bool, n),
            "ebike": np.fromiter((r.ebike for r in roads), bool, n),
            "car": np.fromiter((r.car for r in roads), bool, n),
            "ferry": np.fromiter((r.ferry for r in roads), bool, n),
            "osm_highway": pd.array(highways, dtype=object),
        },
        geometry=gpd.GeoSeries(geoms, crs=OSM_CRS),
        crs=OSM_CRS,
    )
    log.info(
        "%s: %d roads (%d ferries) from %d tagged ways; %d cut off by the extract's edge",
        Path(path).name,
        n,
        int(frame["ferry"].sum()),
        seen,
        skipped,
    )
    return frame, skipped


def read_osm_source(
    path: str | Path, *, label: str, layer: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """:func:`read_osm_roads` for a workspace load: the problems returned, not raised.

    Parameters
    ----------
    path : str or Path
        An ``.osm.pbf`` file.
    label : str
        The file's name in problems.
    layer : str
        The workspace layer asked for; an extract gives only ``roads``.

    Returns
    -------
    (GeoDataFrame or None, list of Problem)
        The roads in EPSG:4326 (None on an error) and what went wrong or was left out.

    Raises
    ------
    ExtraMissingError
        If pyosmium is not installed.
    """
    if layer != "roads":
        return None, [
            Problem(
                label,
                None,
                "layer",
                layer,
                text("load.osm_roads_only"),
            )
        ]
    try:
        roads, skipped = read_osm_roads(path)
    except (RuntimeError, OSError) as exc:  # osmium's; ExtraMissingError is an ImportError
        return None, [Problem(label, None, None, None, text("load.osm_unreadable", error=exc))]
    problems: list[Problem] = []
    if roads.empty:
        problems.append(Problem(label, None, None, None, text("load.osm_no_roads")))
        return None, problems
    if skipped:
        problems.append(
            Problem(
                label,
                None,
                None,
                skipped,
                text("load.osm_cut_off", count=skipped),
                "warning",
            )
        )
    return roads, problems


def osm_roads_note(roads: gpd.GeoDataFrame, *, label: str) -> Note:
    """What the tags of an extract made of its roads, said after loading so the planner can
    check it: how many roads, one-way, closed to cars, ferries.

    Parameters
    ----------
    roads : GeoDataFrame
        As :func:`read_osm_roads` returns them.
    label : str
        The file's name.

    Returns
    -------
    Note
        Topic ``"roads"``, value the number of roads.
    """
    what = Said.of(
        "note.osm_roads",
        roads=f"{len(roads):,}",
        oneway=f"{int((roads['oneway'] != 0).sum()):,}",
        no_car=f"{int((~roads['car'] & ~roads['ferry']).sum()):,}",
        ferries=f"{int(roads['ferry'].sum()):,}",
    )
    return Note(label, "roads", str(len(roads)), "detected", what, Said.of("note.by_osm_tags"))
