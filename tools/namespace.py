#!/usr/bin/env python3
"""Run a checker that reads the installed layout (``timelygator/core/…``) on the sources.

TimelyGator installs as one ``timelygator`` namespace whose parts keep their own top-level
folders (``core/`` is ``timelygator.core``, ``timelygator_gui/`` is ``timelygator.gui``;
``[tool.setuptools.package-dir]`` in pyproject.toml). Python finds them through the editable
install, but mypy and import-linter find modules by walking folders. This script keeps
``build/namespace/timelygator/`` as that layout made of links to the real folders (symlinks;
directory junctions on Windows), so new files show up without running it again, then runs
the checker with the layout on its path and prints its paths as the repository's own.

    python3 tools/namespace.py mypy            # pyproject's [tool.mypy] files
    python3 tools/namespace.py lint-imports    # pyproject's import-linter contracts
    python3 tools/namespace.py                 # only (re)make the layout
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEW = ROOT / "build" / "namespace"
PARTS = {"core": "core", "watchers": "watchers", "gui": "timelygator_gui",
         "resources": "resources"}  # fmt: skip
CHECKERS = {
    "mypy": [sys.executable, "-m", "mypy"],
    "lint-imports": [sys.executable, "-c", "import sys; from importlinter.cli import "
                     "lint_imports_command as run; sys.exit(run())"],
}  # fmt: skip


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() or link.exists():
        if link.resolve() == target.resolve():
            return
        link.unlink()
    if os.name == "nt":  # a junction needs no administrator rights
        import _winapi

        _winapi.CreateJunction(str(target), str(link))
    else:
        link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)


def make_view() -> Path:
    """``build/namespace/timelygator`` with each part linked to its folder; its path."""
    package = VIEW / "timelygator"
    package.mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "__main__.py"):
        source = (ROOT / "timelygator" / name).read_bytes()
        target = package / name
        if not target.exists() or target.read_bytes() != source:
            target.write_bytes(source)
    for part, folder in PARTS.items():
        _link(package / part, ROOT / folder)
    return VIEW


def _as_source(line: str) -> str:
    """A checker's line with the layout's paths written as the repository's folders."""
    for part, folder in PARTS.items():
        line = line.replace(f"build/namespace/timelygator/{part}/", f"{folder}/")
    return line.replace("build/namespace/timelygator/", "timelygator/")


def main(argv: list[str]) -> int:
    view = make_view()
    if not argv:
        return 0
    command = CHECKERS.get(argv[0])
    if command is None:
        print(f"namespace.py: unknown checker {argv[0]!r} (mypy, lint-imports)", file=sys.stderr)
        return 2
    cwd = ROOT
    if argv[0] == "lint-imports":
        # import-linter puts its working folder first on the path: there, the layout.
        command = [*command, "--config", str(ROOT / "pyproject.toml")]
        cwd = view
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(view), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}  # fmt: skip
    done = subprocess.run([*command, *argv[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    for stream, text in ((sys.stdout, done.stdout), (sys.stderr, done.stderr)):
        for line in text.splitlines():
            print(_as_source(line), file=stream)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
