"""Timeline: swimlanes per watcher and a category lane, local-time axis, zoom, pan, hover."""

from __future__ import annotations

from datetime import datetime

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSplitter,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.event import Event
from timelygator.core.sync.protocol import is_pulled
from timelygator.gui import heap
from timelygator.gui.event_details import EventDetails, describe_event
from timelygator.gui.range_data import RangeData
from timelygator.gui.span_item import SpanItem
from timelygator.gui.theme import is_palette_change, style_plot
from timelygator.gui.timeline_model import Lane

MIN_SPAN_S = 60.0


class LaneAxis(pg.AxisItem):  # type: ignore[misc]
    """Left axis naming each lane."""

    def __init__(self) -> None:
        super().__init__("left")
        self.setWidth(130)
        self.setStyle(tickLength=0)

    MIN_WIDTH, MAX_WIDTH = 90, 280

    def set_lanes(self, lanes: list[Lane]) -> None:
        """Name each lane; the axis is as wide as the longest name (a name too long for the
        widest axis is shortened with "…"): pyqtgraph drops a label that does not fit."""
        metrics = QFontMetrics(self.style.get("tickFont") or QFont())
        room = self.MAX_WIDTH - 16
        titles = [
            metrics.elidedText(lane.title, Qt.TextElideMode.ElideMiddle, room) for lane in lanes
        ]
        widest = max((metrics.horizontalAdvance(f"{t}  ") for t in titles), default=0)
        self.setWidth(max(self.MIN_WIDTH, min(self.MAX_WIDTH, widest + 16)))
        self.setTicks([[(i + 0.5, f"{t}  ") for i, t in enumerate(titles)], []])


class TimelinePlot(pg.PlotWidget):  # type: ignore[misc]
    """The plot; arrow keys pan, +/- zoom, 0 shows the whole range."""

    sig_key_zoom = Signal(float)
    """Zoom by this factor around the centre (keyboard)."""
    sig_key_pan = Signal(float)
    """Pan by this fraction of the visible width (keyboard)."""
    sig_key_reset = Signal()
    """Show the whole range (keyboard)."""
    sig_key_latest = Signal()
    """Show the latest activity at the same zoom (keyboard)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.sig_key_zoom.emit(0.5)
        elif key == Qt.Key.Key_Minus:
            self.sig_key_zoom.emit(2.0)
        elif key == Qt.Key.Key_Left:
            self.sig_key_pan.emit(-0.2)
        elif key == Qt.Key.Key_Right:
            self.sig_key_pan.emit(0.2)
        elif key in (Qt.Key.Key_0, Qt.Key.Key_Home):
            self.sig_key_reset.emit()
        elif key == Qt.Key.Key_End:
            self.sig_key_latest.emit()
        else:
            super().keyPressEvent(event)


class TimelineView(QWidget):
    """The timeline tab: lanes on top, the selected span's details below."""

    sig_event_selected = Signal(object)
    """A span was clicked: ``(bucket name or None, Event)``, or None when cleared."""
    sig_redrawn = Signal()
    """The visible range was drawn again (after a load, zoom or pan)."""
    sig_day_requested = Signal(object)
    """A day row's name was clicked, or a day row double-clicked: open that day (a date)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.data: RangeData | None = None
        self.lanes: list[Lane] = []
        self.selected: tuple[Lane, int] | None = None
        self.hover_text = ""
        self._axis = LaneAxis()
        self.plot = TimelinePlot(
            axisItems={"bottom": pg.DateAxisItem("bottom"), "left": self._axis}
        )
        self.plot.setObjectName("timelinePlot")
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        self.plot.setMouseEnabled(x=True, y=False)
        plot_item = self.plot.getPlotItem()
        self.view_box = plot_item.getViewBox()
        self.view_box.invertY(True)
        self.items = SpanItem()
        self.plot.addItem(self.items)
        self.empty_label = QLabel("No activity recorded in this range.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("emptyLabel")
        self.details = EventDetails()
        # The plot, or a sentence while there is nothing to draw (no bare axes).
        self._plot_area = QStackedWidget()
        self._plot_area.addWidget(self.empty_label)
        self._plot_area.addWidget(self.plot)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._plot_area)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        # Until the first range arrives there is nothing to draw. (The details panel stays:
        # "Add manual entry" works on an empty day too.)
        self.empty_label.setText("Loading…")
        self._show_plot(False)
        self._rebin_timer = QTimer(self)
        self._rebin_timer.setSingleShot(True)
        self._rebin_timer.setInterval(0)
        self._rebin_timer.timeout.connect(self.rebin)
        self.view_box.sigXRangeChanged.connect(lambda *_: self._rebin_timer.start())
        self.view_box.sigResized.connect(lambda *_: self._rebin_timer.start())
        # Hover details wait until the pointer rests: no lookup or tooltip per mouse move.
        self._hover_pos: QPointF | None = None
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(60)
        self._hover_timer.timeout.connect(self._show_hover)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.plot.sig_key_zoom.connect(self.zoom)
        self.plot.sig_key_pan.connect(self.pan)
        self.plot.sig_key_reset.connect(self.reset_zoom)
        self.plot.sig_key_latest.connect(self.show_latest)
        self._restyle()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event):
            self._restyle()

    def _restyle(self) -> None:
        """The plot in the application palette's colours (after a theme switch too)."""
        palette = self.palette()
        style_plot(self.plot, palette)
        self.items.set_outline(palette.color(QPalette.ColorRole.WindowText))

    def show_progress(self, text: str) -> None:
        """While a range is first worked out: the progress in place of the plot."""
        self.empty_label.setText(text)
        self._show_plot(False)

    def _show_plot(self, visible: bool) -> None:
        self._plot_area.setCurrentWidget(self.plot if visible else self.empty_label)

    # -- data -----------------------------------------------------------------------------
    def set_data(self, data: RangeData, *, keep_view: bool = False) -> None:
        """Show ``data``: a new range drawn at full width, or (``keep_view``, the same range
        refreshed) new data under the view the person left: zoom, pan, selection and hover
        stay, and a view whose right edge is at the latest activity follows it."""
        if keep_view and self.data is not None and self.data.range == data.range:
            self._update(data)
            return
        self.data = data
        self.lanes = data.lanes
        self.selected = None
        self._set_lanes()
        self.view_box.setXRange(*self.data_extent(), padding=0)
        self.details.clear_event()
        self.rebin()
        heap.settle()

    def _set_lanes(self) -> None:
        assert self.data is not None
        x0, x1 = self.x_bounds()
        self.items.set_lanes(self.lanes, x0, x1)
        self._axis.set_lanes(self.lanes)
        self.empty_label.setText("No activity recorded in this range.")
        self._show_plot(bool(self.lanes))
        rows = max(1, len(self.lanes))
        self.view_box.setLimits(xMin=x0, xMax=x1, minXRange=MIN_SPAN_S, yMin=0, yMax=rows)
        self.view_box.setYRange(0, rows, padding=0)

    def _update(self, data: RangeData) -> None:
        """New data for the range on screen, merged under the current view."""
        x0, x1 = self.visible_range()
        old_first, old_last = self._activity_span()
        slack = 2 * (x1 - x0) / max(1.0, self.view_box.width())
        following = old_last is not None and x1 >= old_last - slack
        showing_start = old_first is None or x0 <= old_first
        selected = self._selection_key()
        self.data = data
        self.lanes = data.lanes
        self._set_lanes()
        _first, last = self._activity_span()
        if following and last is not None and old_last is not None and last > old_last:
            # The view's right edge was at the latest activity: it follows. A view showing
            # the start of the activity grows; one zoomed in on the end moves along.
            shift = last - old_last
            x1 += shift
            if not showing_start:
                x0 += shift
        self.view_box.setXRange(x0, min(x1, self.x_bounds()[1]), padding=0)
        self.selected = None
        self.items.set_selected(None)
        if selected is not None:
            hit = self._find(selected)
            if hit is not None:
                self.select(hit)
            else:
                self.details.clear_event()
                self.sig_event_selected.emit(None)
        if self.hover_text:
            self._show_hover()  # the span under the pointer may have grown
        self.rebin()

    def _activity_span(self) -> tuple[float | None, float | None]:
        """Where the drawn activity starts and ends (x), or None when there is none."""
        lanes = [lane for lane in self.lanes if lane.size]
        if not lanes:
            return None, None
        return (
            min(float(lane.starts[0]) for lane in lanes),
            max(float(lane.ends.max()) for lane in lanes),
        )

    def _selection_key(self) -> tuple[object, ...] | None:
        """What identifies the selected span across refreshes: its lane and its event id
        (a category piece, which has none: its start)."""
        if self.selected is None:
            return None
        lane, index = self.selected
        event = lane.events[index]
        ident = event.id if event.id is not None else ("start", event.start_us)
        return (lane.title, lane.bucket, lane.day, ident)

    def _find(self, key: tuple[object, ...]) -> tuple[Lane, int] | None:
        title, bucket, day, ident = key
        for lane in self.lanes:
            if (lane.title, lane.bucket, lane.day) != (title, bucket, day):
                continue
            for index in range(lane.size - 1, -1, -1):
                event = lane.events[index]
                if (event.id if event.id is not None else ("start", event.start_us)) == ident:
                    return lane, index
        return None

    def x_bounds(self) -> tuple[float, float]:
        """The x extent of the range: its own span, or for day rows one day's clock."""
        assert self.data is not None
        data = self.data
        if data.day_rows and data.days:
            origin = data.days[0][1] / 1e6
            longest = max(end - start for _day, start, end in data.days) / 1e6
            return origin, origin + longest
        return data.start_us / 1e6, data.end_us / 1e6

    def data_extent(self) -> tuple[float, float]:
        """The range with activity (plus a margin), or the whole range when empty."""
        x0, x1 = self.x_bounds()
        first, last = self._activity_span()
        if first is None or last is None:
            return x0, x1
        margin = max(900.0, (last - first) * 0.03)
        return max(x0, first - margin), min(x1, last + margin)

    def visible_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.view_box.viewRange()
        return float(x0), float(x1)

    def rebin(self) -> None:
        self._rebin_timer.stop()
        x0, x1 = self.visible_range()
        self.items.rebin(x0, x1, max(1, int(self.view_box.width())))
        if self.hover_text:
            self._show_hover()  # the span under the resting pointer changed with the view
        self.sig_redrawn.emit()

    # -- zoom and pan ---------------------------------------------------------------------
    def zoom(self, factor: float) -> None:
        x0, x1 = self.visible_range()
        centre, half = (x0 + x1) / 2, (x1 - x0) * factor / 2
        self.view_box.setXRange(centre - half, centre + half, padding=0)

    def pan(self, fraction: float) -> None:
        x0, x1 = self.visible_range()
        shift = (x1 - x0) * fraction
        self.view_box.setXRange(x0 + shift, x1 + shift, padding=0)

    def show_latest(self) -> None:
        """Move the view, at its zoom, so that it ends just after the latest activity; it
        then follows new activity as it comes."""
        _first, last = self._activity_span()
        if last is None:
            return
        x0, x1 = self.visible_range()
        width = x1 - x0
        end = min(self.x_bounds()[1], last + width * 0.05)
        self.view_box.setXRange(end - width, end, padding=0)

    def reset_zoom(self) -> None:
        if self.data is not None:
            self.view_box.setXRange(*self.x_bounds(), padding=0)

    # -- hover and click ------------------------------------------------------------------
    def span_at(self, x: float, y: float) -> tuple[Lane, int] | None:
        row = int(y)
        if not 0 <= row < len(self.lanes) or not 0.1 <= y - row <= 0.9:
            return None
        x0, x1 = self.visible_range()
        slack = 2 * (x1 - x0) / max(1.0, self.view_box.width())
        lane = self.lanes[row]
        index = lane.index_at(x, slack)
        return None if index is None else (lane, index)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._hover_timer.stop()  # dragging: no hover work while panning
            return
        self._hover_pos = QPointF(pos)
        self._hover_timer.start()

    def _show_hover(self) -> None:
        pos = self._hover_pos
        if pos is None or not self.view_box.sceneBoundingRect().contains(pos):
            return
        point = self.view_box.mapSceneToView(pos)
        hit = self.span_at(point.x(), point.y())
        if hit is None:
            self.hover_text = ""
            QToolTip.hideText()
            return
        self.hover_text = self.describe(*hit)
        global_pos = self.plot.mapToGlobal(self.plot.mapFromScene(pos))
        QToolTip.showText(global_pos, self.hover_text, self.plot)

    def _on_mouse_clicked(self, event: object) -> None:
        pos = event.scenePos()  # type: ignore[attr-defined]
        point = self.view_box.mapSceneToView(pos)
        if pos.x() < self.view_box.sceneBoundingRect().left():
            self._label_clicked(point.y())  # the lane names left of the plot
            return
        if event.double():  # type: ignore[attr-defined]
            hit = self.span_at(point.x(), point.y())
            if hit is not None and hit[0].day is not None:
                self.sig_day_requested.emit(hit[0].day)
            elif hit is not None:
                self.zoom_to(hit)
            return
        self.select_at(point.x(), point.y())

    def _label_clicked(self, y: float) -> None:
        row = int(y)
        if 0 <= row < len(self.lanes) and self.lanes[row].day is not None:
            self.sig_day_requested.emit(self.lanes[row].day)

    def zoom_to(self, hit: tuple[Lane, int]) -> None:
        """Show one span with some time either side of it."""
        lane, index = hit
        start, end = float(lane.starts[index]), float(lane.ends[index])
        half = max(MIN_SPAN_S * 2.5, (end - start) * 0.75)
        centre = (start + end) / 2
        self.view_box.setXRange(centre - half, centre + half, padding=0)

    def select_at(self, x: float, y: float) -> None:
        hit = self.span_at(x, y)
        self.select(hit)

    def select(self, hit: tuple[Lane, int] | None) -> None:
        """Select a span and show it below. A piece of the Categories lane selects the span
        it comes from (editable) or says why it cannot be edited."""
        note = ""
        if hit is not None and hit[0].kind == "category":
            under = self.underlying(*hit)
            if under is not None:
                hit, note = under, "Chosen in the Categories lane: this is the span it comes from."
            elif hit[0].day is not None:
                note = (
                    "Active time by category is worked out from the window and browser spans: "
                    "open this day (click its name on the left) to edit them."
                )
            else:
                note = (
                    "Active time by category is worked out from the window and browser spans; "
                    "no single one of them lies under this piece."
                )
        self.selected = hit
        if hit is None:
            self.items.set_selected(None)
            self.details.clear_event()
            self.sig_event_selected.emit(None)
            return
        lane, index = hit
        row = self.lanes.index(lane)
        self.items.set_selected(row, lane.starts[index], lane.ends[index] - lane.starts[index])
        event = lane.events[index]
        category = self.category_of(lane, index)
        bucket = self.data.bucket(lane.bucket) if self.data and lane.bucket else None
        read_only = False
        if bucket is not None and is_pulled(bucket.data):
            read_only, note = True, f"From {bucket.host}, synced here: change it on that computer."
        self.details.show_event(
            lane.bucket, lane.kind, event, category, lane.title, note, read_only=read_only
        )
        self.sig_event_selected.emit((lane.bucket, event))

    def underlying(self, lane: Lane, index: int) -> tuple[Lane, int] | None:
        """The window, browser or manual span a category piece was cut from, if one is drawn."""
        piece = lane.events[index]
        middle = (float(lane.starts[index]) + float(lane.ends[index])) / 2
        for candidate in self.lanes:
            if candidate.kind not in ("window", "web", "manual"):
                continue
            found = candidate.index_at(middle)
            if found is None:
                continue
            event = candidate.events[found]
            if event.data == piece.data or all(
                event.data.get(k) == piece.data.get(k) for k in ("app", "title", "url")
            ):
                return candidate, found
        return None

    def category_of(self, lane: Lane, index: int) -> tuple[str, ...] | None:
        if lane.paths is not None:
            return lane.paths[index]
        if self.data is not None and self.data.classifier is not None and lane.kind != "afk":
            return self.data.classifier.categorize(lane.events[index].data)
        return None

    def describe(self, lane: Lane, index: int) -> str:
        return describe_event(lane.kind, lane.events[index], self.category_of(lane, index))

    def show_span(self, event: Event) -> None:
        """Zoom to an event (click-through from the other views) and select it."""
        centre = (event.start_us + event.end_us) / 2e6
        half = max(MIN_SPAN_S * 5, (event.end_us - event.start_us) / 1e6 * 2)
        self.view_box.setXRange(centre - half, centre + half, padding=0)
        for lane in self.lanes:
            if lane.kind == "category":
                continue
            for index, candidate in enumerate(lane.events):
                if (
                    candidate.id == event.id
                    and candidate.start_us <= event.start_us
                    and candidate.end_us >= event.end_us
                ):
                    self.select((lane, index))
                    return


def format_clock(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6).strftime("%H:%M:%S")
