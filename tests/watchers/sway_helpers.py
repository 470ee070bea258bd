"""A real headless sway for the Wayland tests: terminals with known titles, focus, input.

sway runs on wlroots' headless backend (no GPU, no input devices, software rendering) with a
throwaway config in its own ``XDG_RUNTIME_DIR``. sway refuses to run as root, so under root
(CI) it runs as ``nobody`` through ``setpriv``; the test process (root) can still reach its
sockets. Terminals are ``foot`` windows whose app id and title the test chooses; a terminal's
title can be changed later through a FIFO its shell reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from timelygator.watchers.wayland_wire import WL_SEAT, Interface, WaylandConnection

T = TypeVar("T")
NOBODY = 65534

# wlr-virtual-pointer-unstable-v1 (sway offers it): input without input devices.
VIRTUAL_POINTER_MANAGER = Interface(
    "zwlr_virtual_pointer_manager_v1",
    requests=(("create_virtual_pointer", "?on"), ("destroy", "")),
)
VIRTUAL_POINTER = Interface(
    "zwlr_virtual_pointer_v1",
    requests=(
        ("motion", "uff"),
        ("motion_absolute", "uuuuu"),
        ("button", "uuu"),
        ("axis", "uuf"),
        ("frame", ""),
        ("axis_source", "u"),
        ("axis_stop", "uu"),
        ("axis_discrete", "uufi"),
        ("destroy", ""),
    ),
)

CONFIG = """\
output HEADLESS-1 resolution 1280x720
xwayland disable
default_border none
focus_on_window_activation none
"""


def wait_until(
    check: Callable[[], T | None], timeout_s: float, what: str, every_s: float = 0.05
) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        pause.wait(every_s)


def stop_process(proc: subprocess.Popen[Any], grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended after ``grace_s``."""
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def missing_tools() -> str | None:
    missing = [tool for tool in ("sway", "swaymsg", "foot") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed (Debian: apt-get install sway foot)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "sway refuses to run as root and setpriv (util-linux) is missing"
    return None


@dataclass
class Terminal:
    app_id: str
    title: str
    proc: subprocess.Popen[bytes]
    fifo: Path

    def set_title(self, title: str) -> None:
        """The shell in the terminal prints the escape sequence that sets the title."""
        with self.fifo.open("w", encoding="utf-8") as fifo:
            fifo.write(title + "\n")
        self.title = title


@dataclass
class Sway:
    runtime: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    terminals: list[Terminal] = field(default_factory=list)

    def msg(self, *args: str) -> Any:
        out = subprocess.run(
            ["swaymsg", "--raw", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if out.returncode != 0:
            raise AssertionError(f"swaymsg {' '.join(args)} failed: {out.stdout} {out.stderr}")
        return json.loads(out.stdout) if out.stdout.strip() else None

    def views(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def walk(node: dict[str, Any]) -> None:
            if node.get("type") in ("con", "floating_con") and node.get("app_id") is not None:
                found.append(node)
            for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
                walk(child)

        walk(self.msg("-t", "get_tree"))
        return found

    def focused(self) -> tuple[str, str] | None:
        for view in self.views():
            if view.get("focused"):
                return str(view["app_id"]), str(view["name"])
        return None

    def open_terminal(self, app_id: str, title: str) -> Terminal:
        fifo = self.runtime / f"title-{app_id}"
        fifo.unlink(missing_ok=True)  # left by an earlier terminal with this app id
        os.mkfifo(fifo)
        script = (
            f'while :; do while read -r t; do printf "\\033]2;%s\\007" "$t"; done < {fifo}; done'
        )
        proc = subprocess.Popen(
            ["foot", "--app-id", app_id, "--title", title, "sh", "-c", script],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        terminal = Terminal(app_id, title, proc, fifo)
        self.terminals.append(terminal)
        wait_until(lambda: any(v["app_id"] == app_id for v in self.views()), 20, f"{app_id} to map")
        return terminal

    def close_terminal(self, terminal: Terminal) -> None:
        terminal.proc.terminate()
        terminal.proc.wait(10)
        self.terminals.remove(terminal)
        wait_until(
            lambda: all(v["app_id"] != terminal.app_id for v in self.views()),
            10,
            f"{terminal.app_id} to close",
        )

    def focus(self, app_id: str) -> float:
        """Focus the terminal with ``app_id``; returns the wall-clock time sway did it."""
        self.msg(f'[app_id="^{app_id}$"] focus')
        at = time.time()
        wait_until(lambda: (self.focused() or ("", ""))[0] == app_id, 10, f"{app_id} focused")
        return at

    def pointer_motion(self) -> float:
        """Move sway's pointer with a virtual pointer (input, for idle); returns the time."""
        conn = WaylandConnection.connect(self.env)
        try:
            conn.load_globals()
            seat = conn.find_global("wl_seat")
            manager = conn.find_global(VIRTUAL_POINTER_MANAGER.name)
            assert seat is not None and manager is not None
            seat_id = conn.bind(seat[0], WL_SEAT, 1)
            manager_id = conn.bind(manager[0], VIRTUAL_POINTER_MANAGER, 1)
            pointer = conn.new_id(VIRTUAL_POINTER)
            conn.request(manager_id, "create_virtual_pointer", seat_id, pointer)
            conn.request(pointer, "motion", int(time.monotonic() * 1000) & 0xFFFFFFFF, 3.0, 2.0)
            conn.request(pointer, "frame")
            at = time.time()
            conn.request(pointer, "destroy")
            conn.roundtrip()
            return at
        finally:
            conn.close()


@contextlib.contextmanager
def headless_sway(base: Path) -> Iterator[Sway]:
    """Start sway in ``base`` (its runtime dir); stop it and its terminals afterwards."""
    runtime = base / "run"
    runtime.mkdir(mode=0o700)
    (base / "config").write_text(CONFIG, encoding="utf-8")
    swaysock = runtime / "sway-ipc.sock"
    sway_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
        "SWAYSOCK": str(swaysock),
    }
    command = ["sway", "--config", str(base / "config")]
    if os.geteuid() == 0:
        os.chown(runtime, NOBODY, NOBODY)
        os.chmod(base, 0o755)
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    log = (base / "sway.log").open("wb")
    proc = subprocess.Popen(command, env=sway_env, stdout=log, stderr=subprocess.STDOUT)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
        "XDG_RUNTIME_DIR": str(runtime),
        "SWAYSOCK": str(swaysock),
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": "sway",
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    try:

        def ready() -> str | None:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"sway exited ({proc.returncode}): "
                    + (base / "sway.log").read_text(errors="replace")[-1500:]
                )
            sockets = sorted(p.name for p in runtime.glob("wayland-*") if p.is_socket())
            return sockets[0] if sockets and swaysock.is_socket() else None

        env["WAYLAND_DISPLAY"] = wait_until(ready, 30, "sway's sockets")
        sway = Sway(runtime, proc, env)
        wait_until(lambda: sway.msg("-t", "get_version"), 10, "sway's IPC")
        yield sway
        for terminal in list(sway.terminals):
            terminal.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                terminal.proc.wait(5)
    finally:
        stop_process(proc)
        log.close()
