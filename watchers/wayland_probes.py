"""Wayland probes on wlroots compositors (sway, Hyprland, river, labwc…) and KWin.

- :class:`WlrToplevelWindowProbe`: the active window's app id and title from
  ``wlr-foreign-toplevel-management-unstable-v1``. The compositor pushes every change; each
  poll only reads what arrived since the last one.
- :class:`WaylandIdleProbe`: time since the last input from ``ext-idle-notify-v1`` or KDE's
  ``org_kde_kwin_idle``. Both only say "idle for N ms" and "resumed", so the probe asks to
  be told after one second without input and timestamps those events on a small reader
  thread (an event read only at the next poll would be up to a poll interval late).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from timelygator.watchers.probes import UNKNOWN, ProbeUnsupported, WindowInfo
from timelygator.watchers.wayland_wire import WL_SEAT, Interface, WaylandConnection, WaylandError
from timelygator.watchers.window_probe import title_looks_private

log = logging.getLogger(__name__)

FOREIGN_TOPLEVEL = "zwlr_foreign_toplevel_manager_v1"
EXT_IDLE = "ext_idle_notifier_v1"
KDE_IDLE = "org_kde_kwin_idle"

ZWLR_FOREIGN_TOPLEVEL_MANAGER_V1 = Interface(
    FOREIGN_TOPLEVEL,
    requests=(("stop", ""),),
    events=(("toplevel", "n"), ("finished", "")),
)
ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1 = Interface(
    "zwlr_foreign_toplevel_handle_v1",
    requests=(
        ("set_maximized", ""),
        ("unset_maximized", ""),
        ("set_minimized", ""),
        ("unset_minimized", ""),
        ("activate", "o"),
        ("close", ""),
        ("set_rectangle", "oiiii"),
        ("destroy", ""),
        ("set_fullscreen", "?o"),
        ("unset_fullscreen", ""),
    ),
    events=(
        ("title", "s"),
        ("app_id", "s"),
        ("output_enter", "o"),
        ("output_leave", "o"),
        ("state", "a"),
        ("done", ""),
        ("closed", ""),
        ("parent", "?o"),
    ),
)
STATE_ACTIVATED = 2  # zwlr_foreign_toplevel_handle_v1.state.activated

EXT_IDLE_NOTIFIER_V1 = Interface(
    EXT_IDLE,
    requests=(("destroy", ""), ("get_idle_notification", "nuo")),
)
EXT_IDLE_NOTIFICATION_V1 = Interface(
    "ext_idle_notification_v1",
    requests=(("destroy", ""),),
    events=(("idled", ""), ("resumed", "")),
)
ORG_KDE_KWIN_IDLE = Interface(KDE_IDLE, requests=(("get_idle_timeout", "nou"),))
ORG_KDE_KWIN_IDLE_TIMEOUT = Interface(
    "org_kde_kwin_idle_timeout",
    requests=(("release", ""), ("simulate_user_activity", "")),
    events=(("idle", ""), ("resumed", "")),
)

#: Every interface declared here, for the check against the protocol XML files.
INTERFACES = (
    ZWLR_FOREIGN_TOPLEVEL_MANAGER_V1,
    ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1,
    EXT_IDLE_NOTIFIER_V1,
    EXT_IDLE_NOTIFICATION_V1,
    ORG_KDE_KWIN_IDLE,
    ORG_KDE_KWIN_IDLE_TIMEOUT,
)

CONNECT_TIMEOUT_S = 1.0


def compositor_name(environ: Mapping[str, str]) -> str:
    """A readable name for the compositor ("sway", "Hyprland"…), for messages."""
    desktop = environ.get("XDG_CURRENT_DESKTOP") or environ.get("XDG_SESSION_DESKTOP") or ""
    return desktop.split(":")[-1] or "this compositor"


def _connect(environ: Mapping[str, str]) -> WaylandConnection:
    """A connection with the registry loaded; unreachable compositors are unsupported."""
    if not environ.get("WAYLAND_DISPLAY"):
        raise ProbeUnsupported("unsupported: not a Wayland session (WAYLAND_DISPLAY is not set)")
    try:
        conn = WaylandConnection.connect(environ, CONNECT_TIMEOUT_S)
    except WaylandError as exc:
        raise ProbeUnsupported(f"unsupported: {exc}") from None
    try:
        conn.load_globals(CONNECT_TIMEOUT_S)
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass
class _Toplevel:
    title: str = ""
    app_id: str = ""
    activated: bool = False
    pending: dict[str, Any] = field(default_factory=dict)


class WlrToplevelWindowProbe:
    """The activated toplevel of ``wlr-foreign-toplevel-management`` (wlroots compositors)."""

    backend = "wlr-foreign-toplevel-management (Wayland)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._conn: WaylandConnection | None = None
        self._toplevels: dict[int, _Toplevel] = {}
        self._active: int | None = None
        self._lock = threading.Lock()

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            try:
                self._read()
            except WaylandError as exc:
                # The compositor may drop a client that did not read for a long time (a long
                # pause): reconnect once; a second failure is a real one.
                log.info("Wayland connection lost (%s); reconnecting", exc)
                self._disconnect()
                self._read()
            return self._info()

    def _read(self) -> None:
        if self._conn is None:
            self._connect()
        else:
            self._conn.dispatch(0.0)

    def _connect(self) -> None:
        conn = _connect(self._environ)
        found = conn.find_global(FOREIGN_TOPLEVEL)
        if found is None:
            conn.close()
            raise ProbeUnsupported(
                f"unsupported: {compositor_name(self._environ)} does not offer the "
                "wlr-foreign-toplevel-management protocol"
            )
        self._conn = conn
        self._toplevels.clear()
        self._active = None
        try:
            name, version = found
            conn.bind(name, ZWLR_FOREIGN_TOPLEVEL_MANAGER_V1, min(version, 3), self._manager_event)
            conn.roundtrip(CONNECT_TIMEOUT_S)  # the existing toplevels and their state
        except BaseException:
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._toplevels.clear()
        self._active = None

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def _manager_event(self, event: str, args: tuple[Any, ...]) -> None:
        assert self._conn is not None
        if event == "toplevel":
            handle = int(args[0])
            self._toplevels[handle] = _Toplevel()
            self._conn.adopt(
                handle,
                ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1,
                lambda e, a, h=handle: self._toplevel_event(h, e, a),  # type: ignore[misc]
            )
        elif event == "finished":
            raise WaylandError("the compositor stopped sending the window list")

    def _toplevel_event(self, handle: int, event: str, args: tuple[Any, ...]) -> None:
        top = self._toplevels.get(handle)
        if top is None:
            return
        if event in ("title", "app_id"):
            top.pending[event] = args[0] or ""
        elif event == "state":
            raw: bytes = args[0]
            states = {int.from_bytes(raw[i : i + 4], sys.byteorder) for i in range(0, len(raw), 4)}
            top.pending["activated"] = STATE_ACTIVATED in states
        elif event == "done":
            top.title = top.pending.pop("title", top.title)
            top.app_id = top.pending.pop("app_id", top.app_id)
            activated = top.pending.pop("activated", top.activated)
            top.activated = activated
            if activated:
                self._active = handle
            elif self._active == handle:
                self._active = None
        elif event == "closed":
            del self._toplevels[handle]
            if self._active == handle:
                self._active = None
            assert self._conn is not None
            with contextlib.suppress(WaylandError):
                self._conn.request(handle, "destroy")
            self._conn.forget(handle)

    def _info(self) -> WindowInfo | None:
        top = self._toplevels.get(self._active) if self._active is not None else None
        if top is None or not top.activated:
            return None
        title = top.title or UNKNOWN
        return WindowInfo(
            app=top.app_id or UNKNOWN, title=title, pid=None, is_private=title_looks_private(title)
        )


class WaylandIdleProbe:
    """Seconds since the last input from the compositor's idle notifications.

    Prefers ``ext-idle-notify-v1`` (the standard one: wlroots 0.17+, KWin 6, Hyprland…) and
    takes ``org_kde_kwin_idle`` where only that is offered (KWin 5, older wlroots such as
    sway 1.7). The compositor only reports "idle" after ``notify_after_s`` without input and
    "resumed" at the next input. So the last input was ``notify_after_s`` before an "idle"
    event; right after "resumed" it was the resuming input (as far as anyone can tell yet);
    later, while not idle, it was less than ``notify_after_s`` ago (reported as 0).
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        notify_after_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self.notify_after_s = notify_after_s
        self._monotonic = monotonic
        # Reentrant: events that arrive during the setup's roundtrip take it on this thread.
        self._lock = threading.RLock()
        self._conn: WaylandConnection | None = None
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        self._idle_since: float | None = None
        self._resumed_at: float | None = None
        self._failure: str | None = None
        self.backend = "Wayland idle notification"

    def seconds_since_input(self) -> float:
        with self._lock:
            if self._failure is not None:
                failure, self._failure = self._failure, None
                self._stop_reader()
                raise WaylandError(failure)
            if self._thread is None:
                self._start()
            since, resumed = self._idle_since, self._resumed_at
        now = self._monotonic()
        if since is not None:
            return max(0.0, now - since)
        if resumed is not None and now - resumed < self.notify_after_s:
            return max(0.0, now - resumed)
        return 0.0

    def _start(self) -> None:
        conn = _connect(self._environ)
        try:
            seat = conn.find_global("wl_seat")
            ext = conn.find_global(EXT_IDLE)
            kde = conn.find_global(KDE_IDLE)
            if seat is None or (ext is None and kde is None):
                raise ProbeUnsupported(
                    f"unsupported: {compositor_name(self._environ)} offers no idle protocol "
                    "(ext-idle-notify-v1 or org_kde_kwin_idle)"
                )
            seat_id = conn.bind(seat[0], WL_SEAT, 1)
            timeout_ms = max(1, round(self.notify_after_s * 1000))
            if ext is not None:
                notifier = conn.bind(ext[0], EXT_IDLE_NOTIFIER_V1, 1)
                notification = conn.new_id(EXT_IDLE_NOTIFICATION_V1, self._event)
                conn.request(notifier, "get_idle_notification", notification, timeout_ms, seat_id)
                self.backend = "ext-idle-notify-v1 (Wayland)"
            else:
                assert kde is not None
                idle = conn.bind(kde[0], ORG_KDE_KWIN_IDLE, 1)
                notification = conn.new_id(ORG_KDE_KWIN_IDLE_TIMEOUT, self._event)
                conn.request(idle, "get_idle_timeout", notification, seat_id, timeout_ms)
                self.backend = "org_kde_kwin_idle (Wayland)"
            conn.roundtrip(CONNECT_TIMEOUT_S)
        except BaseException:
            conn.close()
            raise
        # Nothing is known about input before this moment: count from now.
        self._idle_since = self._resumed_at = None
        self._conn = conn
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(
            target=self._reader, args=(conn, self._wake_r), name="tg-wayland-idle", daemon=True
        )
        self._thread.start()

    def _event(self, event: str, _args: tuple[Any, ...]) -> None:
        now = self._monotonic()
        with self._lock:
            if event in ("idled", "idle"):
                self._idle_since = now - self.notify_after_s
            elif event == "resumed":
                self._idle_since = None
                self._resumed_at = now

    def _reader(self, conn: WaylandConnection, wake: int) -> None:
        try:
            while True:
                readable, _, _ = select.select([conn.fileno(), wake], [], [])
                if wake in readable:
                    return
                conn.dispatch(0.0)
        except (OSError, ValueError) as exc:
            with self._lock:
                if not conn.closed:
                    self._failure = f"the Wayland idle notifications stopped ({exc})"

    def _stop_reader(self) -> None:
        thread, self._thread = self._thread, None
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._idle_since = self._resumed_at = None

    def close(self) -> None:
        with self._lock:
            thread = self._thread
            if self._wake_w >= 0:
                with contextlib.suppress(OSError):
                    os.write(self._wake_w, b"x")
        if thread is not None:
            thread.join(1.0)
        with self._lock:
            self._stop_reader()
