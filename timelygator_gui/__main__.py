"""``python -m timelygator.gui``: the same as ``python -m timelygator``."""

import sys

from timelygator.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
