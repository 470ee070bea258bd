"""GUI tests: offscreen Qt, a private data dir and an in-memory keyring per test."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator
from datetime import date

import pytest
from timelygator.core.services import Services
from timelygator.gui.tasks import TaskRunner

from tests.helpers.keyring import MemoryKeyring

DEMO_DAY = date(2025, 3, 4)  # a Tuesday


@pytest.fixture(autouse=True)
def fake_keyring(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    """The suite's in-memory keyring (tests/conftest.py installs it for every test)."""
    return memory_keyring


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    """A task runner for pages and views under test; its jobs finish before teardown."""
    tasks = TaskRunner()
    yield tasks
    tasks.wait()


@pytest.fixture
def demo_services(services: Services) -> Services:
    from timelygator.gui.demo_data import store_days

    store_days(services, [DEMO_DAY])
    return services


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform warns about window-manager requests it cannot honour."""
    for item in items:
        if "tests/gui" in str(item.path).replace("\\", "/"):
            item.add_marker(
                pytest.mark.qt_log_ignore(
                    "does not support propagateSizeHints", "does not support raise"
                )
            )
