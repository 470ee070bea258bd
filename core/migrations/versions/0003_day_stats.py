"""Day statistics: per-day categorized analytics, keyed by categories and settings.

Revision ID: 0003
Revises: 0002

One row per local day and day start holds that day's statistics for one categories version
and analytics settings (``key``), so a new process shows a month or a year without
categorizing anything. Like ``day_digests``, rows are deleted by triggers on ``events`` for
the days a change may touch, in the same transaction.
"""

import sqlalchemy as sa
from alembic import op

# Ids: BIGINT, spelled INTEGER on SQLite (its 64-bit rowid alias; core.models.ID).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DAY = 86_400_000_000
TRIGGERS = {
    "trg_day_stats_event_insert": (
        "AFTER INSERT ON events",
        f"NEW.start_us / {DAY} - 2 AND NEW.end_us / {DAY} + 1",
    ),
    "trg_day_stats_event_update": (
        "AFTER UPDATE OF start_us, end_us, data, tz_offset_s, bucket_id ON events",
        f"min(OLD.start_us, NEW.start_us) / {DAY} - 2 AND max(OLD.end_us, NEW.end_us) / {DAY} + 1",
    ),
    "trg_day_stats_event_delete": (
        "AFTER DELETE ON events",
        f"OLD.start_us / {DAY} - 2 AND OLD.end_us / {DAY} + 1",
    ),
}


def upgrade() -> None:
    op.create_table(
        "day_stats",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("day_start_s", sa.Integer(), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("totals", sa.LargeBinary(), nullable=False),
        sa.Column("stats", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_day_stats_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("day", "day_start_s", "user_id", name=op.f("pk_day_stats")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return  # SQLite's trigger syntax; revision 0004 drops them again (the writer's hook)
    for name, (when, days) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN "
            f"DELETE FROM day_stats WHERE day BETWEEN {days}; END"
        )
    op.execute(
        "CREATE TRIGGER trg_day_stats_bucket_type AFTER UPDATE OF type ON buckets "
        "BEGIN DELETE FROM day_stats; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # only SQLite has the triggers (SQLite syntax)
        for name in (*TRIGGERS, "trg_day_stats_bucket_type"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("day_stats")
