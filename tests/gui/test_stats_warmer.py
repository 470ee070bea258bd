"""The per-day statistics warm-up: covers the whole history, stores it, stops when asked."""

from __future__ import annotations

from datetime import date, timedelta

from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.services import Services
from timelygator.gui.stats_warmer import StatsWarmer, month_chunks

from tests.gui.conftest import DEMO_DAY
from tests.helpers.analytics import new_analytics


def test_month_chunks_most_recent_first() -> None:
    chunks = month_chunks(date(2025, 1, 1), date(2025, 3, 4), size=31)
    assert chunks[0] == (date(2025, 2, 2), date(2025, 3, 4))
    assert chunks[-1][0] == date(2025, 1, 1)
    assert sum((b - a).days + 1 for a, b in chunks) == 63


def test_warm_up_stores_the_history(demo_services: Services, qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = AnalyticsSettings(day_start_s=0)
    today = DEMO_DAY + timedelta(days=40)
    warmer = StatsWarmer(demo_services, [], settings, today=today)
    assert not warmer.wait_finished(0)  # what Insights' training waits on
    with qtbot.waitSignal(warmer.sig_finished, timeout=30_000) as blocker:
        warmer.start()
    assert warmer.wait() and warmer.wait_finished(0)
    assert blocker.args[0] >= 41  # the demo day to "today" (the oldest event's day first)
    demo_services.writer.flush(10)
    with demo_services.read() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM day_stats").scalar_one()
    assert stored >= 41
    # Everything the Trends view asks for is now answered without computing a digest.
    service = demo_services.analytics
    computed = service.stats["computed"]
    totals = demo_services.analytics.daily_trend(
        demo_services.user_id, DEMO_DAY - timedelta(days=1), today, settings, categories=[]
    )
    assert service.stats["computed"] == computed
    assert totals.days[1] == DEMO_DAY and totals.day_total(1) > 0
    # ... and so is the Activity view of a month, in a new process: the full statistics
    # were stored, not only the daily totals.
    fresh = new_analytics(demo_services)
    month = demo_services.analytics.summary_for_days(
        demo_services.user_id, DEMO_DAY, today, settings, categories=[]
    )
    assert fresh.stats["computed"] == 0 and fresh.stats["stats_table"] == 41
    assert month.active_us == sum(totals.day_total(i) for i in range(len(totals.days)))


def test_stop_before_any_work(demo_services: Services, qtbot) -> None:  # type: ignore[no-untyped-def]
    warmer = StatsWarmer(demo_services, [], AnalyticsSettings(), today=DEMO_DAY)
    warmer.request_stop()
    with qtbot.waitSignal(warmer.sig_finished, timeout=10_000) as blocker:
        warmer.start()
    assert warmer.wait() and warmer.wait_finished(0)  # stopped counts as ended
    assert blocker.args == [0]
