"""The habits CI enforces: the checks run before the tests, the README's test command is
exactly what CI runs, pre-commit runs the same checks, and the checkers' versions are pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_checks_then_the_readme_test_command_then_the_installers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Test it \(fresh machine\)\s+```sh\n(.+?)\n```", readme, re.S)
    assert block is not None
    test_command = block.group(1).strip()
    commands = _commands(ROOT / ".ci" / "run")
    assert test_command in commands
    after = commands[commands.index(test_command) + 1 :]
    checks = commands[: commands.index(test_command)]
    # The installers are built in the background at the lowest priority while the checks
    # and the tests run, waited for after the tests, then checked.
    build = next(c for c in checks if "installers/build.py" in c)
    assert build.startswith("nice -n 19 python3 installers/build.py") and build.endswith("&")
    assert after[0].startswith('wait "$installers_build"')
    assert after[1].startswith("installers/linux/check_deb.sh dist/timelygator_")
    assert "python3 -m ruff check ." in checks
    assert "python3 -m ruff format --check ." in checks
    assert "python3 tools/namespace.py mypy" in checks
    assert "python3 tools/namespace.py lint-imports" in checks


def test_pre_commit_runs_the_same_checks_without_downloads() -> None:
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: local" in config and "https://" not in config
    for hook in ("id: ruff", "id: ruff-format", "id: mypy", "id: lint-imports"):
        assert hook in config


def test_the_checkers_are_pinned_and_the_layers_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = project["project"]["optional-dependencies"]["lint"]
    assert {re.split("==", p)[0] for p in lint} == {"ruff", "mypy", "import-linter"}
    assert all("==" in p for p in lint)
    contracts = project["tool"]["importlinter"]["contracts"]
    assert {c["type"] for c in contracts} == {"layers", "forbidden"}
    assert ["timelygator.gui", "timelygator.watchers", "timelygator.core"] in [
        c.get("layers") for c in contracts
    ]
    assert project["tool"]["pytest"]["ini_options"]["filterwarnings"][0] == "error"
