"""Consolidation outputs: XLSX with Chinese headers, CSV, JSON, the trade-off chart, layers.

Turns a :class:`~gridgov.coverage.plan.ConsolidationPlan` (and optionally its trade-off
curve) into files; encodings and atomic writes are :mod:`gridgov.io`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from gridgov import io
from gridgov._fonts import CjkFont, cjk_font
from gridgov._json import strict_json
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.report import DEPUTY_COLUMNS_ZH, chinese_table
from gridgov.io._qgis import Category, LayerStyle
from gridgov.io._workbook import COUNT, DECIMAL, MINUTES, PERCENT, ReportInfo
from gridgov.messages import current_lang, text
from gridgov.model import StationTier

__all__ = [
    "consolidation_info",
    "consolidation_layers",
    "consolidation_sheets",
    "consolidation_styles",
    "curve_figure",
    "curve_png",
    "headline",
    "method_rows",
    "solver_words",
    "write_consolidation",
]

_DECISION_ZH = {
    "kept (must)": "必须保留",
    "kept": "保留",
    "closed": "撤并",
    "closed (must)": "按要求撤并",
    "new": "新设",
}
_CHANGE_ZH = {"lost": "失去覆盖", "gained": "新增覆盖", "same": "不变"}

_STATION_COLS = {
    "station_id": "站点编号",
    "name": "站点名称",
    "tier": "层级",
    "township_code": "所属乡镇代码",
    "decision_zh": "调整结果",
    "reason": "理由",
    "absorbed_by": "并入站点编号",
    "absorbed_by_name": "并入站点",
    "absorb_min": "两站间用时（分钟）",
    "villages_before": "调整前服务村（社区）数",
    "villages_after": "调整后服务村（社区）数",
    "population_before": "调整前服务人口",
    "population_after": "调整后服务人口",
    "deputies_before": "调整前代表数",
    "deputies_after": "调整后代表数",
}
_ABSORB_COLS = {
    "closed_id": "撤并站点编号",
    "closed_name": "撤并站点",
    "township_code": "所属乡镇代码",
    "into_id": "并入站点编号",
    "into_name": "并入站点",
    "travel_min": "两站间用时（分钟）",
    "n_villages": "转入村（社区）数",
    "villages": "转入村（社区）",
    "n_grids": "转入网格数",
    "n_deputies": "转入代表数",
    "population": "转入人口",
}
_VILLAGE_COLS = {
    "code": "区划代码",
    "name": "村（社区）",
    "township_code": "所属乡镇代码",
    "population": "人口",
    "station_before": "调整前站点",
    "before_min": "调整前用时（分钟）",
    "covered_before": "调整前达标",
    "station_after": "调整后站点编号",
    "station_after_name": "调整后站点",
    "after_min": "调整后用时（分钟）",
    "travel_m_after": "调整后路程（米）",
    "covered_after": "调整后达标",
    "change_zh": "覆盖变化",
}
_TOWNSHIP_COLS = {
    "township_code": "乡镇代码",
    "township_name": "乡镇（街道）",
    "before": "调整前站点数",
    "after": "调整后站点数",
    "kept_must": "必须保留",
    "closed": "撤并",
    "new": "新设",
}
_CURVE_COLS = {
    "p": "站点数",
    "share_population_covered": "最多可达标人口比例",
    "population_covered": "最多可达标人口",
    "villages_covered": "达标村（社区）数",
    "mean_travel_min": "最短人口加权平均用时（分钟）",
    "full_coverage_feasible": "能否覆盖全部可达村（社区）",
    "mean_travel_full_min": "全部可达村（社区）达标时平均用时（分钟）",
    "max_travel_min": "最远居民点用时（分钟）",
    "min_full_coverage": "全部可达村（社区）达标所需最少站点数",
}


def _minutes(s: pd.Series) -> pd.Series:
    return (pd.to_numeric(s, errors="coerce") / 60).round(1)


def _keyed(rows: Sequence[tuple[str, Any, str | None]]) -> pd.DataFrame:
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


def solver_words(summary: Mapping[str, Any]) -> str:
    """The solver's result in words a leader reads: proven optimal, or within how much of
    the best possible (the same words on the console, the workbook and the map)."""
    if summary["proven_optimal"]:
        return text("report.plan.solver_proven")
    gap = summary["gap"]
    if gap is None or not np.isfinite(gap):
        return text("report.plan.solver_unbounded")
    return text("report.plan.solver_gap", gap=f"{gap:.2%}")


def headline(plan: ConsolidationPlan) -> str:
    """The sentence a leader reads first: what the plan does to coverage under the
    county's own standard, then under the standard it was planned at."""
    s = plan.summary
    c = s["county_standard"]
    county = text(
        "report.plan.headline_county",
        standard=c["standard_label"],
        before=c["villages_covered_before"],
        after=c["villages_covered_after"],
        lost=c["villages_lost"],
        pop_before=f"{c['share_population_covered_before']:.1%}",
        pop_after=f"{c['share_population_covered_after']:.1%}",
    )
    stations = text(
        "report.plan.headline_stations",
        before=s["stations_before"],
        after=s["stations_after"],
        closed=s["stations_closed"],
        saving=f"{s['annual_saving_yuan']:,}",
    )
    if c["same_as_plan"]:
        return stations + county
    planned = text(
        "report.plan.headline_planned", standard=s["standard_label"], lost=s["villages_lost"]
    )
    return stations + county + planned


def summary_rows(plan: ConsolidationPlan) -> pd.DataFrame:
    """The 概况 sheet: what a leader reads in a minute, every figure from ``plan.summary``
    (as in ``consolidation.json``); the solver's details are on 方法说明."""
    s = plan.summary
    c = s["county_standard"]
    cs, ps = c["standard_label"], s["standard_label"]
    rows: list[tuple[str, Any, str | None]] = [
        ("调整前站点数", s["stations_before"], COUNT),
        ("调整后站点数", s["stations_after"], COUNT),
        ("撤并站点数", s["stations_closed"], COUNT),
        ("新设站点数", s["stations_new"], COUNT),
        ("其中必须保留", s["stations_kept_must"], COUNT),
        ("年运行经费节约（元）", s["annual_saving_yuan"], COUNT),
        (f"按县定标准（{cs}）达标村（社区）数：调整前", c["villages_covered_before"], COUNT),
        (f"按县定标准（{cs}）达标村（社区）数：调整后", c["villages_covered_after"], COUNT),
        (f"按县定标准（{cs}）失去覆盖的村（社区）数", c["villages_lost"], COUNT),
        (f"按县定标准（{cs}）人口达标率：调整前", c["share_population_covered_before"], PERCENT),
        (f"按县定标准（{cs}）人口达标率：调整后", c["share_population_covered_after"], PERCENT),
    ]
    if not c["same_as_plan"]:
        rows += [
            (f"按规划标准（{ps}）村（社区）达标率：调整前", s["share_villages_covered_before"], PERCENT),
            (f"按规划标准（{ps}）村（社区）达标率：调整后", s["share_villages_covered_after"], PERCENT),
            (f"按规划标准（{ps}）失去覆盖的村（社区）数", s["villages_lost"], COUNT),
            (f"按规划标准（{ps}）人口达标率：调整前", s["share_population_covered_before"], PERCENT),
            (f"按规划标准（{ps}）人口达标率：调整后", s["share_population_covered_after"], PERCENT),
        ]  # fmt: skip
    rows += [
        ("人口加权平均用时（分钟）：调整前", _min(s["mean_travel_s_before"]), MINUTES),
        ("人口加权平均用时（分钟）：调整后", _min(s["mean_travel_s_after"]), MINUTES),
        (f"任何站点都无法在{ps}内到达的村（社区）数", len(s["exceptions"]), COUNT),
        ("方案质量", solver_words(s), None),
    ]
    return _keyed(rows)


def method_rows(plan: ConsolidationPlan) -> pd.DataFrame:
    """方法说明: model, standards and the solver's proof, for whoever checks the plan."""
    s = plan.summary
    sol = plan.solution
    c = s["county_standard"]
    out_of_reach = "、".join(e["name"] for e in s["exceptions"]) or text("report.book.none")
    rows: list[tuple[str, Any, str | None]] = [
        ("模型", s["model_zh"], None),
        ("规划标准", f"{s['standard_label']}（{s['standard']}）", None),
        ("县定标准", f"{c['standard_label']}（{c['standard']}）", None),
        ("计算方法", "路网计算" if s["method"] == "network" else "直线距离×绕行系数估算", None),
        (f"任何站点都无法在{s['standard_label']}内到达的村（社区）", out_of_reach, None),
        ("说明", text("report.plan.m_out_of_reach"), None),
        ("目标值（人口×用时之和，人·秒）", round(sol.objective, 1), DECIMAL),
        ("已证明的下界", round(sol.bound, 1), DECIMAL),
        ("最优性差距", sol.gap if np.isfinite(sol.gap) else None, "0.000%"),
        ("是否证明最优", "是" if sol.proven else "否", None),
        ("方案质量", solver_words(s), None),
        ("求解器状态", sol.status, None),
        ("求解方法", sol.method, None),
        ("求解用时（秒）", round(sol.time_s, 2), "0.00"),
    ]
    return _keyed(rows)


def _lost_sheet(plan: ConsolidationPlan) -> pd.DataFrame:
    rows = plan.summary["county_standard"]["lost"]
    return pd.DataFrame(
        {
            "区划代码": [r["code"] for r in rows],
            "村（社区）": [r["name"] for r in rows],
            "人口": [r["population"] for r in rows],
            "调整后超出标准的人口": [r["population_beyond_after"] for r in rows],
            "调整后平均用时（分钟）": [r["mean_travel_min_after"] for r in rows],
            "调整后最近站点": [r["station_after"] for r in rows],
        }
    )


def consolidation_info(
    plan: ConsolidationPlan, context: Mapping[str, str] | None = None
) -> ReportInfo:
    """The title block of the consolidation workbook: the standards named first."""
    ctx = dict(context or {})
    s = plan.summary
    facts = [
        (text("report.book.conclusion"), headline(plan)),
        (text("report.plan.standard"), s["standard_label"]),
        (text("report.book.county_standard"), s["county_standard"]["standard_label"]),
        (text("report.book.method"), "路网计算" if s["method"] == "network" else "直线距离估算"),
    ]
    if ctx.get("demand"):
        facts.append((text("report.book.demand"), ctx["demand"]))
    facts.append((text("report.book.data_date"), ctx.get("data_date", "") or "—"))
    return ReportInfo(
        title=text(
            "report.plan.title",
            county=ctx.get("county", ""),
            before=s["stations_before"],
            after=s["stations_after"],
            standard=s["standard_label"],
            county_standard=s["county_standard"]["standard_label"],
        ).strip(),
        facts=facts,
    )


def consolidation_sheets(
    plan: ConsolidationPlan, curve: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 县定标准下失去覆盖 (when the plan loses villages under the
    county's standard), 调整前后对比, 站点调整, 撤并去向, 村（社区）, 各乡镇站点, 代表编组,
    站点数权衡 when a curve is given, and 方法说明 (no personal data)."""
    st = plan.stations.copy()
    st["decision_zh"] = st["decision"].map(_DECISION_ZH)
    st["absorb_min"] = _minutes(st["absorb_travel_s"])
    ab = plan.absorb
    vi = plan.villages.assign(
        before_min=_minutes(plan.villages["travel_s_before"]),
        after_min=_minutes(plan.villages["travel_s_after"]),
        change_zh=plan.villages["change"].map(_CHANGE_ZH),
    )
    dep = plan.deputies
    ba = plan.before_after.rename(
        columns={"label_zh": "指标", "before": "调整前", "after": "调整后", "change": "变化"}
    ).drop(columns="indicator")
    sheets = {"概况": summary_rows(plan)}
    if plan.summary["county_standard"]["villages_lost"]:
        # a plan that loses villages under the county's own standard says which, first
        sheets["县定标准下失去覆盖"] = _lost_sheet(plan)
    sheets |= {
        "调整前后对比": ba,
        "站点调整": chinese_table(st, _STATION_COLS),
        "撤并去向": chinese_table(ab, _ABSORB_COLS),
        "村（社区）": chinese_table(vi, _VILLAGE_COLS),
        "各乡镇站点": chinese_table(plan.townships, _TOWNSHIP_COLS),
        "代表编组": chinese_table(dep, DEPUTY_COLUMNS_ZH),
    }
    if curve is not None and len(curve):
        sheets["站点数权衡"] = chinese_table(curve, _CURVE_COLS)
    sheets["方法说明"] = method_rows(plan)
    return sheets


def consolidation_layers(plan: ConsolidationPlan) -> dict[str, gpd.GeoDataFrame]:
    """Workspace layers: plan_stations (points), plan_villages (polygons), plan_absorb
    (a line from each closed station to the one that absorbs it); minutes beside seconds
    and the Chinese of every decision and change beside its code."""
    st = plan.stations.copy()
    st["decision_zh"] = st["decision"].map(_DECISION_ZH)
    st["tier_zh"] = st["tier"].map(lambda v: StationTier(v).label_zh if isinstance(v, str) else v)
    st["absorb_min"] = _minutes(st["absorb_travel_s"])
    pos = dict(zip(st["station_id"], st.geometry, strict=True))
    lines = [
        LineString([pos[a], pos[b]]) if a in pos and b in pos else None
        for a, b in zip(plan.absorb["closed_id"], plan.absorb["into_id"], strict=True)
    ]
    absorb = gpd.GeoDataFrame(plan.absorb.copy(), geometry=lines, crs=st.crs)
    absorb["travel_min"] = _minutes(absorb["travel_s"])
    villages = plan.villages.assign(
        change_zh=plan.villages["change"].map(_CHANGE_ZH),
        before_min=_minutes(plan.villages["travel_s_before"]),
        after_min=_minutes(plan.villages["travel_s_after"]),
    )
    return {"plan_stations": st, "plan_villages": villages, "plan_absorb": absorb}


def consolidation_styles(plan: ConsolidationPlan) -> dict[str, LayerStyle]:
    """QGIS styles of :func:`consolidation_layers`, in the consolidation map's colours:
    kept stations blue (must-keep dark), closed grey, new orange; villages that lose
    coverage purple and hatched, that gain it blue."""
    std = plan.standard.label_zh
    decisions = [
        Category("kept (must)", _DECISION_ZH["kept (must)"], "#08306b", "star", 5.0),
        Category("kept", _DECISION_ZH["kept"], "#2171b5", "circle", 3.2),
        Category("closed", _DECISION_ZH["closed"], "#a3a3a3", "circle", 2.6),
        Category("closed (must)", _DECISION_ZH["closed (must)"], "#737373", "circle", 2.6),
        Category("new", _DECISION_ZH["new"], "#f16913", "square", 3.6),
    ]
    changes = [
        Category("lost", _CHANGE_ZH["lost"], "#7a0177", hatch=True),
        Category("gained", _CHANGE_ZH["gained"], "#2166ac"),
        Category("same", _CHANGE_ZH["same"], "#d9d9d9"),
    ]
    return {
        "plan_stations": LayerStyle(
            title=text("report.qgis.plan_stations", standard=std),
            aliases={
                **_STATION_COLS,
                "decision": "调整结果（代码）",
                "kind": "类别",
                "industry": "行业",
                "kept": "是否保留",
                "new_site": "是否新设",
                "absorb_travel_s": "两站间用时（秒）",
                "tier_zh": "层级（中文）",
            },
            classify="decision",
            categories=decisions,
            values={"decision": _DECISION_ZH, "tier": {t.value: t.label_zh for t in StationTier}},
        ),
        "plan_villages": LayerStyle(
            title=text("report.qgis.plan_villages", standard=std),
            aliases={
                **_VILLAGE_COLS,
                "station_before": "调整前站点编号",
                "travel_s_before": "调整前用时（秒）",
                "travel_s_after": "调整后用时（秒）",
                "change": "覆盖变化（代码）",
            },
            classify="change",
            categories=changes,
            values={"change": _CHANGE_ZH},
        ),
        "plan_absorb": LayerStyle(
            title=text("report.qgis.plan_absorb"),
            aliases={**_ABSORB_COLS, "closed_tier": "撤并站点层级", "travel_s": "两站间用时（秒）"},
            colour="#252525",
        ),
    }


_CHART_KEYS = ("x", "cov", "mean_axis", "mean_free", "mean_full", "full", "target")


def curve_figure(
    curve: pd.DataFrame, *, target: int | None = None, title: str = "", lang: str | None = None
) -> tuple[Any, CjkFont | None]:
    """The trade-off chart as a matplotlib figure, and the Chinese font it is drawn with.

    Labels are Chinese when an installed font covers every character of them and the
    title (:func:`gridgov._fonts.cjk_font`), else English. The two reference lines (the
    fewest stations for full coverage, the plan) are named in the legend below the plot,
    never written over the markers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = current_lang() if lang is None else lang
    label = {k: text(f"report.chart.{k}", chosen) for k in _CHART_KEYS}
    font = cjk_font(title + "".join(label.values())) if chosen == "zh" else None
    if font is None and chosen == "zh":
        label = {k: text(f"report.chart.{k}", "en") for k in _CHART_KEYS}
        title = ""
    rc: Any = {"axes.unicode_minus": False}
    if font is not None:
        from matplotlib import font_manager

        if font.name not in {e.name for e in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(str(font.path))
        # a concrete family list, not "sans-serif": texts keep it when drawn after the
        # context (savefig), whatever the caller's rcParams say then
        rc |= {"font.family": [font.name, "DejaVu Sans"]}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(9, 5.4), dpi=130)
        p = curve["p"].to_numpy()
        ax.plot(
            p, curve["share_population_covered"] * 100, "o-", color="#2166ac", label=label["cov"]
        )
        ax.set_xlabel(label["x"])
        ax.set_ylabel(label["cov"], color="#2166ac")
        ax2 = ax.twinx()
        ax2.plot(p, curve["mean_travel_min"], "s--", color="#b2182b", label=label["mean_free"])
        full = pd.to_numeric(curve["mean_travel_full_min"], errors="coerce")
        ax2.plot(p, full, "^-", color="#d6604d", label=label["mean_full"])
        ax2.set_ylabel(label["mean_axis"], color="#b2182b")
        need = int(curve["min_full_coverage"].iloc[0]) if len(curve) else None
        if need is not None:
            ax.axvline(need, color="#555555", ls=":", lw=1.4, label=f"{label['full']}: {need}")
        if target is not None:
            ax.axvline(target, color="#1b7837", lw=1.8, label=f"{label['target']}: {target}")
        handles, names = ax.get_legend_handles_labels()
        handles2, names2 = ax2.get_legend_handles_labels()
        # below the axes, in two columns: nothing is drawn over the curve's markers
        fig.legend(handles + handles2, names + names2, loc="lower center", ncol=2,
                   fontsize=8.5, frameon=False)  # fmt: skip
        if title:
            ax.set_title(title, fontsize=12)
        ax.grid(alpha=0.3)
        fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig, font


def curve_png(
    curve: pd.DataFrame, path: str | Path, *, target: int | None = None, title: str = ""
) -> Path:
    """Draw the trade-off curve (coverage and mean travel against the number of
    stations) to a PNG; see :func:`curve_figure`."""
    import matplotlib.pyplot as plt

    fig, _ = curve_figure(curve, target=target, title=title)
    target_path = Path(path)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target_path)
    plt.close(fig)
    return target_path


def write_consolidation(
    plan: ConsolidationPlan,
    out_dir: str | Path,
    *,
    curve: pd.DataFrame | None = None,
    workspace: str | Path | None = None,
    context: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write the XLSX report, CSVs, the plan JSON, the curve (CSV + PNG) and layers.

    ``context`` (:func:`~gridgov.coverage.report.report_context`) names the county, the
    demand basis and the data date in the title block and the chart's title.

    Returns
    -------
    dict
        Paths written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = consolidation_sheets(plan, curve)
    files = {
        "report": io.write_report(
            sheets, out / "consolidation.xlsx", info=consolidation_info(plan, context)
        )
    }
    for key, sheet in (
        ("stations", "站点调整"),
        ("absorb", "撤并去向"),
        ("villages", "村（社区）"),
    ):
        files[f"{key}_csv"] = io.write_table(sheets[sheet], out / f"consolidation-{key}.csv")
    payload = {
        "summary": plan.summary,
        "kept": plan.stations.loc[plan.stations["kept"], "station_id"].tolist(),
        "closed": plan.absorb[["closed_id", "into_id"]].to_dict(orient="records"),
        "before_after": plan.before_after.drop(columns="label_zh").to_dict(orient="records"),
    }
    path = out / "consolidation.json"
    # Strict JSON: NaN and infinities (no station within reach, no bound yet) are null.
    path.write_text(strict_json(payload, indent=2), encoding="utf-8")
    files["json"] = path
    if curve is not None and len(curve):
        files["curve_csv"] = io.write_table(sheets["站点数权衡"], out / "consolidation-curve.csv")
        files["curve_png"] = curve_png(
            curve, out / "consolidation-curve.png", target=plan.target,
            title=text(
                "report.chart.title",
                county=(context or {}).get("county", ""),
                standard=plan.summary["standard_label"],
            ).strip(),
        )  # fmt: skip
    if workspace is not None:
        files["workspace"] = io.write_result_layers(
            workspace, consolidation_layers(plan), styles=consolidation_styles(plan)
        )
    return files
