"""This installation's device id: a UUID written once into the data folder (``device_id``).

``GET /api/0/info`` answers it as ActivityWatch does, and the sync names this device's
buckets on a server with it (``core.sync``), so two computers never write into one bucket,
whatever their hostnames. A data folder keeps its id; a new folder gets a new one.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from timelygator.core import files

DEVICE_ID_FILE = "device_id"


def load_device_id(data_dir: Path) -> str:
    """This installation's id: a UUID written once into the data directory."""
    path = data_dir / DEVICE_ID_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
        return str(uuid.UUID(text))
    except (OSError, ValueError):
        pass
    device_id = str(uuid.uuid4())
    tmp = path.with_name(path.name + ".tmp")
    with files.private_umask():
        tmp.write_text(device_id + "\n", encoding="utf-8")
    tmp.replace(path)
    return device_id
