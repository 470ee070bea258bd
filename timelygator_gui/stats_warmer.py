"""Warm the per-day statistics once after start-up, so the first Trends or month view is fast.

A low-priority thread asks the analytics engine for the summary of the whole history, a
month at a time from the most recent back; the engine computes and stores what is missing
(day digests and the full per-day statistics, which also answer the daily totals of the
Trends view). It stops between months when asked (quit).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date, timedelta

from PySide6.QtCore import QObject, QThread, Signal
from timelygator.core import reader
from timelygator.core.analytics.localdays import AnalyticsSettings, day_date, local_day
from timelygator.core.categories.model import Category
from timelygator.core.services import Services

log = logging.getLogger(__name__)

CHUNK_DAYS = 31
PAUSE_S = 0.02  # between months: the GUI thread gets the interpreter


def first_day(services: Services, settings: AnalyticsSettings) -> date | None:
    """The local day of the oldest event, or None without events."""
    with services.read() as conn:
        start_us = reader.first_event_start(conn, services.user_id)
    if start_us is None:
        return None
    # The earliest offset (-12 h) gives the earliest local day the event can fall on.
    return day_date(local_day(start_us, -12 * 3600, settings.day_start_s))


def month_chunks(first: date, last: date, size: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """``first..last`` in runs of ``size`` days, the most recent first."""
    out: list[tuple[date, date]] = []
    end = last
    while end >= first:
        start = max(first, end - timedelta(days=size - 1))
        out.append((start, end))
        end = start - timedelta(days=1)
    return out


class _Worker(QObject):
    sig_done = Signal(int)
    """The warm-up ended (finished or stopped) after this many days."""

    def __init__(self, warmer: StatsWarmer) -> None:
        super().__init__()
        self.warmer = warmer

    def run(self) -> None:
        days = 0
        try:
            days = self.warmer.warm()
        except Exception:  # only a cache: never an error dialog
            log.warning("Warming the per-day statistics failed", exc_info=True)
        finally:
            self.sig_done.emit(days)


class StatsWarmer(QObject):
    """Computes and stores the per-day statistics of all history on a low-priority thread."""

    sig_finished = Signal(int)
    """The warm-up ended: the number of days it went through (fewer when stopped)."""

    def __init__(
        self,
        services: Services,
        categories: Sequence[Category],
        settings: AnalyticsSettings,
        today: date | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.categories = list(categories)
        self.settings = settings
        self.today = today
        self.days_done = 0
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: QThread | None = None
        self._worker: _Worker | None = None

    def warm(self) -> int:
        """Run the warm-up on this thread; returns the days covered."""
        try:
            first = first_day(self.services, self.settings)
            if first is None:
                return 0
            last = self.today or date.today()
            for start, end in month_chunks(first, last):
                if self._stop.is_set():
                    break
                self.services.analytics.summary_for_days(
                    self.services.user_id, start, end, self.settings, categories=self.categories
                )
                self.days_done += (end - start).days + 1
                if self._stop.wait(PAUSE_S):
                    break
            return self.days_done
        finally:
            self._finished.set()

    def wait_finished(self, timeout_s: float) -> bool:
        """Block until the warm-up has ended (finished, stopped or failed); True when it
        has. Any thread: work that needs the statistics waits here instead of working the
        same days out beside it (Insights' training)."""
        return self._finished.wait(timeout_s)

    def start(self) -> None:
        if self._thread is not None:
            return
        thread = self._thread = QThread(self)
        thread.setObjectName("stats-warmer")
        worker = self._worker = _Worker(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.sig_done.connect(thread.quit)
        worker.sig_done.connect(self.sig_finished)
        thread.finished.connect(worker.deleteLater)
        thread.start(QThread.Priority.LowestPriority)

    def request_stop(self) -> None:
        """Ask the warm-up to stop after the month it is on (returns at once)."""
        self._stop.set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait for the thread to end (any thread but its own); True when it did."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            log.warning("The statistics warm-up did not stop in time")
            return False
        return True

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Request a stop and wait for it."""
        self.request_stop()
        return self.wait(timeout_ms)
