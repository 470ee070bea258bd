"""Fixtures for watcher tests: the X11 display for ``@pytest.mark.x11`` tests, and a headless
sway for ``@pytest.mark.wayland`` tests.

Tests never start an X server: CI (or the developer) runs ``Xvfb :99`` plus ``openbox`` and
sets ``TIMELYGATOR_TEST_DISPLAY=:99`` (or just ``DISPLAY``); without either, x11 tests skip.
sway is started here (once per test session, headless, in its own runtime directory); the
Wayland tests skip when sway or foot is not installed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.watchers.sway_helpers import Sway, headless_sway, missing_tools
from tests.watchers.x11_helpers import TITLE, xdotool


@pytest.fixture(scope="session")
def x11_display() -> Iterator[str]:
    display = os.environ.get("TIMELYGATOR_TEST_DISPLAY") or os.environ.get("DISPLAY")
    if not display:
        pytest.skip("no X11 display: set TIMELYGATOR_TEST_DISPLAY or DISPLAY (Xvfb + openbox)")
    try:
        from Xlib import X
        from Xlib import display as xdisplay
    except ImportError:
        pytest.skip("python-xlib is not installed")
    try:
        disp = xdisplay.Display(display)
    except Exception as exc:
        pytest.skip(f"cannot open X11 display {display}: {exc}")
    root = disp.screen().root
    wm_check = root.get_full_property(
        disp.intern_atom("_NET_SUPPORTING_WM_CHECK"), X.AnyPropertyType
    )
    disp.close()
    if wm_check is None:
        pytest.skip(f"display {display} has no EWMH window manager (run openbox)")
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    os.environ["DISPLAY"] = display
    os.environ.pop("WAYLAND_DISPLAY", None)
    os.environ.pop("XDG_SESSION_TYPE", None)
    yield display
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def test_window(x11_display: str) -> Iterator[Any]:
    """A mapped, active X11 window owned by this process, titled TITLE."""
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    disp = xdisplay.Display(x11_display)
    screen = disp.screen()
    win = screen.root.create_window(
        50, 50, 400, 200, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=screen.white_pixel, event_mask=X.StructureNotifyMask,
    )  # fmt: skip
    utf8 = disp.intern_atom("UTF8_STRING")
    win.set_wm_name(TITLE.encode("ascii", "replace").decode())
    win.change_property(disp.intern_atom("_NET_WM_NAME"), utf8, 8, TITLE.encode())
    win.change_property(disp.intern_atom("_NET_WM_PID"), Xatom.CARDINAL, 32, [os.getpid()])
    win.set_wm_class("tgtest", "TgTest")
    win.map()
    disp.sync()
    while disp.next_event().type != X.MapNotify:  # blocks until the WM mapped it
        pass
    xdotool("windowactivate", "--sync", str(win.id))
    yield win
    win.destroy()
    disp.sync()
    disp.close()


@pytest.fixture(scope="session")
def sway_session() -> Iterator[Sway]:
    if sys.platform != "linux":
        pytest.skip("sway runs on Linux only")
    missing = missing_tools()
    if missing:
        pytest.skip(missing)
    # Not under pytest's basetemp: sway may run as nobody, who must reach this directory.
    # Installed but failing to start is a failure, not a skip.
    with tempfile.TemporaryDirectory(prefix="tg-sway-") as base, headless_sway(Path(base)) as sway:
        yield sway


@pytest.fixture
def sway(sway_session: Sway) -> Iterator[Sway]:
    """The session's sway, with the terminals a test opened closed afterwards."""
    yield sway_session
    for terminal in list(sway_session.terminals):
        sway_session.close_terminal(terminal)
