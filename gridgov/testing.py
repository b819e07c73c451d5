"""Public test helpers, in the spirit of :mod:`geopandas.testing`.

Assertions that raise :class:`AssertionError` with every problem listed
(:func:`assert_valid_workspace`, :func:`assert_layer_schema`,
:func:`assert_workspace_equal`), and :func:`tiny_workspace`, a small county built in code
(metres in the Gauss-Kruger zone, then stored in CGCS2000) that tests of any module can
start from without touching the network or a data file. For tests of the web service:
:func:`free_port` and :func:`wait_for_health` (a ``gridgov serve`` process answering).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, box

from gridgov import crs as _crs
from gridgov._errors import Problem
from gridgov._validate import clean_workspace
from gridgov.model import LAYERS, Workspace
from gridgov.settings import Settings

__all__ = [
    "TINY_COUNTY_CODE",
    "TINY_PROJECTED_CRS",
    "assert_layer_schema",
    "assert_valid_workspace",
    "assert_workspace_equal",
    "free_port",
    "tiny_workspace",
    "wait_for_health",
]

#: County code of :func:`tiny_workspace` (Huarong, Hunan).
TINY_COUNTY_CODE = "430623"
#: The Gauss-Kruger zone :func:`tiny_workspace` is drawn in (CGCS2000 / 3-degree GK CM 114E).
TINY_PROJECTED_CRS = "EPSG:4547"


def _listing(problems: Sequence[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


def assert_valid_workspace(
    ws: Workspace, *, settings: Settings | None = None, allow_warnings: bool = True
) -> None:
    """Assert that ``ws`` passes :func:`gridgov._validate.clean_workspace`.

    Parameters
    ----------
    ws : Workspace
        The workspace to check.
    settings : Settings, optional
        Settings the validation uses (tolerances).
    allow_warnings : bool, default True
        When False, warnings fail the assertion too.

    Raises
    ------
    AssertionError
        Listing every problem found.
    """
    _, problems = clean_workspace(ws, settings=settings)
    failing = [p for p in problems if allow_warnings is False or p.severity == "error"]
    if failing:
        raise AssertionError(f"workspace is not valid:\n{_listing(failing)}")


def assert_layer_schema(gdf: gpd.GeoDataFrame, layer: str) -> None:
    """Assert that ``gdf`` has the shape of workspace layer ``layer``.

    Checks the CRS is EPSG:4490, required columns are present, geometries are of the
    layer's types, code columns hold strings of the right length, enum columns hold the
    enum's English values, and integer columns are integers.

    Raises
    ------
    AssertionError
        Listing every mismatch.
    KeyError
        If ``layer`` is not in :data:`gridgov.model.LAYERS`.
    """
    schema = LAYERS[layer]
    wrong: list[str] = []
    if gdf.crs is None or gdf.crs.to_epsg() != 4490:
        wrong.append(f"CRS is {gdf.crs}, expected EPSG:4490")
    for col in schema.columns:
        if col.name not in gdf.columns:
            if col.required:
                wrong.append(f"required column {col.name} is missing")
            continue
        values = gdf[col.name].dropna()
        if col.kind == "str":
            not_str = values[~values.map(lambda v: isinstance(v, str))]
            if len(not_str):
                wrong.append(f"{col.name} holds non-strings, e.g. {not_str.iloc[0]!r}")
        if col.code is not None:
            length = {"county": 6, "township": 9, "village": 12}[col.code]
            bad = values[~values.astype(str).str.fullmatch(rf"\d{{{length}}}")]
            if len(bad):
                wrong.append(f"{col.name} holds non-{length}-digit codes, e.g. {bad.iloc[0]!r}")
        if col.enum is not None:
            accepted = {m.value for m in col.enum}
            bad = values[~values.isin(accepted)]
            if len(bad):
                wrong.append(f"{col.name} holds values outside {sorted(accepted)}: {bad.iloc[0]!r}")
        if col.kind == "int" and not pd.api.types.is_integer_dtype(gdf[col.name].dtype):
            wrong.append(f"{col.name} has dtype {gdf[col.name].dtype}, expected integers")
    types = set(gdf.geometry.dropna().geom_type)
    if not types <= set(schema.geometry):
        wrong.append(f"geometry types {sorted(types)} not in {list(schema.geometry)}")
    if wrong:
        raise AssertionError(f"{layer} does not match its schema:\n  - " + "\n  - ".join(wrong))


def assert_workspace_equal(
    left: Workspace, right: Workspace, *, check_meta: bool = False, tolerance_deg: float = 1e-9
) -> None:
    """Assert two workspaces hold the same layers, keys, attributes and geometries.

    Geometries are compared with :func:`shapely.equals_exact` within ``tolerance_deg``
    after normalising single parts to multi parts (a GeoPackage stores polygons as
    MultiPolygon). Attribute values are compared as text, so ``int64`` and ``Int64`` or
    ``"str"`` and ``object`` dtypes compare equal.

    Raises
    ------
    AssertionError
        Naming the first differing layer and what differs.
    """
    lnames, rnames = list(left.layers()), list(right.layers())
    if lnames != rnames:
        raise AssertionError(f"layers differ: {lnames} != {rnames}")
    for name in lnames:
        a, b = left.layers()[name], right.layers()[name]
        if len(a) != len(b):
            raise AssertionError(f"{name}: {len(a)} features != {len(b)}")
        for col in LAYERS[name].names:
            if (col in a.columns) != (col in b.columns):
                raise AssertionError(f"{name}: column {col} present in only one workspace")
            if col not in a.columns:
                continue
            ta = a[col].astype(object).where(a[col].notna(), None).map(_as_text).tolist()
            tb = b[col].astype(object).where(b[col].notna(), None).map(_as_text).tolist()
            if ta != tb:
                first = next(i for i, (x, y) in enumerate(zip(ta, tb, strict=True)) if x != y)
                raise AssertionError(
                    f"{name}.{col} differs at position {first}: {ta[first]!r} != {tb[first]!r}"
                )
        ga = _multi(np.asarray(a.geometry.array, dtype=object))
        gb = _multi(np.asarray(b.geometry.array, dtype=object))
        same = shapely.equals_exact(ga, gb, tolerance=tolerance_deg) | (
            shapely.is_missing(ga) & shapely.is_missing(gb)
        )
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            raise AssertionError(f"{name}: geometry differs at position {first}")
    if check_meta and left.meta != right.meta:
        raise AssertionError(f"meta differs: {left.meta} != {right.meta}")


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _multi(arr: np.ndarray) -> np.ndarray:
    out = arr.copy()
    kinds = shapely.get_type_id(arr)
    for single, multi in ((3, shapely.multipolygons), (1, shapely.multilinestrings)):
        pos = np.flatnonzero(kinds == single)
        if pos.size:
            out[pos] = [multi([g]) for g in arr[pos]]
    return out


# --- a tiny county built in code ------------------------------------------------------------


def tiny_workspace() -> Workspace:
    """A small valid county: 10 km square near 112.5E 29.5N, county code 430623.

    Drawn in metres in EPSG:4547 and stored in EPSG:4490, like a real workspace:

    - 2 townships side by side (章华镇 430623101 west, 万庾镇 430623102 east);
    - 4 villages of 5 x 5 km, two per township, codes nesting under their township
      (one community 社区 and one village 村 each);
    - 6 settlements, 8 grids (two per village);
    - 3 stations: a township station (联络站), a village point (联络点) and an industry
      studio (代表工作室, mustard 芥菜) whose parent is the township station;
    - 6 deputies of all five levels, each in a station, some linked to grids;
    - 3 roads (a trunk road, a county road and a village road).

    Returns
    -------
    Workspace
        Valid under the default :class:`~gridgov.settings.Settings`.
    """
    proj = TINY_PROJECTED_CRS
    centre = gpd.GeoSeries([Point(112.5, 29.5)], crs=_crs.CGCS2000).to_crs(proj).iloc[0]
    x0 = round(centre.x / 1000.0) * 1000.0 - 5000.0
    y0 = round(centre.y / 1000.0) * 1000.0 - 5000.0

    def sq(dx0: float, dy0: float, dx1: float, dy1: float) -> shapely.Geometry:
        return box(x0 + dx0, y0 + dy0, x0 + dx1, y0 + dy1)

    def pt(dx: float, dy: float) -> Point:
        return Point(x0 + dx, y0 + dy)

    def to_cgcs(frame: pd.DataFrame, geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=proj).to_crs(_crs.CGCS2000)

    county = to_cgcs(
        pd.DataFrame({"code": [TINY_COUNTY_CODE], "name": ["华容县"]}),
        [sq(0, 0, 10_000, 10_000)],
    )

    seats = gpd.GeoSeries([pt(2500, 7500), pt(7500, 7500)], crs=proj).to_crs(_crs.CGCS2000)
    townships = to_cgcs(
        pd.DataFrame(
            {
                "code": ["430623101", "430623102"],
                "name": ["章华镇", "万庾镇"],
                "seat_name": ["城关社区", "万庾社区"],
                "seat_lon": seats.x.round(7).to_numpy(),
                "seat_lat": seats.y.round(7).to_numpy(),
            }
        ),
        [sq(0, 0, 5000, 10_000), sq(5000, 0, 10_000, 10_000)],
    )

    villages = to_cgcs(
        pd.DataFrame(
            {
                "code": ["430623101001", "430623101201", "430623102001", "430623102202"],
                "name": ["城关社区", "胜峰村", "万庾社区", "团洲村"],
                "township_code": ["430623101", "430623101", "430623102", "430623102"],
                "urban_rural_code": ["121", "220", "121", "220"],
                "kind": ["community", "village", "community", "village"],
                "population": [5200, 2100, 3800, 1900],
                "households": [1800, 700, 1300, 640],
            }
        ),
        [
            sq(0, 5000, 5000, 10_000),
            sq(0, 0, 5000, 5000),
            sq(5000, 5000, 10_000, 10_000),
            sq(5000, 0, 10_000, 5000),
        ],
    )

    settlements = to_cgcs(
        pd.DataFrame(
            {
                "settlement_id": ["ST01", "ST02", "ST03", "ST04", "ST05", "ST06"],
                "name": ["东门", "西湖组", "胜峰组", "万庾街", "团洲一组", "团洲二组"],
                "village_code": [
                    "430623101001",
                    "430623101001",
                    "430623101201",
                    "430623102001",
                    "430623102202",
                    "430623102202",
                ],
                "population": [3000, 2200, 2100, 3800, 1000, 900],
            }
        ),
        [
            pt(3000, 8000),
            pt(1200, 6200),
            pt(2500, 2500),
            pt(7600, 7400),
            pt(6500, 1500),
            pt(8800, 3800),
        ],
    )

    grid_rows = []
    grid_geoms = []
    for vcode, (vx, vy) in zip(
        villages["code"], [(0, 5000), (0, 0), (5000, 5000), (5000, 0)], strict=True
    ):
        for k, (gy0, gy1) in enumerate(((0, 2500), (2500, 5000)), start=1):
            grid_rows.append(
                {
                    "code": f"{vcode}{k:02d}",
                    "name": f"第{k}网格",
                    "village_code": vcode,
                    "households": 300,
                    "population": 900,
                    "worker_name": f"网格员{vcode[-3:]}{k}",
                    "worker_phone": f"1380730{vcode[-2:]}{k:02d}",
                }
            )
            grid_geoms.append(sq(vx, vy + gy0, vx + 5000, vy + gy1))
    grids = to_cgcs(pd.DataFrame(grid_rows), grid_geoms)

    stations = to_cgcs(
        pd.DataFrame(
            {
                "station_id": ["S01", "S02", "S03"],
                "name": ["章华镇人大代表联络站", "团洲村代表联络点", "芥菜产业代表工作室"],
                "tier": ["station", "point", "studio"],
                "kind": ["regional", "regional", "industry"],
                "industry": [None, None, "芥菜"],
                "township_code": ["430623101", "430623102", "430623101"],
                "village_code": ["430623101001", "430623102202", "430623101201"],
                "parent_station_id": [None, None, "S01"],
                "reception_day": ["每周三", "每月10日", "每月15日"],
                "annual_cost_yuan": [30000.0, 20000.0, 20000.0],
            }
        ),
        [pt(2600, 7600), pt(7000, 2000), pt(2000, 1800)],
    )

    deputies = to_cgcs(
        pd.DataFrame(
            {
                "deputy_id": ["D01", "D02", "D03", "D04", "D05", "D06"],
                "name": ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊"],
                "level": ["national", "provincial", "municipal", "county", "township", "township"],
                "specialty": ["农业", "芥菜加工", "教育", "医疗", "水利", "芥菜种植"],
                "station_id": ["S01", "S03", "S02", "S01", "S02", "S03"],
                "grid_codes": [
                    "43062310100101,43062310100102",
                    None,
                    "43062310220201",
                    "43062310100102",
                    "43062310220201、43062310220202",
                    "43062310120101",
                ],
                "phone": [
                    "13807300001",
                    "13807300002",
                    "13807300003",
                    "13807300004",
                    "13807300005",
                    "13807300006",
                ],
                "on_duty": [True, True, True, False, True, True],
            }
        ),
        [
            pt(2700, 7700),
            pt(2100, 1900),
            pt(7100, 2100),
            pt(2500, 7400),
            pt(6900, 1900),
            pt(1900, 1700),
        ],
    )

    roads = to_cgcs(
        pd.DataFrame(
            {
                "road_id": ["R1", "R2", "R3"],
                "name": ["S306", "X012", "团洲村道"],
                "road_class": ["trunk", "county", "village"],
                "speed_kmh": [60.0, 40.0, np.nan],
            }
        ),
        [
            LineString([(x0 + 100, y0 + 5000), (x0 + 9900, y0 + 5000)]),
            LineString([(x0 + 2500, y0 + 100), (x0 + 2500, y0 + 9900)]),
            LineString([(x0 + 7000, y0 + 2000), (x0 + 7000, y0 + 4900)]),
        ],
    )

    return Workspace(
        county=county,
        townships=townships,
        villages=villages,
        stations=stations,
        settlements=settlements,
        grids=grids,
        deputies=deputies,
        roads=roads,
        meta={"county_code": TINY_COUNTY_CODE, "county_name": "华容县"},
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (for a test server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_health(
    url: str,
    *,
    process: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    timeout_s: float = 60.0,
    log: Callable[[], str] | None = None,
) -> None:
    """Wait until ``GET {url}/health`` answers 200.

    Raises
    ------
    RuntimeError
        If ``process`` exits first or ``timeout_s`` passes; the message ends with the
        tail of ``log()`` (the server's output) when given.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            tail = log()[-3000:] if log is not None else ""
            raise RuntimeError(f"the server exited with code {process.returncode}: {tail}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = log()[-3000:] if log is not None else ""
            raise RuntimeError(f"no answer from {url}/health within {timeout_s:g} s: {tail}")
        time.sleep(0.05)
