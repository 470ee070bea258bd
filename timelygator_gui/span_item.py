"""One graphics item that draws every lane of the timeline (never one item per event).

On each view-range change the lanes are binned to the pixel width (``timeline_model.bin_lane``)
and the resulting rectangles are grouped by colour and drawn with ``QPainter.drawRects``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from timelygator.gui.timeline_model import Lane, bin_lane

LANE_HEIGHT = 0.76
LANE_MARGIN = (1.0 - LANE_HEIGHT) / 2


class SpanItem(pg.GraphicsObject):  # type: ignore[misc]
    """Lanes of spans; lane ``i`` fills y in [i + margin, i + margin + height]."""

    sig_painted = Signal()
    """The spans were painted (benchmarks wait for it)."""

    def __init__(self) -> None:
        super().__init__()
        self._lanes: list[Lane] = []
        self._groups: list[tuple[QBrush, list[QRectF]]] = []
        self._bounds = QRectF()
        self._selected: QRectF | None = None
        self._select_pen = QPen(QColor("#111111"), 0)
        self._select_pen.setCosmetic(True)
        self._select_pen.setWidth(2)
        self.rect_count = 0

    def set_lanes(self, lanes: list[Lane], x0: float, x1: float) -> None:
        self.prepareGeometryChange()
        self._lanes = lanes
        self._bounds = QRectF(x0, 0.0, max(x1 - x0, 1.0), max(len(lanes), 1))
        self._groups = []
        self._selected = None
        self.update()

    def set_outline(self, color: QColor) -> None:
        """The colour the selected span is outlined in (the theme's text colour)."""
        self._select_pen.setColor(color)
        self.update()

    def set_selected(self, lane: int | None, x: float = 0.0, w: float = 0.0) -> None:
        self._selected = None if lane is None else QRectF(x, lane + LANE_MARGIN, w, LANE_HEIGHT)
        self.update()

    def rebin(self, x0: float, x1: float, pixels: int) -> None:
        """Recompute the rectangles for the visible range at ``pixels`` columns."""
        groups: dict[str, list[QRectF]] = {}
        count = 0
        for row, lane in enumerate(self._lanes):
            binned = bin_lane(lane, x0, x1, pixels)
            if binned.x.size == 0:
                continue
            y = row + LANE_MARGIN
            xs, ws, cs = binned.x.tolist(), binned.w.tolist(), binned.colors
            for color_index in np.unique(cs).tolist():
                mask = (cs == color_index).tolist()
                rects = groups.setdefault(lane.palette[color_index], [])
                rects.extend(
                    QRectF(x, y, w, LANE_HEIGHT) for x, w, m in zip(xs, ws, mask, strict=True) if m
                )
            count += binned.x.size
        self._groups = [(QBrush(QColor(c)), r) for c, r in groups.items()]
        self.rect_count = count
        self.update()

    # -- QGraphicsItem ----------------------------------------------------------------------
    def paint(self, painter: QPainter, *args: Any) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for brush, rects in self._groups:
            painter.setBrush(brush)
            painter.drawRects(rects)
        if self._selected is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(self._select_pen)
            painter.drawRect(self._selected)
        self.sig_painted.emit()

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)
