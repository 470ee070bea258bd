"""Categories page: tree editor, colour, productivity, rule with live preview, import/export."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.analytics.classifier import MANUAL_CATEGORY_KEY
from timelygator.core.analytics.report import hms
from timelygator.core.categories.categorizer import Categorizer
from timelygator.core.categories.colors import category_color
from timelygator.core.categories.formats import (
    from_aw_classes,
    load_categories_file,
    load_default_categories,
    to_aw_classes,
    to_document,
)
from timelygator.core.categories.model import Category, CategoryTree, Productivity, Rule
from timelygator.core.categories.preview import RulePreview, rule_preview
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.range_data import Superseded, bucket_kind, read_range
from timelygator.gui.tasks import TaskRunner

PATH_ROLE = Qt.ItemDataRole.UserRole
FIELDS = (("All fields", None), ("App", ["app"]), ("Title", ["title"]), ("URL", ["url"]))
LEVELS = [("Inherit", None)] + [(p.label, float(p.value)) for p in reversed(Productivity)]


OURS = "TimelyGator categories (*.json)"
ACTIVITYWATCH = "ActivityWatch categories (*.json)"


def read_categories(path: Path) -> list[Category]:
    """Categories from a file in either form; also ``{"categories": [...]}``, which earlier
    versions of this page exported (ActivityWatch entries in a dict without a format)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"Cannot read categories from {path}: {exc}.") from None
    if isinstance(raw, dict) and "format" not in raw and isinstance(raw.get("categories"), list):
        return from_aw_classes(raw["categories"])
    return load_categories_file(path)


def preview_rule(
    categories: list[Category],
    path: tuple[str, ...],
    rule: Rule,
    events: list[Event],
    stored: Rule | None = None,
) -> RulePreview:
    """What ``rule`` on ``path`` would file there, from where, and what others keep (worker).

    "Before" is ``categories`` with ``path``'s rule as stored (``stored``; none for a new
    category), so time the draft moves is reported while it is being typed.
    """
    rule.compile()  # raises ValidationError for a bad regex
    before = Categorizer(
        (c.name, (stored or Rule()) if c.path == path else c.rule) for c in categories
    )
    return rule_preview(before, Category(list(path), rule), events)


# The rule preview reads the events of the range on screen, at most its last week: a busy
# month is ~400,000 events (seconds to read), a week shows what a rule takes as well.
SAMPLE_DAYS = 7


def sample_range(shown: DateRange) -> DateRange:
    """The days whose events the rule preview reads: the range on screen, at most its last
    ``SAMPLE_DAYS`` days."""
    if shown.days <= SAMPLE_DAYS:
        return shown
    first = shown.last - timedelta(days=SAMPLE_DAYS - 1)
    return DateRange(RangeMode.CUSTOM, first, shown.last, shown.day_start_hour)


def describe_preview(preview: RulePreview, sample: str) -> str:
    """One or two sentences: what the rule matches, what moves, and what it cannot take."""
    if preview.matched_events == 0:
        return f"The rule matches no events in {sample}."
    text = f"Matches {_events(preview.matched_events)} ({hms(preview.matched_seconds)}) in {sample}"
    if preview.moved_from:
        moved = sorted(preview.moved_from.items(), key=lambda kv: -kv[1])[:3]
        text += "; moves here from " + ", ".join(f"{_path(p)} ({hms(s)})" for p, s in moved)
    text += "."
    for kept in preview.taken_by[:2]:
        regex = kept.regex or ""
        rule = f": rule {regex if len(regex) <= 60 else regex[:59] + '…'}" if regex else ""
        text += (
            f" {_events(kept.events).capitalize()} ({hms(kept.seconds)}) taken by "
            f"{_path(kept.path)}, which is {kept.reason}{rule}."
        )
    return text


def _events(n: int) -> str:
    return f"{n:,} event" + ("" if n == 1 else "s")


def _path(path: tuple[str, ...]) -> str:
    return " › ".join(path)  # noqa: RUF001


class CategoriesPage(QWidget):
    """Edits a copy of the category list; ``categories()`` returns the edited list."""

    title = "Categories"
    sig_preview_shown = Signal()
    """The rule preview was updated."""

    def __init__(
        self,
        categories: list[Category],
        services: Services | None,
        runner: TaskRunner,
        sample: DateRange | None = None,
    ) -> None:
        super().__init__()
        self.runner = runner
        self.services = services
        self.changed = False
        self._sample: list[Event] | None = None
        self._sample_wanted = threading.Event()
        self._sample_wanted.set()
        self._categories = [Category(list(c.name), c.rule, c.color, c.score) for c in categories]
        self._stored_rules = {c.path: c.rule for c in categories}  # previews compare to these
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Category", "Productivity", "Rule"])
        self.tree.setColumnWidth(0, 220)
        self.tree.setColumnWidth(1, 120)
        self.add_button = QPushButton("Add")
        self.add_child_button = QPushButton("Add subcategory")
        self.rename_button = QPushButton("Rename")
        self.delete_button = QPushButton("Delete")
        self.up_button = QPushButton("▲")
        self.down_button = QPushButton("▼")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.defaults_button = QPushButton("Restore defaults")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.add_child_button, self.rename_button, self.delete_button,
                  self.up_button, self.down_button):  # fmt: skip
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.import_button, self.export_button, self.defaults_button):
            buttons.addWidget(b)
        self.color_button = QPushButton()
        self.color_button.setFixedWidth(90)
        self.level = QComboBox()
        for label, value in LEVELS:
            self.level.addItem(label, value)
        self.regex = QLineEdit()
        self.regex.setPlaceholderText("regular expression, e.g. code|terminal")
        self.ignore_case = QCheckBox("Ignore case")
        self.field = QComboBox()
        for label, keys in FIELDS:
            self.field.addItem(label, keys)
        self.preview = QLabel("Select a category to edit its rule.")
        self.preview.setObjectName("rulePreview")
        self.preview.setWordWrap(True)
        editor = QFormLayout()
        rule_row = QHBoxLayout()
        rule_row.addWidget(self.regex, 1)
        rule_row.addWidget(self.field)
        rule_row.addWidget(self.ignore_case)
        editor.addRow("Colour:", self.color_button)
        editor.addRow("Productivity:", self.level)
        editor.addRow("Rule:", rule_row)
        editor.addRow("Preview:", self.preview)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addLayout(editor)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self.run_preview)
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        self.add_button.clicked.connect(lambda: self.ask_new(child=False))
        self.add_child_button.clicked.connect(lambda: self.ask_new(child=True))
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.delete_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.color_button.clicked.connect(self.ask_color)
        self.level.currentIndexChanged.connect(self._edited)
        self.regex.textEdited.connect(self._edited)
        self.ignore_case.toggled.connect(self._edited)
        self.field.currentIndexChanged.connect(self._edited)
        self.import_button.clicked.connect(self.choose_import)
        self.export_button.clicked.connect(self.choose_export)
        self.defaults_button.clicked.connect(lambda: self.set_categories(load_default_categories()))
        self._loading = False
        self.rule_error: str | None = None
        self.name_dialog: QInputDialog | None = None
        self.color_dialog: QColorDialog | None = None
        self.rebuild()
        if services is not None:
            rng = sample or DateRange.around(_today(), RangeMode.WEEK)
            self._load_sample(services, rng)

    # -- model ------------------------------------------------------------------------------
    def categories(self) -> list[Category]:
        return [Category(list(c.name), c.rule, c.color, c.score) for c in self._categories]

    def set_categories(self, categories: list[Category]) -> None:
        self._categories = [Category(list(c.name), c.rule, c.color, c.score) for c in categories]
        self.changed = True
        self.rebuild()

    def _by_path(self, path: tuple[str, ...]) -> Category | None:
        return next((c for c in self._categories if c.path == path), None)

    def _ensure(self, path: tuple[str, ...]) -> Category:
        found = self._by_path(path)
        if found is None:
            found = Category(list(path))
            self._categories.append(found)
        return found

    def rebuild(self, select: tuple[str, ...] | None = None) -> None:
        self._loading = True
        self.tree.clear()
        items: dict[tuple[str, ...], QTreeWidgetItem] = {}
        paths: list[tuple[str, ...]] = []
        for c in self._categories:
            for depth in range(1, len(c.path) + 1):
                if c.path[:depth] not in paths:
                    paths.append(c.path[:depth])
        tree = CategoryTree(self._categories)
        for path in paths:
            parent = items.get(path[:-1])
            item = QTreeWidgetItem([path[-1]])
            item.setData(0, PATH_ROLE, path)
            # The colour the views draw it in: its own, inherited, or its top category's.
            item.setData(0, Qt.ItemDataRole.DecorationRole, QColor(category_color(path, tree)))
            cat = self._by_path(path)
            if cat is not None:
                level = next((lbl for lbl, v in LEVELS if v == cat.score), "Inherit")
                item.setText(1, level if cat.score is not None else "")
                item.setText(2, cat.rule.regex or "")
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            items[path] = item
        self.tree.expandAll()
        self._loading = False
        if select is not None and select in items:
            self.tree.setCurrentItem(items[select])
        else:
            self._show_selected()

    def selected_path(self) -> tuple[str, ...] | None:
        item = self.tree.currentItem()
        return None if item is None else tuple(item.data(0, PATH_ROLE))

    def _show_selected(self) -> None:
        path = self.selected_path()
        enabled = path is not None
        for w in (self.color_button, self.level, self.regex, self.ignore_case, self.field,
                  self.rename_button, self.delete_button, self.add_child_button):  # fmt: skip
            w.setEnabled(enabled)
        if path is None:
            return
        cat = self._by_path(path) or Category(list(path))
        self._loading = True
        self.color_button.setText(cat.color or "inherit")
        self.color_button.setStyleSheet(f"background:{cat.color};" if cat.color else "")
        self.level.setCurrentIndex(_index_of(self.level, cat.score))
        self.regex.setText(cat.rule.regex or "")
        # A new rule ignores case, as Search does; a stored rule shows its own setting.
        self.ignore_case.setChecked(bool(cat.rule.ignore_case) if cat.rule.active else True)
        self._show_rule_error(None)
        keys = cat.rule.select_keys
        self.field.setCurrentIndex(_index_of(self.field, keys))
        self._loading = False
        self._preview_timer.start()

    def _edited(self, *_args: object) -> None:
        path = self.selected_path()
        if self._loading or path is None:
            return
        cat = self._ensure(path)
        cat.score = self.level.currentData()
        rule = self.current_rule()
        try:
            rule.compile()
        except ValidationError as exc:
            # Shown beside the field and never saved: the category keeps its last valid rule.
            self._show_rule_error(str(exc))
            self.changed = True
            return
        self._show_rule_error(None)
        cat.rule = rule
        self.changed = True
        item = self.tree.currentItem()
        if item is None:
            return
        item.setText(1, self.level.currentText() if cat.score is not None else "")
        item.setText(2, cat.rule.regex or "")
        self._preview_timer.start()

    def _show_rule_error(self, message: str | None) -> None:
        self.rule_error = message
        self.regex.setProperty("invalid", message is not None)
        self.regex.setStyleSheet("border: 1px solid #d93025;" if message else "")
        self.regex.setToolTip(message or "")
        if message:
            self.preview.setText(f"Not saved: {message}")

    def current_rule(self) -> Rule:
        text = self.regex.text()
        if not text:
            return Rule()
        return Rule.regex_rule(
            text, ignore_case=self.ignore_case.isChecked(), select_keys=self.field.currentData()
        )

    # -- tree editing ----------------------------------------------------------------------------
    def ask_new(self, *, child: bool) -> None:
        """Ask for a name, then add a category (or a subcategory of the selected one)."""
        if child and self.selected_path() is None:
            return
        self._ask_text(
            "New subcategory" if child else "New category", "",
            lambda name: self.add_category(name, child=child),
        )  # fmt: skip

    def add_category(self, name: str, *, child: bool) -> None:
        parent = self.selected_path() if child else None
        name = name.strip()
        if not name:
            return
        path = (*(parent or ()), name)
        self._ensure(path)
        self.changed = True
        self.rebuild(select=path)

    def ask_rename(self) -> None:
        """Ask for the selected category's new name, then rename it."""
        path = self.selected_path()
        if path is not None:
            self._ask_text("Rename category", path[-1], self.rename_selected)

    def _ask_text(self, title: str, text: str, done: Callable[[str], None]) -> None:
        """A name prompt that does not block (``self.name_dialog`` until it closes)."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText("Name:")
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(done)
        dialog.finished.connect(dialog.deleteLater)
        self.name_dialog = dialog
        dialog.open()

    def rename_selected(self, name: str) -> None:
        path = self.selected_path()
        name = name.strip()
        if path is None or not name or name == path[-1]:
            return
        new = (*path[:-1], name)
        if self._by_path(new) is not None:
            self.preview.setText(f"There is already a category named {_path(new)}.")
            return
        for c in self._categories:
            if c.path[: len(path)] == path:
                c.name = list(new + c.path[len(path) :])
        self.changed = True
        self.rebuild(select=new)

    def delete_selected(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        self._categories = [c for c in self._categories if c.path[: len(path)] != path]
        self.changed = True
        self.rebuild(select=path[:-1] or None)

    def move_selected(self, step: int) -> None:
        path = self.selected_path()
        if path is None:
            return
        siblings: list[tuple[str, ...]] = []
        for c in self._categories:
            if len(c.path) >= len(path) and c.path[: len(path) - 1] == path[:-1]:
                top = c.path[: len(path)]
                if top not in siblings:
                    siblings.append(top)
        index = siblings.index(path)
        target = index + step
        if not 0 <= target < len(siblings):
            return
        siblings[index], siblings[target] = siblings[target], siblings[index]
        order = {p: i for i, p in enumerate(siblings)}
        self._categories.sort(
            key=lambda c: (
                order.get(c.path[: len(path)], -1)
                if c.path[: len(path) - 1] == path[:-1] and len(c.path) >= len(path)
                else -1
            )
        )
        self.changed = True
        self.rebuild(select=path)

    def ask_color(self) -> None:
        """Open a colour picker for the selected category (``self.color_dialog``)."""
        path = self.selected_path()
        if path is None:
            return
        cat = self._by_path(path)
        dialog = QColorDialog(QColor(cat.color if cat and cat.color else "#4e79a7"), self)
        dialog.setWindowTitle(f"Colour of {_path(path)}")
        dialog.colorSelected.connect(lambda color: self.set_color(color.name()))
        dialog.finished.connect(dialog.deleteLater)
        self.color_dialog = dialog
        dialog.open()

    def set_color(self, color: str) -> None:
        path = self.selected_path()
        if path is None or not QColor.isValidColorName(color):
            return
        self._ensure(path).color = color
        self.changed = True
        self.rebuild(select=path)

    # -- import / export -------------------------------------------------------------------------
    def choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import categories", "", "JSON (*.json)")
        if name:
            self.import_from(Path(name))

    def import_from(self, path: Path) -> None:
        """Our document or ActivityWatch's ``classes`` list (older exports: wrapped in a dict)."""
        try:
            self.set_categories(read_categories(path))
        except ValidationError as exc:
            self.preview.setText(f"Could not import {path.name}: {exc}")

    def choose_export(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export categories", "categories.json", f"{OURS};;{ACTIVITYWATCH}"
        )
        if name:
            self.export_to(Path(name), activitywatch=chosen == ACTIVITYWATCH)

    def export_to(self, path: Path, *, activitywatch: bool = False) -> None:
        """Our versioned document, or ActivityWatch's ``classes`` list."""
        document = (
            to_aw_classes(self._categories) if activitywatch else to_document(self._categories)
        )
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")

    # -- preview ---------------------------------------------------------------------------------
    def _load_sample(self, services: Services, rng: DateRange) -> None:
        rng = sample_range(rng)
        start_us, end_us = rng.bounds_us()
        wanted = self._sample_wanted

        def work() -> list[Event]:
            buckets, by_bucket = read_range(services, start_us, end_us, wanted.is_set)
            # Events with a manual category keep it whatever the rules say.
            return [
                e for b in buckets if bucket_kind(b) in ("window", "web")
                for e in by_bucket[b.name] if MANUAL_CATEGORY_KEY not in e.data
            ]  # fmt: skip

        self.sample_label = rng.label()
        self.runner.run("category-sample", work, self._sample_loaded, self._sample_failed)

    def _sample_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Superseded):  # Superseded: the dialog closed meanwhile
            self.preview.setText(f"The events for the preview could not be read: {exc}")

    @property
    def sample_loaded(self) -> bool:
        """The events the rule preview reads are at hand."""
        return self._sample is not None

    def stop_sample(self) -> None:
        """The dialog closed: a sample still being read stops (it would only compete with
        the reload that the new rules start)."""
        self._sample_wanted.clear()

    def _sample_loaded(self, events: list[Event]) -> None:
        self._sample = events
        self.run_preview()

    def run_preview(self) -> None:
        path = self.selected_path()
        if path is None or self._sample is None or self.rule_error is not None:
            return
        rule = self.current_rule()
        categories = self.categories()
        events = self._sample
        stored = self._stored_rules.get(path)

        def shown(p: RulePreview) -> None:
            self.preview.setText(describe_preview(p, self.sample_label))
            self.sig_preview_shown.emit()

        def failed(exc: BaseException) -> None:
            self.preview.setText(str(exc) if isinstance(exc, ValidationError) else repr(exc))
            self.sig_preview_shown.emit()

        self.runner.run(
            "category-preview",
            lambda: preview_rule(categories, path, rule, events, stored),
            shown,
            failed,
            owner=self,
        )


def _today() -> date:
    return date.today()


def _index_of(combo: QComboBox, value: object) -> int:
    """The row whose data equals ``value`` (findData cannot compare None or lists)."""
    for row in range(combo.count()):
        if combo.itemData(row) == value:
            return row
    return 0
