"""Hierarchical categories: model, matching engine, import/export, defaults (Qt-free)."""

from core.categories.categorizer import Categorizer, Tagger, data_key, domain_of
from core.categories.model import (
    UNCATEGORIZED,
    Category,
    CategoryTree,
    Productivity,
    ResolvedStyle,
    Rule,
    productivity_level,
    productivity_percent,
)

__all__ = [
    "UNCATEGORIZED",
    "Categorizer",
    "Category",
    "CategoryTree",
    "Productivity",
    "ResolvedStyle",
    "Rule",
    "Tagger",
    "data_key",
    "domain_of",
    "productivity_level",
    "productivity_percent",
]
