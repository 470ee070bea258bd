"""The operations around the write path never lose data (issue #14's reproduced cases)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from timelygator.core import steps
from timelygator.core.backup import (
    backup_now,
    list_backups,
    purge_backups_older_than,
    purge_older_than,
    restore_backup,
)
from timelygator.core.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    SchemaTooNewError,
    StorageError,
    ValidationError,
)
from timelygator.core.event import Event
from timelygator.core.health import DAMAGED, OK, database_state
from timelygator.core.keys import DataKey, KeyMode, KeyStore
from timelygator.core.maintenance import change_passphrase, check_database, rekey_database
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import MissingDatabaseError
from timelygator.core.services import Services
from timelygator.core.store import Store

PASS = "data safety passphrase"
S = 1_000_000
T = 1_760_000_000 * S
DAY = 86_400 * S
ROOT = Path(__file__).resolve().parents[2]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill(services: Services, n: int, start: int = T, title: str = "t") -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="c", hostname="h")
    services.writer.insert_events(
        key,
        [Event(start + i * S, start + i * S + S // 2, {"title": f"{title}{i}"}) for i in range(n)],
    ).result()


def tg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        value = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([value[0] ^ 0x01]))


# -- 1. readers never change key material --
def test_db_check_during_rekey_never_loses_the_key(dirs: AppDirs, memory_keyring: object) -> None:
    """Issue #14, 1: a reader beside a running rekey cannot discard its new key."""
    with Services.open(dirs) as services:
        fill(services, 2000)
    seen: list[str] = []

    def reader_at(op: str, name: str) -> None:
        if (op, name) != ("rekey", "exported"):
            return
        # The reader waits for the swap lock (the rekey holds it) and gives up clearly.
        result: list[BaseException | object] = []
        thread = threading.Thread(
            target=lambda: result.append(_try(lambda: check_database_quick(dirs)))
        )
        thread.start()
        thread.join(30)
        seen.append(type(result[0]).__name__)

    with steps.hooked(reader_at):
        rekey_database(dirs, None)
    assert seen == ["DatabaseLockedError"]
    report = check_database(dirs, None)
    assert report.ok and report.counts["events"] == 2000
    assert not KeyStore(dirs).has_pending()


def check_database_quick(dirs: AppDirs) -> object:
    import timelygator.core.locks

    saved = timelygator.core.locks.SWAP_WAIT_S
    timelygator.core.locks.SWAP_WAIT_S = 0.3
    try:
        return check_database(dirs, None)
    finally:
        timelygator.core.locks.SWAP_WAIT_S = saved


def _try(fn: object) -> object:
    try:
        return fn()  # type: ignore[operator]
    except BaseException as exc:
        return exc


def test_a_reader_with_a_pending_key_uses_it_and_changes_nothing(dirs: AppDirs) -> None:
    """A rekey that died after the swap: readers open the file with the pending key only."""
    with Services.open(dirs, PASS) as services:
        fill(services, 30)
    keystore = KeyStore(dirs)
    old = keystore.load(PASS)[0]
    new = DataKey.generate()
    keystore.store_pending(new, PASS)
    store = Store(dirs.database, old)
    tmp = dirs.database.with_name("x.db")
    store.export_rekeyed(tmp, new)
    store.close()
    tmp.replace(dirs.database)
    key_files = {p.name: sha(p) for p in dirs.data.glob("key.json*")}
    report = check_database(dirs, PASS)
    assert report.ok and report.counts["events"] == 30
    with Services.open_reader(dirs, PASS) as reader:
        assert len(reader.events("w")) == 30
    assert {p.name: sha(p) for p in dirs.data.glob("key.json*")} == key_files
    # The lock holder completes it.
    Services.open(dirs, PASS).close()
    assert keystore.load(PASS) == [new]


def test_passphrase_change_after_an_interrupted_rekey(dirs: AppDirs) -> None:
    """Issue #14, 4: the pending key is resolved (or rewrapped) before the change."""
    with Services.open(dirs, PASS) as services:
        fill(services, 10)
    keystore = KeyStore(dirs)
    old = keystore.load(PASS)[0]
    new = DataKey.generate()
    keystore.store_pending(new, PASS)
    store = Store(dirs.database, old)
    tmp = dirs.database.with_name("x.db")
    store.export_rekeyed(tmp, new)
    store.close()
    tmp.replace(dirs.database)
    change_passphrase(dirs, PASS, "the second passphrase")
    with pytest.raises(StorageError):
        Services.open(dirs, PASS)
    with Services.open(dirs, "the second passphrase") as services:
        assert len(services.events("w")) == 10
    assert not keystore.has_pending()


def test_a_failing_key_promotion_is_loud_and_puts_everything_back(
    dirs: AppDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 10)
    before = KeyStore(dirs).load(PASS)[0]

    def refuse(self: KeyStore, key: DataKey, passphrase: str | None) -> None:
        raise StorageError("the key file could not be written")

    monkeypatch.setattr(KeyStore, "promote_pending", refuse)
    with pytest.raises(StorageError, match="old database file was put back"):
        rekey_database(dirs, PASS)
    monkeypatch.undo()
    assert KeyStore(dirs).load(PASS) == [before]
    assert check_database(dirs, PASS).ok


def test_rekey_refuses_a_newer_schema_like_every_other_command(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 3)
        with services.store.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA user_version = 99")
    before = (sha(dirs.database), sha(dirs.key_file))
    with pytest.raises(SchemaTooNewError, match="newer TimelyGator"):
        rekey_database(dirs, PASS)
    assert (sha(dirs.database), sha(dirs.key_file)) == before
    assert not KeyStore(dirs).has_pending()


# -- 2. never create over a missing database --
@pytest.mark.parametrize("state", ["missing", "empty"])
def test_missing_or_empty_database_with_a_key_is_refused_and_names_the_rescue(
    dirs: AppDirs, state: str
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 5)
        made = backup_now(services)
    if state == "missing":
        dirs.database.unlink()
    else:
        dirs.database.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        Path(f"{dirs.database}{suffix}").unlink(missing_ok=True)
    with pytest.raises(MissingDatabaseError) as info:
        Services.open(dirs, PASS)
    assert str(made.path) in str(info.value)
    assert f"is {state}" in str(info.value)
    assert (dirs.database.exists(), dirs.database.exists() and dirs.database.stat().st_size) == (
        (False, False) if state == "missing" else (True, 0)
    )
    result = tg("report", "--data-dir", str(dirs.data), env={"TIMELYGATOR_PASSPHRASE": PASS})
    assert result.returncode == 3
    assert "will not create a new, empty one" in result.stderr
    assert "Total" not in result.stdout
    # The named backup brings it back.
    restore_backup(dirs, made.path, PASS)
    with Services.open(dirs, PASS) as services:
        assert len(services.events("w")) == 5


def test_restore_refuses_empty_and_foreign_files_and_changes_nothing(
    dirs: AppDirs, tmp_path: Path
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 5)
    before = sha(dirs.database)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = tg(
        "restore", str(empty), "--data-dir", str(dirs.data), env={"TIMELYGATOR_PASSPHRASE": PASS}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"timelygator: {empty} is empty: it is not a backup. Nothing was changed."
    )
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(os.urandom(8192))
    with pytest.raises(ValidationError, match="does not open with this folder's key"):
        restore_backup(dirs, foreign, PASS)
    assert sha(dirs.database) == before
    assert sorted(p.name for p in dirs.data.iterdir() if "restor" in p.name) == []


def test_restore_never_writes_the_backup_and_works_over_a_damaged_database(
    dirs: AppDirs,
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 300)
        made = backup_now(services)
        fill(services, 10, start=T + DAY, title="later")
    backup_sha = sha(made.path)
    listing = sorted(p.name for p in made.path.parent.iterdir())
    flip_byte(dirs.database, 200)  # page 1 of the current file
    with pytest.raises(DatabaseCorruptError, match="is damaged"):
        Services.open(dirs, PASS)
    kept = restore_backup(dirs, made.path, PASS)
    assert sha(made.path) == backup_sha
    assert sorted(p.name for p in made.path.parent.iterdir()) == listing
    assert kept is not None and kept.exists()
    with Services.open(dirs, PASS) as services:
        assert len(services.events("w")) == 300


def test_a_damaged_backup_is_refused_in_one_sentence_with_details_on_request(
    dirs: AppDirs,
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 3000)
        made = backup_now(services)
    size = made.path.stat().st_size
    flip_byte(made.path, size // 2)
    backup_sha = sha(made.path)
    env = {"TIMELYGATOR_PASSPHRASE": PASS}
    result = tg("restore", str(made.path), "--data-dir", str(dirs.data), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"timelygator: {made.path} is damaged (damaged pages: ")
    assert lines[0].endswith("cannot be restored; try an older backup. Nothing was changed.")
    assert lines[1:] == ["  (run it again with --verbose for the details)"]
    verbose = tg("restore", str(made.path), "--data-dir", str(dirs.data), "-v", env=env)
    assert len(verbose.stderr.strip().splitlines()) > 2
    assert sha(made.path) == backup_sha


# -- 3. damaged, not "wrong key" --
def test_flipped_bit_in_page_one_says_damaged_not_wrong_key(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 500)
    flip_byte(dirs.database, 300)
    env = {"TIMELYGATOR_PASSPHRASE": PASS}
    for command in (["db", "check"], ["report"], ["export"]):
        result = tg(*command, "--data-dir", str(dirs.data), env=env)
        assert result.returncode == 3, (command, result.stderr)
        assert (
            "is damaged: its first page cannot be read although the key is right" in result.stderr
        )
        assert "Traceback" not in result.stderr
    wrong = tg(
        "db",
        "check",
        "--data-dir",
        str(dirs.data),
        env={"TIMELYGATOR_PASSPHRASE": "wrong passphrase!"},
    )
    assert "passphrase is wrong" in wrong.stderr


def _damage_events(dirs: AppDirs) -> None:
    """Overwrite a page in the middle of the file (event rows) with garbage."""
    size = dirs.database.stat().st_size
    page = 2048
    with dirs.database.open("r+b") as handle:
        handle.seek((size // page // 2) * page + 100)
        handle.write(b"\x00garbage" * 40)


def test_db_check_counts_every_table_and_names_damaged_pages(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 20_000)
    _damage_events(dirs)
    report = check_database(dirs, PASS)
    assert not report.ok
    assert report.damaged_pages, report.problems[:3]
    # Tables away from the damage are still counted (a connection poisoned by the
    # integrity check is not reused).
    assert report.counts["users"] == 1
    assert report.counts["buckets"] == 1
    assert report.counts["settings"] >= 0
    result = tg("db", "check", "--data-dir", str(dirs.data), env={"TIMELYGATOR_PASSPHRASE": PASS})
    assert result.returncode == 1
    assert "  damaged pages: " in result.stdout
    assert "  users                1" in result.stdout
    assert "db salvage" in result.stdout
    export = tg("export", "--data-dir", str(dirs.data), env={"TIMELYGATOR_PASSPHRASE": PASS})
    assert export.returncode == 3
    assert "is damaged" in export.stderr and "Traceback" not in export.stderr


def test_health_reports_a_database_known_to_be_damaged(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 20_000)
    _damage_events(dirs)
    with Services.open(dirs, PASS) as services:
        assert database_state(services) == OK
        with pytest.raises(DatabaseCorruptError):
            services.events("w")
        assert database_state(services) == DAMAGED


def test_salvage_copies_every_readable_row_after_a_backup(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 20_000)
    _damage_events(dirs)
    damaged_sha = sha(dirs.database)
    result = tg(
        "db",
        "salvage",
        "--json",
        "--data-dir",
        str(dirs.data),
        env={"TIMELYGATOR_PASSPHRASE": PASS},
    )
    assert result.returncode == 1, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["complete"] is False
    assert outcome["copied"]["buckets"] == 1 and outcome["copied"]["users"] == 1
    assert 15_000 < outcome["copied"]["events"] < 20_000
    assert outcome["unreadable"]["events"]
    assert sha(Path(outcome["backup"])) == damaged_sha
    assert sha(Path(outcome["kept"])) == damaged_sha
    report = check_database(dirs, PASS)
    assert report.ok
    assert report.counts["events"] == outcome["copied"]["events"]


# -- 8. leftovers, free space --
def test_leftovers_of_interrupted_operations_are_removed_on_next_start(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 10)
    leftovers = [
        dirs.database.with_name("timelygator.db.rekey"),
        dirs.database.with_name("timelygator.db.rekey-wal"),
        dirs.database.with_name("timelygator.db.salvage"),
        dirs.backups / "timelygator-20260101-000000.db.partial",
        dirs.backups / "timelygator-20260101-000000.db.partial-journal",
    ]
    dirs.backups.mkdir(exist_ok=True)
    for path in leftovers:
        path.write_bytes(os.urandom(4096))
    Services.open(dirs, PASS).close()
    assert [p for p in leftovers if p.exists()] == []


def test_backup_needs_at_most_the_database_size(
    dirs: AppDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 20_000)
        size = services.file_store.size_on_disk()
        monkeypatch.setattr("timelygator.core.files.free_bytes", lambda _folder: size - 1)
        with pytest.raises(StorageError, match="Not enough free space"):
            backup_now(services)
        monkeypatch.undo()
        peak = []
        partial = dirs.backups

        def watch(op: str, name: str) -> None:
            if name == "copied":
                peak.append(sum(p.stat().st_size for p in partial.iterdir()))

        with steps.hooked(watch):
            made = backup_now(services)
    assert peak and peak[0] <= dirs.database.stat().st_size + 64 * 1024
    assert made.size_bytes <= dirs.database.stat().st_size + 64 * 1024


# -- 10. permissions, lock, retention, CLI values --
def test_files_are_private_whatever_the_umask(dirs: AppDirs) -> None:
    previous = os.umask(0)
    try:
        with Services.open(dirs, PASS) as services:
            fill(services, 100)
            made = backup_now(services)
            files = [dirs.database, Path(f"{dirs.database}-wal"), Path(f"{dirs.database}-shm")]
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files if p.exists()}
    finally:
        os.umask(previous)
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(dirs.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(dirs.data.stat().st_mode) == 0o700
    assert stat.S_IMODE(dirs.backups.stat().st_mode) == 0o700


def test_deleting_the_lock_file_does_not_let_a_second_writer_in(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS):
        dirs.lock_file.unlink()
        with pytest.raises(DatabaseLockedError, match="Another TimelyGator"):
            Services.open(dirs, PASS)


def test_retention_reaches_the_backups(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 10, start=T - 40 * DAY, title="old")
        fill(services, 10, start=T, title="new")
        made = backup_now(services)
        assert purge_older_than(services, 30, now_us=T) == 10
        assert purge_backups_older_than(services, [dirs.backups], 30, now_us=T) == 10
        key = services.file_store.key
    assert key is not None
    copy = Store(made.path, key, access="immutable")
    try:
        with copy.connect() as conn:
            titles = [r[0] for r in conn.exec_driver_sql("SELECT data FROM events")]
    finally:
        copy.engine.dispose()
    assert len(titles) == 10 and all("new" in t for t in titles)
    assert b"old1" not in made.path.read_bytes()
    assert [b.path for b in list_backups(dirs.backups)] == [made.path]


def test_watch_rejects_an_afk_timeout_below_its_poll(dirs: AppDirs) -> None:
    result = tg("watch", "--afk-timeout", "1", "--data-dir", str(dirs.data))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "timelygator: --afk-timeout must be between 5 seconds (the away watcher looks every "
        "5 s) and 86400 seconds (a day)."
    )
    assert not dirs.database.exists()


def test_keyring_mode_survives_everything_above(dirs: AppDirs, memory_keyring: object) -> None:
    with Services.open(dirs) as services:
        fill(services, 10)
    rekey_database(dirs, None)
    assert KeyStore(dirs).mode() is KeyMode.KEYRING
    assert check_database(dirs, None).counts["events"] == 10


needs_root = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0 or __import__("shutil").which("unshare") is None,
    reason="needs Linux, root and unshare (as on CI)",
)


@needs_root
def test_restore_from_read_only_media(dirs: AppDirs, tmp_path: Path) -> None:
    """The backup is only read: a read-only mount (even root cannot write there) works."""
    with Services.open(dirs, PASS) as services:
        fill(services, 200)
        made = backup_now(services)
        fill(services, 5, start=T + DAY, title="later")
    media = tmp_path / "media"
    media.mkdir()
    copy = media / made.path.name
    copy.write_bytes(made.path.read_bytes())
    before = sha(copy)
    script = (
        "import sys, pathlib; from timelygator.core.paths import resolve_dirs; "
        "from timelygator.core.backup import restore_backup; "
        "restore_backup(resolve_dirs(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]); "
        "print('restored')"
    )
    wrap = f"mount --bind {media} {media} && mount -o remount,ro,bind {media}"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", wrap + ' && exec "$@"', "sh", sys.executable, "-c", script,
         str(dirs.data), str(copy), PASS],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "restored"
    assert sha(copy) == before
    assert sorted(p.name for p in media.iterdir()) == [copy.name]
    with Services.open(dirs, PASS) as services:
        assert len(services.events("w")) == 200


def test_a_pending_key_left_under_an_older_passphrase_does_not_lock_the_user_out(
    dirs: AppDirs,
) -> None:
    """The state an older build left (issue #14, 4): key.json rewrapped, the pending key not."""
    with Services.open(dirs, PASS) as services:
        fill(services, 4)
    keystore = KeyStore(dirs)
    keystore.store_pending(DataKey.generate(), PASS)  # a rekey that never replaced the file
    key = keystore.load(PASS)[0]
    from timelygator.core.keys import wrap_key

    dirs.key_file.write_text(json.dumps(wrap_key(key, "the newer passphrase")), encoding="utf-8")
    with Services.open(dirs, "the newer passphrase") as services:
        assert len(services.events("w")) == 4
    assert not keystore.has_pending()
