"""TimelyGator's browser extension in a real Chromium, against the real server.

Chromium (Debian's ``chromium``) runs under the suite's X display with the extension loaded
unpacked, as the README tells users to. The test pairs it through its options page (wrong
token first: the page names the 401), then the browser visits local pages that move on by
themselves after a known time. The server is stopped while the browser goes on and started
again later; in the end it holds one event per visit, each with the visit's duration.
Everything is driven over the DevTools protocol; every wait is on a condition.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from timelygator.core import tokens
from timelygator.core.cors import TIMELYGATOR_EXTENSION_ID
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.cdp import Cdp, Chromium, find_chromium, wait_for
from tests.helpers.serve import ServeProcess, free_port

PASS = "browser extension passphrase"
EXTENSION = Path(__file__).resolve().parents[2] / "resources" / "browser-extension"
# (page, title, seconds the browser stays before it moves on by itself; None: stays)
VISITS: list[tuple[str, str, float | None]] = [
    ("a", "Visit A", 4.0),
    ("b", "Visit B", 3.0),
    ("c", "Visit C", 4.0),
    ("d", "Visit D", 3.0),
    ("e", "Visit E", None),
]
CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.x11,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Chromium: apt-get install chromium (.ci/run does)"
    ),
]


class Pages(http.server.ThreadingHTTPServer):
    """Local pages with known titles; each moves on to the next after its dwell time."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.served: list[tuple[str, float]] = []  # (page, monotonic time)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def has_served(self, page: str) -> bool:
        return any(p == page for p, _ in self.served)

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server: Pages

    def do_GET(self) -> None:
        name = self.path.strip("/").removesuffix(".html")
        found = [(i, v) for i, v in enumerate(VISITS) if v[0] == name]
        if not found:
            self.send_error(404)
            return
        index, (page, title, dwell) = found[0]
        self.server.served.append((page, time.monotonic()))
        move = ""
        if dwell is not None:
            following = VISITS[index + 1][0]
            move = (
                f"<script>setTimeout(() => location.href = '/{following}.html', "
                f"{dwell * 1000:.0f});</script>"
            )
        body = f"<!doctype html><title>{title}</title><p>{title}</p>{move}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def api(port: int, path: str, secret: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {secret}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@pytest.fixture
def display() -> str:
    found = os.environ.get("TIMELYGATOR_TEST_DISPLAY") or os.environ.get("DISPLAY")
    if not found:
        pytest.skip("no X display: run the suite with 'python3 -m tests' (Xvfb + openbox)")
    return found


@pytest.fixture
def browser(display: str, tmp_path: Path) -> Iterator[Cdp]:
    assert CHROMIUM is not None
    chromium = Chromium(CHROMIUM, tmp_path / "profile", EXTENSION, display)
    cdp = chromium.start()
    try:
        yield cdp
    finally:
        cdp.close()
        chromium.stop()


@pytest.fixture
def pages() -> Iterator[Pages]:
    server = Pages()
    try:
        yield server
    finally:
        server.close()


def test_visits_are_recorded_with_their_durations_across_a_server_restart(
    browser: Cdp, pages: Pages, dirs: AppDirs
) -> None:
    with Services.open(dirs, PASS) as services:
        secret = tokens.create(services.writer, services.user_id, "write", "ext").result().secret
        host = "e2e-host"
    port = free_port()
    serve = ServeProcess(dirs, port, PASS)
    serve.start()
    try:
        cdp = browser
        main = next(t["targetId"] for t in cdp.targets() if t["type"] == "page")
        # -- pairing through the options page (in a window of its own) --------------------
        origin = f"chrome-extension://{TIMELYGATOR_EXTENSION_ID}"
        options = cdp.call(
            "Target.createTarget", {"url": f"{origin}/options.html", "newWindow": True}
        )["targetId"]
        page = cdp.attach(options)
        wait_for(
            lambda: (
                cdp.evaluate(page, "location.origin + ' ' + document.readyState")
                == f"{origin} complete"
            ),
            15,
            "the options page (the extension's id comes from the key in its manifest)",
        )

        def pair(token: str) -> str:
            cdp.evaluate(
                page,
                f"document.getElementById('port').value = {port};"
                f"document.getElementById('token').value = {json.dumps(token)};"
                f"document.getElementById('hostname').value = {json.dumps(host)};"
                "document.getElementById('status').dataset.state = '';"
                "document.getElementById('test').click(); true",
            )
            state = wait_for(
                lambda: cdp.evaluate(
                    page, "['ok', 'error', 'offline'].includes(document.getElementById("
                    "'status').dataset.state) && document.getElementById('status').dataset.state"
                ),
                15,
                "the connection test",
            )  # fmt: skip
            text = str(cdp.evaluate(page, "document.getElementById('status').textContent"))
            return f"{state}: {text}"

        refused = pair("tg_" + "x" * 43)
        assert refused.startswith("error: TimelyGator refused the token (HTTP 401)"), refused
        paired = pair(secret)
        bucket = f"aw-watcher-web-chromium_{host}"
        assert paired.startswith("ok: Connected"), paired
        assert f"records into {bucket}" in paired
        assert bucket in api(port, "/api/0/buckets/", secret)  # the test wrote for real

        # -- the visits: each page moves on by itself ------------------------------------------
        cdp.call("Target.activateTarget", {"targetId": main})
        session = cdp.attach(main)
        cdp.call("Page.navigate", {"url": f"{pages.origin}/a.html"}, session)

        def events() -> list[dict[str, Any]]:
            found = api(port, f"/api/0/buckets/{bucket}/events", secret)
            return [] if not isinstance(found, list) else found

        def visit_events(page: str) -> list[dict[str, Any]]:
            url = f"{pages.origin}/{page}.html"
            return [e for e in events() if e["data"]["url"] == url]

        try:
            wait_for(lambda: visit_events("a"), 15, "the first visit on the server")
        except AssertionError:
            state = cdp.evaluate(
                page,
                "Promise.all([chrome.storage.local.get(null), chrome.windows.getAll("
                "{populate: true})]).then(([s, w]) => JSON.stringify({storage: s, windows: "
                "w.map(x => [x.focused, x.tabs.map(t => [t.url, t.status, t.active])])}))",
            )
            shown = str(state).replace(secret, "<token>")  # secrets never in test output
            raise AssertionError(f"no visit recorded; the extension: {shown}") from None
        serve.stop()  # TimelyGator goes away while the browser goes on
        wait_for(lambda: pages.has_served("c"), 30, "the browser at page C")
        status = cdp.evaluate(page, "chrome.storage.local.get('status').then(s => s.status)")
        badge = cdp.evaluate(page, "chrome.action.getBadgeText({})")
        assert status["state"] == "offline", status
        assert "Cannot reach TimelyGator" in status["message"]
        assert badge == str(status["queued"]) and int(badge) >= 2
        serve = ServeProcess(dirs, port, PASS)
        serve.start()
        wait_for(lambda: visit_events("e"), 40, "the last visit on the server")
        status = cdp.evaluate(page, "chrome.storage.local.get('status').then(s => s.status)")
        assert (
            status["state"] == "ok" and cdp.evaluate(page, "chrome.action.getBadgeText({})") == ""
        )

        # -- one event per visit, lasting as long as the visit -----------------------------------
        starts = {p: t for p, t in reversed(pages.served)}  # first time each page was served
        for index, (page_name, title, dwell) in enumerate(VISITS[:-1]):
            found = visit_events(page_name)
            assert len(found) == 1, (page_name, found)
            event = found[0]
            assert event["data"]["title"] == title
            assert event["data"]["tabCount"] == 1 and event["data"]["incognito"] is False
            stayed = starts[VISITS[index + 1][0]] - starts[page_name]
            assert dwell is not None and abs(stayed - dwell) < 1.5, (page_name, stayed)
            assert abs(event["duration"] - stayed) < 2.0, (page_name, event["duration"], stayed)
    finally:
        serve.stop()
