"""A realistic generated working day (apps, titles, URLs, AFK) for screenshots and benchmarks."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us

HOST = "demo-laptop"
WINDOW_BUCKET = f"aw-watcher-window_{HOST}"
AFK_BUCKET = f"aw-watcher-afk_{HOST}"
WEB_BUCKET = f"aw-watcher-web-firefox_{HOST}"
EDITOR_BUCKET = f"aw-watcher-vscode_{HOST}"

FILES = ["timeline_view.py", "span_item.py", "writer.py", "test_timeline.py", "README.md",
         "summary.py", "pyproject.toml", "main_window.py"]  # fmt: skip
SITES = [
    ("https://github.com/timelygator/timelygator/pull/{n}", "Pull request #{n} · timelygator"),
    ("https://stackoverflow.com/questions/{n}/qt-paint", "Qt paint performance - Stack Overflow"),
    ("https://docs.python.org/3/library/bisect.html", "bisect — Array bisection algorithm"),
    ("https://www.youtube.com/watch?v=dQw{n}", "Conference talk: rendering 1M points - YouTube"),
    ("https://news.ycombinator.com/item?id={n}", "Hacker News"),
    ("https://mail.google.com/mail/u/0/#inbox", "Inbox (3) - Gmail"),
    ("https://www.reddit.com/r/Python/comments/{n}", "r/Python - reddit"),
    ("https://en.wikipedia.org/wiki/Time_tracking", "Time tracking - Wikipedia"),
    ("https://docs.google.com/document/d/{n}/edit", "Q3 planning - Google Docs"),
]  # fmt: skip
APPS = [
    # (app, weight, mean seconds, titles)
    ("Code", 30, 240, [f"{f} - timelygator - Visual Studio Code" for f in FILES]),
    ("firefox", 25, 120, None),
    ("gnome-terminal", 12, 90, ["pytest tests/gui -q", "git log --oneline", "htop", "~/src"]),
    ("Slack", 10, 60, ["#dev - TimelyGator", "#random - TimelyGator", "Anna Schmidt (DM)"]),
    ("Thunderbird", 5, 90, ["Inbox - Thunderbird", "Re: release notes - Thunderbird"]),
    ("zoom", 3, 900, ["Zoom Meeting", "Daily standup - Zoom"]),
    ("Spotify", 2, 30, ["Spotify Premium", "Lo-fi beats to code to"]),
    ("libreoffice-writer", 3, 300, ["Design notes.odt - LibreOffice Writer"]),
    ("nautilus", 2, 20, ["Downloads", "Documents"]),
    ("vlc", 1, 400, ["conference-talk.mkv - VLC media player"]),
]  # fmt: skip


# How a kind of day shifts the mix of apps (multipliers of the weights above).
DAY_KINDS = {
    "coding": {"Code": 1.6, "gnome-terminal": 1.4, "zoom": 0.3},
    "meetings": {"zoom": 6.0, "libreoffice-writer": 2.5, "Thunderbird": 2.0, "Code": 0.4},
    "mail": {"Thunderbird": 4.0, "Slack": 2.5, "firefox": 1.3, "Code": 0.6},
    "weekend": {"firefox": 2.0, "vlc": 8.0, "Spotify": 5.0, "Code": 0.5, "zoom": 0.0,
                "Slack": 0.2, "Thunderbird": 0.3},
}  # fmt: skip
WEEKDAY_KIND = ("meetings", "coding", "coding", "coding", "mail", "weekend", "weekend")


def _schedule(rng: random.Random, day: date) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Working stretches and the breaks between them, in minutes after midnight; each day
    its own (start, lunch, short breaks, an evening now and then; short weekend sessions)."""
    if day.weekday() >= 5:
        morning = rng.randint(9 * 60 + 30, 11 * 60)
        sessions = [(morning, morning + rng.randint(40, 110))]
        evening = rng.randint(19 * 60, 20 * 60 + 30)
        sessions.append((evening, evening + rng.randint(30, 90)))
        return sessions, []
    start = rng.randint(7 * 60 + 50, 9 * 60 + 40)
    end = rng.randint(16 * 60 + 20, 19 * 60 + 10) - (90 if day.weekday() == 4 else 0)
    lunch = rng.randint(12 * 60, 13 * 60 + 10)
    breaks = [(lunch, lunch + rng.randint(30, 65))]
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(start + 60, end - 40)
        if all(abs(at - b0) > 70 for b0, _ in breaks):
            breaks.append((at, at + rng.randint(6, 18)))
    breaks.sort()
    sessions = [(start, end)]
    if rng.random() < 0.3:  # an evening catching up
        evening = rng.randint(20 * 60 + 30, 21 * 60 + 15)
        sessions.append((evening, evening + rng.randint(35, 80)))
    return sessions, breaks


Switch = tuple[str, str, str]
"""An app used in place of another: ``(new app, text in the old app's titles, replacement)``."""


def generate_day(
    day: date,
    *,
    seed: int = 7,
    speedup: float = 1.0,
    switched: dict[str, Switch] | None = None,
) -> dict[str, list[Event]]:
    """Events of one day as a person spends it: the start, end, breaks and mix of apps vary
    from day to day (a meeting Monday, coding mid-week, mail on Friday, short weekend
    sessions); ``speedup`` > 1 makes switches that much more frequent. ``switched`` maps an
    app to the one used in its place that day (an app no category rule names yet)."""
    rng = random.Random(seed + day.toordinal())
    tz = datetime.combine(day, time()).astimezone().utcoffset()
    offset = int(tz.total_seconds()) if tz else 0

    def us(minutes: int) -> int:
        return to_us(datetime.combine(day, time(minutes // 60, minutes % 60)).astimezone())

    sessions, breaks = _schedule(rng, day)
    afk: list[Event] = []
    stretches: list[tuple[int, int]] = []
    for s0, s1 in sessions:
        cursor = s0
        for b0, b1 in breaks:
            if s0 < b0 < s1:
                afk.append(Event(us(cursor), us(b0), {"status": "not-afk"}, tz_offset_s=offset))
                afk.append(Event(us(b0), us(b1), {"status": "afk"}, tz_offset_s=offset))
                cursor = b1
        afk.append(Event(us(cursor), us(s1), {"status": "not-afk"}, tz_offset_s=offset))
        stretches.append((us(s0), us(s1)))
    window: list[Event] = []
    web: list[Event] = []
    editor: list[Event] = []
    mix = DAY_KINDS[WEEKDAY_KIND[day.weekday()]]
    weights = [a[1] * mix.get(a[0], 1.0) for a in APPS]
    for start, end in stretches:
        _fill(rng, start, end, weights, speedup, offset, window, web, editor)
    for event in window:
        switch = (switched or {}).get(event.data["app"])
        if switch is not None:
            app, old, new = switch
            title = event.data["title"].replace(old, new) if old else event.data["title"]
            event.data = {"app": app, "title": title}
    return {WINDOW_BUCKET: window, AFK_BUCKET: afk, WEB_BUCKET: web, EDITOR_BUCKET: editor}


def _fill(
    rng: random.Random,
    start: int,
    end: int,
    weights: list[float],
    speedup: float,
    offset: int,
    window: list[Event],
    web: list[Event],
    editor: list[Event],
) -> None:
    """Window (and matching browser and editor) events from ``start`` to ``end``."""
    t = start
    while t < end:
        app, _, mean, titles = rng.choices(APPS, weights)[0]
        dur = max(2.0, rng.expovariate(1 / mean) / speedup)
        t_end = min(end, t + int(dur * 1e6))
        if app == "firefox":
            url, title = rng.choice(SITES)
            n = rng.randint(1000, 9999)
            url, title = url.format(n=n), title.format(n=n)
            web.append(Event(t, t_end, {"url": url, "title": title, "audible": False,
                                        "incognito": False, "tabCount": rng.randint(3, 30)},
                             tz_offset_s=offset))  # fmt: skip
            data = {"app": app, "title": f"{title} — Mozilla Firefox"}
        else:
            data = {"app": app, "title": rng.choice(titles or [app])}
        if app == "Code":
            path = f"/home/demo/src/timelygator/{rng.choice(FILES)}"
            editor.append(Event(t, t_end, {"file": path,
                                           "project": "timelygator", "language": "python"},
                                tz_offset_s=offset))  # fmt: skip
        window.append(Event(t, t_end, data, tz_offset_s=offset))
        t = t_end


BUCKET_TYPES = {
    WINDOW_BUCKET: ("currentwindow", "aw-watcher-window"),
    AFK_BUCKET: ("afkstatus", "aw-watcher-afk"),
    WEB_BUCKET: ("web.tab.current", "aw-watcher-web-firefox"),
    EDITOR_BUCKET: ("app.editor.activity", "aw-watcher-vscode"),
}


def store_days(
    services: Services,
    days: list[date],
    *,
    speedup: float = 1.0,
    weekends: bool = False,
    switched: dict[str, Switch] | None = None,
) -> int:
    """Generate and store ``days`` (weekends skipped unless asked); returns the event count.
    ``switched``: apps used in place of others on these days (see ``generate_day``)."""
    keys = {
        name: services.ensure_bucket(name, type=kind, client=client, hostname=HOST)
        for name, (kind, client) in BUCKET_TYPES.items()
    }
    count = 0
    futures = []
    for day in days:
        if day.weekday() >= 5 and not weekends:
            continue
        for name, events in generate_day(day, speedup=speedup, switched=switched).items():
            futures.append(services.writer.insert_events(keys[name], events))
            count += len(events)
    for future in futures:
        future.result(120)
    return count


def recent_days(last: date, count: int) -> list[date]:
    return [last - timedelta(days=i) for i in range(count - 1, -1, -1)]
