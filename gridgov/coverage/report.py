"""Coverage outputs people read: XLSX with Chinese headers, CSV, JSON and workspace layers.

Turns a :class:`~gridgov.coverage.result.CoverageResult` into tables; writing files is done
with :mod:`gridgov.io` so encodings (UTF-8 with BOM for Excel) are handled in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgov import io
from gridgov._json import strict_json
from gridgov.coverage.result import CoverageResult
from gridgov.io._qgis import LayerStyle, Range
from gridgov.io._workbook import COUNT, MINUTES, PERCENT, ReportInfo
from gridgov.messages import text
from gridgov.model import CHINA_TIME, DeputyLevel, StationKind, StationTier, VillageKind, Workspace

__all__ = [
    "coverage_info",
    "coverage_layers",
    "coverage_sheets",
    "coverage_styles",
    "demand_basis",
    "headline",
    "method_rows",
    "report_context",
    "write_coverage",
]

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


def report_context(ws: Workspace) -> dict[str, str]:
    """What a report's title block says about the data: county name and code, and the
    date the workspace was last written (China time)."""
    county = ws.county
    name = str(county["name"].iloc[0]) if len(county) and "name" in county.columns else ""
    code = str(county["code"].iloc[0]) if len(county) and "code" in county.columns else ""
    updated = ws.meta.get("updated_at", "")
    try:
        day = datetime.fromisoformat(updated).astimezone(CHINA_TIME).strftime("%Y-%m-%d")
    except ValueError:
        day = ""
    return {"county": name, "county_code": code, "data_date": day, "demand": _ws_demand(ws)}


def _ws_demand(ws: Workspace) -> str:
    """需求口径 of a workspace, counted as :func:`~gridgov.coverage._workspace.demand_points`
    counts it (settlements with people, village points for villages without any)."""
    points, have = 0, set()
    if ws.settlements is not None and len(ws.settlements):
        lived = ws.settlements[ws.settlements["population"].fillna(0) > 0]
        points, have = len(lived), set(lived["village_code"])
    rest = int((~ws.villages["code"].isin(have)).sum())
    source = ["settlement"] * points + ["village_centroid"] * rest
    return demand_basis(pd.DataFrame({"source": source}))


def demand_basis(demand: pd.DataFrame) -> str:
    """需求口径: whether people were counted where they live (settlements) or at each
    village's representative point, in words."""
    source = demand["source"] if "source" in demand.columns else pd.Series(dtype=str)
    points = int((source == "settlement").sum())
    centroids = int((source == "village_centroid").sum())
    if points and centroids:
        return text("report.cov.demand_mixed", points=f"{points:,}", villages=f"{centroids:,}")
    if points:
        return text("report.cov.demand_settlements", points=f"{points:,}")
    return text("report.cov.demand_villages", villages=f"{centroids:,}")


def _keyed(rows: Sequence[tuple[str, Any, str | None]]) -> pd.DataFrame:
    """A 指标 / 数值 sheet whose value cells each carry their own number format."""
    frame = pd.DataFrame(
        [(label, value) for label, value, _ in rows],
        columns=[text("report.book.item"), text("report.book.value")],
    )
    frame.attrs["row_formats"] = [fmt for _, _, fmt in rows]
    return frame


def _min(seconds: float | None) -> float | None:
    if seconds is None or not np.isfinite(seconds):
        return None
    return round(float(seconds) / 60, 1)


def headline(result: CoverageResult) -> str:
    """The sentence a leader reads first: how many villages and people are within reach."""
    s = result.summary
    return text(
        "report.cov.headline",
        standard=s["standard_label"],
        n=s["n_villages"],
        covered=s["villages_covered"],
        share=f"{s['share_villages_covered']:.1%}",
        people=f"{s['share_population_covered']:.1%}",
        gaps=s["n_gaps"],
    )


def summary_rows(result: CoverageResult) -> pd.DataFrame:
    """The county summary as 指标 / 数值 rows: numbers as numbers (rates as fractions
    shown ``0.0%``), read from ``result.summary`` like the JSON."""
    s = result.summary
    worst = s["worst_village"]
    rows: list[tuple[str, Any, str | None]] = [
        ("可达标准", s["standard_label"], None),
        ("计算方法", METHOD_ZH.get(result.method, result.method), None),
        ("村（社区）数", s["n_villages"], COUNT),
        ("达标村（社区）数", s["villages_covered"], COUNT),
        ("村（社区）达标率", s["share_villages_covered"], PERCENT),
        ("符合“一村一点”的村（社区）数", s["villages_meeting_rule"], COUNT),
        ("总人口", s["population"], COUNT),
        ("达标人口", s["population_covered"], COUNT),
        ("人口达标率", s["share_population_covered"], PERCENT),
        ("人口加权平均用时（分钟）", _min(s["mean_travel_s"]), MINUTES),
        ("人口加权95%分位用时（分钟）", _min(s["p95_travel_s"]), MINUTES),
        ("用时最长的村（社区）", f"{worst['name']}（{worst['code']}）", None),
        ("该村（社区）人口加权平均用时（分钟）", _min(worst["travel_s"]), MINUTES),
        ("站点数", s["n_stations"], COUNT),
        ("缺口村（社区）数", s["n_gaps"], COUNT),
    ]
    return _keyed(rows)


def method_rows(result: CoverageResult) -> pd.DataFrame:
    """方法说明: how the figures were computed, for whoever checks them."""
    s = result.summary
    std = result.standard
    rows: list[tuple[str, Any, str | None]] = [
        (text("report.book.standard"), f"{s['standard_label']}（{s['standard']}）", None),
        (text("report.book.method"), METHOD_ZH.get(result.method, result.method), None),
        (text("report.book.demand"), demand_basis(result.demand), None),
        (
            text("report.cov.m_covered"),
            text("report.cov.m_covered_is", standard=std.label_zh),
            None,
        ),
        (text("report.cov.m_mean"), text("report.cov.m_mean_is"), None),
        (text("report.cov.m_p95"), text("report.cov.m_p95_is"), None),
        (text("report.cov.m_rule"), text("report.cov.m_rule_is"), None),
        (text("report.cov.m_long_snaps"), s.get("long_snaps", 0), COUNT),
    ]
    return _keyed(rows)


def coverage_sheets(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 村（社区）, 站点, 缺口, 代表编组, 方法说明 (no personal data)."""
    return {
        "概况": summary_rows(result),
        "村（社区）": chinese_table(result.villages, _VILLAGE_COLS),
        "站点": chinese_table(result.stations, _STATION_COLS),
        "缺口": chinese_table(result.gaps, _GAP_COLS),
        "代表编组": chinese_table(result.deputies, DEPUTY_COLUMNS_ZH),
        "方法说明": method_rows(result),
    }


def coverage_info(result: CoverageResult, context: Mapping[str, str] | None = None) -> ReportInfo:
    """The title block of the coverage workbook."""
    ctx = dict(context or {})
    county = ctx.get("county", "")
    return ReportInfo(
        title=text(
            "report.cov.title", county=county, standard=result.summary["standard_label"]
        ).strip(),
        facts=[
            (text("report.book.conclusion"), headline(result)),
            (text("report.book.standard"), result.summary["standard_label"]),
            (text("report.book.method"), METHOD_ZH.get(result.method, result.method)),
            (text("report.book.demand"), demand_basis(result.demand)),
            (text("report.book.data_date"), ctx.get("data_date", "") or "—"),
        ],
    )


#: Colours of the travel classes within the standard, as on the HTML map (maps/coverage.py).
WITHIN_COLOURS = ("#1a9850", "#91cf60", "#fee08b")
#: Villages beyond the standard: red, hatched.
GAP_COLOUR = "#d7301f"


def coverage_layers(result: CoverageResult) -> dict[str, gpd.GeoDataFrame]:
    """Analysis layers for the workspace: reach per village, gaps, service areas.

    Travel is in minutes beside seconds (``travel_min``), and every coded value has its
    Chinese beside it (``covered_zh``, ``kind_zh``, ``tier_zh``), so QGIS shows what the
    reports say.
    """
    reach = result.villages[
        [c for c in (*_VILLAGE_COLS, "travel_s") if c in result.villages.columns] + ["geometry"]
    ].copy()
    reach["travel_min"] = (reach["travel_s"] / 60).round(1)
    reach["covered_zh"] = reach["covered"].map({True: "达标", False: "未达标"})
    labelled = _labels(pd.DataFrame(reach[["kind", "nearest_station_tier"]]))
    reach["kind_zh"] = labelled["kind"]
    reach["tier_zh"] = labelled["nearest_station_tier"]
    gaps = result.gaps.copy()
    gaps["travel_min"] = (pd.to_numeric(gaps["travel_s"], errors="coerce") / 60).round(1)
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


def coverage_styles(result: CoverageResult) -> dict[str, LayerStyle]:
    """QGIS styles of :func:`coverage_layers`: villages in the map's travel classes (a
    third of the standard each, beyond it hatched red), gap sites, service areas."""
    std = result.standard
    limit = std.limit / 60 if std.is_time else std.limit
    field_ = "travel_min" if std.is_time else "travel_m"
    unit = "分钟" if std.is_time else "米"
    cuts = [0.0, limit / 3, 2 * limit / 3, limit]
    ranges = [
        Range(cuts[k], cuts[k + 1], f"{cuts[k]:g}–{cuts[k + 1]:g}{unit}", WITHIN_COLOURS[k])
        for k in range(3)
    ]
    ranges.append(
        Range(limit, 1e9, text("report.qgis.beyond", standard=std.label_zh), GAP_COLOUR, hatch=True)
    )
    aliases = {**_VILLAGE_COLS, "travel_s": "用时（秒）", "covered_zh": "是否达标（文字）",
               "kind_zh": "类型（中文）", "tier_zh": "站点层级（中文）"}  # fmt: skip
    return {
        "coverage_villages": LayerStyle(
            title=text("report.qgis.coverage_villages", standard=std.label_zh),
            aliases=aliases,
            classify=field_,
            ranges=ranges,
            values={"kind": {k.value: k.label_zh for k in VillageKind}},
        ),
        "coverage_gap_sites": LayerStyle(
            title=text("report.qgis.coverage_gap_sites"),
            aliases={**_GAP_COLS, "travel_s": "用时（秒）"},
            colour=GAP_COLOUR,
        ),
        "coverage_service_areas": LayerStyle(
            title=text("report.qgis.coverage_service_areas", standard=std.label_zh),
            aliases={"station_id": "站点编号", "name": "站点名称"},
            colour="#6baed6",
        ),
    }


def write_coverage(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    workspace: str | Path | None = None,
    context: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write the XLSX report, CSVs, summary JSON and (optionally) workspace layers.

    ``context`` (:func:`report_context`) names the county and the data date in the
    workbook's title block.

    Returns
    -------
    dict
        Paths written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = coverage_sheets(result)
    files = {
        "report": io.write_report(
            sheets, out / "coverage.xlsx", info=coverage_info(result, context)
        )
    }
    for key, sheet in (("villages", "村（社区）"), ("stations", "站点"), ("gaps", "缺口")):
        files[f"{key}_csv"] = io.write_table(sheets[sheet], out / f"coverage-{key}.csv")
    summary = out / "coverage-summary.json"
    # Strict JSON: a figure that is not a number (a village no station reaches) is null.
    summary.write_text(strict_json(result.summary, indent=2), encoding="utf-8")
    files["summary_json"] = summary
    if workspace is not None:
        files["workspace"] = io.write_result_layers(
            workspace, coverage_layers(result), styles=coverage_styles(result)
        )
    return files
