"""``gridgov serve | tick | token | qr | escalation | stats``: the issue service.

Like the rest of the CLI these parse, call the core and write outputs. ``serve`` is the one
place the CLI imports the web shell (:mod:`api`), lazily, inside the command.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from gridgov._errors import ExtraMissingError, NotFoundError, ParameterError
from gridgov.cli._common import emit, open_service, progress, settings_of, shell, store_target
from gridgov.issues.access import ROLES
from gridgov.model import CHINA_TIME
from gridgov.store import is_dsn, open_workspace

__all__ = ["register"]


def _workspace_of(args: argparse.Namespace) -> Any:
    """The command's workspace: from the database for a ``postgresql://`` URL, else the
    GeoPackage (a str, not a Path, keeps the // of a URL)."""
    target = args.workspace
    return open_workspace(str(target) if is_dsn(target) else Path(target))


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ParameterError(
            f"--{name}: {text!r} is not an ISO date/time (2026-11-23T08:00+08:00)",
            parameter=f"--{name}",
            value=text,
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TIME)  # county time by default
    return value


def cmd_tick(args: argparse.Namespace) -> int:
    """Apply passed deadlines once (for cron when the service's scheduler is off)."""

    service = open_service(args)
    try:
        report = service.tick(_when(args.now, "now"))
    finally:
        service.store.close()  # a PostGIS store holds a connection pool
    payload = {
        "checked": report.checked,
        "escalated": list(report.escalated),
        "overdue": list(report.overdue),
        "closed": list(report.closed),
    }
    text = (
        f"gridgov tick: {report.checked} due, {len(report.escalated)} escalated, "
        f"{len(report.overdue)} overdue at the top level, {len(report.closed)} closed unrated"
    )
    emit(args, payload, text)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Create, list or revoke API tokens."""
    from gridgov.store import open_store

    ws = None
    if args.action == "create":
        if not args.role or not args.subject:
            raise ParameterError(
                "token create needs --role and --subject", parameter="--role/--subject"
            )
        ws = _workspace_of(args)  # before opening (creating) the store: nothing written on error
    store = open_store(store_target(args))
    try:
        return _token(args, store, ws)
    finally:
        store.close()  # a PostGIS store holds a connection pool


def _token(args: argparse.Namespace, store: Any, ws: Any) -> int:
    from gridgov.issues.access import create_token, hash_token
    from gridgov.issues.lifecycle import utcnow

    if args.action == "create":
        token = create_token(
            store, ws, role=args.role, subject=args.subject, name=args.name or "", now=utcnow()
        )
        emit(
            args,
            {"token": token, "role": args.role, "subject": args.subject},
            f"{token}\n(role {args.role}, subject {args.subject}; shown once: keep it safe)",
        )
        return 0
    if args.action == "list":
        rows = store.tokens()
        payload = {
            "tokens": [
                {
                    "hash": r.token_hash[:12],
                    "role": r.role,
                    "subject": r.subject,
                    "name": r.name,
                    "created_at": r.created_at.astimezone(CHINA_TIME).isoformat(),
                    "revoked": r.revoked,
                }
                for r in rows
            ]
        }
        lines = [
            f"{r.token_hash[:12]}  {r.role:<15} {r.subject:<20} {'revoked' if r.revoked else ''}"
            for r in rows
        ]
        emit(args, payload, "\n".join(lines) or "no tokens")
        return 0
    # revoke: the token itself or the start of its hash as `token list` shows it
    target = args.subject or ""
    if not target:
        raise ParameterError(
            "token revoke needs --subject TOKEN (or the hash prefix from `token list`)"
        )
    hashes = [r.token_hash for r in store.tokens() if r.token_hash.startswith(target)]
    if not hashes:
        hashes = [hash_token(target)]
    if len(hashes) > 1:
        raise ParameterError(
            f"--subject {target!r} matches {len(hashes)} tokens; give more of the hash"
        )
    if not store.revoke_token(hashes[0]):
        raise NotFoundError(f"no token matching {target!r}")
    emit(args, {"revoked": hashes[0][:12]}, f"revoked {hashes[0][:12]}")
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    """Write a QR code per station and per deputy (一站一码、一人一码)."""
    from gridgov.io import read_workspace
    from gridgov.issues.qr import write_qr_codes

    ws = read_workspace(args.workspace)
    out = (
        Path(args.out)
        if args.out
        else Path(args.workspace).with_name(Path(args.workspace).stem + "-qr")
    )
    papers = _papers(args.signs)
    paths = write_qr_codes(ws, out, base_url=args.base_url, kind=args.format)
    signs: list[Path] = []
    if papers or args.cards:
        from gridgov.issues.signage import write_signage

        label = "signs (一站一码)"
        with progress(args, label, None) as tick:
            signs = write_signage(
                ws, out, base_url=args.base_url, papers=papers, cards=args.cards,
                publish_phones=args.publish_phones, progress=tick,
            )  # fmt: skip
    booklets = [str(p) for p in signs if p.parent == out]
    payload = {"out": str(out), "files": len(paths) + len(signs), "print": booklets}
    text = f"gridgov qr: {len(paths) + len(signs)} files in {out}" + "".join(
        f"\n  print {b}" for b in booklets
    )
    emit(args, payload, text)
    return 0


def _papers(value: str) -> tuple[str, ...]:
    """``--signs``: ``a5,a4``, one of them, or ``none``."""
    parts = tuple(p.strip().lower() for p in value.replace("，", ",").split(",") if p.strip())
    if parts in ((), ("none",)):
        return ()
    bad = [p for p in parts if p not in ("a5", "a4")]
    if bad:
        raise ParameterError(
            f"--signs: {bad[0]!r} is not a paper size; expected a5, a4, a5,a4 or none",
            parameter="--signs",
            value=value,
        )
    return tuple(dict.fromkeys(parts))


def cmd_escalation(args: argparse.Namespace) -> int:
    """Build, check and export the escalation graph."""
    from gridgov.io import read_workspace
    from gridgov.issues.escalation import escalation_graph, validate_escalation, write_escalation
    from gridgov.routing.graph import workspace_road_graph

    settings = settings_of(args)
    ws = read_workspace(args.workspace)
    g = escalation_graph(ws, settings=settings, graph=workspace_road_graph(ws))
    validate_escalation(g, settings)
    written = [str(write_escalation(g, p)) for p in (args.out or [])]
    levels: dict[str, int] = {}
    for _, d in g.nodes(data=True):
        levels[str(d["level"])] = levels.get(str(d["level"]), 0) + 1
    how: dict[str, int] = {}
    for _, _, d in g.edges(data=True):
        if "how" in d:
            how[str(d["how"])] = how.get(str(d["how"]), 0) + 1
    payload = {"nodes": levels, "grid_to_station": how, "written": written}
    text = (
        "escalation graph: "
        + ", ".join(f"{k} {v}" for k, v in levels.items())
        + f"; edges by {how}; every grid reaches the county"
        + "".join(f"\n  wrote {w}" for w in written)
    )
    emit(args, payload, text)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Issue statistics over a period (XLSX with Chinese headers, JSON)."""
    from gridgov.io import write_report
    from gridgov.issues.stats import period_text, statistics_info, store_sheets, store_summary
    from gridgov.store import open_store

    ws = _workspace_of(args)
    path = store_target(args)
    if isinstance(path, Path) and not path.exists():
        raise NotFoundError(f"no issue store {path} (run gridgov serve or gridgov demo first)")
    store = open_store(path)
    start, end = _when(args.start, "from"), _when(args.end, "to")
    settings = settings_of(args)
    written = {}
    try:
        summary = store_summary(store, ws=ws, start=start, end=end, settings=settings)
        if args.out:
            sheets = store_sheets(store, ws=ws, start=start, end=end, settings=settings)
            # a database URL may hold a password: the workbook names the kind, not the URL
            source = path.name if isinstance(path, Path) else "PostGIS"
            county = str(ws.county["name"].iloc[0]) if "name" in ws.county.columns else ""
            info = statistics_info(summary, county=county, source=source, start=start, end=end)
            written["xlsx"] = str(write_report(sheets, args.out, info=info))
    finally:
        store.close()  # a PostGIS store holds a connection pool
    text = f"gridgov stats ({period_text(start, end)}): " + ", ".join(
        f"{k} {v}" for k, v in summary.items() if k not in ("start", "end")
    )
    emit(args, {"summary": summary, "files": written}, text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web service on the workspace's store (the api shell does the serving).

    The arguments are checked here, in the core, so a bad ``--workers`` is exit 2 whether
    or not the api extra is installed.
    """
    if args.workers < 1:
        raise ParameterError(
            f"--workers must be at least 1, got {args.workers}",
            parameter="--workers",
            value=args.workers,
        )
    try:
        serve = shell("serve")
    except ImportError as exc:
        raise ExtraMissingError("api", "gridgov serve") from exc
    return int(serve(args))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the service subcommands to the CLI's subparsers."""

    def db(p: argparse.ArgumentParser) -> None:
        # a str, not a Path: Path would fold the // of a postgresql:// URL
        p.add_argument(
            "workspace", help="workspace GeoPackage, or postgresql://... (gridgov db import)"
        )
        p.add_argument(
            "--db",
            help="issue store: a SQLite file or postgresql://... (default: the workspace's "
            "database, else WORKSPACE.issues.sqlite beside it)",
        )

    p = sub.add_parser("serve", parents=[common], help="run the issue web service (FastAPI)")
    db(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--tick", type=float, default=60.0, help="deadline check every N s (0: off)")
    p.add_argument("--rate", type=float, default=200.0, help="requests/s per client (0: no limit)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; 2 on two cores roughly doubles issue creations/s)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("tick", parents=[common], help="apply passed deadlines once (cron)")
    db(p)
    p.add_argument("--now", help="the time to apply (ISO 8601; default now)")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("token", parents=[common], help="API tokens: create, list, revoke")
    p.add_argument("action", choices=["create", "list", "revoke"])
    db(p)
    p.add_argument(
        "--role",
        choices=[r for r in ROLES if r != "public"],  # the public holds no token
    )
    p.add_argument(
        "--subject",
        help="grid code(s), deputy_id, station_id, township or county code; for revoke the token",
    )
    p.add_argument("--name", help="display name")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("qr", parents=[common], help="QR codes per station and deputy (一站一码)")
    p.add_argument("workspace", type=Path)
    p.add_argument(
        "--base-url",
        required=True,
        help="public address of the service, e.g. https://rd.example.gov.cn",
    )
    p.add_argument("--format", default="png", choices=["png", "svg"])
    p.add_argument("--out", help="folder (default: WORKSPACE-qr beside it)")
    p.add_argument(
        "--signs",
        default="a5,a4",
        help="printable station signs (PNG 300 dpi + PDF): a5, a4, a5,a4 (default) or none",
    )
    p.add_argument(
        "--cards", action="store_true", help="also a card (A6) per on-duty deputy (一人一码)"
    )
    p.add_argument(
        "--publish-phones",
        action="store_true",
        help="print stations' and deputies' phones on signs and cards (only with their consent)",
    )
    p.set_defaults(func=cmd_qr)

    p = sub.add_parser("escalation", parents=[common], help="check and export the escalation graph")
    p.add_argument("workspace", type=Path)
    p.add_argument(
        "--out", action="append", help="write .graphml, .geojson, .gpkg or .csv (repeatable)"
    )
    p.set_defaults(func=cmd_escalation)

    p = sub.add_parser("stats", parents=[common], help="issue statistics over a period")
    db(p)
    p.add_argument("--from", dest="start", help="period start (ISO 8601, inclusive)")
    p.add_argument("--to", dest="end", help="period end (ISO 8601, exclusive)")
    p.add_argument("--out", help="write the statistics XLSX here")
    p.set_defaults(func=cmd_stats)
