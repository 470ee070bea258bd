"""Regular expressions written by users, run in linear time (RE2).

Category rules, the query functions ``filter_keyvals_regex``/``categorize``/``tag``, the rule
preview and search all run patterns that someone typed or sent. Python's ``re`` backtracks:
``(a+)+$`` on a 28-character title took 9.4 s, holding the GIL all along, so a single
pattern could stall summaries, the app and every request of the API. RE2 (PyPI
``google-re2``) matches in time linear in the text, whatever the pattern, which is also how
ActivityWatch's own (Rust) server runs category rules.

The price is syntax RE2 does not have: lookarounds (``(?=``, ``(?!``, ``(?<=``, ``(?<!``),
back-references (``\\1``, ``(?P=name)``), possessive and atomic groups, and repetition counts
over 1000. Such a pattern is refused with a message that says so, never run another way.
Character classes follow RE2: ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import re2
from timelygator.core.errors import ValidationError

MAX_PATTERN_LENGTH = 10_000
_MAX_MEMORY = 64 << 20  # bytes RE2 may use for one compiled pattern

# RE2's complaint -> what the user wrote that RE2 lacks.
_UNSUPPORTED = (
    ("invalid perl operator: (?=", "lookahead '(?=...)'"),
    ("invalid perl operator: (?!", "negative lookahead '(?!...)'"),
    ("invalid perl operator: (?<=", "lookbehind '(?<=...)'"),
    ("invalid perl operator: (?<!", "negative lookbehind '(?<!...)'"),
    ("invalid perl operator: (?>", "atomic groups '(?>...)'"),
    ("invalid perl operator: (?P", "back-references '(?P=name)'"),
    ("invalid escape sequence: \\1", "back-references '\\1'"),
    ("invalid escape sequence: \\2", "back-references '\\2'"),
    ("invalid repetition size", "repetition counts over 1000"),
    ("bad repetition operator: *+", "possessive repetition '*+'"),
    ("bad repetition operator: ++", "possessive repetition '++'"),
    ("bad repetition operator: ?+", "possessive repetition '?+'"),
    ("pattern too large", "a pattern this large"),
)
LINEAR_NOTE = (
    "TimelyGator runs regular expressions in linear time with RE2, as ActivityWatch's server "
    "does; it has no lookarounds, back-references or possessive repetition"
)


@dataclass(frozen=True, slots=True, eq=False)
class UserPattern:
    """A compiled user pattern; ``search(text)`` is true when it matches anywhere."""

    pattern: str
    ignore_case: bool
    _regexp: re2._Regexp = field(repr=False)

    def search(self, text: str) -> bool:
        try:
            return self._regexp.search(text) is not None
        except UnicodeEncodeError:  # text holding a lone surrogate matches nothing
            return False


def _reason(error: BaseException) -> str:
    raw = error.args[0] if error.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for needle, what in _UNSUPPORTED:
        if text.startswith(needle):
            return f"it uses {what}. {LINEAR_NOTE}"
    return text or "it is not a valid regular expression"


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, *, ignore_case: bool = False) -> UserPattern:
    """Compile ``pattern`` for RE2; ValidationError with a plain reason when it cannot be."""
    if not isinstance(pattern, str):
        raise ValidationError("A regular expression must be text.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(
            f"A regular expression may have at most {MAX_PATTERN_LENGTH} characters."
        )
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    options.max_mem = _MAX_MEMORY
    try:
        regexp = re2.compile(pattern, options)
    except re2.error as exc:
        raise ValidationError(
            f"Invalid regular expression {pattern[:200]!r}: {_reason(exc)}."
        ) from None
    except (UnicodeEncodeError, TypeError):
        raise ValidationError(
            f"Invalid regular expression {pattern[:200]!r}: it is not valid Unicode text."
        ) from None
    return UserPattern(pattern, ignore_case, regexp)


def escape(text: str) -> str:
    """A pattern matching ``text`` literally."""
    return str(re2.escape(text))
