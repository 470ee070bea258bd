"""Layering: core and watchers never import Qt (CONVENTIONS.md, item 1)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")


def _python(script: str) -> str:
    """What ``python -c script`` prints, run from the repository root in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_and_watchers_sources_never_import_qt() -> None:
    offenders = []
    files = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("watchers").rglob("*.py")]
    assert len(files) > 10
    for path in files:
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN or name.startswith("timelygator.gui"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_every_core_and_watchers_module_loads_no_qt() -> None:
    script = f"""
import importlib, pkgutil, sys
import timelygator.core, timelygator.watchers
for package in (timelygator.core, timelygator.watchers):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" in info.name:
            continue
        importlib.import_module(info.name)
loaded = sorted(
    m for m in sys.modules
    if m.split(".")[0] in {FORBIDDEN!r} or m.startswith("timelygator.gui")
)
print(",".join(loaded))
"""
    assert _python(script) == ""


def test_cli_entry_point_module_is_qt_free() -> None:
    """``timelygator serve`` on a headless box must not need Qt."""
    script = "import sys, timelygator.gui.main; print('PySide6' in sys.modules)"
    assert _python(script) == "False"


def test_cli_commands_load_heavy_stacks_only_when_used() -> None:
    """``timelygator watch`` or ``db check`` must not pay for FastAPI or numpy."""
    script = (
        "import sys; from timelygator.core.cli import build_parser; "
        "from timelygator.gui.main import EXTRA_COMMAND_MODULES; "
        "build_parser(EXTRA_COMMAND_MODULES); "
        "heavy = {'fastapi', 'numpy', 'uvicorn', 'PySide6'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    assert _python(script) == "[]"


def test_file_import_and_export_load_no_web_framework() -> None:
    """``timelygator import``/``export`` and the app's Data page validate and write export
    files with ``timelygator.core.transfer_format``: FastAPI, Starlette and uvicorn stay
    unloaded."""
    script = (
        "import sys, timelygator.core.importer, timelygator.core.awimport, "
        "timelygator.core.transfer_format, timelygator.core.cli.transfer, "
        "timelygator.gui.settings.data_page; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', "
        "'uvicorn'}), sorted(m for m in sys.modules if m.startswith('timelygator.core.api')))"
    )
    assert _python(script) == "[] []"
