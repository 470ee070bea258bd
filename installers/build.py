"""Build TimelyGator's app bundle and this platform's installers, with one command.

    python installers/build.py                 # the bundle, then this platform's packages
    python installers/build.py --only bundle   # the PyInstaller bundle alone
    python installers/build.py --skip-bundle   # packages from the dist/TimelyGator already built

Needs ``pip install -e ".[package]"`` (PyInstaller). Everything goes to ``dist/``:

- every platform: ``dist/TimelyGator/`` (one folder: the ``timelygator`` program and
  ``_internal/``), from ``installers/timelygator.spec``;
- Linux: ``timelygator_<version>_<arch>.deb`` (``dpkg-deb``) and
  ``TimelyGator-<version>-linux-<arch>.tar.gz`` with ``install.sh`` (installers/linux);
- Windows: ``TimelyGator-<version>-setup.exe`` with Inno Setup 6's ``iscc``
  (installers/windows/timelygator.iss);
- macOS: ``TimelyGator.app`` (the spec) and ``TimelyGator-<version>.dmg``
  (installers/macos/build_dmg.sh).

At the end it prints one JSON object: what was built, sizes in MB, seconds per step.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"
STEPS = ("bundle", "deb", "tar", "inno", "dmg")
PLATFORM_STEPS = {"linux": ("deb", "tar"), "win32": ("inno",), "darwin": ("dmg",)}


def version() -> str:
    """``core.__version__``, read from the file (the build need not import the app)."""
    text = (ROOT / "core" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("core/__init__.py has no __version__")
    return match.group(1)


def size_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return round(sum(p.stat().st_size for p in files) / 1e6, 1)


def linux_packages():  # type: ignore[no-untyped-def]
    """installers/linux/packages.py (the installers folder is not a package)."""
    path = INSTALLERS / "linux" / "packages.py"
    spec = importlib.util.spec_from_file_location("timelygator_linux_packages", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_bundle(dist: Path, work: Path) -> Path:
    # The spec reads the installed layout (timelygator/core/…) from build/namespace.
    subprocess.run([sys.executable, str(ROOT / "tools" / "namespace.py")], check=True)
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(dist), "--workpath", str(work),
            str(INSTALLERS / "timelygator.spec"),
        ],
        check=True,
        cwd=ROOT / "build" / "namespace",  # first on the path: timelygator with all its parts
    )  # fmt: skip
    return dist / "TimelyGator"


def build_inno(bundle: Path, dist: Path, ver: str) -> Path:
    iscc = shutil.which("iscc") or shutil.which("ISCC.exe")
    if iscc is None:
        raise SystemExit("Inno Setup 6's iscc is not on PATH (https://jrsoftware.org/isdl.php).")
    subprocess.run(
        [
            iscc, f"/DAppVersion={ver}", f"/DSourceDir={bundle}", f"/O{dist}",
            str(INSTALLERS / "windows" / "timelygator.iss"),
        ],
        check=True,
    )  # fmt: skip
    return dist / f"TimelyGator-{ver}-setup.exe"


def build_dmg(dist: Path, ver: str) -> Path:
    script = INSTALLERS / "macos" / "build_dmg.sh"
    subprocess.run(["sh", str(script), str(dist / "TimelyGator.app"), ver, str(dist)], check=True)
    return dist / f"TimelyGator-{ver}.dmg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", choices=STEPS, action="append", help="build just this (repeatable)"
    )
    parser.add_argument("--skip-bundle", action="store_true", help="reuse dist/TimelyGator")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's cache")
    parser.add_argument(
        "--deb-compression",
        choices=("gzip", "xz", "zstd"),
        default="gzip",
        help="gzip (default: any dpkg, ~25 s on 2 cores), xz (~25%% smaller, ~6 min), zstd "
        "(dpkg 1.21.18+: Debian 12, Ubuntu 22.04)",
    )
    args = parser.parse_args(argv)
    platform_key = "linux" if sys.platform.startswith("linux") else sys.platform
    steps = args.only or ["bundle", *PLATFORM_STEPS.get(platform_key, ())]
    if args.skip_bundle and "bundle" in steps:
        steps.remove("bundle")
    dist: Path = args.dist.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    bundle = dist / "TimelyGator"
    ver = version()
    report: dict[str, object] = {"version": ver, "platform": sys.platform}
    seconds: dict[str, float] = {}
    built: dict[str, dict[str, object]] = {}
    for step in steps:
        started = time.monotonic()
        if step == "bundle":
            output = build_bundle(dist, args.work.resolve())
            if platform_key == "linux":
                linux_packages().tidy_bundle(output)
        else:
            if not (
                bundle / ("timelygator.exe" if platform_key == "win32" else "timelygator")
            ).exists():
                raise SystemExit(f"No bundle in {bundle}: build it first (without --skip-bundle).")
            if step in ("deb", "tar"):
                packages = linux_packages()
                if step == "deb":
                    output = packages.build_deb(bundle, ver, dist, args.deb_compression)
                else:
                    output = packages.build_tarball(bundle, ver, dist)
            elif step == "inno":
                output = build_inno(bundle, dist, ver)
            else:
                output = build_dmg(dist, ver)
        seconds[step] = round(time.monotonic() - started, 1)
        built[step] = {"path": str(output), "size_mb": size_mb(output)}
        print(f"{step}: {output} ({built[step]['size_mb']} MB, {seconds[step]} s)", file=sys.stderr)
    report["built"] = built
    report["seconds"] = seconds
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
