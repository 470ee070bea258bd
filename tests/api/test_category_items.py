"""/api/0/categories/items: one category at a time, by id; the other categories stay put."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from timelygator.core import tokens
from timelygator.core.api.routers.categories import AW_CLASSES_KEY
from timelygator.core.services import Services
from timelygator.core.settings_store import get_setting

from tests.api.test_categories_api import DOC


def ids(client: TestClient) -> dict[tuple[str, ...], int]:
    items = client.get("/api/0/categories").json()["categories"]
    return {tuple(item["name"]): item["id"] for item in items}


def test_defaults_have_no_ids_until_stored_and_a_create_stores_them_first(
    client: TestClient,
) -> None:
    defaults = client.get("/api/0/categories").json()["categories"]
    assert all("id" not in item for item in defaults)
    resp = client.post(
        "/api/0/categories/items",
        json={"name": ["Hobby", "Guitar"], "rule": {"type": "regex", "regex": "tabs|chords"}},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["name"] == ["Hobby", "Guitar"]
    assert created["rule"] == {"type": "regex", "regex": "tabs|chords"}
    after = client.get("/api/0/categories").json()["categories"]
    # Every default is still there (now stored, with ids), then the new parent and child.
    assert [i["name"] for i in after] == [
        *[i["name"] for i in defaults],
        ["Hobby"],
        ["Hobby", "Guitar"],
    ]
    assert all(isinstance(i["id"], int) for i in after)
    assert client.get(f"/api/0/categories/items/{created['id']}").json() == created


def test_create_refuses_a_taken_path_and_a_bad_rule(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    before = client.get("/api/0/categories").json()
    taken = client.post(
        "/api/0/categories/items", json={"name": ["Work"], "rule": {"type": "none"}}
    )
    assert taken.status_code == 409
    assert "already a category 'Work'" in taken.json()["message"]
    bad = client.post(
        "/api/0/categories/items",
        json={"name": ["New"], "rule": {"type": "regex", "regex": "(unclosed"}},
    )
    assert bad.status_code == 400
    assert "New" in bad.json()["message"]
    assert client.get("/api/0/categories").json() == before  # nothing stored


def test_patch_changes_only_what_is_sent_and_keeps_ids(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    before = ids(client)
    media = before[("Media",)]
    resp = client.patch(
        f"/api/0/categories/items/{media}",
        json={"rule": {"type": "regex", "regex": "youtube|netflix"}, "productivity": "neutral"},
    )
    assert resp.status_code == 200, resp.text
    item = resp.json()
    assert item["rule"] == {"type": "regex", "regex": "youtube|netflix"}
    assert item["productivity"] == "neutral"
    assert item["resolved"]["score"] == 0
    assert item["name"] == ["Media"] and item["id"] == media
    assert ids(client) == before
    # null color: inherit again (Programming takes Work's blue; Work loses its own color).
    work = before[("Work",)]
    cleared = client.patch(f"/api/0/categories/items/{work}", json={"color": None}).json()
    assert "color" not in cleared
    assert cleared["productivity"] == "productive"  # untouched


def test_rename_and_move_take_subcategories_along(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    before = ids(client)
    work = before[("Work",)]
    moved = client.patch(f"/api/0/categories/items/{work}", json={"name": ["Life", "Job"]})
    assert moved.status_code == 200, moved.text
    after = ids(client)
    assert after[("Life", "Job")] == work
    assert after[("Life", "Job", "Programming")] == before[("Work", "Programming")]
    assert ("Work",) not in after and ("Life",) in after
    # The moved subtree is categorized under its new path, with its old rule.
    prog = client.get(f"/api/0/categories/items/{after[('Life', 'Job', 'Programming')]}").json()
    assert prog["rule"]["regex"] == "code|github"
    assert prog["resolved"]["color"] == "#0000ff"  # still inherited from the moved parent


def test_moves_under_itself_or_onto_a_taken_path_are_refused(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    before = client.get("/api/0/categories").json()
    work = ids(client)[("Work",)]
    under = client.patch(
        f"/api/0/categories/items/{work}", json={"name": ["Work", "Programming", "Work"]}
    )
    assert under.status_code == 400 and "under itself" in under.json()["message"]
    onto = client.patch(f"/api/0/categories/items/{work}", json={"name": ["Media"]})
    assert onto.status_code == 409
    assert client.get("/api/0/categories").json() == before


def test_delete_takes_the_subtree_but_never_the_whole_tree(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    before = ids(client)
    resp = client.delete(f"/api/0/categories/items/{before[('Work',)]}")
    assert resp.status_code == 200 and resp.json() == {"deleted": 2}
    assert ids(client) == {("Media",): before[("Media",)]}
    last = client.delete(f"/api/0/categories/items/{before[('Media',)]}")
    assert last.status_code == 409
    assert list(ids(client)) == [("Media",)]


def test_unknown_ids_are_404_for_every_method(client: TestClient) -> None:
    client.put("/api/0/categories", json=DOC)
    for method, body in (("GET", None), ("PATCH", {"color": "#123456"}), ("DELETE", None)):
        resp = client.request(method, "/api/0/categories/items/999999", json=body)
        assert resp.status_code == 404, (method, resp.text)


def test_another_users_category_does_not_exist_for_this_token(
    client: TestClient, services: Services, make_token: Any, make_client: Any, app: Any
) -> None:
    client.put("/api/0/categories", json=DOC)
    media = ids(client)[("Media",)]
    bob = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    other = make_client(make_token("write", user_id=bob), app=app)
    assert other.get(f"/api/0/categories/items/{media}").status_code == 404
    assert other.delete(f"/api/0/categories/items/{media}").status_code == 404
    assert client.get(f"/api/0/categories/items/{media}").status_code == 200


def test_a_single_edit_ends_the_exact_activitywatch_round_trip(
    client: TestClient, services: Services
) -> None:
    """After an edit the ActivityWatch export is built from the tree, not the kept list."""
    classes = [
        {"id": 9, "name": ["Work"], "rule": {"type": "regex", "regex": "docs"}, "x": 1},
    ]
    client.put("/api/0/categories", json=classes)
    assert client.get("/api/0/categories/export?format=aw").json() == classes
    work = ids(client)[("Work",)]
    client.patch(f"/api/0/categories/items/{work}", json={"rule": {"type": "regex", "regex": "x"}})
    exported = client.get("/api/0/categories/export?format=aw").json()
    assert [(c["name"], c["rule"]["regex"]) for c in exported] == [(["Work"], "x")]
    with services.store.connect() as conn:
        assert get_setting(conn, services.user_id, AW_CLASSES_KEY) is not None  # kept, unused
