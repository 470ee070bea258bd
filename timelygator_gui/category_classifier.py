"""Shared classifier construction for GUI workers."""

from __future__ import annotations

from core.analytics.classifier import CategoryClassifier
from core.categories.model import Category


def classifier_for(categories: list[Category]) -> CategoryClassifier:
    return CategoryClassifier(categories)
