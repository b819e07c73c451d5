"""The message catalogue: every message in Chinese and English, Chinese unless asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import gridgov
from gridgov import cli
from gridgov._validate import clean_layer, coerce_values
from gridgov.messages import (
    CATALOGUE,
    ENV_VAR,
    LANGS,
    Items,
    Term,
    current_lang,
    normalise_lang,
    placeholders,
    text,
    use_lang,
)
from gridgov.testing import tiny_workspace

# Keys built at run time rather than written out where they are said.
_DYNAMIC = {f"report.{s}" for s in ("error", "warning", "note")} | {
    f"report.col_{c}" for c in ("file", "sheet", "row", "column", "value", "problem", "suggestion")
}
_KEY = re.compile(r"""["']((?:validate|load|note|report|info|cli|roads)\.[a-z_]+)["']""")


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_is_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(LANGS), key
    assert all(entry[lang].strip() for lang in LANGS), key
    assert placeholders(entry["zh"]) == placeholders(entry["en"]), key


def test_every_key_the_code_says_is_in_the_catalogue() -> None:
    root = Path(gridgov.__file__).parent
    used = set(_DYNAMIC)
    for path in root.rglob("*.py"):
        if "messages" not in path.parts:
            used |= set(_KEY.findall(path.read_text(encoding="utf-8")))
    assert used - set(CATALOGUE) == set()
    assert len(used) > 60  # the validation and loading path says its messages from here


def test_chinese_by_default_english_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    column = Term("人口", "population")
    assert current_lang() == "zh"
    assert text("validate.not_number", column=column) == "人口不是数字"
    assert text("validate.not_number", "en", column=column) == "population is not a number"
    with use_lang("en"):
        assert current_lang() == "en"
        assert text("validate.not_number", column=column) == "population is not a number"
        with use_lang("zh"):
            assert text("validate.not_number", column=column) == "人口不是数字"
    monkeypatch.setenv(ENV_VAR, "en_US.UTF-8")
    assert text("validate.not_number", column=column) == "population is not a number"
    monkeypatch.setenv(ENV_VAR, "klingon")
    assert current_lang() == "zh"  # an unknown setting falls back, with a warning logged
    with pytest.raises(ValueError, match="klingon"), use_lang("klingon"):
        pass


def test_terms_and_lists_read_in_the_message_language() -> None:
    column = Term("户数", "households", en_long="households (户数)")
    assert text("validate.required_empty", "zh", column=column) == "户数为必填项，此处为空"
    assert (
        text("validate.required_empty", "en", column=column)
        == "households (户数) is required but empty"
    )
    codes = Items(["S1", "S2", "S3", "S4"], limit=2)
    assert text("validate.unknown_grids", "zh", codes=codes) == "网格 S1、S2 等 4 个 不在网格图层中"
    assert text("validate.unknown_grids", "en", codes=codes) == (
        "grid(s) S1, S2 and 2 more not in the grids layer"
    )
    assert normalise_lang("中文") == "zh" and normalise_lang("EN-gb") == "en"
    assert normalise_lang("fr") is None


def test_validation_problems_are_said_in_the_current_language() -> None:
    ws = tiny_workspace()
    villages = ws.villages.copy()
    villages["population"] = villages["population"].astype(object)
    villages.loc[0, "population"] = "很多"
    with use_lang("zh"):
        _, zh = coerce_values(villages, "villages")
        _, missing = clean_layer(villages.drop(columns="households"), "villages")
    with use_lang("en"):
        _, en = coerce_values(villages, "villages")
    assert [p.message for p in zh] == ["人口不是数字"]
    assert [p.message for p in en] == ["population is not a number"]
    assert any("缺少必填列“户数”" in p.message for p in missing)


def test_the_command_line_speaks_chinese_and_english_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    missing = tmp_path / "nowhere.gpkg"
    assert cli.main(["info", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"gridgov info：工作区 {missing} 不存在" in err
    assert cli.main(["--lang", "en", "info", str(missing)]) == 2
    assert f"gridgov info: workspace {missing} does not exist" in capsys.readouterr().err
    assert cli.main(["info", str(missing), "--lang", "en"]) == 2  # after the command too
    assert "does not exist" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VAR, "en")
    assert cli.main(["info", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err
