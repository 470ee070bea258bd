"""The search job (worker thread): read the range, match, total."""

from __future__ import annotations

import re

from timelygator.core.analytics.search import SearchResult, compile_query, search_events
from timelygator.core.categories.categorizer import domain_of
from timelygator.core.categories.model import Category
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.gui.category_classifier import classifier_for
from timelygator.gui.range_data import read_range


def run_search(
    services: Services,
    start_us: int,
    end_us: int,
    text: str,
    regex: bool,
    field: str | None,
    categories: list[Category],
) -> SearchResult:
    """Events of every bucket in the range matching ``text`` in ``field``."""
    pattern = compile_query(text, regex=regex)
    _, by_bucket = read_range(services, start_us, end_us)
    if field in (None, "app", "title", "url"):
        return search_events(by_bucket, pattern, keys=None if field is None else [field])
    derived: dict[str, list[Event]] = {}
    if field == "domain":
        for bucket, events in by_bucket.items():
            derived[bucket] = [
                Event(e.start_us, e.end_us, {"$domain": domain_of(str(e.data.get("url", "")))},
                      e.id, e.tz_offset_s)
                for e in events if isinstance(e.data.get("url"), str)
            ]  # fmt: skip
    else:  # category: match the category path ("Work > Programming")
        classifier = classifier_for(categories)
        for bucket, events in by_bucket.items():
            if not any(k in e.data for e in events[:5] for k in ("app", "url", "title")):
                continue
            derived[bucket] = [
                Event(e.start_us, e.end_us,
                      {"$category": " > ".join(classifier.categorize(e.data))}, e.id,
                      e.tz_offset_s)
                for e in events
            ]  # fmt: skip
    result = search_events(derived, pattern)
    originals = {(b, e.id, e.start_us): e for b, events in by_bucket.items() for e in events}
    result.matches = [(b, originals.get((b, e.id, e.start_us), e)) for b, e in result.matches]
    return result


def exact(value: str) -> str:
    """A regex matching exactly ``value`` (click-through from a bar)."""
    return f"^{re.escape(value)}$"
