"""Log files people can send: rotating, private, and free of secrets and (by default) of what
the user did.

Every entry point (the app, ``serve``, ``watch`` and the other commands) calls
``setup_logging`` first. Records go to a rotating file in the log folder (``AppDirs.logs``:
the platform's user log folder, or ``logs/`` in the folder given by ``--data-dir`` /
``TIMELYGATOR_DATA_DIR``), one file per kind of process (``timelygator.log`` for the app,
``serve.log``, ``watch.log``, ``cli.log``), 1 MB each with 5 older ones kept, readable by the
owner only (0600, folder 0700). The console shows warnings (the app: what it does), or
everything with ``-v``.

Every line is scrubbed before it is written, on the console too: API tokens, bearer
credentials, raw database keys and registered secrets (the passphrase given to this process)
become ``[hidden]``; window titles, URLs and other event data become ``[hidden]`` as well
unless the user opted in (Settings → General, ``GeneralPrefs.log_titles``) for a bug report.
A log file is never the reason a data folder appears: with ``--data-dir`` pointing at a
folder that does not exist (yet), nothing is written to a file until it does.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from timelygator.core import files
from timelygator.core.paths import AppDirs

MAX_BYTES = 1_000_000
BACKUPS = 5
FILE_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
HIDDEN = "[hidden]"

# Libraries whose INFO lines say nothing a bug report needs (each a line per start).
_QUIET = ("alembic.runtime.plugins",)
_PROCESS_FILES = {"app": "timelygator.log", "serve": "serve.log", "watch": "watch.log"}


def log_file_name(process: str) -> str:
    """The file a kind of process writes: the app, ``serve``, ``watch``, else ``cli.log``."""
    return _PROCESS_FILES.get(process, "cli.log")


# -- scrubbing ---------------------------------------------------------------------------------
_SECRET_WORDS = "passphrase|password|secret|token|api_key"  # noqa: S105 - key names
_SECRET_PATTERNS = (
    # API tokens (core.tokens: "tg_" + urlsafe base64) and any bearer credential.
    (re.compile(r"\btg_[A-Za-z0-9_-]{8,}"), HIDDEN),
    (re.compile(r"(?i)\b(bearer)\s+[^\s'\",]+"), rf"\1 {HIDDEN}"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"), rf"\1{HIDDEN}"),
    # A raw SQLCipher key literal (x'<hex>') or a long hex string (a key, a hash).
    (re.compile(r"(?i)x'[0-9a-f]{32,}'"), f"x'{HIDDEN}'"),
    (re.compile(r"(?i)\b[0-9a-f]{48,}\b"), HIDDEN),
    # passphrase=..., or "passphrase": "..." in a dict or JSON.
    (re.compile(rf"(?i)\b({_SECRET_WORDS})=[^\s,)]+"), rf"\1={HIDDEN}"),
    (
        re.compile(
            rf"""(?i)(['"])({_SECRET_WORDS})\1(\s*:\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
        ),
        rf"\1\2\1\3'{HIDDEN}'",
    ),
)
# Event data: the values of the keys watchers and browsers record, in dict reprs and JSON.
_DATA_KEYS = "title|url|app|file|project|language|branch|uri|\\$category"
_DATA_VALUE = re.compile(
    rf"""(['"])({_DATA_KEYS})\1(\s*:\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,}}\s]+)"""
)
_DATA_KWARG = re.compile(rf"""\b({_DATA_KEYS})=(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_URL = re.compile(r"\b(?:https?|wss?|file|ftp)://[^\s'\"<>]+")
_OWN_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _url(match: re.Match[str]) -> str:
    """This machine's own addresses (the API's) stay: useful, and not what the user did."""
    try:
        host = urlsplit(match.group(0)).hostname
    except ValueError:
        host = None
    return match.group(0) if host in _OWN_HOSTS else f"[url {HIDDEN}]"


class Scrubber:
    """Removes secrets (always) and event data (unless ``log_titles``) from log text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self.log_titles = False

    def add_secret(self, value: str | None) -> None:
        """Never write ``value`` (a passphrase this process was given) to a log."""
        if value and len(value) >= 3:
            with self._lock:
                self._secrets = self._secrets | {value}

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, HIDDEN)
        for pattern, replacement in _SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
        if not self.log_titles:
            text = _DATA_VALUE.sub(rf"\1\2\1\3'{HIDDEN}'", text)
            text = _DATA_KWARG.sub(rf"\1='{HIDDEN}'", text)
            text = _URL.sub(_url, text)
        return text


SCRUB = Scrubber()


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose whole output (message, arguments, traceback) is scrubbed."""

    def __init__(self, fmt: str, scrub: Scrubber = SCRUB) -> None:
        super().__init__(fmt)
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


def add_secret(value: str | None) -> None:
    """Keep ``value`` (a passphrase) out of every log line of this process."""
    SCRUB.add_secret(value)


def set_log_titles(enabled: bool) -> None:
    """The user's choice (``GeneralPrefs.log_titles``): write titles and URLs to the log."""
    SCRUB.log_titles = bool(enabled)


# -- the file ----------------------------------------------------------------------------------
class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file created owner-only (0600, in a 0700 folder), opened on the first
    record, and only once ``needs`` (the data folder holding the log folder) exists."""

    def __init__(self, path: Path, needs: Path | None = None) -> None:
        super().__init__(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        self.needs = needs

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and self.needs is not None and not self.needs.is_dir():
            return
        super().emit(record)

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with files.private_umask():
            stream = super()._open()
        files.make_private(path)
        return stream


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def setup_logging(
    dirs: AppDirs,
    process: str,
    *,
    verbose: bool = False,
    console_level: int = logging.WARNING,
    console: TextIO | None = None,
) -> Path:
    """Log to the process's rotating file in ``dirs.logs`` and to the console (stderr).

    The file gets INFO and up, the console ``console_level`` and up (the commands: warnings;
    the app: INFO, what it is doing); with ``verbose`` both get everything (DEBUG). Calling
    it again replaces the handlers it installed. Returns the log file's path.
    """
    reset_logging()
    root = logging.getLogger()
    path = dirs.logs / log_file_name(process)
    needs = dirs.data if _inside(dirs.logs, dirs.data) else None
    to_file = PrivateRotatingFileHandler(path, needs)
    to_file.setLevel(logging.DEBUG if verbose else logging.INFO)
    to_file.setFormatter(ScrubbingFormatter(FILE_FORMAT))
    to_console: logging.Handler = (
        logging.StreamHandler(console) if console is not None else _StderrHandler()
    )
    to_console.setLevel(logging.DEBUG if verbose else console_level)
    to_console.setFormatter(ScrubbingFormatter(CONSOLE_FORMAT))
    for handler in (to_file, to_console):
        handler._timelygator = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path


def reset_logging() -> None:
    """Remove the handlers ``setup_logging`` installed (tests running entry points in-process)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_timelygator", False)]
    for handler in ours:
        root.removeHandler(handler)
        handler.close()
    if ours:
        root.setLevel(logging.WARNING)
    SCRUB.log_titles = False


class _StderrHandler(logging.StreamHandler[TextIO]):
    """The console: whatever ``sys.stderr`` is when a record is written."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def log_files(dirs: AppDirs) -> list[Path]:
    """The log files in the log folder, newest first."""
    if not dirs.logs.is_dir():
        return []
    found = [p for p in dirs.logs.iterdir() if p.is_file() and ".log" in p.name]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
