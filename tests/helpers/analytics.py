"""A new analytics engine for an open store, as a new process would have."""

from __future__ import annotations

from timelygator.core.analytics.service import AnalyticsService
from timelygator.core.services import Services


def new_analytics(services: Services) -> AnalyticsService:
    """Give ``services`` a new analytics engine (nothing in memory: as in a new process);
    ``services.analytics`` is that engine from now on."""
    fresh = AnalyticsService(services.store, services.writer, services.clock)
    services._analytics = fresh  # the property builds one only when there is none
    return fresh
