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
