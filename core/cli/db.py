"""``timelygator db …``: check, passphrase, rekey, salvage; upgrade, downgrade, history."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import TYPE_CHECKING

from timelygator.core import __version__
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
from timelygator.core.revisions import parse_revision, revisions
from timelygator.core.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from timelygator.core.schema_change import SchemaChange, ServerDatabase


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
    upgrade = subcommand(
        db_sub,
        "upgrade",
        _upgrade,
        "bring the database to the newest schema this version knows (after a verified backup)",
    )
    _server_options(upgrade)
    downgrade = subcommand(
        db_sub,
        "downgrade",
        _downgrade,
        "take the database back to an older schema, for an older TimelyGator (after a "
        "verified backup)",
    )
    downgrade.add_argument(
        "revision",
        metavar="REV",
        help="the schema to go back to: 5, 0005 or 0005_analytics_values ('db history')",
    )
    _server_options(downgrade)
    history = subcommand(
        db_sub, "history", _history, "the schema revisions, and the one the database is at"
    )
    _server_options(history, confirm=False)


def _server_options(parser: argparse.ArgumentParser, *, confirm: bool = True) -> None:
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database instead of the data folder's "
        "(postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE; env TIMELYGATOR_DATABASE_URL)",
    )
    if confirm:
        parser.add_argument(
            "--yes", action="store_true", help="PostgreSQL: do not ask before changing it"
        )


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


# -- schema revisions ---------------------------------------------------------------------------
# core.schema_change is imported by these commands only (the others start faster).
def _server_url(args: argparse.Namespace) -> str | None:
    """``--database-url``, else the environment's, else None (the data folder)."""
    from timelygator.core.server_store import DATABASE_URL_ENV

    given = (getattr(args, "database_url", None) or os.environ.get(DATABASE_URL_ENV, "")).strip()
    return given or None


def _upgrade(args: argparse.Namespace) -> int:
    return _move(args, SCHEMA_VERSION, downgrade=False)


def _downgrade(args: argparse.Namespace) -> int:
    return _move(args, parse_revision(args.revision), downgrade=True)


def _move(args: argparse.Namespace, target: int, *, downgrade: bool) -> int:
    from timelygator.core.schema_change import ServerDatabase, afterwards, change_folder

    url = _server_url(args)
    change: SchemaChange
    if url is not None:
        with ServerDatabase(url) as server:
            before = server.check(target, downgrade=downgrade)
            if before != target:
                _confirm_server_change(args, server, before, target)
            change = server.change(target, downgrade=downgrade)
    else:
        change = change_folder(dirs_from(args), passphrase_from(args), target, downgrade=downgrade)
    if not change.changed:
        print(f"{change.where} is at schema {change.after} already; nothing was changed.")
        return 0
    if change.backup is not None:
        print(f"Backup (verified): {change.backup}")
    verb = "Downgraded" if downgrade else "Upgraded"
    title = {r.version: r.title.rstrip(".") for r in revisions()}.get(change.after, "")
    print(f"{verb} {change.where} from schema {change.before} to {change.after} ({title})")
    if change.revoked_for:
        print(
            f"Disabled users ({', '.join(change.revoked_for)}): schema {change.after} cannot "
            "mark a user disabled, so their API tokens were revoked; after an upgrade they "
            "are active again and need new tokens ('timelygator user disable' them again if "
            "they should stay out)."
        )
    if downgrade:
        print(afterwards(change, server=url is not None))
        if change.backup is not None:
            print(f"To undo it, put the backup back: timelygator restore {change.backup}")
    return 0


def _confirm_server_change(
    args: argparse.Namespace, server: ServerDatabase, before: int, target: int
) -> None:
    """The pg_dump hint, then a yes from the user (or --yes) before a server is changed."""
    print(
        "Back the database up first; pg_dump asks for the password (or reads ~/.pgpass or "
        "PGPASSWORD):"
    )
    print(f"  {server.dump_command(before)}")
    print("  (put it back with: pg_restore --clean --if-exists --dbname=… FILE)")
    print("Stop every 'timelygator serve' that uses this database first.")
    if args.yes:
        return
    question = f"Move {server.shown} from schema {before} to {target}? [y/N] "
    if not sys.stdin.isatty():
        raise ValidationError(
            "No terminal to confirm the change: add --yes once the database is backed up. "
            "Nothing was changed."
        )
    if input(question).strip().lower() not in ("y", "yes"):
        raise ValidationError("Not confirmed. Nothing was changed.")


def _history(args: argparse.Namespace) -> int:
    from timelygator.core.schema_change import ServerDatabase, folder_version

    url = _server_url(args)
    if url is not None:
        with ServerDatabase(url) as server:
            where, current = server.shown, server.version()
    else:
        dirs = dirs_from(args)
        where, current = str(dirs.database), folder_version(dirs, passphrase_from(args))
    print(f"Schema revisions (TimelyGator {__version__} knows up to {SCHEMA_VERSION}):")
    for revision in revisions():
        mark = "  <- the database" if revision.version == current else ""
        print(f"  {revision.id}  {revision.title}{mark}")
    print(f"{where} is at schema {current}.")
    if current > SCHEMA_VERSION:
        print("A newer TimelyGator wrote it: 'db downgrade' of that version takes it back.")
    elif 0 < current < SCHEMA_VERSION:
        print("'timelygator db upgrade' brings it to the newest.")
    return 0
