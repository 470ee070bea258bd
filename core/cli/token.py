"""``timelygator token create|list|revoke``: API tokens (the secret is shown once).

Tokens act for the store's own user by default; ``--user NAME`` makes one for a user an
administrator created with ``timelygator user create`` (one token per device).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from sqlalchemy import Connection
from timelygator.core import tokens, users
from timelygator.core.aw_config import create_key
from timelygator.core.cli import subcommand
from timelygator.core.cli.common import admin_transaction, read_transaction
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.services import LOCAL_USER
from timelygator.core.timeutil import format_iso


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = subparsers.add_parser("token", help="create, list or revoke API tokens")
    sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = subcommand(sub, "create", _create, "create a token (shown once)")
    create.add_argument("--scope", choices=tokens.SCOPES, help="read, write or admin")
    create.add_argument(
        "--for-activitywatch",
        action="store_true",
        help="write a new write-scope token where ActivityWatch's aw-client looks for the "
        "key of a local server (its aw-server-rust config.toml), instead of printing it",
    )
    create.add_argument(
        "--port", type=int, default=5600, help="with --for-activitywatch: the API's port"
    )
    create.add_argument(
        "--yes",
        action="store_true",
        help="with --for-activitywatch: replace an ActivityWatch server config already there",
    )
    create.add_argument("--name", default="", help="what the token is for")
    create.add_argument(
        "--user",
        default=LOCAL_USER,
        help=f"the user it acts for (default {LOCAL_USER!r}, this store's own; others are "
        "made with 'timelygator user create')",
    )
    listing = subcommand(sub, "list", _list, "list tokens (never their secrets)")
    listing.add_argument("--user", default=None, help="only this user's tokens")
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = subcommand(sub, "revoke", _revoke, "revoke a token by its id")
    revoke.add_argument("id", type=int)


def _create(args: argparse.Namespace) -> int:
    now = time.time_ns() // 1000
    if args.for_activitywatch:
        if args.scope not in (None, "write"):
            raise ValidationError("--for-activitywatch makes a write-scope token (watchers write).")
        with admin_transaction(args) as conn:
            user_id = _user_for(conn, args.user, now)
            made = create_key(conn, user_id, args.port, now, overwrite=args.yes)
        print(made.describe())
        return 0
    if args.scope is None:
        raise ValidationError("Say which scope the token has: --scope read, write or admin.")
    with admin_transaction(args) as conn:
        user_id = _user_for(conn, args.user, now)
        new = tokens.insert_token(conn, user_id, tokens.check_scope(args.scope), args.name, now)
    print(new.secret)
    print(
        f"Token {new.info.id} ({new.info.scope}, user {args.user!r}) created. Copy it now: "
        "it is not shown again.",
        file=sys.stderr,
    )
    return 0


def _user_for(conn: Connection, name: str, now_us: int) -> int:
    """The id of the user a new token acts for: the store's own (made if the store is new)
    or one created before (a typo must not make a new, empty account)."""
    if name == LOCAL_USER:
        return tokens.ensure_user(conn, name, now_us)
    return users.get_user(conn, name).id


def _list(args: argparse.Namespace) -> int:
    with read_transaction(args) as conn:
        user_id = None
        if args.user is not None:
            user_id = tokens.user_id_for(conn, args.user)
            if user_id is None:
                raise NotFoundError(f"There is no user {args.user!r}.")
        found = tokens.list_tokens(conn, user_id)
        owners = {u.id: u for u in users.list_users(conn)}
    rows: list[dict[str, Any]] = [
        {
            "id": t.id,
            "user_id": t.user_id,
            "user": owners[t.user_id].name if t.user_id in owners else "",
            "user_disabled": t.user_id in owners and owners[t.user_id].disabled,
            "name": t.name,
            "prefix": t.prefix,
            "scope": t.scope,
            "created": format_iso(t.created_us),
            "last_used": None if t.last_used_us is None else format_iso(t.last_used_us),
            "revoked": t.revoked,
        }
        for t in found
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No tokens. Create one with 'timelygator token create --scope read'.")
        return 0
    print(
        f"{'ID':>4}  {'PREFIX':<11} {'SCOPE':<6} {'STATE':<8} {'LAST USED':<20} {'USER':<12} NAME"
    )
    for r in rows:
        state = "revoked" if r["revoked"] else "disabled" if r["user_disabled"] else "active"
        last = (r["last_used"] or "never")[:19]
        print(
            f"{r['id']:>4}  {r['prefix']:<11} {r['scope']:<6} {state:<8} {last:<20} "
            f"{r['user']:<12} {r['name']}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with admin_transaction(args) as conn:
        info = tokens.revoke_token(conn, args.id)
    print(f"Token {info.id} ({info.prefix}…, {info.name}) revoked.")
    return 0
