#!/usr/bin/env python3
"""GUI responsiveness figures, printed as one JSON object (offscreen by default).

Data: one year from ``tests/benchmarks/dataset.py`` (window, AFK and two browsers; ~5M
events) written once into a cached data folder, with a heavy day of 20-21k events. Without
that module, a generated demo day at 75x switch rate is used instead (about 17k events).

window_shown_s          a fresh ``timelygator`` process -> main window exposed (median of 3)
open_to_first_draw_s    window shown -> data folder unlocked and the first day drawn
heavy_day_switch_ms     go to the heavy day -> every view drawn (median, max); split into
                        worker (read + compute) and GUI-thread drawing
pan_frame_ms / zoom_frame_ms   100k spans in view: real mouse drags and wheel steps on the
                        plot, each event handled + repainted (median, p95, max)
hover_ms                mouse moves over the spans (tooltip work), median / max
naive_build_s_10k       peer: one QGraphicsRectItem per span, 10k spans (what LOD avoids)
longest_gui_block_ms_*  longest gap seen by a 5 ms GUI-thread heartbeat timer

  QT_QPA_PLATFORM=offscreen python tests/benchmarks/gui_bench.py [--days 365]
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PASSPHRASE = "gui-benchmark-passphrase"
FIRST_DAY = date(2024, 1, 1)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def launch_probe(data_dir: str) -> int:
    """Child process: start the app as a user would and report when the window is exposed."""
    import timelygator.gui.app_controller as controller_module
    from PySide6.QtCore import QTimer  # noqa: TID251
    from PySide6.QtWidgets import QApplication  # noqa: TID251

    shown: list[float] = []

    def check() -> None:
        app = QApplication.instance()
        for widget in QApplication.topLevelWidgets() if app else []:
            handle = widget.windowHandle()
            if widget.objectName() == "mainWindow" and handle and handle.isExposed():
                shown.append(time.perf_counter() - T_START)
                print(json.dumps({"window_shown_s": shown[0]}), flush=True)
                os._exit(0)

    original = controller_module.AppController.start

    def start(self):  # type: ignore[no-untyped-def]
        original(self)
        timer = QTimer(self)
        timer.timeout.connect(check)
        timer.start(1)

    controller_module.AppController.start = start  # type: ignore[method-assign]
    from timelygator.gui.main import main

    return main(["--data-dir", data_dir])


def build_dataset(days: int) -> tuple[Path, date, int, int]:
    """The cached data folder, its heavy day, that day's event count and the total."""
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services

    from tests.benchmarks import dataset

    folder = Path(tempfile.gettempdir()) / f"timelygator-gui-bench-{days}d"
    marker = folder / "ready.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        return folder, date.fromisoformat(info["heavy"]), info["heavy_events"], info["events"]
    catalog = dataset.build_catalog(1)
    heavy = next(
        (d, n)
        for d in dataset.days(FIRST_DAY, days)
        if 20_000 <= (n := dataset.day_events(d, 1, catalog).count()) <= 21_000
    )
    dirs = resolve_dirs(folder / "data")
    print(f"[gui_bench] writing {days} days into {folder} (once)…", file=sys.stderr)
    with Services.open(dirs, PASSPHRASE) as services:
        total = dataset.write_to_services(services, FIRST_DAY, days, progress=True)
    marker.write_text(
        json.dumps({"heavy": heavy[0].isoformat(), "heavy_events": heavy[1], "events": total})
    )
    return folder, heavy[0], heavy[1], total


def build_demo() -> tuple[Path, date, int, int]:
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services
    from timelygator.gui.demo_data import store_days

    folder = Path(tempfile.mkdtemp())
    heavy = date(2025, 3, 4)
    with Services.open(resolve_dirs(folder / "data"), PASSPHRASE) as seed:
        light = store_days(seed, [heavy - timedelta(days=1)])
        count = store_days(seed, [heavy], speedup=75.0)
    return folder, heavy, count, count + light


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--launch-probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.launch_probe:
        return launch_probe(args.launch_probe)
    os.environ["TIMELYGATOR_PASSPHRASE"] = PASSPHRASE
    try:
        import tests.benchmarks.dataset  # noqa: F401

        folder, heavy, heavy_events, total = build_dataset(args.days)
        source = f"tests/benchmarks/dataset.py, {args.days} days"
    except ImportError:
        folder, heavy, heavy_events, total = build_demo()
        source = "demo day x75"
    data_dir = folder / "data"
    launches = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, __file__, "--launch-probe", str(data_dir)],
            capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        )  # fmt: skip
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if lines:
            launches.append(json.loads(lines[-1])["window_shown_s"])
        else:
            print(out.stderr[-2000:], file=sys.stderr)

    from PySide6.QtCore import QElapsedTimer, QEventLoop, QPoint, QPointF, Qt, QTimer  # noqa: TID251
    from PySide6.QtGui import QMouseEvent, QWheelEvent  # noqa: TID251
    from PySide6.QtWidgets import QApplication  # noqa: TID251
    from timelygator.core.paths import resolve_dirs
    from timelygator.gui.app_controller import AppController
    from timelygator.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
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

    def restart_heartbeat() -> None:
        gaps.clear()
        last[0] = clock.elapsed()
        heartbeat.start()

    wake = QTimer()  # spin() sleeps in the event loop like the app does (no busy loop
    wake.start(2)  # holding the GIL against the workers), waking at least every 2 ms

    def spin(cond, timeout=60.0) -> None:  # type: ignore[no-untyped-def]
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    import gc

    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)
    light = heavy - timedelta(days=1)
    controller = AppController(resolve_dirs(data_dir), PASSPHRASE, start_watchers=False)
    window = controller.window
    window.navigator.today_fn = lambda: heavy + timedelta(days=1)
    window.navigator.show_day(light)
    window.resize(1400, 860)
    loaded: list[object] = []
    window.sig_range_loaded.connect(loaded.append)
    restart_heartbeat()
    t_open = time.perf_counter()
    controller.start()
    spin(lambda: loaded)
    open_to_draw = time.perf_counter() - t_open
    if controller.maintenance is not None:
        controller.maintenance.stop()  # the first backup of a 5M-event store is not GUI work
    spin(lambda: window.windowHandle() is not None and window.windowHandle().isExposed(), 10)

    heartbeat.stop()
    open_gaps = list(gaps)
    restart_heartbeat()
    switches, worker_ms, draw_ms = [], [], []
    for _ in range(5):
        for day in (heavy, light):
            loaded.clear()
            t0 = time.perf_counter()
            window.navigator.show_day(day)
            spin(lambda: loaded)
            app.processEvents()
            if day == heavy:
                switches.append((time.perf_counter() - t0) * 1000)
                data = loaded[0]
                worker_ms.append(data.read_ms + data.compute_ms)  # type: ignore[attr-defined]
                draw_ms.append(window.last_draw_ms)
    heartbeat.stop()
    switch_gaps = list(gaps)

    # 100k spans in view: synthetic lanes through the real TimelineView, driven by the mouse.
    from timelygator.core.categories.colors import stable_color
    from timelygator.core.event import Event
    from timelygator.gui.range_data import RangeData
    from timelygator.gui.timeline_model import make_lane

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
    timeline.set_data(data)
    timeline.reset_zoom()
    spin(lambda: False, 0.2)
    viewport = timeline.plot.viewport()
    rect = viewport.rect()
    y = rect.height() // 3
    painted = [0]
    timeline.items.sig_painted.connect(lambda: painted.__setitem__(0, painted[0] + 1))

    def send(event) -> float:  # type: ignore[no-untyped-def]
        """Deliver one input event and wait for the repaint it causes; ms."""
        before = painted[0]
        t0 = time.perf_counter()
        app.sendEvent(viewport, event)
        spin(lambda: painted[0] > before, 2.0)
        return (time.perf_counter() - t0) * 1000

    def mouse(kind, x, buttons=Qt.MouseButton.NoButton, button=Qt.MouseButton.NoButton):  # type: ignore[no-untyped-def]
        pos = QPointF(x, y)
        return QMouseEvent(kind, pos, viewport.mapToGlobal(pos), button, buttons,
                           Qt.KeyboardModifier.NoModifier)  # fmt: skip

    restart_heartbeat()
    zooms, pans, hovers = [], [], []
    centre = rect.width() // 2
    for k in range(8):  # wheel in four steps, then out again
        delta = 120 if k < 4 else -120
        wheel = QWheelEvent(
            QPointF(centre, y), viewport.mapToGlobal(QPointF(centre, y)), QPoint(0, 0),
            QPoint(0, delta), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        zooms.append(send(wheel))
    # 80% of the 100k spans in view (at 100% there is nowhere to pan to).
    x0, x1 = data.start_us / 1e6, data.end_us / 1e6
    timeline.view_box.setXRange(x0 + 0.1 * (x1 - x0), x0 + 0.9 * (x1 - x0), padding=0)
    spin(lambda: False, 0.1)
    left = Qt.MouseButton.LeftButton
    for sweep in range(3):
        x = centre
        app.sendEvent(viewport, mouse(QMouseEvent.Type.MouseButtonPress, x, left, left))
        x += -8 if sweep % 2 == 0 else 8  # past the drag threshold: the drag starts
        send(mouse(QMouseEvent.Type.MouseMove, x, left))
        for _ in range(25):  # 100 px: stays inside the limits, every move pans
            x += -4 if sweep % 2 == 0 else 4
            pans.append(send(mouse(QMouseEvent.Type.MouseMove, x, left)))
        release = mouse(QMouseEvent.Type.MouseButtonRelease, x, button=left)
        app.sendEvent(viewport, release)
        spin(lambda: False, 0.05)
    timeline.zoom(0.02)
    spin(lambda: False, 0.1)
    for k in range(60):
        t0 = time.perf_counter()
        app.sendEvent(viewport, mouse(QMouseEvent.Type.MouseMove, 100 + k * 17))
        app.processEvents()
        hovers.append((time.perf_counter() - t0) * 1000)
    heartbeat.stop()
    pan_gaps = list(gaps)
    rects = timeline.items.rect_count

    # Peer in the same run: one graphics item per span (10k only; 100k takes minutes).
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGraphicsRectItem  # noqa: TID251

    peer = pg.PlotWidget()
    peer.resize(1400, 400)
    t0 = time.perf_counter()
    for i in range(10_000):
        peer.addItem(QGraphicsRectItem(float(i * 3), float(i % 4), 2.5, 0.8))
    peer.grab()
    naive_10k = time.perf_counter() - t0

    controller.quit()
    spin(lambda: controller.services is None, 30)
    result = {
        "dataset": source,
        "dataset_events": total,
        "heavy_day": heavy.isoformat(),
        "heavy_day_events": heavy_events,
        "window_shown_s": round(statistics.median(launches), 3) if launches else None,
        "window_shown_s_runs": [round(v, 3) for v in launches],
        "open_to_first_draw_s": round(open_to_draw, 3),
        "heavy_day_switch_ms": round(statistics.median(switches), 1),
        "heavy_day_switch_ms_max": round(max(switches), 1),
        "heavy_day_worker_ms": round(statistics.median(worker_ms), 1),
        "heavy_day_draw_ms": round(statistics.median(draw_ms), 1),
        "pan_frame_ms": round(statistics.median(pans), 1),
        "pan_frame_ms_p95": _pct(pans, 0.95),
        "pan_frame_ms_max": round(max(pans), 1),
        "zoom_frame_ms": round(statistics.median(zooms), 1),
        "zoom_frame_ms_max": round(max(zooms), 1),
        "hover_ms": round(statistics.median(hovers), 2),
        "hover_ms_max": round(max(hovers), 1),
        "rects_drawn_full_view": rects,
        "naive_build_s_10k": round(naive_10k, 2),
        "longest_gui_block_ms_open": round(max(open_gaps, default=0.0), 1),
        "longest_gui_block_ms_switching": round(max(switch_gaps, default=0.0), 1),
        "longest_gc_pause_ms": round(max(gc_pauses, default=0.0), 1),
        "longest_gui_block_ms_pan_zoom_hover": round(max(pan_gaps, default=0.0), 1),
        "targets": {"window_shown_s": 1.5, "heavy_day_switch_ms": 300, "frame_ms": 50,
                    "gui_block_ms": 100},
        "cpu_count": os.cpu_count(),
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
