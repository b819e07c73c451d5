"""Consolidation outputs: XLSX with Chinese headers, CSV, JSON, the trade-off chart, layers.

Turns a :class:`~gridgov.coverage.plan.ConsolidationPlan` (and optionally its trade-off
curve) into files; encodings and atomic writes are :mod:`gridgov.io`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from gridgov import io
from gridgov._json import strict_json
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.report import DEPUTY_COLUMNS_ZH, chinese_table

__all__ = [
    "consolidation_layers",
    "consolidation_sheets",
    "curve_png",
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
    "full_coverage_feasible": "能否全部达标",
    "mean_travel_full_min": "全部达标下平均用时（分钟）",
    "max_travel_min": "最长用时（分钟）",
    "min_full_coverage": "全部达标所需最少站点数",
}


def _minutes(s: pd.Series) -> pd.Series:
    return (pd.to_numeric(s, errors="coerce") / 60).round(1)


def summary_rows(plan: ConsolidationPlan) -> pd.DataFrame:
    """The 概况 sheet: headline figures, then the solver's proof."""
    s = plan.summary
    sol = plan.solution
    rows: list[tuple[str, Any]] = [
        ("模型", s["model_zh"]),
        ("可达标准", s["standard_label"]),
        ("计算方法", "路网计算" if s["method"] == "network" else "直线距离×绕行系数估算"),
        ("调整前站点数", s["stations_before"]),
        ("调整后站点数", s["stations_after"]),
        ("其中必须保留", s["stations_kept_must"]),
        ("撤并站点数", s["stations_closed"]),
        ("新设站点数", s["stations_new"]),
        ("年运行经费节约（元）", s["annual_saving_yuan"]),
        ("村（社区）达标率（调整前）", s["share_villages_covered_before"]),
        ("村（社区）达标率（调整后）", s["share_villages_covered_after"]),
        ("人口达标率（调整前）", s["share_population_covered_before"]),
        ("人口达标率（调整后）", s["share_population_covered_after"]),
        ("失去覆盖的村（社区）数", s["villages_lost"]),
        ("任何方案都无法达标的村（社区）", "、".join(e["name"] for e in s["exceptions"]) or "无"),
        ("目标值", round(sol.objective, 2)),
        ("已证明的界", round(sol.bound, 2)),
        ("最优性差距", f"{sol.gap:.4%}"),
        ("是否证明最优", "是" if sol.proven else "否"),
        ("求解方法", sol.method),
        ("求解用时（秒）", round(sol.time_s, 2)),
    ]
    return pd.DataFrame(rows, columns=["项目", "数值"])


def consolidation_sheets(
    plan: ConsolidationPlan, curve: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 调整前后对比, 站点调整, 撤并去向, 村（社区）, 各乡镇站点, 代表编组,
    and 站点数权衡 when a curve is given (no personal data)."""
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
    sheets = {
        "概况": summary_rows(plan),
        "调整前后对比": ba,
        "站点调整": chinese_table(st, _STATION_COLS),
        "撤并去向": chinese_table(ab, _ABSORB_COLS),
        "村（社区）": chinese_table(vi, _VILLAGE_COLS),
        "各乡镇站点": chinese_table(plan.townships, _TOWNSHIP_COLS),
        "代表编组": chinese_table(dep, DEPUTY_COLUMNS_ZH),
    }
    if curve is not None and len(curve):
        sheets["站点数权衡"] = chinese_table(curve, _CURVE_COLS)
    return sheets


def consolidation_layers(plan: ConsolidationPlan) -> dict[str, gpd.GeoDataFrame]:
    """Workspace layers: plan_stations (points), plan_villages (polygons), plan_absorb
    (a line from each closed station to the one that absorbs it)."""
    st = plan.stations
    pos = dict(zip(st["station_id"], st.geometry, strict=True))
    lines = [
        LineString([pos[a], pos[b]]) if a in pos and b in pos else None
        for a, b in zip(plan.absorb["closed_id"], plan.absorb["into_id"], strict=True)
    ]
    absorb = gpd.GeoDataFrame(plan.absorb.copy(), geometry=lines, crs=st.crs)
    return {
        "plan_stations": st,
        "plan_villages": plan.villages,
        "plan_absorb": absorb,
    }


def curve_png(
    curve: pd.DataFrame, path: str | Path, *, target: int | None = None, title: str = ""
) -> Path:
    """Draw the trade-off curve: coverage and mean travel against the number of stations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = [
        f.name
        for f in font_manager.fontManager.ttflist
        if "CJK" in f.name or "Noto Sans SC" in f.name
    ]
    zh = bool(cjk)
    if zh:
        plt.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    label = (
        {"x": "站点数", "cov": "最多可达标人口比例（%）", "mean": "平均用时（分钟）",
         "full": "全部达标所需最少站点数", "target": "方案", "free": "不限覆盖", "kept": "全部达标"}
        if zh
        else {"x": "stations", "cov": "population within standard (%)", "mean": "mean travel (min)",
              "full": "fewest for full coverage", "target": "plan", "free": "free", "kept": "full coverage"}
    )  # fmt: skip
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    p = curve["p"].to_numpy()
    ax.plot(p, curve["share_population_covered"] * 100, "o-", color="#2166ac", label=label["cov"])
    ax.set_xlabel(label["x"])
    ax.set_ylabel(label["cov"], color="#2166ac")
    ax2 = ax.twinx()
    ax2.plot(
        p,
        curve["mean_travel_min"],
        "s--",
        color="#b2182b",
        label=f"{label['mean']}（{label['free']}）" if zh else f"{label['mean']} ({label['free']})",
    )
    full = pd.to_numeric(curve["mean_travel_full_min"], errors="coerce")
    ax2.plot(
        p,
        full,
        "^-",
        color="#d6604d",
        label=f"{label['mean']}（{label['kept']}）" if zh else f"{label['mean']} ({label['kept']})",
    )
    ax2.set_ylabel(label["mean"], color="#b2182b")
    need = int(curve["min_full_coverage"].iloc[0]) if len(curve) else None
    if need is not None:
        ax.axvline(need, color="#555555", ls=":", lw=1.2)
        ax.annotate(f"{label['full']} {need}", (need, ax.get_ylim()[0]), rotation=90,
                    va="bottom", ha="right", fontsize=8)  # fmt: skip
    if target is not None:
        ax.axvline(target, color="#1b7837", lw=1.5)
        ax.annotate(f"{label['target']} {target}", (target, ax.get_ylim()[1]), va="top",
                    ha="left", fontsize=9, color="#1b7837")  # fmt: skip
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center right", fontsize=8)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
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
) -> dict[str, Path]:
    """Write the XLSX report, CSVs, the plan JSON, the curve (CSV + PNG) and layers.

    Returns
    -------
    dict
        Paths written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = consolidation_sheets(plan, curve)
    files = {"report": io.write_xlsx(sheets, out / "consolidation.xlsx")}
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
            title=f"{plan.summary['standard_label']}",
        )  # fmt: skip
    if workspace is not None:
        files["workspace"] = io.write_result_layers(workspace, consolidation_layers(plan))
    return files
