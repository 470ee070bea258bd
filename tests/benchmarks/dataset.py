"""A realistic, deterministic dataset: a working person's year at the computer.

Shared by the benchmarks. Window, AFK and web (browser tab) buckets as TimelyGator's and
ActivityWatch's watchers write them: ~15-30k events on a working day, a few thousand on a
weekend; hundreds of apps (Zipf-distributed), tens of thousands of distinct titles and URLs
over a year; lunch and coffee breaks (AFK), evenings, days off, DST changes (Europe/Berlin)
and one trip abroad (a different UTC offset for a week).

Every day is generated from ``(seed, date)`` alone, so any single day can be rebuilt cheaply
(``day_events``) and two runs with the same seed give the same data. ``write_to_services``
inserts straight into a ``Services`` store through the writer (batched, pipelined);
``to_aw_export`` gives ActivityWatch's ``/api/0/import`` JSON for the same events.

Usage as a script (prints a JSON summary)::

    python tests/benchmarks/dataset.py --days 7 --data-dir /tmp/tg-data   # fills a store
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.timeutil import format_iso

S = 1_000_000
HOST = "bench-host"
WINDOW_BUCKET = f"aw-watcher-window_{HOST}"
AFK_BUCKET = f"aw-watcher-afk_{HOST}"
WEB_BUCKETS = {
    "chrome": f"aw-watcher-web-chrome_{HOST}",
    "firefox": f"aw-watcher-web-firefox_{HOST}",
}
BROWSER_APPS = {"chrome": "Google-chrome", "firefox": "firefox"}
ZONE = ZoneInfo("Europe/Berlin")
TRIP_OFFSET_S = -5 * 3600  # a week in New York (EST/EDT simplified to -5 h)

_WORD_TEXT = (
    "alpha beta gamma delta report budget design review sprint backlog invoice meeting notes "
    "release draft final plan roadmap issue fix feature test build deploy server client api "
    "docs guide tutorial video music news recipe travel photo chat team project data model "
    "query chart summary weekly daily monthly quarterly analysis proposal contract slides "
    "paper thesis lecture course exam homework garden kitchen football movie series podcast"
)
_WORDS = _WORD_TEXT.split()

_WORK_APPS = [
    "code", "jetbrains-pycharm", "gnome-terminal-server", "kitty", "Slack", "thunderbird",
    "libreoffice-writer", "libreoffice-calc", "zoom", "obsidian", "evince", "nautilus",
    "dbeaver", "postman", "figma-linux", "Signal", "discord", "spotify", "vlc", "steam",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Catalog:
    """Apps, title pools and sites shared by every day of one seed."""

    apps: list[str]
    app_weights: list[float]
    titles: dict[str, list[str]]
    domains: list[str]
    domain_weights: list[float]
    pages: dict[str, list[tuple[str, str]]]  # domain -> [(url, tab title)]


def build_catalog(seed: int, n_apps: int = 320, n_domains: int = 700) -> Catalog:
    rng = random.Random(seed)
    apps = list(_WORK_APPS)
    while len(apps) < n_apps:
        apps.append(f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{len(apps)}")
    apps += list(BROWSER_APPS.values())
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(apps))]
    weights[-2] = weights[-1] = 0.9  # browsers are used a lot
    titles = {}
    for app in apps:
        pool_size = rng.randint(5, 300)
        titles[app] = [
            f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.randrange(100)} - {app}"
            for _ in range(pool_size)
        ]
    known = [
        "github.com", "stackoverflow.com", "docs.python.org", "mail.google.com",
        "docs.google.com", "youtube.com", "reddit.com", "news.ycombinator.com",
        "en.wikipedia.org", "twitter.com", "linkedin.com", "netflix.com", "jira.atlassian.net",
        "calendar.google.com", "meet.google.com", "amazon.com", "spiegel.de", "bbc.co.uk",
    ]  # fmt: skip
    domains = list(known)
    while len(domains) < n_domains:
        domains.append(f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{len(domains)}.example.org")
    dweights = [1.0 / (i + 1) ** 0.9 for i in range(len(domains))]
    pages = {}
    for domain in domains:
        pages[domain] = []
        for _ in range(rng.randint(3, 60)):
            page = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
            url = f"https://{domain}/{page.replace(' ', '/')}/{rng.randrange(1000)}"
            pages[domain].append((url, f"{page.title()} | {domain}"))
    return Catalog(apps, weights, titles, domains, dweights, pages)


@dataclass(slots=True)
class DayEvents:
    """One local day's events by bucket, oldest first."""

    day: date
    offset_s: int
    window: list[Event] = field(default_factory=list)
    afk: list[Event] = field(default_factory=list)
    web: dict[str, list[Event]] = field(default_factory=dict)

    def count(self) -> int:
        return len(self.window) + len(self.afk) + sum(len(v) for v in self.web.values())

    def by_bucket(self) -> dict[str, list[Event]]:
        out = {WINDOW_BUCKET: self.window, AFK_BUCKET: self.afk}
        for browser, events in self.web.items():
            out[WEB_BUCKETS[browser]] = events
        return out


def day_offset_s(day: date, trip: tuple[date, date] | None) -> int:
    if trip is not None and trip[0] <= day <= trip[1]:
        return TRIP_OFFSET_S
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE)
    offset = noon.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _sessions(rng: random.Random, day: date, off: bool) -> list[tuple[float, float]]:
    """(start hour, end hour) of computer sessions in local time."""
    if day.weekday() >= 5 or off:
        out = []
        if rng.random() < 0.6:
            start = rng.uniform(9.5, 14.0)
            out.append((start, start + rng.uniform(0.5, 2.5)))
        if rng.random() < 0.6:
            start = rng.uniform(19.0, 21.0)
            out.append((start, start + rng.uniform(0.5, 2.0)))
        return out
    start = rng.uniform(7.8, 9.3)
    out = [(start, rng.uniform(12.0, 12.8)), (rng.uniform(13.2, 13.8), rng.uniform(17.0, 18.8))]
    if rng.random() < 0.55:
        evening = rng.uniform(19.5, 21.5)
        out.append((evening, min(evening + rng.uniform(0.5, 2.5), 25.5)))  # may pass midnight
    return out


def day_events(day: date, seed: int = 1, catalog: Catalog | None = None) -> DayEvents:
    """The events of one local day (deterministic in ``seed`` and ``day``)."""
    catalog = catalog or build_catalog(seed)
    rng = random.Random(seed * 1_000_003 + day.toordinal())
    year_rng = random.Random(seed * 7 + day.year)
    holidays = {date(day.year, 1, 1) + timedelta(days=year_rng.randrange(365)) for _ in range(25)}
    trip_start = date(day.year, 1, 1) + timedelta(days=year_rng.randrange(60, 300))
    trip = (trip_start, trip_start + timedelta(days=6))
    offset = day_offset_s(day, trip)
    out = DayEvents(day, offset, web={b: [] for b in BROWSER_APPS})
    midnight_utc = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * S
    midnight = midnight_utc - offset * S
    apps, weights = catalog.apps, catalog.app_weights
    browser_of = {v: k for k, v in BROWSER_APPS.items()}
    last_afk_end: int | None = None
    for start_h, end_h in _sessions(rng, day, day in holidays):
        t = midnight + int(start_h * 3600 * S)
        end = midnight + int(end_h * 3600 * S)
        if last_afk_end is not None:  # between sessions: away (afk), computer left on
            out.afk.append(Event(last_afk_end, t, {"status": "afk"}, None, offset))
        present_start = t
        next_break = t + int(rng.uniform(20, 90) * 60 * S)
        while t < end:
            app = rng.choices(apps, weights)[0]
            block_end = min(end, t + int(rng.expovariate(1 / 240) * S) + 20 * S)
            pool = catalog.titles[app]
            local = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
            browser = browser_of.get(app)
            while t < block_end:
                dur = int((rng.expovariate(1 / 1.6) + 0.3) * S)
                if browser is not None:
                    domain = rng.choices(catalog.domains, catalog.domain_weights)[0]
                    url, tab_title = rng.choice(catalog.pages[domain])
                    title = f"{tab_title} - {app}"
                    web_data = {
                        "url": url,
                        "title": tab_title,
                        "audible": False,
                        "incognito": False,
                        "tabCount": rng.randint(1, 30),
                    }
                    skew = rng.randrange(0, 200_000)
                    out.web[browser].append(Event(t + skew, t + dur, web_data, None, offset))
                elif rng.random() < 0.005:
                    title = f"{rng.choice(_WORDS)} ({rng.randrange(100_000)}) - {app}"
                else:
                    title = rng.choice(local)
                out.window.append(Event(t, t + dur, {"app": app, "title": title}, None, offset))
                t += dur
                if t >= next_break and t < end - 60 * S:
                    # A break: the window stays focused while the user is away.
                    away = int(rng.uniform(3, 25) * 60 * S)
                    out.window[-1].end_us = t + away
                    out.afk.append(Event(present_start, t, {"status": "not-afk"}, None, offset))
                    out.afk.append(Event(t, t + away, {"status": "afk"}, None, offset))
                    t += away
                    present_start = t
                    next_break = t + int(rng.uniform(20, 90) * 60 * S)
                    break
        out.afk.append(Event(present_start, t, {"status": "not-afk"}, None, offset))
        last_afk_end = t
    return out


def days(first: date, count: int) -> Iterator[date]:
    for i in range(count):
        yield first + timedelta(days=i)


def ensure_buckets(services: Services) -> dict[str, int]:
    keys = {
        WINDOW_BUCKET: services.ensure_bucket(
            WINDOW_BUCKET, type="currentwindow", client="aw-watcher-window", hostname=HOST
        ),
        AFK_BUCKET: services.ensure_bucket(
            AFK_BUCKET, type="afkstatus", client="aw-watcher-afk", hostname=HOST
        ),
    }
    for name in WEB_BUCKETS.values():
        keys[name] = services.ensure_bucket(
            name, type="web.tab.current", client="aw-client-web", hostname=HOST
        )
    return keys


def write_to_services(
    services: Services, first: date, count: int, seed: int = 1, *, progress: bool = False
) -> int:
    """Insert ``count`` days from ``first`` into the store; returns the number of events."""
    keys = ensure_buckets(services)
    catalog = build_catalog(seed)
    total = 0
    pending: list[Any] = []
    started = time.perf_counter()
    for i, day in enumerate(days(first, count)):
        generated = day_events(day, seed, catalog)
        for name, events in generated.by_bucket().items():
            if events:
                pending.append(services.writer.insert_events(keys[name], events))
        total += generated.count()
        if len(pending) > 40:
            for future in pending:
                future.result()
            pending.clear()
        if progress and i % 30 == 29:
            rate = total / (time.perf_counter() - started)
            print(f"[dataset] {i + 1} days, {total:,} events ({rate:,.0f}/s)", file=sys.stderr)
    for future in pending:
        future.result()
    return total


def to_aw_export(day_list: list[DayEvents]) -> dict[str, Any]:
    """ActivityWatch's export/import document for these days."""
    created = format_iso(0)
    types = {WINDOW_BUCKET: "currentwindow", AFK_BUCKET: "afkstatus"}
    clients = {WINDOW_BUCKET: "aw-watcher-window", AFK_BUCKET: "aw-watcher-afk"}
    buckets: dict[str, Any] = {}
    for generated in day_list:
        for name, events in generated.by_bucket().items():
            bucket = buckets.setdefault(
                name,
                {
                    "id": name,
                    "created": created,
                    "name": name,
                    "type": types.get(name, "web.tab.current"),
                    "client": clients.get(name, "aw-client-web"),
                    "hostname": HOST,
                    "events": [],
                },
            )
            bucket["events"].extend(
                {
                    "timestamp": format_iso(e.start_us),
                    "duration": (e.end_us - e.start_us) / S,
                    "data": e.data,
                }
                for e in events
            )
    return {"buckets": buckets}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--first", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", help="fill the TimelyGator store in this folder")
    parser.add_argument("--passphrase", default="benchmark-passphrase")
    parser.add_argument("--aw-export", help="write ActivityWatch import JSON to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict[str, Any] = {"days": args.days, "seed": args.seed}
    if args.data_dir:
        from timelygator.core.paths import resolve_dirs

        with Services.open(resolve_dirs(args.data_dir), args.passphrase) as services:
            result["events"] = write_to_services(
                services, args.first, args.days, args.seed, progress=True
            )
    if args.aw_export:
        catalog = build_catalog(args.seed)
        generated = [day_events(d, args.seed, catalog) for d in days(args.first, args.days)]
        with open(args.aw_export, "w", encoding="utf-8") as fh:
            json.dump(to_aw_export(generated), fh)
        result["events"] = sum(g.count() for g in generated)
    result["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
