"""Entry point of the ``timelygator`` command: the app, or a subcommand.

Importing this module must stay cheap and Qt-free: subcommands such as ``serve`` run on
headless machines. Qt is imported only when the desktop app is started, and starting the
app does not import the subcommands' modules (the API server, reports...): a command line
without a command is parsed with the global options alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from timelygator.core.cli import add_common_options, build_parser, run
from timelygator.core.runtime import tune_gc

# Subcommands that live outside core (they need the watchers package, or write the app's
# menu entry).
EXTRA_COMMAND_MODULES: tuple[str, ...] = (
    "timelygator.watchers.cli",
    "timelygator.watchers.desktop_cli",
    "timelygator.gui.desktop_entry_cli",
)


def app_args(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The app's options when ``argv`` has no command (nor --help/--version), else None."""
    quick = argparse.ArgumentParser(add_help=False)
    quick.add_argument("--minimized", action="store_true")
    add_common_options(quick)
    args, rest = quick.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if rest:
        return None
    args.command = None
    return args


def parser() -> argparse.ArgumentParser:
    """Every command's parser, plus the options only this entry point has."""
    full = build_parser(EXTRA_COMMAND_MODULES)
    full.add_argument(
        "--diagnose",
        action="store_true",
        help="print versions, the display server, the watchers' status and the folders "
        "(for a bug report; no personal data) and exit",
    )
    return full


def main(argv: Sequence[str] | None = None) -> int:
    tune_gc()
    args = app_args(argv)
    if args is None:
        args = parser().parse_args(argv)
    if getattr(args, "diagnose", False):
        from timelygator.core.cli.common import dirs_from
        from timelygator.gui.diagnostics import diagnostics

        print(diagnostics(dirs_from(args)), end="")
        return 0
    if getattr(args, "command", None) is None:
        from timelygator.gui.app import run_app

        return run_app(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
