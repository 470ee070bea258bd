"""The matching engine shared by the query function ``categorize`` and the rest of the app.

Rules are compiled once; results are memoized per distinct data value. Browser events are
matched on ``url``, on ``$domain`` (derived from ``url`` without ``www.`` when absent) and on
``title`` like any other string value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from core.categories.model import UNCATEGORIZED, Category, Rule
from core.categories.prefilter import LiteralIndex
from core.errors import ValidationError

log = logging.getLogger(__name__)

_MEMO_LIMIT = 200_000
_Search = Callable[[str], object]
# (path, search, select_keys)
_Step = tuple[tuple[str, ...], _Search, tuple[str, ...] | None]


@lru_cache(maxsize=65536)
def domain_of(url: str) -> str:
    """The host of ``url`` without ``www.``, lower-cased ("" when there is none)."""
    scheme_end = url.find("://")
    if 0 < scheme_end < 10 and url[:scheme_end].isalpha():
        # Fast path for the usual "https://host[:port]/..." (same result as urlsplit).
        rest = url[scheme_end + 3 :]
        cut = len(rest)
        for sep in "/?#":
            found = rest.find(sep)
            if 0 <= found < cut:
                cut = found
        host = rest[:cut]
        if "@" not in host and "[" not in host and "\\" not in host:
            host = host.split(":", 1)[0].lower()
            return host[4:] if host.startswith("www.") else host
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def data_key(data: Mapping[str, Any]) -> Hashable:
    """A hashable key for the parts of ``data`` that matching can see (its string values)."""
    try:
        key = tuple(data.items())
        hash(key)
    except TypeError:
        return tuple((k, v) for k, v in data.items() if isinstance(v, str))
    return key


def _string_values(data: Mapping[str, Any], keys: tuple[str, ...] | None) -> list[str]:
    if keys is None:
        values = [v for v in data.values() if isinstance(v, str)]
        if "$domain" not in data and isinstance(data.get("url"), str):
            values.append(domain_of(data["url"]))
        return values
    out: list[str] = []
    for key in keys:
        value = data.get(key)
        if value is None and key == "$domain" and isinstance(data.get("url"), str):
            value = domain_of(data["url"])
        if isinstance(value, str):
            out.append(value)
    return out


def _compile(rule: Rule, strict: bool) -> re.Pattern[str] | None:
    try:
        return rule.compile()
    except ValidationError:
        if strict:
            raise
        log.warning("Ignoring category rule with invalid regex %r", rule.regex)
        return None


class _Matcher:
    """Rules compiled into ranked (path, search, keys) steps.

    Each distinct string is searched once per rule set: ``_value_mask`` caches, per string, a
    bit mask of the steps whose regex it matches (bit i = step i), so a new data value costs a
    few dict look-ups when its strings were seen before (app names, titles, URLs repeat).
    """

    def __init__(
        self, rules: Iterable[tuple[Sequence[str], Rule]], *, strict: bool, ranked: bool
    ) -> None:
        self.rules: list[tuple[tuple[str, ...], Rule]] = [(tuple(p), r) for p, r in rules]
        ordered: list[tuple[int, int, _Step]] = []
        for index, (path, rule) in enumerate(self.rules):
            pattern = _compile(rule, strict)
            if pattern is None or not path:
                continue
            rank = rule.priority if rule.priority is not None else len(path) * 10
            keys = tuple(rule.select_keys) if rule.select_keys else None
            ordered.append((rank if ranked else 0, index, (path, pattern.search, keys)))
        if ranked:
            # Highest rank first, the later rule first on ties: the first match wins.
            ordered.sort(key=lambda item: (item[0], item[1]), reverse=True)
        self.steps = [step for _, _, step in ordered]
        patterns = []
        for bit_index, (_, _, (_, search, _)) in enumerate(ordered):
            compiled: re.Pattern[str] = search.__self__  # type: ignore[attr-defined]
            ignore_case = bool(compiled.flags & re.IGNORECASE)
            patterns.append((1 << bit_index, compiled.pattern, ignore_case))
        self._prefilter = LiteralIndex(patterns)
        self._keyed = [(1 << i, keys) for i, (_, _, keys) in enumerate(self.steps) if keys]
        self._keyed_bits = sum(bit for bit, _ in self._keyed)
        self._masks: dict[str, int] = {}

    def _value_mask(self, value: str) -> int:
        mask = self._masks.get(value)
        if mask is None:
            mask = 0
            candidates = self._prefilter.candidates(value)
            for index, (_, search, _) in enumerate(self.steps):
                if candidates >> index & 1 and search(value):
                    mask |= 1 << index
            if len(self._masks) >= _MEMO_LIMIT:
                self._masks.clear()
            self._masks[value] = mask
        return mask

    def matches(self, data: Mapping[str, Any], first_only: bool) -> list[tuple[str, ...]]:
        value_mask = self._value_mask
        mask = 0
        for value in _string_values(data, None):
            mask |= value_mask(value)
        if self._keyed_bits:
            mask &= ~self._keyed_bits
            for bit, keys in self._keyed:
                for value in _string_values(data, keys):
                    if value_mask(value) & bit:
                        mask |= bit
                        break
        found: list[tuple[str, ...]] = []
        while mask:
            low = mask & -mask
            found.append(self.steps[low.bit_length() - 1][0])
            if first_only:
                break
            mask ^= low
        return found


class Categorizer:
    """Assigns each data value the deepest matching category path (later rule wins ties).

    No match gives ``("Uncategorized",)``; empty regexes and ``type: none`` never match; a
    rule's integer ``priority`` replaces its depth rank (depth * 10) as ActivityWatch does.
    Invalid regexes raise ValidationError when ``strict``, else they are ignored.
    """

    def __init__(self, rules: Iterable[tuple[Sequence[str], Rule]], *, strict: bool = False):
        self._matcher = _Matcher(rules, strict=strict, ranked=True)
        self._strict = strict
        self._memo: dict[Hashable, tuple[str, ...]] = {}

    @classmethod
    def from_categories(
        cls, categories: Iterable[Category], *, strict: bool = False
    ) -> Categorizer:
        return cls(((c.name, c.rule) for c in categories), strict=strict)

    @classmethod
    def from_aw_classes(cls, classes: Sequence[Any], *, strict: bool = False) -> Categorizer:
        """From the query form ``[[path, rule_dict], ...]``."""
        return cls(_parse_pairs(classes, "categorize", path=True), strict=strict)

    @property
    def rules(self) -> list[tuple[tuple[str, ...], Rule]]:
        return list(self._matcher.rules)

    def with_rule(self, path: Sequence[str], rule: Rule) -> Categorizer:
        """A new categorizer with ``rule`` replacing ``path``'s rule (or appended)."""
        key = tuple(path)
        rules = self._matcher.rules
        if any(p == key for p, _ in rules):
            new = [(p, rule if p == key else r) for p, r in rules]
        else:
            new = [*rules, (key, rule)]
        return Categorizer(new, strict=self._strict)

    def categorize(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        key = data_key(data)
        found = self._memo.get(key)
        if found is None:
            matches = self._matcher.matches(data, first_only=True)
            found = matches[0] if matches else UNCATEGORIZED
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return found


class Tagger:
    """Assigns each data value every tag whose rule matches (in rule order)."""

    def __init__(self, rules: Iterable[tuple[str, Rule]], *, strict: bool = False) -> None:
        self._matcher = _Matcher((((t,), r) for t, r in rules), strict=strict, ranked=False)
        self._memo: dict[Hashable, tuple[str, ...]] = {}

    @classmethod
    def from_aw_classes(cls, classes: Sequence[Any], *, strict: bool = False) -> Tagger:
        """From the query form ``[[tag, rule_dict], ...]``."""
        pairs = _parse_pairs(classes, "tag", path=False)
        return cls(((p[0], r) for p, r in pairs), strict=strict)

    def tags(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        key = data_key(data)
        found = self._memo.get(key)
        if found is None:
            found = tuple(p[0] for p in self._matcher.matches(data, first_only=False))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return found


def _parse_pairs(
    classes: Sequence[Any], what: str, *, path: bool
) -> list[tuple[tuple[str, ...], Rule]]:
    shape = "[[path...], rule]" if path else "[tag, rule]"
    if not isinstance(classes, list | tuple):
        raise ValidationError(f"{what}() expects a list of {shape} pairs.")
    out: list[tuple[tuple[str, ...], Rule]] = []
    for index, item in enumerate(classes):
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValidationError(f"{what}() rule {index + 1} must be a pair {shape}.")
        name, raw_rule = item
        if path:
            if not isinstance(name, list | tuple) or not all(isinstance(n, str) for n in name):
                raise ValidationError(
                    f"{what}() rule {index + 1}: the category must be a list of strings."
                )
            key = tuple(name)
        else:
            if not isinstance(name, str):
                raise ValidationError(f"{what}() rule {index + 1}: the tag must be a string.")
            key = (name,)
        out.append((key, Rule.from_dict(raw_rule)))
    return out
