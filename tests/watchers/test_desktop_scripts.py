"""The GNOME Shell extension and the KWin script: syntax, and the same names as the watcher.

Their behaviour is tested in test_desktop_bus.py (run under node behind a private bus); here:
each file parses, the two extension copies share one body, and every bus name, path,
method and signature in them is the one the Python side uses. Installing the extension for
a user is tested with a stand-in ``gsettings``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from timelygator.watchers import kwin_script
from timelygator.watchers.dbus_probes import SHELL_WINDOW, SHELL_WINDOW_VERSION
from timelygator.watchers.desktop_integration import (
    FIRST_ESM_SHELL,
    GNOME_EXTENSION_UUID,
    gnome_extension_missing_reason,
    install_gnome_extension,
    installed_gnome_extension,
    remove_gnome_extension,
)

from tests.watchers.dbus_helpers import GNOME_EXTENSIONS, KWIN_SCRIPT, out_signature
from tests.watchers.watch_helpers import ROOT


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: nodejs)")
    return node


def test_scripts_parse(tmp_path: Path) -> None:
    node = _node()
    modern = tmp_path / "extension.mjs"  # an ES module: node checks it as one by its suffix
    modern.write_text((GNOME_EXTENSIONS["modern"] / "extension.js").read_text(encoding="utf-8"))
    for path in (KWIN_SCRIPT, GNOME_EXTENSIONS["legacy"] / "extension.js", modern):
        result = subprocess.run(
            [node, "--check", str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{path}: {result.stderr}"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _body(source: str) -> str:
    """From the object path constant to the end of the ShellWindow class."""
    start = source.index("const OBJECT_PATH")
    end = source.index("\n}\n", source.index("class ShellWindow")) + 3
    return source[start:end]


def _interface_xml(source: str) -> str:
    return source.split("const INTERFACE_XML = `", 1)[1].split("`;", 1)[0]


def test_both_extension_copies_share_one_body_and_speak_the_probes_interface() -> None:
    modern = _text(GNOME_EXTENSIONS["modern"] / "extension.js")
    legacy = _text(GNOME_EXTENSIONS["legacy"] / "extension.js")
    assert _body(modern) == _body(legacy)
    xml = _interface_xml(modern)
    interface = ET.fromstring(xml).find("interface")
    assert interface is not None
    assert interface.get("name") == SHELL_WINDOW.interface
    assert f"const OBJECT_PATH = '{SHELL_WINDOW.object_path}';" in modern
    assert f"const VERSION = {SHELL_WINDOW_VERSION};" in modern
    # watchers.dbus_probes.window_from_shell reads (app_id, wm_class, title, pid).
    assert out_signature(xml, "GetVersion") == "u"
    assert out_signature(xml, "GetActiveWindow") == "sssi"
    names = [a.get("name") for m in interface.iter("method") for a in m.findall("arg")]
    assert names == ["version", "app_id", "wm_class", "title", "pid"]


@pytest.mark.parametrize("variant", ["modern", "legacy"])
def test_extension_metadata(variant: str) -> None:
    folder = GNOME_EXTENSIONS[variant]
    metadata = json.loads(_text(folder / "metadata.json"))
    assert metadata["uuid"] == folder.name == GNOME_EXTENSION_UUID
    versions = [int(v) for v in metadata["shell-version"]]
    if variant == "modern":
        assert min(versions) == FIRST_ESM_SHELL
    else:
        assert max(versions) == FIRST_ESM_SHELL - 1
    assert sorted(folder.iterdir()) == [folder / "extension.js", folder / "metadata.json"]


def test_kwin_script_calls_what_the_probe_serves() -> None:
    source = _text(KWIN_SCRIPT)
    constants = dict(re.findall(r'^var (\w+) = "([^"]*)";', source, re.MULTILINE))
    assert constants == {
        "SERVICE": kwin_script.SERVICE,
        "OBJECT_PATH": kwin_script.REPORTS_PATH,
        "INTERFACE": kwin_script.REPORTS_INTERFACE,
        "METHOD": kwin_script.REPORT_METHOD,
    }
    assert kwin_script.script_path() == KWIN_SCRIPT
    # Four arguments in every call, each passed through text() (KWin sends JS numbers as
    # doubles; the probe accepts only WindowActivated(ssss)).
    calls = re.findall(r"callDBus\(SERVICE, OBJECT_PATH, INTERFACE, METHOD,([^;]*)\);", source)
    assert len(calls) == 2
    for args in calls:
        parts = [p.strip() for p in args.replace("\n", " ").split(",")]
        assert len(parts) == len(kwin_script.REPORT_SIGNATURE)
        assert all(p.startswith("text(") or p == '""' for p in parts), parts


# -- installing the extension ------------------------------------------------------------------

FAKE_GSETTINGS = """#!{python}
# A stand-in for gsettings: keys of org.gnome.shell kept in a JSON file next to it.
import json, sys
from pathlib import Path
store = Path(__file__).with_name("gsettings.json")
values = json.loads(store.read_text()) if store.exists() else {{}}
command, schema, key = sys.argv[1:4]
if command == "get":
    print(values.get(key, "@as []"))
else:
    values[key] = sys.argv[4]
    store.write_text(json.dumps(values))
"""


@pytest.fixture
def desktop_env(tmp_path: Path) -> dict[str, str]:
    tools = tmp_path / "bin"
    tools.mkdir()
    gsettings = tools / "gsettings"
    gsettings.write_text(FAKE_GSETTINGS.format(python=sys.executable), encoding="utf-8")
    gsettings.chmod(0o755)
    (tools / "gsettings.json").write_text(
        json.dumps({
            "enabled-extensions": "['other@example.org']",
            "disabled-extensions": f"['{GNOME_EXTENSION_UUID}']",
            "disable-user-extensions": "false",
        })
    )  # fmt: skip
    return {
        "PATH": str(tools),
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_DATA_DIRS": str(tmp_path / "system"),
    }


def _settings(env: dict[str, str]) -> dict[str, str]:
    return dict(json.loads((Path(env["PATH"]) / "gsettings.json").read_text()))


@pytest.mark.parametrize(("shell", "variant"), [(43, "legacy"), (46, "modern"), (None, "modern")])
def test_install_copies_the_right_copy_and_turns_it_on(
    desktop_env: dict[str, str], shell: int | None, variant: str
) -> None:
    assert installed_gnome_extension(desktop_env) is None
    result = install_gnome_extension(desktop_env, shell_major=shell)
    target = (
        Path(desktop_env["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID
    )
    assert result.path == target == installed_gnome_extension(desktop_env)
    assert _text(target / "extension.js") == _text(GNOME_EXTENSIONS[variant] / "extension.js")
    assert result.enabled
    assert result.message.endswith(
        "Log out and back in to start it (GNOME on Wayland starts new extensions at login)."
    )
    settings = _settings(desktop_env)
    assert settings["enabled-extensions"] == f"['other@example.org', '{GNOME_EXTENSION_UUID}']"
    assert settings["disabled-extensions"] == "[]"
    # Until the next login GNOME Shell does not answer: the status says to log out and in.
    assert "installed but not running yet: log out and back in" in (
        gnome_extension_missing_reason(desktop_env)
    )


def test_reinstall_replaces_the_copy_and_remove_turns_it_off(desktop_env: dict[str, str]) -> None:
    first = install_gnome_extension(desktop_env, shell_major=43)
    (first.path / "stale.js").write_text("old")
    second = install_gnome_extension(desktop_env, shell_major=47)
    assert not (second.path / "stale.js").exists()
    assert "export default class" in _text(second.path / "extension.js")
    leftovers = [p.name for p in second.path.parent.iterdir() if p.name != GNOME_EXTENSION_UUID]
    assert leftovers == []
    message = remove_gnome_extension(desktop_env)
    assert message.startswith("Removed the TimelyGator Shell extension")
    assert installed_gnome_extension(desktop_env) is None
    assert _settings(desktop_env)["enabled-extensions"] == "['other@example.org']"


def test_turned_off_or_switched_off_extensions_are_explained(desktop_env: dict[str, str]) -> None:
    settings_file = Path(desktop_env["PATH"]) / "gsettings.json"
    settings = _settings(desktop_env)
    settings["disable-user-extensions"] = "true"
    settings_file.write_text(json.dumps(settings))
    result = install_gnome_extension(desktop_env, shell_major=46)
    assert "Extensions are switched off in GNOME" in result.message
    settings = _settings(desktop_env)
    settings["enabled-extensions"] = "@as []"
    settings_file.write_text(json.dumps(settings))
    assert "installed but turned off: turn it on in GNOME's Extensions app" in (
        gnome_extension_missing_reason(desktop_env)
    )


def test_install_without_gsettings_says_to_turn_it_on(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = install_gnome_extension(env, shell_major=46)
    assert not result.enabled
    assert "Turn it on in GNOME's Extensions app" in result.message


def test_install_and_remove_from_the_command_line(desktop_env: dict[str, str]) -> None:
    def cli(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "timelygator", "desktop-integration", *args],
            env={**desktop_env, "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip()  # fmt: skip

    target = (
        Path(desktop_env["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID
    )
    assert cli("install-gnome", "--shell-version", "44") == (
        f"Installed the TimelyGator Shell extension in {target}. Log out and back in to start "
        "it (GNOME on Wayland starts new extensions at login)."
    )
    assert "imports.gi" in _text(target / "extension.js")  # the GNOME 40-44 copy
    assert cli("remove-gnome") == (
        f"Removed the TimelyGator Shell extension from {target}; it stops at the next login."
    )
