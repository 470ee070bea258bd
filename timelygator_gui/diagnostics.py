"""What to paste into a bug report: ``timelygator --diagnose`` and the app's *Copy diagnostics*.

Qt-free (the command runs without a display; the app adds its Qt details as ``extra`` lines
and its running watchers' status). It holds versions, the platform, the display server, what
reads the window and idle time (or why nothing can), where the data and logs are and how this
copy is installed — and nothing personal: no window titles, URLs, event data, key material or
user name (the home folder is written ``~``; the focused app's id is the most the backend
check shows, as in ``timelygator desktop-integration status``). The database is not opened.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from pathlib import Path

from timelygator.core import __version__
from timelygator.core.paths import AppDirs
from timelygator.gui.autostart import Autostart, describe
from timelygator.gui.desktop_entry import DesktopEntry, desktop_exec

#: The libraries whose versions explain most bug reports.
LIBRARIES = (
    "PySide6-Essentials",
    "pyqtgraph",
    "SQLAlchemy",
    "sqlcipher3",
    "alembic",
    "keyring",
    "fastapi",
    "uvicorn",
    "pywinctl",
    "pynput",
    "jeepney",
)
SESSION_VARIABLES = (
    "XDG_SESSION_TYPE",
    "XDG_CURRENT_DESKTOP",
    "WAYLAND_DISPLAY",
    "DISPLAY",
    "QT_QPA_PLATFORM",
)


def installation() -> str:
    """How this copy was installed: the .deb, an unpacked bundle, or pip."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable).resolve()
        if exe.is_relative_to("/opt/timelygator"):
            return f"Debian package ({exe.parent})"
        return f"bundle ({exe.parent})"
    return f"Python package ({Path(__file__).resolve().parent.parent})"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sqlcipher() -> str:
    try:
        from sqlcipher3 import dbapi2

        conn = dbapi2.connect(":memory:")
        try:
            row = conn.execute("PRAGMA cipher_version").fetchone()
        finally:
            conn.close()
        return f"SQLCipher {row[0] if row else '?'} (SQLite {dbapi2.sqlite_version})"
    except Exception as exc:  # the report says so instead of failing
        return f"SQLCipher unavailable ({exc})"


def _os_name() -> str:
    pretty = ""
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    base = platform.platform(terse=False)
    return f"{pretty} — {base}" if pretty else base


def _folder(path: Path) -> str:
    if not path.exists():
        return f"{path} (not created yet)"
    if path.is_dir():
        size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        return f"{path} ({size / 1_000_000:.1f} MB in its files)"
    return str(path)


def _backends() -> list[str]:
    try:
        from timelygator.watchers.backends import describe_backends

        return describe_backends().splitlines()
    except Exception as exc:  # a broken session must not hide the rest of the report
        return [f"Backends: the check failed ({exc})"]


def diagnostics(
    dirs: AppDirs,
    *,
    extra: Iterable[str] = (),
    watchers: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
    backends: Callable[[], list[str]] = _backends,
) -> str:
    """The report, as text. ``watchers``: the running app's status lines (the command, with
    no watchers running, checks the backends instead); ``extra``: the app's Qt details."""
    env = os.environ if environ is None else environ
    lines = [
        f"TimelyGator {__version__}",
        f"Installed as: {installation()}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        "Libraries: " + ", ".join(f"{name} {_version(name)}" for name in LIBRARIES),
        f"Database engine: {_sqlcipher()}",
        f"OS: {_os_name()}",
        "Session variables: "
        + ", ".join(f"{name}={env.get(name, '') or '(unset)'}" for name in SESSION_VARIABLES),
        *extra,
        "",
        "Watchers:",
    ]
    if watchers is not None:
        lines += [f"  {line}" for line in watchers] or ["  (not started)"]
    lines += [f"  {line}" for line in backends()]
    lines += [
        "",
        f"Data folder: {_folder(dirs.data)}",
        f"Log folder: {_folder(dirs.logs)}",
        f"Config folder: {_folder(dirs.config)}",
    ]
    if sys.platform.startswith("linux"):
        entry = DesktopEntry(environ=env)
        mine = "yours" if entry.installed() else ""
        system = "for everyone" if entry.system_entry() else ""
        where = " and ".join(s for s in (mine, system) if s) or "none"
        lines.append(f"Menu entry: {where}; starts {desktop_exec(entry.command)}")
    autostart = Autostart(environ=env)
    state = "on" if autostart.enabled() else "off"
    lines.append(f"Start at login: {state} ({describe(autostart)})")
    return _private("\n".join(lines) + "\n", env)


def _private(text: str, environ: Mapping[str, str]) -> str:
    """The home folder as ``~`` and the user name nowhere."""
    home = environ.get("HOME") or str(Path.home())
    if home and home != "/":
        text = text.replace(home.rstrip("/"), "~")
    for variable in ("USER", "LOGNAME", "USERNAME"):
        name = environ.get(variable, "")
        if len(name) >= 3 and name not in ("root", "TimelyGator", "timelygator"):
            text = re.sub(rf"\b{re.escape(name)}\b", "<user>", text)
    return text


__all__ = ["diagnostics", "installation"]
