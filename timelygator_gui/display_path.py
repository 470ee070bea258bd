"""Paths as the app shows them: the home folder written ``~`` (shorter, and not personal)."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path | str) -> str:
    """``~/.local/share/TimelyGator`` for a path under the home folder, else the path."""
    target = Path(path)
    try:
        home = Path.home()
    except RuntimeError:  # no home folder known
        return str(target)
    try:
        rest = target.relative_to(home)
    except ValueError:
        return str(target)
    return "~" if rest == Path() else str(Path("~") / rest)
