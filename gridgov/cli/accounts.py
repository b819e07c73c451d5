"""``gridgov accounts create | list | reset | disable | enable``: people's logins for the
screens.

``create`` makes an account for every grid worker, deputy, station, township and the
county of the workspace (those not made before), with random initial passwords written
once to an XLSX sheet readable by its owner only, to print and hand out; the store keeps
only Argon2 hashes. ``reset`` gives one account a new initial password; ``disable`` shuts
one out at once (its sessions end), ``enable`` lets it back in. Passwords are never
printed on the console.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gridgov._errors import ParameterError
from gridgov.cli._common import emit, shown, store_target
from gridgov.store import is_dsn, open_workspace

__all__ = ["register"]

_ROLES = ("grid_worker", "deputy", "station_admin", "township_staff", "county_staff")


def _sheet_path(args: argparse.Namespace, stem: str) -> Path:
    """``--out``, else ``WORKSPACE-<stem>.xlsx`` beside a GeoPackage workspace."""
    if args.out:
        return Path(args.out)
    if is_dsn(args.workspace):
        raise ParameterError(
            "--out: name the password sheet (.xlsx) for a workspace in a database",
            parameter="--out",
        )
    path = Path(args.workspace)
    return path.with_name(f"{path.stem}-{stem}.xlsx")


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from gridgov.store import open_store
    from gridgov.store.accounts import account_store

    store = open_store(store_target(args))
    return store, account_store(store)


def cmd_accounts(args: argparse.Namespace) -> int:
    """Create, list or reset accounts."""
    from gridgov.issues import accounts as acc
    from gridgov.issues.lifecycle import utcnow

    ws = None
    if args.action == "create":
        # read before opening (creating) the store: nothing is written for a bad workspace
        ws = open_workspace(str(args.workspace) if is_dsn(args.workspace) else Path(args.workspace))
        out = _sheet_path(args, "accounts")
    elif args.action in ("reset", "disable", "enable"):
        if not args.login:
            raise ParameterError(f"accounts {args.action} needs --login", parameter="--login")
        if args.action == "reset":
            out = _sheet_path(args, f"password-{args.login}")
    store, accounts = _open(args)
    try:
        if args.action == "list":
            rows = accounts.accounts()
            payload = {
                "accounts": [
                    {"login": a.login, "name": a.name, "role": a.role, "subject": a.subject,
                     "phone": a.phone, "disabled": a.disabled, "must_change": a.must_change}
                    for a in rows
                ]
            }  # fmt: skip
            lines = [f"{a.login:<28} {a.role:<15} {a.name}" for a in rows]
            emit(args, payload, "\n".join(lines) or "no accounts")
            return 0
        if args.action in ("disable", "enable"):
            account = acc.set_disabled(accounts, args.login, args.action == "disable")
            emit(
                args,
                {"login": account.login, "disabled": account.disabled},
                f"{account.login} {'disabled' if account.disabled else 'enabled'}",
            )
            return 0
        if args.action == "reset":
            account, password = acc.reset_password(accounts, args.login)
            spec = acc.AccountSpec(account.login, account.name, account.role, account.subject,
                                   account.phone)  # fmt: skip
            acc.write_password_sheet([(spec, password)], out)
            emit(
                args,
                {"login": account.login, "sheet": str(out)},
                f"new initial password for {account.login} written to {out}",
            )
            return 0
        if ws is None:  # read above for create, the only action left
            raise ParameterError("accounts: unknown action", parameter="action")
        specs = [s for s in acc.accounts_from_workspace(ws) if s.role in (args.role or _ROLES)]
        made = acc.create_accounts(accounts, specs, now=utcnow(), ws=ws)
        if made:
            acc.write_password_sheet(made, out)
        by_role: dict[str, int] = {}
        for spec, _ in made:
            by_role[spec.role] = by_role.get(spec.role, 0) + 1
        emit(
            args,
            {"created": len(made), "existing": len(specs) - len(made), "by_role": by_role,
             "sheet": str(out) if made else None, "store": shown(store_target(args))},
            (
                f"gridgov accounts: {len(made)} created ({', '.join(f'{r} {n}' for r, n in by_role.items()) or 'none'}), "
                f"{len(specs) - len(made)} existed already"
                + (f"; initial passwords in {out} (print, hand out, then delete it)" if made else "")
            ),
        )  # fmt: skip
        return 0
    finally:
        store.close()  # a PostGIS store holds a connection pool


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``gridgov accounts`` to the CLI's subparsers."""
    p = sub.add_parser(
        "accounts", parents=[common], help="people's logins for the screens: create, list, reset"
    )
    p.add_argument("action", choices=["create", "list", "reset", "disable", "enable"])
    p.add_argument(
        "workspace", help="workspace GeoPackage, or postgresql://... (gridgov db import)"
    )
    p.add_argument(
        "--db",
        help="issue store: a SQLite file or postgresql://... (default: the one gridgov serve "
        "uses for this workspace)",
    )
    p.add_argument("--role", action="append", choices=_ROLES, help="only these roles (repeatable)")
    p.add_argument("--login", help="the account to reset, disable or enable")
    p.add_argument(
        "--out", help="the initial-password sheet (.xlsx; default WORKSPACE-accounts.xlsx)"
    )
    p.set_defaults(func=cmd_accounts)
