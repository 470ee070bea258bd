"""Categories as plain data: a name path, a matching rule, a color and a productivity score.

``score`` is ActivityWatch's category score, read on RescueTime's productivity scale
(-2 very distracting ... +2 very productive); ``productivity_percent`` maps it to 0-100 for a
time-weighted score. Children inherit color and score from the nearest ancestor that sets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from timelygator.core.errors import ValidationError
from timelygator.core.patterns import UserPattern, compile_pattern

UNCATEGORIZED: tuple[str, ...] = ("Uncategorized",)
MAX_PRIORITY = 1_000_000_000


class Productivity(IntEnum):
    """RescueTime-style productivity levels."""

    VERY_DISTRACTING = -2
    DISTRACTING = -1
    NEUTRAL = 0
    PRODUCTIVE = 1
    VERY_PRODUCTIVE = 2

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def percent(self) -> int:
        """The level on a 0-100 scale (0, 25, 50, 75, 100)."""
        return (int(self) + 2) * 25


def productivity_level(score: float | None) -> Productivity:
    """The nearest level for a score (out-of-range scores are clamped; None is neutral)."""
    if score is None:
        return Productivity.NEUTRAL
    return Productivity(max(-2, min(2, round(score))))


def productivity_percent(score: float | None) -> float:
    """A score on a 0-100 scale: -2 -> 0, 0 -> 50, +2 -> 100 (clamped, linear between)."""
    if score is None:
        return 50.0
    return (max(-2.0, min(2.0, float(score))) + 2.0) * 25.0


@dataclass(slots=True)
class Rule:
    """How events are matched: a regex searched in the data's string values (or select_keys).

    ``None`` fields were absent in the source document and are left out when exporting.
    """

    type: str = "none"  # "regex" | "none"
    regex: str | None = None
    ignore_case: bool | None = None
    select_keys: list[str] | None = None
    priority: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def regex_rule(
        cls, regex: str, *, ignore_case: bool = False, select_keys: Sequence[str] | None = None
    ) -> Rule:
        keys = list(select_keys) if select_keys is not None else None
        return cls("regex", regex, ignore_case, keys)

    @property
    def active(self) -> bool:
        """True when the rule can match anything (a non-empty regex and type not 'none')."""
        return self.type != "none" and bool(self.regex)

    def compile(self) -> UserPattern | None:
        """The compiled regex (linear-time, ``core.patterns``), or None when the rule never
        matches; ValidationError with a plain reason for a bad regex."""
        if not self.active:
            return None
        assert self.regex is not None
        return compile_pattern(self.regex, ignore_case=bool(self.ignore_case))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Rule:
        if not isinstance(raw, Mapping):
            raise ValidationError("A category rule must be an object like {'type': 'regex', ...}.")
        known = {"type", "regex", "ignore_case", "select_keys", "priority"}
        regex = raw.get("regex")
        kind = raw.get("type", "regex" if regex else "none")
        if kind not in ("regex", "none"):
            raise ValidationError(f"Unknown rule type {kind!r}: expected 'regex' or 'none'.")
        if regex is not None and not isinstance(regex, str):
            raise ValidationError("A rule's 'regex' must be a string.")
        keys = raw.get("select_keys")
        if keys is not None and (
            not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
        ):
            raise ValidationError("A rule's 'select_keys' must be a list of strings.")
        priority = raw.get("priority")
        if priority is not None and (
            isinstance(priority, bool)
            or not isinstance(priority, int)
            or abs(priority) > MAX_PRIORITY
        ):
            raise ValidationError(
                f"A rule's 'priority' must be a whole number from -{MAX_PRIORITY} to "
                f"{MAX_PRIORITY}."
            )
        ignore_case = raw.get("ignore_case")
        return cls(
            type=kind,
            regex=regex,
            ignore_case=None if ignore_case is None else bool(ignore_case),
            select_keys=list(keys) if keys is not None else None,
            priority=priority,
            extra={k: v for k, v in raw.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.regex is not None:
            out["regex"] = self.regex
        if self.ignore_case is not None:
            out["ignore_case"] = self.ignore_case
        if self.select_keys is not None:
            out["select_keys"] = list(self.select_keys)
        if self.priority is not None:
            out["priority"] = self.priority
        out.update(self.extra)
        return out


@dataclass(slots=True)
class Category:
    """One category; ``color``/``score`` None means "inherit from the nearest ancestor"."""

    name: list[str]
    rule: Rule = field(default_factory=Rule)
    color: str | None = None
    score: float | None = None
    id: int | None = None
    data_extra: dict[str, Any] | None = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.name)


@dataclass(frozen=True, slots=True)
class ResolvedStyle:
    """A category path's effective color and score after inheritance."""

    color: str | None
    score: float | None

    @property
    def productivity(self) -> Productivity:
        return productivity_level(self.score)


class CategoryTree:
    """Categories by path, with implicit parents and inherited color and score."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = list(categories)
        self._by_path: dict[tuple[str, ...], Category] = {}
        for category in self.categories:
            self._by_path[category.path] = category

    def get(self, path: Sequence[str]) -> Category | None:
        return self._by_path.get(tuple(path))

    def paths(self) -> list[tuple[str, ...]]:
        """Every path, implicit parents included, sorted."""
        found: set[tuple[str, ...]] = set()
        for path in self._by_path:
            for depth in range(1, len(path) + 1):
                found.add(path[:depth])
        return sorted(found)

    def style(self, path: Sequence[str]) -> ResolvedStyle:
        """Color and score of ``path``, each from the nearest ancestor-or-self that sets it."""
        key = tuple(path)
        color: str | None = None
        score: float | None = None
        for depth in range(len(key), 0, -1):
            category = self._by_path.get(key[:depth])
            if category is None:
                continue
            if color is None:
                color = category.color
            if score is None:
                score = category.score
            if color is not None and score is not None:
                break
        return ResolvedStyle(color, score)
