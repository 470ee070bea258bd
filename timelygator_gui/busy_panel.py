"""A full-window "please wait" panel: a title, what is happening now, a busy bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget


class BusyPanel(QWidget):
    """Shown in place of the views while the data directory is being upgraded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyPanel")
        self.title = QLabel("")
        self.title.setObjectName("busyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel("")
        self.detail.setObjectName("busyDetail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.note = QLabel(
            "This happens once after an update and can take a minute on years of data. "
            "Please keep TimelyGator open."
        )
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: the steps do not report a fraction
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(360)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addSpacing(8)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addWidget(self.note)
        layout.addStretch(3)

    def set_text(self, title: str, detail: str) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
