"""Local API page: enable, port, compatibility mode, status, extension pairing, ActivityWatch
tools, allowed origins, tokens."""

from __future__ import annotations

import re
import socket
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from timelygator.core import tokens
from timelygator.core.aw_config import ActivityWatchKey, create_key
from timelygator.core.cors import web_origin
from timelygator.core.errors import ConflictError, ValidationError
from timelygator.core.preferences import Preferences
from timelygator.core.services import Services
from timelygator.gui.settings.page import SettingsPage, form_page
from timelygator.gui.tasks import TaskRunner

PAIRING_NAME = "browser extension"
TOKEN_ID_ROLE = 256
_CHROME_ID = re.compile(r"^[a-p]{32}$")
# The ``client`` of the buckets TimelyGator's extension creates (background.js).
EXTENSION_CLIENT = "timelygator-web-extension"
BROWSERS = ("chrome", "chromium", "firefox", "edge", "brave")


def extension_buckets(services: Services) -> list[str]:
    """The buckets TimelyGator's browser extension has written (worker)."""
    return [b.name for b in services.buckets() if b.client == EXTENSION_CLIENT]


def activitywatch_key(services: Services, port: int, overwrite: bool) -> ActivityWatchKey:
    """A token for ActivityWatch tools written where aw-client looks (worker thread)."""
    now = services.clock.now_us()
    return services.writer.call(
        lambda conn: create_key(conn, services.user_id, port, now, overwrite=overwrite)
    ).result(10)


def pair_extension(services: Services) -> tokens.NewToken:
    """A new write-scope token for the browser extension; older ones are revoked (worker)."""
    with services.read() as conn:
        old = [
            t
            for t in tokens.list_tokens(conn, services.user_id)
            if t.name == PAIRING_NAME and not t.revoked
        ]
    for info in old:
        tokens.revoke(services.writer, info.id, services.user_id).result(10)
    return tokens.create(services.writer, services.user_id, "write", PAIRING_NAME).result(10)


def _copy_row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    button.setEnabled(False)
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(edit.text()))
    edit.textChanged.connect(lambda text: button.setEnabled(bool(text)))
    return row


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    return label


class ApiPage(SettingsPage):
    title = "Local API"

    sig_tokens_shown = Signal()
    """The token list was refreshed."""
    sig_secret_shown = Signal()
    """A new token's secret is shown (pairing or token creation)."""
    sig_aw_key_written = Signal()
    """Giving ActivityWatch watchers a token finished (written, refused or failed)."""

    def __init__(self, services: Services, runner: TaskRunner, status: str = "Off") -> None:
        super().__init__()
        self.services = services
        self.runner = runner
        self.hostname = socket.gethostname()
        form = form_page(
            self,
            "The local REST API lets the browser extension, editor plugins and scripts send and "
            "read data. It only listens on this computer (127.0.0.1). Changes take effect "
            "when you press OK.",
        )
        self.enabled = QCheckBox("Enable the local API")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.compat = QCheckBox(
            "ActivityWatch compatibility mode (clients on this computer need no token)"
        )
        self.status = QLabel(status)
        self.status.setObjectName("apiStatus")
        self.status.setWordWrap(True)
        form.addRow(self.enabled)
        form.addRow("Port:", self.port)
        form.addRow(self.compat)
        form.addRow("Status:", self.status)

        # -- browser extension pairing --------------------------------------------------------
        form.addRow(_heading("Browser extension"))
        pairing_help = QLabel(
            "Pair the TimelyGator web watcher: create its token here, then paste the port and "
            "the token into the extension's options. Pairing again replaces the old token."
        )
        pairing_help.setWordWrap(True)
        self.pair_button = QPushButton("Create pairing token")
        self.pair_status = QLabel("")
        self.pair_status.setWordWrap(True)
        pair_row = QHBoxLayout()
        pair_row.addWidget(self.pair_button)
        pair_row.addWidget(self.pair_status, 1)
        self.pair_port = QLabel()
        self.pair_bucket = QLabel(self._expected_buckets())
        self.pair_bucket.setWordWrap(True)
        self.pair_bucket.setToolTip("Where the extension's tabs are stored (one per browser)")
        self.pair_secret = QLineEdit()
        self.pair_secret.setReadOnly(True)
        self.pair_secret.setPlaceholderText("shown once, right after pairing")
        self.pair_copy = QPushButton("Copy")
        self.extension_ids = QLineEdit()
        self.extension_ids.setPlaceholderText(
            "another Chrome extension, e.g. an unpacked aw-watcher-web: its ID from "
            "chrome://extensions"
        )
        self.origins = QLineEdit()
        self.origins.setPlaceholderText("a local web page, e.g. http://localhost:5600")
        form.addRow(pairing_help)
        form.addRow(pair_row)
        form.addRow("Extension port:", self.pair_port)
        form.addRow("Buckets:", self.pair_bucket)
        form.addRow("Extension token:", _copy_row(self.pair_secret, self.pair_copy))
        form.addRow("Other extension IDs:", self.extension_ids)
        form.addRow("Allowed web origins:", self.origins)

        # -- ActivityWatch tools ----------------------------------------------------------------
        form.addRow(_heading("ActivityWatch watchers"))
        aw_help = QLabel(
            "Stock ActivityWatch watchers (aw-client) can use a token: TimelyGator writes one "
            "where newer aw-client versions look for the key of a local server (ActivityWatch's "
            "aw-server-rust config.toml). Older ones need compatibility mode above."
        )
        aw_help.setWordWrap(True)
        self.aw_button = QPushButton("Give ActivityWatch watchers a token")
        self.aw_status = QLabel("")
        self.aw_status.setWordWrap(True)
        self.aw_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        aw_row = QHBoxLayout()
        aw_row.addWidget(self.aw_button)
        aw_row.addStretch(1)
        form.addRow(aw_help)
        form.addRow(aw_row)
        form.addRow(self.aw_status)

        # -- tokens ---------------------------------------------------------------------------
        form.addRow(_heading("Tokens"))
        self.token_list = QListWidget()
        self.token_list.setMaximumHeight(110)
        self.token_name = QLineEdit()
        self.token_name.setPlaceholderText("token name, e.g. editor plugin")
        self.scope = QComboBox()
        for scope in ("write", "read", "admin"):
            self.scope.addItem(scope, scope)
        self.create_button = QPushButton("Create token")
        self.revoke_button = QPushButton("Revoke selected")
        self.new_secret = QLineEdit()
        self.new_secret.setReadOnly(True)
        self.new_secret.setPlaceholderText("a new token is shown here once — copy it now")
        self.copy_button = QPushButton("Copy")
        row = QHBoxLayout()
        row.addWidget(self.token_name, 1)
        row.addWidget(self.scope)
        row.addWidget(self.create_button)
        row.addWidget(self.revoke_button)
        form.addRow("Active tokens:", self.token_list)
        form.addRow(row)
        form.addRow("New token:", _copy_row(self.new_secret, self.copy_button))
        self.port.valueChanged.connect(lambda v: self.pair_port.setText(str(v)))
        self.pair_button.clicked.connect(self.pair)
        self.aw_button.clicked.connect(lambda: self.give_activitywatch_token())
        self.create_button.clicked.connect(self.create_token)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.refresh_tokens()

    def load(self, prefs: Preferences) -> None:
        self.enabled.setChecked(prefs.api.enabled)
        self.port.setValue(prefs.api.port)
        self.pair_port.setText(str(prefs.api.port))
        self.compat.setChecked(prefs.api.compat_mode)
        self.extension_ids.setText(", ".join(prefs.api.extension_ids))
        self.origins.setText(", ".join(prefs.api.allowed_origins))

    def store(self, prefs: Preferences) -> None:
        prefs.api.enabled = self.enabled.isChecked()
        prefs.api.port = self.port.value()
        prefs.api.compat_mode = self.compat.isChecked()
        ids = re.split(r"[\s,]+", self.extension_ids.text().strip().lower())
        prefs.api.extension_ids = [i for i in ids if _CHROME_ID.match(i)]
        origins = []
        for text in re.split(r"[\s,]+", self.origins.text().strip()):
            try:
                origins.append(web_origin(text))
            except ValidationError:
                continue  # not an origin: dropped, as a malformed id is
        prefs.api.allowed_origins = origins

    def _expected_buckets(self) -> str:
        names = ", ".join(f"aw-watcher-web-{b}_{self.hostname}" for b in BROWSERS[:3])
        return f"None written yet. The extension writes one per browser: {names}, …"

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    # -- tokens -----------------------------------------------------------------------------
    def refresh_tokens(self) -> None:
        services = self.services

        def read() -> list[tokens.TokenInfo]:
            with services.read() as conn:
                return tokens.list_tokens(conn, services.user_id)

        self.runner.run("api-tokens", read, self._show_tokens)
        self.runner.run("api-buckets", lambda: extension_buckets(services), self._show_buckets)

    def _show_buckets(self, names: list[str]) -> None:
        if names:
            self.pair_bucket.setText("The extension writes to " + ", ".join(names) + ".")
        else:
            self.pair_bucket.setText(self._expected_buckets())

    def give_activitywatch_token(self, overwrite: bool = False) -> None:
        """Write a token where aw-client looks for it; asks before replacing a config that
        is ActivityWatch's own."""
        services, port = self.services, self.port.value()
        self.aw_button.setEnabled(False)
        self.aw_status.setText("Writing…")

        def written(made: ActivityWatchKey) -> None:
            self.aw_button.setEnabled(True)
            self.aw_status.setText(made.describe())
            self.refresh_tokens()
            self.sig_aw_key_written.emit()

        def failed(exc: BaseException) -> None:
            self.aw_button.setEnabled(True)
            if isinstance(exc, ConflictError) and not overwrite:
                answer = QMessageBox.question(
                    self,
                    "Replace ActivityWatch's configuration?",
                    f"{exc}\n\nReplace it with TimelyGator's token?",
                )
                if answer == QMessageBox.StandardButton.Yes:
                    self.give_activitywatch_token(overwrite=True)
                    return
                self.aw_status.setText("Nothing was changed.")
            else:
                self.aw_status.setText(f"Could not write the token: {exc}")
            self.sig_aw_key_written.emit()

        self.runner.run("api-write", lambda: activitywatch_key(services, port, overwrite),
                        written, failed, keep_all=True)  # fmt: skip

    def _show_tokens(self, infos: list[tokens.TokenInfo]) -> None:
        self.token_list.clear()
        for info in infos:
            if info.revoked:
                continue
            created = datetime.fromtimestamp(info.created_us / 1e6).strftime("%Y-%m-%d")
            item = QListWidgetItem(
                f"{info.name or '(unnamed)'} — {info.scope} — {info.prefix}… — created {created}"
            )
            item.setData(TOKEN_ID_ROLE, info.id)
            self.token_list.addItem(item)
        self.sig_tokens_shown.emit()

    def pair(self) -> None:
        """Create the extension's token (older pairing tokens are revoked)."""
        services = self.services
        self.pair_button.setEnabled(False)
        self.pair_status.setText("Creating…")

        def shown(new: tokens.NewToken) -> None:
            self.pair_secret.setText(new.secret)
            self.pair_button.setEnabled(True)
            hint = "" if self.enabled.isChecked() else " Enable the API above and press OK."
            self.pair_status.setText("Copy the token now: it is not shown again." + hint)
            self.refresh_tokens()
            self.sig_secret_shown.emit()

        def failed(exc: BaseException) -> None:
            self.pair_button.setEnabled(True)
            self.pair_status.setText(f"Pairing failed: {exc}")

        self.runner.run("api-write", lambda: pair_extension(services), shown, failed,
                        keep_all=True, owner=self)  # fmt: skip

    def create_token(self) -> None:
        services = self.services
        scope, name = str(self.scope.currentData()), self.token_name.text().strip()

        def shown(new: tokens.NewToken) -> None:
            self.new_secret.setText(new.secret)
            self.token_name.clear()
            self.refresh_tokens()
            self.sig_secret_shown.emit()

        self.runner.run(
            "api-write",
            lambda: tokens.create(services.writer, services.user_id, scope, name).result(10),
            shown,
            keep_all=True,
            owner=self,
        )

    def revoke_selected(self) -> None:
        item = self.token_list.currentItem()
        if item is None:
            return
        services, token_id = self.services, int(item.data(TOKEN_ID_ROLE))
        self.runner.run(
            "api-write",
            lambda: tokens.revoke(services.writer, token_id, services.user_id).result(10),
            lambda _r: self.refresh_tokens(),
            keep_all=True,
            owner=self,
        )
