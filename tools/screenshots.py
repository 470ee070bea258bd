#!/usr/bin/env python3
"""Render every view and settings page with a demo dataset to docs/screenshots/*.png (offscreen).

The demo is five weeks of a person's days (each day its own start, breaks and mix of apps,
short weekend sessions). ``--theme dark`` renders the main views again as ``*-dark.png``.

QT_QPA_PLATFORM=offscreen python tools/screenshots.py [--out docs/screenshots] [--theme dark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


SWITCHED = {
    "gnome-terminal": ("foot", "", ""),
    "Thunderbird": ("Betterbird", "Thunderbird", "Betterbird"),
    "libreoffice-writer": ("abiword", "LibreOffice Writer", "AbiWord"),
}
"""Apps used in place of others on the Insights shot's day (no category rule names them)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--theme", default="light")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import keyring
    from keyring.backend import KeyringBackend

    class _MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}

        def get_password(self, s: str, u: str) -> str | None:
            return self.store.get((s, u))

        def set_password(self, s: str, u: str, p: str) -> None:
            self.store[(s, u)] = p

        def delete_password(self, s: str, u: str) -> None:
            self.store.pop((s, u), None)

    keyring.set_keyring(_MemoryKeyring())
    from PySide6.QtWidgets import QApplication
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services
    from timelygator.core.timeutil import to_us
    from timelygator.gui.away_dialog import AwayPrompt
    from timelygator.gui.date_range import RangeMode
    from timelygator.gui.demo_data import recent_days, store_days
    from timelygator.gui.main_window import MainWindow
    from timelygator.gui.open_progress import STEP_TEXT, TITLE, OpenStep
    from timelygator.gui.session import Session
    from timelygator.gui.settings.dialog import SettingsDialog
    from timelygator.gui.tasks import TaskRunner
    from timelygator.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app, args.theme)  # type: ignore[arg-type]
    dark = args.theme == "dark"

    def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
        widget.grab().save(str(out / (f"{name}-dark.png" if dark else f"{name}.png")))

    day = date(2025, 3, 4)
    with tempfile.TemporaryDirectory() as tmp:
        # A neutral home folder: the pages show the data folder as ~/.local/share/TimelyGator.
        os.environ["HOME"] = str(Path(tmp) / "home")
        data_dir = Path(tmp) / "home" / ".local" / "share" / "TimelyGator"
        services = Services.open(resolve_dirs(data_dir), None, max_delay=0.05)
        try:
            store_days(services, recent_days(day, 35), weekends=True)
            runner = TaskRunner()
            window = MainWindow(runner, today=day + timedelta(days=1))
            window.resize(1400, 860)
            window.show()
            window.navigator.show_day(day)
            loaded: list[object] = []
            window.sig_range_loaded.connect(loaded.append)
            window.attach(Session.load(services))

            def wait(cond) -> None:  # type: ignore[no-untyped-def]
                while not cond():
                    app.processEvents()
                for _ in range(5):
                    app.processEvents()

            wait(lambda: loaded)
            shot(window, "timeline")
            loaded.clear()
            window.navigator.set_mode(RangeMode.WEEK)
            wait(lambda: loaded)
            loaded.clear()
            window.navigator.step(-1)  # the last whole week
            wait(lambda: loaded and window.data is not None and window.data.summary_loaded)
            shot(window, "timeline-week")
            loaded.clear()
            window.navigator.show_day(day)
            wait(lambda: loaded)
            lane = window.timeline.lanes[1]
            window.timeline.zoom(0.15)
            app.processEvents()
            x0, x1 = window.timeline.visible_range()
            mid = next(i for i in range(lane.size) if lane.starts[i] > (x0 + x1) / 2)
            window.timeline.select((lane, mid))
            window.timeline.rebin()
            wait(lambda: True)
            shot(window, "timeline-zoomed")
            window.tabs.setCurrentWidget(window.activity)
            wait(lambda: True)
            shot(window, "activity")
            window.tabs.setCurrentWidget(window.trends)
            wait(lambda: window.trends.totals is not None and runner.pending == 0)
            shot(window, "trends")
            if dark:  # the settings and dialogs are shown in the light theme only
                window.close()
                runner.wait()
                return 0
            searched: list[object] = []
            window.sig_search_done.connect(lambda: searched.append(1))
            window.focus_search()
            window.search.query.setText("github")
            window.search.submit()
            wait(lambda: searched)
            window.grab().save(str(out / "search.png"))
            dialog = SettingsDialog(
                Session.load(services), runner, None, window, window.navigator.range
            )
            dialog.resize(980, 680)
            dialog.show()
            for row in range(dialog.page_list.count()):
                dialog.page_list.setCurrentRow(row)
                if row == 0:
                    page = dialog.categories_page
                    item = page.tree.topLevelItem(0).child(0) or page.tree.topLevelItem(0)
                    page.tree.setCurrentItem(item)
                    shown: list[int] = []
                    page.sig_preview_shown.connect(lambda: shown.append(1))  # noqa: B023
                    wait(lambda: shown)  # noqa: B023
                wait(lambda: runner.pending == 0)
                name = dialog.page_list.item(row).text().lower().replace(" ", "-")
                dialog.grab().save(str(out / f"settings-{name}.png"))
            dialog.close()
            # Away time: the question after a long absence (a child of the main window).
            away = AwayPrompt(window, window.category_paths, lambda _entry: None)
            start = datetime.combine(day, time(12, 28)).astimezone()
            shown_away = away.ask(to_us(start), to_us(start + timedelta(minutes=49)))
            shown_away.what.setText("Lunch with the design team")
            wait(lambda: True)
            shown_away.grab().save(str(out / "away.png"))
            away.close()
            # Insights: the next day the person used apps no rule names yet (a new terminal,
            # mail client and word processor); the review panel proposes categories for them.
            store_days(services, [day + timedelta(days=1)], switched=SWITCHED)
            loaded.clear()
            window.navigator.show_day(day + timedelta(days=1))
            wait(lambda: loaded)
            window.tabs.setCurrentWidget(window.activity)
            insights = window.insights
            wait(lambda: insights.found is not None and runner.pending == 0)
            window.activity.insights.button.click()
            review = insights.dialog
            assert review is not None
            review.resize(1100, 560)
            wait(lambda: "It would move" in review.preview.text())
            review.grab().save(str(out / "insights-review.png"))
            review.close()
            shot(window, "activity-insights")
            # A schema upgrade while opening (what the window shows in place of the views).
            window.show_busy(TITLE, STEP_TEXT[OpenStep.BACKUP])
            wait(lambda: True)
            window.grab().save(str(out / "upgrading.png"))
            window.hide_busy()
            window.close()
            runner.wait()
        finally:
            services.close()
    print("\n".join(sorted(str(p) for p in out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
