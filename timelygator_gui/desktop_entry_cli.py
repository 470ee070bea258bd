"""``timelygator desktop-entry install|remove|status``: the start-menu entry (Linux, per user).

Qt-free: it writes files only (``timelygator_gui.desktop_entry``). ``--autostart`` also
writes (install) or removes (remove) the start-at-login entry, as Settings → General does.
"""

from __future__ import annotations

import argparse
import sys

from timelygator.core.cli import subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    entry = subparsers.add_parser(
        "desktop-entry",
        help="add TimelyGator to your applications menu, or take it out (Linux)",
    )
    sub = entry.add_subparsers(dest="entry_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("install", _install, "write the menu entry and icon for you (~/.local/share)"),
        ("remove", _remove, "delete the menu entry and icon written by 'install'"),
    ):
        action = subcommand(sub, name, handler, text)
        action.add_argument(
            "--autostart",
            action="store_true",
            help="also start TimelyGator minimized at login (install) / no longer (remove)",
        )
    subcommand(sub, "status", _status, "say whether the menu entry is there and what it starts")


def _linux_only() -> int | None:
    if sys.platform.startswith("linux"):
        return None
    print(
        "timelygator: desktop entries are for Linux; on Windows and macOS the installer adds "
        "TimelyGator to the Start menu / Applications.",
        file=sys.stderr,
    )
    return 2


def _install(args: argparse.Namespace) -> int:
    if (refused := _linux_only()) is not None:
        return refused
    from timelygator.gui.autostart import Autostart
    from timelygator.gui.desktop_entry import DesktopEntry, desktop_exec

    entry = DesktopEntry()
    entry.install()
    print(f"TimelyGator is in your applications menu: {entry.path}")
    print(f"  it starts: {desktop_exec(entry.command)}")
    if args.autostart:
        autostart = Autostart()
        autostart.set_enabled(True)
        print(f"It starts minimized at login: {autostart.path}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    if (refused := _linux_only()) is not None:
        return refused
    from timelygator.gui.autostart import Autostart
    from timelygator.gui.desktop_entry import DesktopEntry

    entry = DesktopEntry()
    removed = entry.remove()
    print(
        f"Removed the menu entry and icons ({len(removed)} files)."
        if removed
        else f"There was no menu entry for you ({entry.path})."
    )
    if args.autostart:
        autostart = Autostart()
        autostart.set_enabled(False)
        print(f"TimelyGator no longer starts at login ({autostart.path}).")
    system = entry.system_entry()
    if system is not None:
        print(f"The entry installed for everyone stays: {system} (remove the package for that).")
    return 0


def _status(_args: argparse.Namespace) -> int:
    if (refused := _linux_only()) is not None:
        return refused
    from timelygator.gui.autostart import Autostart, describe
    from timelygator.gui.desktop_entry import DesktopEntry, desktop_exec

    entry = DesktopEntry()
    print(f"Yours: {entry.path}" if entry.installed() else "Yours: none")
    system = entry.system_entry()
    print(f"For everyone: {system}" if system else "For everyone: none")
    print(f"This installation starts with: {desktop_exec(entry.command)}")
    autostart = Autostart()
    print(f"Start at login: {'on' if autostart.enabled() else 'off'} ({describe(autostart)})")
    return 0
