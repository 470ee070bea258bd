"""``run_app(args)``: the desktop app's entry point (called by ``timelygator`` with no command)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from timelygator.core import __version__
from timelygator.core.cli.common import dirs_from, passphrase_from
from timelygator.core.errors import TimelyGatorError
from timelygator.core.logs import setup_logging

log = logging.getLogger(__name__)


def run_app(args: argparse.Namespace) -> int:
    """Start the GUI for the data directory in ``args``; returns the exit code."""
    from PySide6.QtWidgets import QApplication
    from timelygator.gui.app_controller import AppController
    from timelygator.gui.desktop_entry import APP_ID
    from timelygator.gui.error_dialog import ErrorDialog
    from timelygator.gui.icons import app_icon
    from timelygator.gui.posix_signals import install_quit_on_signals
    from timelygator.gui.single_instance import SingleInstance

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("TimelyGator")
    app.setOrganizationName("TimelyGator")
    # The menu entry's name: Wayland desktops match the window to it (icon, name, pinning).
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    dirs = dirs_from(args)
    setup_logging(
        dirs, "app", verbose=bool(getattr(args, "verbose", False)), console_level=logging.INFO
    )
    log.info("TimelyGator %s starting", __version__)
    try:
        passphrase = passphrase_from(args)
    except TimelyGatorError as exc:
        ErrorDialog.for_exception(exc).exec()
        return exc.exit_code
    instance = SingleInstance(dirs.data)
    if instance.forward_to_running():
        log.info("TimelyGator is already running for %s; showing its window", dirs.data)
        return 0
    instance.listen()
    controller = AppController(
        dirs,
        passphrase,
        start_minimized=bool(args.minimized),
        from_terminal=sys.stdin is not None and sys.stdin.isatty(),
    )
    controller.crash.install()
    instance.sig_show_requested.connect(controller.window.bring_to_front)
    controller.sig_finished.connect(app.exit)
    stopper = install_quit_on_signals(controller.quit)
    controller.start()
    code = app.exec()
    if stopper is not None:
        stopper.close()
    instance.close()
    controller.runner.wait(10_000)
    controller.lifecycle.wait(10_000)
    host = controller.watcher_host
    if host is not None and host.stuck:
        # The data is saved and closed; a watcher blocked in a native call would abort the
        # interpreter's teardown ("QThread: Destroyed while thread is still running").
        names = ", ".join(t.objectName() for t, _w in host.stuck)
        log.warning("Exiting without waiting for blocked watcher threads: %s", names)
        logging.shutdown()
        os._exit(int(code))
    return int(code)
