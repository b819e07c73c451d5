"""The issues layer is written straight to GeoJSON (a page of a year's issues through a
GeoDataFrame and ``to_json`` took 0.6 s, ``bench/bench_year.py``), with the features,
properties and CRS member the GeoDataFrame gave, and pages of :data:`LAYER_PAGE` unless
the client asks for more."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pytest

from api.routes.analytics import LAYER_PAGE, MAX_LAYER_FEATURES
from gridgov.issues.layers import (
    COORDINATE_DECIMALS,
    LAYER_DATES,
    issue_properties,
    issues_geojson,
    issues_layer,
)
from gridgov.store.base import IssueQuery
from tests.api.conftest import World


def _frame_json(issues: list[Any]) -> str:
    """What ``GeoDataFrame.to_json`` gives for the API's properties: the layer of
    :func:`issues_layer`, its dates as the API's ISO texts (the workspace's DATETIME fields
    hold Beijing wall-clock time instead, for QGIS)."""
    layer = issues_layer(issues)
    api = [issue_properties(i) for i in issues]
    for name in LAYER_DATES:
        if issues and name not in api[0]:  # a field of the workspace layer alone
            layer = layer.drop(columns=name)
        elif name in layer:
            layer[name] = [p[name] for p in api]
    return str(layer.to_json(drop_id=True, ensure_ascii=False))


def _raise_several(world: World) -> None:
    p = world.places
    for n, grid in enumerate((p.grid_a, p.grid_a2, p.grid_b)):
        world.advance(1 / 60)
        world.raise_issue("county_staff", grid, category=("road", "water", "safety")[n],
                          description="说明" * (150 if n == 0 else 1))  # fmt: skip


def _same_features(new: dict[str, Any], old: dict[str, Any]) -> None:
    assert new["type"] == old["type"] == "FeatureCollection"
    assert new["crs"] == old["crs"]
    assert len(new["features"]) == len(old["features"]) > 0
    for a, b in zip(new["features"], old["features"], strict=True):
        assert a["type"] == b["type"] == "Feature"
        assert a["properties"] == b["properties"]
        assert list(a["properties"]) == list(b["properties"])  # the same column order
        assert a["geometry"]["type"] == b["geometry"]["type"] == "Point"
        for x, y in zip(a["geometry"]["coordinates"], b["geometry"]["coordinates"], strict=True):
            assert x == pytest.approx(y, abs=0.6 * 10**-COORDINATE_DECIMALS)


def test_the_geojson_is_the_layer_the_geodataframe_gave(world: World) -> None:
    _raise_several(world)
    issues, _ = world.service.store.list_issues(IssueQuery(limit=10))
    old = json.loads(_frame_json(issues))
    _same_features(json.loads(issues_geojson(issues)), old)
    assert json.loads(issues_geojson([])) == json.loads(_frame_json([]))
    # the description is cut to 200 characters, as in the workspace layer
    assert max(len(f["properties"]["description"]) for f in old["features"]) == 200


def test_the_api_answers_the_same_features_without_a_geodataframe(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _raise_several(world)
    issues, _ = world.service.store.list_issues(IssueQuery(limit=10))
    old = json.loads(_frame_json(issues))

    def slow(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the issues layer went through GeoDataFrame.to_json")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_json", slow)
    r = world.call("GET", "/layers/issues.geojson", "county_staff")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    assert r.headers["X-Total-Count"] == "3" and "Link" not in r.headers
    _same_features(r.json(), old)
    # the station admin sees their own station's two, still newest first
    mine = world.call("GET", "/layers/issues.geojson", "station_admin").json()["features"]
    assert [f["properties"]["issue_id"] for f in mine] == [
        f["properties"]["issue_id"]
        for f in old["features"]
        if f["properties"]["station_id"] == world.places.station_a
    ]


def test_the_default_page_and_the_most_are_in_the_api_description(world: World) -> None:
    spec = world.call("GET", "/openapi.json").json()
    params = spec["paths"]["/layers/{name}.geojson"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")["schema"]
    assert limit["default"] == LAYER_PAGE == 1000
    assert limit["maximum"] == MAX_LAYER_FEATURES == 5000
