"""``timelygator report``: where the time went, for a day, week, month or any span of days.

Formats: ``text`` (an aligned table for the terminal), ``csv`` and ``json`` (for spreadsheets
and scripts) and ``html`` (one self-contained file with its charts as inline SVG).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import open_reader_services
from timelygator.core.errors import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _date(text: str) -> date | str:
    """A date, or "today"/"yesterday" (resolved once the day start is known)."""
    if text in ("today", "yesterday"):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD, 'today' or 'yesterday'"
        ) from None


def _clock(text: str) -> int:
    try:
        moment = datetime.strptime(text, "%H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day like 04:00") from None
    return moment.hour * 3600 + moment.minute * 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subcommand(
        subparsers, "report", _report, "report where the time went (text, CSV, JSON or HTML)"
    )
    which = report.add_mutually_exclusive_group()
    which.add_argument("--day", type=_date, metavar="DATE", help="one day (default: today)")
    which.add_argument("--week", type=_date, metavar="DATE", help="the week containing DATE")
    which.add_argument("--month", type=_date, metavar="DATE", help="the month containing DATE")
    which.add_argument("--from", dest="from_", type=_date, metavar="DATE", help="first day")
    report.add_argument("--to", type=_date, metavar="DATE", help="last day (with --from)")
    report.add_argument(
        "--format", choices=("text", "csv", "json", "html"), default="text", help="output format"
    )
    report.add_argument("--output", "-o", type=Path, help="write to this file (default: stdout)")
    report.add_argument(
        "--day-start",
        type=_clock,
        metavar="HH:MM",
        help="when days start (default: as in the app's settings, 04:00 unless changed)",
    )
    report.add_argument(
        "--week-start",
        choices=WEEKDAYS,
        help="first day of a week (default: as in the app's settings, Monday unless changed)",
    )
    report.add_argument("--top", type=int, default=25, help="rows per list (25)")


def _days(args: argparse.Namespace, week_start: int, today: date) -> tuple[date, date]:
    from timelygator.core.analytics.localdays import range_of

    def day(value: date | str | None) -> date | None:
        if value == "today":
            return today
        if value == "yesterday":
            return today - timedelta(days=1)
        return value if isinstance(value, date) else None

    first, to = day(args.from_), day(args.to)
    if to is not None and first is None:
        raise ValidationError("--to needs --from.")
    if first is not None:
        last = to or first
        if last < first:
            raise ValidationError("--to is before --from.")
        return first, last
    if args.week is not None:
        return range_of("week", day(args.week) or today, week_start)
    if args.month is not None:
        return range_of("month", day(args.month) or today)
    return range_of("day", day(args.day) or today)


def _report(args: argparse.Namespace) -> int:
    # Imported here: other commands start without the analytics stack (numpy).
    from timelygator.core.analytics.localdays import AnalyticsSettings, local_today
    from timelygator.core.analytics.report import render_csv, render_text, report_document
    from timelygator.core.analytics.report_html import render_html
    from timelygator.core.preferences import stored_day_and_week_start

    started = time.perf_counter()
    with open_reader_services(args) as services:
        with services.read() as conn:
            stored_day_start, stored_week_start = stored_day_and_week_start(conn, services.user_id)
        day_start = stored_day_start if args.day_start is None else args.day_start
        week_start = (
            stored_week_start if args.week_start is None else WEEKDAYS.index(args.week_start)
        )
        first, last = _days(args, week_start, local_today(services.clock.now_us(), day_start))
        settings = AnalyticsSettings(day_start_s=day_start, week_start=week_start)
        analytics, user = services.analytics, services.user_id
        summary = analytics.summary_for_days(user, first, last, settings)
        classifier = analytics.category_set(user).classifier
        offset = time.localtime().tm_gmtoff
        doc = report_document(
            summary,
            first,
            last,
            settings,
            color_of=classifier.color,
            limit=max(1, args.top),
            offset_s=offset,
        )
    if args.format == "json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = render_csv(doc)
    elif args.format == "html":
        text = render_html(doc)
    else:
        text = render_text(doc)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
        elapsed = time.perf_counter() - started
        print(f"Wrote {args.output} ({elapsed:.2f} s).", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
