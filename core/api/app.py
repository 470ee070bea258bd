"""The FastAPI application factory.

``create_app(services, config)`` builds a fresh app over an open ``Services``: nothing is
created at import time. State lives on ``app.state.ctx`` (``ApiContext``).

Every request passes TimelyGator's own ASGI layers first, outermost first: metrics, the
guard (Host, CORS, body size), the fast routes (core.api.fastroutes); then FastAPI's stack
(server errors, exception handlers, routing). The fast routes answer most of the traffic
without entering FastAPI at all.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from timelygator.core import __version__
from timelygator.core.api.config import ApiConfig
from timelygator.core.api.context import ApiContext
from timelygator.core.api.errors import install_error_handlers
from timelygator.core.api.fastroutes import FastRoutes
from timelygator.core.api.guard import GuardMiddleware
from timelygator.core.api.metrics import MetricsMiddleware
from timelygator.core.api.routers import (
    buckets,
    categories,
    events,
    insights,
    live,
    query,
    settings,
    summaries,
    sync,
    system,
    tokens,
    transfer,
    users,
)
from timelygator.core.services import Services

DESCRIPTION = """\
TimelyGator's local REST API. `/api/0` speaks ActivityWatch's wire format (aw-client,
aw-watcher-web and editor watchers work unchanged). Every route except `/api/0/info` and
`/health` needs `Authorization: Bearer <token>` (scopes read / write / admin). Each token
belongs to one user and reaches only that user's data; the admin scope also manages the
server's users (`/api/0/users`) and their tokens.
"""


class ApiApp(FastAPI):
    """FastAPI behind TimelyGator's own ASGI layers (``front``, set by ``create_app``)."""

    front: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)


def create_app(services: Services, config: ApiConfig | None = None) -> FastAPI:
    """A new API app over ``services`` (which stays owned by the caller)."""
    config = config or ApiConfig()
    ctx = ApiContext(services, config)
    app = ApiApp(
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
    for module in (system, buckets, events, transfer, sync, query, settings, tokens, users, live):
        app.include_router(module.router)
    for module in (categories, summaries, insights):
        app.include_router(module.router)
    front: ASGIApp = partial(FastAPI.__call__, app)
    if config.fast_routes:
        front = FastRoutes(front, ctx, events.router.routes)
    front = GuardMiddleware(front, config=config)
    app.front = MetricsMiddleware(front, metrics=ctx.metrics)
    return app
