"""/api/0/insights: a read token gets suggestions, the digest and unusual days; turned off
in the preferences, every route says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from timelygator.core.preferences import load_preferences, save_preferences
from timelygator.core.services import Services

from tests.core.analytics.insights_data import DAY, fill


def test_a_read_token_gets_the_suggestions_and_the_digest(
    services: Services, make_token: Callable[..., str], make_client: Any
) -> None:
    fill(services)
    reader = make_client(make_token("read"))
    resp = reader.get("/api/0/insights", params={"day": DAY.isoformat()})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["uncategorized_s"] == 55 * 60
    [suggestion] = doc["suggestions"]
    assert suggestion["category"] == ["Finance"]
    assert suggestion["rule"] == {"type": "regex", "regex": r"^Invoice\b", "ignore_case": True}
    assert suggestion["time_s"] == 1800
    assert doc["digest"]["text"].startswith("Thu 14 Mar 2024: 1h 25m active")
    only = reader.get("/api/0/insights/suggestions", params={"day": DAY.isoformat()}).json()
    assert only["suggestions"] == doc["suggestions"]
    assert "digest" not in only
    digest = reader.get("/api/0/insights/digest", params={"day": DAY.isoformat()}).json()
    assert digest["text"] == doc["digest"]["text"]
    assert digest["figures"]["current"]["active_s"] == 85 * 60
    week = reader.get("/api/0/insights", params={"week": DAY.isoformat()}).json()
    assert (week["first"], week["last"]) == ("2024-03-11", "2024-03-17")


def test_without_a_token_or_with_insights_off_nothing_is_told(
    services: Services, make_token: Callable[..., str], make_client: Any
) -> None:
    fill(services)
    assert make_client().get("/api/0/insights").status_code == 401
    with services.read() as conn:
        prefs = load_preferences(conn, services.user_id)
    prefs.insights.enabled = False
    save_preferences(services.writer, services.user_id, prefs).result()
    reader = make_client(make_token("read"))
    for path in ("/api/0/insights", "/api/0/insights/suggestions", "/api/0/insights/digest"):
        resp = reader.get(path, params={"day": DAY.isoformat()})
        assert resp.status_code == 409
        assert "turned off" in resp.json()["message"]


def test_a_bad_date_is_a_400_in_words(
    services: Services, make_token: Callable[..., str], make_client: Any
) -> None:
    resp = make_client(make_token("read")).get("/api/0/insights", params={"day": "soon"})
    assert resp.status_code == 400
    assert "'day' must be a date" in resp.json()["message"]
