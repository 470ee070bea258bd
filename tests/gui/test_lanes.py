"""Lanes say what they show: one per watcher kind and host, manual entries on their own, a
host filter, the category lane leading to the spans it comes from, and one row per day for a
week or a month (a day's name opens it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.date_range import RangeMode
from timelygator.gui.edit_commands import MANUAL_TYPE
from timelygator.gui.main_window import MainWindow
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import open_window

DAY = date(2025, 3, 4)  # a Tuesday


def _us(day: date, hour: float) -> int:
    return to_us(datetime.combine(day, datetime.min.time()).astimezone()) + round(hour * 3.6e9)


def _bucket(services: Services, name: str, kind: str, host: str) -> int:
    return services.ensure_bucket(name, type=kind, client="test", hostname=host)


@pytest.fixture
def two_hosts(services: Services) -> Services:
    """A desk and a laptop with their own watchers, and one manual entry."""
    for host, app, hours in (("desk", "code", (9, 11)), ("laptop", "vlc", (13, 14))):
        window = _bucket(services, f"aw-watcher-window_{host}", "currentwindow", host)
        afk = _bucket(services, f"aw-watcher-afk_{host}", "afkstatus", host)
        for day in (DAY - timedelta(days=1), DAY):
            start, end = _us(day, hours[0]), _us(day, hours[1])
            services.writer.insert_events(
                window, [Event(start, end, {"app": app, "title": f"{app} work"})]
            ).result(10)
            services.writer.insert_events(afk, [Event(start, end, {"status": "not-afk"})]).result(
                10
            )
    manual = _bucket(services, "timelygator-manual_desk", MANUAL_TYPE, "desk")
    services.writer.insert_events(
        manual,
        [Event(_us(DAY, 16), _us(DAY, 16.5), {"app": "Manual entry", "title": "Call",
                                              "$manual": True})],
    ).result(10)  # fmt: skip
    return services


@pytest.fixture
def window(qtbot, two_hosts: Services, runner: TaskRunner) -> MainWindow:  # type: ignore[no-untyped-def]
    return open_window(qtbot, two_hosts, DAY, runner)


def _titles(window: MainWindow) -> list[str]:
    return [lane.title for lane in window.timeline.lanes]


def test_one_lane_per_kind_and_host_and_a_manual_lane(window: MainWindow) -> None:
    assert _titles(window) == [
        "Categories",
        "Window — desk",
        "Window — laptop",
        "Manual",
        "Away — desk",
        "Away — laptop",
    ]
    assert window.host_filter.isVisibleTo(window)
    hosts = [window.host_filter.itemText(i) for i in range(window.host_filter.count())]
    assert hosts == ["All computers", "desk", "laptop"]


def test_the_host_filter_shows_one_computer(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert window.data is not None
    all_active = window.data.summary.active_us
    assert all_active == round(3.5 * 3.6e9)  # 2 h desk + 1 h laptop + the half-hour call
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        window.host_filter.setCurrentIndex(window.host_filter.findText("laptop"))
    assert _titles(window) == ["Categories", "Window — laptop", "Away — laptop"]
    assert window.data is not None
    assert window.data.summary.active_us == round(3.6e9)
    assert window.activity.active_card.value.text() == "1h 00m"
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        window.host_filter.setCurrentIndex(0)
    assert window.data is not None
    assert window.data.summary.active_us == all_active


def test_a_category_piece_selects_the_span_it_comes_from(window: MainWindow) -> None:
    timeline = window.timeline
    category = timeline.lanes[0]
    index = next(i for i, e in enumerate(category.events) if e.data.get("app") == "code")
    timeline.select_at((category.starts[index] + category.ends[index]) / 2, 0.5)
    assert timeline.selected is not None
    lane, picked = timeline.selected
    assert lane.title == "Window — desk"
    assert lane.events[picked].data["app"] == "code"
    text = timeline.details.text.text()
    assert "this is the span it comes from" in text
    assert timeline.details.edit_button.isEnabled()


def test_a_week_is_one_row_per_day_and_a_name_opens_the_day(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        window.navigator.set_mode(RangeMode.WEEK)
    timeline = window.timeline
    monday = DAY - timedelta(days=1)
    assert _titles(window) == [
        f"{monday + timedelta(days=i):%a} {(monday + timedelta(days=i)).day} "
        f"{monday + timedelta(days=i):%b}"
        for i in range(7)
    ]
    # Rows share one clock: 09:00 on Monday lines up with 09:00 on Tuesday.
    monday_row, tuesday_row = timeline.lanes[0], timeline.lanes[1]
    assert tuesday_row.starts[0] == pytest.approx(monday_row.starts[0])
    tuesday_active = sum(
        float(e - s) for s, e in zip(tuesday_row.starts, tuesday_row.ends, strict=True)
    )
    assert tuesday_active == pytest.approx(3.5 * 3600)
    # Clicking Tuesday's name (left of the plot) opens that day.
    axis = timeline.plot.getPlotItem().getAxis("left")
    scene = axis.mapToScene(QPointF(axis.boundingRect().center().x(), 0))
    row_scene = timeline.view_box.mapViewToScene(QPointF(0, 1.5))
    at = timeline.plot.mapFromScene(QPointF(scene.x(), row_scene.y()))
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        qtbot.mouseClick(timeline.plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert window.navigator.range.mode is RangeMode.DAY
    assert window.navigator.range.first == DAY


def test_a_host_that_appears_while_shown_joins_the_filter(
    window: MainWindow, two_hosts: Services, qtbot: QtBot
) -> None:
    tablet = _bucket(two_hosts, "aw-watcher-window_tablet", "currentwindow", "tablet")
    with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000):
        two_hosts.writer.insert_events(
            tablet, [Event(_us(DAY, 20), _us(DAY, 21), {"app": "reader", "title": "book"})]
        ).result(10)
    hosts = [window.host_filter.itemText(i) for i in range(window.host_filter.count())]
    assert hosts == ["All computers", "desk", "laptop", "tablet"]
    assert "Window — tablet" in _titles(window)


def test_months_on_end_are_drawn_hour_by_hour(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from timelygator.gui.date_range import DateRange

    first = DAY - timedelta(days=69)
    with qtbot.waitSignal(window.sig_range_loaded, timeout=20_000):
        window.navigator.set_range(DateRange(RangeMode.CUSTOM, first, DAY, 4))
    lanes = window.timeline.lanes
    assert len(lanes) == 70 and lanes[-1].day == DAY
    tuesday = lanes[-1]
    # 09-11 code on the desk, 13-14 the laptop, 16:00-16:30 the call: hour blocks.
    assert tuesday.size == 4
    assert float((tuesday.ends - tuesday.starts).sum()) == pytest.approx(3.5 * 3600)
    text = window.timeline.describe(tuesday, 0)
    assert "Title: 09:00–10:00: 1h 00m active (Work 1h 00m)" in text  # noqa: RUF001
    assert "Category: Work" in text
