"""Main window and views, driven like a user: navigate, hover, click, search, edit, undo."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot
from timelygator.core.services import Services
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.main_window import MainWindow
from timelygator.gui.tasks import TaskRunner
from timelygator.gui.timeline_model import Lane, bin_lane, make_lane

from tests.gui.app_helpers import open_window
from tests.gui.conftest import DEMO_DAY


@pytest.fixture
def window(qtbot, demo_services: Services, runner: TaskRunner) -> MainWindow:  # type: ignore[no-untyped-def]
    return open_window(qtbot, demo_services, DEMO_DAY, runner)


def test_timeline_shows_lanes_and_hover_details(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    titles = [lane.title for lane in window.timeline.lanes]
    assert titles == [
        "Categories",
        "Window — demo-laptop",
        "Browser (firefox) — demo-laptop",
        "Editor — demo-laptop",
        "Away — demo-laptop",
    ]
    # Every name fits beside its lane (pyqtgraph leaves out a label that does not).
    axis = window.timeline._axis
    metrics = QFontMetrics(QFont())
    assert axis.width() >= max(metrics.horizontalAdvance(t) for t in titles)
    assert window.navigator.label.text() == "Tue 4 Mar 2025"
    assert window.timeline.items.rect_count > 0
    lane = window.timeline.lanes[1]
    x = (lane.starts[10] + lane.ends[10]) / 2
    window.timeline.select_at(x, 1.5)
    text = window.timeline.details.text.text()
    assert "App" in text and "Duration" in text
    assert window.timeline.details.delete_button.isEnabled()
    assert "Category" in window.timeline.describe(lane, 10)


def test_keyboard_zoom_and_pan(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    timeline = window.timeline
    timeline.plot.setFocus()
    x0, x1 = timeline.visible_range()
    with qtbot.waitSignal(timeline.sig_redrawn):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_Plus)
    z0, z1 = timeline.visible_range()
    assert (z1 - z0) == pytest.approx((x1 - x0) / 2, rel=0.01)
    with qtbot.waitSignal(timeline.sig_redrawn):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_Right)
    p0, _ = timeline.visible_range()
    assert p0 > z0
    with qtbot.waitSignal(timeline.sig_redrawn):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_0)
    assert timeline.visible_range()[1] - timeline.visible_range()[0] == pytest.approx(
        86400, rel=0.01
    )


def test_activity_totals_and_click_through(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    activity = window.activity
    window.tabs.setCurrentWidget(activity)
    assert window.data is not None
    summary = window.data.summary
    assert activity.active_card.value.text() == _fmt(summary.active_us)
    from timelygator.gui.demo_data import AFK_BUCKET, generate_day

    breaks = [e for e in generate_day(DEMO_DAY)[AFK_BUCKET] if e.data["status"] == "afk"]
    assert breaks  # the demo day's lunch and short breaks
    assert activity.afk_card.value.text() == _fmt(sum(e.end_us - e.start_us for e in breaks))
    assert activity.apps.labels()[0] == "Code"
    assert "github.com" in activity.domains.labels()
    bar = activity.apps.row_rect(0).center().toPoint()
    with qtbot.waitSignal(window.sig_search_done, timeout=10_000):
        qtbot.mouseClick(activity.apps, Qt.MouseButton.LeftButton, pos=bar)
    assert window.tabs.currentWidget() is window.search
    model = window.search.model
    assert model.rowCount() > 0
    assert all(model.row_at(r)[1].data.get("app") == "Code" for r in range(model.rowCount()))
    assert window.search.totals.text().startswith(f"{model.rowCount():,} events")


def test_search_text_regex_and_model(window: MainWindow, qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    window.focus_search()
    qtbot.keyClicks(window.search.query, "stackoverflow")
    with qtbot.waitSignal(window.sig_search_done, timeout=10_000):
        qtbot.keyClick(window.search.query, Qt.Key.Key_Return)
    assert window.search.model.rowCount() > 0
    qtmodeltester.check(window.search.model)
    window.search.query.setText("(")
    window.search.regex.setChecked(True)
    with qtbot.waitSignal(window.sig_search_done, timeout=10_000):
        qtbot.mouseClick(window.search.button, Qt.MouseButton.LeftButton)
    assert "Invalid regular expression" in window.search.totals.text()


def test_navigation_drops_stale_results(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    dropped = window.runner.dropped
    window.navigator.step(-1)
    window.reload()
    window.reload()  # the second request supersedes the first: its result is dropped
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000) as blocker:
        pass
    qtbot.waitUntil(lambda: window.runner.pending == 0)
    assert blocker.args[0].range.first == DEMO_DAY - timedelta(days=1)
    assert window.runner.dropped >= dropped + 1
    assert window.timeline.empty_label.isVisible()
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        qtbot.mouseClick(window.navigator.next_button, Qt.MouseButton.LeftButton)
    assert window.navigator.label.text() == "Tue 4 Mar 2025"
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000) as blocker:
        window.navigator.set_mode(RangeMode.WEEK)
    assert blocker.args[0].range.first.weekday() == 0


def test_trends_show_daily_totals(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.sig_trends_loaded, timeout=10_000):
        window.tabs.setCurrentWidget(window.trends)
    totals = window.trends.totals
    assert totals is not None and window.data is not None
    assert len(totals.days) == 28
    assert totals.days[-1] == DEMO_DAY
    assert totals.day_total(27) == window.data.summary.active_us
    assert "active over 1 of 28 days" in window.trends.summary.text()


def test_delete_and_undo(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    lane = window.timeline.lanes[1]
    assert window.data is not None and lane.bucket is not None
    count = len(window.data.by_bucket[lane.bucket])
    window.timeline.zoom_to((lane, 5))
    view = window.timeline.visible_range()
    window.timeline.select((lane, 5))
    deleted = lane.events[5]
    with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000) as blocker:
        qtbot.mouseClick(window.timeline.details.delete_button, Qt.MouseButton.LeftButton)
    events = blocker.args[0].by_bucket[lane.bucket]
    assert len(events) == count - 1 and deleted.id not in {e.id for e in events}
    assert window.timeline.visible_range() == view  # the view stays where it was
    notice = window.timeline.details.notice
    assert notice.label.isVisible() and notice.label.text().startswith("Deleted “")
    # Undo on the notice puts it back (under a new id), still without moving the view.
    with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000) as blocker:
        qtbot.mouseClick(notice.undo_button, Qt.MouseButton.LeftButton)
    events = blocker.args[0].by_bucket[lane.bucket]
    assert len(events) == count
    assert [(e.start_us, e.end_us, e.data) for e in events if e.start_us == deleted.start_us] == [
        (deleted.start_us, deleted.end_us, deleted.data)
    ]
    assert window.timeline.visible_range() == view
    assert not notice.label.isVisible()


def test_lod_binning_bounds_rect_count() -> None:
    from timelygator.core.event import Event

    events = [
        Event(i * 1_000_000, i * 1_000_000 + 900_000, {"app": str(i % 7)}) for i in range(100_000)
    ]
    lane: Lane = make_lane("w", "window", "b", events, lambda e: e.data["app"])
    binned = bin_lane(lane, 0, 100_000, 1000)
    assert binned.x.size <= 1000
    zoomed = bin_lane(lane, 500, 600, 1000)
    assert zoomed.x.size == 101  # each span is wider than a pixel: kept exactly
    assert lane.index_at(500.5) == 500
    assert lane.index_at(500.95) is None


def _fmt(us: int) -> str:
    from timelygator.core.analytics.report import format_duration

    return format_duration(us)


def test_date_range_labels_and_shift() -> None:
    day = DateRange.around(DEMO_DAY, RangeMode.DAY)
    assert day.shifted(1).first == DEMO_DAY + timedelta(days=1)
    week = DateRange.around(DEMO_DAY, RangeMode.WEEK, week_start=6)
    assert week.first.weekday() == 6 and week.days == 7
    month = DateRange.around(DEMO_DAY, RangeMode.MONTH)
    assert month.label() == "March 2025"
    assert month.shifted(-1).label() == "February 2025"


def test_timeline_empty_states(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Before data: "Loading…"; a range without activity: a sentence, not bare axes."""
    from timelygator.gui.range_data import RangeData
    from timelygator.gui.timeline_view import TimelineView

    view = TimelineView()
    qtbot.addWidget(view)
    view.show()
    assert view.empty_label.isVisible()
    assert view.empty_label.text() == "Loading…"
    assert not view.plot.isVisible()
    day = DateRange.around(DEMO_DAY, RangeMode.DAY)
    start, end = day.bounds_us()
    view.set_data(RangeData(range=day, start_us=start, end_us=end))
    assert view.empty_label.text() == "No activity recorded in this range."
    assert view.empty_label.isVisible()
    assert not view.plot.isVisible()
    assert view.details.isVisible()  # "Add manual entry" stays reachable


def test_activity_totals_come_before_the_timeline_events(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A month's totals are shown from the summary load; the full load brings the same."""
    with qtbot.waitSignal(window.sig_summary_loaded, timeout=10_000) as quick:
        window.navigator.set_mode(RangeMode.MONTH)
    first = quick.args[0]
    assert first.by_bucket == {}  # no events were read for it
    shown = window.activity.active_card.value.text()
    assert shown != "0s" and first.summary.active_us > 0
    if window.data is None or window.data.range != first.range:
        with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
            pass
    full = window.data
    assert full is not None and full.range == first.range
    # The same totals (the full load adds the pieces the timeline's category lane draws).
    assert replace(full.summary, active_events=[]) == first.summary
    assert full.event_count == first.event_count == 0  # neither reads an event for a month
    assert window.activity.active_card.value.text() == shown


def test_trends_of_history_never_looked_at_appear_in_parts(
    qtbot: QtBot, services: Services, runner: TaskRunner
) -> None:
    from timelygator.core.analytics.localdays import AnalyticsSettings
    from timelygator.gui.demo_data import recent_days, store_days

    store_days(services, recent_days(DEMO_DAY, 28), weekends=True)  # just imported
    window = open_window(qtbot, services, DEMO_DAY, runner)
    drawn: list[tuple[int, str]] = []
    window.trends.sig_drawn.connect(lambda done: drawn.append((done, window.trends.summary.text())))
    with qtbot.waitSignal(window.sig_trends_loaded, timeout=30_000):
        window.tabs.setCurrentWidget(window.trends)
    # The newest two days first, with the progress in words, then the rest.
    assert drawn[0][0] == 2 and "2 of 28 days done" in drawn[0][1]
    assert drawn[-1][0] == 28 and "Working out" not in drawn[-1][1]
    totals = window.trends.totals
    assert totals is not None and window.session is not None
    expected = services.analytics.daily_trend(
        services.user_id,
        totals.days[0],
        totals.days[-1],
        AnalyticsSettings(day_start_s=4 * 3600),
        categories=window.session.categories,
    )
    assert [totals.day_total(i) for i in range(28)] == [expected.day_total(i) for i in range(28)]
    assert all(totals.day_total(i) > 0 for i in range(28))


def test_a_month_never_looked_at_is_worked_out_in_parts(
    qtbot: QtBot, services: Services, runner: TaskRunner
) -> None:
    from timelygator.gui.demo_data import recent_days, store_days

    store_days(services, recent_days(DEMO_DAY, 31), weekends=True)  # just imported
    window = open_window(qtbot, services, DEMO_DAY, runner)
    from timelygator.gui.range_data import load_summary

    with qtbot.waitSignal(window.sig_range_loaded, timeout=60_000):
        window.navigator.set_mode(RangeMode.MONTH)
        # The newest days first: their totals and the progress, in words, while the rest goes.
        qtbot.waitUntil(lambda: "days done" in window.status_label.text(), timeout=60_000)
        progress = window.status_label.text()
        assert window.timeline.empty_label.text() == progress
        assert window.activity.active_card.value.text() != "–"  # noqa: RUF001
    month = window.navigator.range
    # "2 of 31" after the newest two days (or, on a slow machine, already a later part).
    assert re.fullmatch(
        f"Working out the statistics of {month.label()}: (2|9|31) of 31 days done, newest first…",
        progress,
    )
    qtbot.waitUntil(lambda: window.data is not None and window.data.summary_loaded, timeout=10_000)
    # At the end: the whole month, as a plain load of it gives.
    assert window.data is not None and window.session is not None
    again = load_summary(services, month, window.session.categories)
    assert window.data.summary.active_us == again.summary.active_us > 0
    assert len(window.timeline.lanes) == 31
