"""Print what the server image installs: the project's dependencies without the desktop's,
plus the ``server`` extra, one requirement a line (pip's requirements format).

Run by ``installers/server/Dockerfile`` in its build stage, on the checkout's
``pyproject.toml`` (standard library only: the build stage has nothing else):

    python installers/server/requirements.py > requirements.txt

Why a list and not an extra: ``pip install timelygator`` must keep installing the desktop
app (the README's install line), and pip has no "default extras" that a server install
could switch off; moving Qt into a ``gui`` extra would break every existing install
command. So the image installs the wheel with ``--no-deps`` and this list beside it, made
from ``pyproject.toml`` when the image is built, so it cannot drift from it.

What is left out, and why a server never loads it (``tests/test_server_image.py`` checks
that ``timelygator serve`` runs with these blocked, and that nothing in the list pulls Qt):

- ``PySide6-Essentials`` (Qt, ~300 MB) and ``pyqtgraph``: the desktop window;
- ``pywinctl`` and ``pynput``: the window and input watchers, which read a desktop session
  (on Linux they bring python-xlib and evdev, which would need a compiler in a slim image).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# Distribution names (PEP 503 normalized) only the desktop app and its watchers import.
DESKTOP_ONLY = frozenset({"pyside6-essentials", "pyqtgraph", "pywinctl", "pynput"})
EXTRA = "server"


def distribution_name(requirement: str) -> str:
    """The normalized distribution name a requirement line starts with."""
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if found is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", found.group(1)).lower()


def server_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The core dependencies minus ``DESKTOP_ONLY``, then the ``server`` extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = [r for r in project["dependencies"] if distribution_name(r) not in DESKTOP_ONLY]
    return wanted + list(project["optional-dependencies"][EXTRA])


def main() -> int:
    for line in server_requirements(Path(sys.argv[1]) if len(sys.argv) > 1 else PYPROJECT):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
