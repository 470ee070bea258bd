"""Small painted charts: ranked bars, a share bar and an hourly heatmap.

Each is one widget that paints its rows itself (cheap at any size, easy to theme) and
reports clicks on a row as a signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget
from timelygator.core.analytics.report import format_duration

ROW_HEIGHT = 22


@dataclass(slots=True)
class Bar:
    key: object
    label: str
    value_us: int
    color: str = "#4e79a7"


class BarList(QWidget):
    """Horizontal bars, longest first; label on the bar, duration on the right."""

    sig_bar_clicked = Signal(object)
    """A bar was clicked: its key."""

    def __init__(self, title: str, parent: QWidget | None = None, max_rows: int = 10) -> None:
        super().__init__(parent)
        self.title = title
        self.max_rows = max_rows
        self.bars: list[Bar] = []
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._update_height()

    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)[: self.max_rows]
        self._update_height()
        self.update()

    def labels(self) -> list[str]:
        return [bar.label for bar in self.bars]

    def _update_height(self) -> None:
        self.setFixedHeight(28 + max(1, len(self.bars)) * ROW_HEIGHT + 6)

    def sizeHint(self) -> QSize:
        return QSize(320, self.height())

    def row_rect(self, index: int) -> QRectF:
        return QRectF(0, 28 + index * ROW_HEIGHT, self.width(), ROW_HEIGHT - 3)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.windowText().color()
        muted = QColor(text)
        muted.setAlpha(150)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, self.width(), 24), Qt.AlignmentFlag.AlignVCenter, self.title)
        font.setBold(False)
        painter.setFont(font)
        if not self.bars:
            painter.setPen(muted)
            painter.drawText(self.row_rect(0), Qt.AlignmentFlag.AlignVCenter, "Nothing yet")
            return
        metrics = QFontMetrics(font)
        value_width = metrics.horizontalAdvance("00h 00m") + 8
        top = max(b.value_us for b in self.bars) or 1
        track = QColor(text)
        track.setAlpha(18)
        for index, bar in enumerate(self.bars):
            rect = self.row_rect(index)
            area = QRectF(rect.left(), rect.top(), rect.width() - value_width, rect.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(area, 3, 3)
            color = QColor(bar.color)
            color.setAlpha(200)
            painter.setBrush(color)
            filled = QRectF(
                area.left(), area.top(), area.width() * bar.value_us / top, area.height()
            )
            painter.drawRoundedRect(filled, 3, 3)
            painter.setPen(text)
            label = metrics.elidedText(
                bar.label, Qt.TextElideMode.ElideRight, int(area.width()) - 12
            )
            painter.drawText(area.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter, label)
            painter.setPen(muted)
            painter.drawText(
                QRectF(rect.right() - value_width, rect.top(), value_width, rect.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                format_duration(bar.value_us),
            )

    def index_at(self, point: QPointF) -> int | None:
        for index in range(len(self.bars)):
            if self.row_rect(index).contains(point):
                return index
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.sig_bar_clicked.emit(self.bars[index].key)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if index is None:
            QToolTip.hideText()
            return
        bar = self.bars[index]
        QToolTip.showText(
            event.globalPosition().toPoint(),
            f"{bar.label}\n{format_duration(bar.value_us)} — click to list the events",
            self,
        )


class ShareBar(QWidget):
    """One stacked bar of shares (category breakdown), with a legend below."""

    sig_segment_clicked = Signal(object)
    """A segment was clicked: its key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = [b for b in bars if b.value_us > 0]
        self.update()

    def _segments(self) -> list[tuple[QRectF, Bar]]:
        total = sum(b.value_us for b in self.bars) or 1
        x = 0.0
        out = []
        for bar in self.bars:
            width = self.width() * bar.value_us / total
            out.append((QRectF(x, 0, width, 26), bar))
            x += width
        return out

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(Qt.PenStyle.NoPen)
        total = sum(b.value_us for b in self.bars) or 1
        for rect, bar in self._segments():
            painter.setBrush(QColor(bar.color))
            painter.drawRect(rect)
        painter.setPen(self.palette().windowText().color())
        metrics = QFontMetrics(painter.font())
        x, y = 0, 34
        for bar in self.bars:
            text = f"{bar.label} {100 * bar.value_us / total:.0f}%"
            width = metrics.horizontalAdvance(text) + 28
            if x + width > self.width():
                x, y = 0, y + 18
            painter.setBrush(QColor(bar.color))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRectF(x, y + 3, 10, 10), 2, 2)
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QPointF(x + 14, y + 12), text)
            x += width
        self.setFixedHeight(y + 22)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for rect, bar in self._segments():
            if rect.contains(event.position()):
                self.sig_segment_clicked.emit(bar.key)


class HourHeatmap(QWidget):
    """Rows (top categories) x 24 hours; cell shade = minutes of that hour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, list[int]]] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(60)

    def set_rows(self, rows: Sequence[tuple[str, str, list[int]]]) -> None:
        """``(label, color, 24 values in microseconds)`` per row."""
        self.rows = list(rows)
        self.setFixedHeight(30 + 20 * max(1, len(self.rows)))
        self.update()

    def _geometry(self) -> tuple[float, float]:
        left = 130.0
        return left, (self.width() - left) / 24

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        text = self.palette().windowText().color()
        left, cell = self._geometry()
        peak = max((max(v) for _, _, v in self.rows), default=0) or 1
        metrics = QFontMetrics(painter.font())
        for row, (label, color, values) in enumerate(self.rows):
            y = 4 + row * 20
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y, left - 8, 18),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(left) - 10),
            )
            painter.setPen(Qt.PenStyle.NoPen)
            for hour, value in enumerate(values):
                shade = QColor(color)
                shade.setAlphaF(0.06 + 0.94 * (value / peak) if value else 0.04)
                painter.setBrush(shade)
                painter.drawRect(QRectF(left + hour * cell + 1, y, cell - 2, 18))
        painter.setPen(text)
        y = 4 + len(self.rows) * 20 + 2
        for hour in range(0, 24, 3):
            painter.drawText(QPointF(left + hour * cell + 2, y + 14), f"{hour:02d}:00")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        left, cell = self._geometry()
        x, y = event.position().x(), event.position().y()
        row, hour = int((y - 4) // 20), int((x - left) // cell)
        if 0 <= row < len(self.rows) and 0 <= hour < 24 and x >= left:
            label, _, values = self.rows[row]
            QToolTip.showText(
                event.globalPosition().toPoint(),
                f"{label}, {hour:02d}:00–{hour + 1:02d}:00: {format_duration(values[hour])}",  # noqa: RUF001
                self,
            )
