"""What ``pip install`` of a wheel (not a checkout) gives a user: one ``timelygator``
namespace with every package and the bundled resources, and nothing else in site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "timelygator.core", "watchers": "timelygator.watchers",
           "timelygator_gui": "timelygator.gui", "resources": "timelygator.resources"}  # fmt: skip


def test_pyproject_lists_and_maps_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    mapped = config["setuptools"]["package-dir"]
    assert mapped == {package: folder for folder, package in FOLDERS.items()}
    found = {"timelygator"}
    for folder, package in FOLDERS.items():
        found.add(package)
        found.update(f"{package}.{sub}" for sub in find_packages(str(ROOT / folder)))
    assert listed == found


def test_a_wheel_installs_one_namespace_that_runs_beside_an_unrelated_core(
    tmp_path: Path,
) -> None:
    """Installed from a wheel into a fresh venv and started from a folder holding its own
    ``core`` package: TimelyGator runs, and ``import core`` still finds the folder's own."""
    wheels = tmp_path / "wheels"
    pip = ["-m", "pip", "--disable-pip-version-check", "-q"]
    # From a copy of the sources: setuptools builds in the tree's build/, where an earlier
    # build may have left files a wheel would then carry.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ))  # fmt: skip
    subprocess.run([sys.executable, *pip, "wheel", "--no-deps", "-w", str(wheels), str(source)],
                   check=True)  # fmt: skip
    [wheel] = wheels.glob("timelygator-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"timelygator"}
    # The dependencies come from this interpreter's site-packages (no network needed).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([python, *pip, "install", "--no-deps", str(wheel)], check=True)
    work = tmp_path / "work"
    (work / "core").mkdir(parents=True)
    (work / "core" / "__init__.py").write_text("WHO = 'not TimelyGator'\n", encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    clean["TIMELYGATOR_PASSPHRASE"] = "a test passphrase"

    def run(*args: str) -> str:
        done = subprocess.run([python, *args], cwd=work, env=clean, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    assert run("-m", "timelygator", "--version") == f"TimelyGator {_version()}"
    probe = (
        "import core, timelygator.core as tc, timelygator.core.resources as r, "
        "timelygator.core.categories.formats as f; "
        "print(core.WHO); print(tc.__file__); print(r.resource_path('icons', 'timelygator.svg')); "
        "print(r.resource_path('browser-extension', 'manifest.json')); "
        "print(len(f.load_default_categories()))"
    )
    who, core_file, icon, manifest, categories = run("-c", probe).split("\n")
    assert who == "not TimelyGator"
    site = Path(core_file).parents[2]
    assert site.is_relative_to(env_dir)  # the installed copy, not the checkout
    assert Path(icon) == site / "timelygator" / "resources" / "icons" / "timelygator.svg"
    assert Path(manifest).is_file()
    assert int(categories) >= 10
    # Real work of the installed copy on a data folder of its own: create it, check it.
    data = tmp_path / "data"
    run("-c", "import sys; from timelygator.core.paths import resolve_dirs; "
              "from timelygator.core.services import Services; "
              "Services.open(resolve_dirs(sys.argv[1]), sys.argv[2], create=True).close()",
        str(data), clean["TIMELYGATOR_PASSPHRASE"])  # fmt: skip
    assert run("-m", "timelygator", "db", "check", "--data-dir", str(data)).endswith(
        "Integrity: ok"
    )


def _version() -> str:
    for line in (ROOT / "core" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split('"')[1]
    raise AssertionError("core/__init__.py has no __version__")
