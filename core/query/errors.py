"""The one error type the query engine raises."""

from __future__ import annotations

from timelygator.core.errors import ValidationError


class QueryError(ValidationError):
    """A query that cannot be parsed or run; carries the position when it is known.

    ``offset`` is the 0-based character offset in the (joined) query text; ``line`` and
    ``column`` are 1-based.
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
        if line is not None and column is not None:
            super().__init__(f"{message} (at line {line}, column {column})")
        else:
            super().__init__(message)

    @classmethod
    def at(cls, message: str, text: str, offset: int) -> QueryError:
        """An error at ``offset`` of ``text``, with line and column worked out."""
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return cls(message, offset=offset, line=line, column=column)
