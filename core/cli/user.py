"""``timelygator user create|list|disable|enable``: the users of a server (no passwords).

Each user signs in with API tokens only (``timelygator token create --user NAME``, one per
device). Disabling a user refuses their tokens (a running server notices within a second)
and keeps their data; enabling them lets the same tokens in again. Like ``token``, these
work beside a running app or server (``admin_transaction``).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from timelygator.core import tokens, users
from timelygator.core.cli import subcommand
from timelygator.core.cli.common import admin_transaction, read_transaction
from timelygator.core.services import LOCAL_USER
from timelygator.core.timeutil import format_iso


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser(
        "user", help="create, list, disable or enable the users of a server"
    )
    sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = subcommand(sub, "create", _create, "create a user (then a token per device)")
    create.add_argument("name", help=users.NAME_RULE)
    listing = subcommand(sub, "list", _list, "list users (never their data)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    disable = subcommand(
        sub, "disable", _disable, "refuse a user's tokens from now on (their data is kept)"
    )
    disable.add_argument("name")
    enable = subcommand(sub, "enable", _enable, "let a disabled user's tokens in again")
    enable.add_argument("name")


def _row(u: users.UserInfo) -> dict[str, Any]:
    return {
        "id": u.id,
        "name": u.name,
        "created": format_iso(u.created_us),
        "disabled": u.disabled,
        "disabled_at": None if u.disabled_us is None else format_iso(u.disabled_us),
        "active_tokens": u.active_tokens,
    }


def _create(args: argparse.Namespace) -> int:
    with admin_transaction(args) as conn:
        made = users.create_user(conn, args.name, time.time_ns() // 1000)
    print(
        f"User {made.name!r} created (id {made.id}). Give each of their devices its own "
        f"token: timelygator token create --user {made.name} --scope write --name DEVICE"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    with read_transaction(args) as conn:
        found = users.list_users(conn)
    rows = [_row(u) for u in found]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'ID':>4}  {'STATE':<8} {'TOKENS':>6}  {'CREATED':<19}  NAME")
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        print(f"{r['id']:>4}  {state:<8} {r['active_tokens']:>6}  {r['created'][:19]}  {r['name']}")
    return 0


def _switch(args: argparse.Namespace, disabled: bool) -> users.UserInfo:
    with admin_transaction(args) as conn:
        owner = tokens.user_id_for(conn, LOCAL_USER)
        return users.set_disabled(
            conn,
            args.name,
            disabled,
            time.time_ns() // 1000,
            owner_id=-1 if owner is None else owner,
        )


def _disable(args: argparse.Namespace) -> int:
    info = _switch(args, True)
    print(
        f"User {info.name!r} is disabled: their {info.active_tokens} token(s) are refused "
        "from now on (a running server notices within a second). Their data is kept; "
        f"'timelygator user enable {info.name}' lets them in again."
    )
    return 0


def _enable(args: argparse.Namespace) -> int:
    info = _switch(args, False)
    print(f"User {info.name!r} is enabled: their {info.active_tokens} token(s) work again.")
    return 0
