"""Coverage outputs people read: XLSX with Chinese headers, CSV, JSON and workspace layers.

Turns a :class:`~gridgov.coverage.result.CoverageResult` into tables; writing files is done
with :mod:`gridgov.io` so encodings (UTF-8 with BOM for Excel) are handled in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov import io
from gridgov._json import strict_json
from gridgov.coverage.result import CoverageResult
from gridgov.model import DeputyLevel, StationKind, StationTier, VillageKind

__all__ = ["coverage_layers", "coverage_sheets", "write_coverage"]

METHOD_ZH = {"network": "路网计算", "straight-line": "直线距离×绕行系数估算（无路网）"}

_VILLAGE_COLS = {
    "code": "区划代码",
    "name": "村（社区）",
    "township_code": "所属乡镇代码",
    "kind": "类型",
    "population": "人口",
    "nearest_station_id": "最近站点编号",
    "nearest_station_name": "最近站点",
    "nearest_station_tier": "站点层级",
    "travel_m": "路程（米）",
    "travel_min": "用时（分钟）",
    "covered": "是否达标",
    "population_covered": "达标人口",
    "share_covered": "达标人口比例",
    "has_station": "村内有站点",
    "meets_rule": "符合“一村一点”",
}
_STATION_COLS = {
    "station_id": "站点编号",
    "name": "站点名称",
    "tier": "层级",
    "kind": "类别",
    "industry": "行业",
    "township_code": "所属乡镇代码",
    "reception_day": "接待日",
    "n_villages": "服务村（社区）数",
    "population_served": "服务人口",
    "n_deputies": "代表人数",
    "deputies_by_level": "代表构成",
    "population_per_deputy": "每名代表服务人口",
}
_GAP_COLS = {
    "rank": "排序",
    "code": "区划代码",
    "name": "村（社区）",
    "township_code": "所属乡镇代码",
    "population_uncovered": "未达标人口",
    "nearest_station_id": "最近站点编号",
    "nearest_station_name": "最近站点",
    "travel_min": "用时（分钟）",
    "travel_m": "路程（米）",
    "new_site_lon": "建议新设点经度",
    "new_site_lat": "建议新设点纬度",
    "new_site_source": "建议新设点（自然村）",
    "new_site_population_covered": "新设点可覆盖人口",
}
DEPUTY_COLUMNS_ZH = {
    "deputy_id": "代表编号",
    "name": "姓名",
    "level": "代表层级",
    "specialty": "专业/行业",
    "station_before": "原站点",
    "station_after": "编入站点",
    "travel_min": "用时（分钟）",
    "moved": "是否调整",
    "reason": "原因",
}


def _minutes(df: pd.DataFrame) -> pd.DataFrame:
    if "travel_s" in df.columns:
        df = df.assign(travel_min=(df["travel_s"] / 60.0).round(1))
    return df


def _yes_no(values: pd.Series) -> bool:
    """Whether a column holds only True/False (ignoring blanks)."""
    if values.dtype == bool:
        return True
    present = values.dropna()
    if values.dtype != object or not len(present):
        return False
    return bool(present.map(type).isin((bool, np.bool_)).all())


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    enums: dict[str, Any] = {
        "tier": StationTier,
        "nearest_station_tier": StationTier,
        "kind": None,
        "level": DeputyLevel,
    }
    out = df.copy()
    for col, enum in enums.items():
        if col not in out.columns:
            continue
        if col == "kind":
            values = set(out[col].dropna())
            enum = VillageKind if values <= {k.value for k in VillageKind} else StationKind
        out[col] = out[col].map(lambda v, e=enum: e(v).label_zh if isinstance(v, str) and v else v)
    # Every yes/no column reads 是/否 (covered, has_station, moved, kept, ...).
    for col in out.columns:
        if _yes_no(out[col]):
            out[col] = out[col].map({True: "是", False: "否"})
    return out


def chinese_table(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``columns`` of ``df`` under Chinese headers: enum values and 是/否 in Chinese,
    ``travel_s`` also as ``travel_min``; geometry dropped. Shared by every report."""
    frame = _labels(_minutes(pd.DataFrame(df.drop(columns="geometry", errors="ignore"))))
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].rename(columns=columns)


def summary_rows(result: CoverageResult) -> pd.DataFrame:
    """The county summary as 指标 / 数值 rows."""
    s = result.summary
    worst = s["worst_village"]

    def minutes(v: float | None) -> str:
        return "" if v is None or not np.isfinite(v) else f"{v / 60:.1f}"

    rows = [
        ("可达标准", s["standard_label"]),
        ("计算方法", METHOD_ZH.get(result.method, result.method)),
        ("村（社区）数", s["n_villages"]),
        ("达标村（社区）数", s["villages_covered"]),
        ("村（社区）达标率", f"{s['share_villages_covered']:.1%}"),
        ("符合“一村一点”的村（社区）数", s["villages_meeting_rule"]),
        ("总人口", s["population"]),
        ("达标人口", s["population_covered"]),
        ("人口达标率", f"{s['share_population_covered']:.1%}"),
        ("人口加权平均用时（分钟）", minutes(s["mean_travel_s"])),
        ("人口加权95%分位用时（分钟）", minutes(s["p95_travel_s"])),
        ("最远村（社区）", f"{worst['name']}（{worst['code']}）{minutes(worst['travel_s'])}分钟"),
        ("站点数", s["n_stations"]),
        ("缺口村（社区）数", s["n_gaps"]),
        ("距路网超过阈值的需求点", s.get("long_snaps", 0)),
    ]
    return pd.DataFrame(rows, columns=["指标", "数值"]).astype({"数值": str})


def coverage_sheets(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 村（社区）, 站点, 缺口, 代表编组 (no personal data)."""
    return {
        "概况": summary_rows(result),
        "村（社区）": chinese_table(result.villages, _VILLAGE_COLS),
        "站点": chinese_table(result.stations, _STATION_COLS),
        "缺口": chinese_table(result.gaps, _GAP_COLS),
        "代表编组": chinese_table(result.deputies, DEPUTY_COLUMNS_ZH),
    }


def coverage_layers(result: CoverageResult) -> dict[str, gpd.GeoDataFrame]:
    """Analysis layers for the workspace: reach per village, gaps, service areas."""
    reach = result.villages[
        [c for c in (*_VILLAGE_COLS, "travel_s") if c in result.villages.columns] + ["geometry"]
    ]
    gaps = result.gaps.copy()
    gap_layer = gpd.GeoDataFrame(
        gaps,
        geometry=gpd.points_from_xy(gaps["new_site_lon"], gaps["new_site_lat"]),
        crs=result.villages.crs,
    )
    return {
        "coverage_villages": gpd.GeoDataFrame(reach, crs=result.villages.crs),
        "coverage_gap_sites": gap_layer,
        "coverage_service_areas": result.service_areas,
    }


def write_coverage(
    result: CoverageResult, out_dir: str | Path, *, workspace: str | Path | None = None
) -> dict[str, Path]:
    """Write the XLSX report, CSVs, summary JSON and (optionally) workspace layers.

    Returns
    -------
    dict
        Paths written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = coverage_sheets(result)
    files = {"report": io.write_xlsx(sheets, out / "coverage.xlsx")}
    for key, sheet in (("villages", "村（社区）"), ("stations", "站点"), ("gaps", "缺口")):
        files[f"{key}_csv"] = io.write_table(sheets[sheet], out / f"coverage-{key}.csv")
    summary = out / "coverage-summary.json"
    # Strict JSON: a figure that is not a number (a village no station reaches) is null.
    summary.write_text(strict_json(result.summary, indent=2), encoding="utf-8")
    files["summary_json"] = summary
    if workspace is not None:
        files["workspace"] = io.write_result_layers(workspace, coverage_layers(result))
    return files
