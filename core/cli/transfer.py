"""``timelygator import`` and ``timelygator export``: ActivityWatch's export format.

Importing an ActivityWatch export brings its history along; importing the same file twice
changes nothing (events equal in time, duration and data are skipped).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from timelygator.core import reader
from timelygator.core.cli import subcommand
from timelygator.core.cli.common import open_reader_services, open_services
from timelygator.core.errors import ValidationError

if TYPE_CHECKING:
    from timelygator.core.importer import BucketImport


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = subcommand(
        subparsers,
        "import",
        _import,
        "import an ActivityWatch or TimelyGator export (JSON), or ActivityWatch's database",
    )
    imp.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="an export file (aw-buckets-export.json) or an ActivityWatch database "
        "(sqlite.db, peewee-sqlite.v2.db)",
    )
    imp.add_argument(
        "--activitywatch",
        action="store_true",
        help="import ActivityWatch's database from its default data folder",
    )
    exp = subcommand(subparsers, "export", _export, "export buckets and events as JSON")
    exp.add_argument("--bucket", action="append", help="only this bucket (repeatable)")
    exp.add_argument("--output", "-o", type=Path, help="write here instead of standard output")


def _import(args: argparse.Namespace) -> int:
    # The API's validation, loaded only when used.
    from timelygator.core.awimport import (
        find_activitywatch_databases,
        import_activitywatch,
        is_sqlite_file,
    )
    from timelygator.core.importer import import_file

    source: Path | None = args.file
    database = False
    if source is None:
        if not args.activitywatch:
            raise ValidationError("Name a file to import, or use --activitywatch.")
        found = find_activitywatch_databases()
        if not found:
            raise ValidationError(
                "No ActivityWatch database was found in its default folder; give its path."
            )
        source, database = found[0].path, True
        print(f"Importing ActivityWatch's database {source}", file=sys.stderr)
    elif is_sqlite_file(source):
        database = True
    instead = "Import from the app (Settings → Data → Import), or quit it first."
    with open_services(args, create=True, instead=instead) as services:
        if database:
            outcome = import_activitywatch(services, source)
            print_import(outcome.buckets)
            print(outcome.categories_note)
        else:
            print_import(import_file(services, source))
    return 0


def print_import(results: list[BucketImport]) -> None:
    total = sum(r.imported for r in results)
    repeated = sum(r.repeated for r in results)
    present = sum(r.skipped for r in results) - repeated
    for r in results:
        state = "new bucket" if r.created else "existing bucket"
        extra = f", {r.repeated} repeated in the file (stored once)" if r.repeated else ""
        print(
            f"  {r.name}: {r.imported} imported, {r.skipped - r.repeated} already present"
            f"{extra} ({state})"
        )
    tail = f"; {repeated} exact repeats within the file were stored once" if repeated else ""
    print(f"Imported {total} events into {len(results)} buckets ({present} already present{tail}).")


def _export(args: argparse.Namespace) -> int:
    from timelygator.core.transfer_format import export_document

    with open_reader_services(args) as services, services.read() as conn:
        buckets = reader.list_buckets(conn, services.user_id)
        if args.bucket:
            wanted = set(args.bucket)
            missing = wanted - {b.name for b in buckets}
            if missing:
                print(f"timelygator: no bucket named {sorted(missing)[0]!r}.", file=sys.stderr)
                return 2
            buckets = [b for b in buckets if b.name in wanted]
        body = export_document(conn, buckets)
    if args.output is None:
        sys.stdout.buffer.write(body + b"\n")
    else:
        args.output.write_bytes(body)
        print(f"Exported {len(buckets)} buckets to {args.output}.", file=sys.stderr)
    return 0
