"""Insights: suggestions with evidence, abstaining, rules checked against the history,
dismissals kept, the digest's numbers, unusual days."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from timelygator.core.analytics.daystats import DayStats
from timelygator.core.analytics.localdays import AnalyticsSettings, day_number
from timelygator.core.analytics.report import format_duration
from timelygator.core.categories.stored import load_stored_categories
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.insights.engine import (
    SETTLED_AFTER_DAYS,
    dismiss,
    insights,
    load_dismissed,
    train,
)
from timelygator.core.insights.features import Fields
from timelygator.core.insights.model import train_model
from timelygator.core.insights.rules import accept, check_rule, store_categories
from timelygator.core.insights.suggest import words_disagree
from timelygator.core.insights.unusual import unusual_days
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.core.analytics.insights_data import CATEGORIES, DAY, HISTORY, M, day_start_us, fill
from tests.watchers.fakes import FakeClock

UTC0 = AnalyticsSettings(day_start_s=0)


@pytest.fixture
def filled(services: Services) -> Services:
    fill(services)
    return services


def test_suggests_the_invoice_titles_as_finance_with_evidence(filled: Services) -> None:
    found = insights(filled, DAY, DAY, UTC0)
    assert found.uncategorized_us == 55 * M  # mailer 40 min + zzqx 15 min
    assert [(s.kind, s.label, s.path) for s in found.suggestions] == [
        ("title", "mailer: titles starting “Invoice …”", ("Finance",))
    ]
    invoice = found.suggestions[0]
    assert invoice.time_us == 30 * M
    assert invoice.values == 2
    assert invoice.confidence >= 0.8
    assert invoice.regex == r"^Invoice\b"
    assert "titles with “invoice” were Finance 6 of 6 times" in invoice.evidence
    assert invoice.examples[0] == "Invoice 2291 ACME"


def test_abstains_on_values_like_nothing_it_has_seen(filled: Services) -> None:
    found = insights(filled, DAY, DAY, UTC0)
    labels = " ".join(s.label for s in found.suggestions)
    assert "zzqx" not in labels  # "qqqq wwww" resembles no category: no guess
    assert "Lunch" not in labels
    assert all(s.key != "mailer" for s in found.suggestions)  # not the whole app


def test_accepted_rule_moves_only_uncategorized_time_and_can_be_undone(
    filled: Services,
) -> None:
    trained = train(filled, DAY, UTC0)
    with filled.read() as conn:
        before = load_stored_categories(conn, filled.user_id)
    check = check_rule(before, ("Finance",), r"^Invoice\b", trained.history.texts,
                       trained.history.us.tolist())  # fmt: skip
    assert check.ok
    assert check.rule.regex == r"^ledger$|^Invoice\b"
    # The ledger's own invoices already are Finance: only the mailer's 30 minutes move.
    assert check.preview.gained_seconds == 30 * 60
    assert check.preview.moved_from == {("Uncategorized",): 30 * 60}
    accept(filled.writer, filled.user_id, check, allow_taking=False).result()
    after = filled.analytics.summary_for_days(filled.user_id, DAY, DAY, UTC0)
    assert dict(after.top_categories)["Finance"] == 30 * M
    assert dict(after.top_categories)["Uncategorized"] == 25 * M
    store_categories(filled.writer, filled.user_id, before).result()  # undo
    undone = filled.analytics.summary_for_days(filled.user_id, DAY, DAY, UTC0)
    assert "Finance" not in dict(undone.top_categories)
    assert dict(undone.top_categories)["Uncategorized"] == 55 * M


def test_a_rule_taking_time_from_another_category_needs_a_yes(filled: Services) -> None:
    trained = train(filled, DAY, UTC0)
    path = ("Finance", "Subscriptions")  # new, and deeper than Media: it would win
    check = check_rule(CATEGORIES, path, "mkv", trained.history.texts,
                       trained.history.us.tolist())  # fmt: skip
    # "movie.mkv - VLC media player" etc. are Media: 14 days x 30 minutes.
    assert check.taken == {("Media",): 14 * 30 * 60}
    assert not check.ok
    with pytest.raises(ValidationError, match="take time from Media"):
        accept(filled.writer, filled.user_id, check, allow_taking=False)
    with filled.read() as conn:
        stored = load_stored_categories(conn, filled.user_id)
    assert [c.path for c in stored] == [c.path for c in CATEGORIES]  # nothing saved
    accept(filled.writer, filled.user_id, check, allow_taking=True).result()
    last = DAY - timedelta(days=1)
    after = filled.analytics.summary_for_days(filled.user_id, last, last, UTC0)
    assert dict(after.categories)[path] == 30 * M


def test_a_regex_that_cannot_be_used_is_refused_in_words(filled: Services) -> None:
    with pytest.raises(ValidationError):
        check_rule(CATEGORIES, ("Finance",), "(?<=x)y", [], [])
    with pytest.raises(ValidationError, match="empty"):
        check_rule(CATEGORIES, ("Finance",), "  ", [], [])


def test_dismissed_suggestions_do_not_come_back(filled: Services, dirs: object) -> None:
    first = insights(filled, DAY, DAY, UTC0, words=False)
    dismiss(filled.writer, filled.user_id, [first.suggestions[0].id]).result()
    again = insights(filled, DAY, DAY, UTC0, words=False)
    assert again.suggestions == []
    with filled.read() as conn:
        assert load_dismissed(conn, filled.user_id) == {first.suggestions[0].id}
        stored = conn.exec_driver_sql("SELECT value FROM settings").all()
    assert any("Invoice" in row[0] or "invoice" in row[0] for row in stored)


def _numbers(text: str) -> list[str]:
    """Durations ("1h 25m", "30m 00s", "0s") and plain numbers, durations first."""
    durations = re.findall(r"\d+h \d+m|\d+m \d+s|\d+s\b|\d+h\b|\d+m\b", text)
    rest = re.sub(r"\d+h \d+m|\d+m \d+s|\d+s\b|\d+h\b|\d+m\b", " ", text)
    return durations + re.findall(r"\d+", rest)


def test_every_number_in_the_digest_comes_from_the_analytics(filled: Services) -> None:
    found = insights(filled, DAY, DAY, UTC0)
    now = filled.analytics.summary_for_days(filled.user_id, DAY, DAY, UTC0)
    history = [DAY - timedelta(days=i) for i in range(14, 0, -1)]
    usual = filled.analytics.summary_for_days(filled.user_id, history[0], history[-1], UTC0)
    per_day = 1 / len(history)
    top_now, top_usual = dict(now.top_categories), dict(usual.top_categories)
    allowed_durations = {
        format_duration(us)
        for us in (
            now.active_us,
            round(usual.active_us * per_day),
            abs(now.active_us - round(usual.active_us * per_day)),
            now.focus_us,
            round(usual.focus_us * per_day),
            *(top_now.get(c, 0) for c in set(top_now) | set(top_usual)),
            *(round(top_usual.get(c, 0) * per_day) for c in set(top_now) | set(top_usual)),
            *(
                abs(top_now.get(c, 0) - round(top_usual.get(c, 0) * per_day))
                for c in set(top_now) | set(top_usual)
            ),
        )
    }
    plain = {
        str(DAY.day),
        str(DAY.year),
        "28",  # the baseline's length, in words
        str(len(now.focus_sessions)),
        str(round(now.switches_per_hour or 0)),
        str(round(usual.switches_per_hour or 0)),
    }
    text = found.digest
    assert text.startswith("Thu 14 Mar 2024: 1h 25m active")
    numbers = _numbers(text)
    assert len(numbers) >= 8
    for number in numbers:
        assert number in allowed_durations or number in plain, (number, text)


def _day(number: int, active_h: float, late_h: float = 0) -> DayStats:
    hourly = [0] * 24
    hourly[10] = round((active_h - late_h) * 60 * M)
    hourly[22] = round(late_h * 60 * M)
    return DayStats(day=number, active_us=round(active_h * 60 * M), hourly={"Work": hourly})


def test_unusual_days_by_median_and_mad() -> None:
    first = day_number(DAY) - 28
    days = [_day(first + i, 7 + (i % 3) * 0.25) for i in range(28)]
    days += [_day(first + 28, 13.0), _day(first + 29, 7.25), _day(first + 30, 7.5, late_h=3)]
    found = unusual_days(days, first + 28, 4)
    assert [(u.day, u.measure) for u in found] == [
        (DAY, "active"),
        (DAY + timedelta(days=2), "late"),
    ]
    assert found[0].text == "Thu 14 Mar: 13h 00m active time, far more than the usual 7h 15m"


def test_a_new_user_with_nothing_recorded_gets_a_plain_answer(services: Services) -> None:
    found = insights(services, DAY, DAY, UTC0)
    assert found.suggestions == []
    assert found.trained.model is None
    assert found.uncategorized_us == 0
    assert found.digest == "Thu 14 Mar 2024: no active time recorded."
    assert found.unusual == []
    assert found.as_json()["model"]["validation"] is None


@pytest.fixture
def today_services(dirs: AppDirs) -> Iterator[tuple[Services, FakeClock]]:
    """The insights history with ``DAY`` being today, 20:00 UTC by the store's clock."""
    clock = FakeClock(day_start_us(DAY) + 12 * 60 * M)
    with Services.open(dirs, None, max_delay=0.05, clock=clock) as opened:
        fill(opened)
        yield opened, clock


def test_a_rule_check_sees_values_first_tracked_after_the_training(
    today_services: tuple[Services, FakeClock],
) -> None:
    """Trained this morning, the model stays in use all day; a value tracked since then
    is in what a rule is checked against (it said 'It would move 0s' for it)."""
    services, clock = today_services
    first = insights(services, DAY, DAY, UTC0, words=False)
    assert first.trained.settled == DAY - timedelta(days=SETTLED_AFTER_DAYS)
    window = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    start = day_start_us(DAY) + 10 * 60 * M  # 18:00, after the test day's events
    services.writer.insert_events(
        window, [Event(start, start + 25 * M, {"app": "bookkeeper", "title": "Invoice 7 ACME"})]
    ).result()
    clock.us = start + 26 * M
    again = insights(services, DAY, DAY, UTC0, words=False)
    assert again.trained is first.trained  # no second training for today's new values
    texts, _time = first.check_values()
    assert not any("bookkeeper" in text for text in texts)
    check = check_rule(CATEGORIES, ("Finance",), "^bookkeeper$", *again.check_values())
    assert check.preview.gained_seconds == 25 * 60


def test_a_change_of_a_past_day_trains_the_model_again(
    today_services: tuple[Services, FakeClock],
) -> None:
    services, _clock = today_services
    first = insights(services, DAY, DAY, UTC0, words=False)
    assert insights(services, DAY, DAY, UTC0, words=False).trained is first.trained
    past = HISTORY[0]  # settled: more than four days ago
    window = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    start = day_start_us(past) + 10 * 60 * M
    services.writer.insert_events(
        window, [Event(start, start + 40 * M, {"app": "bookkeeper", "title": "Invoice 8 ACME"})]
    ).result()
    again = insights(services, DAY, DAY, UTC0, words=False)
    assert again.trained is not first.trained
    assert any("bookkeeper" in text for text in again.trained.history.texts)
    check = check_rule(CATEGORIES, ("Finance",), "^bookkeeper$", *again.check_values())
    assert check.preview.gained_seconds == 40 * 60


def test_the_model_abstains_where_the_words_say_another_category() -> None:
    def value(app: str, title: str) -> Fields:
        return Fields(app, title, "", "")

    docs, mail = ("Docs",), ("Email",)
    values = [
        *(value("libreoffice-writer", f"Design notes {n}.odt - LibreOffice Writer") for n in "ab"),
        *(value("thunderbird", f"Inbox ({n}) - Thunderbird") for n in "abc"),
        value("thunderbird", "Re: release notes - Thunderbird"),
    ]
    paths = [docs, docs, mail, mail, mail, mail]
    model = train_model(values, paths, np.full(len(values), 10 * M), holdout=0)
    assert model is not None
    inbox = [value("betterbird", "Inbox - Betterbird")]
    weights = np.array([5.0 * M])
    assert words_disagree(model, inbox, weights, model.class_index[docs])
    assert not words_disagree(model, inbox, weights, model.class_index[mail])


def test_the_same_values_in_another_order_give_the_same_model() -> None:
    values = [Fields("code", f"{n}.py - project", "", "") for n in ("a", "b", "c")] + [
        Fields("vlc", f"{n}.mkv - VLC", "", "") for n in ("x", "y", "z")
    ]
    paths = [("Work",)] * 3 + [("Media",)] * 3
    weights = np.arange(1, 7) * M
    one = train_model(values, paths, weights, holdout=0)
    other = train_model(values[::-1], paths[::-1], weights[::-1], holdout=0)
    assert one is not None and other is not None
    probe = [Fields("code", "d.py - project", "", ""), Fields("vlc", "w.mkv - VLC", "", "")]
    assert np.array_equal(one.probabilities(probe), other.probabilities(probe))


def test_a_training_that_pauses_gives_the_same_model(filled: Services) -> None:
    """The app's training pauses for its views between fortnights of statistics and before
    fitting; the model it gets is the one trained in one go."""
    pauses: list[int] = []
    paused = train(filled, DAY, UTC0, pause=lambda: pauses.append(1))
    straight = train(filled, DAY, UTC0)
    # A year of statistics in fortnights (the first day to the last settled one), then the fit.
    days = (paused.settled - (DAY - timedelta(days=364))).days + 1
    assert paused.settled == DAY and len(pauses) == -(-days // 14) + 1 == 28
    assert paused.history.texts == straight.history.texts
    assert paused.model is not None and straight.model is not None
    probe = [Fields("mailer", "Invoice 77 ACME", "", ""), Fields("code", "x.py - project", "", "")]
    assert np.array_equal(paused.model.probabilities(probe), straight.model.probabilities(probe))


def test_a_pause_that_raises_stops_the_training_and_nothing_is_kept(filled: Services) -> None:
    """Closing the app stops a training at its next pause; the next caller trains anew."""

    class Closing(Exception):
        pass

    calls: list[int] = []

    def pause() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise Closing

    with pytest.raises(Closing):
        insights(filled, DAY, DAY, UTC0, words=False, pause=pause)
    assert len(calls) == 3
    found = insights(filled, DAY, DAY, UTC0, words=False)
    assert [s.path for s in found.suggestions] == [("Finance",)]
