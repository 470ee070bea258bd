"""Watcher settings and the conventional bucket names (ActivityWatch's, see API-COMPAT.md)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from watchers.privacy import PrivacyConfig

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
