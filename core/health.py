"""How the database is doing, for ``/health`` and the app's status: ok, damaged, unavailable.

"damaged" once any read or write of this process met a damaged page (``Store.damaged``, the
writer's last error) or the probe itself did; the probe reads one small table, so it is
cheap enough for every health check.
"""

from __future__ import annotations

from sqlalchemy import func, select
from timelygator.core.errors import DatabaseCorruptError, StorageError
from timelygator.core.models import buckets_table
from timelygator.core.services import Services

OK = "ok"
DAMAGED = "damaged"
UNAVAILABLE = "unavailable"

_PROBE = select(func.count()).select_from(buckets_table)


def database_state(services: Services) -> str:
    """``ok``, ``damaged`` or ``unavailable`` (locked, disk gone, closed)."""
    if services.store.damaged or isinstance(services.writer.last_error, DatabaseCorruptError):
        return DAMAGED
    try:
        with services.read() as conn:
            conn.execute(_PROBE).scalar_one()
    except DatabaseCorruptError:
        return DAMAGED
    except (StorageError, Exception):
        return UNAVAILABLE
    return OK
