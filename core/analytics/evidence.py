"""Match evidence: which rule contents match each of a day's values, kept with its statistics.

Re-categorizing a year after a rule edit used to mean searching every rule in every distinct
value again (about 20 µs each, over 100,000 values). But whether a rule matches a value
depends only on the rule's content (regex, flags, selected keys: ``rule_key``), not on its
category, rank or place in the tree. So each stored day keeps its *evidence*: the rule
contents that were searched, and for each of the day's values the ones that matched (its
*signature*; a value with a manual ``$category`` has that path as its signature instead).

Under new categories, a signature is carried over by keeping the rule contents that still
exist, and only the rule contents that are new (an added or edited regex) are searched, in the
values that are not manual. The category is then picked from the signature with the new
ranking (``Categorizer.path_for``), exactly as categorizing the value from scratch would.
Score, color, rename, move, priority and removal edits therefore search nothing; when no rule
content is new, a day's totals follow from its evidence alone (``DayEvidence.us``), without
reading its digest.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Protocol

import numpy as np
from timelygator.core.categories.categorizer import Categorizer, alternatives, content_of
from timelygator.core.categories.model import Rule
from timelygator.core.categories.prefilter import (
    json_literals,
    may_fold_to_ascii,
    required_literals,
    text_may_contain,
)
from timelygator.core.errors import ValidationError

Path = tuple[str, ...]
# Ascending indices into the classifier's ``match_keys``, or a manual category's path.
Signature = tuple[int, ...] | tuple[str, ...]


def is_manual(signature: Signature) -> bool:
    return bool(signature) and isinstance(signature[0], str)


class Matcher(Protocol):
    """What carrying needs of a classifier (``CategoryClassifier``)."""

    @property
    def match_keys(self) -> list[str]: ...


@dataclass(slots=True)
class DayEvidence:
    """One day's signatures; ``index`` follows the order of the digest's values."""

    keys: list[str]  # the rule contents searched
    signatures: list[Signature]  # distinct
    index: array[int]  # value -> signature
    us: list[int]  # active time per signature

    def carried(self, keys: list[str], kept: Callable[[Signature], Signature]) -> DayEvidence:
        """This evidence for rules searching ``keys``, each signature mapped by ``kept``."""
        positions: dict[Signature, int] = {}
        us: list[int] = []
        remap: list[int] = []
        for signature, total in zip(self.signatures, self.us, strict=True):
            new = kept(signature)
            at = positions.get(new)
            if at is None:
                at = positions[new] = len(us)
                us.append(0)
            us[at] += total
            remap.append(at)
        index = np.asarray(remap, dtype=np.int32)[np.frombuffer(self.index, dtype=np.int32)]
        return DayEvidence(keys, list(positions), array("i", index.tobytes()), us)

    def to_doc(self) -> dict[str, Any]:
        return {
            "k": self.keys,
            "s": [list(s) for s in self.signatures],
            "i": self.index.tolist(),
            "u": self.us,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> DayEvidence:
        signatures: list[Signature] = [tuple(s) for s in doc["s"]]
        return cls(list(doc["k"]), signatures, array("i", doc["i"]), list(doc["u"]))


class _Searcher:
    """Whether a regex (with a rule's case and keys) matches a value.

    ``may_match`` is a quick test on the value's JSON text: False only when none of the
    literals every match must contain is in it (``core.categories.prefilter``).
    """

    def __init__(self, rule: Rule) -> None:
        self._categorizer = Categorizer([(("match",), rule)])
        found = required_literals(rule.regex or "", bool(rule.ignore_case))
        self.literals = json_literals(found[0]) if found is not None else None

    def __call__(self, data: Mapping[str, Any]) -> bool:
        return bool(self._categorizer.signature(data))

    def may_match(self, text: str) -> bool:
        return self.literals is None or text_may_contain(text, self.literals)


def _searcher(regex: str, like: Rule) -> _Searcher | None:
    """A searcher for ``regex`` with ``like``'s case and keys; None if invalid."""
    rule = Rule("regex", regex, like.ignore_case, like.select_keys)
    try:
        rule.compile()
    except ValidationError:
        return None
    return _Searcher(rule)


@dataclass(slots=True)
class _Plan:
    """How a new rule content's result follows for a value from its earlier signature.

    A regex edited by adding or removing alternatives (``a|b`` -> ``a|b|c``) shares them with
    the earlier content ``old``: a value that matched ``old`` still matches if all of old's
    alternatives are kept, and a value that did not can only match one of the ``added``
    alternatives. Anything else searches the ``whole`` new content.
    """

    index: int  # in the classifier's match_keys
    whole: _Searcher
    old: int = -1  # in the searched keys
    kept_all: bool = False
    added: _Searcher | None = None

    def matches(self, signature: tuple[int, ...], data: Mapping[str, Any]) -> bool:
        if self.old < 0:
            return self.whole(data)
        if self.old in signature:
            return self.kept_all or self.whole(data)
        return self.added is not None and self.added(data)

    def matches_text(
        self, signature: tuple[int, ...], text: str, load: Callable[[str], Mapping[str, Any]]
    ) -> bool:
        """``matches`` for the value with JSON text ``text`` (parsed by ``load`` if needed)."""
        if self.old < 0:
            search = self.whole
        elif self.old in signature:
            if self.kept_all:
                return True
            search = self.whole
        elif self.added is None:
            return False
        else:
            search = self.added
        return search.may_match(text) and search(load(text))


def _plan(index: int, key: str, searched: Sequence[str]) -> _Plan:
    rule = content_of(key)
    assert rule.regex is not None
    whole = _searcher(rule.regex, rule)
    assert whole is not None  # the classifier compiled it
    plan = _Plan(index, whole)
    branches = alternatives(rule.regex)
    if branches is None:
        return plan
    best: set[str] = set()
    for position, earlier in enumerate(searched):
        try:
            before = content_of(earlier)
        except (ValueError, TypeError):  # not a rule content (written by another version)
            continue
        if (before.ignore_case, before.select_keys) != (rule.ignore_case, rule.select_keys):
            continue
        old = alternatives(before.regex or "")
        if old is None or len(set(old) & set(branches)) <= len(best):
            continue
        added = [b for b in branches if b not in set(old)]
        searcher = _searcher("|".join(added), rule) if added else None
        if added and searcher is None:
            continue
        best = set(old) & set(branches)
        plan = _Plan(index, whole, position, set(old) <= set(branches), searcher)
    return plan


class Carry:
    """Signatures under a classifier's rules from signatures found under earlier rules."""

    def __init__(self, matcher: Matcher, searched: Sequence[str]) -> None:
        keys = matcher.match_keys
        position = {k: i for i, k in enumerate(keys)}
        self._remap = [position.get(k, -1) for k in searched]
        known = set(searched)
        self._plans = [_plan(i, k, searched) for i, k in enumerate(keys) if k not in known]
        self._kept: dict[Signature, Signature] = {}
        self._unsearched: dict[Signature, Signature] = {}

    @property
    def complete(self) -> bool:
        """True when no rule content is new: signatures follow without searching anything."""
        return not self._plans

    def kept(self, signature: Signature) -> Signature:
        """The part of an earlier signature still meaningful (manual paths stay as they are)."""
        found = self._kept.get(signature)
        if found is None:
            if is_manual(signature):
                found = signature
            else:
                remap = self._remap
                found = tuple(sorted(remap[i] for i in signature if remap[i] >= 0))  # type: ignore[index]
            self._kept[signature] = found
        return found

    def signature(self, signature: Signature, data: Mapping[str, Any]) -> Signature:
        """``signature`` (earlier rules) carried over, plus the new rule contents matched."""
        kept = self.kept(signature)
        if not self._plans or is_manual(kept):
            return kept
        earlier: tuple[int, ...] = signature  # type: ignore[assignment]
        extra = [p.index for p in self._plans if p.matches(earlier, data)]
        if not extra:
            return kept
        return tuple(sorted({*kept, *extra}))

    def searched_positions(self, texts: Sequence[str]) -> set[int] | None:
        """The positions in ``texts`` of the values a new rule content may match, found in one
        pass over all of them (a superset: each of them is then checked as
        ``signature_of_text`` does); every other value's signature is ``unsearched``. None:
        every value must be checked (a new content has no literal to look for).
        """
        literals: set[str] = set()
        for plan in self._plans:
            # The searches ``_Plan.matches_text`` can make: the whole new content unless it
            # extends an earlier one, then its added alternatives (for values that did not
            # match before) and, if it dropped some, the whole (for values that did).
            searchers = [plan.whole] if plan.old < 0 else [plan.added]
            if plan.old >= 0 and not plan.kept_all:
                searchers.append(plan.whole)
            for searcher in searchers:
                if searcher is None:
                    continue
                if searcher.literals is None:
                    return None
                literals.update(searcher.literals)
        lows = [text.lower() for text in texts]
        starts = list(accumulate((len(low) + 1 for low in lows), initial=0))
        joined = "\n".join(lows)  # JSON text holds no raw newline, nor does a literal
        found: set[int] = set()
        for needle in (*literals, "\\"):  # text with escapes is always checked
            at = joined.find(needle)
            while at >= 0:
                position = bisect_right(starts, at) - 1
                found.add(position)
                at = joined.find(needle, starts[position + 1])  # the next value
        if not joined.isascii():
            found.update(i for i, text in enumerate(texts) if may_fold_to_ascii(text))
        return found

    def unsearched(self, signature: Signature) -> Signature:
        """``signature_of_text``'s answer for a value no new rule content's literals are in:
        the kept part, plus the contents that keep every alternative of one it matched."""
        found = self._unsearched.get(signature)
        if found is None:
            kept = self.kept(signature)
            extra = [] if is_manual(kept) else [
                p.index for p in self._plans if p.kept_all and p.old >= 0 and p.old in signature
            ]  # fmt: skip
            found = self._unsearched[signature] = tuple(sorted({*kept, *extra})) if extra else kept
        return found

    def signature_of_text(
        self, signature: Signature, text: str, load: Callable[[str], Mapping[str, Any]]
    ) -> Signature:
        """``signature`` for the value with JSON text ``text``: parsed (``load``) only if a
        new rule content may match it."""
        kept = self.kept(signature)
        if not self._plans or is_manual(kept):
            return kept
        earlier: tuple[int, ...] = signature  # type: ignore[assignment]
        extra = [p.index for p in self._plans if p.matches_text(earlier, text, load)]
        if not extra:
            return kept
        return tuple(sorted({*kept, *extra}))
