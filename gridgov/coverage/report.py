"""Coverage outputs people read: XLSX, CSV, JSON and workspace layers, in zh or en.

Turns a :class:`~gridgov.coverage.result.CoverageResult` into tables; writing files is done
with :mod:`gridgov.io` so encodings (UTF-8 with BOM for Excel) are handled in one place.
Every sheet name, header, summary label and value name is a ``report.*`` message, so a
``--lang en`` report is English throughout while the Chinese one reads as county offices
expect; the tables here map each result column to the message key of its header.
"""

from __future__ import annotations

import re
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
from gridgov.coverage.standard import ReachStandard
from gridgov.io._qgis import LayerStyle, Range
from gridgov.io._workbook import COUNT, MINUTES, PERCENT, ReportInfo
from gridgov.messages import current_lang, text, use_lang
from gridgov.model import CHINA_TIME, DeputyLevel, StationKind, StationTier, VillageKind, Workspace

__all__ = [
    "DEPUTY_COLUMNS",
    "by_level_words",
    "coverage_info",
    "coverage_layers",
    "coverage_sheets",
    "coverage_styles",
    "demand_basis",
    "enum_label",
    "headline",
    "labelled_table",
    "method_rows",
    "report_context",
    "standard_label",
    "standard_phrase",
    "write_coverage",
]

# Result column -> message key of its header (``report.col.*``).
_VILLAGE_COLS = {
    "code": "report.col.code",
    "name": "report.col.village",
    "township_code": "report.col.township_code",
    "kind": "report.col.village_kind",
    "population": "report.col.population",
    "nearest_station_id": "report.col.nearest_id",
    "nearest_station_name": "report.col.nearest",
    "nearest_station_tier": "report.col.nearest_tier",
    "travel_m": "report.col.travel_m",
    "travel_min": "report.col.travel_min",
    "covered": "report.col.covered",
    "population_covered": "report.col.population_covered",
    "share_covered": "report.col.share_covered",
    "has_station": "report.col.has_station",
    "meets_rule": "report.col.meets_rule",
}
_STATION_COLS = {
    "station_id": "report.col.station_id",
    "name": "report.col.station_name",
    "tier": "report.col.tier",
    "kind": "report.col.station_kind",
    "industry": "report.col.industry",
    "township_code": "report.col.township_code",
    "reception_day": "report.col.reception_day",
    "n_villages": "report.col.n_villages",
    "population_served": "report.col.population_served",
    "n_deputies": "report.col.n_deputies",
    "deputies_by_level": "report.col.deputies_by_level",
    "population_per_deputy": "report.col.population_per_deputy",
}
_GAP_COLS = {
    "rank": "report.col.rank",
    "code": "report.col.code",
    "name": "report.col.village",
    "township_code": "report.col.township_code",
    "population_uncovered": "report.col.population_uncovered",
    "nearest_station_id": "report.col.nearest_id",
    "nearest_station_name": "report.col.nearest",
    "travel_min": "report.col.travel_min",
    "travel_m": "report.col.travel_m",
    "new_site_lon": "report.col.new_site_lon",
    "new_site_lat": "report.col.new_site_lat",
    "new_site_source": "report.col.new_site_source",
    "new_site_population_covered": "report.col.new_site_population",
}
#: The deputy grouping table's headers (coverage and consolidation reports).
DEPUTY_COLUMNS = {
    "deputy_id": "report.col.deputy_id",
    "name": "report.col.deputy_name",
    "level": "report.col.deputy_level",
    "specialty": "report.col.specialty",
    "station_before": "report.col.deputy_station_before",
    "station_after": "report.col.deputy_station_after",
    "travel_min": "report.col.travel_min",
    "moved": "report.col.moved",
    "reason": "report.col.reason",
}


def enum_label(member: StationTier | StationKind | DeputyLevel | VillageKind) -> str:
    """A value's name in the current language (Chinese: the enum's ``label_zh``)."""
    return text(f"report.enum.{type(member).__name__}.{member.value}")


def _amount(std: ReachStandard) -> str:
    if std.is_time:
        return text("report.std.minutes", n=f"{std.limit / 60:g}")
    if std.limit >= 1000:
        return text("report.std.km", n=f"{std.limit / 1000:g}")
    return text("report.std.m", n=f"{std.limit:g}")


def standard_label(std: ReachStandard) -> str:
    """The standard's short form: ``电动车15分钟`` (its ``label_zh``) / ``15 min e-bike``."""
    return text("report.std.label", amount=_amount(std), mode=text(f"report.mode.{std.mode}"))


def standard_phrase(std: ReachStandard) -> str:
    """``15分钟出门即可达标准（电动车）`` / ``15 min reach standard (e-bike)``."""
    return text("report.std.phrase", amount=_amount(std), mode=text(f"report.mode.{std.mode}"))


def _method(method: str) -> str:
    """How travel was measured, in the words of the coverage report."""
    if method == "network":
        return text("report.method.network_long")
    if method == "straight-line":
        return text("report.method.straight_long")
    return method


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
        out[col] = out[col].map(
            lambda v, e=enum: enum_label(e(v)) if isinstance(v, str) and v else v
        )
    if "deputies_by_level" in out.columns:
        out["deputies_by_level"] = out["deputies_by_level"].map(by_level_words)
    # Every yes/no column reads 是/否 (yes/no) (covered, has_station, moved, kept, ...).
    yes_no = {True: text("report.book.yes"), False: text("report.book.no")}
    for col in out.columns:
        if _yes_no(out[col]):
            out[col] = out[col].map(yes_no)
    return out


_LEVEL_TOKEN = re.compile(r"^(\D+)(\d+)$")


def by_level_words(value: Any) -> Any:
    """``县1 乡镇7`` (the analysis writes deputies by level in Chinese short names) in the
    current language: ``county 1, township 7``; anything else as it is."""
    if not isinstance(value, str) or not value or current_lang() == "zh":
        return value
    short = {text(f"report.map.level.{lv.value}", "zh"): lv.value for lv in DeputyLevel}
    parts = []
    for token in value.split():
        match = _LEVEL_TOKEN.match(token)
        if match is None or match[1] not in short:
            return value
        level = text(f"report.map.level.{short[match[1]]}")
        parts.append(text("report.map.level_count", level=level, n=match[2]))
    return text("report.map.sep").join(parts)


def labelled_table(df: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``columns`` of ``df`` (column -> message key of its header) under headers in the
    current language: enum values and yes/no named in it too, ``travel_s`` also as
    ``travel_min``; geometry dropped. Shared by every report."""
    frame = _labels(_minutes(pd.DataFrame(df.drop(columns="geometry", errors="ignore"))))
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].rename(columns={c: text(columns[c]) for c in keep})


def _headers(columns: Mapping[str, str]) -> dict[str, str]:
    """Column -> header text in the current language (QGIS aliases)."""
    return {c: text(key) for c, key in columns.items()}


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
        standard=standard_label(result.standard),
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
        (text("report.book.standard"), standard_label(result.standard), None),
        (text("report.book.method"), _method(result.method), None),
        (text("report.cov.s_villages"), s["n_villages"], COUNT),
        (text("report.cov.s_covered"), s["villages_covered"], COUNT),
        (text("report.cov.s_share"), s["share_villages_covered"], PERCENT),
        (text("report.cov.s_rule"), s["villages_meeting_rule"], COUNT),
        (text("report.cov.s_population"), s["population"], COUNT),
        (text("report.cov.s_pop_covered"), s["population_covered"], COUNT),
        (text("report.cov.s_pop_share"), s["share_population_covered"], PERCENT),
        (text("report.cov.s_mean"), _min(s["mean_travel_s"]), MINUTES),
        (text("report.cov.s_p95"), _min(s["p95_travel_s"]), MINUTES),
        (
            text("report.cov.s_worst"),
            text("report.book.paren", text=worst["name"], note=worst["code"]),
            None,
        ),
        (text("report.cov.s_worst_mean"), _min(worst["travel_s"]), MINUTES),
        (text("report.cov.s_stations"), s["n_stations"], COUNT),
        (text("report.cov.s_gaps"), s["n_gaps"], COUNT),
    ]
    return _keyed(rows)


def method_rows(result: CoverageResult) -> pd.DataFrame:
    """方法说明: how the figures were computed, for whoever checks them."""
    s = result.summary
    std = result.standard
    rows: list[tuple[str, Any, str | None]] = [
        (
            text("report.book.standard"),
            text("report.book.std_code", label=standard_label(std), code=s["standard"]),
            None,
        ),
        (text("report.book.method"), _method(result.method), None),
        (text("report.book.demand"), demand_basis(result.demand), None),
        (
            text("report.cov.m_covered"),
            text("report.cov.m_covered_is", standard=standard_label(std)),
            None,
        ),
        (text("report.cov.m_mean"), text("report.cov.m_mean_is"), None),
        (text("report.cov.m_p95"), text("report.cov.m_p95_is"), None),
        (text("report.cov.m_rule"), text("report.cov.m_rule_is"), None),
        (text("report.cov.m_long_snaps"), s.get("long_snaps", 0), COUNT),
    ]
    return _keyed(rows)


def coverage_sheets(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """XLSX sheets: 概况, 村（社区）, 站点, 缺口, 代表编组, 方法说明 (no personal data);
    named in the current language (Summary, Villages, ... in English)."""
    return {
        text("report.tab.summary"): summary_rows(result),
        text("report.tab.villages"): labelled_table(result.villages, _VILLAGE_COLS),
        text("report.tab.stations"): labelled_table(result.stations, _STATION_COLS),
        text("report.tab.gaps"): labelled_table(result.gaps, _GAP_COLS),
        text("report.tab.deputies"): labelled_table(result.deputies, DEPUTY_COLUMNS),
        text("report.tab.method"): method_rows(result),
    }


def coverage_info(result: CoverageResult, context: Mapping[str, str] | None = None) -> ReportInfo:
    """The title block of the coverage workbook."""
    ctx = dict(context or {})
    county = ctx.get("county", "")
    return ReportInfo(
        title=text(
            "report.cov.title", county=county, standard=standard_label(result.standard)
        ).strip(),
        facts=[
            (text("report.book.conclusion"), headline(result)),
            (text("report.book.standard"), standard_label(result.standard)),
            (text("report.book.method"), _method(result.method)),
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
    with use_lang("zh"):  # the *_zh fields hold the Chinese whatever the report's language
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
    unit = "report.std.minutes" if std.is_time else "report.std.m"
    label = standard_label(std)
    cuts = [0.0, limit / 3, 2 * limit / 3, limit]
    ranges = [
        Range(cuts[k], cuts[k + 1], text(unit, n=f"{cuts[k]:g}–{cuts[k + 1]:g}"),
              WITHIN_COLOURS[k])
        for k in range(3)
    ]  # fmt: skip
    ranges.append(
        Range(limit, 1e9, text("report.qgis.beyond", standard=label), GAP_COLOUR, hatch=True)
    )
    aliases = _headers({**_VILLAGE_COLS, "travel_s": "report.col.travel_s",
                        "covered_zh": "report.col.covered_text", "kind_zh": "report.col.kind_text",
                        "tier_zh": "report.col.nearest_tier_text"})  # fmt: skip
    return {
        "coverage_villages": LayerStyle(
            title=text("report.qgis.coverage_villages", standard=label),
            aliases=aliases,
            classify=field_,
            ranges=ranges,
            values={"kind": {k.value: enum_label(k) for k in VillageKind}},
        ),
        "coverage_gap_sites": LayerStyle(
            title=text("report.qgis.coverage_gap_sites"),
            aliases=_headers({**_GAP_COLS, "travel_s": "report.col.travel_s"}),
            colour=GAP_COLOUR,
        ),
        "coverage_service_areas": LayerStyle(
            title=text("report.qgis.coverage_service_areas", standard=label),
            aliases=_headers(
                {"station_id": "report.col.station_id", "name": "report.col.station_name"}
            ),
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
    for key in ("villages", "stations", "gaps"):
        sheet = sheets[text(f"report.tab.{key}")]
        files[f"{key}_csv"] = io.write_table(sheet, out / f"coverage-{key}.csv")
    summary = out / "coverage-summary.json"
    # Strict JSON: a figure that is not a number (a village no station reaches) is null.
    summary.write_text(strict_json(result.summary, indent=2), encoding="utf-8")
    files["summary_json"] = summary
    if workspace is not None:
        files["workspace"] = io.write_result_layers(
            workspace, coverage_layers(result), styles=coverage_styles(result)
        )
    return files
