"""Where the app's icons, styles and default data live (source tree or installed package)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE.parent / "resources", _HERE / "resources")


def resource_path(*parts: str) -> Path | None:
    """The first existing ``resources/<parts>``, or None."""
    for root in _CANDIDATES:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    return None


@cache
def read_text(*parts: str) -> str:
    path = resource_path(*parts)
    return path.read_text(encoding="utf-8") if path is not None else ""
