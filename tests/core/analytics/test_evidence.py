"""Carrying a day's statistics over to edited categories gives exactly the from-scratch figures.

Random values (apps, titles, URLs from a small vocabulary, some with a manual category) and
random category trees are categorized; then random edits (regex, an alternative more or
less, case, selected keys, priority, score, rename/move, removal, a new category, several at
once) are applied and the
day's totals and statistics, carried over from the evidence under the earlier rules (with or
without the digest, from a digest computed from events or a stored one naming its values by
dictionary id, borrowing the category-independent parts of the earlier statistics or not),
must equal those computed by a new table searching every rule. Value texts include escapes
and characters that fold to ASCII letters, which the JSON-text prefilter must not skip.
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import replace

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.daystats import ValueTable, carried_totals, day_stats, day_totals
from timelygator.core.analytics.digest import DayDigest
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.categories.categorizer import alternatives
from timelygator.core.categories.model import Category, Rule

WORDS = ["code", "Mail", "git", "hub", "tube", "news", "x", "Zoom"]
NAMES = ["Work", "Fun", "Chat", "Dev"]
M = 60_000_000
EDITS = ["regex", "more", "fewer", "case", "keys", "priority", "score", "path", "remove", "add"]
SETTINGS = AnalyticsSettings(day_start_s=0, focus_min_s=60, focus_grace_s=60)

words = st.sampled_from(WORDS)
# Value words also hold what JSON escapes and what re's ignore-case folds to ASCII letters.
value_words = st.sampled_from([*WORDS, "new\u017f", "g\u0131t", 'Ne"ws', "gi\\t", "hu/b"])
text = st.lists(value_words, min_size=0, max_size=3).map(" ".join)


@st.composite
def values(draw: st.DrawFn) -> str:
    data: dict[str, object] = {"app": draw(value_words), "title": draw(text)}
    if draw(st.booleans()):
        data["url"] = f"https://{draw(st.sampled_from(['www.', '']))}{draw(words).lower()}.com/a"
    if draw(st.integers(0, 9)) == 0:
        data["$category"] = draw(st.sampled_from(["Manual", "Work > Manual"]))
    if draw(st.booleans()):  # as stored by the stdlib fallback: non-ASCII escaped
        return json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return orjson.dumps(data).decode()


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    if draw(st.integers(0, 7)) == 0:
        return Rule()  # matches nothing
    alternatives = draw(st.lists(words, min_size=1, max_size=3))
    regex = "|".join(f"^{w}$" if draw(st.integers(0, 4)) == 0 else w for w in alternatives)
    keys = draw(st.one_of(st.none(), st.lists(st.sampled_from(["app", "title", "$domain"]))))
    priority = draw(st.one_of(st.none(), st.integers(0, 30)))
    return Rule("regex", regex, draw(st.booleans()), keys, priority)


paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3)
scores = st.one_of(st.none(), st.integers(-2, 2).map(float))


@st.composite
def categories(draw: st.DrawFn) -> list[Category]:
    found = draw(st.lists(st.tuples(paths, rules(), scores), min_size=0, max_size=6))
    return [Category(list(p), r, None, s) for p, r, s in found]


@st.composite
def edited(draw: st.DrawFn, before: list[Category]) -> list[Category]:
    """``before`` after one to three random edits (a new list; ``before`` is unchanged)."""
    after = [replace(c, name=list(c.name), rule=replace(c.rule)) for c in before]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(EDITS))
        if kind == "add" or not after:
            added = Category(draw(paths), draw(rules()), None, draw(scores))
            after.insert(draw(st.integers(0, len(after))), added)
            continue
        target = after[draw(st.integers(0, len(after) - 1))]
        if kind == "regex":
            target.rule = replace(draw(rules()), select_keys=target.rule.select_keys)
        elif kind == "more" and target.rule.regex:  # "a|b" -> "a|b|c" (or "c|a|b")
            word = draw(words)
            both = [target.rule.regex, word] if draw(st.booleans()) else [word, target.rule.regex]
            target.rule.regex = "|".join(both)
        elif kind == "fewer" and target.rule.regex:  # "a|b|c" -> "a|c"
            parts = target.rule.regex.split("|")
            del parts[draw(st.integers(0, len(parts) - 1))]
            target.rule.regex = "|".join(parts)
        elif kind == "case":
            target.rule.ignore_case = not target.rule.ignore_case
        elif kind == "keys":
            target.rule.select_keys = draw(st.lists(st.sampled_from(["app", "title", "$domain"])))
        elif kind == "priority":
            target.rule.priority = draw(st.one_of(st.none(), st.integers(0, 30)))
        elif kind == "score":
            target.score = draw(scores)
        elif kind == "path":
            target.name = draw(paths)
        else:
            after.remove(target)
    return after


def digest_of(texts: list[str], durations: list[int]) -> DayDigest:
    """One piece per value, one after the other from midnight (day 0)."""
    digest = DayDigest(0, 0, 24 * 60 * M, 0, texts, [d * M for d in durations])
    cursor = 0
    for index, minutes in enumerate(durations):
        digest.starts.append(cursor)
        cursor += minutes * M
        digest.ends.append(cursor)
        digest.vidx.append(index)
        digest.offsets.append(0)
    digest.tracked = [0, cursor]
    return digest


def table(cats: list[Category]) -> ValueTable:
    return ValueTable(CategoryClassifier(cats), SETTINGS)


class Dictionary:
    """A value dictionary in memory (ids from 7 up, in order of first use)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.asked: list[int] = []

    def texts_of(self, ids: np.ndarray) -> list[str]:
        texts = {i: t for t, i in self.ids.items()}
        self.asked += ids.tolist()
        return [texts[i] for i in ids.tolist()]

    def stored(self, digest: DayDigest) -> DayDigest:
        """``digest`` after a round trip through its storage form (values by id)."""
        ids = [self.ids.setdefault(t, 7 + len(self.ids)) for t in digest.values]
        stored = DayDigest.decode(digest.day, digest.encode_totals(ids), digest.encode_pieces())
        assert stored.values == []
        assert stored.ids is not None and stored.ids.tolist() == ids
        return stored


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(values(), min_size=1, max_size=25, unique=True),
    before=categories(),
    data=st.data(),
)
def test_carried_statistics_equal_statistics_from_scratch(
    texts: list[str], before: list[Category], data: st.DataObject
) -> None:
    durations = data.draw(st.lists(st.integers(1, 90), min_size=len(texts), max_size=len(texts)))
    digest = digest_of(texts, durations)
    dictionary = Dictionary()
    texts_of = dictionary.texts_of
    stored = dictionary.stored(digest)
    earlier_stats, evidence = day_stats(digest, table(before), SETTINGS)
    # Two rounds of edits: the second carries evidence that was itself carried.
    for _ in range(2):
        after = data.draw(edited(before))
        scratch_stats, scratch_evidence = day_stats(digest, table(after), SETTINGS)
        carried_stats, carried_evidence = day_stats(digest, table(after), SETTINGS, None, evidence)
        assert carried_stats == scratch_stats
        assert carried_evidence == scratch_evidence
        # A stored digest: from scratch, carried, carried borrowing the earlier statistics.
        assert day_stats(stored, table(after), SETTINGS, texts_of=texts_of) == (
            scratch_stats,
            scratch_evidence,
        )
        shared = table(after)
        for reuse in (None, earlier_stats, earlier_stats):  # the last one: ids already known
            found = day_stats(stored, shared, SETTINGS, None, evidence, texts_of, reuse)
            assert found == (scratch_stats, scratch_evidence)
        scratch_totals, _ = day_totals(digest, table(after))
        assert day_totals(digest, table(after), evidence)[0] == scratch_totals
        assert day_totals(stored, table(after), evidence, texts_of)[0] == scratch_totals
        assert day_totals(stored, table(after), None, texts_of)[0] == scratch_totals
        # Without the digest: only when no regex is new, and then the same totals.
        without = carried_totals(0, digest.afk_us, evidence, table(after))
        if without is not None:
            assert without[0] == scratch_totals
            assert without[1].us == [
                sum(
                    us
                    for us, i in zip(digest.value_us, scratch_evidence.index, strict=True)
                    if scratch_evidence.signatures[i] == signature
                )
                for signature in without[1].signatures
            ]
        before, evidence, earlier_stats = after, carried_evidence, carried_stats


def test_score_and_tree_edits_search_nothing() -> None:
    """Scores, names and priorities change no rule content: the evidence suffices."""
    before = [
        Category(["Work"], Rule.regex_rule("code", ignore_case=True), None, 1.0),
        Category(["Fun"], Rule.regex_rule("tube"), None, -2.0),
    ]
    texts = [orjson.dumps({"app": a}).decode() for a in ("Code", "tube", "other")]
    digest = digest_of(texts, [30, 20, 10])
    _, evidence = day_totals(digest, table(before))
    after = [
        Category(["Dev", "Coding"], Rule.regex_rule("code", ignore_case=True), None, 2.0),
        Category(["Fun"], Rule("regex", "tube", priority=50), None, 0.0),
    ]
    carried = carried_totals(0, 0, evidence, table(after))
    assert carried is not None
    assert carried[0].categories == {
        ("Dev", "Coding"): 30 * M,
        ("Fun",): 20 * M,
        ("Uncategorized",): 10 * M,
    }
    assert carried[0].weighted == (100 * 30 + 50 * 20 + 50 * 10) * M
    # A new regex needs the values.
    edited_rule = [Category(["Work"], Rule.regex_rule("code|other"), None, 1.0)]
    assert carried_totals(0, 0, evidence, table(edited_rule)) is None
    assert day_totals(digest, table(edited_rule), evidence)[0].categories == {
        ("Uncategorized",): 50 * M,
        ("Work",): 10 * M,
    }
    assert isinstance(evidence.index, array)


def test_stored_values_are_looked_up_once_per_table() -> None:
    """Days sharing values: each id's text is asked for once, later days index arrays."""
    cats = [Category(["Work"], Rule.regex_rule("code"), None, 1.0)]
    texts = [orjson.dumps({"app": a}).decode() for a in ("code", "tube", "mail")]
    dictionary = Dictionary()
    monday = dictionary.stored(digest_of(texts[:2], [30, 20]))
    tuesday = dictionary.stored(digest_of(texts[1:], [5, 10]))
    shared = table(cats)
    first, _ = day_totals(monday, shared, None, dictionary.texts_of)
    second, _ = day_totals(tuesday, shared, None, dictionary.texts_of)
    assert first.categories == {("Uncategorized",): 20 * M, ("Work",): 30 * M}
    assert second.categories == {("Uncategorized",): 15 * M}
    assert sorted(dictionary.asked) == [7, 8, 9]


@settings(max_examples=300, deadline=None)
@given(
    regex=st.text(alphabet=st.sampled_from(list("ab|()[]^$\\?*")), max_size=12),
    value=st.text(alphabet=st.sampled_from(list("ab|()[]^$\\")), max_size=8),
)
@pytest.mark.filterwarnings("ignore::FutureWarning")  # "[[" may become a nested set
def test_alternatives_match_where_the_whole_regex_does(regex: str, value: str) -> None:
    parts = alternatives(regex)
    if parts is None:
        return
    try:
        whole = re.compile(regex)
    except re.error:
        return
    assert bool(whole.search(value)) == any(re.search(p, value) for p in parts)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(values(), min_size=1, max_size=25, unique=True),
    before=categories(),
    data=st.data(),
)
def test_values_left_out_of_the_search_get_the_signature_a_search_gives(
    texts: list[str], before: list[Category], data: st.DataObject
) -> None:
    """After an edit, one pass over all values picks those a new rule may match; each value
    it leaves out gets from its earlier signature alone what searching it would give."""
    digest = digest_of(texts, [1] * len(texts))
    _stats, evidence = day_stats(digest, table(before), SETTINGS)
    after = data.draw(edited(before))
    carry = table(after).carry(evidence.keys)
    searched = carry.searched_positions(texts)
    for position, text in enumerate(texts):
        earlier = evidence.signatures[evidence.index[position]]
        found = carry.signature_of_text(earlier, text, orjson.loads)
        if searched is not None and position not in searched:
            assert carry.unsearched(earlier) == found


def test_the_search_pass_keeps_text_it_cannot_rule_out() -> None:
    before = [Category(["Work"], Rule.regex_rule("code"))]
    after = [Category(["Work"], Rule.regex_rule("code|news", ignore_case=True))]
    _stats, evidence = day_stats(digest_of(["{}"], [1]), table(before), SETTINGS)
    carry = table(after).carry(evidence.keys)
    texts = [
        '{"app":"reader","title":"NEWS today"}',  # a literal, whatever its case
        '{"app":"reader","title":"weather"}',  # nothing to find
        '{"app":"reader","title":"Ne\\"ws"}',  # escapes: always searched
        '{"app":"reader","title":"new\u017f"}',  # the long s folds to s: always searched
        '{"app":"g\u00e9nial","title":"caf\u00e9"}',  # not ASCII, nothing folds: left out
    ]
    assert carry.searched_positions(texts) == {0, 2, 3}
