"""TaskRunner: results come back on the GUI thread; stale ones and orphans are dropped."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel
from timelygator.gui.tasks import TaskRunner


def test_a_result_for_a_deleted_widget_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    release = threading.Event()
    label = QLabel("waiting")
    shown: list[str] = []
    ran: list[bool] = []

    def work() -> str:
        release.wait(10)
        ran.append(True)
        return "done"

    def done(text: str) -> None:
        label.setText(text)
        shown.append(text)

    runner.run("a", work, done, owner=label)
    shiboken6.delete(label)  # the dialog holding it was closed and deleted
    runner.run("b", lambda: "bound", label.setText)  # a bound method's object is its owner
    qtbot.waitUntil(lambda: runner.pending == 1, timeout=5000)  # "b" came back, dropped
    with qtbot.waitSignal(runner.sig_idle, timeout=5000):
        release.set()
    assert ran == [True]  # the work itself ran to the end
    assert shown == []
    assert runner.dropped == 2


def test_a_live_owner_gets_its_result(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    label = QLabel("waiting")
    qtbot.addWidget(label)
    with qtbot.waitSignal(runner.sig_idle, timeout=5000):
        runner.run("a", lambda: "done", label.setText)
    assert label.text() == "done"
    assert runner.dropped == 0


def test_a_finished_write_comes_back_without_a_waiting_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import Future

    runner = TaskRunner()
    write: Future[int] = Future()
    failed: Future[int] = Future()
    done: list[object] = []
    runner.when_done("write", write, done.append)
    runner.when_done("write", failed, lambda _r: None, done.append)
    assert runner._pool.activeThreadCount() == 0  # nobody parked on .result()

    def finish() -> None:
        write.set_result(7)
        failed.set_exception(OSError("x"))

    with qtbot.waitSignal(runner.sig_idle, timeout=5000):
        threading.Thread(target=finish).start()
    assert done[0] == 7 and isinstance(done[1], OSError)


def test_background_work_can_wait_until_the_jobs_have_come_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    """wait_idle: what Insights' training waits on while the views have work queued."""
    runner = TaskRunner()
    release = threading.Event()
    shown: list[str] = []
    runner.run("range", lambda: release.wait(10) and "day", shown.append)
    waited: list[bool] = []
    outside = threading.Thread(target=lambda: waited.append(runner.wait_idle(0.05)))
    outside.start()
    outside.join()
    assert waited == [False]  # the job is still running: the other thread waited in vain
    idle_seen: list[bool] = []
    outside = threading.Thread(target=lambda: idle_seen.append(runner.wait_idle(10)))
    outside.start()
    with qtbot.waitSignal(runner.sig_idle, timeout=5000):
        release.set()
    outside.join()
    assert shown == ["day"] and idle_seen == [True] and runner.wait_idle(0)
