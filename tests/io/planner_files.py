"""Files the way county offices deliver them, written from a workspace into a folder.

A planner does not get a workspace; she gets a GBK Shapefile of villages from a
surveying firm (no ``.cpg``), the townships in the bureau's Gauss-Kruger projection, a
station list typed in Excel under a merged title with a 合计 row at the bottom and
positions picked in AMap (GCJ-02), the deputies as a CSV saved by Excel on Chinese Windows
(GB18030), and the grids drawn in a phone app and exported as KML (WGS84).
:func:`write_planner_files` writes exactly that from any workspace, so tests can load
them and compare with the workspace they came from.

Column names and values are the ones the loader has always accepted; ``everyday=True``
writes what offices write instead (站点名称, 镇人大代表, the township by its name), for
the loader that understands those.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import shapely
from openpyxl.styles import Alignment, Font

from gridgov import crs
from gridgov.model import DeputyLevel, StationKind, StationTier, VillageKind, Workspace

__all__ = [
    "RARE_NAME",
    "TITLE_ROWS",
    "TOWNSHIPS_CRS",
    "PlannerFiles",
    "assert_same_layer",
    "planner_workspace",
    "write_planner_files",
]

#: The bureau's projection: CGCS2000 3-degree Gauss-Kruger, central meridian 114E.
TOWNSHIPS_CRS = "EPSG:4547"
#: A deputy's name with a character outside GBK (Unified Ideographs Extension A), which
#: only GB18030 (or UTF-8) can write: what makes Excel's CSV GB18030 rather than GBK.
RARE_NAME = "刘䶮"
#: Rows above the stations sheet's header: the merged title.
TITLE_ROWS = 1
_STATIONS_TITLE = "华容县人大代表联络站点一览表"
# Everyday names of deputy levels, as a congress office writes them.
_LEVELS_EVERYDAY = {
    "national": "全国人大代表",
    "provincial": "省人大代表",
    "municipal": "市人大代表",
    "county": "县人大代表",
    "township": "镇人大代表",
}


@dataclass(frozen=True)
class PlannerFiles:
    """Where :func:`write_planner_files` put each layer, and how it wrote them."""

    county: Path
    townships: Path
    villages: Path
    stations: Path
    deputies: Path
    grids: Path
    everyday: bool

    def sources(self) -> dict[str, Path]:
        """Layer name -> file, as ``load_into_workspace`` takes them."""
        return {
            name: getattr(self, name)
            for name in ("county", "townships", "villages", "stations", "deputies", "grids")
        }


def planner_workspace(ws: Workspace) -> Workspace:
    """``ws`` with the touches real rosters have: the first deputy named :data:`RARE_NAME`."""
    if ws.deputies is None or not len(ws.deputies):
        return ws
    deputies = ws.deputies.copy()
    deputies["name"] = deputies["name"].astype(object)
    deputies.loc[deputies.index[0], "name"] = RARE_NAME
    return replace(ws, deputies=deputies)


def _labels(values: pd.Series, enum: type[VillageKind | StationTier | StationKind]) -> list[str]:
    return [enum(v).label_zh for v in values]


def _text(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


def _write_shp(gdf: gpd.GeoDataFrame, path: Path, **kwargs: object) -> None:
    """Write a Shapefile, silencing GDAL's notes on field names cut to 10 bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, **kwargs)


def _villages(ws: Workspace, path: Path) -> Path:
    """A surveying firm's village Shapefile: GBK, Chinese field names, no ``.cpg``."""
    v = ws.villages
    table = gpd.GeoDataFrame(
        {
            "区划代码": v["code"].to_numpy(),
            "名称": v["name"].to_numpy(),
            "所属乡镇代码": v["township_code"].to_numpy(),  # cut by the DBF to 所属乡镇代
            "城乡分类代码": v["urban_rural_code"].to_numpy(),
            "类型": _labels(v["kind"], VillageKind),
            "人口": v["population"].to_numpy(),
            "户数": v["households"].to_numpy(),
        },
        geometry=v.geometry.to_numpy(),
        crs=v.crs,
    )
    _write_shp(table, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def _townships(ws: Workspace, path: Path) -> Path:
    """The natural-resources bureau's townships: projected, with a ``.prj`` and a ``.cpg``
    (GBK); the seats (驻地) in degrees."""
    t = ws.townships
    table = gpd.GeoDataFrame(
        {
            "区划代码": t["code"].to_numpy(),
            "名称": t["name"].to_numpy(),
            "驻地": t["seat_name"].to_numpy(),
            "驻地经度": t["seat_lon"].to_numpy(),
            "驻地纬度": t["seat_lat"].to_numpy(),
        },
        geometry=t.geometry.to_numpy(),
        crs=t.crs,
    ).to_crs(TOWNSHIPS_CRS)
    _write_shp(table, path, encoding="GBK")  # with its .cpg, as ArcGIS on Chinese Windows
    return path


def _stations(ws: Workspace, path: Path, *, everyday: bool) -> Path:
    """The congress office's station list: a merged title over the header, positions
    picked in AMap (GCJ-02), a 合计 row and a remark under the table."""
    s = ws.stations
    lon, lat = crs.from_cgcs2000(s.geometry.x.to_numpy(), s.geometry.y.to_numpy(), "gcj02")
    columns: dict[str, list[Any]] = {"序号": list(range(1, len(s) + 1))}
    columns["站点编号"] = _text(s["station_id"])
    columns["站点名称" if everyday else "名称"] = _text(s["name"])
    columns["层级"] = _labels(s["tier"], StationTier)
    columns["类别"] = _labels(s["kind"], StationKind)
    columns["行业"] = _text(s["industry"])
    if everyday:
        names = dict(zip(ws.townships["code"], ws.townships["name"], strict=True))
        columns["所属乡镇"] = [names[c] for c in s["township_code"]]
    else:
        columns["所属乡镇代码"] = _text(s["township_code"])
    columns["所在村代码"] = _text(s["village_code"])
    columns["上级站点"] = _text(s["parent_station_id"])
    columns["接待日"] = _text(s["reception_day"])
    columns["年运行经费（元）"] = [None if pd.isna(v) else float(v) for v in s["annual_cost_yuan"]]
    columns["经度"] = [float(x) for x in lon]
    columns["纬度"] = [float(y) for y in lat]

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "代表联络站点"
    width = len(columns)
    sheet.append([_STATIONS_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=16)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.append(list(columns))
    for k in range(len(s)):
        sheet.append([values[k] for values in columns.values()])
    costs = [c for c in columns["年运行经费（元）"] if isinstance(c, float)]
    total: list[object] = [None] * width
    total[0], total[list(columns).index("年运行经费（元）")] = "合计", sum(costs)
    sheet.append(total)
    sheet.append(["备注：经纬度取自高德地图。"])
    book.save(path)
    return path


def _deputies(ws: Workspace, path: Path, *, everyday: bool) -> Path:
    """The deputies roster as Excel on Chinese Windows saves a CSV: GB18030, no BOM."""
    d = ws.deputies
    if d is None:
        raise ValueError("the workspace has no deputies layer")
    levels = (
        [_LEVELS_EVERYDAY[v] for v in d["level"]]
        if everyday
        else [DeputyLevel(v).label_zh for v in d["level"]]
    )
    table = pd.DataFrame(
        {
            "代表编号": _text(d["deputy_id"]),
            "姓名": _text(d["name"]),
            "代表层级": levels,
            "专业": _text(d["specialty"]),
            "所属站点": _text(d["station_id"]),
            "联系网格": _text(d["grid_codes"]),
            "手机": _text(d["phone"]),
            "在岗": ["是" if bool(v) else "否" for v in d["on_duty"]],
            "经度": np.round(d.geometry.x.to_numpy(), 9),
            "纬度": np.round(d.geometry.y.to_numpy(), 9),
        }
    )
    table.to_csv(path, index=False, encoding="gb18030", lineterminator="\r\n")
    return path


def _grids(ws: Workspace, path: Path) -> Path:
    """Grids drawn in a phone app and exported as KML: WGS84 by the KML specification."""
    g = ws.grids
    if g is None:
        raise ValueError("the workspace has no grids layer")
    table = gpd.GeoDataFrame(
        {
            "Name": g["name"].to_numpy(),
            "网格编码": g["code"].to_numpy(),
            "所属村代码": g["village_code"].to_numpy(),
            "户数": g["households"].to_numpy(),
            "人口": g["population"].to_numpy(),
        },
        geometry=g.geometry.to_numpy(),
        crs=g.crs,
    ).to_crs(crs.WGS84)
    pyogrio.write_dataframe(table, path, driver="KML")
    return path


def write_planner_files(ws: Workspace, folder: Path, *, everyday: bool = False) -> PlannerFiles:
    """Write ``ws`` into ``folder`` as a county's offices deliver it.

    - ``county.gpkg``: the county outline, CGCS2000;
    - ``townships.shp``: projected (:data:`TOWNSHIPS_CRS`) with a ``.prj``, GBK ``.cpg``,
      township seats (驻地经度/驻地纬度) in degrees;
    - ``villages.shp``: GBK text and Chinese field names, no ``.cpg``;
    - ``stations.xlsx``: sheet 代表联络站点 with a merged title row above the header
      (:data:`TITLE_ROWS`), GCJ-02 经度/纬度, a 合计 row and a 备注 line below the data;
    - ``deputies.csv``: GB18030 without BOM, CRLF, levels in Chinese, 经度/纬度 in WGS84;
    - ``grids.kml``: WGS84, the grid name as the placemark's name.

    Parameters
    ----------
    ws : Workspace
        With deputies and grids layers (:func:`planner_workspace` of the demo county).
    folder : Path
        Created if needed.
    everyday : bool, default False
        Write the names offices use (站点名称 for the station name, the township by name
        in 所属乡镇, deputy levels as 镇人大代表/县人大代表...) instead of the schema's labels.

    Returns
    -------
    PlannerFiles
    """
    folder.mkdir(parents=True, exist_ok=True)
    county = folder / "county.gpkg"
    pyogrio.write_dataframe(ws.county, county, layer="county", driver="GPKG")
    return PlannerFiles(
        county=county,
        townships=_townships(ws, folder / "townships.shp"),
        villages=_villages(ws, folder / "villages.shp"),
        stations=_stations(ws, folder / "stations.xlsx", everyday=everyday),
        deputies=_deputies(ws, folder / "deputies.csv", everyday=everyday),
        grids=_grids(ws, folder / "grids.kml"),
        everyday=everyday,
    )


def assert_same_layer(
    got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, *, key: str, tolerance_m: float = 1.0
) -> None:
    """Assert ``got`` holds the features of ``want``: the same keys, names and codes, and
    every geometry within ``tolerance_m`` (Hausdorff distance, measured in metres in the
    Gauss-Kruger zone of ``want``)."""
    got = got.set_index(got[key].astype(str)).sort_index()
    want = want.set_index(want[key].astype(str)).sort_index()
    assert got.index.tolist() == want.index.tolist()
    for column in ("name", "code", "township_code", "village_code", "station_id"):
        if column in want.columns and column != key:
            assert _text(got[column]) == _text(want[column]), column
    metric = crs.projected_crs_for(want)
    a = got.geometry.to_crs(metric).to_numpy()
    b = want.geometry.to_crs(metric).to_numpy()
    off = shapely.hausdorff_distance(a, b)
    assert float(np.max(off)) < tolerance_m, (
        f"{key} {got.index[int(np.argmax(off))]}: {np.max(off):.2f} m"
    )
