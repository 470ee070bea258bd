"""Shared classifier construction for GUI workers.

A classifier memoizes what it matched (per event data), so the GUI keeps one per category
list and reuses it across loads: switching days re-categorizes mostly known titles for the
cost of a dictionary lookup. Categorizing only reads and fills memo dictionaries, which is
safe from several worker threads.
"""

from __future__ import annotations

import threading

from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.categories.model import Category

_lock = threading.Lock()
_cached: tuple[str, CategoryClassifier] | None = None


def _fingerprint(categories: list[Category]) -> str:
    return repr([(c.name, c.rule, c.color, c.score) for c in categories])


def classifier_for(categories: list[Category]) -> CategoryClassifier:
    """The classifier of ``categories`` (the same instance while the list is unchanged)."""
    global _cached
    key = _fingerprint(categories)
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    classifier = CategoryClassifier(categories)
    with _lock:
        _cached = (key, classifier)
    return classifier
