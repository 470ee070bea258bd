"""The ``timelygator`` command line (Qt-free part).

``timelygator`` alone starts the desktop app (``timelygator.gui.main``); each subcommand
lives in its own module here (or in ``watchers.cli``) and registers itself with
``register(subparsers)``, setting ``handler`` to a function ``(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from timelygator.core import __version__
from timelygator.core.errors import TimelyGatorError
from timelygator.core.logs import setup_logging
from timelygator.core.paths import resolve_dirs
from timelygator.core.runtime import tune_gc

log = logging.getLogger(__name__)

# Modules whose ``register(subparsers)`` adds subcommands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "timelygator.core.cli.db",
    "timelygator.core.cli.serve",
    "timelygator.core.cli.token",
    "timelygator.core.cli.user",
    "timelygator.core.cli.backup",
    "timelygator.core.cli.transfer",
    "timelygator.core.cli.sync",
    "timelygator.core.cli.report",
    "timelygator.core.cli.insights",
    "timelygator.core.cli.logs",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser(extra_modules: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The full parser: global options plus every subcommand module's commands."""
    parser = argparse.ArgumentParser(
        prog="timelygator",
        description="TimelyGator: private, automatic time tracking. Without a command, "
        "starts the desktop app.",
        epilog="Log files (no secrets; no window titles or URLs unless you allow them in "
        "Settings → General): 'timelygator logs' says where they are.",
    )
    parser.add_argument("--version", action="version", version=f"TimelyGator {__version__}")
    parser.add_argument(
        "--minimized", action="store_true", help="start in the tray without showing the window"
    )
    add_common_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (*COMMAND_MODULES, *extra_modules):
        importlib.import_module(name).register(subparsers)
    return parser


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Options every command accepts (given before or after the command name)."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="keep data, config and logs here (default: the platform's user data folder; "
        "env TIMELYGATOR_DATA_DIR)",
    )
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="read the database passphrase from this file (env TIMELYGATOR_PASSPHRASE)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log everything on the console (and more to the log file), and show error details",
    )


def subcommand(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help_text: str,
) -> argparse.ArgumentParser:
    """Add a subcommand that also accepts the common options."""
    sub = subparsers.add_parser(name, help=help_text, description=help_text)
    add_common_options(sub)
    sub.set_defaults(handler=handler)
    return sub


def run(args: argparse.Namespace) -> int:
    """Run a parsed subcommand; errors become one clear line on stderr and an exit code."""
    tune_gc()
    command = str(getattr(args, "command", None) or "cli")
    setup_logging(
        resolve_dirs(getattr(args, "data_dir", None)),
        command,
        verbose=bool(getattr(args, "verbose", False)),
    )
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        print("No command given; see 'timelygator --help'.", file=sys.stderr)
        return 2
    log.info("timelygator %s %s", __version__, command)
    try:
        return handler(args)
    except TimelyGatorError as exc:
        log.info("%s failed: %s", command, exc)  # the file only: the console gets it below
        print(f"timelygator: {exc}", file=sys.stderr)
        if getattr(args, "verbose", False):
            for line in exc.details[:200]:
                print(f"  {line}", file=sys.stderr)
        elif exc.details:
            print("  (run it again with --verbose for the details)", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception:
        log.info("%s failed unexpectedly", command, exc_info=True)
        raise
