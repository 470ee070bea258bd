"""Users can be disabled: ``users.disabled_us`` (when; NULL while the user is active).

Revision ID: 0006
Revises: 0005

A server's administrator disables a user (``timelygator user disable``, ``/api/0/users``):
their tokens are refused from then on and their data stays. Existing users stay active.

Plain ``ALTER TABLE … ADD/DROP COLUMN`` on purpose, not Alembic's batch mode: on SQLite a
batch drop copies ``users`` into a new table and drops the old one, and with foreign keys
enforced dropping ``users`` deletes every bucket, event, category and setting through their
``ON DELETE CASCADE``. SQLite (3.35 and later; SQLCipher bundles a newer one) and PostgreSQL
both add and drop a column in place, leaving the rows that refer to ``users`` alone.

The downgrade revokes the API tokens of disabled users before it drops the column: schema 5
cannot say that a user is disabled, and an older TimelyGator must keep refusing them. (After
upgrading again they are active, with those tokens still revoked.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    users = sa.table("users", sa.column("id"), sa.column("disabled_us"))
    tokens = sa.table("api_tokens", sa.column("user_id"), sa.column("revoked", sa.Boolean()))
    disabled = sa.select(users.c.id).where(users.c.disabled_us.is_not(None))
    op.execute(
        sa.update(tokens).where(tokens.c.user_id.in_(disabled)).values(revoked=sa.true())
    )
    op.drop_column("users", "disabled_us")
