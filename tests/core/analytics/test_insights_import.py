"""scikit-learn loads only when a model is trained: the window, the API server and every
command start without it (it takes a second or two to import)."""

from __future__ import annotations

import subprocess
import sys


def test_starting_the_app_or_the_api_loads_no_scikit_learn() -> None:
    code = (
        "import sys, timelygator.gui.main_window, timelygator.core.api.app, "
        "timelygator.core.cli.insights, timelygator.core.insights.engine; "
        "print(any(m.startswith('sklearn') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_window_starts_without_scipy_or_httpx() -> None:
    """SciPy (0.3 s) loads with the first model and httpx (0.2 s) with a rephrased digest:
    neither is paid for before the window shows."""
    code = (
        "import sys, timelygator.gui.app_controller, timelygator.gui.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'httpx', 'sklearn'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
