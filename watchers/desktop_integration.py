"""Installing the TimelyGator GNOME Shell extension for this user, with the user's consent.

The extension (``resources/gnome-shell-extension*``) is copied to
``~/.local/share/gnome-shell/extensions/timelygator@timelygator.io`` and added to GNOME's
enabled extensions. GNOME Shell on Wayland loads new extensions at login, so it starts after
the user logs out and back in. A package may instead install it system-wide under
``/usr/share/gnome-shell/extensions``; both places count as installed.

Called from Settings → Watchers and ``timelygator desktop-integration`` (never by a watcher).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from timelygator.core.resources import resource_path
from timelygator.watchers.session import Desktop, SessionKind, detect_session

GNOME_EXTENSION_UUID = "timelygator@timelygator.io"
#: GNOME Shell 45 changed extensions to ES modules; older shells need the legacy copy.
FIRST_ESM_SHELL = 45
INSTALL_HINT = (
    "install it in Settings → Watchers (or run 'timelygator desktop-integration "
    "install-gnome'), then log out and back in"
)
TOOL_TIMEOUT_S = 10.0


def _data_home(env: Mapping[str, str]) -> Path:
    data = env.get("XDG_DATA_HOME")
    if data:
        return Path(data)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def user_extension_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return _data_home(env) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID


def installed_gnome_extension(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the extension is installed (the user's copy first), or None."""
    env = os.environ if environ is None else environ
    dirs = [user_extension_dir(env)]
    system = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    dirs += [
        Path(d) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID
        for d in system.split(":")
        if d
    ]
    for path in dirs:
        if (path / "metadata.json").is_file():
            return path
    return None


def gnome_extension_missing_reason(environ: Mapping[str, str] | None = None) -> str:
    """The status text when GNOME Shell runs but the extension does not answer."""
    if installed_gnome_extension(environ) is None:
        return (
            f"unsupported: GNOME on Wayland needs the TimelyGator Shell extension: {INSTALL_HINT}"
        )
    enabled = gnome_extension_enabled(environ)
    if enabled is False:
        return (
            "unsupported: the TimelyGator Shell extension is installed but turned off: turn it "
            "on in GNOME's Extensions app (or run 'gnome-extensions enable "
            f"{GNOME_EXTENSION_UUID}')"
        )
    return (
        "unsupported: the TimelyGator Shell extension is installed but not running yet: log "
        "out and back in (GNOME on Wayland starts new extensions at login)"
    )


def extension_source(shell_major: int | None) -> Path:
    """The bundled extension folder for a GNOME Shell major version (None: the newest)."""
    legacy = shell_major is not None and shell_major < FIRST_ESM_SHELL
    folder = "gnome-shell-extension-legacy" if legacy else "gnome-shell-extension"
    path = resource_path(folder, GNOME_EXTENSION_UUID)
    if path is None:
        raise FileNotFoundError(
            f"The GNOME Shell extension ({folder}) is missing from this installation."
        )
    return path


def gnome_shell_major(environ: Mapping[str, str] | None = None) -> int | None:
    """GNOME Shell's major version from ``gnome-shell --version``, or None when unknown."""
    try:
        out = subprocess.run(
            ["gnome-shell", "--version"],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
            env=dict(os.environ if environ is None else environ),
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for word in out.split():
        head = word.split(".")[0]
        if head.isdigit():
            return int(head)
    return None


def _gsettings(env: Mapping[str, str], *args: str) -> str | None:
    if shutil.which("gsettings", path=env.get("PATH")) is None:
        return None
    try:
        result = subprocess.run(
            ["gsettings", *args],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
            env=dict(env),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _string_list(text: str | None) -> list[str] | None:
    """A GVariant string list as gsettings prints it (``@as []`` or ``['a', 'b']``)."""
    if text is None:
        return None
    text = text.removeprefix("@as").strip()
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def gnome_extension_enabled(environ: Mapping[str, str] | None = None) -> bool | None:
    """Whether GNOME's settings list the extension as enabled (None: cannot tell)."""
    env = os.environ if environ is None else environ
    enabled = _string_list(_gsettings(env, "get", "org.gnome.shell", "enabled-extensions"))
    if enabled is None:
        return None
    return GNOME_EXTENSION_UUID in enabled


@dataclass(frozen=True, slots=True)
class InstallResult:
    path: Path
    enabled: bool
    message: str


def _enable(env: Mapping[str, str]) -> bool:
    enabled = _string_list(_gsettings(env, "get", "org.gnome.shell", "enabled-extensions"))
    if enabled is None:
        return False
    if GNOME_EXTENSION_UUID not in enabled:
        enabled.append(GNOME_EXTENSION_UUID)
        if _gsettings(env, "set", "org.gnome.shell", "enabled-extensions", repr(enabled)) is None:
            return False
    disabled = _string_list(_gsettings(env, "get", "org.gnome.shell", "disabled-extensions"))
    if disabled and GNOME_EXTENSION_UUID in disabled:
        disabled.remove(GNOME_EXTENSION_UUID)
        _gsettings(env, "set", "org.gnome.shell", "disabled-extensions", repr(disabled))
    return True


def install_gnome_extension(
    environ: Mapping[str, str] | None = None, shell_major: int | None = None
) -> InstallResult:
    """Copy the extension for this user and turn it on; replaces an older copy in place."""
    env = os.environ if environ is None else environ
    if shell_major is None:
        shell_major = gnome_shell_major(env)
    source = extension_source(shell_major)
    target = user_extension_dir(env)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".timelygator-", dir=target.parent))
    try:
        for item in source.iterdir():
            if item.is_file():
                shutil.copyfile(item, staging / item.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    enabled = _enable(env)
    user_off = _gsettings(env, "get", "org.gnome.shell", "disable-user-extensions") == "true"
    steps = ["Log out and back in to start it (GNOME on Wayland starts new extensions at login)."]
    if not enabled:
        steps.insert(
            0,
            "Turn it on in GNOME's Extensions app "
            f"(or 'gnome-extensions enable {GNOME_EXTENSION_UUID}').",
        )
    if user_off:
        steps.insert(
            0, "Extensions are switched off in GNOME: switch them on in the Extensions app."
        )
    return InstallResult(
        target,
        enabled,
        f"Installed the TimelyGator Shell extension in {target}. " + " ".join(steps),
    )


def remove_gnome_extension(environ: Mapping[str, str] | None = None) -> str:
    """Turn the extension off and delete the user's copy."""
    env = os.environ if environ is None else environ
    enabled = _string_list(_gsettings(env, "get", "org.gnome.shell", "enabled-extensions"))
    if enabled and GNOME_EXTENSION_UUID in enabled:
        enabled.remove(GNOME_EXTENSION_UUID)
        _gsettings(env, "set", "org.gnome.shell", "enabled-extensions", repr(enabled))
    target = user_extension_dir(env)
    if not target.exists():
        return f"The TimelyGator Shell extension is not installed in {target}."
    shutil.rmtree(target)
    return f"Removed the TimelyGator Shell extension from {target}; it stops at the next login."


def gnome_extension_status(environ: Mapping[str, str] | None = None) -> str:
    """One line: where the extension is installed and whether GNOME lists it as enabled."""
    path = installed_gnome_extension(environ)
    if path is None:
        return "GNOME Shell extension: not installed"
    enabled = gnome_extension_enabled(environ)
    state = {True: "enabled", False: "turned off", None: "enabled or not: gsettings is missing"}
    return f"GNOME Shell extension: installed in {path} ({state[enabled]})"


def is_gnome_wayland(environ: Mapping[str, str] | None = None) -> bool:
    """GNOME on Wayland: where the window watcher needs the extension."""
    session = detect_session(environ)
    return session.kind is SessionKind.WAYLAND and session.desktop is Desktop.GNOME
