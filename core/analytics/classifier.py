"""Adapts the categorizer and the category tree to the analytics ``Classifier`` protocol."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.categories.categorizer import Categorizer
from core.categories.model import Category, CategoryTree


class CategoryClassifier:
    """Categorize with a Categorizer, score with the tree's inherited scores."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = list(categories)
        self.tree = CategoryTree(self.categories)
        self.categorizer = Categorizer.from_categories(self.categories)
        self._scores: dict[tuple[str, ...], float | None] = {}

    def categorize(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        return self.categorizer.categorize(data)

    def score(self, path: tuple[str, ...]) -> float | None:
        if path not in self._scores:
            self._scores[path] = self.tree.style(path).score
        return self._scores[path]

    def color(self, path: tuple[str, ...]) -> str | None:
        return self.tree.style(path).color
