"""The CLI's promise: exit 2 with one message for a user's error, exit 1 with the traceback
for a bug — never a bug dressed as bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov import io
from gridgov._errors import ParameterError
from gridgov.cli import main
from gridgov.testing import tiny_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "tiny.gpkg"
    io.write_workspace(tiny_workspace(), path)
    return path


def _boom(*args: object, **kwargs: object) -> None:
    # what pandas 3 raised inside `gridgov load` (a read-only array written into): a bug
    raise ValueError("assignment destination is read-only")


def test_a_bug_in_a_command_exits_1_with_the_traceback(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(io, "workspace_info", _boom)
    assert main(["--lang", "en", "info", str(workspace)]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ValueError: assignment destination is read-only" in err
    assert "please report it" in err


def test_a_bug_that_is_a_lookup_or_key_error_is_still_a_bug(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise KeyError("population")

    monkeypatch.setattr(io, "workspace_info", missing)
    assert main(["info", str(workspace), "--json"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_user_error_exits_2_with_one_message_and_no_traceback(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ParameterError("--target must be at least 1, got 0", parameter="--target", value=0)

    monkeypatch.setattr(io, "workspace_info", refuse)
    assert main(["info", str(workspace)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "--target must be at least 1, got 0" in err


def test_json_error_names_the_problem(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    def refuse(*args: object, **kwargs: object) -> None:
        raise ParameterError("--target must be at least 1, got 0", parameter="--target", value=0)

    monkeypatch.setattr(io, "workspace_info", refuse)
    assert main(["info", str(workspace), "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert payload["problems"][0]["field"] == "--target"
    assert payload["problems"][0]["value"] == "0"


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.gpkg"
    assert main(["info", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "nowhere.gpkg" in err and "Traceback" not in err
