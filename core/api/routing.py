"""Registering a route under both spellings of its path (with and without "/"), with
TimelyGator's request class (bodies parsed by ``core.api.wire.loads``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from core.api.errors import ApiError
from core.api.wire import loads
from core.errors import ValidationError

F = TypeVar("F", bound=Callable[..., Any])


class ApiRequest(Request):
    """A request whose JSON body is parsed as every other body of the API: strict JSON and
    valid Unicode (a lone surrogate anywhere is a 400 naming it, never stored)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads(await self.body())
            except ValidationError as exc:
                # FastAPI answers other exceptions here with a vague "error parsing the body".
                raise ApiError(400, str(exc)) from None
        return self._json


class ApiRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(ApiRequest(request.scope, request.receive))

        return handle


def route(router: APIRouter, path: str, methods: list[str], **kwargs: Any) -> Callable[[F], F]:
    """Add ``fn`` at ``path`` and at its twin with/without a trailing slash (no redirects)."""
    twin = path[:-1] if path.endswith("/") else path + "/"

    def decorate(fn: F) -> F:
        router.add_api_route(path, fn, methods=methods, route_class_override=ApiRoute, **kwargs)
        router.add_api_route(
            twin,
            fn,
            methods=methods,
            include_in_schema=False,
            route_class_override=ApiRoute,
            **kwargs,
        )
        return fn

    return decorate
