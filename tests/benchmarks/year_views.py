#!/usr/bin/env python3
"""How the app feels on a year of data: month and year views, a rule change, a first look.

Prints ONE JSON object (progress on stderr). Runs the real app (``AppController``, its
window and workers, offscreen) on a copy of ``gui_bench.py``'s cached one-year store
(~4.7M events; built once, a few minutes) and times what a person waits for, in seconds:

- month_totals_s / month_timeline_s: a month chosen in the navigator -> its totals shown
  in Activity / its timeline (one row per day) drawn; the year's statistics stored (the
  app's warm-up has run).
- rule_change_month_s: OK on a category rule change (a word added to Work > Programming's
  regex in the Settings dialog, once the rule preview's events are read) with a month
  shown -> the month's views redrawn.
- rule_change_year_first_update_s / rule_change_year_trends_s / rule_change_year_totals_s:
  the same with a year shown (custom range, Trends tab open) -> the first totals reflecting
  the change on screen (newest days first, with the progress) / the whole year's chart /
  the whole year's totals.
- first_look_month_first_totals_s / first_look_month_totals_s / first_look_month_timeline_s:
  right after an import (no statistics stored: as after ``timelygator import`` of a year
  from ActivityWatch), a month: its first totals on screen (the newest days, with the
  progress), all of them, its timeline.
- first_look_year_first_progress_s / first_look_year_trends_complete_s: the same, a year
  chosen with the Trends tab open: its first "N of 366 days done" on screen, and its chart
  complete; ``first_look_year_progress_updates``: how often the progress changed meanwhile.
- longest_wait_without_progress_s: the longest any of these showed "Loading…" with nothing
  else on screen.
- warm_year_s: the app's background warm-up of the whole year (not waited for by anyone).

Targets: month totals < 1 s, month timeline < 2 s, rule change: month < 1 s, year < 2 s;
a first look: something on screen within 2 s, visible progress after that.

  QT_QPA_PLATFORM=offscreen python tests/benchmarks/year_views.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.gui_bench import PASSPHRASE, build_dataset  # noqa: E402

YEAR_FIRST, YEAR_LAST = date(2024, 1, 1), date(2024, 12, 31)
MONTH = date(2024, 11, 1)


def log(text: str) -> None:
    print(f"[year_views] {text}", file=sys.stderr, flush=True)


def main() -> int:
    os.environ["TIMELYGATOR_PASSPHRASE"] = PASSPHRASE
    folder, _heavy, _n, total = build_dataset(365)
    from PySide6.QtCore import QEventLoop  # noqa: TID251
    from PySide6.QtWidgets import QApplication, QDialogButtonBox  # noqa: TID251
    from timelygator.core.categories.model import Rule
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services
    from timelygator.gui.app_controller import AppController
    from timelygator.gui.date_range import DateRange, RangeMode
    from timelygator.gui.range_data import analytics_settings
    from timelygator.gui.settings.dialog import SettingsDialog
    from timelygator.gui.stats_warmer import StatsWarmer

    app = QApplication.instance() or QApplication([])
    waits: list[float] = []

    def spin(cond: Callable[[], bool], timeout: float = 300.0) -> float:
        """Process events until ``cond``; the seconds it took."""
        start = time.perf_counter()
        while not cond() and time.perf_counter() - start < timeout:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        return time.perf_counter() - start

    def open_app(data: Path) -> AppController:
        controller = AppController(resolve_dirs(data), PASSPHRASE, start_watchers=False)
        window = controller.window
        window.navigator.today_fn = lambda: YEAR_LAST + timedelta(days=1)
        window.resize(1400, 860)
        ready: list[bool] = []
        controller.sig_ready.connect(lambda: ready.append(True))
        controller.start()
        spin(lambda: bool(ready))
        controller._warm_timer.stop()  # the benchmark warms (or not) on purpose
        if controller.maintenance is not None:
            controller.maintenance.stop()
        spin(lambda: window.data is not None)
        return controller

    def show(controller: AppController, rng: DateRange) -> tuple[float, float, float]:
        """Navigate to ``rng``: seconds to the first totals on screen (the whole range's, or
        those of its first part with the progress), to all its totals, to its timeline."""
        window = controller.window
        summary: list[object] = []
        loaded: list[object] = []
        shown: list[float] = []
        original = window.activity.set_data
        t0 = time.perf_counter()

        def recorded(data: Any) -> None:
            shown.append(time.perf_counter() - t0)
            original(data)

        window.activity.set_data = recorded  # type: ignore[method-assign]
        window.sig_summary_loaded.connect(summary.append)
        window.sig_range_loaded.connect(loaded.append)
        window.navigator.set_range(rng)
        totals = spin(lambda: bool(summary))
        timeline = spin(lambda: bool(loaded)) + totals
        window.sig_summary_loaded.disconnect(summary.append)
        window.sig_range_loaded.disconnect(loaded.append)
        window.activity.set_data = original  # type: ignore[method-assign]
        first = shown[0] if shown else totals
        waits.append(first)  # "Loading…" until the first totals show
        return first, totals, timeline

    def trends(controller: AppController) -> tuple[float, float, int]:
        """Open the Trends tab: seconds to the first chart, to the whole range, updates."""
        window = controller.window
        drawn: list[float] = []
        finished: list[bool] = []
        t0 = time.perf_counter()
        window.trends.sig_drawn.connect(lambda _n: drawn.append(time.perf_counter() - t0))
        window.sig_trends_loaded.connect(lambda: finished.append(True))
        window._trends_key = None
        window.tabs.setCurrentWidget(window.trends)
        window.load_trends()
        spin(lambda: bool(finished))
        waits.append(drawn[0] if drawn else 0.0)
        return drawn[0], drawn[-1], len(drawn)

    clicked: list[float] = []

    def rule_change(controller: AppController, expect: list[Callable[[], bool]]) -> float:
        """OK on a rule change in Settings; seconds until every ``expect`` holds. The time of
        the click is kept in ``clicked`` (the figures count from it, not from opening the
        dialog and reading the preview's events)."""
        controller.open_settings()
        dialog = controller.dialog
        assert isinstance(dialog, SettingsDialog)
        page = dialog.categories_page
        # A person edits a rule for seconds, while the preview's events are read: OK comes
        # after that read (the figure is the reload the new rules start).
        spin(lambda: page.sample_loaded)
        cats = page.categories()
        for category in cats:
            if category.path == ("Work", "Programming"):
                regex = category.rule.regex or ""
                category.rule = Rule.regex_rule(regex + "|dbeaver", ignore_case=True)
        page.set_categories(cats)
        t0 = time.perf_counter()
        clicked[:] = [t0]
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        spin(lambda: all(check() for check in expect))
        return time.perf_counter() - t0

    result: dict[str, Any] = {"dataset_events": total}
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        data = Path(tmp) / "data"
        log("copying the one-year store…")
        shutil.copytree(folder / "data", data)
        controller = open_app(data)
        log("warming the year (the app's background warm-up)…")
        session = controller.session
        assert session is not None
        settings = analytics_settings(controller.window.navigator.range)
        warmer = StatsWarmer(session.services, session.categories, settings, today=YEAR_LAST)
        t0 = time.perf_counter()
        warmer.warm()
        result["warm_year_s"] = round(time.perf_counter() - t0, 2)

        month = DateRange.around(MONTH, RangeMode.MONTH, day_start_hour=4)
        _first, totals, timeline = show(controller, month)
        result["month_totals_s"] = round(totals, 3)
        result["month_timeline_s"] = round(timeline, 3)
        window = controller.window
        loaded: list[object] = []
        window.sig_range_loaded.connect(loaded.append)
        result["rule_change_month_s"] = round(rule_change(controller, [lambda: bool(loaded)]), 3)

        year = DateRange(RangeMode.CUSTOM, YEAR_FIRST, YEAR_LAST, 4)
        show(controller, year)
        trends(controller)
        loaded.clear()
        trend_done: list[bool] = []
        window.sig_trends_loaded.connect(lambda: trend_done.append(True))
        summary: list[object] = []
        window.sig_summary_loaded.connect(summary.append)
        first_update: list[float] = []
        original = window.activity.set_data

        def recorded(data: Any) -> None:
            first_update.append(time.perf_counter())
            original(data)

        window.activity.set_data = recorded  # type: ignore[method-assign]

        def changed_on_screen() -> bool:
            after = bool(clicked) and any(at > clicked[0] for at in first_update)
            return after or bool(trend_done)

        rule_change(controller, [changed_on_screen])
        t0 = clicked[0]
        result["rule_change_year_first_update_s"] = round(time.perf_counter() - t0, 3)
        spin(lambda: bool(trend_done))
        result["rule_change_year_trends_s"] = round(time.perf_counter() - t0, 3)
        spin(lambda: bool(summary))
        result["rule_change_year_totals_s"] = round(time.perf_counter() - t0, 3)
        window.activity.set_data = original  # type: ignore[method-assign]
        spin(lambda: bool(loaded))
        result["rule_change_year_timeline_s"] = round(time.perf_counter() - t0, 3)
        controller.quit()
        spin(lambda: controller.services is None)

        log("dropping the stored statistics (as right after an import)…")
        with Services.open(resolve_dirs(data), PASSPHRASE) as services:
            services.writer.call(
                lambda conn: [
                    conn.exec_driver_sql(f"DELETE FROM {table}")
                    for table in ("day_stats", "day_digests")
                ]
            ).result(60)
        controller = open_app(data)
        first, totals, timeline = show(controller, month)
        result["first_look_month_first_totals_s"] = round(first, 3)
        result["first_look_month_totals_s"] = round(totals, 3)
        result["first_look_month_timeline_s"] = round(timeline, 3)
        # A year with the Trends tab open: the first thing on screen (progress or chart),
        # then the year's chart complete.
        window = controller.window
        finished: list[bool] = []
        window.sig_trends_loaded.connect(lambda: finished.append(True))
        window.tabs.setCurrentWidget(window.trends)
        spin(lambda: bool(finished))  # the month's trends (opening the tab loads them)
        finished.clear()
        t0 = time.perf_counter()
        seen: list[float] = []
        progress: set[str] = set()

        def watch() -> bool:
            text = window.trends.summary.text()
            if "days done" in text and text not in progress:
                progress.add(text)
                seen.append(time.perf_counter() - t0)
            return bool(finished)

        window.navigator.set_range(year)
        spin(watch)
        result["first_look_year_first_progress_s"] = round(seen[0], 3) if seen else None
        result["first_look_year_trends_complete_s"] = round(time.perf_counter() - t0, 3)
        result["first_look_year_progress_updates"] = len(progress)
        waits.append(seen[0] if seen else time.perf_counter() - t0)
        controller.quit()
        spin(lambda: controller.services is None)
    result["longest_wait_without_progress_s"] = round(max(waits), 3)
    result["targets"] = {
        "month_totals_s": 1.0, "month_timeline_s": 2.0, "rule_change_month_s": 1.0,
        "rule_change_year_s": 2.0, "first_draw_s": 2.0,
    }  # fmt: skip
    result["cpu_count"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
