"""The region's own outputs: a workbook with one row per county and the totals, a CSV, and
the JSON summary, from the counties' outcomes (never from their full tables: the region's
figures are sums of the counties', so a national run gathers 2,791 rows, not 600,000).

Shares in the totals row are recomputed from the summed counts (the share of the region's
villages covered), not averaged over counties; the mean travel time is weighted by
population; a percentile cannot be summed and is left blank there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from gridgov import io
from gridgov._json import strict_json
from gridgov.messages import text
from gridgov.model import CHINA_TIME
from gridgov.region._run import RegionRun

__all__ = ["region_rows", "region_totals", "write_region"]

# Column headers of the county sheet, as the office reads them.
_COVERAGE_ZH = {
    "code": "区划代码",
    "name": "县（市、区）",
    "villages": "村（社区）数",
    "population": "人口",
    "stations": "站点数",
    "villages_covered": "可达村（社区）",
    "share_villages_covered": "村（社区）覆盖率",
    "population_covered": "可达人口",
    "share_population_covered": "人口覆盖率",
    "villages_meeting_rule": "符合“出门即可达”村（社区）",
    "gaps": "缺口村（社区）",
    "mean_travel_min": "人口加权平均用时（分钟）",
    "p95_travel_min": "95%人口用时（分钟）",
    "villages_covered_cross": "跨县可达村（社区）",
    "share_villages_covered_cross": "跨县村（社区）覆盖率",
    "population_covered_cross": "跨县可达人口",
    "share_population_covered_cross": "跨县人口覆盖率",
    "villages_gained_cross": "跨县新增可达村（社区）",
    "villages_served_across": "最近站点在邻县的村（社区）",
    "neighbour_stations": "邻县可用站点",
    "method": "测算方法",
    "standard": "标准",
}
_CONSOLIDATE_ZH = {
    "code": "区划代码",
    "name": "县（市、区）",
    "villages": "村（社区）数",
    "population": "人口",
    "target": "目标站点数",
    "target_source": "目标来源",
    "stations_before": "调整前站点",
    "stations_after": "调整后站点",
    "stations_closed": "撤并站点",
    "stations_new": "新建站点",
    "share_villages_covered_before": "调整前村（社区）覆盖率",
    "share_villages_covered_after": "调整后村（社区）覆盖率",
    "share_population_covered_before": "调整前人口覆盖率",
    "share_population_covered_after": "调整后人口覆盖率",
    "gaps_before": "调整前缺口村（社区）",
    "gaps_after": "调整后缺口村（社区）",
    "villages_lost": "失去覆盖村（社区）",
    "annual_cost_before_yuan": "调整前年运行经费（元）",
    "annual_saving_yuan": "年节约经费（元）",
    "proven_optimal": "已证明最优",
    "gap": "最优性差距",
    "model": "模型",
    "standard": "标准",
}
_SUMMED = (
    "villages", "population", "stations", "villages_covered", "population_covered",
    "villages_meeting_rule", "gaps", "villages_covered_cross", "population_covered_cross",
    "villages_gained_cross", "villages_served_across", "neighbour_stations", "target",
    "stations_before", "stations_after", "stations_closed", "stations_new", "gaps_before",
    "gaps_after", "villages_lost", "annual_cost_before_yuan", "annual_saving_yuan",
)  # fmt: skip


def region_rows(run: RegionRun) -> pd.DataFrame:
    """One row per county that finished, in code order."""
    return pd.DataFrame([o.row for o in run.done])


def _for_people(rows: pd.DataFrame) -> pd.DataFrame:
    """The county sheet's values: minutes, not seconds."""
    rows = rows.copy()
    for col in ("mean_travel_s", "p95_travel_s"):
        if col in rows:
            rows[col.removesuffix("_s") + "_min"] = (rows.pop(col).astype(float) / 60).round(1)
    return rows


def region_totals(run: RegionRun, rows: pd.DataFrame) -> dict[str, Any]:
    """The region's figures: sums of the counties', shares of the sums."""
    if rows.empty:
        return {"counties": 0}
    out: dict[str, Any] = {"counties": len(rows)}
    for col in _SUMMED:
        if col in rows:
            out[col] = int(pd.to_numeric(rows[col], errors="coerce").fillna(0).sum())

    def share(part: str, whole: str, key: str) -> None:
        if part in out and whole in out:
            out[key] = round(out[part] / out[whole], 4) if out[whole] else 0.0

    share("villages_covered", "villages", "share_villages_covered")
    share("population_covered", "population", "share_population_covered")
    share("villages_covered_cross", "villages", "share_villages_covered_cross")
    share("population_covered_cross", "population", "share_population_covered_cross")
    pop = rows["population"].astype(float)
    for before_after in ("before", "after"):
        # a county's share of villages times its villages is its count of covered villages
        for what, weight in (("villages", rows["villages"].astype(float)), ("population", pop)):
            col = f"share_{what}_covered_{before_after}"
            if col in rows and weight.sum() > 0:
                out[col] = round(float((rows[col].astype(float) * weight).sum() / weight.sum()), 4)
    if "mean_travel_s" in rows:
        mean = pd.to_numeric(rows["mean_travel_s"], errors="coerce")
        ok = mean.notna() & (pop > 0)
        if ok.any():
            out["mean_travel_s"] = round(float((mean[ok] * pop[ok]).sum() / pop[ok].sum()), 1)
    return out


def write_region(
    run: RegionRun, out: str | Path, *, region: str, extra: Mapping[str, Any] | None = None
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Write ``region-<task>.xlsx`` (counties, totals, failures), ``region-<task>.csv`` and
    ``region-<task>.json``; returns the files and the JSON summary."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows = region_rows(run)
    totals = region_totals(run, rows)
    headers = _COVERAGE_ZH if run.task == "coverage" else _CONSOLIDATE_ZH
    people = _for_people(rows)
    shown = people[[c for c in headers if c in people]] if len(rows) else people
    shown_totals = _for_people(pd.DataFrame([totals])).iloc[0].to_dict()
    total_row = {c: shown_totals.get(c) for c in shown.columns}
    if len(shown.columns):
        total_row[shown.columns[0]] = text("region.totals")
        total_row["name"] = text("region.counties_done", done=len(rows), total=len(run.outcomes))
    sheet = pd.concat([shown, pd.DataFrame([total_row])], ignore_index=True) if len(rows) else shown
    failures = pd.DataFrame(
        [{"区划代码": o.code, "县（市、区）": o.name, "原因": o.reason} for o in run.failed],
        columns=["区划代码", "县（市、区）", "原因"],
    )
    made = datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    about = pd.DataFrame(
        [
            ("区域", region),
            ("任务", run.task),
            ("县（市、区）", len(run.outcomes)),
            ("完成", len(run.done)),
            ("未完成", len(run.failed)),
            ("计算方式", run.engine),
            ("用时（秒）", run.seconds),
            ("生成时间（北京时间）", made),
        ],
        columns=["项目", "值"],
    )
    files = {
        "workbook": io.write_xlsx(
            {
                "概况": about,
                "各县": sheet.rename(columns=headers),
                "未完成": failures,
            },
            folder / f"region-{run.task}.xlsx",
        ),
        "csv": io.write_table(rows, folder / f"region-{run.task}.csv"),
    }
    summary: dict[str, Any] = {
        "task": run.task,
        "region": region,
        "engine": run.engine,
        "workers": run.workers,
        "seconds": run.seconds,
        "made_at": made,
        "counties": len(run.outcomes),
        "done": len(run.done),
        "failed": [{"code": o.code, "name": o.name, "reason": o.reason} for o in run.failed],
        "totals": totals,
        "by_county": rows.to_dict(orient="records"),
        **(dict(extra) if extra else {}),
    }
    path = folder / f"region-{run.task}.json"
    path.write_text(strict_json(summary, indent=2), encoding="utf-8")
    files["json"] = path
    return files, summary
