"""The ``gridgov`` command line: parse arguments, call the core, write outputs.

One module per command group (:mod:`~gridgov.cli.demo`, :mod:`~gridgov.cli.data`,
:mod:`~gridgov.cli.plan`, :mod:`~gridgov.cli.service`, :mod:`~gridgov.cli.db`), each with a
``register(sub, common)``; what they share is in :mod:`~gridgov.cli._common`.

Exit codes: 0 success; 2 a user's error, which is exactly a
:class:`~gridgov.GridgovError` or a file the system would not open or write (the message
names the file, row, field and value); 1 anything else, a bug in gridgov, with the traceback
and a line asking to report it. Every subcommand takes ``--json`` to print a
machine-readable summary on stdout.

Messages are in Chinese; ``--lang en`` (or ``GRIDGOV_LANG=en``) says them in English, from
the one catalogue :mod:`gridgov.messages`. Input problems are printed grouped, the input's
own first (:func:`~gridgov._validate.report_lines`); a failed ``gridgov load`` also writes
every problem to ``WORKSPACE.problems.xlsx`` beside the workspace, which it leaves as it was.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from gridgov import __version__
from gridgov._errors import GridgovError, ValidationError
from gridgov._json import strict_json
from gridgov.cli import accounts, data, db, demo, handoff, notify, plan, region, service
from gridgov.cli._common import problem_report_path, validation_report, write_problem_report
from gridgov.messages import ENV_VAR, LANGS, text, use_lang

__all__ = ["build_parser", "main"]

log = logging.getLogger("gridgov")

#: Errors of the operating system about a file the user named: not found, not allowed, a
#: folder where a file was expected. They are the user's to fix, so they exit 2 like a
#: GridgovError; every other OSError is left to the bug handler.
_FILE_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gridgov`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    common.add_argument(
        "--settings", metavar="TOML", help="settings file (speeds, standards, costs)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    # also after the command (gridgov load --lang en ...); SUPPRESS: when absent there, it
    # does not undo one given before the command
    common.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="gridgov",
        description="Deputy liaison station coverage, consolidation and issue handling for counties.",
    )
    parser.add_argument("--version", action="version", version=f"gridgov {__version__}")
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=None,
        help=f"language of messages: zh (default) or en; also the {ENV_VAR} variable",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo.register(sub, common)
    data.register(sub, common)
    plan.register(sub, common)
    region.register(sub, common)  # after plan: adds region options to its commands
    service.register(sub, common)
    db.register(sub, common)
    accounts.register(sub, common)
    handoff.register(sub, common)
    notify.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    with use_lang(getattr(args, "lang", None)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        if code == 0:
            _drop_old_report(args)
        return code
    except ValidationError as exc:
        report = _report_problems(args, exc)
        if args.json:
            payload = {
                "ok": False,
                "error": exc.context,
                "problems": [p.as_dict() for p in exc.problems],
                "problems_xlsx": None if report is None else str(report),
            }
            sys.stdout.write(strict_json(payload, indent=2) + "\n")
        lines = validation_report(exc.problems, context=exc.context, report=report)
        lines[0] = text("cli.error", command=args.command, message=lines[0])
        print("\n".join(lines), file=sys.stderr)
        return 2
    except (GridgovError, *_FILE_ERRORS) as exc:
        if args.json:
            problems = getattr(exc, "problems", [])
            payload = {"ok": False, "error": str(exc), "problems": [p.as_dict() for p in problems]}
            sys.stdout.write(strict_json(payload) + "\n")
        print(text("cli.error", command=args.command, message=exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`gridgov info --json | head`): not an error of gridgov. Point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a writer killed by SIGPIPE (128 + 13)
    except KeyboardInterrupt:
        print(text("cli.interrupted"), file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(text("cli.bug", command=args.command, version=__version__), file=sys.stderr)
        return 1


def _report_problems(args: argparse.Namespace, exc: ValidationError) -> Path | None:
    """``gridgov load`` whose input failed: every problem to ``WORKSPACE.problems.xlsx``
    (not for a mistake on the command line itself, which has no rows to list)."""
    path = problem_report_path(args)
    if path is None or not exc.problems or exc.context != str(args.workspace):
        return None
    return write_problem_report(exc.problems, path)


def _drop_old_report(args: argparse.Namespace) -> None:
    """A load that succeeded leaves no problem list of an earlier failed one behind."""
    path = problem_report_path(args)
    if path is not None and path.is_file():
        try:
            path.unlink()
        except OSError as exc:  # open in Excel on Windows: harmless, it is only stale
            log.warning("could not remove the old problem list %s: %s", path, exc)
