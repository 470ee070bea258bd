"""``/api/0/categories``: the user's category tree — read, replace, import, export, preview,
and single categories by id under ``/api/0/categories/items``.

The tree travels in TimelyGator's document form (``core.categories.formats``); writes also
take ActivityWatch's ``classes`` list (or an ActivityWatch export ``{"categories": [...]}``).
A whole tree is validated — names, colors, scores, every regex — before anything is
written, and is then stored in one writer call, as the app's settings dialog stores it. A
single category is validated the same way and edited in place (``core.categories.edits``):
the other categories keep their ids.

Summaries notice the change by themselves: ``core.analytics`` reads the stored categories
for every summary and keys all its cached per-day statistics by their fingerprint
(``categories_version``), so the next summary is computed with the new rules.

The table keeps what TimelyGator uses (paths, rules, colors, scores); for an exact
ActivityWatch round trip (ids, implicit parents, unknown keys) the ``classes`` list of an
ActivityWatch import is kept beside it and exported again while the stored tree is still
the one it produced.
"""

from __future__ import annotations

import hashlib
import math
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from timelygator.core import reader, settings_store
from timelygator.core.analytics.service import WINDOW_TYPES
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import Ctx, ReadAccess, WriteAccess
from timelygator.core.api.own_schemas import (
    AwCategory,
    CategoryDeleted,
    CategoryDocument,
    CategoryDocumentOut,
    CategoryItem,
    CategoryItemOut,
    CategoryPatch,
    RulePreviewIn,
    RulePreviewOut,
)
from timelygator.core.api.routers.transfer import _read_document as read_document
from timelygator.core.api.routing import route
from timelygator.core.api.wire import JSONBytes, dumps, loads
from timelygator.core.categories import edits
from timelygator.core.categories.categorizer import Categorizer
from timelygator.core.categories.colors import category_color
from timelygator.core.categories.formats import (
    FORMAT,
    VERSION,
    from_aw_classes,
    from_document,
    to_aw_classes,
    to_document,
)
from timelygator.core.categories.model import Category, CategoryTree, Rule
from timelygator.core.categories.preview import RulePreview, rule_preview
from timelygator.core.categories.stored import load_stored_categories, replace_stored_categories
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.timeutil import US_PER_S, check_time_range, parse_iso

router = APIRouter(tags=["categories"])

CategoryId = Annotated[int, Path(ge=1, lt=2**62, description="category id")]

MAX_CATEGORIES = 5000
MAX_DEPTH = 20
MAX_NAME_LENGTH = 200  # the categories table's column sizes
MAX_COLOR_LENGTH = 32
MAX_REGEX_LENGTH = 10_000
MAX_PREVIEW_DAYS = 366
# The last ActivityWatch ``classes`` imported, with the fingerprint of the tree it stored.
AW_CLASSES_KEY = settings_store.RESERVED_PREFIX + "categories.activitywatch"

_TREE_BODY = {
    "oneOf": [
        {"$ref": "#/components/schemas/CategoryDocument"},
        {"type": "array", "items": {"$ref": "#/components/schemas/AwCategory"}},
    ]
}
_JSON_TREE = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _TREE_BODY}}}
}
_JSON_OR_FILE_TREE = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _TREE_BODY},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def label(path: tuple[str, ...] | list[str]) -> str:
    return " > ".join(path)


# -- validation ------------------------------------------------------------------------------
def _check(category: Category, seen: set[tuple[str, ...]]) -> None:
    name = label(category.name)[:300]
    if not category.name or not all(category.name):
        raise ValidationError(f"Category {name!r}: every level needs a name.")
    if len(category.name) > MAX_DEPTH:
        raise ValidationError(f"Category {name!r} is nested deeper than {MAX_DEPTH} levels.")
    if any(len(part) > MAX_NAME_LENGTH for part in category.name):
        raise ValidationError(
            f"Category {name!r}: each level's name may have at most {MAX_NAME_LENGTH} characters."
        )
    if category.path in seen:
        raise ValidationError(f"Category {name!r} is listed twice.")
    seen.add(category.path)
    if category.color is not None and len(category.color) > MAX_COLOR_LENGTH:
        raise ValidationError(f"Category {name!r}: the color is too long.")
    if category.score is not None:
        try:
            finite = math.isfinite(float(category.score))
        except OverflowError:
            finite = False
        if not finite or abs(category.score) > 1e9:
            raise ValidationError(f"Category {name!r}: the score is out of range.")
    regex = category.rule.regex
    if regex is not None and len(regex) > MAX_REGEX_LENGTH:
        raise ValidationError(
            f"Category {name!r}: the regular expression is longer than {MAX_REGEX_LENGTH} "
            "characters."
        )
    try:
        category.rule.compile()
    except ValidationError as exc:
        raise ValidationError(f"Category {name!r}: {exc}") from None


def parse_tree(doc: Any) -> tuple[list[Category], list[Any] | None]:
    """A whole tree from our document, ActivityWatch's ``classes`` list or an ActivityWatch
    export ``{"categories": [...]}``, validated; with the ActivityWatch list if it was one.

    Raises ValidationError (naming the category) on anything wrong; nothing is written.
    """
    classes: list[Any] | None = None
    if isinstance(doc, list):
        classes = doc
    elif isinstance(doc, dict) and "format" not in doc and isinstance(doc.get("categories"), list):
        classes = doc["categories"]
    elif not isinstance(doc, dict):
        raise ValidationError(
            "Send a TimelyGator categories document or ActivityWatch's list of categories."
        )
    categories = from_aw_classes(classes) if classes is not None else from_document(doc)
    if not categories:
        raise ValidationError(
            "Send at least one category (an empty tree would bring back the default ones)."
        )
    if len(categories) > MAX_CATEGORIES:
        raise ValidationError(f"At most {MAX_CATEGORIES} categories are allowed.")
    seen: set[tuple[str, ...]] = set()
    for category in categories:
        _check(category, seen)
    return categories, classes


# -- storing ---------------------------------------------------------------------------------
def tree_fingerprint(categories: list[Category]) -> str:
    """Names, rules, colors and scores of a stored tree (not its row ids)."""
    raw = orjson.dumps(to_document(categories), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def store_tree(
    conn: Connection, *, user_id: int, categories: list[Category], classes: list[Any] | None
) -> list[Category]:
    """Writer thread: replace the tree (and the kept ActivityWatch list); the stored tree."""
    replace_stored_categories(conn, user_id, categories)
    stored = load_stored_categories(conn, user_id)
    if classes is None:
        settings_store.remove_setting(conn, user_id, AW_CLASSES_KEY)
    else:
        kept = {"fingerprint": tree_fingerprint(stored), "classes": classes}
        settings_store.put_setting(conn, user_id, AW_CLASSES_KEY, kept)
    return stored


def aw_classes(conn: Connection, user_id: int) -> list[Any]:
    """The tree as ActivityWatch's ``classes``: the imported list while it is still current."""
    categories = load_stored_categories(conn, user_id)
    kept = settings_store.get_setting(conn, user_id, AW_CLASSES_KEY)
    if (
        isinstance(kept, dict)
        and isinstance(kept.get("classes"), list)
        and kept.get("fingerprint") == tree_fingerprint(categories)
    ):
        classes: list[Any] = kept["classes"]
        return classes
    return to_aw_classes(categories)


def document_out(categories: list[Category]) -> dict[str, Any]:
    """Our document, each category with its resolved (inherited) color and score."""
    doc = to_document(categories)
    tree = CategoryTree(categories)
    for item, category in zip(doc["categories"], categories, strict=True):
        if category.id is not None:
            item["id"] = category.id
        style = tree.style(category.path)
        item["resolved"] = {
            "color": category_color(category.path, tree),
            "score": style.score,
            "productivity": style.productivity.name.lower(),
        }
    return doc


async def _replace(ctx: ApiContext, user_id: int, doc: Any) -> JSONBytes:
    categories, classes = await run_in_threadpool(parse_tree, doc)
    write = partial(store_tree, user_id=user_id, categories=categories, classes=classes)
    stored = await ctx.wait(ctx.services.writer.call(write))
    return JSONBytes(document_out(stored))


def _attachment(body: bytes, filename: str) -> JSONBytes:
    return JSONBytes(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- routes ----------------------------------------------------------------------------------
@route(router, "/api/0/categories", ["GET"], response_model=CategoryDocumentOut)
async def get_categories(ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """The category tree (the defaults until one is stored), with resolved colors and scores."""
    categories = await ctx.read(lambda conn: load_stored_categories(conn, who.user_id))
    return JSONBytes(document_out(categories))


@route(
    router,
    "/api/0/categories",
    ["PUT"],
    response_model=CategoryDocumentOut,
    openapi_extra=_JSON_TREE,
)
async def put_categories(request: Request, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Replace the whole tree with our document or ActivityWatch's ``classes`` list."""
    raw = await request.body()
    if not raw.strip():
        raise ValidationError("A categories document is required.")
    return await _replace(ctx, who.user_id, loads(raw))


@route(
    router,
    "/api/0/categories/import",
    ["POST"],
    response_model=CategoryDocumentOut,
    openapi_extra=_JSON_OR_FILE_TREE,
)
async def import_categories(request: Request, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Replace the whole tree from a JSON body or one uploaded file (either form)."""
    return await _replace(ctx, who.user_id, await read_document(request, ctx))


@route(
    router,
    "/api/0/categories/export",
    ["GET"],
    response_model=CategoryDocument | list[AwCategory],
)
async def export_categories(
    ctx: Ctx,
    who: ReadAccess,
    fmt: Annotated[Literal["timelygator", "aw"], Query(alias="format")] = "timelygator",
) -> JSONBytes:
    """The tree as a download: our document (default) or ActivityWatch's ``classes``."""
    if fmt == "aw":
        classes = await ctx.read(lambda conn: aw_classes(conn, who.user_id))
        return _attachment(dumps(classes), "aw-categories.json")
    categories = await ctx.read(lambda conn: load_stored_categories(conn, who.user_id))
    return _attachment(dumps(to_document(categories)), "timelygator-categories.json")


def _read_preview(
    conn: Connection, *, user_id: int, draft: Category, start_us: int, end_us: int
) -> RulePreview:
    categories = load_stored_categories(conn, user_id)
    events = []
    for bucket in reader.list_buckets(conn, user_id):
        if bucket.type in WINDOW_TYPES or bucket.type.startswith("web."):
            events.extend(reader.get_events(conn, bucket.key, start_us, end_us))
    return rule_preview(Categorizer.from_categories(categories), draft, events)


def _by_category(seconds: dict[tuple[str, ...], float]) -> list[dict[str, Any]]:
    ranked = sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"category": list(path), "seconds": round(s, 3)} for path, s in ranked]


@route(router, "/api/0/categories/preview", ["POST"], response_model=RulePreviewOut)
async def preview_rule(body: RulePreviewIn, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """What a draft rule for one category would match in a time range (nothing is stored)."""
    draft = Category(list(body.name), Rule.from_dict(body.rule))
    _check(draft, set())
    start_us = parse_iso(body.start)[0]
    end_us = parse_iso(body.end)[0]
    check_time_range(start_us, None, "The preview's 'start'")
    check_time_range(end_us, None, "The preview's 'end'")
    if end_us <= start_us:
        raise ValidationError("'end' must be after 'start'.")
    if end_us - start_us > MAX_PREVIEW_DAYS * 86_400 * US_PER_S:
        raise ValidationError(f"A preview covers at most {MAX_PREVIEW_DAYS} days.")
    async with ctx.query_slots:
        found = await ctx.read(
            partial(
                _read_preview, user_id=who.user_id, draft=draft, start_us=start_us, end_us=end_us
            )
        )
    return JSONBytes(
        {
            "name": list(found.path),
            "matched_events": found.matched_events,
            "matched_seconds": round(found.matched_seconds, 3),
            "gained_events": found.gained_events,
            "gained_seconds": round(found.gained_seconds, 3),
            "moved_from": _by_category(found.moved_from),
            "lost_to": _by_category(found.lost_to),
        }
    )


# -- single categories -----------------------------------------------------------------------
def parse_item(item: dict[str, Any]) -> Category:
    """One category in our document's item form, validated like a whole tree's."""
    [category] = from_document({"format": FORMAT, "version": VERSION, "categories": [item]})
    _check(category, set())
    return category


def item_out(conn: Connection, user_id: int, category_id: int) -> dict[str, Any]:
    """The stored category with its id and resolved style (which needs the whole tree)."""
    categories = load_stored_categories(conn, user_id)
    for item in document_out(categories)["categories"]:
        if item.get("id") == category_id:
            found: dict[str, Any] = item
            return found
    raise NotFoundError(f"There is no category with id {category_id}.")


def _create(conn: Connection, *, user_id: int, category: Category) -> dict[str, Any]:
    created = edits.create_category(conn, user_id, category)
    assert created.id is not None
    return item_out(conn, user_id, created.id)


def _patch(
    conn: Connection, *, user_id: int, category_id: int, patch: dict[str, Any]
) -> dict[str, Any]:
    current = edits.get_category(conn, user_id, category_id)
    [item] = to_document([current])["categories"]
    if "score" in patch or "productivity" in patch:
        item.pop("score", None)
        item.pop("productivity", None)
    item.update({k: v for k, v in patch.items() if v is not None or k in ("color", "score")})
    changed = parse_item(item)
    edits.update_category(
        conn,
        user_id,
        category_id,
        name=changed.name,
        rule=changed.rule,
        color=changed.color,
        score=changed.score,
    )
    return item_out(conn, user_id, category_id)


@route(router, "/api/0/categories/items", ["POST"], response_model=CategoryItemOut, status_code=201)
async def create_category(body: CategoryItem, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Add one category (missing parent levels are created); 409 if the path exists."""
    category = parse_item(body.model_dump(exclude_unset=True))
    write = partial(_create, user_id=who.user_id, category=category)
    return JSONBytes(await ctx.wait(ctx.services.writer.call(write)), status_code=201)


@route(router, "/api/0/categories/items/{category_id}", ["GET"], response_model=CategoryItemOut)
async def get_category(category_id: CategoryId, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """One stored category with its resolved color and score."""
    return JSONBytes(await ctx.read(lambda conn: item_out(conn, who.user_id, category_id)))


@route(router, "/api/0/categories/items/{category_id}", ["PATCH"], response_model=CategoryItemOut)
async def patch_category(
    category_id: CategoryId, body: CategoryPatch, ctx: Ctx, who: WriteAccess
) -> JSONBytes:
    """Change a category's name (rename or move, subcategories follow), rule, color or score."""
    patch = body.model_dump(exclude_unset=True)
    write = partial(_patch, user_id=who.user_id, category_id=category_id, patch=patch)
    return JSONBytes(await ctx.wait(ctx.services.writer.call(write)))


@route(router, "/api/0/categories/items/{category_id}", ["DELETE"], response_model=CategoryDeleted)
async def delete_category(category_id: CategoryId, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Delete a category and its subcategories (409 if that would leave none)."""
    write = partial(edits.delete_category, user_id=who.user_id, category_id=category_id)
    return JSONBytes({"deleted": await ctx.wait(ctx.services.writer.call(write))})
