"""History resolution against files laid out like Chrome's ``History`` and Firefox's
``places.sqlite`` (the columns read plus realistic extras)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.watchers.browser_history import (
    WEBKIT_EPOCH_OFFSET_US,
    BrowserHistoryResolver,
    browser_for_app,
    history_databases,
    page_title_candidates,
)
from timelygator.watchers.probes import BrowserTab, WindowInfo
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import FakeClock, RecordingSink

NOW_UNIX_US = 1_700_000_000_000_000

CHROME_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
  visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
  last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT, url INTEGER NOT NULL,
  visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL,
  segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL,
  incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL);
CREATE INDEX urls_url_index ON urls (url);
CREATE INDEX visits_url_index ON visits (url);
INSERT INTO meta VALUES ('version', '67'), ('last_compatible_version', '16');
"""

FIREFOX_SCHEMA = """
CREATE TABLE moz_origins(id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL,
  frecency INTEGER NOT NULL, UNIQUE (prefix, host));
CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
  rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,
  typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
  last_visit_date INTEGER, guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL,
  url_hash INTEGER DEFAULT 0 NOT NULL, description TEXT, preview_image_url TEXT,
  site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id), recalc_frecency INTEGER
  NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE moz_historyvisits(id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,
  visit_date INTEGER, visit_type INTEGER, session INTEGER, source INTEGER DEFAULT 0 NOT NULL,
  triggeringPlaceId INTEGER);
CREATE UNIQUE INDEX moz_places_url_hashindex ON moz_places (url_hash, url);
"""


def chrome_time(unix_us: int) -> int:
    return unix_us + WEBKIT_EPOCH_OFFSET_US


def make_chrome_history(path: Path, rows: list[tuple[str, str, int, int]]) -> None:
    """rows: (url, title, seconds before NOW, hidden)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(CHROME_SCHEMA)
    add_chrome_rows(conn, rows)
    conn.close()


def add_chrome_rows(conn: sqlite3.Connection, rows: list[tuple[str, str, int, int]]) -> None:
    for url, title, ago_s, hidden in rows:
        t = chrome_time(NOW_UNIX_US - ago_s * 1_000_000)
        cur = conn.execute(
            "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden)"
            " VALUES (?, ?, 3, 1, ?, ?)",
            (url, title, t, hidden),
        )
        conn.execute(
            "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, 805306368)",
            (cur.lastrowid, t),
        )
    conn.commit()


def open_firefox_places(path: Path) -> sqlite3.Connection:
    """A places.sqlite in WAL mode, with the connection left open like a running Firefox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # keep recent rows in the -wal file
    conn.executescript(FIREFOX_SCHEMA)
    return conn


def add_firefox_rows(conn: sqlite3.Connection, rows: list[tuple[str, str, int]]) -> None:
    for url, title, ago_s in rows:
        host = url.split("/")[2]
        conn.execute(
            "INSERT INTO moz_places (url, title, rev_host, visit_count, hidden, typed, frecency,"
            " last_visit_date, guid, url_hash) VALUES (?, ?, ?, 2, 0, 0, 150, ?, ?, ?)",
            (
                url,
                title,
                host[::-1] + ".",
                NOW_UNIX_US - ago_s * 1_000_000,
                hashlib.sha1(url.encode()).hexdigest()[:12],
                hash(url) & 0xFFFFFFFF,
            ),
        )
    conn.commit()


def digest(*paths: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.exists()}


class Ticker:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def linux_env() -> dict[str, str]:
    return {"HOME": os.environ["HOME"], "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"]}


def test_chrome_title_resolves_to_newest_url_across_profiles(linux_env: dict[str, str]) -> None:
    root = Path(linux_env["XDG_CONFIG_HOME"]) / "google-chrome"
    make_chrome_history(
        root / "Default" / "History",
        [
            ("https://github.com/org/repo/pulls", "Pull requests · org/repo", 600, 0),
            ("https://news.example/", "Example News", 60, 0),
            ("https://hidden.example/", "Hidden page", 5, 1),
        ],
    )
    make_chrome_history(
        root / "Profile 1" / "History",
        [("https://github.com/org/repo/pulls?q=new", "Pull requests · org/repo", 30, 0)],
    )
    files = [
        root / "Default" / "History",
        root / "Profile 1" / "History",
    ]
    before = digest(*files)
    mtimes = [f.stat().st_mtime_ns for f in files]
    resolver = BrowserHistoryResolver(platform="linux", environ=linux_env)

    tab = resolver.resolve("chrome", "Pull requests · org/repo - Google Chrome")
    assert tab == BrowserTab(
        "chrome", "https://github.com/org/repo/pulls?q=new", "Pull requests · org/repo"
    )
    news = resolver.resolve("chrome", "Example News - Google Chrome")
    assert news is not None
    assert news.url == "https://news.example/"
    assert resolver.resolve("chrome", "Hidden page - Google Chrome") is None
    assert resolver.resolve("chrome", "Never visited - Google Chrome") is None
    assert digest(*files) == before
    assert [f.stat().st_mtime_ns for f in files] == mtimes
    assert sorted(p.name for p in files[0].parent.iterdir()) == ["History"]  # no -journal left


@pytest.fixture
def firefox(linux_env: dict[str, str]) -> Iterator[tuple[sqlite3.Connection, Path]]:
    places = Path(linux_env["HOME"]) / ".mozilla" / "firefox" / "x1y2z3.default-release"
    conn = open_firefox_places(places / "places.sqlite")
    add_firefox_rows(
        conn,
        [
            ("https://doc.rust-lang.org/std/", "std - Rust", 120),
            ("https://developer.mozilla.org/en-US/", "MDN Web Docs", 10),
        ],
    )
    yield conn, places / "places.sqlite"
    conn.close()


def test_firefox_title_resolves_from_wal_and_leaves_files_untouched(
    firefox: tuple[sqlite3.Connection, Path], linux_env: dict[str, str]
) -> None:
    _, db = firefox
    wal = db.with_name("places.sqlite-wal")
    assert wal.stat().st_size > 0  # the rows live in the WAL, as with a running Firefox
    before = digest(db, wal)
    resolver = BrowserHistoryResolver(platform="linux", environ=linux_env)
    tab = resolver.resolve("firefox", "std - Rust — Mozilla Firefox")
    assert tab == BrowserTab("firefox", "https://doc.rust-lang.org/std/", "std - Rust")
    mdn = resolver.resolve("firefox", "MDN Web Docs — Mozilla Firefox")
    assert mdn is not None
    assert mdn.url == "https://developer.mozilla.org/en-US/"
    assert digest(db, wal) == before


def test_history_is_reread_at_most_every_refresh_interval(
    firefox: tuple[sqlite3.Connection, Path], linux_env: dict[str, str]
) -> None:
    conn, _ = firefox
    ticker = Ticker()
    resolver = BrowserHistoryResolver(
        platform="linux", environ=linux_env, refresh_s=5.0, monotonic=ticker
    )
    assert resolver.resolve("firefox", "std - Rust — Mozilla Firefox") is not None
    add_firefox_rows(conn, [("https://pypi.org/project/httpx/", "httpx · PyPI", 0)])
    ticker.t += 1  # too soon: the history is not read again
    assert resolver.resolve("firefox", "httpx · PyPI — Mozilla Firefox") is None
    ticker.t += 5
    tab = resolver.resolve("firefox", "httpx · PyPI — Mozilla Firefox")
    assert tab is not None
    assert tab.url == "https://pypi.org/project/httpx/"


def test_profile_paths_per_platform(tmp_path: Path) -> None:
    win = {
        "USERPROFILE": str(tmp_path),
        "LOCALAPPDATA": str(tmp_path / "Local"),
        "APPDATA": str(tmp_path / "Roaming"),
    }
    edge = tmp_path / "Local" / "Microsoft" / "Edge" / "User Data" / "Default" / "History"
    make_chrome_history(edge, [("https://learn.microsoft.com/", "Microsoft Learn", 1, 0)])
    ff = tmp_path / "Roaming" / "Mozilla" / "Firefox" / "Profiles" / "ab.default" / "places.sqlite"
    open_firefox_places(ff).close()
    assert history_databases("edge", "win32", win) == [edge]
    assert history_databases("firefox", "win32", win) == [ff]

    mac = {"HOME": str(tmp_path / "mac")}
    brave = (
        tmp_path / "mac/Library/Application Support/BraveSoftware/Brave-Browser/Profile 2/History"
    )
    make_chrome_history(brave, [])
    assert history_databases("brave", "darwin", mac) == [brave]

    resolver = BrowserHistoryResolver(platform="win32", environ=win)
    tab = resolver.resolve("edge", "Microsoft Learn - Work - Microsoft\u200b Edge")
    assert tab is not None
    assert tab.url == "https://learn.microsoft.com/"


@pytest.mark.parametrize(
    ("app", "browser"),
    [
        ("chrome", "chrome"),
        ("chrome.exe", "chrome"),
        ("Google Chrome", "chrome"),
        ("msedge", "edge"),
        ("brave", "brave"),
        ("firefox-esr", "firefox"),
        ("code", None),
        # Wayland: app ids from sway/KWin/GNOME, Flatpak ids, .desktop ids.
        ("firefox", "firefox"),
        ("org.mozilla.firefox", "firefox"),
        ("firefox.desktop", "firefox"),
        ("google-chrome", "chrome"),
        ("Google-chrome", "chrome"),
        ("com.google.Chrome", "chrome"),
        ("chromium", "chromium"),
        ("org.chromium.Chromium", "chromium"),
        ("brave-browser", "brave"),
        ("com.brave.Browser", "brave"),
        ("microsoft-edge", "edge"),
        ("vivaldi-stable", "vivaldi"),
        ("org.gnome.Nautilus", None),
    ],
)
def test_browser_for_app(app: str, browser: str | None) -> None:
    assert browser_for_app(app) == browser


def test_title_suffixes() -> None:
    assert page_title_candidates("chrome", "Docs - Google Chrome (Incognito)")[0] == "Docs"
    assert page_title_candidates("firefox", "A - B — Mozilla Firefox Private Browsing")[0] == (
        "A - B"
    )
    assert page_title_candidates("firefox", "Page — Firefox Developer Edition")[0] == "Page"
    assert page_title_candidates("chrome", "macOS title without suffix") == [
        "macOS title without suffix"
    ]


@pytest.mark.parametrize("app", ["firefox", "org.mozilla.firefox", "firefox.desktop"])
def test_window_events_of_wayland_app_ids_get_the_tabs_url(
    firefox: tuple[sqlite3.Connection, Path], linux_env: dict[str, str], app: str
) -> None:
    """What sway, KWin or the GNOME extension name Firefox resolves like the X11 process name."""
    sink = RecordingSink()
    probe = FixedWindow(WindowInfo(app, "std - Rust — Mozilla Firefox"))
    resolver = BrowserHistoryResolver(platform="linux", environ=linux_env)
    watcher = WindowWatcher(sink, probe, hostname="h", browser_history=resolver, clock=FakeClock())
    watcher.ensure_setup()
    watcher.poll_once(FakeClock().now_us())
    (heartbeat,) = sink.heartbeats
    assert heartbeat.data == {
        "app": app,
        "title": "std - Rust — Mozilla Firefox",
        "url": "https://doc.rust-lang.org/std/",
    }


class FixedWindow:
    def __init__(self, info: WindowInfo) -> None:
        self.info = info

    def active_window(self) -> WindowInfo:
        return self.info
