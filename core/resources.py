"""Where TimelyGator's bundled files live: default categories, icons, styles, the extension.

They are kept in the repository's top-level ``resources/`` folder, which installs as the
data-only package ``timelygator.resources`` beside ``timelygator.core``. A checkout, an
editable install, a wheel and the PyInstaller bundle all have that folder next to the
``core`` package's folder (``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = (_ROOT / "resources",)


def resource_path(*parts: str) -> Path | None:
    """The first existing ``<resources>/<parts>``, or None."""
    for root in CANDIDATES:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    return None


@cache
def read_text(*parts: str) -> str:
    """A bundled text file's contents ("" when it is missing)."""
    path = resource_path(*parts)
    return path.read_text(encoding="utf-8") if path is not None else ""
