"""A self-contained HTML report: inline CSS and inline SVG charts, no scripts, no downloads."""

from __future__ import annotations

from html import escape
from typing import Any

from timelygator.core.analytics.report import hms
from timelygator.core.categories.colors import category_color

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:980px;
color:#222;background:#fff;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;
padding:.6em 1em;min-width:9em}.card b{display:block;font-size:1.35em}
table{border-collapse:collapse;width:100%;margin:.4em 0}td,th{padding:.25em .5em;
border-bottom:1px solid #eee;text-align:left}td.n,th.n{text-align:right;white-space:nowrap}
tfoot td{font-weight:600;border-top:2px solid #ccc}.sw{display:inline-block;width:.8em;height:.8em;
border-radius:2px;margin-right:.4em;vertical-align:-1px}
svg text{font:11px system-ui,sans-serif;fill:#444}
.muted{color:#777}
"""


def _bar_chart(rows: list[tuple[str, float, str]], width: int = 940) -> str:
    """Horizontal bars: (label, seconds, color)."""
    if not rows:
        return ""
    top = max(r[1] for r in rows) or 1.0
    label_w, row_h = 260, 22
    height = row_h * len(rows) + 4
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="time by category">']
    for index, (label, seconds, color) in enumerate(rows):
        y = index * row_h + 2
        bar = max(1.0, (width - label_w - 90) * seconds / top)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label[:40])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar:.1f}" height="{row_h - 6}" '
            f'fill="{escape(color)}"><title>{escape(label)}: {hms(seconds)}</title></rect>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 15}">{hms(seconds)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _stacked_columns(
    labels: list[str], series: dict[str, list[float]], colors: dict[str, str], width: int = 940
) -> str:
    """Stacked columns, one per label; ``series`` maps a name to one value per label (s)."""
    if not labels or not series:
        return ""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals) or 1.0
    height, bottom, left = 220, 24, 48
    plot_h = height - bottom - 8
    step = (width - left) / len(labels)
    bar_w = max(1.0, step * 0.75)
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="stacked time">']
    for fraction in (0.5, 1.0):
        y = 8 + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{hms(top * fraction)}</text>'
        )
    every = max(1, len(labels) // 24)
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        y = 8.0 + plot_h
        for name, values in series.items():
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{escape(colors.get(name) or category_color((name,)))}">'
                f"<title>{escape(label)} · {escape(name)}: {hms(value)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(
    title: str,
    rows: list[dict[str, Any]],
    colors: dict[str, str] | None = None,
    total: float | None = None,
) -> str:
    if not rows:
        return ""
    body = []
    for row in rows:
        swatch = ""
        if colors is not None:
            color = escape(colors.get(row["name"], "#999"))
            swatch = f'<span class="sw" style="background:{color}"></span>'
        body.append(
            f"<tr><td>{swatch}{escape(str(row['name']))}</td>"
            f'<td class="n">{hms(row["seconds"])}</td>'
            f'<td class="n">{row.get("percent", "")}%</td></tr>'
        )
    if total is None:
        total = sum(r["seconds"] for r in rows)
    return (
        f"<h2>{escape(title)}</h2><table><thead><tr><th>{escape(title)}</th>"
        '<th class="n">Time</th><th class="n">Share</th></tr></thead><tbody>'
        + "".join(body)
        + f'</tbody><tfoot><tr><td>Total</td><td class="n">{hms(total)}</td><td></td></tr>'
        "</tfoot></table>"
    )


def render_html(doc: dict[str, Any]) -> str:
    rng, totals = doc["range"], doc["totals"]
    span = rng["first"] if rng["days"] == 1 else f"{rng['first']} \u2013 {rng['last']}"
    colors = {n["name"]: n["color"] for n in doc["categories"]}
    productivity = totals["productivity"]
    cards = [
        ("Active", hms(totals["active_seconds"])),
        ("Away", hms(totals["afk_seconds"])),
        ("Untracked", hms(totals["untracked_seconds"])),
        ("Productivity", "\u2013" if productivity is None else f"{productivity:.0f}"),
        ("Focus", f"{hms(totals['focus_seconds'])} ({totals['focus_sessions']})"),
        (
            "Switches / h",
            "\u2013" if totals["switches_per_hour"] is None else f"{totals['switches_per_hour']}",
        ),
    ]
    cat_rows: list[tuple[str, float, str]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            cat_rows.append(("\u203a " * depth + node["name"], node["seconds"], node["color"]))
            walk(node["children"], depth + 1)

    walk(doc["categories"], 0)
    hours = [f"{h:02d}" for h in range(24)]
    sections = [
        f"<h1>TimelyGator report</h1><p class='muted'>{escape(span)} · days start at "
        f"{escape(rng['day_start'])}</p>",
        '<div class="cards">'
        + "".join(f'<div class="card">{escape(k)}<b>{escape(v)}</b></div>' for k, v in cards)
        + "</div>",
        "<h2>Categories</h2>" + _bar_chart(cat_rows[:30]),
        "<h2>Hour of day</h2>" + _stacked_columns(hours, doc["hourly"], colors),
    ]
    if len(doc["daily"]) > 1:
        labels = [d["date"][5:] for d in doc["daily"]]
        names = [n["name"] for n in doc["categories"]]
        series = {n: [d["categories"].get(n, 0.0) for d in doc["daily"]] for n in names}
        sections.append("<h2>Days</h2>" + _stacked_columns(labels, series, colors))
    top_rows = [
        {"name": n["name"], "seconds": n["seconds"], "percent": n["percent"]}
        for n in doc["categories"]
    ]
    sections.append(_table("Top categories", top_rows, colors))
    lists = (("apps", "Apps"), ("titles", "Titles"), ("domains", "Domains"), ("urls", "URLs"))
    for key, title in lists:
        sections.append(_table(title, doc[key]["items"], total=doc[key]["total_seconds"]))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>TimelyGator report {escape(span)}</title>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{CSS}</style></head><body>" + "".join(sections) + "</body></html>\n"
    )
