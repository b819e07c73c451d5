"""``gridgov handoff poll``: one pass of the hand-off to the platform above, for cron.

``gridgov serve`` does the same every ``settings.handoff_poll_s`` seconds; this command
is for a county that runs the deadline scheduler from cron too, or wants to see at once
what the platform says. It submits the issues waiting at the external level, polls the
platform for those handed off, writes every change into their timelines
(:func:`gridgov.issues.handoff.sync_handoffs`), and prints what it did. A platform that
cannot be reached is not an error of the command (the next pass retries): it shows in
the counts and, with ``--json``, per issue.
"""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.cli._common import emit, open_service
from gridgov.messages import text

__all__ = ["register"]


def cmd_poll(args: argparse.Namespace) -> int:
    """Submit waiting hand-offs and poll the platform once."""
    from gridgov.issues.handoff import sync_handoffs

    service = open_service(args)
    try:
        if not service.settings.handoff_url:
            emit(args, {"enabled": False}, text("handoff.cli.off"))
            return 0
        report = sync_handoffs(service)
    finally:
        service.store.close()  # a PostGIS store holds a connection pool
    counts = {k: len(v) for k, v in report.as_dict().items() if k != "errors"}
    emit(args, {"enabled": True, **report.as_dict()}, text("handoff.cli.summary", **counts))
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``gridgov handoff`` to the CLI's subparsers."""
    p = sub.add_parser(
        "handoff", parents=[common], help="hand-off to the platform above (12345, Open311)"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    poll = actions.add_parser(
        "poll",
        parents=[common],
        help="submit issues waiting at the external level and poll the platform once",
    )
    poll.add_argument(
        "workspace", help="workspace GeoPackage, or postgresql://... (gridgov db import)"
    )
    poll.add_argument(
        "--db",
        help="issue store: a SQLite file or postgresql://... (default: the workspace's "
        "database, else WORKSPACE.issues.sqlite beside it)",
    )
    poll.set_defaults(func=cmd_poll)
