"""``/api/0/info`` (public), ``/health`` (public) and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from timelygator.core import __version__
from timelygator.core.api.deps import Ctx, ReadAccess
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Health, Info
from timelygator.core.api.wire import JSONBytes
from timelygator.core.health import database_state
from timelygator.core.writer import WriterState

router = APIRouter(tags=["system"])

# The ActivityWatch server release whose /api/0 this API speaks, first (version sniffers read
# the leading "vX.Y.Z"), then what answers: as aw-server-rust says "v0.13.2 (rust)".
ACTIVITYWATCH_API = "0.13.2"
VERSION = f"v{ACTIVITYWATCH_API} (TimelyGator {__version__})"


@route(router, "/api/0/info", ["GET"], response_model=Info)
async def info(ctx: Ctx) -> JSONBytes:
    """Server hostname, version, testing flag and this installation's device id (no token)."""
    return JSONBytes(
        {
            "hostname": ctx.config.hostname,
            "version": VERSION,
            "testing": ctx.config.testing,
            "device_id": ctx.device_id,
        }
    )


@route(router, "/health", ["GET"], response_model=Health, responses={503: {"model": Health}})
async def health(ctx: Ctx) -> JSONBytes:
    """Liveness plus a database round trip (no token; reveals no data)."""

    database = await run_in_threadpool(database_state, ctx.services)
    writer = ctx.services.writer.state
    healthy = database == "ok" and writer is WriterState.RUNNING
    return JSONBytes(
        {"status": "ok" if healthy else "degraded", "database": database, "writer": str(writer)},
        status_code=200 if healthy else 503,
    )


@route(router, "/metrics", ["GET"], response_class=Response)
async def metrics(ctx: Ctx, _who: ReadAccess) -> Response:
    """Prometheus text: requests by route and status, latencies, writer queue, events stored."""
    body = await run_in_threadpool(ctx.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
