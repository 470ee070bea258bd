"""Every TimelyGator process runs the garbage collector's young collections less often."""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest
from timelygator.core.cli import run
from timelygator.core.runtime import GC_YOUNG_THRESHOLD, tune_gc


@pytest.fixture
def threshold() -> Iterator[None]:
    saved = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


@pytest.mark.usefixtures("threshold")
def test_tune_gc_raises_only_the_young_threshold() -> None:
    gc.set_threshold(700, 10, 10)
    tune_gc()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)


@pytest.mark.usefixtures("threshold")
def test_tune_gc_leaves_a_higher_threshold_alone() -> None:
    gc.set_threshold(50_000, 20, 5)
    tune_gc()
    assert gc.get_threshold() == (50_000, 20, 5)


@pytest.mark.usefixtures("threshold")
def test_every_cli_command_runs_tuned(capsys: pytest.CaptureFixture[str]) -> None:
    gc.set_threshold(700, 10, 10)
    assert run(argparse.Namespace()) == 2  # no command: the message, but tuned first
    assert "No command given" in capsys.readouterr().err
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD


def test_the_timelygator_entry_point_tunes_its_process() -> None:
    probe = (
        "import gc, sys; from timelygator.gui.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(gc.get_threshold()[0], file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == str(GC_YOUNG_THRESHOLD)
