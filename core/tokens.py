"""API bearer tokens: create, list, revoke, verify.

A token is ``tg_`` followed by 43 URL-safe random characters (256 bits). Only its SHA-256
is stored, with a short non-secret prefix for lookup and display; verification hashes the
presented token and compares hashes with ``hmac.compare_digest``. The secret is returned
exactly once, by ``create_token``, and never appears in a repr, a log line or an exception.

Scopes nest: ``admin`` includes ``write``, which includes ``read``. Every token belongs to a
user; the API shows it only that user's data. ``admin`` is the server administrator's scope:
it manages users and their tokens (``core.users``), never reads another user's data. The
tokens of a disabled user are refused like revoked ones until the user is enabled again.

Data functions take a ``Connection`` (the caller owns it); writes run on the writer thread
through ``Writer.call`` (see ``create``/``revoke`` helpers at the bottom).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, false, insert, or_, select, update
from timelygator.core import models
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.writer import Writer

TOKEN_PREFIX = "tg_"  # noqa: S105 - the public prefix, not a secret
PREFIX_LENGTH = 10  # "tg_" + 7 random characters: shown in lists, used as the lookup key
SCOPES = ("read", "write", "admin")
_IMPLIED: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}
MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token without its secret."""

    id: int
    user_id: int
    name: str
    prefix: str
    scope: str
    created_us: int
    last_used_us: int | None
    revoked: bool

    @property
    def scopes(self) -> frozenset[str]:
        """Everything this token may do (its scope plus the scopes it includes)."""
        return _IMPLIED.get(self.scope, frozenset())

    def allows(self, scope: str) -> bool:
        return not self.revoked and scope in self.scopes


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly created token: ``secret`` is shown to the user once and never stored."""

    info: TokenInfo
    secret: str = field(repr=False)


def hash_token(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ValidationError(f"Unknown scope {scope[:20]!r}: use one of {', '.join(SCOPES)}.")
    return scope


def _info(r: Sequence[Any]) -> TokenInfo:
    return TokenInfo(
        id=int(r[0]),
        user_id=int(r[1]),
        name=str(r[2]),
        prefix=str(r[3]),
        scope=str(r[4]),
        created_us=int(r[5]),
        last_used_us=None if r[6] is None else int(r[6]),
        revoked=bool(r[7]),
    )


USERS = cast(Table, models.User.__table__)
TOKENS = cast(Table, models.ApiToken.__table__)
_T = TOKENS.c
# A token's columns in ``_info``'s order. Statements are built once (SQLAlchemy caches their
# compiled form); verification runs for every API request the token cache does not answer.
_COLUMNS = (
    _T.id,
    _T.user_id,
    _T.name,
    _T.prefix,
    _T.scopes,
    _T.created_us,
    _T.last_used_us,
    _T.revoked,
)
_USER_BY_NAME = select(USERS.c.id).where(USERS.c.name == bindparam("name"))
_USER_BY_ID = select(USERS.c.name, USERS.c.disabled_us).where(USERS.c.id == bindparam("user_id"))
_TOKEN_BY_ID = select(*_COLUMNS).where(_T.id == bindparam("token_id"))
_TOKEN_BY_HASH = select(*_COLUMNS).where(_T.token_hash == bindparam("token_hash"))
# Verification reads the owner's state with the token (one indexed join, no second query).
_TOKENS_BY_PREFIX = (
    select(*_COLUMNS, _T.token_hash, USERS.c.disabled_us, USERS.c.name)
    .join_from(TOKENS, USERS, USERS.c.id == _T.user_id)
    .where(_T.prefix == bindparam("prefix"))
)
_ALL_TOKENS = select(*_COLUMNS).order_by(_T.id)
_USER_TOKENS = select(*_COLUMNS).where(_T.user_id == bindparam("user_id")).order_by(_T.id)
_TOKEN_STATES = select(_T.id, _T.prefix, _T.revoked, USERS.c.disabled_us).join_from(
    TOKENS, USERS, USERS.c.id == _T.user_id
)
_ANY_ACTIVE = select(_T.id).where(_T.revoked == false()).limit(1)
_REVOKE = update(TOKENS).where(_T.id == bindparam("token_id")).values(revoked=True)
_TOUCH = (
    update(TOKENS)
    .where(
        _T.id == bindparam("token_id"),
        or_(_T.last_used_us.is_(None), _T.last_used_us < bindparam("when")),
    )
    .values(last_used_us=bindparam("when"))
)


# -- users ---------------------------------------------------------------------------------
def user_id_for(conn: Connection, name: str) -> int | None:
    """The id of the user called ``name``, or None."""
    row = conn.execute(_USER_BY_NAME, {"name": name}).first()
    return None if row is None else int(row[0])


def ensure_user(conn: Connection, name: str, now_us: int) -> int:
    """The id of the user called ``name``, creating the user when needed (writer thread)."""
    if not name or len(name) > 200:
        raise ValidationError("A user name must be 1 to 200 characters long.")
    existing = user_id_for(conn, name)
    if existing is not None:
        return existing
    conn.execute(insert(USERS).values(name=name, created_us=now_us))
    created = user_id_for(conn, name)
    assert created is not None
    return created


# -- data functions (caller owns the connection) -------------------------------------------
def insert_token(conn: Connection, user_id: int, scope: str, name: str, now_us: int) -> NewToken:
    """Create a token row and return it with its secret (writer thread)."""
    check_scope(scope)
    name = name.strip() or f"{scope} token"
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"A token name must be at most {MAX_NAME_LENGTH} characters.")
    owner = conn.execute(_USER_BY_ID, {"user_id": user_id}).first()
    if owner is None:
        raise NotFoundError(f"There is no user {user_id}.")
    if owner[1] is not None:
        user = str(owner[0])
        raise ValidationError(
            f"The user {user!r} is disabled: enable it first ('timelygator user enable {user}')."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = secret[:PREFIX_LENGTH]
    conn.execute(
        insert(TOKENS).values(
            user_id=user_id,
            name=name,
            prefix=prefix,
            token_hash=hash_token(secret),
            scopes=scope,
            created_us=now_us,
            last_used_us=None,
            revoked=False,
        )
    )
    row = conn.execute(_TOKEN_BY_HASH, {"token_hash": hash_token(secret)}).one()
    return NewToken(_info(row), secret)


def list_tokens(conn: Connection, user_id: int | None = None) -> list[TokenInfo]:
    """Tokens of one user (or of everyone), oldest first, revoked ones included."""
    if user_id is None:
        rows = conn.execute(_ALL_TOKENS).all()
    else:
        rows = conn.execute(_USER_TOKENS, {"user_id": user_id}).all()
    return [_info(r) for r in rows]


def revoke_token(conn: Connection, token_id: int, user_id: int | None = None) -> TokenInfo:
    """Mark a token revoked (writer thread); NotFoundError when it is not this user's."""
    token = get_token(conn, token_id, user_id)
    conn.execute(_REVOKE, {"token_id": token_id})
    _bump_generation()
    return TokenInfo(
        token.id,
        token.user_id,
        token.name,
        token.prefix,
        token.scope,
        token.created_us,
        token.last_used_us,
        True,
    )


def get_token(conn: Connection, token_id: int, user_id: int | None = None) -> TokenInfo:
    row = conn.execute(_TOKEN_BY_ID, {"token_id": token_id}).first()
    if row is None or (user_id is not None and int(row[1]) != user_id):
        raise NotFoundError(f"There is no token {token_id}.")
    return _info(row)


def _lookup(conn: Connection, secret: str) -> Sequence[Any] | None:
    """The row of the token ``secret`` (any state) with its owner's state and name."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    rows = conn.execute(_TOKENS_BY_PREFIX, {"prefix": secret[:PREFIX_LENGTH]}).all()
    found: Sequence[Any] | None = None
    for row in rows:
        if hmac.compare_digest(str(row[8]), digest):
            found = row
    return found


def verify_token(conn: Connection, secret: str) -> TokenInfo | None:
    """The active token matching ``secret``, or None (unknown, malformed, revoked, or its
    user is disabled)."""
    row = _lookup(conn, secret)
    if row is None or row[9] is not None:
        return None
    found = _info(row)
    return None if found.revoked else found


def disabled_owner(conn: Connection, secret: str) -> str | None:
    """The name of the disabled user whose unrevoked token ``secret`` is, else None.

    Only asked after ``verify_token`` refused ``secret``, to tell a device why.
    """
    row = _lookup(conn, secret)
    if row is None or row[9] is None or bool(row[7]):
        return None
    return str(row[10])


@dataclass(frozen=True, slots=True)
class TokenStates:
    """Ids of refused tokens (revoked, or their user is disabled) and the (non-secret)
    prefixes of the others."""

    revoked: frozenset[int]
    active_prefixes: frozenset[str]


def token_states(conn: Connection) -> TokenStates:
    """What a running server polls to notice revocations and disabled users made elsewhere."""
    rows = conn.execute(_TOKEN_STATES).all()
    return TokenStates(
        frozenset(int(r[0]) for r in rows if r[2] or r[3] is not None),
        frozenset(str(r[1]) for r in rows if not r[2] and r[3] is None),
    )


def has_active_tokens(conn: Connection) -> bool:
    row = conn.execute(_ANY_ACTIVE).first()
    return row is not None


def touch_tokens(conn: Connection, used: Iterable[tuple[int, int]]) -> None:
    """Record last use: ``(token_id, when_us)`` pairs (writer thread)."""
    rows = [{"token_id": token_id, "when": when} for token_id, when in used]
    if rows:
        conn.execute(_TOUCH, rows)


# -- through the writer -----------------------------------------------------------------------
def create(
    writer: Writer, user_id: int, scope: str, name: str = "", *, now_us: int | None = None
) -> Future[NewToken]:
    """Create a token on the writer thread; the future holds the secret (show it once)."""
    check_scope(scope)
    when = now_us if now_us is not None else time.time_ns() // 1000
    return writer.call(lambda conn: insert_token(conn, user_id, scope, name, when))


def revoke(writer: Writer, token_id: int, user_id: int | None = None) -> Future[TokenInfo]:
    """Revoke a token on the writer thread (caches are dropped again after the commit)."""
    future = writer.call(lambda conn: revoke_token(conn, token_id, user_id))
    future.add_done_callback(lambda _f: _bump_generation())
    return future


# -- verification cache for the API -----------------------------------------------------------
_generation_lock = threading.Lock()
_generation = 0


def _bump_generation() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


def drop_cached_tokens() -> None:
    """Make every ``TokenCache`` of this process forget its tokens (a user was disabled)."""
    _bump_generation()


def current_generation() -> int:
    return _generation


class TokenCache:
    """Remembers verified tokens (by hash) so a request costs no database read.

    Entries expire after ``ttl_s`` and all of them are dropped whenever a token is revoked
    or a user disabled in this process. Unknown tokens are not cached (so creating one takes
    effect at once).
    """

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 1024) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, TokenInfo]] = {}
        self._generation = current_generation()

    def get(self, secret: str) -> TokenInfo | None:
        if self._generation != current_generation():
            self._entries.clear()
            self._generation = current_generation()
            return None
        entry = self._entries.get(hash_token(secret))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, secret: str, info: TokenInfo) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[hash_token(secret)] = (time.monotonic() + self._ttl_s, info)

    def clear(self) -> None:
        self._entries.clear()
