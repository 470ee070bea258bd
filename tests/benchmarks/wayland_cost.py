"""What tracking costs on sway against X11, in one run: per poll, and per hour of a real
``timelygator watch``.

Starts a headless sway (two foot terminals) and Xvfb + openbox (two X11 windows), then

- times each real probe's ``active_window``/``seconds_since_input`` (CPU per call), and
- runs ``timelygator watch`` (window 1 s, browser tabs 2 s, away 5 s: the defaults) on both
  displays at once for ``--seconds`` while focus moves between the two windows every
  ``--switch-every`` seconds, and reads each process's CPU time from /proc: the same watcher
  loop, writer and store on both sides, so the difference is the backend.

Prints JSON. Needs sway, foot, Xvfb, openbox and xdotool (the CI's packages).

    python tests/benchmarks/wayland_cost.py [--seconds 120] [--switch-every 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.__main__ import virtual_display  # noqa: E402
from tests.watchers.sway_helpers import headless_sway, wait_until  # noqa: E402
from tests.watchers.watch_helpers import run_watch  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_us_per_call(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # connect / import first
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return round((time.process_time() - start) / repeat * 1e6, 1)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class X11Windows:
    """Two mapped X11 windows under openbox, activated in turn with xdotool."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.display = display
        self.disp = xdisplay.Display(display)
        screen = self.disp.screen()
        self.ids: list[int] = []
        for n, name in enumerate(("Alpha notes", "Beta mail")):
            win = screen.root.create_window(
                40 + n * 300, 40, 280, 200, 0, screen.root_depth, X.InputOutput,
                X.CopyFromParent, background_pixel=screen.white_pixel,
            )  # fmt: skip
            win.set_wm_name(name)
            win.set_wm_class(f"tg-{name.split()[0].lower()}", "TgBench")
            win.map()
            self.ids.append(win.id)
        self.disp.sync()

    def focus(self, index: int) -> None:
        subprocess.run(
            ["xdotool", "windowactivate", "--sync", str(self.ids[index])],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
            timeout=10,
        )

    def close(self) -> None:
        self.disp.close()


def probe_costs(sway_env: dict[str, str], display: str, repeat: int) -> dict[str, float]:
    from timelygator.watchers.idle_probe import X11IdleProbe
    from timelygator.watchers.probes import close_probe
    from timelygator.watchers.sway_ipc import SwayIpcWindowProbe
    from timelygator.watchers.wayland_probes import WaylandIdleProbe, WlrToplevelWindowProbe
    from timelygator.watchers.window_probe import PyWinCtlWindowProbe

    x11_env = {"DISPLAY": display}
    os.environ["DISPLAY"] = display  # pywinctl opens the display named here at import
    probes: dict[str, Any] = {
        "sway_wlr_foreign_toplevel": WlrToplevelWindowProbe(sway_env),
        "sway_ipc": SwayIpcWindowProbe(sway_env),
        "x11_pywinctl": PyWinCtlWindowProbe(x11_env),
    }
    idle: dict[str, Any] = {
        "sway_idle_notification": WaylandIdleProbe(sway_env),
        "x11_screensaver": X11IdleProbe(x11_env),
    }
    out: dict[str, float] = {}
    for name, probe in probes.items():
        out[f"window_{name}_cpu_us_per_poll"] = cpu_us_per_call(probe.active_window, repeat)
    for name, probe in idle.items():
        out[f"idle_{name}_cpu_us_per_poll"] = cpu_us_per_call(probe.seconds_since_input, repeat)
    for probe in (*probes.values(), *idle.values()):
        close_probe(probe)
    return out


def watch_costs(
    sway: Any, x11: X11Windows, data: Path, seconds: float, switch_every: float
) -> dict[str, Any]:
    sway_env = {k: v for k, v in sway.env.items() if k != "DISPLAY"}
    x11_env = {
        **{k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "SWAYSOCK")},
        "DISPLAY": x11.display,
        "XDG_SESSION_TYPE": "x11",
    }
    x11_env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    with (
        run_watch(sway_env, data / "sway", []) as on_sway,
        run_watch(x11_env, data / "x11", []) as on_x11,
    ):
        backends = {}
        for name, watch in (("sway", on_sway), ("x11", on_x11)):
            backends[name] = {
                "window": watch.wait_line("window: running", 60),
                "afk": watch.wait_line("afk: running", 60),
            }
        # Let both settle (store created, first commits), then measure.
        pause = threading.Event()
        pause.wait(3)
        start = {n: process_cpu_s(w.proc.pid) for n, w in (("sway", on_sway), ("x11", on_x11))}
        began = time.monotonic()
        switches = 0
        while time.monotonic() - began < seconds:
            switches += 1
            sway.focus(("tg-alpha", "tg-beta")[switches % 2])
            x11.focus(switches % 2)
            pause.wait(max(0.0, min(switch_every, seconds - (time.monotonic() - began))))
        elapsed = time.monotonic() - began
        end = {n: process_cpu_s(w.proc.pid) for n, w in (("sway", on_sway), ("x11", on_x11))}
    result: dict[str, Any] = {"seconds_measured": round(elapsed, 1), "focus_switches": switches}
    for name in ("sway", "x11"):
        cpu = end[name] - start[name]
        result[name] = {
            "backends": backends[name],
            "cpu_s": round(cpu, 3),
            "cpu_s_per_hour": round(cpu / elapsed * 3600, 1),
            "share_of_one_core_pct": round(cpu / elapsed * 100, 3),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--switch-every", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=500, help="calls per probe timing")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="tg-bench-sway-") as base,
        tempfile.TemporaryDirectory(prefix="tg-bench-data-") as data,
        headless_sway(Path(base)) as sway,
        virtual_display() as display,
    ):
        if not display:
            print(json.dumps({"skipped": "no X11 display (install Xvfb and openbox)"}))
            return 1
        sway.open_terminal("tg-alpha", "Alpha notes")
        sway.open_terminal("tg-beta", "Beta mail")
        x11 = X11Windows(display)
        wait_until(lambda: sway.focused(), 10, "a focused sway window")
        x11.focus(0)
        report = {
            "probes": probe_costs(sway.env, display, args.repeat),
            "timelygator_watch": watch_costs(
                sway, x11, Path(data), args.seconds, args.switch_every
            ),
        }
        x11.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
