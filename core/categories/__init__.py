"""Hierarchical categories: model, matching engine, import/export, defaults (Qt-free)."""

from timelygator.core.categories.categorizer import Categorizer, Tagger, data_key, domain_of
from timelygator.core.categories.formats import (
    from_aw_classes,
    from_document,
    load_categories_file,
    load_default_categories,
    to_aw_classes,
    to_document,
)
from timelygator.core.categories.model import (
    UNCATEGORIZED,
    Category,
    CategoryTree,
    Productivity,
    ResolvedStyle,
    Rule,
    productivity_level,
    productivity_percent,
)
from timelygator.core.categories.preview import RulePreview, rule_preview

__all__ = [
    "UNCATEGORIZED",
    "Categorizer",
    "Category",
    "CategoryTree",
    "Productivity",
    "ResolvedStyle",
    "Rule",
    "RulePreview",
    "Tagger",
    "data_key",
    "domain_of",
    "from_aw_classes",
    "from_document",
    "load_categories_file",
    "load_default_categories",
    "productivity_level",
    "productivity_percent",
    "rule_preview",
    "to_aw_classes",
    "to_document",
]
