"""A small Wayland client speaking the wire protocol over the compositor's socket.

The watchers need three things from a Wayland compositor: the registry (which protocols it
offers), the foreign-toplevel list (which window is active) and an idle notification. That
is a handful of messages, so this module speaks them directly instead of loading
libwayland-client through pywayland: no native library in the bundle, no generated binding
modules, and every wait has a deadline (``select`` on the socket), so a compositor that stops
answering can never hold up a watcher's stop. File descriptors are never exchanged (no
keyboard, no buffers), which keeps the protocol subset plain bytes.

Wire format (https://wayland.freedesktop.org/docs/html/ch04.html): each message is the
object id (u32), then ``size << 16 | opcode`` (u32), then the arguments, all in the host's
byte order and padded to 32 bits. Interfaces are declared here as the opcode-ordered list of
their requests and events with a signature per message; ``tests/watchers/test_wayland_wire.py``
checks these tables against the protocol XML files where the system has them.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Argument codes: i int, u uint, f fixed (24.8), s string, o object id, n new id,
# N new id of an interface named in the message (wl_registry.bind), a array.
# A leading "?" marks a nullable string/object (decoded as None/0).

_U32 = struct.Struct("=I")
_I32 = struct.Struct("=i")
_HEADER = struct.Struct("=II")
MAX_MESSAGE = 4096  # libwayland's limit for one message


class WaylandError(OSError):
    """The connection failed or the compositor reported a protocol error."""


@dataclass(frozen=True, slots=True)
class Interface:
    """A protocol interface: ``requests``/``events`` as (name, signature) in opcode order."""

    name: str
    requests: tuple[tuple[str, str], ...] = ()
    events: tuple[tuple[str, str], ...] = ()

    def request_opcode(self, name: str) -> tuple[int, str]:
        for opcode, (request, signature) in enumerate(self.requests):
            if request == name:
                return opcode, signature
        raise KeyError(f"{self.name} has no request {name!r}")


WL_DISPLAY = Interface(
    "wl_display",
    requests=(("sync", "n"), ("get_registry", "n")),
    events=(("error", "ous"), ("delete_id", "u")),
)
WL_REGISTRY = Interface(
    "wl_registry",
    requests=(("bind", "uN"),),
    events=(("global", "usu"), ("global_remove", "u")),
)
WL_CALLBACK = Interface("wl_callback", events=(("done", "u"),))
WL_SEAT = Interface(
    "wl_seat",
    requests=(("get_pointer", "n"), ("get_keyboard", "n"), ("get_touch", "n"), ("release", "")),
    events=(("capabilities", "u"), ("name", "s")),
)

#: handler(event_name, args) for one object's events.
EventHandler = Callable[[str, tuple[Any, ...]], None]


def _pad(length: int) -> int:
    return (length + 3) & ~3


def encode_args(signature: str, args: tuple[Any, ...]) -> bytes:
    """The wire bytes of ``args`` for a message ``signature`` (without the header)."""
    out = bytearray()
    codes = signature.replace("?", "")
    if len(codes) != len(args):
        raise TypeError(f"signature {signature!r} takes {len(codes)} arguments, not {len(args)}")
    for code, value in zip(codes, args, strict=True):
        if code == "i":
            out += _I32.pack(int(value))
        elif code in "uon":
            out += _U32.pack(int(value or 0))
        elif code == "f":
            out += _I32.pack(round(float(value) * 256))
        elif code == "s":
            out += _encode_string(value)
        elif code == "a":
            data = bytes(value)
            out += _U32.pack(len(data)) + data + b"\0" * (_pad(len(data)) - len(data))
        elif code == "N":
            interface, version, new_id = value
            out += _encode_string(interface) + _U32.pack(version) + _U32.pack(new_id)
        else:
            raise ValueError(f"unsupported argument type {code!r}")
    return bytes(out)


def _encode_string(value: str | None) -> bytes:
    if value is None:
        return _U32.pack(0)
    data = value.encode("utf-8") + b"\0"
    return _U32.pack(len(data)) + data + b"\0" * (_pad(len(data)) - len(data))


def decode_args(signature: str, payload: bytes) -> tuple[Any, ...]:
    """The arguments of a message body (raises ValueError when it is malformed)."""
    args: list[Any] = []
    pos = 0
    for code in signature.replace("?", ""):
        if code == "N":
            raise ValueError("events never carry untyped new ids")
        if pos + 4 > len(payload):
            raise ValueError("message shorter than its signature")
        word = payload[pos : pos + 4]
        pos += 4
        if code == "i":
            args.append(_I32.unpack(word)[0])
        elif code in "uon":
            args.append(_U32.unpack(word)[0])
        elif code == "f":
            args.append(_I32.unpack(word)[0] / 256.0)
        elif code in "sa":
            length = _U32.unpack(word)[0]
            end = pos + length
            if end > len(payload):
                raise ValueError("string or array runs past the message")
            data = payload[pos:end]
            pos += _pad(length)
            if code == "a":
                args.append(bytes(data))
            elif length == 0:
                args.append(None)
            else:
                args.append(data[:-1].decode("utf-8", errors="replace"))
        else:
            raise ValueError(f"unsupported argument type {code!r}")
    return tuple(args)


def socket_path(environ: Mapping[str, str]) -> str:
    """Where the compositor listens: ``WAYLAND_DISPLAY``, relative to ``XDG_RUNTIME_DIR``."""
    display = environ.get("WAYLAND_DISPLAY") or "wayland-0"
    if os.path.isabs(display):
        return display
    runtime = environ.get("XDG_RUNTIME_DIR")
    if not runtime:
        raise WaylandError("XDG_RUNTIME_DIR is not set, so the Wayland socket cannot be found")
    return os.path.join(runtime, display)


@dataclass(slots=True)
class _Object:
    interface: Interface
    handler: EventHandler | None


class WaylandConnection:
    """One client connection: objects, requests, and event dispatch with deadlines.

    Not thread-safe: one thread uses a connection at a time (the probes hold a lock).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._objects: dict[int, _Object] = {1: _Object(WL_DISPLAY, self._display_event)}
        self._next_id = 2
        self._closed = False
        #: Registry globals seen so far: name -> (interface, version).
        self.globals: dict[int, tuple[str, int]] = {}
        self._registry: int | None = None

    @classmethod
    def connect(
        cls, environ: Mapping[str, str] | None = None, timeout_s: float = 1.0
    ) -> WaylandConnection:
        """Connect to the compositor of ``environ`` (``os.environ`` by default)."""
        path = socket_path(os.environ if environ is None else environ)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(timeout_s)
        try:
            sock.connect(path)
        except OSError as exc:
            sock.close()
            raise WaylandError(
                f"cannot connect to the Wayland compositor at {path} ({exc})"
            ) from exc
        return cls(sock)

    # -- objects and requests --------------------------------------------------------------
    def new_id(self, interface: Interface, handler: EventHandler | None = None) -> int:
        """Allocate a client-side object id for a request's new_id argument."""
        obj_id = self._next_id
        self._next_id += 1
        self._objects[obj_id] = _Object(interface, handler)
        return obj_id

    def adopt(self, obj_id: int, interface: Interface, handler: EventHandler | None) -> None:
        """Register an object the compositor created (an event's new_id argument)."""
        self._objects[obj_id] = _Object(interface, handler)

    def forget(self, obj_id: int) -> None:
        self._objects.pop(obj_id, None)

    def request(self, obj_id: int, name: str, *args: Any) -> None:
        """Send request ``name`` on object ``obj_id``."""
        obj = self._objects.get(obj_id)
        if obj is None:
            raise WaylandError(f"object {obj_id} does not exist")
        opcode, signature = obj.interface.request_opcode(name)
        body = encode_args(signature, args)
        size = _HEADER.size + len(body)
        if size > MAX_MESSAGE:
            raise ValueError("Wayland message too long")
        try:
            self._sock.sendall(_HEADER.pack(obj_id, size << 16 | opcode) + body)
        except OSError as exc:
            raise WaylandError(f"the Wayland connection failed ({exc})") from exc

    # -- registry --------------------------------------------------------------------------
    def load_globals(self, timeout_s: float = 1.0) -> dict[int, tuple[str, int]]:
        """Ask for the registry and wait until every current global was announced."""
        if self._registry is None:
            self._registry = self.new_id(WL_REGISTRY, self._registry_event)
            self.request(1, "get_registry", self._registry)
        self.roundtrip(timeout_s)
        return self.globals

    def find_global(self, interface: str) -> tuple[int, int] | None:
        """(name, version) of the first global of ``interface``, or None."""
        for name, (iface, version) in sorted(self.globals.items()):
            if iface == interface:
                return name, version
        return None

    def bind(
        self, name: int, interface: Interface, version: int, handler: EventHandler | None = None
    ) -> int:
        if self._registry is None:
            raise WaylandError("load_globals() first")
        obj_id = self.new_id(interface, handler)
        self.request(self._registry, "bind", name, (interface.name, version, obj_id))
        return obj_id

    def _registry_event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "global":
            self.globals[args[0]] = (str(args[1]), int(args[2]))
        elif event == "global_remove":
            self.globals.pop(args[0], None)

    # -- events ------------------------------------------------------------------------------
    def roundtrip(self, timeout_s: float = 1.0) -> None:
        """Wait until the compositor processed every request sent so far."""
        done: list[bool] = []
        callback = self.new_id(WL_CALLBACK, lambda _e, _a: done.append(True))
        self.request(1, "sync", callback)
        deadline = time.monotonic() + timeout_s
        while not done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaylandError(f"the Wayland compositor did not answer within {timeout_s:g} s")
            self.dispatch(remaining)
        self.forget(callback)

    def dispatch(self, timeout_s: float = 0.0) -> int:
        """Read what has arrived (waiting up to ``timeout_s`` for something) and handle it.

        Returns how many events were handled.
        """
        if self._closed:
            raise WaylandError("the Wayland connection is closed")
        handled = self._dispatch_buffered()
        if handled:
            timeout_s = 0.0
        while True:
            readable, _, _ = select.select([self._sock], [], [], max(0.0, timeout_s))
            if not readable:
                return handled
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                return handled
            except OSError as exc:
                raise WaylandError(f"the Wayland connection failed ({exc})") from exc
            if not data:
                raise WaylandError("the Wayland compositor closed the connection")
            self._buffer += data
            handled += self._dispatch_buffered()
            timeout_s = 0.0  # then drain without waiting

    def _dispatch_buffered(self) -> int:
        handled = 0
        while len(self._buffer) >= _HEADER.size:
            obj_id, word = _HEADER.unpack_from(self._buffer)
            size, opcode = word >> 16, word & 0xFFFF
            if size < _HEADER.size:
                raise WaylandError("malformed Wayland message")
            if len(self._buffer) < size:
                break
            payload = bytes(self._buffer[_HEADER.size : size])
            del self._buffer[:size]
            obj = self._objects.get(obj_id)
            if obj is None or opcode >= len(obj.interface.events):
                continue  # an object we already let go of (or a newer event): skip it
            name, signature = obj.interface.events[opcode]
            try:
                args = decode_args(signature, payload)
            except ValueError as exc:
                raise WaylandError(f"malformed {obj.interface.name}.{name} event ({exc})") from None
            if obj.handler is not None:
                obj.handler(name, args)
            handled += 1
        return handled

    def _display_event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "error":
            obj = self._objects.get(args[0])
            where = f"{obj.interface.name}#{args[0]}" if obj else f"object {args[0]}"
            raise WaylandError(f"Wayland protocol error on {where}: {args[2]} (code {args[1]})")
        if event == "delete_id":
            self.forget(args[0])

    # -- lifetime ------------------------------------------------------------------------------
    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.close()
