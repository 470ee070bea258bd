"""Opaque JSON settings per user (``/api/0/settings`` and app preferences).

Values are any JSON; they are stored as JSON text in the ``settings`` table. A missing key
reads as ``None``; falsy values (``false``, ``0``, ``""``, ``[]``) are stored like any other.
Reads take a connection (the caller owns it); writes go through the writer.
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection
from timelygator.core.errors import ValidationError
from timelygator.core.writer import Writer

MAX_KEY_LENGTH = 200
# Keys TimelyGator itself reads (e.g. the API's compatibility mode): only admin tokens may
# change them through the API.
RESERVED_PREFIX = "timelygator."
COMPAT_MODE_KEY = "timelygator.api.compat_mode"


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
    row = conn.exec_driver_sql(
        "SELECT value FROM settings WHERE user_id = ? AND key = ?", (user_id, key)
    ).first()
    return None if row is None else json.loads(row[0])


def get_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    """All settings of a user as ``{key: value}``."""
    rows = conn.exec_driver_sql(
        "SELECT key, value FROM settings WHERE user_id = ? ORDER BY key", (user_id,)
    ).all()
    return {str(r[0]): json.loads(r[1]) for r in rows}


def put_setting(conn: Connection, user_id: int, key: str, value: Any) -> None:
    """Insert or replace one setting (writer thread)."""
    conn.exec_driver_sql(
        "INSERT INTO settings (user_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
        (user_id, check_key(key), _dump(value)),
    )


def remove_setting(conn: Connection, user_id: int, key: str) -> bool:
    """Delete one setting (writer thread); True when it existed."""
    result = conn.exec_driver_sql(
        "DELETE FROM settings WHERE user_id = ? AND key = ?", (user_id, key)
    )
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
