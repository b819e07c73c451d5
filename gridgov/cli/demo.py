"""``gridgov demo``: the Huarong demo county built, analysed and played for a week."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from gridgov.cli._common import emit, problems_text, progress, settings_of
from gridgov.cli.plan import (
    DEMO_PLAN_STANDARD,
    coverage_line,
    plan_line,
    run_consolidation,
    run_coverage,
)
from gridgov.settings import Settings

__all__ = ["register"]


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the Huarong demo workspace and every analysis that exists so far."""
    from gridgov import io, synth, tables

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = settings_of(args)
    steps = [
        "build demo county",
        "validate and write workspace",
        "summary",
        "roster",
        "coverage",
        "consolidation 97 -> 52",
        "a simulated week of issues",
    ]
    t0 = time.perf_counter()
    with progress(args, "gridgov demo", len(steps)) as tick:
        ws = synth.demo_county(seed=args.seed)
        tick(1, len(steps))
        workspace = out / "huarong.gpkg"
        warnings = io.write_workspace(ws, workspace, settings=settings)
        tick(2, len(steps))
        info = io.workspace_info(workspace)
        summary_path = out / "summary.json"
        summary_path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        tick(3, len(steps))
        roster = io.write_xlsx(tables.roster_sheets(ws), out / "huarong-roster.xlsx")
        tick(4, len(steps))
        cov_files, cov_summary = run_coverage(
            workspace, out / "coverage", settings=settings, standard=None, basemap="none"
        )
        tick(5, len(steps))
        plan_files, plan_summary = run_consolidation(
            workspace, out / "consolidation", settings=settings,
            options={"target": 52, "standard": DEMO_PLAN_STANDARD}, curve="auto", basemap="none",
            brief=True,
        )  # fmt: skip
        tick(6, len(steps))
        issue_files, issue_summary = _run_issue_week(
            workspace, out, settings=settings, seed=args.seed
        )
        tick(7, len(steps))
    files = {
        "workspace": workspace,
        "summary": summary_path,
        "roster": roster,
        **cov_files,
        **{f"plan_{k}": v for k, v in plan_files.items()},
        **issue_files,
    }
    payload = {
        "out": str(out),
        "files": {k: str(v) for k, v in files.items()},
        "counts": info["counts"],
        "warnings": [p.as_dict() for p in warnings],
        "coverage": cov_summary,
        "consolidation": plan_summary,
        "issues": issue_summary,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    counts = info["counts"]
    lines = [
        f"gridgov demo: {info.get('county_name', '')} ({info.get('county_code', '')}) "
        f"built in {payload['seconds']} s",
        "  " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        "  " + coverage_line(cov_summary),
        "  " + plan_line(plan_summary),
        "  " + _issues_line(issue_summary),
        *(f"  {k:<12} {v}" for k, v in files.items()),
    ]
    if warnings:
        lines.append(f"  {len(warnings)} warning(s):\n{problems_text(warnings)}")
    emit(args, payload, "\n".join(lines))
    return 0


def _run_issue_week(
    workspace: Path, out: Path, *, settings: Settings, seed: int
) -> tuple[dict[str, Path], dict[str, Any]]:
    """The demo's week of issues: simulated through the real loop on a fresh store, then
    its statistics (XLSX), the issues layer in the workspace and the escalation graph."""
    from datetime import datetime

    from gridgov import io
    from gridgov.issues.escalation import write_escalation
    from gridgov.issues.layers import issues_layer, issues_style
    from gridgov.issues.service import IssueService
    from gridgov.issues.simulate import simulate
    from gridgov.issues.stats import statistics_info, store_sheets, store_summary
    from gridgov.model import CHINA_TIME
    from gridgov.store.base import IssueQuery

    db = workspace.with_suffix(".issues.sqlite")
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)  # the demo rebuilds its week from scratch
    service = IssueService.open(workspace, db, settings=settings)
    start = datetime(2026, 11, 16, tzinfo=CHINA_TIME)  # a Monday
    report = simulate(service, start=start, days=7, seed=seed)
    issues, _ = service.store.list_issues(IssueQuery(limit=1_000_000))
    # One window for every figure: issues raised in the week, their state at its end.
    # The simulation follows its issues a few days past the week (late resolutions,
    # ratings, reopenings); its own tallies include those days, so they are kept apart in
    # the JSON and never printed beside the workbook's figures.
    end = report.end
    summary = store_summary(service.store, ws=service.ws, start=start, end=end, settings=settings)
    folder = out / "issues"
    folder.mkdir(parents=True, exist_ok=True)
    info = statistics_info(
        summary, county=str(service.ws.county["name"].iloc[0]), source=db.name,
        start=start, end=end,
    )  # fmt: skip
    stats = io.write_report(
        store_sheets(service.store, ws=service.ws, start=start, end=end, settings=settings),
        folder / "huarong-issues-week.xlsx",
        info=info,
    )
    io.write_result_layers(
        workspace, {"issues": issues_layer(issues)}, styles={"issues": issues_style()}
    )
    graph = write_escalation(service.escalation, folder / "escalation.graphml")
    edges = write_escalation(service.escalation, folder / "escalation.geojson")
    service.store.close()
    summary = {
        **summary,
        # what the simulation did, its follow-up days included: not the week's figures
        "simulation": {
            "raised": report.raised,
            "merged": report.merged,
            "escalated": report.escalated,
            "reopened": report.reopened,
        },
    }
    return {
        "issue_store": db,
        "issue_stats": stats,
        "escalation": graph,
        "escalation_edges": edges,
    }, summary


def _issues_line(s: dict[str, Any]) -> str:
    """The week's figures as the workbook's 汇总 has them, with the window they are for."""
    from datetime import datetime

    from gridgov.issues.stats import period_text

    start, end = (datetime.fromisoformat(s[k]) if s.get(k) else None for k in ("start", "end"))
    return (
        f"issues raised {period_text(start, end)} (a simulated week; state at its end): "
        f"{s['received']} received, {s['settled']} settled, {s['escalated']} escalated, "
        f"{s['reopened']} reopened after 不满意, {s['merged']} merged duplicates"
    )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``demo`` to the CLI's subparsers."""
    p = sub.add_parser(
        "demo", parents=[common], help="build the Huarong demo county and its outputs"
    )
    p.add_argument("--out", default="gridgov-demo", help="output folder (default: ./gridgov-demo)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the synthetic parts")
    p.set_defaults(func=cmd_demo)
