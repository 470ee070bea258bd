"""Installer metadata: the start-menu entry, autostart entry and AppStream file are valid."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from timelygator.gui.main import main

LINUX = Path(__file__).resolve().parents[1] / "resources" / "desktop"
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


# -- the build scripts (their real run is .ci/run's installers/linux/check_deb.sh) ---------------
ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"


def test_the_spec_collects_every_package_of_ours() -> None:
    """A package added (or moved under a namespace) in pyproject.toml is bundled too."""
    import ast
    import tomllib

    spec = (INSTALLERS / "timelygator.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)
    [ours] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "OUR_PACKAGES" for t in node.targets)
    ]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The namespace and its parts (their subpackages are collected with them).
    parts = {p for p in config["tool"]["setuptools"]["packages"] if p.count(".") <= 1}
    assert set(ast.literal_eval(ours)) == parts - {"timelygator.resources"}
    # Where timelygator.core.resources looks: next to the core package, as installed.
    assert '(str(ROOT / "resources"), "timelygator/resources")' in spec


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#") or line.startswith("//"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def test_inno_setup_script_agrees_with_the_app() -> None:
    """No Inno Setup compiler here: the script's structure, its paths, and the start-at-login
    value it writes and removes are the ones the app's Settings → General uses."""
    from timelygator.gui.autostart import RUN_KEY, RUN_VALUE

    iss = INSTALLERS / "windows" / "timelygator.iss"
    text = iss.read_text(encoding="utf-8")
    sections = _iss_sections(text)
    assert {"Setup", "Tasks", "Files", "Icons", "Registry", "Run", "Code"} <= set(sections)
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["OutputBaseFilename"] == "TimelyGator-{#AppVersion}-setup"
    assert (iss.parent / setup["SetupIconFile"].replace("\\", "/")).resolve().is_file()
    assert any('Source: "{#SourceDir}\\*"' in line for line in sections["Files"])
    [registry] = sections["Registry"]
    assert f'Subkey: "{RUN_KEY}"' in registry and f'ValueName: "{RUN_VALUE}"' in registry
    assert "--minimized" in registry and "uninsdeletevalue" in registry
    code = "\n".join(sections["Code"])
    assert code.count("begin") == code.count("end;")
    assert "MB_DEFBUTTON2" in code  # deleting the data is never the default answer
    assert f"'{RUN_KEY}', '{RUN_VALUE}'" in code


@pytest.mark.parametrize(
    "script",
    ["linux/install.sh", "linux/check_deb.sh", "macos/build_dmg.sh"],
)
def test_shell_scripts_parse(script: str) -> None:
    path = INSTALLERS / script
    shell = "bash" if path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash") else "sh"
    result = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    if shutil.which("shellcheck"):
        checked = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout


def test_build_script_says_what_it_builds() -> None:
    import sys

    result = subprocess.run(
        [sys.executable, str(INSTALLERS / "build.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--skip-bundle" in result.stdout and "--deb-compression" in result.stdout
