"""Keys: keyring or passphrase; wrong or missing keys touch nothing."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from timelygator.core.errors import (
    DatabaseLockedError,
    KeyMissingError,
    PassphraseRequiredError,
    ValidationError,
    WrongKeyError,
)
from timelygator.core.event import Event
from timelygator.core.keys import KeyMode, KeyStore
from timelygator.core.maintenance import check_database, rekey_database, set_passphrase
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services, resolve_passphrase

T = 1_700_000_000_000_000
PASS = "correct horse battery"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_events(services: Services, n: int = 5) -> None:
    key = services.ensure_bucket("b", type="t", client="c", hostname="h")
    services.writer.insert_events(
        key, [Event(T + i * 10**6, T + i * 10**6 + 500, {"i": i}) for i in range(n)]
    ).result()


def test_default_is_the_os_keyring(dirs: AppDirs, memory_keyring: object) -> None:
    with Services.open(dirs) as services:
        _store_events(services)
    assert KeyStore(dirs).mode() is KeyMode.KEYRING
    assert not dirs.key_file.exists()
    with Services.open(dirs) as services:
        assert len(services.events("b")) == 5


def test_passphrase_mode_and_wrong_passphrase_changes_nothing(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _store_events(services)
    assert KeyStore(dirs).mode() is KeyMode.PASSPHRASE
    before = (_digest(dirs.database), _digest(dirs.key_file))
    with pytest.raises(WrongKeyError, match="passphrase is wrong") as info:
        Services.open(dirs, "not the passphrase")
    assert PASS not in str(info.value)
    with pytest.raises(PassphraseRequiredError):
        Services.open(dirs, None)
    assert (_digest(dirs.database), _digest(dirs.key_file)) == before
    with Services.open(dirs, PASS) as services:
        assert len(services.events("b")) == 5


def test_missing_key_is_a_clear_error_and_nothing_is_recreated(
    dirs: AppDirs, memory_keyring: object
) -> None:
    with Services.open(dirs) as services:
        _store_events(services)
    memory_keyring.entries.clear()  # type: ignore[attr-defined]
    before = _digest(dirs.database)
    with pytest.raises(KeyMissingError, match="No key"):
        Services.open(dirs)
    assert _digest(dirs.database) == before


def test_second_process_on_the_same_directory_is_refused(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS):
        with pytest.raises(DatabaseLockedError, match="Another TimelyGator"):
            Services.open(dirs, PASS)


def test_change_passphrase_rewraps_without_touching_the_database(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _store_events(services)
    db_before = _digest(dirs.database)
    KeyStore(dirs).change_passphrase(PASS, "a brand new passphrase")
    assert _digest(dirs.database) == db_before
    with pytest.raises(WrongKeyError):
        Services.open(dirs, PASS)
    with Services.open(dirs, "a brand new passphrase") as services:
        assert len(services.events("b")) == 5


def test_short_passphrase_is_refused(dirs: AppDirs) -> None:
    with pytest.raises(ValidationError, match="too short"):
        Services.open(dirs, "short")


def test_set_and_remove_passphrase_move_the_key(dirs: AppDirs, memory_keyring: object) -> None:
    with Services.open(dirs) as services:
        _store_events(services)
    set_passphrase(dirs, PASS)
    assert KeyStore(dirs).mode() is KeyMode.PASSPHRASE
    assert memory_keyring.entries == {}  # type: ignore[attr-defined]
    with Services.open(dirs, PASS) as services:
        assert len(services.events("b")) == 5
    KeyStore(dirs).remove_passphrase(PASS)
    assert not dirs.key_file.exists()
    with Services.open(dirs) as services:
        assert len(services.events("b")) == 5


def test_rekey_changes_the_key_and_keeps_the_data(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _store_events(services, 50)
    old_key = KeyStore(dirs).load(PASS)[0]
    rekey_database(dirs, PASS)
    new_key = KeyStore(dirs).load(PASS)
    assert len(new_key) == 1 and new_key[0].raw != old_key.raw
    assert not KeyStore(dirs).pending_key_file.exists()
    report = check_database(dirs, PASS)
    assert report.ok and report.counts["events"] == 50
    from timelygator.core.store import Store

    stale = Store(dirs.database, old_key)
    with pytest.raises(WrongKeyError):
        stale.check_open()
    stale.engine.dispose()


def test_interrupted_rekey_is_completed_on_next_open(dirs: AppDirs) -> None:
    """Crash after the file swap but before the key was promoted: the pending key works."""
    with Services.open(dirs, PASS) as services:
        _store_events(services, 3)
    keystore = KeyStore(dirs)
    from timelygator.core.keys import DataKey
    from timelygator.core.store import Store

    store = Store(dirs.database, keystore.load(PASS)[0])
    new_key = DataKey.generate()
    keystore.store_pending(new_key, PASS)
    tmp = dirs.database.with_name("rekeyed.db")
    store.export_rekeyed(tmp, new_key)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(dirs.database) + suffix).unlink(missing_ok=True)
    tmp.replace(dirs.database)
    with Services.open(dirs, PASS) as services:
        assert len(services.events("b")) == 3
    assert keystore.load(PASS)[0].raw == new_key.raw
    assert not keystore.pending_key_file.exists()


def test_passphrase_from_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "pass.txt"
    path.write_text("from the file\n", encoding="utf-8")
    assert resolve_passphrase(path, {"TIMELYGATOR_PASSPHRASE": "env"}) == "from the file"
    assert resolve_passphrase(None, {"TIMELYGATOR_PASSPHRASE": "from env"}) == "from env"
    assert resolve_passphrase(None, {}) is None


def test_secrets_never_reach_logs_or_reprs(dirs: AppDirs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Services.open(dirs, PASS) as services:
        _store_events(services)
        key = KeyStore(dirs).load(PASS)[0]
        assert key.raw.hex() not in repr(key)
    with pytest.raises(WrongKeyError):
        Services.open(dirs, "not the passphrase!")
    text = caplog.text
    assert PASS not in text and key.raw.hex() not in text
    assert "not the passphrase!" not in text


def test_close_on_another_thread_releases_the_folder(dirs: AppDirs) -> None:
    import threading

    services = Services.open(dirs, PASS)
    closer = threading.Thread(target=services.close)
    closer.start()
    closer.join(10)
    with Services.open(dirs, PASS) as again:
        assert again.buckets() == []
