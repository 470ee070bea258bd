#!/usr/bin/env python3
"""Analytics and query benchmark on a one-year encrypted store; canonical query vs ActivityWatch.

Prints ONE JSON object (progress on stderr). Figures (medians, milliseconds):

- summary_day_*: ``core.analytics.service.summary_for_days`` for one day (everything the
  Activity view shows). ``raw_cold``: a new service (as in a new process: cold caches,
  categories never seen) and a day with nothing stored (read from events); ``raw_warm``:
  another such day in the same service; ``today_refresh``: the same day read from events
  again (as "today" after new events), its values already categorized; ``stored_cold``: a
  new service, the day's statistics in the table; ``cached``: asked again.
- summary_month_*: a month, same meanings; ``no_stats_cold``: a new service, the digests
  stored but no statistics under any rules (every distinct value categorized);
  ``after_rule_change_cold``: a new service after a real rule edit (an app name added to the
  regex of Work > Programming), the statistics of the previous rules stored (the edited
  regex is searched in every value, the other rules' results are carried over).
- trend_year_*: ``daily_trend`` over the whole year (``raw_first_run`` = nothing stored, the
  very first run on a year of history; ``no_stats_cold``; ``after_rule_change_cold``;
  ``after_score_change_cold``: a new service after a category's score changed, nothing to
  search; ``stored_cold``).
- canonical query (window ∩ not-AFK, browser tabs ∩ browser windows, categorize with the
  default categories, merge by app/title/category/domain, sort, limit, sum) over one working
  day: ours through ``core.query.run_query`` on the store-backed source, ours through
  ``timelygator serve`` (HTTP, compatibility mode), and ActivityWatch's Python server
  (``aw-server --testing`` in its own venv, the same day loaded through ``/api/0/import``).

Targets (2-core machine, one-year store): day < 100 ms, month < 1 s, year trend < 2 s,
canonical query >= 5x faster than aw-server.

Usage:
  python -m venv /tmp/awvenv && /tmp/awvenv/bin/pip install aw-server "peewee<4" "flask>=2.2,<2.3"
  python tests/benchmarks/query.py [--store /tmp/tg-bench-year] [--days 366] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
from servers import free_port, wait_ready  # noqa: E402
from timelygator.core.analytics.localdays import AnalyticsSettings  # noqa: E402
from timelygator.core.analytics.service import AnalyticsService  # noqa: E402
from timelygator.core.categories import load_default_categories  # noqa: E402
from timelygator.core.categories.stored import (  # noqa: E402
    load_stored_categories,
    replace_stored_categories,
)
from timelygator.core.paths import resolve_dirs  # noqa: E402
from timelygator.core.query import run_query  # noqa: E402
from timelygator.core.query.store_source import StoreDataSource  # noqa: E402
from timelygator.core.services import Services  # noqa: E402

from tests.helpers.analytics import new_analytics  # noqa: E402

PASSPHRASE = "benchmark-passphrase"
FIRST = date(2024, 1, 1)
CLI = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
)


def log(text: str) -> None:
    print(f"[query bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


# -- the store -------------------------------------------------------------------------------
def ensure_store(path: Path, days: int, seed: int) -> dict[str, Any]:
    marker = path / f"complete-{days}-{seed}"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(path, ignore_errors=True)
    log(f"building a {days}-day store in {path} (once; reused by later runs)")
    started = time.perf_counter()
    with Services.open(resolve_dirs(path), PASSPHRASE) as services:
        events = dataset.write_to_services(services, FIRST, days, seed, progress=True)
    info = {
        "events": events,
        "build_s": round(time.perf_counter() - started, 1),
        "file_mb": round((path / "timelygator.db").stat().st_size / 1e6),
    }
    marker.write_text(json.dumps(info))
    return info


def drop_digests(services: Services) -> None:
    """Forget every stored digest and statistic (as on a store that never ran analytics)."""

    def drop(conn: Any) -> None:
        conn.exec_driver_sql("DELETE FROM day_digests")
        conn.exec_driver_sql("DELETE FROM day_stats")

    services.writer.call(drop).result()


def drop_stats(services: Services) -> None:
    """Forget stored statistics only (as after a category rule change)."""
    services.writer.call(lambda c: c.exec_driver_sql("DELETE FROM day_stats")).result()


EDITS = ["Postman", "Insomnia", "DBeaver", "pgAdmin", "Docker Desktop", "Lens"]


def edit_categories(services: Services, edit: Callable[[dict[tuple[str, ...], Any]], None]) -> None:
    """Store the categories after ``edit`` (given them by path), as the settings dialog does."""
    user = services.user_id
    with services.read() as conn:
        categories = load_stored_categories(conn, user)
    edit({c.path: c for c in categories})
    services.writer.call(lambda conn: replace_stored_categories(conn, user, categories)).result()


def add_app_to_rule(services: Services, index: int) -> None:
    """A real rule edit: one more app name in the regex of Work > Programming."""

    def edit(by_path: dict[tuple[str, ...], Any]) -> None:
        rule = by_path[("Work", "Programming")].rule
        rule.regex = f"{rule.regex}|{EDITS[index % len(EDITS)]}"

    edit_categories(services, edit)


def change_score(services: Services) -> None:
    def edit(by_path: dict[tuple[str, ...], Any]) -> None:
        media = by_path[("Media",)]
        media.score = -1 if media.score == -2 else -2

    edit_categories(services, edit)


def restore_categories(services: Services) -> None:
    """Back to the defaults (the store is reused by later runs)."""
    services.writer.call(lambda c: c.exec_driver_sql("DELETE FROM categories")).result()


def fresh(services: Services) -> AnalyticsService:
    """A new analytics service (cold caches), as in a newly started process."""
    return new_analytics(services)


def summary_of(services: Services, day: date, settings: AnalyticsSettings) -> Any:
    return services.analytics.summary_for_days(services.user_id, day, day, settings)


def trend_of(services: Services, first: date, last: date, settings: AnalyticsSettings) -> Any:
    return services.analytics.daily_trend(services.user_id, first, last, settings)


def wait_persisted(service: AnalyticsService) -> None:
    future = getattr(service, "last_persist", None)
    if future is not None:
        future.result()
    service._writer.flush()


def weekdays(start: date, count: int, step: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=step)
    return out


def bench_analytics(services: Services, days: int, quick: bool) -> dict[str, Any]:
    settings = AnalyticsSettings()
    last = FIRST + timedelta(days=days - 1)
    out: dict[str, Any] = {}
    drop_digests(services)
    restore_categories(services)
    reps = 3 if quick else 5

    # One day.
    sample = weekdays(FIRST + timedelta(days=40), reps * 2, 9)
    raw_cold, raw_warm, refresh, stored_cold, cached = [], [], [], [], []
    events_in_day = []
    for i in range(reps):
        day, other = sample[2 * i], sample[2 * i + 1]
        fresh(services)
        t, s = ms(lambda d=day: summary_of(services, d, settings))
        raw_cold.append(t)
        t, _ = ms(lambda d=other: summary_of(services, d, settings))
        raw_warm.append(t)
        t, _ = ms(lambda d=day: summary_of(services, d, settings))
        cached.append(t)
        # "Today" after new events: the day is read from events again, its values are known.
        wait_persisted(services.analytics)
        drop_digests(services)
        service = services.analytics
        with service._lock:
            service._digests.clear()
            service._stats.clear()
        t, _ = ms(lambda d=day: summary_of(services, d, settings))
        refresh.append(t)
        wait_persisted(services.analytics)
        fresh(services)
        t, _ = ms(lambda d=day: summary_of(services, d, settings))
        stored_cold.append(t)
        with services.read() as conn:
            lo, hi = s.start_us, s.end_us
            events_in_day.append(
                conn.exec_driver_sql(
                    "SELECT count(*) FROM events WHERE start_us >= ? AND start_us < ?", (lo, hi)
                ).scalar_one()
            )
    out["summary_day_ms"] = {
        "raw_cold": median(raw_cold),
        "raw_warm": median(raw_warm),
        "today_refresh": median(refresh),
        "stored_cold": median(stored_cold),
        "cached": median(cached),
        "events_per_day": int(statistics.median(events_in_day)),
    }
    log(f"day: {out['summary_day_ms']}")

    # One month.
    months = [date(2024, m, 1) for m in (3, 5, 7, 9, 11)][:reps]
    raw, no_stats, rule_change, stored, cached = [], [], [], [], []
    for index, first in enumerate(months):
        month_last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)

        def run(a: date = first, b: date = month_last) -> Any:
            return services.analytics.summary_for_days(services.user_id, a, b, settings)

        fresh(services)
        t, s = ms(run)
        raw.append(t)
        wait_persisted(services.analytics)
        drop_stats(services)
        fresh(services)
        t, _ = ms(run)
        no_stats.append(t)
        wait_persisted(services.analytics)
        add_app_to_rule(services, index)
        fresh(services)
        t, _ = ms(run)
        rule_change.append(t)
        wait_persisted(services.analytics)
        fresh(services)
        t, _ = ms(run)
        stored.append(t)
        t, _ = ms(run)
        cached.append(t)
    out["summary_month_ms"] = {
        "raw_cold": median(raw),
        "no_stats_cold": median(no_stats),
        "after_rule_change_cold": median(rule_change),
        "stored_cold": median(stored),
        "cached": median(cached),
        "active_hours": round(s.active_us / 3.6e9, 1),
    }
    log(f"month: {out['summary_month_ms']}")

    # The year's daily trend.
    drop_digests(services)
    fresh(services)
    t_raw, trend = ms(lambda: trend_of(services, FIRST, last, settings))
    wait_persisted(services.analytics)
    drop_stats(services)
    fresh(services)
    t_no_stats, _ = ms(lambda: trend_of(services, FIRST, last, settings))
    wait_persisted(services.analytics)
    add_app_to_rule(services, len(months))
    fresh(services)
    t_rules, _ = ms(lambda: trend_of(services, FIRST, last, settings))
    wait_persisted(services.analytics)
    change_score(services)
    fresh(services)
    t_score, _ = ms(lambda: trend_of(services, FIRST, last, settings))
    wait_persisted(services.analytics)
    stored = []
    for _ in range(3):
        fresh(services)
        t, _ = ms(lambda: trend_of(services, FIRST, last, settings))
        stored.append(t)
    t_cached, _ = ms(lambda: trend_of(services, FIRST, last, settings))
    out["trend_year_ms"] = {
        "raw_first_run": round(t_raw, 1),
        "no_stats_cold": round(t_no_stats, 1),
        "after_rule_change_cold": round(t_rules, 1),
        "after_score_change_cold": round(t_score, 1),
        "stored_cold": median(stored),
        "cached": round(t_cached, 1),
        "days": len(trend.days),
    }
    log(f"year trend: {out['trend_year_ms']}")
    restore_categories(services)
    return out


# -- the canonical query ---------------------------------------------------------------------
def canonical_query() -> list[str]:
    classes = [[c.name, c.rule.to_dict()] for c in load_default_categories() if c.rule.active]
    cats = json.dumps(classes)
    lines = [
        'events = flood(query_bucket(find_bucket("aw-watcher-window_")));',
        'not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_")));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "browser_events = [];",
    ]
    for browser, app in dataset.BROWSER_APPS.items():
        bucket = dataset.WEB_BUCKETS[browser]
        lines += [
            f'events_{browser} = flood(query_bucket("{bucket}"));',
            f'window_{browser} = filter_keyvals(events, "app", ["{app}"]);',
            f"events_{browser} = filter_period_intersect(events_{browser}, window_{browser});",
            f"events_{browser} = split_url_events(events_{browser});",
            f"browser_events = concat(browser_events, events_{browser});",
        ]
    lines += [
        "browser_events = sort_by_timestamp(browser_events);",
        "events = filter_period_intersect(events, not_afk);",
        "browser_events = filter_period_intersect(browser_events, not_afk);",
        f"events = categorize(events, {cats});",
        f"browser_events = categorize(browser_events, {cats});",
        'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
        'app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
        'cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
        "app_events = limit_events(app_events, 100);",
        "title_events = limit_events(title_events, 100);",
        "duration = sum_durations(events);",
        'domains = sort_by_duration(merge_events_by_keys(browser_events, ["$domain"]));',
        "domains = limit_events(domains, 100);",
        'browser_cats = sort_by_duration(merge_events_by_keys(browser_events, ["$category"]));',
        'RETURN = {"window": {"app_events": app_events, "title_events": title_events,',
        '          "cat_events": cat_events, "duration": duration},',
        '          "browser": {"domains": domains, "cat_events": browser_cats,',
        '          "duration": sum_durations(browser_events)}};',
    ]
    return lines


def period_of(day: date, offset_s: int) -> str:
    sign = "+" if offset_s >= 0 else "-"
    off = f"{sign}{abs(offset_s) // 3600:02d}:{abs(offset_s) % 3600 // 60:02d}"
    nxt = day + timedelta(days=1)
    return f"{day.isoformat()}T04:00:00{off}/{nxt.isoformat()}T04:00:00{off}"


def digest_result(result: dict[str, Any]) -> dict[str, Any]:
    window = result["window"]
    return {
        "duration_s": round(window["duration"], 1),
        "browser_duration_s": round(result["browser"]["duration"], 1),
        "top_apps": [e["data"]["app"] for e in window["app_events"][:5]],
        "categories": len(window["cat_events"]),
        "domains": len(result["browser"]["domains"]),
    }


def post_query(client: httpx.Client, url: str, query: list[str], period: str) -> Any:
    response = client.post(
        f"{url}/api/0/query/", json={"timeperiods": [period], "query": query}, timeout=600
    )
    response.raise_for_status()
    return response.json()[0]


def bench_query_ours(services: Services, day: date, reps: int) -> dict[str, Any]:
    query = canonical_query()
    period = period_of(day, dataset.day_offset_s(day, None))
    times = []
    result: Any = None
    for _ in range(reps):
        with services.read() as conn:
            source = StoreDataSource(conn, services.user_id)
            t, result = ms(lambda s=source: run_query(query, [period], s)[0])
        times.append(t)
    return {"first_ms": round(times[0], 1), "median_ms": median(times[1:] or times),
            "result": digest_result(result)}  # fmt: skip


def bench_query_http(store: Path, day: date, reps: int) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-c", CLI, "--data-dir", str(store)]
    proc = subprocess.Popen(
        [*base, "serve", "--port", str(port), "--compat", "--rate-limit", "0"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        return http_timings(url, day, reps)
    finally:
        proc.terminate()
        proc.wait(30)


def http_timings(url: str, day: date, reps: int) -> dict[str, Any]:
    query = canonical_query()
    period = period_of(day, dataset.day_offset_s(day, None))
    times = []
    result: Any = None
    with httpx.Client() as client:
        for _ in range(reps):
            t, result = ms(lambda: post_query(client, url, query, period))
            times.append(t)
    return {"first_ms": round(times[0], 1), "median_ms": median(times[1:] or times),
            "result": digest_result(result)}  # fmt: skip


def bench_query_aw(aw_server: str, day: date, seed: int, reps: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="aw-bench-"))
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    port = free_port()
    proc = subprocess.Popen(
        [aw_server, "--testing", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        generated = dataset.day_events(day, seed)
        export = dataset.to_aw_export([generated])
        t, _ = ms(
            lambda: httpx.post(f"{url}/api/0/import", json=export, timeout=900).raise_for_status()
        )
        log(f"aw-server: imported {generated.count()} events in {t / 1000:.1f} s")
        out = http_timings(url, day, reps)
        out["events"] = generated.count()
        return out
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "tg-bench-year")
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--aw-server", default="/tmp/awvenv/bin/aw-server")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-aw", action="store_true", help="skip ActivityWatch")
    args = parser.parse_args()
    result: dict[str, Any] = {"store": ensure_store(args.store, args.days, args.seed)}
    query_day = date(2024, 6, 12)  # a Wednesday
    reps = 5 if args.quick else 9
    with Services.open(resolve_dirs(args.store), PASSPHRASE) as services:
        result.update(bench_analytics(services, args.days, args.quick))
        log("canonical query, ours (run_query on the store)")
        result["query_ours_direct"] = bench_query_ours(services, query_day, reps)
    log("canonical query, ours over HTTP (timelygator serve)")
    result["query_ours_http"] = bench_query_http(args.store, query_day, reps)
    if not args.no_aw and Path(args.aw_server).exists():
        log("canonical query, aw-server")
        aw = result["query_aw_server"] = bench_query_aw(args.aw_server, query_day, args.seed, reps)
        aw_ms = aw["median_ms"]
        result["ratios_aw_over_ours"] = {
            "direct": round(aw_ms / result["query_ours_direct"]["median_ms"], 1),
            "http": round(aw_ms / result["query_ours_http"]["median_ms"], 1),
        }
    result["targets"] = {
        "day_ms<100": result["summary_day_ms"]["today_refresh"] < 100
        and result["summary_day_ms"]["stored_cold"] < 100,
        "month_ms<1000": result["summary_month_ms"]["stored_cold"] < 1000,
        "year_trend_ms<2000": result["trend_year_ms"]["stored_cold"] < 2000,
        "query>=5x_aw": result.get("ratios_aw_over_ours", {}).get("http", 0) >= 5,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
