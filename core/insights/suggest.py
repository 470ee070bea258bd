"""Suggestions for uncategorized time: one per group of values that share an app, a site or
the first word of their titles, with a category, a confidence, the time and the evidence.

The rule, once per range: uncategorized values are grouped by site (browsers) or app
(everything else); a group gets the category its values' time-weighted mean probability
points to, when that probability reaches the threshold. An app group below it is split by the
first word its titles start with ("Invoice 2291 - Thunderbird" and "Invoice 2292 - …" go
together), and each such title group is judged the same way. A group is only suggested whole
when values holding 90% of its time are each confident on their own. Below the threshold the model
abstains: no suggestion rather than a guess; it abstains too when the group's words, apps and
sites were mostly other categories in training (``words_disagree``). Each suggestion carries
the regex that would make it a rule (``core.insights.rules``) and the evidence behind it: the words,
app or site of the group that pushed it toward the category most, with how often the user's
own categorized values holding them had that category ("titles with “invoice” were Finance
14 of 15 times").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from timelygator.core.insights.features import (
    APP,
    SITE,
    WORD,
    Fields,
    title_site,
    token_text,
    tokens_of,
)
from timelygator.core.insights.model import DEFAULT_THRESHOLD, CategoryModel

Path = tuple[str, ...]
MIN_GROUP_US = 60 * 1_000_000  # groups under a minute are not worth a rule
MAX_EXAMPLES = 3
# A group is suggested as a whole only when values holding this share of its time are each
# confident on their own (else an app's odd title would ride along with the rest).
MIN_SURE_SHARE = 0.9
_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def regex_literal(text: str) -> str:
    """``text`` as a regex matching itself, escaping only what must be (``.`` ``(`` …), so
    the rule stays readable (``re.escape`` would also escape ``-`` and spaces)."""
    return _SPECIAL.sub(r"\\\1", text)


def path_label(path: Sequence[str]) -> str:
    return " › ".join(path)  # noqa: RUF001


@dataclass(frozen=True, slots=True)
class Group:
    """Uncategorized values with something in common, and the regex saying what."""

    kind: str  # "app" | "site" | "title"
    key: str  # the app, the domain, or "app\ttitle word"
    label: str  # as a person reads it
    regex: str  # "" for site and app groups until asked (``group_regex``)
    members: tuple[int, ...]  # indices into the values grouped


@dataclass(slots=True)
class Suggestion:
    """A category proposed for a group of uncategorized values."""

    id: str  # stable: the group and the category (dismissals are stored by it)
    kind: str
    key: str
    label: str
    path: Path
    confidence: float
    time_us: int
    values: int
    regex: str
    evidence: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "group": self.label,
            "category": list(self.path),
            "confidence": round(self.confidence, 3),
            "time_s": round(self.time_us / 1e6, 1),
            "values": self.values,
            "rule": {"type": "regex", "regex": self.regex, "ignore_case": True},
            "evidence": list(self.evidence),
            "examples": list(self.examples),
        }


def suggestion_id(kind: str, key: str, path: Path) -> str:
    return f"{kind}:{key}=>{'/'.join(path)}"


def site_of(fields: Fields) -> str:
    return fields.domain or (title_site(fields.title) if fields.browser else "")


def group_values(values: Sequence[Fields]) -> list[Group]:
    """Site groups (browsers) and app groups (the rest), in order of first appearance."""
    members: dict[tuple[str, str], list[int]] = {}
    for index, value in enumerate(values):
        site = site_of(value)
        if site:
            members.setdefault(("site", site), []).append(index)
        elif value.app and not value.browser:
            members.setdefault(("app", value.app), []).append(index)
    out = []
    for (kind, key), found in members.items():
        out.append(Group(kind, key, key, "", tuple(found)))
    return out


def group_regex(group: Group) -> str:
    """The regex matching what the group's values have in common."""
    if group.regex:
        return group.regex
    if group.kind == "site":
        return regex_literal(group.key)
    return f"^{regex_literal(group.key)}$"


def title_groups(app_group: Group, values: Sequence[Fields]) -> list[Group]:
    """An app group split by the word its titles start with (titles starting otherwise,
    with a digit or a symbol, are left out)."""
    by_word: dict[str, list[int]] = {}
    spelled: dict[str, str] = {}
    for index in app_group.members:
        title = values[index].title
        found = WORD.match(title)
        if found is None:
            continue
        word = found.group(0)
        by_word.setdefault(word.lower(), []).append(index)
        spelled.setdefault(word.lower(), word)
    if len(by_word) < 2:
        return []
    return [
        Group(
            "title",
            f"{app_group.key}\t{word}",
            f"{app_group.key}: titles starting “{spelled[word]} …”",
            rf"^{regex_literal(spelled[word])}\b",
            tuple(found),
        )
        for word, found in by_word.items()
    ]


def suggest(
    model: CategoryModel,
    values: Sequence[Fields],
    time_us: np.ndarray[Any, Any],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    dismissed: Collection[str] = (),
    min_group_us: int = MIN_GROUP_US,
) -> list[Suggestion]:
    """Suggestions for uncategorized ``values`` (with their time), most time first."""
    if not values:
        return []
    probabilities = model.probabilities(values)
    weights = np.asarray(time_us, dtype=np.float64)
    out: list[Suggestion] = []

    def judge(group: Group) -> Suggestion | None:
        rows = np.asarray(group.members)
        total = float(weights[rows].sum())
        if total < min_group_us:
            return None
        mean = (probabilities[rows] * weights[rows, None]).sum(axis=0) / total
        best = int(mean.argmax())
        sure = float(weights[rows][probabilities[rows, best] >= threshold].sum()) / total
        if mean[best] < threshold or sure < MIN_SURE_SHARE:
            return None
        if words_disagree(model, [values[i] for i in group.members], weights[rows], best):
            return None
        path = model.classes[best]
        return Suggestion(
            suggestion_id(group.kind, group.key, path), group.kind, group.key, group.label,
            path, float(mean[best]), int(total), len(rows), group_regex(group),
            evidence(model, [values[i] for i in group.members], weights[rows], best),
            examples(values, group.members, weights),
        )  # fmt: skip

    for group in group_values(values):
        found = judge(group)
        if found is None and group.kind == "app":
            out.extend(s for g in title_groups(group, values) if (s := judge(g)) is not None)
        elif found is not None:
            out.append(found)
    kept = [s for s in out if s.id not in dismissed]
    return sorted(kept, key=lambda s: (-s.time_us, s.label))


def words_disagree(
    model: CategoryModel,
    values: Sequence[Fields],
    weights: np.ndarray[Any, Any],
    category: int,
) -> bool:
    """Whether the words, apps and sites of ``values`` that the training values held were
    mostly in other categories than ``category`` (the time each value has weighing in).

    A linear model that learned from a few values can be sure of a category that only the
    pieces of an app's name point to, while the titles' words were another category every
    time ("Inbox - Betterbird" put in Docs because "Betterbird" shares letters with a
    Docs app, although "inbox" was always Email). The evidence shown would contradict
    the suggestion: the model abstains instead.
    """
    total = float(weights.sum()) or 1.0
    support = against = 0.0
    shares: dict[str, float] = {}  # each token once: a group's values repeat their words
    for value, weight in zip(values, weights.tolist(), strict=True):
        for token in tokens_of(value):
            shares[token] = shares.get(token, 0.0) + weight / total
    for token, share in shares.items():
        counts = model.counts(token)
        if counts is None:
            continue
        held = float(counts.sum())
        if held:
            support += share * float(counts[category]) / held
            against += share * (1.0 - float(counts[category]) / held)
    return against > support


def examples(
    values: Sequence[Fields], members: Sequence[int], weights: np.ndarray[Any, Any]
) -> list[str]:
    """The titles of the group's values with the most time."""
    ordered = sorted(members, key=lambda i: -weights[i])
    seen: list[str] = []
    for index in ordered:
        title = values[index].title or values[index].app
        if title and title not in seen:
            seen.append(title)
        if len(seen) == MAX_EXAMPLES:
            break
    return seen


def _describe(token: str) -> Callable[[str, int, int], str]:
    text = token_text(token)
    if token.startswith(APP):
        return lambda cat, n, total: f"app “{text}” was {cat} {n} of {total} times"
    if token.startswith(SITE):
        return lambda cat, n, total: f"site “{text}” was {cat} {n} of {total} times"
    return lambda cat, n, total: f"titles with “{text}” were {cat} {n} of {total} times"


def evidence(
    model: CategoryModel,
    values: Sequence[Fields],
    weights: np.ndarray[Any, Any],
    category: int,
    most: int = 2,
) -> list[str]:
    """Why ``values`` look like ``category``: the tokens that pushed them there most, with
    how often the training values holding each had that category."""
    share: dict[str, float] = {}
    total = float(weights.sum()) or 1.0
    for value, weight in zip(values, weights.tolist(), strict=True):
        for token in tokens_of(value):
            share[token] = share.get(token, 0.0) + weight / total
    scored = sorted(
        ((model.weight(t, category) * s, t) for t, s in share.items()), key=lambda x: -x[0]
    )
    name = path_label(model.classes[category])
    out: list[str] = []
    for score, token in scored:
        if score <= 0 or len(out) == most:
            break
        counts = model.counts(token)
        if counts is None or counts[category] == 0:
            continue
        out.append(_describe(token)(name, int(counts[category]), int(counts.sum())))
    if not out:
        out.append(f"its app and site names look like those of {name}")
    return out
