"""Binding NULL goes through the registered adapter (core.store.bind_none_directly).

Events without a UTC offset (everything the API and an ActivityWatch import bring in) bind
one NULL each. Without the registered adapter, sqlcipher3 spent ~1.1 µs per NULL looking for
a way to adapt ``None`` (2.9x the cost of binding an integer), which made bulk inserts
1.3x slower encrypted than plain. How fast it is now is a benchmark figure
(``tests/benchmarks/storage.py``: ``null_bind_vs_integer_x``); here, that the adapter is
there for both drivers and that NULL is still stored as NULL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher
from timelygator.core.keys import DataKey
from timelygator.core.store import Store

ROWS = 1000


def test_both_drivers_bind_none_through_the_adapter_and_store_null(tmp_path: Path) -> None:
    for key, module in ((DataKey.generate(), sqlcipher), (None, sqlite3)):
        store = Store(tmp_path / f"binding-{module.__name__}.db", key)
        try:
            adapter = module.adapters[(type(None), module.PrepareProtocol)]
            assert adapter(None) is None
            with store.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute("CREATE TEMP TABLE t (a INTEGER, b INTEGER)")
                raw.executemany("INSERT INTO t VALUES (?, ?)", [(i, None) for i in range(ROWS)])
                stored = raw.execute("SELECT count(*), count(b), typeof(b) FROM t").fetchone()
        finally:
            store.close()
        assert tuple(stored) == (ROWS, 0, "null")  # every row stored, every b NULL
