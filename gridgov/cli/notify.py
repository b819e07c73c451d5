"""``gridgov notify run | list | retry``: the notices' delivery worker and dead letters.

``run`` plans and sends notices until stopped (SIGTERM or Ctrl-C end it after the pass in
hand), for systemd or a terminal; ``run --once`` does what is due now and exits, for cron.
``gridgov serve`` runs the same worker in a thread, and any number of both may run at
once on one store. ``list`` shows notices (``--dead``: the dead letters, those that failed
``max_attempts`` times or were refused for good, with the reason); ``retry ID`` queues a
dead letter again once its cause is fixed.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from gridgov._errors import NotFoundError, ParameterError
from gridgov.cli._common import emit, open_service, store_target
from gridgov.messages import text

__all__ = ["register"]


def cmd_run(args: argparse.Namespace) -> int:
    """Deliver notices: one pass until nothing is due (``--once``), or until stopped."""
    from gridgov.notify.worker import NotifyWorker

    service = open_service(args)
    try:
        worker = NotifyWorker.for_service(service)
        if not worker.config.channels:
            print(text("notify.cli.no_channels"))
        if args.once:
            report = worker.drain()
        else:
            stop = threading.Event()

            def finish(signum: int, frame: Any) -> None:
                stop.set()

            # SIGTERM (systemd stop) and Ctrl-C end the loop after the pass in hand
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, finish)
            worker.run(stop)
            print(text("notify.cli.stopped"))
            return 0
    finally:
        service.store.close()  # a PostGIS store holds a connection pool
    payload = {
        "planned": report.planned,
        "notices": report.notices,
        "reminders": report.reminders,
        "sent": report.sent,
        "failed": report.failed,
        "dead": report.dead,
    }
    emit(args, payload, text("notify.cli.run", **payload))
    return 0


def _outbox(args: argparse.Namespace) -> tuple[Any, Any]:
    from gridgov.store import open_store
    from gridgov.store.outbox import outbox_store

    store = open_store(store_target(args))
    return store, outbox_store(store)


def cmd_list(args: argparse.Namespace) -> int:
    """List notices, newest last: all, the pending ones, or the dead letters."""
    if args.limit < 1:
        raise ParameterError(
            f"--limit must be at least 1, got {args.limit}", parameter="--limit", value=args.limit
        )
    store, outbox = _outbox(args)
    try:
        state = "dead" if args.dead else args.state
        rows = outbox.notices(state=state, issue_id=args.issue, limit=args.limit)
        counts = outbox.counts()
    finally:
        store.close()
    lines = [
        text(
            "notify.cli.row",
            notice_id=n.notice_id,
            state=n.state,
            kind=n.kind,
            issue_id=n.issue_id,
            channel=n.channel,
            recipient=n.recipient,
            attempts=n.attempts,
            error=n.last_error,
        ).rstrip()
        for n in rows
    ]
    if not lines:
        lines = [text("notify.cli.none_dead" if args.dead else "notify.cli.none")]
    lines.append(text("notify.cli.counts", **counts))
    emit(args, {"notices": [n.as_dict() for n in rows], "counts": counts}, "\n".join(lines))
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    """Queue dead letters again (their attempts start from zero)."""
    from gridgov.issues.lifecycle import utcnow

    store, outbox = _outbox(args)
    try:
        retried = []
        for notice_id in args.notice_id:
            if not outbox.retry(notice_id, utcnow()):
                raise NotFoundError(text("notify.cli.not_dead", notice_id=notice_id))
            retried.append(notice_id)
    finally:
        store.close()
    emit(
        args,
        {"retried": retried},
        "\n".join(text("notify.cli.retried", notice_id=i) for i in retried),
    )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``gridgov notify`` to the CLI's subparsers."""
    p = sub.add_parser("notify", parents=[common], help="notices: deliver, list, retry")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def target(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "workspace", help="workspace GeoPackage, or postgresql://... (gridgov db import)"
        )
        q.add_argument(
            "--db",
            help="issue store: a SQLite file or postgresql://... (default: the workspace's "
            "database, else WORKSPACE.issues.sqlite beside it)",
        )

    q = actions.add_parser(
        "run", parents=[common], help="send notices until stopped (--once: what is due, then exit)"
    )
    target(q)
    q.add_argument("--once", action="store_true", help="one round until nothing is due (cron)")
    q.set_defaults(func=cmd_run)

    q = actions.add_parser("list", parents=[common], help="list notices (--dead: dead letters)")
    target(q)
    q.add_argument("--dead", action="store_true", help="only the dead letters")
    q.add_argument(
        "--state", choices=("pending", "sent", "dead"), help="only notices in this state"
    )
    q.add_argument("--issue", help="only the notices of this issue")
    q.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    q.set_defaults(func=cmd_list)

    q = actions.add_parser("retry", parents=[common], help="queue dead letters again")
    target(q)
    q.add_argument(
        "notice_id", type=int, nargs="+", help="the dead letters' numbers (notify list --dead)"
    )
    q.set_defaults(func=cmd_retry)
