"""The staff's live map (``/work/map``) and statistics (``/work/stats``) pages.

For station admins, township staff and county staff, each seeing their own scope.

The map draws the open issues over the county's own layers (township outlines, grids,
stations), never an internet basemap: the page works on an intranet. Its script reads the
issues of the map's current extent from :func:`map_issues`, a session-authenticated GeoJSON
answer bounded by the extent and by :data:`MAP_LIMIT` (the store's bounded point read,
:meth:`~gridgov.store.base.Store.issue_points`, scoped by
:func:`~gridgov.issues.access.scope_query` and checked with
:func:`~gridgov.issues.access.can_see`), and reads it again every :data:`REFRESH_S`
seconds. Overdue and due-soon issues are coloured by the work queue's own tabs
(:func:`api.web.queue.tabs_of`), so the map and the 已超期 tab never disagree. Leaflet and
Leaflet.markercluster come from their XStatic packages, mounted by :func:`api.web.install`.

The statistics page shows the figures of the JSON API's ``/statistics`` (the same handler
is called, so the same scope and definitions apply: :mod:`gridgov.issues.stats`) for a
period, by township, station, category and week (or month), as SVG bar charts drawn here
on the server, and as an XLSX workbook of the same figures.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import get_service
from api.params import parse_bbox
from api.routes import analytics as analytics_api
from api.web import page_lang, render
from api.web.auth import STAFF_ROLES, PageUser, page_user, staff_only
from api.web.staff import Names, _choices, _names, classify, local
from gridgov._errors import ParameterError
from gridgov.issues.access import Principal, can_see, scope_query
from gridgov.issues.service import IssueService
from gridgov.messages import text
from gridgov.model import CHINA_TIME, IssueStatus
from gridgov.store.base import IssuePoint, IssueQuery

__all__ = [
    "CHART_TOP",
    "MAP_LIMIT",
    "MAX_PERIOD_DAYS",
    "REFRESH_S",
    "WEEKLY_UP_TO_DAYS",
    "Period",
    "router",
]

log = logging.getLogger(__name__)

#: The most issues one answer of the map's data holds (the newest first); the page says
#: when more lie in the extent. Leaflet.markercluster stays responsive well past this.
MAP_LIMIT = 5000
#: How often the map reads its issues again (seconds).
REFRESH_S = 60
#: The longest period the statistics page sums (three years of months).
MAX_PERIOD_DAYS = 3 * 366
#: Periods up to this long are charted by week; longer ones by month (a readable chart).
WEEKLY_UP_TO_DAYS = 92
#: Units drawn in a chart (the table below it lists every one).
CHART_TOP = 30

router = APIRouter(include_in_schema=False)

_EPOCH = datetime(2000, 1, 1, tzinfo=CHINA_TIME)
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- shared -----------------------------------------------------------------------------------


def _t(request: Request) -> Callable[..., str]:
    lang = page_lang(request)

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    return t


def _status_label(status: IssueStatus, lang: str) -> str:
    return status.label_zh if lang == "zh" else status.value.replace("_", " ")


def _scope_name(service: IssueService, p: Principal, names: Names) -> str:
    """The unit whose figures a person sees, by name (the county, a township, a station)."""
    if p.county:
        return str(service.ws.county["name"].iloc[0])
    if p.role == "township_staff":
        return "、".join(names.townships.get(t, t) for t in sorted(p.townships))
    return "、".join(names.stations.get(s, s) for s in sorted(p.stations))


# --- the map: filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFilters:
    """The map's filters (each optional): category, station, township."""

    category: str = ""
    station: str = ""
    township: str = ""

    def query(self) -> str:
        pairs = {"category": self.category, "station": self.station, "township": self.township}
        return urlencode({k: v for k, v in pairs.items() if v})


def _map_filters(
    params: Mapping[str, str],
    categories: Mapping[str, str],
    choices: Mapping[str, list[tuple[str, str]]],
) -> tuple[MapFilters, list[tuple[str, str]]]:
    """The filters of a query string, and ``(name, value)`` of each one refused (an unknown
    category, a station or township outside the person's choices)."""
    bad: list[tuple[str, str]] = []
    known = {
        "category": set(categories),
        "station": {s for s, _ in choices["stations"]},
        "township": {t for t, _ in choices["townships"]},
    }
    kept: dict[str, str] = {}
    for name, allowed in known.items():
        value = params.get(name, "").strip()[:100]
        if value and value not in allowed:
            bad.append((name, value))
            value = ""
        kept[name] = value
    return MapFilters(**kept), bad


# --- the map: page ----------------------------------------------------------------------------


@router.get("/work/map")
def map_page(request: Request) -> Response:
    """The live map of the open issues of the person's scope."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    names = _names(request, service)
    choices = _choices(user.principal, service, names)
    categories = service.settings.issue_categories
    f, bad = _map_filters(request.query_params, categories, choices)
    t = _t(request)
    # what the page's script says: the catalogue's words in the page's language
    words = {
        key: t(f"board.map.{key}", **values)
        for key, values in (
            ("count", {"shown": "{shown}", "overdue": "{overdue}", "due_soon": "{due_soon}",
                       "time": "{time}"}),
            ("truncated", {"total": "{total}", "shown": "{shown}"}),
            ("failed", {"reason": "{reason}"}),
            ("expired", {}), ("open_issue", {}), ("created", {}), ("unit", {}), ("grid", {}),
            ("status", {}), ("overdue", {}), ("due_soon", {}), ("open", {}), ("loading", {}),
            ("stations", {}), ("grids", {}), ("townships", {}),
        )
    }  # fmt: skip
    return render(
        request,
        "board/map.html",
        {
            "user": user,
            "f": f,
            "bad": [name for name, _ in bad],
            "categories": categories,
            "choices": choices,
            "words": words,
            "refresh_s": REFRESH_S,
        },
        status_code=400 if bad else 200,
    )


# --- the map: data ----------------------------------------------------------------------------


def _json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


def _json_staff(request: Request) -> PageUser | JSONResponse:
    """The logged-in staff member, or a JSON refusal (the page's script reads it: a redirect
    to the login page would come back as HTML)."""
    t = _t(request)
    user = page_user(request)
    if user is None:
        return _json_error(401, t("board.error.login"))
    if user.principal.role not in STAFF_ROLES:
        return _json_error(403, t("board.error.forbidden"))
    return user


def _states(service: IssueService, points: Sequence[IssuePoint], now: datetime) -> dict[str, str]:
    """``issue_id -> "overdue" | "due_soon"`` for the points in those tabs of the queue,
    classified from the store's queue rows of those points only (their deadlines, without
    decoding a document): at 15,000 open issues reading every issue due within a day took
    1.0-2.6 s a request, the queue rows of the whole extent 450 / 600 ms (p50 / p95)."""
    ids = {p.issue_id for p in points}
    if not ids:
        return {}
    rows = service.store.queue_rows(IssueQuery(issue_ids=tuple(ids), limit=-1))
    states: dict[str, str] = {}
    for row, tabs in classify(service, rows, now):
        if "overdue" in tabs:
            states[row.issue_id] = "overdue"
        elif "due_soon" in tabs:
            states[row.issue_id] = "due_soon"
    return states


@router.get("/work/map/issues.geojson")
def map_issues(request: Request) -> Response:
    """The open issues of the person's scope inside ``bbox`` (and the filters), newest
    first, at most :data:`MAP_LIMIT`, as GeoJSON points with what a popup shows; ``total``
    says how many the extent holds."""
    user = _json_staff(request)
    if not isinstance(user, PageUser):
        return user
    t = _t(request)
    lang = page_lang(request)
    service = get_service(request)
    names = _names(request, service)
    p = user.principal
    raw = request.query_params.get("bbox", "").strip()
    if not raw:
        return _json_error(400, t("board.error.bbox_missing"))
    try:
        box = parse_bbox(raw[:200])
    except ParameterError:
        return _json_error(400, t("board.error.bbox", value=raw[:200]))
    categories = service.settings.issue_categories
    f, bad = _map_filters(request.query_params, categories, _choices(p, service, names))
    if bad:
        name, value = bad[0]
        return _json_error(400, t(f"board.error.{name}", value=value))
    query = scope_query(
        p,
        IssueQuery(
            bbox=box,
            open_only=True,
            category=f.category or None,
            station_id=f.station or None,
            township_code=f.township or None,
            limit=MAP_LIMIT,
        ),
    )
    if query is None:  # staff always have a scope; kept for a role added later
        return _json_error(403, t("board.error.forbidden"))
    points, total = service.store.issue_points(query)
    points = [q for q in points if can_see(p, q)]
    now = service.clock()
    states = _states(service, points, now)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(q.lon, 7), round(q.lat, 7)]},
            "properties": {
                "id": q.issue_id,
                "state": states.get(q.issue_id, "open"),
                "category": categories.get(q.category, q.category),
                "status": _status_label(q.status, lang),
                "grid": names.grids.get(q.grid_code, q.grid_code),
                "unit": q.unit_name,
                "created": local(q.created_at),
                "summary": q.description[:60],
            },
        }
        for q in points
    ]
    body = {
        "type": "FeatureCollection",
        "features": features,
        "total": total,
        "shown": len(features),
        "overdue": sum(s == "overdue" for s in states.values()),
        "due_soon": sum(s == "due_soon" for s in states.values()),
        "updated": now.astimezone(CHINA_TIME).strftime("%H:%M"),
    }
    return Response(
        json.dumps(body, ensure_ascii=False, allow_nan=False),
        media_type="application/geo+json",
        headers={"Cache-Control": "no-store"},
    )


def _features(gdf: Any, columns: Sequence[str]) -> dict[str, Any]:
    """A layer's ``columns`` as a GeoJSON FeatureCollection, outlines simplified to about a
    metre (the map is for finding places, and a county's grids are many)."""
    frame = gdf[[*columns, "geometry"]].copy()
    for column in columns:
        frame[column] = frame[column].astype(str)
    frame["geometry"] = frame.geometry.simplify(1e-5, preserve_topology=True)
    result: dict[str, Any] = json.loads(frame.to_json(drop_id=True, ensure_ascii=False))
    result.pop("crs", None)
    return result


@router.get("/work/map/base.json")
def map_base(request: Request) -> Response:
    """The map's own layers for the person's scope: every township outline, the grids and
    stations they may see (names and codes only: the grids layer also holds the grid
    workers' phones), and the extent to open at."""
    user = _json_staff(request)
    if not isinstance(user, PageUser):
        return user
    service = get_service(request)
    p = user.principal
    cache: dict[tuple[str, str], str] | None = getattr(request.app.state, "board_base", None)
    if cache is None:
        cache = {}
        request.app.state.board_base = cache
    key = (p.role, p.subject)
    body = cache.get(key)
    if body is None:
        names = _names(request, service)
        choices = _choices(p, service, names)
        ws = service.ws
        stations = {s for s, _ in choices["stations"]}
        grids = {g for g, _ in choices["grids"]}
        st = ws.stations[ws.stations["station_id"].astype(str).isin(stations)]
        layers: dict[str, Any] = {
            "townships": _features(ws.townships, ["code", "name"]),
            "stations": _features(st, ["station_id", "name", "tier"]),
        }
        shown = st
        if ws.grids is not None:
            gr = ws.grids[ws.grids["code"].astype(str).isin(grids)]
            layers["grids"] = _features(gr, ["code", "name"])
            if len(gr):
                shown = gr
        else:
            layers["grids"] = {"type": "FeatureCollection", "features": []}
        if not len(shown):
            shown = ws.townships
        x0, y0, x1, y1 = (float(v) for v in shown.total_bounds)
        layers["bounds"] = [[y0, x0], [y1, x1]]
        body = json.dumps(layers, ensure_ascii=False, allow_nan=False)
        cache[key] = body  # the workspace does not change while the service runs
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


# --- statistics: the period -------------------------------------------------------------------

_PRESETS = ("this_month", "last_month", "this_quarter", "this_year")


@dataclass(frozen=True)
class Period:
    """A statistics period of whole days in China time: ``first`` to ``last`` inclusive."""

    first: date
    last: date
    preset: str = ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=CHINA_TIME)

    @property
    def end(self) -> datetime:
        """The moment after the period (exclusive, as the statistics take it)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=CHINA_TIME)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def query(self) -> str:
        return urlencode({"from": self.first.isoformat(), "to": self.last.isoformat()})

    @classmethod
    def preset_of(cls, name: str, today: date) -> Period:
        """One of :data:`_PRESETS` around ``today``."""
        month_start = today.replace(day=1)
        if name == "last_month":
            last = month_start - timedelta(days=1)
            return cls(last.replace(day=1), last, name)
        if name == "this_quarter":
            first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
            return cls(first, _month_end(first.replace(month=first.month + 2)), name)
        if name == "this_year":
            return cls(today.replace(month=1, day=1), today.replace(month=12, day=31), name)
        return cls(month_start, _month_end(today), "this_month")


def _month_end(d: date) -> date:
    following = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


class PeriodError(ValueError):
    """A period the page cannot sum: the catalogue key saying why, and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def parse_period(params: Mapping[str, str], today: date) -> Period:
    """The period a query string asks for: ``period=`` a preset, else ``from`` / ``to``
    dates (``YYYY-MM-DD``; either alone runs to the end of its month or from the start of
    its month), else this month.

    Raises
    ------
    PeriodError
        For an unknown preset, an unreadable date, an end before the start, a date outside
        2001-2099 or a period longer than :data:`MAX_PERIOD_DAYS`.
    """
    preset = params.get("period", "").strip()
    if preset:
        if preset not in _PRESETS:
            raise PeriodError("board.stats.bad_period", value=preset[:40])
        return Period.preset_of(preset, today)
    found: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = params.get(name, "").strip()
        day = None
        if raw:
            try:
                day = date.fromisoformat(raw[:40])
            except ValueError:
                raise PeriodError("board.stats.bad_date", value=raw[:40]) from None
            # the API's instants run from 2000-01-01 UTC, which a China midnight of that day
            # precedes: whole years inside it
            if not 2001 <= day.year <= 2099:
                raise PeriodError("board.stats.out_of_range")
        found[name] = day
    first, last = found["from"], found["to"]
    if first is None:
        if last is None:
            return Period.preset_of("this_month", today)
        first = last.replace(day=1)
    if last is None:
        last = _month_end(first)
    if last < first:
        raise PeriodError("board.stats.bad_order")
    period = Period(first, last)
    if period.days > MAX_PERIOD_DAYS:
        raise PeriodError("board.stats.too_long", days=MAX_PERIOD_DAYS)
    return period


def _buckets(period: Period, t: Callable[..., str]) -> tuple[str, list[tuple[str, Period]]]:
    """The period cut into weeks (Monday to Sunday, the first and last cut at the period's
    ends) or, past :data:`WEEKLY_UP_TO_DAYS`, months: the group's title key and each part
    with its label."""
    parts: list[tuple[str, Period]] = []
    if period.days <= WEEKLY_UP_TO_DAYS:
        day = period.first
        while day <= period.last:
            end = min(day + timedelta(days=6 - day.weekday()), period.last)
            first, last = f"{day.month}-{day.day:02d}", f"{end.month}-{end.day:02d}"
            label = first if day == end else t("board.stats.week", start=first, end=last)
            parts.append((label, Period(day, end)))
            day = end + timedelta(days=1)
        return "week", parts
    day = period.first
    while day <= period.last:
        end = min(_month_end(day), period.last)
        parts.append((t("board.stats.month", year=day.year, month=day.month), Period(day, end)))
        day = end + timedelta(days=1)
    return "month", parts


# --- statistics: the figures ------------------------------------------------------------------

#: The figures of a row, in the order the tables and the workbook show them.
FIGURES: tuple[str, ...] = (
    "received", "settled", "settle_rate", "on_time", "on_time_rate", "rated", "satisfied",
    "satisfaction_rate", "unsatisfied", "reopened", "escalated", "open_backlog", "merged",
    "mean_hours_to_acknowledge", "mean_hours_to_resolve", "deputy_visits",
)  # fmt: skip
RATES = frozenset({"settle_rate", "on_time_rate", "satisfaction_rate"})
HOURS = frozenset({"mean_hours_to_acknowledge", "mean_hours_to_resolve"})
#: The figures the page's tables show (the workbook has them all).
TABLE_FIGURES: tuple[str, ...] = (
    "received", "settled", "settle_rate", "on_time", "on_time_rate", "rated",
    "satisfaction_rate", "open_backlog", "deputy_visits",
)  # fmt: skip
#: The figures of the cards over the charts.
CARDS: tuple[str, ...] = (
    "received", "settled", "settle_rate", "on_time_rate", "satisfaction_rate", "open_backlog",
    "deputy_visits",
)  # fmt: skip

_By = Literal["county", "township", "station", "category"]


@dataclass(frozen=True)
class Group:
    """One breakdown of the figures: its key (``township``, ``station``, ``category``,
    ``week``, ``month``), title and rows (``unit``, ``name`` and the figures), in the order
    the statistics give them (time parts in time order)."""

    key: str
    title: str
    rows: list[dict[str, Any]]

    @property
    def timed(self) -> bool:
        return self.key in ("week", "month")


@dataclass(frozen=True)
class Figures:
    """What the statistics page and the workbook show for one period and scope."""

    period: Period
    scope: str
    summary: dict[str, Any]
    groups: list[Group]


def _statistics(service: IssueService, p: Principal, by: _By, period: Period) -> dict[str, Any]:
    # the JSON API's own handler: the page shares its scope rule and its figures
    answer: dict[str, Any] = analytics_api.statistics(service, p, by, period.start, period.end)
    return answer


def _groups_of(p: Principal) -> tuple[_By, ...]:
    """The breakdowns that say something in a scope (a station's figures by township would
    be one row, its own)."""
    if p.county:
        return ("township", "station", "category")
    if p.role == "township_staff":
        return ("station", "category")
    return ("category",)


def figures(service: IssueService, p: Principal, period: Period, t: Callable[..., str]) -> Figures:
    """The figures of ``period`` in ``p``'s scope, each from the statistics (never summed
    here): the summary, one breakdown per unit kind, and one summary per week or month."""
    names = Names.of(service)
    groups: list[Group] = []
    summary: dict[str, Any] = {}
    for by in _groups_of(p):
        answer = _statistics(service, p, by, period)
        summary = answer["summary"]
        groups.append(Group(by, t(f"board.stats.by_{by}"), list(answer["rows"])))
    kind, parts = _buckets(period, t)
    timed = []
    for label, part in parts:
        figures_of = _statistics(service, p, "county", part)["summary"]
        timed.append({"unit": part.first.isoformat(), "name": label, **figures_of})
    groups.append(Group(kind, t(f"board.stats.by_{kind}"), timed))
    return Figures(period, _scope_name(service, p, names), summary, groups)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _shown(key: str, value: Any) -> str:
    """A figure as the page shows it."""
    if key in RATES:
        return _pct(value)
    if value is None:
        return "—"
    if key in HOURS:
        return f"{float(value):.1f}"
    return str(int(value))


# --- statistics: charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart, laid out: the label (cut to fit, ``full`` in its tooltip),
    the two bars' widths and the rate written after them."""

    y: int
    label: str
    full: str
    received: int
    settled: int
    received_w: float
    settled_w: float
    note: str


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of received and settled per row, in SVG user units."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    label_w: int
    bar_w: int
    shown: int
    total: int


_ROW_H = 34
_TOP = 30


def _cut(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def chart(group: Group, t: Callable[..., str]) -> Chart:
    """The chart of a breakdown: time parts all, in order; units with issues, most first,
    at most :data:`CHART_TOP`."""
    rows = group.rows
    with_issues = [r for r in rows if r["received"]]
    if not group.timed:
        rows = sorted(with_issues, key=lambda r: (-int(r["received"]), str(r["name"])))
        rows = rows[:CHART_TOP]
    label_w, bar_w, width = 200, 420, 800
    top = max([int(r["received"]) for r in rows] + [1])
    bars = [
        Bar(
            y=_TOP + k * _ROW_H,
            label=_cut(str(r["name"])),
            full=str(r["name"]),
            received=int(r["received"]),
            settled=int(r["settled"]),
            received_w=round(bar_w * int(r["received"]) / top, 1),
            settled_w=round(bar_w * int(r["settled"]) / top, 1),
            note=t("board.stats.rate_note", rate=_pct(r["settle_rate"])) if r["received"] else "",
        )
        for k, r in enumerate(rows)
    ]
    return Chart(
        t("board.stats.chart", title=group.title),
        bars,
        width,
        _TOP + len(bars) * _ROW_H + 6,
        label_w,
        bar_w,
        len(bars),
        len(with_issues),
    )


# --- statistics: the page ---------------------------------------------------------------------


def _figures_or_page(request: Request, user: PageUser) -> Figures | Response:
    """The figures of the period the query asks for, or the page saying why it cannot
    be summed (400, the period picker kept to put it right)."""
    service = get_service(request)
    t = _t(request)
    today = service.clock().astimezone(CHINA_TIME).date()
    try:
        return figures(service, user.principal, parse_period(request.query_params, today), t)
    except PeriodError as exc:
        error = t(exc.key, **exc.values)
    except ParameterError:  # a period the statistics refuse that the picker let through
        error = t("board.stats.out_of_range")
    return _stats_page(request, user, Period.preset_of("this_month", today), None, error=error)


def _stats_page(
    request: Request, user: PageUser, period: Period, figs: Figures | None, *, error: str = ""
) -> HTMLResponse:
    t = _t(request)
    today = get_service(request).clock().astimezone(CHINA_TIME).date()
    context: dict[str, Any] = {
        "user": user,
        "period": period,
        "presets": [(name, Period.preset_of(name, today)) for name in _PRESETS],
        "error": error,
        "figures": figs,
    }
    if figs is not None:
        context |= {
            "cards": CARDS,
            "table_figures": TABLE_FIGURES,
            "charts": {g.key: chart(g, t) for g in figs.groups},
            "shown": _shown,
            "export": f"/work/stats.xlsx?{period.query()}",
        }
    return render(request, "board/stats.html", context, status_code=400 if error else 200)


@router.get("/work/stats")
def stats_page(request: Request) -> Response:
    """Received, settled, on time and satisfaction for a period, by unit and week."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    figs = _figures_or_page(request, user)
    if not isinstance(figs, Figures):
        return figs
    return _stats_page(request, user, figs.period, figs)


# --- statistics: the workbook -----------------------------------------------------------------


def workbook(figs: Figures, generated: datetime, t: Callable[..., str]) -> bytes:
    """The figures as an XLSX workbook: a summary sheet and one sheet per breakdown, each
    with the title, period, scope and generation time (China time) above a bold, frozen
    header row with an autofilter; rates are numbers shown as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    heading = [
        t("board.xlsx.title"),
        t("board.xlsx.period", start=figs.period.first.isoformat(),
          end=figs.period.last.isoformat()),
        t("board.xlsx.scope", scope=figs.scope),
        t("board.xlsx.generated", time=local(generated)),
    ]  # fmt: skip
    top = len(heading) + 2  # the header row, under the heading and a blank row

    def sheet(title: str, header: list[str], rows: list[list[tuple[str, Any]]]) -> None:
        """A sheet of ``rows`` of ``(figure key, value)`` cells (the key decides the
        number format)."""
        ws = book.create_sheet(title[:31])
        for k, line in enumerate(heading, start=1):
            ws.cell(row=k, column=1, value=line).data_type = "s"
        ws["A1"].font = Font(bold=True, size=14)
        for c, name in enumerate(header, start=1):
            ws.cell(row=top, column=c, value=name).font = Font(bold=True)
        for r, values in enumerate(rows, start=top + 1):
            for c, (key, value) in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # a name starting with "=" is text, never a formula
                elif key in RATES:
                    cell.number_format = "0.0%"
                elif key in HOURS:
                    cell.number_format = "0.0"
        ws.freeze_panes = f"A{top + 1}"
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{top + max(len(rows), 1)}"
        # widths as gridgov.io.write_xlsx sizes them, from the header down
        for c in range(1, len(header) + 1):
            cells = [
                ws.cell(row=r, column=c).value for r in range(top, top + 1 + min(len(rows), 200))
            ]
            width = max(len("" if v is None else str(v)) for v in cells)
            ws.column_dimensions[get_column_letter(c)].width = min(40, 4 + width * 1.6)

    book.remove(book.worksheets[0])
    sheet(
        t("board.xlsx.summary"),
        [t("board.col.metric"), t("board.col.value")],
        [[("", t(f"board.col.{key}")), (key, figs.summary.get(key))] for key in FIGURES],
    )
    for group in figs.groups:
        names = ["name"] if group.timed else ["unit", "name"]
        first = (
            [t("board.col.period")] if group.timed else [t("board.col.unit"), t("board.col.name")]
        )
        rows = [
            [("", str(row.get(k) or "")) for k in names] + [(k, row.get(k)) for k in FIGURES]
            for row in group.rows
        ]
        sheet(group.title, [*first, *(t(f"board.col.{k}") for k in FIGURES)], rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@router.get("/work/stats.xlsx")
def stats_xlsx(request: Request) -> Response:
    """The statistics page's figures as an XLSX workbook (headers in the page's language)."""
    user = staff_only(request)
    if not isinstance(user, PageUser):
        return user
    figs = _figures_or_page(request, user)
    if not isinstance(figs, Figures):
        return figs
    service = get_service(request)
    t = _t(request)
    period = figs.period
    body = workbook(figs, service.clock(), t)
    stem = f"{period.first.isoformat()}_{period.last.isoformat()}"
    name = f"{t('board.xlsx.file')}-{stem}.xlsx"
    return Response(
        body,
        media_type=_XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="gridgov-stats-{stem}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )
