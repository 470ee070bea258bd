"""An API token where ActivityWatch's own tools look for a local server's key.

ActivityWatch is rolling out API keys: aw-server-rust reads ``[auth] api_key`` from its
``config.toml``, and aw-client releases after 0.5.15 load that key by themselves when they
talk to a server on this computer (host 127.0.0.1, localhost or ::1). aw-client looks in the
``aw-server-rust`` folder of ActivityWatch's config folder (``platformdirs``'
``user_config_dir("activitywatch")``, or ``activitywatch-<profile>`` under ``AW_PROFILE``),
reads ``config.toml`` (port 5600 unless the file says ``port = ...``) and
``config-testing.toml`` (5666), and sends the ``api_key`` of the file whose port matches as
``Authorization: Bearer``. Writing a TimelyGator token there lets unmodified watchers use
TimelyGator with a token instead of compatibility mode.

The file may belong to a real aw-server-rust installation: it is only replaced with the
user's explicit yes (the old one is kept beside it); a file TimelyGator wrote before is
replaced freely. It holds a secret, so it is written readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy import Connection
from timelygator.core import tokens
from timelygator.core.errors import ConflictError, ValidationError

TESTING_PORT = 5666
TOKEN_NAME = "ActivityWatch tools"  # noqa: S105 - a name, not a secret
MARKER = "# Written by TimelyGator"


def config_dir() -> Path:
    """ActivityWatch's ``aw-server-rust`` config folder, as aw-client finds it."""
    profile = os.environ.get("AW_PROFILE", "")
    app = f"activitywatch-{profile}" if profile else "activitywatch"
    return Path(platformdirs.user_config_dir(app)) / "aw-server-rust"


def config_file(port: int) -> Path:
    """The file aw-client reads for a local server on ``port``."""
    name = "config-testing.toml" if port == TESTING_PORT else "config.toml"
    return config_dir() / name


def written_by_us(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().startswith(MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def check_target(port: int, overwrite: bool) -> Path:
    """The file to write for ``port``; ConflictError when it is ActivityWatch's own and the
    user has not said yes."""
    if not 0 < port < 65536:
        raise ValidationError(f"Port {port} is not a TCP port (1-65535).")
    path = config_file(port)
    if path.exists() and not overwrite and not written_by_us(path):
        raise ConflictError(
            f"{path} exists and was not written by TimelyGator: it is probably the "
            "configuration of an ActivityWatch server (aw-server-rust) on this computer. "
            "Nothing was changed. To replace it anyway (a copy is kept beside it), run again "
            "with --yes, or answer yes in Settings > Local API."
        )
    return path


def _content(secret: str, port: int) -> str:
    return (
        f"{MARKER} ('timelygator token create --for-activitywatch'): the API key that\n"
        f"# ActivityWatch's aw-client sends to the local server on port {port}, which is\n"
        "# TimelyGator. Revoke it with 'timelygator token revoke'.\n"
        f"port = {port}\n"
        "\n"
        "[auth]\n"
        f'api_key = "{secret}"\n'
    )


def write_key(path: Path, secret: str, port: int) -> Path | None:
    """Write ``secret`` for ``port`` into ``path`` (owner-only); returns where a replaced
    file that was not TimelyGator's was kept, if any."""
    if any(c in secret for c in '"\\\n'):
        raise ValidationError("This token cannot be written into a TOML string.")
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = None
    if path.exists() and not written_by_us(path):
        kept = path.with_name(f"{path.name}.before-timelygator-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(path, kept)
    # mkstemp creates the file readable and writable by its owner only.
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".timelygator-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(_content(secret, port))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kept


@dataclass(frozen=True, slots=True)
class ActivityWatchKey:
    path: Path
    port: int
    token: tokens.TokenInfo
    kept: Path | None
    replaced: int  # older TimelyGator tokens for ActivityWatch tools, now revoked

    def describe(self) -> str:
        lines = [
            f"Wrote a new API token (id {self.token.id}, write scope) to {self.path}.",
            f"ActivityWatch watchers using aw-client (releases after 0.5.15) on this computer "
            f"now send it to TimelyGator on port {self.port}: restart them.",
        ]
        if self.replaced:
            lines.append("The previous token for ActivityWatch tools was revoked.")
        if self.kept is not None:
            lines.append(f"The file that was there is kept as {self.kept}.")
        lines.append(
            "Older aw-client versions cannot send a token: for them turn on compatibility "
            "mode ('timelygator serve --compat' or Settings > Local API)."
        )
        return "\n".join(lines)


def create_key(
    conn: Connection, user_id: int, port: int, now_us: int, *, overwrite: bool = False
) -> ActivityWatchKey:
    """In one transaction: a write token for ActivityWatch tools (older ones revoked) written
    where aw-client looks for the key of a local server on ``port``.

    The file is checked before the token exists and written before the transaction commits,
    so a refused or failed write leaves no token behind (the caller's rollback).
    """
    path = check_target(port, overwrite)
    old = [t for t in tokens.list_tokens(conn, user_id) if t.name == TOKEN_NAME and not t.revoked]
    for info in old:
        tokens.revoke_token(conn, info.id, user_id)
    new = tokens.insert_token(conn, user_id, "write", TOKEN_NAME, now_us)
    kept = write_key(path, new.secret, port)
    return ActivityWatchKey(path, port, new.info, kept, len(old))
