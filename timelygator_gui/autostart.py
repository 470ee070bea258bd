"""Start at login: write or remove the OS's autostart entry (Qt-free, testable with a tmp HOME).

- Linux (XDG): ``$XDG_CONFIG_HOME/autostart/io.timelygator.TimelyGator.desktop`` (default
  ``~/.config``), from ``installers/linux/io.timelygator.TimelyGator-autostart.desktop``.
- macOS: a LaunchAgent ``~/Library/LaunchAgents/io.timelygator.TimelyGator.plist``.
- Windows: the value ``TimelyGator`` under HKCU
  ``Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

Every entry starts ``timelygator --minimized`` (into the tray, no window).
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

APP_ID = "io.timelygator.TimelyGator"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "TimelyGator"
TEMPLATE = Path(__file__).resolve().parent.parent / "installers" / "linux"
TEMPLATE_FILE = TEMPLATE / f"{APP_ID}-autostart.desktop"
FALLBACK_DESKTOP = f"""[Desktop Entry]
Type=Application
Name=TimelyGator
Comment=Start TimelyGator in the tray at login
Exec=timelygator --minimized
Icon={APP_ID}
Terminal=false
X-GNOME-Autostart-enabled=true
NoDisplay=true
"""


def launch_command() -> list[str]:
    """How to start this installation, minimized: the frozen app, the script, or python -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--minimized"]
    script = shutil.which("timelygator")
    if script:
        return [script, "--minimized"]
    return [sys.executable, "-m", "timelygator", "--minimized"]


def _desktop_exec(argv: list[str]) -> str:
    """An Exec= value (desktop entry spec: quote arguments with spaces or specials)."""

    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        return '"' + escaped.replace("$", "\\$") + '"'

    return " ".join(quote(a) for a in argv)


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
        try:
            text = TEMPLATE_FILE.read_text(encoding="utf-8")
        except OSError:
            text = FALLBACK_DESKTOP
        lines = [
            f"Exec={_desktop_exec(self.command)}" if line.startswith("Exec=") else line
            for line in text.splitlines()
        ]
        return "\n".join(lines) + "\n"

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
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            if self.platform == "darwin":
                tmp.write_bytes(self.launch_agent())
            else:
                tmp.write_text(self.desktop_entry(), encoding="utf-8")
            os.replace(tmp, path)

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
