"""Alembic environment: always runs on a connection handed in by core.schema."""

from __future__ import annotations

from alembic import context
from timelygator.core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic from its own CLI
    raise RuntimeError("Run migrations through core.schema.ensure_schema().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
