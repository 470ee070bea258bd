"""The ``timelygator`` command as a user runs it: a real process on a test's data folder."""

from __future__ import annotations

import os
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
    environment."""
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args, "--data-dir", str(dirs.data)],
        capture_output=True,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": passphrase, **(env or {})},
        timeout=timeout,
        check=False,
    )
