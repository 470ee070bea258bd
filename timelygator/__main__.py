"""``python -m timelygator``: the app, or one of its commands (``--help`` lists them)."""

import multiprocessing
import sys

from timelygator.gui.main import main


def run() -> int:
    # A frozen app (PyInstaller) starting one of its worker processes (``timelygator serve``
    # runs queries in some) runs that worker here instead of the app.
    multiprocessing.freeze_support()
    return main()


if __name__ == "__main__":
    sys.exit(run())
