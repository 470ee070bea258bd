"""The small stores' statements, hand-written SQL vs SQLAlchemy Core, same data, one run.

Compares two versions of ``core/tokens.py`` and ``core/categories/stored.py``: the ones in
the work tree and the ones of a git revision (``--old``, by default the last commit before
they moved to SQLAlchemy Core), loaded side by side from their source. Both run on the same
keyed (SQLCipher) store, in interleaved repetitions; prints one JSON object with the median
time per call of each version (wall-clock and CPU) and the ratios new/old (above 1: the
work tree is slower).

- verify_token: ``tokens.verify_token`` on one open connection (what an API request whose
  token is not cached yet costs), among ``--tokens`` stored tokens.
- categories: ``replace_stored_categories`` (in a transaction, committed) then
  ``load_stored_categories``, with the default categories and with a tree of ``--categories``.

Usage: python tests/benchmarks/small_stores.py [--old REV] [--rounds 31] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from timelygator.core import tokens
from timelygator.core.categories import stored
from timelygator.core.categories.formats import load_default_categories
from timelygator.core.categories.model import Category, Rule
from timelygator.core.keys import DataKey
from timelygator.core.schema import ensure_schema
from timelygator.core.store import Store

ROOT = Path(__file__).resolve().parents[2]
OLD_REV = "3581ac2"  # main before the small stores moved to SQLAlchemy Core (issue #16)


def load_old(rev: str, path: str, name: str) -> ModuleType:
    """The module at ``path`` as it was in ``rev``, imported under ``name``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
    return module


def interleaved(
    cases: dict[str, Callable[[], None]], rounds: int, calls: int
) -> dict[str, dict[str, float]]:
    """Median microseconds per call of each case, the cases alternating within each round:
    wall-clock and CPU time of this process (the CPU figure is the steadier one on a busy
    machine: waiting for a core does not count)."""
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for case in cases.values():  # warm up: compiled-statement caches, page cache
        for _ in range(calls):
            case()
    for round_ in range(rounds):
        order = names if round_ % 2 == 0 else names[::-1]
        for name in order:
            case = cases[name]
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                case()
            cpu[name].append((time.process_time() - start_cpu) / calls * 1e6)
            wall[name].append((time.perf_counter() - start) / calls * 1e6)
    return {
        name: {
            "wall_us": round(statistics.median(wall[name]), 1),
            "cpu_us": round(statistics.median(cpu[name]), 1),
        }
        for name in names
    }


def ratios(figures: dict[str, dict[str, float]]) -> dict[str, float]:
    """new / old of each measure (above 1: the work tree's version is slower)."""
    old, new = figures["old"], figures["new"]
    return {measure: round(new[measure] / old[measure], 3) for measure in old}


def tree(size: int) -> list[Category]:
    """``size`` categories, three levels deep, each with a regex rule and a color."""
    out: list[Category] = []
    for i in range(size):
        path = [f"Area {i // 25}", f"Group {i // 5}", f"Item {i}"][: 1 + i % 3]
        rule = Rule.from_dict({"type": "regex", "regex": f"app{i}|site{i}\\.example"})
        out.append(Category(path, rule, f"#{i % 256:02x}8040", float(i % 3)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=OLD_REV, help="git revision of the old modules")
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--categories", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="few rounds (a smoke test)")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    old_tokens = load_old(args.old, "core/tokens.py", "old_tokens")
    old_stored = load_old(args.old, "core/categories/stored.py", "old_stored")
    result: dict[str, object] = {"old": args.old, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        store = Store(Path(tmp) / "bench.db", DataKey.generate())
        ensure_schema(store)
        with store.engine.begin() as conn:
            user = tokens.ensure_user(conn, "local", 0)
            secrets = [
                tokens.insert_token(conn, user, "write", f"t{i}", 0).secret
                for i in range(args.tokens)
            ]
        secret = secrets[len(secrets) // 2]
        with store.connect() as conn:
            for module in (old_tokens, tokens):  # both versions find the same token
                found = module.verify_token(conn, secret)
                assert found is not None and found.name == f"t{len(secrets) // 2}"
            figures = interleaved(
                {
                    "old": lambda: old_tokens.verify_token(conn, secret),
                    "new": lambda: tokens.verify_token(conn, secret),
                },
                rounds,
                calls=2000,
            )
        result["verify_token"] = figures
        result["verify_token_ratio"] = ratios(figures)

        for label, categories in (
            ("default", load_default_categories()),
            (str(args.categories), tree(args.categories)),
        ):

            def cycle(module: ModuleType, items: list[Category] = categories) -> None:
                with store.engine.begin() as conn:
                    module.replace_stored_categories(conn, user, items)
                with store.connect() as conn:
                    module.load_stored_categories(conn, user)

            cycle(old_stored)
            with store.connect() as conn:
                before = old_stored.load_stored_categories(conn, user)
            cycle(stored)
            with store.connect() as conn:
                after = stored.load_stored_categories(conn, user)
            assert [(c.path, c.rule, c.color, c.score) for c in before] == [
                (c.path, c.rule, c.color, c.score) for c in after
            ], "the two versions store different categories"
            figures = interleaved(
                {"old": lambda: cycle(old_stored), "new": lambda: cycle(stored)},
                rounds,
                calls=20,
            )
            result[f"categories_{label}_replace_load"] = figures
            result[f"categories_{label}_ratio"] = ratios(figures)
        store.engine.dispose()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
