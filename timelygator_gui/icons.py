"""App and status icons (SVG in resources/icons, with a painted fallback)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from timelygator.gui.resources import resource_path

STATUS_COLORS = {
    "tracking": "#2ecc71",
    "paused": "#f1c40f",
    "error": "#e74c3c",
    "starting": "#95a5a6",
}


def _base_pixmap(size: int) -> QPixmap:
    path = resource_path("icons", "timelygator.svg")
    if path is not None:
        icon = QIcon(str(path))
        pixmap = icon.pixmap(size, size)
        if not pixmap.isNull():
            return pixmap
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2e7d4f"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), size / 5, size / 5)
    painter.end()
    return pixmap


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 64, 128):
        icon.addPixmap(_base_pixmap(size))
    return icon


@cache
def status_icon(state: str) -> QIcon:
    """The app icon with a coloured status dot in the corner."""
    icon = QIcon()
    for size in (16, 22, 32, 64):
        pixmap = _base_pixmap(size)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(QColor(STATUS_COLORS.get(state, "#95a5a6")))
        dot = size * 0.45
        painter.drawEllipse(QRectF(size - dot - 0.5, size - dot - 0.5, dot, dot))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
