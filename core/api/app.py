"""The FastAPI application factory.

``create_app(services, config)`` builds a fresh app over an open ``Services``: nothing is
created at import time. State lives on ``app.state.ctx`` (``ApiContext``).
"""

from __future__ import annotations

from fastapi import FastAPI

from core import __version__
from core.api.config import ApiConfig
from core.api.context import ApiContext
from core.api.errors import install_error_handlers
from core.api.fastroutes import FastRoutes
from core.api.guard import GuardMiddleware
from core.api.metrics import MetricsMiddleware
from core.api.routers import buckets, events, live, query, settings, system, tokens, transfer
from core.services import Services

DESCRIPTION = """\
TimelyGator's local REST API. `/api/0` speaks ActivityWatch's wire format (aw-client,
aw-watcher-web and editor watchers work unchanged). Every route except `/api/0/info` and
`/health` needs `Authorization: Bearer <token>` (scopes read / write / admin).
"""


def create_app(services: Services, config: ApiConfig | None = None) -> FastAPI:
    """A new API app over ``services`` (which stays owned by the caller)."""
    config = config or ApiConfig()
    ctx = ApiContext(services, config)
    app = FastAPI(
        title="TimelyGator API",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs" if config.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if config.docs else None,
        redirect_slashes=False,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in (system, buckets, events, transfer, query, settings, tokens, live):
        app.include_router(module.router)
    # Innermost first: the fast routes run inside the guard and the metrics, like the router.
    if config.fast_routes:
        app.add_middleware(FastRoutes, ctx=ctx, routes=events.router.routes)
    app.add_middleware(GuardMiddleware, config=config)
    app.add_middleware(MetricsMiddleware, metrics=ctx.metrics)
    return app
