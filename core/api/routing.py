"""Registering a route under both spellings of its path (with and without "/"), with
TimelyGator's request class (bodies parsed by ``core.api.wire.loads``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request, params
from fastapi.routing import APIRoute
from starlette.responses import Response
from timelygator.core.api.errors import ApiError
from timelygator.core.api.wire import loads
from timelygator.core.errors import ValidationError

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


_JSON = (b"content-type", b"application/json")


def _is_json(value: bytes) -> bool:
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class ApiRoute(APIRoute):
    """Routes whose body is JSON read it as JSON whatever ``Content-Type`` says (curl's
    ``-d`` sends a form type, some clients none): "JSON in and out", as ActivityWatch's
    clients expect, instead of a body taken for raw bytes and refused as "not an object"."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        json_body = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def handle(request: Request) -> Response:
            scope = request.scope
            if json_body:
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                types = [v for k, v in scope["headers"] if k == b"content-type"]
                if len(types) != 1 or not _is_json(types[0]):
                    scope = {**scope, "headers": [*headers, _JSON]}
            return await handler(ApiRequest(scope, request.receive))

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
