"""Analytics over events: active time, time by app/title/domain/category, productivity, trends.

Pure functions over lists of :class:`core.event.Event` plus a categorizer. No Qt, no database:
the GUI, CLI reports and the API all feed them events they read themselves.
"""

from core.analytics.intervals import Span, clip_events, merge_spans, not_afk_spans, total_us
from core.analytics.search import SearchResult, search_events
from core.analytics.summary import Classifier, RangeEvents, Summary, summarize
from core.analytics.trends import DailyTotals, daily_totals

__all__ = [
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
