"""The privacy rules applied to stored events (what the sync sends), and the preferences'
mapping to them."""

from __future__ import annotations

import pytest
from timelygator.core.errors import ValidationError
from timelygator.core.preferences import PrivacyPrefs
from timelygator.core.privacy import (
    PrivacyConfig,
    PrivacyFilter,
    RedactionRule,
    fingerprint,
    privacy_from_preferences,
)

WINDOW = "currentwindow"
WEB = "web.tab.current"


def rules(**prefs: object) -> PrivacyFilter:
    return PrivacyFilter(privacy_from_preferences(PrivacyPrefs(**prefs)))  # type: ignore[arg-type]


def test_excluded_apps_and_sites_do_not_leave() -> None:
    f = rules(excluded_apps=["keepass*"], excluded_sites=["bank.example"])
    assert f.stored_data(WINDOW, {"app": "KeePassXC", "title": "Passwords"}) is None
    page = {"app": "firefox", "title": "Accounts", "url": "https://www.bank.example/a"}
    assert f.stored_data(WINDOW, page) is None
    assert f.stored_data(WEB, {"url": "https://login.bank.example/", "title": "x"}) is None
    kept = {"app": "code", "title": "main.py"}
    assert f.stored_data(WINDOW, kept) == kept


def test_titles_are_redacted_and_other_keys_kept() -> None:
    f = rules(title_redactions=[r"\d{4}-\d{4}"])
    data = {"app": "mail", "title": "Card 1234-5678", "extra": 1}
    assert f.stored_data(WINDOW, data) == {"app": "mail", "title": "Card [redacted]", "extra": 1}
    assert data["title"] == "Card 1234-5678"  # the stored event itself is not changed
    tab = {"url": "https://x.example/a", "title": "Order 1111-2222", "audible": False}
    assert f.stored_data(WEB, tab) == {**tab, "title": "Order [redacted]"}


def test_domain_only_and_private_tabs() -> None:
    f = rules(domain_only_urls=True)
    tab = {"url": "https://www.github.com/org/repo", "title": "repo", "incognito": False}
    assert f.stored_data(WEB, tab) == {
        "url": "https://www.github.com",
        "title": "github.com",
        "incognito": False,
    }
    assert f.stored_data(WEB, {**tab, "incognito": True}) is None
    assert rules(record_incognito=True).stored_data(WEB, {**tab, "incognito": True}) is not None


def test_other_event_types_pass_unchanged() -> None:
    f = rules(excluded_apps=["*"], title_redactions=["."])
    afk = {"status": "not-afk"}
    assert f.stored_data("afkstatus", afk) == afk
    editor = {"file": "a.py", "project": "p", "language": "python"}
    assert f.stored_data("app.editor.activity", editor) == editor


def test_a_broken_redaction_rule_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match=r"not a valid regular expression.*Privacy"):
        rules(title_redactions=["(unclosed"])


def test_the_fingerprint_follows_the_rules() -> None:
    base = fingerprint(PrivacyConfig())
    assert fingerprint(PrivacyConfig()) == base
    assert fingerprint(PrivacyConfig(excluded_apps=("x",))) != base
    assert fingerprint(PrivacyConfig(redactions=(RedactionRule("a"),))) != base
