"""Every multi-step key, backup, restore, rekey, passphrase, salvage and retention operation,
ended at each of its steps (killed with ``os._exit``, or failing with an exception), with a
reader beside it: afterwards the folder opens with the right key, ``db check`` is ok, no
temporary file or pending key is left, and an export equals the reference export.

``tests/benchmarks/fault_injection.py`` adds real SIGKILLs of real ``timelygator`` processes
at random moments (a few of those run here too: ``test_sigkill_*``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from timelygator.core.backup import backup_now, list_backups, verify_file
from timelygator.core.errors import DatabaseLockedError, KeyMissingError, WrongKeyError
from timelygator.core.event import Event
from timelygator.core.keys import KeyStore
from timelygator.core.maintenance import check_database
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.recovery import (
    REKEY_OLD_SUFFIX,
    REKEY_SUFFIX,
    RESTORE_PARTIAL_SUFFIX,
    RESTORING_SUFFIX,
    SALVAGE_SUFFIX,
    kept_copies,
)
from timelygator.core.services import Services
from timelygator.core.store import Store
from timelygator.core.transfer_format import export_document

from tests.helpers import faults
from tests.helpers.keyring import FileKeyring

if TYPE_CHECKING:
    from tests.helpers import killruns

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("os"), "fork"), reason="needs fork (forkserver)"
)

PASS = "fault injection passphrase"
S = 1_000_000
T0 = 1_760_000_000 * S
DAY = 86_400 * S


def fill(services: Services, start: int, count: int, label: str) -> None:
    for host, offset in (("laptop", 3600), ("desk", -5 * 3600)):
        key = services.ensure_bucket(
            f"aw-watcher-window_{host}", type="currentwindow", client="t", hostname=host
        )
        services.writer.insert_events(
            key,
            [
                Event(
                    start + i * 60 * S,
                    start + i * 60 * S + 45 * S,
                    {"app": f"app{i % 7}", "title": f"{label} {i}"},
                    tz_offset_s=offset,
                )
                for i in range(count)
            ],
        ).result()


def export(dirs: AppDirs, passphrase: str | None) -> bytes:
    with Services.open_reader(dirs, passphrase) as services, services.read() as conn:
        from timelygator.core import reader

        buckets = sorted(reader.list_buckets(conn, services.user_id), key=lambda b: b.name)
        return export_document(conn, buckets)


def export_file(path: Path, key_source: AppDirs, passphrase: str | None) -> bytes:
    """The export of a database file that is not the folder's (a kept copy), read-only."""
    from timelygator.core import reader

    keys = KeyStore(key_source).load(passphrase)
    for key in keys:
        store = Store(path, key, access="immutable")
        try:
            with store.connect() as conn:
                buckets = sorted(reader.list_buckets(conn, 1), key=lambda b: b.name)
                return export_document(conn, buckets)
        except WrongKeyError:
            continue
        finally:
            store.engine.dispose()
    raise AssertionError(f"{path} opens with no key of the folder")


def rehome_keyring(keyring_file: Path, old: AppDirs, new: AppDirs) -> None:
    """Keyring entries are named after the folder's path: move them to the copy's."""
    if not keyring_file.exists():
        return
    old_account = KeyStore(old)._account
    new_account = KeyStore(new)._account
    entries = json.loads(keyring_file.read_text(encoding="utf-8"))
    moved = {k.replace(old_account, new_account): v for k, v in entries.items()}
    keyring_file.write_text(json.dumps(moved), encoding="utf-8")


@dataclass
class Template:
    root: Path
    passphrase: str | None
    reference: bytes  # the export of the folder as prepared
    backup_state: bytes  # the export of its newest backup (older data)

    @property
    def dirs(self) -> AppDirs:
        return resolve_dirs(self.root / "data")


def make_template(root: Path, passphrase: str | None) -> Template:
    root.mkdir(parents=True)
    keyring.set_keyring(FileKeyring(root / "keyring.json"))
    dirs = resolve_dirs(root / "data")
    with Services.open(dirs, passphrase) as services:
        fill(services, T0 - 3 * DAY, 150, "old")
        backup_now(services)
        fill(services, T0, 150, "new")
        with services.store.connect() as conn, conn.begin():
            conn.exec_driver_sql(
                "INSERT INTO settings (user_id, key, value) VALUES (1, 'k', '\"v\"')"
            )
    backup = list_backups(dirs.backups)[0].path
    reference = export(dirs, passphrase)
    return Template(root, passphrase, reference, export_file(backup, dirs, passphrase))


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Template]]:
    previous = keyring.get_keyring()
    import timelygator.core.keys

    saved_n = timelygator.core.keys.SCRYPT_N
    timelygator.core.keys.SCRYPT_N = 2**14
    base = tmp_path_factory.mktemp("fault-templates")
    made = {
        "keyring": make_template(base / "keyring", None),
        "passphrase": make_template(base / "passphrase", PASS),
    }
    yield made
    timelygator.core.keys.SCRYPT_N = saved_n
    keyring.set_keyring(previous)


def new_case(template: Template, target: Path) -> faults.Case:
    faults.copy_folder(template.root, target)
    keyring_file = target / "keyring.json"
    rehome_keyring(keyring_file, template.dirs, resolve_dirs(target / "data"))
    keyring.set_keyring(FileKeyring(keyring_file))
    backup = list_backups(resolve_dirs(target / "data").backups)[0].path
    return faults.Case(
        data=target / "data",
        keyring_file=keyring_file,
        passphrase=template.passphrase,
        backup=backup,
        extra={"now_us": T0 + 2 * DAY},
    )


class Reader:
    """A reader beside the operation: db check and export in a loop, outcomes recorded."""

    def __init__(self, dirs: AppDirs, passphrase: str | None) -> None:
        self.dirs = dirs
        self.passphrase = passphrase
        self.exports: list[bytes] = []
        self.busy = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Reader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = check_database(self.dirs, self.passphrase)
                if not report.ok:
                    self.failures.append(f"db check: {report.problems[:3]}")
                self.exports.append(export(self.dirs, self.passphrase))
            except DatabaseLockedError:
                self.busy += 1
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(0.05)


def assert_recovered(
    case: faults.Case, valid: dict[str, bytes], passphrases: list[str | None]
) -> tuple[str, str | None]:
    """The folder opens with one of ``passphrases``, is healthy and holds a valid state."""
    dirs = case.dirs
    opened_with: list[str | None] = []
    for passphrase in passphrases:
        try:
            Services.open(dirs, passphrase, create=False).close()
        except (WrongKeyError, KeyMissingError):
            continue
        opened_with.append(passphrase)
        break
    assert opened_with, "the folder opens with none of the passphrases"
    passphrase = opened_with[0]
    keystore = KeyStore(dirs)
    assert not keystore.has_pending()
    assert keystore.pending_op() is None
    for suffix in (
        REKEY_SUFFIX,
        REKEY_OLD_SUFFIX,
        RESTORE_PARTIAL_SUFFIX,
        RESTORING_SUFFIX,
        SALVAGE_SUFFIX,
    ):
        assert not dirs.database.with_name(dirs.database.name + suffix).exists(), suffix
    assert list(dirs.backups.glob("*.partial")) == []
    report = check_database(dirs, passphrase)
    assert report.ok, report.problems
    got = export(dirs, passphrase)
    matches = [name for name, body in valid.items() if body == got]
    assert matches, "the export equals no valid state"
    for backup in list_backups(dirs.backups):
        verify_file(backup.path, KeyStore(dirs).load(passphrase))
    return matches[0], passphrase


def kill_points(operation: str, template: Template, tmp_path: Path) -> list[str]:
    case = new_case(template, tmp_path / "probe")
    outcome = faults.run(operation, case)
    assert outcome.exit_code == faults.DONE, outcome
    assert outcome.steps, f"{operation} reports no steps"
    return outcome.steps


SCENARIOS = [
    ("rekey", "keyring"),
    ("rekey", "passphrase"),
    ("restore", "keyring"),
    ("restore", "passphrase"),
    ("backup", "keyring"),
    ("passphrase-set", "keyring"),
    ("passphrase-change", "passphrase"),
    ("passphrase-remove", "passphrase"),
    ("salvage", "passphrase"),
    ("retention", "keyring"),
]
READERS = {"rekey", "restore", "backup", "salvage", "retention"}


@pytest.mark.parametrize(("operation", "mode"), SCENARIOS)
def test_every_step_killed_and_failed(
    operation: str, mode: str, templates: dict[str, Template], tmp_path: Path
) -> None:
    template = templates[mode]
    points = kill_points(operation, template, tmp_path)
    valid = {"before": template.reference}
    if operation == "restore":
        valid["restored"] = template.backup_state
    passphrases: list[str | None] = [template.passphrase]
    if operation.startswith("passphrase"):
        passphrases = [template.passphrase, "a brand new passphrase", None]
    runs = 0
    plan: list[tuple[int, str, int]] = []
    for index in range(len(points)):
        plan += [(index, "kill", -1), (index, "raise", -1)]
    undo_points: list[str] = []
    while plan:
        index, fault, then_kill = plan.pop(0)
        case = new_case(template, tmp_path / f"{runs}")
        reader = Reader(case.dirs, template.passphrase) if operation in READERS else None
        if reader is not None:
            reader.__enter__()
        try:
            outcome = faults.run(operation, case, fault_at=index, mode=fault, then_kill=then_kill)
        finally:
            if reader is not None:
                reader.__exit__()
        point = points[index]
        assert outcome.steps[index] == point, (point, outcome)
        if then_kill >= 0:
            assert outcome.exit_code == faults.KILLED, (point, outcome)
        else:
            expected = faults.KILLED if fault == "kill" else faults.RAISED
            assert outcome.exit_code == expected, (point, outcome)
        if fault == "raise" and then_kill < 0:
            # The operation undid the fault in steps of its own: kill it at each of those too.
            for later in range(index + 1, len(outcome.steps)):
                plan.append((index, "raise", later))
                undo_points.append(f"{point} -> {outcome.steps[later]}")
        state, _ = assert_recovered(case, valid, passphrases)
        if state == "restored":
            # The replaced database was kept, complete.
            kept = kept_copies(case.dirs)
            assert kept, "restore kept no copy of the replaced database"
            assert export_file(kept[0], case.dirs, template.passphrase) == template.reference
        if reader is not None:
            assert reader.failures == [], (point, reader.failures[:3])
            assert all(body in valid.values() for body in reader.exports), point
        runs += 1
    print(
        json.dumps(
            {
                "operation": operation,
                "mode": mode,
                "kill_points": len(points),
                "undo_kill_points": len(undo_points),
                "runs": runs,
                "steps": points,
            }
        )
    )


@pytest.mark.parametrize(
    ("operation", "seed"),
    [("rekey", 1), ("restore", 2), ("backup", 3), ("passphrase-change", 4), ("salvage", 5)],
)
def test_sigkill_of_the_real_command_at_a_random_moment(
    operation: str, seed: int, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One real ``timelygator`` process per operation, SIGKILLed with a reader beside it."""
    import random

    from tests.helpers import killruns

    prepared = _sigkill_template(tmp_path_factory)
    result = killruns.run_once(prepared, operation, tmp_path, random.Random(seed))
    assert result.problems == [], result
    assert result.state in ("before", "restored")
    print(json.dumps({"sigkill": operation, "delay_s": result.delay_s, "killed": result.killed,
                      "state": result.state, "reader_rounds": result.reader_rounds}))  # fmt: skip


_SIGKILL_TEMPLATE: list[killruns.Prepared] = []


def _sigkill_template(factory: pytest.TempPathFactory) -> killruns.Prepared:
    from tests.helpers import killruns

    if not _SIGKILL_TEMPLATE:
        import timelygator.core.keys

        saved = timelygator.core.keys.SCRYPT_N
        timelygator.core.keys.SCRYPT_N = 2**14
        try:
            _SIGKILL_TEMPLATE.append(killruns.prepare(factory.mktemp("sigkill"), events=20_000))
        finally:
            timelygator.core.keys.SCRYPT_N = saved
    return _SIGKILL_TEMPLATE[0]


@pytest.mark.parametrize("operation", ["downgrade", "upgrade"])
def test_schema_change_killed_or_failed_at_every_step(
    operation: str, templates: dict[str, Template], tmp_path: Path
) -> None:
    """``db downgrade`` (6 to 4, two revisions in one transaction) and ``db upgrade`` (4 to 6)
    ended at each step, killed or failing: the database opens at the schema it had, or at
    the new one once committed, with every row and a clean integrity check; no half-written
    backup is left; and TimelyGator then opens it with the same export as before."""
    from timelygator.core.maintenance import holding_folder
    from timelygator.core.recovery import open_locked
    from timelygator.core.schema import SCHEMA_VERSION
    from timelygator.core.schema_change import change_folder

    from tests.helpers.schema_walk import project, user_rows

    template = templates["passphrase"]
    low = 4
    old, new = (SCHEMA_VERSION, low) if operation == "downgrade" else (low, SCHEMA_VERSION)

    def case_at(name: str) -> faults.Case:
        case = new_case(template, tmp_path / name)
        case.extra["target"] = low
        if operation == "upgrade":
            change_folder(case.dirs, case.passphrase, low, downgrade=True)
        return case

    reference_store = Store(template.dirs.database, KeyStore(template.dirs).load(PASS)[0])
    try:
        with reference_store.connect() as conn:
            reference = user_rows(conn, SCHEMA_VERSION)
    finally:
        reference_store.engine.dispose()
    probe = faults.run(operation, case_at("probe"))
    assert probe.exit_code == faults.DONE, probe
    points = probe.steps
    # Each revision crossed is a step inside the one transaction, then the commit.
    crossed = [f"{operation}:{v:04d}" for v in (range(5, 3, -1) if old > new else range(5, 7))]
    committed = points.index(f"{operation}:committed")
    assert points[committed - len(crossed) : committed] == crossed, points
    runs = 0
    for index, point in enumerate(points):
        for fault in ("kill", "raise"):
            case = case_at(f"{index}-{fault}")
            outcome = faults.run(operation, case, fault_at=index, mode=fault)
            assert outcome.steps[index] == point, (point, outcome)
            expected = faults.KILLED if fault == "kill" else faults.RAISED
            assert outcome.exit_code == expected, (point, fault, outcome)
            version = new if index >= committed else old
            with holding_folder(case.dirs, "") as lock:
                store = open_locked(case.dirs, PASS, lock, create=False)  # as the next start
                try:
                    assert store.user_version() == version, (point, fault)
                    with store.connect() as conn:
                        rows = user_rows(conn, version)
                    assert rows == project(reference, version), (point, fault)
                    assert store.integrity_check() == [], (point, fault)
                finally:
                    store.close()
            assert list(case.dirs.backups.glob("*.partial")) == [], (point, fault)
            Services.open(case.dirs, PASS, create=False).close()  # upgrades it again
            assert export(case.dirs, PASS) == template.reference, (point, fault)
            runs += 1
    print(json.dumps({"operation": operation, "kill_points": len(points), "runs": runs,
                      "steps": points}))  # fmt: skip
