"""The main window: date navigator, Timeline / Activity / Trends / Search tabs."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QWidget,
)
from timelygator.core.analytics.report import format_duration
from timelygator.core.analytics.trends import DailyTotals
from timelygator.core.categories.model import Category
from timelygator.core.errors import TimelyGatorError
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.sync.protocol import is_pulled
from timelygator.core.timeutil import Clock
from timelygator.core.writer import Change
from timelygator.gui import heap
from timelygator.gui.activity_view import ActivityView
from timelygator.gui.busy_panel import BusyPanel
from timelygator.gui.change_bridge import ChangeBridge
from timelygator.gui.date_navigator import DateNavigator
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.edit_commands import (
    MANUAL_TYPE,
    AddEventCommand,
    DeleteEventCommand,
    EventEditor,
    UpdateEventCommand,
    manual_bucket_name,
)
from timelygator.gui.edit_dialogs import AddEntryDialog, EditEventDialog
from timelygator.gui.insights_controller import InsightsController
from timelygator.gui.live_update import PendingChanges, refresh_range
from timelygator.gui.range_data import (
    RangeData,
    analytics_settings,
    load_range,
    load_summary,
    parts_to_work_out,
    work_out,
)
from timelygator.gui.search_task import exact, run_search
from timelygator.gui.search_view import SearchView
from timelygator.gui.session import Session
from timelygator.gui.tasks import TaskRunner
from timelygator.gui.timeline_model import event_label
from timelygator.gui.timeline_view import TimelineView
from timelygator.gui.trends_view import (
    TrendsPlan,
    TrendsView,
    empty_totals,
    load_part,
    merge_part,
    plan_trends,
    trend_colors,
    trends_range,
)

log = logging.getLogger(__name__)

CLOSE_KEY = "main_window/close_without_tray"  # "minimize" or "quit", once answered


class MainWindow(QMainWindow):
    """Shows one date range in four views; all data comes from workers."""

    sig_summary_loaded = Signal(object)
    """The Activity view shows a range's totals; its events may still be loading (RangeData)."""
    sig_range_loaded = Signal(object)
    """A range finished loading and every view shows it (RangeData)."""
    sig_range_refreshed = Signal(object)
    """Committed changes were merged into the range on screen (RangeData)."""
    sig_trends_loaded = Signal()
    """The trends chart was drawn."""
    sig_search_done = Signal()
    """A search finished and its results are shown."""
    sig_settings_requested = Signal()
    """The user asked for the settings dialog."""
    sig_quit_requested = Signal()
    """The user asked to quit the app (not just close the window)."""
    sig_hidden_to_tray = Signal()
    """The window was closed while tracking continues in the tray."""
    sig_minimized_tracking = Signal()
    """The window was closed on a desktop without a tray: minimized, still tracking."""

    def __init__(
        self,
        runner: TaskRunner,
        settings: QSettings | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        """``today`` fixes the day the navigator calls today (tests); ``clock`` gives it
        otherwise (the system clock by default)."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("TimelyGator")
        self.runner = runner
        self.settings = settings
        self.session: Session | None = None
        self.data: RangeData | None = None
        self.has_tray = False  # closing hides to the tray (else: minimize or quit)
        self.quitting = False  # the app is quitting: the window really closes
        self.undo_stack = QUndoStack(self)
        self.editor: EventEditor | None = None
        self.navigator = DateNavigator(today, clock=clock)
        self.live_interval_ms = 1000  # live changes are merged at most this often
        self.timeline = TimelineView()
        self.activity = ActivityView()
        self.trends = TrendsView()
        self.search = SearchView()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.activity, "Activity")
        self.tabs.addTab(self.trends, "Trends")
        self.tabs.addTab(self.search, "Search")
        self.busy = BusyPanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.busy)
        self.setCentralWidget(self.stack)
        toolbar = QToolBar("Navigation")
        toolbar.setObjectName("navigationBar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.navigator)
        self.host_filter = QComboBox()
        self.host_filter.setObjectName("hostFilter")
        self.host_filter.setToolTip("Show every computer's data together, or one computer's")
        self.host_filter.addItem("All computers", ())
        self._host_action = toolbar.addWidget(self.host_filter)
        self._host_action.setVisible(False)  # shown once there is more than one host
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.addToolBar(toolbar)
        self.status_label = QLabel("Opening your data…")
        self.tracking_label = QLabel("")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.tracking_label)
        self._trends_key: tuple[DateRange, tuple[str, ...]] | None = None
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(0)
        self._reload_timer.timeout.connect(self.reload)
        self._make_actions()
        self.navigator.sig_range_changed.connect(lambda _r: self._reload_timer.start())
        self.host_filter.currentIndexChanged.connect(lambda _i: self.reload(keep_view=True))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.activity.sig_filter_requested.connect(self.show_matching_events)
        self.search.sig_search_requested.connect(self.run_search)
        self.search.sig_event_activated.connect(self._show_event_on_timeline)
        self.timeline.details.sig_edit_requested.connect(self.edit_selected)
        self.timeline.details.sig_delete_requested.connect(self.delete_selected)
        self.timeline.details.sig_add_requested.connect(self.add_entry)
        self.timeline.details.notice.sig_undo_requested.connect(self._undo_delete)
        self._last_delete: DeleteEventCommand | None = None
        self._pending_select: Event | None = None
        self.dialog: QDialog | None = None
        self.timeline.sig_day_requested.connect(self.navigator.show_day)
        self.bridge: ChangeBridge | None = None
        self._pending = PendingChanges()
        self._loading = False
        self._refreshing = False
        self._keep_view = False
        self._summary_data: RangeData | None = None
        self._range_request = 0
        self._working_out = False  # a range's statistics are being worked out in parts
        self.last_draw_ms = 0.0
        self.insights = InsightsController(self)
        self.resize(1280, 800)
        if settings is not None:
            geometry = settings.value("main_window/geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)

    # -- actions and shortcuts --------------------------------------------------------------
    def _action(self, text: str, shortcut: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(
            self._action(
                "&Settings…", QKeySequence.StandardKey.Preferences, self.sig_settings_requested
            )
        )
        file_menu.addAction(
            self._action("&Close window", QKeySequence.StandardKey.Close, self.close)
        )
        file_menu.addAction(
            self._action(
                "&Quit TimelyGator", QKeySequence.StandardKey.Quit, self.sig_quit_requested
            )
        )
        edit_menu = menu.addMenu("&Edit")
        undo = self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action("&Add manual entry…", "Ctrl+N", self.add_entry))
        edit_menu.addAction(
            self._action("&Find…", QKeySequence.StandardKey.Find, self.focus_search)
        )
        go = menu.addMenu("&Go")
        go.addAction(self._action("&Previous", "Alt+Left", lambda: self.navigator.step(-1)))
        go.addAction(self._action("&Next", "Alt+Right", lambda: self.navigator.step(1)))
        go.addAction(self._action("&Today", "Ctrl+T", self.navigator.go_today))
        go.addSeparator()
        for text, key, mode in (
            ("&Day", "Ctrl+Shift+D", RangeMode.DAY),
            ("&Week", "Ctrl+Shift+W", RangeMode.WEEK),
            ("&Month", "Ctrl+Shift+M", RangeMode.MONTH),
        ):
            go.addAction(
                self._action(text, key, lambda _c=False, m=mode: self.navigator.set_mode(m))
            )
        go.addAction(self._action("&Refresh", QKeySequence.StandardKey.Refresh, self.reload))
        view = menu.addMenu("&View")
        for index, name in enumerate(("&Timeline", "&Activity", "T&rends", "&Search")):
            view.addAction(
                self._action(
                    name, f"Alt+{index + 1}", lambda _c=False, i=index: self.tabs.setCurrentIndex(i)
                )
            )

    # -- session ----------------------------------------------------------------------------
    def show_busy(self, title: str, detail: str) -> None:
        """Replace the views with a "please wait" panel (e.g. a database upgrade)."""
        self.busy.set_text(title, detail)
        self.stack.setCurrentWidget(self.busy)
        self.status_label.setText(title)

    def hide_busy(self) -> None:
        self.stack.setCurrentWidget(self.tabs)

    def attach(self, session: Session) -> None:
        """Start showing data from an opened data directory (again after settings changed:
        the view the person left stays where it was)."""
        self.hide_busy()
        again = self.session is session
        self.session = session
        general = session.preferences.general
        self.navigator.blockSignals(True)  # this attach loads the range itself
        self.navigator.set_preferences(general.week_start, general.day_start_hour)
        self.navigator.blockSignals(False)
        if not again:
            if self.bridge is not None:
                self.bridge.stop()
            self.bridge = ChangeBridge(session.services.writer, self.live_interval_ms, parent=self)
            self.bridge.sig_changes.connect(self.apply_changes)
            self.editor = EventEditor(session.services, self.runner)
        self.reload(keep_view=again)

    def detach(self) -> None:
        """Stop listening for changes (the data directory is closing)."""
        if self.bridge is not None:
            self.bridge.stop()

    @property
    def services(self) -> Services | None:
        return self.session.services if self.session is not None else None

    def reload(self, keep_view: bool = False) -> None:
        """Load the navigator's range on a worker; an older load still running is dropped.

        ``keep_view``: the same range read again (settings changed): zoom, pan and the
        selection stay as the person left them.
        """
        self._reload_timer.stop()
        session = self.session
        if session is None:
            return
        rng = self.navigator.range
        categories = list(session.categories)
        hosts = self.hosts()
        self._keep_view = keep_view
        self._loading = True
        # Every change delivered so far was committed before this load reads: it is in it.
        self._pending = PendingChanges()
        self._working_out = False
        self._summary_data = None  # only this request's totals may join its timeline
        if not keep_view:
            self.status_label.setText(f"Loading {rng.label()}…")
        self._load_started = time.perf_counter()
        services = session.services
        settings = analytics_settings(rng, hosts)

        def planned(parts: list[tuple[date, date]]) -> None:
            if parts:
                self._work_out(parts, rng, categories, hosts)  # trends follow when done
                return
            self._load(rng, categories, hosts)
            if self.tabs.currentWidget() is self.trends:
                self.load_trends()

        # Is the range's history worked out? (One query; else it is done in parts.)
        self.runner.run(
            "summary",
            lambda: parts_to_work_out(services, rng.first, rng.last, settings, categories),
            planned,
            self._on_load_failed,
        )
        self._trends_key = None  # the trends of this range are loaded once it is planned

    def _load(self, rng: DateRange, categories: list[Category], hosts: tuple[str, ...]) -> None:
        """The totals first (a fraction of a second), then what the timeline draws: after
        them, since the timeline's categories come from what the totals worked out."""
        session = self.session
        assert session is not None
        services = session.services
        runner = self.runner
        wanted = runner.generation("range") + 1  # the generation the timeline's request gets
        self._range_request = wanted

        def then_timeline(data: RangeData | None = None) -> None:
            if data is not None:
                self._on_summary_loaded(data)
            if self._range_request != wanted:
                return  # a newer load took over
            runner.run(
                "range",
                lambda: load_range(
                    services,
                    rng,
                    categories,
                    lambda: runner.generation("range") == wanted,
                    hosts,
                    with_summary=False,  # the totals came from the summary load
                ),
                self._on_range_loaded,
                self._on_load_failed,
            )

        def failed(exc: BaseException) -> None:
            self._on_load_failed(exc)
            then_timeline()

        runner.run("summary", lambda: load_summary(services, rng, categories, hosts),
                   then_timeline, failed)  # fmt: skip

    def _work_out(
        self,
        parts: list[tuple[date, date]],
        rng: DateRange,
        categories: list[Category],
        hosts: tuple[str, ...],
    ) -> None:
        """History nobody has looked at yet: its statistics part by part (newest first), the
        totals so far and the progress shown after each; then the range as usual."""
        if not parts:
            self._working_out = False
            self._load(rng, categories, hosts)
            if self.tabs.currentWidget() is self.trends:
                self.load_trends()
            return
        self._working_out = True
        part, rest = parts[0], parts[1:]
        session = self.session
        assert session is not None
        services = session.services

        def shown(data: RangeData) -> None:
            self.activity.set_data(data)
            days = (rng.last - part[0]).days + 1
            text = (
                f"Working out the statistics of {rng.label()}: "
                f"{days} of {rng.days} days done, newest first…"
            )
            self.status_label.setText(text)
            self.timeline.show_progress(text)
            self.trends.summary.setText(text)
            self._working_out = bool(rest)
            self._work_out(rest, rng, categories, hosts)

        self.runner.run(
            "summary",
            lambda: work_out(services, rng, categories, part, hosts),
            shown,
            self._on_load_failed,
        )

    def _on_summary_loaded(self, data: RangeData) -> None:
        self._summary_data = data
        self.activity.set_data(data)  # the same totals the full load brings, seconds earlier
        current = self.data
        if current is not None and not current.summary_loaded and _same(current, data):
            self._take_summary(current, data)  # the timeline was drawn first
            self._show_status(current)
        self.sig_summary_loaded.emit(data)

    @staticmethod
    def _take_summary(into: RangeData, source: RangeData) -> None:
        summary = replace(source.summary, active_events=into.summary.active_events)
        into.summary = summary
        into.summary_loaded = True

    def hosts(self) -> tuple[str, ...]:
        """The hosts the views show (empty: every host, merged)."""
        return tuple(self.host_filter.currentData() or ())

    def _show_hosts(self, hosts: list[str]) -> None:
        """The host filter lists every host with data; it shows when there are several."""
        known = [self.host_filter.itemData(i) for i in range(1, self.host_filter.count())]
        if known != [(h,) for h in hosts]:
            current = self.hosts()
            self.host_filter.blockSignals(True)
            while self.host_filter.count() > 1:
                self.host_filter.removeItem(1)
            for host in hosts:
                self.host_filter.addItem(host, (host,))
            index = self.host_filter.findData(current) if current else 0
            self.host_filter.setCurrentIndex(max(0, index))
            self.host_filter.blockSignals(False)
        self._host_action.setVisible(len(hosts) > 1)

    def _on_range_loaded(self, data: RangeData) -> None:
        self._loading = False
        quick = self._summary_data
        if not data.summary_loaded and quick is not None and _same(data, quick):
            self._take_summary(data, quick)
        self.data = data
        self._show_hosts(data.all_hosts)
        started = time.perf_counter()
        self.timeline.set_data(data, keep_view=self._keep_view)
        if data.summary_loaded:
            self.activity.set_data(data)
        self.last_draw_ms = (time.perf_counter() - started) * 1000
        log.debug(
            "%s: read %.0f ms, computed %.0f ms, drawn %.0f ms (%.0f ms in all)",
            data.range.label(), data.read_ms, data.compute_ms,
            self.last_draw_ms, (time.perf_counter() - self._load_started) * 1000,
        )  # fmt: skip
        self._show_status(data)
        if self._pending_select is not None:
            self.timeline.show_span(self._pending_select)
            self._pending_select = None
        self.sig_range_loaded.emit(data)
        self.insights.range_loaded(data)
        self._refresh_if_needed()

    def _show_status(self, data: RangeData) -> None:
        """What a person wants to know about the range, in words (timings go to the log)."""
        if not data.summary_loaded:
            return  # the totals are on their way
        active, away = data.summary.active_us, data.summary.afk_us
        if active:
            text = f"{data.range.label()}: {format_duration(active)} active"
        elif away:
            text = f"{data.range.label()}: no active time, {format_duration(away)} away"
        else:
            text = f"{data.range.label()}: nothing recorded"
        self.status_label.setText(text)

    # -- live changes -------------------------------------------------------------------------
    def apply_changes(self, changes: list[Change]) -> None:
        """Committed changes (from the watchers, the API or an edit here): merged into what
        is shown when they touch it, one refresh at a time."""
        self._pending.add(changes)
        self._refresh_if_needed()

    def _refresh_if_needed(self) -> None:
        data, session = self.data, self.session
        if self._loading or self._refreshing or data is None or session is None:
            return
        if not self._pending:
            return
        pending, self._pending = self._pending, PendingChanges()
        if not pending.touches(data.start_us, data.end_us):
            return
        categories = list(session.categories)
        self._refreshing = True
        self.runner.run(
            "range",
            lambda: refresh_range(session.services, data, pending, categories),
            self._on_refreshed,
            self._on_refresh_failed,
        )

    def _on_refreshed(self, data: RangeData) -> None:
        self._refreshing = False
        if self._loading:
            return  # a newer load is coming (this result was based on what it replaces)
        self.data = data
        self._show_hosts(data.all_hosts)  # a watcher of another host may have appeared
        self.timeline.set_data(data, keep_view=True)
        self.activity.set_data(data)
        self._show_status(data)
        if self.tabs.currentWidget() is self.trends:
            self._trends_key = None
            self.load_trends()
        self.sig_range_refreshed.emit(data)
        self._refresh_if_needed()

    def _on_refresh_failed(self, exc: BaseException) -> None:
        self._refreshing = False
        log.error("Merging new data into the view failed: %r", exc)
        self.reload(keep_view=True)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._loading = False
        message = str(exc) if isinstance(exc, TimelyGatorError) else f"Loading failed: {exc!r}"
        self.status_label.setText(message)
        log.error("Loading a range failed: %s", message)
        if not isinstance(exc, TimelyGatorError):
            self.runner.sig_error.emit(exc)

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.trends:
            self.load_trends()

    def load_trends(self) -> None:
        """Load the Trends chart: at once when the statistics exist, else in parts shown as
        they come (newest first), each part a job on the "trends" channel (a newer request
        drops the rest)."""
        session = self.session
        rng = self.navigator.range
        key = (rng, self.hosts())
        if session is None or self._trends_key == key:
            return
        if self._working_out:
            # The range's statistics are being worked out: the chart follows that (its
            # days are then at hand) instead of working the same days out beside it.
            self.trends.summary.setText(self.status_label.text())
            return
        self._trends_key = key
        services = session.services
        categories = list(session.categories)
        hosts = self.hosts()
        self.trends.summary.setText(f"Loading {trends_range(rng).label()}…")
        state: dict[str, Any] = {}

        def next_part() -> None:
            plan: TrendsPlan = state["plan"]
            if not state["parts"]:
                heap.settle()
                self.sig_trends_loaded.emit()
                return
            part = state["parts"].pop(0)
            self.runner.run(
                "trends",
                lambda: load_part(services, plan, part, categories),
                shown,
                self._on_load_failed,
            )

        def shown(part: DailyTotals) -> None:
            totals = state["totals"] = merge_part(state["totals"], part)
            state["done"] += len(part.days)
            colors = trend_colors(totals, categories)
            self.trends.set_data(totals, colors, state["done"])
            next_part()

        def planned(plan: TrendsPlan) -> None:
            state.update(plan=plan, parts=list(plan.parts), totals=empty_totals(plan.range))
            state["done"] = 0
            next_part()

        self.runner.run(
            "trends", lambda: plan_trends(services, rng, hosts), planned, self._on_load_failed
        )

    # -- search and click-through -------------------------------------------------------------
    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.query.setFocus()
        self.search.query.selectAll()

    def run_search(self, text: str, regex: bool, field: str | None) -> None:
        session = self.session
        if session is None:
            return
        rng = self.navigator.range
        start_us, end_us = rng.bounds_us()
        categories = list(session.categories)

        def shown(result: Any) -> None:
            self.search.show_result(result, rng.label())
            heap.settle()
            self.sig_search_done.emit()

        def failed(exc: BaseException) -> None:
            self.search.show_error(str(exc))
            self.sig_search_done.emit()

        self.runner.run(
            "search",
            lambda: run_search(session.services, start_us, end_us, text, regex, field, categories),
            shown,
            failed,
        )

    def show_matching_events(self, field: str, key: object) -> None:
        """Click-through from a bar: list the events behind it in the Search tab."""
        if field == "category" and isinstance(key, tuple):
            pattern = "^" + exact(" > ".join(key))[1:-1] + "( > |$)"
        else:
            pattern = exact(str(key))
        self.search.set_query(pattern, field, regex=True)
        self.tabs.setCurrentWidget(self.search)
        self.search.submit()

    def _show_event_on_timeline(self, _bucket: str, event: Event) -> None:
        day = datetime.fromtimestamp(event.start_us / 1e6).date()
        if (
            self.navigator.range.day_start_hour
            and datetime.fromtimestamp(event.start_us / 1e6).hour
            < self.navigator.range.day_start_hour
        ):
            day -= timedelta(days=1)
        self.tabs.setCurrentWidget(self.timeline)
        if self.navigator.range.mode is RangeMode.DAY and self.navigator.range.first == day:
            self.timeline.show_span(event)
        else:
            self._pending_select = event
            self.navigator.show_day(day)

    # -- editing --------------------------------------------------------------------------------
    def category_paths(self) -> list[tuple[str, ...]]:
        if self.session is None:
            return []
        return sorted({c.path for c in self.session.categories})

    def _selected_event(self) -> tuple[int, Event] | None:
        if self.timeline.selected is None or self.data is None:
            return None
        lane, index = self.timeline.selected
        bucket = self.data.bucket(lane.bucket) if lane.bucket else None
        event = lane.events[index]
        if bucket is None or event.id is None or is_pulled(bucket.data):
            return None  # another computer's spans are changed on that computer
        original = next((e for e in self.data.by_bucket[bucket.name] if e.id == event.id), event)
        return bucket.key, original

    def edit_selected(self) -> None:
        """Rename or recategorize the selected span (``self.dialog`` until answered)."""
        selected = self._selected_event()
        editor = self.editor
        if selected is None or editor is None:
            return
        bucket_key, event = selected
        dialog = EditEventDialog(event, self.category_paths(), self)
        dialog.accepted.connect(
            lambda: self.undo_stack.push(
                UpdateEventCommand(editor, bucket_key, event, dialog.edited())
            )
        )
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: QDialog) -> None:
        """Show a window-modal question without blocking: live data keeps arriving."""
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def delete_selected(self) -> None:
        selected = self._selected_event()
        if selected is None or self.editor is None:
            return
        bucket_key, event = selected
        self.timeline.select(None)
        command = DeleteEventCommand(self.editor, bucket_key, event)
        self.undo_stack.push(command)
        self._last_delete = command
        label = str(event.data.get("title") or event_label("window", event.data) or "the span")
        shown = label if len(label) <= 40 else label[:39] + "…"
        self.timeline.details.notice.show_message(f"Deleted “{shown}”.")

    def _undo_delete(self) -> None:
        """Undo on the "Deleted" notice: undo that delete if it is still the last command."""
        index = self.undo_stack.index()
        if index > 0 and self.undo_stack.command(index - 1) is self._last_delete:
            self.undo_stack.undo()

    def add_entry(self) -> None:
        """Ask for a manual entry around the middle of the visible time (``self.dialog``)."""
        if self.session is None or self.editor is None:
            return
        x0, x1 = self.timeline.visible_range()
        mid = datetime.fromtimestamp((x0 + x1) / 2).replace(second=0, microsecond=0)
        if self.data is not None and self.data.day_rows:  # the rows share the first day's clock
            mid = datetime.combine(self.navigator.today_fn(), mid.time())
        dialog = AddEntryDialog(mid, mid + timedelta(minutes=30), self.category_paths(), self)
        dialog.accepted.connect(lambda: self.record_entry(dialog.entry()))
        self._open_dialog(dialog)

    def record_entry(self, entry: Event) -> None:
        """Store a manual entry in the manual bucket as an undoable command."""
        session = self.session
        editor = self.editor
        if session is None or editor is None:
            return
        name = manual_bucket_name()
        services = session.services

        def bucket_key() -> int:
            return services.ensure_bucket(
                name, type=MANUAL_TYPE, client="timelygator", hostname=name.split("_", 1)[1]
            )

        self.runner.run(
            "write",
            bucket_key,
            lambda key: self.undo_stack.push(AddEventCommand(editor, key, entry)),
            keep_all=True,
        )

    # -- window -----------------------------------------------------------------------------------
    def set_tracking_text(self, text: str) -> None:
        self.tracking_label.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window never stops tracking silently: with a tray the window hides
        there; without one it is minimized or the app quits, as the person said (asked once;
        ``CLOSE_KEY`` in ui.ini remembers the answer when they tick "Don't ask again")."""
        if self.settings is not None:
            self.settings.setValue("main_window/geometry", self.saveGeometry())
        if self.quitting:
            event.accept()
            return
        event.ignore()
        if self.has_tray:
            self.hide()
            self.sig_hidden_to_tray.emit()
            return
        remembered = str(self.settings.value(CLOSE_KEY, "")) if self.settings else ""
        if remembered == "minimize":
            self._minimize_tracking()
        elif remembered == "quit":
            self.sig_quit_requested.emit()
        else:
            self._ask_close()

    def _ask_close(self) -> None:
        box = QMessageBox(self)
        box.setObjectName("closeQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Keep tracking?")
        box.setText("This desktop has no system tray for TimelyGator's icon.")
        box.setInformativeText(
            "Keep tracking with the window minimized, or quit TimelyGator and stop tracking?"
        )
        keep = box.addButton("Keep tracking", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Quit TimelyGator", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        remember = QCheckBox("Don't ask again")
        box.setCheckBox(remember)

        def answered(_result: int) -> None:
            choice = {keep: "minimize", stop: "quit"}.get(box.clickedButton())  # type: ignore[call-overload]
            if choice is None:
                return
            if remember.isChecked() and self.settings is not None:
                self.settings.setValue(CLOSE_KEY, choice)
            if choice == "minimize":
                self._minimize_tracking()
            else:
                self.sig_quit_requested.emit()

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        self.dialog = box
        box.open()

    def _minimize_tracking(self) -> None:
        self.showMinimized()
        self.sig_minimized_tracking.emit()

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()


def _same(a: RangeData, b: RangeData) -> bool:
    """Two loads of the same range and hosts."""
    return a.range == b.range and a.hosts == b.hosts


__all__ = ["MainWindow", "QMessageBox"]
