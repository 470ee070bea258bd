import multiprocessing
import sys

from timelygator.gui.main import main

if __name__ == "__main__":
    # A frozen app (PyInstaller) starting one of its worker processes (``timelygator serve``
    # runs queries in some) runs that worker here instead of the app.
    multiprocessing.freeze_support()
    sys.exit(main())
