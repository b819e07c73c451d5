"""The coverage map: which villages reach a deputy station within the standard, and which do not.

Turns a :class:`~gridgov.coverage.result.CoverageResult` into a Folium map a county
people's congress office can open offline: county and township boundaries, villages
coloured by travel time with the gaps (超出标准) hatched in red, stations with one symbol
per tier and a popup, service areas and deputies as optional layers, a title with the
headline figures, a legend and a layer control. Every word on the map (layer names, legend,
tooltips, popups) is a ``report.*`` message: Chinese by default, English with ``--lang en``;
the county's own names (villages, stations, townships) are shown as they are.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from gridgov._errors import ParameterError
from gridgov.coverage.report import by_level_words, enum_label
from gridgov.coverage.result import CoverageResult
from gridgov.coverage.standard import ReachStandard
from gridgov.crs import CGCS2000
from gridgov.messages import CATALOGUE, text
from gridgov.model import DeputyLevel, StationTier, VillageKind, Workspace
from maps._basemaps import resolve_basemap
from maps._client import HATCH_ID
from maps._layers import Display, GeoJsonOverlay, Panel, Setup, features, metric_crs
from maps._offline import make_offline
from maps._symbols import TIER_SYMBOLS
from maps._titles import method_words, percent, standard_label, standard_phrase

__all__ = ["GAP_COLOUR", "TravelClass", "coverage_map", "travel_classes"]

#: Stripes and outline of villages beyond the standard.
GAP_COLOUR = "#d7301f"
GAP_OUTLINE = "#99000d"
#: Deputies' homes are drawn rounded to this many decimals (about 100 m): enough to see
#: where deputies live relative to stations, not enough to find a house.
DEPUTY_DECIMALS = 3

# Message keys of the row labels of the village tooltip and the station popup (values
# come per feature).
_VILLAGE_ROWS = ("row_township", "row_population", "row_travel", "row_nearest", "row_covered")
_STATION_ROWS = ("row_tier", "row_station_township", "row_deputies", "row_reception",
                 "row_served", "row_villages")  # fmt: skip
_WITHIN_COLOURS = ("#1a9850", "#91cf60", "#fee08b")
_HATCH_SVG = (
    f'<pattern id="{HATCH_ID}" width="9" height="9" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)">'
    '<rect width="9" height="9" fill="#fcbba1"/>'
    f'<rect width="4" height="9" fill="{GAP_COLOUR}"/></pattern>'
)
_LEVEL_COLOURS = {
    DeputyLevel.NATIONAL: "#3f007d",
    DeputyLevel.PROVINCIAL: "#54278f",
    DeputyLevel.MUNICIPAL: "#6a51a3",
    DeputyLevel.COUNTY: "#807dba",
    DeputyLevel.TOWNSHIP: "#bcbddc",
}
# Panes keep the drawing order whatever the user toggles (Leaflet's overlayPane is 400,
# markers 600, tooltips 650).
_PANES = {
    "villages": 405,
    "areas": 415,
    "townships": 425,
    "county": 430,
    "escalation": 440,
    "deputies": 560,
    "sites": 570,
    "labels": 620,  # above the station symbols: names stay readable, symbols sit above them
}


@dataclass(frozen=True)
class TravelClass:
    """One legend class of village travel: ``upper`` in seconds or metres (inf = gap)."""

    label: str
    upper: float
    colour: str

    @property
    def is_gap(self) -> bool:
        return math.isinf(self.upper)


def row_labels(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Tooltip or popup row labels (``report.map.*`` keys) in the current language."""
    return tuple(text(f"report.map.{key}") for key in keys)


def _amount(value: float, standard: ReachStandard) -> str:
    if standard.is_time:
        return text("report.std.minutes", n=f"{round(value / 60, 1):g}")
    if value >= 1000:
        return text("report.std.km", n=f"{round(value / 1000, 1):g}")
    return text("report.std.m", n=f"{round(value):g}")


def travel_classes(standard: ReachStandard) -> list[TravelClass]:
    """The legend classes for a standard: three thirds within it, then 超出标准.

    For ``15min:ebike``: ≤5分钟, 5–10分钟, 10–15分钟, 超出标准 (≤5 min, 5–10 min, ... in
    English).
    """
    cuts = [standard.limit * k / 3 for k in (1, 2, 3)]
    labels = [
        f"≤{_amount(cuts[0], standard)}",
        f"{_amount(cuts[0], standard).removesuffix(_unit(standard))}–{_amount(cuts[1], standard)}",
        f"{_amount(cuts[1], standard).removesuffix(_unit(standard))}–{_amount(cuts[2], standard)}",
    ]
    within = [
        TravelClass(lab, cut, col)
        for lab, cut, col in zip(labels, cuts, _WITHIN_COLOURS, strict=True)
    ]
    return [*within, TravelClass(text("report.map.beyond"), math.inf, GAP_COLOUR)]


def _unit(standard: ReachStandard) -> str:
    """The unit's words after a number (``分钟`` / `` min``), cut off to write a range."""
    if standard.is_time:
        return text("report.std.minutes", n="")
    return text("report.std.km" if standard.limit / 3 >= 1000 else "report.std.m", n="")


def layer_name(standard: ReachStandard) -> str:
    """The village layer: travel time, or distance for a distance standard."""
    key = "report.map.layer_travel_time" if standard.is_time else "report.map.layer_travel_distance"
    return text(key)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _int(value: object) -> int:
    return 0 if _missing(value) else round(float(value))  # type: ignore[arg-type]


def _deputies_text(value: object) -> str:
    """Deputies by level, whatever form the result gives (text such as "县2 乡镇9", or a
    mapping from level to count)."""
    if isinstance(value, Mapping):
        parts = []
        for level in DeputyLevel:
            n = value.get(level.value) or value.get(level.label_zh) or 0
            if n:
                short = text(f"report.map.level.{level.value}")
                parts.append(text("report.map.level_count", level=short, n=int(n)))
        return text("report.map.sep").join(parts)
    return "" if _missing(value) else str(by_level_words(str(value).strip()))


def _travel_text(row: Any, standard: ReachStandard) -> str:
    if _missing(row.travel_s) and _missing(row.travel_m):
        return text("report.map.unreachable")
    parts = []
    if not _missing(row.travel_s):
        parts.append(text("report.std.minutes", n=f"{float(row.travel_s) / 60:.1f}"))
    if not _missing(row.travel_m):
        parts.append(text("report.std.km", n=f"{float(row.travel_m) / 1000:.1f}"))
    sep = text("report.map.sep")
    return sep.join(parts) if standard.is_time else sep.join(reversed(parts))


def _village_class(row: Any, classes: list[TravelClass], standard: ReachStandard) -> int:
    value = row.travel_s if standard.is_time else row.travel_m
    if not bool(row.covered) or _missing(value):
        return len(classes) - 1
    for i, cls in enumerate(classes[:-1]):
        if float(value) <= cls.upper:
            return i
    return len(classes) - 2  # covered at every demand point: the mean is within too


def _tier(value: object) -> StationTier:
    return StationTier.parse(value)


def _headline(result: CoverageResult) -> dict[str, float]:
    """Figures from ``result.summary``, computed from the villages where it lacks one."""
    s, v = result.summary, result.villages
    n = int(s.get("n_villages", len(v)))
    covered = int(s.get("villages_covered", int(v["covered"].sum())))
    population = int(s.get("population", _int(v["population"].sum())))
    pop_covered = int(s.get("population_covered", _int(v["population_covered"].sum())))
    return {
        "n_villages": n,
        "villages_covered": covered,
        "share_villages": float(s.get("share_villages_covered", covered / n if n else 0.0)),
        "population": population,
        "population_covered": pop_covered,
        "share_population": float(
            s.get("share_population_covered", pop_covered / population if population else 0.0)
        ),
    }


def _village_layer(
    result: CoverageResult,
    display: Display,
    classes: list[TravelClass],
    township_names: dict[str, str],
    simplify_m: float,
) -> tuple[GeoJsonOverlay, list[int]]:
    v = result.villages
    std = result.standard
    geoms = display.polygons(v, simplify_m=simplify_m, coverage=True)
    props, counts = [], [0] * len(classes)
    for row in v.itertuples(index=False):
        k = _village_class(row, classes, std)
        counts[k] += 1
        kind = enum_label(VillageKind.parse(row.kind)) if not _missing(row.kind) else ""
        station = row.nearest_station_name
        card = [
            _esc(text("report.book.paren", text=row.name, note=kind) if kind else row.name),
            _esc(township_names.get(str(row.township_code), row.township_code)),
            _esc(text("report.map.people", n=f"{_int(row.population):,}")),
            _esc(_travel_text(row, std)),
            _esc(text("report.book.none")) if _missing(station) else _esc(station),
            "" if _missing(row.share_covered) else f"{float(row.share_covered) * 100:.0f}%",
        ]
        if classes[k].is_gap:
            card.append(f'<div class="gg-bad">{_esc(text("report.map.beyond"))}</div>')
        props.append({"s": k, "t": card})
    within = [
        {"color": "#ffffff", "weight": 0.7, "fillColor": c.colour, "fillOpacity": 0.78}
        for c in classes[:-1]
    ]
    gap = {
        "color": GAP_OUTLINE,
        "weight": 2.4,
        "fillColor": f"url(#{HATCH_ID})",
        "fillOpacity": 0.9,
    }
    layer = GeoJsonOverlay(
        features(geoms, props),
        name=layer_name(std),
        styles=[*within, gap],
        pane="gg-villages",
        z_index=_PANES["villages"],
        sticky=True,
        tooltip_rows=row_labels(_VILLAGE_ROWS),
    )
    return layer, counts


def _station_layer(
    result: CoverageResult, display: Display, township_names: dict[str, str]
) -> tuple[GeoJsonOverlay, dict[StationTier, int]]:
    s = result.stations
    tiers = [_tier(t) for t in s["tier"]]
    order = list(TIER_SYMBOLS)
    geoms = display.points(s)
    props = []
    counts = dict.fromkeys(order, 0)
    for row, tier in zip(s.itertuples(index=False), tiers, strict=True):
        counts[tier] += 1
        label = enum_label(tier)
        industry = getattr(row, "industry", None)
        if getattr(row, "kind", None) == "industry" and not _missing(industry):
            label += text("report.map.industry", industry=industry)
        n_dep = getattr(row, "n_deputies", None)
        by_level = _deputies_text(getattr(row, "deputies_by_level", None))
        deputies = text("report.map.deputies", n=_int(n_dep)) if not _missing(n_dep) else ""
        if by_level:
            deputies = (
                text("report.book.paren", text=deputies, note=by_level) if deputies else by_level
            )
        reception = getattr(row, "reception_day", None)
        card = [
            _esc(row.name),
            _esc(label),
            _esc(township_names.get(str(row.township_code), row.township_code)),
            _esc(deputies or text("report.book.none")),
            _esc(text("report.map.unset")) if _missing(reception) else _esc(reception),
            _esc(text("report.map.people", n=f"{_int(getattr(row, 'population_served', 0)):,}")),
            _esc(text("report.map.items", n=_int(getattr(row, "n_villages", 0)))),
        ]
        props.append({"s": order.index(tier), "p": card, "t": _esc(row.name)})
    layer = GeoJsonOverlay(
        features(geoms, props),
        name=text("report.map.layer_stations"),
        styles=[TIER_SYMBOLS[t].style() for t in order],
        popup_rows=row_labels(_STATION_ROWS),
    )
    return layer, counts


def _service_area_layer(
    result: CoverageResult, display: Display, simplify_m: float
) -> GeoJsonOverlay:
    areas = result.service_areas
    # Service areas overlap and are outlines of buffered roads: coarser simplification
    # changes nothing visible at county scale and halves their weight.
    geoms = display.polygons(areas, simplify_m=2 * simplify_m)
    style = {
        "color": "#2171b5",
        "weight": 0.8,
        "opacity": 0.6,
        "fillColor": "#6baed6",
        "fillOpacity": 0.12,
    }
    return GeoJsonOverlay(
        features(geoms, [{"s": 0}] * len(geoms)),
        name=text("report.map.layer_areas", standard=standard_label(result.standard)),
        styles=[style],
        pane="gg-areas",
        z_index=_PANES["areas"],
        interactive=False,
        show=False,
    )


_ESCALATION_STYLE = {
    "grid": {"color": "#969696", "weight": 0.8, "opacity": 0.7},
    "station": {"color": "#2171b5", "weight": 1.6, "opacity": 0.85},
    "township": {"color": "#cb181d", "weight": 2.4, "opacity": 0.9},
    "county": {"color": "#54278f", "weight": 3.0, "opacity": 0.9, "dashArray": "6 4"},
}


def _levels(row: Any) -> str:
    """``网格→联络站点`` (the edge's ``level_zh``) in the current language."""
    keys = [f"report.map.esc.{row.level}", f"report.map.esc.{getattr(row, 'to_level', '')}"]
    if not all(k in CATALOGUE for k in keys):
        return str(row.level_zh)
    return text("report.map.esc_levels", a=text(keys[0]), b=text(keys[1]))


def escalation_layer(edges: gpd.GeoDataFrame, display: Display) -> GeoJsonOverlay:
    """The escalation graph (grid → station → township → county) as lines, off by default.

    ``edges`` is :func:`gridgov.issues.escalation.escalation_edges`; the hand-off to the
    external platform has no place on the map and is left out.
    """
    levels = list(_ESCALATION_STYLE)
    drawn = edges[edges["level"].isin(levels)].reset_index(drop=True)
    geoms = display.lonlat(drawn.to_crs(CGCS2000).geometry.to_numpy())
    props = [
        {
            "s": levels.index(str(row.level)),
            "t": _esc(
                text(
                    "report.book.paren",
                    text=f"{row.from_name} → {row.to_name}",
                    note=_levels(row),
                )
            ),
        }
        for row in drawn.itertuples(index=False)
    ]
    return GeoJsonOverlay(
        features(geoms, props),
        name=text("report.map.layer_escalation"),
        styles=[_ESCALATION_STYLE[lv] for lv in levels],
        pane="gg-escalation",
        z_index=_PANES["escalation"],
        show=False,
    )


def _boundary_layers(
    ws: Workspace, display: Display, simplify_m: float
) -> tuple[GeoJsonOverlay, GeoJsonOverlay, GeoJsonOverlay]:
    towns = ws.townships
    town_geoms = display.polygons(towns, simplify_m=simplify_m, coverage=True)
    townships = GeoJsonOverlay(
        features(town_geoms, [{"s": 0}] * len(town_geoms)),
        name=text("report.map.layer_townships"),
        styles=[{"color": "#4d4d4d", "weight": 1.6, "dashArray": "7 4", "fill": False}],
        pane="gg-townships",
        z_index=_PANES["townships"],
        interactive=False,
    )
    county_geoms = display.polygons(ws.county, simplify_m=simplify_m)
    county = GeoJsonOverlay(
        features(county_geoms, [{"s": 0}] * len(county_geoms)),
        name=text("report.map.layer_county"),
        styles=[{"color": "#252525", "weight": 3.2, "fill": False}],
        pane="gg-county",
        z_index=_PANES["county"],
        interactive=False,
    )
    metric = towns.to_crs(display.metric)
    anchors = gpd.GeoDataFrame(
        geometry=metric.geometry.representative_point().to_numpy(), crs=display.metric
    )
    label_props = [{"s": 0, "h": f"<span>{_esc(name)}</span>"} for name in towns["name"]]
    labels = GeoJsonOverlay(
        features(display.points(anchors), label_props),
        name=text("report.map.layer_town_names"),
        styles=[{"icon": "gg-label"}],
        pane="gg-labels",
        z_index=_PANES["labels"],
        interactive=False,
    )
    return county, townships, labels


def _deputy_layer(
    ws: Workspace, result: CoverageResult, display: Display
) -> tuple[GeoJsonOverlay, dict[DeputyLevel, int]]:
    deps = ws.deputies
    if deps is None or len(deps) == 0:
        raise ParameterError(
            "show_deputies=True but the workspace has no deputies layer; load one "
            "(gridgov load --deputies ...) or leave show_deputies=False"
        )
    station_of = dict(
        zip(deps["deputy_id"], deps.get("station_id", pd.Series(dtype=str)), strict=False)
    )
    grouped = result.deputies
    if len(grouped) and {"deputy_id", "station_after"} <= set(grouped.columns):
        station_of |= dict(zip(grouped["deputy_id"], grouped["station_after"], strict=True))
    names = dict(zip(result.stations["station_id"], result.stations["name"], strict=True))
    levels = list(_LEVEL_COLOURS)
    counts = dict.fromkeys(levels, 0)
    geoms = display.points(deps, decimals=DEPUTY_DECIMALS)
    props = []
    # Only public facts: a deputy's name, level and station are shown at every station
    # (一人一码); phone numbers and exact homes never leave the workspace.
    for row in deps[["deputy_id", "name", "level"]].itertuples(index=False):
        level = DeputyLevel.parse(row.level)
        counts[level] += 1
        station = station_of.get(row.deputy_id)
        ungrouped = text("report.map.ungrouped")
        where = names.get(station, ungrouped) if not _missing(station) else ungrouped
        who = text("report.book.paren", text=row.name, note=enum_label(level))
        props.append({"s": levels.index(level), "t": f"{_esc(who)}<br>{_esc(where)}"})
    styles = [
        {"radius": 3.5, "color": "#ffffff", "weight": 0.8, "fillColor": c, "fillOpacity": 0.95}
        for c in _LEVEL_COLOURS.values()
    ]
    layer = GeoJsonOverlay(
        features(geoms, props),
        name=text("report.map.layer_deputies"),
        styles=styles,
        pane="gg-deputies",
        z_index=_PANES["deputies"],
    )
    return layer, counts


def _new_site_layer(result: CoverageResult, display: Display) -> GeoJsonOverlay | None:
    gaps = result.gaps
    if gaps is None or gaps.empty or not {"new_site_lon", "new_site_lat"} <= set(gaps.columns):
        return None
    sites = gaps.dropna(subset=["new_site_lon", "new_site_lat"])
    if sites.empty:
        return None
    pts = gpd.GeoDataFrame(
        sites,
        geometry=gpd.points_from_xy(sites["new_site_lon"], sites["new_site_lat"]),
        crs="EPSG:4490",
    )
    props = []
    for row in sites.itertuples(index=False):
        gain = getattr(row, "new_site_population_covered", None)
        tip = _esc(text("report.map.site", name=row.name))
        if not _missing(gain):
            tip += f"<br>{_esc(text('report.map.site_gain', n=f'{_int(gain):,}'))}"
        props.append({"s": 0, "t": tip})
    style = {
        "radius": 6,
        "color": GAP_OUTLINE,
        "weight": 2.2,
        "dashArray": "3 2",
        "fillColor": "#ffffff",
        "fillOpacity": 0.9,
    }
    return GeoJsonOverlay(
        features(display.points(pts), props),
        name=text("report.map.layer_sites"),
        styles=[style],
        pane="gg-sites",
        z_index=_PANES["sites"],
        show=False,
    )


def _title_html(county_name: str, result: CoverageResult) -> str:
    """The title block: the standard and the village coverage in large type (gg-head)."""
    figs = _headline(result)
    gaps = figs["n_villages"] - figs["villages_covered"]
    head = text(
        "report.map.cov_head",
        standard=standard_phrase(result.standard),
        covered=int(figs["villages_covered"]),
        n=int(figs["n_villages"]),
        share=percent(figs["share_villages"]),
    )
    people = text(
        "report.map.cov_people",
        share=percent(figs["share_population"]),
        covered=f"{int(figs['population_covered']):,}",
        total=f"{int(figs['population']):,}",
    )
    return (
        f"<h1>{_esc(text('report.map.cov_title', county=county_name))}</h1>"
        f'<div class="gg-head">{_esc(head)}</div>'
        f'<div class="gg-figs">{_esc(people)}</div>'
        f'<div class="gg-figs gg-gap">{_esc(text("report.map.cov_gaps", n=gaps))}</div>'
        f'<div class="gg-sub">{_esc(text("report.map.method", method=method_words(result.method)))}</div>'
    )


def _row(key: str, label: str, n: int | str | None = None) -> str:
    """One legend row: a key swatch, its label, and a count when there is one."""
    count = f'<span class="gg-n">{n}</span>' if n is not None and n != "" else ""
    return f'<div class="gg-row"><span class="gg-key">{key}</span><span>{_esc(label)}</span>{count}</div>'


def _legend_html(
    result: CoverageResult,
    classes: list[TravelClass],
    village_counts: list[int],
    tier_counts: dict[StationTier, int],
    deputy_counts: dict[DeputyLevel, int] | None,
    has_sites: bool,
) -> str:
    parts = [f"<h2>{_esc(layer_name(result.standard))}</h2>"]
    for cls, n in zip(classes, village_counts, strict=True):
        if cls.is_gap:
            swatch = (
                '<span class="gg-sw" style="background:repeating-linear-gradient(45deg,'
                f'{GAP_COLOUR} 0 3px,#fcbba1 3px 6px);border:2px solid {GAP_OUTLINE}"></span>'
            )
        else:
            swatch = f'<span class="gg-sw" style="background:{cls.colour}"></span>'
        parts.append(_row(swatch, cls.label, n))
    parts.append(f"<h2>{_esc(text('report.map.layer_stations'))}</h2>")
    for tier, n in tier_counts.items():
        if n:
            parts.append(_row(TIER_SYMBOLS[tier].svg, enum_label(tier), n))
    if deputy_counts is not None:
        parts.append(f"<h2>{_esc(text('report.map.deputies_head'))}</h2>")
        for level, n in deputy_counts.items():
            if n:
                dot = f'<span class="gg-sw" style="width:9px;height:9px;border-radius:50%;background:{_LEVEL_COLOURS[level]}"></span>'
                parts.append(_row(dot, enum_label(level), n))
    parts.append(f"<h2>{_esc(text('report.map.other_head'))}</h2>")
    area = '<span class="gg-sw" style="background:rgba(107,174,214,.35);border:1px solid #2171b5"></span>'
    parts.append(
        _row(area, text("report.map.layer_areas", standard=standard_label(result.standard)))
    )
    if has_sites:
        site = f'<span class="gg-sw" style="width:11px;height:11px;border-radius:50%;border:2px dashed {GAP_OUTLINE};background:#fff"></span>'
        parts.append(_row(site, text("report.map.layer_sites")))
    parts.extend(_boundary_legend_rows())
    return "".join(parts)


def _boundary_legend_rows() -> list[str]:
    """Legend rows for the county and township boundary lines (every map draws both)."""
    return [
        _row('<span class="gg-line"></span>', text("report.map.layer_county")),
        _row(
            '<span class="gg-line" style="border-top:2px dashed #4d4d4d"></span>',
            text("report.map.layer_townships"),
        ),
    ]


def coverage_map(
    ws: Workspace,
    result: CoverageResult,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    show_deputies: bool = False,
    simplify_m: float = 30.0,
    escalation: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Map of station coverage for one county, ready to save as an offline HTML page.

    Parameters
    ----------
    ws : Workspace
        The county's workspace (county outline, townships, and deputies when shown).
    result : CoverageResult
        From :func:`gridgov.coverage.analyse` on ``ws``.
    basemap : {"none", "osm", "tianditu", "amap"}, default "none"
        Tiles under the overlays; ``天地图`` and ``高德`` are accepted too. ``none`` needs
        no internet at all. ``amap`` (高德) tiles are GCJ-02, so every overlay is shifted
        into GCJ-02 to line up with them.
    tianditu_key : str, optional
        Key for 天地图 tiles; default the ``GRIDGOV_TIANDITU_KEY`` or ``TIANDITU_KEY``
        environment variable, else ``Settings.tianditu_key``.
    show_deputies : bool, default False
        Add deputies (homes rounded to about 100 m, coloured by level; names, levels and
        stations only).
    simplify_m : float, default 30
        Polygon simplification tolerance in metres (0 keeps every vertex).
    escalation : GeoDataFrame, optional
        Edges of the escalation graph (:func:`gridgov.issues.escalation.escalation_edges`),
        drawn as a layer that is off until switched on.

    Returns
    -------
    folium.Map
        Self-contained (Leaflet inlined); write it with :func:`maps.save_html`.

    Raises
    ------
    ParameterError
        If ``basemap`` is unknown, 天地图 has no key, ``simplify_m`` is negative or not a
        number, or ``show_deputies`` is set but the workspace has no deputies.
    """
    base = resolve_basemap(basemap, tianditu_key)
    if not isinstance(simplify_m, int | float) or not math.isfinite(simplify_m) or simplify_m < 0:
        raise ParameterError(
            f"simplify_m must be a non-negative number of metres, got {simplify_m!r}",
            parameter="simplify_m",
            value=simplify_m,
        )
    display = Display(metric_crs(ws), gcj02=base.gcj02)
    county_name = str(ws.meta.get("county_name") or ws.county["name"].iloc[0])
    township_names = dict(zip(ws.townships["code"].astype(str), ws.townships["name"], strict=True))
    classes = travel_classes(result.standard)

    county, townships, labels = _boundary_layers(ws, display, simplify_m)
    villages, village_counts = _village_layer(result, display, classes, township_names, simplify_m)
    stations, tier_counts = _station_layer(result, display, township_names)
    areas = _service_area_layer(result, display, simplify_m)
    sites = _new_site_layer(result, display)
    deputies = _deputy_layer(ws, result, display) if show_deputies else None

    minx, miny, maxx, maxy = gpd.GeoSeries(
        display.polygons(ws.county, simplify_m=simplify_m), crs="EPSG:4490"
    ).total_bounds
    m = folium.Map(
        location=[round((miny + maxy) / 2, 5), round((minx + maxx) / 2, 5)],
        zoom_start=10,
        tiles=None,
        zoom_control="bottomright",
        max_zoom=18,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    root = m.get_root()
    if isinstance(root, Figure):
        root.title = text(
            "report.map.page_cov",
            county=county_name,
            standard=standard_label(result.standard),
            method=method_words(result.method),
        )
    Setup(_HATCH_SVG).add_to(m)
    base.add_to(m)
    for layer in (villages, areas, townships, county, labels):
        layer.add_to(m)
    if escalation is not None and len(escalation):
        escalation_layer(escalation, display).add_to(m)
    if deputies is not None:
        deputies[0].add_to(m)
    if sites is not None:
        sites.add_to(m)
    stations.add_to(m)
    Panel(_title_html(county_name, result), css_class="gg-title", position="topleft").add_to(m)
    legend = _legend_html(
        result,
        classes,
        village_counts,
        tier_counts,
        deputies[1] if deputies is not None else None,
        sites is not None,
    )
    Panel(legend, css_class="gg-legend", position="bottomleft").add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    return make_offline(m)
