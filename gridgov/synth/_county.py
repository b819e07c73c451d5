"""One county: the Huarong demo (real outline and codes) or a wholly synthetic one.

:func:`demo_county` reads Huarong's outline and its statistical divisions from the bundled
data; :func:`synth_county` lays out a star-shaped outline of the right area and codes that
nest. Both hand a :class:`~gridgov.synth._build.CountyFrame` to the generator.
"""

from __future__ import annotations

import csv
import json
import math
from importlib import resources
from typing import Any, Final

import numpy as np
import pyproj
import shapely

from gridgov._errors import ParameterError
from gridgov.crs import CGCS2000, gk3_epsg
from gridgov.model import Workspace, is_admin_code
from gridgov.synth._build import CountyFrame, build_county, place_names, to_workspace
from gridgov.synth._shapes import largest_remainder

__all__ = ["check_seed", "demo_county", "synth_county", "synthetic_frame"]


KM2_PER_VILLAGE: Final = 6.0
#: Farthest outline vertex of a synthetic county, in radii of the circle of equal area.
OUTLINE_REACH: Final = 1.5
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


# --- the demo county ---------------------------------------------------------------------------


def _data_text(name: str) -> str:
    return resources.files("gridgov._data").joinpath(name).read_text(encoding="utf-8")


def _huarong_frame() -> CountyFrame:
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
    return CountyFrame(
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
    communities) with their codes and names are real (see ``gridgov/_data/README.md``).
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
    ParameterError
        If ``seed`` is not a non-negative integer.
    """
    check_seed(seed)
    frame = _huarong_frame()
    frame.meta["seed"] = str(seed)
    county = build_county(frame, np.random.default_rng(seed))
    return to_workspace(frame, county)


# --- wholly synthetic counties ---------------------------------------------------------------


def check_seed(seed: int) -> None:
    """Raise :class:`ParameterError` unless ``seed`` is a non-negative integer."""
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(
            f"seed must be a non-negative integer, got {seed!r}", parameter="seed", value=seed
        )


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
        # Townships are at most 999 (checked up front); villages per township can exceed it
        # when a large county is asked for with few townships.
        raise ParameterError(
            f"{n_first + n_second} villages in township {parent}: a 3-digit code allows "
            "999; ask for more townships (n_townships)",
            parameter="n_townships",
            value=n_first + n_second,
        )
    return [f"{parent}{s:03d}" for s in seq]


def synthetic_frame(
    rng: np.random.Generator,
    *,
    n_villages: int,
    n_townships: int | None,
    county_code: str,
    center: tuple[float, float],
    name: str | None,
) -> CountyFrame:
    if not isinstance(n_villages, int | np.integer) or n_villages < 1:
        raise ParameterError(
            f"n_villages must be a positive integer, got {n_villages!r}",
            parameter="n_villages",
            value=n_villages,
        )
    n_t = n_townships if n_townships is not None else max(1, round(n_villages / 16))
    if not isinstance(n_t, int | np.integer) or not 1 <= n_t <= min(n_villages, 999):
        raise ParameterError(
            f"n_townships must be between 1 and min(n_villages, 999), got {n_townships!r}",
            parameter="n_townships",
            value=n_townships,
        )
    if not is_admin_code(county_code, "county"):
        raise ParameterError(
            f"county_code must be a 6-digit string, got {county_code!r}",
            parameter="county_code",
            value=county_code,
        )
    lon, lat = center
    epsg = gk3_epsg(lon)
    to_xy = pyproj.Transformer.from_crs(CGCS2000, epsg, always_xy=True)
    cx, cy = to_xy.transform(lon, lat)
    outline = _outline(rng, (float(cx), float(cy)), n_villages * KM2_PER_VILLAGE * 1e6)
    to_ll = pyproj.Transformer.from_crs(epsg, CGCS2000, always_xy=True)
    outline_ll = shapely.transform(
        outline, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1]))
    )
    county_name = name if name is not None else place_names(rng, 1, "县")[0]

    # townships: the county seat town first, three in four 镇, the rest 乡
    n_town = max(1, round(n_t * 0.75))
    t_codes = _child_codes(county_code, n_town, n_t - n_town, (100, 200))
    t_names = place_names(rng, n_town, "镇") + place_names(rng, n_t - n_town, "乡")
    share = rng.lognormal(0.0, 0.3, n_t)
    share[0] *= 1.8  # the county seat town is the biggest
    n_v_t = largest_remainder(n_villages, share, minimum=1)
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
        v_names += place_names(rng, n_c, "社区") + place_names(rng, n - n_c, "村")
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
    return CountyFrame(
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
    ParameterError
        If ``seed`` is negative, ``n_villages`` < 1, ``n_townships`` out of range (or too
        few for 999 villages each) or ``county_code`` not six digits.
    CRSError
        If ``center`` is outside China's Gauss-Kruger zones.
    """
    check_seed(seed)
    rng = np.random.default_rng(seed)
    frame = synthetic_frame(
        rng,
        n_villages=n_villages,
        n_townships=n_townships,
        county_code=county_code,
        center=center,
        name=name,
    )
    frame.meta["seed"] = str(seed)
    return to_workspace(frame, build_county(frame, rng))
