"""The store-backed analytics service: hand-computed figures, local days, caches, invalidation."""

from __future__ import annotations

import itertools
import zlib
from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
import pytest
from sqlalchemy import Connection, delete, select
from timelygator.core.analytics import cache_rows
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.analytics.service import AnalyticsService
from timelygator.core.analytics.summary import Summary
from timelygator.core.analytics.trends import DailyTotals
from timelygator.core.analytics.values import drop_unreferenced
from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.services import Services

from tests.helpers.analytics import new_analytics

M = 60_000_000
H = 60 * M
DAY = date(2024, 3, 4)  # a Monday
MIDNIGHT = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp()) * 1_000_000
UTC0 = AnalyticsSettings(day_start_s=0)

CATEGORIES = [
    Category(["Work"], Rule(), "#00f", 1),
    Category(["Work", "Programming"], Rule.regex_rule("code|github", ignore_case=True), None, 2),
    Category(["Media"], Rule.regex_rule("youtube|vlc", ignore_case=True), "#f00", -2),
]


def at(hour: float) -> int:
    return MIDNIGHT + round(hour * H)


def ev(h0: float, h1: float, offset: int | None = 0, **data: object) -> Event:
    return Event(at(h0), at(h1), dict(data), None, offset)


def buckets(services: Services) -> tuple[int, int, int]:
    window = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    afk = services.ensure_bucket("a", type="afkstatus", client="t", hostname="h")
    web = services.ensure_bucket(
        "aw-watcher-web-firefox_h", type="web.tab.current", client="t", hostname="h"
    )
    return window, afk, web


def fill_day(services: Services) -> tuple[int, int, int]:
    window, afk, web = buckets(services)
    services.writer.insert_events(
        window,
        [
            ev(9, 10, app="code", title="main.py"),
            ev(10, 10.5, app="firefox", title="GitHub - Mozilla Firefox"),
            ev(10.5, 11, app="vlc", title="film"),
        ],
    ).result()
    services.writer.insert_events(
        afk, [ev(9, 10 + 40 / 60, status="not-afk"), ev(10 + 40 / 60, 11, status="afk")]
    ).result()
    services.writer.insert_events(
        web,
        [
            ev(10, 10 + 20 / 60, url="https://github.com/x", title="GitHub"),
            ev(10 + 20 / 60, 10.5, url="https://www.youtube.com/watch", title="Video"),
        ],
    ).result()
    return window, afk, web


def test_one_day_by_hand(services: Services) -> None:
    fill_day(services)
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    # Present 09:00-10:40: code 60 min, firefox 30 min (split by tabs), vlc 10 min.
    assert s.active_us == 100 * M
    assert s.afk_us == 20 * M
    assert s.apps == [("code", 60 * M), ("firefox", 30 * M), ("vlc", 10 * M)]
    assert dict(s.titles) == {"main.py": 60 * M, "GitHub": 20 * M, "Video": 10 * M, "film": 10 * M}
    assert s.domains == [("github.com", 20 * M), ("youtube.com", 10 * M)]
    assert s.urls == [("https://github.com/x", 20 * M), ("https://www.youtube.com/watch", 10 * M)]
    # GitHub is categorized by its URL/title, YouTube by its URL, though both are "firefox".
    assert dict(s.categories) == {
        ("Work",): 80 * M,
        ("Work", "Programming"): 80 * M,
        ("Media",): 20 * M,
    }
    assert s.top_categories == [("Work", 80 * M), ("Media", 20 * M)]
    work = s.category_tree[0]
    assert (work.path, work.total_us, work.self_us) == (("Work",), 80 * M, 0)
    assert [(c.path, c.total_us) for c in work.children] == [(("Work", "Programming"), 80 * M)]
    # +2 -> 100, -2 -> 0: 80 of 100 minutes at 100.
    assert s.productivity == pytest.approx(80.0)
    assert s.hourly["Work"][9] == 60 * M and s.hourly["Work"][10] == 20 * M
    assert s.hourly["Media"][10] == 20 * M and sum(s.hourly["Media"]) == 20 * M
    # code -> firefox -> firefox -> vlc: two app changes in 100/60 hours.
    assert s.context_switches == 2
    assert s.switches_per_hour == pytest.approx(1.2)
    # Productive from 09:00 to 10:20 without a break.
    assert [(f.start_us, f.end_us, f.focus_us, f.top_category) for f in s.focus_sessions] == [
        (at(9), at(10 + 20 / 60), 80 * M, "Work")
    ]
    # Nothing recorded before 09:00 and after 11:00.
    assert s.gaps == [(at(0), at(9)), (at(11), at(24))]
    assert s.untracked_us == 22 * H
    assert s.daily is not None and s.daily.totals == {"Work": [80 * M], "Media": [20 * M]}


def test_focus_grace_and_minimum(services: Services) -> None:
    window, _afk, _web = buckets(services)
    services.writer.insert_events(
        window,
        [
            ev(9, 9.25, app="code", title="a"),  # 15 min
            ev(9.25, 9.25 + 1 / 60, app="vlc", title="x"),  # 1 min away: within grace
            ev(9.25 + 1 / 60, 9.5, app="code", title="b"),  # 14 min
            ev(9.5, 9.75, app="vlc", title="y"),  # 15 min away: ends the session
            ev(9.75, 10, app="code", title="c"),  # 15 min: too short alone
        ],
    ).result()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert [(f.start_us, f.end_us, f.focus_us) for f in s.focus_sessions] == [
        (at(9), at(9.5), 29 * M)
    ]
    assert s.context_switches == 4
    relaxed = AnalyticsSettings(day_start_s=0, focus_min_s=10 * 60)
    s = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, relaxed, categories=CATEGORIES
    )
    assert [f.focus_us for f in s.focus_sessions] == [29 * M, 15 * M]


def test_day_start_and_offsets(services: Services) -> None:
    """Days start at 04:00 local, by each event's own UTC offset (travel, DST)."""
    window, _afk, _web = buckets(services)
    services.writer.insert_events(
        window,
        [
            # 02:00-03:00 local (+2 h): still the previous day with a 04:00 day start.
            ev(0, 1, 7200, app="late", title="t"),
            # 03:00-05:00 local (+2 h): one hour before, one hour after 04:00.
            ev(1, 3, 7200, app="across", title="t"),
            # 05:00-06:00 UTC at -5 h = 00:00-01:00 local: the previous day (travel).
            ev(5, 6, -5 * 3600, app="trip", title="t"),
        ],
    ).result()
    settings = AnalyticsSettings()  # 04:00
    prev = services.analytics.summary_for_days(
        services.user_id, date(2024, 3, 3), date(2024, 3, 3), settings, categories=[]
    )
    this = services.analytics.summary_for_days(services.user_id, DAY, DAY, settings, categories=[])
    assert dict(prev.apps) == {"late": H, "across": H, "trip": H}
    assert dict(this.apps) == {"across": H}
    assert this.hourly["Uncategorized"][4] == H  # local hour of the +2 h event
    trend = services.analytics.daily_trend(
        services.user_id, date(2024, 3, 3), DAY, settings, categories=[]
    )
    assert trend.days == [date(2024, 3, 3), DAY]
    assert trend.totals == {"Uncategorized": [3 * H, H]}


def test_dst_day_hours(services: Services) -> None:
    """On 2024-03-31 Berlin moves from +1 h to +2 h: local hours follow each event's offset."""
    window, _afk, _web = buckets(services)
    base = int(datetime(2024, 3, 31, tzinfo=UTC).timestamp()) * 1_000_000
    services.writer.insert_events(
        window,
        [
            Event(base + 0 * H, base + H, {"app": "a"}, None, 3600),  # 01:00-02:00 CET
            Event(base + 1 * H, base + 2 * H, {"app": "b"}, None, 7200),  # 03:00-04:00 CEST
        ],
    ).result()
    s = services.analytics.summary_for_days(
        services.user_id, date(2024, 3, 31), date(2024, 3, 31), UTC0, categories=[]
    )
    row = s.hourly["Uncategorized"]
    assert (row[1], row[2], row[3]) == (H, 0, H)


def test_event_change_invalidates_memory_and_table(services: Services) -> None:
    window, afk, _web = fill_day(services)
    service = services.analytics
    first = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    assert first.active_us == 100 * M
    service.last_persist.result()
    with services.read() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM day_digests").scalar_one()
    assert stored == 1
    # Cached: a second summary computes nothing.
    computed = service.stats["computed"]
    services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert service.stats["computed"] == computed
    # A new present stretch with code: +30 min, in memory and for a fresh process.
    services.writer.insert_events(window, [ev(12, 12.5, app="code", title="x")]).result()
    services.writer.insert_events(afk, [ev(12, 12.5, status="not-afk")]).result()
    with services.read() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM day_digests").scalar_one()
    assert stored == 0  # the trigger dropped the stale digest in the same transaction
    after = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    assert after.active_us == 130 * M
    fresh = AnalyticsService(services.store, services.writer, services.clock)
    assert fresh.digests(services.user_id, 19786, 19786, 0)[0].active_us == 130 * M
    # Deleting an event (the change carries no times) drops the caches too.
    code = [e for e in services.events("w") if e.data["title"] == "x"]
    services.writer.delete_events(window, [code[0].id or 0]).result()
    assert (
        services.analytics.summary_for_days(
            services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
        ).active_us
        == 100 * M
    )


def test_digest_from_table_matches_computed(services: Services) -> None:
    fill_day(services)
    service = services.analytics
    computed = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    service.last_persist.result()
    fresh = AnalyticsService(services.store, services.writer, services.clock)
    number = computed.start_us // (24 * H)
    digest = fresh.digests(services.user_id, number, number, 0)[0]
    assert fresh.stats["table"] == 1 and fresh.stats["computed"] == 0
    assert digest.active_us == 100 * M
    assert digest.afk_us == 20 * M
    assert len(digest.starts) == 4  # code, github tab, youtube tab, vlc
    assert sorted(digest.value_us) == [10 * M, 10 * M, 20 * M, 60 * M]


def test_stored_rule_change_is_reflected(services: Services) -> None:
    fill_day(services)
    services.writer.call(lambda c: replace_stored_categories(c, services.user_id, CATEGORIES))
    services.writer.flush()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0)
    assert dict(s.top_categories) == {"Work": 80 * M, "Media": 20 * M}
    changed = [*CATEGORIES[:2], Category(["Media"], Rule.regex_rule("vlc"), "#f00", -2)]
    services.writer.call(lambda c: replace_stored_categories(c, services.user_id, changed))
    services.writer.flush()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0)
    # YouTube is no longer Media: its 10 minutes are uncategorized now.
    assert dict(s.top_categories) == {"Work": 80 * M, "Media": 10 * M, "Uncategorized": 10 * M}
    assert s.productivity == pytest.approx((80 * 100 + 10 * 0 + 10 * 50) / 100)


def test_no_afk_data_counts_all_window_time_and_manual_entries(services: Services) -> None:
    window = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    services.writer.insert_events(window, [ev(9, 10, app="code", title="a")]).result()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=[])
    assert s.active_us == H
    afk = services.ensure_bucket("a", type="afkstatus", client="t", hostname="h")
    services.writer.insert_events(afk, [ev(9, 10, status="afk")]).result()
    services.writer.insert_events(
        window, [ev(11, 12, app="Meeting", title="call", **{"$manual": True})]
    ).result()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=[])
    assert s.active_us == H  # the manual hour counts though nobody typed
    assert s.apps == [("Meeting", H)]


def test_day_stats_table_serves_a_new_process_until_rules_or_events_change(
    services: Services,
) -> None:
    window, _afk, _web = fill_day(services)
    first = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    services.analytics.last_persist.result()
    services.writer.flush()
    fresh = AnalyticsService(services.store, services.writer, services.clock)
    cats = fresh.category_set(services.user_id, CATEGORIES)
    number = first.start_us // (24 * H)
    [stats] = fresh.day_stats(services.user_id, number, number, UTC0, cats)
    # From the table: nothing categorized, nothing read from events.
    assert fresh.stats["stats_table"] == 1 and fresh.stats["computed"] == 0
    assert len(fresh._value_table(cats, UTC0)) == 0
    assert stats.active_us == first.active_us and stats.apps == {
        "code": 60 * M,
        "firefox": 30 * M,
        "vlc": 10 * M,
    }
    assert [f.focus_us for f in stats.focus] == [80 * M]
    assert stats.hourly["Work"][9] == 60 * M
    # Other rules: another key, so the stored row is not used.
    other = fresh.category_set(
        services.user_id, [Category(["Video"], Rule.regex_rule("vlc|youtube"))]
    )
    [changed] = fresh.day_stats(services.user_id, number, number, UTC0, other)
    assert changed.categories == {("Video",): 20 * M, ("Uncategorized",): 80 * M}
    # An event change drops the stored statistics of its day in the same transaction.
    services.writer.insert_events(window, [ev(20, 21, app="code", title="late")]).result()
    with services.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM day_stats").scalar_one() == 0
    assert AnalyticsService(services.store, services.writer, services.clock).day_stats(
        services.user_id, number, number, UTC0, cats
    )[0].active_us == (
        first.active_us
    )  # no AFK data at 20:00 -> that hour is not active; the day was recomputed
    trend = services.analytics.daily_trend(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert trend.totals == {"Work": [80 * M], "Media": [20 * M]}


def test_moving_an_event_to_another_day_updates_both_days(services: Services) -> None:
    window, _afk, _web = buckets(services)
    [stored] = services.writer.insert_events(window, [ev(9, 10, app="code", title="a")]).result()
    later = date(2024, 3, 11)
    assert (
        services.analytics.summary_for_days(
            services.user_id, DAY, DAY, UTC0, categories=[]
        ).active_us
        == H
    )
    assert (
        services.analytics.summary_for_days(
            services.user_id, later, later, UTC0, categories=[]
        ).active_us
        == 0
    )
    week = 7 * 24 * H
    moved = Event(stored.start_us + week, stored.end_us + week, stored.data, stored.id, 0)
    services.writer.insert_events(window, [moved]).result()  # an edit through the API
    assert (
        services.analytics.summary_for_days(
            services.user_id, DAY, DAY, UTC0, categories=[]
        ).active_us
        == 0
    )
    assert (
        services.analytics.summary_for_days(
            services.user_id, later, later, UTC0, categories=[]
        ).active_us
        == H
    )


def test_rule_changes_carry_stored_statistics_over(services: Services) -> None:
    """After a rule change, a new process carries the day over from the earlier rules' row
    (a score edit reads no digest) and shows what computing from scratch shows."""
    fill_day(services)
    user = services.user_id
    media = Category(["Media"], Rule.regex_rule("youtube|vlc", ignore_case=True), "#f00", -2)
    more = Rule.regex_rule("code|github|vlc", ignore_case=True)  # an alternative more

    def figures(categories: list[Category]) -> tuple[Summary, DailyTotals, int]:
        """Summary, trend, and digests the trend read, in a new analytics service."""
        services.writer.call(lambda c: replace_stored_categories(c, user, categories)).result()
        fresh = new_analytics(services)  # as in a new process
        trend = services.analytics.daily_trend(services.user_id, DAY, DAY, UTC0)
        digests = fresh.stats["table"] + fresh.stats["computed"]
        summary = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0)
        fresh.last_persist.result()
        services.writer.flush()
        return summary, trend, digests

    figures(CATEGORIES)
    for work_score in (2, -1):  # an edited regex and a score; then a score only
        categories = [
            Category(["Work"], Rule(), "#00f", work_score),
            Category(["Work", "Programming"], more, None, 2),
            media,
        ]
        carried, carried_trend, digests = figures(categories)
        assert digests == (0 if work_score == -1 else 1)
        services.writer.call(lambda c: c.exec_driver_sql("DELETE FROM day_stats")).result()
        scratch, scratch_trend, _ = figures(categories)
        assert (carried, carried_trend) == (scratch, scratch_trend)
    assert dict(carried.categories)[("Work", "Programming")] == 90 * M


def test_stored_digests_share_one_value_dictionary(services: Services) -> None:
    """Days name their values by id; ids are assigned once, and a new process reading the
    stored digests shows what the events show."""
    window, afk, _web = fill_day(services)
    nxt = DAY + timedelta(days=1)
    services.writer.insert_events(
        window,
        [ev(9 + 24, 10 + 24, app="code", title="main.py"), ev(10 + 24, 11 + 24, app="new")],
    ).result()
    services.writer.insert_events(afk, [ev(9 + 24, 11 + 24, status="not-afk")]).result()

    def values() -> list[str]:
        with services.read() as conn:
            rows = conn.exec_driver_sql("SELECT data FROM analytics_values ORDER BY id").all()
        return [r[0] for r in rows]

    computed = services.analytics.summary_for_days(
        services.user_id, DAY, nxt, UTC0, categories=CATEGORIES
    )
    pieces = services.analytics.categorized_pieces(
        services.user_id, DAY, nxt, UTC0, categories=CATEGORIES
    )
    services.analytics.last_persist.result()
    stored = values()
    # Five distinct values over the two days (code/main.py is on both), each once.
    assert len(stored) == len(set(stored)) == 5
    services.writer.call(lambda c: c.exec_driver_sql("DELETE FROM day_stats")).result()
    fresh = new_analytics(services)
    assert (
        services.analytics.categorized_pieces(
            services.user_id, DAY, nxt, UTC0, categories=CATEGORIES
        )
        == pieces
    )
    assert fresh.stats["table"] == 2 and fresh.stats["computed"] == 0
    assert (
        services.analytics.summary_for_days(services.user_id, DAY, nxt, UTC0, categories=CATEGORIES)
        == computed
    )
    # An event change recomputes the day. The change also dropped the stored digests within
    # its reach (both days), and the clean-up their values (``test_value_privacy``): the
    # recomputed day stores its values again, each once.
    services.writer.insert_events(window, [ev(12 + 24, 13 + 24, app="other")]).result()
    services.writer.insert_events(afk, [ev(12 + 24, 13 + 24, status="not-afk")]).result()
    fresh = new_analytics(services)
    later = services.analytics.summary_for_days(
        services.user_id, nxt, nxt, UTC0, categories=CATEGORIES
    )
    assert later.active_us == 3 * H and fresh.stats["computed"] == 1
    fresh.last_persist.result()
    after = values()
    assert len(after) == len(set(after))
    assert {'{"app":"code","title":"main.py"}', '{"app":"new"}', '{"app":"other"}'} <= set(after)


def test_values_no_digest_refers_to_can_be_dropped_for_good(services: Services) -> None:
    """After events are deleted, their values can go too; ids are never given out again."""
    window, afk, _web = fill_day(services)
    nxt = DAY + timedelta(days=1)
    services.writer.insert_events(window, [ev(9 + 24, 10 + 24, app="code", title="main.py")])
    services.writer.insert_events(afk, [ev(9 + 24, 10 + 24, status="not-afk")]).result()

    def values() -> dict[int, str]:
        with services.read() as conn:
            rows = conn.exec_driver_sql("SELECT id, data FROM analytics_values").all()
        return {int(i): str(d) for i, d in rows}

    def drop() -> int:
        return services.writer.call(lambda c: drop_unreferenced(c, services.user_id)).result()

    first = services.analytics.summary_for_days(
        services.user_id, DAY, nxt, UTC0, categories=CATEGORIES
    )
    services.analytics.last_persist.result()
    before = values()
    assert len(before) == 4 and drop() == 0
    # The first day's digest goes (as when its events change): its own values go with it,
    # the one the second day shares stays.
    digests = cache_rows.DIGESTS
    services.writer.call(
        lambda c: c.execute(delete(digests).where(digests.c.day == 19786))
    ).result()
    assert drop() == 3
    kept = values()
    assert list(kept.values()) == ['{"app":"code","title":"main.py"}']
    # Computed again: the dropped values come back under new ids.
    services.writer.call(lambda c: c.exec_driver_sql("DELETE FROM day_stats")).result()
    fresh = new_analytics(services)
    assert (
        services.analytics.summary_for_days(services.user_id, DAY, nxt, UTC0, categories=CATEGORIES)
        == first
    )
    fresh.last_persist.result()
    after = values()
    assert sorted(after.values()) == sorted(before.values())
    assert min(set(after) - set(kept)) > max(before)
    # A digest read just before its values were dropped: no data, no error.
    dropped = min(set(before) - set(kept))
    assert fresh._values.texts(np.array([dropped]), services.read) == ["{}"]


def test_deleting_or_editing_an_event_recomputes_only_its_days(services: Services) -> None:
    window, afk, _web = fill_day(services)
    later = DAY + timedelta(days=10)
    shift = 10 * 24 * H
    stored = services.writer.insert_events(
        window, [Event(at(9) + shift, at(10) + shift, {"app": "code", "title": "x"}, None, 0)]
    ).result()
    services.writer.insert_events(
        afk, [Event(at(9) + shift, at(10) + shift, {"status": "not-afk"}, None, 0)]
    ).result()
    service = services.analytics
    before = services.analytics.summary_for_days(
        services.user_id, DAY, later, UTC0, categories=CATEGORIES
    )
    assert before.active_us == 100 * M + H

    def not_from_memory() -> int:
        """Days read from the tables or worked out from events (not served from memory)."""
        return sum(service.stats[k] for k in ("table", "computed", "stats_table"))

    loaded = not_from_memory()
    # An edit 10 days later: only the days it can touch are read again, not all eleven.
    edited = Event(stored[0].start_us, stored[0].end_us - 30 * M, {"app": "vlc"}, stored[0].id, 0)
    services.writer.insert_events(window, [edited]).result()
    after_edit = services.analytics.summary_for_days(
        services.user_id, DAY, later, UTC0, categories=CATEGORIES
    )
    assert after_edit.active_us == 100 * M + 30 * M
    assert not_from_memory() - loaded <= 4
    loaded = not_from_memory()
    services.writer.delete_events(window, [stored[0].id]).result()  # type: ignore[list-item]
    after_delete = services.analytics.summary_for_days(
        services.user_id, DAY, later, UTC0, categories=CATEGORIES
    )
    assert after_delete.active_us == 100 * M
    vlc = dict(before.apps)["vlc"]
    assert dict(after_edit.apps)["vlc"] == vlc + 30 * M
    assert dict(after_delete.apps)["vlc"] == vlc
    assert not_from_memory() - loaded <= 4


def _host_buckets(services: Services, host: str, afk: bool = True) -> tuple[int, int | None]:
    window = services.ensure_bucket(
        f"aw-watcher-window_{host}", type="currentwindow", client="t", hostname=host
    )
    afk_key = None
    if afk:
        afk_key = services.ensure_bucket(
            f"aw-watcher-afk_{host}", type="afkstatus", client="t", hostname=host
        )
    return window, afk_key


def test_time_on_two_hosts_at_once_is_counted_once(services: Services) -> None:
    desk, desk_afk = _host_buckets(services, "desk")
    laptop, laptop_afk = _host_buckets(services, "laptop")
    services.writer.insert_events(desk, [ev(9, 11, app="code", title="a")]).result()
    assert desk_afk is not None
    services.writer.insert_events(
        desk_afk, [ev(9, 11, status="not-afk"), ev(11, 12, status="afk")]
    ).result()
    services.writer.insert_events(laptop, [ev(10, 12, app="vlc", title="b")]).result()
    services.writer.insert_events(laptop_afk, [ev(10, 12, status="not-afk")]).result()  # type: ignore[arg-type]
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    # 09-12 once (not 2 h + 2 h); from 10:00 the laptop, where the person turned to, counts.
    assert s.active_us == 3 * H
    assert dict(s.apps) == {"code": H, "vlc": 2 * H}
    # The desk's "afk" 11-12 was time active on the laptop: not away.
    assert s.afk_us == 0
    assert s.active_us + s.afk_us + s.untracked_us == 24 * H
    pieces = services.analytics.categorized_pieces(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    spans = sorted((e.start_us, e.end_us) for e, _path in pieces)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlap


def test_an_event_imported_twice_counts_once(services: Services) -> None:
    window, afk = _host_buckets(services, "desk")
    copy = services.ensure_bucket(
        "aw-watcher-window_desk-imported", type="currentwindow", client="t", hostname="desk"
    )
    services.writer.insert_events(window, [ev(9, 10, app="code", title="a")]).result()
    services.writer.insert_events(copy, [ev(9, 10, app="code", title="a")]).result()
    services.writer.insert_events(afk, [ev(9, 10, status="not-afk")]).result()  # type: ignore[arg-type]
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert s.active_us == H and dict(s.apps) == {"code": H}


def test_a_host_without_an_afk_watcher_counts_its_window_time(services: Services) -> None:
    desk, desk_afk = _host_buckets(services, "desk")
    imported, _none = _host_buckets(services, "old-laptop", afk=False)
    services.writer.insert_events(desk, [ev(9, 10, app="code", title="a")]).result()
    services.writer.insert_events(desk_afk, [ev(9, 9.5, status="not-afk")]).result()  # type: ignore[arg-type]
    services.writer.insert_events(imported, [ev(13, 14, app="vlc", title="b")]).result()
    s = services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    # The desk counts where its AFK watcher saw the person; the old laptop, which had none,
    # counts as recorded.
    assert dict(s.apps) == {"code": 30 * M, "vlc": H}


def test_cached_rows_of_an_older_format_are_recomputed_not_used(services: Services) -> None:
    fill_day(services)
    first = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    services.analytics.last_persist.result()
    services.writer.flush()
    number = first.start_us // (24 * H)

    def old_format(conn: Connection) -> None:
        # Rows an earlier TimelyGator wrote: no format in the key, figures that are now wrong.
        table = cache_rows.STATS
        for day, key in conn.execute(select(table.c.day, table.c.key)).all():
            unformatted = table.update().where(table.c.day == day)
            conn.execute(unformatted.values(key=key.partition(":")[2]))

    services.writer.call(old_format).result()
    fresh = AnalyticsService(services.store, services.writer, services.clock)
    [stats] = fresh.day_stats(
        services.user_id, number, number, UTC0, fresh.category_set(services.user_id, CATEGORIES)
    )
    assert fresh.stats["stats_table"] == 0  # the old row was not served...
    assert stats.active_us == first.active_us  # ...the day was worked out again


def test_one_host_alone(services: Services) -> None:
    desk, desk_afk = _host_buckets(services, "desk")
    laptop, laptop_afk = _host_buckets(services, "laptop")
    services.writer.insert_events(desk, [ev(9, 11, app="code", title="a")]).result()
    services.writer.insert_events(desk_afk, [ev(9, 11, status="not-afk")]).result()  # type: ignore[arg-type]
    services.writer.insert_events(laptop, [ev(10, 12, app="vlc", title="b")]).result()
    services.writer.insert_events(laptop_afk, [ev(10, 12, status="not-afk")]).result()  # type: ignore[arg-type]
    desk_only = AnalyticsSettings(day_start_s=0, hosts=("desk",))
    s = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, desk_only, categories=CATEGORIES
    )
    assert s.active_us == 2 * H and dict(s.apps) == {"code": 2 * H}
    pieces = services.analytics.categorized_pieces(
        services.user_id, DAY, DAY, desk_only, categories=CATEGORIES
    )
    assert {e.data["app"] for e, _path in pieces} == {"code"}
    both = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    assert both.active_us == 3 * H  # the merged view is not disturbed by the filtered one
    services.analytics.last_persist.result()
    services.writer.flush()
    with services.read() as conn:
        keys = [r[0] for r in conn.exec_driver_sql("SELECT key FROM day_stats").all()]
    assert len(keys) == 1  # only the all-hosts statistics are stored


def test_a_new_process_draws_stored_days_without_searching_a_value(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:

    fill_day(services)
    first = services.analytics.day_pieces(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )  # stores the day
    services.analytics.last_persist.result()
    services.writer.flush()
    fresh = new_analytics(services)  # a new process: nothing in memory
    services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )  # from the table

    def no_text(_ids: object) -> list[str]:
        raise AssertionError("a value text was read")

    monkeypatch.setattr(fresh, "_texts_of", no_text)
    [day] = services.analytics.day_pieces(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert [day.path(i) for i in range(len(day))] == [
        first[0].path(i) for i in range(len(first[0]))
    ]
    assert ("Work", "Programming") in day.paths


def test_a_new_row_format_needs_no_migration(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The format rule (core.analytics.cache_rows): raising FORMAT is all a change of the
    stored figures needs. Rows of the old format stay in the file but are never served or
    carried over; the days are worked out again, the same, and stored in the new format."""
    fill_day(services)
    before = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    services.analytics.last_persist.result()
    services.writer.flush()

    def stored_keys() -> tuple[list[int], list[str]]:
        with services.read() as conn:
            digests = [
                orjson.loads(zlib.decompressobj().decompress(totals))["f"]
                for (totals,) in conn.exec_driver_sql("SELECT totals FROM day_digests")
            ]
            keys = [k for (k,) in conn.exec_driver_sql("SELECT key FROM day_stats")]
        return digests, keys

    old = cache_rows.FORMAT
    digests, keys = stored_keys()
    assert digests == [old] and len(keys) == 1 and keys[0].startswith(f"{old}:")
    monkeypatch.setattr(cache_rows, "FORMAT", old + 1)  # a new TimelyGator
    fresh = new_analytics(services)
    after = fresh.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    assert fresh.stats["table"] == 0 and fresh.stats["stats_table"] == 0
    assert fresh.stats["computed"] == 1  # from the events, not from the old rows
    assert (after.active_us, after.apps, after.categories) == (
        before.active_us,
        before.apps,
        before.categories,
    )
    fresh.last_persist.result()
    services.writer.flush()
    digests, keys = stored_keys()
    assert digests == [old + 1] and len(keys) == 1 and keys[0].startswith(f"{old + 1}:")


def test_a_rule_change_in_the_same_process_borrows_the_breakdowns_in_memory(
    services: Services,
) -> None:
    """The app after OK on a rule: the day's statistics under the earlier rules are in
    memory, and their app and title breakdowns (no rule changes them) are used as they are,
    not read again; every figure equals a computation from scratch."""
    fill_day(services)
    user = services.user_id
    analytics = services.analytics
    before = analytics.stats_for_days(user, DAY, DAY, UTC0, categories=CATEGORIES)
    analytics.last_persist.result()
    services.writer.flush()
    edited = [*CATEGORIES[:2], Category(["Media"], Rule.regex_rule("youtube"), None, -2)]
    [after] = analytics.stats_for_days(user, DAY, DAY, UTC0, categories=edited)
    assert after.titles is before[0].titles and after.apps is before[0].apps
    scratch = new_analytics(services).stats_for_days(user, DAY, DAY, UTC0, categories=edited)
    assert [after] == scratch
    # vlc's film left Media with the edit: less Media, the rest uncategorized.
    assert after.categories[("Media",)] < before[0].categories[("Media",)]


def test_value_totals_of_days_with_away_time_only(services: Services) -> None:
    """A day of AFK events alone has no values: the totals are empty, not an error."""
    _window, afk, _web = buckets(services)
    services.writer.insert_events(afk, [ev(9, 10, status="afk")]).result()
    totals = services.analytics.value_totals(services.user_id, DAY, DAY, UTC0)
    assert len(totals) == 0 and totals.paths == []
