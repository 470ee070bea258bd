"""The matching engine shared by the query function ``categorize`` and the rest of the app.

Rules are compiled once; results are memoized per distinct data value. Browser events are
matched on ``url``, on ``$domain`` (derived from ``url`` without ``www.`` when absent) and on
``title`` like any other string value.

Whether a rule matches a value depends only on the rule's *content* (regex, flags, selected
keys), never on its category, priority or place in the tree. ``Categorizer.signature`` reports
which rule contents (``match_keys``) match a value and ``path_for`` picks the winner among them,
so a caller that kept the signatures of values under earlier rules only has to search the rule
contents that are new (``core.analytics.evidence``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import orjson
from timelygator.core.categories.model import UNCATEGORIZED, Category, Rule
from timelygator.core.categories.prefilter import LiteralIndex
from timelygator.core.errors import ValidationError
from timelygator.core.patterns import UserPattern, compile_pattern

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


def rule_key(pattern: UserPattern, keys: tuple[str, ...] | None) -> str:
    """What decides whether a rule matches (ignore-case, selected keys, regex), as a string."""
    return orjson.dumps([pattern.ignore_case, keys, pattern.pattern]).decode()


def content_of(key: str) -> Rule:
    """The rule a ``rule_key`` was made from (its matching content only)."""
    ignore_case, keys, regex = orjson.loads(key)
    return Rule("regex", regex, ignore_case, keys)


# Top-level alternatives cannot be searched alone when the regex has inline flags, group
# references or conditionals (their meaning depends on the whole pattern).
_UNSPLITTABLE = re.compile(r"\\[1-9]|\(\?[aiLmsux-]|\(\?P=|\(\?\(")


def alternatives(regex: str) -> list[str] | None:
    """The top-level alternatives of ``regex`` (it matches where any of them does), or None.

    ``a|b(c|d)|[|]`` gives ``["a", "b(c|d)", "[|]"]``; None when splitting could change what
    matches (inline flags, back-references, conditionals) or the regex is malformed.
    """
    if _UNSPLITTABLE.search(regex):
        return None
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    class_start = -1  # where the character set being read starts (-1: none)
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if class_start >= 0:
            # "]" right after "[" or "[^" is a member, not the end.
            if char == "]" and i > class_start + (2 if regex[class_start + 1] == "^" else 1):
                class_start = -1
        elif char == "[":
            class_start = i
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            parts.append(regex[start:i])
            start = i + 1
        i += 1
    parts.append(regex[start:])
    if depth or class_start >= 0:
        return None
    for part in parts:
        try:
            compile_pattern(part)
        except ValidationError:
            return None
    return parts


def _selected(rule: Rule) -> tuple[str, ...] | None:
    return tuple(rule.select_keys) if rule.select_keys else None


def _compile(rule: Rule, strict: bool) -> UserPattern | None:
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
        ordered: list[tuple[int, int, tuple[tuple[str, ...], UserPattern, Any]]] = []
        for index, (path, rule) in enumerate(self.rules):
            pattern = _compile(rule, strict)
            if pattern is None or not path:
                continue
            rank = rule.priority if rule.priority is not None else len(path) * 10
            keys = _selected(rule)
            ordered.append((rank if ranked else 0, index, (path, pattern, keys)))
        if ranked:
            # Highest rank first, the later rule first on ties: the first match wins.
            ordered.sort(key=lambda item: (item[0], item[1]), reverse=True)
        self.steps = [(path, pattern.search, keys) for _, _, (path, pattern, keys) in ordered]
        self._prefilter = LiteralIndex(
            [
                (1 << bit_index, pattern.pattern, pattern.ignore_case)
                for bit_index, (_, _, (_, pattern, _)) in enumerate(ordered)
            ]
        )
        self._keyed = [(1 << i, keys) for i, (_, _, keys) in enumerate(self.steps) if keys]
        self._keyed_bits = sum(bit for bit, _ in self._keyed)
        self._masks: dict[str, int] = {}
        # Rule contents: each step's index into ``keys`` (steps may share a content).
        self.step_keys: list[int] = []
        positions: dict[str, int] = {}
        for _, _, (_, pattern, keys) in ordered:
            key = rule_key(pattern, keys)
            self.step_keys.append(positions.setdefault(key, len(positions)))
        self.keys: list[str] = list(positions)

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

    def mask(self, data: Mapping[str, Any]) -> int:
        """The steps matching ``data``: bit i = step i."""
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
        return mask

    def matches(self, data: Mapping[str, Any], first_only: bool) -> list[tuple[str, ...]]:
        mask = self.mask(data)
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
        self._paths: dict[tuple[int, ...], tuple[str, ...]] = {}

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

    @property
    def match_keys(self) -> list[str]:
        """The distinct rule contents (``rule_key``) a signature's indices refer to."""
        return self._matcher.keys

    def signature(self, data: Mapping[str, Any]) -> tuple[int, ...]:
        """Indices into ``match_keys`` of every rule content matching ``data``, ascending."""
        mask = self._matcher.mask(data)
        step_keys = self._matcher.step_keys
        found: set[int] = set()
        while mask:
            low = mask & -mask
            found.add(step_keys[low.bit_length() - 1])
            mask ^= low
        return tuple(sorted(found))

    def path_for(self, signature: tuple[int, ...]) -> tuple[str, ...]:
        """The category of a value whose matching rule contents are ``signature``.

        The same as ``categorize`` on that value: the first ranked rule whose content matches.
        """
        found = self._paths.get(signature)
        if found is None:
            found = UNCATEGORIZED
            if signature:
                matched = set(signature)
                for (path, _, _), key in zip(
                    self._matcher.steps, self._matcher.step_keys, strict=True
                ):
                    if key in matched:
                        found = path
                        break
            self._paths[signature] = found
        return found

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
