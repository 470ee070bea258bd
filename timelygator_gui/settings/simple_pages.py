"""Privacy and General pages (Watchers has its own module)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
)
from timelygator.core.preferences import Preferences
from timelygator.gui.display_path import display_path
from timelygator.gui.settings.page import SettingsPage, checked, form_page


def _lines(edit: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in edit.toPlainText().splitlines() if line.strip()]


class PrivacyPage(SettingsPage):
    title = "Privacy"

    def __init__(self) -> None:
        super().__init__()
        form = form_page(
            self,
            "Excluded apps and sites are never recorded. Redaction rules (regular expressions) "
            "replace matching parts of window titles with [redacted] before anything is stored.",
        )
        self.apps = QPlainTextEdit()
        self.apps.setPlaceholderText("one app per line, wildcards allowed (e.g. keepass*)")
        self.sites = QPlainTextEdit()
        self.sites.setPlaceholderText("one domain per line (e.g. mybank.com)")
        self.redactions = QPlainTextEdit()
        self.redactions.setPlaceholderText(r"one regex per line (e.g. \d{4}-\d{4}-\d{4}-\d{4})")
        for edit in (self.apps, self.sites, self.redactions):
            edit.setMaximumHeight(90)
        self.domain_only = QCheckBox("Keep only the domain of URLs (drop paths and queries)")
        self.incognito = QCheckBox("Record private / incognito windows")
        form.addRow("Excluded apps:", self.apps)
        form.addRow("Excluded sites:", self.sites)
        form.addRow("Title redaction:", self.redactions)
        form.addRow(self.domain_only)
        form.addRow(self.incognito)

    def load(self, prefs: Preferences) -> None:
        p = prefs.privacy
        self.apps.setPlainText("\n".join(p.excluded_apps))
        self.sites.setPlainText("\n".join(p.excluded_sites))
        self.redactions.setPlainText("\n".join(p.title_redactions))
        self.domain_only.setChecked(p.domain_only_urls)
        self.incognito.setChecked(p.record_incognito)

    def store(self, prefs: Preferences) -> None:
        p = prefs.privacy
        p.excluded_apps = _lines(self.apps)
        p.excluded_sites = _lines(self.sites)
        p.title_redactions = _lines(self.redactions)
        p.domain_only_urls = self.domain_only.isChecked()
        p.record_incognito = self.incognito.isChecked()


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class GeneralPage(SettingsPage):
    title = "General"

    sig_copy_diagnostics_requested = Signal()
    """*Copy diagnostics* was pressed: the dialog collects the report off the GUI thread."""

    def __init__(self, logs: Path | None = None) -> None:
        super().__init__()
        self.logs = logs
        self.diagnostics = ""  # the report last copied
        form = form_page(self, "How TimelyGator starts and looks.")
        self.start_at_login = QCheckBox("Start TimelyGator when I log in")
        self.theme = QComboBox()
        for label, value in (("Follow system", "system"), ("Light", "light"), ("Dark", "dark")):
            self.theme.addItem(label, value)
        self.day_start = QSpinBox()
        self.day_start.setRange(0, 12)
        self.day_start.setSuffix(":00")
        self.day_start.setToolTip("Night owls: activity before this hour counts for the day before")
        self.week_start = QComboBox()
        for index, name in enumerate(WEEKDAYS):
            self.week_start.addItem(name, index)
        form.addRow(self.start_at_login)
        form.addRow("Theme:", self.theme)
        form.addRow("Day starts at:", self.day_start)
        form.addRow("Week starts on:", self.week_start)
        self.log_titles = QCheckBox("Write window titles and URLs into the log files")
        self.log_titles.setToolTip(
            "Off: the logs hold no titles, URLs or other activity, so they can be sent with a "
            "bug report. Keys, passphrases and tokens are never written."
        )
        self.log_folder = QLabel(display_path(logs) if logs is not None else "")
        self.log_folder.setObjectName("logFolder")
        self.log_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_folder.setWordWrap(True)
        self.open_logs = QPushButton("Open log folder")
        self.open_logs.setObjectName("openLogFolder")
        self.open_logs.setEnabled(logs is not None)
        self.open_logs.clicked.connect(lambda: self.open_log_folder())
        logs_row = QHBoxLayout()
        logs_row.addWidget(self.log_folder, 1)
        logs_row.addWidget(self.open_logs)
        form.addRow("Log files:", logs_row)
        form.addRow(self.log_titles)
        self.insights = QCheckBox(
            "Insights (experimental): suggest categories for uncategorized time, describe the "
            "day and week, flag unusual days"
        )
        self.insights.setObjectName("insightsEnabled")
        self.insights.setToolTip(
            "Learned on this computer from the categories you gave your own activity; nothing "
            "is sent anywhere, and the model is kept in memory only."
        )
        form.addRow(self.insights)
        self.llm_url = QLineEdit()
        self.llm_url.setObjectName("insightsLlmUrl")
        self.llm_url.setPlaceholderText("off — e.g. http://127.0.0.1:8080/v1")
        self.llm_url.setToolTip(
            "Optional: an OpenAI-compatible language model server on this computer rephrases "
            "the day in words. It gets only the figures, never titles; other addresses are "
            "refused."
        )
        self.llm_note = QLabel("")
        self.llm_note.setObjectName("insightsLlmNote")
        self.llm_note.setWordWrap(True)
        self.llm_url.textChanged.connect(lambda text: self._check_llm(text))
        form.addRow("Rephrase with:", self.llm_url)
        form.addRow(self.llm_note)
        self.copy_diagnostics = QPushButton("Copy diagnostics")
        self.copy_diagnostics.setObjectName("copyDiagnostics")
        self.copy_diagnostics.setToolTip(
            "Versions, desktop, watchers and folders for a bug report: no window titles, "
            "URLs or other activity (the same as 'timelygator --diagnose')"
        )
        self.copy_diagnostics.clicked.connect(lambda: self._request_diagnostics())
        self.diagnostics_note = QLabel("")
        self.diagnostics_note.setObjectName("diagnosticsNote")
        self.diagnostics_note.setWordWrap(True)
        diagnostics_row = QHBoxLayout()
        diagnostics_row.addWidget(self.copy_diagnostics)
        diagnostics_row.addWidget(self.diagnostics_note, 1)
        form.addRow("Bug report:", diagnostics_row)

    def _check_llm(self, text: str) -> bool:
        """Whether ``text`` may be used (empty, or an address on this computer); says why not."""
        from timelygator.core.insights.rephrase import check_local

        return checked(text, self.llm_note, check_local)

    def _request_diagnostics(self) -> None:
        self.copy_diagnostics.setEnabled(False)
        self.diagnostics_note.setText("Collecting…")
        self.sig_copy_diagnostics_requested.emit()

    def show_diagnostics(self, text: str | None, error: str = "") -> None:
        """Put the report on the clipboard (``text``), or say why there is none."""
        self.copy_diagnostics.setEnabled(True)
        if text is None:
            self.diagnostics_note.setText(f"Could not collect the diagnostics: {error}")
            return
        self.diagnostics = text
        QGuiApplication.clipboard().setText(text)
        self.diagnostics_note.setText("Copied: paste it into your bug report.")

    def open_log_folder(self) -> None:
        """Show the log folder in the file manager (created first, owner-only)."""
        if self.logs is None:
            return
        self.logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.logs)))

    def load(self, prefs: Preferences) -> None:
        g = prefs.general
        self.start_at_login.setChecked(g.start_at_login)
        self.theme.setCurrentIndex(max(0, self.theme.findData(g.theme)))
        self.day_start.setValue(g.day_start_hour)
        self.week_start.setCurrentIndex(g.week_start)
        self.log_titles.setChecked(g.log_titles)
        self.insights.setChecked(prefs.insights.enabled)
        self.llm_url.setText(prefs.insights.llm_url)

    def store(self, prefs: Preferences) -> None:
        g = prefs.general
        g.start_at_login = self.start_at_login.isChecked()
        g.theme = str(self.theme.currentData())
        g.day_start_hour = self.day_start.value()
        prefs.insights.enabled = self.insights.isChecked()
        url = self.llm_url.text().strip()
        prefs.insights.llm_url = url if self._check_llm(url) else ""
        g.week_start = int(self.week_start.currentData())
        g.log_titles = self.log_titles.isChecked()
