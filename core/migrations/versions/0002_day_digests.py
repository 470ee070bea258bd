"""Day digests: per-day pre-aggregated analytics, invalidated by triggers on events.

Revision ID: 0002
Revises: 0001

A digest row holds one local day's active pieces (see ``core.analytics.digest``). Any insert,
update or delete of an event removes the digests of the local days it may touch (its UTC days
-2 .. +1 cover every UTC offset and day start) in the same transaction, so a stored digest is
never older than the events it summarizes, whichever process wrote them.
"""

import sqlalchemy as sa
from alembic import op

# Ids: BIGINT, spelled INTEGER on SQLite (its 64-bit rowid alias; core.models.ID).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DAY = 86_400_000_000
TRIGGERS = {
    "trg_day_digests_event_insert": (
        "AFTER INSERT ON events",
        f"NEW.start_us / {DAY} - 2 AND NEW.end_us / {DAY} + 1",
    ),
    "trg_day_digests_event_update": (
        "AFTER UPDATE OF start_us, end_us, data, tz_offset_s, bucket_id ON events",
        f"min(OLD.start_us, NEW.start_us) / {DAY} - 2 AND max(OLD.end_us, NEW.end_us) / {DAY} + 1",
    ),
    "trg_day_digests_event_delete": (
        "AFTER DELETE ON events",
        f"OLD.start_us / {DAY} - 2 AND OLD.end_us / {DAY} + 1",
    ),
}


def upgrade() -> None:
    op.create_table(
        "day_digests",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("day_start_s", sa.Integer(), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("totals", sa.LargeBinary(), nullable=False),
        sa.Column("pieces", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_day_digests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("day", "day_start_s", "user_id", name=op.f("pk_day_digests")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return  # SQLite's trigger syntax; revision 0004 drops them again (the writer's hook)
    for name, (when, days) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN "
            f"DELETE FROM day_digests WHERE day BETWEEN {days}; END"
        )
    op.execute(
        "CREATE TRIGGER trg_day_digests_bucket_type AFTER UPDATE OF type ON buckets "
        "BEGIN DELETE FROM day_digests; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # only SQLite has the triggers (SQLite syntax)
        for name in (*TRIGGERS, "trg_day_digests_bucket_type"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("day_digests")
