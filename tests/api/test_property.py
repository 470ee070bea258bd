"""Property-based: requests generated from our own OpenAPI schema never cause a 500.

Each operation of the schema is called with path parameters, query parameters and JSON
bodies drawn from the schema's types and from arbitrary junk; any answer but a 5xx is fine
(400/404/413 are the expected refusals), and errors always carry a message.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
events = st.fixed_dictionaries(
    {"timestamp": timestamps},
    optional={
        "duration": st.one_of(
            st.floats(allow_nan=False, allow_infinity=False), st.integers(), st.text(max_size=3)
        ),
        "data": st.one_of(
            st.dictionaries(st.text(max_size=8), json_values, max_size=4), json_values
        ),
        "id": st.one_of(st.none(), st.integers()),
    },
)
bodies = st.one_of(events, st.lists(events, max_size=4), json_values)
path_params = st.one_of(
    st.sampled_from(["b", "1", "count", "%2e%2e", "x" * 600]),
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
        min_size=1,
        max_size=20,
    ),
)
query_values = st.one_of(
    st.sampled_from(
        ["-1", "0", "10", "1", "nan", "inf", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00 02:00"]
    ),
    st.text(max_size=20),
)


def _operations(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    schema = app.openapi()
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            ops.append((method.upper(), path, query))
    return ops


def test_no_request_from_the_schema_causes_a_500(
    app: FastAPI, make_client: Any, make_token: Any
) -> None:
    admin: TestClient = make_client(make_token("admin"), app=app)
    admin.post("/api/0/buckets/b", json={"type": "t", "client": "c", "hostname": "h"})
    admin.post(
        "/api/0/buckets/b/events", json=[{"timestamp": "2024-01-01T00:00:00Z", "duration": 5}]
    )
    operations = _operations(app)
    assert len(operations) > 20

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, template, query_names = data.draw(st.sampled_from(operations))
        path = re.sub(r"\{[^}]+\}", lambda _m: data.draw(path_params), template)
        params = {name: data.draw(query_values) for name in query_names if data.draw(st.booleans())}
        kwargs: dict[str, Any] = {"params": params}
        if method in ("POST", "PUT"):
            kwargs["json"] = data.draw(bodies)
        if template == "/api/0/events/stream":
            return  # an endless stream; covered by the live-stream test
        if template == "/api/0/tokens/{token_id}" and method == "DELETE":
            return  # would revoke the token this test runs with
        resp = admin.request(method, path, **kwargs)
        assert resp.status_code < 500, (method, path, kwargs, resp.text)
        if resp.status_code >= 400:
            assert isinstance(resp.json()["message"], str)

    check()
