"""A person's day with tracking running: the real app, a fake clock and a fake window
watcher feeding live heartbeats into today, every step done with the mouse and keyboard.

Live refreshes and edits never move the view, drop the selection or the hover; a view left
at the latest activity follows it.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDialogButtonBox
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import Preferences, save_preferences
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.edit_dialogs import EditEventDialog
from timelygator.gui.main_window import MainWindow
from timelygator.gui.timeline_model import Lane
from timelygator.watchers.config import afk_bucket, default_hostname, window_bucket
from timelygator.watchers.headless import Probes
from timelygator.watchers.probes import WindowInfo

from tests.gui.app_helpers import dialog_button, finish_app, start_app

TODAY = date(2025, 6, 10)  # a Tuesday; the fake clock says it is 12:00 on it
HOST = default_hostname()


class FlowingClock:
    """Starts at a fixed moment and runs at the speed of real time."""

    def __init__(self, start: datetime) -> None:
        self._start_us = to_us(start.astimezone())
        self._t0 = time.perf_counter()

    def now_us(self) -> int:
        return self._start_us + round((time.perf_counter() - self._t0) * 1_000_000)


class TypingWindow:
    """The person types into an editor, switching notes every 40 looks."""

    def __init__(self) -> None:
        self.looks = 0

    def active_window(self) -> WindowInfo:
        self.looks += 1
        return WindowInfo("editor", f"notes {self.looks // 40}.md - Editor")


class Present:
    def seconds_since_input(self) -> float:
        return 0.0


def _at(hour: int, minute: int, second: int = 0) -> int:
    return to_us(datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute, second).astimezone())


@pytest.fixture
def app(dirs: AppDirs, tmp_path: Path, qtbot) -> AppController:  # type: ignore[no-untyped-def]
    """This morning's history (09:00-11:59), then the app with live tracking at noon."""
    with Services.open(dirs, None) as services:
        prefs = Preferences()
        prefs.watchers.window_poll_s = prefs.watchers.afk_poll_s = 0.05
        prefs.watchers.web_enabled = False
        save_preferences(services.writer, services.user_id, prefs).result(10)
        window = services.ensure_bucket(
            window_bucket(HOST), type="currentwindow", client="aw-watcher-window", hostname=HOST
        )
        afk = services.ensure_bucket(
            afk_bucket(HOST), type="afkstatus", client="aw-watcher-afk", hostname=HOST
        )
        apps = ["browser", "terminal", "mail"]
        morning = [
            Event(_at(9, 0) + i * 180_000_000, _at(9, 0) + (i + 1) * 180_000_000 - 5_000_000,
                  {"app": apps[i % 3], "title": f"{apps[i % 3]} {i}"})
            for i in range(59)
        ]  # fmt: skip
        services.writer.insert_events(window, morning).result(10)
        services.writer.insert_events(
            afk, [Event(_at(9, 0), _at(11, 59, 55), {"status": "not-afk"})]
        ).result(10)
    controller = AppController(
        dirs,
        probes=Probes(window=TypingWindow(), idle=Present()),
        autostart=Autostart("linux", home=tmp_path, environ={}),
        clock=FlowingClock(datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0)),
    )
    controller.window.live_interval_ms = 100
    controller.window.resize(1400, 900)
    start_app(controller, qtbot)
    qtbot.waitUntil(lambda: controller.window.data is not None, timeout=20_000)
    return controller


def _refreshes(window: MainWindow, qtbot, count: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(count):
        with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000):
            pass


def _pixel(window: MainWindow, x: float, row: int) -> QPointF:
    """Where a point of the timeline (seconds, lane) is on the plot's viewport."""
    timeline = window.timeline
    scene = timeline.view_box.mapViewToScene(QPointF(x, row + 0.5))
    return QPointF(timeline.plot.mapFromScene(scene))


def _lane(window: MainWindow, title_start: str) -> tuple[int, Lane]:
    for row, lane in enumerate(window.timeline.lanes):
        if lane.title.startswith(title_start):
            return row, lane
    raise AssertionError(f"no lane {title_start!r} in {[x.title for x in window.timeline.lanes]}")


def _approx(view: tuple[float, float]):  # type: ignore[no-untyped-def]
    return pytest.approx(view, abs=1e-3)


def test_today_with_live_tracking_keeps_what_the_person_did(app: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = app.window
    timeline = window.timeline
    assert window.navigator.range.first == TODAY  # the fake clock's today
    row, lane = _lane(window, "Window — ")

    # 1. The first view shows the day so far and grows with the live edge.
    x0, x1 = timeline.visible_range()
    _refreshes(window, qtbot, 3)
    g0, g1 = timeline.visible_range()
    assert g0 == pytest.approx(x0) and g1 > x1

    # 2. Zoom in (keyboard) and pan back into the morning: away from the live edge.
    timeline.plot.setFocus()
    for _ in range(3):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_Plus)
    for _ in range(4):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_Left)
    view = timeline.visible_range()
    assert view[1] < _at(11, 59) / 1e6

    # 3. Click a span of the morning, then rest the pointer on another one.
    row, lane = _lane(window, "Window — ")
    visible = [i for i in range(lane.size) if view[0] < lane.starts[i] and lane.ends[i] < view[1]]
    picked, hovered = visible[0], visible[1]
    middle = (lane.starts[picked] + lane.ends[picked]) / 2
    at = _pixel(window, middle, row).toPoint()
    qtbot.mouseClick(timeline.plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert timeline.selected is not None
    chosen = timeline.selected[0].events[timeline.selected[1]]
    assert chosen.data["title"] == lane.events[picked].data["title"]
    over = (lane.starts[hovered] + lane.ends[hovered]) / 2
    qtbot.mouseMove(timeline.plot.viewport(), _pixel(window, over, row).toPoint())
    qtbot.waitUntil(lambda: timeline.hover_text != "", timeout=5000)
    hover = timeline.hover_text
    assert lane.events[hovered].data["title"] in hover

    # 4. Ten live refreshes: nothing the person did moves.
    _refreshes(window, qtbot, 10)
    assert timeline.visible_range() == _approx(view)
    assert timeline.selected is not None
    assert timeline.selected[0].events[timeline.selected[1]].id == chosen.id
    assert chosen.data["title"] in timeline.details.text.text()
    assert timeline.hover_text == hover
    _row, live = _lane(window, "Window — ")
    assert live.events[-1].data["app"] == "editor"  # the live spans are there

    # 5. Rename the selected span with its button: the view and the selection stay.
    qtbot.mouseClick(timeline.details.edit_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, EditEventDialog) and dialog.isVisible()
    dialog.name.setText("Planning notes")
    with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000):
        qtbot.mouseClick(
            dialog_button(dialog, QDialogButtonBox.StandardButton.Ok),
            Qt.MouseButton.LeftButton,
        )
    qtbot.waitUntil(lambda: "Planning notes" in timeline.details.text.text(), timeout=10_000)
    assert timeline.visible_range() == _approx(view)
    assert timeline.selected[0].events[timeline.selected[1]].id == chosen.id

    # 6. Undo the rename (Edit > Undo), then delete with the button and undo on the notice:
    # the view never moves.
    assert window.undo_action.text() == "&Undo Edit span"
    with qtbot.waitSignal(window.sig_range_refreshed, timeout=10_000):
        window.undo_action.trigger()
    qtbot.waitUntil(lambda: chosen.data["title"] in timeline.details.text.text(), timeout=10_000)
    qtbot.mouseClick(timeline.details.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: all(e.id != chosen.id for e in _lane(window, "Window — ")[1].events),
        timeout=10_000,
    )
    assert timeline.visible_range() == _approx(view)
    qtbot.mouseClick(timeline.details.notice.undo_button, Qt.MouseButton.LeftButton)
    title = chosen.data["title"]
    qtbot.waitUntil(
        lambda: any(e.data.get("title") == title for e in _lane(window, "Window — ")[1].events),
        timeout=10_000,
    )
    assert timeline.visible_range() == _approx(view)

    # 7. The whole range (0); then, zoomed in, the latest activity (End): that view moves
    # along with new activity at its zoom.
    qtbot.keyClick(timeline.plot, Qt.Key.Key_0)
    assert timeline.visible_range() == _approx(timeline.x_bounds())
    for _ in range(6):
        qtbot.keyClick(timeline.plot, Qt.Key.Key_Plus)
    qtbot.keyClick(timeline.plot, Qt.Key.Key_End)
    e0, e1 = timeline.visible_range()
    _refreshes(window, qtbot, 3)
    f0, f1 = timeline.visible_range()
    assert f1 > e1 and f0 > e0
    assert f1 - f0 == pytest.approx(e1 - e0)
    finish_app(app, qtbot)
