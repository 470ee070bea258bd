import sys

from timelygator_gui.main import main

sys.exit(main())
