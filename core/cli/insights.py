"""``timelygator insights``: suggestions for uncategorized time, the day or week in words,
unusual days (``core.insights``), as text or JSON. It reads the database beside a
running app and writes nothing; the model is trained in this process and forgotten with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from typing import Any

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import open_reader_services
from timelygator.core.cli.report import _date
from timelygator.core.errors import ConflictError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = subcommand(
        subparsers,
        "insights",
        _insights,
        "suggest categories for uncategorized time; the day or week in words; unusual days",
    )
    which = cmd.add_mutually_exclusive_group()
    which.add_argument("--day", type=_date, metavar="DATE", help="one day (default: today)")
    which.add_argument("--week", type=_date, metavar="DATE", help="the week containing DATE")
    cmd.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    cmd.add_argument(
        "--rephrase",
        action="store_true",
        help="let the local language model set in Settings → General rephrase the digest",
    )


def render_text(doc: dict[str, Any]) -> str:
    from timelygator.core.analytics.report import format_duration
    from timelygator.core.insights.engine import headline

    lines = [doc["digest"]["text"], ""]
    lines.append(headline(round(doc["uncategorized_s"] * 1e6), len(doc["suggestions"])))
    for s in doc["suggestions"]:
        lines.append(
            f"  {s['group']} → {' › '.join(s['category'])}  "  # noqa: RUF001
            f"{format_duration(s['time_s'] * 1e6)}, {round(100 * s['confidence'])}% sure"
        )
        lines.append(f"    rule: {s['rule']['regex']}")
        lines.extend(f"    {e}" for e in s["evidence"])
    validation = doc["model"]["validation"]
    if validation and validation["accuracy"] is not None:
        lines.append(
            f"Held-out check: right {round(100 * validation['accuracy'])}% of the time on "
            f"{round(100 * validation['coverage'])}% of {validation['checked']} categorized "
            "values it did not train on (abstained on the rest)."
        )
    if doc["unusual_days"]:
        lines.append("")
        lines.append("Unusual days:")
        lines.extend(f"  {u['text']}" for u in doc["unusual_days"])
    return "\n".join(lines) + "\n"


def _insights(args: argparse.Namespace) -> int:
    from timelygator.core.analytics.localdays import AnalyticsSettings, local_today, range_of
    from timelygator.core.insights.engine import OFF_MESSAGE, insights
    from timelygator.core.preferences import load_preferences, stored_day_and_week_start

    with open_reader_services(args) as services:
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id).insights
            if not prefs.enabled:
                raise ConflictError(OFF_MESSAGE)
            day_start, week_start = stored_day_and_week_start(conn, services.user_id)
        today = local_today(services.clock.now_us(), day_start)

        def day(value: date | str | None) -> date:
            if value == "yesterday":
                return today - timedelta(days=1)
            return value if isinstance(value, date) else today

        if args.week is not None:
            first, last = range_of("week", day(args.week), week_start)
        else:
            first, last = range_of("day", day(args.day))
        settings = AnalyticsSettings(day_start_s=day_start, week_start=week_start)
        if args.rephrase and not prefs.llm_url:
            raise ConflictError(
                "No local language model is set: add its address in Settings → General."
            )
        llm_url = prefs.llm_url if args.rephrase else ""
        doc = insights(
            services, first, last, settings, llm_url=llm_url, llm_model=prefs.llm_model
        ).as_json()
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(doc))
    return 0
