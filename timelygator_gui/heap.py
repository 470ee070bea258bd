"""Keep Python's cyclic garbage collector off the GUI thread's critical path.

A loaded range is tens of thousands of long-lived objects (events, their data dicts, lane
arrays). Left in the collector's generations, every full collection walks all of them: a
100 ms pause in the middle of a pan. ``settle()`` moves everything alive now into the
permanent generation (``gc.freeze``), so collections only walk what is new. Frozen objects are
still freed by reference counting when a newer range replaces them (the range data has no
reference cycles); only cyclic garbage created before a freeze is kept, which is small.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call when freshly loaded, long-lived data is in place (GUI thread, cheap)."""
    gc.freeze()
