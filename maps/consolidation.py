"""The consolidation map: a station plan before and after (调整前 / 调整后) on one page.

Turns a :class:`~gridgov.coverage.plan.ConsolidationPlan` into a Folium map a county
people's congress office can open offline and take to a standing-committee meeting. The
调整后 view (on when the page opens) colours villages by their travel time after the plan,
with the villages that lose coverage cross-hatched and outlined and those that gain it
outlined in blue; kept stations keep their tier symbol, closed ones are greyed and joined
by a dotted line to the station that absorbs them, new sites get their own symbol. The
调整前 view shows the villages and stations as they are. The two are exclusive toggles in
the layer control; boundaries, a title with the headline figures and a legend stay on
both. Every word on the map is a ``report.*`` message (Chinese by default, English with
``--lang en``); the county's own names are shown as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from gridgov._errors import ParameterError
from gridgov.coverage.plan import ConsolidationPlan
from gridgov.coverage.report import enum_label
from gridgov.coverage.standard import ReachStandard, parse_standard
from gridgov.crs import CGCS2000
from gridgov.messages import text
from gridgov.model import StationTier, Workspace
from maps._basemaps import resolve_basemap
from maps._client import HATCH_ID
from maps._layers import (
    Display,
    Exclusive,
    GeoJsonOverlay,
    OverlayGroup,
    Panel,
    Setup,
    features,
    metric_crs,
)
from maps._offline import make_offline
from maps._symbols import CLOSED_TIER_SYMBOLS, NEW_SITE_SYMBOL, TIER_SYMBOLS
from maps._titles import percent, standard_label, standard_phrase
from maps.coverage import (
    _HATCH_SVG,
    _PANES,
    GAP_COLOUR,
    GAP_OUTLINE,
    TravelClass,
    _boundary_layers,
    _boundary_legend_rows,
    _esc,
    _int,
    _missing,
    _row,
    layer_name,
    row_labels,
    travel_classes,
)

__all__ = [
    "GAINED_COLOUR",
    "LOST_COLOUR",
    "consolidation_map",
    "decision_words",
]

#: Cross-hatch and outline of villages a plan leaves beyond the standard.
LOST_COLOUR = "#7a0177"
LOST_OUTLINE = "#49006a"
LOST_HATCH_ID = "gg-hatch-lost"
#: Outline of villages a plan brings within the standard.
GAINED_COLOUR = "#2166ac"
#: Dotted line from a closed station to the station that absorbs it.
ABSORB_COLOUR = "#252525"
_DECISIONS = frozenset({"kept (must)", "kept", "closed", "closed (must)", "new"})


def decision_words(decision: str) -> str:
    """``decision`` of ``plan.stations`` in the current language (保留（必保） / kept
    (must stay)); an unknown one as it is."""
    return text(f"report.map.decision.{decision}") if decision in _DECISIONS else decision


def _after() -> str:
    """The layer-control name of the view after the plan (调整后 / After)."""
    return text("report.map.after")


def _before() -> str:
    return text("report.map.before")


_STATIONS_READ = (
    "station_id",
    "name",
    "tier",
    "township_code",
    "kept",
    "new_site",
    "decision",
    "reason",
    "absorbed_by_name",
    "absorb_travel_s",
    "villages_before",
    "villages_after",
    "population_before",
    "population_after",
    "deputies_before",
    "deputies_after",
)
_VILLAGES_READ = (
    "name",
    "township_code",
    "population",
    "station_before",
    "travel_s_before",
    "covered_before",
    "station_after_name",
    "travel_s_after",
    "travel_m_after",
    "covered_after",
    "change",
)
_ABSORB_READ = (
    "closed_id",
    "closed_name",
    "into_id",
    "into_name",
    "travel_s",
    "n_villages",
    "n_grids",
    "n_deputies",
    "population",
)
_SUMMARY_KEYS = (
    "stations_before",
    "stations_after",
    "annual_saving_yuan",
    "share_villages_covered_before",
    "share_villages_covered_after",
)

# Message keys (report.map.*) of the tooltip and popup rows.
_VILLAGE_ROWS = ("row_township", "row_population", "row_before", "row_after")
_STATION_ROWS = (
    "row_tier",
    "row_station_township",
    "row_decision",
    "row_why",
    "row_into",
    "row_deputies",
    "row_served",
    "row_villages",
)
_ABSORB_ROWS = ("row_into", "row_between", "row_moved_villages", "row_moved_grids",
                "row_moved_deputies", "row_moved_people")  # fmt: skip
_LOST_HATCH_SVG = (
    f'<pattern id="{LOST_HATCH_ID}" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)">'
    '<rect width="8" height="8" fill="#fcc5c0"/>'
    f'<rect width="3" height="8" fill="{LOST_COLOUR}"/>'
    f'<rect width="8" height="3" fill="{LOST_COLOUR}"/></pattern>'
)


def _good_note() -> str:
    words = _esc(text("report.map.gained_note"))
    return f'<div style="color:{GAINED_COLOUR};font-weight:700">{words}</div>'


def _bad_note(key: str) -> str:
    return f'<div class="gg-bad">{_esc(text(key))}</div>'


_PANE_LINES = ("gg-lines", 440)  # above the county boundary, under every symbol


def _view(value: str) -> Literal["after", "before"]:
    text = str(value).strip().lower()
    # the Chinese names are accepted whatever the language the map is drawn in
    if text in ("after", "调整后"):
        return "after"
    if text in ("before", "调整前"):
        return "before"
    raise ParameterError(
        f"view={value!r} is not known; expected 'after' (调整后) or 'before' (调整前)",
        parameter="view",
        value=value,
    )


def _check_plan(plan: ConsolidationPlan) -> None:
    """Every column the map reads, all missing ones named at once."""
    problems = []
    for table, wanted in (
        ("stations", _STATIONS_READ),
        ("villages", _VILLAGES_READ),
        ("absorb", _ABSORB_READ),
    ):
        frame = getattr(plan, table)
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            problems.append(f"plan.{table} lacks {', '.join(missing)}")
    if problems:
        # a plan from consolidate() always has these columns: only a hand-made one lacks them
        raise ParameterError(f"plan cannot be drawn: {'; '.join(problems)}", parameter="plan")


def _finite(value: object) -> float | None:
    if _missing(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _class_index(value: object, covered: object, classes: list[TravelClass]) -> int:
    """Legend class of a village: the gap class unless covered, else by travel."""
    if _missing(covered) or not bool(covered):
        return len(classes) - 1
    number = _finite(value)
    if number is not None:
        for i, cls in enumerate(classes[:-1]):
            if number <= cls.upper:
                return i
    # Covered but the (mean) travel is beyond the last cut or unknown: within the standard.
    return len(classes) - 2


def _travel_text(seconds: object, metres: object, station: object) -> str:
    parts = []
    s, m = _finite(seconds), _finite(metres)
    if s is not None:
        parts.append(text("report.std.minutes", n=f"{s / 60:.1f}"))
    if m is not None:
        parts.append(text("report.std.km", n=f"{m / 1000:.1f}"))
    words = text("report.map.sep").join(parts) if parts else text("report.map.unreachable")
    if _missing(station) or station == "":
        return words
    return text("report.book.paren", text=words, note=station)


def _tier_of(value: object) -> StationTier | None:
    if _missing(value):
        return None
    try:
        return StationTier.parse(value)
    except ValueError:
        return None


def _bool(value: object) -> bool:
    return False if _missing(value) else bool(value)


def _share(flags: pd.Series) -> float:
    return float(np.mean([_bool(f) for f in flags])) if len(flags) else 0.0


def _headline(plan: ConsolidationPlan) -> dict[str, Any]:
    """Figures from ``plan.summary``, computed from the tables where it lacks one."""
    s, st, v = plan.summary, plan.stations, plan.villages
    new = st["new_site"].map(_bool)
    kept = st["kept"].map(_bool)
    saving = s.get("annual_saving_yuan")
    return {
        "stations_before": int(s.get("stations_before", int((~new).sum()))),
        "stations_after": int(s.get("stations_after", int(kept.sum()))),
        "closed": int((~kept & ~new).sum()),
        "new": int(new.sum()),
        "share_before": float(s.get("share_villages_covered_before", _share(v["covered_before"]))),
        "share_after": float(s.get("share_villages_covered_after", _share(v["covered_after"]))),
        "lost": int((v["change"] == "lost").sum()),
        "gained": int((v["change"] == "gained").sum()),
        "saving": float(saving) if saving is not None and not _missing(saving) else None,
    }


def _village_layers(
    plan: ConsolidationPlan,
    display: Display,
    classes: list[TravelClass],
    township_names: Mapping[str, str],
    station_names: Mapping[Any, str],
    simplify_m: float,
) -> tuple[GeoJsonOverlay, GeoJsonOverlay, list[int], list[int]]:
    """The 调整后 and 调整前 village layers and their counts per legend class."""
    v = plan.villages
    std = plan.standard
    geoms = display.polygons(v, simplify_m=simplify_m, coverage=True)
    gap = len(classes) - 1
    lost_style, gained_from = len(classes), len(classes) + 1
    before_value = v["travel_s_before"] if std.is_time else v.get("travel_m_before")
    after_value = v["travel_s_after"] if std.is_time else v["travel_m_after"]
    metres_before = v.get("travel_m_before", pd.Series(np.nan, index=v.index))
    after_props: list[dict[str, Any]] = []
    before_props: list[dict[str, Any]] = []
    changed: list[int] = []
    n_after, n_before = [0] * len(classes), [0] * len(classes)
    for i, row in enumerate(v.itertuples(index=False)):
        k_after = _class_index(after_value.iloc[i], row.covered_after, classes)
        k_before = _class_index(
            None if before_value is None else before_value.iloc[i], row.covered_before, classes
        )
        n_after[k_after] += 1
        n_before[k_before] += 1
        rows = [
            _esc(row.name),
            _esc(township_names.get(str(row.township_code), row.township_code)),
            _esc(text("report.map.people", n=f"{_int(row.population):,}")),
            _esc(
                _travel_text(
                    row.travel_s_before,
                    metres_before.iloc[i],
                    station_names.get(row.station_before, ""),
                )
            ),
            _esc(_travel_text(row.travel_s_after, row.travel_m_after, row.station_after_name)),
        ]
        style = k_after
        if row.change == "lost":
            style = lost_style
            note = _bad_note("report.map.lost_note")
        elif row.change == "gained" and k_after != gap:
            style = gained_from + k_after
            note = _good_note()
        else:
            note = _bad_note("report.map.beyond") if k_after == gap else ""
        if style != k_after:
            changed.append(i)
        after_props.append({"s": style, "t": [*rows, note] if note else rows})
        note = _bad_note("report.map.beyond") if k_before == gap else ""
        before_props.append({"s": k_before, "t": [*rows, note] if note else rows})

    within = [
        {"color": "#ffffff", "weight": 0.7, "fillColor": c.colour, "fillOpacity": 0.78}
        for c in classes[:-1]
    ]
    gap_style = {
        "color": GAP_OUTLINE,
        "weight": 2.4,
        "fillColor": f"url(#{HATCH_ID})",
        "fillOpacity": 0.9,
    }
    lost = {
        "color": LOST_OUTLINE,
        "weight": 3.4,
        "fillColor": f"url(#{LOST_HATCH_ID})",
        "fillOpacity": 0.95,
        "className": "gg-v gg-lost",
    }
    gained = [
        {**s, "color": GAINED_COLOUR, "weight": 3.2, "className": "gg-v gg-gained"} for s in within
    ]
    # Changed villages are drawn last, so their thick outlines sit above their neighbours'.
    moved = set(changed)
    order = [i for i in range(len(v)) if i not in moved] + changed
    name = layer_name(std)
    after = GeoJsonOverlay(
        features(geoms[order], [after_props[i] for i in order]),
        name=text("report.map.view_layer", view=_after(), name=name),
        styles=[
            *({**s, "className": "gg-v"} for s in [*within, gap_style]),
            lost,
            *gained,
        ],
        pane="gg-villages",
        z_index=_PANES["villages"],
        sticky=True,
        tooltip_rows=row_labels(_VILLAGE_ROWS),
        control=False,
        show=False,
    )
    before = GeoJsonOverlay(
        features(geoms, before_props),
        name=text("report.map.view_layer", view=_before(), name=name),
        styles=[{**s, "className": "gg-v-before"} for s in [*within, gap_style]],
        pane="gg-villages",
        z_index=_PANES["villages"],
        sticky=True,
        tooltip_rows=row_labels(_VILLAGE_ROWS),
        control=False,
        show=False,
    )
    return after, before, n_after, n_before


def _station_card(
    row: Any, tier: StationTier | None, township_names: Mapping[str, str]
) -> list[str]:
    label = enum_label(tier) if tier is not None else text("report.map.station")
    if _bool(row.new_site):
        label = text("report.map.new_station", tier=label)
    decision = decision_words(str(row.decision))
    into = ""
    if not _missing(row.absorbed_by_name) and str(row.absorbed_by_name):
        into = _esc(row.absorbed_by_name)
        minutes = _finite(row.absorb_travel_s)
        if minutes is not None:
            into += _esc(text("report.map.into_about", n=f"{minutes / 60:.0f}"))
    town = "" if _missing(row.township_code) else township_names.get(str(row.township_code), "")
    return [
        _esc(row.name),
        _esc(label),
        _esc(town),
        _esc(decision),
        "" if _missing(row.reason) else _esc(row.reason),
        into,
        _esc(
            text(
                "report.map.deputies", n=f"{_int(row.deputies_before)} → {_int(row.deputies_after)}"
            )
        ),
        _esc(
            text(
                "report.map.people",
                n=f"{_int(row.population_before):,} → {_int(row.population_after):,}",
            )
        ),
        _esc(
            text("report.map.items", n=f"{_int(row.villages_before)} → {_int(row.villages_after)}")
        ),
    ]


def _station_layers(
    plan: ConsolidationPlan, display: Display, township_names: Mapping[str, str]
) -> tuple[list[GeoJsonOverlay], GeoJsonOverlay, dict[str, Any]]:
    """Kept, new and closed stations after the plan; every existing station before it."""
    st = plan.stations
    geoms = display.points(st)
    order = list(TIER_SYMBOLS)
    kept_props, closed_props, before_props = [], [], []
    kept_geoms, closed_geoms, before_geoms = [], [], []
    counts: dict[str, Any] = {
        "kept": dict.fromkeys(order, 0),
        "closed": dict.fromkeys(order, 0),
        "before": dict.fromkeys(order, 0),
        "new": 0,
    }
    for i, row in enumerate(st.itertuples(index=False)):
        tier = _tier_of(row.tier)
        k = order.index(tier) if tier is not None else order.index(StationTier.POINT)
        card = _station_card(row, tier, township_names)
        name = _esc(row.name)
        new, kept = _bool(row.new_site), _bool(row.kept)
        if new:
            counts["new"] += 1
            kept_props.append({"s": len(order), "p": card, "t": name})
            kept_geoms.append(geoms[i])
            continue
        counts["before"][order[k]] += 1
        before_props.append({"s": k, "p": card, "t": name})
        before_geoms.append(geoms[i])
        if kept:
            counts["kept"][order[k]] += 1
            kept_props.append({"s": k, "p": card, "t": name})
            kept_geoms.append(geoms[i])
        else:
            counts["closed"][order[k]] += 1
            closed_props.append(
                {"s": k, "p": card, "t": _esc(text("report.map.closed_tip", name=row.name))}
            )
            closed_geoms.append(geoms[i])
    common: dict[str, Any] = {
        "popup_rows": row_labels(_STATION_ROWS),
        "control": False,
        "show": False,
    }
    stations = text("report.map.layer_stations")
    kept_layer = GeoJsonOverlay(
        features(np.array(kept_geoms, dtype=object), kept_props),
        name=text("report.map.view_layer", view=_after(), name=stations),
        styles=[
            *(TIER_SYMBOLS[t].style("gg-kept") for t in order),
            NEW_SITE_SYMBOL.style("gg-new"),
        ],
        **common,
    )
    closed_layer = GeoJsonOverlay(
        features(np.array(closed_geoms, dtype=object), closed_props),
        name=text("report.map.view_layer", view=_after(), name=text("report.map.layer_closed")),
        styles=[CLOSED_TIER_SYMBOLS[t].style("gg-closed") for t in order],
        **common,
    )
    before_layer = GeoJsonOverlay(
        features(np.array(before_geoms, dtype=object), before_props),
        name=text("report.map.view_layer", view=_before(), name=stations),
        styles=[TIER_SYMBOLS[t].style("gg-before") for t in order],
        **common,
    )
    return [closed_layer, kept_layer], before_layer, counts


def _absorb_layer(plan: ConsolidationPlan, display: Display) -> GeoJsonOverlay:
    """A dotted line from each closed station to the station that absorbs it."""
    st = plan.stations.to_crs(CGCS2000)
    where = dict(zip(st["station_id"], st.geometry, strict=True))
    ab = plan.absorb
    lines, props = [], []
    for row in ab.itertuples(index=False):
        a, b = where.get(row.closed_id), where.get(row.into_id)
        if a is None or b is None or a.is_empty or b.is_empty:
            continue
        lines.append(shapely.LineString([(a.x, a.y), (b.x, b.y)]))
        minutes = _finite(row.travel_s)
        card = [
            _esc(text("report.map.closed_card", name=row.closed_name)),
            _esc(row.into_name),
            "" if minutes is None else _esc(text("report.map.about_min", n=f"{minutes / 60:.1f}")),
            _esc(text("report.map.items", n=_int(row.n_villages))),
            _esc(text("report.map.items", n=_int(row.n_grids))),
            _esc(text("report.map.deputies", n=_int(row.n_deputies))),
            _esc(text("report.map.people", n=f"{_int(row.population):,}")),
        ]
        props.append({"s": 0, "p": card, "t": f"{_esc(row.closed_name)} → {_esc(row.into_name)}"})
    # Dotted, not dashed: township borders are dashed.
    style = {
        "color": ABSORB_COLOUR,
        "weight": 3,
        "opacity": 0.9,
        "dashArray": "0.1 6",
        "lineCap": "round",
        "className": "gg-absorb",
    }
    drawn = display.lonlat(np.array(lines, dtype=object)) if lines else np.array([], dtype=object)
    return GeoJsonOverlay(
        features(drawn, props),
        name=text("report.map.view_layer", view=_after(), name=text("report.map.layer_absorb")),
        styles=[style],
        pane=_PANE_LINES[0],
        z_index=_PANE_LINES[1],
        popup_rows=row_labels(_ABSORB_ROWS),
        control=False,
        show=False,
    )


def _standard_blocks(plan: ConsolidationPlan, f: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(villages lost, HTML) per standard the plan is judged by: the county's own reach
    standard (``summary["county_standard"]``, from :func:`gridgov.coverage.consolidate`)
    and the standard it was planned at, when they differ."""
    v = plan.villages
    n = len(v)
    planned = {
        "label": "report.map.plan_planned",
        "phrase": standard_phrase(plan.standard),
        "before": int(sum(_bool(x) for x in v["covered_before"])),
        "after": int(sum(_bool(x) for x in v["covered_after"])),
        "share_before": f["share_before"],
        "share_after": f["share_after"],
        "lost": f["lost"],
        "gained": f["gained"],
    }
    figures = [planned]
    county = plan.summary.get("county_standard")
    if isinstance(county, Mapping):
        judged = {
            "label": "report.map.plan_county",
            "phrase": standard_phrase(parse_standard(county["standard"])),
            "before": int(county["villages_covered_before"]),
            "after": int(county["villages_covered_after"]),
            "share_before": float(county["share_villages_covered_before"]),
            "share_after": float(county["share_villages_covered_after"]),
            "lost": int(county["villages_lost"]),
            "gained": int(county.get("villages_gained", 0)),
        }
        # At the county's own standard the plan's figures are the county's: one block.
        figures = [judged] if county.get("same_as_plan") else [judged, planned]
    blocks = []
    for fig in figures:
        lines = [f'<div class="gg-head">{_esc(text(fig["label"], standard=fig["phrase"]))}</div>']
        if fig["lost"]:
            # a plan that loses villages says so before anything else under that standard
            lost = text("report.map.plan_lost", lost=fig["lost"])
            lines.append(f'<div class="gg-head gg-loss">{_esc(lost)}</div>')
        covered = text(
            "report.map.plan_covered",
            before=fig["before"],
            after=fig["after"],
            share_before=percent(fig["share_before"]),
            share_after=percent(fig["share_after"]),
        )
        if n and fig["gained"]:
            covered += text("report.map.sep")
            covered += text("report.map.plan_gained", n=fig["gained"])
        lines.append(f'<div class="gg-figs">{_esc(covered)}</div>')
        blocks.append((int(fig["lost"]), f'<div class="gg-std">{"".join(lines)}</div>'))
    return blocks


def _title_html(county_name: str, plan: ConsolidationPlan) -> str:
    """The title block: the stations, then each standard with its loss in large type."""
    f = _headline(plan)
    new = text("report.map.plan_new", n=f["new"]) if f["new"] else ""
    stations = text(
        "report.map.plan_stations",
        before=f["stations_before"],
        after=f["stations_after"],
        closed=f["closed"],
        new=new,
    )
    lines = [
        f"<h1>{_esc(text('report.map.plan_title', county=county_name))}</h1>",
        f'<div class="gg-head">{_esc(stations)}</div>',
    ]
    # the standard under which the plan loses villages comes first (stable: county first)
    blocks = sorted(_standard_blocks(plan, f), key=lambda b: -b[0])
    lines.extend(html for _, html in blocks)
    if f["saving"] is not None:
        saving = text("report.map.plan_saving", saving=f"{f['saving']:,.0f}")
        lines.append(f'<div class="gg-figs">{_esc(saving)}</div>')
    return "".join(lines)


def _legend_html(
    standard: ReachStandard,
    classes: list[TravelClass],
    n_after: list[int],
    n_before: list[int],
    counts: dict[str, Any],
    lost: int,
    gained: int,
) -> str:
    views = _esc(text("report.map.before_after"))
    parts = [f'<h2>{_esc(layer_name(standard))}<span class="gg-n">{views}</span></h2>']
    for cls, b, a in zip(classes, n_before, n_after, strict=True):
        if cls.is_gap:
            swatch = (
                '<span class="gg-sw" style="background:repeating-linear-gradient(45deg,'
                f'{GAP_COLOUR} 0 3px,#fcbba1 3px 6px);border:2px solid {GAP_OUTLINE}"></span>'
            )
        else:
            swatch = f'<span class="gg-sw" style="background:{cls.colour}"></span>'
        parts.append(_row(swatch, cls.label, f"{b} → {a}"))
    parts.append(f"<h2>{_esc(text('report.map.change_head'))}</h2>")
    cross = f"{LOST_COLOUR} 0 2px,transparent 2px 5px"
    lost_sw = (
        '<span class="gg-sw" style="background:'
        f"repeating-linear-gradient(45deg,{cross}),repeating-linear-gradient(-45deg,{cross}),"
        f'#fcc5c0;border:2px solid {LOST_OUTLINE}"></span>'
    )
    parts.append(_row(lost_sw, text("report.map.lost_row"), str(lost)))
    gained_sw = (
        f'<span class="gg-sw" style="background:{classes[0].colour};'
        f'border:2px solid {GAINED_COLOUR}"></span>'
    )
    parts.append(_row(gained_sw, text("report.map.gained_row"), str(gained)))
    parts.append(f"<h2>{_esc(text('report.map.layer_stations'))}</h2>")
    for tier, n in counts["kept"].items():
        before = counts["before"][tier]
        if before or n:
            parts.append(_row(TIER_SYMBOLS[tier].svg, enum_label(tier), f"{before} → {n}"))
    if counts["new"]:
        parts.append(_row(NEW_SITE_SYMBOL.svg, text("report.map.new_row"), str(counts["new"])))
    closed = sum(counts["closed"].values())
    if closed:
        tier = max(counts["closed"], key=lambda t: counts["closed"][t])
        parts.append(
            _row(CLOSED_TIER_SYMBOLS[tier].svg, text("report.map.closed_row"), str(closed))
        )
        line = f'<span class="gg-line" style="border-top:3px dotted {ABSORB_COLOUR}"></span>'
        parts.append(_row(line, text("report.map.absorb_row")))
    parts.append(f"<h2>{_esc(text('report.map.other_head'))}</h2>")
    parts.extend(_boundary_legend_rows())
    return "".join(parts)


def consolidation_map(
    ws: Workspace,
    plan: ConsolidationPlan,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    view: str = "after",
    simplify_m: float = 30.0,
) -> folium.Map:
    """Map of a station consolidation plan, before and after, as one offline page.

    Two exclusive views in the layer control: ``调整后`` (villages coloured by travel time
    after the plan, with the villages that lose coverage cross-hatched in purple and those
    that gain it outlined in blue; kept stations by tier, new sites as an orange square,
    closed stations greyed with a dotted line to the station that absorbs them) and
    ``调整前`` (villages by travel time before, every existing station). County and
    township boundaries, a Chinese title with the headline figures and a legend stay on.

    Parameters
    ----------
    ws : Workspace
        The county's workspace (county outline and townships).
    plan : ConsolidationPlan
        From :func:`gridgov.coverage.consolidate` on ``ws``. The map reads
        ``plan.standard``; ``plan.stations`` columns ``station_id, name, tier,
        township_code, kept, new_site, decision, reason, absorbed_by_name,
        absorb_travel_s, villages_before, villages_after, population_before,
        population_after, deputies_before, deputies_after`` (point geometry);
        ``plan.villages`` columns ``name, township_code, population, station_before,
        travel_s_before, covered_before, station_after_name, travel_s_after,
        travel_m_after, covered_after, change`` (polygon geometry; under a distance
        standard ``travel_m_before`` too, if present: without it the villages covered
        before are drawn in the last class within the standard); ``plan.absorb`` columns
        ``closed_id, closed_name, into_id, into_name, travel_s, n_villages, n_grids,
        n_deputies, population``; and ``plan.summary`` keys ``stations_before,
        stations_after, share_villages_covered_before, share_villages_covered_after``
        (each computed from the tables when absent) and ``annual_saving_yuan`` (the
        title leaves the saving out when absent).
    basemap : {"none", "osm", "tianditu", "amap"}, default "none"
        Tiles under the overlays; ``天地图`` and ``高德`` are accepted too. ``none`` needs
        no internet at all. ``amap`` (高德) tiles are GCJ-02, so every overlay is shifted
        into GCJ-02 to line up with them.
    tianditu_key : str, optional
        Key for 天地图 tiles; default the ``GRIDGOV_TIANDITU_KEY`` or ``TIANDITU_KEY``
        environment variable, else ``Settings.tianditu_key``.
    view : {"after", "before"}, default "after"
        The view shown when the page opens (``调整后`` / ``调整前`` are accepted too).
    simplify_m : float, default 30
        Polygon simplification tolerance in metres (0 keeps every vertex).

    Returns
    -------
    folium.Map
        Self-contained (Leaflet inlined); write it with :func:`maps.save_html`.

    Raises
    ------
    ParameterError
        If ``basemap`` or ``view`` is unknown, 天地图 has no key, ``simplify_m`` is
        negative or not a number, or the plan lacks a column the map reads (all of them
        named).
    """
    base = resolve_basemap(basemap, tianditu_key)
    shown = _view(view)
    if not isinstance(simplify_m, int | float) or not math.isfinite(simplify_m) or simplify_m < 0:
        raise ParameterError(
            f"simplify_m must be a non-negative number of metres, got {simplify_m!r}",
            parameter="simplify_m",
            value=simplify_m,
        )
    _check_plan(plan)
    display = Display(metric_crs(ws), gcj02=base.gcj02)
    county_name = str(ws.meta.get("county_name") or ws.county["name"].iloc[0])
    township_names = dict(zip(ws.townships["code"].astype(str), ws.townships["name"], strict=True))
    station_names = dict(zip(plan.stations["station_id"], plan.stations["name"], strict=True))
    classes = travel_classes(plan.standard)

    county, townships, labels = _boundary_layers(ws, display, simplify_m)
    v_after, v_before, n_after, n_before = _village_layers(
        plan, display, classes, township_names, station_names, simplify_m
    )
    s_after, s_before, counts = _station_layers(plan, display, township_names)
    lines = _absorb_layer(plan, display)

    minx, miny, maxx, maxy = gpd.GeoSeries(
        display.polygons(ws.county, simplify_m=simplify_m), crs=CGCS2000
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
            "report.map.page_plan", county=county_name, standard=standard_label(plan.standard)
        )
    Setup(_HATCH_SVG + _LOST_HATCH_SVG).add_to(m)
    base.add_to(m)
    before_members = [v_before, s_before]
    after_members = [v_after, lines, *s_after]
    for layer in (*before_members, *after_members):
        layer.add_to(m)
    before = OverlayGroup(before_members, name=_before(), show=shown == "before")
    after = OverlayGroup(after_members, name=_after(), show=shown == "after")
    before.add_to(m)
    after.add_to(m)
    Exclusive([before, after]).add_to(m)
    for layer in (townships, county, labels):
        layer.add_to(m)
    Panel(_title_html(county_name, plan), css_class="gg-title", position="topleft").add_to(m)
    h = _headline(plan)
    legend = _legend_html(plan.standard, classes, n_after, n_before, counts, h["lost"], h["gained"])
    Panel(legend, css_class="gg-legend", position="bottomleft").add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    return make_offline(m)
