"""Run the test suite: ``python -m tests [pytest args]``.

On Linux without a display, and with Xvfb installed, this starts a virtual X server and the
openbox window manager (real windows have an active window only under a window manager) so
the X11 integration tests run for real; widget tests use Qt's offscreen platform either way.
The tests are spread over one pytest-xdist worker per CPU (at most 4; set
``TIMELYGATOR_TEST_WORKERS`` to choose, 0 for none); tests that share the display run on one
worker (``xdist_group("desktop")``, tests/conftest.py). Anything else is passed to pytest,
after these options (so ``-n 0`` there wins).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _free_display() -> int:
    for number in range(90, 140):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@contextlib.contextmanager
def virtual_display() -> Iterator[str | None]:
    """Start Xvfb + openbox when possible; yields the DISPLAY to use (or None)."""
    if sys.platform != "linux" or os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        yield os.environ.get("DISPLAY")
        return
    number = _free_display()
    display = f":{number}"
    ready_r, ready_w = os.pipe()
    # -displayfd writes the display number once the server accepts connections.
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            display,
            "-screen",
            "0",
            "1440x900x24",
            "-nolisten",
            "tcp",
            "-displayfd",
            str(ready_w),
        ],
        pass_fds=(ready_w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(ready_w)
    with os.fdopen(ready_r) as ready:
        ready.readline()
    env = {**os.environ, "DISPLAY": display}
    wm = None
    if shutil.which("openbox"):
        wm = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        yield display
    finally:
        for proc in (wm, xvfb):
            if proc is not None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)


def _parallel_options() -> list[str]:
    """pytest-xdist's options: a worker per CPU (at most 4), the desktop's tests together."""
    chosen = os.environ.get("TIMELYGATOR_TEST_WORKERS")
    workers = int(chosen) if chosen else min(os.cpu_count() or 1, 4)
    if workers < 1:
        return []
    # pytest-benchmark, when a machine has it, warns that xdist disables it: an error here.
    return ["-n", str(workers), "--dist", "loadgroup", "-p", "no:benchmark"]


def main(argv: list[str]) -> int:
    with virtual_display() as display, tempfile.TemporaryDirectory(prefix="tg-tests-") as tmp:
        env = dict(os.environ)
        if display:
            env["DISPLAY"] = display
            env["TIMELYGATOR_TEST_DISPLAY"] = display
        # Qt widgets render offscreen; X11 tests talk to DISPLAY directly.
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env.setdefault("XDG_RUNTIME_DIR", tmp)
        return subprocess.call(
            [sys.executable, "-m", "pytest", *_parallel_options(), *argv], env=env
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
