"""Where the app's icons and styles live: see ``core.resources`` (source tree or installed)."""

from timelygator.core.resources import read_text, resource_path

__all__ = ["read_text", "resource_path"]
