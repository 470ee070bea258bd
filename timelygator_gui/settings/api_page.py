"""Local API page: enable, port, compatibility mode, tokens, status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
)

from core import tokens
from core.services import Services
from timelygator_gui.preferences import Preferences
from timelygator_gui.settings.page import SettingsPage, form_page
from timelygator_gui.tasks import TaskRunner


class ApiPage(SettingsPage):
    title = "Local API"

    def __init__(self, services: Services, runner: TaskRunner, status: str = "Off") -> None:
        super().__init__()
        self.services = services
        self.runner = runner
        form = form_page(
            self,
            "The local REST API lets the browser extension, editor plugins and scripts send and "
            "read data. It only listens on this computer (127.0.0.1).",
        )
        self.enabled = QCheckBox("Enable the local API")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.compat = QCheckBox(
            "ActivityWatch compatibility mode (clients on this computer need no token)"
        )
        self.status = QLabel(status)
        self.status.setObjectName("apiStatus")
        self.token_list = QListWidget()
        self.token_list.setMaximumHeight(130)
        self.token_name = QLineEdit()
        self.token_name.setPlaceholderText("token name, e.g. firefox extension")
        self.scope = QComboBox()
        for scope in ("write", "read", "admin"):
            self.scope.addItem(scope, scope)
        self.create_button = QPushButton("Create token")
        self.revoke_button = QPushButton("Revoke selected")
        self.new_secret = QLineEdit()
        self.new_secret.setReadOnly(True)
        self.new_secret.setPlaceholderText("a new token is shown here once — copy it now")
        row = QHBoxLayout()
        row.addWidget(self.token_name, 1)
        row.addWidget(self.scope)
        row.addWidget(self.create_button)
        row.addWidget(self.revoke_button)
        form.addRow(self.enabled)
        form.addRow("Port:", self.port)
        form.addRow(self.compat)
        form.addRow("Status:", self.status)
        form.addRow("Tokens:", self.token_list)
        form.addRow(row)
        form.addRow("New token:", self.new_secret)
        self.create_button.clicked.connect(self.create_token)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.refresh_tokens()

    def load(self, prefs: Preferences) -> None:
        self.enabled.setChecked(prefs.api.enabled)
        self.port.setValue(prefs.api.port)
        self.compat.setChecked(prefs.api.compat_mode)

    def store(self, prefs: Preferences) -> None:
        prefs.api.enabled = self.enabled.isChecked()
        prefs.api.port = self.port.value()
        prefs.api.compat_mode = self.compat.isChecked()

    def refresh_tokens(self) -> None:
        services = self.services

        def read() -> list[tokens.TokenInfo]:
            with services.read() as conn:
                return tokens.list_tokens(conn, services.user_id)

        self.runner.run("api-tokens", read, self._show_tokens)

    def _show_tokens(self, infos: list[tokens.TokenInfo]) -> None:
        self.token_list.clear()
        for info in infos:
            if info.revoked:
                continue
            created = datetime.fromtimestamp(info.created_us / 1e6).strftime("%Y-%m-%d")
            item = QListWidgetItem(
                f"{info.name or '(unnamed)'} — {info.scope} — {info.prefix}… — created {created}"
            )
            item.setData(256, info.id)
            self.token_list.addItem(item)

    def create_token(self) -> None:
        future = tokens.create(
            self.services.writer, self.services.user_id, self.scope.currentData(),
            self.token_name.text().strip(),
        )  # fmt: skip

        def shown(new: Any) -> None:
            self.new_secret.setText(new.secret)
            self.token_name.clear()
            self.refresh_tokens()

        self.runner.run("api-write", lambda: future.result(10), shown, keep_all=True)

    def revoke_selected(self) -> None:
        item = self.token_list.currentItem()
        if item is None:
            return
        future = tokens.revoke(self.services.writer, int(item.data(256)), self.services.user_id)
        self.runner.run(
            "api-write", lambda: future.result(10), lambda _r: self.refresh_tokens(),
            keep_all=True,
        )  # fmt: skip
