"""What a careless or hostile client sends: lone surrogates, bytes that are not UTF-8, numbers
out of range, bodies of the wrong shape. Always a 400 that names the problem in plain words,
nothing stored, and no exception or pydantic name in the answer."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from starlette.testclient import TestClient
from timelygator.core.services import Services

from tests.api.conftest import make_bucket

# Words that must never reach a client: exception classes, pydantic's vocabulary.
LEAKS = re.compile(
    r"Error\b|Exception|pydantic|Input should|dict_type|list\[|_type\b|"
    r"BucketCreate|QueryIn|EventIn|CategoryItem|TokenCreate|Traceback",
)
SURROGATE = b'"x\\ud800y"'
UNICODE_WORDS = "not valid Unicode"


def assert_clear_400(resp: Any, *words: str) -> None:
    assert resp.status_code == 400, (resp.status_code, resp.text)
    text = resp.json()["message"]
    assert not LEAKS.search(text), text
    for word in words:
        assert word in text, (word, text)


def body(template: str) -> bytes:
    return template.replace("@", SURROGATE.decode()).encode()


@pytest.mark.parametrize("fast", [True, False])
def test_lone_surrogates_anywhere_in_a_body_are_400_and_nothing_is_stored(
    make_client: Any, make_token: Any, services: Services, fast: bool
) -> None:
    client = make_client(make_token("admin"), fast_routes=fast)
    make_bucket(client, "b")
    ts = '"timestamp": "2024-01-01T00:00:00Z"'
    cases = [
        ("POST", "/api/0/buckets/b/events", '{' + ts + ', "data": {"t": @}}'),
        ("POST", "/api/0/buckets/b/events", '[{' + ts + ', "data": {@: 1}}]'),
        ("POST", "/api/0/buckets/b/heartbeat?pulsetime=1", '{"timestamp": @}'),
        ("POST", "/api/0/buckets/new", '{"client": "c", "type": @, "hostname": "h"}'),
        ("PUT", "/api/0/buckets/b", '{"hostname": @}'),
        ("POST", "/api/0/settings/color", '{"value": [@]}'),
        ("POST", "/api/0/categories/items", '{"name": ["Work", @]}'),
        ("PUT", "/api/0/categories", '[{"name": [@], "rule": {"type": "none"}}]'),
        ("POST", "/api/0/import", '{"buckets": {"imp": {"type": @, "events": []}}}'),
        ("POST", "/api/0/import", '{"buckets": {@: {"type": "t", "events": []}}}'),
        ("POST", "/api/0/query/", '{"timeperiods": ["2024-01-01/2024-01-02"], "query": [@]}'),
        ("POST", "/api/0/tokens", '{"scope": "read", "name": @}'),
    ]  # fmt: skip
    before = client.get("/api/0/export").json()
    categories = client.get("/api/0/categories").json()
    for method, path, template in cases:
        resp = client.request(
            method, path, content=body(template), headers={"Content-Type": "application/json"}
        )
        assert_clear_400(resp, UNICODE_WORDS)
    # The same as raw bytes that are not UTF-8 (a surrogate encoded anyway, and junk).
    for raw in (b'{"timestamp": "2024-01-01T00:00:00Z", "data": {"t": "\xed\xa0\x80"}}', b"\xff"):
        resp = client.post("/api/0/buckets/b/events", content=raw)
        assert resp.status_code == 400
        assert not LEAKS.search(resp.json()["message"])
    files = {"file": ("export.json", body('{"buckets": {"imp": {"type": @}}}'), "application/json")}
    assert_clear_400(client.post("/api/0/import", files=files), UNICODE_WORDS)
    assert client.get("/api/0/export").json() == before
    assert client.get("/api/0/categories").json() == categories
    assert client.get("/api/0/settings/color").json() is None
    assert len(client.get("/api/0/tokens").json()) == 1


def test_paths_and_query_strings_must_be_utf8(client: TestClient) -> None:
    make_bucket(client, "b")
    for path in (
        "/api/0/buckets/%ED%A0%80",  # a surrogate, UTF-8-encoded: not UTF-8
        "/api/0/buckets/%FF/events",
        "/api/0/settings/%C0%AF",  # an overlong "/"
    ):
        assert_clear_400(client.get(path), "URL path is not valid UTF-8")
    for query in ("start=%FF", "limit=1&x=%ED%B0%80", "start=2024%2D01%2D01T00%3A00%3A00%FE"):
        assert_clear_400(client.get(f"/api/0/buckets/b/events?{query}"), "query string")
    # Proper UTF-8, escaped or not, is fine.
    assert client.post("/api/0/buckets/%C3%A9t%C3%A9", json={"type": "t"}).status_code == 200
    assert client.get("/api/0/buckets/été").json()["id"] == "été"


@pytest.mark.parametrize("fast", [True, False])
def test_numbers_out_of_range_are_400_naming_the_field(
    make_client: Any, make_token: Any, fast: bool
) -> None:
    client = make_client(make_token("admin"), fast_routes=fast)
    make_bucket(client, "b")
    huge = "9" * 30
    assert_clear_400(client.get(f"/api/0/buckets/b/events?limit={huge}"), "'limit'", "at most")
    assert_clear_400(client.get("/api/0/buckets/b/events?limit=-2"), "'limit' must be at least -1")
    assert_clear_400(client.get("/api/0/buckets/b/events?limit=ten"), "'limit' must be a whole")
    assert client.get(f"/api/0/buckets/b/events?limit={'9' * 18}").status_code == 200
    assert_clear_400(client.get(f"/api/0/buckets/b/events/{huge}"), "'event_id'")
    assert_clear_400(client.delete(f"/api/0/buckets/b/events/{huge}"), "'event_id'")
    assert_clear_400(client.get(f"/api/0/categories/items/{huge}"), "'category_id'")
    assert_clear_400(client.delete(f"/api/0/tokens/{huge}"), "'token_id'")
    assert_clear_400(client.post(f"/api/0/buckets/b/heartbeat?pulsetime={huge}", json={}), "pulse")
    assert_clear_400(
        client.post("/api/0/buckets/b/events", json={"timestamp": "2024-01-01T00:00:00Z",
                                                     "id": int(huge)}),
        "'id'",
    )  # fmt: skip
    assert_clear_400(
        client.post("/api/0/categories/items", json={"name": ["W"], "rule": {"priority": 10**30}}),
        "'priority'",
    )


def test_messages_name_the_field_in_plain_words(admin: TestClient) -> None:
    """Answers people can act on: which field, what is wrong (the audit's examples)."""
    client = admin
    query = client.post("/api/0/query/", json={"timeperiods": ["2024-01-01/2024-01-02"]})
    assert_clear_400(query, "'query' is required.")
    query = client.post("/api/0/query/", json={"timeperiods": "x", "query": 5})
    assert query.json()["message"] == (
        "'timeperiods' must be a list. 'query' must be a list, or must be text."
    )
    bucket = client.post("/api/0/buckets/x", json={"type": "t", "client": "c" * 300, "data": [1]})
    assert bucket.json()["message"] == (
        "'client' may have at most 200 characters. 'data' must be a JSON object."
    )
    assert_clear_400(client.post("/api/0/buckets/x", json=[1]), "request body must be a JSON")
    assert_clear_400(client.post("/api/0/tokens", json={"scope": "root"}), "'scope' must be one")
    overflow = client.post(
        "/api/0/query/",
        json={"timeperiods": ["2024-01-01/2024-01-02"], "query": ["RETURN = flood([], 1e999);"]},
    )
    assert_clear_400(overflow, "out of range")


def test_only_real_overload_is_503_with_retry_after(
    make_client: Any, make_token: Any, services: Services
) -> None:
    client = make_client(make_token("write"), max_write_queue=2)
    make_bucket(client, "b")
    event = {"timestamp": "2024-01-01T00:00:00Z", "data": {}}
    held, release = threading.Event(), threading.Event()

    def hold(_conn: object) -> None:
        held.set()
        release.wait(10)

    services.writer.call(hold)
    assert held.wait(10)
    try:
        for _ in range(3):  # the writer is stuck: these queue up
            services.writer.call(lambda _conn: None)
        busy = client.post("/api/0/buckets/b/heartbeat?pulsetime=1", json=event)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert "waiting to be saved" in busy.json()["message"]
    finally:
        release.set()
    services.writer.flush()
    ok = client.post("/api/0/buckets/b/heartbeat?pulsetime=1", json=event)
    assert ok.status_code == 200
    assert len(client.get("/api/0/buckets/b/events").json()) == 1
