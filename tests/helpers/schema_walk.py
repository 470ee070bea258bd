"""What each schema revision holds, a store with rows in every table, and the user's rows.

``COLUMNS`` is every revision's tables and columns as its migration defines them, written out
by hand from ``core/migrations/versions`` (so a migration that drops or adds more than it says
fails the walk); ``SQLITE_TRIGGERS`` the cache-invalidation triggers of 0002 and 0003 (gone
from 0004 on). ``fill`` gives a data folder rows in every table through the app's own code
paths; ``user_rows`` reads the user's data (every table but the analytics caches) with the
columns a revision has, the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Table, inspect, select, text
from timelygator.core import models, settings_store, tokens, users
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.analytics.summary import Summary
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.services import Services

from tests.core.analytics.insights_data import CATEGORIES, HISTORY, HISTORY_DAY, events_of

_USERS_1 = ["id", "name", "created_us"]
_BASE: dict[str, list[str]] = {
    "users": _USERS_1,
    "buckets": ["id", "user_id", "name", "type", "client", "hostname", "created_us", "data",
                "max_duration_us"],
    "events": ["id", "bucket_id", "start_us", "end_us", "tz_offset_s", "data"],
    "api_tokens": ["id", "user_id", "name", "prefix", "token_hash", "scopes", "created_us",
                   "last_used_us", "revoked"],
    "categories": ["id", "user_id", "parent_id", "name", "position", "color", "score", "rule"],
    "settings": ["user_id", "key", "value"],
}  # fmt: skip
_DIGESTS = {"day_digests": ["day", "day_start_s", "user_id", "totals", "pieces"]}
_STATS = {"day_stats": ["day", "day_start_s", "user_id", "key", "totals", "stats"]}
_VALUES = {"analytics_values": ["id", "user_id", "data"]}

COLUMNS: dict[int, dict[str, list[str]]] = {
    0: {},
    1: _BASE,
    2: {**_BASE, **_DIGESTS},
    3: {**_BASE, **_DIGESTS, **_STATS},
    4: {**_BASE, **_DIGESTS, **_STATS},
    5: {**_BASE, **_DIGESTS, **_STATS, **_VALUES},
    6: {**_BASE, **_DIGESTS, **_STATS, **_VALUES, "users": [*_USERS_1, "disabled_us"]},
}

_EVENT_TRIGGERS = ("event_insert", "event_update", "event_delete", "bucket_type")
SQLITE_TRIGGERS: dict[int, set[str]] = {
    2: {f"trg_day_digests_{name}" for name in _EVENT_TRIGGERS},
    3: {
        f"trg_{table}_{name}" for table in ("day_digests", "day_stats") for name in _EVENT_TRIGGERS
    },
}

# The user's data: every table but the analytics caches (which are rebuilt from the events).
USER_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__)
    for model in (
        models.User,
        models.Bucket,
        models.Event,
        models.ApiToken,
        models.Category,
        models.Setting,
    )
)
CACHE_TABLES = ("day_digests", "day_stats", "analytics_values")
UTC0 = AnalyticsSettings(day_start_s=0)
FIRST, LAST = HISTORY[0], HISTORY[-1]
Rows = dict[str, list[tuple[Any, ...]]]


def schema_of(conn: Connection) -> dict[str, list[str]]:
    """The tables (but Alembic's) and their columns, in order, of the database under ``conn``."""
    found = inspect(conn)
    return {
        name: [column["name"] for column in found.get_columns(name)]
        for name in sorted(found.get_table_names())
        if name != "alembic_version"
    }


def sqlite_triggers(conn: Connection) -> set[str]:
    rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    return {str(r[0]) for r in rows}


def user_rows(conn: Connection, version: int) -> Rows:
    """The rows of the user's tables, with the columns revision ``version`` has, in key order."""
    out: Rows = {}
    for table in USER_TABLES:
        names = COLUMNS[version].get(table.name)
        if names is None:
            continue
        statement = select(*(table.c[name] for name in names))
        keys = [table.c[c.name] for c in table.primary_key.columns]
        out[table.name] = [tuple(r) for r in conn.execute(statement.order_by(*keys))]
    return out


def project(rows: Rows, version: int) -> Rows:
    """``rows`` (read at the newest schema) as revision ``version`` holds them."""
    head = COLUMNS[max(COLUMNS)]
    out: Rows = {}
    for table, table_rows in rows.items():
        names = COLUMNS[version].get(table)
        if names is None:
            continue
        positions = [head[table].index(name) for name in names]
        out[table] = [tuple(row[i] for i in positions) for row in table_rows]
    return out


def fill(services: Services) -> dict[str, Any]:
    """Rows in every table: two weeks of window and AFK events (with UTC offsets), a
    category tree, settings, a second user with a bucket, events and a token who is then
    disabled, the local user's tokens, and the analytics caches of those days."""
    writer = services.writer
    local = services.user_id
    window = services.ensure_bucket(
        "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
    )
    afk = services.ensure_bucket("aw-watcher-afk_h", type="afkstatus", client="t", hostname="h")
    for number, day in enumerate(HISTORY):
        offset = 3600 if number % 2 else -5 * 3600
        events = [
            Event(e.start_us, e.end_us, e.data, tz_offset_s=offset)
            for e in events_of(day, HISTORY_DAY)
        ]
        writer.insert_events(window, events).result()
        present = Event(events[0].start_us, events[-1].end_us, {"status": "not-afk"})
        writer.insert_events(afk, [present]).result()
    writer.call(lambda conn: replace_stored_categories(conn, local, CATEGORIES)).result()
    settings_store.set_setting(writer, local, "ui.theme", {"dark": True}).result()
    settings_store.set_setting(writer, local, "startOfDay", "04:00").result()
    tokens.create(writer, local, "write", "laptop").result()
    tokens.create(writer, local, "read", "phone").result()
    bob = users.create(writer, "bob").result()
    bucket = writer.create_bucket(bob.id, "w", type="currentwindow", client="c", hostname="b")
    made = bucket.result()
    assert made is not None
    writer.insert_events(made.key, events_of(FIRST, [("terminal", "ssh", 5)])).result()
    settings_store.set_setting(writer, bob.id, "ui.theme", {"dark": False}).result()
    bob_token = tokens.create(writer, bob.id, "write", "bob's laptop").result()
    users.disable(writer, "bob", owner_id=local).result()
    summary = services.analytics.summary_for_days(local, FIRST, LAST, UTC0)
    writer.flush()
    with services.read() as conn:
        for table in CACHE_TABLES:
            stored = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert stored > 0, f"the analytics stored no {table} rows"
    return {"summary": summary, "bob": bob.id, "bob_token": bob_token.secret}


def summary_of(services: Services, first: date = FIRST, last: date = LAST) -> Summary:
    return services.analytics.summary_for_days(services.user_id, first, last, UTC0)
