"""How a current aw-client finds the API key of a local server (written from reading
aw-client's ``load_local_server_api_key``: https://github.com/ActivityWatch/aw-client,
aw_client/config.py, after 0.5.15), so tests read our file back as it would."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# (file name, the port assumed when the file names none)
CANDIDATES = (("config.toml", 5600), ("config-testing.toml", 5666))


def local_server_api_key(host: str, port: int) -> str | None:
    """The ``[auth] api_key`` aw-client would send to ``host:port``, or None."""
    if host not in LOCAL_HOSTS:
        return None
    profile = os.environ.get("AW_PROFILE", "")
    app = f"activitywatch-{profile}" if profile else "activitywatch"
    folder = Path(platformdirs.user_config_dir(app)) / "aw-server-rust"
    for name, default_port in CANDIDATES:
        path = folder / name
        if not path.is_file():
            continue
        config = tomllib.loads(path.read_text(encoding="utf-8"))
        if int(str(config.get("port", default_port))) != port:
            continue
        key = config.get("auth", {}).get("api_key")
        if key:
            return str(key)
    return None
