"""Adapts the categorizer and the category tree to the analytics ``Classifier`` protocol.

Besides categorizing a value, the classifier reports its *signature* (the rule contents that
match it, or its manual category) and picks the category for a signature, so statistics can be
carried over to new rules without searching every rule again (``core.analytics.evidence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from timelygator.core.analytics.evidence import Signature, is_manual
from timelygator.core.categories.categorizer import Categorizer
from timelygator.core.categories.model import Category, CategoryTree

MANUAL_CATEGORY_KEY = "$category"


def manual_category(data: Mapping[str, Any]) -> tuple[str, ...] | None:
    """A manual ``$category`` ("A > B") as a path, or None."""
    manual = data.get(MANUAL_CATEGORY_KEY)
    if isinstance(manual, str) and manual.strip():
        return tuple(part.strip() for part in manual.split(">") if part.strip())
    return None


class CategoryClassifier:
    """Categorize with a Categorizer, score with the tree's inherited scores."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = list(categories)
        self.tree = CategoryTree(self.categories)
        self.categorizer = Categorizer.from_categories(self.categories)
        self._scores: dict[tuple[str, ...], float | None] = {}

    def categorize(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """The event's category: a manual ``$category`` ("A > B") wins over the rules."""
        return manual_category(data) or self.categorizer.categorize(data)

    @property
    def match_keys(self) -> list[str]:
        return self.categorizer.match_keys

    def signature(self, data: Mapping[str, Any]) -> Signature:
        """The manual category of ``data``, or the rule contents matching it."""
        return manual_category(data) or self.categorizer.signature(data)

    def path_for(self, signature: Signature) -> tuple[str, ...]:
        if is_manual(signature):
            return signature  # type: ignore[return-value]
        return self.categorizer.path_for(signature)  # type: ignore[arg-type]

    def score(self, path: tuple[str, ...]) -> float | None:
        if path not in self._scores:
            self._scores[path] = self.tree.style(path).score
        return self._scores[path]

    def color(self, path: tuple[str, ...]) -> str | None:
        return self.tree.style(path).color
