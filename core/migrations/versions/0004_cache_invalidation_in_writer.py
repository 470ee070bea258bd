"""Analytics caches are invalidated by the writer, not by triggers on ``events``.

Revision ID: 0004
Revises: 0003

Revisions 0002 and 0003 dropped the ``day_digests`` / ``day_stats`` rows of the days an event
change may touch with row triggers, one DELETE per changed event row. The writer now does the
same once per transaction for the union of the days its operations touched (and skips days it
already cleared), in the same transaction as the change, so a stored row is still never older
than the events it summarizes. Stored rows stay valid; only the triggers go.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DAY = 86_400_000_000
TABLES = ("day_digests", "day_stats")
EVENT_TRIGGERS = {
    "event_insert": (
        "AFTER INSERT ON events",
        "NEW.start_us / {DAY} - 2 AND NEW.end_us / {DAY} + 1",
    ),
    "event_update": (
        "AFTER UPDATE OF start_us, end_us, data, tz_offset_s, bucket_id ON events",
        "min(OLD.start_us, NEW.start_us) / {DAY} - 2 AND max(OLD.end_us, NEW.end_us) / {DAY} + 1",
    ),
    "event_delete": (
        "AFTER DELETE ON events",
        "OLD.start_us / {DAY} - 2 AND OLD.end_us / {DAY} + 1",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # only SQLite ever had the triggers (0002, 0003)
    for table in TABLES:
        for suffix in (*EVENT_TRIGGERS, "bucket_type"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{suffix}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # the triggers are SQLite's (its syntax): a server never had them
    for table in TABLES:
        for suffix, (when, days) in EVENT_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER trg_{table}_{suffix} {when} BEGIN "
                f"DELETE FROM {table} WHERE day BETWEEN {days.format(DAY=DAY)}; END"
            )
        op.execute(
            f"CREATE TRIGGER trg_{table}_bucket_type AFTER UPDATE OF type ON buckets "
            f"BEGIN DELETE FROM {table}; END"
        )
