"""The app icon for the Windows and macOS bundles: named by the PyInstaller spec, readable,
every size there, and the SVG's drawing in it (made by tools/make_icons.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage, QImageReader

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"


def images(path: Path) -> list[QImage]:
    reader = QImageReader(str(path))
    found = []
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        found.append(reader.read())
    return found


def drawn(image: QImage) -> bool:
    step = max(1, image.width() // 16)
    colors = {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }
    return len(colors) > 2


def test_windows_and_macos_icons_hold_every_size(qapp: object) -> None:
    spec = (ROOT / "installers" / "timelygator.spec").read_text(encoding="utf-8")
    for name, sizes in (
        ("timelygator.ico", {16, 24, 32, 48, 64, 128, 256}),
        ("timelygator.icns", {128, 256, 512, 1024}),
    ):
        assert f'"{name}"' in spec
        found = images(ICONS / name)
        assert {image.width() for image in found} == sizes, name
        assert all(image.width() == image.height() and drawn(image) for image in found), name
