"""One summary of a time range: where did the time go?

Filled by ``core.analytics.combine.combine`` from each day's statistics
(``AnalyticsService.summary_for_days``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from timelygator.core.analytics.daystats import FocusSession
from timelygator.core.event import Event

if TYPE_CHECKING:
    from timelygator.core.analytics.tree import CategoryNode
    from timelygator.core.analytics.trends import DailyTotals

Path = tuple[str, ...]


@dataclass(slots=True)
class Summary:
    """Totals of a range; lists are sorted by time, largest first."""

    active_us: int = 0
    afk_us: int = 0
    productivity: float | None = None  # 0-100, time-weighted over categorized active time
    apps: list[tuple[str, int]] = field(default_factory=list)
    titles: list[tuple[str, int]] = field(default_factory=list)
    domains: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[Path, int]] = field(default_factory=list)  # every level, summed
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    hourly: dict[str, list[int]] = field(default_factory=dict)  # top category -> 24 hours (us)
    # The active pieces with their category path (the app's category lane; filled by it).
    active_events: list[tuple[Event, Path]] = field(default_factory=list)
    start_us: int = 0
    end_us: int = 0
    urls: list[tuple[str, int]] = field(default_factory=list)
    category_tree: list[CategoryNode] = field(default_factory=list)  # rolled-up totals
    daily: DailyTotals | None = None  # per local day, stacked by top-level category
    focus_sessions: list[FocusSession] = field(default_factory=list)
    focus_us: int = 0
    context_switches: int = 0
    switches_per_hour: float | None = None  # app changes per active hour
    gaps: list[tuple[int, int]] = field(default_factory=list)  # untracked stretches
    untracked_us: int = 0
