"""The ``gridgov`` command line: parse arguments, call the core, write outputs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from gridgov import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gridgov`` command."""
    parser = argparse.ArgumentParser(prog="gridgov", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gridgov {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 bug)."""
    build_parser().parse_args(argv)
    return 0
