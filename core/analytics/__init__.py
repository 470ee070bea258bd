"""Analytics over events: active time, time by app/title/domain/category, productivity, trends.

Pure functions over lists of :class:`core.event.Event` plus a categorizer. No Qt, no database:
the GUI, CLI reports and the API all feed them events they read themselves.
"""

from timelygator.core.analytics.intervals import (
    Span,
    clip_events,
    merge_spans,
    not_afk_spans,
    total_us,
)
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.analytics.search import SearchResult, search_events
from timelygator.core.analytics.summary import Classifier, RangeEvents, Summary, summarize
from timelygator.core.analytics.tree import CategoryNode
from timelygator.core.analytics.trends import DailyTotals, daily_totals

# The store-backed, cached entry points (``summary``, ``summary_for_days``, ``daily_trend``)
# live in ``core.analytics.service``; importing it here would pull ``core.services`` into
# every user of the pure functions.

__all__ = [
    "AnalyticsSettings",
    "CategoryNode",
    "Classifier",
    "DailyTotals",
    "RangeEvents",
    "SearchResult",
    "Span",
    "Summary",
    "clip_events",
    "daily_totals",
    "merge_spans",
    "not_afk_spans",
    "search_events",
    "summarize",
    "total_us",
]
