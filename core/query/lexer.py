"""Tokens of the ActivityWatch query language."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from timelygator.core.query.errors import QueryError

NAME = "name"
STRING = "string"
NUMBER = "number"
PUNCT = "punct"
EOF_KIND = "eof"

_PUNCT = frozenset("=;,()[]{}:-")
_MAX_DIGITS = 19  # longer integers are beyond 64 bits
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?")
_SPACE_RE = re.compile(r"(?:\s+|#[^\n]*)+")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "/": "/",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: Any
    offset: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split query text into tokens; ``#`` starts a comment that runs to the end of the line."""
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while True:
        space = _SPACE_RE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= size:
            tokens.append(Token(EOF_KIND, None, size, size))
            return tokens
        char = text[pos]
        if char in "\"'":
            value, end = _read_string(text, pos)
            tokens.append(Token(STRING, value, pos, end))
            pos = end
        elif char.isdigit() or (char == "." and pos + 1 < size and text[pos + 1].isdigit()):
            match = _NUMBER_RE.match(text, pos)
            assert match is not None
            raw = match.group()
            number: int | float = (
                int(raw) if raw.isdigit() and len(raw) <= _MAX_DIGITS else float(raw)
            )
            if not math.isfinite(number) or abs(number) >= 2**63:
                raise QueryError.at(
                    f"The number {raw[:30]} is out of range (the largest is about 9.2e18)",
                    text,
                    pos,
                )
            tokens.append(Token(NUMBER, number, pos, match.end()))
            pos = match.end()
        elif char.isalpha() or char == "_":
            name = _NAME_RE.match(text, pos)
            assert name is not None
            tokens.append(Token(NAME, name.group(), pos, name.end()))
            pos = name.end()
        elif char in _PUNCT:
            tokens.append(Token(PUNCT, char, pos, pos + 1))
            pos += 1
        else:
            raise QueryError.at(f"Unexpected character {char!r}", text, pos)


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read a quoted string at ``start``; JSON escapes are decoded, unknown ones kept as is.

    Keeping ``\\d`` or ``\\.`` verbatim lets regexes be written naively as well as JSON-escaped.
    """
    quote = text[start]
    parts: list[str] = []
    pos = start + 1
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == quote:
            return "".join(parts), pos + 1
        if char == "\n":
            break
        if char == "\\" and pos + 1 < size:
            nxt = text[pos + 1]
            if nxt in _ESCAPES:
                parts.append(_ESCAPES[nxt])
                pos += 2
                continue
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
                code = int(text[pos + 2 : pos + 6], 16)
                low = text[pos + 6 : pos + 12]
                if 0xD800 <= code < 0xDC00 and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", low):
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00)
                    pos += 6
                elif 0xD800 <= code < 0xE000:
                    raise QueryError.at(
                        "A \\u escape that is not text (a lone surrogate)", text, pos
                    )
                parts.append(chr(code))
                pos += 6
                continue
            parts.append(text[pos : pos + 2])
            pos += 2
            continue
        parts.append(char)
        pos += 1
    raise QueryError.at("Unterminated string", text, start)
