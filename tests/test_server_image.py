"""The server image (installers/server), checked without a container engine.

CI has no Docker, so the tests read the Dockerfile and do what it says: run its ENTRYPOINT +
CMD with its ENV (the data folder and port moved into the test's own), with the desktop's
libraries made unimportable as they are in the image, check ``/health``, ``/api/0/info`` and
``/metrics``, run its HEALTHCHECK command, and stop it. They also check that what the image
installs pulls no Qt (from the installed packages' own metadata), and the compose file's
wiring beside PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.helpers.serve import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "installers" / "server"

# What the image must not contain: Qt and its Python bindings, and the desktop watchers'
# session libraries (distribution names, normalized).
QT = frozenset(
    {"pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6", "pyqt5", "pyqt6", "qtpy"}
)
DESKTOP = frozenset({"pyqtgraph", "pywinctl", "pynput", "python-xlib", "evdev"})
# Import names blocked in the image stand-in: what those distributions install.
BLOCKED_IMPORTS = ("PySide6", "shiboken6", "pyqtgraph", "pywinctl", "pynput", "Xlib", "evdev")


# -- reading the Dockerfile ----------------------------------------------------------------------
@dataclass
class Stage:
    """One build stage: its instructions in order, as (NAME, arguments) pairs."""

    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, name: str) -> list[str]:
        return [args for instr, args in self.instructions if instr == name]

    def one(self, name: str) -> str:
        [args] = self.all(name)
        return args

    def env(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for args in self.all("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                found[key] = value
        return found

    def exec_form(self, name: str) -> list[str]:
        """ENTRYPOINT / CMD in exec (JSON) form: a shell form would not get signals."""
        value = json.loads(self.one(name))
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value


def read_dockerfile(path: Path = SERVER / "Dockerfile") -> list[Stage]:
    """The stages of a Dockerfile: comments dropped, continued lines joined."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a continued line"
    stages: list[Stage] = []
    for line in logical:
        instr, _, args = line.partition(" ")
        instr, args = instr.upper(), args.strip()
        if instr == "FROM":
            stages.append(Stage(args))
        elif stages:
            stages[-1].instructions.append((instr, args))
    return stages


def _healthcheck_command(stage: Stage) -> tuple[list[str], str]:
    """HEALTHCHECK's options and its CMD (exec form)."""
    options, _, command = stage.one("HEALTHCHECK").partition("CMD")
    return json.loads(command), options


# The image's PATH (python:*-slim), for a command named without a folder.
IMAGE_PATH = ("/usr/local/bin", "/usr/local/sbin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _copied_from(stage: Stage, command: str) -> Path:
    """The file of the checkout that a COPY puts where the image finds ``command``."""
    places = [command] if "/" in command else [f"{d}/{command}" for d in IMAGE_PATH]
    for args in stage.all("COPY"):
        parts = args.split()
        if not parts[0].startswith("--from") and parts[-1] in places:
            return ROOT / parts[0]
    raise AssertionError(f"nothing is copied to where the image finds {command}")


# -- the image's command, run here -------------------------------------------------------------
@pytest.fixture
def gui_blocked(tmp_path: Path) -> Path:
    """A folder that, first on PYTHONPATH, makes the desktop's libraries unimportable."""
    folder = tmp_path / "no-gui"
    for name in BLOCKED_IMPORTS:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"raise ImportError('{name} is not in the server image')\n", encoding="utf-8"
        )
    return folder


def _executable(name: str) -> str:
    """A command of the image, from this interpreter's installation (pip put it there)."""
    candidate = Path(sys.executable).parent / name
    if not candidate.exists():
        pytest.skip(f"{name} is not installed beside {sys.executable} (pip install -e .)")
    return str(candidate)


def _image_environment(stage: Stage, tmp_path: Path, gui_blocked: Path) -> dict[str, str]:
    """This machine's environment without any TIMELYGATOR_ setting, plus the image's ENV,
    with its volume and port moved into the test's own; SQLite (no database URL) needs the
    passphrase the README asks for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELYGATOR_")}
    env.update(stage.env())
    data = tmp_path / "volume"
    data.mkdir()
    env["TIMELYGATOR_DATA_DIR"] = str(data)
    env["TIMELYGATOR_PORT"] = str(free_port())
    env["TIMELYGATOR_PASSPHRASE"] = "a passphrase for the container"
    env["PYTHONPATH"] = os.pathsep.join([str(gui_blocked), str(ROOT)])
    return env


@pytest.fixture
def image() -> Stage:
    return read_dockerfile()[-1]


@pytest.mark.slow
def test_the_images_entry_point_serves_with_the_images_environment(
    image: Stage, tmp_path: Path, gui_blocked: Path
) -> None:
    env = _image_environment(image, tmp_path, gui_blocked)
    workdir = env["TIMELYGATOR_DATA_DIR"]
    entry = image.exec_form("ENTRYPOINT")
    command = [_executable(entry[0]), *entry[1:]]
    # The README's first step: a token (serve on 0.0.0.0 refuses to start without one).
    made = subprocess.run(
        [*command, "token", "create", "--scope", "read", "--name", "probe"],
        env=env, cwd=workdir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.split()[0]
    health_cmd, _options = _healthcheck_command(image)
    health = [sys.executable, str(_copied_from(image, health_cmd[0])), *health_cmd[1:]]

    proc = subprocess.Popen(
        [*command, *image.exec_form("CMD")],
        env=env, cwd=workdir, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("TimelyGator API listening on"):
                break
        else:
            raise AssertionError(f"the image's command did not start: {''.join(seen)}")
        assert f"http://0.0.0.0:{env['TIMELYGATOR_PORT']}" in line  # the image's host, our port
        url = f"http://127.0.0.1:{env['TIMELYGATOR_PORT']}"
        with httpx.Client(base_url=url, timeout=30) as http:
            answer = http.get("/health")
            assert answer.status_code == 200
            assert answer.json() == {"status": "ok", "database": "ok", "writer": "running"}
            assert http.get("/api/0/info").json()["version"].startswith("v0.")
            assert http.get("/metrics").status_code == 401  # counts are for token holders
            metrics = http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert metrics.status_code == 200
            assert "timelygator_http_requests_total" in metrics.text
        # The image's HEALTHCHECK command, with the image's environment: healthy.
        checked = subprocess.run(health, env=env, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        proc.send_signal(signal.SIGTERM)  # what `docker stop` sends
        assert proc.wait(60) == 0
        assert "all writes are saved" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    # Stopped: the health check says so.
    checked = subprocess.run(health, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert "did not answer" in checked.stderr
    # The log went to the console at the image's level (what `docker logs` shows).
    assert "INFO" in "".join(seen)


def test_the_image_runs_as_a_user_with_a_volume_a_health_check_and_signals(image: Stage) -> None:
    user = image.one("USER")
    assert user not in ("root", "0") and not user.startswith("0:")
    assert "useradd" in " ".join(image.all("RUN"))
    env = image.env()
    assert json.loads(image.one("VOLUME")) == [env["TIMELYGATOR_DATA_DIR"]]
    assert image.one("EXPOSE") == env["TIMELYGATOR_PORT"]
    assert env["TIMELYGATOR_HOST"] == "0.0.0.0"
    assert env["TIMELYGATOR_WORKERS"] == "1"  # SQLite unless a database URL is given
    assert "TIMELYGATOR_DATABASE_URL" not in env
    assert image.exec_form("ENTRYPOINT") == ["timelygator"]
    assert image.exec_form("CMD")[0] == "serve"
    command, options = _healthcheck_command(image)
    assert _copied_from(image, command[0]) == SERVER / "healthcheck.py"
    timeout = re.search(r"--timeout=(\d+)s", options)
    assert timeout is not None
    health = _load(SERVER / "healthcheck.py")
    assert int(timeout.group(1)) > health.TIMEOUT_S
    assert read_dockerfile()[0].base.split(":")[0] == image.base.split(":")[0] == "python"
    assert image.base.endswith("-slim")


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_health_check_asks_this_machine() -> None:
    url = _load(SERVER / "healthcheck.py").health_url
    assert url({}) == "http://127.0.0.1:5600/health"
    assert url({"TIMELYGATOR_HOST": "0.0.0.0", "TIMELYGATOR_PORT": "8080"}) == (
        "http://127.0.0.1:8080/health"
    )
    assert url({"TIMELYGATOR_HOST": "::"}) == "http://[::1]:5600/health"
    assert url({"TIMELYGATOR_HOST": "10.1.2.3"}) == "http://10.1.2.3:5600/health"


# -- no Qt -------------------------------------------------------------------------------------
def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[str]) -> tuple[set[str], set[str]]:
    """Every distribution the requirements pull on Linux, from the installed packages'
    metadata; and the names that are not installed here (so not followed)."""
    from packaging.requirements import Requirement

    environment = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
    seen: set[str] = set()
    missing: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = []

    def add(line: str, extra: str = "") -> None:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({**environment, "extra": extra}):
            return
        todo.append((_normalized(req.name), frozenset(req.extras)))

    for line in requirements:
        add(line)
    expanded: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in expanded:
            continue
        expanded.add((name, extras))
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            missing.add(name)
            continue
        for line in requires:
            for extra in ("", *extras):
                add(line, extra)
    return seen, missing


def _server_requirements() -> list[str]:
    module = _load(SERVER / "requirements.py")
    lines: list[str] = module.server_requirements()
    return lines


def test_the_image_installs_the_listed_requirements_and_the_wheel_without_its_own(
    image: Stage,
) -> None:
    build = read_dockerfile()[0]
    made = " ".join(build.all("RUN"))
    assert "pip wheel" in made and "--no-deps" in made
    assert "installers/server/requirements.py > /dist/requirements.txt" in made
    installs = [run for run in image.all("RUN") if "pip install" in run]
    assert len(installs) == 2, installs
    requirements, wheel = installs
    assert "-r /tmp/requirements.txt" in requirements and "--only-binary=:all:" in requirements
    assert "--no-deps" in wheel and "timelygator-*.whl" in wheel
    assert not any("[" in run or " -e " in run for run in installs)  # no extras, no checkout


def test_the_server_requirements_are_the_projects_without_the_desktop() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = _server_requirements()
    module = _load(SERVER / "requirements.py")
    names = {module.distribution_name(r) for r in project["dependencies"]}
    assert names >= module.DESKTOP_ONLY  # no stale name: each is a dependency today
    assert (
        listed
        == [
            r
            for r in project["dependencies"]
            if module.distribution_name(r) not in module.DESKTOP_ONLY
        ]
        + project["optional-dependencies"]["server"]
    )
    assert any(r.startswith("psycopg") for r in listed)


def test_nothing_the_image_installs_pulls_qt() -> None:
    pytest.importorskip("packaging")
    pulled, missing = _closure(_server_requirements())
    assert not pulled & QT, sorted(pulled & QT)
    assert not pulled & DESKTOP, sorted(pulled & DESKTOP)
    # The core dependencies are installed here (the project is), so their whole tree was
    # followed; only the server extra may be absent from a test machine.
    assert missing <= {"psycopg", "psycopg-binary", "psycopg-c", "psycopg-pool"}, missing
    # The same walk over the full install finds Qt: the check can see it.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    everything, _ = _closure(project["dependencies"])
    assert "pyside6-essentials" in everything and "shiboken6" in everything


# -- compose -----------------------------------------------------------------------------------
@pytest.fixture
def compose() -> Any:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((SERVER / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_starts_the_server_beside_postgresql_with_volumes(compose: Any) -> None:
    services = compose["services"]
    postgres, server = services["postgres"], services["timelygator"]
    assert postgres["image"] == "postgres:15"
    volumes = compose["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "timelygator-data:/data" in server["volumes"]
    assert {"postgres-data", "timelygator-data"} <= set(volumes)
    assert "ports" not in postgres  # reached on the compose network only
    assert server["ports"] == ["127.0.0.1:5600:5600"]  # behind a reverse proxy
    build = server["build"]
    assert (SERVER / build["context"] / build["dockerfile"]).resolve() == SERVER / "Dockerfile"
    env = server["environment"]
    url = env["TIMELYGATOR_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://timelygator:${POSTGRES_PASSWORD}@postgres:5432/")
    assert env["TIMELYGATOR_WORKERS"].startswith("${TIMELYGATOR_WORKERS:-")
    assert server["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert server["command"][:2] == ["serve", "--allow-remote"]
