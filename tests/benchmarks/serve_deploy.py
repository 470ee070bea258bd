#!/usr/bin/env python3
"""What the server image's process model costs: start, stop and health-check times.

In one run, on one encrypted SQLite data folder (made first, so no schema upgrade is
timed), each three times, the median:

- ``timelygator serve`` as one process, and the same command as the single worker of the
  ``--workers`` supervisor (core.api.supervisor): start until "listening", SIGTERM until
  exit;
- the supervisor with two stand-in workers (tests/helpers/fake_worker.py: several real
  workers need PostgreSQL);
- the image's health check script (installers/server/healthcheck.py) against the running
  server, beside a bare ``python -c pass`` (its floor), and ``GET /health`` itself.

Prints ONE JSON object. Run from the checkout:

  python tests/benchmarks/serve_deploy.py
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "a benchmark passphrase"
RUNS = 3

SINGLE = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "sys.exit(run(build_parser().parse_args(['serve'])))"
)
SUPERVISED = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "from timelygator.core.api import server_config, supervisor; "
    "a = build_parser().parse_args(['serve']); "
    "sys.exit(supervisor.run_workers(a, server_config.resolve(a), run))"
)
TWO_STAND_INS = "import sys; from tests.helpers.fake_worker import main; sys.exit(main(2))"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TIMELYGATOR_DATA_DIR": str(data),
        "TIMELYGATOR_PASSPHRASE": PASSPHRASE,
        "TIMELYGATOR_PORT": str(port),
        "TIMELYGATOR_HOST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }


def _start(code: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("TimelyGator API listening"):
            return proc, time.perf_counter() - started
    raise RuntimeError(f"did not start (exit {proc.wait()})")


def _stop(proc: subprocess.Popen[str]) -> float:
    started = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(120)
    if proc.stderr is not None:
        proc.stderr.close()
    if code != 0:
        raise RuntimeError(f"exit {code}")
    return time.perf_counter() - started


def _start_stop(code: str, env: dict[str, str]) -> dict[str, float]:
    ups, downs = [], []
    for _ in range(RUNS):
        proc, up = _start(code, env)
        ups.append(up)
        downs.append(_stop(proc))
    return {
        "start_to_listening_s": round(statistics.median(ups), 2),
        "sigterm_to_exit_s": round(statistics.median(downs), 2),
    }


def _timed(command: list[str], env: dict[str, str], times: int = 10) -> float:
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        runs.append(time.perf_counter() - started)
    return round(statistics.median(runs), 3)


def main() -> int:
    result: dict[str, object] = {"cpus": os.cpu_count(), "runs": RUNS}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        env = _env(data, _free_port())
        _stop(_start(SINGLE, env)[0])  # the folder, its key and schema, once
        result["serve_one_process"] = _start_stop(SINGLE, env)
        result["serve_as_supervised_worker"] = _start_stop(SUPERVISED, env)
        fake_env = {**env, "TIMELYGATOR_PORT": "0", "FAKE_WORKER_FIFOS": folder}
        result["supervisor_two_stand_in_workers"] = _start_stop(TWO_STAND_INS, fake_env)
        proc, _ = _start(SINGLE, env)
        try:
            script = [sys.executable, str(ROOT / "installers" / "server" / "healthcheck.py")]
            result["healthcheck_script_s"] = _timed(script, env)
            result["python_c_pass_s"] = _timed([sys.executable, "-c", "pass"], env)
            latencies = []
            with httpx.Client(base_url=f"http://127.0.0.1:{env['TIMELYGATOR_PORT']}") as http:
                for _ in range(500):
                    started = time.perf_counter()
                    http.get("/health").raise_for_status()
                    latencies.append(time.perf_counter() - started)
            latencies.sort()
            result["health_ms_median"] = round(statistics.median(latencies) * 1000, 2)
            result["health_ms_p95"] = round(latencies[int(0.95 * len(latencies))] * 1000, 2)
        finally:
            _stop(proc)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
