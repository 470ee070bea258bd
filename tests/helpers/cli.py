"""The ``timelygator`` command as a user runs it: a real process on a test's data folder."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

from timelygator.core.paths import AppDirs


def run_cli(
    dirs: AppDirs,
    passphrase: str,
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``timelygator ARGS --data-dir DIR`` with the passphrase (and ``env``) in the
    environment, and no terminal to ask anything on (stdin is empty)."""
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args, "--data-dir", str(dirs.data)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": passphrase, **(env or {})},
        timeout=timeout,
        check=False,
    )


def run_on_terminal(
    args: list[str], prompt: str, answer: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """``timelygator ARGS`` with a pseudo-terminal as its controlling terminal (and without
    ``TIMELYGATOR_PASSPHRASE`` unless ``env`` gives it): types ``answer`` at the first
    ``prompt``; the exit code and everything the terminal showed."""
    main, secondary = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k != "TIMELYGATOR_PASSPHRASE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "timelygator", *args],
        stdin=secondary, stdout=secondary, stderr=secondary,
        env={**base, **(env or {})}, start_new_session=True, close_fds=True,
    )  # fmt: skip
    os.close(secondary)
    output = b""
    answered = False
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:
                raise AssertionError(f"no output; so far: {output!r}")
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and prompt.encode() in output:
                os.write(main, answer.encode() + b"\n")
                answered = True
    finally:
        code = proc.wait(60)
        os.close(main)
    return code, output.decode("utf-8", "replace")
