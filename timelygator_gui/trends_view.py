"""Trends: daily active time stacked by category, with the average."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from timelygator.core.analytics.report import format_duration
from timelygator.core.analytics.trends import DailyTotals
from timelygator.core.categories.colors import UNCATEGORIZED_COLOR, category_color
from timelygator.core.categories.model import Category
from timelygator.core.services import Services
from timelygator.gui.category_classifier import classifier_for
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.range_data import analytics_settings, parts_to_work_out
from timelygator.gui.theme import is_palette_change, style_plot

MIN_DAYS = 28


def trends_range(selected: DateRange) -> DateRange:
    """Trends need days to compare: at least four weeks ending with the selection."""
    if selected.days >= 7:
        return selected
    first = selected.last - timedelta(days=MIN_DAYS - 1)
    return DateRange(RangeMode.CUSTOM, first, selected.last, selected.day_start_hour)


@dataclass(frozen=True, slots=True)
class TrendsPlan:
    """A trends range and the parts it is worked out in (newest first; one part when the
    statistics are at hand)."""

    range: DateRange
    parts: list[tuple[date, date]]
    hosts: tuple[str, ...] = ()


def plan_trends(services: Services, selected: DateRange, hosts: tuple[str, ...] = ()) -> TrendsPlan:
    """How to load the trends of ``selected`` (worker thread): in one go when its days'
    statistics exist, else in parts, a week first, so the chart appears at once."""
    rng = trends_range(selected)
    parts = parts_to_work_out(services, rng.first, rng.last, analytics_settings(rng, hosts))
    return TrendsPlan(rng, parts or [(rng.first, rng.last)], hosts)


def load_part(
    services: Services,
    plan: TrendsPlan,
    part: tuple[date, date],
    categories: list[Category],
) -> DailyTotals:
    """Daily totals by top category of one part of a plan (worker thread)."""
    settings = analytics_settings(plan.range, plan.hosts)
    return services.analytics.daily_trend(
        services.user_id, part[0], part[1], settings, categories=categories
    )


def merge_part(into: DailyTotals, part: DailyTotals) -> DailyTotals:
    """``into`` (the whole range, zeros where not worked out yet) with ``part`` filled in."""
    index = {day: i for i, day in enumerate(into.days)}
    totals = {name: list(values) for name, values in into.totals.items()}
    for name, values in part.totals.items():
        row = totals.setdefault(name, [0] * len(into.days))
        for day, value in zip(part.days, values, strict=True):
            row[index[day]] = value
    order = sorted(totals, key=lambda name: (-sum(totals[name]), name))
    return DailyTotals(days=list(into.days), categories=order, totals=totals)


def empty_totals(rng: DateRange) -> DailyTotals:
    return DailyTotals(days=[rng.first + timedelta(days=i) for i in range(rng.days)])


def trend_colors(totals: DailyTotals, categories: list[Category]) -> dict[str, str]:
    """Each top category's colour (its own, else a stable one from its name)."""
    classifier = classifier_for(categories)
    return {name: category_color((name,), classifier) for name in totals.categories}


class DayAxis(pg.AxisItem):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__("bottom")
        self.days: list[date] = []

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            i = int(round(v))  # noqa: RUF046
            out.append(f"{self.days[i]:%a %d %b}" if 0 <= i < len(self.days) else "")
        return out


# Tick steps in hours: quarter hours up to half a day, so labels read "30m", "1h 30m".
HOUR_STEPS = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 12.0)


def axis_duration(hours: float) -> str:
    """A tick label in the words the rest of the app uses for durations ("1h 30m", "45m")."""
    minutes = round(hours * 60)
    h, m = divmod(minutes, 60)
    if h and m:
        return f"{h}h {m:02d}m"
    return f"{h}h" if h else f"{m}m"


class HoursAxis(pg.AxisItem):  # type: ignore[misc]
    """Active time per day: ticks on whole quarter hours, labelled as durations."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span = max(maxVal - minVal, 1e-9)
        wanted = max(2, min(8, int(size / 40)))  # a label every 40 px or more
        step = next((s for s in HOUR_STEPS if span / s <= wanted), HOUR_STEPS[-1])
        return [(step, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [axis_duration(v) for v in values]


LABEL_MARGIN = 0.09  # room right of the bars for the average's label: ~9% of the width


class TrendsView(QWidget):
    """Stacked daily bars by category, an average line, a legend and a summary line."""

    sig_drawn = Signal(int)
    """The chart was drawn with this many of its days worked out (all of them at the end)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendsView")
        self.totals: DailyTotals | None = None
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("trendsSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self._axis = DayAxis()
        self.plot = pg.PlotWidget(axisItems={"bottom": self._axis, "left": HoursAxis("left")})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.legend = self.plot.addLegend(offset=(10, 5), colCount=4)
        self.unusual = QLabel("")
        self.unusual.setObjectName("unusualDays")
        self.unusual.setWordWrap(True)
        self.unusual.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.unusual)
        self.bar_items: list[pg.BarGraphItem] = []
        style_plot(self.plot, self.palette())

    def set_unusual(self, lines: list[str]) -> None:
        """The unusual days of the range, one line each (hidden when there are none)."""
        self.unusual.setText("Unusual days: " + "; ".join(lines) if lines else "")
        self.unusual.setVisible(bool(lines))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event):
            style_plot(self.plot, self.palette())

    def set_data(
        self, totals: DailyTotals, colors: dict[str, str], done_days: int | None = None
    ) -> None:
        """Draw ``totals``; ``done_days`` (of all its days) while the rest is worked out."""
        started = time.perf_counter()
        self.totals = totals
        self.plot.clear()
        self.legend.clear()
        self.bar_items = []
        n = len(totals.days)
        self._axis.days = totals.days
        x = np.arange(n, dtype=float)
        base = np.zeros(n)
        for name in totals.categories:
            hours = np.asarray(totals.totals[name], dtype=float) / 3.6e9
            item = pg.BarGraphItem(
                x=x, y0=base.copy(), height=hours, width=0.7,
                brush=pg.mkBrush(colors.get(name, UNCATEGORIZED_COLOR)), pen=pg.mkPen(None),
            )  # fmt: skip
            self.plot.addItem(item)
            self.legend.addItem(item, name)
            self.bar_items.append(item)
            base += hours
        style_plot(self.plot, self.palette())  # the new legend labels too
        average = totals.average_us()
        if n:
            line = pg.InfiniteLine(
                pos=average / 3.6e9, angle=0,
                pen=pg.mkPen("#d62728", width=2, style=Qt.PenStyle.DashLine),
                label=f"average {format_duration(average)}",
                # In a margin right of the last bar, just above the line: never over a bar.
                labelOpts={"position": 1.0, "color": "#d62728", "anchors": [(1, 1), (1, 1)]},
            )  # fmt: skip
            self.plot.addItem(line)
            self.plot.setXRange(-0.6, n - 0.4 + max(1.5, LABEL_MARGIN * n), padding=0)
            self.plot.setYRange(0, max(1.0, float(base.max()) * 1.15), padding=0)
            step = max(1, n // 10)
            self._axis.setTicks(
                [[(i, f"{d:%a %d}") for i, d in enumerate(totals.days) if i % step == 0]]
            )
        total = sum(totals.day_total(i) for i in range(n))
        active_days = sum(1 for i in range(n) if totals.day_total(i) > 0)
        best = max(range(n), key=totals.day_total) if n else None
        best_text = (
            f" · busiest {totals.days[best]:%a %d %b} ({format_duration(totals.day_total(best))})"
            if best is not None and totals.day_total(best) > 0
            else ""
        )
        first, last = (totals.days[0], totals.days[-1]) if n else (None, None)
        span = f"{first:%d %b} – {last:%d %b %Y}" if first and last else ""  # noqa: RUF001
        text = (
            f"<b>{format_duration(total)}</b> active over {active_days} of {n} days ({span}) · "
            f"average <b>{format_duration(average)}</b> per active day{best_text}"
        )
        if done_days is not None and done_days < n:
            # Visible progress, the first time a long history is looked at.
            text = (
                f"Working out the statistics of this range: {done_days} of "
                f"{n} days done, newest first…<br>{text}"
            )
        self.summary.setText(text)
        self.sig_drawn.emit(n if done_days is None else done_days)
        self.draw_ms = (time.perf_counter() - started) * 1000
