"""Reports of a range: one document (JSON-ready), rendered as text, CSV or HTML.

``report_document`` turns a ``Summary`` into plain data (seconds as numbers, dates as ISO
strings); ``render_text`` and ``render_csv`` format it for terminals and spreadsheets; HTML is
in ``core.analytics.report_html``. The CLI (``timelygator report``) and the API use these.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.analytics.summary import Summary
from timelygator.core.analytics.tree import CategoryNode
from timelygator.core.categories.colors import category_color

ColorOf = Callable[[tuple[str, ...]], str | None]


def _s(us: int) -> float:
    return round(us / 1_000_000, 3)


def _iso(us: int, offset_s: int) -> str:
    moment = datetime.fromtimestamp(us / 1_000_000, UTC) + timedelta(seconds=offset_s)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _node(node: CategoryNode, color_of: ColorOf, total: int) -> dict[str, Any]:
    return {
        "name": node.name,
        "path": list(node.path),
        "seconds": _s(node.total_us),
        "self_seconds": _s(node.self_us),
        "percent": round(100 * node.total_us / total, 1) if total else 0.0,
        "color": color_of(node.path) or category_color(node.path),
        "children": [_node(c, color_of, total) for c in node.children],
    }


def _top(items: Sequence[tuple[str, int]], limit: int, total: int) -> dict[str, Any]:
    """The first ``limit`` items, plus what the rest add up to."""
    rows = [
        {"name": name, "seconds": _s(us), "percent": round(100 * us / total, 1) if total else 0.0}
        for name, us in items[:limit]
    ]
    all_us = sum(us for _, us in items)
    return {
        "items": rows,
        "total_seconds": _s(all_us),
        "other_seconds": _s(all_us - sum(us for _, us in items[:limit])),
        "count": len(items),
    }


def report_document(
    summary: Summary,
    first: date,
    last: date,
    settings: AnalyticsSettings,
    *,
    color_of: ColorOf = lambda _path: None,
    limit: int = 25,
    offset_s: int = 0,
) -> dict[str, Any]:
    """Everything a report shows, as JSON-ready data (durations in seconds)."""
    active = summary.active_us
    daily = summary.daily
    days: list[dict[str, Any]] = []
    if daily is not None:
        for index, day in enumerate(daily.days):
            by = {c: _s(daily.totals[c][index]) for c in daily.categories if daily.totals[c][index]}
            days.append(
                {"date": day.isoformat(), "seconds": _s(daily.day_total(index)), "categories": by}
            )
    hourly = {top: [_s(us) for us in row] for top, row in summary.hourly.items()}
    return {
        "range": {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "days": (last - first).days + 1,
            "day_start": f"{settings.day_start_s // 3600:02d}:"
            f"{settings.day_start_s % 3600 // 60:02d}",
        },
        "totals": {
            "active_seconds": _s(active),
            "afk_seconds": _s(summary.afk_us),
            "untracked_seconds": _s(summary.untracked_us),
            "productivity": None
            if summary.productivity is None
            else round(summary.productivity, 1),
            "focus_seconds": _s(summary.focus_us),
            "focus_sessions": len(summary.focus_sessions),
            "context_switches": summary.context_switches,
            "switches_per_hour": (
                None if summary.switches_per_hour is None else round(summary.switches_per_hour, 2)
            ),
        },
        "categories": [_node(n, color_of, active) for n in summary.category_tree],
        "apps": _top(summary.apps, limit, active),
        "titles": _top(summary.titles, limit, active),
        "domains": _top(summary.domains, limit, active),
        "urls": _top(summary.urls, limit, active),
        "daily": days,
        "hourly": hourly,
        "focus_sessions": [
            {
                "start": _iso(f.start_us, offset_s),
                "end": _iso(f.end_us, offset_s),
                "seconds": _s(f.focus_us),
                "category": f.top_category,
            }
            for f in summary.focus_sessions
        ],
        "gaps": [
            {"start": _iso(s, offset_s), "end": _iso(e, offset_s), "seconds": _s(e - s)}
            for s, e in summary.gaps
        ],
    }


def hms(seconds: float) -> str:
    """``3h 05m`` / ``12m 30s`` / ``45s`` (how durations are written everywhere, GUI too)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_duration(us: float) -> str:
    """A duration in microseconds as ``hms`` writes it."""
    return hms(us / 1_000_000)


def _table(title: str, rows: list[tuple[str, float, float | None]], total: float) -> list[str]:
    if not rows:
        return []
    width = min(60, max([len(title), 5, *(len(r[0]) for r in rows)]))
    lines = [f"{title:<{width}}  {'Time':>9}  {'Share':>6}", "-" * (width + 19)]
    for name, seconds, percent in rows:
        shown = name if len(name) <= width else name[: width - 1] + "…"
        share = "" if percent is None else f"{percent:5.1f}%"
        lines.append(f"{shown:<{width}}  {hms(seconds):>9}  {share:>6}")
    lines.append("-" * (width + 19))
    lines.append(f"{'Total':<{width}}  {hms(total):>9}")
    lines.append("")
    return lines


def render_text(doc: dict[str, Any]) -> str:
    rng, totals = doc["range"], doc["totals"]
    span = rng["first"] if rng["days"] == 1 else f"{rng['first']} \u2013 {rng['last']}"
    active = totals["active_seconds"]
    productivity = totals["productivity"]
    switches = totals["switches_per_hour"]
    lines = [
        f"TimelyGator report: {span} (days start at {rng['day_start']})",
        "",
        f"  Active          {hms(active):>10}",
        f"  Away (AFK)      {hms(totals['afk_seconds']):>10}",
        f"  Untracked       {hms(totals['untracked_seconds']):>10}",
        f"  Productivity    {'-' if productivity is None else f'{productivity:.0f} / 100':>10}",
        f"  Focus           {hms(totals['focus_seconds']):>10}  in {totals['focus_sessions']} "
        "session(s)",
        f"  Switches / hour {'-' if switches is None else switches:>10}",
        "",
    ]
    cats: list[tuple[str, float, float | None]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            cats.append(("  " * depth + node["name"], node["seconds"], node["percent"]))
            walk(node["children"], depth + 1)

    walk(doc["categories"], 0)
    top_total = sum(n["seconds"] for n in doc["categories"])
    lines += _table("Category", cats, top_total)
    active = totals["active_seconds"]
    for key, title in (("apps", "App"), ("titles", "Title"), ("domains", "Domain")):
        listing = doc[key]
        rows: list[tuple[str, float, float | None]] = [
            (r["name"], r["seconds"], r["percent"]) for r in listing["items"]
        ]
        if listing["other_seconds"] > 0:
            rest = listing["count"] - len(rows)
            other = listing["other_seconds"]
            share = round(100 * other / active, 1) if active else None
            rows.append((f"({rest} more)", other, share))
        lines += _table(title, rows, listing["total_seconds"])
    if len(doc["daily"]) > 1:
        day_rows: list[tuple[str, float, float | None]] = [
            (d["date"], d["seconds"], None) for d in doc["daily"]
        ]
        lines += _table("Day", day_rows, sum(r[1] for r in day_rows))
    return "\n".join(lines).rstrip() + "\n"


def render_csv(doc: dict[str, Any]) -> str:
    """One flat table: section, name, seconds, hours, percent (easy to pivot)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "name", "seconds", "hours", "percent"])
    for key, value in doc["totals"].items():
        writer.writerow(["total", key, value, "", ""])

    def row(section: str, name: str, seconds: float, percent: float | str = "") -> None:
        writer.writerow([section, name, seconds, round(seconds / 3600, 4), percent])

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            row("category", " > ".join(node["path"]), node["seconds"], node["percent"])
            walk(node["children"])

    walk(doc["categories"])
    lists = (("apps", "app"), ("titles", "title"), ("domains", "domain"), ("urls", "url"))
    for key, section in lists:
        for item in doc[key]["items"]:
            row(section, item["name"], item["seconds"], item["percent"])
    for day in doc["daily"]:
        row("day", day["date"], day["seconds"])
    hours = [0.0] * 24
    for values in doc["hourly"].values():
        for hour, seconds in enumerate(values):
            hours[hour] += seconds
    for hour, seconds in enumerate(hours):
        row("hour", f"{hour:02d}:00", round(seconds, 3))
    return out.getvalue()
