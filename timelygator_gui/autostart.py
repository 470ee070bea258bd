"""Start at login: write or remove the OS's autostart entry (Qt-free, testable with a tmp HOME).

- Linux (XDG): ``$XDG_CONFIG_HOME/autostart/io.timelygator.TimelyGator.desktop`` (default
  ``~/.config``), from ``resources/desktop/io.timelygator.TimelyGator-autostart.desktop``.
- macOS: a LaunchAgent ``~/Library/LaunchAgents/io.timelygator.TimelyGator.plist``.
- Windows: the value ``TimelyGator`` under HKCU
  ``Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

Every entry starts this installation with ``--minimized`` (into the tray, no window): the
bundle's executable (``/usr/bin/timelygator`` for the .deb), or pip's ``timelygator`` script
(``desktop_entry.app_command``).
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from timelygator.gui.desktop_entry import APP_ID, app_command, entry_text, write_atomically

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "TimelyGator"


def launch_command() -> list[str]:
    """How to start this installation, minimized."""
    return [*app_command(), "--minimized"]


class Autostart:
    """The autostart entry of one platform; ``home``/``environ``/``registry`` for tests."""

    def __init__(
        self,
        platform: str | None = None,
        home: Path | None = None,
        environ: Mapping[str, str] | None = None,
        registry: Any = None,
        command: list[str] | None = None,
    ) -> None:
        self.platform = platform or sys.platform
        self.environ = os.environ if environ is None else environ
        self.home = home or Path(self.environ.get("HOME") or Path.home())
        self._registry = registry
        self.command = command or launch_command()

    # -- where ------------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        """The entry's file (None on Windows, where it is a registry value)."""
        if self.platform.startswith("win"):
            return None
        if self.platform == "darwin":
            return self.home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        config = self.environ.get("XDG_CONFIG_HOME") or str(self.home / ".config")
        return Path(config) / "autostart" / f"{APP_ID}.desktop"

    def _winreg(self) -> Any:
        if self._registry is None:
            import winreg  # type: ignore[import-not-found,unused-ignore]

            self._registry = winreg
        return self._registry

    # -- what -------------------------------------------------------------------------------
    def desktop_entry(self) -> str:
        return entry_text(f"{APP_ID}-autostart.desktop", self.command)

    def launch_agent(self) -> bytes:
        return plistlib.dumps(
            {
                "Label": APP_ID,
                "ProgramArguments": list(self.command),
                "RunAtLoad": True,
                "ProcessType": "Interactive",
            }
        )

    # -- on / off ---------------------------------------------------------------------------
    def enabled(self) -> bool:
        path = self.path
        if path is not None:
            return path.is_file()
        reg = self._winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                reg.QueryValueEx(key, RUN_VALUE)
        except OSError:
            return False
        return True

    def set_enabled(self, on: bool) -> None:
        """Write (``on``) or remove the entry; OSError when the OS refuses."""
        path = self.path
        if path is None:
            self._set_registry(on)
        elif not on:
            path.unlink(missing_ok=True)
        elif self.platform == "darwin":
            write_atomically(path, self.launch_agent())
        else:
            write_atomically(path, self.desktop_entry().encode("utf-8"))

    def _set_registry(self, on: bool) -> None:
        reg = self._winreg()
        with reg.CreateKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if on:
                value = " ".join(f'"{a}"' if " " in a else a for a in self.command)
                reg.SetValueEx(key, RUN_VALUE, 0, reg.REG_SZ, value)
            else:
                with contextlib.suppress(FileNotFoundError):
                    reg.DeleteValue(key, RUN_VALUE)


def describe(entry: Autostart) -> str:
    """Where the entry lives, for messages."""
    return str(entry.path) if entry.path is not None else f"HKCU\\{RUN_KEY}\\{RUN_VALUE}"


__all__ = ["APP_ID", "Autostart", "describe", "launch_command"]
