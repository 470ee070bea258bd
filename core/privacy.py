"""Privacy rules: applied at capture, before any sink sees the data, and again to stored
events before they leave the device (sync).

Excluded apps and sites are not recorded at all (that time is simply untracked), titles go
through redaction rules, URLs can be cut down to their domain, private/incognito windows
are skipped unless the user opts in, and tracking can be paused for a while or until resumed.
The watchers apply them to what they capture (``window_data``, ``web_data``); the sync
applies the rules in force now to what it sends (``stored_data``), so a rule added after an
event was recorded still keeps that event on this device. The rules come from the user's
preferences (``privacy_from_preferences``), in the app, ``timelygator watch`` and the sync
alike.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from timelygator.core.errors import ValidationError
from timelygator.core.preferences import PrivacyPrefs
from timelygator.core.timeutil import US_PER_S

# The event types whose data the rules read (ActivityWatch's conventional types, which
# TimelyGator's watchers write too).
WINDOW_TYPE = "currentwindow"
WEB_TYPE = "web.tab.current"


@dataclass(frozen=True, slots=True)
class RedactionRule:
    """Every match of ``pattern`` (a regex, case-insensitive) in a title becomes ``replacement``."""

    pattern: str
    replacement: str = "[redacted]"


@dataclass(frozen=True)
class PrivacyConfig:
    """What the user does not want recorded.

    ``excluded_apps``: app names, case-insensitive, ``*``/``?`` wildcards allowed.
    ``excluded_sites``: domains; a domain also excludes its subdomains.
    ``excluded_title_patterns``: regexes; a matching window title is not recorded.
    ``redactions``: applied to titles in order.
    ``domain_only`` / ``domain_only_sites``: keep only ``scheme://host`` of URLs (for all
    sites, or the listed ones); the title of such a page is replaced by its domain too.
    ``record_private_windows``: incognito/private windows are skipped unless True.
    """

    excluded_apps: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()
    excluded_title_patterns: tuple[str, ...] = ()
    redactions: tuple[RedactionRule, ...] = ()
    domain_only: bool = False
    domain_only_sites: tuple[str, ...] = ()
    record_private_windows: bool = False


def privacy_from_preferences(prefs: PrivacyPrefs) -> PrivacyConfig:
    """The rules of the user's privacy settings (Settings → Privacy)."""
    return PrivacyConfig(
        excluded_apps=tuple(prefs.excluded_apps),
        excluded_sites=tuple(prefs.excluded_sites),
        redactions=tuple(RedactionRule(r) for r in prefs.title_redactions),
        domain_only=prefs.domain_only_urls,
        record_private_windows=prefs.record_incognito,
    )


def fingerprint(config: PrivacyConfig) -> str:
    """A short digest of the rules: equal for equal rules, different when one changed (the
    sync sends everything again, under the new rules, when it changes)."""
    text = json.dumps(asdict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def domain_of(url: str) -> str:
    """Host of a URL without ``www.`` (lower-case); ``""`` when there is none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _site_matches(host: str, sites: tuple[str, ...]) -> bool:
    for site in sites:
        site = site.strip().lower().removeprefix("www.")
        if site and (host == site or host.endswith("." + site)):
            return True
    return False


@dataclass
class PrivacyFilter:
    """Applies a :class:`PrivacyConfig` and holds the pause state (thread-safe)."""

    config: PrivacyConfig = field(default_factory=PrivacyConfig)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _paused: bool = False
    _paused_until_us: int | None = None

    def __post_init__(self) -> None:
        self.set_config(self.config)

    def set_config(self, config: PrivacyConfig) -> None:
        """Swap the rules (from the settings dialog) without restarting watchers."""
        apps = tuple(a.strip().lower() for a in config.excluded_apps if a.strip())
        titles = tuple(_compile(p, "An excluded title") for p in config.excluded_title_patterns)
        reds = tuple(
            (_compile(r.pattern, "A title redaction rule"), r.replacement)
            for r in config.redactions
        )
        sites = bool(config.excluded_sites or config.domain_only or config.domain_only_sites)
        with self._lock:
            self.config = config
            self._apps = apps
            self._titles = titles
            self._redactions = reds
            self._sites = sites  # whether a URL needs looking at

    # -- pause ---------------------------------------------------------------------------
    def pause(self, now_us: int, duration_s: float | None = None) -> None:
        """Stop recording, for ``duration_s`` seconds or until :meth:`resume`."""
        with self._lock:
            self._paused = True
            self._paused_until_us = (
                None if duration_s is None else now_us + round(duration_s * US_PER_S)
            )

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._paused_until_us = None

    def is_paused(self, now_us: int) -> bool:
        with self._lock:
            if (
                self._paused
                and self._paused_until_us is not None
                and now_us >= self._paused_until_us
            ):
                self._paused = False
                self._paused_until_us = None
            return self._paused

    # -- rules ---------------------------------------------------------------------------
    def app_excluded(self, app: str) -> bool:
        name = app.lower()
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self._apps)

    def site_excluded(self, url: str) -> bool:
        host = domain_of(url)
        return bool(host) and _site_matches(host, self.config.excluded_sites)

    def title_excluded(self, title: str) -> bool:
        return any(p.search(title) for p in self._titles)

    def redact(self, title: str) -> str:
        for pattern, replacement in self._redactions:
            title = pattern.sub(replacement, title)
        return title

    def _domain_only(self, url: str) -> bool:
        if self.config.domain_only:
            return True
        host = domain_of(url)
        return bool(host) and _site_matches(host, self.config.domain_only_sites)

    def window_data(
        self, app: str, title: str, url: str | None, is_private: bool | None
    ) -> dict[str, Any] | None:
        """The data to record for a window, or ``None`` when nothing may be recorded."""
        if is_private and not self.config.record_private_windows:
            return None
        if self.app_excluded(app) or self.title_excluded(title):
            return None
        data: dict[str, Any] = {"app": app}
        if url is not None:
            if self.site_excluded(url):
                return None
            if self._domain_only(url):
                url, title = _reduce_to_domain(url)
            data["title"] = self.redact(title)
            data["url"] = url
        else:
            data["title"] = self.redact(title)
        return data

    def web_data(
        self, url: str, title: str, incognito: bool, extra: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The data for a ``web.tab.current`` event, or ``None`` when not to record it."""
        if incognito and not self.config.record_private_windows:
            return None
        if self.site_excluded(url) or self.title_excluded(title):
            return None
        if self._domain_only(url):
            url, title = _reduce_to_domain(url)
        return {"url": url, "title": self.redact(title), "incognito": incognito, **extra}

    def stored_data(self, event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """A stored event's data under the rules in force now, or ``None`` when it must not
        leave the device (an excluded app, site or title; a private window unless allowed).

        Window (``currentwindow``) and browser tab (``web.tab.current``) events get the rules
        the watchers apply; other keys of their data are kept. Other types (away status,
        editors, manual entries) carry no window title and pass unchanged.
        """
        if event_type not in (WINDOW_TYPE, WEB_TYPE):
            return data
        if data.get("incognito") is True and not self.config.record_private_windows:
            return None
        app, title, url = data.get("app"), data.get("title"), data.get("url")
        if isinstance(app, str) and self._apps and self.app_excluded(app):
            return None
        if isinstance(title, str) and self._titles and self.title_excluded(title):
            return None
        if not (self._sites or self._redactions):
            return data  # no rule changes anything here
        out = dict(data)
        if isinstance(url, str) and self._sites:
            if self.site_excluded(url):
                return None
            if self._domain_only(url):
                out["url"], reduced = _reduce_to_domain(url)
                if isinstance(title, str):
                    title = reduced
        if isinstance(title, str):
            out["title"] = self.redact(title)
        return out


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(
            f"{what} is not a valid regular expression ({exc.msg}); correct it in "
            "Settings → Privacy."
        ) from None


def _reduce_to_domain(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return (f"{parts.scheme}://{host}" if parts.scheme else host), host.removeprefix("www.")
