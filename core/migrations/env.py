"""Alembic environment: always runs on a connection handed in by ``core.schema`` or
``core.revisions.migrate``, inside its transaction; ``on_version_apply`` (optional) hears each
revision reached."""

from __future__ import annotations

from alembic import context
from timelygator.core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic from its own CLI
    raise RuntimeError("Run migrations through core.schema or core.revisions.migrate().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    on_version_apply=context.config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()
