"""Consolidation outputs: XLSX, CSV, JSON, the trade-off chart and layers, in zh or en.

Turns a :class:`~gridgov.coverage.plan.ConsolidationPlan` (and optionally its trade-off
curve) into files; encodings and atomic writes are :mod:`gridgov.io`'s. Every sheet name,
header and label is a ``report.*`` message (see :mod:`gridgov.coverage.report`), so
``--lang en`` gives an English workbook with the same figures and number formats.
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
from gridgov.coverage.report import (
    DEPUTY_COLUMNS,
    enum_label,
    labelled_table,
    standard_label,
)
from gridgov.coverage.standard import parse_standard
from gridgov.io._qgis import Category, LayerStyle
from gridgov.io._workbook import COUNT, DECIMAL, MINUTES, PERCENT, ReportInfo
from gridgov.messages import CATALOGUE, current_lang, text, use_lang
from gridgov.model import StationTier

__all__ = [
    "consolidation_info",
    "consolidation_layers",
    "consolidation_sheets",
    "consolidation_styles",
    "county_label",
    "curve_figure",
    "curve_png",
    "headline",
    "method_rows",
    "model_label",
    "plan_label",
    "solver_words",
    "write_consolidation",
]

_DECISIONS = ("kept (must)", "kept", "closed", "closed (must)", "new")
_CHANGES = ("lost", "gained", "same")

# Plan column -> message key of its header (``report.col.*``).
_STATION_COLS = {
    "station_id": "report.col.station_id",
    "name": "report.col.station_name",
    "tier": "report.col.tier",
    "township_code": "report.col.township_code",
    "decision_zh": "report.col.decision",
    "reason": "report.col.why",
    "absorbed_by": "report.col.into_id",
    "absorbed_by_name": "report.col.into",
    "absorb_min": "report.col.between_min",
    "villages_before": "report.col.villages_before",
    "villages_after": "report.col.villages_after",
    "population_before": "report.col.population_before",
    "population_after": "report.col.population_after",
    "deputies_before": "report.col.deputies_before",
    "deputies_after": "report.col.deputies_after",
}
_ABSORB_COLS = {
    "closed_id": "report.col.closed_id",
    "closed_name": "report.col.closed",
    "township_code": "report.col.township_code",
    "into_id": "report.col.into_id",
    "into_name": "report.col.into",
    "travel_min": "report.col.between_min",
    "n_villages": "report.col.moved_n_villages",
    "villages": "report.col.moved_villages",
    "n_grids": "report.col.moved_n_grids",
    "n_deputies": "report.col.moved_n_deputies",
    "population": "report.col.moved_population",
}
_VILLAGE_COLS = {
    "code": "report.col.code",
    "name": "report.col.village",
    "township_code": "report.col.township_code",
    "population": "report.col.population",
    "station_before": "report.col.station_before",
    "before_min": "report.col.before_min",
    "covered_before": "report.col.covered_before",
    "station_after": "report.col.station_after_id",
    "station_after_name": "report.col.station_after",
    "after_min": "report.col.after_min",
    "travel_m_after": "report.col.travel_m_after",
    "covered_after": "report.col.covered_after",
    "change_zh": "report.col.change",
}
_TOWNSHIP_COLS = {
    "township_code": "report.col.town_code",
    "township_name": "report.col.town_name",
    "before": "report.col.stations_before",
    "after": "report.col.stations_after",
    "kept_must": "report.col.kept_must",
    "closed": "report.col.n_closed",
    "new": "report.col.n_new",
}
_CURVE_COLS = {
    "p": "report.col.p",
    "share_population_covered": "report.col.curve_share",
    "population_covered": "report.col.curve_population",
    "villages_covered": "report.col.curve_villages",
    "mean_travel_min": "report.col.curve_mean",
    "full_coverage_feasible": "report.col.curve_feasible",
    "mean_travel_full_min": "report.col.curve_mean_full",
    "max_travel_min": "report.col.curve_max",
    "min_full_coverage": "report.col.curve_need",
}


def _decisions() -> dict[str, str]:
    """``decision`` code -> its words in the current language (必须保留, 撤并, ...)."""
    return {d: text(f"report.decision.{d}") for d in _DECISIONS}


def _changes() -> dict[str, str]:
    """``change`` code -> its words in the current language (失去覆盖, ...)."""
    return {c: text(f"report.change.{c}") for c in _CHANGES}


def _headers(columns: Mapping[str, str]) -> dict[str, str]:
    return {c: text(key) for c, key in columns.items()}


def model_label(s: Mapping[str, Any]) -> str:
    key = f"report.model.{s['model']}"
    return text(key) if key in CATALOGUE else str(s["model_zh"])


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


def plan_label(s: Mapping[str, Any]) -> str:
    """The planning standard in the current language (``s["standard_label"]`` is zh)."""
    return standard_label(parse_standard(s["standard"]))


def county_label(s: Mapping[str, Any]) -> str:
    """The county's own standard in the current language."""
    return standard_label(parse_standard(s["county_standard"]["standard"]))


def headline(plan: ConsolidationPlan) -> str:
    """The sentence a leader reads first: what the plan does to coverage under the
    county's own standard, then under the standard it was planned at."""
    s = plan.summary
    c = s["county_standard"]
    county = text(
        "report.plan.headline_county",
        standard=county_label(s),
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
    planned = text("report.plan.headline_planned", standard=plan_label(s), lost=s["villages_lost"])
    return stations + county + planned


def summary_rows(plan: ConsolidationPlan) -> pd.DataFrame:
    """The 概况 sheet: what a leader reads in a minute, every figure from ``plan.summary``
    (as in ``consolidation.json``); the solver's details are on 方法说明."""
    s = plan.summary
    c = s["county_standard"]
    cs, ps = county_label(s), plan_label(s)

    def row(key: str, value: Any, fmt: str | None, **values: Any) -> tuple[str, Any, str | None]:
        return text(f"report.plan.{key}", **values), value, fmt

    rows = [
        row("s_before", s["stations_before"], COUNT),
        row("s_after", s["stations_after"], COUNT),
        row("s_closed", s["stations_closed"], COUNT),
        row("s_new", s["stations_new"], COUNT),
        row("s_must", s["stations_kept_must"], COUNT),
        row("s_saving", s["annual_saving_yuan"], COUNT),
        row("s_c_before", c["villages_covered_before"], COUNT, standard=cs),
        row("s_c_after", c["villages_covered_after"], COUNT, standard=cs),
        row("s_c_lost", c["villages_lost"], COUNT, standard=cs),
        row("s_c_pop_before", c["share_population_covered_before"], PERCENT, standard=cs),
        row("s_c_pop_after", c["share_population_covered_after"], PERCENT, standard=cs),
    ]
    if not c["same_as_plan"]:
        rows += [
            row("s_p_before", s["share_villages_covered_before"], PERCENT, standard=ps),
            row("s_p_after", s["share_villages_covered_after"], PERCENT, standard=ps),
            row("s_p_lost", s["villages_lost"], COUNT, standard=ps),
            row("s_p_pop_before", s["share_population_covered_before"], PERCENT, standard=ps),
            row("s_p_pop_after", s["share_population_covered_after"], PERCENT, standard=ps),
        ]
    rows += [
        row("s_mean_before", _min(s["mean_travel_s_before"]), MINUTES),
        row("s_mean_after", _min(s["mean_travel_s_after"]), MINUTES),
        row("s_unreachable", len(s["exceptions"]), COUNT, standard=ps),
        row("s_quality", solver_words(s), None),
    ]
    return _keyed(rows)


def _method_words(method: str, *, short: bool = False) -> str:
    if method == "network":
        return text("report.method.network_long")
    return text("report.method.straight_short" if short else "report.method.straight_detour")


def method_rows(plan: ConsolidationPlan) -> pd.DataFrame:
    """方法说明: model, standards and the solver's proof, for whoever checks the plan."""
    s = plan.summary
    sol = plan.solution
    c = s["county_standard"]
    sep = text("report.book.sep")
    out_of_reach = sep.join(e["name"] for e in s["exceptions"]) or text("report.book.none")
    proven = text("report.book.yes") if sol.proven else text("report.book.no")
    ps = plan_label(s)
    rows: list[tuple[str, Any, str | None]] = [
        (text("report.plan.m_model"), model_label(s), None),
        (
            text("report.plan.standard"),
            text("report.book.std_code", label=ps, code=s["standard"]),
            None,
        ),
        (
            text("report.book.county_standard"),
            text("report.book.std_code", label=county_label(s), code=c["standard"]),
            None,
        ),
        (text("report.book.method"), _method_words(s["method"]), None),
        (text("report.plan.m_unreachable", standard=ps), out_of_reach, None),
        (text("report.plan.m_note"), text("report.plan.m_out_of_reach"), None),
        (text("report.plan.m_objective"), round(sol.objective, 1), DECIMAL),
        (text("report.plan.m_bound"), round(sol.bound, 1), DECIMAL),
        (text("report.plan.m_gap"), sol.gap if np.isfinite(sol.gap) else None, "0.000%"),
        (text("report.plan.m_proven"), proven, None),
        (text("report.plan.s_quality"), solver_words(s), None),
        (text("report.plan.m_status"), sol.status, None),
        (text("report.plan.m_solver"), sol.method, None),
        (text("report.plan.m_time"), round(sol.time_s, 2), "0.00"),
    ]
    return _keyed(rows)


def _lost_sheet(plan: ConsolidationPlan) -> pd.DataFrame:
    rows = plan.summary["county_standard"]["lost"]
    return pd.DataFrame(
        {
            text("report.col.code"): [r["code"] for r in rows],
            text("report.brief.lost_name"): [r["name"] for r in rows],
            text("report.brief.lost_pop"): [r["population"] for r in rows],
            text("report.brief.lost_beyond"): [r["population_beyond_after"] for r in rows],
            text("report.brief.lost_min"): [r["mean_travel_min_after"] for r in rows],
            text("report.brief.lost_station"): [r["station_after"] for r in rows],
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
        (text("report.plan.standard"), plan_label(s)),
        (text("report.book.county_standard"), county_label(s)),
        (text("report.book.method"), _method_words(s["method"], short=True)),
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
            standard=plan_label(s),
            county_standard=county_label(s),
        ).strip(),
        facts=facts,
    )


def consolidation_sheets(
    plan: ConsolidationPlan, curve: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 县定标准下失去覆盖 (when the plan loses villages under the
    county's standard), 调整前后对比, 站点调整, 撤并去向, 村（社区）, 各乡镇站点, 代表编组,
    站点数权衡 when a curve is given, and 方法说明 (no personal data); named in the
    current language (Summary, Lost at county standard, ... in English)."""
    st = plan.stations.copy()
    st["decision_zh"] = st["decision"].map(_decisions())
    st["absorb_min"] = _minutes(st["absorb_travel_s"])
    ab = plan.absorb
    vi = plan.villages.assign(
        before_min=_minutes(plan.villages["travel_s_before"]),
        after_min=_minutes(plan.villages["travel_s_after"]),
        change_zh=plan.villages["change"].map(_changes()),
    )
    dep = plan.deputies
    ba = plan.before_after
    labels = [
        text(f"report.ba.{i}") if f"report.ba.{i}" in CATALOGUE else str(zh)
        for i, zh in zip(ba["indicator"], ba["label_zh"], strict=True)
    ]
    ba = pd.DataFrame(
        {
            text("report.book.item"): labels,
            text("report.col.before"): ba["before"].to_numpy(dtype=object),
            text("report.col.after"): ba["after"].to_numpy(dtype=object),
            text("report.col.delta"): ba["change"].to_numpy(dtype=object),
        }
    )
    tab = {k: text(f"report.tab.{k}") for k in ("summary", "lost", "before_after",
           "station_changes", "absorb", "villages", "townships", "deputies", "curve", "method")}  # fmt: skip
    sheets = {tab["summary"]: summary_rows(plan)}
    if plan.summary["county_standard"]["villages_lost"]:
        # a plan that loses villages under the county's own standard says which, first
        sheets[tab["lost"]] = _lost_sheet(plan)
    sheets |= {
        tab["before_after"]: ba,
        tab["station_changes"]: labelled_table(st, _STATION_COLS),
        tab["absorb"]: labelled_table(ab, _ABSORB_COLS),
        tab["villages"]: labelled_table(vi, _VILLAGE_COLS),
        tab["townships"]: labelled_table(plan.townships, _TOWNSHIP_COLS),
        tab["deputies"]: labelled_table(dep, DEPUTY_COLUMNS),
    }
    if curve is not None and len(curve):
        sheets[tab["curve"]] = labelled_table(curve, _CURVE_COLS)
    sheets[tab["method"]] = method_rows(plan)
    return sheets


def consolidation_layers(plan: ConsolidationPlan) -> dict[str, gpd.GeoDataFrame]:
    """Workspace layers: plan_stations (points), plan_villages (polygons), plan_absorb
    (a line from each closed station to the one that absorbs it); minutes beside seconds
    and the Chinese of every decision and change beside its code."""
    st = plan.stations.copy()
    with use_lang("zh"):  # the *_zh fields hold the Chinese whatever the report's language
        decisions, changes = _decisions(), _changes()
    st["decision_zh"] = st["decision"].map(decisions)
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
        change_zh=plan.villages["change"].map(changes),
        before_min=_minutes(plan.villages["travel_s_before"]),
        after_min=_minutes(plan.villages["travel_s_after"]),
    )
    return {"plan_stations": st, "plan_villages": villages, "plan_absorb": absorb}


def consolidation_styles(plan: ConsolidationPlan) -> dict[str, LayerStyle]:
    """QGIS styles of :func:`consolidation_layers`, in the consolidation map's colours:
    kept stations blue (must-keep dark), closed grey, new orange; villages that lose
    coverage purple and hatched, that gain it blue."""
    std = standard_label(plan.standard)
    decision, change = _decisions(), _changes()
    decisions = [
        Category("kept (must)", decision["kept (must)"], "#08306b", "star", 5.0),
        Category("kept", decision["kept"], "#2171b5", "circle", 3.2),
        Category("closed", decision["closed"], "#a3a3a3", "circle", 2.6),
        Category("closed (must)", decision["closed (must)"], "#737373", "circle", 2.6),
        Category("new", decision["new"], "#f16913", "square", 3.6),
    ]
    changes = [
        Category("lost", change["lost"], "#7a0177", hatch=True),
        Category("gained", change["gained"], "#2166ac"),
        Category("same", change["same"], "#d9d9d9"),
    ]
    return {
        "plan_stations": LayerStyle(
            title=text("report.qgis.plan_stations", standard=std),
            aliases=_headers(
                {
                    **_STATION_COLS,
                    "decision": "report.col.decision_code",
                    "kind": "report.col.station_kind",
                    "industry": "report.col.industry",
                    "kept": "report.col.kept",
                    "new_site": "report.col.new_site",
                    "absorb_travel_s": "report.col.between_s",
                    "tier_zh": "report.col.tier_text",
                }
            ),
            classify="decision",
            categories=decisions,
            values={"decision": decision, "tier": {t.value: enum_label(t) for t in StationTier}},
        ),
        "plan_villages": LayerStyle(
            title=text("report.qgis.plan_villages", standard=std),
            aliases=_headers(
                {
                    **_VILLAGE_COLS,
                    "station_before": "report.col.station_before_id",
                    "travel_s_before": "report.col.before_s",
                    "travel_s_after": "report.col.after_s",
                    "change": "report.col.change_code",
                }
            ),
            classify="change",
            categories=changes,
            values={"change": change},
        ),
        "plan_absorb": LayerStyle(
            title=text("report.qgis.plan_absorb"),
            aliases=_headers(
                {
                    **_ABSORB_COLS,
                    "closed_tier": "report.col.closed_tier",
                    "travel_s": "report.col.between_s",
                }
            ),
            colour="#252525",
        ),
    }


_CHART_KEYS = ("x", "cov", "mean_axis", "mean_free", "mean_full", "full", "target")


def curve_figure(
    curve: pd.DataFrame, *, target: int | None = None, title: str = "", lang: str | None = None
) -> tuple[Any, CjkFont | None]:
    """The trade-off chart as a matplotlib figure, and the Chinese font it is drawn with.

    Labels are in ``lang`` (default the current language); Chinese ones only when an
    installed font covers every character of them and the title
    (:func:`gridgov._fonts.cjk_font`), else English. An English chart is drawn with that
    font when its title names a Chinese county, and without the title when none exists. The two reference lines (the
    fewest stations for full coverage, the plan) are named in the legend below the plot,
    never written over the markers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = current_lang() if lang is None else lang
    label = {k: text(f"report.chart.{k}", chosen) for k in _CHART_KEYS}
    # an English chart still names a Chinese county in its title: it needs the font too
    wanted = title + "".join(label.values()) if chosen == "zh" else title
    font = cjk_font(wanted) if not wanted.isascii() else None
    if font is None and chosen == "zh":
        label = {k: text(f"report.chart.{k}", "en") for k in _CHART_KEYS}
        title = ""
    elif font is None and not title.isascii():
        title = ""  # boxes for the county's name would be worse than no title
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
    for key, tab in (
        ("stations", "station_changes"),
        ("absorb", "absorb"),
        ("villages", "villages"),
    ):
        sheet = sheets[text(f"report.tab.{tab}")]
        files[f"{key}_csv"] = io.write_table(sheet, out / f"consolidation-{key}.csv")
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
        curve_sheet = sheets[text("report.tab.curve")]
        files["curve_csv"] = io.write_table(curve_sheet, out / "consolidation-curve.csv")
        files["curve_png"] = curve_png(
            curve, out / "consolidation-curve.png", target=plan.target,
            title=text(
                "report.chart.title",
                county=(context or {}).get("county", ""),
                standard=plan_label(plan.summary),
            ).strip(),
        )  # fmt: skip
    if workspace is not None:
        files["workspace"] = io.write_result_layers(
            workspace, consolidation_layers(plan), styles=consolidation_styles(plan)
        )
    return files
