"""Sync page: the server, this computer's token (kept in the OS keyring), on/off, bringing the
other computers' activity here, and what the sync is doing (last sync, still to send, last
error)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton
from timelygator.core.preferences import Preferences
from timelygator.core.services import Services
from timelygator.gui.settings.page import SettingsPage, checked, form_page
from timelygator.gui.sync_host import OFF, SyncHost, SyncStatus
from timelygator.gui.tasks import TaskRunner

KEPT_HINT = "a token is kept in the keyring: paste a new one to replace it"
MISSING_HINT = "paste this computer's token from the server (kept in the keyring)"


@dataclass(frozen=True, slots=True)
class Stored:
    """What the page reads off the GUI thread: whether a token is kept, the last sync."""

    has_token: bool
    last_sync_us: int | None
    device: str


def stored(services: Services) -> Stored:
    """(worker) The keyring and the sync state of this folder."""
    from timelygator.core.device import load_device_id
    from timelygator.core.sync.protocol import device_suffix
    from timelygator.core.sync.state import load_state
    from timelygator.core.sync.token_store import load_token

    with services.read() as conn:
        state = load_state(conn, services.user_id)
    device = device_suffix(load_device_id(services.dirs.data))
    return Stored(load_token(services.dirs) is not None, state.last_sync_us, device)


def when(us: int | None) -> str:
    if us is None:
        return "never"
    return datetime.fromtimestamp(us / 1e6).strftime("%Y-%m-%d %H:%M:%S")


class SyncPage(SettingsPage):
    title = "Sync"

    sig_stored_shown = Signal()
    """What the keyring and the database hold was read and is shown."""

    def __init__(self, services: Services, runner: TaskRunner, host: SyncHost | None) -> None:
        super().__init__()
        self.services = services
        self.runner = runner
        self.host = host
        form = form_page(
            self,
            "Send this computer's activity to a TimelyGator server ('timelygator serve' on a "
            "machine your computers reach) and see your other computers' activity here. What "
            "the privacy settings exclude or redact never leaves this computer. Changes take "
            "effect when you press OK.",
        )
        self.enabled = QCheckBox("Sync with a TimelyGator server")
        self.enabled.setObjectName("syncEnabled")
        self.server = QLineEdit()
        self.server.setObjectName("syncServer")
        self.server.setPlaceholderText("e.g. https://timelygator.example.org")
        self.server_note = QLabel("")
        self.server_note.setWordWrap(True)
        self.server_note.setVisible(False)  # shown when it has something to say
        self.token = QLineEdit()
        self.token.setObjectName("syncToken")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(MISSING_HINT)
        self.token.setToolTip(
            "Create it on the server for this computer: timelygator token create --scope "
            "write --user NAME"
        )
        self.forget = QPushButton("Forget token")
        self.forget.setObjectName("syncForgetToken")
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.forget)
        self.pull = QCheckBox("Show my other computers' activity here (read-only copies)")
        self.pull.setObjectName("syncPull")
        self.device = QLabel("")
        self.device.setObjectName("syncDevice")
        self.device.setToolTip("This computer's buckets have these ids on the server")
        self.state = QLabel(OFF.text)
        self.state.setObjectName("syncStatus")
        self.state.setWordWrap(True)
        self.last_sync = QLabel("")
        self.last_sync.setObjectName("syncLast")
        self.pending = QLabel("—")
        self.pending.setObjectName("syncPending")
        self.error = QLabel("none")
        self.error.setObjectName("syncError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_now = QPushButton("Sync now")
        self.sync_now.setObjectName("syncNow")
        form.addRow(self.enabled)
        form.addRow("Server:", self.server)
        form.addRow(self.server_note)
        form.addRow("Token:", token_row)
        form.addRow(self.pull)
        form.addRow("Bucket ids end in:", self.device)
        form.addRow("Status:", self.state)
        form.addRow("Last sync:", self.last_sync)
        form.addRow("Not yet sent:", self.pending)
        form.addRow("Last error:", self.error)
        now_row = QHBoxLayout()
        now_row.addWidget(self.sync_now)
        now_row.addStretch(1)
        form.addRow(now_row)
        self.server.textChanged.connect(lambda text: self._check_server(text))
        self.forget.clicked.connect(lambda: self.forget_token())
        self.sync_now.clicked.connect(lambda: self.request_sync())
        self.has_token = False
        self._status_time = False  # the last sync shown comes from the running sync
        if host is not None:
            host.sig_status.connect(self.show_status)
            self.show_status(host.status)
        self.runner.run("sync-page", lambda: stored(services), self._show_stored)

    # -- what is kept -------------------------------------------------------------------------
    def _show_stored(self, found: Stored) -> None:
        self.has_token = found.has_token
        self.token.setPlaceholderText(KEPT_HINT if found.has_token else MISSING_HINT)
        self.device.setText(found.device)
        if not self._status_time:
            self.last_sync.setText(when(found.last_sync_us))
        self.sig_stored_shown.emit()

    def forget_token(self) -> None:
        """Remove the token from the keyring now (the sync stops until a new one is given)."""
        if self.host is not None:
            self.host.set_token("")
        self.token.clear()
        self.has_token = False
        self.token.setPlaceholderText(MISSING_HINT)

    def request_sync(self) -> None:
        if self.host is not None:
            self.host.sync_now()

    # -- status -------------------------------------------------------------------------------
    def show_status(self, status: SyncStatus) -> None:
        self.state.setText(status.text)
        if status.last_sync_us is not None:
            self._status_time = True
            self.last_sync.setText(when(status.last_sync_us))
        self.pending.setText("—" if status.pending is None else f"{status.pending} event(s)")
        self.error.setText(status.error or "none")

    # -- settings -----------------------------------------------------------------------------
    def _check_server(self, text: str) -> bool:
        from timelygator.core.client.sync_client import check_server_url

        ok = checked(text, self.server_note, check_server_url)
        self.server_note.setVisible(not ok)
        return ok

    def load(self, prefs: Preferences) -> None:
        self.enabled.setChecked(prefs.sync.enabled)
        self.server.setText(prefs.sync.server_url)
        self.pull.setChecked(prefs.sync.pull)

    def store(self, prefs: Preferences) -> None:
        """Into ``prefs`` (OK); a token typed in goes to the keyring, through the sync's
        thread, before the new settings reach it."""
        url = self.server.text().strip().rstrip("/")
        prefs.sync.server_url = url if self._check_server(url) else prefs.sync.server_url
        prefs.sync.enabled = self.enabled.isChecked()
        prefs.sync.pull = self.pull.isChecked()
        token = self.token.text().strip()
        if token:
            if self.host is not None:
                self.host.set_token(token)
            else:
                from timelygator.core.sync.token_store import store_token

                dirs = self.services.dirs
                self.runner.run(
                    "sync-token", lambda: store_token(dirs, token), lambda _r: None, keep_all=True
                )
            self.has_token = True
        self.token.clear()
