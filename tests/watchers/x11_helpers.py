"""Shared pieces of the X11 integration tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

TITLE = "TimelyGator x11 test window \u2713"


def xdotool(*args: str) -> str:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed")
    return subprocess.run(
        ["xdotool", *args], check=True, capture_output=True, text=True, timeout=10
    ).stdout
