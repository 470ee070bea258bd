"""Render the app icon (resources/icons/timelygator.svg) for the bundles and Linux menus.

PyInstaller wants ``.ico`` on Windows and ``.icns`` on macOS; Linux menus want the hicolor
theme's PNG sizes (``resources/icons/hicolor/``, copied with the SVG as the scalable size by
the .deb and by ``timelygator desktop-entry install``). Qt renders the SVG to PNGs;
both containers are then written here: they are simple lists of PNG images (an ICO
directory with PNG entries, as Windows has read since Vista; ICNS ``ic07``-``ic10``
entries), which Qt's own ICNS writer does not get right. Run after changing the SVG:

    QT_QPA_PLATFORM=offscreen python tools/make_icons.py
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QGuiApplication, QIcon

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256)
APP_ID = "io.timelygator.TimelyGator"


def png(icon: QIcon, size: int) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    icon.pixmap(QSize(size, size)).toImage().save(buffer, "PNG")
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in images.items():
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns(images: dict[int, bytes]) -> bytes:
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(blob)) + blob for size, blob in images.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    icon = QIcon(str(ICONS / "timelygator.svg"))
    (ICONS / "timelygator.ico").write_bytes(ico({s: png(icon, s) for s in ICO_SIZES}))
    (ICONS / "timelygator.icns").write_bytes(icns({s: png(icon, s) for s in ICNS_TYPES}))
    for size in HICOLOR_SIZES:
        path = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(icon, size))
    print(f"wrote timelygator.ico, timelygator.icns and hicolor/ in {ICONS}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
