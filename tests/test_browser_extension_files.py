"""The browser extension's files: its fixed id, and what each manifest entry points at."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from timelygator.core.cors import TIMELYGATOR_EXTENSION_ID

EXTENSION = Path(__file__).resolve().parents[1] / "resources" / "browser-extension"


def chrome_id(public_key_b64: str) -> str:
    """Chrome's extension id: the first 128 bits of the key's SHA-256 as letters a-p."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def test_the_manifest_key_gives_the_id_the_server_allows() -> None:
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    assert chrome_id(manifest["key"]) == TIMELYGATOR_EXTENSION_ID


def test_every_file_the_manifest_and_pages_name_exists() -> None:
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    named = [
        manifest["background"]["service_worker"],
        *manifest["background"]["scripts"],
        manifest["options_ui"]["page"],
        manifest["action"]["default_popup"],
    ]
    for page in ("options.html", "popup.html"):
        text = (EXTENSION / page).read_text(encoding="utf-8")
        named += [part.split('"')[0] for part in text.split('<script src="')[1:]]
    assert "common.js" in named
    for name in named:
        assert (EXTENSION / name).is_file(), name
    assert 'importScripts("common.js")' in (EXTENSION / "background.js").read_text(encoding="utf-8")
