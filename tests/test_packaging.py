"""What ``pip install .`` (a wheel, not a checkout) gives a user: every package and the
bundled resources (default categories, icons, styles, the browser extension), found."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(ROOT), include=["core*", "watchers*", "timelygator_gui*"]))
    assert listed - {"timelygator_resources"} == found


def test_an_installed_wheel_carries_and_finds_the_resources(tmp_path: Path) -> None:
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    [wheel] = wheels.glob("timelygator-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    probe = (
        "import timelygator.core, timelygator.core.resources as r, timelygator.core.categories.formats as f; "
        "print(core.__file__); print(r.resource_path('icons', 'timelygator.svg')); "
        "print(r.resource_path('browser-extension', 'manifest.json')); "
        "print(len(f.load_default_categories()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert Path(out[0]).is_relative_to(site)  # the installed copy, not the checkout
    assert Path(out[1]) == site / "timelygator_resources" / "icons" / "timelygator.svg"
    assert Path(out[2]).is_file()
    assert int(out[3]) >= 10
