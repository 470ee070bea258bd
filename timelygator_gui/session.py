"""What the GUI holds once the data directory is open: services, categories, preferences."""

from __future__ import annotations

from dataclasses import dataclass, field

from timelygator.core.categories.model import Category
from timelygator.core.categories.stored import load_stored_categories
from timelygator.core.preferences import Preferences, load_preferences
from timelygator.core.services import Services


@dataclass
class Session:
    services: Services
    categories: list[Category] = field(default_factory=list)
    preferences: Preferences = field(default_factory=Preferences)

    @classmethod
    def load(cls, services: Services) -> Session:
        """Read categories and preferences (worker thread)."""
        with services.read() as conn:
            categories = load_stored_categories(conn, services.user_id)
            preferences = load_preferences(conn, services.user_id)
        return cls(services, categories, preferences)
