"""The colour of a category, an app or a site: one rule and one palette for every view.

A category's own colour wins, then its nearest ancestor's (``CategoryTree.style``); a
category without one gets a stable colour from the name of its top-level category, so
"Work" and "Work > Mail" share a hue and "Work" is the same colour in the timeline, the
Activity and Trends views, the HTML and JSON reports and ``/api/0/summary``. Apps, sites and
other keys get a stable colour from their name. Uncategorized time is grey everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from timelygator.core.categories.model import UNCATEGORIZED, CategoryTree

# Tableau-like palette: distinguishable on light and dark backgrounds.
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#8cd17d", "#d37295",
    "#a0cbe8", "#ffbe7d", "#f1ce63", "#499894", "#79706e", "#d4a6c8",
)  # fmt: skip
UNCATEGORIZED_COLOR = "#c8c8c8"


class ColorLookup(Protocol):
    """Anything that knows the colours users gave categories (a ``CategoryClassifier``)."""

    def color(self, path: tuple[str, ...]) -> str | None: ...


def stable_color(key: str) -> str:
    """The same palette colour for the same name, in every process and session."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


def category_color(path: Sequence[str], colors: CategoryTree | ColorLookup | None = None) -> str:
    """The colour ``path`` is drawn in: its own or inherited colour from ``colors`` (a tree
    or a classifier), else grey for uncategorized time, else its top-level name's colour."""
    key = tuple(path)
    if not key:
        return UNCATEGORIZED_COLOR
    if isinstance(colors, CategoryTree):
        own = colors.style(key).color
    else:
        own = None if colors is None else colors.color(key)
    if own:
        return own
    if key[0] == UNCATEGORIZED[0]:
        return UNCATEGORIZED_COLOR
    return stable_color(key[0])
