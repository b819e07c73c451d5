"""The one-page brief of a consolidation plan: what a county leader is handed.

The workbook is for the planner who checks the figures; a standing committee member
reads one page. This page states the plan's headline under the county's own reach
standard first (a plan made at a relaxed standard says what it loses at the county's),
the before/after figures, the yearly saving, a map of the plan, the trade-off curve, the
villages that lose coverage and the method in one paragraph, every figure from the same
``plan.summary`` the workbook and the JSON hold.

It is written as print-ready HTML (a Jinja2 template, autoescaped, images inlined so the
file stands alone) and printed to PDF by headless Chromium with the network cut off;
without Chromium the HTML is still written and can be printed from any browser.
"""

from __future__ import annotations

import base64
import io as _io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from gridgov._errors import GridgovError
from gridgov._fonts import cjk_font
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.plan_report import (
    county_label,
    headline,
    model_label,
    plan_label,
    solver_words,
)
from gridgov.messages import text

__all__ = ["brief_html", "find_chromium", "plan_map_png", "print_pdf", "write_brief"]

log = logging.getLogger(__name__)

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("gridgov.coverage", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)
_FAMILIES = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'


class PrintError(GridgovError):
    """Chromium could not print the brief (the HTML is written all the same)."""


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def plan_map_png(plan: ConsolidationPlan, *, dpi: int = 170) -> bytes:
    """The plan as a static map (PNG): the villages it loses under the county's standard
    in purple, the others by the planning standard after the plan; stations kept, closed
    and new."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    c = plan.summary["county_standard"]
    lost = {str(v["code"]) for v in c["lost"]}
    labels = {
        "lost": text("report.brief.map_lost", standard=county_label(plan.summary)),
        "covered": text("report.brief.map_covered", standard=plan_label(plan.summary)),
        "beyond": text("report.brief.map_beyond", standard=plan_label(plan.summary)),
        "kept": text("report.brief.map_kept"),
        "closed": text("report.brief.map_closed"),
        "new": text("report.brief.map_new"),
    }
    font = cjk_font("".join(labels.values()))
    rc: Any = {"axes.unicode_minus": False}
    if font is not None:
        from matplotlib import font_manager

        if font.name not in {e.name for e in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(str(font.path))
        rc["font.family"] = [font.name, "DejaVu Sans"]
    villages = plan.villages
    stations = plan.stations
    crs = (
        villages.estimate_utm_crs()
        if villages.crs is not None and villages.crs.is_geographic
        else None
    )
    if crs is not None:  # drawn in metres: a county at 29°N is not squashed sideways
        villages, stations = villages.to_crs(crs), stations.to_crs(crs)
    codes = villages["code"].astype(str)
    # the villages the plan loses at the county's standard first; the rest by the
    # planning standard after the plan (the per-village figures the plan carries)
    after = dict(zip(codes, villages["covered_after"].astype(bool), strict=True))
    colour = [
        "#7a0177" if code in lost else "#c7e9c0" if after[code] else "#fdd0a2" for code in codes
    ]
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(6.2, 5.6), dpi=dpi)
        villages.plot(ax=ax, color=colour, edgecolor="#ffffff", linewidth=0.3)
        decision = stations["decision"].astype(str)
        kept = decision.str.startswith("kept")
        closed = decision.str.startswith("closed")
        new = decision == "new"
        stations[closed].plot(ax=ax, color="#8c8c8c", marker="x", markersize=12, linewidth=0.8)
        stations[kept].plot(
            ax=ax, color="#2171b5", marker="o", markersize=16, edgecolor="white", linewidth=0.5
        )
        if new.any():
            stations[new].plot(ax=ax, color="#f16913", marker="s", markersize=18)
        ax.set_axis_off()
        handles = [
            Patch(color="#c7e9c0", label=labels["covered"]),
            Patch(color="#fdd0a2", label=labels["beyond"]),
            Patch(color="#7a0177", label=labels["lost"]),
            Line2D([], [], color="#2171b5", marker="o", ls="", label=labels["kept"]),
            Line2D([], [], color="#8c8c8c", marker="x", ls="", label=labels["closed"]),
        ]
        if new.any():
            handles.append(Line2D([], [], color="#f16913", marker="s", ls="", label=labels["new"]))
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, framealpha=0.9)
        fig.tight_layout(pad=0.2)
        buf = _io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None or seconds != seconds else f"{seconds / 60:.1f}"


def brief_html(
    plan: ConsolidationPlan,
    *,
    context: Mapping[str, str] | None = None,
    curve_png: bytes | None = None,
    map_png: bytes | None = None,
) -> str:
    """The brief as one self-contained HTML page (images inlined).

    Parameters
    ----------
    plan : ConsolidationPlan
    context : mapping, optional
        :func:`gridgov.coverage.report.report_context`: county, demand basis, data date.
    curve_png, map_png : bytes, optional
        The trade-off chart; the map (default :func:`plan_map_png`).
    """
    ctx = dict(context or {})
    s = plan.summary
    c = s["county_standard"]
    county = ctx.get("county", "")
    same = bool(c["same_as_plan"])
    rows = [
        (text("report.brief.stations"), f"{s['stations_before']:,}", f"{s['stations_after']:,}"),
        (
            text("report.brief.villages_at", standard=county_label(plan.summary)),
            f"{c['villages_covered_before']:,}",
            f"{c['villages_covered_after']:,}",
        ),
        (
            text("report.brief.population_at", standard=county_label(plan.summary)),
            _pct(c["share_population_covered_before"]),
            _pct(c["share_population_covered_after"]),
        ),
    ]
    if not same:
        rows.append(
            (
                text("report.brief.villages_share_at", standard=plan_label(s)),
                _pct(s["share_villages_covered_before"]),
                _pct(s["share_villages_covered_after"]),
            )
        )
    rows += [
        (
            text("report.brief.mean_travel"),
            _minutes(s["mean_travel_s_before"]),
            _minutes(s["mean_travel_s_after"]),
        ),
        (text("report.brief.saving"), "", f"{s['annual_saving_yuan']:,}"),
    ]
    lost = c["lost"][:6]
    lost_rows = [
        (
            v["name"],
            f"{v['population']:,}",
            f"{v['population_beyond_after']:,}",
            "—" if v["mean_travel_min_after"] is None else f"{v['mean_travel_min_after']:.1f}",
            v["station_after"] or "—",
        )
        for v in lost
    ]
    more = len(c["lost"]) - len(lost)
    method = text(
        "report.brief.method",
        model=model_label(s),
        standard=plan_label(s),
        county_standard=county_label(plan.summary),
        measured=text("report.brief.network")
        if s["method"] == "network"
        else text("report.brief.straight"),
        demand=ctx.get("demand", "") or "—",
        out_of_reach=len(s["exceptions"]),
        solver=solver_words(s),
    )
    standard_line = (
        text("report.brief.standard_same", standard=county_label(plan.summary))
        if same
        else text(
            "report.brief.standard_other",
            standard=plan_label(s),
            county_standard=county_label(plan.summary),
            lost=c["villages_lost"],
        )
    )
    font = cjk_font(county + standard_line)
    families = f'"{font.name}", {_FAMILIES}' if font is not None else _FAMILIES
    return _TEMPLATES.get_template("brief.html").render(
        title=text(
            "report.brief.title",
            county=county,
            before=s["stations_before"],
            after=s["stations_after"],
        ).strip(),
        standard_line=standard_line,
        headline=headline(plan),
        warn=bool(c["villages_lost"]),
        rows=rows,
        labels={
            "item": text("report.book.item"),
            "before": text("report.brief.before"),
            "after": text("report.brief.after"),
            "map": text("report.brief.map", standard=county_label(plan.summary)),
            "curve": text("report.brief.curve"),
            "lost": text(
                "report.brief.lost", standard=county_label(plan.summary), n=c["villages_lost"]
            )
            + (text("report.brief.lost_more", n=more) if more > 0 else ""),
            "method": text("report.book.method"),
        },
        map_src=_data_uri(map_png if map_png is not None else plan_map_png(plan)),
        curve_src=_data_uri(curve_png) if curve_png else "",
        lost=lost_rows,
        lost_header=[
            text(f"report.brief.lost_{k}") for k in ("name", "pop", "beyond", "min", "station")
        ],
        method=method,
        foot=text("report.brief.foot", date=ctx.get("data_date", "") or "—"),
        font_family=families,
    )


def print_pdf(html: Path, pdf: Path, *, chromium: str, timeout_s: float = 120.0) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium, the network cut off (the page
    holds everything it shows), no header or footer lines of the browser's own.

    Raises
    ------
    PrintError
        If Chromium fails or writes no PDF.
    """
    with tempfile.TemporaryDirectory(prefix="gridgov-print-") as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        pdf.unlink(missing_ok=True)
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError(f"chromium could not print {html}: {exc}") from exc
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise PrintError(
            f"chromium could not print {html} (exit {done.returncode}): {done.stderr[-500:]}"
        )
    return pdf


def write_brief(
    plan: ConsolidationPlan,
    out_dir: str | Path,
    *,
    context: Mapping[str, str] | None = None,
    curve_png: Path | None = None,
    chromium: str | None = None,
) -> dict[str, Path]:
    """Write ``consolidation-brief.html`` and, with Chromium, ``consolidation-brief.pdf``.

    Parameters
    ----------
    chromium : str, optional
        The browser binary (default: found on PATH; without one only the HTML is written
        and a warning is logged).

    Returns
    -------
    dict
        ``brief_html`` and, when printed, ``brief_pdf``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    curve = curve_png.read_bytes() if curve_png is not None and curve_png.exists() else None
    page = out / "consolidation-brief.html"
    page.write_text(brief_html(plan, context=context, curve_png=curve), encoding="utf-8")
    files = {"brief_html": page}
    browser = chromium or find_chromium()
    if browser is None:
        log.warning("no Chromium found: %s written, print it to PDF from a browser", page)
        return files
    files["brief_pdf"] = print_pdf(page, out / "consolidation-brief.pdf", chromium=browser)
    return files
