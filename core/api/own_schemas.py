"""Request and response shapes of TimelyGator's own endpoints: categories and summaries.

Like ``core.api.schemas``: the routers validate and serialise these bodies themselves (the
category formats in ``core.categories.formats``, the report in ``core.analytics.report``);
the models here document them in OpenAPI and validate the small request bodies.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Productivity = Literal[
    "very_distracting", "distracting", "neutral", "productive", "very_productive"
]
PathName = list[str]


# -- categories ------------------------------------------------------------------------------
class ResolvedStyleOut(BaseModel):
    """What a category looks like after inheritance from its ancestors."""

    color: str
    score: float | None
    productivity: Productivity


class CategoryItem(BaseModel):
    """One category of our document; ``color``/``score`` absent = inherited."""

    model_config = ConfigDict(extra="allow")

    name: PathName = Field(min_length=1, description="the path, top level first")
    rule: dict[str, Any] = Field(
        description='{"type": "regex", "regex": "...", "ignore_case"?, "select_keys"?}'
    )
    color: str | None = None
    productivity: Productivity | None = None
    score: float | None = Field(default=None, description="instead of productivity")


class CategoryItemOut(CategoryItem):
    id: int | None = Field(
        default=None,
        description="row id for /api/0/categories/items/{id} (none while the defaults are shown)",
    )
    resolved: ResolvedStyleOut | None = Field(
        default=None, description="effective color and score (ignored when sent back)"
    )


class CategoryPatch(BaseModel):
    """Fields of one category to change; absent = unchanged, null color/score = inherited."""

    model_config = ConfigDict(extra="forbid")

    name: PathName | None = Field(default=None, min_length=1, description="rename or move")
    rule: dict[str, Any] | None = None
    color: str | None = None
    productivity: Productivity | None = None
    score: float | None = None


class CategoryDeleted(BaseModel):
    deleted: int = Field(description="how many categories went (with the subcategories)")


class CategoryDocument(BaseModel):
    """TimelyGator's categories document (what the app exports)."""

    model_config = ConfigDict(extra="allow")

    format: Literal["timelygator-categories"]
    version: int
    categories: list[CategoryItem]


class CategoryDocumentOut(BaseModel):
    """Our document with each category's resolved style; it can be sent back as it is."""

    format: Literal["timelygator-categories"]
    version: int
    categories: list[CategoryItemOut]


class AwCategory(BaseModel):
    """One entry of ActivityWatch's ``classes`` setting (parents are implicit)."""

    model_config = ConfigDict(extra="allow")

    id: int | None = None
    name: PathName
    rule: dict[str, Any]
    data: dict[str, Any] | None = Field(default=None, description='{"color"?, "score"?}')


class RulePreviewIn(BaseModel):
    """A draft rule for one category path, tried on the window and web events of a range."""

    model_config = ConfigDict(extra="forbid")

    name: PathName = Field(min_length=1, max_length=20)
    rule: dict[str, Any]
    start: str = Field(max_length=64, description="ISO 8601")
    end: str = Field(max_length=64, description="ISO 8601")


class CategorySeconds(BaseModel):
    category: PathName
    seconds: float


class RulePreviewOut(BaseModel):
    name: PathName
    matched_events: int = Field(description="events the draft rule matches, winning or not")
    matched_seconds: float
    gained_events: int = Field(description="events that would newly land in this category")
    gained_seconds: float
    moved_from: list[CategorySeconds] = Field(description="where the gained time comes from")
    lost_to: list[CategorySeconds] = Field(description="where time leaving this category goes")


# -- summaries -------------------------------------------------------------------------------
class ReportRange(BaseModel):
    first: str
    last: str
    days: int
    day_start: str


class ReportTotals(BaseModel):
    active_seconds: float
    afk_seconds: float
    untracked_seconds: float
    productivity: float | None = Field(description="0-100, time-weighted")
    focus_seconds: float
    focus_sessions: int
    context_switches: int
    switches_per_hour: float | None


class ReportNode(BaseModel):
    name: str
    path: PathName
    seconds: float
    self_seconds: float
    percent: float
    color: str
    children: list[ReportNode]


class ReportRow(BaseModel):
    name: str
    seconds: float
    percent: float


class ReportTop(BaseModel):
    items: list[ReportRow]
    total_seconds: float
    other_seconds: float
    count: int


class ReportDay(BaseModel):
    date: str
    seconds: float
    categories: dict[str, float] = Field(description="top-level category -> seconds")


class ReportSpan(BaseModel):
    start: str = Field(description="local time, no offset")
    end: str
    seconds: float


class ReportFocus(ReportSpan):
    category: str


class SummaryOut(BaseModel):
    """What ``timelygator report --format json`` prints."""

    range: ReportRange
    totals: ReportTotals
    categories: list[ReportNode]
    apps: ReportTop
    titles: ReportTop
    domains: ReportTop
    urls: ReportTop
    daily: list[ReportDay]
    hourly: dict[str, list[float]] = Field(description="top-level category -> 24 hours")
    focus_sessions: list[ReportFocus]
    gaps: list[ReportSpan]


class TrendCategory(BaseModel):
    name: str
    seconds: float
    color: str


class TrendOut(BaseModel):
    """Daily active time by top-level category (categories largest first)."""

    range: ReportRange
    categories: list[TrendCategory]
    daily: list[ReportDay]
