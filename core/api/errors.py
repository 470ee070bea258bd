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
from timelygator.core.api.wire import message
from timelygator.core.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    TimelyGatorError,
    ValidationError,
)

log = logging.getLogger(__name__)

# Seconds a client is asked to wait after a 503 (the database was busy or failing).
RETRY_AFTER_S = 5


class ApiError(HTTPException):
    """An HTTP error with a user-facing message (and optional headers)."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=text, headers=headers)


_LOCATIONS = {"body": "the request body", "query": "the query string", "path": "the URL"}


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "null"})


def _is_type_tag(part: Any) -> bool:
    """A union member's name that pydantic puts in an error's location (``list[str]``)."""
    return isinstance(part, str) and (part in _TYPE_TAGS or "[" in part or "-" in part)


def _field(loc: tuple[Any, ...]) -> str:
    """``('body', 'timeperiods', 3)`` -> ``timeperiods[3]``; '' for the whole body."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    text = ""
    for part in parts:
        if _is_type_tag(part):
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)[:60]
    return text


def _plain(kind: str, ctx: dict[str, Any]) -> str:
    """What a pydantic error type means, in plain words (never a pydantic name)."""
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind in ("string_type", "string_unicode"):
        return "must be text"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "must be a JSON object"
    if kind in ("list_type", "tuple_type", "iterable_type"):
        return "must be a list"
    if kind == "string_too_long":
        return f"may have at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} character(s)"
    if kind == "too_long":
        return f"may have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}"
    return "has a value that is not allowed"


def describe_errors(errors: list[Any]) -> str:
    """Validation errors as sentences naming each field (alternatives of one field joined)."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        if error.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        loc = tuple(error.get("loc", ()))
        where = _field(loc)
        if not where:
            place = _LOCATIONS.get(str(loc[0]), "the request") if loc else "the request"
            where = f"<{place}>"
        ctx = error.get("ctx")
        meaning = _plain(str(error.get("type", "")), ctx if isinstance(ctx, dict) else {})
        meanings = by_field.setdefault(where, [])
        if meaning not in meanings:
            meanings.append(meaning)
    sentences = []
    for where, meanings in list(by_field.items())[:3]:
        name = where[1:-1].capitalize() if where.startswith("<") else f"'{where}'"
        sentences.append(f"{name} {', or '.join(meanings)}.")
    return " ".join(sentences) or "The request is not valid."


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return message(describe_errors(list(exc.errors())), 400)


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
        return message(str(exc), 503, {"Retry-After": str(RETRY_AFTER_S)})
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
