"""What every ``gridgov`` subcommand shares: printing (problems grouped and in the chosen
language, the problem list ``problems.xlsx``), progress, settings, and opening the
workspace and issue store a command names.

Each command module imports from here and from the core, never from another command
module, so the CLI has no import cycles.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from gridgov._errors import Problem
from gridgov._validate import NOTE, problem_line, problem_table, report_lines
from gridgov.messages import text
from gridgov.settings import Settings, load_settings
from gridgov.store import is_dsn

log = logging.getLogger("gridgov")

__all__ = [
    "emit",
    "notes_text",
    "optional_maps",
    "problem_report_path",
    "problems_text",
    "progress",
    "settings_of",
    "shell",
    "shown",
    "store_target",
    "validation_report",
    "write_problem_report",
]


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print ``text``, or ``payload`` as strict JSON with ``--json`` (no NaN or Infinity:
    a value that is not a number is written as null)."""
    if args.json:
        from gridgov._json import strict_json

        sys.stdout.write(strict_json(payload, indent=2))
        sys.stdout.write("\n")
    else:
        print(text)


def problems_text(problems: Sequence[Problem]) -> str:
    """Problems one per line, indented, for the console, in the current language."""
    return "\n".join(f"  - {problem_line(p)}" for p in problems)


def notes_text(problems: Sequence[Problem]) -> str:
    """The notes among ``problems`` (what was detected or derived), one per line, indented."""
    return "\n".join(f"  {p.message}" for p in problems if p.severity == NOTE)


def validation_report(
    problems: Sequence[Problem], *, context: str, report: Path | None = None
) -> list[str]:
    """The lines printed for a :class:`~gridgov.ValidationError`: a head line, the problems
    grouped by file (the input's own first, cascades summed up), the notes, that nothing
    was written, and where the full list is."""
    lines = report_lines(problems, context=context)
    notes = [p for p in problems if p.severity == NOTE]
    if notes:
        lines.append(text("report.notes"))
        lines.extend(f"  {p.message}" for p in notes)
    lines.append(text("report.nothing_written"))
    if report is not None:
        lines.append(text("report.written", path=report))
    return lines


def problem_report_path(args: argparse.Namespace) -> Path | None:
    """Where ``gridgov load WORKSPACE`` lists the problems of a failed load:
    ``WORKSPACE.problems.xlsx`` beside the workspace (None for other commands)."""
    workspace = getattr(args, "workspace", None)
    if getattr(args, "command", None) != "load" or workspace is None or is_dsn(str(workspace)):
        return None
    path = Path(workspace)
    return path.with_name(f"{path.stem}.problems.xlsx")


def write_problem_report(problems: Sequence[Problem], path: Path) -> Path | None:
    """Every error and warning as one sheet (文件, 工作表, 行（Excel）, 列, 值, 问题, 建议);
    None, with a message on stderr, when the file cannot be written (open in Excel)."""
    from gridgov.io import write_xlsx

    try:
        return write_xlsx({text("report.sheet_name"): problem_table(problems)}, path)
    except OSError as exc:
        print(text("report.not_written", path=path, error=exc), file=sys.stderr)
        return None


@contextmanager
def progress(
    args: argparse.Namespace, label: str, total: int | None
) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (silent with --json or when stderr is not a terminal)."""
    if args.json or not sys.stderr.isatty():

        def quiet(done: int, total_: int) -> None:
            log.info("%s: %d/%d", label, done, total_)

        yield quiet
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, total_: int) -> None:
            bar.update(task, completed=done, total=total_)

        yield update


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of a command: ``--settings FILE`` or the defaults."""
    return load_settings(args.settings) if args.settings else Settings()


#: Entry-point group through which the shells (``api``, ``maps``) plug into the CLI. The
#: core names no shell: ``pyproject.toml`` declares ``serve = "api.cli:serve"`` and
#: ``maps = "maps"`` here, so the dependency points from the shells to the core only.
SHELLS = "gridgov.shells"


def shell(name: str) -> Any:
    """The object the installed shell ``name`` plugs in (``serve``, ``maps``).

    Raises
    ------
    ImportError
        If no shell of that name is installed, or loading it fails (its extra missing).
    """
    found = entry_points(group=SHELLS, name=name)
    if not found:
        raise ImportError(f"no {name!r} in the {SHELLS} entry points (gridgov not installed?)")
    return next(iter(found)).load()


def optional_maps(what: str) -> Any:
    """The maps shell, or None (with a warning) when the maps extra is not installed."""
    try:
        return shell("maps")
    except ImportError as exc:  # folium is the maps extra
        log.warning("no %s map: %s (pip install 'gridgov[maps]')", what, exc)
        return None


def store_target(args: argparse.Namespace) -> str | Path:
    """The issue store: ``--db`` (a SQLite file or a ``postgresql://`` URL), else the
    database the workspace is in, else ``WORKSPACE.issues.sqlite`` beside it."""
    if args.db:
        return str(args.db) if is_dsn(args.db) else Path(args.db)
    if is_dsn(args.workspace):
        return str(args.workspace)
    return Path(args.workspace).with_suffix(".issues.sqlite")


def shown(target: str | Path) -> str:
    """A workspace or store for messages: a URL without its password."""
    if is_dsn(target):
        from gridgov.store.pg_workspace import redact_dsn

        return redact_dsn(str(target))
    return str(target)


def open_service(args: argparse.Namespace) -> Any:
    """The issue service on the command's workspace and store."""
    from gridgov.issues.service import IssueService
    from gridgov.store import open_store, open_workspace

    ws = open_workspace(str(args.workspace) if is_dsn(args.workspace) else Path(args.workspace))
    return IssueService.open(ws, open_store(store_target(args)), settings=settings_of(args))
