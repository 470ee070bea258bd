"""Insights on an open store: train, suggest, describe, flag; what the app, CLI and API call.

``train`` reads a year of values (``value_totals``: each distinct event data with its time
and category, from the stored per-day statistics) and fits the category model on the
categorized ones; it takes seconds and runs off the GUI thread (the app's Insights thread),
once per categories version and day (``trained_for`` keeps one result per ``Services`` in
memory; nothing is written to disk). On a history whose statistics were never worked out (a
year just imported) reading takes a minute; a caller that shares the machine with the views
passes ``pause``, called between fortnights of that work (see ``train``). ``insights``
then answers a day or a week in milliseconds: suggestions for its uncategorized time, its
digest in words and its unusual days. Dismissed suggestions are a setting in the encrypted database.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from timelygator.core.analytics.localdays import AnalyticsSettings, day_number, local_today
from timelygator.core.analytics.report import format_duration
from timelygator.core.analytics.service import ValueTotals
from timelygator.core.categories.model import UNCATEGORIZED, Category
from timelygator.core.errors import ValidationError
from timelygator.core.insights.features import fields_of_text
from timelygator.core.insights.model import DEFAULT_THRESHOLD, CategoryModel, train_model
from timelygator.core.insights.rephrase import rephrase
from timelygator.core.insights.suggest import Suggestion, suggest
from timelygator.core.insights.unusual import WINDOW_DAYS, UnusualDay, unusual_days
from timelygator.core.insights.words import Figures, baseline_range, digest_text, figures
from timelygator.core.services import Services
from timelygator.core.settings_store import get_setting, put_setting
from timelygator.core.writer import Writer

HISTORY_DAYS = 365
PAUSE_EVERY_DAYS = 14
"""With ``pause``, the statistics of the history are worked out this many days at a time."""
DISMISSED_KEY = "timelygator.insights.dismissed"
OFF_MESSAGE = "Insights are turned off. Turn them on in Settings → General → Insights."


@dataclass(slots=True)
class Trained:
    """A model and the values it was trained on: ``history``, the days through ``settled``
    (see ``settled_day``), and ``recent``, the days after it as they were then (today so
    far). Rules are checked against ``history`` with the recent days as they are now
    (``Insights.check_values``); a change of the history's days (an import, an edit of a
    past day) trains the model again (``trained_for``, by ``generation``)."""

    model: CategoryModel | None
    history: ValueTotals
    version: str
    last: date
    settings: AnalyticsSettings
    seconds: float  # in all
    settled: date
    recent: ValueTotals = field(default_factory=ValueTotals)
    read_seconds: float = 0.0  # of which reading the values and their categories
    generation: int = 0  # the analytics' generation the history was read at
    first: date | None = None  # the history's first day


@dataclass(slots=True)
class Insights:
    first: date
    last: date
    active_us: int
    uncategorized_us: int
    suggestions: list[Suggestion]
    trained: Trained
    figures: Figures | None = None
    digest: str = ""
    unusual: list[UnusualDay] = field(default_factory=list)
    recent: ValueTotals = field(default_factory=ValueTotals)
    """The values of the days after ``trained.settled`` through ``last``, read now."""

    def check_values(self) -> tuple[list[str], list[int]]:
        """The values (texts) and times a rule is checked against: the trained history and
        the recent days as they are now (a value first seen today is there)."""
        values = joined(self.trained.history, self.recent)
        return values.texts, values.us.tolist()

    def as_json(self) -> dict[str, Any]:
        model = self.trained.model
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "active_s": round(self.active_us / 1e6),
            "uncategorized_s": round(self.uncategorized_us / 1e6),
            "suggestions": [s.as_json() for s in self.suggestions],
            "model": {
                "trained_values": 0 if model is None else model.trained_values,
                "categories": 0 if model is None else len(model.classes),
                "training_s": round(self.trained.seconds, 2),
                "reading_s": round(self.trained.read_seconds, 2),
                "validation": None
                if model is None or model.validation is None
                else model.validation.as_json(),
            },
            "digest": {
                "text": self.digest,
                "figures": None if self.figures is None else self.figures.as_json(),
            },
            "unusual_days": [u.as_json() for u in self.unusual],
        }


def train(
    services: Services,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    user: int | None = None,
    categories: Sequence[Category] | None = None,
    days: int = HISTORY_DAYS,
    pause: Callable[[], None] | None = None,
) -> Trained:
    """The category model of the ``days`` up to ``last`` (a few seconds on a year).

    ``pause``: called before each ``PAUSE_EVERY_DAYS`` of statistics that are not stored
    yet are worked out, and before fitting; it may wait (the app waits there while its views
    load: the statistics of a year never seen take a minute of Python beside them) or raise
    (the app is closing). Without it, the same work runs in one go; the model is the same.
    """
    user = services.user_id if user is None else user
    settings = settings or AnalyticsSettings()
    started = time.perf_counter()
    analytics = services.analytics
    generation = analytics.generation
    cats = analytics.category_set(user, categories)
    first = last - timedelta(days=days - 1)
    settled = min(last, settled_day(services, settings))
    if pause is not None:
        day = first
        while day <= settled:  # the few days after it are read once, below
            end = min(settled, day + timedelta(days=PAUSE_EVERY_DAYS - 1))
            pause()
            analytics.stats_for_days(user, day, end, settings, categories=categories)
            day = end + timedelta(days=1)
        pause()
    history = (
        analytics.value_totals(user, first, settled, settings, categories=categories)
        if settled >= first
        else ValueTotals()
    )
    recent = (
        analytics.value_totals(
            user, max(first, _after(settled)), last, settings, categories=categories
        )
        if last > settled
        else ValueTotals()
    )
    read = time.perf_counter() - started
    values = joined(history, recent)
    labelled = [i for i, path in enumerate(values.paths) if path != UNCATEGORIZED]
    model = train_model(
        [fields_of_text(values.texts[i]) for i in labelled],
        [values.paths[i] for i in labelled],
        values.us[labelled] if labelled else np.zeros(0, dtype=np.int64),
    )
    seconds = time.perf_counter() - started
    return Trained(
        model, history, cats.version, last, settings, seconds, settled, recent,
        read_seconds=read, generation=generation, first=first,
    )  # fmt: skip


SETTLED_AFTER_DAYS = 4
"""Tracking today changes the figures of days up to 3 days back (``touched_days``' margin
for any UTC offset and day start); the days before those are settled."""


def settled_day(services: Services, settings: AnalyticsSettings) -> date:
    """The last local day that tracking today cannot change (see ``SETTLED_AFTER_DAYS``)."""
    today = local_today(services.clock.now_us(), settings.day_start_s)
    return today - timedelta(days=SETTLED_AFTER_DAYS)


def history_changed(services: Services, trained: Trained) -> bool:
    """Whether events of the days ``trained.history`` holds changed since it was read."""
    first = trained.first
    if first is None or trained.settled < first:
        return False
    return services.analytics.changed_since(
        day_number(first), day_number(trained.settled), trained.generation
    )


def _after(day: date) -> date:
    return day + timedelta(days=1)


def joined(a: ValueTotals, b: ValueTotals) -> ValueTotals:
    """The values of ``a`` and ``b`` as one: a value in both has their times and days
    added, and ``b``'s category (the later days')."""
    if not len(b):
        return a
    if not len(a):
        return b
    at = {text: i for i, text in enumerate(a.texts)}
    us, days, paths = a.us.copy(), a.days.copy(), list(a.paths)
    new = [j for j, text in enumerate(b.texts) if text not in at]
    for j, text in enumerate(b.texts):
        i = at.get(text)
        if i is not None:
            us[i] += b.us[j]
            days[i] += b.days[j]
            paths[i] = b.paths[j]
    return ValueTotals(
        a.texts + [b.texts[j] for j in new],
        np.concatenate([us, b.us[new]]),
        np.concatenate([days, b.days[new]]),
        paths + [b.paths[j] for j in new],
    )


_TRAINED: weakref.WeakKeyDictionary[Services, dict[int, Trained]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_TRAINING = threading.Lock()


def trained_for(
    services: Services,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    user: int | None = None,
    categories: Sequence[Category] | None = None,
    pause: Callable[[], None] | None = None,
) -> Trained:
    """``train``, remembered per store while the categories, settings and day stay the same
    (``pause``: see ``train``)."""
    user = services.user_id if user is None else user
    settings = settings or AnalyticsSettings()
    version = services.analytics.category_set(user, categories).version
    # One training at a time: a second caller (the view moved on meanwhile) waits for the
    # first one's model instead of training the same model beside it.
    with _TRAINING:
        with _LOCK:
            found = _TRAINED.get(services, {}).get(user)
        if (
            found is not None
            and found.version == version
            and found.settings == settings
            and found.last >= last
            and not history_changed(services, found)
        ):
            return found
        trained = train(services, last, settings, categories=categories, user=user, pause=pause)
        with _LOCK:
            _TRAINED.setdefault(services, {})[user] = trained
        return trained


def forget(services: Services) -> None:
    """Drop the model kept for ``services`` (the feature was turned off)."""
    with _LOCK:
        _TRAINED.pop(services, None)


def insights(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    user: int | None = None,
    categories: Sequence[Category] | None = None,
    trained: Trained | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    words: bool = True,
    llm_url: str = "",
    llm_model: str = "",
    pause: Callable[[], None] | None = None,
) -> Insights:
    """Suggestions, digest and unusual days of local days ``first..last`` (``pause``: for
    the training, see ``train``)."""
    user = services.user_id if user is None else user
    settings = settings or AnalyticsSettings()
    if last < first:
        raise ValidationError("The last day of the range is before its first day.")
    trained = trained or trained_for(
        services, last, settings, categories=categories, user=user, pause=pause
    )
    with services.read() as conn:
        dismissed = load_dismissed(conn, user)
    totals = services.analytics.value_totals(user, first, last, settings, categories=categories)
    after = _after(trained.settled)
    if last < after:
        recent = ValueTotals()
    elif first == after:
        recent = totals
    else:  # at most a day or two: the model is trained again when the range moves on
        recent = services.analytics.value_totals(user, after, last, settings, categories=categories)
    unlabelled = [i for i, path in enumerate(totals.paths) if path == UNCATEGORIZED]
    unlabelled_us = totals.us[unlabelled] if unlabelled else np.zeros(0, dtype=np.int64)
    found: list[Suggestion] = []
    if trained.model is not None and unlabelled:
        found = suggest(
            trained.model,
            [fields_of_text(totals.texts[i]) for i in unlabelled],
            unlabelled_us,
            threshold=threshold,
            dismissed=dismissed,
        )
    out = Insights(
        first, last, int(totals.us.sum()) if len(totals) else 0, int(unlabelled_us.sum()),
        found, trained, recent=recent,
    )  # fmt: skip
    if words:
        b0, _ = baseline_range(first)
        earliest = min(b0, first - timedelta(days=WINDOW_DAYS))
        days = services.analytics.stats_for_days(
            user, earliest, last, settings, categories=categories
        )
        number = day_number(first)
        shown = [d for d in days if d.day >= number]
        before = [d for d in days if day_number(b0) <= d.day < number]
        out.figures = figures(first, last, shown, before)
        out.digest = digest_text(out.figures)
        if llm_url:
            out.digest = rephrase(out.digest, out.figures.as_json(), llm_url, llm_model)
        out.unusual = unusual_days(days, number, settings.day_start_s // 3600)
    return out


def unusual_in(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    user: int | None = None,
    categories: Sequence[Category] | None = None,
) -> list[UnusualDay]:
    """The unusual days among local days ``first..last`` (against the four weeks before
    each)."""
    user = services.user_id if user is None else user
    settings = settings or AnalyticsSettings()
    days = services.analytics.stats_for_days(
        user, first - timedelta(days=WINDOW_DAYS), last, settings, categories=categories
    )
    return unusual_days(days, day_number(first), settings.day_start_s // 3600)


# -- dismissed suggestions ------------------------------------------------------------------
def load_dismissed(conn: Any, user_id: int) -> set[str]:
    stored = get_setting(conn, user_id, DISMISSED_KEY)
    return {str(s) for s in stored} if isinstance(stored, list) else set()


def dismiss(writer: Writer, user_id: int, ids: Sequence[str]) -> Future[None]:
    """Remember dismissed suggestions (in the encrypted database, through the writer)."""
    wanted = list(ids)

    def write(conn: Any) -> None:
        known = load_dismissed(conn, user_id)
        put_setting(conn, user_id, DISMISSED_KEY, sorted(known | set(wanted)))

    return writer.call(write)


def undismiss(writer: Writer, user_id: int, ids: Sequence[str]) -> Future[None]:
    wanted = set(ids)

    def write(conn: Any) -> None:
        known = load_dismissed(conn, user_id)
        put_setting(conn, user_id, DISMISSED_KEY, sorted(known - wanted))

    return writer.call(write)


def headline(uncategorized_us: int, suggestions: int) -> str:
    """The one-line summary of the suggestions (the app's Insights button, the CLI)."""
    if uncategorized_us == 0:
        return "Everything is categorized"
    return (
        f"Uncategorized: {format_duration(uncategorized_us)} — "
        f"{suggestions} suggestion{'s' if suggestions != 1 else ''}"
    )
