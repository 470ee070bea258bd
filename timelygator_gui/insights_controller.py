"""Wires Insights into the main window: the Activity view's line, the review panel, the
unusual days under Trends.

Insights work on a thread of their own (``InsightsController.runner``), never on the views'
pool: training takes seconds the first time in a session (then the model is kept in memory
by ``core.insights.engine``), and a minute on a year whose statistics were never worked out
(a history just imported). While it trains it pauses whenever the views have work queued
(``TaskRunner.wait_idle``), so a day switch is not slowed by it, and while the app's warm-up
of the statistics runs (``StatsWarmer``: the same days' work, which the training then only
reads); only the newest range asked for is worked out (switching through ten days trains
once and answers the tenth).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.categories.model import Category
from timelygator.core.errors import TimelyGatorError
from timelygator.core.insights.engine import Insights, forget, insights, unusual_in
from timelygator.gui.insights_panel import InsightsDialog
from timelygator.gui.range_data import RangeData
from timelygator.gui.tasks import TaskRunner
from timelygator.gui.trends_view import trends_range

if TYPE_CHECKING:
    from timelygator.gui.main_window import MainWindow
    from timelygator.gui.stats_warmer import StatsWarmer

# Insights describe a day, a week or a month; longer ranges would retrain and re-read a year
# beside the views' own work (after a rule edit, seconds taken from the timeline and trends).
INSIGHTS_MAX_DAYS = 31
LONG_RANGE = "Insights cover a day, a week or a month: choose one to see them."
# Unusual days are looked for among the last three months a Trends chart shows.
UNUSUAL_MAX_DAYS = 92
# Today with tracking running: the insights follow the live refreshes, at most this often.
LIVE_EVERY_S = 60.0
# Training waits for the views' queued work at most this long at a time (a long backup or
# import on the same pool does not hold the insights back forever).
PAUSE_AT_MOST_S = 5.0


class _Stopped(Exception):
    """The app is closing: the training stops at its next pause."""


class InsightsController(QObject):
    """Insights for the range the main window shows (when the preference is on)."""

    sig_loaded = Signal(object)
    """Insights of the shown range arrived (an ``Insights``)."""
    sig_unusual_loaded = Signal(object)
    """The unusual days under Trends were shown (a list of their lines)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.found: Insights | None = None
        self.dialog: InsightsDialog | None = None
        window.activity.insights.sig_review_requested.connect(lambda: self.open_review())
        window.sig_trends_loaded.connect(lambda: self.load_unusual())
        window.sig_range_refreshed.connect(lambda data: self.range_refreshed(data))
        self._worked_out_at = float("-inf")
        self.clock: Callable[[], float] = time.monotonic
        self.runner = TaskRunner(self, max_threads=1)
        self._working: RangeData | None = None  # the range being worked out
        self._asked: RangeData | None = None  # the range shown, when it has insights
        self._stopping = threading.Event()
        self.warmer: StatsWarmer | None = None
        """The app's warm-up of the history's statistics, while it runs: a training waits for
        it (it works out the same days, which the training then reads)."""

    def range_refreshed(self, data: RangeData) -> None:
        """New live data in the range shown: work the insights out again, once a minute."""
        if self.clock() - self._worked_out_at >= LIVE_EVERY_S:
            self.range_loaded(data)

    def enabled(self) -> bool:
        session = self.window.session
        return session is not None and session.preferences.insights.enabled

    def _settings(self, day_start_hour: int) -> AnalyticsSettings:
        return AnalyticsSettings(day_start_s=day_start_hour * 3600)

    def range_loaded(self, data: RangeData) -> None:
        """Work out the insights of the range just shown."""
        bar = self.window.activity.insights
        session = self.window.session
        self._asked = None  # until this range turns out to have insights
        if session is None or not self.enabled():
            bar.setVisible(False)
            self.window.trends.set_unusual([])
            if session is not None:
                forget(session.services)
            return
        bar.setVisible(True)
        rng = data.range
        if rng.days > INSIGHTS_MAX_DAYS:
            bar.set_unavailable(LONG_RANGE)
            return
        bar.set_busy()
        self._worked_out_at = self.clock()
        self._asked = data
        if self._working is None:  # else the newest range asked for follows the current one
            self._start(data)

    def _start(self, data: RangeData) -> None:
        session = self.window.session
        assert session is not None
        self._working = data
        rng = data.range
        services, categories = session.services, list(session.categories)
        settings = self._settings(rng.day_start_hour)
        prefs = session.preferences.insights

        def work() -> Insights:
            return insights(
                services, rng.first, rng.last, settings, categories=categories,
                llm_url=prefs.llm_url, llm_model=prefs.llm_model, pause=self._pause,
            )  # fmt: skip

        self.runner.run("insights", work, self._shown, self._failed, owner=self)

    def _pause(self) -> None:
        """Between steps of a training (on the Insights thread): the views' work first."""
        warmer = self.warmer
        while warmer is not None and not warmer.wait_finished(0.5):
            if self._stopping.is_set():
                raise _Stopped
        if self._stopping.is_set():
            raise _Stopped
        self.window.runner.wait_idle(PAUSE_AT_MOST_S)
        if self._stopping.is_set():
            raise _Stopped

    def _worked_out(self) -> bool:
        """A job ended: True when its range is still the one shown, else the range shown
        now (if it has insights) is worked out next."""
        done, self._working = self._working, None
        if self._asked is done:
            return True
        if self._asked is not None and not self._stopping.is_set():
            self._start(self._asked)
        return False

    def _shown(self, found: Insights) -> None:
        if not self._worked_out():
            return
        self.found = found
        self.window.activity.insights.set_insights(found)
        self.sig_loaded.emit(found)

    def _failed(self, exc: BaseException) -> None:
        if not self._worked_out() or isinstance(exc, _Stopped):
            return
        message = str(exc) if isinstance(exc, TimelyGatorError) else repr(exc)
        self.window.activity.insights.set_failed(message)

    def request_stop(self) -> None:
        """The app is closing: a training in progress stops at its next pause."""
        self._stopping.set()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Wait for the Insights thread to finish (any thread but the GUI thread)."""
        return self.runner.wait(timeout_ms)

    def open_review(self) -> None:
        session, found = self.window.session, self.found
        if session is None or found is None:
            return
        dialog = InsightsDialog(session, self.window.runner, found, self.window)
        dialog.sig_categories_changed.connect(self._categories_changed)
        self.dialog = dialog
        dialog.finished.connect(lambda _code: self._closed())
        dialog.open()

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _categories_changed(self, categories: list[Category]) -> None:
        session = self.window.session
        if session is None:
            return
        session.categories = list(categories)
        self.window.reload(keep_view=True)

    def load_unusual(self) -> None:
        """The unusual days of the Trends range, under the chart."""
        session = self.window.session
        if session is None or not self.enabled():
            self.window.trends.set_unusual([])
            return
        rng = trends_range(self.window.navigator.range)
        services, categories = session.services, list(session.categories)
        settings = self._settings(rng.day_start_hour)
        first = max(rng.first, rng.last - timedelta(days=UNUSUAL_MAX_DAYS - 1))

        def work() -> list[str]:
            found = unusual_in(services, first, rng.last, settings, categories=categories)
            return [u.text for u in found]

        def shown(lines: list[str]) -> None:
            self.window.trends.set_unusual(lines)
            self.sig_unusual_loaded.emit(lines)

        self.runner.run("unusual", work, shown, self._failed_unusual, owner=self)

    def _failed_unusual(self, exc: BaseException) -> None:
        if not isinstance(exc, _Stopped):
            self.window.trends.set_unusual([])
