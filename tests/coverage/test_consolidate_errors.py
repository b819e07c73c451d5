"""A consolidation asked for the impossible names the parameter and the value at fault."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from gridgov._errors import InfeasibleError, ParameterError, ValidationError
from gridgov.coverage.consolidate import MODELS, consolidate, tradeoff_curve
from gridgov.model import Workspace
from gridgov.testing import tiny_workspace


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return tiny_workspace()


def test_every_model_plans_the_tiny_county(ws: Workspace) -> None:
    for model in MODELS:
        plan = consolidate(
            ws, target=3, standard="30min:ebike", model=model, deputy_min=1, time_limit_s=30
        )
        assert plan.solution.proven and plan.solution.status == "optimal", model
        assert plan.summary["model"] == model and plan.summary["model_zh"]


@pytest.mark.parametrize(
    ("options", "parameter", "value"),
    [
        ({"model": "median"}, "model", "median"),
        ({"keep": "S01,NOPE"}, "keep", ["NOPE"]),
        ({"close": ["S09"]}, "close", ["S09"]),
        ({"close": "S01"}, "close", ["S01"]),  # a township station is kept by its tier
        ({"township_min": {"999": 1}}, "township_min", ["999"]),
        ({"new_sites": "towns"}, "new_sites", "towns"),
        ({"target": None, "model": "p-median"}, "target", None),
    ],
)
def test_bad_options_are_parameter_errors(
    ws: Workspace, options: dict[str, object], parameter: str, value: object
) -> None:
    kwargs: dict[str, object] = {"target": 2, "standard": "30min:ebike", **options}
    with pytest.raises(ParameterError) as err:
        consolidate(ws, **kwargs)  # type: ignore[arg-type]
    assert (err.value.parameter, err.value.value) == (parameter, value)


def test_new_sites_without_names_are_a_validation_error(ws: Workspace) -> None:
    sites = gpd.GeoDataFrame({"station_id": ["X1"]}, geometry=[Point(112.9, 29.5)], crs=4490)
    with pytest.raises(ValidationError, match="name"):
        consolidate(ws, target=2, new_sites=sites)


def test_too_few_stations_to_cover_everyone_is_infeasible(ws: Workspace) -> None:
    # Everyone is within 30 minutes by e-bike of some station, but not of any two.
    with pytest.raises(InfeasibleError, match="needs at least 3 sites"):
        consolidate(ws, target=2, standard="30min:ebike", model="p-median-full")


def _no_solving(*args: object, **kwargs: object) -> None:
    raise AssertionError("solved before the station counts were checked")


@pytest.mark.parametrize("target", [0, 1, 4, 1000])
def test_a_target_outside_the_candidate_sites_is_named_before_solving(
    ws: Workspace, target: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3 candidate sites, 2 of them kept by their tier: 2 to 3 is all a plan can keep (it
    # used to blame the deputies' capacity instead)
    monkeypatch.setattr("gridgov.coverage.consolidate._solve", _no_solving)
    with pytest.raises(ParameterError, match="from 2 to 3") as err:
        consolidate(ws, target=target, standard="30min:ebike", deputy_min=1)
    assert (err.value.parameter, err.value.value) == ("target", target)


def test_curve_counts_outside_the_candidate_sites_are_named_before_solving(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gridgov.coverage.consolidate._solve", _no_solving)
    with pytest.raises(ParameterError, match="from 2 to 3") as err:
        tradeoff_curve(ws, p_values=[2, 500, 600], standard="30min:ebike")
    assert (err.value.parameter, err.value.value) == ("p_values", [500, 600])
