"""A sound literal prefilter for category regexes: skip a rule whose literals are absent.

Most category rules are alternations of words (``zoom|teams|meet\\.google``). For each rule,
``required_literals`` finds strings of which any match must contain at least one (read from
the parsed regex; ``None`` when that cannot be proven). ``LiteralIndex`` then tells, for a
value, which rules *may* match, by looking up the value's three-character slices in an index
of those literals: one pass over the value instead of one regex scan per rule. Rules that
cannot be filtered (no literal, non-ASCII literals, scoped flags) are always searched;
literals shorter than three characters are looked for directly. Candidates are then confirmed
with the real regex, so results never change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

try:  # CPython's regex parser (re._parser since 3.11)
    from re import _constants as _sre_const  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters: no prefilter
    _sre_parse = None
    _sre_const = None

GRAM = 3
_FEW = 4  # up to this many literals, ``candidates`` looks for each instead of indexing grams
# Characters that re's ignore-case matching equates with ASCII letters although their
# lower() is not ASCII (long s, Kelvin sign, dotless/dotted i): values holding them skip the
# prefilter.
_FOLD_RISK = frozenset("\u017f\u212a\u0131\u0130")


def _required(items: Sequence[Any]) -> list[str] | None:
    """Literals of which every match of the sequence ``items`` contains one, or None."""
    c = _sre_const
    best: list[str] | None = None
    run: list[str] = []
    runs: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            runs.append("".join(run))
            run = []
    if run:
        runs.append("".join(run))
    if runs:
        best = [max(runs, key=len)]
    for op, av in items:
        option: list[str] | None = None
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                return None
            option = _required(sub.data if hasattr(sub, "data") else sub)
        elif op is c.BRANCH:
            found: list[str] = []
            for alternative in av[1]:
                lits = _required(alternative.data if hasattr(alternative, "data") else alternative)
                if lits is None:
                    found = []
                    break
                found.extend(lits)
            option = found or None
        if option and (best is None or min(map(len, option)) > min(map(len, best))):
            best = option
    return best


def required_literals(pattern: str, ignore_case: bool) -> tuple[list[str], bool] | None:
    """(literals, case-insensitive) such that any match contains one literal; None if unknown."""
    if _sre_parse is None or not pattern or "[:" in pattern:
        # Patterns run under RE2 (core.patterns); Python's parser reads RE2's POSIX classes
        # ("[[:alpha:]]") as a set of letters, so such a pattern is never prefiltered.
        # (Where the two parsers differ otherwise, Python's refuses the pattern: None too.)
        return None
    try:
        parsed = _sre_parse.parse(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, RecursionError, ValueError, TypeError):
        return None
    flags = parsed.state.flags
    folded = bool(flags & re.IGNORECASE)
    try:
        literals = _required(parsed.data)
    except (AttributeError, TypeError, ValueError):
        return None
    if not literals or any(not x or not x.isascii() for x in literals):
        return None
    if folded:
        literals = [x.lower() for x in literals]
    return sorted(set(literals)), folded


class LiteralIndex:
    """Which of the bit-numbered rules may match a value."""

    def __init__(self, patterns: Sequence[tuple[int, str, bool]]) -> None:
        """``patterns``: (bit, regex, ignore_case) for every rule."""
        self.always = 0
        # first three characters (lower-cased) -> (bit, literal, case-insensitive)
        self.index: dict[tuple[str, ...], list[tuple[int, str, bool]]] = {}
        self.short: list[tuple[int, str, bool]] = []  # literals shorter than GRAM
        for bit, regex, ignore_case in patterns:
            found = required_literals(regex, ignore_case)
            if found is None:
                self.always |= bit
                continue
            literals, folded = found
            for literal in literals:
                if len(literal) < GRAM:
                    self.short.append((bit, literal, folded))
                else:
                    key = tuple(literal[:GRAM].lower())
                    self.index.setdefault(key, []).append((bit, literal, folded))
        self.keys = frozenset(self.index)
        indexed = [entry for entries in self.index.values() for entry in entries]
        self.few = indexed if len(indexed) <= _FEW else None

    def candidates(self, value: str) -> int:
        """A bit mask of the rules that may match ``value`` (a superset of those that do)."""
        if not self.index and not self.short:
            return self.always
        low = value.lower()
        if not value.isascii() and not _FOLD_RISK.isdisjoint(value):
            return -1  # every rule
        mask = self.always
        for bit, literal, folded in self.short:
            if not mask & bit and literal in (low if folded else value):
                mask |= bit
        if self.few is not None:  # a few literals: looking for each is cheaper than grams
            for bit, literal, folded in self.few:
                if not mask & bit and literal in (low if folded else value):
                    mask |= bit
            return mask
        grams = set(zip(low, low[1:], low[2:], strict=False))  # GRAM = 3, built in C
        index = self.index
        for gram in self.keys.intersection(grams):
            for bit, literal, folded in index[gram]:
                if not mask & bit and literal in (low if folded else value):
                    mask |= bit
        return mask


# Characters JSON text may hold escaped: a literal holding one is not looked for in JSON text.
_JSON_ESCAPED = frozenset('"\\/')


def json_literals(literals: Sequence[str]) -> list[str] | None:
    """``literals`` lower-cased for ``text_may_contain``, or None if one cannot be looked for
    in JSON text (not ASCII, or a character JSON may escape)."""
    if any(
        not x or not x.isascii() or not _JSON_ESCAPED.isdisjoint(x) or min(map(ord, x)) < 32
        for x in literals
    ):
        return None
    return [x.lower() for x in literals]


def may_fold_to_ascii(text: str) -> bool:
    """True if ``text`` holds a character that ignore-case matching folds to an ASCII letter
    (a literal search on the lower-cased text cannot rule such a text out)."""
    return not text.isascii() and not _FOLD_RISK.isdisjoint(text)


def text_may_contain(text: str, literals: Sequence[str]) -> bool:
    """False only if no string in the JSON object ``text`` (nor a domain derived from its
    ``url``) can contain any of ``literals`` (from ``json_literals``), whatever the case.

    Sound for JSON text without escapes: its string values appear in it verbatim, and a
    domain is a lower-cased part of a URL. Text with escapes, or with characters that fold
    to ASCII letters, answers True.
    """
    if "\\" in text or may_fold_to_ascii(text):
        return True
    low = text.lower()
    return any(literal in low for literal in literals)
