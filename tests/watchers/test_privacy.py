from __future__ import annotations

from typing import Any

import pytest
from timelygator.core.privacy import PrivacyConfig, PrivacyFilter, RedactionRule, domain_of
from timelygator.watchers.web_watcher import WebWatcher
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import FakeClock, FakeHistory, FakeWindowProbe, RecordingSink

PAGES = {
    "Inbox (3) - me@example.org": "https://mail.example.org/u/0/#inbox",
    "My bank": "https://www.bank.example/accounts/123",
    "Pull requests": "https://github.com/org/repo/pulls?q=is%3Aopen",
}


def record(
    config: PrivacyConfig, app: str, title: str, private: bool = False
) -> list[dict[str, Any]]:
    probe = FakeWindowProbe()
    probe.set(app, title, is_private=private)
    sink = RecordingSink()
    watcher = WindowWatcher(
        sink, probe, hostname="h", privacy=PrivacyFilter(config), browser_history=FakeHistory(PAGES)
    )
    web = WebWatcher(sink, probe, FakeHistory(PAGES), hostname="h", privacy=PrivacyFilter(config))
    now = FakeClock().now_us()
    watcher.poll_once(now)
    web.poll_once(now)
    return [h.data for h in sink.heartbeats]


def test_excluded_app_sends_nothing_case_insensitive_with_wildcards() -> None:
    config = PrivacyConfig(excluded_apps=("KeePassXC", "signal*"))
    assert record(config, "keepassxc", "Passwords") == []
    assert record(config, "signal-desktop", "Chat with Bob") == []
    assert record(config, "code", "main.py") == [{"app": "code", "title": "main.py"}]


def test_excluded_site_and_subdomains_send_nothing() -> None:
    config = PrivacyConfig(excluded_sites=("bank.example", "example.org"))
    assert record(config, "chrome", "My bank - Google Chrome") == []
    assert record(config, "chrome", "Inbox (3) - me@example.org - Google Chrome") == []
    assert len(record(config, "chrome", "Pull requests - Google Chrome")) == 2


def test_title_redaction() -> None:
    config = PrivacyConfig(
        redactions=(
            RedactionRule(r"[\w.+-]+@[\w-]+\.[\w.]+", "<email>"),
            RedactionRule(r"\(\d+\)", ""),
        )
    )
    window, web = record(config, "chrome", "Inbox (3) - me@example.org - Google Chrome")
    assert window["title"] == "Inbox  - <email> - Google Chrome"
    assert web["title"] == "Inbox  - <email>"
    assert web["url"] == "https://mail.example.org/u/0/#inbox"  # redaction is for titles


def test_domain_only_for_all_or_listed_sites() -> None:
    window, web = record(PrivacyConfig(domain_only=True), "chrome", "My bank - Google Chrome")
    assert window == {"app": "chrome", "title": "bank.example", "url": "https://www.bank.example"}
    assert web["url"] == "https://www.bank.example"
    assert web["title"] == "bank.example"
    config = PrivacyConfig(domain_only_sites=("github.com",))
    window, web = record(config, "chrome", "Pull requests - Google Chrome")
    assert window["url"] == "https://github.com"
    window, _ = record(config, "chrome", "My bank - Google Chrome")
    assert window["url"] == "https://www.bank.example/accounts/123"


def test_private_windows_skipped_unless_allowed() -> None:
    title = "Pull requests - Google Chrome (Incognito)"
    assert record(PrivacyConfig(), "chrome", title, private=True) == []
    allowed = record(PrivacyConfig(record_private_windows=True), "chrome", title, private=True)
    assert allowed[0] == {"app": "chrome", "title": title}


def test_excluded_title_pattern() -> None:
    config = PrivacyConfig(excluded_title_patterns=(r"\bprivate\b",))
    assert record(config, "code", "Private notes.md") == []


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.github.com/a", "github.com"),
        ("http://LOCALHOST:8080/x", "localhost"),
        ("not a url", ""),
    ],
)
def test_domain_of(url: str, domain: str) -> None:
    assert domain_of(url) == domain


def test_timed_pause_ends_by_itself() -> None:
    f = PrivacyFilter()
    f.pause(now_us=0, duration_s=60)
    assert f.is_paused(59_999_999)
    assert not f.is_paused(60_000_000)
