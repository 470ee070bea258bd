"""Marks shared by tests."""

from __future__ import annotations

import pytest

# A query's deadline on a thread is kept by raising an exception in that thread; when it
# lands in a garbage-collector callback (hypothesis installs one) Python reports it as
# "ignored" and the watchdog raises it again (core.query.budget): expected, not a leak.
DEADLINE_IN_THREAD = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
