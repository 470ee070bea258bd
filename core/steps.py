"""Named steps of the multi-step file and key operations, for fault injection.

Rekeying, restoring, backing up, changing the passphrase, salvaging and retention each change
more than one file or key. Between two durable steps they call ``step(operation, name)``; in
normal use that does nothing. Tests install a hook (``hooked``) that records the steps, or that
raises or ends the process (``os._exit``) at a chosen one, and then check that the data folder
opens with the right key and holds the same data, whichever step the operation died at
(``tests/core/test_fault_injection.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

StepHook = Callable[[str, str], None]

_hook: StepHook | None = None


def step(operation: str, name: str) -> None:
    """``operation`` reached step ``name`` (everything before it is on disk)."""
    hook = _hook
    if hook is not None:
        hook(operation, name)


@contextmanager
def hooked(hook: StepHook) -> Iterator[None]:
    """Call ``hook(operation, step)`` at every step while the block runs."""
    global _hook
    previous = _hook
    _hook = hook
    try:
        yield
    finally:
        _hook = previous
