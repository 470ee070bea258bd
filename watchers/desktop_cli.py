"""``timelygator desktop-integration status|install-gnome|remove-gnome``.

``status`` says which backends read the active window and the idle time in this session (the
same choice the app and ``timelygator watch`` make), or what is missing and how to fix it.
``install-gnome`` puts the TimelyGator GNOME Shell extension in the user's extensions folder
and turns it on (it starts at the next login); ``remove-gnome`` takes it away. On KDE Plasma
nothing needs installing: the app loads its KWin script over D-Bus while it runs.
"""

from __future__ import annotations

import argparse

from timelygator.core.cli import subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    desktop = subparsers.add_parser(
        "desktop-integration",
        help="what tracks windows and idle time on this desktop; the GNOME Shell extension",
    )
    sub = desktop.add_subparsers(dest="desktop_command", metavar="ACTION", required=True)
    subcommand(sub, "status", _status, "show the backends this session uses, or what is missing")
    install = subcommand(
        sub, "install-gnome", _install, "install the TimelyGator GNOME Shell extension for you"
    )
    install.add_argument(
        "--shell-version",
        type=int,
        metavar="N",
        help="GNOME Shell's major version (default: asks gnome-shell)",
    )
    subcommand(sub, "remove-gnome", _remove, "turn off and remove the GNOME Shell extension")


def _status(_args: argparse.Namespace) -> int:
    from timelygator.watchers.backends import describe_backends
    from timelygator.watchers.desktop_integration import gnome_extension_status
    from timelygator.watchers.session import Desktop, detect_session

    print(describe_backends())
    if detect_session().desktop is Desktop.GNOME:
        print(gnome_extension_status())
    return 0


def _install(args: argparse.Namespace) -> int:
    from timelygator.watchers.desktop_integration import install_gnome_extension

    print(install_gnome_extension(shell_major=args.shell_version).message)
    return 0


def _remove(_args: argparse.Namespace) -> int:
    from timelygator.watchers.desktop_integration import remove_gnome_extension

    print(remove_gnome_extension())
    return 0
