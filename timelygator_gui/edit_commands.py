"""Event editing as undoable commands (rename/recategorize, delete, add a manual entry).

Writes are submitted to the writer on the GUI thread (a queue put, in order); their futures
call back when they commit (``TaskRunner.when_done``). What they changed reaches the views
like every other committed change (``ChangeBridge``): merged into the range on screen, the
view kept.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from PySide6.QtGui import QUndoCommand
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.gui.tasks import TaskRunner

MANUAL_TYPE = "currentwindow"


def manual_bucket_name() -> str:
    return f"timelygator-manual_{socket.gethostname() or 'host'}"


class EventEditor:
    """What the commands need: services and a runner."""

    def __init__(self, services: Services, runner: TaskRunner) -> None:
        self.services = services
        self.runner = runner

    def await_future(self, future: Future[Any], on_done: Callable[[Any], None]) -> None:
        """``on_done(result)`` on the GUI thread once the write committed (no thread
        waits for it: the writer's future calls back)."""
        self.runner.when_done("write", future, on_done)


class _EventCommand(QUndoCommand):
    def __init__(self, editor: EventEditor, bucket_key: int, text: str) -> None:
        super().__init__(text)
        self.editor = editor
        self.bucket_key = bucket_key


class UpdateEventCommand(_EventCommand):
    """Replace an event's data (new title, app or ``$category``); undo restores it."""

    def __init__(self, editor: EventEditor, bucket_key: int, before: Event, after: Event) -> None:
        super().__init__(editor, bucket_key, "Edit span")
        self.before = before
        self.after = after

    def _write(self, event: Event) -> None:
        future = self.editor.services.writer.insert_events(self.bucket_key, [event])
        self.editor.await_future(future, lambda _r: None)

    def redo(self) -> None:
        self._write(self.after)

    def undo(self) -> None:
        self._write(self.before)


class DeleteEventCommand(_EventCommand):
    """Delete an event; undo stores it again (under a new id, remembered for redo)."""

    def __init__(self, editor: EventEditor, bucket_key: int, event: Event) -> None:
        super().__init__(editor, bucket_key, "Delete span")
        self.event = event

    def redo(self) -> None:
        assert self.event.id is not None
        future = self.editor.services.writer.delete_events(self.bucket_key, [self.event.id])
        self.editor.await_future(future, lambda _r: None)

    def undo(self) -> None:
        restored = replace(self.event, id=None)
        future = self.editor.services.writer.insert_events(self.bucket_key, [restored])

        def remember(stored: list[Event]) -> None:
            self.event = stored[0]

        self.editor.await_future(future, remember)


class AddEventCommand(_EventCommand):
    """Add a manual entry to the manual bucket; undo deletes it."""

    def __init__(self, editor: EventEditor, bucket_key: int, event: Event) -> None:
        super().__init__(editor, bucket_key, "Add manual entry")
        self.event = replace(event, data={**event.data, "$manual": True})
        self.stored: Event | None = None

    def redo(self) -> None:
        future = self.editor.services.writer.insert_events(
            self.bucket_key, [replace(self.event, id=None)]
        )

        def remember(stored: list[Event]) -> None:
            self.stored = stored[0]

        self.editor.await_future(future, remember)

    def undo(self) -> None:
        if self.stored is None or self.stored.id is None:
            return
        future = self.editor.services.writer.delete_events(self.bucket_key, [self.stored.id])
        self.editor.await_future(future, lambda _r: None)
