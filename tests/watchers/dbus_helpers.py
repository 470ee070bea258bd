"""A private session bus, and fake desktop services that run the real extension and script.

- :func:`private_bus`: a ``dbus-daemon --session`` of the test's own (its address only).
- :class:`FakeGnomeShell`: owns ``org.gnome.Shell`` and ``org.gnome.Mutter.IdleMonitor``;
  method calls on the object the TimelyGator Shell extension exports are answered by the
  extension's own ``extension.js`` running under node (``js/gnome_shell_harness.mjs``),
  with the D-Bus signature taken from the interface XML in that file.
- :class:`FakeKWin`: owns ``org.kde.KWin`` (``/Scripting``) and ``org.freedesktop.ScreenSaver``;
  ``loadScript`` + ``run`` start the real KWin script under node (``js/kwin_harness.cjs``),
  and every ``callDBus`` of the script is sent on the bus as KWin sends it (strings as
  ``s``, numbers as ``d``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, HeaderFields, Message
from timelygator.watchers.dbus_session import UNKNOWN_METHOD, UNKNOWN_OBJECT, DBusError, SessionBus

JS = Path(__file__).resolve().parent / "js"
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
GNOME_EXTENSIONS = {
    "modern": RESOURCES / "gnome-shell-extension" / "timelygator@timelygator.io",
    "legacy": RESOURCES / "gnome-shell-extension-legacy" / "timelygator@timelygator.io",
}
KWIN_SCRIPT = RESOURCES / "kwin" / "timelygator-active-window.js"


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian: {package})")
    return path


@contextlib.contextmanager
def private_bus(tmp: Path) -> Iterator[str]:
    """A session bus of this test's own; yields its address."""
    need("dbus-daemon", "dbus-daemon")
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address",
         f"--address=unix:path={tmp / 'bus'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        if not address:
            raise RuntimeError(
                f"dbus-daemon did not start: {proc.stderr.read() if proc.stderr else ''}"
            )
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


def bus_env(address: str, **extra: str) -> dict[str, str]:
    """An environment that reaches only the private bus (no Wayland, no X11)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("SWAYSOCK", None)
    return {**env, "DBUS_SESSION_BUS_ADDRESS": address, **extra}


class Service:
    """Owns bus names and answers method calls on a thread until closed."""

    def __init__(self, address: str, names: tuple[str, ...]) -> None:
        self.bus = SessionBus.connect({"DBUS_SESSION_BUS_ADDRESS": address}, timeout_s=2.0)
        for name in names:
            assert self.bus.request_name(name), name
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                self.bus.serve(self.handle, timeout_s=0.05)

    def handle(self, message: Message) -> tuple[str, tuple[Any, ...]]:
        raise DBusError(UNKNOWN_METHOD, "nothing here")

    def send(
        self, address: DBusAddress, method: str, signature: str, body: tuple[Any, ...]
    ) -> None:
        with self._lock:
            self.bus.send_call(address, method, signature, body)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.bus.close()


def _where(message: Message) -> tuple[str, str, str]:
    fields = message.header.fields
    return (
        str(fields.get(HeaderFields.path, "")),
        str(fields.get(HeaderFields.interface, "")),
        str(fields.get(HeaderFields.member, "")),
    )


class NodeProcess:
    """A node harness: commands in, JSON lines out (``on_line`` gets unsolicited ones)."""

    def __init__(self, args: list[str], on_line: Callable[[dict[str, Any]], bool] | None = None):
        node = need("node", "nodejs")
        self.proc = subprocess.Popen(
            [node, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._on_line = on_line
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            item = json.loads(line)
            if self._on_line is not None and self._on_line(item):
                continue
            self._replies.put(item)

    def next_reply(self, timeout_s: float = 20) -> dict[str, Any]:
        try:
            return self._replies.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError("the node harness did not answer") from None

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
            return self.next_reply()

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(10)


def out_signature(interface_xml: str, method: str) -> str:
    root = ET.fromstring(interface_xml)
    for node in root.iter("method"):
        if node.get("name") == method:
            return "".join(
                a.get("type", "") for a in node.findall("arg") if a.get("direction") == "out"
            )
    raise KeyError(method)


class FakeGnomeShell(Service):
    """GNOME Shell with the TimelyGator extension's real code answering (see module doc)."""

    def __init__(self, address: str, variant: str = "modern", extension: bool = True) -> None:
        self.idle_ms = 0
        self.extension: NodeProcess | None = None
        self.path = self.xml = self.interface = ""
        if extension:
            self.extension = NodeProcess(
                [str(JS / "gnome_shell_harness.mjs"), variant, str(GNOME_EXTENSIONS[variant])]
            )
            ready = self.extension.next_reply()
            self.path, self.xml = ready["path"], ready["xml"]
            self.interface = str(ET.fromstring(self.xml).find("interface").get("name"))  # type: ignore[union-attr]
        super().__init__(address, ("org.gnome.Shell", "org.gnome.Mutter.IdleMonitor"))

    def handle(self, message: Message) -> tuple[str, tuple[Any, ...]]:
        path, interface, member = _where(message)
        if (path, interface, member) == (
            "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor", "GetIdletime"
        ):  # fmt: skip
            return "t", (self.idle_ms,)
        if self.extension is None or path != self.path or interface != self.interface:
            raise DBusError(
                UNKNOWN_METHOD, f"No such interface {interface!r} on object at path {path}"
            )
        reply = self.extension.ask({"call": member})
        if "error" in reply:
            raise DBusError(UNKNOWN_METHOD, reply["error"])
        signature = out_signature(self.xml, member)
        result = reply["result"]
        return signature, tuple(result) if len(signature) > 1 else (result,)

    def focus(self, window: dict[str, Any] | None) -> None:
        assert self.extension is not None
        self.extension.ask({"focus": window})

    def command(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.extension is not None
        return self.extension.ask(command)

    def close(self) -> None:
        super().close()
        if self.extension is not None:
            self.extension.close()


class FakeKWin(Service):
    """KWin's scripting interface running the real script (see module doc).

    ``flavor`` ``plasma6`` exports loaded scripts at ``/Scripting/Script<id>``, ``plasma5`` at
    ``/<id>`` (where Plasma 5 put them).
    """

    SCRIPT_ID = 7

    def __init__(self, address: str, flavor: str, initial: dict[str, Any] | None) -> None:
        self.flavor = flavor
        self.initial = initial
        self.loaded: dict[str, str] = {}
        self.unloaded: list[str] = []
        self.script: NodeProcess | None = None
        self.idle_ms = 0
        super().__init__(address, ("org.kde.KWin", "org.freedesktop.ScreenSaver"))

    def handle(self, message: Message) -> tuple[str, tuple[Any, ...]]:
        path, interface, member = _where(message)
        body = message.body
        if path == "/ScreenSaver" and member == "GetSessionIdleTime":
            return "u", (self.idle_ms,)
        if (path, interface) == ("/Scripting", "org.kde.kwin.Scripting"):
            if member == "loadScript":
                self.loaded[str(body[1])] = str(body[0])
                return "i", (self.SCRIPT_ID,)
            if member == "unloadScript":
                self.unloaded.append(str(body[0]))
                was_loaded = self.loaded.pop(str(body[0]), None) is not None
                if self.script is not None:
                    self.script.close()
                    self.script = None
                return "b", (was_loaded,)
            if member == "isScriptLoaded":
                return "b", (str(body[0]) in self.loaded,)
        script_path = (
            f"/Scripting/Script{self.SCRIPT_ID}"
            if self.flavor == "plasma6"
            else f"/{self.SCRIPT_ID}"
        )
        if (path, interface, member) == (script_path, "org.kde.kwin.Script", "run"):
            (file,) = self.loaded.values()
            self.script = NodeProcess(
                [str(JS / "kwin_harness.cjs"), file, self.flavor, json.dumps(self.initial)],
                on_line=self._relay,
            )
            return "", ()
        raise DBusError(UNKNOWN_OBJECT, f"No such object path '{path}'")

    def _relay(self, item: dict[str, Any]) -> bool:
        if "callDBus" not in item:
            return False
        service, path, interface, method, *args = item["callDBus"]
        codes = {str: "s", float: "d", int: "d", bool: "b"}
        signature = "".join(codes[type(a)] for a in args)
        self.send(DBusAddress(path, service, interface), method, signature, tuple(args))
        return True

    def restart(self) -> None:
        """KWin restarted: every loaded script is gone."""
        with self._lock:
            self.loaded.clear()
            if self.script is not None:
                self.script.close()
                self.script = None

    def activate(self, window: dict[str, Any] | None) -> None:
        assert self.script is not None
        self.script.ask({"activate": window})

    def caption(self, caption: str) -> None:
        assert self.script is not None
        self.script.ask({"caption": caption})

    def close(self) -> None:
        super().close()
        if self.script is not None:
            self.script.close()
