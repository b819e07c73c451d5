"""The planner's pages (``/plan``): coverage, the gap list and consolidation scenarios.

For the ``planner`` and ``county_staff`` roles, at a desk. Three things a county's
planning group asks of its stations:

- **coverage** of the served workspace at the county's reach standard
  (``settings.reach_standard``), worked out by :func:`gridgov.coverage.analyse` once per
  process (the workspace does not change while it is served) and drawn by
  :func:`maps.coverage_map` as the self-contained offline page ``gridgov coverage`` writes;
- the **gap list**: the villages out of reach, with their population, nearest station
  and travel time, sortable and downloadable (CSV, XLSX);
- **consolidation scenarios** (撤并方案): a target station count, a standard, stations
  to keep and to close, run by :func:`gridgov.coverage.consolidate.consolidate_with_curve`
  (or :func:`~gridgov.coverage.consolidate.consolidate` without the curve), written by
  :func:`~gridgov.coverage.plan_report.write_consolidation` and drawn by
  :func:`maps.consolidation_map`, the calls ``gridgov consolidate`` makes. A scenario runs
  in a child process (:class:`Scenarios`) so the server keeps answering while the solver
  works, one at a time per workspace (a file lock in the jobs folder, which also holds
  across ``gridgov serve --workers N``); its progress is a JSON status the page polls, and
  its files stay in the jobs folder (beside the issue store) so a reload shows them.

The maps are served with their own Content-Security-Policy: every inline script and
style of the page gets the response's nonce, and the page runs sandboxed (no cookies,
no requests), framed only by this site's planner pages.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import multiprocessing
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import get_service
from api.params import csp_nonce
from api.web import page_lang, render
from api.web.auth import PageUser, check_csrf, error_page, page_for
from gridgov._errors import GridgovError, ParameterError
from gridgov._json import strict_json
from gridgov.messages import text
from gridgov.model import CHINA_TIME, StationTier, Workspace
from gridgov.settings import Settings

__all__ = [
    "JOBS_ENV",
    "PLAN_ROLES",
    "GapRow",
    "Scenario",
    "Scenarios",
    "parse_scenario",
    "planner_only",
    "router",
    "run_scenario",
]

log = logging.getLogger(__name__)

#: Roles that use the planner's pages.
PLAN_ROLES = frozenset({"planner", "county_staff"})
#: Environment variable naming the jobs folder (needed with a PostGIS store, which has no
#: folder of its own; optional with SQLite, whose jobs go beside the database file).
JOBS_ENV = "GRIDGOV_PLAN_JOBS"
#: Travel modes a scenario's standard may use (time standards, as the county sets them).
MODES: tuple[str, ...] = ("ebike", "walk", "car")
#: Bounds of a scenario's inputs: a standard beyond four hours or a solver given more than
#: ten minutes is a typing slip, not a plan.
MAX_MINUTES = 240
MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S = 5, 600
#: Scenarios listed on the page (newest first).
JOBS_SHOWN = 30

_JOB_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
_SPLIT = re.compile(r"[,，、;；\s]+")
#: Files of a finished scenario that may be downloaded, with their media types.
_DOWNLOADS = {
    "consolidation.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "consolidation-stations.csv": "text/csv; charset=utf-8",
    "consolidation-absorb.csv": "text/csv; charset=utf-8",
    "consolidation-villages.csv": "text/csv; charset=utf-8",
    "consolidation-curve.csv": "text/csv; charset=utf-8",
    "consolidation-curve.png": "image/png",
}
_TERMINAL = ("done", "failed", "cancelled")

router = APIRouter(include_in_schema=False)


# --- who may plan ----------------------------------------------------------------------------


def planner_only(request: Request) -> PageUser | Response:
    """The logged-in planner or county staff member, or the answer for everyone else: the
    login page for the public, 403 for other roles."""
    return page_for(request, PLAN_ROLES)


def local(value: datetime | str | None) -> str:
    """A time as people in the county read it (Asia/Shanghai, to the minute)."""
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _now() -> datetime:
    # wall-clock time, not the service's clock: a scenario's start is when it really ran
    return datetime.now(UTC)


# --- coverage and gaps -----------------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    """One village out of reach, as the gap list shows it."""

    rank: int
    code: str
    name: str
    township: str
    population: int
    uncovered: int
    station: str
    travel_min: float | None  # None: no station reachable on the road network
    travel_km: float | None


#: The gap list's sort keys and the attribute each sorts on.
GAP_SORTS: dict[str, Callable[[GapRow], Any]] = {
    "rank": lambda r: r.rank,
    "name": lambda r: r.name,
    "township": lambda r: r.township,
    "population": lambda r: r.population,
    "uncovered": lambda r: r.uncovered,
    "station": lambda r: r.station,
    "travel": lambda r: float("inf") if r.travel_min is None else r.travel_min,
}


@dataclass
class Coverage:
    """The served workspace's coverage at the county standard: figures, gaps, and the
    result the map is drawn from."""

    standard: str
    standard_label: str
    summary: dict[str, Any]
    gaps: list[GapRow]
    result: Any  # CoverageResult
    computed_at: datetime
    map_html: str | None = None


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _gap_rows(ws: Workspace, result: Any) -> list[GapRow]:
    towns = dict(
        zip(ws.townships["code"].astype(str), ws.townships["name"].astype(str), strict=True)
    )
    villages = result.villages
    population = dict(
        zip(villages["code"].astype(str), villages["population"].fillna(0).astype(int), strict=True)
    )
    rows = []
    for g in result.gaps.itertuples(index=False):
        seconds, metres = _finite(g.travel_s), _finite(g.travel_m)
        station = g.nearest_station_name
        rows.append(
            GapRow(
                rank=int(g.rank),
                code=str(g.code),
                name=str(g.name),
                township=towns.get(str(g.township_code), str(g.township_code)),
                population=int(population.get(str(g.code), 0)),
                uncovered=int(g.population_uncovered),
                station="" if station is None or station != station else str(station),
                travel_min=None if seconds is None else round(seconds / 60, 1),
                travel_km=None if metres is None else round(metres / 1000, 1),
            )
        )
    return rows


@dataclass
class _PlanState:
    """What the planner's pages keep on the app: the coverage (worked out once) and the
    scenario runner."""

    lock: threading.Lock = field(default_factory=threading.Lock)  # the coverage's
    jobs_lock: threading.Lock = field(default_factory=threading.Lock)  # the runner's
    coverage: Coverage | None = None
    scenarios: Scenarios | None = None


_STATE_LOCK = threading.Lock()


def _state(request: Request) -> _PlanState:
    found: _PlanState | None = getattr(request.app.state, "plan", None)
    if found is None:
        with _STATE_LOCK:
            found = getattr(request.app.state, "plan", None)
            if found is None:
                found = _PlanState()
                request.app.state.plan = found
    return found


def coverage_of(request: Request) -> Coverage:
    """The coverage of the served workspace at the county standard (worked out on first
    use, then kept: the workspace is fixed while it is served)."""
    state = _state(request)
    with state.lock:  # a second request waits for the first one's answer
        if state.coverage is None:
            from gridgov.coverage import analyse

            service = get_service(request)
            result = analyse(service.ws, settings=service.settings, graph=service.graph)
            state.coverage = Coverage(
                standard=str(result.standard),
                standard_label=result.standard.label_zh,
                summary=dict(result.summary),
                gaps=_gap_rows(service.ws, result),
                result=result,
                computed_at=_now(),
            )
        return state.coverage


def _coverage_html(request: Request, coverage: Coverage) -> str:
    """The coverage map page, drawn as ``gridgov coverage`` draws it (no basemap: offline)."""
    state = _state(request)
    with state.lock:
        if coverage.map_html is None:
            import maps
            from gridgov.issues.escalation import escalation_edges

            service = get_service(request)
            ws = service.ws
            edges = (
                None if ws.grids is None or ws.grids.empty else escalation_edges(service.escalation)
            )
            fmap = maps.coverage_map(ws, coverage.result, basemap="none", escalation=edges)
            coverage.map_html = maps.render_html(fmap)
        return coverage.map_html


def _maps_missing() -> bool:
    try:
        import maps  # noqa: F401
    except ImportError:
        return True
    return False


def map_response(request: Request, html: str) -> HTMLResponse:
    """A self-contained map page under its own CSP.

    The page's inline scripts and styles (Leaflet and gridgov's, inlined by
    :func:`maps.render_html`, whose data never holds a raw ``</``) get this response's
    nonce; Leaflet styles its elements through attributes, so those are allowed. The page
    is sandboxed (an opaque origin: no cookies, no storage, no requests) and may be framed
    by this site's pages only.
    """
    nonce = csp_nonce(request)
    body = html.replace("<script>", f'<script nonce="{nonce}">').replace(
        "<style>", f'<style nonce="{nonce}">'
    )
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "style-src-attr 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'; sandbox allow-scripts allow-popups"
    )
    return HTMLResponse(
        body,
        headers={
            "Content-Security-Policy": policy,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, no-cache",
        },
    )


def _sorted_gaps(rows: list[GapRow], sort: str, order: str) -> tuple[list[GapRow], str, str]:
    if sort not in GAP_SORTS:
        sort = "rank"
    if order not in ("asc", "desc"):
        order = "asc" if sort in ("rank", "name", "township", "station", "travel") else "desc"
    return sorted(rows, key=GAP_SORTS[sort], reverse=order == "desc"), sort, order


#: The gap list's columns on the page (each sortable).
GAP_COLUMNS_SHOWN = ("rank", "name", "township", "population", "uncovered", "station", "travel")
_GAP_COLUMNS = (
    "rank",
    "name",
    "code",
    "township",
    "population",
    "uncovered",
    "station",
    "travel_min",
    "travel_km",
)


def _gap_table(rows: list[GapRow], lang: str) -> tuple[list[str], list[list[Any]]]:
    header = [text(f"plan.gaps.col.{c}", lang) for c in _GAP_COLUMNS]
    body = [[getattr(r, c) for c in _GAP_COLUMNS] for r in rows]
    return header, body


# --- pages: overview, map, gaps --------------------------------------------------------------


def _base(request: Request, user: PageUser, section: str) -> dict[str, Any]:
    return {"user": user, "section": section, "local": local}


@router.get("/plan")
def plan_home(request: Request) -> Response:
    """Coverage at the county standard, its map, and the way to the gaps and scenarios."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    coverage = coverage_of(request)
    service = get_service(request)
    return render(
        request,
        "planner/home.html",
        {
            **_base(request, user, "home"),
            "cov": coverage,
            "s": coverage.summary,
            "n_stations": len(service.ws.stations),
            "maps_missing": _maps_missing(),
        },
    )


@router.get("/plan/maps/coverage")
def coverage_map_page(request: Request) -> Response:
    """The coverage map (villages by travel time, stations, service areas, escalation)."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    if _maps_missing():
        return error_page(request, 404, "plan.maps_missing", user)
    return map_response(request, _coverage_html(request, coverage_of(request)))


@router.get("/plan/gaps")
def gaps_page(request: Request, sort: str = "rank", order: str = "") -> Response:
    """Villages out of reach at the county standard, sortable by any column."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    coverage = coverage_of(request)
    rows, sort, order = _sorted_gaps(coverage.gaps, sort, order)
    return render(
        request,
        "planner/gaps.html",
        {
            **_base(request, user, "gaps"),
            "cov": coverage,
            "rows": rows,
            "sort": sort,
            "order": order,
            "columns": GAP_COLUMNS_SHOWN,
            "uncovered_total": sum(r.uncovered for r in rows),
        },
    )


@router.get("/plan/gaps.{kind}")
def gaps_download(request: Request, kind: str, sort: str = "rank", order: str = "") -> Response:
    """The gap list as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    if kind not in ("csv", "xlsx"):
        return error_page(request, 404, "web.error.no_page", user)
    coverage = coverage_of(request)
    rows, _, _ = _sorted_gaps(coverage.gaps, sort, order)
    header, body = _gap_table(rows, page_lang(request))
    name = f"gaps-{coverage.standard.replace(':', '-')}"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in body)
        data = ("\ufeff" + out.getvalue()).encode("utf-8")
        media = "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.worksheets[0]
        sheet.title = text("plan.gaps.sheet", page_lang(request))
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in body:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        media = _DOWNLOADS["consolidation.xlsx"]
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )


# --- scenarios: parameters -------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A consolidation scenario's parameters, as checked from the form."""

    target: int
    minutes: float
    mode: str
    keep: tuple[str, ...] = ()
    close: tuple[str, ...] = ()
    keep_tiers: tuple[str, ...] = ("station", "studio")
    curve: bool = True
    time_limit_s: float = 60.0

    @property
    def standard(self) -> str:
        """The reach standard as the core reads it, e.g. ``20min:ebike``."""
        return f"{self.minutes:g}min:{self.mode}"

    def options(self) -> dict[str, Any]:
        """:func:`~gridgov.coverage.consolidate.consolidate`'s keyword arguments, as
        ``gridgov consolidate`` builds them (the model is the CLI's default)."""
        return {
            "target": self.target,
            "model": "p-median-full",
            "standard": self.standard,
            "keep": list(self.keep) or None,
            "keep_tiers": self.keep_tiers,
            "close": list(self.close) or None,
            "time_limit_s": self.time_limit_s,
            "seed": 0,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Scenario:
        """From :func:`dataclasses.asdict` (a job's saved parameters)."""
        return cls(
            target=int(data["target"]),
            minutes=float(data["minutes"]),
            mode=str(data["mode"]),
            keep=tuple(data.get("keep", ())),
            close=tuple(data.get("close", ())),
            keep_tiers=tuple(data.get("keep_tiers", ())),
            curve=bool(data.get("curve", True)),
            time_limit_s=float(data.get("time_limit_s", 60.0)),
        )


def _defaults(settings: Settings, n_stations: int) -> dict[str, str]:
    """The form's first values: the county standard (when it is a time), and a target
    about half-way to today's count, as in Huarong's 97 -> 52."""
    from gridgov.coverage import parse_standard

    minutes, mode = "15", "ebike"
    try:
        std = parse_standard(settings.reach_standard)
        if std.is_time and std.mode in MODES:
            minutes, mode = f"{std.limit / 60:g}", std.mode
    except GridgovError:
        pass
    return {
        "target": str(max(1, round(n_stations * 0.55))),
        "minutes": minutes,
        "mode": mode,
        "keep": "",
        "close": "",
        "keep_tiers": "station,studio",
        "curve": "1",
        "time_limit": "60",
    }


def _resolve_stations(value: str, ws: Workspace) -> tuple[list[str], list[str]]:
    """Station ids for what a person typed (ids or exact names, separated by commas,
    、 or spaces), and the entries that name no station or several."""
    ids = ws.stations["station_id"].astype(str).tolist()
    names: dict[str, list[str]] = {}
    for sid, name in zip(ids, ws.stations["name"].astype(str), strict=True):
        names.setdefault(name, []).append(sid)
    known = set(ids)
    found: list[str] = []
    unknown: list[str] = []
    for part in (p for p in _SPLIT.split(value) if p):
        if part in known:
            found.append(part)
        elif len(names.get(part, ())) == 1:
            found.append(names[part][0])
        else:
            unknown.append(part)
    return list(dict.fromkeys(found)), unknown


def parse_scenario(
    form: Mapping[str, str], ws: Workspace, settings: Settings, lang: str
) -> tuple[Scenario | None, dict[str, str]]:
    """The scenario of a submitted form, or None and a message per bad field (in ``lang``).

    Checks what can be checked before any travel time is computed: numbers and their
    bounds, the stations named, a station both kept and closed, a target outside what
    the stations to keep and to close leave, and a target the deputies cannot staff
    (the core checks each again; these make the answer immediate and name the field).
    """
    errors: dict[str, str] = {}

    def say(name: str, key: str, **values: object) -> None:
        errors.setdefault(name, text(key, lang, **values))

    def number(name: str, whole: bool) -> float | None:
        raw = form.get(name, "").strip()
        if not raw:
            say(name, "plan.err.required")
            return None
        try:
            value = int(raw) if whole else float(raw)
        except ValueError:
            say(name, "plan.err.whole" if whole else "plan.err.number", value=raw[:20])
            return None
        if value != value or value in (float("inf"), float("-inf")):
            say(name, "plan.err.number", value=raw[:20])
            return None
        return float(value)

    n_stations = len(ws.stations)
    target = number("target", whole=True)
    minutes = number("minutes", whole=False)
    limit = number("time_limit", whole=False)
    mode = form.get("mode", "").strip()
    if mode not in MODES:
        say("mode", "plan.err.mode", value=mode[:20])
    if minutes is not None and not 0 < minutes <= MAX_MINUTES:
        say("minutes", "plan.err.minutes", maximum=MAX_MINUTES)
    if limit is not None and not MIN_TIME_LIMIT_S <= limit <= MAX_TIME_LIMIT_S:
        say("time_limit", "plan.err.time_limit", low=MIN_TIME_LIMIT_S, high=MAX_TIME_LIMIT_S)
    tiers = [t for t in _SPLIT.split(form.get("keep_tiers", "")) if t]
    valid_tiers = {t.value for t in StationTier}
    bad_tiers = [t for t in tiers if t not in valid_tiers]
    if bad_tiers:
        say("keep_tiers", "plan.err.tiers", values="、".join(bad_tiers[:5]))
    keep, keep_unknown = _resolve_stations(form.get("keep", ""), ws)
    close, close_unknown = _resolve_stations(form.get("close", ""), ws)
    for name, unknown in (("keep", keep_unknown), ("close", close_unknown)):
        if unknown:
            shown = "、".join(unknown[:5]) + ("…" if len(unknown) > 5 else "")
            say(name, "plan.err.stations", names=shown, count=len(unknown))
    st = ws.stations
    ids = st["station_id"].astype(str)
    kept_mask = ids.isin(keep) | st["tier"].astype(str).isin(tiers)
    both = sorted(set(ids[kept_mask]) & set(close))
    if both:
        names = dict(zip(ids, st["name"].astype(str), strict=True))
        say("close", "plan.err.both", names="、".join(names[s] for s in both[:5]), count=len(both))
    if target is not None and "target" not in errors:
        low, high = max(int(kept_mask.sum()), 1), n_stations - len(close)
        deputies = 0 if ws.deputies is None else len(ws.deputies)
        if not low <= target <= high:
            say(
                "target",
                "plan.err.target",
                low=low,
                high=high,
                must=int(kept_mask.sum()),
                closed=len(close),
            )
        elif deputies and deputies < settings.min_deputies_per_station * target:
            say(
                "target",
                "plan.err.target_deputies",
                deputies=deputies,
                least=settings.min_deputies_per_station,
                most=deputies // settings.min_deputies_per_station,
            )
        elif deputies and deputies > settings.max_deputies_per_station * target:
            fewest = -(-deputies // settings.max_deputies_per_station)
            say(
                "target",
                "plan.err.target_crowded",
                deputies=deputies,
                most=settings.max_deputies_per_station,
                fewest=fewest,
            )
    if errors or target is None or minutes is None or limit is None:
        return None, errors
    return (
        Scenario(
            target=int(target),
            minutes=minutes,
            mode=mode,
            keep=tuple(keep),
            close=tuple(close),
            keep_tiers=tuple(dict.fromkeys(tiers)),
            curve=form.get("curve", "") in ("1", "on", "true"),
            time_limit_s=limit,
        ),
        {},
    )


# --- scenarios: the runner -------------------------------------------------------------------


class BusyError(Exception):
    """Another scenario of this workspace is running."""


class _FileLock:
    """An exclusive lock on a file, held by one open file across processes (``flock``;
    ``msvcrt.locking`` on Windows), released when the holder closes it or dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "nt":  # pragma: no cover - the county servers we test run Linux
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically: a poll never reads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _update(folder: Path, **changes: Any) -> dict[str, Any]:
    path = folder / "job.json"
    job = _read_json(path) or {}
    job.update(changes)
    _write_json(path, job)
    return job


def _records(frame: Any) -> list[dict[str, Any]]:
    """A frame's rows as JSON-safe dicts (NaN and infinities as None)."""
    rows = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()  # numpy scalars
            if isinstance(value, float) and _finite(value) is None:
                value = None
            clean[str(key)] = value
        rows.append(clean)
    return rows


def _result_payload(plan: Any, curve: Any) -> dict[str, Any]:
    """What the scenario page shows, saved once beside the report."""
    absorb = plan.absorb[
        [
            "closed_id",
            "closed_name",
            "closed_tier",
            "township_code",
            "into_id",
            "into_name",
            "travel_s",
            "n_villages",
            "n_deputies",
            "population",
        ]
    ]
    before_after = plan.before_after[["indicator", "label_zh", "before", "after", "change"]]
    payload: dict[str, Any] = {
        "summary": json.loads(strict_json(plan.summary)),
        "absorb": _records(absorb),
        "before_after": _records(before_after.astype(object)),
        "curve": [] if curve is None else _records(curve),
    }
    return payload


def run_scenario(folder: str, ws: Workspace, settings: Settings, params: dict[str, Any]) -> None:
    """Run one scenario and leave its files, its result and its state in ``folder``.

    The child process's whole life: the calls ``gridgov consolidate`` makes
    (:func:`gridgov.cli.plan.run_consolidation`), on the served workspace, with the
    progress of the trade-off curve written to ``job.json`` as it goes. Every failure
    ends as a ``failed`` state saying why; nothing is raised to the parent.
    """
    out = Path(folder)
    scenario = Scenario.of(params)
    start = time.monotonic()
    _update(out, state="running", stage="plan", done=0, total=0, started_at=_now().isoformat())
    try:
        from gridgov.coverage.consolidate import consolidate, consolidate_with_curve
        from gridgov.coverage.plan_report import write_consolidation

        curve = None
        if scenario.curve:

            def progress(done: int, total: int) -> None:
                _update(out, stage="curve", done=done, total=total)

            plan, curve = consolidate_with_curve(
                ws, progress=progress, settings=settings, **scenario.options()
            )
        else:
            plan = consolidate(ws, settings=settings, **scenario.options())
        _update(out, stage="report")
        write_consolidation(plan, out, curve=curve)
        has_map = False
        try:
            import maps
        except ImportError:
            log.warning("the maps extra is missing: scenario %s has no map", out.name)
        else:
            _update(out, stage="map")
            fmap = maps.consolidation_map(ws, plan, basemap="none")
            maps.save_html(fmap, out / "consolidation-map.html")
            has_map = True
        _write_json(out / "result.json", _result_payload(plan, curve))
        _update(
            out,
            state="done",
            stage="done",
            has_map=has_map,
            finished_at=_now().isoformat(),
            seconds=round(time.monotonic() - start, 1),
        )
    except GridgovError as exc:
        # the core's refusal (an infeasible plan, a parameter it checks itself): said as is
        field_name = exc.parameter if isinstance(exc, ParameterError) else None
        _update(
            out,
            state="failed",
            stage="failed",
            finished_at=_now().isoformat(),
            error={"key": "plan.job.refused", "detail": str(exc), "field": field_name},
        )
    except Exception as exc:  # a bug: kept for the log, said plainly on the page
        log.exception("scenario %s failed", out.name)
        _update(
            out,
            state="failed",
            stage="failed",
            finished_at=_now().isoformat(),
            error={"key": "plan.job.crashed", "detail": f"{type(exc).__name__}: {exc}"},
        )


class Scenarios:
    """The scenario jobs of one workspace: started one at a time, each in a child process
    watched by a thread, each leaving a folder ``<jobs>/<job id>/``.

    Parameters
    ----------
    folder : Path
        The jobs folder (created when missing).
    ws : Workspace
    settings : Settings
    """

    def __init__(self, folder: Path, ws: Workspace, settings: Settings) -> None:
        self.folder = folder
        self.ws = ws
        self.settings = settings
        self._lock = threading.Lock()
        self._running: dict[str, Any] = {}  # job id -> the child process
        self._cancelled: set[str] = set()

    def start(self, scenario: Scenario, *, by: str) -> str:
        """Start ``scenario``; returns its job id.

        Raises
        ------
        BusyError
            If a scenario of this workspace is running (in this or another process).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            lock = _FileLock(self.folder / "running.lock")
            if not lock.acquire():
                raise BusyError()
            try:
                created = _now()
                job_id = f"{created.astimezone(CHINA_TIME):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
                out = self.folder / job_id
                out.mkdir()
                _write_json(
                    out / "job.json",
                    {
                        "job_id": job_id,
                        "state": "queued",
                        "stage": "queued",
                        "done": 0,
                        "total": 0,
                        "created_at": created.isoformat(),
                        "by": by,
                        "params": asdict(scenario),
                        "pid": os.getpid(),
                    },
                )
                # spawn, not fork: the server's threads and sockets must not be copied
                process = multiprocessing.get_context("spawn").Process(
                    target=run_scenario,
                    args=(str(out), self.ws, self.settings, asdict(scenario)),
                    name=f"gridgov-plan-{job_id}",
                    daemon=True,
                )
                process.start()
                self._running[job_id] = process
            except BaseException:
                lock.release()
                raise
        threading.Thread(
            target=self._watch, args=(job_id, process, lock), name=f"watch-{job_id}", daemon=True
        ).start()
        return job_id

    def _watch(self, job_id: str, process: Any, lock: _FileLock) -> None:
        try:
            process.join()
            out = self.folder / job_id
            job = _read_json(out / "job.json") or {}
            if job.get("state") not in _TERMINAL:
                finished = _now().isoformat()
                if job_id in self._cancelled:
                    _update(out, state="cancelled", stage="cancelled", finished_at=finished)
                else:  # killed (out of memory) or crashed in native code
                    _update(
                        out,
                        state="failed",
                        stage="failed",
                        finished_at=finished,
                        error={"key": "plan.job.died", "detail": f"exit {process.exitcode}"},
                    )
        finally:
            with self._lock:
                self._running.pop(job_id, None)
                self._cancelled.discard(job_id)
            lock.release()

    def cancel(self, job_id: str) -> bool:
        """Stop a running scenario of this process; False if it is not running here."""
        with self._lock:
            process = self._running.get(job_id)
            if process is None:
                return False
            self._cancelled.add(job_id)
        process.terminate()
        return True

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job's state (None for an unknown id); a job left running by a server that
        stopped is marked failed here."""
        if not _JOB_ID.fullmatch(job_id):
            return None
        out = self.folder / job_id
        job = _read_json(out / "job.json")
        if job is None or job.get("state") in _TERMINAL:
            return job
        with self._lock:
            if job_id in self._running:
                return job
            # Running nowhere in this process: in another worker only if the lock is held.
            lock = _FileLock(self.folder / "running.lock")
            if lock.acquire():
                lock.release()
                job = _read_json(out / "job.json") or job
                if job.get("state") not in _TERMINAL:
                    job = _update(
                        out,
                        state="failed",
                        stage="failed",
                        error={"key": "plan.job.interrupted", "detail": ""},
                    )
        return job

    def jobs(self, limit: int = JOBS_SHOWN) -> list[dict[str, Any]]:
        """The newest jobs first."""
        if not self.folder.is_dir():
            return []
        ids = sorted(
            (p.name for p in self.folder.iterdir() if _JOB_ID.fullmatch(p.name)), reverse=True
        )
        found = [self.job(i) for i in ids[:limit]]
        return [j for j in found if j is not None]

    def running(self) -> bool:
        """Whether a scenario of this workspace is running (here or in another worker)."""
        if self._running:
            return True
        if not self.folder.is_dir():
            return False
        lock = _FileLock(self.folder / "running.lock")
        if lock.acquire():
            lock.release()
            return False
        return True

    def result(self, job_id: str) -> dict[str, Any] | None:
        if not _JOB_ID.fullmatch(job_id):
            return None
        return _read_json(self.folder / job_id / "result.json")


def jobs_folder(request: Request) -> Path | None:
    """Where scenarios are kept: ``app.state.plan_jobs_folder`` when set, else
    ``$GRIDGOV_PLAN_JOBS``, else ``<issue database>.plan-jobs`` beside a SQLite store;
    None for a store with no folder (PostGIS) and nothing set."""
    explicit = getattr(request.app.state, "plan_jobs_folder", None) or os.environ.get(JOBS_ENV)
    if explicit:
        return Path(explicit)
    path = getattr(get_service(request).store, "path", None)
    return None if path is None else Path(f"{path}.plan-jobs")


def scenarios_of(request: Request) -> Scenarios | None:
    state = _state(request)
    with state.jobs_lock:  # never waits for a coverage being worked out
        if state.scenarios is None:
            folder = jobs_folder(request)
            if folder is None:
                return None
            service = get_service(request)
            state.scenarios = Scenarios(folder, service.ws, service.settings)
        return state.scenarios


# --- scenarios: pages ------------------------------------------------------------------------


def _progress(job: Mapping[str, Any]) -> int:
    """Percent done, from the stage and the curve's points (the plan is about a tenth)."""
    stage = job.get("stage", "queued")
    if stage == "done":
        return 100
    if stage == "curve" and job.get("total"):
        return 15 + int(70 * int(job.get("done", 0)) / int(job["total"]))
    return {"queued": 0, "plan": 5, "report": 88, "map": 94}.get(str(stage), 0)


def _status(job: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The JSON the scenario page polls."""
    stage = str(job.get("stage", "queued"))
    key = f"plan.stage.{stage}" if stage in _STAGES else "plan.stage.queued"
    label = text(key, lang)
    if stage == "curve" and job.get("total"):
        label = text("plan.stage.curve_n", lang, done=job.get("done", 0), total=job["total"])
    started = job.get("started_at") or job.get("created_at")
    elapsed = 0.0
    if started:
        end = job.get("finished_at")
        stop = datetime.fromisoformat(end) if end else _now()
        elapsed = max(0.0, (stop - datetime.fromisoformat(started)).total_seconds())
    error = job.get("error") or None
    return {
        "job_id": job.get("job_id"),
        "state": job.get("state"),
        "stage": stage,
        "label": label,
        "percent": _progress(job),
        "elapsed_s": round(elapsed),
        "finished": job.get("state") in _TERMINAL,
        "error": None if error is None else _error_text(error, lang),
    }


_STAGES = ("queued", "plan", "curve", "report", "map", "done", "failed", "cancelled")


def _error_text(error: Mapping[str, Any], lang: str) -> str:
    key = str(error.get("key", "plan.job.crashed"))
    if not key.startswith("plan.job."):
        key = "plan.job.crashed"
    return text(key, lang, detail=str(error.get("detail", "")))


def _scenarios_page(
    request: Request,
    user: PageUser,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    service = get_service(request)
    runner = scenarios_of(request)
    st = service.ws.stations
    towns = dict(
        zip(
            service.ws.townships["code"].astype(str),
            service.ws.townships["name"].astype(str),
            strict=True,
        )
    )
    stations = [
        (
            str(r.station_id),
            str(r.name),
            StationTier(str(r.tier)),
            towns.get(str(r.township_code), ""),
        )
        for r in st.itertuples(index=False)
    ]
    jobs = [] if runner is None else runner.jobs()
    lang = page_lang(request)
    return render(
        request,
        "planner/scenarios.html",
        {
            **_base(request, user, "scenarios"),
            "form": form or _defaults(service.settings, len(st)),
            "errors": errors or {},
            "notice": notice,
            "stations": stations,
            "tiers": list(StationTier),
            "modes": MODES,
            "jobs": [(j, _status(j, lang)) for j in jobs],
            "no_folder": runner is None,
            "busy": runner is not None and runner.running(),
            "n_stations": len(st),
            "max_minutes": MAX_MINUTES,
            "limits": (MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S),
        },
        status_code=status_code,
    )


@router.get("/plan/scenarios")
def scenarios_page(request: Request) -> Response:
    """The scenario form and the scenarios run so far."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    return _scenarios_page(request, user)


@router.post("/plan/scenarios")
def start_scenario(
    request: Request,
    csrf: Annotated[str, Form(max_length=100)] = "",
    target: Annotated[str, Form(max_length=20)] = "",
    minutes: Annotated[str, Form(max_length=20)] = "",
    mode: Annotated[str, Form(max_length=20)] = "",
    keep: Annotated[str, Form(max_length=20_000)] = "",
    close: Annotated[str, Form(max_length=20_000)] = "",
    keep_tiers: Annotated[list[str] | None, Form()] = None,
    curve: Annotated[str, Form(max_length=10)] = "",
    time_limit: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check the scenario and start it; a bad field is said beside it, nothing started."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    form = {
        "target": target,
        "minutes": minutes,
        "mode": mode,
        "keep": keep,
        "close": close,
        "keep_tiers": ",".join(keep_tiers or [])[:200],
        "curve": curve,
        "time_limit": time_limit,
    }
    service = get_service(request)
    lang = page_lang(request)
    scenario, errors = parse_scenario(form, service.ws, service.settings, lang)
    if scenario is None:
        return _scenarios_page(request, user, form=form, errors=errors, status_code=400)
    runner = scenarios_of(request)
    if runner is None:
        return _scenarios_page(
            request,
            user,
            form=form,
            status_code=409,
            notice=text("plan.no_folder", lang, env=JOBS_ENV),
        )
    try:
        job_id = runner.start(scenario, by=user.account.name)
    except BusyError:
        return _scenarios_page(
            request, user, form=form, status_code=409, notice=text("plan.busy", lang)
        )
    return RedirectResponse(f"/plan/scenarios/{job_id}", status_code=303)


def _job_or_404(
    request: Request, user: PageUser, job_id: str
) -> tuple[Scenarios, dict[str, Any]] | Response:
    runner = scenarios_of(request)
    job = None if runner is None else runner.job(job_id)
    if runner is None or job is None:
        return error_page(request, 404, "plan.no_job", user)
    return runner, job


@router.get("/plan/scenarios/{job_id}")
def scenario_page(request: Request, job_id: str) -> Response:
    """A scenario: its progress while it runs, its map and figures when it is done."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    found = _job_or_404(request, user, job_id)
    if isinstance(found, Response):
        return found
    runner, job = found
    lang = page_lang(request)
    result = runner.result(job_id) if job.get("state") == "done" else None
    service = get_service(request)
    names = dict(
        zip(
            service.ws.stations["station_id"].astype(str),
            service.ws.stations["name"].astype(str),
            strict=True,
        )
    )
    towns = dict(
        zip(
            service.ws.townships["code"].astype(str),
            service.ws.townships["name"].astype(str),
            strict=True,
        )
    )
    params = Scenario.of(job["params"])
    return render(
        request,
        "planner/scenario.html",
        {
            **_base(request, user, "scenarios"),
            "job": job,
            "status": _status(job, lang),
            "params": params,
            "keep_names": [names.get(s, s) for s in params.keep],
            "close_names": [names.get(s, s) for s in params.close],
            "tier_names": [
                StationTier(t).label_zh if lang == "zh" else t for t in params.keep_tiers
            ],
            "result": result,
            "towns": towns,
            "downloads": [f for f in _DOWNLOADS if (runner.folder / job_id / f).is_file()],
            "minutes": _minutes,
        },
    )


def _minutes(seconds: Any) -> str:
    value = _finite(seconds)
    return "—" if value is None else f"{value / 60:.1f}"


@router.get("/plan/scenarios/{job_id}/status")
def scenario_status(request: Request, job_id: str) -> Response:
    """The scenario's state as JSON (polled by its page)."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        # logged in as another role: refused, not asked to log in (the page's script
        # would send a person who is logged in to the login page)
        if user.status_code == 403:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        return JSONResponse({"error": "login"}, status_code=401)
    runner = scenarios_of(request)
    job = None if runner is None else runner.job(job_id)
    if job is None:
        return JSONResponse({"error": text("plan.no_job", page_lang(request))}, status_code=404)
    return JSONResponse(_status(job, page_lang(request)), headers={"Cache-Control": "no-store"})


@router.post("/plan/scenarios/{job_id}/cancel")
def cancel_scenario(
    request: Request, job_id: str, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Stop a running scenario (its folder stays, marked cancelled)."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    refused = check_csrf(request, user, csrf)
    if refused is not None:
        return refused
    found = _job_or_404(request, user, job_id)
    if isinstance(found, Response):
        return found
    runner, job = found
    if job.get("state") in _TERMINAL or not runner.cancel(job_id):
        return error_page(request, 409, "plan.cannot_cancel", user)
    return RedirectResponse(f"/plan/scenarios/{job_id}", status_code=303)


@router.get("/plan/scenarios/{job_id}/map")
def scenario_map(request: Request, job_id: str) -> Response:
    """The scenario's consolidation map (before and after, where each closed station goes)."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    found = _job_or_404(request, user, job_id)
    if isinstance(found, Response):
        return found
    runner, _ = found
    path = runner.folder / job_id / "consolidation-map.html"
    if not path.is_file():
        return error_page(request, 404, "plan.no_map", user)
    return map_response(request, path.read_text(encoding="utf-8"))


@router.get("/plan/scenarios/{job_id}/files/{name}")
def scenario_file(request: Request, job_id: str, name: str) -> Response:
    """A file of the scenario's report (the XLSX, the CSVs, the curve)."""
    user = planner_only(request)
    if not isinstance(user, PageUser):
        return user
    found = _job_or_404(request, user, job_id)
    if isinstance(found, Response):
        return found
    runner, _ = found
    path = runner.folder / job_id / name
    if name not in _DOWNLOADS or not path.is_file():
        return error_page(request, 404, "web.error.no_page", user)
    return Response(
        path.read_bytes(),
        media_type=_DOWNLOADS[name],
        headers={"Content-Disposition": f'attachment; filename="{job_id}-{name}"'},
    )
