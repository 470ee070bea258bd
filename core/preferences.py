"""User preferences: a typed, versioned model stored in the database (settings table).

Qt-free, so the app, the CLI, the API and the headless watcher read the same preferences
(the day start of every report, the privacy rules of every watcher). Window geometry and
other UI state live in the app's ``ui.ini`` (QSettings) instead. The settings dialog edits a
copy (``Preferences.copy``) and saves it through the writer when the user presses OK.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from sqlalchemy import Connection
from timelygator.core.settings_store import get_setting, set_setting
from timelygator.core.timeutil import DEFAULT_DAY_START_S
from timelygator.core.writer import Writer

SETTING_KEY = "timelygator.preferences"
VERSION = 1


@dataclass
class WatcherPrefs:
    window_enabled: bool = True
    window_poll_s: float = 1.0
    afk_enabled: bool = True
    afk_timeout_s: float = 180.0
    afk_poll_s: float = 5.0
    web_enabled: bool = True
    web_poll_s: float = 2.0


@dataclass
class PrivacyPrefs:
    excluded_apps: list[str] = field(default_factory=list)
    excluded_sites: list[str] = field(default_factory=list)
    title_redactions: list[str] = field(default_factory=list)
    domain_only_urls: bool = False
    record_incognito: bool = False


@dataclass
class ApiPrefs:
    enabled: bool = False
    port: int = 5600
    compat_mode: bool = False
    # Chrome ids of other extensions allowed to call the API (CORS), e.g. an unpacked
    # aw-watcher-web; TimelyGator's own extension and aw-watcher-web are always allowed.
    extension_ids: list[str] = field(default_factory=list)
    # Local web pages allowed to call the API (CORS), e.g. "http://localhost:5600".
    allowed_origins: list[str] = field(default_factory=list)


@dataclass
class DataPrefs:
    retention_days: int = 0  # 0 = keep forever
    backup_dir: str = ""  # "" = the data directory's backups folder
    backup_every_days: int = 7
    backups_kept: int = 5


@dataclass
class GeneralPrefs:
    start_at_login: bool = False
    theme: str = "system"  # light | dark | system
    day_start_hour: int = (
        DEFAULT_DAY_START_S // 3600
    )  # activity before it counts for the day before
    week_start: int = 0  # 0 = Monday ... 6 = Sunday
    # Window titles, URLs and other event data in the log files (core.logs): off, so a log
    # can be sent with a bug report; on for a report that needs them.
    log_titles: bool = False


@dataclass
class InsightsPrefs:
    # Suggestions for uncategorized time, the day in words, unusual days (all computed on
    # this computer); off: nothing is trained and the panel, CLI and API say it is off.
    enabled: bool = True
    # Optional: an OpenAI-compatible language model on this computer that rephrases the
    # digest ("" = off; only loopback addresses are accepted), and its model name.
    llm_url: str = ""
    llm_model: str = ""


@dataclass
class SyncPrefs:
    # Push this computer's buckets to a TimelyGator server (``core.sync``); the token is in
    # the OS keyring (``core.sync.token_store``), never here.
    enabled: bool = False
    server_url: str = ""
    # Bring the other devices' buckets here too (read-only copies, shown per host).
    pull: bool = True


@dataclass
class Preferences:
    watchers: WatcherPrefs = field(default_factory=WatcherPrefs)
    privacy: PrivacyPrefs = field(default_factory=PrivacyPrefs)
    api: ApiPrefs = field(default_factory=ApiPrefs)
    data: DataPrefs = field(default_factory=DataPrefs)
    general: GeneralPrefs = field(default_factory=GeneralPrefs)
    insights: InsightsPrefs = field(default_factory=InsightsPrefs)
    sync: SyncPrefs = field(default_factory=SyncPrefs)

    def copy(self) -> Preferences:
        return copy.deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, raw: Any) -> Preferences:
        """Read a stored document; unknown keys are ignored, missing ones get defaults."""
        prefs = cls()
        if not isinstance(raw, dict):
            return prefs
        for section in fields(prefs):
            stored = raw.get(section.name)
            target = getattr(prefs, section.name)
            if not isinstance(stored, dict) or not is_dataclass(target):
                continue
            for item in fields(target):
                if item.name in stored:
                    value = stored[item.name]
                    default = getattr(target, item.name)
                    if isinstance(default, bool) != isinstance(value, bool):
                        continue
                    if isinstance(default, float) and isinstance(value, int):
                        value = float(value)
                    if isinstance(value, type(default)):
                        setattr(target, item.name, value)
        return prefs


def load_preferences(conn: Connection, user_id: int) -> Preferences:
    """The stored preferences (defaults when none were saved yet)."""
    return Preferences.from_json(get_setting(conn, user_id, SETTING_KEY))


def save_preferences(writer: Writer, user_id: int, prefs: Preferences) -> Future[None]:
    """Store the preferences through the writer."""
    return set_setting(writer, user_id, SETTING_KEY, prefs.to_json())


def insights_enabled(conn: Connection, user_id: int) -> bool:
    """Whether the user has Insights on (Settings → General)."""
    return load_preferences(conn, user_id).insights.enabled


def stored_day_and_week_start(conn: Connection, user_id: int) -> tuple[int, int]:
    """When the user's days start (seconds after midnight) and weeks start (0 = Monday):
    the same for the app, reports and the API."""
    general = load_preferences(conn, user_id).general
    return general.day_start_hour * 3600, general.week_start
