"""``gridgov serve``'s running half: the web shell plugged into the core's CLI.

The core CLI (:mod:`gridgov.cli.service`) parses and checks the arguments and finds
:func:`serve` through the ``gridgov.shells`` entry point, so the core never imports this
package. Nothing web-related is imported at module level: loading the entry point works
without the api extra, and :func:`serve` says which extra is missing.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from gridgov._errors import ExtraMissingError
from gridgov.cli._common import open_service, shown, store_target

__all__ = ["serve", "serve_app"]

#: How the options of ``gridgov serve --workers N`` reach each worker process.
_SERVE_ENV = "GRIDGOV_SERVE_OPTIONS"


def _serve_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "workspace": str(args.workspace),
        "db": None if args.db is None else str(args.db),
        "settings": None if args.settings is None else str(args.settings),
        "tick": float(args.tick),
        "rate": float(args.rate),
    }


def serve_app() -> Any:
    """The web app of one ``gridgov serve --workers N`` worker process (uvicorn calls this
    factory in each worker; the options come from the parent through the environment)."""
    from api.app import create_app

    args = argparse.Namespace(**json.loads(os.environ[_SERVE_ENV]))
    return create_app(open_service(args), tick_interval_s=args.tick, rate_per_s=args.rate)


def serve(args: argparse.Namespace) -> int:
    """Run the web service (uvicorn) on the workspace's store.

    With ``--workers N`` uvicorn runs N processes on one port (SQLite in WAL mode and
    PostGIS both take writers from several processes): on two cores two workers take about
    twice the issue creations one does, because one Python process is bound to one core.
    Each worker runs its own deadline scheduler; :meth:`IssueService.tick` re-checks every
    deadline on the fresh row, so two schedulers never act twice on one. ``--rate`` is per
    worker.
    """
    try:
        from api.app import create_app
        from api.serve import run_one, run_workers
    except ImportError as exc:
        raise ExtraMissingError("api", "gridgov serve") from exc
    # Opened here even for several workers: a bad workspace or store fails now, once, with
    # exit code 2, and a new PostGIS database is migrated before the workers start.
    service = open_service(args)
    where = (
        f"gridgov serving {shown(args.workspace)} on http://{args.host}:{args.port} "
        f"(store {shown(store_target(args))}"
    )
    if args.workers == 1:
        app = create_app(service, tick_interval_s=args.tick, rate_per_s=args.rate)
        print(where + ")", flush=True)
        run_one(app, host=args.host, port=args.port)
        return 0
    service.store.close()
    os.environ[_SERVE_ENV] = json.dumps(_serve_options(args))
    print(where + f", {args.workers} workers)", flush=True)
    run_workers("api.cli:serve_app", host=args.host, port=args.port, workers=args.workers)
    return 0
