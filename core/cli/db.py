"""``timelygator db …``: check, passphrase, rekey, salvage."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import dirs_from, passphrase_from
from timelygator.core.errors import ValidationError
from timelygator.core.keys import KeyMode, KeyStore
from timelygator.core.maintenance import (
    change_passphrase,
    check_database,
    rekey_database,
    remove_passphrase,
    set_passphrase,
)
from timelygator.core.repair import repair_time_range, time_range_problems


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="check the database, change its passphrase or key")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    check = subcommand(db_sub, "check", _check, "integrity, schema version and row counts")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--repair", action="store_true", help="fix rows outside the time range (after a backup)"
    )
    passphrase = subcommand(
        db_sub, "passphrase", _passphrase, "set, change or remove the database passphrase"
    )
    passphrase.add_argument("action", choices=("set", "change", "remove"))
    passphrase.add_argument(
        "--new-passphrase-file",
        help="read the new passphrase from this file instead of asking",
    )
    subcommand(db_sub, "rekey", _rekey, "re-encrypt the database under a new random key")
    salvage = subcommand(
        db_sub,
        "salvage",
        _salvage,
        "copy every readable row of a damaged database into a new one (after a backup)",
    )
    salvage.add_argument("--json", action="store_true", help="print JSON")


def _check(args: argparse.Namespace) -> int:
    if args.repair:
        result = repair_time_range(dirs_from(args), passphrase_from(args))
        print(result.describe(), file=sys.stderr if args.json else sys.stdout)
    report = check_database(dirs_from(args), passphrase_from(args))
    report.problems.extend(time_range_problems(dirs_from(args), passphrase_from(args)))
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(report.path),
                    "ok": report.ok,
                    "encrypted": report.encrypted,
                    "layout": report.layout,
                    "current_layout": report.current_layout,
                    "key": report.key_mode,
                    "schema_version": report.schema_version,
                    "expected_schema_version": report.expected_schema_version,
                    "size_bytes": report.size_bytes,
                    "problems": report.problems,
                    "damaged_pages": report.damaged_pages,
                    "unreadable_tables": report.unreadable_tables,
                    "counts": report.counts,
                },
                indent=2,
            )
        )
        return 0 if report.ok else 1
    print(f"Database:  {report.path} ({report.size_bytes / 1e6:.1f} MB)")
    print(f"Encrypted: {'yes, ' + report.layout if report.encrypted else 'NO'}")
    if report.encrypted and not report.current_layout:
        print(
            "           (an older layout; 'timelygator db rekey' rewrites the file in "
            "the current one, with cheaper writes)"
        )
    print(f"Key:       {report.key_mode}")
    print(f"Schema:    {report.schema_version} (this version: {report.expected_schema_version})")
    for table, count in report.counts.items():
        print(f"  {table:<11} {count:>10,}")
    for table in report.unreadable_tables:
        print(f"  {table:<11} {'unreadable':>10}")
    if not report.problems:
        print("Integrity: ok")
        return 0 if report.ok else 1
    print("Integrity: PROBLEMS")
    if report.damaged_pages:
        pages = ", ".join(map(str, report.damaged_pages[:20]))
        more = (
            f" and {len(report.damaged_pages) - 20} more" if len(report.damaged_pages) > 20 else ""
        )
        print(f"  damaged pages: {pages}{more}")
    shown = report.problems if getattr(args, "verbose", False) else report.problems[:5]
    for problem in shown:
        print(f"  {problem}")
    if len(report.problems) > len(shown):
        print(f"  … {len(report.problems) - len(shown)} more lines with --verbose")
    print(
        "Restore a backup ('timelygator restore FILE') or copy what can be read into a new "
        "database with 'timelygator db salvage'."
    )
    return 1


def _read_new_passphrase(args: argparse.Namespace) -> str:
    if args.new_passphrase_file:
        with open(args.new_passphrase_file, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError(
            "No terminal to ask for the new passphrase: use --new-passphrase-file."
        )
    first = getpass.getpass("New passphrase: ")
    if first != getpass.getpass("Repeat it: "):
        raise ValidationError("The two passphrases differ; nothing was changed.")
    return first


def _passphrase(args: argparse.Namespace) -> int:
    dirs = dirs_from(args)
    keystore = KeyStore(dirs)
    if args.action == "set":
        if keystore.mode() is KeyMode.PASSPHRASE:
            raise ValidationError(
                "A passphrase is already set; use 'timelygator db passphrase change' instead."
            )
        set_passphrase(dirs, _read_new_passphrase(args))
        print("The database key is now protected by your passphrase (key.json).")
        return 0
    if keystore.mode() is not KeyMode.PASSPHRASE:
        raise ValidationError("No passphrase is set; use 'timelygator db passphrase set'.")
    current = passphrase_from(args, ask=False)
    if current is None:
        if not sys.stdin.isatty():
            raise ValidationError(
                "The current passphrase is needed: TIMELYGATOR_PASSPHRASE or --passphrase-file."
            )
        current = getpass.getpass("Current passphrase: ")
    if args.action == "change":
        change_passphrase(dirs, current, _read_new_passphrase(args))
        print("Passphrase changed. The database itself was not rewritten.")
    else:
        remove_passphrase(dirs, current)
        print("Passphrase removed; the key is now kept in the OS keyring.")
    return 0


def _rekey(args: argparse.Namespace) -> int:
    rekey_database(dirs_from(args), passphrase_from(args))
    print("The database was re-encrypted under a new key.")
    return 0


def _salvage(args: argparse.Namespace) -> int:
    from timelygator.core.salvage import salvage_database

    result = salvage_database(dirs_from(args), passphrase_from(args))
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
        return 0 if result.complete else 1
    print(f"The damaged file was copied to {result.backup} first.")
    for table, count in result.copied.items():
        lost = result.lost.get(table)
        tail = f", unreadable: {', '.join(lost)}" if lost else ""
        print(f"  {table:<11} {count:>10,} rows copied{tail}")
    print(
        f"The salvaged database is now in use; the damaged one was kept as {result.kept}."
        if result.complete
        else f"Some rows could not be read (listed above). The salvaged database is now in "
        f"use; the damaged one was kept as {result.kept}."
    )
    return 0 if result.complete else 1
