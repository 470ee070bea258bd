"""The local REST API (ActivityWatch-compatible ``/api/0`` plus TimelyGator's own routes).

``create_app(services, config)`` builds the FastAPI app; ``ApiServer`` runs it with uvicorn
on a thread of its own (embedded in the desktop app or under ``timelygator serve``).
"""

from timelygator.core.api.app import create_app
from timelygator.core.api.config import ApiConfig
from timelygator.core.api.server import ApiServer

__all__ = ["ApiConfig", "ApiServer", "create_app"]
