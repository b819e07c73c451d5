"""Escalation graph, dispatch preview, statistics, coverage summary and GeoJSON layers."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import PrincipalDep, ServiceDep, require, store_work
from api.params import BBOX_HELP, instant, parse_bbox
from api.schemas import DispatchOut
from api.views import dispatch_out
from gridgov._errors import NotFoundError, ParameterError
from gridgov.issues.access import can_see, scope_query
from gridgov.store.base import IssueQuery

router = APIRouter()

_STAFF = ("station_admin", "township_staff", "county_staff")
_ANALYSTS = ("planner", "station_admin", "township_staff", "county_staff")
_coverage_lock = threading.Lock()


@router.get("/escalation")
def escalation(
    service: ServiceDep, fmt: Annotated[Literal["json", "geojson"], Query(alias="format")] = "json"
) -> Response:
    """The escalation graph: grid → station → township → county (→ 12345), with each
    level's handler and deadlines per category; ``format=geojson`` gives its edges."""
    g = service.escalation
    if fmt == "geojson":
        from gridgov.issues.escalation import escalation_edges

        text = escalation_edges(g).to_json(drop_id=True, ensure_ascii=False)
        return Response(text, media_type="application/geo+json")
    levels = sorted({str(d["level"]) for _, d in g.nodes(data=True)})
    s = service.settings
    deadlines = {
        level: {
            cat: {ph: s.deadline_h(level, cat, ph) for ph in ("acknowledge", "resolve")}
            for cat in s.issue_categories
        }
        for level in levels
    }
    body = {
        "levels": levels,
        "handlers": {lv: s.handlers.get(lv, "") for lv in levels},
        "deadlines_h": deadlines,
        "nodes": [
            {"id": n, **{k: v for k, v in d.items() if isinstance(v, str | int | float)}}
            for n, d in g.nodes(data=True)
        ],
        "edges": [
            {"from": u, "to": v, **{k: x for k, x in d.items() if isinstance(x, str | int | float)}}
            for u, v, d in g.edges(data=True)
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, allow_nan=False, default=str),
        media_type="application/json",
    )


@router.get("/dispatch/preview", response_model=DispatchOut)
async def dispatch_preview(
    service: ServiceDep,
    p: PrincipalDep,
    lon: float,
    lat: float,
    category: Annotated[str | None, Query(max_length=40)] = None,
    station_id: Annotated[str | None, Query(max_length=40)] = None,
) -> DispatchOut:
    """Who would be dispatched to an issue at (lon, lat), and why; nothing is stored."""
    require(p, *_STAFF, "deputy", "grid_worker")
    if category is not None and category not in service.settings.issue_categories:
        known = ", ".join(service.settings.issue_categories)
        raise ParameterError(
            f"category: unknown category {category!r}; expected one of {known}",
            parameter="category",
            value=category,
        )

    def work() -> DispatchOut | None:
        return dispatch_out(
            service.dispatch_preview(lon, lat, category=category, station_id=station_id)
        )

    # 1.3 ms of CPU: on the loop when the store is local (no thread hops; under the GIL a
    # thread would not run it any sooner), in a thread when its reads wait on PostGIS
    out = await store_work(service, work)
    assert out is not None
    return out


def _period(start: datetime | None, end: datetime | None) -> None:
    instant("from", start)
    instant("to", end)
    if start is not None and end is not None and end <= start:
        raise ParameterError(
            f"to ({end.isoformat()}) must be after from ({start.isoformat()})",
            parameter="to",
            value=end.isoformat(),
        )


@router.get("/statistics")
def statistics(
    service: ServiceDep,
    p: PrincipalDep,
    by: Literal["county", "township", "station", "category", "deputy"] = "station",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Issues received, settled, on time, satisfaction, backlog and deputies' visits over a
    period (from inclusive, to exclusive), per unit; township and station staff get their
    own units."""
    require(p, *_ANALYSTS)
    _period(start, end)
    from gridgov.issues.stats import store_figures

    # the figures of the caller's scope, summed by the store from the facts it keeps per
    # issue (see gridgov.issues.stats.store_statistics): a year costs a few aggregates
    scope: IssueQuery | None = IssueQuery(limit=-1)
    if p.role in ("station_admin", "township_staff"):
        scope = scope_query(p, IssueQuery(limit=-1))
    if scope is None:  # a role whose scope holds nothing: every figure is zero
        scope = IssueQuery(station_ids=(), limit=-1)
    table, summary = store_figures(service.store, scope=scope, ws=service.ws, start=start,
                                   end=end, by=by, settings=service.settings)  # fmt: skip
    if p.role in ("station_admin", "township_staff") and by in ("station", "township"):
        keep = p.stations if by == "station" else p.townships
        key = table.index if table.index.name else table.iloc[:, 0]
        table = table[key.astype(str).isin(keep)] if len(table) else table
    rows = json.loads(table.reset_index().to_json(orient="records", force_ascii=False))
    return {"by": by, "summary": summary, "rows": rows}


@router.get("/coverage/summary")
def coverage_summary(request: Request, service: ServiceDep, p: PrincipalDep) -> dict[str, Any]:
    """The county's 出门即可达 figures under the default standard (computed once)."""
    require(p, *_ANALYSTS)
    with _coverage_lock:  # kept on the app: the workspace does not change while it runs
        cached: dict[str, Any] | None = getattr(request.app.state, "coverage_summary", None)
        if cached is None:
            from gridgov.coverage.reach import analyse

            result = analyse(service.ws, settings=service.settings, graph=service.graph,
                             service_areas=False, gap_sites=False, group=False)  # fmt: skip
            cached = json.loads(
                json.dumps(result.summary, default=_plain, allow_nan=True).replace("NaN", "null")
            )
            request.app.state.coverage_summary = cached
    return cached


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


_LAYERS = ("townships", "villages", "stations", "grids", "issues", "escalation")


#: The most issues one answer of the issues layer holds (a page; ``offset`` for the next).
MAX_LAYER_FEATURES = 5000

#: Issues in a page of the issues layer when the client names no ``limit``: read and
#: written in about 150 ms of CPU at 100,000 issues, where a page of
#: :data:`MAX_LAYER_FEATURES` takes three times as long, most of it decoding the issues.
LAYER_PAGE = 1000


@router.get("/layers/{name}.geojson")
def layer(
    name: str,
    request: Request,
    service: ServiceDep,
    p: PrincipalDep,
    bbox: Annotated[str | None, Query(max_length=100, description=BBOX_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LAYER_FEATURES)] = LAYER_PAGE,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """A map layer as GeoJSON (EPSG:4490 degrees): townships, villages, stations, grids
    (no personal columns), issues (the caller's scope), escalation (graph edges).

    The issues layer is paged, newest first: at most ``limit`` features (default
    :data:`LAYER_PAGE`, :data:`MAX_LAYER_FEATURES` at most; more is a 4xx) from ``offset``,
    inside ``bbox`` when given; ``X-Total-Count`` says how many match, and a
    ``Link: rel="next"`` header names the next page while there is one. Its coordinates
    are rounded to 1e-7 degree (about 1 cm)."""
    if name not in _LAYERS:
        raise NotFoundError(f"no layer {name!r}; layers: {', '.join(_LAYERS)}")
    if name == "issues":
        require(p, "grid_worker", "deputy", *_STAFF)
        box = None if bbox is None else parse_bbox(bbox)
        query = scope_query(p, IssueQuery(bbox=box, limit=limit, offset=offset))
        # the layer's fields only, never the issues' documents (bench/bench_year.py)
        items, total = ([], 0) if query is None else service.store.issue_points(query)
        from gridgov.issues.layers import issues_geojson

        headers = {"X-Total-Count": str(total)}
        if offset + limit < total:
            following = request.url.include_query_params(offset=offset + limit, limit=limit)
            headers["Link"] = f'<{following}>; rel="next"'
        # written straight from the issues: through a GeoDataFrame and to_json the writing
        # cost more than the reading
        text = issues_geojson([i for i in items if can_see(p, i)])
        return Response(text, media_type="application/geo+json", headers=headers)
    from gridgov.model import LAYERS

    if name == "escalation":
        from gridgov.issues.escalation import escalation_edges

        gdf = escalation_edges(service.escalation)
    else:
        gdf = getattr(service.ws, name)
        personal = LAYERS[name].personal if name in LAYERS else []
        gdf = gdf.drop(columns=[c for c in personal if c in gdf.columns])
    return Response(
        gdf.to_json(drop_id=True, ensure_ascii=False), media_type="application/geo+json"
    )
