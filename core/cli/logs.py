"""``timelygator logs``: where the log files are, to attach them to a bug report.

The files hold no keys, passphrases or tokens, and no window titles, URLs or other event
data unless the user allowed that in Settings → General (``core.logs``).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import dirs_from
from timelygator.core.logs import log_files


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    subcommand(subparsers, "logs", _logs, "show where the log files are (for a bug report)")


def _logs(args: argparse.Namespace) -> int:
    dirs = dirs_from(args)
    print(dirs.logs)
    found = log_files(dirs)
    if not found:
        print("  (no log file yet)")
    for path in found:
        stat = path.stat()
        when = datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M")
        print(f"  {path.name}  {stat.st_size / 1000:.0f} kB  {when}")
    return 0
