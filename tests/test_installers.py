"""Installer metadata: the start-menu entry, autostart entry and AppStream file are valid."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from timelygator.gui.main import main

LINUX = Path(__file__).resolve().parents[1] / "installers" / "linux"
APP_ID = "io.timelygator.TimelyGator"


def _entry(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(LINUX / name, encoding="utf-8")
    return parser["Desktop Entry"]


def test_start_menu_entry_launches_the_app() -> None:
    entry = _entry(f"{APP_ID}.desktop")
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "timelygator"
    assert entry["Icon"] == APP_ID
    assert "Office" in entry["Categories"].split(";")


def test_autostart_entry_starts_minimized_and_the_flag_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = _entry(f"{APP_ID}-autostart.desktop")
    assert entry["Exec"] == "timelygator --minimized"
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--minimized" in capsys.readouterr().out


def test_appstream_metadata_names_the_desktop_entry() -> None:
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("provides/binary") == "timelygator"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_files_pass_desktop_file_validate() -> None:
    for name in (f"{APP_ID}.desktop", f"{APP_ID}-autostart.desktop"):
        result = subprocess.run(
            ["desktop-file-validate", str(LINUX / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
