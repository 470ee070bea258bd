"""The date navigator: day / week / month / custom, previous / today / next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QToolButton, QWidget
from timelygator.core.analytics.localdays import local_today
from timelygator.core.timeutil import DEFAULT_DAY_START_S, Clock, SystemClock
from timelygator.gui.date_range import DateRange, RangeMode

MODES = (
    ("Day", RangeMode.DAY),
    ("Week", RangeMode.WEEK),
    ("Month", RangeMode.MONTH),
    ("Custom", RangeMode.CUSTOM),
)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DateNavigator(QWidget):
    """Chooses the range every view shows."""

    sig_range_changed = Signal(object)
    """The user picked another range (a DateRange)."""

    def __init__(
        self,
        today: date | None = None,
        parent: QWidget | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        """``today`` fixes the day (tests); otherwise it is the local day of ``clock``'s now
        (the system clock by default), a day starting at ``day_start_hour``."""
        super().__init__(parent)
        self.setObjectName("dateNavigator")
        self.week_start = 0
        self.day_start_hour = DEFAULT_DAY_START_S // 3600
        clock = clock or SystemClock()
        self.today_fn: Callable[[], date] = (
            (lambda: today)
            if today is not None
            else (lambda: local_today(clock.now_us(), self.day_start_hour * 3600))
        )
        self.range = self._around(self.today_fn(), RangeMode.DAY)
        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous (Alt+Left)")
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next (Alt+Right)")
        self.today_button = QToolButton()
        self.today_button.setText("Today")
        self.today_button.setToolTip("Back to today (Ctrl+T)")
        self.mode = QComboBox()
        for label, mode in MODES:
            self.mode.addItem(label, mode.value)
        self.label = QLabel()
        self.label.setObjectName("rangeLabel")
        self.first_edit = QDateEdit()
        self.last_edit = QDateEdit()
        for edit in (self.first_edit, self.last_edit):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
            edit.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.mode, self.prev_button, self.today_button, self.next_button,
            self.first_edit, self.last_edit, self.label,
        ):  # fmt: skip
            layout.addWidget(widget)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.first_edit.dateChanged.connect(self._custom_changed)
        self.last_edit.dateChanged.connect(self._custom_changed)
        self._refresh()

    def set_preferences(self, week_start: int, day_start_hour: int) -> None:
        """The week and day start the ranges follow; the shown range adopts them."""
        if (week_start, day_start_hour) == (self.week_start, self.range.day_start_hour):
            return
        self.week_start = week_start
        self.day_start_hour = day_start_hour
        rng = self.range
        if rng.mode is RangeMode.CUSTOM:
            self.set_range(DateRange(rng.mode, rng.first, rng.last, day_start_hour))
        else:
            self.set_range(self._around(rng.first, rng.mode))

    def set_range(self, new: DateRange) -> None:
        if new == self.range:
            return
        self.range = new
        self._refresh()
        self.sig_range_changed.emit(new)

    def set_mode(self, mode: RangeMode) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode.value))

    def step(self, steps: int) -> None:
        self.set_range(self.range.shifted(steps))

    def go_today(self) -> None:
        mode = self.range.mode if self.range.mode is not RangeMode.CUSTOM else RangeMode.DAY
        self.set_range(self._around(self.today_fn(), mode))

    def show_day(self, day: date) -> None:
        self.set_range(self._around(day, RangeMode.DAY))

    def _around(self, day: date, mode: RangeMode) -> DateRange:
        return DateRange.around(
            day, mode, week_start=self.week_start, day_start_hour=self.day_start_hour
        )

    def _mode_changed(self) -> None:
        mode = RangeMode(self.mode.currentData())
        if mode is RangeMode.CUSTOM:
            new = DateRange(mode, self.range.first, self.range.last, self.day_start_hour)
        else:
            anchor = self.today_fn() if self.range.contains(self.today_fn()) else self.range.first
            new = self._around(anchor, mode)
        self.set_range(new)
        self._refresh()

    def _custom_changed(self) -> None:
        if self.range.mode is not RangeMode.CUSTOM:
            return
        first, last = _pydate(self.first_edit.date()), _pydate(self.last_edit.date())
        if last < first:
            first, last = last, first
        self.set_range(DateRange(RangeMode.CUSTOM, first, last, self.day_start_hour))

    def _refresh(self) -> None:
        custom = self.range.mode is RangeMode.CUSTOM
        for edit, day in ((self.first_edit, self.range.first), (self.last_edit, self.range.last)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
            edit.setVisible(custom)
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(self.range.mode.value))
        self.mode.blockSignals(False)
        self.label.setText(self.range.label())
        self.next_button.setEnabled(self.range.last < self.today_fn())
