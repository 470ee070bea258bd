"""``timelygator backup`` and ``timelygator restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from timelygator.core.backup import backup_now, list_backups, restore_backup
from timelygator.core.cli import subcommand
from timelygator.core.cli.common import dirs_from, open_reader_services, passphrase_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subcommand(subparsers, "backup", _backup, "write an encrypted, verified backup")
    backup.add_argument(
        "--to", type=Path, help="backup folder (default: backups/ in the data folder)"
    )
    backup.add_argument("--keep", type=int, default=5, help="how many backups to keep (default 5)")
    backup.add_argument("--list", action="store_true", help="list the backups instead")
    restore = subcommand(subparsers, "restore", _restore, "replace the database by a backup")
    restore.add_argument("file", type=Path, help="the backup file (timelygator-….db)")


def _backup(args: argparse.Namespace) -> int:
    if args.list:
        folder = args.to or dirs_from(args).backups
        found = list_backups(folder)
        if not found:
            print(f"No backups in {folder} yet; 'timelygator backup' writes one.")
        for item in found:
            size = f"{item.size_bytes / 1e6:8.1f} MB"
            print(f"{item.created:%Y-%m-%d %H:%M:%S} UTC  {size}  {item.path}")
        return 0
    with open_reader_services(args) as services:
        made = backup_now(services, args.to, keep=args.keep)
    print(f"Backup written and verified: {made.path} ({made.size_bytes / 1e6:.1f} MB)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    kept = restore_backup(dirs_from(args), args.file, passphrase_from(args))
    if kept is None:
        print(f"Restored {args.file}.")
    else:
        print(f"Restored {args.file}. The previous database was kept as {kept}.")
    return 0
