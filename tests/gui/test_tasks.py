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
