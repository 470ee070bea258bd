"""Disk full, read-only, locked and corrupt files: clear errors, existing data intact."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from timelygator.core.errors import DatabaseCorruptError, DatabaseLockedError, ReadOnlyError
from timelygator.core.event import Event
from timelygator.core.keys import KeyStore
from timelygator.core.maintenance import check_database
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.core.writer import WriterState

S = 1_000_000
T = 1_700_000_000 * S
PASS = "storage errors pass"
ROOT = Path(__file__).resolve().parents[2]

needs_root = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs Linux, root and unshare (as on CI)",
)


def _fill(services: Services, n: int) -> int:
    key = services.ensure_bucket("b", type="t", client="c", hostname="h")
    services.writer.insert_events(
        key, [Event(T + i * S, T + i * S + S // 2, {"i": i}) for i in range(n)]
    ).result()
    return key


def _state(services: Services) -> WriterState:
    """The writer's state now (a call, so a type checker does not keep an earlier one)."""
    return services.writer.state


def test_locked_database_is_a_clear_error_and_writing_resumes(
    dirs: AppDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("timelygator.core.store.BUSY_TIMEOUT_MS", 100)
    states: list[WriterState] = []
    with Services.open(dirs, PASS) as services:
        services.writer.add_state_listener(lambda state, _error: states.append(state))
        key = _fill(services, 3)
        (data_key,) = KeyStore(dirs).load(PASS)
        from timelygator.core.store import Store

        other = Store(dirs.database, data_key, pool_size=1)
        raw = other.engine.raw_connection()
        raw.driver_connection.execute("BEGIN EXCLUSIVE")  # type: ignore[union-attr]
        try:
            future = services.writer.heartbeat(key, Event(T + 100 * S, T + 100 * S, {"x": 1}), 0)
            with pytest.raises(DatabaseLockedError, match="locked by another program"):
                future.result(10)
            assert services.writer.state is WriterState.FAILING
        finally:
            raw.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
            raw.close()
            other.engine.dispose()
        services.writer.heartbeat(key, Event(T + 200 * S, T + 200 * S, {"x": 2}), 0).result(10)
        assert _state(services) is WriterState.RUNNING
        assert len(services.events("b")) == 4
    assert states[-2:] == [WriterState.RUNNING, WriterState.STOPPED]
    assert WriterState.FAILING in states


def test_corrupt_file_reads_fail_clearly_and_check_reports_it(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, 20_000)
    with dirs.database.open("r+b") as handle:
        handle.seek(4096 * 40 + 100)
        handle.write(b"\x00garbage" * 20)
    digest = hashlib.sha256(dirs.database.read_bytes()).hexdigest()
    report = check_database(dirs, PASS)
    assert not report.ok and report.problems
    with Services.open(dirs, PASS) as services:
        with pytest.raises(DatabaseCorruptError, match="damaged"):
            services.events("b")
    assert hashlib.sha256(dirs.database.read_bytes()).hexdigest() == digest


def _run_child(script: str, *, wrap: str = "") -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = textwrap.dedent(script)
    cmd = [sys.executable, "-c", code]
    if wrap:
        cmd = ["unshare", "-m", "sh", "-c", wrap + ' && exec "$@"', "sh", *cmd]

    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@needs_root
def test_read_only_directory_is_a_clear_error_and_touches_nothing(
    dirs: AppDirs, tmp_path: Path
) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, 100)
    before = {p.name: p.read_bytes() for p in dirs.data.iterdir() if p.is_file()}
    data = str(dirs.data)
    outcome = _run_child(
        f"""
        import json
        from timelygator.core.paths import resolve_dirs
        from timelygator.core.services import Services
        from timelygator.core.errors import StorageError
        try:
            Services.open(resolve_dirs({data!r}), {PASS!r}).close()
            print(json.dumps({{"error": None}}))
        except StorageError as exc:
            print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
        """,
        # A read-only mount: even root cannot write there.
        wrap=f"mount --bind {data} {data} && mount -o remount,ro,bind {data}",
    )
    after = {p.name: p.read_bytes() for p in dirs.data.iterdir() if p.is_file()}
    assert outcome["error"] == ReadOnlyError.__name__, outcome
    assert "read-only" in str(outcome["message"]) or "writable" in str(outcome["message"])
    assert after == before


@needs_root
def test_disk_full_pauses_writing_and_keeps_acknowledged_data(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    outcome = _run_child(
        f"""
        import json
        from timelygator.core.paths import resolve_dirs
        from timelygator.core.services import Services
        from timelygator.core.event import Event
        from timelygator.core.errors import StorageError
        from timelygator.core.writer import WriterState
        dirs = resolve_dirs({str(mount / "data")!r})
        s = Services.open(dirs, {PASS!r})
        k = s.ensure_bucket("b", type="t", client="c", hostname="h")
        acked = 0
        error = None
        for batch in range(10_000):
            first = batch * 200
            pad = "x" * 400
            events = [Event(i, i + 1, {{"pad": pad, "i": i}}) for i in range(first, first + 200)]
            try:
                s.writer.insert_events(k, events).result()
                acked += len(events)
            except StorageError as exc:
                error = (type(exc).__name__, str(exc))
                break
        state = s.writer.state.value
        try:
            s.close()
        except StorageError:
            pass
        s2 = Services.open(dirs, {PASS!r})
        stored = len(s2.events("b"))
        problems = s2.store.integrity_check()
        s2.close()
        result = {{"acked": acked, "error": error, "state": state, "stored": stored}}
        print(json.dumps({{**result, "problems": problems}}))
        """,
        wrap=f"mount -t tmpfs -o size=3m tmpfs {mount}",
    )
    assert outcome["error"] is not None and outcome["error"][0] == "DiskFullError"  # type: ignore[index]
    assert "full" in outcome["error"][1]  # type: ignore[index]
    assert outcome["state"] == WriterState.FAILING.value
    assert int(outcome["acked"]) > 0  # type: ignore[call-overload]
    assert outcome["stored"] == outcome["acked"]
    assert outcome["problems"] == []
