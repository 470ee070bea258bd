"""Alembic environment and revisions for the TimelyGator schema."""
