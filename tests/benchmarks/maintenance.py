"""Backup and salvage of a store with N events: this tree's code against an older revision's,
interleaved in one run (issue #16, item 3: the maintenance modules' SQL moved to SQLAlchemy
Core and ``core.sql_dialect``).

The older ``core/store.py`` and ``core/salvage.py`` are read from git (``--old``, default
``main``) and loaded beside the current ones, so both run on the same files, machine and
moment. Figures: ``<case>_s`` wall-clock and ``<case>_cpu_s`` this process's CPU seconds
(steadier on a busy machine; the fsyncs are not in it), medians over ``--rounds``
alternating rounds, ratio = new / old:

- backup: ``Store(path, key).backup(target)`` of the whole store (online copy with SQLite's
  backup API, fsync, the copy's integrity check), as ``timelygator backup`` does.
- salvage: ``salvage_database`` of a readable copy of the data folder (every row copied into
  a new file in batches, checked, swapped in), as ``timelygator db salvage`` does.
- salvage_damaged: the same with one page of event rows overwritten (the row-by-row approach
  to the damaged place and the search past it: many short connections).

Prints one JSON object. Usage: python tests/benchmarks/maintenance.py [--events 100000]
[--rounds 5] [--old main] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from timelygator.core import keys as keys_module
from timelygator.core import salvage as new_salvage
from timelygator.core import store as new_store
from timelygator.core.event import Event
from timelygator.core.keys import KeyStore
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.services import Services

ROOT = Path(__file__).resolve().parents[2]
PASS = "maintenance benchmark passphrase"
S = 1_000_000
T0 = 1_700_000_000 * S


def load_old(rev: str, tmp: Path) -> tuple[ModuleType, ModuleType]:
    """``core/store.py`` and ``core/salvage.py`` as they were at ``rev`` (the salvage using
    that store)."""

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def load(name: str, text: str) -> ModuleType:
        path = tmp / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    store = load("_old_store", source("core/store.py"))
    salvage_text = source("core/salvage.py").replace(
        "from timelygator.core.store import", "from _old_store import"
    )
    return store, load("_old_salvage", salvage_text)


def fill(dirs: AppDirs, events: int) -> None:
    """A store of ``events`` window events (varied titles) in three buckets, settings, one
    token-like row: what salvage copies."""
    with Services.open(dirs, PASS) as services:
        buckets = [
            services.ensure_bucket(f"b{i}", type="currentwindow", client="c", hostname="h")
            for i in range(3)
        ]
        batch = 5_000
        for first in range(0, events, batch):
            count = min(batch, events - first)
            rows = [
                Event(
                    T0 + (first + i) * S,
                    T0 + (first + i) * S + S // 2,
                    {"app": f"app{(first + i) % 97}", "title": f"document {first + i} - editor"},
                    tz_offset_s=3600 if i % 2 else None,
                )
                for i in range(count)
            ]
            services.writer.insert_events(buckets[(first // batch) % 3], rows).result()


def damage(dirs: AppDirs) -> None:
    """Overwrite a page in the middle of the file (event rows) with garbage."""
    size = dirs.database.stat().st_size
    page = 2048
    with dirs.database.open("r+b") as handle:
        handle.seek((size // page // 2) * page + 100)
        handle.write(b"\x00garbage" * 40)


def timed(fn: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """((wall seconds, this process's CPU seconds), fn's result)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians)")
    parser.add_argument("--old", default="main", help="git revision to compare with")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 5_000, 2
    # The key file's passphrase KDF is not what is measured: cheap parameters, as the tests use.
    keys_module.SCRYPT_N = 2**14  # type: ignore[attr-defined]
    tmp = Path(tempfile.mkdtemp(prefix="tg-maintenance-bench-"))
    try:
        old_store, old_salvage = load_old(args.old, tmp)
        pristine = resolve_dirs(tmp / "pristine")
        fill(pristine, args.events)
        key = KeyStore(pristine).load(PASS)[0]
        broken = resolve_dirs(tmp / "broken")
        shutil.copytree(pristine.data, broken.data)
        damage(broken)
        sides: dict[str, tuple[Any, Any]] = {
            "old": (old_store, old_salvage),
            "new": (new_store, new_salvage),
        }
        times: dict[str, dict[str, list[tuple[float, float]]]] = {
            case: {side: [] for side in sides} for case in ("backup", "salvage", "salvage_damaged")
        }
        outcomes: dict[str, dict[str, Any]] = {}
        run = 0
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                store_module, salvage_module = sides[side]
                run += 1
                target = tmp / f"backup-{run}" / "copy.db"
                source = store_module.Store(pristine.database, key, pool_size=1)
                try:
                    seconds, _ = timed(lambda s=source, t=target: s.backup(t))
                finally:
                    source.close()
                times["backup"][side].append(seconds)
                shutil.rmtree(target.parent)
                for case, origin in (("salvage", pristine), ("salvage_damaged", broken)):
                    work = resolve_dirs(tmp / f"{case}-{run}")
                    shutil.copytree(origin.data, work.data)
                    seconds, result = timed(
                        lambda m=salvage_module, w=work: m.salvage_database(w, PASS)
                    )
                    times[case][side].append(seconds)
                    outcomes.setdefault(case, {})[side] = {
                        "copied": result.copied,
                        "unreadable": result.lost,
                    }
                    shutil.rmtree(work.data)
        same = all(outcomes[case]["old"] == outcomes[case]["new"] for case in outcomes)
        figures: dict[str, Any] = {"events": args.events, "rounds": args.rounds, "old": args.old}
        for case, by_side in times.items():
            for index, unit in ((0, "s"), (1, "cpu_s")):
                old = statistics.median(t[index] for t in by_side["old"])
                new = statistics.median(t[index] for t in by_side["new"])
                figures[f"{case}_{unit}"] = {
                    "old": round(old, 4),
                    "new": round(new, 4),
                    "ratio": round(new / old, 3),
                }
        figures["same_salvage_outcome"] = same
        figures["salvage_damaged_outcome"] = outcomes["salvage_damaged"]["new"]
        print(json.dumps(figures, indent=2))
        return 0 if same else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
