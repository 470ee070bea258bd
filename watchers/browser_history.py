"""Which tab is showing, from the browser's own history (no extension needed).

When the focused window belongs to a known browser, its title (minus the `` - Google
Chrome`` style suffix) is looked up among the page titles of that browser's recent history:
Chrome-family ``History`` (table ``urls``) and Firefox ``places.sqlite`` (``moz_places``), in
every profile under the OS's standard profile directories. Browser files are never opened
in place: the database (with its ``-wal``/``-journal``) is copied to a temporary directory
and read there. Each profile is re-read only when it changed, and at most every
``refresh_s`` seconds.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from timelygator.watchers.probes import BrowserTab

log = logging.getLogger(__name__)

# Chrome's timestamps count microseconds from 1601-01-01 UTC.
WEBKIT_EPOCH_OFFSET_US = 11_644_473_600_000_000
HISTORY_LIMIT = 5000

CHROMIUM = "chromium-family"
FIREFOX = "firefox-family"

_APP_TO_BROWSER: dict[str, str] = {
    "chrome": "chrome",
    "google-chrome": "chrome",
    "google-chrome-stable": "chrome",
    "google-chrome-beta": "chrome",
    "google chrome": "chrome",
    "chromium": "chromium",
    "chromium-browser": "chromium",
    "brave": "brave",
    "brave-browser": "brave",
    "brave browser": "brave",
    "msedge": "edge",
    "microsoft-edge": "edge",
    "microsoft-edge-stable": "edge",
    "microsoft edge": "edge",
    "vivaldi": "vivaldi",
    "vivaldi-bin": "vivaldi",
    "opera": "opera",
    "firefox": "firefox",
    "firefox-esr": "firefox",
    "firefox-bin": "firefox",
    "firefox developer edition": "firefox",
    "geckomain": "firefox",
    # Wayland app ids (sway, KWin's resourceClass, GNOME's WM_CLASS/.desktop id) and the
    # Flatpak ids the same browsers use there.
    "vivaldi-stable": "vivaldi",
    "firefox-nightly": "firefox",
    "firefox-developer-edition": "firefox",
    "firefoxdeveloperedition": "firefox",
    "org.mozilla.firefox": "firefox",
    "com.google.chrome": "chrome",
    "org.chromium.chromium": "chromium",
    "com.brave.browser": "brave",
    "com.microsoft.edge": "edge",
    "com.vivaldi.vivaldi": "vivaldi",
    "com.opera.opera": "opera",
}

_KIND = {
    "chrome": CHROMIUM,
    "chromium": CHROMIUM,
    "brave": CHROMIUM,
    "edge": CHROMIUM,
    "vivaldi": CHROMIUM,
    "opera": CHROMIUM,
    "firefox": FIREFOX,
}

_DASH = r"\s[-\u2013\u2014]\s"
_CHROMIUM_SUFFIX = re.compile(
    _DASH + r"(Google Chrome|Chromium|Brave|Microsoft\u200b?\s?Edge|Vivaldi|Opera)"
    r"(\s\((Incognito|Private|InPrivate)\))?\s*$"
)
_FIREFOX_SUFFIX = re.compile(
    _DASH + r"(Mozilla Firefox|Firefox( Developer Edition| Nightly)?)"
    r"(\s(\u2014\s)?Private Browsing)?\s*$"
)


def browser_for_app(app: str) -> str | None:
    """``chrome``, ``firefox``... for a process/app name or Wayland app id, or ``None``."""
    name = app.strip().lower().removesuffix(".exe").removesuffix(".app").removesuffix(".desktop")
    return _APP_TO_BROWSER.get(name)


def page_title_candidates(browser: str, window_title: str) -> list[str]:
    """Possible page titles for a window title, most likely first."""
    pattern = _FIREFOX_SUFFIX if _KIND.get(browser) == FIREFOX else _CHROMIUM_SUFFIX
    stripped = pattern.sub("", window_title).strip()
    candidates = [stripped]
    if browser == "edge" and " - " in stripped:
        # Edge may insert the profile name: "Page - Work - Microsoft Edge".
        candidates.append(stripped.rsplit(" - ", 1)[0].strip())
    if stripped != window_title.strip():
        candidates.append(window_title.strip())
    return [c for c in candidates if c]


# -- profile discovery ---------------------------------------------------------------------


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())


def _chromium_roots(browser: str, platform: str, env: Mapping[str, str]) -> list[Path]:
    home = _home(env)
    if platform == "win32":
        local = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
        roaming = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return {
            "chrome": [local / "Google" / "Chrome" / "User Data"],
            "chromium": [local / "Chromium" / "User Data"],
            "brave": [local / "BraveSoftware" / "Brave-Browser" / "User Data"],
            "edge": [local / "Microsoft" / "Edge" / "User Data"],
            "vivaldi": [local / "Vivaldi" / "User Data"],
            "opera": [roaming / "Opera Software" / "Opera Stable"],
        }.get(browser, [])
    if platform == "darwin":
        support = home / "Library" / "Application Support"
        return {
            "chrome": [support / "Google" / "Chrome"],
            "chromium": [support / "Chromium"],
            "brave": [support / "BraveSoftware" / "Brave-Browser"],
            "edge": [support / "Microsoft Edge"],
            "vivaldi": [support / "Vivaldi"],
            "opera": [support / "com.operasoftware.Opera"],
        }.get(browser, [])
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    flatpak = home / ".var" / "app"
    return {
        "chrome": [config / "google-chrome", flatpak / "com.google.Chrome/config/google-chrome"],
        "chromium": [
            config / "chromium",
            home / "snap" / "chromium" / "common" / "chromium",
            flatpak / "org.chromium.Chromium/config/chromium",
        ],
        "brave": [
            config / "BraveSoftware" / "Brave-Browser",
            flatpak / "com.brave.Browser/config/BraveSoftware/Brave-Browser",
        ],
        "edge": [config / "microsoft-edge"],
        "vivaldi": [config / "vivaldi"],
        "opera": [config / "opera"],
    }.get(browser, [])


def _firefox_roots(platform: str, env: Mapping[str, str]) -> list[Path]:
    home = _home(env)
    if platform == "win32":
        roaming = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return [roaming / "Mozilla" / "Firefox" / "Profiles"]
    if platform == "darwin":
        return [home / "Library" / "Application Support" / "Firefox" / "Profiles"]
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [
        home / ".mozilla" / "firefox",
        config / "mozilla" / "firefox",
        home / "snap" / "firefox" / "common" / ".mozilla" / "firefox",
        home / ".var" / "app" / "org.mozilla.firefox" / ".mozilla" / "firefox",
    ]


def history_databases(
    browser: str, platform: str | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """Every history database of ``browser`` for this user (existing files only)."""
    platform = platform or sys.platform
    env = os.environ if environ is None else environ
    found: list[Path] = []
    if _KIND.get(browser) == FIREFOX:
        for root in _firefox_roots(platform, env):
            found.extend(sorted(root.glob("*/places.sqlite")))
    elif _KIND.get(browser) == CHROMIUM:
        for root in _chromium_roots(browser, platform, env):
            for pattern in ("History", "Default/History", "Profile */History", "Guest*/History"):
                found.extend(sorted(root.glob(pattern)))
    return [p for p in found if p.is_file()]


# -- reading -------------------------------------------------------------------------------

_CHROMIUM_QUERY = (
    "SELECT url, title, last_visit_time FROM urls "
    "WHERE hidden = 0 AND title IS NOT NULL AND title != '' "
    "ORDER BY last_visit_time DESC LIMIT ?"
)
_FIREFOX_QUERY = (
    "SELECT url, title, last_visit_date FROM moz_places "
    "WHERE hidden = 0 AND title IS NOT NULL AND title != '' AND last_visit_date IS NOT NULL "
    "ORDER BY last_visit_date DESC LIMIT ?"
)


def read_history(db: Path, kind: str, limit: int = HISTORY_LIMIT) -> list[tuple[str, str, int]]:
    """``(title, url, last_visit_unix_us)`` of recent pages, from a temporary copy of ``db``."""
    with tempfile.TemporaryDirectory(prefix="tg-history-") as tmp:
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        for suffix in ("-wal", "-journal"):
            side = db.with_name(db.name + suffix)
            if side.is_file():
                shutil.copyfile(side, copy.with_name(copy.name + suffix))
        conn = sqlite3.connect(copy)
        try:
            query = _FIREFOX_QUERY if kind == FIREFOX else _CHROMIUM_QUERY
            rows = conn.execute(query, (limit,)).fetchall()
        finally:
            conn.close()
    offset = WEBKIT_EPOCH_OFFSET_US if kind == CHROMIUM else 0
    return [(str(title), str(url), int(visit or 0) - offset) for url, title, visit in rows]


def _signature(db: Path) -> tuple[int, ...]:
    parts: list[int] = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            st = path.stat()
            parts.extend((st.st_mtime_ns, st.st_size))
        except OSError:
            parts.extend((0, 0))
    return tuple(parts)


@dataclass
class _Profile:
    signature: tuple[int, ...]
    titles: dict[str, tuple[str, int]] = field(default_factory=dict)


class BrowserHistoryResolver:
    """:class:`~watchers.probes.BrowserHistoryProbe` reading the browsers' history files."""

    def __init__(
        self,
        *,
        refresh_s: float = 5.0,
        platform: str | None = None,
        environ: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_s = refresh_s
        self._platform = platform
        self._environ = environ
        self._monotonic = monotonic
        self._profiles: dict[str, dict[Path, _Profile]] = {}
        self._refreshed_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def browser_for_app(self, app: str) -> str | None:
        return browser_for_app(app)

    def resolve(self, browser: str, window_title: str) -> BrowserTab | None:
        if browser not in _KIND:
            return None
        candidates = page_title_candidates(browser, window_title)
        with self._lock:
            hit = self._lookup(browser, candidates)
            if hit is None and self._may_refresh(browser):
                self._refresh(browser)
                hit = self._lookup(browser, candidates)
        if hit is None:
            return None
        title, url = hit
        return BrowserTab(browser=browser, url=url, title=title)

    def _may_refresh(self, browser: str) -> bool:
        last = self._refreshed_at.get(browser)
        return last is None or self._monotonic() - last >= self.refresh_s

    def _refresh(self, browser: str) -> None:
        self._refreshed_at[browser] = self._monotonic()
        dbs = history_databases(browser, self._platform, self._environ)
        profiles = self._profiles.setdefault(browser, {})
        for gone in set(profiles) - set(dbs):
            del profiles[gone]
        for db in dbs:
            signature = _signature(db)
            cached = profiles.get(db)
            if cached is not None and cached.signature == signature:
                continue
            try:
                rows = read_history(db, _KIND[browser])
            except (OSError, sqlite3.Error) as exc:
                log.debug("cannot read %s history at %s: %s", browser, db, exc)
                continue
            titles: dict[str, tuple[str, int]] = {}
            for title, url, visit_us in rows:  # newest first: keep the first seen
                titles.setdefault(title.strip(), (url, visit_us))
            profiles[db] = _Profile(signature, titles)

    def _lookup(self, browser: str, candidates: list[str]) -> tuple[str, str] | None:
        profiles = self._profiles.get(browser, {}).values()
        for candidate in candidates:
            best: tuple[str, int] | None = None
            for profile in profiles:
                entry = profile.titles.get(candidate)
                if entry is not None and (best is None or entry[1] > best[1]):
                    best = entry
            if best is not None:
                return candidate, best[0]
        return None
