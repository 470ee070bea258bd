"""Insights in the Activity view: "Uncategorized: 4h 30m — 6 suggestions", the day in words,
and the review panel to accept, edit or dismiss each suggestion.

Everything slow runs on the task pool: training (``core.insights.engine``, seconds
on a year, kept in memory), checking a rule against the history (the rule preview) and
saving. Accepting stores an ordinary category rule after the check; *Undo* stores the
categories as they were before. Dismissed suggestions are stored in the encrypted database.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.analytics.report import format_duration
from timelygator.core.categories.model import Category
from timelygator.core.errors import TimelyGatorError
from timelygator.core.insights.engine import Insights, dismiss
from timelygator.core.insights.engine import headline as summary_line
from timelygator.core.insights.rules import (
    RuleCheck,
    accept,
    check_rule,
    describe_check,
    store_categories,
)
from timelygator.core.insights.suggest import Suggestion, path_label
from timelygator.gui.session import Session
from timelygator.gui.tasks import TaskRunner


def headline(found: Insights) -> str:
    return summary_line(found.uncategorized_us, len(found.suggestions))


def validation_text(found: Insights) -> str:
    model = found.trained.model
    if model is None:
        return "Not enough categorized time to learn from yet: categorize a few apps first."
    v = model.validation
    if v is None or v.accuracy is None or v.coverage is None:
        return f"Learned from {model.trained_values:,} categorized values."
    return (
        f"Checked on {v.checked:,} of your categorized values it did not learn from: right "
        f"{100 * v.accuracy:.0f}% of the time where it answered ({100 * v.coverage:.0f}% of "
        "them; it abstains when unsure)."
    )


class InsightsBar(QFrame):
    """The Activity view's line of insights: the review button and the day in words."""

    sig_review_requested = Signal()
    """The person asked to review the suggestions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsBar")
        self.button = QPushButton("Insights: learning from your categories…")
        self.button.setObjectName("insightsButton")
        self.button.setEnabled(False)
        self.button.clicked.connect(lambda: self.sig_review_requested.emit())
        self.digest = QLabel("")
        self.digest.setObjectName("insightsDigest")
        self.digest.setWordWrap(True)
        self.digest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.digest)

    def set_busy(self) -> None:
        self.button.setText("Insights: learning from your categories…")
        self.button.setEnabled(False)

    def set_insights(self, found: Insights) -> None:
        self.button.setText(headline(found))
        self.button.setEnabled(bool(found.suggestions))
        self.digest.setText(found.digest)

    def set_unavailable(self, message: str) -> None:
        """Nothing to work out for this range; ``message`` says what would show them."""
        self.button.setText("Insights")
        self.button.setEnabled(False)
        self.digest.setText(message)

    def set_failed(self, message: str) -> None:
        self.button.setText("Insights could not be worked out")
        self.button.setEnabled(False)
        self.digest.setText(message)


class InsightsDialog(QDialog):
    """The review panel: one row per suggestion; accept (after the rule preview), edit the
    category or rule first, or dismiss; undo the last accepted rule."""

    sig_categories_changed = Signal(object)
    """A rule was saved or undone: the categories as they are now (a list of Category)."""

    COLUMNS = ("Time", "Group", "Category", "Sure", "Evidence")

    def __init__(
        self, session: Session, runner: TaskRunner, found: Insights, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("insightsDialog")
        self.setWindowTitle("Insights — suggestions for uncategorized time")
        self.session = session
        self.runner = runner
        self.found = found
        self.suggestions: list[Suggestion] = list(found.suggestions)
        self.check: RuleCheck | None = None
        self.undo_stack: list[list[Category]] = []
        self.heading = QLabel(headline(found))
        self.heading.setObjectName("insightsHeading")
        self.figure = QLabel(validation_text(found))
        self.figure.setObjectName("insightsValidation")
        self.figure.setWordWrap(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("suggestions")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.table.setWordWrap(True)  # the evidence wraps in its column
        self.table.verticalHeader().setVisible(False)
        self.category = QComboBox()
        self.category.setObjectName("suggestionCategory")
        self.category.setEditable(True)
        for path in sorted({c.path for c in session.categories}):
            self.category.addItem(path_label(path), path)
        self.rule = QLineEdit()
        self.rule.setObjectName("suggestionRule")
        self.preview = QLabel("Select a suggestion to see what its rule would change.")
        self.preview.setObjectName("rulePreview")
        self.preview.setWordWrap(True)
        self.allow_taking = QCheckBox("Also move time that other categories have now")
        self.allow_taking.setObjectName("allowTaking")
        self.check_button = QPushButton("Check rule")
        self.check_button.setObjectName("checkRule")
        self.accept_button = QPushButton("Accept")
        self.accept_button.setObjectName("acceptSuggestion")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setObjectName("dismissSuggestion")
        self.undo_button = QPushButton("Undo last rule")
        self.undo_button.setObjectName("undoRule")
        close = QPushButton("Close")
        close.clicked.connect(lambda: self.accept_dialog())
        form = QFormLayout()
        form.addRow("Category:", self.category)
        form.addRow("Rule (regex):", self.rule)
        form.addRow(self.allow_taking)
        buttons = QHBoxLayout()
        for button in (self.check_button, self.accept_button, self.dismiss_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.figure)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(lambda: self._selected())
        self.check_button.clicked.connect(lambda: self.run_check())
        self.accept_button.clicked.connect(lambda: self.accept_selected())
        self.dismiss_button.clicked.connect(lambda: self.dismiss_selected())
        self.undo_button.clicked.connect(lambda: self.undo())
        self.rule.textEdited.connect(lambda _text: self._edited())
        self.category.currentTextChanged.connect(lambda _text: self._edited())
        self.allow_taking.toggled.connect(lambda _on: self._update_buttons())
        self._fill()
        self.resize(900, 560)

    # -- rows -------------------------------------------------------------------------------
    MAX_COLUMN_PX = 320

    def _fit_columns(self) -> None:
        """Time, group, category and certainty as wide as they need (a long group at most
        ``MAX_COLUMN_PX``, its whole text in the tooltip); the evidence takes the rest and
        wraps."""
        self.table.resizeColumnsToContents()
        for column in range(len(self.COLUMNS) - 1):
            width = self.table.columnWidth(column)
            self.table.setColumnWidth(column, min(width, self.MAX_COLUMN_PX))
        self.table.resizeRowsToContents()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.suggestions))
        for row, s in enumerate(self.suggestions):
            cells = (
                format_duration(s.time_us),
                s.label,
                path_label(s.path),
                f"{100 * s.confidence:.0f}%",
                "; ".join(s.evidence),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip("\n".join([text, *s.examples]) if column == 1 else text)
                self.table.setItem(row, column, item)
        self._fit_columns()
        self.heading.setText(
            f"Uncategorized: {format_duration(self.found.uncategorized_us)} — "
            f"{len(self.suggestions)} suggestion{'s' if len(self.suggestions) != 1 else ''}"
        )
        if self.suggestions:
            self.table.selectRow(0)
        else:
            self._selected()

    def selected(self) -> Suggestion | None:
        rows = self.table.selectionModel().selectedRows()
        return self.suggestions[rows[0].row()] if rows else None

    def _selected(self) -> None:
        s = self.selected()
        self.check = None
        self.category.blockSignals(True)
        self.rule.blockSignals(True)
        if s is None:
            self.rule.setText("")
            self.preview.setText("No suggestion left to review.")
        else:
            at = self.category.findData(s.path)
            if at < 0:
                self.category.addItem(path_label(s.path), s.path)
                at = self.category.count() - 1
            self.category.setCurrentIndex(at)
            self.rule.setText(s.regex)
        self.category.blockSignals(False)
        self.rule.blockSignals(False)
        self._update_buttons()
        if s is not None:
            self.run_check()

    def _edited(self) -> None:
        self.check = None
        self.preview.setText("Press Check rule to see what the edited rule would change.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = self.selected()
        check = self.check
        self.check_button.setEnabled(s is not None)
        self.dismiss_button.setEnabled(s is not None)
        self.accept_button.setEnabled(
            s is not None
            and check is not None
            and check.preview.gained_events > 0
            and (check.ok or self.allow_taking.isChecked())
        )
        self.undo_button.setEnabled(bool(self.undo_stack))

    def target_path(self) -> tuple[str, ...]:
        """The category chosen (typed paths use " › " or "/" between levels)."""  # noqa: RUF002
        text = self.category.currentText().strip()
        data = self.category.currentData()
        if isinstance(data, tuple) and path_label(data) == text:
            return data
        parts = [p.strip() for p in text.replace("/", "›").split("›")]  # noqa: RUF001
        return tuple(p for p in parts if p)

    # -- work on the pool -------------------------------------------------------------------
    def run_check(self) -> None:
        """Preview the rule against the whole history (a worker), then show what it does."""
        path, regex = self.target_path(), self.rule.text()
        if not path:
            self.preview.setText("Choose or type a category.")
            return
        categories = list(self.session.categories)
        found = self.found
        self.preview.setText("Checking the rule against your history…")
        self.check = None
        self._update_buttons()

        def work() -> RuleCheck:
            return check_rule(categories, path, regex, *found.check_values())

        self.runner.run("insights-check", work, self._checked, self._failed, owner=self)

    def _checked(self, check: RuleCheck) -> None:
        self.check = check
        self.preview.setText(describe_check(check))
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.check = None
        self.preview.setText(str(exc) if isinstance(exc, TimelyGatorError) else repr(exc))
        self._update_buttons()

    def accept_selected(self) -> None:
        check, s = self.check, self.selected()
        if check is None or s is None:
            return
        services = self.session.services
        before = list(self.session.categories)
        try:
            future = accept(
                services.writer, services.user_id, check,
                allow_taking=self.allow_taking.isChecked(),
            )  # fmt: skip
        except TimelyGatorError as exc:
            self._failed(exc)
            return
        self.accept_button.setEnabled(False)

        def saved(_result: object) -> None:
            self.undo_stack.append(before)
            self._remove(s)
            self.preview.setText(f"Saved: {path_label(check.path)} now matches {check.regex}")
            self.sig_categories_changed.emit(check.categories)

        self.runner.when_done("insights-save", future, saved, self._failed, owner=self)

    def dismiss_selected(self) -> None:
        s = self.selected()
        if s is None:
            return
        services = self.session.services
        future = dismiss(services.writer, services.user_id, [s.id])
        self.runner.when_done(
            "insights-save", future, lambda _r: self._remove(s), self._failed, owner=self
        )

    def undo(self) -> None:
        if not self.undo_stack:
            return
        before = self.undo_stack.pop()
        services = self.session.services
        future = store_categories(services.writer, services.user_id, before)

        def restored(_result: object) -> None:
            self.preview.setText("The last rule was undone: the categories are as they were.")
            self._update_buttons()
            self.sig_categories_changed.emit(before)

        self.runner.when_done("insights-save", future, restored, self._failed, owner=self)

    def _remove(self, s: Suggestion) -> None:
        if s in self.suggestions:
            self.suggestions.remove(s)
        self._fill()

    def accept_dialog(self) -> None:
        self.done(QDialog.DialogCode.Accepted)
