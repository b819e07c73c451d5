"""Settings files: overrides read from TOML, and every mistake in one named as the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov._errors import NotFoundError, ValidationError
from gridgov.settings import Settings, load_settings


def test_a_toml_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text("outside_tolerance_m = 1234.0\n", encoding="utf-8")
    settings = load_settings(path)
    assert settings.outside_tolerance_m == 1234.0
    assert settings.speeds_kmh == Settings().speeds_kmh


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"absent\.toml"):
        load_settings(tmp_path / "absent.toml")


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text("outside_tolerance_m = = 3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    assert [p.layer for p in caught.value.problems] == ["county.toml"]
    assert "TOML" in caught.value.problems[0].message


def test_an_unknown_setting_is_named(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text("speed_limit = 3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    assert [(p.field, p.value) for p in caught.value.problems] == [("speed_limit", 3)]


def _problems(path: Path, text: str) -> dict[str | None, object]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert {p.layer for p in caught.value.problems} == {path.name}
    return {p.field: p.value for p in caught.value.problems}


@pytest.mark.parametrize("speed", ["-5.0", "0.0", "nan", "inf", "1e9", '"fast"'])
def test_a_speed_that_is_not_a_sane_positive_number_is_named(tmp_path: Path, speed: str) -> None:
    # a speed <= 0 made `gridgov coverage` allocate until it died (16 GB, bad_alloc)
    found = _problems(tmp_path / "county.toml", f"[speeds_kmh.ebike]\nvillage = {speed}\n")
    assert list(found) == ["speeds_kmh.ebike.village"]


def test_every_bad_setting_is_named_at_once(tmp_path: Path) -> None:
    found = _problems(
        tmp_path / "county.toml",
        "snap_warn_m = -1.0\n"
        "dispatch_k = 0\n"
        "max_deputies_per_station = 2\n"
        'reach_standard = "fast"\n'
        'dispatch_mode = "rocket"\n'
        "[speeds_kmh.car]\ntrunk = -70.0\n"
        "[deadlines_h.grid]\nresolve = 0\n"
        "[category_deadlines_h.safety.grid]\nacknowledge = -1\n",
    )
    assert found == {
        "snap_warn_m": -1.0,
        "dispatch_k": 0,
        "max_deputies_per_station": 2,
        "reach_standard": "fast",
        "dispatch_mode": "rocket",
        "speeds_kmh.car.trunk": -70.0,
        "deadlines_h.grid.resolve": 0,
        "category_deadlines_h.safety.grid.acknowledge": -1,
    }


def test_a_partial_table_keeps_the_other_defaults(tmp_path: Path) -> None:
    # `[speeds_kmh.ebike]` alone used to replace every mode: KeyError 'walk'
    path = tmp_path / "county.toml"
    path.write_text(
        "[speeds_kmh.ebike]\nvillage = 12.0\n[deadlines_h.grid]\nresolve = 12.0\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    defaults = Settings()
    assert settings.speeds_kmh["ebike"] == {**defaults.speeds_kmh["ebike"], "village": 12.0}
    assert settings.speeds_kmh["walk"] == defaults.speeds_kmh["walk"]
    assert settings.deadlines_h["grid"] == {"acknowledge": 2.0, "resolve": 12.0}
    assert settings.deadlines_h["county"] == defaults.deadlines_h["county"]


def test_a_new_mode_must_give_every_road_class(tmp_path: Path) -> None:
    found = _problems(tmp_path / "county.toml", "[speeds_kmh.bike]\nvillage = 12.0\n")
    assert list(found) == ["speeds_kmh.bike"]


@pytest.mark.parametrize(
    "values",
    [
        {"speeds_kmh": {"walk": {"trunk": 4.5, "county": 4.5, "township": 4.5, "village": 0.0}}},
        {"speeds_kmh": {"ebike": Settings().speeds_kmh["ebike"]}},
        {"deadlines_h": {"grid": {"acknowledge": -2.0, "resolve": 24.0}}},
        {"duplicate_radius_m": -1.0},
        {"rating_window_h": float("nan")},
        {"min_deputies_per_station": 0},
        {"dispatch_cutoff_s": 0.0},
        {"detour_factor": 0.5},
    ],
)
def test_settings_built_in_code_are_checked_too(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]
    assert caught.value.problems
    assert all(p.field for p in caught.value.problems)
