"""The focused window from sway's IPC (i3's protocol), for sway without the toplevel protocol.

Speaks the IPC directly (``"i3-ipc"``, length, type, JSON: https://man.archlinux.org/man/sway-ipc.7)
rather than through ``i3ipc``: one request type is all that is needed, and the socket gets a
timeout on every read, which i3ipc's connection does not offer.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from timelygator.watchers.probes import UNKNOWN, ProbeUnsupported, WindowInfo
from timelygator.watchers.window_probe import title_looks_private

MAGIC = b"i3-ipc"
_HEADER = struct.Struct("=6sII")
GET_TREE = 4
TIMEOUT_S = 1.0


class SwayIpcWindowProbe:
    """Asks sway for its layout tree each poll and returns the focused view."""

    backend = "sway IPC"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            tree = self._tree()
        node = focused_view(tree)
        if node is None:
            return None
        props = node.get("window_properties") or {}
        app = node.get("app_id") or props.get("class") or props.get("instance") or UNKNOWN
        title = node.get("name") or props.get("title") or UNKNOWN
        pid = node.get("pid")
        return WindowInfo(
            app=str(app),
            title=str(title),
            pid=int(pid) if isinstance(pid, int) and pid > 0 else None,
            is_private=title_looks_private(str(title)),
        )

    def _tree(self) -> dict[str, Any]:
        if self._sock is None:
            self._sock = self._connect()
        try:
            return _request(self._sock, GET_TREE)
        except OSError:
            self._close()
            raise

    def _connect(self) -> socket.socket:
        path = self._environ.get("SWAYSOCK") or ""
        if not path:
            raise ProbeUnsupported("unsupported: not a sway session (SWAYSOCK is not set)")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(TIMEOUT_S)
        try:
            sock.connect(path)
        except OSError as exc:
            sock.close()
            raise ProbeUnsupported(
                f"unsupported: cannot reach sway's IPC at {path} ({exc})"
            ) from None
        return sock

    def _close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = None

    def close(self) -> None:
        with self._lock:
            self._close()


def _request(sock: socket.socket, kind: int, payload: bytes = b"") -> dict[str, Any]:
    sock.sendall(_HEADER.pack(MAGIC, len(payload), kind) + payload)
    magic, length, _reply_kind = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if magic != MAGIC:
        raise ConnectionError("sway IPC: unexpected reply")
    reply = json.loads(_read_exactly(sock, length))
    if not isinstance(reply, dict):
        raise ConnectionError("sway IPC: unexpected reply")
    return reply


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("sway closed its IPC connection")
        chunks += chunk
    return bytes(chunks)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
        yield from _nodes(child)


def focused_view(tree: dict[str, Any]) -> dict[str, Any] | None:
    """The focused window in a sway tree (``None`` when an empty workspace has focus)."""
    for node in _nodes(tree):
        if node.get("focused") and node.get("type") in ("con", "floating_con"):
            if node.get("app_id") is not None or node.get("window_properties") is not None:
                return node
            return None
    return None
