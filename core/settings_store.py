"""Opaque JSON settings per user (``/api/0/settings`` and app preferences).

Values are any JSON; they are stored as JSON text in the ``settings`` table. A missing key
reads as ``None``; falsy values (``false``, ``0``, ``""``, ``[]``) are stored like any other.
Reads take a connection (the caller owns it); writes go through the writer.
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, select
from timelygator.core import models
from timelygator.core.errors import ValidationError
from timelygator.core.sql_dialect import upsert
from timelygator.core.writer import Writer

MAX_KEY_LENGTH = 200
# Keys TimelyGator itself reads (e.g. the API's compatibility mode): only admin tokens may
# change them through the API.
RESERVED_PREFIX = "timelygator."
COMPAT_MODE_KEY = "timelygator.api.compat_mode"

SETTINGS = cast(Table, models.Setting.__table__)
_S = SETTINGS.c
_ONE = select(_S.value).where(_S.user_id == bindparam("user_id"), _S.key == bindparam("key"))
_ALL = select(_S.key, _S.value).where(_S.user_id == bindparam("user_id")).order_by(_S.key)
_DELETE = delete(SETTINGS).where(_S.user_id == bindparam("user_id"), _S.key == bindparam("key"))


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(f"A setting key must be 1 to {MAX_KEY_LENGTH} characters long.")
    return key


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError("A setting value must be plain JSON.") from None


def get_setting(conn: Connection, user_id: int, key: str) -> Any:
    """The value of ``key`` for this user, or None when it was never set."""
    row = conn.execute(_ONE, {"user_id": user_id, "key": key}).first()
    return None if row is None else json.loads(row[0])


def get_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    """All settings of a user as ``{key: value}``."""
    rows = conn.execute(_ALL, {"user_id": user_id}).all()
    return {str(r[0]): json.loads(r[1]) for r in rows}


def put_setting(conn: Connection, user_id: int, key: str, value: Any) -> None:
    """Insert or replace one setting (writer thread)."""
    row = {"user_id": user_id, "key": check_key(key), "value": _dump(value)}
    conn.execute(upsert(conn, SETTINGS, ("user_id", "key"), ("value",)), row)


def remove_setting(conn: Connection, user_id: int, key: str) -> bool:
    """Delete one setting (writer thread); True when it existed."""
    result = conn.execute(_DELETE, {"user_id": user_id, "key": key})
    return bool(result.rowcount)


def set_setting(writer: Writer, user_id: int, key: str, value: Any) -> Future[None]:
    """Store a setting through the writer; the future resolves after the commit."""
    check_key(key)
    _dump(value)  # fail here, on the caller's thread, for values that are not JSON
    return writer.call(lambda conn: put_setting(conn, user_id, key, value))


def delete_setting(writer: Writer, user_id: int, key: str) -> Future[bool]:
    """Delete a setting through the writer (deleting a missing key is not an error)."""
    check_key(key)
    return writer.call(lambda conn: remove_setting(conn, user_id, key))
