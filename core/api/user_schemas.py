"""Request and response shapes of ``/api/0/users`` and of tokens made for another user.

Separate from the ORM (``core.models.User``) and from ``core.users.UserInfo``: a user leaves
the API with their name, state and token count, never any of their data.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from timelygator.core.api.schemas import TokenCreate


class UserCreate(BaseModel):
    """A new user (``core.users.NAME_RULE`` says which names are allowed)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["alice"])


class UserPatch(BaseModel):
    """What to change about a user: only whether they are disabled."""

    model_config = ConfigDict(extra="forbid")

    disabled: StrictBool = Field(description="true: refuse the user's tokens (data is kept)")


class UserOut(BaseModel):
    id: int
    name: str
    created: str
    disabled: bool
    disabled_at: str | None = Field(description="when the user was disabled (null: active)")
    active_tokens: int = Field(description="tokens not revoked")


class TokenCreateFor(TokenCreate):
    """A token for this token's user, or (admin) for the user named ``user``."""

    user: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the user the token acts for (default: the user of the admin token)",
    )
