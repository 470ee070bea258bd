"""Watcher settings and the conventional bucket names (ActivityWatch's, see API-COMPAT.md).

``config_from_preferences`` is the one mapping from the user's preferences (watchers and
privacy pages of the settings) to the watchers' configuration: the app's watcher host and
``timelygator watch`` both use it, so the headless watcher records what the app would.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from timelygator.core.preferences import Preferences
from timelygator.core.privacy import PrivacyConfig, privacy_from_preferences

CLIENT_PREFIX = "timelygator-watcher"

WINDOW_TYPE = "currentwindow"
AFK_TYPE = "afkstatus"
WEB_TYPE = "web.tab.current"

WEB_PULSETIME_S = 80.0


def window_bucket(hostname: str) -> str:
    return f"aw-watcher-window_{hostname}"


def afk_bucket(hostname: str) -> str:
    return f"aw-watcher-afk_{hostname}"


def web_bucket(browser: str, hostname: str) -> str:
    return f"aw-watcher-web-{browser}_{hostname}"


def default_hostname() -> str:
    return socket.gethostname() or "unknown-host"


@dataclass(frozen=True)
class WindowWatcherConfig:
    enabled: bool = True
    poll_s: float = 1.0
    #: Add ``url`` to window events of browsers, resolved from the browser's history.
    resolve_browser_urls: bool = True

    @property
    def pulsetime_s(self) -> float:
        return self.poll_s + 1.0


@dataclass(frozen=True)
class AfkWatcherConfig:
    enabled: bool = True
    timeout_s: float = 180.0
    poll_s: float = 5.0
    #: Coming back after at least this long away fires ``on_returned``.
    returned_threshold_s: float = 600.0

    @property
    def pulsetime_s(self) -> float:
        return self.timeout_s + self.poll_s


@dataclass(frozen=True)
class WebWatcherConfig:
    """Web events resolved from browser history (for users without the extension)."""

    enabled: bool = True
    poll_s: float = 2.0
    pulsetime_s: float = WEB_PULSETIME_S
    #: How often browser history files may be re-read, at most.
    history_refresh_s: float = 5.0


@dataclass(frozen=True)
class WatchersConfig:
    hostname: str = field(default_factory=default_hostname)
    window: WindowWatcherConfig = field(default_factory=WindowWatcherConfig)
    afk: AfkWatcherConfig = field(default_factory=AfkWatcherConfig)
    web: WebWatcherConfig = field(default_factory=WebWatcherConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)


def config_from_preferences(prefs: Preferences, hostname: str | None = None) -> WatchersConfig:
    """The watchers' configuration from the user's preferences (this host when ``None``)."""
    w, p = prefs.watchers, prefs.privacy
    return WatchersConfig(
        hostname=hostname or default_hostname(),
        window=WindowWatcherConfig(enabled=w.window_enabled, poll_s=w.window_poll_s),
        afk=AfkWatcherConfig(enabled=w.afk_enabled, timeout_s=w.afk_timeout_s, poll_s=w.afk_poll_s),
        web=WebWatcherConfig(enabled=w.web_enabled, poll_s=w.web_poll_s),
        privacy=privacy_from_preferences(p),
    )


def describe_privacy(privacy: PrivacyConfig) -> str:
    """What the privacy rules in force do, in counts (never the rules themselves)."""

    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    parts = [
        count(len(privacy.excluded_apps), "excluded app"),
        count(len(privacy.excluded_sites), "excluded site"),
        count(len(privacy.redactions), "title redaction"),
        "URLs cut to their domain" if privacy.domain_only else "full URLs",
        "private windows recorded" if privacy.record_private_windows else "private windows skipped",
    ]
    return ", ".join(parts)
