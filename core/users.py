"""Users of a store: an administrator creates, lists, disables and enables them.

The desktop app has exactly one user, the store's own (``services.LOCAL_USER``, id 1); a
server for several people has one user per person, each with their own buckets, events,
categories, settings and API tokens (one per device). Nobody reads another user's data: every
data function takes the asking user's id, and the API gets it from the request's token.

There are no passwords: a user signs in with API tokens only, stored hashed
(``core.tokens``). Disabling a user stamps ``disabled_us``: from then on their tokens are
refused (``tokens.verify_token``; a running server also notices a change made by another
process within ``api.context.REVOCATION_CHECK_S``), and their data stays. Enabling them
again makes the same tokens work again. The store's own user cannot be disabled: it is the
desktop app's and the server administrator's.

Data functions take a ``Connection`` (the caller owns it); the API's writes run on the
writer thread through ``create``/``disable``/``enable``, the CLI's in its own transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, false, func, insert, select, update
from timelygator.core import models, tokens
from timelygator.core.errors import ConflictError, NotFoundError, ValidationError
from timelygator.core.writer import Writer

# What a new user may be called: safe in a URL path and a shell, e-mail addresses included.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
NAME_RULE = (
    "1 to 100 letters, digits and . _ @ + - (starting with a letter or digit), "
    "e.g. 'alice' or 'alice@example.com'"
)

USERS = cast(Table, models.User.__table__)
_U = USERS.c
_T = tokens.TOKENS.c
_ACTIVE_TOKENS = (
    select(_T.user_id, func.count().label("n"))
    .where(_T.revoked == false())
    .group_by(_T.user_id)
    .subquery()
)
_USER_ROWS = select(
    _U.id, _U.name, _U.created_us, _U.disabled_us, func.coalesce(_ACTIVE_TOKENS.c.n, 0)
).outerjoin(_ACTIVE_TOKENS, _ACTIVE_TOKENS.c.user_id == _U.id)
_ALL_USERS = _USER_ROWS.order_by(_U.id)
_USER_NAMED = _USER_ROWS.where(_U.name == bindparam("name"))
_SAME_NAME = select(_U.name).where(func.lower(_U.name) == bindparam("lowered")).limit(1)
_SET_DISABLED = (
    update(USERS).where(_U.id == bindparam("user_id")).values(disabled_us=bindparam("when"))
)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as an administrator sees them (never any of their data)."""

    id: int
    name: str
    created_us: int
    disabled_us: int | None
    active_tokens: int

    @property
    def disabled(self) -> bool:
        return self.disabled_us is not None


def _info(r: Sequence[Any]) -> UserInfo:
    return UserInfo(
        id=int(r[0]),
        name=str(r[1]),
        created_us=int(r[2]),
        disabled_us=None if r[3] is None else int(r[3]),
        active_tokens=int(r[4]),
    )


def check_name(name: str) -> str:
    """``name`` if a new user may be called so; ValidationError saying the rule otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        shown = name[:40] + ("…" if len(name) > 40 else "")
        raise ValidationError(f"{shown!r} cannot be a user name: use {NAME_RULE}.")
    return name


# -- data functions (caller owns the connection) -------------------------------------------
def list_users(conn: Connection) -> list[UserInfo]:
    """Every user, oldest first, disabled ones included."""
    return [_info(r) for r in conn.execute(_ALL_USERS).all()]


def get_user(conn: Connection, name: str) -> UserInfo:
    """The user called ``name``; NotFoundError (saying how to list them) when there is none."""
    row = conn.execute(_USER_NAMED, {"name": name}).first()
    if row is None:
        shown = name[:100]
        raise NotFoundError(f"There is no user {shown!r} ('timelygator user list' lists them).")
    return _info(row)


def create_user(conn: Connection, name: str, now_us: int) -> UserInfo:
    """Add an active user without tokens (writer thread, or an administrative transaction).

    Names are unique regardless of case ('Bob' and 'bob' would be one person to a reader).
    """
    check_name(name)
    existing = conn.execute(_SAME_NAME, {"lowered": name.lower()}).first()
    if existing is not None:
        raise ConflictError(f"There is already a user {str(existing[0])!r}.")
    conn.execute(insert(USERS).values(name=name, created_us=now_us, disabled_us=None))
    return get_user(conn, name)


def set_disabled(
    conn: Connection, name: str, disabled: bool, now_us: int, *, owner_id: int
) -> UserInfo:
    """Disable (or enable) the user called ``name``; their data is never touched.

    ``owner_id`` is the store's own user, which cannot be disabled. Disabling a disabled user
    keeps the first date; token caches of this process are dropped, so the change applies to
    the next request (``disable``/``enable`` drop them again after the commit).
    """
    user = get_user(conn, name)
    if disabled and user.id == owner_id:
        raise ValidationError(
            f"{user.name!r} is this store's own user (the desktop app's and the server "
            "administrator's) and cannot be disabled; revoke single tokens instead "
            "('timelygator token revoke ID')."
        )
    if disabled == user.disabled:
        return user
    when = now_us if disabled else None
    conn.execute(_SET_DISABLED, {"user_id": user.id, "when": when})
    tokens.drop_cached_tokens()
    return UserInfo(user.id, user.name, user.created_us, when, user.active_tokens)


# -- through the writer -----------------------------------------------------------------------
def create(writer: Writer, name: str, *, now_us: int | None = None) -> Future[UserInfo]:
    """Create a user on the writer thread."""
    check_name(name)
    when = now_us if now_us is not None else time.time_ns() // 1000
    return writer.call(lambda conn: create_user(conn, name, when))


def disable(
    writer: Writer, name: str, *, owner_id: int, now_us: int | None = None
) -> Future[UserInfo]:
    """Disable a user on the writer thread (token caches dropped again after the commit)."""
    return _switch(writer, name, True, owner_id, now_us)


def enable(writer: Writer, name: str, *, owner_id: int) -> Future[UserInfo]:
    """Enable a disabled user again on the writer thread: their tokens work again."""
    return _switch(writer, name, False, owner_id, None)


def _switch(
    writer: Writer, name: str, disabled: bool, owner_id: int, now_us: int | None
) -> Future[UserInfo]:
    when = now_us if now_us is not None else time.time_ns() // 1000
    future = writer.call(lambda conn: set_disabled(conn, name, disabled, when, owner_id=owner_id))
    future.add_done_callback(lambda _f: tokens.drop_cached_tokens())
    return future
