"""Activity: active and AFK time, productivity, top apps/titles/domains/categories, heatmap."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.analytics.report import format_duration
from timelygator.core.categories.colors import category_color, stable_color
from timelygator.gui.charts import Bar, BarList, HourHeatmap, ShareBar
from timelygator.gui.range_data import RangeData


class StatCard(QFrame):
    """A big number with a caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("–")  # noqa: RUF001
        self.value.setObjectName("statValue")
        self.caption = QLabel(caption)
        self.caption.setObjectName("statCaption")
        self.note = QLabel("")
        self.note.setObjectName("statCaption")
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)


def productivity_note(score: float | None) -> str:
    if score is None:
        return "no categorized time"
    if score >= 70:
        return "very productive"
    if score >= 55:
        return "productive"
    if score >= 45:
        return "neutral"
    if score >= 30:
        return "distracted"
    return "very distracted"


class ActivityView(QScrollArea):
    """The activity dashboard for the selected range."""

    sig_filter_requested = Signal(str, object)
    """A bar was clicked: list the events with this field (app/title/domain/category) value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activityView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("activityBody")
        self.active_card = StatCard("Active time")
        self.afk_card = StatCard("Away (AFK)")
        self.score_card = StatCard("Productivity score")
        cards = QHBoxLayout()
        for card in (self.active_card, self.afk_card, self.score_card):
            cards.addWidget(card)
        self.apps = BarList("Top applications")
        self.titles = BarList("Top window titles")
        self.domains = BarList("Top websites")
        self.categories = BarList("Top categories")
        self.breakdown = ShareBar()
        self.heatmap = HourHeatmap()
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(16)
        # Lists keep to the top of their cell: a short list beside a long one does not float.
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(self.apps, 0, 0, alignment=top)
        grid.addWidget(self.categories, 0, 1, alignment=top)
        grid.addWidget(self.titles, 1, 0, alignment=top)
        grid.addWidget(self.domains, 1, 1, alignment=top)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 12, 16, 16)
        layout.addLayout(cards)
        layout.addWidget(self._heading("Category breakdown"))
        layout.addWidget(self.breakdown)
        layout.addLayout(grid)
        layout.addWidget(self._heading("By hour of day"))
        layout.addWidget(self.heatmap)
        layout.addStretch(1)
        self.setWidget(body)
        self.apps.sig_bar_clicked.connect(lambda key: self.sig_filter_requested.emit("app", key))
        self.titles.sig_bar_clicked.connect(
            lambda key: self.sig_filter_requested.emit("title", key)
        )
        self.domains.sig_bar_clicked.connect(
            lambda key: self.sig_filter_requested.emit("domain", key)
        )
        self.categories.sig_bar_clicked.connect(
            lambda key: self.sig_filter_requested.emit("category", key)
        )
        self.breakdown.sig_segment_clicked.connect(
            lambda key: self.sig_filter_requested.emit("category", key)
        )

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionHeading")
        return label

    def set_data(self, data: RangeData) -> None:
        s = data.summary
        classifier = data.classifier
        tracked = s.active_us + s.afk_us
        self.active_card.set(
            format_duration(s.active_us),
            f"{100 * s.active_us / tracked:.0f}% of tracked time" if tracked else "",
        )
        untracked = f"{format_duration(s.untracked_us)} not recorded" if s.untracked_us else ""
        self.afk_card.set(format_duration(s.afk_us), untracked)
        score = s.productivity
        self.score_card.set("–" if score is None else f"{score:.0f}", productivity_note(score))  # noqa: RUF001

        def color(path: tuple[str, ...]) -> str:
            return category_color(path, classifier)

        # Only the rows a list shows are made (a busy month has tens of thousands of titles).
        apps, titles, domains = (
            ranked[: bars.max_rows]
            for ranked, bars in ((s.apps, self.apps), (s.titles, self.titles),
                                 (s.domains, self.domains))
        )  # fmt: skip
        self.apps.set_bars([Bar(app, app, us, stable_color(app)) for app, us in apps])
        self.titles.set_bars([Bar(t, t, us, "#76b7b2") for t, us in titles])
        self.domains.set_bars([Bar(d, d, us, stable_color(d)) for d, us in domains])
        self.categories.set_bars(
            [Bar(path, " › ".join(path), us, color(path)) for path, us in s.categories]  # noqa: RUF001
        )
        self.breakdown.set_bars(
            [Bar((name,), name, us, color((name,))) for name, us in s.top_categories]
        )
        self.heatmap.set_rows(
            [(name, color((name,)), s.hourly.get(name, [0] * 24)) for name, _ in s.top_categories]
        )
