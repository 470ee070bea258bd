"""The start-menu entry for the current user on Linux, and the command that starts this copy.

Qt-free (``timelygator desktop-entry`` runs it without a display). The .deb installs the entry
for everyone under ``/usr/share``; a pip install or an unpacked bundle has none until
``timelygator desktop-entry install`` (or the app's offer on first run) writes, following the
XDG base directory and desktop entry specs:

- ``$XDG_DATA_HOME/applications/io.timelygator.TimelyGator.desktop`` (default
  ``~/.local/share``), from ``resources/desktop/``, with ``Exec`` naming this installation;
- the icon in the hicolor theme: ``$XDG_DATA_HOME/icons/hicolor/<size>/apps/…`` (PNGs from
  ``resources/icons/hicolor`` and the SVG as the scalable size);
- the AppStream metainfo in ``$XDG_DATA_HOME/metainfo`` (software centres).

``remove`` deletes exactly these files, nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from timelygator.core.resources import resource_path

APP_ID = "io.timelygator.TimelyGator"
COMMAND_NAME = "timelygator"
_SPECIALS = " \t\n\"'\\><~|&;$*?#()`"


def app_command(argv0: str | None = None) -> list[str]:
    """How to start this installation (no arguments): absolute, so a menu or autostart entry
    works whatever the desktop session's PATH is.

    - the bundle (PyInstaller): the ``timelygator`` link that leads to it (on PATH,
      ``/usr/bin`` for the .deb, ``~/.local/bin`` for the .tar.gz), else its executable;
    - pip: the ``timelygator`` script that started this process (a venv's, ``~/.local/bin``'s;
      another ``timelygator`` on PATH may be another installation), else
      ``python -m timelygator_gui`` with this interpreter.
    """
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable).resolve()
        links = (
            shutil.which(COMMAND_NAME),
            f"/usr/bin/{COMMAND_NAME}",  # the .deb's
            str(Path.home() / ".local" / "bin" / COMMAND_NAME),  # the .tar.gz's install.sh
        )
        for link in links:
            if link and Path(link).resolve() == exe:
                return [link]
        return [str(exe)]
    started = Path(argv0 if argv0 is not None else sys.argv[0])
    if started.name == COMMAND_NAME and started.is_file():
        return [str(started.absolute())]
    return [sys.executable, "-m", "timelygator"]


def desktop_exec(argv: Sequence[str]) -> str:
    """An ``Exec=`` value: arguments with spaces or specials quoted as the desktop entry spec
    says, and ``%`` doubled (it starts a field code there)."""

    def quote(arg: str) -> str:
        arg = arg.replace("%", "%%")
        if arg and not any(c in arg for c in _SPECIALS):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        return '"' + escaped.replace("$", "\\$") + '"'

    return " ".join(quote(a) for a in argv)


def entry_text(template: str, command: Sequence[str]) -> str:
    """The desktop file ``resources/desktop/<template>`` with its ``Exec`` set to ``command``."""
    path = resource_path("desktop", template)
    if path is None:
        raise FileNotFoundError(f"TimelyGator's {template} is missing from its resources.")
    lines = [
        f"Exec={desktop_exec(command)}" if line.startswith("Exec=") else line
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one rename (a menu never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class DesktopEntry:
    """The current user's menu entry; ``home``/``environ``/``command`` for tests."""

    def __init__(
        self,
        home: Path | None = None,
        environ: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.environ = os.environ if environ is None else environ
        self.home = home or Path(self.environ.get("HOME") or Path.home())
        self.command = list(command) if command is not None else app_command()

    @property
    def data_home(self) -> Path:
        value = self.environ.get("XDG_DATA_HOME", "")
        # The spec: a relative path there is invalid and to be ignored.
        return Path(value) if os.path.isabs(value) else self.home / ".local" / "share"

    @property
    def path(self) -> Path:
        return self.data_home / "applications" / f"{APP_ID}.desktop"

    def _files(self) -> dict[Path, Path]:
        """Where each bundled file goes: destination -> source."""
        files: dict[Path, Path] = {}
        icons = self.data_home / "icons" / "hicolor"
        svg = resource_path("icons", "timelygator.svg")
        if svg is not None:
            files[icons / "scalable" / "apps" / f"{APP_ID}.svg"] = svg
        pngs = resource_path("icons", "hicolor")
        if pngs is not None:
            for png in sorted(pngs.glob(f"*/apps/{APP_ID}.png")):
                files[icons / png.relative_to(pngs)] = png
        metainfo = resource_path("desktop", f"{APP_ID}.metainfo.xml")
        if metainfo is not None:
            files[self.data_home / "metainfo" / metainfo.name] = metainfo
        return files

    def installed(self) -> bool:
        return self.path.is_file()

    def system_entry(self) -> Path | None:
        """The entry a package installed for everyone (``$XDG_DATA_DIRS/applications``)."""
        dirs = self.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        for folder in dirs.split(os.pathsep):
            candidate = Path(folder) / "applications" / f"{APP_ID}.desktop"
            if folder and candidate.is_file():
                return candidate
        return None

    def install(self) -> list[Path]:
        """Write the entry, its icons and metainfo; returns what was written."""
        written = []
        for destination, source in self._files().items():
            write_atomically(destination, source.read_bytes())
            written.append(destination)
        text = entry_text(f"{APP_ID}.desktop", self.command)
        write_atomically(self.path, text.encode("utf-8"))
        written.append(self.path)
        self._refresh()
        return written

    def remove(self) -> list[Path]:
        """Delete the entry, its icons and metainfo; returns what was there."""
        removed = []
        for path in (self.path, *self._files()):
            if path.is_file():
                path.unlink()
                removed.append(path)
        self._refresh()
        return removed

    def _refresh(self) -> None:
        """Tell the menu cache (where desktop-file-utils is installed); menus also notice
        the change by themselves, so a missing tool is fine."""
        tool = shutil.which("update-desktop-database")
        folder = self.path.parent
        if tool and folder.is_dir():
            subprocess.run([tool, "-q", str(folder)], check=False, timeout=30)


__all__ = ["APP_ID", "DesktopEntry", "app_command", "desktop_exec", "entry_text"]
