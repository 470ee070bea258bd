"""A reader process beside an operation: ``python -m tests.helpers.reader_loop DATA STOP``.

Runs ``db check`` and an export in a loop until the file STOP exists, printing one JSON line
per round: ``{"ok": bool, "sha": <export sha256>}``, ``{"busy": true}`` (a rekey or restore
held the swap lock) or ``{"error": "<type>: <message>"}``. Uses TIMELYGATOR_PASSPHRASE.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path

from timelygator.core import reader
from timelygator.core.errors import DatabaseLockedError, TimelyGatorError
from timelygator.core.maintenance import check_database
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services
from timelygator.core.transfer_format import export_document


def export_sha(data: Path, passphrase: str | None) -> str:
    dirs = resolve_dirs(data)
    with Services.open_reader(dirs, passphrase) as services, services.read() as conn:
        buckets = sorted(reader.list_buckets(conn, services.user_id), key=lambda b: b.name)
        return hashlib.sha256(export_document(conn, buckets)).hexdigest()


def main(data: Path, stop: Path) -> None:
    passphrase = os.environ.get("TIMELYGATOR_PASSPHRASE") or None
    pause = threading.Event()
    while not stop.exists():
        try:
            report = check_database(resolve_dirs(data), passphrase)
            line = {"ok": report.ok, "sha": export_sha(data, passphrase)}
        except DatabaseLockedError:
            line = {"busy": True}
        except TimelyGatorError as exc:
            line = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(line), flush=True)
        pause.wait(0.05)


if __name__ == "__main__":
    import timelygator.core.locks

    timelygator.core.locks.SWAP_WAIT_S = 0.5  # say "busy" quickly instead of waiting
    main(Path(sys.argv[1]), Path(sys.argv[2]))
