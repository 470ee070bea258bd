"""/api/0/categories: read, replace, import/export (exact ActivityWatch round trip), preview."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient
from timelygator.core import models, tokens
from timelygator.core.api.routers.categories import AW_CLASSES_KEY
from timelygator.core.categories.stored import load_stored_categories
from timelygator.core.services import Services

from tests.api.conftest import make_bucket

DOC: dict[str, Any] = {
    "format": "timelygator-categories",
    "version": 1,
    "categories": [
        {
            "name": ["Work"],
            "rule": {"type": "none"},
            "color": "#0000ff",
            "productivity": "productive",
        },
        {
            "name": ["Work", "Programming"],
            "rule": {"type": "regex", "regex": "code|github", "ignore_case": True},
            "productivity": "very_productive",
        },
        {
            "name": ["Media"],
            "rule": {"type": "regex", "regex": "youtube|vlc", "ignore_case": True},
            "color": "#ff0000",
            "productivity": "very_distracting",
        },
    ],
}

# Ids out of order, an implicit parent (["Media"]), an entry without data, unknown keys.
AW_CLASSES: list[dict[str, Any]] = [
    {
        "id": 7,
        "name": ["Work"],
        "rule": {"type": "regex", "regex": "Google Docs|libreoffice"},
        "data": {"color": "#0F0", "score": 10},
    },
    {
        "id": 3,
        "name": ["Work", "Programming"],
        "rule": {
            "type": "regex",
            "regex": "GitHub|Stack Overflow",
            "ignore_case": True,
            "select_keys": ["title", "$domain"],
        },
    },
    {"id": 12, "name": ["Media", "Games"], "rule": {"type": "regex", "regex": "Minecraft"}},
    {
        "id": 4,
        "name": ["Other"],
        "rule": {"type": "regex", "regex": "x", "priority": 5, "future": "kept"},
        "data": {"icon": "star", "score": -1.5},
        "extra_top": [1, 2],
    },
]


def without_resolved(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for item in out["categories"]:
        item.pop("resolved")
        item.pop("id")  # the stored rows' ids (tests/api/test_category_items.py)
    return out


def test_defaults_until_a_tree_is_stored(client: TestClient) -> None:
    resp = client.get("/api/0/categories")
    assert resp.status_code == 200
    doc = resp.json()
    assert (doc["format"], doc["version"]) == ("timelygator-categories", 1)
    assert doc["categories"]
    for item in doc["categories"]:
        assert item["resolved"]["color"].startswith("#")
        assert item["resolved"]["productivity"] in {
            "very_distracting",
            "distracting",
            "neutral",
            "productive",
            "very_productive",
        }
    assert client.get("/api/0/categories/").json() == doc


def test_put_then_get_equals_with_resolved_styles(client: TestClient) -> None:
    resp = client.put("/api/0/categories", json=DOC)
    assert resp.status_code == 200, resp.text
    assert without_resolved(resp.json()) == DOC
    got = client.get("/api/0/categories").json()
    assert got == resp.json()
    assert without_resolved(got) == DOC
    resolved = {tuple(i["name"]): i["resolved"] for i in got["categories"]}
    assert resolved[("Work",)] == {"color": "#0000ff", "score": 1, "productivity": "productive"}
    # Programming inherits Work's color, keeps its own score.
    assert resolved[("Work", "Programming")] == {
        "color": "#0000ff",
        "score": 2,
        "productivity": "very_productive",
    }
    assert resolved[("Media",)]["score"] == -2
    # What GET answers can be sent back as it is (the resolved styles are ignored).
    assert client.put("/api/0/categories/", json=got).json() == got


def test_implicit_parents_are_stored(client: TestClient) -> None:
    doc = {**DOC, "categories": [DOC["categories"][1]]}
    got = client.put("/api/0/categories", json=doc).json()
    assert [i["name"] for i in got["categories"]] == [["Work"], ["Work", "Programming"]]
    assert got["categories"][0]["rule"] == {"type": "none"}


def test_activitywatch_classes_round_trip_exactly(client: TestClient) -> None:
    resp = client.put("/api/0/categories", json=AW_CLASSES)
    assert resp.status_code == 200, resp.text
    names = [i["name"] for i in resp.json()["categories"]]
    assert names == [["Work"], ["Work", "Programming"], ["Media"], ["Media", "Games"], ["Other"]]
    exported = client.get("/api/0/categories/export?format=aw")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="aw-categories.json"'
    assert exported.json() == AW_CLASSES
    assert json.dumps(exported.json()) == json.dumps(AW_CLASSES)  # key order too
    # ... and again through the import endpoint, from an uploaded file.
    files = {"file": ("aw.json", json.dumps(AW_CLASSES).encode(), "application/json")}
    assert client.post("/api/0/categories/import", files=files).status_code == 200
    assert client.get("/api/0/categories/export/?format=aw").json() == AW_CLASSES


def test_activitywatch_export_wrapper_is_accepted(client: TestClient) -> None:
    resp = client.post("/api/0/categories/import", json={"categories": AW_CLASSES})
    assert resp.status_code == 200, resp.text
    assert client.get("/api/0/categories/export?format=aw").json() == AW_CLASSES


def test_exports_follow_later_changes(client: TestClient, services: Services) -> None:
    client.put("/api/0/categories", json=AW_CLASSES)
    client.put("/api/0/categories", json=DOC)  # our form: the kept ActivityWatch list goes
    exported = client.get("/api/0/categories/export", params={"format": "aw"}).json()
    assert [c["name"] for c in exported] == [c["name"] for c in DOC["categories"]]
    assert exported[0]["data"] == {"color": "#0000ff", "score": 1.0}
    with services.read() as conn:
        kept = select(func.count()).where(models.Setting.key == AW_CLASSES_KEY)
        assert conn.execute(kept).scalar_one() == 0
    ours = client.get("/api/0/categories/export")
    assert ours.headers["content-disposition"] == (
        'attachment; filename="timelygator-categories.json"'
    )
    assert ours.json() == DOC
    # A change made elsewhere (the app's settings dialog) is exported, not the kept list.
    client.put("/api/0/categories", json=AW_CLASSES)
    from timelygator.core.categories.model import Category
    from timelygator.core.categories.stored import replace_stored_categories

    uid = services.user_id
    services.writer.call(
        lambda conn: replace_stored_categories(conn, uid, [Category(["Only"])])
    ).result()
    assert [c["name"] for c in client.get("/api/0/categories/export?format=aw").json()] == [
        ["Only"]
    ]


def test_bad_regex_is_400_naming_the_category_and_stores_nothing(
    client: TestClient, services: Services
) -> None:
    client.put("/api/0/categories", json=DOC)
    broken = copy.deepcopy(DOC)
    broken["categories"].append({"name": ["Work", "Broken"], "rule": {"regex": "(unclosed"}})
    resp = client.put("/api/0/categories", json=broken)
    assert resp.status_code == 400
    text = resp.json()["message"]
    assert "Work > Broken" in text and "regular expression" in text and "(unclosed" in text
    assert without_resolved(client.get("/api/0/categories").json()) == DOC
    aw = [*AW_CLASSES, {"id": 99, "name": ["Bad"], "rule": {"type": "regex", "regex": "a["}}]
    resp = client.post("/api/0/categories/import", json=aw)
    assert resp.status_code == 400 and "'Bad'" in resp.json()["message"]
    assert without_resolved(client.get("/api/0/categories").json()) == DOC
    with services.read() as conn:
        assert len(load_stored_categories(conn, services.user_id)) == 3


def test_invalid_trees_are_400(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    bad_bodies: list[Any] = [
        [],
        {"format": "timelygator-categories", "version": 1, "categories": []},
        "just text",
        {"format": "something-else"},
        {**DOC, "version": 99},
        [{"name": "Work", "rule": {}}],
        [{"name": ["A"], "rule": {"type": "glob"}}],
        [{"name": ["A"], "rule": {}}, {"name": ["A"], "rule": {}}],
        [{"name": ["A"], "rule": {}, "data": {"score": "high"}}],
        [{"name": ["A" * 201], "rule": {}}],
        [{"name": ["A"], "rule": {}, "data": {"color": "#" * 40}}],
        [{"name": ["A"], "rule": {}, "data": {"score": 1e300}}],
    ]
    for body in bad_bodies:
        resp = client.put("/api/0/categories", json=body)
        assert resp.status_code == 400, (body, resp.text)
        assert resp.json()["message"]
    assert client.put("/api/0/categories", content=b"").status_code == 400
    assert client.put("/api/0/categories", content=b"{nope").status_code == 400
    two = {
        "a": ("a.json", json.dumps(DOC).encode(), "application/json"),
        "b": ("b.json", json.dumps(DOC).encode(), "application/json"),
    }
    assert client.post("/api/0/categories/import", files=two).status_code == 400
    assert client.get("/api/0/categories/export?format=csv").status_code == 400
    assert without_resolved(client.get("/api/0/categories").json()) == DOC


def test_scopes(make_client: Any, make_token: Any, client: TestClient) -> None:
    reader = make_client(make_token("read"), app=client.app)
    anonymous = make_client(app=client.app)
    assert reader.get("/api/0/categories").status_code == 200
    assert reader.get("/api/0/categories/export?format=aw").status_code == 200
    for method, path in (("PUT", "/api/0/categories"), ("POST", "/api/0/categories/import")):
        resp = reader.request(method, path, json=DOC)
        assert resp.status_code == 403, (method, path)
        assert "write" in resp.json()["message"]
        assert anonymous.request(method, path, json=DOC).status_code == 401
    assert anonymous.get("/api/0/categories").status_code == 401
    preview = {
        "name": ["X"],
        "rule": {},
        "start": "2024-01-01T00:00:00Z",
        "end": "2024-01-02T00:00:00Z",
    }
    assert reader.post("/api/0/categories/preview", json=preview).status_code == 200
    assert anonymous.post("/api/0/categories/preview", json=preview).status_code == 401


def test_each_user_has_their_own_tree(
    client: TestClient, services: Services, make_client: Any, make_token: Any
) -> None:
    bob_id = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    bob = make_client(make_token("write", user_id=bob_id), app=client.app)
    defaults = bob.get("/api/0/categories").json()
    client.put("/api/0/categories", json=DOC)
    assert bob.get("/api/0/categories").json() == defaults
    bob.put("/api/0/categories", json=AW_CLASSES)
    assert without_resolved(client.get("/api/0/categories").json()) == DOC
    assert client.get("/api/0/categories/export?format=aw").json() != AW_CLASSES


def test_preview_of_a_draft_rule(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    make_bucket(client, "aw-watcher-window_h", "currentwindow")
    make_bucket(client, "notes", "other-type")  # not window/web: ignored
    events = [
        {"timestamp": "2024-03-04T09:00:00Z", "duration": 3600, "data": {"app": "code"}},
        {"timestamp": "2024-03-04T10:00:00Z", "duration": 600, "data": {"app": "notes"}},
        {"timestamp": "2024-03-04T10:10:00Z", "duration": 300, "data": {"app": "vlc"}},
        {"timestamp": "2024-03-04T10:15:00Z", "duration": 120, "data": {"app": "notes"}},
    ]
    client.post("/api/0/buckets/aw-watcher-window_h/events", json=events)
    client.post(
        "/api/0/buckets/notes/events",
        json=[{"timestamp": "2024-03-04T10:00:00Z", "duration": 600, "data": {"app": "notes"}}],
    )
    body = {
        "name": ["Work", "Writing"],
        "rule": {"type": "regex", "regex": "notes|vlc"},
        "start": "2024-03-04T00:00:00Z",
        "end": "2024-03-05T00:00:00Z",
    }
    resp = client.post("/api/0/categories/preview", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "name": ["Work", "Writing"],
        "matched_events": 3,
        "matched_seconds": 1020.0,
        # The deeper draft beats Media for vlc; both notes events were Uncategorized.
        "gained_events": 3,
        "gained_seconds": 1020.0,
        "moved_from": [
            {"category": ["Uncategorized"], "seconds": 720.0},
            {"category": ["Media"], "seconds": 300.0},
        ],
        "lost_to": [],
    }
    # Clipped to the range; nothing was stored.
    clipped = client.post(
        "/api/0/categories/preview/", json={**body, "end": "2024-03-04T10:05:00Z"}
    ).json()
    assert (clipped["matched_events"], clipped["matched_seconds"]) == (1, 300.0)
    assert without_resolved(client.get("/api/0/categories").json()) == DOC
    for bad in (
        {**body, "rule": {"regex": "(("}},
        {**body, "end": "2024-03-03T00:00:00Z"},
        {**body, "start": "yesterday-ish"},
        {**body, "end": "2026-03-04T00:00:00Z"},
        {**body, "name": []},
        {**body, "name": [""]},
        {**body, "extra": 1},
    ):
        resp = client.post("/api/0/categories/preview", json=bad)
        assert resp.status_code == 400, (bad, resp.text)
        assert resp.json()["message"]
