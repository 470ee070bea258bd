"""First-run and unlock dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.keys import MIN_PASSPHRASE_LENGTH
from timelygator.gui.dialog_size import fit_width

FIRST_RUN_TEXT = """
<h2>Welcome to TimelyGator</h2>
<p>TimelyGator records, on this computer only:</p>
<ul>
<li>which application and window title has your attention, and when;</li>
<li>which browser tab is active (its URL and title), if you allow the browser watcher;</li>
<li>when you are away from the keyboard (no keystrokes or screen content are recorded).</li>
</ul>
<p>Everything is kept in an encrypted database in <code>{data}</code>.
Nothing leaves this computer. You can pause tracking, exclude apps and sites,
and delete anything later.</p>
"""


class FirstRunDialog(QDialog):
    """Explains what is recorded and where; keyring or passphrase; optionally the API."""

    def __init__(
        self, data_dir: Path, keyring_ok: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to TimelyGator")
        intro = QLabel(FIRST_RUN_TEXT.format(data=data_dir))
        intro.setWordWrap(True)
        self.use_keyring = QRadioButton("Keep the database key in the system keyring (recommended)")
        self.use_passphrase = QRadioButton("Protect the key with a passphrase I type at start")
        if keyring_ok:
            self.use_keyring.setChecked(True)
        else:
            self.use_keyring.setEnabled(False)
            self.use_keyring.setText(self.use_keyring.text() + " — no keyring available")
            self.use_passphrase.setChecked(True)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(f"at least {MIN_PASSPHRASE_LENGTH} characters")
        self.confirm = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.enable_api = QCheckBox(
            "Enable the local API (for the browser extension and editor plugins)"
        )
        self.error = QLabel("")
        self.error.setObjectName("errorText")
        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Repeat:", self.confirm)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start tracking")
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.use_keyring)
        layout.addWidget(self.use_passphrase)
        layout.addLayout(form)
        layout.addWidget(self.enable_api)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.use_passphrase.toggled.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        on = self.use_passphrase.isChecked()
        self.passphrase.setEnabled(on)
        self.confirm.setEnabled(on)

    def _check(self) -> None:
        if self.use_passphrase.isChecked():
            if len(self.passphrase.text()) < MIN_PASSPHRASE_LENGTH:
                self.error.setText(
                    f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters."
                )
                return
            if self.passphrase.text() != self.confirm.text():
                self.error.setText("The two passphrases differ.")
                return
        self.accept()

    def chosen_passphrase(self) -> str | None:
        return self.passphrase.text() if self.use_passphrase.isChecked() else None


class UnlockDialog(QDialog):
    """Asks for the passphrase; shows why the last attempt failed."""

    def __init__(self, data_dir: Path, message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle("Unlock TimelyGator")
        text = QLabel(
            f"Your TimelyGator data in <code>{data_dir}</code> is protected by a passphrase."
        )
        text.setWordWrap(True)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.error = QLabel(message)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Unlock")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.passphrase)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        fit_width(self, str(data_dir), extra=120)
