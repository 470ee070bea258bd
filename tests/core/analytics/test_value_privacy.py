"""Deleted events take their texts with them, also out of the analytics value dictionary."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from timelygator.core.analytics import cache_rows
from timelygator.core.services import Services

from tests.core.analytics.test_service import CATEGORIES, DAY, UTC0, ev, fill_day
from tests.helpers.analytics import new_analytics


def stored_texts(services: Services) -> list[str]:
    with services.read() as conn:
        rows = conn.exec_driver_sql("SELECT data FROM analytics_values ORDER BY id").all()
    return [str(r[0]) for r in rows]


def settle(services: Services) -> None:
    """Wait for the analytics' own writes (persisting, clean-ups) to be committed."""
    service = services.analytics
    persisted = getattr(service, "last_persist", None)
    if persisted is not None:
        persisted.result()
    if service.value_cleanup is not None:
        service.value_cleanup.result()
    services.writer.flush()


def test_deleting_an_event_removes_its_text_from_the_value_dictionary(
    services: Services,
) -> None:
    window, afk, _web = fill_day(services)
    [secret] = services.writer.insert_events(
        window, [ev(11, 12, app="notes", title="diagnosis.txt")]
    ).result()
    services.writer.insert_events(afk, [ev(11, 12, status="not-afk")]).result()
    services.analytics.summary_for_days(services.user_id, DAY, DAY, UTC0, categories=CATEGORIES)
    settle(services)
    assert any("diagnosis.txt" in text for text in stored_texts(services))
    assert secret.id is not None
    services.writer.delete_events(window, [secret.id]).result()
    settle(services)
    texts = stored_texts(services)
    assert not any("diagnosis.txt" in text for text in texts)
    # The day's other values are either still there or computed again on demand.
    again = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    assert again.active_us > 0


def test_a_new_process_drops_texts_an_earlier_one_left_behind(services: Services) -> None:
    window, afk, _web = fill_day(services)
    nxt = DAY + timedelta(days=1)
    services.writer.insert_events(window, [ev(33, 34, app="gone", title="private")]).result()
    services.writer.insert_events(afk, [ev(33, 34, status="not-afk")]).result()
    services.analytics.summary_for_days(services.user_id, DAY, nxt, UTC0, categories=CATEGORIES)
    settle(services)
    assert any("private" in text for text in stored_texts(services))
    # Another process (no analytics running) deleted the day's digest with its events.
    digests, number = cache_rows.DIGESTS, nxt.toordinal() - 719163
    services.writer.call(
        lambda c: c.execute(delete(digests).where(digests.c.day == number))
    ).result()
    new_analytics(services)
    settle(services)
    assert not any("private" in text for text in stored_texts(services))
