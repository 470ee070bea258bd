"""A session-bus connection for the watchers, where every wait has a deadline.

Built on jeepney (pure Python; on Linux it already comes with ``keyring``'s SecretStorage).
jeepney's own blocking connection waits for the bus's ``Hello`` reply without a limit and
drops method calls that arrive while it waits for a reply, so this module keeps its own small
loop over jeepney's message parser: calls take a timeout, and incoming method calls (KWin
calling the watcher's service) are queued until :meth:`SessionBus.serve` handles them.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from itertools import count
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageFlag,
    MessageType,
    Parser,
    new_error,
    new_method_call,
    new_method_return,
)
from jeepney.bus import get_bus
from jeepney.io.blocking import prep_socket
from timelygator.watchers.probes import ProbeUnsupported

DEFAULT_TIMEOUT_S = 0.5
BUS = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")

UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
SERVICE_UNKNOWN = "org.freedesktop.DBus.Error.ServiceUnknown"
NAME_HAS_NO_OWNER = "org.freedesktop.DBus.Error.NameHasNoOwner"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface"
#: Errors meaning "nobody answers this here" (as opposed to a failure of someone who does).
NOT_THERE = frozenset(
    {UNKNOWN_METHOD, SERVICE_UNKNOWN, NAME_HAS_NO_OWNER, UNKNOWN_OBJECT, UNKNOWN_INTERFACE}
)

# RequestName flags and replies (D-Bus specification, "Message Bus Messages").
DO_NOT_QUEUE = 4
PRIMARY_OWNER = 1
ALREADY_OWNER = 4


class DBusError(Exception):
    """An error reply: ``name`` (e.g. ``org.freedesktop.DBus.Error.ServiceUnknown``) and text."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{text} ({name})" if text else name)
        self.name = name
        self.text = text


def session_bus_address(environ: Mapping[str, str]) -> str | None:
    """``DBUS_SESSION_BUS_ADDRESS``, or the usual ``$XDG_RUNTIME_DIR/bus`` when it exists."""
    address = environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    return None


#: handler(message) -> (signature, body) to return, or raises DBusError to answer an error.
CallHandler = Callable[[Message], tuple[str, tuple[Any, ...]]]


class SessionBus:
    """One connection to the session bus. Not thread-safe: callers hold their own lock."""

    def __init__(self, sock: socket.socket, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._sock = sock
        self.timeout_s = timeout_s
        self._parser = Parser()
        self._serials = count(1)
        self._calls: deque[Message] = deque(maxlen=1000)
        self._closed = False
        self.unique_name = str(self.call(BUS, "Hello")[0])

    @classmethod
    def connect(
        cls, environ: Mapping[str, str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> SessionBus:
        """Connect and say Hello; a missing bus is :class:`ProbeUnsupported`."""
        env = os.environ if environ is None else environ
        address = session_bus_address(env)
        if address is None:
            raise ProbeUnsupported(
                "unsupported: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
            )
        try:
            sock = prep_socket(get_bus(address), timeout=max(timeout_s, 1.0))
        except (OSError, RuntimeError, ValueError) as exc:
            raise ProbeUnsupported(
                f"unsupported: cannot connect to the session bus ({exc})"
            ) from None
        try:
            return cls(sock, timeout_s)
        except BaseException:
            sock.close()
            raise

    # -- calls -----------------------------------------------------------------------------
    def call(
        self,
        address: DBusAddress,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        timeout_s: float | None = None,
    ) -> tuple[Any, ...]:
        """Call ``method`` and return the reply's body; raises DBusError or TimeoutError."""
        serial = next(self._serials)
        self._send(new_method_call(address, method, signature, body), serial)
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            message = self._receive(deadline)
            if message.header.fields.get(HeaderFields.reply_serial) == serial:
                return _unwrap(message)
            self._keep(message)

    def request_name(self, name: str) -> bool:
        """Own ``name`` (no queueing); False when another connection owns it."""
        reply = self.call(BUS, "RequestName", "su", (name, DO_NOT_QUEUE))
        return int(reply[0]) in (PRIMARY_OWNER, ALREADY_OWNER)

    def release_name(self, name: str) -> None:
        with contextlib.suppress(DBusError, OSError):
            self.call(BUS, "ReleaseName", "s", (name,))

    def has_owner(self, name: str) -> bool:
        return bool(self.call(BUS, "NameHasOwner", "s", (name,))[0])

    def send_call(
        self,
        address: DBusAddress,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        *,
        reply_expected: bool = True,
    ) -> None:
        """Send a method call without waiting (as KWin's ``callDBus``); a reply is dropped."""
        message = new_method_call(address, method, signature, body)
        if not reply_expected:
            message.header.flags |= MessageFlag.no_reply_expected
        self._send(message, next(self._serials))

    # -- serving ---------------------------------------------------------------------------
    def serve(self, handler: CallHandler, timeout_s: float = 0.0) -> int:
        """Answer every method call that has arrived; returns how many.

        Waits up to ``timeout_s`` for a first one when none is queued (0: never waits).
        """
        if not self._calls and timeout_s > 0:
            deadline = time.monotonic() + timeout_s
            while not self._calls and self._wait_readable(max(0.0, deadline - time.monotonic())):
                self._recv()
                while (message := self._parser.get_next_message()) is not None:
                    self._keep(message)
        self._read_available()
        served = 0
        while self._calls:
            message = self._calls.popleft()
            try:
                signature, body = handler(message)
                reply = new_method_return(message, signature or None, body)
            except DBusError as exc:
                reply = new_error(message, exc.name, "s", (exc.text,))
            if not message.header.flags & MessageFlag.no_reply_expected:
                self._send(reply, next(self._serials))
            served += 1
        return served

    def _keep(self, message: Message) -> None:
        if message.header.message_type is MessageType.method_call:
            self._calls.append(message)

    # -- wire --------------------------------------------------------------------------------
    def _send(self, message: Message, serial: int) -> None:
        if self._closed:
            raise ConnectionError("the D-Bus connection is closed")
        self._sock.settimeout(self.timeout_s)
        self._sock.sendall(message.serialise(serial=serial))

    def _receive(self, deadline: float) -> Message:
        while True:
            message = self._parser.get_next_message()
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._wait_readable(remaining):
                raise TimeoutError("no D-Bus reply in time")
            self._recv()

    def _read_available(self) -> None:
        while self._wait_readable(0.0):
            self._recv()
        while (message := self._parser.get_next_message()) is not None:
            self._keep(message)

    def _wait_readable(self, timeout_s: float) -> bool:
        if self._closed:
            raise ConnectionError("the D-Bus connection is closed")
        readable, _, _ = select.select([self._sock], [], [], timeout_s)
        return bool(readable)

    def _recv(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionResetError("the session bus closed the connection")
        self._parser.add_data(data)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.close()


def _unwrap(message: Message) -> tuple[Any, ...]:
    if message.header.message_type is MessageType.error:
        name = str(message.header.fields.get(HeaderFields.error_name, "unknown error"))
        text = message.body[0] if message.body and isinstance(message.body[0], str) else ""
        raise DBusError(name, text)
    return tuple(message.body)
