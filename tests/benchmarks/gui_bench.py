#!/usr/bin/env python3
"""GUI responsiveness figures, printed as one JSON object (offscreen by default).

window_shown_s          process start -> main window exposed (imports, Qt, window)
open_to_first_draw_s    window shown -> data directory opened and first day drawn
heavy_day_switch_ms     navigate to a day of ~20k events -> every view drawn (median)
pan_frame_ms / zoom_frame_ms   100k spans: setXRange + LOD rebin + full repaint (median, p95)
naive_build_s_10k       peer: one QGraphicsRectItem per span, 10k spans (what LOD avoids)
longest_gui_block_ms    longest gap seen by a 5 ms GUI-thread heartbeat timer during all of it

  QT_QPA_PLATFORM=offscreen python tests/benchmarks/gui_bench.py
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    import keyring
    from keyring.backend import KeyringBackend

    class _Mem(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        d: dict[tuple[str, str], str] = {}

        def get_password(self, s: str, u: str) -> str | None:
            return self.d.get((s, u))

        def set_password(self, s: str, u: str, p: str) -> None:
            self.d[(s, u)] = p

        def delete_password(self, s: str, u: str) -> None:
            self.d.pop((s, u), None)

    keyring.set_keyring(_Mem())
    from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: TID251
    from PySide6.QtWidgets import QApplication  # noqa: TID251

    from core.paths import resolve_dirs
    from core.services import Services
    from timelygator_gui.demo_data import store_days

    tmp = tempfile.mkdtemp()
    dirs = resolve_dirs(Path(tmp) / "data")
    heavy, light = date(2025, 3, 4), date(2025, 3, 3)
    seed = Services.open(dirs, None)
    store_days(seed, [light])
    heavy_events = store_days(seed, [heavy], speedup=75.0)
    seed.close()

    app = QApplication.instance() or QApplication([])
    from timelygator_gui.app_controller import AppController
    from timelygator_gui.theme import apply_theme

    apply_theme(app, "light")
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    heartbeat.start()

    def spin(cond, timeout=60.0) -> None:  # type: ignore[no-untyped-def]
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents()

    controller = AppController(dirs, None, start_watchers=False)
    controller.window.navigator.today_fn = lambda: heavy + timedelta(days=1)
    controller.window.navigator.show_day(light)
    controller.window.resize(1400, 860)
    loaded: list[object] = []
    controller.window.sig_range_loaded.connect(loaded.append)
    controller.start()
    app.processEvents()
    spin(lambda: controller.window.isVisible() and controller.window.windowHandle().isExposed(), 10)
    window_shown = time.perf_counter() - T_START
    t_open = time.perf_counter()
    spin(lambda: loaded)
    open_to_draw = time.perf_counter() - t_open
    window = controller.window

    switches = []
    for _ in range(5):
        for day in (heavy, light):
            loaded.clear()
            t0 = time.perf_counter()
            window.navigator.show_day(day)
            spin(lambda: loaded)
            app.processEvents()
            if day == heavy:
                switches.append((time.perf_counter() - t0) * 1000)

    # 100k spans in view: synthetic lanes through the real TimelineView.
    from core.event import Event
    from timelygator_gui.range_data import RangeData
    from timelygator_gui.timeline_model import make_lane, stable_color

    heartbeat.stop()  # building synthetic lanes is bench setup, not app work
    switch_gaps = list(gaps)
    base = 1_741_000_000_000_000
    events = [
        Event(base + i * 3_000_000, base + i * 3_000_000 + 2_500_000, {"app": f"app{i % 23}"})
        for i in range(100_000)
    ]
    lanes = [
        make_lane(f"lane {k}", "window", None, events[k::4], lambda e: stable_color(e.data["app"]))
        for k in range(4)
    ]
    data = RangeData(window.navigator.range, base, base + 100_000 * 3_000_000, lanes=lanes)
    timeline = window.timeline
    window.tabs.setCurrentWidget(timeline)
    timeline.data = data
    timeline.set_data(data)
    timeline.reset_zoom()
    app.processEvents()
    gaps.clear()
    last[0] = clock.elapsed()
    heartbeat.start()
    x0, x1 = data.start_us / 1e6, data.end_us / 1e6
    pans, zooms = [], []
    for k in range(20):
        a = x0 + (k + 1) * (x1 - x0) / 24
        t0 = time.perf_counter()
        timeline.view_box.setXRange(a, a + (x1 - x0) / 10, padding=0)
        timeline.rebin()
        timeline.plot.grab()
        pans.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        timeline.view_box.setXRange(x0, x1, padding=0)
        timeline.rebin()
        timeline.plot.grab()
        zooms.append((time.perf_counter() - t0) * 1000)
    rects = timeline.items.rect_count
    heartbeat.stop()
    pan_gaps = list(gaps)

    # Peer in the same run: one graphics item per span (10k only; 100k takes minutes).
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGraphicsRectItem  # noqa: TID251

    peer = pg.PlotWidget()
    peer.resize(1400, 400)
    t0 = time.perf_counter()
    for i in range(10_000):
        item = QGraphicsRectItem(float(i * 3), float(i % 4), 2.5, 0.8)
        peer.addItem(item)
    peer.grab()
    naive_10k = time.perf_counter() - t0

    controller.quit()
    spin(lambda: controller.services is None, 20)
    result = {
        "heavy_day_events": heavy_events,
        "window_shown_s": round(window_shown, 3),
        "open_to_first_draw_s": round(open_to_draw, 3),
        "heavy_day_switch_ms": round(statistics.median(switches), 1),
        "heavy_day_switch_ms_max": round(max(switches), 1),
        "pan_frame_ms": round(statistics.median(pans), 1),
        "pan_frame_ms_p95": round(sorted(pans)[int(len(pans) * 0.95) - 1], 1),
        "zoom_frame_ms": round(statistics.median(zooms), 1),
        "rects_drawn_full_view": rects,
        "naive_build_s_10k": round(naive_10k, 2),
        "longest_gui_block_ms_launch_and_switching": round(max(switch_gaps, default=0.0), 1),
        "longest_gui_block_ms_pan_zoom": round(max(pan_gaps, default=0.0), 1),
        "targets": {"window_shown_s": 1.5, "heavy_day_switch_ms": 300, "frame_ms": 50,
                    "gui_block_ms": 100},
        "cpu_count": os.cpu_count(),
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
