"""Start at login: the autostart entry is written and removed (tmp HOME, no Qt)."""

from __future__ import annotations

import configparser
import plistlib
from pathlib import Path

from timelygator.gui.autostart import APP_ID, RUN_KEY, RUN_VALUE, Autostart

COMMAND = ["/opt/Time Gator/timelygator", "--minimized"]


def test_linux_entry_written_and_removed(tmp_path: Path) -> None:
    entry = Autostart("linux", home=tmp_path, environ={}, command=COMMAND)
    path = tmp_path / ".config" / "autostart" / f"{APP_ID}.desktop"
    assert entry.path == path
    assert not entry.enabled()
    entry.set_enabled(True)
    assert entry.enabled()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    desktop = parser["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"] == '"/opt/Time Gator/timelygator" --minimized'
    assert desktop["X-GNOME-Autostart-enabled"] == "true"
    entry.set_enabled(True)  # idempotent
    entry.set_enabled(False)
    assert not path.exists()
    assert not entry.enabled()
    entry.set_enabled(False)  # removing twice is fine


def test_linux_follows_xdg_config_home(tmp_path: Path) -> None:
    entry = Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    entry.set_enabled(True)
    written = tmp_path / "cfg" / "autostart" / f"{APP_ID}.desktop"
    assert written.is_file()
    assert "--minimized" in written.read_text(encoding="utf-8")


def test_macos_launch_agent(tmp_path: Path) -> None:
    entry = Autostart("darwin", home=tmp_path, environ={}, command=COMMAND)
    entry.set_enabled(True)
    path = tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent == {
        "Label": APP_ID,
        "ProgramArguments": COMMAND,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    entry.set_enabled(False)
    assert not path.exists()


class FakeWinreg:
    """The few winreg calls the Run key needs, over a dict."""

    HKEY_CURRENT_USER = "HKCU"
    REG_SZ = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    class _Key:
        def __init__(self, path: str) -> None:
            self.path = path

        def __enter__(self) -> FakeWinreg._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, path: str) -> _Key:
        return self._Key(path)

    CreateKey = OpenKey

    def QueryValueEx(self, key: _Key, name: str) -> tuple[str, int]:
        if (key.path, name) not in self.values:
            raise FileNotFoundError(name)
        return self.values[(key.path, name)], self.REG_SZ

    def SetValueEx(self, key: _Key, name: str, _r: int, _t: int, value: str) -> None:
        self.values[(key.path, name)] = value

    def DeleteValue(self, key: _Key, name: str) -> None:
        if self.values.pop((key.path, name), None) is None:
            raise FileNotFoundError(name)


def test_windows_run_key() -> None:
    reg = FakeWinreg()
    exe = "C:\\Program Files\\TG\\tg.exe"
    entry = Autostart("win32", registry=reg, command=[exe, "--minimized"])
    assert entry.path is None and not entry.enabled()
    entry.set_enabled(True)
    assert reg.values == {(RUN_KEY, RUN_VALUE): '"C:\\Program Files\\TG\\tg.exe" --minimized'}
    assert entry.enabled()
    entry.set_enabled(False)
    entry.set_enabled(False)
    assert reg.values == {} and not entry.enabled()
