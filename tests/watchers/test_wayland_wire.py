"""The Wayland wire client: its interface tables against the protocol XML, encoding, errors."""

from __future__ import annotations

import socket
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from timelygator.watchers.wayland_probes import INTERFACES
from timelygator.watchers.wayland_wire import (
    WL_CALLBACK,
    WL_DISPLAY,
    WL_REGISTRY,
    WL_SEAT,
    Interface,
    WaylandConnection,
    WaylandError,
    decode_args,
    encode_args,
)

# Where Debian puts the protocol files (libwayland-dev, wayland-protocols,
# plasma-wayland-protocols). wlr-protocols is not packaged in Debian 12: the wlr tables
# are checked against a real sway instead (test_wayland_sway.py).
CORE = "/usr/share/wayland/wayland.xml"
EXT_IDLE = "/usr/share/wayland-protocols/staging/ext-idle-notify/ext-idle-notify-v1.xml"
KDE_IDLE = "/usr/share/plasma-wayland-protocols/idle.xml"
PROTOCOL_FILES = {
    "wl_display": CORE,
    "wl_registry": CORE,
    "wl_callback": CORE,
    "wl_seat": CORE,
    "ext_idle_notifier_v1": EXT_IDLE,
    "ext_idle_notification_v1": EXT_IDLE,
    "org_kde_kwin_idle": KDE_IDLE,
    "org_kde_kwin_idle_timeout": KDE_IDLE,
}
CODES = {"int": "i", "uint": "u", "fixed": "f", "string": "s", "object": "o", "array": "a"}


def _signature(message: ET.Element) -> str:
    sig = ""
    for arg in message.findall("arg"):
        kind = arg.get("type", "")
        if kind == "new_id":
            sig += "n" if arg.get("interface") else "N"
            continue
        if kind == "fd":
            sig += "h"
            continue
        sig += ("?" if arg.get("allow-null") == "true" else "") + CODES[kind]
    return sig


def _from_xml(path: str, name: str) -> Interface:
    root = ET.parse(path).getroot()
    for iface in root.iter("interface"):
        if iface.get("name") == name:
            return Interface(
                name,
                tuple((r.get("name", ""), _signature(r)) for r in iface.findall("request")),
                tuple((e.get("name", ""), _signature(e)) for e in iface.findall("event")),
            )
    raise LookupError(name)


@pytest.mark.parametrize(
    "ours",
    [WL_DISPLAY, WL_REGISTRY, WL_CALLBACK, WL_SEAT, *INTERFACES],
    ids=lambda i: i.name,
)
def test_interface_tables_match_the_protocol_files(ours: Interface) -> None:
    path = PROTOCOL_FILES.get(ours.name)
    if path is None:
        pytest.skip(f"{ours.name}: no protocol file in Debian 12 (checked against sway instead)")
    if not Path(path).is_file():
        pytest.skip(f"{path} is missing (Debian: libwayland-dev, wayland-protocols, "
                    "plasma-wayland-protocols)")  # fmt: skip
    theirs = _from_xml(path, ours.name)
    # Newer protocol versions only append messages: ours must be the file's first ones.
    assert ours.requests == theirs.requests[: len(ours.requests)]
    assert ours.events == theirs.events[: len(ours.events)]


def test_arguments_round_trip_with_padding_and_nulls() -> None:
    signature = "iufs?sa"
    args = (-5, 7, -1.5, "é title", None, b"\x02\x00\x00\x00\x03\x00\x00\x00")
    wire = encode_args(signature, args)
    assert len(wire) % 4 == 0
    assert decode_args(signature, wire) == args
    # "é title" is 8 bytes + NUL: padded to 12 after its length word.
    assert wire[12:16] == struct.pack("=I", 9)


def test_untyped_new_id_spells_out_the_interface() -> None:
    wire = encode_args("uN", (3, ("wl_seat", 1, 7)))
    assert wire == struct.pack("=II", 3, 8) + b"wl_seat\0" + struct.pack("=II", 1, 7)


def test_truncated_messages_are_refused() -> None:
    with pytest.raises(ValueError, match="runs past"):
        decode_args("s", struct.pack("=I", 40) + b"abc\0")


def _event(obj: int, opcode: int, body: bytes) -> bytes:
    return struct.pack("=II", obj, (8 + len(body)) << 16 | opcode) + body


def test_registry_split_reads_protocol_errors_and_a_closed_socket() -> None:
    ours, theirs = socket.socketpair()
    conn = WaylandConnection(ours)
    try:
        # The answers to get_registry (object 2) and sync (callback 3), queued in advance.
        theirs.sendall(
            _event(2, 0, encode_args("usu", (1, "wl_seat", 7)))
            + _event(2, 0, encode_args("usu", (2, "org_kde_kwin_idle", 1)))
            + _event(3, 0, encode_args("u", (0,)))
        )
        assert conn.load_globals(0.5) == {1: ("wl_seat", 7), 2: ("org_kde_kwin_idle", 1)}
        assert conn.find_global("org_kde_kwin_idle") == (2, 1)
        # One message split over two reads is put together.
        removal = _event(2, 1, encode_args("u", (2,)))
        theirs.sendall(removal[:6])
        assert conn.dispatch(0.2) == 0
        theirs.sendall(removal[6:])
        assert conn.dispatch(0.5) == 1
        assert conn.find_global("org_kde_kwin_idle") is None
        theirs.sendall(_event(1, 0, encode_args("ous", (2, 1, "invalid arguments"))))
        with pytest.raises(WaylandError, match=r"wl_registry#2: invalid arguments \(code 1\)"):
            conn.dispatch(0.5)
        theirs.close()
        with pytest.raises(WaylandError, match=r"closed the connection|connection failed"):
            conn.dispatch(0.5)
    finally:
        conn.close()


def test_a_silent_compositor_fails_the_roundtrip_instead_of_hanging() -> None:
    ours, theirs = socket.socketpair()
    conn = WaylandConnection(ours)
    try:
        with pytest.raises(WaylandError, match="did not answer"):
            conn.roundtrip(0.2)
    finally:
        conn.close()
        theirs.close()


def test_missing_runtime_dir_is_explained() -> None:
    with pytest.raises(WaylandError, match="XDG_RUNTIME_DIR is not set"):
        WaylandConnection.connect({"WAYLAND_DISPLAY": "wayland-0"})
