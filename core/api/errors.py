"""Every error leaves as ``{"message": ...}`` with the right status code.

FastAPI's 422 validation errors become 400; core errors map by type; anything unexpected
is logged (without request data) and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.api.wire import message
from core.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    TimelyGatorError,
    ValidationError,
)

log = logging.getLogger(__name__)


class ApiError(HTTPException):
    """An HTTP error with a user-facing message (and optional headers)."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=text, headers=headers)


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind == "missing":
        return f"'{where}' is required." if where else "A request body is required."
    text = str(error.get("msg", "invalid value"))
    return f"'{where}': {text}." if where else f"{text}."


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    text = "; ".join(_describe(e) for e in errors[:3]) or "Invalid request."
    return message(text, 400)


def http_error_response(exc: HTTPException) -> Response:
    """The ``{"message": ...}`` answer to an HTTPException (ApiError among them)."""
    text = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 405:
        text = "This method is not allowed here."
    elif exc.status_code == 404 and text == "Not Found":
        text = "There is no such API endpoint."
    return message(text, exc.status_code, dict(exc.headers or {}))


def core_error_response(exc: TimelyGatorError) -> Response:
    """The answer to a core error: 404, 400, 409, 503 or 500 by its type."""
    if isinstance(exc, NotFoundError):
        return message(str(exc), 404)
    if isinstance(exc, ValidationError):
        return message(str(exc), 400)
    if isinstance(exc, ConflictError):
        return message(str(exc), 409)
    if isinstance(exc, StorageError):
        return message(str(exc), 503)
    return message(str(exc), 500)


async def _http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_error_response(exc)


async def _core(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TimelyGatorError)
    return core_error_response(exc)


def unexpected_error_response(exc: Exception) -> Response:
    """Log an unexpected error (never the request's data) and answer a generic 500."""
    log.error("Unexpected error while answering a request: %s", type(exc).__name__, exc_info=exc)
    return message("Internal error; the request was not completed. See the server log.", 500)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    return unexpected_error_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(TimelyGatorError, _core)
    app.add_exception_handler(Exception, _unexpected)
