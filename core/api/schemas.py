"""Request and response shapes (pydantic), separate from the ORM models.

Hot paths (events in and out) are validated and serialised by ``core.api.wire``; the models
here document those shapes in OpenAPI and validate the small bodies directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Str500 = Field(default="", max_length=500)


class Message(BaseModel):
    message: str


class Info(BaseModel):
    hostname: str
    version: str
    testing: bool
    device_id: str


class EventIn(BaseModel):
    """An event as clients send it; ``id`` set updates that event of the bucket."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    timestamp: str = Field(description="ISO 8601, any UTC offset (naive = UTC)")
    duration: float = Field(default=0, ge=0, description="seconds")
    data: dict[str, Any] = Field(default_factory=dict)


class EventOut(BaseModel):
    """Exactly these four keys; timestamp in UTC."""

    id: int
    timestamp: str
    duration: float
    data: dict[str, Any]


class BucketMetadata(BaseModel):
    start: str | None
    end: str | None


class BucketOut(BaseModel):
    id: str
    name: str
    type: str
    client: str
    hostname: str
    created: str
    data: dict[str, Any]
    last_updated: str | None
    metadata: BucketMetadata


class BucketCreate(BaseModel):
    """``hostname`` "!local" means the server's hostname; unknown fields are ignored (as
    ActivityWatch's server ignores them)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=500, description="ignored (the path wins)")
    name: str | None = Field(default=None, max_length=500, description="ignored")
    type: str = Field(max_length=200)
    client: str = Field(default="unknown", max_length=200)
    hostname: str = Field(default="unknown", max_length=200)
    data: dict[str, Any] | None = None
    created: str | None = Field(default=None, max_length=64)


class BucketUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str | None = Field(default=None, max_length=200)
    client: str | None = Field(default=None, max_length=200)
    hostname: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] | None = None


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    timeperiods: list[str] = Field(max_length=1000, description='"<iso start>/<iso end>"')
    query: list[str] | str = Field(
        description="statements, e.g. ['events = ...;', 'RETURN = events;']"
    )


class ExportBucket(BucketOut):
    events: list[EventOut]


class Export(BaseModel):
    buckets: dict[str, ExportBucket]


class EventDeleted(BaseModel):
    """As ActivityWatch's server answers: 1 when the event existed, else 0."""

    success: int


class ImportResult(BaseModel):
    buckets: dict[str, dict[str, int | bool]]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["read", "write", "admin"]
    name: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scope: str
    created: str
    last_used: str | None
    revoked: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="the secret; shown only in this response")


class Health(BaseModel):
    status: str
    database: str
    writer: str
