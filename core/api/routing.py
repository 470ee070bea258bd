"""Registering a route under both spellings of its path (with and without "/")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

F = TypeVar("F", bound=Callable[..., Any])


def route(router: APIRouter, path: str, methods: list[str], **kwargs: Any) -> Callable[[F], F]:
    """Add ``fn`` at ``path`` and at its twin with/without a trailing slash (no redirects)."""
    twin = path[:-1] if path.endswith("/") else path + "/"

    def decorate(fn: F) -> F:
        router.add_api_route(path, fn, methods=methods, **kwargs)
        router.add_api_route(twin, fn, methods=methods, include_in_schema=False, **kwargs)
        return fn

    return decorate
