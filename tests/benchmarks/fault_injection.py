"""Real SIGKILLs at random moments, many runs: ``python tests/benchmarks/fault_injection.py``.

For each operation (rekey, restore, backup, passphrase change, salvage) on a folder of
``--events`` events, ``--runs`` runs: the operation is started as a user would, a reader
process runs ``db check`` and an export beside it, and the operation is SIGKILLed after a
random delay, uniform from 0.3 s to 1.1 times the operation's own duration (measured first
on this machine; the runs that draw more see it finish). Prints JSON: per operation the runs, how
many were killed, the states found afterwards, reader rounds and "busy" answers, and every
problem (there should be none). ``--seed`` makes a run repeatable.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import timelygator.core.keys

from tests.helpers.killruns import OPERATIONS, duration, prepare, run_once


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="runs per operation")
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--operations", nargs="*", default=list(OPERATIONS))
    args = parser.parse_args()
    # The subprocesses use the real cost; only preparing is faster.
    timelygator.core.keys.SCRYPT_N = 2**14
    rng = random.Random(args.seed)
    started = time.perf_counter()
    out: dict[str, object] = {"seed": args.seed, "events": args.events, "operations": {}}
    with tempfile.TemporaryDirectory(prefix="tg-sigkill-") as tmp:
        root = Path(tmp)
        prepared = prepare(root / "template", args.events)
        for operation in args.operations:
            measured = root / f"{operation}-measure"
            measured.mkdir()
            took = duration(prepared, operation, measured)
            results = []
            for index in range(args.runs):
                work = root / f"{operation}-{index}"
                work.mkdir()
                results.append(run_once(prepared, operation, work, rng, max_delay=1.1 * took))
            out["operations"][operation] = {  # type: ignore[index]
                "runs": len(results),
                "duration_s": round(took, 2),
                "killed": sum(r.killed for r in results),
                "states": dict(Counter(r.state for r in results)),
                "reader_rounds": sum(r.reader_rounds for r in results),
                "reader_busy": sum(r.reader_busy for r in results),
                "kill_delays_s": sorted(r.delay_s for r in results if r.killed),
                "problems": [p for r in results for p in r.problems],
            }
    out["total_runs"] = sum(v["runs"] for v in out["operations"].values())  # type: ignore[attr-defined]
    out["total_problems"] = sum(len(v["problems"]) for v in out["operations"].values())  # type: ignore[attr-defined]
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2))
    return 0 if out["total_problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
