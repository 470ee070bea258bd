"""A small history with a known categorization, shared by the insights tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.services import Services

M = 60_000_000
DAY = date(2024, 3, 14)  # a Thursday: the day under test, after 14 days of history
HISTORY = [DAY - timedelta(days=i) for i in range(14, 0, -1)]

CATEGORIES = [
    Category(["Finance"], Rule.regex_rule("^ledger$", ignore_case=True), "#0a0", 1),
    Category(["Work"], Rule(), "#00f", 1),
    Category(["Work", "Programming"], Rule.regex_rule("^code$", ignore_case=True), None, 2),
    Category(["Media"], Rule.regex_rule("^vlc$|youtube\\.com", ignore_case=True), "#f00", -2),
]

# (app, title, minutes) of each history day: every value categorized by its app or site.
HISTORY_DAY = [
    *[("ledger", f"Invoice {n} ACME", 4) for n in range(6)],
    *[("ledger", f"Budget {n} plan", 3) for n in range(4)],
    *[("code", f"{name}.py - project", 6) for name in ("main", "test_app", "models", "views")],
    *[("code", f"{name}.rs - engine", 5) for name in ("lib", "parser", "lexer")],
    *[("vlc", f"{name}.mkv - VLC media player", 10) for name in ("movie", "series", "concert")],
]
# The day under test: uncategorized time in apps the rules do not know.
TEST_DAY = [
    ("mailer", "Invoice 2291 ACME", 20),
    ("mailer", "Invoice 2292 Contoso", 10),
    ("mailer", "Lunch on Friday?", 10),
    ("zzqx", "qqqq wwww", 15),
    ("code", "main.py - project", 30),
]


def day_start_us(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp()) * 1_000_000


def events_of(day: date, rows: list[tuple[str, str, int]]) -> list[Event]:
    out = []
    t = day_start_us(day)
    for app, title, minutes in rows:
        out.append(Event(t, t + minutes * M, {"app": app, "title": title}, None, 0))
        t += minutes * M
    return out


def fill(services: Services) -> None:
    window = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    for day in HISTORY:
        services.writer.insert_events(window, events_of(day, HISTORY_DAY)).result()
    services.writer.insert_events(window, events_of(DAY, TEST_DAY)).result()
    services.writer.call(
        lambda conn: replace_stored_categories(conn, services.user_id, CATEGORIES)
    ).result()
