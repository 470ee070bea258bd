"""Database schema: SQLAlchemy 2.0 typed ORM models.

Times are integer UTC microseconds (BIGINT). Ids and the columns referring to them are ``ID``:
BIGINT on PostgreSQL (server mode), INTEGER on SQLite, where an ``INTEGER PRIMARY KEY`` is the
row's own 64-bit key (a BIGINT one would not be). ``data``/``value`` columns hold JSON text;
hot paths use SQLAlchemy Core on these tables (``Event.__table__``) rather than ORM objects.
Any change here needs an Alembic revision in ``core/migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Ids: 64-bit everywhere; spelled INTEGER on SQLite (its rowid alias), BIGINT elsewhere.
ID = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A person whose data lives in this store. The desktop app has exactly one (id 1).

    A server's administrator adds more (``core.users``). ``disabled_us`` is when the user was
    disabled (None: active): a disabled user's tokens are refused, their data stays.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_us: Mapped[int] = mapped_column(BigInteger)
    disabled_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Bucket(Base):
    """A stream of events from one watcher on one host (ActivityWatch's bucket)."""

    __tablename__ = "buckets"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_buckets_user_name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(200), default="")
    client: Mapped[str] = mapped_column(String(200), default="")
    hostname: Mapped[str] = mapped_column(String(200), default="")
    created_us: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[str] = mapped_column(Text, default="{}")
    # Longest event ever stored in the bucket (never decreases): bounds range scans so a
    # one-day read touches only that day's rows of the (bucket_id, start_us) index.
    max_duration_us: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(Base):
    """One span: [start_us, end_us) in UTC microseconds, with the capture's UTC offset.

    Only (bucket_id, start_us) is indexed: range reads are bounded below by the bucket's
    ``max_duration_us``, so no end index is needed, and extending an event by a heartbeat
    (the most common write) touches no index page.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_bucket_start", "bucket_id", "start_us"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    bucket_id: Mapped[int] = mapped_column(ID, ForeignKey("buckets.id", ondelete="CASCADE"))
    start_us: Mapped[int] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    tz_offset_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")


class ApiToken(Base):
    """A bearer token for the local API. Only a hash of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    created_us: Mapped[int] = mapped_column(BigInteger)
    last_used_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Category(Base):
    """A node of the user's category tree with its rule, colour and productivity score."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("categories.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[str | None] = mapped_column(String(32), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    rule: Mapped[str] = mapped_column(Text, default="{}")


class Setting(Base):
    """Opaque JSON value by key (user preferences and ``/api/0/settings``)."""

    __tablename__ = "settings"

    user_id: Mapped[int] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DayDigest(Base):
    """Pre-aggregated analytics of one local day (``core.analytics.digest``), per day start.

    Category-independent; the rows of the days an event change touches are deleted in the
    same transaction (``core.analytics.cache_rows.clear_days``, a writer hook), so a stored
    digest is never stale.
    """

    __tablename__ = "day_digests"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01, local
    day_start_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    totals: Mapped[bytes] = mapped_column(LargeBinary)
    pieces: Mapped[bytes] = mapped_column(LargeBinary)


class DayStats(Base):
    """Categorized analytics of one local day for one categories version and settings (``key``).

    Dropped like ``day_digests`` when events of its day change.
    """

    __tablename__ = "day_stats"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_start_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    totals: Mapped[bytes] = mapped_column(LargeBinary)
    stats: Mapped[bytes] = mapped_column(LargeBinary)


class AnalyticsValue(Base):
    """A distinct event data value (JSON text) that day digests refer to by ``id``.

    Ids are assigned once and never reused (AUTOINCREMENT), so a value's id stays valid for
    every digest; ``core.analytics.values.drop_unreferenced`` removes unused values.
    """

    __tablename__ = "analytics_values"
    __table_args__ = (UniqueConstraint("user_id", "data"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    data: Mapped[str] = mapped_column(Text)


buckets_table = Bucket.__table__
events_table = Event.__table__
