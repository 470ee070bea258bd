"""Entry point of the ``timelygator`` command: the app, or a subcommand.

Importing this module must stay cheap and Qt-free: subcommands such as ``serve`` run on
headless machines. Qt is imported only when the desktop app is started.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from core.cli import build_parser, run

# Subcommands that live outside core (they need the watchers package).
EXTRA_COMMAND_MODULES: tuple[str, ...] = ("watchers.cli",)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(EXTRA_COMMAND_MODULES)
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        from timelygator_gui.app import run_app

        return run_app(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
