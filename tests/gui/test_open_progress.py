"""Opening a database that needs a schema upgrade shows what is happening, then the views."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from timelygator.core.keys import KeyStore
from timelygator.core.paths import AppDirs
from timelygator.core.schema import MIGRATIONS_DIR, SCHEMA_VERSION
from timelygator.core.services import Services
from timelygator.core.store import Store
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.open_progress import STEP_TEXT, TITLE, OpenStep

from tests.gui.app_helpers import finish_app


def _make_previous_schema(dirs: AppDirs) -> None:
    """A database as the previous release left it (schema SCHEMA_VERSION - 1)."""
    Services.open(dirs, None).close()
    # A writer of its own: ``open_store`` only reads (it never changes a key or a file).
    store = Store(dirs.database, KeyStore(dirs).load(None)[0])
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, f"{SCHEMA_VERSION - 1:04d}")
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    finally:
        store.close()


def test_upgrade_shows_progress_then_the_views(dirs: AppDirs, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    _make_previous_schema(dirs)
    app = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    qtbot.addWidget(app.window)
    window = app.window
    shown: list[tuple[OpenStep, str, str, bool]] = []
    app.open_progress.sig_step.connect(
        lambda step: shown.append(
            (step, window.busy.title.text(), window.busy.detail.text(),
             window.stack.currentWidget() is window.busy)
        ),
    )  # fmt: skip
    with qtbot.waitSignal(app.sig_ready, timeout=30_000):
        app.start()
    # Each step was on screen in place of the views (the slot above runs after the window's).
    assert [s[0] for s in shown] == [OpenStep.BACKUP, OpenStep.UPGRADE]
    assert all(title == TITLE and busy for _step, title, _detail, busy in shown)
    assert [s[2] for s in shown] == [STEP_TEXT[OpenStep.BACKUP], STEP_TEXT[OpenStep.UPGRADE]]
    assert window.stack.currentWidget() is window.tabs
    assert len(list(dirs.backups.glob(f"pre-migration-v{SCHEMA_VERSION - 1}-*.db"))) == 1
    assert app.services is not None and app.services.store.user_version() == SCHEMA_VERSION
    finish_app(app, qtbot)


def test_current_schema_opens_without_the_panel(dirs: AppDirs, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    Services.open(dirs, None).close()
    app = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    qtbot.addWidget(app.window)
    steps: list[object] = []
    app.open_progress.sig_step.connect(steps.append)
    with qtbot.waitSignal(app.sig_ready, timeout=30_000):
        app.start()
    assert steps == []
    assert app.window.stack.currentWidget() is app.window.tabs
    finish_app(app, qtbot)
