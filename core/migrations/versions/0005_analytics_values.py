"""Analytics value dictionary: day digests refer to data values by integer id.

Revision ID: 0005
Revises: 0004

A day digest used to hold the JSON text of each distinct data value of its day (about 4,000
a day, most of them repeated on other days). ``analytics_values`` now holds each distinct
text once, under an id that never changes or gets reused, and digests (format 2) hold ids.
Per-day statistics then sum over id arrays, and a value is categorized once per rule set
however many days it appears on. Stored digests and statistics are caches: they are emptied
here and rebuilt on demand.
"""

import sqlalchemy as sa
from alembic import op

# Ids: BIGINT, spelled INTEGER on SQLite (its 64-bit rowid alias; core.models.ID).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_values",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_analytics_values_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_values")),
        sa.UniqueConstraint("user_id", "data", name=op.f("uq_analytics_values_user_id")),
        sqlite_autoincrement=True,  # ids of deleted values are never reused
    )
    # Digests of format 1 hold value texts; statistics rows refer to their value order.
    op.execute("DELETE FROM day_digests")
    op.execute("DELETE FROM day_stats")


def downgrade() -> None:
    op.execute("DELETE FROM day_digests")
    op.execute("DELETE FROM day_stats")
    op.drop_table("analytics_values")
