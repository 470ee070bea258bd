"""Real SIGKILLs of real ``timelygator`` processes at random moments, readers beside them.

Used by ``tests/core/test_fault_injection.py`` (a few runs) and
``tests/benchmarks/fault_injection.py`` (many). Each run copies a prepared data folder,
starts the operation as a user would (``python -m timelygator db rekey`` …) and a reader
process (``tests.helpers.reader_loop``), kills the operation with SIGKILL after a random
delay (or lets it finish when it is faster), stops the reader, and checks the folder: it opens
with the right key, ``db check`` is ok, no temporary file or pending key is left, its export
equals one of the valid states, and every reader round saw a valid state or "busy".
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from timelygator.core import reader
from timelygator.core.backup import backup_now, list_backups
from timelygator.core.errors import KeyMissingError, WrongKeyError
from timelygator.core.event import Event
from timelygator.core.keys import KeyStore
from timelygator.core.maintenance import check_database
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services
from timelygator.core.transfer_format import export_document

ROOT = Path(__file__).resolve().parents[2]
PASS = "sigkill passphrase"
NEW_PASS = "sigkill new passphrase"
S = 1_000_000
T0 = 1_760_000_000 * S

OPERATIONS = ("rekey", "restore", "backup", "passphrase-change", "salvage")


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def export_sha(data: Path, passphrase: str | None) -> str:
    dirs = resolve_dirs(data)
    with Services.open_reader(dirs, passphrase) as services, services.read() as conn:
        buckets = sorted(reader.list_buckets(conn, services.user_id), key=lambda b: b.name)
        return _sha(export_document(conn, buckets))


def backup_sha(path: Path, data: Path, passphrase: str | None) -> str:
    from timelygator.core.store import Store

    key = KeyStore(resolve_dirs(data)).load(passphrase)[0]
    store = Store(path, key, access="immutable")
    try:
        with store.connect() as conn:
            buckets = sorted(reader.list_buckets(conn, 1), key=lambda b: b.name)
            return _sha(export_document(conn, buckets))
    finally:
        store.engine.dispose()


@dataclass
class Prepared:
    root: Path
    states: dict[str, str]  # name -> export sha256


def prepare(root: Path, events: int = 40_000) -> Prepared:
    """A passphrase-protected folder with ``events`` events and one older backup."""
    data = root / "data"
    dirs = resolve_dirs(data)
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        half = events // 2
        batch = [
            Event(T0 + i * 10 * S, T0 + i * 10 * S + 9 * S, {"app": f"a{i % 9}", "title": f"w{i}"})
            for i in range(events)
        ]
        services.writer.insert_events(key, batch[:half]).result(120)
        backup_now(services)
        services.writer.insert_events(key, batch[half:]).result(120)
    backup = list_backups(dirs.backups)[0].path
    return Prepared(
        root,
        {"before": export_sha(data, PASS), "restored": backup_sha(backup, data, PASS)},
    )


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TIMELYGATOR_PASSPHRASE": PASS}


def command(operation: str, data: Path, scratch: Path) -> list[str]:
    base = [sys.executable, "-m", "timelygator"]
    if operation == "rekey":
        return [*base, "db", "rekey", "--data-dir", str(data)]
    if operation == "restore":
        backup = list_backups(resolve_dirs(data).backups)[-1].path
        return [*base, "restore", str(backup), "--data-dir", str(data)]
    if operation == "backup":
        return [*base, "backup", "--keep", "3", "--data-dir", str(data)]
    if operation == "passphrase-change":
        secret = scratch / "new-passphrase.txt"
        secret.write_text(NEW_PASS, encoding="utf-8")
        return [*base, "db", "passphrase", "change", "--new-passphrase-file", str(secret),
                "--data-dir", str(data)]  # fmt: skip
    if operation == "salvage":
        return [*base, "db", "salvage", "--data-dir", str(data)]
    raise ValueError(operation)


@dataclass
class RunResult:
    operation: str
    delay_s: float
    killed: bool
    state: str
    reader_rounds: int
    reader_busy: int
    problems: list[str] = field(default_factory=list)


def duration(prepared: Prepared, operation: str, work: Path) -> float:
    """How long ``operation`` takes from start to exit here (a run without a kill)."""
    import time

    shutil.copytree(prepared.root / "data", work / "data")
    started = time.perf_counter()
    subprocess.run(command(operation, work / "data", work), capture_output=True, env=_env(),
                   timeout=300, check=True)  # fmt: skip
    return time.perf_counter() - started


def run_once(
    prepared: Prepared,
    operation: str,
    work: Path,
    rng: random.Random,
    max_delay: float = 2.5,
) -> RunResult:
    """Copy the folder, run ``operation``, SIGKILL it at a random moment, check everything.

    The moment is drawn uniformly from 0.3 s to ``max_delay`` after the start (pass a bit
    more than the operation's ``duration`` to reach its last steps too).
    """
    shutil.copytree(prepared.root / "data", work / "data")
    data = work / "data"
    stop = work / "stop-reader"
    reader_proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.reader_loop", str(data), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    assert reader_proc.stdout is not None
    first = reader_proc.stdout.readline()  # the reader is reading: start the operation
    delay = rng.uniform(0.3, max_delay)
    proc = subprocess.Popen(
        command(operation, data, work),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    killed = False
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        killed = True
    _, op_err = proc.communicate(timeout=30)
    stop.write_text("stop", encoding="utf-8")
    out, err = reader_proc.communicate(timeout=120)
    out = first + out
    problems: list[str] = []
    if not killed and proc.returncode != 0:
        problems.append(f"{operation} exited {proc.returncode}: {op_err[-500:]}")
    valid = dict(prepared.states)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    busy = sum(1 for line in lines if line.get("busy"))
    for line in lines:
        if "error" in line:
            # A reader that met the passphrase change half-way may need the other passphrase.
            if operation == "passphrase-change" and "passphrase is wrong" in line["error"]:
                continue
            problems.append(f"reader: {line['error']}")
        elif "sha" in line and (line["sha"] not in valid.values() or not line["ok"]):
            problems.append(f"reader saw an invalid state: {line}")
    state = "none"
    opened = None
    for passphrase in (PASS, NEW_PASS):
        try:
            Services.open(resolve_dirs(data), passphrase, create=False).close()
        except (WrongKeyError, KeyMissingError):
            continue
        except Exception as exc:
            problems.append(f"open failed: {type(exc).__name__}: {exc}")
            break
        opened = passphrase
        break
    if opened is None:
        problems.append("the folder opens with no passphrase")
    else:
        report = check_database(resolve_dirs(data), opened)
        if not report.ok:
            problems.append(f"db check: {report.problems[:3]}")
        got = export_sha(data, opened)
        matches = [name for name, digest in valid.items() if digest == got]
        state = matches[0] if matches else "INVALID"
        if not matches:
            problems.append("the export equals no valid state")
        keystore = KeyStore(resolve_dirs(data))
        if keystore.has_pending() or keystore.pending_op() is not None:
            problems.append("a pending key or key operation was left")
        leftovers = [
            p.name
            for p in data.iterdir()
            if p.name.endswith(
                (".rekey", ".rekey-old", ".restore-partial", ".restoring", ".salvage")
            )
        ]
        leftovers += [p.name for p in (data / "backups").glob("*.partial")]
        if leftovers:
            problems.append(f"leftovers: {leftovers}")
    if err.strip():
        problems.append(f"reader stderr: {err[-300:]}")
    return RunResult(operation, round(delay, 3), killed, state, len(lines), busy, problems)
