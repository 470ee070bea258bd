"""Which desktop session the watchers run in, from the environment the session sets.

``XDG_SESSION_TYPE`` says X11 or Wayland (``WAYLAND_DISPLAY`` confirms Wayland, also where a
login manager did not set the type), and ``XDG_CURRENT_DESKTOP`` (a colon-separated list such
as ``ubuntu:GNOME``) names the desktop; ``SWAYSOCK`` and ``HYPRLAND_INSTANCE_SIGNATURE`` name
compositors that do not always set it. :mod:`watchers.backends` picks the probes from this.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class SessionKind(StrEnum):
    X11 = "X11"
    WAYLAND = "Wayland"
    WINDOWS = "Windows"
    MACOS = "macOS"
    NO_DISPLAY = "no display"


class Desktop(StrEnum):
    GNOME = "GNOME"
    KDE = "KDE Plasma"
    WLROOTS = "wlroots"  # sway, Hyprland, river, labwc, Wayfire… (or any other compositor)
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class DesktopSession:
    kind: SessionKind
    desktop: Desktop
    #: The desktop as the session named it (``sway``, ``ubuntu:GNOME``…), or "".
    name: str = ""

    def describe(self) -> str:
        """ "GNOME on Wayland", "sway on Wayland", "X11 (openbox)", "Windows"…"""
        if self.kind in (SessionKind.WINDOWS, SessionKind.MACOS, SessionKind.NO_DISPLAY):
            return self.kind.value
        shown = self.name.split(":")[-1] if self.name else ""
        if self.desktop is Desktop.KDE:
            shown = Desktop.KDE.value
        elif self.desktop is Desktop.GNOME:
            shown = Desktop.GNOME.value
        if self.kind is SessionKind.X11:
            return f"X11 ({shown})" if shown else "X11"
        return f"{shown or 'an unnamed compositor'} on Wayland"


_WLROOTS_NAMES = {
    "sway",
    "hyprland",
    "river",
    "labwc",
    "wayfire",
    "dwl",
    "niri",
    "qtile",
    "cage",
    "wlroots",
    "cosmic",
}


def _desktop(environ: Mapping[str, str]) -> tuple[Desktop, str]:
    name = (
        environ.get("XDG_CURRENT_DESKTOP")
        or environ.get("XDG_SESSION_DESKTOP")
        or environ.get("DESKTOP_SESSION")
        or ""
    )
    tokens = {token.strip().lower() for token in name.split(":") if token.strip()}
    if "kde" in tokens or environ.get("KDE_FULL_SESSION") == "true":
        return Desktop.KDE, name or "KDE"
    if tokens & {"gnome", "gnome-classic", "gnome-flashback"}:
        return Desktop.GNOME, name
    if environ.get("SWAYSOCK") and not name:
        return Desktop.WLROOTS, "sway"
    if environ.get("HYPRLAND_INSTANCE_SIGNATURE") and not name:
        return Desktop.WLROOTS, "Hyprland"
    if tokens & _WLROOTS_NAMES:
        return Desktop.WLROOTS, name
    return Desktop.OTHER, name


def detect_session(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> DesktopSession:
    """The session of ``environ`` (``os.environ`` by default) on ``platform``."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform == "win32":
        return DesktopSession(SessionKind.WINDOWS, Desktop.OTHER)
    if platform == "darwin":
        return DesktopSession(SessionKind.MACOS, Desktop.OTHER)
    desktop, name = _desktop(env)
    session_type = env.get("XDG_SESSION_TYPE", "").lower()
    if env.get("WAYLAND_DISPLAY") or session_type == "wayland":
        return DesktopSession(SessionKind.WAYLAND, desktop, name)
    if env.get("DISPLAY"):
        return DesktopSession(SessionKind.X11, desktop, name)
    return DesktopSession(SessionKind.NO_DISPLAY, desktop, name)
