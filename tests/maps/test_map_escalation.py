"""The escalation graph as a toggle layer on the coverage map."""

from __future__ import annotations

import maps
from gridgov.issues.escalation import escalation_edges, escalation_graph
from maps._layers import GeoJsonOverlay
from maps._offline import render_html
from maps.coverage import escalation_layer


def test_escalation_layer_is_a_hidden_toggle_with_every_edge(demo_ws, demo_result) -> None:
    edges = escalation_edges(escalation_graph(demo_ws))
    fmap = maps.coverage_map(demo_ws, demo_result, escalation=edges)
    layers = [c for c in fmap._children.values() if isinstance(c, GeoJsonOverlay)]
    esc = [lay for lay in layers if lay.layer_name.startswith("逐级上报路径")]
    assert len(esc) == 1 and esc[0].show is False and esc[0].control is True
    drawn = edges[edges["level"] != "external"]
    assert esc[0].n_features == len(drawn) == len(demo_ws.grids) + len(demo_ws.stations) + 14 + 1
    html = render_html(fmap)
    assert "gg-escalation" in html and "http://" not in html.split("<body")[1]


def test_without_edges_the_map_has_no_escalation_layer(demo_ws, demo_result) -> None:
    fmap = maps.coverage_map(demo_ws, demo_result)
    names = [c.layer_name for c in fmap._children.values() if isinstance(c, GeoJsonOverlay)]
    assert not any(n.startswith("逐级上报路径") for n in names)
    edges = escalation_edges(escalation_graph(demo_ws))
    assert escalation_layer(
        edges, maps.coverage.Display(maps.coverage.metric_crs(demo_ws))
    ).n_features
