"""Which browser origins may call the local API (CORS), without loading the API itself.

Browsers send ``Origin`` with every request of an extension or web page; the API answers
only the origins listed here, plus every Firefox extension and the server's own origin.
"""

from __future__ import annotations

import re

from timelygator.core.errors import ValidationError

# The aw-watcher-web extension (Chrome Web Store id).
AW_WATCHER_WEB_CHROME = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
# TimelyGator's own extension: the id Chrome derives from the public key in its manifest
# (resources/browser-extension/manifest.json "key"), the same for every unpacked copy.
TIMELYGATOR_EXTENSION_ID = "gobaepbbphnelfgaimblemhkmgnhimam"
TIMELYGATOR_EXTENSION_CHROME = f"chrome-extension://{TIMELYGATOR_EXTENSION_ID}"
_CHROME_ID = re.compile(r"[a-p]{32}")
_WEB_ORIGIN = re.compile(r"(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?")


def extension_origin(extension_id: str) -> str:
    """``chrome-extension://<id>`` for a Chrome extension id (32 letters a-p); else 400."""
    text = extension_id.strip().lower()
    if text.startswith("chrome-extension://"):
        text = text.removeprefix("chrome-extension://").rstrip("/")
    if not _CHROME_ID.fullmatch(text):
        raise ValidationError(
            f"{extension_id[:80]!r} is not a Chrome extension id (32 letters a-p, as "
            "chrome://extensions shows it)."
        )
    return f"chrome-extension://{text}"


def web_origin(origin: str) -> str:
    """A web origin (``http://localhost:5600``) as browsers send it in ``Origin``; else 400."""
    text = origin.strip().lower().rstrip("/")
    if not _WEB_ORIGIN.fullmatch(text):
        raise ValidationError(
            f"{origin[:80]!r} is not a web origin: give scheme, host and port, like "
            "http://localhost:5600."
        )
    return text
