"""Adapts the categorizer and the category tree to the analytics ``Classifier`` protocol."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.categories.categorizer import Categorizer
from core.categories.model import Category, CategoryTree

MANUAL_CATEGORY_KEY = "$category"


class CategoryClassifier:
    """Categorize with a Categorizer, score with the tree's inherited scores."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = list(categories)
        self.tree = CategoryTree(self.categories)
        self.categorizer = Categorizer.from_categories(self.categories)
        self._scores: dict[tuple[str, ...], float | None] = {}

    def categorize(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """The event's category: a manual ``$category`` ("A > B") wins over the rules."""
        manual = data.get(MANUAL_CATEGORY_KEY)
        if isinstance(manual, str) and manual.strip():
            return tuple(part.strip() for part in manual.split(">") if part.strip())
        return self.categorizer.categorize(data)

    def score(self, path: tuple[str, ...]) -> float | None:
        if path not in self._scores:
            self._scores[path] = self.tree.style(path).score
        return self._scores[path]

    def color(self, path: tuple[str, ...]) -> str | None:
        return self.tree.style(path).color
